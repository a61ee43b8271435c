//! The Rhai sandbox: the one place expressions are compiled and evaluated. Conditions,
//! template holes and trigger filters all go through here, with the same limits.
//!
//! Expressions are compiled with `compile_expression`, so statements, loops, function
//! definitions and closures are refused at compile time: an expression cannot loop. The
//! operation, depth and size limits are the backstop for whatever else could run long or
//! grow large.

use rhai::{Dynamic, Engine, ImmutableString, Map, OptimizationLevel, Scope, AST};
use serde_json::Value;
use std::sync::{Arc, OnceLock};

/// Limits on what one evaluation may do. They are deliberately small: a condition reads a
/// few variables and compares them.
pub mod limits {
    /// Rhai operations per evaluation (each expression node costs about one).
    pub const MAX_OPERATIONS: u64 = 50_000;
    /// Nested function calls.
    pub const MAX_CALL_LEVELS: usize = 16;
    /// Nesting depth of the expression itself.
    pub const MAX_EXPR_DEPTH: usize = 32;
    /// Characters in any string built during evaluation.
    pub const MAX_STRING_SIZE: usize = 16_384;
    /// Elements in any array built during evaluation.
    pub const MAX_ARRAY_SIZE: usize = 1_024;
    /// Entries in any map built during evaluation.
    pub const MAX_MAP_SIZE: usize = 1_024;
    /// Characters in an expression's source.
    pub const MAX_SOURCE_LEN: usize = 4_096;
}

/// Why an expression failed to compile or run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    #[error("{message}")]
    Syntax { message: String, line: usize, col: usize },
    #[error("expression is longer than {} characters", limits::MAX_SOURCE_LEN)]
    TooLong,
    #[error("{0}")]
    Runtime(String),
}

/// A compiled expression, cheap to clone and share across threads.
#[derive(Debug, Clone)]
pub struct Expr {
    source: Arc<str>,
    ast: Arc<AST>,
}

impl Expr {
    /// Compiles `source` in the sandbox.
    pub fn compile(source: &str) -> Result<Expr, ExprError> {
        if source.len() > limits::MAX_SOURCE_LEN {
            return Err(ExprError::TooLong);
        }
        let ast = engine().compile_expression(source).map_err(|e| {
            let pos = e.1;
            let message = e.0.to_string();
            let message = if message.contains("'|' is a reserved symbol") {
                "closures (`|x| ...`) are not allowed in expressions".to_owned()
            } else {
                message
            };
            ExprError::Syntax { message, line: pos.line().unwrap_or(1), col: pos.position().unwrap_or(1) }
        })?;
        Ok(Expr { source: source.into(), ast: Arc::new(ast) })
    }

    /// The text this was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates against the run's variables (an object whose keys are the roots:
    /// `contact`, `conversation`, `steps`, ...). The result comes back as JSON.
    pub fn eval(&self, vars: &Value) -> Result<Value, ExprError> {
        let mut scope = Scope::new();
        if let Value::Object(roots) = vars {
            for (name, value) in roots {
                scope.push_constant_dynamic(name.as_str(), to_dynamic(value));
            }
        }
        let result: Dynamic =
            engine().eval_ast_with_scope(&mut scope, &self.ast).map_err(|e| ExprError::Runtime(e.to_string()))?;
        Ok(to_json(&result))
    }

    /// Evaluates and requires a boolean, as conditions do.
    pub fn eval_bool(&self, vars: &Value) -> Result<bool, ExprError> {
        match self.eval(vars)? {
            Value::Bool(b) => Ok(b),
            other => Err(ExprError::Runtime(format!(
                "a condition must be true or false, but `{}` gave {}",
                self.source,
                describe(&other)
            ))),
        }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing (a missing value)".to_owned(),
        Value::String(s) => format!("the text {s:?}"),
        other => other.to_string(),
    }
}

/// The shared, configured engine. Building one registers the standard packages, so we do it
/// once per process.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut e = Engine::new();
        e.set_max_operations(limits::MAX_OPERATIONS)
            .set_max_call_levels(limits::MAX_CALL_LEVELS)
            .set_max_expr_depths(limits::MAX_EXPR_DEPTH, limits::MAX_EXPR_DEPTH)
            .set_max_string_size(limits::MAX_STRING_SIZE)
            .set_max_array_size(limits::MAX_ARRAY_SIZE)
            .set_max_map_size(limits::MAX_MAP_SIZE)
            .set_optimization_level(OptimizationLevel::Simple)
            .set_fail_on_invalid_map_property(false);
        // Printing would reach the server's stdout; expressions have no business doing it.
        e.on_print(|_| {});
        e.on_debug(|_, _, _| {});
        e.disable_symbol("eval");
        // Closures (`|x| ...`) would let `map` and friends run script code that the operation
        // counter does not see, so they are refused; `||` is a different token and still works.
        e.disable_symbol("|");
        register_operators(&mut e);
        e
    })
}

