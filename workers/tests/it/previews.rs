//! The `preview` job on both backend sets: creating a version queues a render of its object
//! tree; the worker stores PNGs that show the model; an object that is not there fails for good
//! with its reason.

use std::sync::Arc;
use std::time::Duration;

use crate::support::{on_both_backend_sets, poll, Backends, Worker};
use fleck_core::auth::Actor;
use fleck_core::objects::batch;
use fleck_core::previews::{self, Preview, PreviewImage, PreviewStatus};
use fleck_core::projects::versions::{self, ModelRef, NewVersion};
use fleck_core::queue::Job;
use fleck_core::Core;
use fleck_viewer::headless::Image;
use fleck_workers::previews::{PreviewLimits, RenderPreview};
use fleck_workers::{Handler, JobError};
use serde_json::json;

on_both_backend_sets!(
    a_new_version_gets_a_preview_showing_the_model,
    a_preview_of_a_missing_object_fails_with_its_reason,
    a_model_past_the_preview_limits_fails_with_the_reason,
);

/// A green box (quads in Speckle's face encoding) under a root, uploaded to a new project.
async fn project_with_a_box(core: &Core, actor: &Actor) -> (String, String, String) {
    let (project, main) = crate::support::new_project(core, actor, "Previewed").await;
    let mesh = json!({
        "id": "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a",
        "speckle_type": "Objects.Geometry.Mesh",
        "units": "m",
        "vertices": [0,0,0, 4,0,0, 4,3,0, 0,3,0, 0,0,2, 4,0,2, 4,3,2, 0,3,2],
        "faces": [4,0,3,2,1, 4,4,5,6,7, 4,0,1,5,4, 4,1,2,6,5, 4,2,3,7,6, 4,3,0,4,7],
        "renderMaterial": { "speckle_type": "Objects.Other.RenderMaterial", "diffuse": 0xFF20B040_u32 as i32, "opacity": 1 }
    });
    let root = json!({
        "id": "1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b",
        "speckle_type": "Base",
        "@elements": [{ "referencedId": "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a", "speckle_type": "reference" }],
        "__closure": { "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a": 1 },
        "totalChildrenCount": 1
    });
    let text = json!([mesh, root]).to_string();
    let objects = batch::parse(text.as_bytes(), 1 << 20).unwrap();
    core.objects()
        .insert_objects(&project, objects)
        .await
        .unwrap();
    (project, main, "1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b".into())
}

async fn wait_for(core: &Core, project: &str, object: &str, status: PreviewStatus) {
    let read = || async {
        let preview = core.database().previews.preview(project, object).await;
        preview.unwrap()
    };
    let what = format!("the preview becoming {status:?}");
    let (within, every) = (Duration::from_secs(60), Duration::from_millis(100));
    let is_status = |preview: &Option<Preview>| preview.as_ref().map(|p| p.status) == Some(status);
    poll(&what, within, every, read, is_status).await;
}

async fn a_new_version_gets_a_preview_showing_the_model(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let worker = Worker::start_fleck(&core, "previews");
    let actor = crate::support::new_user(&core).await;
    let (project, model, root) = project_with_a_box(&core, &actor).await;

    versions::create(
        &core,
        &actor,
        &project,
        NewVersion {
            model: ModelRef::Id(model),
            object_id: root.clone(),
            message: None,
            source_application: None,
            total_children_count: None,
            parents: vec![],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        previews::image(&core, &project, &root, "0").await.unwrap(),
        PreviewImage::Pending
    );
    wait_for(&core, &project, &root, PreviewStatus::Done).await;

    let PreviewImage::Png(png) = previews::image(&core, &project, &root, "0").await.unwrap() else {
        panic!("no image");
    };
    let image = Image::from_png(&png).unwrap();
    assert_eq!((image.width, image.height), (700, 400));
    let green = image
        .rgba
        .chunks_exact(4)
        .filter(|p| p[1] > 120 && p[0] < 100 && p[2] < 110)
        .count();
    assert!(green > 10_000, "{green} green pixels");
    let PreviewImage::Png(sprite) = previews::image(&core, &project, &root, "all")
        .await
        .unwrap()
    else {
        panic!("no sprite");
    };
    assert_eq!(Image::from_png(&sprite).unwrap().width, 700 * 24);
    assert_eq!(
        previews::image(&core, &project, &root, "5").await.unwrap(),
        PreviewImage::NoSuchAngle
    );
    worker.stop().await;
}

async fn a_preview_of_a_missing_object_fails_with_its_reason(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let worker = Worker::start_fleck(&core, "previews");
    let actor = crate::support::new_user(&core).await;
    let (project, _, _) = project_with_a_box(&core, &actor).await;

    previews::request(&core, &project, "ffffffffffffffffffffffffffffffff")
        .await
        .unwrap();
    wait_for(
        &core,
        &project,
        "ffffffffffffffffffffffffffffffff",
        PreviewStatus::Failed,
    )
    .await;
    let preview = core
        .database()
        .previews
        .preview(&project, "ffffffffffffffffffffffffffffffff")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(preview.attempts, 1, "retrying cannot find the object");
    assert!(preview.error.unwrap().contains("not in the project"));
    assert_eq!(
        previews::image(&core, &project, "ffffffffffffffffffffffffffffffff", "0")
            .await
            .unwrap(),
        PreviewImage::Failed
    );
    worker.stop().await;
}

async fn a_model_past_the_preview_limits_fails_with_the_reason(backends: Arc<Backends>) {
    // No worker: the handler runs here, and no model gets as far as the GL context.
    let core = backends.connect().await;
    let actor = crate::support::new_user(&core).await;
    let (project, _, root) = project_with_a_box(&core, &actor).await;
    let job = Job {
        id: 1,
        kind: fleck_core::previews::PREVIEW_JOB.into(),
        payload: json!({ "projectId": project, "objectId": root }),
        attempt: 1,
        max_attempts: 3,
        retry_base: Duration::from_secs(1),
        lease_token: "test".into(),
    };
    let limited = |limits: PreviewLimits| RenderPreview::new(core.clone()).with_limits(limits);
    let cases = [
        (
            PreviewLimits {
                max_objects: 1,
                ..PreviewLimits::default()
            },
            "more than 1 objects",
        ),
        (
            PreviewLimits {
                max_bytes: 100,
                ..PreviewLimits::default()
            },
            "more than 0 MiB",
        ),
        (
            // The box is twelve triangles.
            PreviewLimits {
                max_primitives: 5,
                ..PreviewLimits::default()
            },
            "more than 5 triangles",
        ),
        (
            PreviewLimits {
                time_limit: Duration::ZERO,
                ..PreviewLimits::default()
            },
            // Whichever notices first: the scene build, or the job's own timer.
            "took longer than",
        ),
    ];
    for (limits, reason) in cases {
        previews::request(&core, &project, &root).await.unwrap();
        let error = limited(limits).run(&job).await.unwrap_err();
        assert!(matches!(error, JobError::Permanent(_)), "{error}");
        let preview = core
            .database()
            .previews
            .preview(&project, &root)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(preview.status, PreviewStatus::Failed, "{reason}");
        let error = preview.error.unwrap();
        assert!(
            error.contains("too large to preview") && error.contains(reason),
            "{error}"
        );
    }
}
