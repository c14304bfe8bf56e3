//! The `file-import` job: turns a file uploaded to a project (OBJ with its MTL, STL, glTF/GLB,
//! IFC) into Speckle objects and a new version of the model it was imported into, then records
//! the outcome on the import, as Speckle's importers report through `finishFileImport`.
//!
//! A file that cannot be converted ends its import as failed with a readable reason; the job
//! itself succeeds, as retrying cannot help. Parsers run on a blocking thread under a time
//! limit, and a parser that panics fails the import, never the worker. An import whose job
//! gives up (its last attempt failed, or the attempts before it were cut off mid-conversion)
//! ends as failed too, so none stays "converting" for ever.

mod gltf;
mod ifc;
mod obj;
pub mod sandboxed;
mod stl;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fleck_core::auth::Actor;
use fleck_core::authz::Action;
use fleck_core::ingestions::files;
use fleck_core::objects;
use fleck_core::objects::build::{Detached, Objects};
use fleck_core::objects::NewObject;
use fleck_core::projects::imports::{self, ImportOutcome, IMPORT_JOB};
use fleck_core::projects::versions::{self, ModelRef, NewVersion};
use fleck_core::projects::{service, FileImport, ImportStatus};
use fleck_core::queue::Job;
use fleck_core::Core;
use serde::Deserialize;
use serde_json::json;

use crate::runtime::{payload, Handler, JobError};
use crate::sandbox::Isolation;
pub use sandboxed::{convert_in_child, Source};

/// A converted file: its objects (children first) and the root a version points at.
pub struct Converted {
    pub objects: Objects,
    pub root: Detached,
    pub warnings: Vec<String>,
    /// Reported as the import's parser.
    pub parser: &'static str,
}

/// A conversion as an import records it, whether it ran in this process or in a child.
pub struct Conversion {
    pub objects: Vec<NewObject>,
    pub root: String,
    pub warnings: Vec<String>,
    pub parser: String,
}

impl From<Converted> for Conversion {
    fn from(converted: Converted) -> Self {
        Conversion {
            objects: converted.objects.list,
            root: converted.root.id,
            warnings: converted.warnings,
            parser: converted.parser.to_string(),
        }
    }
}

#[cfg(test)]
impl Converted {
    /// Every object as stored, parsed back, for the converters' tests.
    pub(crate) fn stored(&self) -> Vec<serde_json::Value> {
        self.objects
            .list
            .iter()
            .map(|o| serde_json::from_str(&o.data).unwrap())
            .collect()
    }
}

/// Why a file could not be converted, in words for the person who uploaded it.
#[derive(Debug)]
pub struct Failure(pub String);

/// How far a conversion may go: until a deadline, and up to an amount of geometry. Converters
/// that walk a model piece by piece check both as they go, so a conversion that ran out of time
/// does not keep its thread busy long after, and a small file that unfolds into endless
/// geometry (a glTF node reused under many parents) stops before it takes the server's memory.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    at: Instant,
    limit: Duration,
    /// Vertex coordinates and face entries the converted objects may hold.
    geometry: usize,
}

/// The most vertex coordinates and face entries one file may convert into by default: about
/// a gigabyte of objects at most, and far above any real file's.
pub const DEFAULT_GEOMETRY_LIMIT: usize = 30_000_000;

/// The most objects one file may convert into.
pub const MAX_OBJECTS: usize = 1_000_000;

impl Bounds {
    pub fn after(limit: Duration) -> Self {
        Bounds {
            at: Instant::now() + limit,
            limit,
            geometry: DEFAULT_GEOMETRY_LIMIT,
        }
    }

    pub fn with_geometry_limit(self, geometry: usize) -> Self {
        Bounds { geometry, ..self }
    }

    /// An error once the time is up.
    pub fn check(&self) -> Result<(), Failure> {
        if Instant::now() >= self.at {
            Err(self.exceeded())
        } else {
            Ok(())
        }
    }

    /// An error once `objects` hold more geometry than the limit, or more objects than any
    /// real file converts into (a glTF whose reused nodes unfold into millions of tiny meshes).
    pub fn check_geometry(&self, objects: &Objects) -> Result<(), Failure> {
        if objects.list.len() > MAX_OBJECTS {
            return Err(Failure(format!(
                "The model unfolds into more than {} million objects; shared parts may be placed too many times.",
                MAX_OBJECTS / 1_000_000
            )));
        }
        if objects.geometry_numbers() > self.geometry {
            return Err(Failure(format!(
                "The model unfolds into more geometry than an import may hold ({} million vertex coordinates and face entries); shared parts may be placed too many times.",
                self.geometry / 1_000_000
            )));
        }
        Ok(())
    }

    fn exceeded(&self) -> Failure {
        took_too_long(self.limit)
    }
}

