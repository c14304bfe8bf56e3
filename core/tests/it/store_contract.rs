//! The `Store` contract (users), run unchanged against SQLite and PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use fleck_core::settings::ServerSettings;
use fleck_core::store::{Page, Store};
use fleck_core::users::{NewUser, ProfileUpdate, ServerRole, User, UserInput};
use fleck_core::Error;

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite_store, postgres => crate::support::postgres_store],
    contracts: [
        store_makes_the_first_user_admin,
        store_makes_exactly_one_first_admin_under_concurrency,
        store_rejects_a_taken_email_whatever_its_case,
        store_finds_users_by_id_and_email,
        store_lists_users_oldest_first_with_filter_and_paging,
        store_changes_server_roles,
        store_never_demotes_the_last_admin,
        store_keeps_an_admin_when_two_demotions_race,
        store_updates_only_the_given_profile_fields,
        store_keeps_the_server_settings,
    ],
}

/// A user as the API would create it: validated and normalized. No password, since hashing one
/// takes long in debug builds and no `Store` method reads the hash back.
fn new_user(email: &str, name: &str) -> NewUser {
    UserInput {
        email: email.into(),
        name: name.into(),
        company: None,
        password: None,
    }
    .into_new_user()
    .expect("valid user input")
}

async fn create(store: &Arc<dyn Store>, email: &str, name: &str, role: ServerRole) -> User {
    store
        .create_user(new_user(email, name), role)
        .await
        .unwrap_or_else(|e| panic!("creating {email}: {e}"))
}

/// Gives the user `id` the server role `role`; returns the role the store says they now have.
async fn set_role(store: &Arc<dyn Store>, id: &str, role: ServerRole) -> ServerRole {
    store.set_server_role(id, role).await.unwrap().role
}

async fn role_of(store: &Arc<dyn Store>, id: &str) -> ServerRole {
    store
        .user_by_id(id)
        .await
        .unwrap()
        .expect("the user exists")
        .role
}

async fn admin_count(store: &Arc<dyn Store>) -> usize {
    let users = store.list_users(None, Page::default()).await.unwrap();
    users.iter().filter(|u| u.role == ServerRole::Admin).count()
}

fn ids<'a>(users: impl IntoIterator<Item = &'a User>) -> Vec<String> {
    users.into_iter().map(|u| u.id.clone()).collect()
}

async fn store_makes_the_first_user_admin(store: Arc<dyn Store>) {
    let first = create(&store, "ada@example.com", "Ada", ServerRole::Guest).await;
    assert_eq!(
        first.role,
        ServerRole::Admin,
        "the first user becomes admin whatever is asked"
    );

    let user = create(&store, "grace@example.com", "Grace", ServerRole::User).await;
    let guest = create(&store, "alan@example.com", "Alan", ServerRole::Guest).await;
    let admin = create(&store, "edsger@example.com", "Edsger", ServerRole::Admin).await;
    assert_eq!(user.role, ServerRole::User);
    assert_eq!(guest.role, ServerRole::Guest);
    assert_eq!(admin.role, ServerRole::Admin);
    // The roles were stored, not only returned.
    assert_eq!(role_of(&store, &first.id).await, ServerRole::Admin);
    assert_eq!(role_of(&store, &guest.id).await, ServerRole::Guest);
    assert_eq!(store.count_users().await.unwrap(), 4);
}

async fn store_makes_exactly_one_first_admin_under_concurrency(store: Arc<dyn Store>) {
    // Replicas may sign up their first users at the same moment; only one may become admin.
    let signups = (0..6).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let email = format!("user{i}@example.com");
            create(&store, &email, "Racer", ServerRole::User).await
        })
    });
    let users: Vec<User> = futures::future::try_join_all(signups).await.unwrap();
    let admins = users.iter().filter(|u| u.role == ServerRole::Admin).count();
    assert_eq!(
        admins,
        1,
        "roles: {:?}",
        users.iter().map(|u| u.role).collect::<Vec<_>>()
    );
    assert_eq!(admin_count(&store).await, 1);
}

async fn store_rejects_a_taken_email_whatever_its_case(store: Arc<dyn Store>) {
    let ada = create(&store, "Ada@Example.com", "Ada", ServerRole::User).await;
    assert_eq!(ada.email, "ada@example.com");

    let err = store
        .create_user(
            new_user("  ADA@example.COM ", "Another Ada"),
            ServerRole::User,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict(_)),
        "expected Conflict, got {err:?}"
    );
    assert_eq!(store.count_users().await.unwrap(), 1);

    // The first account is untouched, and found whatever the case of the address asked for.
    let found = store.user_by_email("ADA@EXAMPLE.COM").await.unwrap();
    assert_eq!(found, Some(ada));
}

