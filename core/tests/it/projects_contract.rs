//! The `ProjectStore` contract (projects, members, models, versions, invitations, activity), run
//! unchanged against SQLite and PostgreSQL. Projects refer to users by foreign key, so each
//! contract takes the whole `Database` and creates users through its `Store`.

use chrono::{DateTime, Duration, Utc};
use fleck_core::authz::{ProjectRole, Visibility};
use fleck_core::db::Database;
use fleck_core::ids::{new_id, random_string};
use fleck_core::objects::{NewObject, Objects};
use fleck_core::previews::PreviewStatus;
use fleck_core::projects::{
    now, Activity, Attachment, FileImport, ImportStatus, ImportTotal, Invitee, Listed, Model,
    ModelFilter, Project, ProjectFilter, ProjectInvite, ProjectTotals, SavedView, UploadStatus,
    Version, Window,
};
use fleck_core::testing;
use fleck_core::users::{ServerRole, User};
use fleck_core::webhooks::{EventStatus, Webhook, WebhookAttempt, WebhookEvent};
use fleck_core::Error;

use crate::support::{
    create_model, create_model_at, create_project, create_project_at, model_at, project_at,
    user_named,
};

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite, postgres => crate::support::postgres],
    contracts: [
        projects_create_a_project_with_its_owner_and_main_model,
        projects_create_nothing_when_a_part_fails,
        projects_update_every_field,
        projects_delete_everything_in_them,
        projects_list_a_users_projects_newest_first_with_filters_and_paging,
        projects_list_all_projects_for_admins,
        projects_count_everything_on_the_server,
        projects_add_update_and_remove_members,
        projects_list_members_owners_first_then_by_joining,
        models_reject_a_duplicate_name_in_one_project,
        models_are_found_by_name_whatever_its_case,
        models_reject_a_rename_onto_a_taken_name,
        models_delete_with_their_versions,
        models_list_newest_first_with_filters_and_totals,
        versions_round_trip_and_mark_their_model_and_project_updated,
        versions_list_a_models_versions_priority_first,
        versions_list_a_projects_versions_newest_first,
        versions_update_their_message,
        versions_move_to_another_model,
        versions_delete_and_count_what_they_deleted,
        versions_report_distinct_source_apps_alphabetically,
        invites_round_trip_and_are_found_by_id_token_and_project,
        invites_are_found_for_a_user_by_id_or_email,
        invites_delete_and_reject_a_shared_token,
        activity_lists_newest_first_with_paging_and_counts,
        file_imports_round_trip_update_and_list_per_model,
        saved_views_round_trip_list_by_name_and_go_with_their_model,
        file_imports_are_counted_by_type_and_status,
        previews_are_requested_once_saved_and_counted,
        webhooks_and_their_events_round_trip,
        webhooks_record_attempts_and_count_failures_until_disabled,
        webhooks_outlive_their_project_until_no_event_waits,
    ],
}

// ---- Helpers ----

/// A user without a password (hashing one is slow in debug builds).
async fn user(db: &Database, email: &str) -> User {
    let name = email.split('@').next().unwrap_or("someone");
    user_named(db, email, name).await
}

/// A version of `model` sent at `at` from `app`.
fn version_at(model: &Model, author: &User, app: Option<&str>, at: DateTime<Utc>) -> Version {
    Version {
        id: new_id(),
        project_id: model.project_id.clone(),
        model_id: model.id.clone(),
        referenced_object: random_string(32),
        author_id: Some(author.id.clone()),
        message: Some("a version".into()),
        source_application: app.map(str::to_string),
        total_children_count: Some(3),
        parents: Vec::new(),
        created_at: at,
    }
}

async fn create_version_at(
    db: &Database,
    model: &Model,
    author: &User,
    app: Option<&str>,
    at: DateTime<Utc>,
) -> Version {
    let version = version_at(model, author, app, at);
    db.projects
        .create_version(&version)
        .await
        .unwrap_or_else(|e| panic!("creating a version: {e}"));
    version
}

async fn create_version(db: &Database, model: &Model, author: &User) -> Version {
    create_version_at(db, model, author, Some("Rhino"), now()).await
}

/// An invitation to `project` from `inviter`, created at `at`.
fn invite_at(
    project: &Project,
    inviter: &User,
    invitee: Invitee,
    at: DateTime<Utc>,
) -> ProjectInvite {
    ProjectInvite {
        id: new_id(),
        project_id: project.id.clone(),
        invitee,
        role: ProjectRole::Contributor,
        server_role: None,
        inviter_id: inviter.id.clone(),
        token: random_string(20),
        message: None,
        created_at: at,
    }
}

/// The page of `items` out of `total` a list should give.
fn page_of<T: Clone>(items: &[&T], total: i64) -> Listed<T> {
    Listed {
        items: items.iter().map(|item| (*item).clone()).collect(),
        total,
    }
}

fn email_invite(
    project: &Project,
    inviter: &User,
    email: &str,
    at: DateTime<Utc>,
) -> ProjectInvite {
    invite_at(project, inviter, Invitee::Email(email.into()), at)
}

async fn insert_invite(db: &Database, invite: &ProjectInvite) {
    db.projects
        .insert_project_invite(invite)
        .await
        .unwrap_or_else(|e| panic!("saving an invitation: {e}"));
}

fn activity_at(project: &Project, action: &str, at: DateTime<Utc>) -> Activity {
    Activity {
        seq: 0,
        project_id: project.id.clone(),
        resource_type: "stream".into(),
        resource_id: project.id.clone(),
        action_type: action.into(),
        user_id: None,
        info: serde_json::json!({ "action": action }),
        message: None,
        time: at,
    }
}

fn window(offset: i64, limit: i64) -> Window {
    Window { offset, limit }
}

const ALL: Window = Window {
    offset: 0,
    limit: 100,
};

fn ms(n: i64) -> Duration {
    Duration::milliseconds(n)
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|item| id(item).to_string()).collect()
}

fn project_ids(listed: &Listed<Project>) -> Vec<String> {
    ids(&listed.items, |p| &p.id)
}

fn model_ids(listed: &Listed<Model>) -> Vec<String> {
    ids(&listed.items, |m| &m.id)
}

fn version_ids(listed: &Listed<Version>) -> Vec<String> {
    ids(&listed.items, |v| &v.id)
}

fn invite_ids(invites: &[ProjectInvite]) -> Vec<String> {
    let mut ids = ids(invites, |i| &i.id);
    ids.sort();
    ids
}

fn id_list<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    ids.into_iter().map(str::to_string).collect()
}

fn assert_conflict<T: std::fmt::Debug>(result: fleck_core::Result<T>, what: &str) {
    assert!(
        matches!(result, Err(Error::Conflict(_))),
        "{what}: expected Conflict, got {result:?}"
    );
}

// ---- Projects ----

async fn projects_create_a_project_with_its_owner_and_main_model(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    // Every field set away from its default, and times with milliseconds.
    let created = now() - ms(1_234);
    let project = Project {
        id: new_id(),
        name: "Bridge «Ünïcode» 🌉".into(),
        description: "Line one\nline two".into(),
        visibility: Visibility::Public,
        allow_public_comments: true,
        created_at: created,
        updated_at: created + ms(567),
    };
    let main = Model {
        author_id: Some(ada.id.clone()),
        description: None,
        ..model_at(&project.id, "main", &ada, created)
    };
    db.projects
        .create_project(&project, &ada.id, Some(&main))
        .await
        .unwrap();

    assert_eq!(
        db.projects.project(&project.id).await.unwrap(),
        Some(project.clone())
    );
    assert_eq!(
        db.projects.role_of(&project.id, &ada.id).await.unwrap(),
        Some(ProjectRole::Owner)
    );
    let members = db.projects.members(&project.id).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].user, ada);
    assert_eq!(members[0].role, ProjectRole::Owner);
    assert_eq!(
        db.projects
            .model_by_name(&project.id, "main")
            .await
            .unwrap(),
        Some(main.clone())
    );
    assert_eq!(
        db.projects.model(&project.id, &main.id).await.unwrap(),
        Some(main.clone())
    );
    let models = db
        .projects
        .models(&project.id, &ModelFilter::default(), ALL)
        .await
        .unwrap();
    assert_eq!(models, page_of(&[&main], 1));

    assert_eq!(db.projects.project("nosuchproj").await.unwrap(), None);
}

async fn projects_create_nothing_when_a_part_fails(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (_, existing_main) = create_project(&db, &ada, "Existing").await;

    // The owner does not exist: the member row fails, after the project row.
    let orphan = project_at("Orphan", now());
    let orphan_main = model_at(&orphan.id, "main", &ada, now());
    let result = db
        .projects
        .create_project(&orphan, "nosuchuser", Some(&orphan_main))
        .await;
    assert!(result.is_err(), "an unknown owner: {result:?}");
    assert_eq!(db.projects.project(&orphan.id).await.unwrap(), None);
    assert_eq!(
        db.projects
            .model(&orphan.id, &orphan_main.id)
            .await
            .unwrap(),
        None
    );

    // The main model reuses another model's id: the last insert fails, after the member row.
    let clash = project_at("Clash", now());
    let clash_main = Model {
        id: existing_main.id.clone(),
        ..model_at(&clash.id, "main", &ada, now())
    };
    let result = db
        .projects
        .create_project(&clash, &ada.id, Some(&clash_main))
        .await;
    assert!(result.is_err(), "a main model with a taken id: {result:?}");
    assert_eq!(db.projects.project(&clash.id).await.unwrap(), None);
    assert_eq!(db.projects.role_of(&clash.id, &ada.id).await.unwrap(), None);
    assert!(db.projects.members(&clash.id).await.unwrap().is_empty());
    let listed = db
        .projects
        .user_projects(&ada.id, &ProjectFilter::default(), ALL)
        .await
        .unwrap();
    assert_eq!(listed.total, 1, "only the first project: {listed:?}");
}

