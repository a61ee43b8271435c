//! Many seeds on a few threads, until they are all done or the time box closes; the
//! failing seeds come back with their reports.

use crate::{run_seed, Config, Figures, Report};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a batch of seeds came to.
#[derive(Debug, Default)]
pub struct Summary {
    /// Seeds that ran to the end.
    pub ran: u64,
    pub failures: Vec<Report>,
    pub totals: Figures,
    pub elapsed: Duration,
}

/// Runs seeds `from..from + count` on `threads` threads, stopping early when `limit` has
/// passed or (with `stop_at_first`) at the first failure.
pub fn run_many(
    from: u64,
    count: u64,
    config: &Config,
    threads: usize,
    limit: Duration,
    stop_at_first: bool,
) -> Summary {
    let next = AtomicU64::new(from);
    let summary = Mutex::new(Summary::default());
    let start = Instant::now();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                if stop.load(Ordering::SeqCst) || start.elapsed() > limit {
                    return;
                }
                let seed = next.fetch_add(1, Ordering::SeqCst);
                if seed >= from + count {
                    return;
                }
                let report = run_seed(seed, config);
                let mut s = summary.lock().unwrap_or_else(|e| e.into_inner());
                s.ran += 1;
                let f = &report.figures;
                s.totals.actions += f.actions;
                s.totals.crashes += f.crashes;
                s.totals.failed_commits += f.failed_commits;
                s.totals.events += f.events;
                s.totals.effects += f.effects;
                s.totals.runs += f.runs;
                s.totals.simulated_ms += f.simulated_ms;
                s.totals.pauses += f.pauses;
                if !report.violations.is_empty() {
                    s.failures.push(report);
                    if stop_at_first {
                        stop.store(true, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    crate::driver::remove_template();
    let mut summary = summary.into_inner().unwrap_or_else(|e| e.into_inner());
    summary.failures.sort_by_key(|r| r.seed);
    summary.elapsed = start.elapsed();
    summary
}
