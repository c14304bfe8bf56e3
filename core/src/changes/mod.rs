//! Version compare: what changed, element by element, between two versions of a project.
//!
//! An element is a stored object that a connector sends as one thing of the model: an object
//! with an `applicationId`, or a direct child of a collection, that is not itself a collection
//! and not another object's display geometry (`elements`). Elements are matched across the two
//! versions by `applicationId`, which connectors keep from send to send, falling back to the
//! object id (`compare`). A matched pair whose object ids differ has changed geometry, changed
//! properties (listed path by path with old and new values, `properties`), both, or neither.
//!
//! A change set is computed once per ordered pair of versions and kept (`ChangeStore`); only the
//! added, removed and changed elements are stored, unchanged ones are counted.

mod compare;
mod elements;
mod fingerprint;
mod properties;
pub mod service;

pub use service::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;
use crate::projects::Window;

/// The job that compares a new version with the one before it in its model.
pub const VERSION_CHANGES_JOB: &str = "version-changes";

/// The activity (and webhook trigger) that reports a new version's changes.
pub const VERSION_CHANGES_ACTION: &str = "commit_changes";

/// What one comparison may take. A version past them is refused with the limit named, rather
/// than holding a worker's memory or a request for long.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Objects read from one version's tree (elements, their geometry, everything else).
    pub max_objects: usize,
    /// Elements in one version.
    pub max_elements: usize,
    /// Changed properties listed for one element; the rest are counted only.
    pub max_properties: usize,
    /// Characters of one property value kept in a change; longer values are cut.
    pub max_value_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_objects: 2_000_000,
            max_elements: 250_000,
            max_properties: 100,
            max_value_chars: 1_000,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "added" => Some(ChangeKind::Added),
            "removed" => Some(ChangeKind::Removed),
            "changed" => Some(ChangeKind::Changed),
            _ => None,
        }
    }
}

/// How many elements fall in each kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCounts {
    pub added: i64,
    pub removed: i64,
    pub changed: i64,
    pub unchanged: i64,
}

impl ChangeCounts {
    /// "12 added, 3 removed, 40 changed": the line a new version's activity carries.
    pub fn summary(&self) -> String {
        format!(
            "{} added, {} removed, {} changed",
            self.added, self.removed, self.changed
        )
    }

    pub fn of(&self, kind: ChangeKind) -> i64 {
        match kind {
            ChangeKind::Added => self.added,
            ChangeKind::Removed => self.removed,
            ChangeKind::Changed => self.changed,
        }
    }

    /// Added, removed and changed together: the elements a change set lists.
    pub fn listed(&self) -> i64 {
        self.added + self.removed + self.changed
    }
}

/// A computed comparison of two versions of a project.
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeSet {
    pub project_id: String,
    pub from_version_id: String,
    pub to_version_id: String,
    pub counts: ChangeCounts,
    pub computed_at: DateTime<Utc>,
}

/// One property that differs between the two versions of an element; `None` where the element
/// has no such property.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PropertyChange {
    /// Dotted path from the element, e.g. `properties.Parameters.Height.value`.
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// An added, removed or changed element.
#[derive(Clone, Debug, PartialEq)]
pub struct ElementChange {
    pub kind: ChangeKind,
    /// What the element was matched by: its `applicationId`, else its object id.
    pub key: String,
    pub application_id: Option<String>,
    /// The element's object in the older version; `None` when added.
    pub from_object_id: Option<String>,
    /// The element's object in the newer version; `None` when removed.
    pub to_object_id: Option<String>,
    pub speckle_type: String,
    pub name: Option<String>,
    pub category: Option<String>,
    pub geometry_changed: bool,
    /// Changed properties, at most `Limits::max_properties` of them; empty unless changed.
    pub properties: Vec<PropertyChange>,
}

/// The stored change sets (same two databases as projects).
#[async_trait]
pub trait ChangeStore: Send + Sync + 'static {
    async fn change_set(
        &self,
        project_id: &str,
        from_version_id: &str,
        to_version_id: &str,
    ) -> Result<Option<ChangeSet>>;

    /// Stores a change set and its listed elements, unless the pair has one already (another
    /// request or worker computed it meanwhile); says whether it stored this one.
    async fn save_change_set(&self, set: &ChangeSet, elements: &[ElementChange]) -> Result<bool>;

    /// Listed elements of a change set in their order, only those of `kind` when given.
    async fn element_changes(
        &self,
        project_id: &str,
        from_version_id: &str,
        to_version_id: &str,
        kind: Option<ChangeKind>,
        window: Window,
    ) -> Result<Vec<ElementChange>>;
}
