//! Asking for previews, storing what the renderer drew, and serving the images.

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::auth::Actor;
use crate::authz::Action;
use crate::blobs::stream_from_bytes;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::projects::service::load;
use crate::projects::Window;
use crate::queue::NewJob;

/// Previews that anonymous callers may have waiting (pending or rendering) in one project; past
/// it they get the "pending" picture and nothing more is queued until the project's previews are
/// drawn. Signed-in callers, and new versions, are not held to it.
pub const ANONYMOUS_UNFINISHED_PER_PROJECT: i64 = 10;

/// Who asks for a preview image: what they may queue depends on it.
#[derive(Clone, Copy, Debug)]
pub enum Requester<'a> {
    /// A signed-in user (or the server itself).
    SignedIn,
    /// Someone without an account, at this address; their requests that would queue a render
    /// spend `Action::PreviewRequest` points and are held to `ANONYMOUS_UNFINISHED_PER_PROJECT`.
    Anonymous { address: &'a str },
}

impl<'a> Requester<'a> {
    pub fn of(actor: &Actor, address: &'a str) -> Self {
        match actor {
            Actor::Anonymous => Requester::Anonymous { address },
            Actor::User(_) => Requester::SignedIn,
        }
    }
}

fn preview_job(project_id: &str, object_id: &str) -> NewJob {
    let mut job = NewJob::new(
        PREVIEW_JOB,
        json!({ "projectId": project_id, "objectId": object_id }),
    );
    job.max_attempts = 3;
    job
}

/// Asks for a preview of `object_id` unless it has one or one is on its way.
pub async fn request(core: &Core, project_id: &str, object_id: &str) -> Result<()> {
    if core
        .previews
        .request_preview(project_id, object_id, Utc::now())
        .await?
    {
        core.jobs
            .enqueue(preview_job(project_id, object_id))
            .await?;
    }
    Ok(())
}

/// `request` on behalf of `requester`: an anonymous one spends a point of their address's
/// preview allowance (`RateLimited` when it is used up), and queues nothing while the project
/// has `ANONYMOUS_UNFINISHED_PER_PROJECT` previews waiting. A preview already queued or drawn
/// is never queued again, and costs nothing.
pub async fn request_as(
    core: &Core,
    requester: Requester<'_>,
    project_id: &str,
    object_id: &str,
) -> Result<()> {
    let Requester::Anonymous { address } = requester else {
        return request(core, project_id, object_id).await;
    };
    if core
        .previews
        .preview(project_id, object_id)
        .await?
        .is_some()
    {
        return Ok(());
    }
    core.rate_limiter
        .spend(crate::ratelimit::Action::PreviewRequest, address)
        .await?;
    if core
        .previews
        .request_preview_within(
            project_id,
            object_id,
            Utc::now(),
            ANONYMOUS_UNFINISHED_PER_PROJECT,
        )
        .await?
    {
        core.jobs
            .enqueue(preview_job(project_id, object_id))
            .await?;
    }
    Ok(())
}

/// Marks a render as started; `None` when the preview is no longer wanted (its project is gone).
pub async fn begin(core: &Core, project_id: &str, object_id: &str) -> Result<Option<Preview>> {
    let Some(mut preview) = core.previews.preview(project_id, object_id).await? else {
        return Ok(None);
    };
    preview.status = PreviewStatus::Rendering;
    preview.attempts += 1;
    preview.updated_at = Utc::now();
    core.previews.save_preview(&preview).await?;
    Ok(Some(preview))
}

/// The object a preview draws, followed by its children, for the renderer; `None` when the
/// project has no such object.
pub async fn object_tree(
    core: &Core,
    project_id: &str,
    object_id: &str,
) -> Result<Option<crate::objects::tree::Rows>> {
    crate::objects::ProjectObjects::new(core, project_id)
        .tree(object_id)
        .await
}

/// Stores rendered PNGs (angle name, bytes) and marks the preview done.
pub async fn store_images(
    core: &Core,
    mut preview: Preview,
    images: Vec<(String, Vec<u8>)>,
) -> Result<()> {
    let mut angles = BTreeMap::new();
    for (angle, png) in images {
        let key = format!(
            "{PREVIEW_FOLDER}/{}/{}/{angle}.png",
            preview.project_id, preview.object_id
        );
        core.blobs
            .put(&key, stream_from_bytes(png), Some("image/png"))
            .await?;
        angles.insert(angle, key);
    }
    preview.angles = angles;
    preview.status = PreviewStatus::Done;
    preview.error = None;
    preview.updated_at = Utc::now();
    core.previews.save_preview(&preview).await
}

