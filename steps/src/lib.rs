//! # switchboard-steps: the pure core of Switchboard
//!
//! Everything about a workflow that can be decided without I/O lives here, so that it can
//! be tested exhaustively and run identically in the server, the CLI and the tests. The
//! modules, from the file to the running step:
//!
//! - [`source`] loads YAML or JSON with a source map (every value's line and column);
//! - [`compile`] turns a workflow file into an immutable [`workflow::CompiledWorkflow`]
//!   (a petgraph of steps) or reports every problem at once as [`diagnostic::Diagnostic`]s
//!   (stable codes, rustc-style rendering: [`diagnostic`]);
//!   [`workflow`] holds the compiled types, [`ids`] the spelling of step and workflow ids,
//!   [`trigger`] the trigger types and workflow settings, [`vars`] the variable catalogue,
//!   [`window`] the WhatsApp 24-hour-window warning, [`duration`] durations as written;
//! - [`kinds`] holds one state machine per step kind: given its config, the run's
//!   variables and the time, it returns [`machine::Effect`]s and what comes next;
//!   [`machine`] is that contract with the engine, [`message`] the messages it carries;
//! - [`answer`] decides whether a reply answers a question (choices, email, phone, date,
//!   ratings, ...); [`template`], [`condition`] and [`expr`] fill in variables and evaluate
//!   conditions in a sandboxed Rhai engine;
//! - [`identifier`] is a person's channel-verified identifier (a phone number), which joins
//!   a new channel address to an existing contact;
//! - [`schema`] produces the JSON Schema of the file format and of each step kind;
//!   [`generate`] writes large workflows for benchmarks and tests.
//!
//! Layers point one way: [`kinds`] never names [`compile`] (the ids and the compiled types
//! they share are in [`ids`] and [`workflow`]); `tests/layers.rs` keeps it so.
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
pub mod ids;
pub mod kinds;
pub mod machine;
pub mod message;
pub mod schema;
pub mod source;
pub mod template;
pub mod trigger;
pub mod vars;
pub mod window;
pub mod workflow;

pub use compile::{compile, Compilation};
pub use diagnostic::{Code, Diagnostic, Pos, Severity};
pub use kinds::StepConfig;
pub use machine::{Effect, Input, Next, Outcome, StepContext, Transition, Wait};
pub use workflow::{CompiledStep, CompiledWorkflow};
