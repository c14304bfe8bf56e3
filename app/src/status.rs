//! The backends' health, as the home page shows it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One backend as anonymous visitors may see it: which implementation and whether it answers.
/// Error details stay in the server's log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendStatus {
    pub name: String,
    pub backend: String,
    pub ok: bool,
    pub millis: f64,
}

/// Pings every backend now.
#[server]
pub async fn check_backends() -> Result<Vec<BackendStatus>, ServerFnError> {
    let core = use_context::<fleck_core::Core>()
        .ok_or_else(|| ServerFnError::new("the server was started without its core"))?;
    Ok(core
        .check_backends()
        .await
        .into_iter()
        .map(|check| BackendStatus {
            name: check.name,
            backend: check.backend,
            ok: check.ok,
            millis: check.millis,
        })
        .collect())
}
