//! The Rhai sandbox: the one place expressions are compiled and evaluated. Conditions,
//! template holes and trigger filters all go through here, with the same limits.
//!
//! Expressions are compiled with `compile_expression`, so statements, loops, function
//! definitions and closures are refused at compile time: an expression cannot loop. The
//! operation, depth and size limits are the backstop for whatever else could run long or
//! grow large.
//!
//! Expressions are pure: the engine is built from Rhai's raw engine with only the packages
//! that compute (arithmetic, logic, text, maths, lists, maps, ranges, bit fields) — not the
//! core package (`sleep`, `exit`, `parse_json`, reflection) nor the time package
//! (`timestamp`). A call to any function the engine does not have is refused when the
//! expression is compiled, with its position, and every evaluation runs under a time budget
//! ([`limits::MAX_EVAL_TIME`]) on top of the operation count. This crate never reads the
//! clock: the engine hands it a monotonic [`Stopwatch`] with [`use_stopwatch`].

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicIteratorPackage, BasicMapPackage, BasicMathPackage, BasicStringPackage,
    BitFieldPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{ASTNode, Dynamic, Engine, EvalAltResult, ImmutableString, Map, OptimizationLevel, Position, Scope, AST};
use serde_json::Value;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

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
    /// Wall-clock time one evaluation may take. The operation count bounds the work; this
    /// bounds it in time too, whatever a native function costs, so that no expression can
    /// hold up other contacts for long.
    pub const MAX_EVAL_TIME: std::time::Duration = std::time::Duration::from_millis(50);
    /// Wall-clock time all the evaluations of one step's start or resume may take together
    /// (a message with many template holes, a branch with many rows); see [`super::within_budget`].
    pub const MAX_STEP_TIME: std::time::Duration = std::time::Duration::from_millis(100);
}

/// Functions that exist but are not for expressions: printing would reach the server's
/// output, so it is refused at compile time instead of being silently dropped.
const REFUSED_FUNCTIONS: &[&str] = &["print", "debug"];

/// Names that Rhai's evaluator handles itself rather than through a registered function.
const BUILT_IN_FUNCTIONS: &[&str] = &["type_of"];

/// A monotonic clock: the time elapsed since some fixed moment. The engine provides one so
/// that evaluations can be bounded in time without this crate reading the clock.
pub type Stopwatch = fn() -> Duration;

static STOPWATCH: OnceLock<Stopwatch> = OnceLock::new();

/// Gives the sandbox its clock for the time budget (the first call wins). Without one, only
/// the operation count bounds an evaluation.
pub fn use_stopwatch(stopwatch: Stopwatch) {
    let _ = STOPWATCH.set(stopwatch);
}

thread_local! {
    /// When the evaluation running on this thread must stop, on the [`Stopwatch`]'s scale
    /// (set by [`Expr::eval`]).
    static DEADLINE: Cell<Option<Duration>> = const { Cell::new(None) };
    /// When the work that [`within_budget`] wraps must stop: every evaluation inside it
    /// ends by then, however many there are.
    static SHARED_DEADLINE: Cell<Option<Duration>> = const { Cell::new(None) };
}

