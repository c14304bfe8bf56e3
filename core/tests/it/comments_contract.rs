//! Comment threads on a whole `Core`, with the embedded backends (SQLite) and the production ones
//! (PostgreSQL and Redis): threads pinned to versions and objects, replies, edits, archiving,
//! unread marks, who may do what (reviewers, strangers on public projects with and without
//! public comments, limited tokens), activity entries and the e-mails mentions and replies queue.

use chrono::Utc;
use fleck_core::auth::{Actor, Scope};
use fleck_core::authz::{ProjectRole, Visibility};
use fleck_core::comments::notify;
use fleck_core::comments::service::{self, About, Content, NewThread, ThreadQuery};
use fleck_core::comments::{Archived, Comment, Link, ResourceKind, Targets, ThreadPage};
use fleck_core::mail::MAIL_JOB;
use fleck_core::projects::service::{self as projects, Access, ProjectUpdate};
use fleck_core::projects::{Model, Version, Window};
use fleck_core::testing;
use fleck_core::users::User;
use fleck_core::{Core, Error};
use serde_json::{json, Value};

use crate::support::{main_model, queued_jobs, service_project, verified_user};

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite_core, postgres => crate::support::postgres_core],
    contracts: [
        comments_pin_threads_to_versions_models_and_objects,
        comments_reply_edit_archive_and_track_unread,
        comments_are_allowed_to_reviewers_and_to_strangers_only_when_public_comments_are_on,
        comments_mail_mentions_and_replies_as_each_person_wants,
        comments_refuse_bad_input,
        comments_mention_members_only_for_those_who_may_comment,
    ],
}

fn session(user: &User) -> Actor {
    Actor::from_session(user.clone())
}

/// `user` through a token with every scope, limited to `projects`.
fn limited(user: &User, projects: &[&str]) -> Actor {
    Actor::User(Box::new(fleck_core::auth::Principal {
        user: user.clone(),
        token_id: "t000000000".into(),
        scopes: Scope::ALL.to_vec(),
        app_id: None,
        via_session: false,
        projects: Some(projects.iter().map(|p| p.to_string()).collect()),
    }))
}

/// A project of `owner`'s with its `main` model and two versions of it (oldest first).
struct Fixture {
    project: String,
    model: Model,
    versions: [Version; 2],
}

async fn project(core: &Core, owner: &User, visibility: Visibility) -> Fixture {
    let project = service_project(core, &session(owner), "Tower", visibility).await;
    let model = main_model(core, &project).await;
    let mut versions = Vec::new();
    for n in 0..2 {
        let root = format!("{n:032x}");
        let version = Version {
            created_at: Utc::now() + chrono::Duration::milliseconds(n),
            ..testing::version(&project, &model.id, &root, &owner.id)
        };
        core.database()
            .projects
            .create_version(&version)
            .await
            .unwrap();
        versions.push(version);
    }
    Fixture {
        project,
        model,
        versions: versions.try_into().unwrap(),
    }
}

/// A private project of Ada's (the first user) with Bo (the second) as a reviewer.
async fn reviewed_project(core: &Core) -> (User, User, Fixture) {
    let owner = verified_user(core, "Ada").await;
    let reviewer = verified_user(core, "Bo").await;
    let f = project(core, &owner, Visibility::Private).await;
    core.database()
        .projects
        .set_member(&f.project, &reviewer.id, ProjectRole::Reviewer)
        .await
        .unwrap();
    (owner, reviewer, f)
}

fn doc(text: &str) -> Value {
    json!({ "type": "doc", "content": [{ "type": "paragraph", "content": [{ "type": "text", "text": text }] }] })
}

fn mention(text: &str, who: &User) -> Value {
    json!({ "type": "doc", "content": [{ "type": "paragraph", "content": [
        { "type": "text", "text": text },
        { "type": "mention", "attrs": { "id": who.id, "label": who.name } },
    ] }] })
}

fn content(doc: Value) -> Content {
    Content {
        doc: Some(doc),
        blob_ids: vec![],
    }
}

fn thread_about(resources: &str, body: Value) -> NewThread {
    NewThread {
        about: About::ResourceIdString(resources.into()),
        content: content(body),
        viewer_state: Some(json!({ "ui": { "camera": { "position": [1, 2, 3] } } })),
        data: None,
        screenshot: None,
    }
}

