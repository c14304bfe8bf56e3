//! The `file-import` job on both backend sets: an IFC, an OBJ with its MTL, ASCII and binary
//! STLs, a GLB and a glTF uploaded to a project each become a version whose objects the
//! viewer's scene builder draws; a damaged file ends its import as failed with a reason, and the
//! worker carries on; an import whose job gives up, or that runs out of time, ends as failed.

use std::sync::Arc;
use std::time::Duration;

use crate::support::{on_both_backend_sets, poll, Backends, Worker};
use fleck_core::auth::Actor;
use fleck_core::blobs::stream_from_bytes;
use fleck_core::objects::tree;
use fleck_core::projects::imports::{self, ImportRequest};
use fleck_core::projects::{attachments, versions, Attachment, FileImport, ImportStatus};
use fleck_core::queue::Job;
use fleck_core::Core;
use fleck_viewer::{ObjectSource, Scene};
use fleck_workers::import::ImportFile;
use fleck_workers::{Handler, JobError};
use futures::TryStreamExt;

on_both_backend_sets!(
    every_format_becomes_a_version_the_viewer_draws,
    a_damaged_file_fails_its_import_with_a_reason,
    an_import_whose_job_gives_up_ends_as_failed,
    a_file_replaced_after_the_start_or_over_the_limit_fails_its_import,
    an_obj_reads_only_the_mtl_uploaded_along_with_it,
);

const HOUSE_IFC: &[u8] = include_bytes!("../fixtures/small_house.ifc");
const ROOF_GLB: &[u8] = include_bytes!("../fixtures/roof.glb");
const FACADE_GLTF: &[u8] = include_bytes!("../fixtures/facade.gltf");
const CUBE_OBJ: &[u8] = include_bytes!("../fixtures/cube.obj");
const CUBE_MTL: &[u8] = include_bytes!("../fixtures/cube.mtl");
const PAVILION_OBJ: &[u8] = include_bytes!("../../../end2end/fixtures/pavilion.obj");
const ASCII_STL: &[u8] = include_bytes!("../fixtures/cube_ascii.stl");
const BINARY_STL: &[u8] = include_bytes!("../fixtures/cube_binary.stl");

/// Uploads `bytes` as `name` and starts importing it into the model.
async fn import(
    core: &Core,
    actor: &Actor,
    project: &str,
    model: &str,
    name: &str,
    bytes: &[u8],
) -> FileImport {
    let file = attachments::upload(
        core,
        actor,
        project,
        name,
        None,
        stream_from_bytes(bytes.to_vec()),
    )
    .await
    .unwrap();
    let request = ImportRequest {
        project_id: project,
        model_id: model,
        file_id: &file.id,
        etag: file.file_hash.as_deref(),
    };
    imports::start(core, actor, request, 10 << 20)
        .await
        .unwrap()
}

async fn finished(core: &Core, project: &str, id: &str) -> FileImport {
    let read = || async {
        let import = core.database().projects.file_import(project, id).await;
        import.unwrap().expect("the import")
    };
    let finished = |import: &FileImport| {
        matches!(
            import.status,
            ImportStatus::Succeeded | ImportStatus::Failed
        )
    };
    let (within, every) = (Duration::from_secs(60), Duration::from_millis(100));
    poll("the import finishing", within, every, read, finished).await
}

/// The scene the viewer builds of a version's object tree.
async fn scene_of(core: &Core, project: &str, version_id: &str) -> Scene {
    let version = versions::find(core, project, version_id).await.unwrap();
    let rows = tree::whole(core.objects().clone(), project, &version.referenced_object)
        .await
        .unwrap()
        .unwrap();
    let chunks: Vec<Vec<(String, String)>> = rows.try_collect().await.unwrap();
    let mut source = ObjectSource::new();
    for (_, json) in chunks.iter().flatten() {
        source.insert(serde_json::from_str(json).unwrap());
    }
    Scene::build(&source, &version.referenced_object)
}

/// The scene's colours, as the viewer draws them.
fn colours(scene: &Scene) -> Vec<[u8; 3]> {
    scene
        .meshes
        .iter()
        .map(|batch| {
            let [r, g, b, _] = batch.material.color;
            [r, g, b]
        })
        .collect()
}