/// Runs `work` (synchronous: a step's start or resume) with one time budget shared by every
/// evaluation inside it, so that many expressions cannot add up to more than `budget`. Nested
/// budgets keep the earlier deadline.
pub fn within_budget<T>(budget: Duration, work: impl FnOnce() -> T) -> T {
    let Some(now) = STOPWATCH.get() else { return work() };
    let outer = SHARED_DEADLINE.with(Cell::get);
    let deadline = now() + budget;
    SHARED_DEADLINE.with(|d| d.set(Some(outer.map_or(deadline, |o| o.min(deadline)))));
    let result = work();
    SHARED_DEADLINE.with(|d| d.set(outer));
    result
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
            let message = e.0.to_string();
            let message = if message.contains("'|' is a reserved symbol") {
                "closures (`|x| ...`) are not allowed in expressions".to_owned()
            } else {
                message
            };
            syntax(message, e.1)
        })?;
        check_calls(&ast)?;
        Ok(Expr { source: source.into(), ast: Arc::new(ast) })
    }

    /// The text this was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates against the run's variables (an object whose keys are the roots:
    /// `contact`, `conversation`, `steps`, ...). The result comes back as JSON.
    pub fn eval(&self, vars: &Value) -> Result<Value, ExprError> {
        self.eval_within(vars, limits::MAX_EVAL_TIME)
    }

    /// [`Expr::eval`] with a time budget of `budget` instead of [`limits::MAX_EVAL_TIME`].
    fn eval_within(&self, vars: &Value, budget: Duration) -> Result<Value, ExprError> {
        let mut scope = Scope::new();
        if let Value::Object(roots) = vars {
            for (name, value) in roots {
                scope.push_constant_dynamic(name.as_str(), to_dynamic(value));
            }
        }
        let shared = SHARED_DEADLINE.with(Cell::get);
        let own = STOPWATCH.get().map(|now| now() + budget);
        DEADLINE.with(|d| d.set(own.map(|o| shared.map_or(o, |s| s.min(o)))));
        let result = engine().eval_ast_with_scope::<Dynamic>(&mut scope, &self.ast);
        DEADLINE.with(|d| d.set(None));
        let result = result.map_err(|e| match *e {
            EvalAltResult::ErrorTerminated(..) => ExprError::Runtime(format!(
                "`{}` ran longer than {} ms and was stopped",
                self.source,
                budget.as_millis()
            )),
            other => ExprError::Runtime(other.to_string()),
        })?;
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

fn syntax(message: String, pos: Position) -> ExprError {
    ExprError::Syntax { message, line: pos.line().unwrap_or(1), col: pos.position().unwrap_or(1) }
}

/// Refuses a call to any function the sandbox does not offer (`sleep`, `timestamp`, a typo),
/// at the position of the call, so that the author learns it when the workflow is compiled
/// rather than when a contact reaches the step.
fn check_calls(ast: &AST) -> Result<(), ExprError> {
    let mut refused: Option<ExprError> = None;
    ast.walk(&mut |path: &[ASTNode]| {
        // A call is an expression, or a statement when it is the whole expression.
        let (call, pos) = match path.last() {
            Some(ASTNode::Expr(rhai::Expr::FnCall(call, pos) | rhai::Expr::MethodCall(call, pos))) => (call, *pos),
            Some(ASTNode::Stmt(rhai::Stmt::FnCall(call, pos))) => (call, *pos),
            _ => return true,
        };
        // Operators (`==`, `+`, `&&`) are calls too; Rhai implements them itself.
        if call.op_token.is_some() {
            return true;
        }
        let name = call.name.as_str();
        if callable().contains(name) {
            return true;
        }
        let why = if REFUSED_FUNCTIONS.contains(&name) {
            format!("`{name}` is not available in expressions: they compute a value and have no effects")
        } else {
            format!(
                "`{name}` is not a function expressions may call: expressions are pure and quick \
                 (no waiting, clock, randomness or input/output); see the README's list"
            )
        };
        refused = Some(syntax(why, pos));
        false
    });
    refused.map_or(Ok(()), Err)
}

/// Every function name an expression may call: what the sandboxed engine has, less the
/// refused ones.
pub fn callable() -> &'static BTreeSet<String> {
    static NAMES: OnceLock<BTreeSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: BTreeSet<String> =
            engine().collect_fn_metadata(None, |info| Some(info.metadata.name.to_string()), true).into_iter().collect();
        names.extend(BUILT_IN_FUNCTIONS.iter().map(|s| (*s).to_owned()));
        for refused in REFUSED_FUNCTIONS {
            names.remove(*refused);
        }
        names
    })
}

