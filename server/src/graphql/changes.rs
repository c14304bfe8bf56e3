//! Version compare: `Project.versionDiff(from, to)` and `Version.changes(against)`, the change
//! set between two versions with its counts and a paged list of changed elements.

use async_graphql::{ComplexObject, Context, Enum, Json, Result, SimpleObject};
use chrono::{DateTime, Utc};
use fleck_core::changes::{self, ChangeKind, ChangeSet, ElementChange, PropertyChange};
use fleck_core::projects::service::Access;

use super::context::core;
use super::errors::from_core;
use super::paging::{page, Collection};

/// Elements listed per page unless `limit` says otherwise, and at most.
const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = changes::MAX_PAGE;

/// The change set from version `from` to version `to`, computed on first use.
pub async fn diff(ctx: &Context<'_>, access: &Access, from: &str, to: &str) -> Result<VersionDiff> {
    let set = changes::compare_in(core(ctx), access, from, to)
        .await
        .map_err(from_core)?;
    Ok(VersionDiff::new(set, access.clone()))
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum VersionChangeKind {
    Added,
    Removed,
    Changed,
}

impl VersionChangeKind {
    fn of(kind: ChangeKind) -> Self {
        match kind {
            ChangeKind::Added => Self::Added,
            ChangeKind::Removed => Self::Removed,
            ChangeKind::Changed => Self::Changed,
        }
    }

    fn core(self) -> ChangeKind {
        match self {
            Self::Added => ChangeKind::Added,
            Self::Removed => ChangeKind::Removed,
            Self::Changed => ChangeKind::Changed,
        }
    }
}

#[derive(SimpleObject)]
pub struct VersionChangeCounts {
    added: i64,
    removed: i64,
    changed: i64,
    unchanged: i64,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct VersionDiff {
    from_version_id: String,
    to_version_id: String,
    counts: VersionChangeCounts,
    /// "12 added, 3 removed, 40 changed".
    summary: String,
    computed_at: DateTime<Utc>,
    #[graphql(skip)]
    access: Access,
}

impl VersionDiff {
    fn new(set: ChangeSet, access: Access) -> Self {
        VersionDiff {
            summary: set.counts.summary(),
            counts: VersionChangeCounts {
                added: set.counts.added,
                removed: set.counts.removed,
                changed: set.counts.changed,
                unchanged: set.counts.unchanged,
            },
            from_version_id: set.from_version_id,
            to_version_id: set.to_version_id,
            computed_at: set.computed_at,
            access,
        }
    }
}

#[ComplexObject]
impl VersionDiff {
    /// Added, removed and changed elements (only those of `kind` when given): changed first,
    /// then added, then removed, each by key. Unchanged elements are only counted.
    #[graphql(complexity = "super::paging::cost(limit, 100, 500, child_complexity)")]
    async fn elements(
        &self,
        ctx: &Context<'_>,
        kind: Option<VersionChangeKind>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<ElementChangeCollection> {
        let window = page(limit, cursor.as_deref(), DEFAULT_PAGE, MAX_PAGE)?;
        let listed = changes::element_changes_in(
            core(ctx),
            &self.access,
            &self.from_version_id,
            &self.to_version_id,
            kind.map(VersionChangeKind::core),
            window,
        )
        .await
        .map_err(from_core)?;
        Ok(Collection::of(window, listed, ElementChangeItem::from))
    }
}

pub type ElementChangeCollection = Collection<ElementChangeItem>;

/// An element that was added, removed or changed.
#[derive(SimpleObject)]
#[graphql(name = "ElementChange")]
pub struct ElementChangeItem {
    kind: VersionChangeKind,
    /// What the element was matched by: its applicationId, else its object id.
    key: String,
    application_id: Option<String>,
    from_object_id: Option<String>,
    to_object_id: Option<String>,
    speckle_type: String,
    name: Option<String>,
    category: Option<String>,
    geometry_changed: bool,
    properties_changed: bool,
    /// The changed properties, old and new (at most 100 per element).
    properties: Vec<PropertyChangeItem>,
}

impl From<ElementChange> for ElementChangeItem {
    fn from(c: ElementChange) -> Self {
        ElementChangeItem {
            kind: VersionChangeKind::of(c.kind),
            properties_changed: !c.properties.is_empty(),
            properties: c.properties.into_iter().map(Into::into).collect(),
            key: c.key,
            application_id: c.application_id,
            from_object_id: c.from_object_id,
            to_object_id: c.to_object_id,
            speckle_type: c.speckle_type,
            name: c.name,
            category: c.category,
            geometry_changed: c.geometry_changed,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "PropertyChange")]
pub struct PropertyChangeItem {
    /// Dotted path from the element, e.g. `properties.Fire rating`.
    path: String,
    /// `null` where the older version has no such property.
    old: Option<Json<serde_json::Value>>,
    /// `null` where the newer version has no such property.
    new: Option<Json<serde_json::Value>>,
}

impl From<PropertyChange> for PropertyChangeItem {
    fn from(p: PropertyChange) -> Self {
        PropertyChangeItem {
            path: p.path,
            old: p.old.map(Json),
            new: p.new.map(Json),
        }
    }
}
