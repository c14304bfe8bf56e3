//! Background work. `runtime` takes jobs from the queue and runs the handler for their kind;
//! each job kind has a module of its own. The same workers run inside `fleck serve` and in any
//! number of `fleck worker` processes.

pub mod mail;
pub mod previews;
pub mod runtime;

use std::sync::Arc;

use fleck_core::Core;

pub use runtime::{run, Handler, JobError, Registry, WorkerOptions};

/// Every job kind Fleck knows, wired to the backends in `core`.
pub fn registry(core: &Core) -> Registry {
    let mut registry = Registry::default();
    registry.add(Arc::new(mail::SendMail::new(core.mailer.clone())));
    registry.add(Arc::new(previews::RenderPreview::new(core.clone())));
    registry
}
