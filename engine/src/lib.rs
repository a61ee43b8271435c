//! # switchboard: the engine
//!
//! The durable interpreter, its store, the HTTP server and the `switchboard` command are
//! built here on top of the pure core in `switchboard-steps` (imported as `steps`).
//!
//! So far this crate holds the command line's workflow tools ([`cli`]); the interpreter,
//! store and server follow in later issues (see `ARCHITECTURE.md`).

pub mod cli;