async fn projects_update_every_field(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, _) = create_project(&db, &ada, "Before").await;
    let (other, _) = create_project(&db, &ada, "Other").await;

    let updated = Project {
        name: "After".into(),
        description: "Changed.".into(),
        visibility: Visibility::Public,
        allow_public_comments: true,
        updated_at: project.updated_at + ms(1_001),
        ..project.clone()
    };
    db.projects.update_project(&updated).await.unwrap();
    assert_eq!(
        db.projects.project(&project.id).await.unwrap(),
        Some(updated.clone())
    );

    // And back, so each field is seen to change both ways.
    let reverted = Project {
        updated_at: updated.updated_at + ms(1),
        ..project.clone()
    };
    db.projects.update_project(&reverted).await.unwrap();
    assert_eq!(
        db.projects.project(&project.id).await.unwrap(),
        Some(reverted)
    );
    // Only that project.
    assert_eq!(db.projects.project(&other.id).await.unwrap(), Some(other));
}

async fn projects_delete_everything_in_them(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let (doomed, main) = create_project(&db, &ada, "Doomed").await;
    let (kept, kept_main) = create_project(&db, &ada, "Kept").await;
    for project in [&doomed, &kept] {
        db.projects
            .set_member(&project.id, &grace.id, ProjectRole::Reviewer)
            .await
            .unwrap();
    }
    let extra = create_model(&db, &doomed, "extra", &ada).await;
    let version = create_version(&db, &main, &ada).await;
    let kept_version = create_version(&db, &kept_main, &ada).await;
    let invite = email_invite(&doomed, &ada, "alan@example.com", now());
    let kept_invite = email_invite(&kept, &ada, "alan@example.com", now());
    insert_invite(&db, &invite).await;
    insert_invite(&db, &kept_invite).await;
    let object = NewObject {
        id: "0123456789abcdef0123456789abcdef".into(),
        speckle_type: "Base".into(),
        total_children_count: Some(0),
        data: r#"{"id":"0123456789abcdef0123456789abcdef"}"#.into(),
    };
    let objects = Objects::new(db.objects.clone());
    for project in [&doomed, &kept] {
        objects
            .insert_objects(&project.id, vec![object.clone()])
            .await
            .unwrap();
    }
    db.projects
        .add_activity(&activity_at(&doomed, "stream_create", now()))
        .await
        .unwrap();

    assert!(db.projects.delete_project(&doomed.id).await.unwrap());
    assert!(
        !db.projects.delete_project(&doomed.id).await.unwrap(),
        "already gone"
    );

    let p = &db.projects;
    assert_eq!(p.project(&doomed.id).await.unwrap(), None);
    assert!(p.members(&doomed.id).await.unwrap().is_empty());
    assert_eq!(p.role_of(&doomed.id, &ada.id).await.unwrap(), None);
    assert_eq!(p.role_of(&doomed.id, &grace.id).await.unwrap(), None);
    assert_eq!(p.model(&doomed.id, &main.id).await.unwrap(), None);
    assert_eq!(p.model(&doomed.id, &extra.id).await.unwrap(), None);
    let models = p
        .models(&doomed.id, &ModelFilter::default(), ALL)
        .await
        .unwrap();
    assert_eq!(models.total, 0);
    assert_eq!(p.version(&doomed.id, &version.id).await.unwrap(), None);
    assert_eq!(p.project_versions(&doomed.id, ALL).await.unwrap().total, 0);
    assert_eq!(
        p.model_versions(&main.id, &[], false, ALL)
            .await
            .unwrap()
            .total,
        0
    );
    assert!(p.source_apps(&doomed.id).await.unwrap().is_empty());
    assert_eq!(p.project_invite(&invite.id).await.unwrap(), None);
    assert_eq!(
        p.project_invite_by_token(&invite.token).await.unwrap(),
        None
    );
    assert!(p.project_invites(&doomed.id).await.unwrap().is_empty());
    assert_eq!(objects.object(&doomed.id, &object.id).await.unwrap(), None);
    assert_eq!(objects.object_totals(&doomed.id).await.unwrap(), (0, 0));
    let listed = p
        .user_projects(&grace.id, &ProjectFilter::default(), ALL)
        .await
        .unwrap();
    let listed: Vec<&str> = listed.items.iter().map(|(p, _)| p.id.as_str()).collect();
    assert_eq!(listed, [kept.id.as_str()]);
    // History outlives what it describes (the activity table has no foreign keys).
    assert_eq!(p.count_project_activity(&doomed.id).await.unwrap(), 1);

    // The other project keeps everything.
    assert_eq!(
        p.project(&kept.id).await.unwrap(),
        Some(Project {
            updated_at: kept_version.created_at,
            ..kept.clone()
        })
    );
    assert_eq!(p.members(&kept.id).await.unwrap().len(), 2);
    assert_eq!(
        p.version(&kept.id, &kept_version.id).await.unwrap(),
        Some(kept_version)
    );
    assert_eq!(
        p.project_invite(&kept_invite.id).await.unwrap(),
        Some(kept_invite)
    );
    assert!(objects
        .object(&kept.id, &object.id)
        .await
        .unwrap()
        .is_some());
}

async fn projects_list_a_users_projects_newest_first_with_filters_and_paging(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let t = now();
    // Created in an order unlike their update order.
    let (alpha, _) = create_project_at(&db, &ada, "Project ALPHA", t - ms(4_000)).await;
    let (beta, _) = create_project_at(&db, &grace, "Beta", t - ms(1_000)).await;
    let (gamma, _) = create_project_at(&db, &grace, "alphabet soup", t - ms(3_000)).await;
    let (delta, _) = create_project_at(&db, &grace, "Delta 100%", t - ms(2_000)).await;
    let (_not_hers, _) = create_project_at(&db, &grace, "Alpha without Ada", t).await;
    db.projects
        .set_member(&beta.id, &ada.id, ProjectRole::Contributor)
        .await
        .unwrap();
    db.projects
        .set_member(&gamma.id, &ada.id, ProjectRole::Reviewer)
        .await
        .unwrap();
    db.projects
        .set_member(&delta.id, &ada.id, ProjectRole::Owner)
        .await
        .unwrap();
    // Alpha becomes the most recently updated.
    let alpha = Project {
        updated_at: t + ms(1_000),
        ..alpha
    };
    db.projects.update_project(&alpha).await.unwrap();

    let list = |search: Option<&str>, roles: Option<Vec<ProjectRole>>, window: Window| {
        let db = db.projects.clone();
        let ada = ada.id.clone();
        let filter = ProjectFilter {
            search: search.map(str::to_string),
            roles,
            ids: None,
        };
        async move {
            let listed = db.user_projects(&ada, &filter, window).await.unwrap();
            let ids: Vec<String> = listed.items.iter().map(|(p, _)| p.id.clone()).collect();
            (ids, listed.total)
        }
    };
    let expect = |projects: &[&Project], total: i64| {
        (
            projects.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
            total,
        )
    };

    // Every field and the role come back.
    let listed = db
        .projects
        .user_projects(&ada.id, &ProjectFilter::default(), ALL)
        .await
        .unwrap();
    assert_eq!(
        listed.items,
        vec![
            (alpha.clone(), ProjectRole::Owner),
            (beta.clone(), ProjectRole::Contributor),
            (delta.clone(), ProjectRole::Owner),
            (gamma.clone(), ProjectRole::Reviewer),
        ]
    );
    assert_eq!(listed.total, 4);

    // Search: a substring of the name, ignoring case, as plain text.
    assert_eq!(
        list(Some("alpha"), None, ALL).await,
        expect(&[&alpha, &gamma], 2)
    );
    assert_eq!(
        list(Some("PROJECT a"), None, ALL).await,
        expect(&[&alpha], 1)
    );
    assert_eq!(list(Some("100%"), None, ALL).await, expect(&[&delta], 1));
    assert_eq!(list(Some("%"), None, ALL).await, expect(&[&delta], 1));
    assert_eq!(list(Some("_"), None, ALL).await, expect(&[], 0));
    assert_eq!(list(Some("nothing"), None, ALL).await, expect(&[], 0));

    // Roles.
    let owner = Some(vec![ProjectRole::Owner]);
    assert_eq!(list(None, owner, ALL).await, expect(&[&alpha, &delta], 2));
    let writers = Some(vec![ProjectRole::Contributor, ProjectRole::Reviewer]);
    assert_eq!(list(None, writers, ALL).await, expect(&[&beta, &gamma], 2));
    assert_eq!(list(None, Some(vec![]), ALL).await, expect(&[], 0));

    // Pages report the total of the whole list.
    assert_eq!(
        list(None, None, window(0, 2)).await,
        expect(&[&alpha, &beta], 4)
    );
    assert_eq!(
        list(None, None, window(1, 2)).await,
        expect(&[&beta, &delta], 4)
    );
    assert_eq!(list(None, None, window(3, 2)).await, expect(&[&gamma], 4));
    assert_eq!(list(None, None, window(4, 2)).await, expect(&[], 4));
    // Filters and pages together.
    let owner = Some(vec![ProjectRole::Owner]);
    assert_eq!(
        list(Some("a"), owner, window(1, 1)).await,
        expect(&[&delta], 2)
    );

    // Only some projects (a token's limit), with the other filters.
    let only = |ids: &[&Project], search: Option<&str>| ProjectFilter {
        search: search.map(str::to_string),
        roles: None,
        ids: Some(ids.iter().map(|p| p.id.clone()).collect()),
    };
    let limited = db
        .projects
        .user_projects(&ada.id, &only(&[&gamma, &beta], None), ALL)
        .await
        .unwrap();
    assert_eq!(
        limited.items,
        vec![
            (beta.clone(), ProjectRole::Contributor),
            (gamma.clone(), ProjectRole::Reviewer),
        ]
    );
    assert_eq!(limited.total, 2);
    let searched = db
        .projects
        .user_projects(&ada.id, &only(&[&gamma, &beta], Some("alpha")), ALL)
        .await
        .unwrap();
    assert_eq!(searched.total, 1);
    let nothing = db
        .projects
        .user_projects(&ada.id, &only(&[], None), ALL)
        .await
        .unwrap();
    assert_eq!(nothing.total, 0);

    // A user without projects.
    let alan = user(&db, "alan@example.com").await;
    let none = db
        .projects
        .user_projects(&alan.id, &ProjectFilter::default(), ALL)
        .await
        .unwrap();
    assert_eq!(none, page_of(&[], 0));
}

