//! Changing projects, models and versions from the pages' forms. Each answers an `Outcome`:
//! where to go next, or what the person should change.

use leptos::prelude::*;

use crate::shared::Outcome;

/// How the answer to a second project of a name starts, so the form can offer to go ahead.
pub const SAME_NAME: &str = "You already have a project named";

/// Creates a project; one of a name the caller already has only when `again` says so.
#[server]
pub async fn create_project(
    name: String,
    description: String,
    visibility: String,
    #[server(default)] again: Option<String>,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::projects::service::{self, NewProject};
    use server::*;
    let (core, actor) = context().await?;
    finish(
        async {
            if again.is_none()
                && service::has_project_named(&core, &actor, &name)
                    .await
                    .map_err(fail)?
            {
                return Err(Failure::User(format!(
                    "{SAME_NAME} “{}”. Tick “Create another one with this name” to make a second one.",
                    name.trim()
                )));
            }
            let input = NewProject {
                name,
                description: Some(description),
                visibility: visibility_from(&visibility)?,
                // A model to upload into from the start, as the project page expects.
                with_main_model: true,
            };
            let created = service::create(&core, &actor, input).await.map_err(fail)?;
            go_to(&format!("/projects/{}", created.project.id)).await
        }
        .await,
    )
}

/// Accepts (`answer` = "accept") or declines an invitation addressed to the caller.
#[server]
pub async fn answer_invite(
    project_id: String,
    token: String,
    answer: String,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::projects::invites;
    use server::*;
    let (core, actor) = context().await?;
    let accept = answer == "accept";
    finish(
        async {
            invites::answer(&core, &actor, &project_id, &token, accept)
                .await
                .map_err(fail)?;
            if accept {
                go_to(&format!("/projects/{project_id}")).await
            } else {
                go_to("/").await
            }
        }
        .await,
    )
}

#[server]
pub async fn create_model(
    project_id: String,
    name: String,
    description: String,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::projects::models;
    use server::*;
    let (core, actor) = context().await?;
    finish(
        async {
            let model = models::create(&core, &actor, &project_id, &name, Some(description))
                .await
                .map_err(fail)?;
            go_to(&format!("/projects/{project_id}/models/{}", model.id)).await
        }
        .await,
    )
}

#[server]
pub async fn update_model(
    project_id: String,
    model_id: String,
    name: String,
    description: String,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::projects::models;
    use server::*;
    let (core, actor) = context().await?;
    stay(
        models::update(
            &core,
            &actor,
            &project_id,
            &model_id,
            Some(name),
            Some(description),
        )
        .await,
        fail,
    )
}

#[server]
pub async fn delete_model(project_id: String, model_id: String) -> Result<Outcome, ServerFnError> {
    use fleck_core::projects::models;
    use server::*;
    let (core, actor) = context().await?;
    finish(
        async {
            models::delete(&core, &actor, &project_id, &model_id)
                .await
                .map_err(fail)?;
            go_to(&format!("/projects/{project_id}")).await
        }
        .await,
    )
}

#[server]
pub async fn update_version(
    project_id: String,
    version_id: String,
    message: String,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::projects::versions;
    use server::*;
    let (core, actor) = context().await?;
    stay(
        versions::update_message(&core, &actor, &project_id, &version_id, &message).await,
        fail,
    )
}

/// Moves a version to the model named `target` (created when there is none).
#[server]
pub async fn move_version(
    project_id: String,
    version_id: String,
    target: String,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::projects::versions;
    use server::*;
    let (core, actor) = context().await?;
    stay(
        versions::move_to(&core, &actor, &project_id, &[version_id], &target).await,
        fail,
    )
}

#[server]
pub async fn delete_version(
    project_id: String,
    version_id: String,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::projects::versions;
    use server::*;
    let (core, actor) = context().await?;
    stay(
        versions::delete(&core, &actor, &project_id, &[version_id]).await,
        fail,
    )
}

/// What the project forms share on the server.
#[cfg(feature = "ssr")]
pub(crate) mod server {
    use fleck_core::authz::Visibility;
    use fleck_core::Error;

    pub use crate::shared::server::context;
    pub use crate::shared::server::{finish, go_to, sentence, stay, Failure};

    /// A core error as the person filling the form should read it.
    pub fn fail(error: Error) -> Failure {
        match error {
            Error::Conflict(what) => Failure::User(sentence(&what)),
            Error::NotFound(what) => Failure::User(sentence(&format!(
                "the {what} no longer exists; reload the page"
            ))),
            Error::Forbidden(why) => Failure::User(sentence(&format!("not allowed: {why}"))),
            other => Failure::from(other),
        }
    }

    pub fn visibility_from(value: &str) -> Result<Visibility, Failure> {
        match value {
            "public" => Ok(Visibility::Public),
            "private" => Ok(Visibility::Private),
            _ => Err(Failure::User("Choose who can see the project.".into())),
        }
    }
}
