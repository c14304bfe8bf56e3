//! The `file-import` job on both backend sets: an IFC, an OBJ with its MTL, an STL and a GLB
//! uploaded to a project each become a version whose objects the viewer's scene builder draws;
//! a damaged file ends its import as failed with a reason, and the worker carries on.

mod support;

use std::sync::Arc;
use std::time::Duration;

use fleck_core::auth::Actor;
use fleck_core::authz::Visibility;
use fleck_core::blobs::stream_from_bytes;
use fleck_core::objects::tree;
use fleck_core::projects::imports::{self, ImportRequest};
use fleck_core::projects::service::{self, NewProject};
use fleck_core::projects::{attachments, versions, FileImport, ImportStatus};
use fleck_core::Core;
use fleck_viewer::{ObjectSource, Scene};
use futures::TryStreamExt;
use support::{on_both_backend_sets, options, Backends, Worker};

on_both_backend_sets!(
    every_format_becomes_a_version_the_viewer_draws,
    a_damaged_file_fails_its_import_with_a_reason,
);

const HOUSE_IFC: &[u8] = include_bytes!("fixtures/small_house.ifc");
const ROOF_GLB: &[u8] = include_bytes!("fixtures/roof.glb");
const PAVILION_OBJ: &[u8] = include_bytes!("../../end2end/fixtures/pavilion.obj");
const PAVILION_MTL: &[u8] = b"newmtl concrete\nKd 0.6 0.6 0.6\nnewmtl timber\nKd 0.7 0.45 0.2\n";
const ASCII_STL: &[u8] = b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n";

async fn project(core: &Core, actor: &Actor) -> (String, String) {
    let project = service::create(
        core,
        actor,
        NewProject {
            name: "Imports".into(),
            description: None,
            visibility: Visibility::Private,
        },
    )
    .await
    .unwrap();
    let main = core
        .projects
        .model_by_name(&project.id, "main")
        .await
        .unwrap()
        .unwrap();
    (project.id, main.id)
}

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
        etag: file.file_hash.as_deref().unwrap_or_default(),
    };
    imports::start(core, actor, request, 10 << 20)
        .await
        .unwrap()
}

async fn finished(core: &Core, project: &str, id: &str) -> FileImport {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let import = core
            .projects
            .file_import(project, id)
            .await
            .unwrap()
            .unwrap();
        if matches!(
            import.status,
            ImportStatus::Succeeded | ImportStatus::Failed
        ) {
            return import;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the import never finished: {import:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The scene the viewer builds of a version's object tree.
async fn scene_of(core: &Core, project: &str, version_id: &str) -> Scene {
    let version = versions::find(core, project, version_id).await.unwrap();
    let rows = tree::whole(core.objects.clone(), project, &version.referenced_object)
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

async fn every_format_becomes_a_version_the_viewer_draws(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let worker = Worker::start(
        &core,
        fleck_workers::registry(&core, &fleck_workers::Limits::default()),
        options("imports"),
    );
    let actor = support::new_user(&core).await;
    let (project, model) = project(&core, &actor).await;
    // The OBJ's colours come from its MTL, uploaded to the project first.
    attachments::upload(
        &core,
        &actor,
        &project,
        "pavilion.mtl",
        None,
        stream_from_bytes(PAVILION_MTL.to_vec()),
    )
    .await
    .unwrap();
    let files: [(&str, &[u8], usize, &str); 4] = [
        ("small_house.ifc", HOUSE_IFC, 24, "IfcWall"),
        ("pavilion.obj", PAVILION_OBJ, 24, "OBJ objects"),
        ("part.stl", ASCII_STL, 1, "STL solids"),
        ("roof.glb", ROOF_GLB, 1, "glTF meshes"),
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
        assert!(done.message.is_none(), "{name} warned: {:?}", done.message);
        let performance = done.performance.clone().unwrap();
        assert!(performance["parser"].is_string() && performance["durationSeconds"].is_number());
        let version_id = done.version_id.unwrap();
        let version = versions::find(&core, &project, &version_id).await.unwrap();
        assert_eq!(
            version.message.as_deref(),
            Some(format!("File upload: {name}").as_str())
        );
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
    }
    worker.stop().await;
}

async fn a_damaged_file_fails_its_import_with_a_reason(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let worker = Worker::start(
        &core,
        fleck_workers::registry(&core, &fleck_workers::Limits::default()),
        options("imports"),
    );
    let actor = support::new_user(&core).await;
    let (project, model) = project(&core, &actor).await;
    for (name, bytes, reason) in [
        ("broken.ifc", &HOUSE_IFC[..200], "IFC"),
        ("noise.stl", &b"\x01\x02\x03"[..], "STL"),
        ("notes.glb", &b"these are not triangles"[..], "glTF"),
    ] {
        let started = import(&core, &actor, &project, &model, name, bytes).await;
        let done = finished(&core, &project, &started.id).await;
        assert_eq!(done.status, ImportStatus::Failed, "{name}");
        let message = done.message.unwrap_or_default();
        assert!(message.contains(reason), "{name}: {message}");
        assert!(done.version_id.is_none());
    }
    // The worker is still there for the next file.
    let started = import(&core, &actor, &project, &model, "part.stl", ASCII_STL).await;
    assert_eq!(
        finished(&core, &project, &started.id).await.status,
        ImportStatus::Succeeded
    );
    worker.stop().await;
}