/// `actor`'s new thread about `resources` in `project`.
async fn start(core: &Core, actor: &Actor, project: &str, resources: &str, body: Value) -> Comment {
    service::create_thread(core, actor, project, thread_about(resources, body))
        .await
        .unwrap_or_else(|e| panic!("starting a thread about {resources}: {e}"))
}

/// `actor`'s reply to `parent` in `project`.
async fn reply(core: &Core, actor: &Actor, project: &str, parent: &str, body: Value) -> Comment {
    service::reply(core, actor, project, parent, content(body), None)
        .await
        .unwrap_or_else(|e| panic!("replying to {parent}: {e}"))
}

/// The first hundred threads `query` asks `actor` for.
async fn threads(core: &Core, a: &Access, actor: &Actor, query: ThreadQuery) -> ThreadPage {
    service::threads(core, a, actor, query, window())
        .await
        .unwrap()
}

/// The threads about `resources`.
fn about(resources: String) -> ThreadQuery {
    ThreadQuery {
        resource_id_string: Some(resources),
        ..ThreadQuery::default()
    }
}

/// `actor` archives (or restores) `id` in `project`.
async fn archive(core: &Core, actor: &Actor, project: &str, id: &str, archived: bool) {
    service::archive(core, actor, project, id, archived)
        .await
        .unwrap_or_else(|e| panic!("archiving {id} ({archived}): {e}"));
}

async fn access(core: &Core, actor: &Actor, project: &str) -> Access {
    projects::load(core, actor, project, fleck_core::authz::Action::ReadProject)
        .await
        .unwrap()
}

fn window() -> Window {
    Window {
        offset: 0,
        limit: 100,
    }
}

fn ids(comments: &[Comment]) -> Vec<&str> {
    comments.iter().map(|c| c.id.as_str()).collect()
}

#[track_caller]
fn assert_forbidden<T: std::fmt::Debug>(result: fleck_core::Result<T>, what: &str) {
    match result {
        Err(Error::Forbidden(_)) => {}
        other => panic!("{what}: expected Forbidden, got {other:?}"),
    }
}

#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: fleck_core::Result<T>, field: &str, what: &str) {
    match result {
        Err(Error::Invalid { field: f, .. }) if f == field => {}
        other => panic!("{what}: expected Invalid {field}, got {other:?}"),
    }
}