async fn every_format_becomes_a_version_the_viewer_draws(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let worker = Worker::start_fleck(&core, "imports");
    let actor = crate::support::new_user(&core).await;
    let (project, model) = crate::support::new_project(&core, &actor, "Imports").await;
    // The cube's colours come from its MTL, uploaded to the project first.
    attachments::upload(
        &core,
        &actor,
        &project,
        "cube.mtl",
        None,
        stream_from_bytes(CUBE_MTL.to_vec()),
    )
    .await
    .unwrap();
    let files: [(&str, &[u8], usize, &str); 7] = [
        ("small_house.ifc", HOUSE_IFC, 30, "IfcWall"),
        ("cube.obj", CUBE_OBJ, 12, "OBJ objects"),
        ("pavilion.obj", PAVILION_OBJ, 24, "OBJ objects"),
        ("cube_ascii.stl", ASCII_STL, 12, "STL solids"),
        ("cube_binary.stl", BINARY_STL, 12, "STL solids"),
        ("roof.glb", ROOF_GLB, 1, "glTF meshes"),
        ("facade.gltf", FACADE_GLTF, 4, "glTF meshes"),
    ];
    for (name, bytes, min_triangles, category) in files {
        let started = import(&core, &actor, &project, &model, name, bytes).await;
        let done = finished(&core, &project, &started.id).await;
        assert_eq!(
            done.status,
            ImportStatus::Succeeded,
            "{name}: {:?}",
            done.message
        );
        if name == "pavilion.obj" {
            // Its pavilion.mtl was never uploaded: it comes in grey, and says why.
            let message = done.message.clone().unwrap_or_default();
            assert!(message.contains("pavilion.mtl"), "{message}");
        } else {
            assert!(done.message.is_none(), "{name} warned: {:?}", done.message);
        }
        let performance = done.performance.clone().unwrap();
        assert!(performance["parser"].is_string() && performance["durationSeconds"].is_number());
        assert_eq!(
            performance["versionId"].as_str(),
            done.version_id.as_deref()
        );
        let version_id = done.version_id.unwrap();
        let version = versions::find(&core, &project, &version_id).await.unwrap();
        assert_eq!(
            version.message.as_deref(),
            Some(format!("File upload: {name}").as_str())
        );
        assert!(version
            .source_application
            .as_deref()
            .is_some_and(|s| s.starts_with("fleck-import:")));
        assert_eq!(version.author_id.as_deref(), Some(actor_id(&actor)));
        let scene = scene_of(&core, &project, &version_id).await;
        assert!(
            scene.triangle_count() >= min_triangles,
            "{name}: {} triangles",
            scene.triangle_count()
        );
        assert!(
            scene.objects.iter().any(|o| o.category == category),
            "{name}: {:?}",
            scene.objects
        );
        assert_eq!(scene.report.problems(), 0, "{name}: {:?}", scene.report);
        let drawn = colours(&scene);
        match name {
            "cube.obj" => {
                assert!(drawn.contains(&[0xCC, 0x22, 0x22]), "{drawn:?}");
                assert!(drawn.contains(&[0x22, 0x44, 0xCC]), "{drawn:?}");
            }
            "small_house.ifc" => {
                assert!(drawn.contains(&[0xCC, 0x66, 0x33]), "brick: {drawn:?}");
                assert!(drawn.contains(&[0x99, 0x33, 0x1A]), "roof: {drawn:?}");
            }
            _ => {}
        }
    }
    worker.stop().await;
}

