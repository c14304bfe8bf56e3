//! What changed between two versions, as the model page's compare mode shows it, read through
//! `fleck_core::changes` (which checks the caller may read the project, and computes the change
//! set on first use and keeps it).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One property of a changed element, before and after ("—" where it had none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PropertyRow {
    pub path: String,
    pub old: String,
    pub new: String,
}

/// An added, removed or changed element.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeRow {
    /// "added", "removed" or "changed".
    pub kind: String,
    /// Its object in the newer version, or in the older one when removed: what the view draws.
    pub object_id: String,
    pub name: String,
    pub category: String,
    pub geometry_changed: bool,
    pub properties: Vec<PropertyRow>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub added: i64,
    pub removed: i64,
    pub changed: i64,
    pub unchanged: i64,
    /// The listed changes, at most `LISTED`; `added + removed + changed` may be more.
    pub changes: Vec<ChangeRow>,
}

/// The most changes the page lists.
pub const LISTED: i64 = 500;

/// The changes from version `from` to version `to` of a project.
#[server]
pub async fn compare_versions(
    project_id: String,
    from: String,
    to: String,
) -> Result<Comparison, ServerFnError> {
    use fleck_core::changes;

    use crate::shared::server::{context, first, message};
    let (core, actor) = context().await?;
    let set = changes::compare_versions(&core, &actor, &project_id, &from, &to)
        .await
        .map_err(message)?;
    let window = first(LISTED);
    let listed = changes::element_changes(&core, &actor, &project_id, &from, &to, None, window)
        .await
        .map_err(message)?;
    Ok(Comparison {
        added: set.counts.added,
        removed: set.counts.removed,
        changed: set.counts.changed,
        unchanged: set.counts.unchanged,
        changes: listed.items.into_iter().map(server::change_row).collect(),
    })
}

#[cfg(feature = "ssr")]
mod server {
    use fleck_core::changes::{ChangeKind, ElementChange};
    use serde_json::Value;

    use super::{ChangeRow, PropertyRow};

    pub fn change_row(change: ElementChange) -> ChangeRow {
        let object_id = match change.kind {
            ChangeKind::Removed => change.from_object_id,
            _ => change.to_object_id,
        }
        .unwrap_or_default();
        let class = change
            .speckle_type
            .rsplit(['.', ':'])
            .next()
            .unwrap_or("Object")
            .to_string();
        ChangeRow {
            kind: change.kind.as_str().to_string(),
            object_id,
            name: change
                .name
                .or(change.application_id)
                .unwrap_or_else(|| class.clone()),
            category: change.category.unwrap_or(class),
            geometry_changed: change.geometry_changed,
            properties: change
                .properties
                .into_iter()
                .map(|p| PropertyRow {
                    path: p.path,
                    old: shown(p.old),
                    new: shown(p.new),
                })
                .collect(),
        }
    }

    /// A value as the properties panel writes it: text as it is, anything else as JSON.
    fn shown(value: Option<Value>) -> String {
        match value {
            None => "—".into(),
            Some(Value::String(text)) => text,
            Some(other) => other.to_string(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use fleck_core::changes::PropertyChange;
        use serde_json::json;

        #[test]
        fn a_change_reads_as_rows() {
            let change = ElementChange {
                kind: ChangeKind::Removed,
                key: "door".into(),
                application_id: Some("door".into()),
                from_object_id: Some("old".into()),
                to_object_id: None,
                speckle_type: "Objects.Geometry.Mesh".into(),
                name: None,
                category: None,
                geometry_changed: false,
                properties: vec![PropertyChange {
                    path: "properties.FireRating".into(),
                    old: Some(json!("EI 30")),
                    new: None,
                }],
            };
            let row = change_row(change);
            assert_eq!(row.object_id, "old");
            assert_eq!((row.name.as_str(), row.category.as_str()), ("door", "Mesh"));
            assert_eq!(
                row.properties,
                vec![PropertyRow {
                    path: "properties.FireRating".into(),
                    old: "EI 30".into(),
                    new: "—".into(),
                }]
            );
            assert_eq!(shown(Some(json!(2.5))), "2.5");
        }
    }
}
