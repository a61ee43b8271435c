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
//!
//! Besides the sandbox (this file): `operators.rs` holds the forgiving operators behind
//! condition rows, `convert.rs` JSON ↔ Rhai, `paths.rs` the variable paths an expression
//! reads (for the compiler).

mod convert;
mod operators;
mod paths;
#[cfg(test)]
mod tests;

pub use convert::{to_dynamic, to_json};
pub use paths::referenced_paths;

use operators::register_operators;

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicIteratorPackage, BasicMapPackage, BasicMathPackage, BasicStringPackage,
    BitFieldPackage, LogicPackage, MoreStringPackage, Package,
};
use rhai::{ASTNode, Dynamic, Engine, EvalAltResult, OptimizationLevel, Position, Scope, AST};
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
