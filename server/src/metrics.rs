//! Prometheus metrics: HTTP traffic by route and status, request latency, and the database
//! monitor's figures (counts, sizes, the job queue, webhook deliveries).

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use fleck_core::monitor::{self, Figures};
use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::state::AppState;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    figures: FigureGauges,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The database monitor's figures, under Speckle's monitor names where it has one.
struct FigureGauges {
    users: IntGauge,
    projects: IntGauge,
    versions: IntGauge,
    objects: IntGauge,
    database_bytes: IntGauge,
    table_bytes: IntGaugeVec,
    previews: IntGaugeVec,
    webhook_events: IntGaugeVec,
    models: IntGauge,
    object_bytes: IntGauge,
    attachment_bytes: IntGauge,
    jobs: IntGaugeVec,
    oldest_job: GaugeVec,
    collected: Gauge,
}

fn gauge(name: &str, help: &str) -> IntGauge {
    IntGauge::new(name, help).expect("valid metric")
}

fn gauges(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric")
}

impl FigureGauges {
    fn new() -> Self {
        FigureGauges {
            users: gauge("speckle_db_users", "Users on the server"),
            projects: gauge("speckle_db_streams", "Projects (streams) on the server"),
            versions: gauge("speckle_db_commits", "Versions (commits) on the server"),
            objects: gauge("speckle_db_objects", "Objects stored"),
            database_bytes: gauge("speckle_db_size", "Size of the database in bytes"),
            table_bytes: gauges(
                "speckle_db_tablesize",
                "Size of each table in bytes, indexes included",
                &["table"],
            ),
            previews: gauges("speckle_db_previews", "Previews by status", &["status"]),
            webhook_events: gauges(
                "speckle_db_webhooks",
                "Webhook events by delivery status",
                &["status"],
            ),
            models: gauge("fleck_models", "Models on the server"),
            object_bytes: gauge(
                "fleck_object_bytes",
                "Bytes of object JSON stored, before compression",
            ),
            attachment_bytes: gauge("fleck_blob_bytes", "Bytes of uploaded files"),
            jobs: gauges(
                "fleck_jobs",
                "Jobs in the queue, by kind and state",
                &["kind", "state"],
            ),
            oldest_job: GaugeVec::new(
                Opts::new(
                    "fleck_jobs_oldest_age_seconds",
                    "Age of the oldest job, by kind and state",
                ),
                &["kind", "state"],
            )
            .expect("valid metric"),
            collected: Gauge::new(
                "fleck_monitor_collected_timestamp_seconds",
                "When the figures above were collected (Unix time)",
            )
            .expect("valid metric"),
        }
    }

    fn register(&self, registry: &Registry) {
        let all: [Box<dyn prometheus::core::Collector>; 14] = [
            Box::new(self.users.clone()),
            Box::new(self.projects.clone()),
            Box::new(self.versions.clone()),
            Box::new(self.objects.clone()),
            Box::new(self.database_bytes.clone()),
            Box::new(self.table_bytes.clone()),
            Box::new(self.previews.clone()),
            Box::new(self.webhook_events.clone()),
            Box::new(self.models.clone()),
            Box::new(self.object_bytes.clone()),
            Box::new(self.attachment_bytes.clone()),
            Box::new(self.jobs.clone()),
            Box::new(self.oldest_job.clone()),
            Box::new(self.collected.clone()),
        ];
        for metric in all {
            registry.register(metric).expect("metric names are unique");
        }
    }

    fn set(&self, f: &Figures) {
        self.users.set(f.users);
        self.projects.set(f.projects);
        self.versions.set(f.versions);
        self.objects.set(f.objects);
        self.database_bytes.set(f.database_bytes);
        self.models.set(f.models);
        self.object_bytes.set(f.object_bytes);
        self.attachment_bytes.set(f.attachment_bytes);
        for (vec, pairs) in [
            (&self.table_bytes, &f.tables),
            (&self.previews, &f.previews),
            (&self.webhook_events, &f.webhook_events),
        ] {
            vec.reset();
            for (label, value) in pairs {
                vec.with_label_values(&[label.as_str()]).set(*value);
            }
        }
        self.jobs.reset();
        self.oldest_job.reset();
        for count in &f.jobs {
            let labels = [count.kind.as_str(), count.state.as_str()];
            self.jobs.with_label_values(&labels).set(count.count);
            if let Some(oldest) = count.oldest {
                let age = (f.collected_at - oldest).num_milliseconds().max(0) as f64 / 1000.0;
                self.oldest_job.with_label_values(&labels).set(age);
            }
        }
        self.collected
            .set(f.collected_at.timestamp_millis() as f64 / 1000.0);
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
        registry
            .register(Box::new(requests.clone()))
            .expect("metric names are unique");
        registry
            .register(Box::new(latency.clone()))
            .expect("metric names are unique");
        let figures = FigureGauges::new();
        figures.register(&registry);
        Metrics {
            registry,
            requests,
            latency,
            figures,
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

    /// The Prometheus text exposition: request metrics, and the figures the database monitor
    /// last published (read from the cache; a scrape never queries the database).
    pub async fn render(&self, state: &AppState) -> String {
        match monitor::latest(&state.core).await {
            Ok(Some(figures)) => self.figures.set(&figures),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the monitor's figures"),
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
