//! # switchboard: the command
//!
//! The `switchboard` binary (`main.rs`) and what only it needs: the command line's workflow
//! tools ([`cli`]) and settings from flags, the environment and a config file ([`config`]).
//! The engine itself is in the crates under `engine/`, whose dependencies point one way:
//!
//! - `steps` (`steps/`) — the language, compiler and step state machines; pure;
//! - [`store`] (`engine/store`) — the database: pools, migrations, rows, the unit of work;
//! - [`channels`] (`engine/channels`) — WhatsApp, LINE and Telegram adapters; no database;
//! - [`runtime`] (`engine/runtime`) — the durable interpreter;
//! - [`server`] (`engine/server`) — the HTTP API and the embedded editor.
//!
//! They are re-exported here under their names, with the runtime's [`clock`], [`http_call`]
//! and [`secrets`] (the keyring) at the top, so tests and tools have one crate to import.

pub mod cli;
pub mod config;

pub use runtime::channels;
pub use runtime::keyring as secrets;
pub use runtime::{clock, http_call};
pub use {runtime, server, store};
