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
    use crate::shared::server::{context, first};
    use fleck_core::projects::imports;
    let (core, actor) = context().await?;
    let window = first(20);
    let listed = imports::list(&core, &actor, &project_id, Some(&model_id), window)
        .await
        .map_err(crate::shared::server::message)?;
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
    let core = crate::shared::server::core()?;
    let actor = crate::shared::server::actor().await?;
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
        .map_err(crate::shared::server::message)?;
    Ok(server::row(import))
}

/// The model a file dropped outside a model page is imported into.
/// Removes a failed import and its file from the list; a refusal is the answer's `Err`.
#[server]
pub async fn remove_import(
    project_id: String,
    import_id: String,
) -> Result<Result<(), String>, ServerFnError> {
    use crate::shared::server::{answer, refusal};
    use fleck_core::projects::imports;
    let core = crate::shared::server::core()?;
    let actor = crate::shared::server::actor().await?;
    answer(
        imports::remove(&core, &actor, &project_id, &import_id)
            .await
            .map_err(refusal),
    )
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportTarget {
    pub project_id: String,
    pub model_id: String,
}

/// Where a file named `file_name` goes when it is dropped on the dashboard (`project_id` none:
/// a new private project named after the file) or on a project page: the project's model named
/// after the file, made when the project has none by that name (else the file becomes its next
/// version).
#[server]
pub async fn prepare_import(
    project_id: Option<String>,
    file_name: String,
) -> Result<ImportTarget, ServerFnError> {
    use crate::shared::server::message;
    use fleck_core::authz::Visibility;
    use fleck_core::projects::{models, service};
    let core = crate::shared::server::core()?;
    let actor = crate::shared::server::actor().await?;
    let name = fleck_core::projects::names::from_file_name(&file_name);
    let project_id = match project_id.filter(|id| !id.is_empty()) {
        Some(id) => id,
        None => {
            let input = service::NewProject {
                name: name.clone(),
                description: Some(format!("Imported from {file_name}")),
                visibility: Visibility::Private,
                with_main_model: false,
            };
            service::create(&core, &actor, input)
                .await
                .map_err(message)?
                .project
                .id
        }
    };
    let model = models::get_or_create(&core, &actor, &project_id, &name)
        .await
        .map_err(message)?;
    Ok(ImportTarget {
        project_id,
        model_id: model.id,
    })
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
