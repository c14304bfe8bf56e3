//! Named views of a model: the camera, what is shown, the section box and the selection, saved
//! under a name so that a review team comes back to the same view. The state is the viewer's
//! link fragment, kept as text: the server bounds it but does not read it.

use super::models::{self, may_change_own_or_any};
use super::service::{load, principal, Access};
use super::SavedView;
use crate::auth::Actor;
use crate::authz::Action;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::ids;

/// Views one model may have: a list a reviewer can still scan.
pub const MAX_VIEWS_PER_MODEL: i64 = 200;
/// A view's name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// A view's state, in bytes: room for a camera, a section box and a few thousand hidden ids.
pub const MAX_STATE_BYTES: usize = 64 * 1024;

/// A model's views as the caller sees them.
pub struct ModelViews {
    /// By name, each with whether the caller may delete it.
    pub views: Vec<(SavedView, bool)>,
    /// Whether the caller may save views.
    pub can_save: bool,
}

/// A model's views; anyone who may read the project sees them.
pub async fn list(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    model_id: &str,
) -> Result<ModelViews> {
    let access = load(core, actor, project_id, Action::ReadProject).await?;
    let model = models::find(core, project_id, model_id).await?;
    let views = core
        .projects
        .model_views(&model.id, MAX_VIEWS_PER_MODEL)
        .await?;
    Ok(ModelViews {
        views: views
            .into_iter()
            .map(|view| {
                let deletable = may_delete(actor, &access, &view);
                (view, deletable)
            })
            .collect(),
        can_save: access.allows(actor, Action::SaveViews),
    })
}

/// Its author may delete a view, and the project's owners any view.
fn may_delete(actor: &Actor, access: &Access, view: &SavedView) -> bool {
    access.allows(actor, Action::SaveViews)
        && may_change_own_or_any(actor, access, view.author_id.as_deref())
}

/// Saves the view `state` of a model under `name`, which no other view of the model has.
pub async fn save(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    model_id: &str,
    name: &str,
    state: &str,
) -> Result<SavedView> {
    load(core, actor, project_id, Action::SaveViews).await?;
    let author = principal(actor)?.user.id.clone();
    let name = checked_name(name)?;
    if state.len() > MAX_STATE_BYTES {
        return Err(Error::invalid(
            "state",
            format!(
                "a view may be at most {} KiB; show or hide fewer single elements",
                MAX_STATE_BYTES / 1024
            ),
        ));
    }
    let model = models::find(core, project_id, model_id).await?;
    if core.projects.count_model_views(&model.id).await? >= MAX_VIEWS_PER_MODEL {
        return Err(Error::invalid(
            "name",
            format!("a model keeps at most {MAX_VIEWS_PER_MODEL} views; delete one first"),
        ));
    }
    let view = SavedView {
        id: ids::new_id(),
        project_id: project_id.to_string(),
        model_id: model.id,
        name,
        state: state.to_string(),
        author_id: Some(author),
        created_at: super::now(),
    };
    core.projects.create_view(&view).await?;
    Ok(view)
}

/// Deletes a view, as `may_delete` allows.
pub async fn delete(core: &Core, actor: &Actor, project_id: &str, view_id: &str) -> Result<()> {
    let access = load(core, actor, project_id, Action::SaveViews).await?;
    let view = core
        .projects
        .view(project_id, view_id)
        .await?
        .ok_or_else(|| Error::NotFound("saved view".into()))?;
    if !may_delete(actor, &access, &view) {
        return Err(Error::Forbidden(
            "only its author or the project's owners can delete a view".into(),
        ));
    }
    if !core.projects.delete_view(project_id, &view.id).await? {
        return Err(Error::NotFound("saved view".into()));
    }
    Ok(())
}

fn checked_name(raw: &str) -> Result<String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(Error::invalid("name", "a view needs a name"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(
            "name",
            format!("a view's name may be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::checked_name;

    #[test]
    fn names_are_trimmed_kept_in_case_and_bounded() {
        assert_eq!(
            checked_name("  Level 1 —  west ").unwrap(),
            "Level 1 — west"
        );
        assert!(checked_name(" \t").is_err());
        assert!(checked_name(&"x".repeat(101)).is_err());
        assert_eq!(checked_name(&"é".repeat(100)).unwrap().chars().count(), 100);
    }
}