async fn projects_list_all_projects_for_admins(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let t = now();
    let (older, _) = create_project_at(&db, &ada, "Old Tower", t - ms(2_000)).await;
    let (newer, _) = create_project_at(&db, &grace, "New Tower", t - ms(1_000)).await;
    let (bridge, _) = create_project_at(&db, &grace, "Bridge", t - ms(3_000)).await;

    let all = db.projects.all_projects(None, ALL).await.unwrap();
    assert_eq!(
        all.items,
        vec![newer.clone(), older.clone(), bridge.clone()]
    );
    assert_eq!(all.total, 3);
    let towers = db.projects.all_projects(Some("tOWER"), ALL).await.unwrap();
    assert_eq!(
        project_ids(&towers),
        id_list([newer.id.as_str(), older.id.as_str()])
    );
    assert_eq!(towers.total, 2);
    let page = db.projects.all_projects(None, window(1, 1)).await.unwrap();
    assert_eq!(project_ids(&page), vec![older.id.clone()]);
    assert_eq!(page.total, 3);
    let none = db.projects.all_projects(Some("%"), ALL).await.unwrap();
    assert_eq!(none, page_of(&[], 0));
}

async fn projects_count_everything_on_the_server(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    assert_eq!(
        db.projects.totals().await.unwrap(),
        ProjectTotals::default(),
        "an empty server"
    );
    let (tower, main) = create_project(&db, &ada, "Tower").await;
    let (bridge, _) = create_project(&db, &ada, "Bridge").await;
    let extra = create_model(&db, &bridge, "extra", &ada).await;
    for model in [&main, &main, &extra] {
        create_version(&db, model, &ada).await;
    }
    // Only completed uploads take up space.
    for (status, size) in [
        (UploadStatus::Completed, Some(1_000)),
        (UploadStatus::Completed, Some(234)),
        (UploadStatus::Pending, Some(5_000)),
        (UploadStatus::Failed, None),
    ] {
        let id = random_string(10);
        db.projects
            .save_attachment(&Attachment {
                object_key: format!("{}/{id}", tower.id),
                file_name: format!("{id}.ifc"),
                id,
                project_id: tower.id.clone(),
                user_id: Some(ada.id.clone()),
                file_type: "ifc".into(),
                file_size: size,
                file_hash: None,
                status,
                upload_error: None,
                created_at: now(),
            })
            .await
            .unwrap();
    }

    assert_eq!(
        db.projects.totals().await.unwrap(),
        ProjectTotals {
            projects: 2,
            models: 3,
            versions: 3,
            attachments: 2,
            attachment_bytes: 1_234,
        }
    );
}

// ---- Members ----

async fn projects_add_update_and_remove_members(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let (project, _) = create_project(&db, &ada, "Team").await;
    let (other, _) = create_project(&db, &ada, "Other").await;
    let p = &db.projects;

    assert_eq!(p.role_of(&project.id, &grace.id).await.unwrap(), None);
    assert_eq!(p.role_of("nosuchproj", &ada.id).await.unwrap(), None);

    // Insert.
    p.set_member(&project.id, &grace.id, ProjectRole::Contributor)
        .await
        .unwrap();
    assert_eq!(
        p.role_of(&project.id, &grace.id).await.unwrap(),
        Some(ProjectRole::Contributor)
    );
    // Update, in place: still one membership.
    p.set_member(&project.id, &grace.id, ProjectRole::Reviewer)
        .await
        .unwrap();
    assert_eq!(
        p.role_of(&project.id, &grace.id).await.unwrap(),
        Some(ProjectRole::Reviewer)
    );
    let members = p.members(&project.id).await.unwrap();
    let roles: Vec<(String, ProjectRole)> = members
        .iter()
        .map(|m| (m.user.id.clone(), m.role))
        .collect();
    assert_eq!(
        roles,
        vec![
            (ada.id.clone(), ProjectRole::Owner),
            (grace.id.clone(), ProjectRole::Reviewer)
        ]
    );
    assert_eq!(members[1].user, grace);
    // Only in that project.
    assert_eq!(p.role_of(&other.id, &grace.id).await.unwrap(), None);

    // Remove.
    assert!(p.remove_member(&project.id, &grace.id).await.unwrap());
    assert!(
        !p.remove_member(&project.id, &grace.id).await.unwrap(),
        "already removed"
    );
    assert_eq!(p.role_of(&project.id, &grace.id).await.unwrap(), None);
    assert_eq!(p.members(&project.id).await.unwrap().len(), 1);
    assert_eq!(
        p.role_of(&project.id, &ada.id).await.unwrap(),
        Some(ProjectRole::Owner)
    );
}

async fn projects_list_members_owners_first_then_by_joining(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let barbara = user(&db, "barbara@example.com").await;
    let alan = user(&db, "alan@example.com").await;
    let (project, _) = create_project(&db, &ada, "Team").await;
    // Joining times are set by the store: apart enough for SQLite's milliseconds.
    let join = |who: &User, role: ProjectRole| {
        let projects = db.projects.clone();
        let (project, who) = (project.id.clone(), who.id.clone());
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            projects.set_member(&project, &who, role).await.unwrap();
        }
    };
    join(&grace, ProjectRole::Contributor).await;
    join(&barbara, ProjectRole::Reviewer).await;
    join(&alan, ProjectRole::Owner).await;

    let members = db.projects.members(&project.id).await.unwrap();
    let order: Vec<(&str, ProjectRole)> = members
        .iter()
        .map(|m| (m.user.email.as_str(), m.role))
        .collect();
    assert_eq!(
        order,
        vec![
            ("ada@example.com", ProjectRole::Owner),
            ("alan@example.com", ProjectRole::Owner),
            ("grace@example.com", ProjectRole::Contributor),
            ("barbara@example.com", ProjectRole::Reviewer),
        ]
    );
    // A role change keeps the joining time: Grace becomes an owner and comes after Ada, before Alan.
    join(&grace, ProjectRole::Owner).await;
    let members = db.projects.members(&project.id).await.unwrap();
    let emails: Vec<&str> = members.iter().map(|m| m.user.email.as_str()).collect();
    assert_eq!(
        emails,
        [
            "ada@example.com",
            "grace@example.com",
            "alan@example.com",
            "barbara@example.com"
        ]
    );
}

// ---- Models ----

async fn models_reject_a_duplicate_name_in_one_project(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, main) = create_project(&db, &ada, "Models").await;
    let (other, _) = create_project(&db, &ada, "Other").await;
    let walls = create_model(&db, &project, "building/walls", &ada).await;

    let again = model_at(&project.id, "building/walls", &ada, now());
    assert_conflict(
        db.projects.create_model(&again).await,
        "a second building/walls",
    );
    let main_again = model_at(&project.id, "main", &ada, now());
    assert_conflict(db.projects.create_model(&main_again).await, "a second main");
    assert_eq!(
        db.projects.model(&project.id, &again.id).await.unwrap(),
        None
    );

    // The same name in another project is another model.
    let elsewhere = create_model(&db, &other, "building/walls", &ada).await;
    assert_ne!(elsewhere.id, walls.id);
    let listed = db
        .projects
        .models(&project.id, &ModelFilter::default(), ALL)
        .await
        .unwrap();
    assert_eq!(listed.total, 2);
    assert_eq!(
        db.projects.model(&project.id, &walls.id).await.unwrap(),
        Some(walls.clone())
    );
    assert_eq!(
        db.projects.model(&project.id, &main.id).await.unwrap(),
        Some(main)
    );
    // A model is found only in its own project.
    assert_eq!(db.projects.model(&other.id, &walls.id).await.unwrap(), None);
}

