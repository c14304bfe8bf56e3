//! The database monitor's loop (`fleck_workers::monitor::run`): processes sharing a backend set
//! take turns, so the figures are collected once per interval between them, and a failed round
//! is only logged. Every scenario runs on the embedded set (`sqlite_…`) and the production set
//! (`postgres_…`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{on_both_backend_sets, Backends};
use fleck_core::monitor;
use fleck_workers::monitor::run;
use tokio_util::sync::CancellationToken;

on_both_backend_sets!(
    two_monitor_loops_collect_once_per_interval_between_them,
    a_failed_round_does_not_stop_the_loop,
);

async fn two_monitor_loops_collect_once_per_interval_between_them(backends: Arc<Backends>) {
    let first = backends.connect().await;
    // Processes share turns through the cache. Redis is shared between connections; the
    // in-process cache is one process's own, so on the embedded set both loops run in one
    // process, as `fleck serve` and its workers would.
    let second = if first.cache.kind() == "redis" {
        backends.connect().await
    } else {
        first.clone()
    };
    let interval = Duration::from_secs(1);
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let loops = [first.clone(), second.clone()]
        .map(|core| tokio::spawn(run(core, interval, shutdown.clone())));

    // Rounds start at 0, 1, 2, 3 and 4 s. Every publication stays until the next one, a second
    // later, so polling sees each.
    let mut published = Vec::new();
    while started.elapsed() < Duration::from_millis(4_600) {
        if let Some(figures) = monitor::latest(&second).await.unwrap() {
            if published.last() != Some(&figures.collected_at) {
                published.push(figures.collected_at);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown.cancel();
    let mut collected = 0;
    for one in loops {
        collected += one.await.expect("the loop does not panic");
    }

    // Without turns, each loop would collect every round: ten times.
    assert!(
        (3..=5).contains(&collected),
        "{collected} collections in five rounds"
    );
    assert_eq!(published.len() as u64, collected, "{published:?}");
    for pair in published.windows(2) {
        let gap = (pair[1] - pair[0]).to_std().unwrap();
        assert!(gap > interval / 2, "two collections {gap:?} apart");
    }
    // Both processes read the same figures.
    assert_eq!(
        monitor::latest(&first).await.unwrap(),
        monitor::latest(&second).await.unwrap()
    );
}

async fn a_failed_round_does_not_stop_the_loop(backends: Arc<Backends>) {
    let core = backends.connect().await;
    // Every query fails from here on.
    core.database().store.close().await;
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(run(
        core.clone(),
        Duration::from_millis(100),
        shutdown.clone(),
    ));

    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(
        !running.is_finished(),
        "the loop goes on after failed rounds"
    );
    shutdown.cancel();
    assert_eq!(running.await.unwrap(), 0, "nothing was collected");
    assert_eq!(monitor::latest(&core).await.unwrap(), None);
}
