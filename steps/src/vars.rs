//! The variables a flow can read, and where each exists. Everything a template or a
//! condition reads lives under one of six roots, plus `secrets` (HTTP steps only):
//!
//! | root | what |
//! |---|---|
//! | `contact` | name, first/last name, email, phone, country, language, lifecycle, channel, tags, `fields.<custom>` |
//! | `conversation` | id, status, channel, assignee, team, priority, times, closing category and summary |
//! | `assignee` | the assigned agent: id, name, email, team, online |
//! | `trigger` | the event's data; depends on the trigger type |
//! | `steps` | `steps.<id>.<output>` of steps that ran before |
//! | `system` | `now`, `today`, `time`, `weekday` in the workspace timezone, and `timezone` |
//! | `secrets` | `{{ secrets.NAME }}`: a workspace secret, only in an http step's url, headers, body and json |

/// The roots; any other leading name in an expression is a local (a closure parameter).
/// `secrets` is a root so that the compiler sees every use of it: a secret may be read only
/// as `{{ secrets.NAME }}` in an HTTP step's url, headers and body, where the engine fills it
/// in at the moment of the call (see [`SECRETS_ONLY_IN_HTTP`]).
pub const ROOTS: &[&str] = &["contact", "conversation", "assignee", "trigger", "steps", "system", "secrets"];

/// Why a secret is refused anywhere else: a secret in a message would be sent to a contact,
/// in a condition or a field it would be copied into the run's state.
pub const SECRETS_ONLY_IN_HTTP: &str =
    "`secrets.*` can only be used as `{{ secrets.NAME }}` in an http step's url, headers, body or json";

/// Is `name` a valid workspace secret name: `[a-z][a-z0-9_]{0,63}`?
pub fn is_secret_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Contact attributes. `fields` opens the custom fields.
pub const CONTACT: &[&str] = &[
    "id",
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "language",
    "lifecycle",
    "channel",
    "tags",
    "fields",
    "opted_out",
    "created_at",
];

/// Contact attributes a flow may write (besides `fields.<custom>`).
pub const CONTACT_WRITABLE: &[&str] =
    &["name", "first_name", "last_name", "email", "phone", "country", "language", "lifecycle"];

/// Conversation attributes.
pub const CONVERSATION: &[&str] = &[
    "id",
    "status",
    "channel",
    "assignee_id",
    "team",
    "priority",
    "opened_at",
    "closed_at",
    "closing_category",
    "closing_summary",
    "closed_by",
];

/// Assignee attributes.
pub const ASSIGNEE: &[&str] = &["id", "name", "email", "team", "online"];

/// System values.
pub const SYSTEM: &[&str] = &["now", "today", "time", "weekday", "timezone"];

/// Why a path is not a known variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    /// No such variable anywhere.
    Unknown(String),
    /// A step output, but that step does not run on every path to here.
    NotAvailable(String),
}

/// Words Rhai reserves; they cannot follow a `.`, so no id or field may be one of them.
pub const RESERVED: &[&str] = &[
    "true",
    "false",
    "let",
    "const",
    "if",
    "else",
    "switch",
    "do",
    "while",
    "until",
    "loop",
    "for",
    "in",
    "continue",
    "break",
    "return",
    "throw",
    "try",
    "catch",
    "fn",
    "private",
    "import",
    "export",
    "as",
    "global",
    "this",
    "is",
    "var",
    "static",
    "shared",
    "goto",
    "exit",
    "match",
    "case",
    "public",
    "protected",
    "new",
    "use",
    "with",
    "module",
    "package",
    "super",
    "thread",
    "spawn",
    "go",
    "await",
    "async",
    "sync",
    "yield",
    "default",
    "void",
    "null",
    "nil",
    "call",
    "curry",
    "type_of",
    "print",
    "debug",
    "eval",
    "is_def_var",
    "is_def_fn",
    "is_shared",
];

/// Is a custom field key, step id or output name acceptable? Lowercase identifiers that are
/// not reserved words, so that it works as a property in expressions.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED.contains(&s)
}

/// Why `s` is not an identifier, as a sentence ending for "`s` ..." messages.
pub fn identifier_problem(s: &str) -> &'static str {
    if RESERVED.contains(&s) {
        "is a reserved word in expressions; choose another name"
    } else {
        "must be a lowercase identifier (a-z, 0-9 and _, starting with a letter)"
    }
}

/// Reserved words a person is likely to pick as a name, named in the hint for a reserved id
/// (the whole list is too long to read in a hint).
const TEMPTING_RESERVED: &[&str] =
    &["call", "default", "eval", "exit", "import", "match", "new", "print", "return", "switch", "type_of"];

/// A free identifier close to `s`: `s` made lowercase with other characters as `_`, then
/// `_step` (and a number) added while it is reserved or `taken`. `None` when nothing usable
/// is left of `s`.
pub fn suggest_identifier(s: &str, taken: impl Fn(&str) -> bool) -> Option<String> {
    let mut base = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '_' };
        if !(c == '_' && (base.is_empty() || base.ends_with('_'))) {
            base.push(c);
        }
    }
    let mut base = base.trim_end_matches('_').to_owned();
    if base.is_empty() {
        return None;
    }
    if base.starts_with(|c: char| c.is_ascii_digit()) {
        base.insert_str(0, "step_");
    }
    // Leave room for `_step` and a number within the 64 characters of an id.
    base.truncate(52);
    let free = |c: &str| is_identifier(c) && !taken(c);
    if free(&base) {
        return Some(base);
    }
    let stepped = format!("{base}_step");
    if free(&stepped) {
        return Some(stepped);
    }
    (2..1000).map(|n| format!("{stepped}_{n}")).find(|c| free(c))
}

