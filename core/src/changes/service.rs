//! Comparing two versions for a caller, and summing up each new version's changes in the job
//! that version creation queues.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::HashSet;
use serde_json::{json, Map, Value};

use super::compare::{compare, Pending};
use super::{
    elements, properties, ChangeKind, ChangeSet, ElementChange, Limits, VERSION_CHANGES_ACTION,
    VERSION_CHANGES_JOB,
};
use crate::auth::Actor;
use crate::authz::Action;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::objects::tree::CHUNK;
use crate::objects::ProjectObjects;
use crate::projects::activity::{self, Entry};
use crate::projects::service::{load, Access};
use crate::projects::{Listed, Version, Window};
use crate::queue::NewJob;

/// Longer version ids are refused before reaching the database.
const MAX_VERSION_ID: usize = 64;

/// The most listed elements one page may hold.
pub const MAX_PAGE: i64 = 500;

/// The change set from version `from` to version `to` of a project the caller may read.
pub async fn compare_versions(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    from: &str,
    to: &str,
) -> Result<ChangeSet> {
    let access = load(core, actor, project_id, Action::ReadProject).await?;
    compare_in(core, &access, from, to).await
}

/// `compare_versions` in a project already checked for reading. Computed on first use, then
/// read back from the store.
pub async fn compare_in(core: &Core, access: &Access, from: &str, to: &str) -> Result<ChangeSet> {
    let project_id = &access.project.id;
    // Version ids are 10 characters (Speckle's) or a reserved ingestion's; nothing longer exists.
    if let Some(long) = [from, to].into_iter().find(|id| id.len() > MAX_VERSION_ID) {
        let start: String = long.chars().take(10).collect();
        return Err(Error::NotFound(format!("version {start}…")));
    }
    if let Some(set) = core.changes.change_set(project_id, from, to).await? {
        return Ok(set);
    }
    let version = |id: &str| {
        let id = id.to_string();
        async move {
            access
                .version(core, &id)
                .await?
                .ok_or_else(|| Error::NotFound(format!("version {id}")))
        }
    };
    let (from, to) = (version(from).await?, version(to).await?);
    let objects = access.objects(core);
    computed(core, &objects, &from, &to, &Limits::default()).await
}

/// A page of the change set's added, removed and changed elements (only those of `kind` when
/// given), and how many there are in all.
pub async fn element_changes(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    from: &str,
    to: &str,
    kind: Option<ChangeKind>,
    window: Window,
) -> Result<Listed<ElementChange>> {
    let access = load(core, actor, project_id, Action::ReadProject).await?;
    element_changes_in(core, &access, from, to, kind, window).await
}

/// `element_changes` in a project already checked for reading.
pub async fn element_changes_in(
    core: &Core,
    access: &Access,
    from: &str,
    to: &str,
    kind: Option<ChangeKind>,
    window: Window,
) -> Result<Listed<ElementChange>> {
    if window.offset < 0 || window.limit < 0 {
        return Err(Error::invalid("limit", "must not be negative"));
    }
    let set = compare_in(core, access, from, to).await?;
    let total = kind.map_or(set.counts.listed(), |k| set.counts.of(k));
    let window = Window {
        offset: window.offset,
        limit: window.limit.min(MAX_PAGE),
    };
    if window.limit == 0 || window.offset >= total {
        return Ok(Listed {
            items: Vec::new(),
            total,
        });
    }
    let items = core
        .changes
        .element_changes(&access.project.id, from, to, kind, window)
        .await?;
    Ok(Listed { items, total })
}

/// Computes a change set and stores it; when another request stored the pair's first, that one
/// is the answer, so every caller sees the same change set.
async fn computed(
    core: &Core,
    objects: &ProjectObjects,
    from: &Version,
    to: &Version,
    limits: &Limits,
) -> Result<ChangeSet> {
    let (from, to) = tokio::try_join!(drawn(core, from), drawn(core, to))?;
    let (set, listed) = compute(objects, &from, &to, limits).await?;
    if core.changes.save_change_set(&set, &listed).await? {
        return Ok(set);
    }
    Ok(core
        .changes
        .change_set(&set.project_id, &from.id, &to.id)
        .await?
        .unwrap_or(set))
}

