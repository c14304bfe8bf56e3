//! The database monitor: every interval one process (whichever takes the turn first) collects
//! the server's figures and publishes them for `/metrics` and the admin pages.

use std::time::Duration;

use fleck_core::{monitor, Core};
use tokio_util::sync::CancellationToken;

pub async fn run(core: Core, interval: Duration, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        match monitor::refresh(&core, interval).await {
            Ok(true) => tracing::debug!("published the monitor's figures"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "cannot collect the monitor's figures"),
        }
    }
}
