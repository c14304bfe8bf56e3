//! Comment threads as the model page shows them, and the server functions that read and write
//! them through `fleck_core::comments::service` (which decides who may read, comment, reply
//! and resolve). A thread keeps where it is pinned and the view it was written in, in Speckle's
//! viewer state with Fleck's view link beside it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A thread in the model's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadCard {
    pub id: String,
    pub author: String,
    pub text: String,
    pub created: String,
    pub replies: i64,
    pub resolved: bool,
    /// The version it was written on.
    pub version_id: Option<String>,
    /// The point of the model it is pinned to, in the view's scene coordinates.
    pub pin: Option<[f32; 3]>,
    /// The view it was written in, as a view link's fragment.
    pub view: Option<String>,
    /// The element it is pinned on.
    pub object_id: Option<String>,
    /// Whether the caller may resolve (archive) it or open it again.
    pub can_resolve: bool,
    /// Whether something in it is newer than the caller's last look.
    pub unread: bool,
}

/// A model's threads, and whether the caller may start one or reply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Threads {
    pub items: Vec<ThreadCard>,
    pub can_comment: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplyCard {
    pub id: String,
    pub author: String,
    pub text: String,
    pub created: String,
}

/// Threads about any version of a model, resolved ones or open ones, most recently active first.
#[server]
pub async fn fetch_threads(
    project_id: String,
    model_id: String,
    resolved: bool,
) -> Result<Threads, ServerFnError> {
    use fleck_core::authz::Action;
    use fleck_core::comments::service::{self, ThreadQuery};
    use fleck_core::comments::Archived;
    use server::*;
    let (core, actor, access) = project(&project_id, Action::ReadProject).await?;
    let query = ThreadQuery {
        resource_id_string: Some(model_id),
        loaded_versions_only: false,
        archived: Some(if resolved {
            Archived::Only
        } else {
            Archived::Exclude
        }),
    };
    let window = first(LISTED);
    let page = service::threads(&core, &access, &actor, query, window)
        .await
        .map_err(message)?;
    let mut authors = Authors::new(&core);
    let mut items = Vec::with_capacity(page.items.len());
    for thread in page.items {
        items.push(thread_card(&actor, &access, &mut authors, thread).await?);
    }
    Ok(Threads {
        items,
        can_comment: access.allows(&actor, Action::Comment),
    })
}

/// The names a comment box's `@` may complete to: the project's members, for callers who may
/// comment (none for others).
#[server]
pub async fn fetch_mentionable(project_id: String) -> Result<Vec<String>, ServerFnError> {
    use fleck_core::authz::Action;
    use fleck_core::comments::service;
    use server::*;
    let (core, actor, access) = project(&project_id, Action::ReadProject).await?;
    let people = service::mentionable(&core, &access, &actor)
        .await
        .map_err(message)?;
    Ok(people.into_iter().map(|p| p.name).collect())
}

/// A thread's replies, oldest first; reading them marks the thread read for a signed-in caller.
#[server]
pub async fn fetch_replies(
    project_id: String,
    thread_id: String,
) -> Result<Vec<ReplyCard>, ServerFnError> {
    use fleck_core::authz::Action;
    use fleck_core::comments::service;
    use server::*;
    let (core, actor, access) = project(&project_id, Action::ReadProject).await?;
    let window = first(LISTED);
    let replies = service::replies(&core, &access, &actor, &thread_id, window)
        .await
        .map_err(message)?;
    if actor.principal().is_some() {
        service::mark_viewed(&core, &actor, &project_id, &thread_id)
            .await
            .map_err(message)?;
    }
    let mut authors = Authors::new(&core);
    let mut cards = Vec::with_capacity(replies.items.len());
    for reply in replies.items {
        cards.push(reply_card(&mut authors, reply).await?);
    }
    Ok(cards)
}

/// Starts a thread on a version, pinned at `pin` ("x,y,z" in scene coordinates) on the object
/// `object_id` (empty for none), with the view (`view`, a view link's fragment) it was written in.
#[server]
pub async fn start_thread(
    project_id: String,
    model_id: String,
    version_id: String,
    text: String,
    pin: String,
    object_id: String,
    view: String,
) -> Result<ThreadCard, ServerFnError> {
    use fleck_core::authz::Action;
    use fleck_core::comments::service::{self, About, NewThread};
    use server::*;
    let (core, actor, access) = project(&project_id, Action::ReadProject).await?;
    let pin = state::parse_point(&pin)
        .ok_or_else(|| ServerFnError::new("The pin's place is not a point."))?;
    let object_id = Some(object_id).filter(|id| !id.is_empty());
    let resource = format!("{model_id}@{version_id}");
    let input = NewThread {
        viewer_state: Some(state::viewer_state(
            &project_id,
            &resource,
            &view,
            pin,
            object_id.as_deref(),
        )),
        about: About::ResourceIdString(resource),
        content: content(&core, &access, &actor, &text).await?,
        data: None,
        screenshot: None,
    };
    let thread = service::create_thread(&core, &actor, &project_id, input)
        .await
        .map_err(message)?;
    thread_card(&actor, &access, &mut Authors::new(&core), thread).await
}

