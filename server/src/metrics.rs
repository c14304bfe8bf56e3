//! Prometheus metrics: HTTP traffic by route and status, request latency, and the job queue.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use fleck_core::queue::QueueCount;
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::state::AppState;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    jobs: IntGaugeVec,
    oldest_job: GaugeVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "fleck_http_requests_total",
                "HTTP requests answered, by route, method and status",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "fleck_http_request_duration_seconds",
                "Time to answer HTTP requests, by route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        let jobs = IntGaugeVec::new(
            Opts::new("fleck_jobs", "Jobs in the queue, by kind and state"),
            &["kind", "state"],
        )
        .expect("valid metric");
        let oldest_job = GaugeVec::new(
            Opts::new(
                "fleck_jobs_oldest_age_seconds",
                "Age of the oldest job, by kind and state",
            ),
            &["kind", "state"],
        )
        .expect("valid metric");
        for metric in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(jobs.clone()),
            Box::new(oldest_job.clone()),
        ] {
            registry.register(metric).expect("metric names are unique");
        }
        Metrics {
            registry,
            requests,
            latency,
            jobs,
            oldest_job,
        }
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
    }

    fn set_queue(&self, counts: &[QueueCount]) {
        self.jobs.reset();
        self.oldest_job.reset();
        let now = chrono::Utc::now();
        for count in counts {
            let labels = [count.kind.as_str(), count.state.as_str()];
            self.jobs.with_label_values(&labels).set(count.count);
            if let Some(oldest) = count.oldest {
                let age = (now - oldest).num_milliseconds().max(0) as f64 / 1000.0;
                self.oldest_job.with_label_values(&labels).set(age);
            }
        }
    }

    /// The Prometheus text exposition of every metric, with the queue read now.
    pub async fn render(&self, state: &AppState) -> String {
        match state.core.queue.counts().await {
            Ok(counts) => self.set_queue(&counts),
            Err(e) => tracing::warn!(error = %e, "cannot read the job queue for metrics"),
        }
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Counts and times every request under its route template (not its raw path, which would let
/// clients create unbounded label values).
pub async fn track(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}