fn took_too_long(limit: Duration) -> Failure {
    let limit = if limit >= Duration::from_secs(1) {
        format!("{} s", limit.as_secs())
    } else {
        format!("{} ms", limit.as_millis())
    };
    Failure(format!(
        "Converting took longer than the limit of {limit}; the file may be too large or too complex."
    ))
}

/// A converter that ended without an answer: a panic, or a crash of its process.
fn converter_broke() -> Failure {
    Failure(
        "The converter failed on this file; it may be damaged or use features Fleck cannot read yet."
            .into(),
    )
}

/// Converts `bytes` by the file's (lower-case) extension; `libraries` are the MTL files an OBJ
/// asked for, by lower-case file name.
pub fn convert(
    file_name: &str,
    file_type: &str,
    bytes: &[u8],
    libraries: &HashMap<String, Vec<u8>>,
    bounds: Bounds,
) -> Result<Converted, Failure> {
    match file_type {
        "obj" => obj::convert(file_name, bytes, libraries, bounds),
        "stl" => stl::convert(file_name, bytes),
        "glb" | "gltf" => gltf::convert(file_name, bytes, bounds),
        "ifc" => ifc::convert(file_name, bytes, bounds),
        other => Err(Failure(imports::unsupported(other).unwrap_or_else(|| {
            format!("Files of type .{other} have no converter in this build.")
        }))),
    }
}

/// Runs `convert` off the async threads within `limit`. Running out of time, and a panic, are
/// failures of the conversion; the panic is logged for whoever runs the server.
pub async fn run_converter<F>(limit: Duration, convert: F) -> Result<Converted, Failure>
where
    F: FnOnce(Bounds) -> Result<Converted, Failure> + Send + 'static,
{
    let bounds = Bounds::after(limit);
    let work = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| convert(bounds)))
    });
    match tokio::time::timeout(limit, work).await {
        Err(_) => Err(bounds.exceeded()),
        Ok(Err(error)) => {
            tracing::error!(%error, "the converter's thread ended without an answer");
            Err(converter_broke())
        }
        Ok(Ok(Err(panic))) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %what, "a converter panicked");
            Err(converter_broke())
        }
        Ok(Ok(Ok(converted))) => converted,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    project_id: String,
    file_import_id: String,
    /// The model ingestion the import reports to (`startFileIngestion`).
    #[serde(default)]
    ingestion_id: Option<String>,
}

/// Errors of the stores: worth another attempt when a backend failed, final otherwise (the
/// file, model or permission is gone).
fn job_error(error: fleck_core::Error) -> JobError {
    match error {
        fleck_core::Error::Backend { .. } | fleck_core::Error::RateLimited { .. } => {
            JobError::Retry(error.to_string())
        }
        other => JobError::Permanent(other.to_string()),
    }
}

/// The largest file an import reads unless told otherwise, as `FLECK_FILE_SIZE_LIMIT_MB`'s default.
pub const DEFAULT_SIZE_LIMIT: u64 = 100 * 1024 * 1024;

/// The most material libraries one OBJ may name; any beyond are left out with a warning.
pub const MAX_MATERIAL_LIBRARIES: usize = 16;

pub struct ImportFile {
    core: Core,
    timeout: Duration,
    size_limit: u64,
    isolation: Isolation,
}

/// Errors of reading the import's files: a file refused as it is (too large, replaced since the
/// import started) fails the import with the reason; a missing one fails the job for good.
fn read_error(error: fleck_core::Error) -> Result<Failure, JobError> {
    match error {
        fleck_core::Error::Invalid { reason, .. } => {
            Ok(Failure(format!("The file cannot be imported: {reason}.")))
        }
        fleck_core::Error::NotFound(_) => {
            Err(JobError::Permanent("the uploaded file was deleted".into()))
        }
        other => Err(job_error(other)),
    }
}

impl ImportFile {
    pub fn new(core: Core, timeout: Duration) -> Self {
        ImportFile {
            core,
            timeout,
            size_limit: DEFAULT_SIZE_LIMIT,
            isolation: Isolation::InProcess,
        }
    }

    /// Converts in child processes under these limits, or in this process.
    pub fn with_isolation(mut self, isolation: Isolation) -> Self {
        self.isolation = isolation;
        self
    }

    /// Converts `source` where the isolation says, within the import's time limit.
    async fn convert(&self, source: Source) -> Result<Conversion, Failure> {
        match &self.isolation {
            Isolation::Child(child) => convert_in_child(child, self.timeout, source).await,
            Isolation::InProcess => {
                let converted = run_converter(self.timeout, move |bounds| {
                    let Source {
                        file_name,
                        file_type,
                        bytes,
                        libraries,
                    } = source;
                    convert(&file_name, &file_type, &bytes, &libraries, bounds)
                })
                .await;
                converted.map(Conversion::from)
            }
        }
    }