async fn store_finds_users_by_id_and_email(store: Arc<dyn Store>) {
    let before = Utc::now();
    let ada = create(
        &store,
        "ada@example.com",
        " Ada Lovelace ",
        ServerRole::User,
    )
    .await;
    let grace = create(
        &store,
        "grace@example.com",
        "Grace Hopper",
        ServerRole::User,
    )
    .await;
    let after = Utc::now();

    assert_eq!(ada.name, "Ada Lovelace");
    assert!(!ada.verified);
    assert_eq!(ada.id.len(), 10);
    // Databases keep milliseconds (SQLite) or microseconds (PostgreSQL) of the creation time.
    let slack = chrono::Duration::milliseconds(1);
    assert!(
        ada.created_at >= before - slack && ada.created_at <= after + slack,
        "created_at {} is not between {before} and {after}",
        ada.created_at
    );

    assert_eq!(store.user_by_id(&ada.id).await.unwrap(), Some(ada.clone()));
    assert_eq!(
        store.user_by_id(&grace.id).await.unwrap(),
        Some(grace.clone())
    );
    assert_eq!(
        store.user_by_email("grace@example.com").await.unwrap(),
        Some(grace)
    );
    assert_eq!(
        store.user_by_email("ada@example.com").await.unwrap(),
        Some(ada)
    );

    assert_eq!(store.user_by_id("nosuchuser").await.unwrap(), None);
    assert_eq!(
        store.user_by_email("nobody@example.com").await.unwrap(),
        None
    );
}

async fn store_lists_users_oldest_first_with_filter_and_paging(store: Arc<dyn Store>) {
    let people = [
        ("ada@example.com", "Ada Lovelace"),
        ("grace@navy.example.org", "Grace Hopper"),
        ("alan@example.com", "Alan Turing"),
        ("edsger@example.org", "Edsger Dijkstra"),
        ("barbara@example.com", "Barbara Liskov"),
    ];
    let mut created = Vec::new();
    for (email, name) in people {
        created.push(create(&store, email, name, ServerRole::User).await);
        // Distinct creation times make "oldest first" decide the order, not the tie-break by id
        // (SQLite keeps milliseconds).
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let [ada, grace, alan, edsger, barbara] = &created[..] else {
        unreachable!()
    };
    // The ids of one page of users, to compare with the ids of the users expected.
    let list = |query: Option<&'static str>, limit: i64, offset: i64| {
        let store = store.clone();
        async move {
            let page = store
                .list_users(query, Page { limit, offset })
                .await
                .unwrap();
            ids(&page)
        }
    };
    let none: Vec<String> = Vec::new();

    assert_eq!(store.count_users().await.unwrap(), 5);
    assert_eq!(list(None, 100, 0).await, ids(&created));

    // The query matches a substring of the e-mail or of the name, ignoring case.
    assert_eq!(
        list(Some("example.org"), 100, 0).await,
        ids([grace, edsger])
    );
    assert_eq!(list(Some("LOVELACE"), 100, 0).await, ids([ada]));
    assert_eq!(list(Some("ALAN@"), 100, 0).await, ids([alan]));
    assert_eq!(list(Some("nobody"), 100, 0).await, none);
    // The query is plain text, not a LIKE pattern.
    assert_eq!(list(Some("%"), 100, 0).await, none);
    assert_eq!(list(Some("_"), 100, 0).await, none);

    // Pages.
    assert_eq!(list(None, 2, 0).await, ids([ada, grace]));
    assert_eq!(list(None, 2, 1).await, ids([grace, alan]));
    assert_eq!(list(None, 2, 4).await, ids([barbara]));
    assert_eq!(list(None, 2, 5).await, none);
    // Filter and page together: the second match of three.
    assert_eq!(list(Some("example.com"), 1, 1).await, ids([alan]));
}

async fn store_changes_server_roles(store: Arc<dyn Store>) {
    let _admin = create(&store, "ada@example.com", "Ada", ServerRole::User).await;
    let grace = create(&store, "grace@example.com", "Grace", ServerRole::User).await;

    for role in [
        ServerRole::Guest,
        ServerRole::Archived,
        ServerRole::Admin,
        ServerRole::User,
    ] {
        let changed = store.set_server_role(&grace.id, role).await.unwrap();
        assert_eq!(changed.role, role);
        assert_eq!(changed.id, grace.id);
        assert_eq!(changed.email, grace.email);
        assert_eq!(role_of(&store, &grace.id).await, role, "stored");
    }

    let err = store
        .set_server_role("nosuchuser", ServerRole::User)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound(_)),
        "expected NotFound, got {err:?}"
    );
}