async fn comments_pin_threads_to_versions_models_and_objects(core: Core) {
    let owner = verified_user(&core, "Ada").await;
    let f = project(&core, &owner, Visibility::Private).await;
    let actor = session(&owner);
    let [old, new] = &f.versions;
    let object = "abcdef0123456789abcdef0123456789";

    let on_old = start(
        &core,
        &actor,
        &f.project,
        &format!("{}@{}", f.model.id, old.id),
        doc("old"),
    )
    .await;
    assert_eq!(
        on_old.links,
        [Link {
            kind: ResourceKind::Commit,
            id: old.id.clone()
        }]
    );
    assert_eq!(on_old.raw_text, "old");
    assert_eq!(
        on_old.viewer_state,
        Some(json!({ "ui": { "camera": { "position": [1, 2, 3] } } }))
    );
    // A model alone means its latest version.
    let on_latest = start(&core, &actor, &f.project, &f.model.id, doc("new")).await;
    assert_eq!(on_latest.links[0].id, new.id);
    let on_object = start(&core, &actor, &f.project, object, doc("obj")).await;

    let a = access(&core, &actor, &f.project).await;
    let all = threads(&core, &a, &actor, ThreadQuery::default()).await;
    // Most recently active first.
    assert_eq!(ids(&all.items), [&on_object.id, &on_latest.id, &on_old.id]);
    assert_eq!((all.total, all.total_archived), (3, 0));

    // Threads of any version of the model, or of the loaded versions only.
    let of_model = threads(&core, &a, &actor, about(f.model.id.clone())).await;
    assert_eq!(ids(&of_model.items), [&on_latest.id, &on_old.id]);
    let loaded_only = ThreadQuery {
        loaded_versions_only: true,
        ..about(format!("{}@{},{object}", f.model.id, old.id))
    };
    let loaded = threads(&core, &a, &actor, loaded_only).await;
    assert_eq!(ids(&loaded.items), [&on_object.id, &on_old.id]);
    let version_only = service::threads_about(
        &core,
        &a,
        &actor,
        Targets {
            versions: vec![new.id.clone()],
            ..Targets::default()
        },
        window(),
    )
    .await
    .unwrap();
    assert_eq!(ids(&version_only.items), [&on_latest.id]);
    // Paging.
    let second = service::threads(
        &core,
        &a,
        &actor,
        ThreadQuery::default(),
        Window {
            offset: 1,
            limit: 1,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (ids(&second.items), second.total),
        (vec![on_latest.id.as_str()], 3)
    );
    // Subscriptions ask whether a thread is about a resource string.
    assert!(
        service::is_about(&core, &f.project, &on_old, &f.model.id, false)
            .await
            .unwrap()
    );
    assert!(
        !service::is_about(&core, &f.project, &on_old, &f.model.id, true)
            .await
            .unwrap()
    );
    assert!(
        service::is_about(&core, &f.project, &on_object, object, false)
            .await
            .unwrap()
    );

    let items = service::viewer_resources(&core, &on_old).await.unwrap();
    assert_eq!(items[0].model_id.as_deref(), Some(f.model.id.as_str()));
    assert_eq!(items[0].object_id, old.referenced_object);

    // Each creation is in the activity log, as webhooks hear it.
    let activity = core
        .database()
        .projects
        .project_activity(&f.project, None, 10)
        .await
        .unwrap();
    assert_eq!(
        activity
            .iter()
            .filter(|a| a.action_type == "comment_created")
            .count(),
        3
    );
}

async fn comments_reply_edit_archive_and_track_unread(core: Core) {
    let (owner, reviewer, f) = reviewed_project(&core).await;
    let (ada, bo) = (session(&owner), session(&reviewer));
    let thread = start(
        &core,
        &ada,
        &f.project,
        &f.model.id,
        doc("Is this wall right?"),
    )
    .await;

    // Unread for the reviewer until opened; read for its author.
    let found = service::find(&core, &bo, &f.project, &thread.id)
        .await
        .unwrap();
    assert_eq!(found.viewed_at, None);
    assert!(service::find(&core, &ada, &f.project, &thread.id)
        .await
        .unwrap()
        .viewed_at
        .is_some());
    service::mark_viewed(&core, &bo, &f.project, &thread.id)
        .await
        .unwrap();
    let viewed = service::find(&core, &bo, &f.project, &thread.id)
        .await
        .unwrap()
        .viewed_at
        .unwrap();

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let first = reply(&core, &bo, &f.project, &thread.id, doc("No, move it.")).await;
    assert_eq!(first.parent_id.as_deref(), Some(thread.id.as_str()));
    // A reply to a reply joins the thread.
    let second = reply(&core, &ada, &f.project, &first.id, doc("Done.")).await;
    assert_eq!(second.parent_id.as_deref(), Some(thread.id.as_str()));
    let after = service::find(&core, &bo, &f.project, &thread.id)
        .await
        .unwrap();
    assert_eq!(after.reply_count, 2);
    assert!(
        after.updated_at > thread.updated_at,
        "a reply is the thread's latest activity"
    );
    assert!(after.viewed_at.unwrap() >= viewed);
    let a = access(&core, &bo, &f.project).await;
    let replies = service::replies(&core, &a, &bo, &thread.id, window())
        .await
        .unwrap();
    assert_eq!(ids(&replies.items), [&first.id, &second.id]);
    let (authors, total) = service::reply_authors(&core, &thread.id, 10).await.unwrap();
    assert_eq!(
        (
            authors.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
            total
        ),
        (vec![reviewer.id.as_str(), owner.id.as_str()], 2)
    );

    // Only authors edit.
    assert_forbidden(
        service::edit(&core, &ada, &f.project, &first.id, content(doc("x"))).await,
        "editing someone else's reply",
    );
    let edited = service::edit(
        &core,
        &bo,
        &f.project,
        &first.id,
        content(doc("No, move it 2 m.")),
    )
    .await
    .unwrap();
    assert_eq!(edited.raw_text, "No, move it 2 m.");

    // Reviewers archive their own comments only; owners any.
    assert_forbidden(
        service::archive(&core, &bo, &f.project, &thread.id, true).await,
        "a reviewer archiving the owner's thread",
    );
    archive(&core, &bo, &f.project, &first.id, true).await;
    archive(&core, &ada, &f.project, &thread.id, true).await;
    let live = threads(&core, &a, &bo, ThreadQuery::default()).await;
    assert_eq!(
        (live.items.len(), live.total, live.total_archived),
        (0, 0, 1)
    );
    let with_archived = ThreadQuery {
        archived: Some(Archived::Include),
        ..ThreadQuery::default()
    };
    let everything = threads(&core, &a, &bo, with_archived).await;
    assert!(everything.items[0].archived);
    assert_eq!(
        everything.items[0].reply_count, 1,
        "archived replies are not counted"
    );
    // Restoring brings it back.
    archive(&core, &ada, &f.project, &thread.id, false).await;
    let live = threads(&core, &a, &bo, ThreadQuery::default()).await;
    assert_eq!(ids(&live.items), [&thread.id]);

    let actions: Vec<String> = core
        .database()
        .projects
        .project_activity(&f.project, None, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action_type)
        .collect();
    assert_eq!(
        actions.iter().filter(|a| *a == "comment_replied").count(),
        2
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "comment_archived").count(),
        3
    );
}

