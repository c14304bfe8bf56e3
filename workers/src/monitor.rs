//! The database monitor: a loop, not a queue job. Every interval each process running it asks for
//! the turn (a lock in the cache); the one that gets it collects the server's figures and
//! publishes them for `/metrics` and the admin pages. Failures are logged and retried next round.

use std::time::Duration;

use fleck_core::{monitor, Core};
use tokio_util::sync::CancellationToken;

/// Runs rounds every `interval`, the first at once, until `shutdown`; returns how many rounds
/// this process collected.
pub async fn run(core: Core, interval: Duration, shutdown: CancellationToken) -> u64 {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut collected = 0;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.cancelled() => return collected,
        }
        let round = tokio::select! {
            round = monitor::refresh(&core, interval) => round,
            // A collection holds nothing that needs finishing.
            _ = shutdown.cancelled() => return collected,
        };
        match round {
            Ok(true) => {
                collected += 1;
                tracing::debug!("published the monitor's figures");
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "cannot collect the monitor's figures"),
        }
    }
}