async fn a_damaged_file_fails_its_import_with_a_reason(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let worker = Worker::start_fleck(&core, "imports");
    let actor = crate::support::new_user(&core).await;
    let (project, model) = crate::support::new_project(&core, &actor, "Imports").await;
    for (name, bytes, reason) in [
        ("broken.ifc", &HOUSE_IFC[..200], "incomplete"),
        ("noise.stl", &b"\x01\x02\x03"[..], "STL"),
        ("short.stl", &BINARY_STL[..300], "STL"),
        ("notes.glb", &b"these are not triangles"[..], "glTF"),
        ("lines.obj", &b"v 0 0 0\nv 1 0 0\nl 1 2\n"[..], "no faces"),
        ("holes.obj", &b"v 0 0 0\nf 1 2 3\n"[..], "OBJ"),
    ] {
        let started = import(&core, &actor, &project, &model, name, bytes).await;
        let done = finished(&core, &project, &started.id).await;
        assert_eq!(done.status, ImportStatus::Failed, "{name}");
        let message = done.message.unwrap_or_default();
        assert!(message.contains(reason), "{name}: {message}");
        assert!(done.version_id.is_none());
    }
    // A failed import can be removed, with its file; a converted one stays.
    let failed = import(&core, &actor, &project, &model, "again.stl", b"\x01\x02").await;
    assert_eq!(
        finished(&core, &project, &failed.id).await.status,
        ImportStatus::Failed
    );
    imports::remove(&core, &actor, &project, &failed.id)
        .await
        .unwrap();
    assert!(imports::find(&core, &project, &failed.id).await.is_err());
    assert!(attachments::find(&core, &project, &failed.id)
        .await
        .is_err());
    // A file no converter reads is refused when its import starts, not queued to fail.
    let drawing = attachments::upload(
        &core,
        &actor,
        &project,
        "drawing.dwg",
        None,
        stream_from_bytes(b"AC1032".to_vec()),
    )
    .await
    .unwrap();
    let request = ImportRequest {
        project_id: &project,
        model_id: &model,
        file_id: &drawing.id,
        etag: None,
    };
    let refused = imports::start(&core, &actor, request, 10 << 20)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains(".dwg") && refused.contains(".ifc"),
        "{refused}"
    );
    // The worker is still there for the next file.
    let started = import(&core, &actor, &project, &model, "cube.stl", ASCII_STL).await;
    assert_eq!(
        finished(&core, &project, &started.id).await.status,
        ImportStatus::Succeeded
    );
    let kept = imports::remove(&core, &actor, &project, &started.id).await;
    assert!(
        matches!(kept, Err(fleck_core::Error::Invalid { .. })),
        "{kept:?}"
    );
    worker.stop().await;
}

/// The import job's attempt `attempt` of 3, run by the handler itself.
fn job(project: &str, import: &str, attempt: u32) -> Job {
    Job {
        id: 1,
        kind: fleck_core::projects::imports::IMPORT_JOB.into(),
        payload: serde_json::json!({ "projectId": project, "fileImportId": import }),
        attempt,
        max_attempts: 3,
        retry_base: Duration::from_secs(1),
        lease_token: "test".into(),
    }
}

async fn an_import_whose_job_gives_up_ends_as_failed(backends: Arc<Backends>) {
    // No worker runs here: the test runs the handler with the attempts it wants to see.
    let core = backends.connect().await;
    let actor = crate::support::new_user(&core).await;
    let (project, model) = crate::support::new_project(&core, &actor, "Imports").await;
    let handler = ImportFile::new(core.clone(), Duration::from_secs(60));

    // Two attempts were cut off mid-conversion (their worker died): the last one gives up.
    let started = import(&core, &actor, &project, &model, "huge.ifc", HOUSE_IFC).await;
    imports::begin(&core, &project, &started.id).await.unwrap();
    handler.run(&job(&project, &started.id, 3)).await.unwrap();
    let done = imports::find(&core, &project, &started.id).await.unwrap();
    assert_eq!(done.status, ImportStatus::Failed);
    assert!(done.message.unwrap().contains("cut off"));

    // A cut-off attempt that is not the last is simply tried again.
    let started = import(&core, &actor, &project, &model, "again.stl", ASCII_STL).await;
    imports::begin(&core, &project, &started.id).await.unwrap();
    handler.run(&job(&project, &started.id, 2)).await.unwrap();
    let done = imports::find(&core, &project, &started.id).await.unwrap();
    assert_eq!(done.status, ImportStatus::Succeeded);

    // The uploaded file is deleted before the job runs: the job fails for good, and so does
    // the import, saying why.
    let started = import(&core, &actor, &project, &model, "gone.stl", ASCII_STL).await;
    attachments::delete(&core, &actor, &project, &started.id)
        .await
        .unwrap();
    let error = handler
        .run(&job(&project, &started.id, 1))
        .await
        .unwrap_err();
    assert!(matches!(error, JobError::Permanent(_)), "{error}");
    let done = imports::find(&core, &project, &started.id).await.unwrap();
    assert_eq!(done.status, ImportStatus::Failed);
    assert!(done.message.unwrap().contains("deleted"));

    // A conversion that runs out of time fails the import; the job is done with it.
    let hurried = ImportFile::new(core.clone(), Duration::ZERO);
    let started = import(&core, &actor, &project, &model, "slow.ifc", HOUSE_IFC).await;
    hurried.run(&job(&project, &started.id, 1)).await.unwrap();
    let done = imports::find(&core, &project, &started.id).await.unwrap();
    assert_eq!(done.status, ImportStatus::Failed);
    assert!(done.message.unwrap().contains("longer than the limit"));

    // A finished import is left alone when its job runs again.
    handler.run(&job(&project, &started.id, 2)).await.unwrap();
    assert_eq!(
        imports::find(&core, &project, &started.id)
            .await
            .unwrap()
            .status,
        ImportStatus::Failed
    );
}

