//! `fleck serve` and `fleck worker`: start, run, and shut down gracefully.

use std::future::IntoFuture;
use std::time::Duration;

use anyhow::Context as _;
use fleck_core::{Config, Core};
use fleck_workers::WorkerOptions;
use tokio_util::sync::CancellationToken;

use crate::config::ServerOptions;
use crate::state::AppState;

pub async fn serve(
    config: Config,
    options: ServerOptions,
    with_workers: bool,
) -> anyhow::Result<()> {
    let core = Core::connect(config).await.context("cannot start")?;
    let listener = tokio::net::TcpListener::bind(options.bind)
        .await
        .with_context(|| format!("cannot start: cannot listen on {}", options.bind))?;
    log_backends(&core);
    let state = AppState::new(core.clone(), options.clone());
    let shutdown = state.shutdown.clone();
    tokio::spawn(cancel_on_signal(
        state.draining.clone(),
        options.shutdown_grace,
        shutdown.clone(),
    ));

    let monitor = with_workers.then(|| {
        tokio::spawn(fleck_workers::monitor::run(
            core.clone(),
            options.monitor_interval,
            shutdown.clone(),
        ))
    });
    let workers = with_workers.then(|| {
        let registry = fleck_workers::registry(&core, &limits(&options));
        tokio::spawn(fleck_workers::run(
            core.clone(),
            registry,
            worker_options(&options),
            shutdown.clone(),
        ))
    });

    // One deadline for the whole stop, counted from when shutdown begins: requests and jobs
    // share it, rather than jobs getting a fresh timeout after the requests' drain.
    let stop_by = tokio::spawn({
        let (shutdown, timeout) = (shutdown.clone(), options.shutdown_timeout);
        async move {
            shutdown.cancelled().await;
            tokio::time::Instant::now() + timeout
        }
    });

    tracing::info!(address = %options.bind, public_url = %core.config.public_url, "serving");
    let app = crate::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.clone().cancelled_owned())
        .into_future();
    tokio::select! {
        served = server => served.context("the HTTP server failed")?,
        _ = drain_deadline(&shutdown, options.shutdown_timeout) => {
            tracing::warn!("in-flight requests did not finish within the shutdown timeout");
        }
    }
    if let Some(monitor) = monitor {
        let _ = monitor.await;
    }
    if let Some(workers) = workers {
        let stop_by = stop_by
            .await
            .unwrap_or_else(|_| tokio::time::Instant::now());
        if tokio::time::timeout_at(stop_by, workers).await.is_err() {
            tracing::warn!("workers did not stop within the shutdown timeout");
        }
    }
    core.close().await;
    tracing::info!("stopped");
    Ok(())
}

pub async fn work(config: Config, options: ServerOptions, only: Vec<String>) -> anyhow::Result<()> {
    let core = Core::connect(config).await.context("cannot start")?;
    log_backends(&core);
    let (kinds, with_monitor) = fleck_workers::select(&only);
    let mut registry = fleck_workers::registry(&core, &limits(&options));
    if !only.is_empty() {
        registry = registry.only(&kinds).map_err(|e| {
            anyhow::anyhow!(
                "{e}; besides kinds, --only takes previews, imports, webhooks, emails and {}",
                fleck_workers::MONITOR
            )
        })?;
    }
    let shutdown = CancellationToken::new();
    // No traffic to move away from a worker: it stops at once.
    tokio::spawn(cancel_on_signal(
        CancellationToken::new(),
        Duration::ZERO,
        shutdown.clone(),
    ));
    let monitor = with_monitor.then(|| {
        tokio::spawn(fleck_workers::monitor::run(
            core.clone(),
            options.monitor_interval,
            shutdown.clone(),
        ))
    });
    fleck_workers::run(core.clone(), registry, worker_options(&options), shutdown).await;
    if let Some(monitor) = monitor {
        let _ = monitor.await;
    }
    core.close().await;
    Ok(())
}

fn worker_options(options: &ServerOptions) -> WorkerOptions {
    WorkerOptions {
        name: format!("{}-{}", hostname(), std::process::id()),
        concurrency: options.worker_concurrency,
        slots: options.worker_slots.clone(),
        lease: options.job_lease,
        // A second of the shutdown timeout is left to hand unfinished jobs back.
        shutdown_grace: options
            .shutdown_timeout
            .saturating_sub(Duration::from_secs(1)),
        ..WorkerOptions::default()
    }
}

fn limits(options: &ServerOptions) -> fleck_workers::Limits {
    fleck_workers::Limits {
        import_timeout: options.import_timeout,
        import_size_limit: options.file_size_limit,
        webhook_allow_private: options.webhook_allow_private,
        object_size_limit: options.object_size_limit,
        previews: fleck_workers::previews::PreviewLimits {
            time_limit: options.preview_timeout,
            ..Default::default()
        },
        isolation: options.isolation.clone(),
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "fleck".into())
}

fn log_backends(core: &Core) {
    tracing::info!(
        database = core.database_kind(),
        blobs = core.blobs.kind(),
        cache = core.cache.kind(),
        mail = core.mailer.kind(),
        "backends ready"
    );
}

/// Resolves `timeout` after shutdown begins; never before.
async fn drain_deadline(shutdown: &CancellationToken, timeout: Duration) {
    shutdown.cancelled().await;
    tokio::time::sleep(timeout).await;
}

/// On SIGTERM (an orchestrator stopping this replica), `draining` first, then `shutdown` after
/// `grace` or a second signal; on SIGINT (someone at a terminal), `shutdown` at once.
async fn cancel_on_signal(
    draining: CancellationToken,
    grace: Duration,
    shutdown: CancellationToken,
) {
    match next_signal().await {
        Signal::Terminate if !grace.is_zero() => {
            tracing::info!(
                seconds = grace.as_secs_f64(),
                "draining: /readiness answers 503 while requests are still served"
            );
            draining.cancel();
            tokio::select! {
                _ = tokio::time::sleep(grace) => {}
                _ = next_signal() => {}
            }
        }
        _ => {}
    }
    tracing::info!("shutting down: finishing in-flight requests and jobs");
    shutdown.cancel();
}

enum Signal {
    Interrupt,
    Terminate,
}

async fn next_signal() -> Signal {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => Signal::Interrupt,
        _ = terminate => Signal::Terminate,
    }
}
