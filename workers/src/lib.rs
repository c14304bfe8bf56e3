//! Background work. `runtime` takes jobs from the queue and runs the handler for their kind;
//! each job kind has a module of its own. The same workers run inside `fleck serve` and in any
//! number of `fleck worker` processes.

pub mod changes;
pub mod files;
pub mod import;
pub mod ingest;
pub mod mail;
pub mod monitor;
pub mod previews;
pub mod runtime;
pub mod sandbox;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use fleck_core::Core;

pub use runtime::{run, Handler, JobError, Registry, WorkerOptions};

/// The database monitor's name for `--only`; it runs on an interval, not from the queue.
pub const MONITOR: &str = "monitor";

/// What `--only` names, as job kinds and whether the monitor runs. Besides the job kinds
/// themselves, the plural group names `previews`, `imports`, `webhooks`, `emails`, `files`
/// (removing deleted projects' files), `ingestions` (objects files sent by connectors) and
/// `changes` (what each new version changed) are accepted.
pub fn select(only: &[String]) -> (Vec<String>, bool) {
    let monitor = only.is_empty() || only.iter().any(|o| o == MONITOR);
    let kinds = only
        .iter()
        .filter(|o| *o != MONITOR)
        .map(|o| {
            match o.as_str() {
                "previews" => fleck_core::previews::PREVIEW_JOB,
                "imports" => fleck_core::projects::imports::IMPORT_JOB,
                "webhooks" => fleck_core::webhooks::WEBHOOK_JOB,
                "emails" => fleck_core::mail::MAIL_JOB,
                "files" => fleck_core::projects::service::FORGET_FILES_JOB,
                "ingestions" => fleck_core::ingestions::objects_file::INGEST_JOB,
                "changes" => fleck_core::changes::VERSION_CHANGES_JOB,
                other => other,
            }
            .to_string()
        })
        .collect();
    (kinds, monitor)
}

/// Limits on what one job may take.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest a file import may convert.
    pub import_timeout: Duration,
    /// Largest file, in bytes, an import reads (the imported file and each library it names).
    pub import_size_limit: u64,
    /// Whether webhooks may call private, loopback and link-local addresses.
    pub webhook_allow_private: bool,
    /// What one preview may read, draw and take.
    pub previews: previews::PreviewLimits,
    /// Largest object, in bytes, an objects file may hold.
    pub object_size_limit: u64,
    /// Where converters and the preview renderer run.
    pub isolation: sandbox::Isolation,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            import_timeout: Duration::from_secs(600),
            import_size_limit: import::DEFAULT_SIZE_LIMIT,
            webhook_allow_private: false,
            previews: previews::PreviewLimits::default(),
            object_size_limit: 100_000_000,
            isolation: sandbox::Isolation::InProcess,
        }
    }
}

/// Every job kind Fleck knows, wired to the backends in `core`.
pub fn registry(core: &Core, limits: &Limits) -> Registry {
    let mut registry = Registry::default();
    registry.add(Arc::new(mail::SendMail::new(core.mailer.clone())));
    registry.add(Arc::new(files::ForgetProjectFiles::new(core.clone())));
    registry.add(Arc::new(changes::SummarizeVersionChanges::new(
        core.clone(),
    )));
    registry.add(Arc::new(ingest::IngestObjects::new(
        core.clone(),
        usize::try_from(limits.object_size_limit).unwrap_or(usize::MAX),
    )));
    registry.add(Arc::new(
        previews::RenderPreview::new(core.clone())
            .with_limits(limits.previews)
            .with_isolation(limits.isolation.clone()),
    ));
    registry.add(Arc::new(webhooks::DeliverWebhook::new(
        core.clone(),
        limits.webhook_allow_private,
    )));
    registry.add(Arc::new(
        import::ImportFile::new(core.clone(), limits.import_timeout)
            .with_size_limit(limits.import_size_limit)
            .with_isolation(limits.isolation.clone()),
    ));
    registry
}
