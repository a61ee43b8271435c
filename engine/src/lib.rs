//! # switchboard: the engine
//!
//! The durable interpreter, its store, the HTTP server and the `switchboard` command are
//! built here on top of the pure core in `switchboard-steps` (imported as `steps`).
//!
//! - [`runtime`] — the durable interpreter and its store;
//! - [`channels`] — WhatsApp, LINE and Telegram adapters and the channel connections;
//! - [`clock`] — injected time;
//! - [`http_call`] — the HTTP step's client, with its private-address guard;
//! - [`cli`] — the command line's workflow tools;
//! - [`config`] — settings from flags, the environment and a config file;
//! - [`secrets`] — the secret key and values sealed at rest;
//! - [`server`] — the HTTP API.

pub mod channels;
pub mod cli;
pub mod clock;
pub mod config;
pub mod http_call;
pub mod runtime;
pub mod secrets;
pub mod server;
pub mod store;