    /// Reads no file (the imported one, or a library it names) larger than `limit` bytes.
    pub fn with_size_limit(mut self, limit: u64) -> Self {
        self.size_limit = limit;
        self
    }

    /// The uploaded material libraries an OBJ names that belong to its upload, by lower-case
    /// file name (which ones do is `imports::companion_file`'s to say), and warnings about any
    /// that could not be used.
    async fn material_libraries(
        &self,
        import: &FileImport,
        obj: &[u8],
    ) -> Result<(HashMap<String, Vec<u8>>, Vec<String>), JobError> {
        let mut found = HashMap::new();
        let mut warnings = Vec::new();
        let named = obj::material_libraries(obj);
        if named.len() > MAX_MATERIAL_LIBRARIES {
            warnings.push(format!(
                "the OBJ names {} material libraries; only the first {MAX_MATERIAL_LIBRARIES} are read",
                named.len()
            ));
        }
        for library in named.into_iter().take(MAX_MATERIAL_LIBRARIES) {
            match imports::companion_file(&self.core, import, &library, "mtl", self.size_limit)
                .await
            {
                Ok(Some(bytes)) => {
                    found.insert(library.to_lowercase(), bytes);
                }
                Ok(None) => {}
                Err(error) => match read_error(error) {
                    // The OBJ converts without it, and says why it is grey.
                    Ok(Failure(why)) => warnings.push(format!("{library} was not used: {why}")),
                    Err(JobError::Permanent(_)) => {}
                    Err(retry) => return Err(retry),
                },
            }
        }
        Ok((found, warnings))
    }

    /// Converts the import's file and records the outcome; errors are the stores'.
    async fn import(&self, import: FileImport, ingestion: Option<&str>) -> Result<(), JobError> {
        let core = &self.core;
        // The version is the importing user's, as if they had sent it themselves.
        let user = fleck_core::users::by_id(core, &import.user_id)
            .await
            .map_err(job_error)?
            .ok_or_else(|| JobError::Permanent("the importing user's account is gone".into()))?;
        let actor = Actor::from_session(user);
        if let Some(ingestion) = ingestion {
            let message = format!("Converting {}", import.file_name);
            let going = files::converting(core, &actor, &import.project_id, ingestion, message)
                .await
                .map_err(job_error)?;
            if !going {
                let reason = "The import was cancelled.".to_string();
                imports::conclude(
                    core,
                    &import.project_id,
                    &import.id,
                    ImportOutcome::Failed { reason },
                    None,
                )
                .await
                .map_err(job_error)?;
                return Ok(());
            }
        }

        let started = Instant::now();
        let kind = import.file_type.to_lowercase();
        let read = match imports::read_file(core, &import, self.size_limit).await {
            Ok(bytes) => Ok(bytes),
            Err(error) => Err(read_error(error)?),
        };
        let (libraries, mut warnings) = match (&read, kind.as_str()) {
            (Ok(bytes), "obj") => self.material_libraries(&import, bytes).await?,
            _ => (HashMap::new(), Vec::new()),
        };
        let downloaded = started.elapsed();
        let converted = match read {
            Ok(bytes) => {
                let source = Source {
                    file_name: import.file_name.clone(),
                    file_type: kind,
                    bytes,
                    libraries,
                };
                self.convert(source).await
            }
            Err(failure) => Err(failure),
        };
        let parsed = started.elapsed() - downloaded;
        let mut performance = json!({
            "downloadDurationSeconds": downloaded.as_secs_f64(),
            "parseDurationSeconds": parsed.as_secs_f64(),
        });
        let outcome = match converted {
            Err(Failure(reason)) => ImportOutcome::Failed { reason },
            Ok(converted) => {
                performance["parser"] = json!(converted.parser);
                performance["objects"] = json!(converted.objects.len());
                let access = service::load(core, &actor, &import.project_id, Action::WriteProject)
                    .await
                    .map_err(job_error)?;
                objects::store(core, &actor, &access, converted.objects)
                    .await
                    .map_err(job_error)?;
                let message = format!("File upload: {}", import.file_name);
                let version = match ingestion {
                    Some(ingestion) => {
                        let (project, root) = (&import.project_id, converted.root);
                        files::converted(core, &actor, project, ingestion, root, message).await
                    }
                    None => {
                        versions::create(
                            core,
                            &actor,
                            &import.project_id,
                            NewVersion {
                                model: ModelRef::Id(import.model_id.clone()),
                                object_id: converted.root,
                                message: Some(message),
                                source_application: Some(format!(
                                    "fleck-import:{}",
                                    import.file_type
                                )),
                                total_children_count: None,
                                parents: Vec::new(),
                            },
                        )
                        .await
                    }
                }
                .map_err(job_error)?;
                performance["versionId"] = json!(version.id);
                warnings.extend(converted.warnings);
                ImportOutcome::Succeeded {
                    version_id: version.id,
                    warnings,
                }
            }
        };
        performance["durationSeconds"] = json!(started.elapsed().as_secs_f64());
        if let ImportOutcome::Failed { reason } = &outcome {
            tracing::info!(file = %import.file_name, %reason, "the file could not be imported");
            if let Some(ingestion) = ingestion {
                files::failed(core, &actor, &import.project_id, ingestion, reason.clone())
                    .await
                    .map_err(job_error)?;
            }
        }
        let recorded = imports::conclude(
            core,
            &import.project_id,
            &import.id,
            outcome,
            Some(performance),
        )
        .await
        .map_err(job_error)?;
        if !recorded {
            tracing::info!(file = %import.file_name, "another converter reported this import's outcome first");
        }
        Ok(())
    }
}