/// The hint for a name that is not an identifier: which words are reserved when it is one,
/// and a free name to use instead (`suggestion`, from [`suggest_identifier`]).
pub fn identifier_help(s: &str, suggestion: Option<&str>) -> String {
    if RESERVED.contains(&s) {
        let others: Vec<String> = TEMPTING_RESERVED.iter().filter(|w| **w != s).map(|w| format!("`{w}`")).collect();
        let instead = suggestion.map(|n| format!(", for example to `{n}`")).unwrap_or_default();
        format!(
            "the expression language reserves `{s}` and other words ({}, and keywords such as `if`, `let`, \
             `fn`, `true`); rename it{instead}",
            others.join(", ")
        )
    } else {
        let instead = suggestion.map(|n| format!("; for example `{n}`")).unwrap_or_default();
        format!("use a-z, 0-9 and _, starting with a letter, at most 64 characters{instead}")
    }
}

/// Checks a fixed-attribute path: `segments[0]` must be in `known`, and only open
/// attributes may go deeper.
fn check_attrs(root: &str, segments: &[&str], known: &[&str], open: &[&str]) -> Result<(), PathProblem> {
    let Some(first) = segments.first() else { return Ok(()) };
    if !known.contains(first) {
        return Err(PathProblem::Unknown(format!("`{root}.{first}` does not exist; {root} has {}", known.join(", "))));
    }
    if segments.len() > 1 && !open.contains(first) {
        return Err(PathProblem::Unknown(format!("`{root}.{}` does not exist", segments.join("."))));
    }
    Ok(())
}

/// Checks a path against the trigger's variables (`message.*` opens a subtree).
pub fn check_trigger_path(segments: &[&str], trigger_vars: &[String]) -> Result<(), PathProblem> {
    if segments.is_empty() {
        return Ok(());
    }
    let dotted = segments.join(".");
    for var in trigger_vars {
        if let Some(prefix) = var.strip_suffix(".*") {
            if dotted == prefix || dotted.starts_with(&format!("{prefix}.")) {
                return Ok(());
            }
        } else if dotted == *var || var.starts_with(&format!("{dotted}.")) {
            return Ok(());
        }
    }
    let known: Vec<String> = trigger_vars.iter().map(|v| format!("trigger.{}", v.trim_end_matches(".*"))).collect();
    Err(PathProblem::Unknown(format!(
        "`trigger.{dotted}` does not exist for this trigger; it has {}",
        known.join(", ")
    )))
}

/// Checks a non-`steps`, non-`trigger` path.
pub fn check_fixed_path(root: &str, segments: &[&str]) -> Result<(), PathProblem> {
    match root {
        "contact" => check_attrs(root, segments, CONTACT, &["fields", "tags"]),
        "conversation" => check_attrs(root, segments, CONVERSATION, &[]),
        "assignee" => check_attrs(root, segments, ASSIGNEE, &[]),
        "system" => check_attrs(root, segments, SYSTEM, &[]),
        "secrets" => Err(PathProblem::Unknown(SECRETS_ONLY_IN_HTTP.to_owned())),
        other => {
            Err(PathProblem::Unknown(format!("`{other}` is not a variable; variables start with {}", ROOTS.join(", "))))
        }
    }
}

/// Checks a contact path a step writes to (`email`, `fields.plan`).
pub fn check_writable(path: &str) -> Result<(), String> {
    if let Some(key) = path.strip_prefix("fields.") {
        return if is_identifier(key) {
            Ok(())
        } else {
            Err(format!("custom field `{key}` must be a lowercase identifier"))
        };
    }
    if CONTACT_WRITABLE.contains(&path) {
        Ok(())
    } else {
        Err(format!(
            "`{path}` is not a contact field a flow can set; use one of {} or `fields.<name>`",
            CONTACT_WRITABLE.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_paths() {
        assert!(check_fixed_path("contact", &["first_name"]).is_ok());
        assert!(check_fixed_path("contact", &["fields", "plan"]).is_ok());
        assert!(check_fixed_path("contact", &["shoe_size"]).is_err());
        assert!(check_fixed_path("contact", &["email", "domain"]).is_err());
        assert!(check_fixed_path("system", &["now"]).is_ok());
        assert!(check_fixed_path("sytem", &["now"]).is_err());
    }

    #[test]
    fn trigger_paths() {
        let vars = vec!["message.*".to_owned(), "channel".to_owned(), "agent.name".to_owned()];
        assert!(check_trigger_path(&["message", "text"], &vars).is_ok());
        assert!(check_trigger_path(&["channel"], &vars).is_ok());
        assert!(check_trigger_path(&["agent"], &vars).is_ok());
        assert!(check_trigger_path(&["payload"], &vars).is_err());
    }

    #[test]
    fn writable_paths() {
        assert!(check_writable("email").is_ok());
        assert!(check_writable("fields.plan").is_ok());
        assert!(check_writable("fields.Plan-X").is_err());
        assert!(check_writable("id").is_err());
        assert!(check_writable("fields.default").is_err());
        assert!(!is_identifier("match"));
    }
}