/// The operators behind structured condition rows. They never fail: a missing value simply
/// compares false, so a contact without a field takes the else branch instead of failing the run.
fn register_operators(e: &mut Engine) {
    e.register_fn("op_eq", |a: Dynamic, b: Dynamic| loose_eq(&a, &b));
    e.register_fn("op_neq", |a: Dynamic, b: Dynamic| !loose_eq(&a, &b));
    e.register_fn("op_contains", |a: Dynamic, b: Dynamic| contains(&a, &b));
    e.register_fn("op_not_contains", |a: Dynamic, b: Dynamic| !contains(&a, &b));
    e.register_fn("op_starts_with", |a: Dynamic, b: Dynamic| text_pair(&a, &b).is_some_and(|(a, b)| a.starts_with(&b)));
    e.register_fn("op_ends_with", |a: Dynamic, b: Dynamic| text_pair(&a, &b).is_some_and(|(a, b)| a.ends_with(&b)));
    e.register_fn("op_gt", |a: Dynamic, b: Dynamic| compare(&a, &b).is_some_and(|o| o.is_gt()));
    e.register_fn("op_gte", |a: Dynamic, b: Dynamic| compare(&a, &b).is_some_and(|o| o.is_ge()));
    e.register_fn("op_lt", |a: Dynamic, b: Dynamic| compare(&a, &b).is_some_and(|o| o.is_lt()));
    e.register_fn("op_lte", |a: Dynamic, b: Dynamic| compare(&a, &b).is_some_and(|o| o.is_le()));
    e.register_fn("op_is_set", |a: Dynamic| is_set(&a));
    e.register_fn("op_is_not_set", |a: Dynamic| !is_set(&a));
    e.register_fn("op_in", |a: Dynamic, list: Dynamic| contains(&list, &a));
    e.register_fn("op_not_in", |a: Dynamic, list: Dynamic| !contains(&list, &a));
}

fn as_number(d: &Dynamic) -> Option<f64> {
    if let Ok(i) = d.as_int() {
        return Some(i as f64);
    }
    if let Ok(f) = d.as_float() {
        return Some(f);
    }
    d.clone().into_immutable_string().ok().and_then(|s| s.trim().parse::<f64>().ok()).filter(|f| f.is_finite())
}

fn as_text(d: &Dynamic) -> Option<String> {
    if d.is_unit() {
        return None;
    }
    if let Ok(s) = d.clone().into_immutable_string() {
        return Some(s.to_string());
    }
    if d.is_int() || d.is_float() || d.is_bool() {
        return Some(d.to_string());
    }
    None
}

fn text_pair(a: &Dynamic, b: &Dynamic) -> Option<(String, String)> {
    Some((as_text(a)?.to_lowercase(), as_text(b)?.to_lowercase()))
}

/// Equality the way a person reading a condition row expects it: numbers by value (`"5"`
/// equals `5`), text without regard to case, missing equals nothing.
fn loose_eq(a: &Dynamic, b: &Dynamic) -> bool {
    if a.is_unit() || b.is_unit() {
        return a.is_unit() && b.is_unit();
    }
    if a.is_bool() || b.is_bool() {
        return match (a.as_bool(), b.as_bool()) {
            (Ok(x), Ok(y)) => x == y,
            _ => as_text(a).map(|s| s.to_lowercase()) == as_text(b).map(|s| s.to_lowercase()),
        };
    }
    if (a.is_int() || a.is_float()) || (b.is_int() || b.is_float()) {
        if let (Some(x), Some(y)) = (as_number(a), as_number(b)) {
            return x == y;
        }
    }
    match text_pair(a, b) {
        Some((x, y)) => x == y,
        None => a.to_string() == b.to_string(),
    }
}

fn contains(haystack: &Dynamic, needle: &Dynamic) -> bool {
    if let Some(items) = haystack.read_lock::<rhai::Array>() {
        return items.iter().any(|item| loose_eq(item, needle));
    }
    if let Some(map) = haystack.read_lock::<Map>() {
        return as_text(needle).is_some_and(|k| map.contains_key(k.as_str()));
    }
    text_pair(haystack, needle).is_some_and(|(h, n)| h.contains(&n))
}

fn compare(a: &Dynamic, b: &Dynamic) -> Option<std::cmp::Ordering> {
    if let (Some(x), Some(y)) = (as_number(a), as_number(b)) {
        return x.partial_cmp(&y);
    }
    // Text compares without regard to case, like equality does; ISO dates compare in order.
    let (x, y) = (a.clone().into_immutable_string().ok()?, b.clone().into_immutable_string().ok()?);
    Some(x.to_lowercase().cmp(&y.to_lowercase()))
}