async fn models_are_found_by_name_whatever_its_case(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, _) = create_project(&db, &ada, "Models").await;
    let (other, _) = create_project(&db, &ada, "Other").await;
    let walls = create_model(&db, &project, "building/walls", &ada).await;
    let other_walls = create_model(&db, &other, "building/walls", &ada).await;

    let p = &db.projects;
    assert_eq!(
        p.model_by_name(&project.id, "building/walls")
            .await
            .unwrap(),
        Some(walls.clone())
    );
    assert_eq!(
        p.model_by_name(&project.id, "Building/WALLS")
            .await
            .unwrap(),
        Some(walls)
    );
    assert_eq!(
        p.model_by_name(&other.id, "building/walls").await.unwrap(),
        Some(other_walls)
    );
    assert_eq!(
        p.model_by_name(&project.id, "building").await.unwrap(),
        None
    );
    assert_eq!(p.model_by_name(&project.id, "walls").await.unwrap(), None);
}

async fn models_reject_a_rename_onto_a_taken_name(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, main) = create_project(&db, &ada, "Models").await;
    let walls = create_model(&db, &project, "walls", &ada).await;

    let clash = Model {
        name: "main".into(),
        ..walls.clone()
    };
    assert_conflict(
        db.projects.update_model(&clash).await,
        "renaming walls to main",
    );
    assert_eq!(
        db.projects.model(&project.id, &walls.id).await.unwrap(),
        Some(walls.clone())
    );
    assert_eq!(
        db.projects.model(&project.id, &main.id).await.unwrap(),
        Some(main)
    );

    let renamed = Model {
        name: "structure/walls".into(),
        description: None,
        updated_at: walls.updated_at + ms(2_500),
        ..walls.clone()
    };
    db.projects.update_model(&renamed).await.unwrap();
    assert_eq!(
        db.projects.model(&project.id, &walls.id).await.unwrap(),
        Some(renamed.clone())
    );
    assert_eq!(
        db.projects
            .model_by_name(&project.id, "walls")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.projects
            .model_by_name(&project.id, "structure/walls")
            .await
            .unwrap(),
        Some(renamed.clone())
    );
    // Keeping its own name is no conflict.
    let described = Model {
        description: Some("Load-bearing.".into()),
        ..renamed
    };
    db.projects.update_model(&described).await.unwrap();
    assert_eq!(
        db.projects.model(&project.id, &walls.id).await.unwrap(),
        Some(described)
    );
}

async fn models_delete_with_their_versions(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, main) = create_project(&db, &ada, "Models").await;
    let walls = create_model(&db, &project, "walls", &ada).await;
    let gone = create_version(&db, &walls, &ada).await;
    let kept = create_version(&db, &main, &ada).await;

    assert!(
        !db.projects
            .delete_model("nosuchproj", &walls.id)
            .await
            .unwrap(),
        "wrong project"
    );
    assert!(db
        .projects
        .delete_model(&project.id, &walls.id)
        .await
        .unwrap());
    assert!(
        !db.projects
            .delete_model(&project.id, &walls.id)
            .await
            .unwrap(),
        "already gone"
    );
    assert_eq!(
        db.projects.model(&project.id, &walls.id).await.unwrap(),
        None
    );
    assert_eq!(
        db.projects.version(&project.id, &gone.id).await.unwrap(),
        None
    );
    assert_eq!(
        db.projects.version(&project.id, &kept.id).await.unwrap(),
        Some(kept)
    );
    let versions = db
        .projects
        .project_versions(&project.id, ALL)
        .await
        .unwrap();
    assert_eq!(versions.total, 1);
}