#[async_trait]
impl Handler for ImportFile {
    fn kind(&self) -> &'static str {
        IMPORT_JOB
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let payload: Payload = payload(job, "a file import job")?;
        let core = &self.core;
        let (project_id, import_id) = (&payload.project_id, &payload.file_import_id);
        let last_attempt = job.attempt >= job.max_attempts;
        let before = match imports::find(core, project_id, import_id).await {
            Ok(import) => Some(import),
            Err(fleck_core::Error::NotFound(_)) => None,
            Err(e) => return Err(job_error(e)),
        };
        if last_attempt
            && job.attempt > 1
            && before.is_some_and(|i| i.status == ImportStatus::Converting)
        {
            // An attempt that ends, however it ends, leaves the import queued or finished; one
            // still converting was cut off, its worker gone (out of memory?). Another try would
            // most likely go the same way.
            let reason = "Converting this file was cut off before it finished, more than once; \
                          the file may be too large or too complex to convert.";
            imports::abandon(core, project_id, import_id, reason)
                .await
                .map_err(job_error)?;
            return Ok(());
        }
        let Some(import) = imports::begin(core, project_id, import_id)
            .await
            .map_err(job_error)?
        else {
            return Ok(());
        };
        let ingestion = payload.ingestion_id.as_deref();
        let Err(error) = self.import(import, ingestion).await else {
            return Ok(());
        };
        let settled = match &error {
            JobError::Permanent(why) => {
                let reason = format!("The import could not be finished: {why}.");
                if let Some(ingestion) = ingestion {
                    let ended = files::abandoned(core, project_id, ingestion, &reason).await;
                    if let Err(e) = ended {
                        tracing::warn!(error = %e, "cannot record that the ingestion failed");
                    }
                }
                imports::abandon(core, project_id, import_id, &reason).await
            }
            JobError::Retry(_) if last_attempt => {
                let reason = "The import could not be finished: the server could not store \
                              the converted model. Try importing the file again later.";
                imports::abandon(core, project_id, import_id, reason).await
            }
            JobError::Retry(_) => imports::requeue(core, project_id, import_id).await,
        };
        if let Err(e) = settled {
            tracing::warn!(error = %e, "cannot record that the import stopped");
        }
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triangle() -> Result<Converted, Failure> {
        stl::convert(
            "t.stl",
            b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n",
        )
    }

    #[tokio::test]
    async fn a_converter_that_panics_fails_the_conversion_not_the_caller() {
        let failed =
            run_converter(Duration::from_secs(5), |_| panic!("the parser fell over")).await;
        let Err(Failure(why)) = failed else {
            panic!("converted")
        };
        assert!(why.contains("damaged"), "{why}");
        assert!(run_converter(Duration::from_secs(5), |_| triangle())
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn a_converter_past_its_time_limit_fails_and_is_told_to_stop() {
        let (told, noticed) = std::sync::mpsc::channel();
        let started = Instant::now();
        let failed = run_converter(Duration::from_millis(50), move |bounds| {
            // A converter walking a large model checks the bounds as it goes.
            loop {
                if let Err(stop) = bounds.check() {
                    told.send(()).unwrap();
                    return Err(stop);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
        .await;
        let Err(Failure(why)) = failed else {
            panic!("converted")
        };
        assert!(why.contains("longer than the limit of 50 ms"), "{why}");
        assert!(started.elapsed() < Duration::from_secs(2));
        noticed
            .recv_timeout(Duration::from_secs(2))
            .expect("the converter stopped at its bounds");
    }

    #[test]
    fn unknown_types_are_refused_by_name() {
        let bounds = Bounds::after(Duration::from_secs(5));
        let Err(Failure(why)) = convert("a.dwg", "dwg", b"AC1032", &HashMap::new(), bounds) else {
            panic!("converted")
        };
        assert!(why.contains(".dwg") && why.contains(".ifc"), "{why}");
    }
}