fn is_set(a: &Dynamic) -> bool {
    if a.is_unit() {
        return false;
    }
    if let Ok(s) = a.clone().into_immutable_string() {
        return !s.trim().is_empty();
    }
    if let Some(items) = a.read_lock::<rhai::Array>() {
        return !items.is_empty();
    }
    true
}

/// JSON to Rhai. Objects become maps, so `contact.fields.plan` is a property lookup.
pub fn to_dynamic(value: &Value) -> Dynamic {
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => Dynamic::from_bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from_int(i),
            None => Dynamic::from_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Dynamic::from(ImmutableString::from(s.as_str())),
        Value::Array(items) => Dynamic::from_array(items.iter().map(to_dynamic).collect()),
        Value::Object(map) => {
            let mut m = Map::new();
            for (k, v) in map {
                m.insert(k.as_str().into(), to_dynamic(v));
            }
            Dynamic::from_map(m)
        }
    }
}

/// Rhai to JSON, for journaling results and rendering them into text.
pub fn to_json(value: &Dynamic) -> Value {
    if value.is_unit() {
        return Value::Null;
    }
    if let Ok(b) = value.as_bool() {
        return Value::Bool(b);
    }
    if let Ok(i) = value.as_int() {
        return Value::Number(i.into());
    }
    if let Ok(f) = value.as_float() {
        return serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null);
    }
    if let Ok(s) = value.clone().into_immutable_string() {
        return Value::String(s.to_string());
    }
    if let Some(items) = value.read_lock::<rhai::Array>() {
        return Value::Array(items.iter().map(to_json).collect());
    }
    if let Some(map) = value.read_lock::<Map>() {
        return Value::Object(map.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect());
    }
    Value::String(value.to_string())
}

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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars() -> Value {
        json!({
            "contact": {"first_name": "Ana", "tags": ["vip", "es"], "fields": {"plan": "Gold", "age": "41"}},
            "steps": {"ask": {"answer": 2}},
        })
    }

    fn eval(src: &str) -> Value {
        Expr::compile(src).unwrap().eval(&vars()).unwrap()
    }

    #[test]
    fn operators_are_forgiving() {
        for (src, expected) in [
            ("op_eq(contact.fields.plan, \"gold\")", true),
            ("op_eq(contact.fields.age, 41)", true),
            ("op_gt(contact.fields.age, 40)", true),
            ("op_contains(contact.tags, \"VIP\")", true),
            ("op_contains(contact.fields.plan, \"ol\")", true),
            ("op_not_contains(contact.tags, \"b2b\")", true),
            ("op_lte(steps.ask.answer, 2)", true),
            ("op_gt(contact.fields.missing, 1)", false),
            ("op_eq(contact.fields.missing, \"x\")", false),
            ("op_is_set(contact.fields.missing)", false),
            ("op_is_set(contact.first_name)", true),
            ("op_in(contact.fields.plan, [\"gold\", \"silver\"])", true),
            ("op_starts_with(contact.first_name, \"an\")", true),
            ("op_gt(\"b\", \"A\")", true),
            ("op_lt(\"2026-01-31\", \"2026-02-01\")", true),
            ("op_gt(\"nan\", 1)", false),
        ] {
            assert_eq!(eval(src), json!(expected), "{src}");
        }
    }

    #[test]
    fn statements_and_loops_do_not_compile() {
        for src in ["loop {}", "while true {}", "let x = 1; x", "fn f() { f() }", "eval(\"1\")"] {
            assert!(matches!(Expr::compile(src), Err(ExprError::Syntax { .. })), "{src}");
        }
    }

    #[test]
    fn nothing_can_loop_or_grow_unbounded() {
        // Closures would let native `map` run uncounted script code, so they do not compile.
        let err = Expr::compile("[1, 2].map(|x| x * 2)").unwrap_err();
        assert!(err.to_string().contains("closures"), "{err}");
        assert_eq!(eval("op_eq(1, 1) || false"), serde_json::json!(true));
        assert!(matches!(Expr::compile(&"1+".repeat(3000)), Err(ExprError::TooLong)));
        // Deep nesting is refused before it can exhaust the stack.
        let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        assert!(Expr::compile(&deep).is_err());
    }

    #[test]
    fn conditions_must_be_boolean() {
        let e = Expr::compile("contact.first_name").unwrap();
        assert!(e.eval_bool(&vars()).unwrap_err().to_string().contains("true or false"));
    }

    #[test]
    fn finds_referenced_variables() {
        let roots = ["contact", "steps", "trigger"];
        assert_eq!(
            referenced_paths(
                "steps.ask.answer > 3 && contact.tags.contains(\"steps.x\") || trigger?.form.reason == 'a'",
                &roots
            ),
            vec!["steps.ask.answer", "contact.tags", "trigger.form.reason"]
        );
        assert_eq!(referenced_paths("x.steps.y", &roots), Vec::<String>::new());
    }
}
