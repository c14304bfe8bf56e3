//! Version compare on a whole `Core`, with the embedded backends (SQLite) and the production ones
//! (PostgreSQL and Redis): two versions that differ by known elements (a moved wall, a changed
//! property, a deleted door, an added window), a re-send with new object ids and the same
//! applicationIds, paging, who may compare, the limits, and the summary job's activity entry.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use fleck_core::auth::Actor;
use fleck_core::authz::Visibility;
use fleck_core::changes::{self, ChangeCounts, ChangeKind, ChangeSet, VERSION_CHANGES_JOB};
use fleck_core::objects::{self, NewObject};
use fleck_core::projects::service as projects;
use fleck_core::projects::versions::{self, ModelRef, NewVersion};
use fleck_core::projects::{Version, Window};
use fleck_core::{Core, Error};
use serde_json::{json, Value};

use crate::support::{queued_jobs, service_project, verified_user};

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite_core, postgres => crate::support::postgres_core],
    contracts: [
        changes_list_moved_changed_deleted_and_added_elements,
        changes_match_a_resend_by_application_id,
        changes_are_paged_cached_and_read_only_by_readers,
        changes_summarize_each_new_version_in_a_job,
    ],
}

/// An element as a connector sends it: its data, and a display mesh detached beside it.
struct Element {
    application_id: Option<&'static str>,
    speckle_type: &'static str,
    data: Value,
    vertices: Vec<f64>,
}

fn wall(id: &'static str, height: f64, x: f64) -> Element {
    Element {
        application_id: Some(id),
        speckle_type: "Objects.BuiltElements.Wall:Objects.BuiltElements.Revit.RevitWall",
        data: json!({ "name": id, "category": "Walls", "height": height,
            "properties": { "Fire rating": "EI60", "Material": "Concrete" } }),
        vertices: vec![x, 0.0, 0.0, x + 5.0, 0.0, 0.0, x + 5.0, 0.0, height],
    }
}

/// A 32-character id made from the object's text and `salt` (a client could send any id).
fn object_id(text: &str, salt: &str) -> String {
    let mut a = DefaultHasher::new();
    (text, salt, 1).hash(&mut a);
    let mut b = DefaultHasher::new();
    (text, salt, 2).hash(&mut b);
    format!("{:016x}{:016x}", a.finish(), b.finish())
}

fn reference(id: &str) -> Value {
    json!({ "referencedId": id, "speckle_type": "reference" })
}

/// Stores the elements under a collection and makes a version of it.
async fn send(
    core: &Core,
    owner: &Actor,
    project: &str,
    elements: &[Element],
    salt: &str,
) -> Version {
    let access = projects::load(
        core,
        owner,
        project,
        fleck_core::authz::Action::WriteProject,
    )
    .await
    .unwrap();
    let mut stored = Vec::new();
    let mut closure = BTreeMap::new();
    let mut members = Vec::new();
    let add = |mut value: Value, speckle_type: &str, stored: &mut Vec<NewObject>| {
        value["speckle_type"] = json!(speckle_type);
        let id = object_id(&value.to_string(), salt);
        value["id"] = json!(id);
        stored.push(NewObject {
            id: id.clone(),
            speckle_type: speckle_type.into(),
            total_children_count: None,
            data: value.to_string(),
        });
        id
    };
    for element in elements {
        let mesh = add(
            json!({ "vertices": element.vertices, "faces": [3, 0, 1, 2], "units": "m" }),
            "Objects.Geometry.Mesh",
            &mut stored,
        );
        let mut data = element.data.clone();
        data["applicationId"] = json!(element.application_id);
        data["displayValue"] = json!([reference(&mesh)]);
        data["__closure"] = json!({ &mesh: 1 });
        let id = add(data, element.speckle_type, &mut stored);
        closure.insert(mesh, 2);
        closure.insert(id.clone(), 1);
        members.push(reference(&id));
    }
    let root = add(
        json!({ "name": "Model", "elements": members, "__closure": closure }),
        "Speckle.Core.Models.Collections.Collection",
        &mut stored,
    );
    objects::store(core, owner, &access, stored).await.unwrap();
    versions::create(
        core,
        owner,
        project,
        NewVersion {
            model: ModelRef::NameOrId("main".into()),
            object_id: root,
            message: None,
            source_application: Some("test".into()),
            total_children_count: None,
            parents: vec![],
        },
    )
    .await
    .unwrap()
}