/// Uploads an STL as `name`, starts importing it into `model`, then puts `replacement` in its
/// place in the blob store (as a second PUT to a presigned URL would) and runs the import: it
/// fails, and is returned.
async fn swapped_import(
    core: &Core,
    actor: &Actor,
    project: &str,
    model: &str,
    name: &str,
    replacement: Vec<u8>,
) -> FileImport {
    let handler = ImportFile::new(core.clone(), Duration::from_secs(60));
    let started = import(core, actor, project, model, name, ASCII_STL).await;
    let file = attachments::find(core, project, &started.id).await.unwrap();
    core.blobs
        .put(&file.object_key, stream_from_bytes(replacement), None)
        .await
        .unwrap();
    handler.run(&job(project, &started.id, 1)).await.unwrap();
    let done = imports::find(core, project, &started.id).await.unwrap();
    assert_eq!(done.status, ImportStatus::Failed, "{name}: {done:?}");
    done
}

async fn a_file_replaced_after_the_start_or_over_the_limit_fails_its_import(
    backends: Arc<Backends>,
) {
    let core = backends.connect().await;
    let actor = crate::support::new_user(&core).await;
    let (project, model) = crate::support::new_project(&core, &actor, "Imports").await;
    let handler = ImportFile::new(core.clone(), Duration::from_secs(60));

    // Uploaded, started, then swapped in the blob store for a larger file: the import converts
    // nothing.
    let mut larger = ASCII_STL.to_vec();
    larger.extend_from_slice(ASCII_STL);
    let done = swapped_import(&core, &actor, &project, &model, "swap.stl", larger).await;
    let message = done.message.unwrap();
    assert!(message.contains("swap.stl was replaced"), "{message}");
    assert!(done.version_id.is_none());

    // Swapped for one of the same size but other bytes: the ETag tells.
    let mut other = ASCII_STL.to_vec();
    other[0] = b'S';
    let done = swapped_import(&core, &actor, &project, &model, "same.stl", other).await;
    assert!(done.message.unwrap().contains("replaced"));

    // A file over the converter's limit is not read, and the import says why; retrying cannot
    // help, so the job is done with it.
    let small = ImportFile::new(core.clone(), Duration::from_secs(60)).with_size_limit(1024);
    assert!(ASCII_STL.len() > 1024);
    let started = import(&core, &actor, &project, &model, "big.stl", ASCII_STL).await;
    small.run(&job(&project, &started.id, 1)).await.unwrap();
    let done = imports::find(&core, &project, &started.id).await.unwrap();
    assert_eq!(done.status, ImportStatus::Failed, "{done:?}");
    let message = done.message.unwrap();
    assert!(
        message.contains("big.stl is 2 KiB") && message.contains("at most 1 KiB"),
        "{message}"
    );

    // Unchanged and within the limit, the same file converts.
    let started = import(&core, &actor, &project, &model, "fine.stl", ASCII_STL).await;
    handler.run(&job(&project, &started.id, 1)).await.unwrap();
    let done = imports::find(&core, &project, &started.id).await.unwrap();
    assert_eq!(done.status, ImportStatus::Succeeded, "{done:?}");
}

