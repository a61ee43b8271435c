//! `switchboard-sim`: runs the deterministic simulator from the command line.
//!
//! ```text
//! switchboard-sim --seed 42 --verbose          # replay one seed, printing every action
//! switchboard-sim --seeds 100000 --from 0      # the long mode: many seeds, all cores
//! switchboard-sim --sabotage skip-http-wakeup  # break a promise on purpose: it must be found
//! switchboard-sim --engines 3 --postgres postgres://postgres@127.0.0.1/postgres  # several engines
//! ```
//! A failing seed prints the command that replays it; the exit code is 1.

use clap::Parser;
use std::time::Duration;
use switchboard_sim::{run_many, run_seed, Config, Sabotage};

#[derive(Parser, Debug)]
#[command(name = "switchboard-sim", about = "The deterministic simulator of the Switchboard engine")]
struct Args {
    /// Replay this one seed.
    #[arg(long)]
    seed: Option<u64>,
    /// How many seeds to run (from `--from`).
    #[arg(long, default_value_t = 1000)]
    seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Workload actions per seed.
    #[arg(long, default_value_t = Config::default().steps)]
    steps: usize,
    /// Contacts per seed.
    #[arg(long, default_value_t = Config::default().contacts)]
    contacts: usize,
    /// Crashes per thousand durable steps.
    #[arg(long, default_value_t = Config::default().crash_per_mille)]
    crash: u32,
    /// Failed commits per thousand commits.
    #[arg(long, default_value_t = Config::default().fail_per_mille)]
    fail: u32,
    /// Break a promise on purpose (new-key-on-retry, skip-http-wakeup, forget-duplicates, late-timers).
    #[arg(long)]
    sabotage: Option<Sabotage>,
    /// Threads (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 3600)]
    seconds: u64,
    /// Print every action.
    #[arg(long)]
    verbose: bool,
    /// Engines sharing the store (more than one needs `--postgres`).
    #[arg(long, default_value_t = 1)]
    engines: usize,
    /// A PostgreSQL server: each seed gets a scratch database there (instead of SQLite).
    #[arg(long)]
    postgres: Option<String>,
}

fn main() {
    let args = Args::parse();
    let config = Config {
        steps: args.steps,
        contacts: args.contacts.max(1),
        crash_per_mille: args.crash,
        fail_per_mille: args.fail,
        sabotage: args.sabotage,
        verbose: args.verbose,
        engines: args.engines.max(1),
        postgres: args.postgres.clone(),
    };
    if config.engines > 1 && config.postgres.is_none() {
        eprintln!("several engines share a store only on PostgreSQL: give --postgres postgres://…");
        std::process::exit(2);
    }
    if let Some(seed) = args.seed {
        let report = run_seed(seed, &config);
        switchboard_sim::remove_template();
        println!("seed {seed}: {:?}, fingerprint {:016x}", report.figures, report.fingerprint);
        if report.violations.is_empty() {
            println!("every promise held");
            return;
        }
        for v in &report.violations {
            println!("BROKEN: {v}");
        }
        std::process::exit(1);
    }
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let summary = run_many(args.from, args.seeds, &config, threads, Duration::from_secs(args.seconds), false);
    println!(
        "{} seeds in {:.1} s ({:.1} seeds/s): {:?}",
        summary.ran,
        summary.elapsed.as_secs_f64(),
        summary.ran as f64 / summary.elapsed.as_secs_f64().max(0.001),
        summary.totals
    );
    for failure in &summary.failures {
        println!("seed {} broke a promise:", failure.seed);
        for v in &failure.violations {
            println!("  {v}");
        }
        println!("  replay: {}", config.replay_command(failure.seed));
    }
    if !summary.failures.is_empty() {
        std::process::exit(1);
    }
}