async fn models_list_newest_first_with_filters_and_totals(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let t = now() - ms(60_000);
    let (project, main) = create_project_at(&db, &ada, "Models", t).await;
    let (other, _) = create_project_at(&db, &ada, "Other", t).await;
    let walls = create_model_at(&db, &project, "building/walls", &ada, t + ms(1_000)).await;
    let roof = create_model_at(&db, &project, "building/roof", &ada, t + ms(2_000)).await;
    let site = create_model_at(&db, &project, "site", &ada, t + ms(3_000)).await;
    create_model_at(&db, &other, "building/other", &ada, t + ms(4_000)).await;
    // Versions update their model: walls is the newest, then roof.
    create_version_at(&db, &roof, &grace, Some("Revit"), t + ms(5_000)).await;
    create_version_at(&db, &walls, &ada, Some("Rhino"), t + ms(6_000)).await;
    create_version_at(&db, &walls, &ada, None, t + ms(6_500)).await;
    let (main, walls, roof) = (
        main,
        Model {
            updated_at: t + ms(6_500),
            ..walls
        },
        Model {
            updated_at: t + ms(5_000),
            ..roof
        },
    );

    let list = |filter: ModelFilter, window: Window| {
        let projects = db.projects.clone();
        let project = project.id.clone();
        async move { projects.models(&project, &filter, window).await.unwrap() }
    };
    let strings = |s: &[&str]| Some(id_list(s.iter().copied()));

    assert_eq!(
        list(ModelFilter::default(), ALL).await,
        page_of(&[&walls, &roof, &site, &main], 4)
    );
    let search = |s: &str| ModelFilter {
        search: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(
        list(search("BUILDING/"), ALL).await,
        page_of(&[&walls, &roof], 2)
    );
    assert_eq!(list(search("Oo"), ALL).await, page_of(&[&roof], 1));
    assert_eq!(list(search("%"), ALL).await, page_of(&[], 0));

    let only = ModelFilter {
        ids: strings(&[&site.id, &walls.id, "nosuchmodel"]),
        ..Default::default()
    };
    assert_eq!(list(only, ALL).await, page_of(&[&walls, &site], 2));
    let none = ModelFilter {
        ids: Some(vec![]),
        ..Default::default()
    };
    assert_eq!(list(none, ALL).await, page_of(&[], 0));
    let exclude = ModelFilter {
        exclude_ids: strings(&[&main.id, &roof.id]),
        ..Default::default()
    };
    assert_eq!(list(exclude, ALL).await, page_of(&[&walls, &site], 2));
    let both = ModelFilter {
        ids: strings(&[&walls.id, &roof.id]),
        exclude_ids: strings(&[&walls.id]),
        ..Default::default()
    };
    assert_eq!(list(both, ALL).await, page_of(&[&roof], 1));

    let with_versions = ModelFilter {
        only_with_versions: true,
        ..Default::default()
    };
    assert_eq!(list(with_versions, ALL).await, page_of(&[&walls, &roof], 2));
    let by_grace = ModelFilter {
        contributors: strings(&[&grace.id]),
        ..Default::default()
    };
    assert_eq!(list(by_grace, ALL).await, page_of(&[&roof], 1));
    let by_anyone = ModelFilter {
        contributors: strings(&[&grace.id, &ada.id]),
        ..Default::default()
    };
    assert_eq!(list(by_anyone, ALL).await, page_of(&[&walls, &roof], 2));
    let from_rhino = ModelFilter {
        source_apps: strings(&["Rhino"]),
        ..Default::default()
    };
    assert_eq!(list(from_rhino, ALL).await, page_of(&[&walls], 1));
    let from_blender = ModelFilter {
        source_apps: strings(&["Blender"]),
        ..Default::default()
    };
    assert_eq!(list(from_blender, ALL).await, page_of(&[], 0));
    let combined = ModelFilter {
        search: Some("building".into()),
        contributors: strings(&[&ada.id]),
        source_apps: strings(&["Revit", "Rhino"]),
        ..Default::default()
    };
    assert_eq!(list(combined, ALL).await, page_of(&[&walls], 1));

    // Pages report the total of the whole (filtered) list.
    assert_eq!(
        list(ModelFilter::default(), window(1, 2)).await,
        page_of(&[&roof, &site], 4)
    );
    assert_eq!(
        list(ModelFilter::default(), window(4, 2)).await,
        page_of(&[], 4)
    );
    let page = list(search("building"), window(1, 5)).await;
    assert_eq!(model_ids(&page), vec![roof.id.clone()]);
    assert_eq!(page.total, 2);
}

// ---- Versions ----

async fn versions_round_trip_and_mark_their_model_and_project_updated(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let t = now() - ms(10_000);
    let (project, main) = create_project_at(&db, &ada, "Versions", t).await;
    let walls = create_model_at(&db, &project, "walls", &ada, t).await;

    let sent = t + ms(4_321);
    let version = Version {
        message: Some("Ünïcode message 🚀\nwith a second line".into()),
        source_application: Some("Rhino7".into()),
        total_children_count: Some(9_000_000_000),
        parents: vec!["parent1".into(), "parent2".into()],
        ..version_at(&walls, &ada, Some("Rhino7"), sent)
    };
    db.projects.create_version(&version).await.unwrap();
    assert_eq!(
        db.projects.version(&project.id, &version.id).await.unwrap(),
        Some(version.clone())
    );

    // Its model and its project were updated then; other models were not.
    let p = &db.projects;
    assert_eq!(
        p.model(&project.id, &walls.id)
            .await
            .unwrap()
            .unwrap()
            .updated_at,
        sent
    );
    assert_eq!(p.model(&project.id, &main.id).await.unwrap(), Some(main));
    assert_eq!(
        p.project(&project.id).await.unwrap().unwrap().updated_at,
        sent
    );

    // The optional fields may be empty.
    let bare = Version {
        author_id: None,
        message: None,
        source_application: None,
        total_children_count: None,
        ..version_at(&walls, &ada, None, sent + ms(1))
    };
    db.projects.create_version(&bare).await.unwrap();
    assert_eq!(p.version(&project.id, &bare.id).await.unwrap(), Some(bare));

    // A version is found only in its own project.
    assert_eq!(p.version("nosuchproj", &version.id).await.unwrap(), None);
    assert_eq!(p.version(&project.id, "nosuchvers").await.unwrap(), None);
}

async fn versions_list_a_models_versions_priority_first(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let t = now() - ms(10_000);
    let (project, main) = create_project_at(&db, &ada, "Versions", t).await;
    let walls = create_model(&db, &project, "walls", &ada).await;
    let mut v = Vec::new();
    for i in 0..4 {
        v.push(create_version_at(&db, &main, &ada, Some("Rhino"), t + ms(1_000 * (i + 1))).await);
    }
    let elsewhere = create_version_at(&db, &walls, &ada, None, t + ms(9_000)).await;
    let list = |priority: Vec<String>, only: bool, window: Window| {
        let projects = db.projects.clone();
        let model = main.id.clone();
        async move {
            projects
                .model_versions(&model, &priority, only, window)
                .await
                .unwrap()
        }
    };
    let prio = |versions: &[&Version]| versions.iter().map(|v| v.id.clone()).collect::<Vec<_>>();

    // Newest first.
    assert_eq!(
        list(vec![], false, ALL).await,
        page_of(&[&v[3], &v[2], &v[1], &v[0]], 4)
    );
    assert_eq!(
        list(vec![], false, window(1, 2)).await,
        page_of(&[&v[2], &v[1]], 4)
    );
    // Priority ids first (newest first among them), then the rest.
    assert_eq!(
        list(prio(&[&v[0]]), false, ALL).await,
        page_of(&[&v[0], &v[3], &v[2], &v[1]], 4)
    );
    assert_eq!(
        list(prio(&[&v[0], &v[2]]), false, ALL).await,
        page_of(&[&v[2], &v[0], &v[3], &v[1]], 4)
    );
    assert_eq!(
        list(prio(&[&v[0], &v[2]]), false, window(1, 2)).await,
        page_of(&[&v[0], &v[3]], 4)
    );
    // Priority ids of another model, or unknown, change nothing.
    let mut foreign = prio(&[&elsewhere]);
    foreign.push("nosuchvers".into());
    assert_eq!(
        list(foreign.clone(), false, window(0, 1)).await,
        page_of(&[&v[3]], 4)
    );
    // Or alone.
    assert_eq!(
        list(prio(&[&v[0], &v[2]]), true, ALL).await,
        page_of(&[&v[2], &v[0]], 2)
    );
    assert_eq!(
        list(prio(&[&v[1]]), true, window(0, 5)).await,
        page_of(&[&v[1]], 1)
    );
    assert_eq!(list(foreign, true, ALL).await, page_of(&[], 0));
    assert_eq!(list(vec![], true, ALL).await, page_of(&[], 0));

    // Another model's versions are its own.
    let other = db
        .projects
        .model_versions(&walls.id, &[], false, ALL)
        .await
        .unwrap();
    assert_eq!(other, page_of(&[&elsewhere], 1));
}

async fn versions_list_a_projects_versions_newest_first(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let t = now() - ms(10_000);
    let (project, main) = create_project_at(&db, &ada, "Versions", t).await;
    let (other, other_main) = create_project_at(&db, &ada, "Other", t).await;
    let walls = create_model(&db, &project, "walls", &ada).await;
    let a = create_version_at(&db, &main, &ada, None, t + ms(1_000)).await;
    let b = create_version_at(&db, &walls, &ada, None, t + ms(2_000)).await;
    let c = create_version_at(&db, &main, &ada, None, t + ms(3_000)).await;
    let theirs = create_version_at(&db, &other_main, &ada, None, t + ms(4_000)).await;

    let all = db
        .projects
        .project_versions(&project.id, ALL)
        .await
        .unwrap();
    assert_eq!(all, page_of(&[&c, &b, &a], 3));
    let page = db
        .projects
        .project_versions(&project.id, window(1, 1))
        .await
        .unwrap();
    assert_eq!(version_ids(&page), vec![b.id.clone()]);
    assert_eq!(page.total, 3);
    let past_end = db
        .projects
        .project_versions(&project.id, window(3, 1))
        .await
        .unwrap();
    assert_eq!(past_end, page_of(&[], 3));
    let others = db.projects.project_versions(&other.id, ALL).await.unwrap();
    assert_eq!(others, page_of(&[&theirs], 1));
}

async fn versions_update_their_message(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, main) = create_project(&db, &ada, "Versions").await;
    let (other, _) = create_project(&db, &ada, "Other").await;
    let version = create_version(&db, &main, &ada).await;
    let untouched = create_version(&db, &main, &ada).await;

    db.projects
        .update_version_message(&project.id, &version.id, "Fixed the roof ✔")
        .await
        .unwrap();
    let expected = Version {
        message: Some("Fixed the roof ✔".into()),
        ..version.clone()
    };
    assert_eq!(
        db.projects.version(&project.id, &version.id).await.unwrap(),
        Some(expected.clone())
    );
    assert_eq!(
        db.projects
            .version(&project.id, &untouched.id)
            .await
            .unwrap(),
        Some(untouched)
    );

    // Through another project, nothing changes.
    db.projects
        .update_version_message(&other.id, &version.id, "hijacked")
        .await
        .unwrap();
    assert_eq!(
        db.projects.version(&project.id, &version.id).await.unwrap(),
        Some(expected)
    );
}

async fn versions_move_to_another_model(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let t = now() - ms(10_000);
    let (project, main) = create_project_at(&db, &ada, "Versions", t).await;
    let (other, other_main) = create_project_at(&db, &ada, "Other", t).await;
    let archive = create_model_at(&db, &project, "archive", &ada, t).await;
    let a = create_version_at(&db, &main, &ada, None, t + ms(1_000)).await;
    let b = create_version_at(&db, &main, &ada, None, t + ms(2_000)).await;
    let c = create_version_at(&db, &main, &ada, None, t + ms(3_000)).await;
    let theirs = create_version_at(&db, &other_main, &ada, None, t + ms(4_000)).await;

    // Only this project's versions move, and the count says so.
    let ids = id_list([
        a.id.as_str(),
        c.id.as_str(),
        theirs.id.as_str(),
        "nosuchvers",
    ]);
    assert_eq!(
        db.projects
            .move_versions(&project.id, &ids, &archive.id)
            .await
            .unwrap(),
        2
    );

    let p = &db.projects;
    let moved = p
        .model_versions(&archive.id, &[], false, ALL)
        .await
        .unwrap();
    let moved_a = Version {
        model_id: archive.id.clone(),
        ..a
    };
    let moved_c = Version {
        model_id: archive.id.clone(),
        ..c
    };
    assert_eq!(moved, page_of(&[&moved_c, &moved_a], 2));
    assert_eq!(
        p.version(&project.id, &moved_a.id).await.unwrap(),
        Some(moved_a)
    );
    let left = p.model_versions(&main.id, &[], false, ALL).await.unwrap();
    assert_eq!(left, page_of(&[&b], 1));
    assert_eq!(
        p.version(&other.id, &theirs.id).await.unwrap(),
        Some(theirs)
    );

    let none = db
        .projects
        .move_versions(&project.id, &[], &archive.id)
        .await
        .unwrap();
    assert_eq!(none, 0);
}

async fn versions_delete_and_count_what_they_deleted(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, main) = create_project(&db, &ada, "Versions").await;
    let (other, other_main) = create_project(&db, &ada, "Other").await;
    let a = create_version(&db, &main, &ada).await;
    let b = create_version(&db, &main, &ada).await;
    let c = create_version(&db, &main, &ada).await;
    let theirs = create_version(&db, &other_main, &ada).await;

    let ids = id_list([
        a.id.as_str(),
        b.id.as_str(),
        theirs.id.as_str(),
        "nosuchvers",
    ]);
    assert_eq!(
        db.projects
            .delete_versions(&project.id, &ids)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        db.projects
            .delete_versions(&project.id, &ids)
            .await
            .unwrap(),
        0,
        "already gone"
    );
    assert_eq!(
        db.projects.delete_versions(&project.id, &[]).await.unwrap(),
        0
    );

    let p = &db.projects;
    assert_eq!(p.version(&project.id, &a.id).await.unwrap(), None);
    assert_eq!(p.version(&project.id, &b.id).await.unwrap(), None);
    let left = p.project_versions(&project.id, ALL).await.unwrap();
    assert_eq!(left, page_of(&[&c], 1));
    assert_eq!(
        p.version(&other.id, &theirs.id).await.unwrap(),
        Some(theirs)
    );
}