#[server]
pub async fn reply_to_thread(
    project_id: String,
    thread_id: String,
    text: String,
) -> Result<ReplyCard, ServerFnError> {
    use fleck_core::authz::Action;
    use fleck_core::comments::service;
    use server::*;
    let (core, actor, access) = project(&project_id, Action::ReadProject).await?;
    let reply = service::reply(
        &core,
        &actor,
        &project_id,
        &thread_id,
        content(&core, &access, &actor, &text).await?,
        None,
    )
    .await
    .map_err(message)?;
    reply_card(&mut Authors::new(&core), reply).await
}

/// Resolves a thread (archives it) or opens it again.
#[server]
pub async fn resolve_thread(
    project_id: String,
    thread_id: String,
    resolved: bool,
) -> Result<(), ServerFnError> {
    use fleck_core::comments::service;
    use server::*;
    let (core, actor) = context().await?;
    service::archive(&core, &actor, &project_id, &thread_id, resolved)
        .await
        .map_err(message)
}

/// The most threads, and replies of one thread, a list shows.
#[cfg(feature = "ssr")]
const LISTED: i64 = 200;

#[cfg(feature = "ssr")]
mod server {
    pub use crate::projects::read::server::{context, when, Authors};
    pub use crate::shared::server::{first, message};

    use fleck_core::auth::Actor;
    use fleck_core::authz::Action;
    use fleck_core::comments::service::{self, Content};
    use fleck_core::comments::{text, Comment, ResourceKind};
    use fleck_core::projects::service::Access;
    use fleck_core::Core;
    use leptos::prelude::*;

    use super::{state, ReplyCard, ThreadCard};

    /// The core, the caller and their access to a project `action` is allowed on.
    pub async fn project(
        project_id: &str,
        action: Action,
    ) -> Result<(Core, Actor, Access), ServerFnError> {
        let (core, actor) = context().await?;
        let access = fleck_core::projects::service::load(&core, &actor, project_id, action)
            .await
            .map_err(message)?;
        Ok((core, actor, access))
    }

    /// A comment box's text as a one-paragraph document, its `@Name`s of members mentions.
    pub async fn content(
        core: &Core,
        access: &Access,
        actor: &Actor,
        text: &str,
    ) -> Result<Content, ServerFnError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ServerFnError::new("Write something first."));
        }
        let people = service::mentionable(core, access, actor)
            .await
            .map_err(message)?;
        Ok(Content {
            doc: Some(text::document_mentioning(text, &people)),
            blob_ids: Vec::new(),
        })
    }

    pub async fn thread_card(
        actor: &Actor,
        access: &Access,
        authors: &mut Authors<'_>,
        thread: Comment,
    ) -> Result<ThreadCard, ServerFnError> {
        let saved = thread.viewer_state.as_ref();
        Ok(ThreadCard {
            author: authors.name(Some(thread.author_id.as_str())).await?,
            can_resolve: service::may_archive(access, actor, &thread),
            unread: actor.principal().is_some()
                && thread.viewed_at.is_none_or(|seen| seen < thread.updated_at),
            version_id: thread
                .links
                .iter()
                .find(|l| l.kind == ResourceKind::Commit)
                .map(|l| l.id.clone()),
            pin: saved.and_then(state::pin_of),
            view: saved.and_then(state::view_of),
            object_id: saved
                .and_then(|s| s.pointer("/fleck/objectId"))
                .and_then(|id| id.as_str())
                .map(str::to_string),
            created: when(thread.created_at),
            replies: thread.reply_count,
            resolved: thread.archived,
            text: thread.raw_text,
            id: thread.id,
        })
    }

    pub async fn reply_card(
        authors: &mut Authors<'_>,
        reply: Comment,
    ) -> Result<ReplyCard, ServerFnError> {
        Ok(ReplyCard {
            author: authors.name(Some(reply.author_id.as_str())).await?,
            created: when(reply.created_at),
            text: reply.raw_text,
            id: reply.id,
        })
    }
}

/// Speckle's viewer state for a thread: the camera and the pinned point (`ui.selection`) in
/// Speckle's fields, which other viewers read, and Fleck's whole view link in `fleck.view`.
#[cfg(feature = "ssr")]
mod state {
    use fleck_viewer::camera::Orbit;
    use serde_json::{json, Value};

    use crate::pages::viewer::link::ViewLink;

