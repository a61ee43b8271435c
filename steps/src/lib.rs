//! # switchboard-steps: the pure core of Switchboard
//!
//! Everything about a workflow that can be decided without I/O lives here, so that it can
//! be tested exhaustively and run identically in the server, the CLI and the tests:
//!
//! - [`source`] loads YAML or JSON with a source map (every value's line and column);
//! - [`compile`] turns a workflow file into an immutable [`compile::CompiledWorkflow`]
//!   (a petgraph of steps) or reports every problem at once as [`diagnostic::Diagnostic`]s;
//! - [`kinds`] holds one state machine per step kind: given its config, the run's
//!   variables and the time, it returns [`machine::Effect`]s and what comes next;
//! - [`answer`] decides whether a reply answers a question (choices, email, phone, date,
//!   ratings, ...); [`template`], [`condition`] and [`expr`] fill in variables and evaluate
//!   conditions in a sandboxed Rhai engine;
//! - [`schema`] produces the JSON Schema of the file format and of each step kind.
//!
//! This crate never touches tokio, SQL, HTTP or the clock: the engine supplies `now` and
//! performs the effects. A test in `engine/tests/` checks the dependency tree to keep it so.

pub mod answer;
pub mod compile;
pub mod condition;
pub mod diagnostic;
pub mod duration;
pub mod expr;
pub mod generate;
pub mod identifier;
pub mod kinds;
pub mod machine;
pub mod message;
pub mod schema;
pub mod source;
pub mod template;
pub mod trigger;
pub mod vars;
pub mod window;

pub use compile::{compile, Compilation, CompiledStep, CompiledWorkflow};
pub use diagnostic::{Code, Diagnostic, Pos, Severity};
pub use kinds::StepConfig;
pub use machine::{Effect, Input, Next, Outcome, StepContext, Transition, Wait};
