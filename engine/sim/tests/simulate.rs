//! The simulator in CI: many seeds keep every promise; a seed replays exactly; and each
//! promise broken on purpose (`Sabotage`) is found within a stated number of seeds.
//!
//! `SWITCHBOARD_SIM_SEEDS` (default 10,000) and `SWITCHBOARD_SIM_SECONDS` (default 1,200) size
//! the first test; TESTING.md has the long mode.

use std::time::Duration;
use switchboard_sim::{run_many, run_seed, Config, Sabotage, Summary};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Twice the cores: a seed spends much of its time waiting on SQLite's worker thread.
fn threads() -> usize {
    2 * std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Every seed ran and none broke a promise; the first failures are shown with their replay
/// commands.
fn every_seed_kept(summary: &Summary, config: &Config, seeds: u64, limit: Duration) {
    let mut message = String::new();
    for failure in summary.failures.iter().take(5) {
        message.push_str(&format!(
            "\nseed {}:\n  {}\n  replay: {}",
            failure.seed,
            failure.violations.join("\n  "),
            config.replay_command(failure.seed)
        ));
    }
    assert!(
        summary.failures.is_empty(),
        "{} of {} seeds broke a promise:{message}",
        summary.failures.len(),
        summary.ran
    );
    assert_eq!(summary.ran, seeds, "only {} of {seeds} seeds ran within {limit:?}", summary.ran);
}

#[test]
fn every_seed_keeps_every_promise() {
    let seeds = env_or("SWITCHBOARD_SIM_SEEDS", 10_000);
    let limit = Duration::from_secs(env_or("SWITCHBOARD_SIM_SECONDS", 1_200));
    let config = Config::ci();
    let summary = run_many(0, seeds, &config, threads(), limit, false);
    eprintln!("simulated {} seeds in {:.1} s: {:?}", summary.ran, summary.elapsed.as_secs_f64(), summary.totals);
    every_seed_kept(&summary, &config, seeds, limit);
}

#[test]
fn a_seed_replays_exactly() {
    let config = Config::ci();
    for seed in [7, 1234, 99_999] {
        let first = run_seed(seed, &config);
        let again = run_seed(seed, &config);
        assert!(first.violations.is_empty(), "seed {seed}: {:?}", first.violations);
        assert_eq!(first.fingerprint, again.fingerprint, "seed {seed} did not replay the same way");
        assert_eq!(first.figures.effects, again.figures.effects);
    }
}

/// How many seeds each broken promise may take to be found (TESTING.md records the figures).
const FOUND_WITHIN: u64 = 200;

fn found(sabotage: Sabotage, expected: &str) {
    let config = Config { sabotage: Some(sabotage), ..Config::ci() };
    let summary = run_many(0, FOUND_WITHIN, &config, threads(), Duration::from_secs(300), true);
    let first =
        summary.failures.first().unwrap_or_else(|| panic!("{sabotage:?} was not found in {FOUND_WITHIN} seeds"));
    eprintln!("{sabotage:?}: found by seed {} ({} seeds ran)", first.seed, summary.ran);
    assert!(
        first.violations.iter().any(|v| v.contains(expected)),
        "{sabotage:?} was found, but not as `{expected}`: {:?}",
        first.violations
    );
}

#[test]
fn a_retry_under_a_new_key_is_found() {
    found(Sabotage::NewKeyOnRetry, "which the engine never journaled");
}

#[test]
fn a_skipped_wake_up_is_found() {
    found(Sabotage::SkipHttpWakeup, "nothing that can wake it");
}

#[test]
fn a_forgotten_duplicate_is_found() {
    found(Sabotage::ForgetDuplicates, "accepted twice");
}

#[test]
fn a_late_timer_is_found() {
    found(Sabotage::LateTimers, "was left when the engine fired due timers");
}

/// Several engines on PostgreSQL (`Config::postgres_ci`): the server from
/// `SWITCHBOARD_TEST_DATABASE_URL`, which `.ci/run` sets; without it the test says loudly that
/// it was skipped.
fn postgres_config() -> Option<Config> {
    match std::env::var("SWITCHBOARD_TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => Some(Config::postgres_ci(server)),
        _ => {
            eprintln!(
                "SKIPPED: several engines on PostgreSQL need SWITCHBOARD_TEST_DATABASE_URL (a PostgreSQL server)"
            );
            None
        }
    }
}

#[test]
fn several_engines_on_postgresql_keep_every_promise() {
    let Some(config) = postgres_config() else { return };
    let seeds = env_or("SWITCHBOARD_SIM_PG_SEEDS", 300);
    let limit = Duration::from_secs(env_or("SWITCHBOARD_SIM_PG_SECONDS", 600));
    let summary = run_many(0, seeds, &config, threads(), limit, false);
    eprintln!(
        "simulated {} seeds of {} engines on PostgreSQL in {:.1} s: {:?}",
        summary.ran,
        config.engines,
        summary.elapsed.as_secs_f64(),
        summary.totals
    );
    every_seed_kept(&summary, &config, seeds, limit);
    assert!(summary.totals.pauses > 0, "no engine was ever paused past its lease: {:?}", summary.totals);
}

#[test]
fn a_seed_of_several_engines_replays_exactly() {
    let Some(config) = postgres_config() else { return };
    // Seed 0 pauses an engine past its lease while another takes over.
    let first = run_seed(0, &config);
    let again = run_seed(0, &config);
    switchboard_sim::remove_template();
    assert!(first.violations.is_empty(), "{:?}", first.violations);
    assert_eq!(first.figures.pauses, 1, "{:?}", first.figures);
    assert_eq!(first.fingerprint, again.fingerprint, "seed 0 did not replay the same way on PostgreSQL");
}