async fn an_obj_reads_only_the_mtl_uploaded_along_with_it(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let actor = crate::support::new_user(&core).await;
    let other = crate::support::new_user(&core).await;
    let (project, model) = crate::support::new_project(&core, &actor, "Imports").await;
    let handler = ImportFile::new(core.clone(), Duration::from_secs(60));
    let upload = |name: &'static str, bytes: &'static [u8]| {
        let (core, actor, project) = (core.clone(), actor.clone(), project.clone());
        async move {
            attachments::upload(
                &core,
                &actor,
                &project,
                name,
                None,
                stream_from_bytes(bytes.to_vec()),
            )
            .await
            .unwrap()
        }
    };
    // The cube, naming `library` as its material library.
    let cube_naming = |library: &str| {
        String::from_utf8_lossy(CUBE_OBJ)
            .replace("mtllib cube.mtl", &format!("mtllib {library}"))
            .into_bytes()
    };
    let convert = |name: &'static str, obj: Vec<u8>| {
        let (core, actor, project, model, handler) = (
            core.clone(),
            actor.clone(),
            project.clone(),
            model.clone(),
            &handler,
        );
        async move {
            let started = import(&core, &actor, &project, &model, name, &obj).await;
            handler.run(&job(&project, &started.id, 1)).await.unwrap();
            let done = imports::find(&core, &project, &started.id).await.unwrap();
            assert_eq!(done.status, ImportStatus::Succeeded, "{name}: {done:?}");
            let scene = scene_of(&core, &project, done.version_id.as_ref().unwrap()).await;
            (colours(&scene), done.message.unwrap_or_default())
        }
    };
    let red = [0xCC, 0x22, 0x22];

    // Any attachment of the project could be named: a file of another type is never read as
    // a material library, whatever it holds.
    upload("notes.txt", CUBE_MTL).await;
    let (drawn, message) = convert("notes.obj", cube_naming("notes.txt")).await;
    assert!(!drawn.contains(&red), "{drawn:?}");
    assert!(message.contains("notes.txt"), "{message}");

    // Another member's library of that name is not the importer's upload.
    let mut theirs = upload("theirs.mtl", CUBE_MTL).await;
    theirs.user_id = Some(actor_id(&other).to_string());
    recorded_anew(&core, theirs, CUBE_MTL).await;
    let (drawn, message) = convert("theirs.obj", cube_naming("theirs.mtl")).await;
    assert!(!drawn.contains(&red), "{drawn:?}");
    assert!(message.contains("theirs.mtl"), "{message}");

    // One uploaded long before the OBJ belongs to another upload.
    let mut old = upload("old.mtl", CUBE_MTL).await;
    old.created_at -= chrono::Duration::hours(2);
    recorded_anew(&core, old, CUBE_MTL).await;
    let (drawn, _) = convert("old.obj", cube_naming("old.mtl")).await;
    assert!(!drawn.contains(&red), "{drawn:?}");

    // The importer's own, uploaded along with the OBJ, colours it.
    upload("mine.mtl", CUBE_MTL).await;
    let (drawn, message) = convert("mine.obj", cube_naming("mine.mtl")).await;
    assert!(drawn.contains(&red), "{drawn:?}");
    assert!(message.is_empty(), "{message}");
}

/// Replaces an uploaded file's record with `changed` under a new id (a record's uploader and
/// time are never updated in place), its blob holding `bytes`.
async fn recorded_anew(core: &Core, mut changed: Attachment, bytes: &[u8]) {
    core.blobs.delete(&changed.object_key).await.unwrap();
    core.database()
        .projects
        .delete_attachment(&changed.project_id, &changed.id)
        .await
        .unwrap();
    changed.id = fleck_core::ids::new_id();
    changed.object_key = format!("assets/{}/{}", changed.project_id, changed.id);
    core.blobs
        .put(&changed.object_key, stream_from_bytes(bytes.to_vec()), None)
        .await
        .unwrap();
    core.database()
        .projects
        .save_attachment(&changed)
        .await
        .unwrap();
}

fn actor_id(actor: &Actor) -> &str {
    &actor.principal().expect("a signed-in user").user.id
}
