//! The variable paths an expression reads, found by scanning its text (string literals
//! skipped), for the compiler's availability checks.

/// Every variable path an expression reads, as dotted paths (`steps.ask.answer`), for the
/// compiler's "does this variable exist here?" check. Only paths that start at one of
/// `roots` are returned; text inside string literals is skipped.
pub fn referenced_paths(source: &str, roots: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = source.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            // Skip a string literal, honouring backslash escapes.
            i += 1;
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let preceded_by_dot = i > 0 && chars[..i].iter().rev().find(|c| !c.is_whitespace()) == Some(&'.');
            let mut segments = Vec::new();
            let mut j = i;
            loop {
                let start = j;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                segments.push(chars[start..j].iter().collect::<String>());
                // Follow `.name` and `?.name`, but not a method call `.name(`.
                let mut k = j;
                if k < chars.len() && chars[k] == '?' {
                    k += 1;
                }
                if k < chars.len()
                    && chars[k] == '.'
                    && k + 1 < chars.len()
                    && (chars[k + 1].is_alphabetic() || chars[k + 1] == '_')
                {
                    let mut end = k + 1;
                    while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
                        end += 1;
                    }
                    if end < chars.len() && chars[end] == '(' {
                        break;
                    }
                    j = k + 1;
                } else {
                    break;
                }
            }
            if !preceded_by_dot && roots.contains(&segments[0].as_str()) {
                out.push(segments.join("."));
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}
