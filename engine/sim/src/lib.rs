//! The deterministic simulator (issue 18): the real engine — queue, batches, steps, outbox,
//! timers, schedules, assignment, channel rules — driven from one seed through a workload of
//! contacts, agents and operators, with faults (failing commits, crashes at any durable step,
//! failing, slow and lying endpoints, redelivered and reordered events), on simulated time.
//! The engine's promises are checked as it runs and at the end (`checks.rs`); a failing seed
//! prints the one command that replays it.
//!
//! - `driver.rs` — one simulation: the engine's lifecycle (open, crash, reopen), the actions,
//!   the final drain.
//! - `workload.rs` — what happens next, drawn from the seed.
//! - `world.rs` — the simulated channel and endpoints, and the fault plan.
//! - `flows.rs` — the reference workflows and the generated ones.
//! - `checks.rs` — the promises, as checks on the store and on what the world saw.
//! - `many.rs` — many seeds on a few threads, time-boxed.

mod checks;
mod driver;
mod flows;
mod many;
mod workload;
pub mod world;

pub use driver::remove_template;
pub use many::{run_many, Summary};
pub use runtime::transport::Sabotage;

/// How big one simulation is, and which promise (if any) is broken on purpose.
#[derive(Debug, Clone)]
pub struct Config {
    /// Workload actions before the final drain.
    pub steps: usize,
    /// Contacts writing in.
    pub contacts: usize,
    /// Per thousand durable steps: crashes.
    pub crash_per_mille: u32,
    /// Per thousand commits: failures.
    pub fail_per_mille: u32,
    /// A promise broken on purpose (to show the simulator finds it).
    pub sabotage: Option<Sabotage>,
    /// Print every action as it happens.
    pub verbose: bool,
    /// Engines sharing the store (more than one needs PostgreSQL): each action is taken by
    /// one of them; one may be paused past its outbox lease while another takes over.
    pub engines: usize,
    /// A PostgreSQL server (`postgres://…`): each seed runs on a scratch database of its own
    /// there instead of an SQLite file.
    pub postgres: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            steps: 60,
            contacts: 4,
            crash_per_mille: 6,
            fail_per_mille: 8,
            sabotage: None,
            verbose: false,
            engines: 1,
            postgres: None,
        }
    }
}

impl Config {
    /// The size CI runs 10,000 seeds of (a few minutes on two cores): fewer actions and
    /// contacts per seed than the long mode's default.
    pub fn ci() -> Config {
        Config { steps: 30, contacts: 3, ..Config::default() }
    }

    /// Three engines sharing a scratch database on the PostgreSQL server `server`, at the CI
    /// size.
    pub fn postgres_ci(server: String) -> Config {
        Config { engines: 3, postgres: Some(server), ..Config::ci() }
    }

    /// The command that replays `seed` with this configuration exactly.
    pub fn replay_command(&self, seed: u64) -> String {
        let mut command = format!(
            "cargo run -p switchboard-sim -- --seed {seed} --steps {} --contacts {} --crash {} --fail {}",
            self.steps, self.contacts, self.crash_per_mille, self.fail_per_mille
        );
        if let Some(server) = &self.postgres {
            command.push_str(&format!(" --engines {} --postgres {server}", self.engines));
        }
        if let Some(s) = self.sabotage {
            let name = Sabotage::ALL.iter().find(|(_, x)| *x == s).map(|(n, _)| *n).unwrap_or("?");
            command.push_str(&format!(" --sabotage {name}"));
        }
        command.push_str(" --verbose");
        command
    }
}

/// What one seed came to.
#[derive(Debug, Clone)]
pub struct Report {
    pub seed: u64,
    /// Broken promises; empty when the seed passed.
    pub violations: Vec<String>,
    /// Figures: actions, crashes, events accepted, effects performed, runs.
    pub figures: Figures,
    /// A fingerprint of everything observable (what the world saw, in order, and the final
    /// store), equal on every replay of the seed.
    pub fingerprint: u64,
}

/// What one simulation did.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub actions: usize,
    pub crashes: usize,
    pub failed_commits: usize,
    pub events: usize,
    pub effects: usize,
    pub runs: usize,
    pub simulated_ms: i64,
    /// Engines paused past their outbox lease while another took over.
    pub pauses: usize,
}

/// Runs one seed on the current thread (a runtime of its own); a panic anywhere in the
/// engine is a broken promise of its own.
pub fn run_seed(seed: u64, config: &Config) -> Report {
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
        match rt {
            Ok(rt) => rt.block_on(driver::simulate(seed, config)),
            Err(e) => Report::broken(seed, format!("no runtime: {e}")),
        }
    }));
    run.unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        Report::broken(seed, format!("the engine panicked: {what}"))
    })
}

impl Report {
    fn broken(seed: u64, why: String) -> Report {
        Report { seed, violations: vec![why], figures: Figures::default(), fingerprint: 0 }
    }
}