/// The version as compared: one sent as a bundle through the object tree built from it.
async fn drawn(core: &Core, version: &Version) -> Result<Version> {
    Ok(Version {
        referenced_object: crate::ingestions::bundles::drawn_root(core, version).await?,
        ..version.clone()
    })
}

/// Reads both versions' elements, matches them and lists what changed, without storing it.
pub(crate) async fn compute(
    objects: &ProjectObjects,
    from: &Version,
    to: &Version,
    limits: &Limits,
) -> Result<(ChangeSet, Vec<ElementChange>)> {
    let (old, new) = both_versions(objects, from, to, limits).await?;
    let matched = compare(&old.elements, &new.elements);
    let mut element_ids = old.element_ids;
    element_ids.extend(new.element_ids);
    free_later((old.elements, new.elements));
    let element_ids = Arc::new(element_ids);
    let listed = with_properties(objects, matched.changes, element_ids.clone(), limits).await?;
    free_later(element_ids);
    let set = ChangeSet {
        project_id: objects.project_id().to_string(),
        from_version_id: from.id.clone(),
        to_version_id: to.id.clone(),
        counts: matched.counts,
        computed_at: crate::projects::now(),
    };
    Ok((set, listed))
}

/// Both versions' elements. The older tree is read whole; of the newer one, only the objects the
/// older one lacks (what a send changed, usually a small part).
async fn both_versions(
    objects: &ProjectObjects,
    from: &Version,
    to: &Version,
    limits: &Limits,
) -> Result<(elements::VersionElements, elements::VersionElements)> {
    let (old_ids, new_ids) = tokio::try_join!(
        tree_ids(objects, from, limits),
        tree_ids(objects, to, limits)
    )?;
    let mut known = elements::Summaries::default();
    let (old_what, new_what) = (format!("version {}", from.id), format!("version {}", to.id));
    elements::summarize_into(objects.rows(old_ids.clone()), &mut known, limits, &old_what).await?;
    let missing: Vec<String> = new_ids
        .iter()
        .filter(|id| !known.contains_key(*id))
        .cloned()
        .collect();
    elements::summarize_into(objects.rows(missing), &mut known, limits, &new_what).await?;
    // Each version's elements on a thread of its own.
    let known = Arc::new(known);
    let decide = |ids: Vec<String>, what: String| {
        let (known, limits) = (known.clone(), *limits);
        async move {
            tokio::task::spawn_blocking(move || elements::elements_of(&known, &ids, &limits, &what))
                .await
                .map_err(|e| Error::backend("finding a version's elements", e))?
        }
    };
    let decided = tokio::try_join!(decide(old_ids, old_what), decide(new_ids, new_what));
    free_later(known);
    decided
}

/// Frees a comparison's summaries on a blocking thread: hundreds of thousands of small
/// allocations take a good part of a second to free, and the answer need not wait for it.
fn free_later<T: Send + 'static>(value: T) {
    tokio::task::spawn_blocking(move || drop(value));
}

/// A version's root object id followed by its closure's.
async fn tree_ids(
    objects: &ProjectObjects,
    version: &Version,
    limits: &Limits,
) -> Result<Vec<String>> {
    let what = format!("version {}", version.id);
    let root = objects
        .object(&version.referenced_object)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "versions",
                format!("{what} has no root object in the project"),
            )
        })?;
    let mut ids = crate::objects::tree::closure_ids(&root.data)?;
    if ids.len() >= limits.max_objects {
        return Err(elements::too_large(&what, "objects", limits.max_objects));
    }
    ids.insert(0, root.id);
    Ok(ids)
}

