//! Files imported into a model: the browser uploads the file to the project's blob route, then
//! `import_file` queues its conversion; `fetch_imports` reports how each import is going.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The largest file an import accepts, in bytes: the server provides it to every request.
#[derive(Clone, Copy, Debug)]
pub struct ImportLimit(pub u64);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportRow {
    pub id: String,
    pub file_name: String,
    pub size: String,
    /// `queued`, `converting`, `success` or `error`.
    pub status: String,
    /// Why it failed, or the converter's warnings.
    pub message: String,
    pub version_id: Option<String>,
    pub created: String,
}

impl ImportRow {
    /// Whether the converter has yet to finish with it.
    pub fn pending(&self) -> bool {
        matches!(self.status.as_str(), "queued" | "converting")
    }
}

/// A model's imports, newest first.
#[server]
pub async fn fetch_imports(
    project_id: String,
    model_id: String,
) -> Result<Vec<ImportRow>, ServerFnError> {
    use fleck_core::projects::{imports, Window};
    let core = crate::session::server::core()?;
    let actor = crate::session::server::actor().await?;
    let window = Window {
        offset: 0,
        limit: 20,
    };
    let listed = imports::list(&core, &actor, &project_id, Some(&model_id), window)
        .await
        .map_err(crate::session::server::message)?;
    Ok(listed.items.into_iter().map(server::row).collect())
}

/// Queues the conversion of a file the caller uploaded to the project (`file_id` as the blob
/// route answered it) into a new version of the model.
#[server]
pub async fn import_file(
    project_id: String,
    model_id: String,
    file_id: String,
) -> Result<ImportRow, ServerFnError> {
    use fleck_core::projects::imports;
    let core = crate::session::server::core()?;
    let actor = crate::session::server::actor().await?;
    let limit = use_context::<ImportLimit>().map_or(u64::MAX, |l| l.0);
    // The page just uploaded the file itself: the stored file is the one to convert.
    let request = imports::ImportRequest {
        project_id: &project_id,
        model_id: &model_id,
        file_id: &file_id,
        etag: None,
    };
    let import = imports::start(&core, &actor, request, limit)
        .await
        .map_err(crate::session::server::message)?;
    Ok(server::row(import))
}

#[cfg(feature = "ssr")]
mod server {
    use fleck_core::projects::{FileImport, ImportStatus};

    use super::ImportRow;
    use crate::projects::human_size;
    use crate::projects::read::server::when;

    pub fn row(import: FileImport) -> ImportRow {
        let status = match import.status {
            ImportStatus::Queued => "queued",
            ImportStatus::Converting => "converting",
            ImportStatus::Succeeded => "success",
            ImportStatus::Failed => "error",
        };
        ImportRow {
            id: import.id,
            size: human_size(import.file_size),
            status: status.into(),
            message: import.message.unwrap_or_default(),
            version_id: import.version_id,
            created: when(import.created_at),
            file_name: import.file_name,
        }
    }
}