async fn store_never_demotes_the_last_admin(store: Arc<dyn Store>) {
    let ada = create(&store, "ada@example.com", "Ada", ServerRole::User).await;
    let grace = create(&store, "grace@example.com", "Grace", ServerRole::User).await;
    assert_eq!(ada.role, ServerRole::Admin);

    for role in [ServerRole::User, ServerRole::Guest, ServerRole::Archived] {
        let err = store.set_server_role(&ada.id, role).await.unwrap_err();
        assert!(
            matches!(err, Error::Conflict(_)),
            "demoting the last admin to {role}: {err:?}"
        );
        assert_eq!(role_of(&store, &ada.id).await, ServerRole::Admin);
    }
    // Making the last admin admin again is no demotion.
    assert_eq!(
        set_role(&store, &ada.id, ServerRole::Admin).await,
        ServerRole::Admin
    );

    // With a second admin, either may step down, after which the other is the last one.
    set_role(&store, &grace.id, ServerRole::Admin).await;
    assert_eq!(
        set_role(&store, &ada.id, ServerRole::User).await,
        ServerRole::User
    );
    let err = store
        .set_server_role(&grace.id, ServerRole::Guest)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Conflict(_)),
        "demoting the new last admin: {err:?}"
    );
    assert_eq!(role_of(&store, &grace.id).await, ServerRole::Admin);
    assert_eq!(admin_count(&store).await, 1);
}

async fn store_keeps_an_admin_when_two_demotions_race(store: Arc<dyn Store>) {
    let ada = create(&store, "ada@example.com", "Ada", ServerRole::User).await;
    let grace = create(&store, "grace@example.com", "Grace", ServerRole::Admin).await;
    assert_eq!(admin_count(&store).await, 2);

    // Each demotion alone is allowed; together they would leave no admin.
    let demote = |id: String| {
        let store = store.clone();
        tokio::spawn(async move { store.set_server_role(&id, ServerRole::User).await })
    };
    let (first, second) = tokio::join!(demote(ada.id.clone()), demote(grace.id.clone()));
    let outcomes = [first.unwrap(), second.unwrap()];
    let demoted = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Err(Error::Conflict(_))))
        .count();
    assert_eq!((demoted, refused), (1, 1), "outcomes: {outcomes:?}");
    assert_eq!(admin_count(&store).await, 1);
}

async fn store_updates_only_the_given_profile_fields(store: Arc<dyn Store>) {
    let user = create(&store, "ada@example.com", "Ada", ServerRole::User).await;
    let update = ProfileUpdate {
        name: Some("Ada Lovelace".into()),
        company: Some("Analytical".into()),
        bio: Some("Engines".into()),
        avatar: None,
    };
    let updated = store.update_profile(&user.id, &update).await.unwrap();
    assert_eq!(updated.name, "Ada Lovelace");
    assert_eq!(updated.company.as_deref(), Some("Analytical"));
    assert_eq!(updated.bio.as_deref(), Some("Engines"));
    assert_eq!(updated.avatar, None);

    // An empty string clears a field; fields not given stay.
    let cleared = ProfileUpdate {
        company: Some(String::new()),
        ..ProfileUpdate::default()
    };
    let updated = store.update_profile(&user.id, &cleared).await.unwrap();
    assert_eq!(updated.company, None);
    assert_eq!(updated.name, "Ada Lovelace");
    assert_eq!(updated.bio.as_deref(), Some("Engines"));
    assert_eq!(store.user_by_id(&user.id).await.unwrap().unwrap(), updated);

    let missing = store.update_profile("nobody0000", &cleared).await;
    assert!(
        matches!(missing, Err(fleck_core::Error::NotFound(_))),
        "{missing:?}"
    );
}

async fn store_keeps_the_server_settings(store: Arc<dyn Store>) {
    let defaults = store.server_settings().await.unwrap();
    assert_eq!(defaults.name, "Fleck");
    assert!(!defaults.invite_only && !defaults.guest_mode);

    let changed = ServerSettings {
        name: "ACME Fleck".into(),
        company: Some("ACME".into()),
        description: None,
        admin_contact: Some("ops@acme.test".into()),
        terms_of_service: Some("Be kind.".into()),
        invite_only: true,
        guest_mode: true,
    };
    store.update_server_settings(&changed).await.unwrap();
    assert_eq!(store.server_settings().await.unwrap(), changed);
}