/// Records a failed render: back to pending while the job will retry, failed for good when not.
pub async fn record_failure(
    core: &Core,
    mut preview: Preview,
    error: &str,
    will_retry: bool,
) -> Result<()> {
    preview.status = if will_retry {
        PreviewStatus::Pending
    } else {
        PreviewStatus::Failed
    };
    preview.error = Some(error.chars().take(1000).collect());
    preview.updated_at = Utc::now();
    core.previews.save_preview(&preview).await
}

/// What a preview route answers with.
#[derive(Debug, PartialEq)]
pub enum PreviewImage {
    Png(Vec<u8>),
    /// Not rendered yet (or being retried).
    Pending,
    Failed,
    NoSuchAngle,
}

/// The PNG of `object_id` at `angle`, asking for a render when there is none yet. Access is the
/// caller's to check.
pub async fn image(
    core: &Core,
    project_id: &str,
    object_id: &str,
    angle: &str,
) -> Result<PreviewImage> {
    image_for(core, Requester::SignedIn, project_id, object_id, angle).await
}

/// `image` for `requester`, who is held to what they may queue (see `request_as`).
pub async fn image_for(
    core: &Core,
    requester: Requester<'_>,
    project_id: &str,
    object_id: &str,
    angle: &str,
) -> Result<PreviewImage> {
    let Some(preview) = core.previews.preview(project_id, object_id).await? else {
        request_as(core, requester, project_id, object_id).await?;
        return Ok(PreviewImage::Pending);
    };
    match preview.status {
        PreviewStatus::Done => {}
        PreviewStatus::Failed => return Ok(PreviewImage::Failed),
        PreviewStatus::Pending | PreviewStatus::Rendering => return Ok(PreviewImage::Pending),
    }
    let Some(key) = preview.angles.get(angle) else {
        return Ok(PreviewImage::NoSuchAngle);
    };
    match core.blobs.get(key).await? {
        Some(blob) => Ok(PreviewImage::Png(blob.bytes().await?)),
        // The image went missing from the blob store: draw it again.
        None => {
            let mut preview = preview;
            preview.status = PreviewStatus::Pending;
            preview.updated_at = Utc::now();
            core.previews.save_preview(&preview).await?;
            core.jobs
                .enqueue(preview_job(project_id, object_id))
                .await?;
            Ok(PreviewImage::Pending)
        }
    }
}

/// What a preview route names.
pub enum Subject<'a> {
    /// The latest version of the project, leaving out the `globals` model.
    Project,
    /// The latest version of the model with this name.
    Model(&'a str),
    Version(&'a str),
    Object(&'a str),
}

/// The object whose preview a route shows, after checking that `actor` may read the project.
/// `NotFound` when there is nothing to show.
pub async fn subject_object(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    subject: Subject<'_>,
) -> Result<String> {
    load(core, actor, project_id, Action::ReadProject).await?;
    let nothing = || Error::NotFound("no version to preview".into());
    let latest_of = |model_id: String| async move {
        let window = Window {
            offset: 0,
            limit: 1,
        };
        core.projects
            .model_versions(&model_id, &[], false, window)
            .await
            .map(|listed| listed.items.into_iter().next())
    };
    let version = match subject {
        // Checked, so a preview is only ever queued for an object the project has.
        Subject::Object(id) => {
            return core
                .objects
                .head(project_id, id)
                .await?
                .map(|head| head.id)
                .ok_or_else(nothing)
        }
        Subject::Version(id) => core.projects.version(project_id, id).await?,
        Subject::Model(name) => {
            let model = core
                .projects
                .model_by_name(project_id, name)
                .await?
                .ok_or_else(nothing)?;
            latest_of(model.id).await?
        }
        Subject::Project => {
            let globals = core.projects.model_by_name(project_id, "globals").await?;
            let window = Window {
                offset: 0,
                limit: 20,
            };
            let recent = core.projects.project_versions(project_id, window).await?;
            recent
                .items
                .into_iter()
                .find(|v| globals.as_ref().is_none_or(|g| g.id != v.model_id))
        }
    };
    crate::ingestions::bundles::drawn_root(core, &version.ok_or_else(nothing)?).await
}
