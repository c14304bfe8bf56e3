//! The `file-import` job: turns a file uploaded to a project (OBJ with its MTL, STL, glTF/GLB,
//! IFC) into Speckle objects and a new version of the model it was imported into, then records
//! the outcome on the import, as Speckle's importers report through `finishFileImport`.
//!
//! A file that cannot be converted ends its import as failed with a readable reason; the job
//! itself succeeds, as retrying cannot help. Parsers run on a blocking thread under a time
//! limit, and a parser that panics fails the import, never the worker.

mod gltf;
mod ifc;
mod obj;
pub mod speckle;
mod stl;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fleck_core::auth::Actor;
use fleck_core::projects::imports::{self, ImportOutcome, IMPORT_JOB};
use fleck_core::projects::versions::{self, NewVersion};
use fleck_core::projects::{attachments, FileImport, Window};
use fleck_core::queue::Job;
use fleck_core::Core;
use serde::Deserialize;
use serde_json::json;

use crate::runtime::{Handler, JobError};
use speckle::{Detached, Objects};

/// A converted file: its objects (children first) and the root a version points at.
pub struct Converted {
    pub objects: Objects,
    pub root: Detached,
    pub warnings: Vec<String>,
    /// Reported as the import's parser.
    pub parser: &'static str,
}

/// Why a file could not be converted, in words for the person who uploaded it.
#[derive(Debug)]
pub struct Failure(pub String);

/// The formats there is a converter for, by file extension.
pub const FORMATS: [&str; 5] = ["ifc", "obj", "stl", "glb", "gltf"];

/// Converts `bytes` by the file's extension; `libraries` are the MTL files an OBJ asked for.
pub fn convert(
    file_name: &str,
    file_type: &str,
    bytes: &[u8],
    libraries: &HashMap<String, Vec<u8>>,
) -> Result<Converted, Failure> {
    match file_type {
        "obj" => obj::convert(file_name, bytes, libraries),
        "stl" => stl::convert(file_name, bytes),
        "glb" | "gltf" => gltf::convert(file_name, bytes),
        "ifc" => ifc::convert(file_name, bytes),
        other => Err(Failure(format!(
            "Files of type .{other} cannot be imported; Fleck imports {}.",
            FORMATS.map(|f| format!(".{f}")).join(", ")
        ))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    project_id: String,
    file_import_id: String,
}

pub struct ImportFile {
    core: Core,
    timeout: Duration,
}

impl ImportFile {
    pub fn new(core: Core, timeout: Duration) -> Self {
        ImportFile { core, timeout }
    }

    async fn file_bytes(&self, project_id: &str, file_id: &str) -> Result<Vec<u8>, JobError> {
        let retry = |e: fleck_core::Error| JobError::Retry(e.to_string());
        let file = attachments::find(&self.core, project_id, file_id)
            .await
            .map_err(retry)?;
        let blob = self
            .core
            .blobs
            .get(&file.object_key)
            .await
            .map_err(retry)?
            .ok_or_else(|| JobError::Permanent("the uploaded file is gone from storage".into()))?;
        blob.bytes().await.map_err(retry)
    }

    /// The project's latest uploads of the `.mtl` files an OBJ names.
    async fn material_libraries(&self, project_id: &str, obj: &[u8]) -> HashMap<String, Vec<u8>> {
        let mut found = HashMap::new();
        for library in obj::material_libraries(obj) {
            let window = Window {
                offset: 0,
                limit: 20,
            };
            let Ok(listed) = self
                .core
                .projects
                .attachments(project_id, Some(&library), window)
                .await
            else {
                continue;
            };
            if let Some(file) = listed.items.into_iter().find(|f| f.file_name == library) {
                if let Ok(bytes) = self.file_bytes(project_id, &file.id).await {
                    found.insert(library, bytes);
                }
            }
        }
        found
    }

    /// Converts off the async threads, within the time limit, surviving a parser's panic.
    async fn convert_in_time(
        &self,
        import: &FileImport,
        bytes: Vec<u8>,
        libraries: HashMap<String, Vec<u8>>,
    ) -> Result<Converted, Failure> {
        let (name, kind) = (import.file_name.clone(), import.file_type.to_lowercase());
        let work = tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                convert(&name, &kind, &bytes, &libraries)
            }))
        });
        match tokio::time::timeout(self.timeout, work).await {
            Err(_) => Err(Failure(format!(
                "Converting took longer than the limit of {} s.",
                self.timeout.as_secs()
            ))),
            Ok(Err(_)) | Ok(Ok(Err(_))) => Err(Failure(
                "The converter failed on this file; it may be damaged or use features Fleck cannot read yet."
                    .into(),
            )),
            Ok(Ok(Ok(converted))) => converted,
        }
    }
}

#[async_trait]
impl Handler for ImportFile {
    fn kind(&self) -> &'static str {
        IMPORT_JOB
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let payload: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("not a file import job: {e}")))?;
        let retry = |e: fleck_core::Error| JobError::Retry(e.to_string());
        let core = &self.core;
        let Some(import) = imports::begin(core, &payload.project_id, &payload.file_import_id)
            .await
            .map_err(retry)?
        else {
            return Ok(());
        };
        // The version is the importing user's, as if they had sent it themselves.
        let user = core
            .store
            .user_by_id(&import.user_id)
            .await
            .map_err(retry)?
            .ok_or_else(|| JobError::Permanent("the importing user's account is gone".into()))?;
        let actor = Actor::from_session(user);

        let started = Instant::now();
        let bytes = self.file_bytes(&import.project_id, &import.id).await?;
        let libraries = match import.file_type.as_str() {
            "obj" => self.material_libraries(&import.project_id, &bytes).await,
            _ => HashMap::new(),
        };
        let downloaded = started.elapsed();
        let converted = self.convert_in_time(&import, bytes, libraries).await;
        let parsed = started.elapsed() - downloaded;
        let mut performance = json!({
            "downloadDurationSeconds": downloaded.as_secs_f64(),
            "parseDurationSeconds": parsed.as_secs_f64(),
        });
        let outcome = match converted {
            Err(Failure(reason)) => ImportOutcome::Failed { reason },
            Ok(converted) => {
                performance["parser"] = json!(converted.parser);
                performance["objects"] = json!(converted.objects.list.len());
                core.objects
                    .insert_objects(&import.project_id, converted.objects.list)
                    .await
                    .map_err(retry)?;
                let version = versions::create(
                    core,
                    &actor,
                    &import.project_id,
                    NewVersion {
                        model_id: import.model_id.clone(),
                        object_id: converted.root.id,
                        message: Some(format!("File upload: {}", import.file_name)),
                        source_application: Some(format!("fleck-import:{}", import.file_type)),
                        total_children_count: None,
                        parents: Vec::new(),
                    },
                )
                .await
                .map_err(retry)?;
                ImportOutcome::Succeeded {
                    version_id: version.id,
                    warnings: converted.warnings,
                }
            }
        };
        performance["durationSeconds"] = json!(started.elapsed().as_secs_f64());
        if let ImportOutcome::Failed { reason } = &outcome {
            tracing::info!(file = %import.file_name, %reason, "the file could not be imported");
        }
        imports::finish(
            core,
            &actor,
            &import.project_id,
            &import.id,
            outcome,
            Some(performance),
        )
        .await
        .map_err(retry)?;
        Ok(())
    }
}