async fn versions_report_distinct_source_apps_alphabetically(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, main) = create_project(&db, &ada, "Apps").await;
    let (other, other_main) = create_project(&db, &ada, "Other").await;
    let walls = create_model(&db, &project, "walls", &ada).await;

    assert!(db
        .projects
        .source_apps(&project.id)
        .await
        .unwrap()
        .is_empty());
    let t = now();
    for (i, (model, app)) in [
        (&main, Some("Rhino")),
        (&walls, Some("Blender")),
        (&main, None),
        (&walls, Some("Rhino")),
        (&main, Some("Revit")),
        (&other_main, Some("Archicad")),
    ]
    .into_iter()
    .enumerate()
    {
        create_version_at(&db, model, &ada, app, t + ms(i as i64)).await;
    }
    assert_eq!(
        db.projects.source_apps(&project.id).await.unwrap(),
        ["Blender", "Revit", "Rhino"]
    );
    assert_eq!(
        db.projects.source_apps(&other.id).await.unwrap(),
        ["Archicad"]
    );
}

// ---- Invitations ----

async fn invites_round_trip_and_are_found_by_id_token_and_project(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let (project, _) = create_project(&db, &ada, "Invites").await;
    let (other, _) = create_project(&db, &ada, "Other").await;
    let t = now();
    let for_grace = ProjectInvite {
        role: ProjectRole::Owner,
        message: Some("Join us ✉".into()),
        ..invite_at(&project, &ada, Invitee::User(grace.id.clone()), t)
    };
    let by_email = ProjectInvite {
        role: ProjectRole::Reviewer,
        server_role: Some(ServerRole::Guest),
        ..email_invite(&project, &ada, "alan@example.com", t + ms(1))
    };
    let elsewhere = invite_at(&other, &ada, Invitee::User(grace.id.clone()), t + ms(2));
    for invite in [&for_grace, &by_email, &elsewhere] {
        insert_invite(&db, invite).await;
    }

    let p = &db.projects;
    for invite in [&for_grace, &by_email, &elsewhere] {
        assert_eq!(
            p.project_invite(&invite.id).await.unwrap().as_ref(),
            Some(invite)
        );
        assert_eq!(
            p.project_invite_by_token(&invite.token)
                .await
                .unwrap()
                .as_ref(),
            Some(invite)
        );
    }
    assert_eq!(p.project_invite("nosuchinvt").await.unwrap(), None);
    assert_eq!(
        p.project_invite_by_token("nosuchtoken").await.unwrap(),
        None
    );
    // A token is not an id, nor the other way round.
    assert_eq!(p.project_invite(&for_grace.token).await.unwrap(), None);
    assert_eq!(
        p.project_invite_by_token(&for_grace.id).await.unwrap(),
        None
    );

    let listed = p.project_invites(&project.id).await.unwrap();
    assert_eq!(
        invite_ids(&listed),
        invite_ids(&[for_grace.clone(), by_email.clone()])
    );
    assert!(listed.contains(&for_grace) && listed.contains(&by_email));
    assert_eq!(p.project_invites(&other.id).await.unwrap(), vec![elsewhere]);
    assert!(p.project_invites("nosuchproj").await.unwrap().is_empty());
}

async fn invites_are_found_for_a_user_by_id_or_email(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let alan = user(&db, "alan@example.com").await;
    let (one, _) = create_project(&db, &ada, "One").await;
    let (two, _) = create_project(&db, &ada, "Two").await;
    let t = now();
    let by_id = invite_at(&one, &ada, Invitee::User(grace.id.clone()), t);
    let by_email = email_invite(&two, &ada, "grace@example.com", t + ms(1));
    let for_alan = invite_at(&one, &ada, Invitee::User(alan.id.clone()), t + ms(2));
    let for_stranger = email_invite(&two, &ada, "who@example.com", t + ms(3));
    for invite in [&by_id, &by_email, &for_alan, &for_stranger] {
        insert_invite(&db, invite).await;
    }

    let p = &db.projects;
    let found = p.invites_for(&grace.id, &grace.email).await.unwrap();
    assert_eq!(
        invite_ids(&found),
        invite_ids(&[by_id.clone(), by_email.clone()])
    );
    assert!(found.contains(&by_id) && found.contains(&by_email));
    // By id alone, or by address alone, whatever its case.
    assert_eq!(
        p.invites_for(&grace.id, "nobody@example.com")
            .await
            .unwrap(),
        vec![by_id]
    );
    assert_eq!(
        p.invites_for("nosuchuser", "Grace@Example.COM")
            .await
            .unwrap(),
        vec![by_email]
    );
    assert_eq!(
        p.invites_for(&alan.id, &alan.email).await.unwrap(),
        vec![for_alan]
    );
    assert!(p.invites_for(&ada.id, &ada.email).await.unwrap().is_empty());
}

async fn invites_delete_and_reject_a_shared_token(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, _) = create_project(&db, &ada, "Invites").await;
    let invite = email_invite(&project, &ada, "grace@example.com", now());
    let other = email_invite(&project, &ada, "alan@example.com", now());
    insert_invite(&db, &invite).await;
    insert_invite(&db, &other).await;

    // Tokens find one invitation each.
    let twin = ProjectInvite {
        token: invite.token.clone(),
        ..email_invite(&project, &ada, "barbara@example.com", now())
    };
    let result = db.projects.insert_project_invite(&twin).await;
    assert!(
        result.is_err(),
        "a second invitation with the same token: {result:?}"
    );
    assert_eq!(db.projects.project_invite(&twin.id).await.unwrap(), None);

    assert!(db.projects.delete_project_invite(&invite.id).await.unwrap());
    assert!(
        !db.projects.delete_project_invite(&invite.id).await.unwrap(),
        "already gone"
    );
    assert_eq!(db.projects.project_invite(&invite.id).await.unwrap(), None);
    assert_eq!(
        db.projects
            .project_invite_by_token(&invite.token)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.projects.project_invites(&project.id).await.unwrap(),
        vec![other]
    );
}

// ---- Activity ----

async fn activity_lists_newest_first_with_paging_and_counts(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, _) = create_project(&db, &ada, "Activity").await;
    let (other, _) = create_project(&db, &ada, "Other").await;
    let p = &db.projects;
    assert!(p
        .project_activity(&project.id, None, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(p.count_project_activity(&project.id).await.unwrap(), 0);

    let t = now() - ms(10_000);
    let detailed = Activity {
        resource_type: "commit".into(),
        resource_id: "v123456789".into(),
        user_id: Some(ada.id.clone()),
        info: serde_json::json!({ "message": "Ünïcode 🚀", "nested": { "n": [1, 2.5, null] } }),
        message: Some("Ada sent a version".into()),
        ..activity_at(&project, "commit_create", t)
    };
    let actions = [
        "stream_create",
        "branch_create",
        "commit_update",
        "stream_update",
    ];
    let mut added = vec![detailed];
    for (i, action) in actions.into_iter().enumerate() {
        added.push(activity_at(&project, action, t + ms(i as i64 + 1)));
    }
    for (i, activity) in added.iter().enumerate() {
        p.add_activity(activity).await.unwrap();
        if i == 1 {
            p.add_activity(&activity_at(&other, "stream_create", t))
                .await
                .unwrap();
        }
    }
    assert_eq!(p.count_project_activity(&project.id).await.unwrap(), 5);
    assert_eq!(p.count_project_activity(&other.id).await.unwrap(), 1);

    // The store numbers activity; compare the rest.
    let without_seq = |list: &[Activity]| -> Vec<Activity> {
        list.iter()
            .map(|a| Activity {
                seq: 0,
                ..a.clone()
            })
            .collect()
    };
    let newest_first: Vec<Activity> = added.iter().rev().cloned().collect();
    let all = p.project_activity(&project.id, None, 100).await.unwrap();
    assert_eq!(without_seq(&all), newest_first);
    let seqs: Vec<i64> = all.iter().map(|a| a.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "seq falls: {seqs:?}");

    // Pages: a limit, then whatever came before the last one seen.
    let first = p.project_activity(&project.id, None, 2).await.unwrap();
    assert_eq!(without_seq(&first), newest_first[..2]);
    let second = p
        .project_activity(&project.id, Some(first[1].seq), 2)
        .await
        .unwrap();
    assert_eq!(without_seq(&second), newest_first[2..4]);
    let third = p
        .project_activity(&project.id, Some(second[1].seq), 2)
        .await
        .unwrap();
    assert_eq!(without_seq(&third), newest_first[4..]);
    let done = p
        .project_activity(&project.id, Some(third[0].seq), 2)
        .await
        .unwrap();
    assert!(done.is_empty());

    let theirs = p.project_activity(&other.id, None, 100).await.unwrap();
    assert_eq!(
        without_seq(&theirs),
        vec![activity_at(&other, "stream_create", t)]
    );
}

fn saved_view(model: &Model, name: &str, author: &User) -> SavedView {
    SavedView {
        id: new_id(),
        project_id: model.project_id.clone(),
        model_id: model.id.clone(),
        name: name.into(),
        state: format!("view=1,2,3,4,0.5,0.6&hide={}", random_string(8)),
        author_id: Some(author.id.clone()),
        created_at: now(),
    }
}

async fn saved_views_round_trip_list_by_name_and_go_with_their_model(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, main) = create_project(&db, &ada, "Views").await;
    let walls = create_model(&db, &project, "walls", &ada).await;
    let west = saved_view(&main, "West façade", &ada);
    let level = saved_view(&main, "Level 1", &ada);
    for view in [&west, &level] {
        db.projects.create_view(view).await.unwrap();
    }
    let elsewhere = saved_view(&walls, "Level 1", &ada);
    db.projects.create_view(&elsewhere).await.unwrap();

    let taken = db
        .projects
        .create_view(&saved_view(&main, "Level 1", &ada))
        .await
        .unwrap_err();
    assert!(matches!(taken, Error::Conflict(_)), "{taken}");
    assert_eq!(
        db.projects.view(&project.id, &west.id).await.unwrap(),
        Some(west.clone())
    );
    assert_eq!(
        db.projects.view("nosuchproj", &west.id).await.unwrap(),
        None
    );
    assert_eq!(
        db.projects.model_views(&main.id, 10).await.unwrap(),
        vec![level.clone(), west.clone()],
        "by name"
    );
    assert_eq!(db.projects.model_views(&main.id, 1).await.unwrap().len(), 1);
    assert_eq!(db.projects.count_model_views(&main.id).await.unwrap(), 2);

    assert!(!db
        .projects
        .delete_view("nosuchproj", &west.id)
        .await
        .unwrap());
    assert!(db
        .projects
        .delete_view(&project.id, &west.id)
        .await
        .unwrap());
    assert_eq!(
        db.projects.model_views(&main.id, 10).await.unwrap(),
        vec![level]
    );
    assert!(db
        .projects
        .delete_model(&project.id, &walls.id)
        .await
        .unwrap());
    assert_eq!(
        db.projects.view(&project.id, &elsewhere.id).await.unwrap(),
        None
    );
}

