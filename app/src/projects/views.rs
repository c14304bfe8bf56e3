//! A model's saved views as the model page lists them, and the server functions that read and
//! change them through `fleck_core::projects::views` (which decides who may save and delete).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ViewCard {
    pub id: String,
    pub name: String,
    /// The view, as a view link's fragment.
    pub state: String,
    pub author: String,
    pub created: String,
    pub can_delete: bool,
}

/// A model's views, by name, and whether the caller may save one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedViews {
    pub items: Vec<ViewCard>,
    pub can_save: bool,
}

#[server]
pub async fn fetch_views(
    project_id: String,
    model_id: String,
) -> Result<SavedViews, ServerFnError> {
    use fleck_core::projects::views;
    use server::*;
    let (core, actor) = context().await?;
    let listed = views::list(&core, &actor, &project_id, &model_id)
        .await
        .map_err(message)?;
    let mut authors = Authors::new(&core);
    let mut items = Vec::with_capacity(listed.views.len());
    for (view, can_delete) in listed.views {
        items.push(card(&mut authors, view, can_delete).await?);
    }
    Ok(SavedViews {
        items,
        can_save: listed.can_save,
    })
}

/// Saves the view `state` (a view link's fragment) of a model under `name`. A refusal (a name
/// the model has, no right to save) is the answer's `Err`, a normal response.
#[server]
pub async fn save_view(
    project_id: String,
    model_id: String,
    name: String,
    state: String,
) -> Result<Result<ViewCard, String>, ServerFnError> {
    use fleck_core::projects::views;
    use server::*;
    let (core, actor) = context().await?;
    match views::save(&core, &actor, &project_id, &model_id, &name, &state).await {
        Ok(view) => Ok(Ok(card(&mut Authors::new(&core), view, true).await?)),
        Err(e) => answer(Err(refusal(e))),
    }
}

#[server]
pub async fn delete_view(
    project_id: String,
    view_id: String,
) -> Result<Result<(), String>, ServerFnError> {
    use fleck_core::projects::views;
    use server::*;
    let (core, actor) = context().await?;
    answer(
        views::delete(&core, &actor, &project_id, &view_id)
            .await
            .map_err(refusal),
    )
}

#[cfg(feature = "ssr")]
mod server {
    pub use crate::projects::read::server::{context, when, Authors};
    pub use crate::shared::server::{answer, message, refusal};

    use fleck_core::projects::SavedView;
    use leptos::prelude::*;

    use super::ViewCard;

    pub async fn card(
        authors: &mut Authors<'_>,
        view: SavedView,
        can_delete: bool,
    ) -> Result<ViewCard, ServerFnError> {
        Ok(ViewCard {
            author: authors.name(view.author_id.as_deref()).await?,
            created: when(view.created_at),
            id: view.id,
            name: view.name,
            state: view.state,
            can_delete,
        })
    }
}