async fn comments_are_allowed_to_reviewers_and_to_strangers_only_when_public_comments_are_on(
    core: Core,
) {
    let owner = verified_user(&core, "Ada").await;
    let stranger = verified_user(&core, "Cy").await;
    let private = project(&core, &owner, Visibility::Private).await;
    let public = project(&core, &owner, Visibility::Public).await;
    let object = "abcdef0123456789abcdef0123456789";
    let say = || thread_about(object, doc("hi"));

    assert_forbidden(
        service::create_thread(&core, &session(&stranger), &private.project, say()).await,
        "a stranger on a private project",
    );
    assert_forbidden(
        service::find(&core, &session(&stranger), &private.project, "whatever").await,
        "a stranger reading a private project's comments",
    );
    assert_forbidden(
        service::create_thread(&core, &session(&stranger), &public.project, say()).await,
        "a stranger on a public project without public comments",
    );
    assert_forbidden(
        service::create_thread(&core, &Actor::Anonymous, &public.project, say()).await,
        "anonymous",
    );
    let update = ProjectUpdate {
        allow_public_comments: Some(true),
        ..ProjectUpdate::default()
    };
    projects::update(&core, &session(&owner), &public.project, update)
        .await
        .unwrap();
    let theirs = start(
        &core,
        &session(&stranger),
        &public.project,
        object,
        doc("hi"),
    )
    .await;
    // Anyone reads a public project's threads, anonymous callers too.
    let a = access(&core, &Actor::Anonymous, &public.project).await;
    let listed = threads(&core, &a, &Actor::Anonymous, ThreadQuery::default()).await;
    assert_eq!(ids(&listed.items), [&theirs.id]);
    assert_forbidden(
        service::create_thread(&core, &Actor::Anonymous, &public.project, say()).await,
        "anonymous with public comments on",
    );
    // A token limited to another project acts here as nobody.
    assert_forbidden(
        service::create_thread(
            &core,
            &limited(&owner, &[&private.project]),
            &public.project,
            say(),
        )
        .await,
        "a token limited to another project",
    );
    let limited_here = limited(&owner, &[&public.project]);
    start(&core, &limited_here, &public.project, object, doc("hi")).await;
    // The owner archives the stranger's thread; the stranger may archive their own.
    archive(
        &core,
        &session(&stranger),
        &public.project,
        &theirs.id,
        true,
    )
    .await;
    archive(&core, &session(&owner), &public.project, &theirs.id, false).await;
}