async fn file_imports_round_trip_update_and_list_per_model(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, main) = create_project(&db, &ada, "Imports").await;
    let walls = create_model(&db, &project, "walls", &ada).await;
    let p = &db.projects;
    let t = now() - ms(10_000);
    let import_at = |model: &Model, name: &str, at: DateTime<Utc>| FileImport {
        file_name: name.to_string(),
        file_size: 5_000_000_000,
        ..testing::file_import(&project.id, &model.id, &ada.id, at)
    };
    let first = import_at(&main, "Büro.ifc", t);
    let second = import_at(&walls, "walls.ifc", t + ms(1));
    let third = import_at(&main, "site.ifc", t + ms(2));
    for import in [&first, &second, &third] {
        p.save_file_import(import).await.unwrap();
    }
    assert_eq!(
        p.file_import(&project.id, &first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(p.file_import(&project.id, "missing").await.unwrap(), None);

    // Saving again updates the outcome, never who imported what.
    let version = create_version(&db, &main, &ada).await;
    let finished = FileImport {
        status: ImportStatus::Succeeded,
        message: Some("2 elements without geometry".into()),
        version_id: Some(version.id.clone()),
        performance: Some(serde_json::json!({ "parser": "ifc", "durationSeconds": 1.5 })),
        updated_at: t + ms(5),
        file_name: "renamed.ifc".into(),
        ..first.clone()
    };
    p.save_file_import(&finished).await.unwrap();
    assert_eq!(
        p.file_import(&project.id, &first.id).await.unwrap(),
        Some(FileImport {
            file_name: first.file_name.clone(),
            ..finished.clone()
        })
    );

    // A converter's update applies only while the import is unfinished.
    let converting = FileImport {
        status: ImportStatus::Converting,
        updated_at: t + ms(6),
        ..third.clone()
    };
    assert!(p.update_unfinished_file_import(&converting).await.unwrap());
    assert_eq!(
        p.file_import(&project.id, &third.id).await.unwrap(),
        Some(converting)
    );
    let late = FileImport {
        status: ImportStatus::Failed,
        message: Some("too late".into()),
        version_id: None,
        ..finished.clone()
    };
    assert!(!p.update_unfinished_file_import(&late).await.unwrap());
    assert_eq!(
        p.file_import(&project.id, &first.id)
            .await
            .unwrap()
            .map(|i| i.status),
        Some(ImportStatus::Succeeded)
    );

    let all = p
        .file_imports(&project.id, None, window(0, 10))
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(
        ids(&all.items, |i| &i.id),
        id_list([third.id.as_str(), second.id.as_str(), first.id.as_str()])
    );
    let on_main = p
        .file_imports(&project.id, Some(&main.id), window(0, 1))
        .await
        .unwrap();
    assert_eq!(on_main.total, 2);
    assert_eq!(ids(&on_main.items, |i| &i.id), id_list([third.id.as_str()]));
    let next = p
        .file_imports(&project.id, Some(&main.id), window(1, 1))
        .await
        .unwrap();
    assert_eq!(ids(&next.items, |i| &i.id), id_list([first.id.as_str()]));

    // Deleting the model takes its imports along.
    p.delete_model(&project.id, &walls.id).await.unwrap();
    assert_eq!(p.file_import(&project.id, &second.id).await.unwrap(), None);

    // One import is deleted in its own project only.
    assert!(!p.delete_file_import("nosuchproj", &third.id).await.unwrap());
    assert!(p.delete_file_import(&project.id, &third.id).await.unwrap());
    assert!(!p.delete_file_import(&project.id, &third.id).await.unwrap());
    assert_eq!(p.file_import(&project.id, &third.id).await.unwrap(), None);
    assert!(p
        .file_import(&project.id, &first.id)
        .await
        .unwrap()
        .is_some());
}

async fn file_imports_are_counted_by_type_and_status(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let p = &db.projects;
    assert_eq!(p.import_totals().await.unwrap(), vec![], "no imports yet");
    let (tower, main) = create_project(&db, &ada, "Tower").await;
    let (bridge, deck) = create_project(&db, &ada, "Bridge").await;
    for (project, model, file_type, status, file_size) in [
        (&tower, &main, "ifc", ImportStatus::Succeeded, 3_000_000_000),
        (
            &bridge,
            &deck,
            "ifc",
            ImportStatus::Succeeded,
            4_000_000_000,
        ),
        (&tower, &main, "ifc", ImportStatus::Failed, 10),
        (&bridge, &deck, "stl", ImportStatus::Queued, 7),
    ] {
        let import = FileImport {
            file_name: format!("model.{file_type}"),
            file_type: file_type.into(),
            file_size,
            status,
            ..testing::file_import(&project.id, &model.id, &ada.id, now())
        };
        p.save_file_import(&import).await.unwrap();
    }

    let total = |file_type: &str, status, count, bytes| ImportTotal {
        file_type: file_type.into(),
        status,
        count,
        bytes,
    };
    assert_eq!(
        p.import_totals().await.unwrap(),
        vec![
            total("ifc", ImportStatus::Succeeded, 2, 7_000_000_000),
            total("ifc", ImportStatus::Failed, 1, 10),
            total("stl", ImportStatus::Queued, 1, 7),
        ]
    );
}

async fn previews_are_requested_once_saved_and_counted(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, _) = create_project(&db, &ada, "Previewed").await;
    let at = now() - ms(2_000);

    // The first request records a pending preview; later ones (another replica) find it there.
    assert!(db
        .previews
        .request_preview(&project.id, "obj1", at)
        .await
        .unwrap());
    assert!(!db
        .previews
        .request_preview(&project.id, "obj1", now())
        .await
        .unwrap());
    // A project that is gone gets no preview.
    assert!(!db
        .previews
        .request_preview("no-such-project", "obj1", at)
        .await
        .unwrap());
    let mut preview = db
        .previews
        .preview(&project.id, "obj1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(preview.status, PreviewStatus::Pending);
    assert_eq!((preview.attempts, preview.created_at), (0, at));
    assert!(preview.angles.is_empty() && preview.error.is_none());

    preview.status = PreviewStatus::Done;
    preview.attempts = 2;
    preview
        .angles
        .insert("0".into(), "previews/p/obj1/0.png".into());
    preview
        .angles
        .insert("all".into(), "previews/p/obj1/all.png".into());
    preview.error = Some("first try: «timed out»".into());
    preview.updated_at = at + ms(1_500);
    db.previews.save_preview(&preview).await.unwrap();
    assert_eq!(
        db.previews.preview(&project.id, "obj1").await.unwrap(),
        Some(preview)
    );

    assert!(db
        .previews
        .request_preview(&project.id, "obj2", at)
        .await
        .unwrap());
    let mut counts = db.previews.preview_counts().await.unwrap();
    counts.sort_by_key(|(status, _)| *status as i64);
    assert_eq!(
        counts,
        vec![(PreviewStatus::Pending, 1), (PreviewStatus::Done, 1)]
    );

    // Deleting the project deletes its previews' records.
    db.projects.delete_project(&project.id).await.unwrap();
    assert_eq!(
        db.previews.preview(&project.id, "obj1").await.unwrap(),
        None
    );
}

async fn webhooks_and_their_events_round_trip(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, _) = create_project(&db, &ada, "Hooked").await;
    let at = now() - ms(3_000);
    let mut hook = Webhook {
        id: new_id(),
        project_id: project.id.clone(),
        url: "https://hooks.example.com/a".into(),
        description: Some("CI «builds»".into()),
        triggers: vec!["commit_create".into(), "branch_delete".into()],
        secret: Some("s3cret".into()),
        enabled: true,
        failures: 0,
        created_at: at,
        updated_at: at,
    };
    db.webhooks.save_webhook(&hook).await.unwrap();
    assert_eq!(
        db.webhooks.webhook(&hook.id).await.unwrap(),
        Some(hook.clone())
    );
    hook.enabled = false;
    hook.failures = 5;
    hook.secret = None;
    hook.updated_at = at + ms(10);
    db.webhooks.save_webhook(&hook).await.unwrap();
    assert_eq!(
        db.webhooks.webhooks(&project.id).await.unwrap(),
        vec![hook.clone()]
    );

    let mut events = Vec::new();
    for n in 0..3 {
        let event = WebhookEvent {
            id: new_id(),
            webhook_id: hook.id.clone(),
            status: EventStatus::Pending,
            status_info: "Pending".into(),
            attempts: 0,
            response_code: None,
            response_excerpt: None,
            payload: serde_json::json!({ "n": n, "text": "ünïcode" }),
            created_at: at + ms(n * 100),
            updated_at: at + ms(n * 100),
        };
        db.webhooks.save_webhook_event(&event).await.unwrap();
        events.push(event);
    }
    let mut delivered = events[1].clone();
    delivered.status = EventStatus::Delivered;
    delivered.status_info = "Webhook called".into();
    delivered.attempts = 2;
    delivered.response_code = Some(200);
    delivered.response_excerpt = Some("ok".into());
    delivered.updated_at = at + ms(500);
    db.webhooks.save_webhook_event(&delivered).await.unwrap();
    assert_eq!(
        db.webhooks.webhook_event(&delivered.id).await.unwrap(),
        Some(delivered.clone())
    );
    let (latest, total) = db.webhooks.webhook_events(&hook.id, 2).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(latest, vec![events[2].clone(), delivered]);
    let mut counts = db.webhooks.webhook_event_counts().await.unwrap();
    counts.sort_by_key(|(status, _)| *status as i64);
    assert_eq!(
        counts,
        vec![(EventStatus::Pending, 2), (EventStatus::Delivered, 1)]
    );

    assert!(db
        .webhooks
        .delete_webhook(&project.id, &hook.id)
        .await
        .unwrap());
    assert_eq!(
        db.webhooks.webhook_event(&events[0].id).await.unwrap(),
        None,
        "events go with it"
    );
    assert!(!db
        .webhooks
        .delete_webhook(&project.id, &hook.id)
        .await
        .unwrap());
}