fn before() -> Vec<Element> {
    vec![
        wall("wall-a", 3.0, 0.0),
        wall("wall-b", 3.0, 10.0),
        wall("wall-c", 3.0, 20.0),
        Element {
            application_id: Some("door-1"),
            speckle_type: "Objects.BuiltElements.Revit.FamilyInstance",
            data: json!({ "name": "Door", "category": "Doors" }),
            vertices: vec![1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 2.0, 0.0, 2.1],
        },
        // No applicationId: matched by its object id only.
        Element {
            application_id: None,
            speckle_type: "Base",
            data: json!({ "name": "Grid", "spacing": 8 }),
            vertices: vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0],
        },
    ]
}

fn after() -> Vec<Element> {
    let mut elements = before();
    // wall-a moved along x; wall-b's fire rating changed; the door is gone; a window is new.
    elements[0] = wall("wall-a", 3.0, 2.0);
    elements[1].data["properties"]["Fire rating"] = json!("EI90");
    elements.remove(3);
    elements.push(Element {
        application_id: Some("window-1"),
        speckle_type: "Objects.BuiltElements.Revit.FamilyInstance",
        data: json!({ "name": "Window", "category": "Windows" }),
        vertices: vec![3.0, 0.0, 1.0, 4.0, 0.0, 1.0, 4.0, 0.0, 2.0],
    });
    elements
}

/// Ada (signed in), her project, and two versions of it: of `first`, then of `second` with its
/// object ids salted by `salt`.
async fn two_versions(
    core: &Core,
    first: &[Element],
    second: &[Element],
    salt: &str,
) -> (Actor, String, Version, Version) {
    let owner = Actor::from_session(verified_user(core, "ada").await);
    let project = service_project(core, &owner, "Tower", Visibility::Private).await;
    let v1 = send(core, &owner, &project, first, "").await;
    let v2 = send(core, &owner, &project, second, salt).await;
    (owner, project, v1, v2)
}

/// What changed from `from` to `to`.
async fn compare(
    core: &Core,
    owner: &Actor,
    project: &str,
    from: &Version,
    to: &Version,
) -> ChangeSet {
    changes::compare_versions(core, owner, project, &from.id, &to.id)
        .await
        .unwrap()
}

/// How many elements were added, removed, changed and left unchanged.
fn counts(added: i64, removed: i64, changed: i64, unchanged: i64) -> ChangeCounts {
    ChangeCounts {
        added,
        removed,
        changed,
        unchanged,
    }
}