async fn comments_mail_mentions_and_replies_as_each_person_wants(core: Core) {
    let (owner, reviewer, f) = reviewed_project(&core).await;
    let outsider = verified_user(&core, "Cy").await;
    let (ada, bo) = (session(&owner), session(&reviewer));
    let before = queued_jobs(&core, MAIL_JOB).await;

    // The mentioned member is mailed; a mentioned outsider is not (they cannot read it).
    let mut body = mention("Look ", &reviewer);
    body["content"][0]["content"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "type": "mention", "attrs": { "id": outsider.id, "label": "Cy" } }));
    let thread = start(&core, &ada, &f.project, &f.model.id, body).await;
    assert_eq!(queued_jobs(&core, MAIL_JOB).await, before + 1);

    // A reply mails the thread's author.
    reply(&core, &bo, &f.project, &thread.id, doc("On it")).await;
    assert_eq!(queued_jobs(&core, MAIL_JOB).await, before + 2);

    // The reviewer turns reply mail off: the owner's reply mails nobody ...
    notify::update_preferences(&core, &bo, json!({ "newCommentReply": { "email": false } }))
        .await
        .unwrap();
    let prefs = notify::preferences(&core, &bo).await.unwrap();
    assert_eq!(
        prefs,
        json!({ "mentionedInComment": { "email": true }, "newCommentReply": { "email": false } })
    );
    reply(&core, &ada, &f.project, &thread.id, doc("Thanks")).await;
    assert_eq!(queued_jobs(&core, MAIL_JOB).await, before + 2);
    // ... but mentions still reach them.
    reply(
        &core,
        &ada,
        &f.project,
        &thread.id,
        mention("Thanks ", &reviewer),
    )
    .await;
    assert_eq!(queued_jobs(&core, MAIL_JOB).await, before + 3);

    for (case, preferences) in [
        (
            "an unknown kind",
            json!({ "somethingElse": { "email": false } }),
        ),
        (
            "a kind without channels",
            json!({ "newCommentReply": true }),
        ),
    ] {
        let result = notify::update_preferences(&core, &bo, preferences).await;
        assert_invalid(result, "preferences", case);
    }
}

async fn comments_mention_members_only_for_those_who_may_comment(core: Core) {
    let (owner, stranger) = (
        verified_user(&core, "Ada").await,
        verified_user(&core, "Stranger").await,
    );
    let public = project(&core, &owner, Visibility::Public).await;
    let names = |people: Vec<fleck_core::comments::text::Mentionable>| -> Vec<String> {
        people.into_iter().map(|p| p.name).collect()
    };
    let owners = access(&core, &session(&owner), &public.project).await;
    let found = service::mentionable(&core, &owners, &session(&owner))
        .await
        .unwrap();
    assert_eq!(names(found), ["Ada"]);
    // A stranger reads the public project but may not comment on it: no one to mention.
    let strangers = access(&core, &session(&stranger), &public.project).await;
    let found = service::mentionable(&core, &strangers, &session(&stranger))
        .await
        .unwrap();
    assert!(found.is_empty());
    // A token limited to other projects does not get that far.
    let elsewhere = limited(&owner, &["0000000000"]);
    let refused = projects::load(
        &core,
        &elsewhere,
        &public.project,
        fleck_core::authz::Action::Comment,
    )
    .await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
}

async fn comments_refuse_bad_input(core: Core) {
    let owner = verified_user(&core, "Ada").await;
    let f = project(&core, &owner, Visibility::Private).await;
    let other = project(&core, &owner, Visibility::Private).await;
    let ada = session(&owner);
    let [old, _] = &f.versions;

    let mut with_file = thread_about(&f.model.id, doc("see file"));
    with_file.content.blob_ids = vec!["nosuchfile".into()];
    let mut huge = thread_about(&f.model.id, doc("x"));
    huge.viewer_state = Some(json!({ "blob": "x".repeat(service::MAX_VIEWER_STATE) }));
    let legacy = NewThread {
        about: About::Resources(vec![]),
        content: content(doc("x")),
        viewer_state: None,
        data: None,
        screenshot: None,
    };
    let empty = json!({ "type": "doc", "content": [] });
    for (case, input, field) in [
        (
            "no resource",
            thread_about("", doc("x")),
            "resourceIdString",
        ),
        ("all", thread_about("all", doc("x")), "resourceIdString"),
        (
            "not an id",
            thread_about("not an id", doc("x")),
            "resourceIdString",
        ),
        (
            "a version of another model",
            thread_about(&format!("{}@{}", other.model.id, old.id), doc("x")),
            "resourceIdString",
        ),
        (
            "an empty document",
            thread_about(&f.model.id, empty),
            "content",
        ),
        ("a file that is not there", with_file, "blobIds"),
        ("a viewer state over the limit", huge, "viewerState"),
        ("no resources in the old input", legacy, "resourceIdString"),
    ] {
        let result = service::create_thread(&core, &ada, &f.project, input).await;
        assert_invalid(result, field, case);
    }
    // Another project's version.
    assert!(matches!(
        service::create_thread(
            &core,
            &ada,
            &f.project,
            thread_about(
                &format!("{}@{}", f.model.id, other.versions[0].id),
                doc("x")
            )
        )
        .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        service::reply(
            &core,
            &ada,
            &f.project,
            "nosuchthread",
            content(doc("x")),
            None
        )
        .await,
        Err(Error::NotFound(_))
    ));
}