/// The shared, configured engine. Building one registers the packages, so we do it once per
/// process.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        // The raw engine has no functions at all; only packages that compute are added, so
        // nothing can wait, read the clock, draw random numbers or reach the outside.
        let mut e = Engine::new_raw();
        LogicPackage::new().register_into_engine(&mut e);
        ArithmeticPackage::new().register_into_engine(&mut e);
        BasicStringPackage::new().register_into_engine(&mut e);
        MoreStringPackage::new().register_into_engine(&mut e);
        BasicMathPackage::new().register_into_engine(&mut e);
        BasicArrayPackage::new().register_into_engine(&mut e);
        BasicMapPackage::new().register_into_engine(&mut e);
        BasicIteratorPackage::new().register_into_engine(&mut e);
        BitFieldPackage::new().register_into_engine(&mut e);
        e.on_progress(|operations| {
            // Reading the clock costs more than an operation, so look every 256 of them.
            if operations % 256 != 0 {
                return None;
            }
            let late = match (DEADLINE.with(|d| d.get()), STOPWATCH.get()) {
                (Some(deadline), Some(now)) => now() > deadline,
                _ => false,
            };
            late.then_some(Dynamic::UNIT)
        });
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
    fn impure_functions_are_refused_with_their_position() {
        for (src, name, col) in [
            ("sleep(15) == ()", "sleep", 1),
            ("op_eq(1, 1) && timestamp() > 0", "timestamp", 16),
            ("contact.first_name + exit()", "exit", 22),
            ("print(\"x\")", "print", 1),
            ("parse_json(\"{}\")", "parse_json", 1),
            ("contact.tags.sleep()", "sleep", 14),
        ] {
            match Expr::compile(src) {
                Err(ExprError::Syntax { message, line, col: c }) => {
                    assert!(message.contains(&format!("`{name}`")), "{src}: {message}");
                    assert_eq!((line, c), (1, col), "{src}");
                }
                other => panic!("{src} should be refused, got {other:?}"),
            }
        }
        // What expressions are for still works.
        for src in [
            "contact.first_name.to_upper() + \" \" + contact.tags.len()",
            "contact.fields.age.parse_int() > 40 && \"vip\" in contact.tags",
            "round(3.6) == 4.0 && abs(-2) == 2 && type_of(1) == \"i64\"",
            "contact.fields.plan.sub_string(0, 1)",
        ] {
            let e = Expr::compile(src).unwrap_or_else(|e| panic!("{src}: {e}"));
            e.eval(&vars()).unwrap_or_else(|e| panic!("{src}: {e}"));
        }
        assert!(callable().contains("to_upper") && !callable().contains("sleep"));
    }

    /// A stopwatch that moves 1 ms each time it is read.
    fn ticking() -> Duration {
        static TICKS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Duration::from_millis(TICKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }

    #[test]
    fn evaluation_has_a_time_budget() {
        use_stopwatch(ticking);
        // Enough operations for the budget to be looked at; with no time left it stops.
        let e = Expr::compile("[1, 2, 3, 4, 5, 6, 7, 8].len() + (1..300).end + contact.tags.len()").unwrap();
        assert!(e.eval(&vars()).is_ok());
        // Variables are not folded away by the optimiser, so each one costs an operation.
        let long = Expr::compile(&format!("[{}].len()", "steps, ".repeat(400))).unwrap();
        let err = long.eval_within(&vars(), Duration::ZERO).unwrap_err();
        assert!(err.to_string().contains("ran longer than"), "{err}");
        assert_eq!(long.eval(&vars()).unwrap(), json!(400));
        // Inside a shared budget that is spent, each evaluation stops although it has its own.
        let err = within_budget(Duration::ZERO, || long.eval(&vars())).unwrap_err();
        assert!(err.to_string().contains("ran longer than"), "{err}");
        assert!(within_budget(Duration::from_secs(60), || long.eval(&vars())).is_ok());
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