    /// "x,y,z" as a point.
    pub fn parse_point(text: &str) -> Option<[f32; 3]> {
        let numbers: Vec<f32> = text
            .split(',')
            .map(|n| n.trim().parse::<f32>().ok().filter(|n| n.is_finite()))
            .collect::<Option<_>>()?;
        numbers.try_into().ok()
    }

    pub fn viewer_state(
        project_id: &str,
        resource: &str,
        view: &str,
        pin: [f32; 3],
        object_id: Option<&str>,
    ) -> Value {
        // The open thread is not part of the view a thread saves.
        let link = ViewLink {
            thread: None,
            ..ViewLink::parse(view)
        };
        let camera = link
            .camera
            .as_deref()
            .and_then(Orbit::from_param)
            .map(|orbit| {
                json!({
                    "position": orbit.position(),
                    "target": orbit.target,
                    "isOrthoProjection": false,
                    "zoom": 1,
                })
            });
        let fragment = link.to_fragment();
        json!({
            "projectId": project_id,
            "resources": { "request": { "resourceIdString": resource } },
            "ui": {
                "camera": camera,
                "filters": {
                    "hiddenObjectIds": link.shown.hidden_nodes,
                    "isolatedObjectIds": link.shown.isolated_nodes.unwrap_or_default(),
                },
                "selection": pin,
            },
            "fleck": { "view": fragment, "objectId": object_id },
        })
    }

    pub fn pin_of(state: &Value) -> Option<[f32; 3]> {
        let numbers: Vec<f32> = state
            .pointer("/ui/selection")?
            .as_array()?
            .iter()
            .map(|n| n.as_f64().map(|n| n as f32))
            .collect::<Option<_>>()?;
        numbers.try_into().ok()
    }

    /// Fleck's view link, else one with the camera of Speckle's fields (from other viewers).
    pub fn view_of(state: &Value) -> Option<String> {
        if let Some(view) = state.pointer("/fleck/view").and_then(Value::as_str) {
            return Some(view.to_string());
        }
        let point = |key: &str| -> Option<[f32; 3]> {
            let numbers: Vec<f32> = state
                .pointer(&format!("/ui/camera/{key}"))?
                .as_array()?
                .iter()
                .map(|n| n.as_f64().map(|n| n as f32))
                .collect::<Option<_>>()?;
            numbers.try_into().ok()
        };
        let (position, target) = (point("position")?, point("target")?);
        let d = [0, 1, 2].map(|k| position[k] - target[k]);
        let distance = d.iter().map(|v| v * v).sum::<f32>().sqrt();
        if distance <= 0.0 {
            return None;
        }
        let orbit = Orbit {
            target,
            distance,
            azimuth: d[1].atan2(d[0]),
            elevation: (d[2] / distance).asin(),
        };
        let link = ViewLink {
            camera: Some(orbit.to_param()),
            ..ViewLink::default()
        };
        Some(link.to_fragment())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_thread_keeps_its_view_and_pin() {
            let view = "view=1.000,2.000,3.000,40.000,0.7854,0.6155&hide=abc&thread=old";
            let state = viewer_state("p1", "m1@v1", view, [1.0, 2.5, -3.0], Some("obj"));
            assert_eq!(pin_of(&state), Some([1.0, 2.5, -3.0]));
            assert_eq!(
                view_of(&state).as_deref(),
                Some("view=1.000,2.000,3.000,40.000,0.7854,0.6155&hide=abc")
            );
            assert_eq!(state["ui"]["filters"]["hiddenObjectIds"], json!(["abc"]));
            assert_eq!(state["resources"]["request"]["resourceIdString"], "m1@v1");
            let target = &state["ui"]["camera"]["target"];
            assert_eq!(target, &json!([1.0, 2.0, 3.0]));
        }

        #[test]
        fn another_viewers_camera_becomes_a_view() {
            let state = json!({ "ui": { "camera": { "position": [10.0, 0.0, 0.0], "target": [0.0, 0.0, 0.0] } } });
            let link = ViewLink::parse(&view_of(&state).unwrap());
            let orbit = Orbit::from_param(link.camera.as_deref().unwrap()).unwrap();
            assert_eq!(orbit.target, [0.0, 0.0, 0.0]);
            assert!((orbit.distance - 10.0).abs() < 1e-3 && orbit.azimuth.abs() < 1e-3);
            assert_eq!(pin_of(&state), None);
            assert_eq!(view_of(&json!({ "ui": {} })), None);
        }

        #[test]
        fn points_are_three_finite_numbers() {
            assert_eq!(parse_point("1, 2.5,-3"), Some([1.0, 2.5, -3.0]));
            assert_eq!(parse_point("1,2"), None);
            assert_eq!(parse_point("1,2,NaN"), None);
        }
    }
}