/// A webhook of `project` subscribed to everything a test needs.
fn webhook_of(project: &Project, at: DateTime<Utc>) -> Webhook {
    Webhook {
        id: new_id(),
        project_id: project.id.clone(),
        url: "https://hooks.example.com/b".into(),
        description: None,
        triggers: vec!["commit_create".into(), "stream_delete".into()],
        secret: None,
        enabled: true,
        failures: 0,
        created_at: at,
        updated_at: at,
    }
}

fn event_of(hook: &Webhook, status: EventStatus, at: DateTime<Utc>) -> WebhookEvent {
    WebhookEvent {
        id: new_id(),
        webhook_id: hook.id.clone(),
        status,
        status_info: "Pending".into(),
        attempts: 0,
        response_code: None,
        response_excerpt: None,
        payload: serde_json::json!({ "streamId": hook.project_id }),
        created_at: at,
        updated_at: at,
    }
}

async fn webhooks_record_attempts_and_count_failures_until_disabled(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, _) = create_project(&db, &ada, "Hooked").await;
    let at = now() - ms(3_000);
    let hook = webhook_of(&project, at);
    db.webhooks.save_webhook(&hook).await.unwrap();
    let event = event_of(&hook, EventStatus::Pending, at);
    db.webhooks.save_webhook_event(&event).await.unwrap();

    // Attempts come back first first, and writing one again replaces it.
    let first = WebhookAttempt {
        event_id: event.id.clone(),
        attempt: 1,
        response_code: Some(503),
        response_excerpt: Some("busy «now»".into()),
        error: Some("HTTP response code: 503".into()),
        started_at: at + ms(10),
        duration_ms: 42,
    };
    let second = WebhookAttempt {
        event_id: event.id.clone(),
        attempt: 2,
        response_code: None,
        response_excerpt: None,
        error: Some("cannot reach hooks.example.com".into()),
        started_at: at + ms(20),
        duration_ms: 10_000,
    };
    db.webhooks.add_webhook_attempt(&second).await.unwrap();
    db.webhooks.add_webhook_attempt(&first).await.unwrap();
    let mut second = second;
    second.response_code = Some(200);
    second.error = None;
    db.webhooks.add_webhook_attempt(&second).await.unwrap();
    assert_eq!(
        db.webhooks.webhook_attempts(&event.id).await.unwrap(),
        vec![first, second]
    );
    assert!(db
        .webhooks
        .webhook_attempts("nope")
        .await
        .unwrap()
        .is_empty());

    // Failures count up; the one that makes three in a row disables the webhook, once.
    for n in 1..=2 {
        assert!(!db
            .webhooks
            .count_webhook_failure(&hook.id, 3, at + ms(100))
            .await
            .unwrap());
        assert_eq!(
            db.webhooks
                .webhook(&hook.id)
                .await
                .unwrap()
                .unwrap()
                .failures,
            n
        );
    }
    db.webhooks.reset_webhook_failures(&hook.id).await.unwrap();
    assert_eq!(
        db.webhooks
            .webhook(&hook.id)
            .await
            .unwrap()
            .unwrap()
            .failures,
        0,
        "a delivery ends the run"
    );
    let mut disabled = Vec::new();
    for _ in 0..4 {
        disabled.push(
            db.webhooks
                .count_webhook_failure(&hook.id, 3, at + ms(200))
                .await
                .unwrap(),
        );
    }
    assert_eq!(disabled, [false, false, true, false]);
    let stored = db.webhooks.webhook(&hook.id).await.unwrap().unwrap();
    assert!(!stored.enabled);
    assert_eq!(stored.failures, 4);
    assert_eq!(stored.updated_at, at + ms(200));
    assert_eq!(
        (stored.url, stored.triggers),
        (hook.url.clone(), hook.triggers.clone()),
        "nothing else changes"
    );

    // Concurrent failures are all counted, and only one of them disables.
    let mut fresh = webhook_of(&project, at);
    fresh.id = new_id();
    db.webhooks.save_webhook(&fresh).await.unwrap();
    let counts = futures::future::join_all(
        (0..6).map(|_| db.webhooks.count_webhook_failure(&fresh.id, 6, at)),
    )
    .await;
    let disabled_now = counts.into_iter().filter(|c| *c.as_ref().unwrap()).count();
    assert_eq!(disabled_now, 1);
    let stored = db.webhooks.webhook(&fresh.id).await.unwrap().unwrap();
    assert_eq!((stored.failures, stored.enabled), (6, false));

    // Attempts go with their event's webhook.
    db.webhooks
        .delete_webhook(&project.id, &hook.id)
        .await
        .unwrap();
    assert!(db
        .webhooks
        .webhook_attempts(&event.id)
        .await
        .unwrap()
        .is_empty());
}

async fn webhooks_outlive_their_project_until_no_event_waits(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (project, _) = create_project(&db, &ada, "Going").await;
    let (other, _) = create_project(&db, &ada, "Staying").await;
    let at = now() - ms(3_000);
    let waiting = webhook_of(&project, at);
    let done = webhook_of(&project, at + ms(1));
    let staying = webhook_of(&other, at);
    for hook in [&waiting, &done, &staying] {
        db.webhooks.save_webhook(hook).await.unwrap();
    }
    let mut pending = event_of(&waiting, EventStatus::Pending, at);
    db.webhooks.save_webhook_event(&pending).await.unwrap();
    db.webhooks
        .save_webhook_event(&event_of(&done, EventStatus::Delivered, at))
        .await
        .unwrap();
    db.webhooks
        .save_webhook_event(&event_of(&done, EventStatus::Failed, at))
        .await
        .unwrap();

    // While the project exists nothing goes.
    assert_eq!(
        db.webhooks
            .delete_orphaned_webhooks(&project.id)
            .await
            .unwrap(),
        0
    );
    db.projects.delete_project(&project.id).await.unwrap();
    assert_eq!(
        db.webhooks.webhooks(&project.id).await.unwrap(),
        vec![waiting.clone(), done.clone()],
        "a project's webhooks outlive it"
    );
    assert_eq!(
        db.webhooks
            .delete_orphaned_webhooks(&project.id)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.webhooks.webhooks(&project.id).await.unwrap(),
        vec![waiting.clone()],
        "the one with an event waiting stays"
    );
    pending.status = EventStatus::Sending;
    db.webhooks.save_webhook_event(&pending).await.unwrap();
    assert_eq!(
        db.webhooks
            .delete_orphaned_webhooks(&project.id)
            .await
            .unwrap(),
        0
    );
    pending.status = EventStatus::Delivered;
    db.webhooks.save_webhook_event(&pending).await.unwrap();
    assert_eq!(
        db.webhooks
            .delete_orphaned_webhooks(&project.id)
            .await
            .unwrap(),
        1
    );
    assert!(db.webhooks.webhooks(&project.id).await.unwrap().is_empty());
    assert_eq!(
        db.webhooks.webhook_event(&pending.id).await.unwrap(),
        None,
        "its events went with it"
    );
    assert_eq!(
        db.webhooks.webhooks(&other.id).await.unwrap(),
        vec![staying],
        "other projects' webhooks stay"
    );
}
