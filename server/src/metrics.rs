//! Prometheus metrics: HTTP traffic by route and status, request latency, and the database
//! monitor's figures (counts, sizes, file imports, previews, webhook deliveries, the job queue).

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use fleck_core::monitor::{self, Figures};
use prometheus::core::Collector;
use prometheus::proto::MetricFamily;
use prometheus::{
    Encoder, Gauge, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use crate::state::AppState;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
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
        registry
            .register(Box::new(requests.clone()))
            .expect("metric names are unique");
        registry
            .register(Box::new(latency.clone()))
            .expect("metric names are unique");
        Metrics {
            registry,
            requests,
            latency,
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

    /// The Prometheus text exposition: this replica's request metrics, and the figures the
    /// database monitor last published (read from the cache; a scrape never queries the
    /// database). Before the first collection, or once the monitor has stopped long enough for
    /// its figures to expire, there are no figures to show.
    pub async fn render(&self, state: &AppState) -> String {
        let mut families = self.registry.gather();
        match monitor::latest(&state.core).await {
            Ok(Some(figures)) => families.extend(figure_families(&figures)),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read the monitor's figures"),
        }
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&families, &mut out) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The monitor's figures as metric families, under the names of Speckle's database monitor
/// where it has one. Built afresh for each scrape from one snapshot, so a scrape shows exactly
/// one collection, whatever other scrapes do meanwhile.
fn figure_families(f: &Figures) -> Vec<MetricFamily> {
    // A registry of the scrape's own sorts the figures as the replica's registry sorts its metrics.
    let registry = Registry::new();
    let add = |metric: Box<dyn Collector>| {
        registry.register(metric).expect("metric names are unique");
    };

    for (name, help, value) in [
        ("speckle_db_users", "Users on the server", f.users),
        (
            "speckle_db_streams",
            "Projects (streams) on the server",
            f.projects,
        ),
        (
            "speckle_db_commits",
            "Versions (commits) on the server",
            f.versions,
        ),
        ("speckle_db_objects", "Objects stored", f.objects),
        (
            "speckle_db_size",
            "Size of the database in bytes",
            f.database_bytes,
        ),
        ("fleck_models", "Models on the server", f.models),
        (
            "fleck_object_bytes",
            "Bytes of object JSON stored, before compression",
            f.object_bytes,
        ),
        (
            "fleck_blobs",
            "Uploaded files (blobs) stored",
            f.attachments,
        ),
        (
            "fleck_blob_bytes",
            "Bytes of uploaded files (blobs)",
            f.attachment_bytes,
        ),
    ] {
        let gauge = IntGauge::new(name, help).expect("valid metric");
        gauge.set(value);
        add(Box::new(gauge));
    }

    let gauges = |name: &str, help: &str, labels: &[&str]| {
        IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric")
    };
    for (name, help, label, pairs) in [
        (
            "speckle_db_tablesize",
            "Size of each table in bytes, indexes included",
            "table",
            &f.tables,
        ),
        (
            "speckle_db_previews",
            "Previews by status",
            "status",
            &f.previews,
        ),
        (
            "speckle_db_webhooks",
            "Webhook events by delivery status",
            "status",
            &f.webhook_events,
        ),
    ] {
        let vec = gauges(name, help, &[label]);
        for (value_label, value) in pairs {
            vec.with_label_values(&[value_label.as_str()]).set(*value);
        }
        add(Box::new(vec));
    }

    let imports = gauges(
        "speckle_db_fileimports",
        "File imports by file type and status",
        &["filetype", "status"],
    );
    let import_bytes = gauges(
        "speckle_db_filesize",
        "Bytes of the files imported, by file type",
        &["filetype"],
    );
    for i in &f.file_imports {
        imports
            .with_label_values(&[i.file_type.as_str(), i.status.as_str()])
            .set(i.count);
        import_bytes
            .with_label_values(&[i.file_type.as_str()])
            .add(i.bytes);
    }
    add(Box::new(imports));
    add(Box::new(import_bytes));

    let jobs = gauges(
        "fleck_jobs",
        "Jobs in the queue, by kind and state",
        &["kind", "state"],
    );
    let oldest = GaugeVec::new(
        Opts::new(
            "fleck_jobs_oldest_age_seconds",
            "Age of the oldest job, by kind and state, when the figures were collected",
        ),
        &["kind", "state"],
    )
    .expect("valid metric");
    for count in &f.jobs {
        let labels = [count.kind.as_str(), count.state.as_str()];
        jobs.with_label_values(&labels).set(count.count);
        if let Some(created) = count.oldest {
            let age = (f.collected_at - created).num_milliseconds().max(0) as f64 / 1000.0;
            oldest.with_label_values(&labels).set(age);
        }
    }
    add(Box::new(jobs));
    add(Box::new(oldest));

    let collected = Gauge::new(
        "fleck_monitor_collected_timestamp_seconds",
        "When the database monitor collected the figures shown (Unix time)",
    )
    .expect("valid metric");
    collected.set(f.collected_at.timestamp_millis() as f64 / 1000.0);
    add(Box::new(collected));
    registry.gather()
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