/// Fills in the changed properties of the changed elements whose properties differ, reading
/// both of their objects a chunk at a time.
async fn with_properties(
    objects: &ProjectObjects,
    pending: Vec<Pending>,
    element_ids: Arc<HashSet<String>>,
    limits: &Limits,
) -> Result<Vec<ElementChange>> {
    let mut listed = Vec::with_capacity(pending.len());
    let mut pending = pending.into_iter().peekable();
    while pending.peek().is_some() {
        let batch: Vec<Pending> = pending.by_ref().take(CHUNK / 2).collect();
        let ids: Vec<String> = batch
            .iter()
            .filter(|p| p.properties_differ)
            .flat_map(|p| {
                [
                    p.change.from_object_id.clone(),
                    p.change.to_object_id.clone(),
                ]
            })
            .flatten()
            .collect();
        let json: HashMap<String, String> = if ids.is_empty() {
            HashMap::new()
        } else {
            objects.json(&ids).await?.into_iter().collect()
        };
        let (element_ids, limits) = (element_ids.clone(), *limits);
        let filled = tokio::task::spawn_blocking(move || {
            batch
                .into_iter()
                .map(|p| fill(p, &json, &element_ids, &limits))
                .collect::<Result<Vec<_>>>()
        })
        .await
        .map_err(|e| Error::backend("comparing element properties", e))??;
        listed.extend(filled);
    }
    Ok(listed)
}

fn fill(
    pending: Pending,
    json: &HashMap<String, String>,
    element_ids: &HashSet<String>,
    limits: &Limits,
) -> Result<ElementChange> {
    let mut change = pending.change;
    if !pending.properties_differ {
        return Ok(change);
    }
    let fields = |id: &Option<String>| -> Result<Map<String, Value>> {
        let text = id.as_ref().and_then(|id| json.get(id)).ok_or_else(|| {
            Error::invalid(
                "versions",
                "an element's object is missing from the project",
            )
        })?;
        serde_json::from_str(text)
            .map_err(|e| Error::invalid("object", format!("stored object is not valid JSON: {e}")))
    };
    let old = fields(&change.from_object_id)?;
    let new = fields(&change.to_object_id)?;
    change.properties = properties::changed(&old, &new, &change.speckle_type, element_ids, limits);
    Ok(change)
}

/// Queues the comparison of a new version with the one before it in its model.
pub(crate) async fn request_summary(core: &Core, project_id: &str, version_id: &str) {
    let mut job = NewJob::new(
        VERSION_CHANGES_JOB,
        json!({ "projectId": project_id, "versionId": version_id }),
    );
    job.max_attempts = 3;
    if let Err(e) = core.jobs.enqueue(job).await {
        tracing::warn!(error = %e, version = %version_id, "could not queue the version's comparison");
    }
}

/// Versions of a model looked through for the one before a new version.
const PREVIOUS_LOOKUP: i64 = 100;

/// The `version-changes` job: compares a new version with the version before it in its model,
/// stores the change set and records its summary as a `commit_changes` activity (so webhooks
/// subscribed to it hear "12 added, 3 removed, 40 changed since the previous version"). The
/// server's own work, queued by version creation: there is no caller to check. `None` when
/// there is nothing to compare (the model's first version, or the version is gone).
pub async fn summarize_new_version(
    core: &Core,
    project_id: &str,
    version_id: &str,
) -> Result<Option<ChangeSet>> {
    let Some(version) = core.projects.version(project_id, version_id).await? else {
        return Ok(None);
    };
    let window = Window {
        offset: 0,
        limit: PREVIOUS_LOOKUP,
    };
    let newest_first = core
        .projects
        .model_versions(&version.model_id, &[], false, window)
        .await?
        .items;
    let Some(previous) = newest_first
        .iter()
        .skip_while(|v| v.id != version.id)
        .nth(1)
        .cloned()
    else {
        return Ok(None);
    };
    let set = match core
        .changes
        .change_set(project_id, &previous.id, &version.id)
        .await?
    {
        Some(set) => set,
        None => {
            let objects = ProjectObjects::new(core, project_id);
            computed(core, &objects, &previous, &version, &Limits::default()).await?
        }
    };
    let summary = format!("{} since the previous version", set.counts.summary());
    activity::record(
        core,
        Entry {
            project_id,
            resource_type: "commit",
            resource_id: &version.id,
            action_type: VERSION_CHANGES_ACTION,
            user_id: version.author_id.as_deref(),
            info: json!({
                "id": version.id,
                "previousVersionId": previous.id,
                "modelId": version.model_id,
                "changes": {
                    "added": set.counts.added,
                    "removed": set.counts.removed,
                    "changed": set.counts.changed,
                    "unchanged": set.counts.unchanged,
                },
                "summary": summary,
            }),
            message: summary.clone(),
        },
    )
    .await;
    Ok(Some(set))
}