async fn changes_list_moved_changed_deleted_and_added_elements(core: Core) {
    let (owner, project, v1, v2) = two_versions(&core, &before(), &after(), "").await;

    let set = compare(&core, &owner, &project, &v1, &v2).await;
    assert_eq!(set.counts, counts(1, 1, 2, 2));
    let all = Window {
        offset: 0,
        limit: 100,
    };
    let listed = changes::element_changes(&core, &owner, &project, &v1.id, &v2.id, None, all)
        .await
        .unwrap();
    assert_eq!(listed.total, 4);
    let summary: Vec<(ChangeKind, &str, bool, usize)> = listed
        .items
        .iter()
        .map(|c| {
            (
                c.kind,
                c.key.as_str(),
                c.geometry_changed,
                c.properties.len(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (ChangeKind::Changed, "wall-a", true, 0),
            (ChangeKind::Changed, "wall-b", false, 1),
            (ChangeKind::Added, "window-1", false, 0),
            (ChangeKind::Removed, "door-1", false, 0),
        ]
    );
    let fire = &listed.items[1].properties[0];
    assert_eq!(fire.path, "properties.Fire rating");
    assert_eq!(fire.old, Some(json!("EI60")));
    assert_eq!(fire.new, Some(json!("EI90")));
    let window = &listed.items[2];
    assert_eq!(window.name.as_deref(), Some("Window"));
    assert_eq!(window.category.as_deref(), Some("Windows"));
    assert!(window.from_object_id.is_none() && window.to_object_id.is_some());

    // The other way round, added and removed trade places.
    let back = compare(&core, &owner, &project, &v2, &v1).await;
    assert_eq!((back.counts.added, back.counts.removed), (1, 1));
    assert_eq!(back.counts.changed, 2);
}

async fn changes_match_a_resend_by_application_id(core: Core) {
    // Every object has a new id; the elements with an applicationId are matched by it and
    // unchanged, the one without is removed and added again.
    let (owner, project, v1, v2) = two_versions(&core, &after(), &after(), "resent").await;
    let set = compare(&core, &owner, &project, &v1, &v2).await;
    assert_eq!(set.counts, counts(1, 1, 0, 4));
}

async fn changes_are_paged_cached_and_read_only_by_readers(core: Core) {
    let (owner, project, v1, v2) = two_versions(&core, &before(), &after(), "").await;
    let stranger = Actor::from_session(verified_user(&core, "eve").await);

    let page = |offset, limit| Window { offset, limit };
    let only_changed = changes::element_changes(
        &core,
        &owner,
        &project,
        &v1.id,
        &v2.id,
        Some(ChangeKind::Changed),
        page(1, 1),
    )
    .await
    .unwrap();
    assert_eq!(only_changed.total, 2);
    assert_eq!(only_changed.items.len(), 1);
    assert_eq!(only_changed.items[0].key, "wall-b");
    let past_the_end =
        changes::element_changes(&core, &owner, &project, &v1.id, &v2.id, None, page(9, 5))
            .await
            .unwrap();
    assert!(past_the_end.items.is_empty());

    // Computed once: the stored change set is what a second comparison answers.
    let first = compare(&core, &owner, &project, &v1, &v2).await;
    let stored = core
        .database()
        .changes
        .change_set(&project, &v1.id, &v2.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.counts, first.counts);

    let refused = changes::compare_versions(&core, &stranger, &project, &v1.id, &v2.id).await;
    assert!(matches!(
        refused,
        Err(Error::Forbidden(_) | Error::NotFound(_))
    ));
    let unknown = changes::compare_versions(&core, &owner, &project, &v1.id, "nope").await;
    assert!(matches!(unknown, Err(Error::NotFound(_))));
    let negative =
        changes::element_changes(&core, &owner, &project, &v1.id, &v2.id, None, page(0, -1)).await;
    assert!(matches!(negative, Err(Error::Invalid { .. })));
}

async fn changes_summarize_each_new_version_in_a_job(core: Core) {
    let owner = Actor::from_session(verified_user(&core, "ada").await);
    let project = service_project(&core, &owner, "Tower", Visibility::Private).await;
    let v1 = send(&core, &owner, &project, &before(), "").await;
    // The first version has nothing before it.
    assert!(changes::summarize_new_version(&core, &project, &v1.id)
        .await
        .unwrap()
        .is_none());
    let v2 = send(&core, &owner, &project, &after(), "").await;
    let queued = queued_jobs(&core, VERSION_CHANGES_JOB).await;
    assert_eq!(queued, 2, "one job per new version");

    let set = changes::summarize_new_version(&core, &project, &v2.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(set.from_version_id, v1.id);
    let access = projects::load(
        &core,
        &owner,
        &project,
        fleck_core::authz::Action::ReadProject,
    )
    .await
    .unwrap();
    let entries = access.activity(&core, None, 10).await.unwrap();
    let entry = entries
        .iter()
        .find(|a| a.action_type == changes::VERSION_CHANGES_ACTION)
        .expect("a commit_changes entry");
    assert_eq!(entry.resource_id, v2.id);
    assert_eq!(
        entry.message.as_deref(),
        Some("1 added, 1 removed, 2 changed since the previous version")
    );
    assert_eq!(entry.info["previousVersionId"], json!(v1.id));
    assert_eq!(entry.info["changes"]["changed"], json!(2));
}
