//! The login flow and bearer authentication (`fleck_core::auth::flow`) on a whole `Core`: the
//! embedded backends (SQLite) and the production ones (PostgreSQL and Redis). Then the account
//! and server services every transport shares (server roles, profiles, tokens, settings), each
//! against callers who must be refused: anonymous, plain users, narrow and project-limited tokens.

use std::time::Duration;

use chrono::Utc;
use fleck_core::auth::flow::{self, TokenPair};
use fleck_core::auth::invites as auth_invites;
use fleck_core::auth::tokens::{self, IssuedToken};
use fleck_core::auth::{
    accounts, apps, sessions, Actor, AuthCode, Grant, RefreshToken, Scope, TokenKind,
};
use fleck_core::authz::{Action, ProjectRole, Visibility};
use fleck_core::operator::{self, Operator};
use fleck_core::projects::{invites, members, service, views, Invitee};
use fleck_core::settings::{self, SettingsUpdate};
use fleck_core::users::{self, ProfileUpdate, ServerRole, User};
use fleck_core::{Core, Error};

use crate::support::{service_project, user_named, user_with_password, PASSWORD};

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite_core, postgres => crate::support::postgres_core],
    contracts: [
        flow_exchanges_a_code_for_a_token_with_the_apps_scopes,
        flow_codes_work_once,
        flow_refuses_a_wrong_challenge_and_uses_up_the_code,
        flow_refuses_a_wrong_app_or_secret,
        flow_refuses_an_expired_code,
        flow_refreshes_into_a_new_working_pair,
        flow_rotates_refresh_tokens_and_revokes_the_app_on_late_reuse,
        flow_apps_authorized_by_a_token_reach_no_further_than_it,
        flow_refuses_tampered_and_expired_refresh_tokens,
        flow_checks_personal_token_requests,
        flow_personal_tokens_expire,
        flow_refuses_tokens_of_archived_users,
        flow_logout_revokes_the_token_and_its_refresh_token,
        flow_checks_credentials,
        accounts_server_roles_change_by_admins_and_the_operator_keeping_an_admin,
        accounts_profiles_change_only_for_their_owner_with_profile_write,
        accounts_personal_tokens_are_made_and_revoked_by_their_owner_only,
        projects_show_pending_invitations_to_contributors_and_owners_only,
        accounts_server_settings_change_by_admins_only,
        projects_members_may_leave_except_the_only_owner,
        projects_saved_views_are_read_by_readers_saved_by_members_and_deleted_by_author_or_owner,
        accounts_sign_up_links_say_who_invited_to_what,
        projects_a_callers_project_names_are_known,
        accounts_apps_are_listed_and_revoked_by_their_user_only,
        accounts_passwords_change_with_the_current_one,
        accounts_server_invitations_are_sent_by_users_and_managed_by_inviters_or_admins,
    ],
}

/// A default app (`Core::connect` registers them) whose secret is its id.
const APP: &str = "sca";
const CHALLENGE: &str = "a-challenge-the-app-made";

/// A user without a password (hashing one is slow in debug builds). The first one is the admin.
async fn user(core: &Core, email: &str) -> User {
    user_named(&core.database(), email, "Someone").await
}

#[track_caller]
fn assert_forbidden<T: std::fmt::Debug>(result: fleck_core::Result<T>, what: &str) {
    match result {
        Err(Error::Forbidden(_)) => {}
        other => panic!("{what}: expected Forbidden, got {other:?}"),
    }
}

/// `user` signed in through the web app (every scope).
fn session(user: &User) -> Actor {
    Actor::from_session(user.clone())
}

/// `user` through a personal token with `scopes`, limited to `projects` when given.
fn token(user: &User, scopes: &[Scope], projects: Option<&[&str]>) -> Actor {
    Actor::User(Box::new(fleck_core::auth::Principal {
        user: user.clone(),
        token_id: "t000000000".into(),
        scopes: scopes.to_vec(),
        app_id: None,
        via_session: false,
        projects: projects.map(|ids| ids.iter().map(|id| id.to_string()).collect()),
    }))
}

/// A project `owner` creates through the project service: its id.
async fn project(core: &Core, owner: &User, name: &str, visibility: Visibility) -> String {
    service_project(core, &session(owner), name, visibility).await
}

/// `owner` invites `email` to project `id` as a contributor.
async fn invite_by_email(
    core: &Core,
    owner: &User,
    id: &str,
    email: &str,
) -> fleck_core::projects::ProjectInvite {
    let input = invites::NewInvite {
        email: Some(email.into()),
        user_id: None,
        role: None,
        server_role: None,
        message: None,
    };
    invites::create(core, &session(owner), id, input)
        .await
        .unwrap()
}

#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: fleck_core::Result<T>, field: &str) {
    match result {
        Err(Error::Invalid { field: f, .. }) if f == field => {}
        other => panic!("expected Invalid {field}, got {other:?}"),
    }
}

/// The whole login of `user` through the default app: a code, exchanged for a token pair.
async fn log_in(core: &Core, user: &User) -> TokenPair {
    let code = flow::issue_code(core, APP, &user.id, CHALLENGE)
        .await
        .unwrap();
    flow::exchange_code(core, APP, APP, &code, CHALLENGE)
        .await
        .unwrap()
}

async fn app_scopes(core: &Core, app_id: &str) -> Vec<Scope> {
    core.database()
        .auth
        .app(app_id)
        .await
        .unwrap()
        .expect("the app")
        .scopes
}

async fn app_tokens_of(core: &Core, user: &User) -> usize {
    core.database()
        .auth
        .api_tokens_of(&user.id, TokenKind::App)
        .await
        .unwrap()
        .len()
}

/// The token with its last character changed: right id, wrong secret.
fn tampered(token: &str) -> String {
    let (head, last) = token.split_at(token.len() - 1);
    format!("{head}{}", if last == "a" { "b" } else { "a" })
}

async fn flow_exchanges_a_code_for_a_token_with_the_apps_scopes(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let pair = log_in(&core, &ada).await;
    assert_eq!(pair.token.len(), 42);
    assert_eq!(pair.refresh_token.len(), 42);
    assert_ne!(pair.token, pair.refresh_token);

    let principal = flow::authenticate(&core, &pair.token).await.unwrap();
    assert_eq!(principal.user, ada);
    assert_eq!(principal.app_id.as_deref(), Some(APP));
    assert_eq!(principal.scopes, app_scopes(&core, APP).await);
    assert!(principal.has(Scope::StreamsWrite));
    assert!(!principal.has(Scope::TokensWrite));
    assert_eq!(principal.token_id, &pair.token[..tokens::ID_LEN]);

    // The token is stored as an app token of Ada's, its use recorded.
    let stored = core
        .database()
        .auth
        .api_token(&principal.token_id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored.kind, TokenKind::App);
    assert_eq!(stored.owner_id, ada.id);
    assert!(
        stored.last_used_at.is_some(),
        "authenticate records the use"
    );
    assert_eq!(app_tokens_of(&core, &ada).await, 1);

    // Tokens with another secret, malformed or unknown, are refused.
    assert_forbidden(
        flow::authenticate(&core, &tampered(&pair.token)).await,
        "a tampered token",
    );
    assert_forbidden(flow::authenticate(&core, "").await, "an empty token");
    assert_forbidden(
        flow::authenticate(&core, &IssuedToken::new().token()).await,
        "an unknown token",
    );

    // Codes are only issued for known apps and with a challenge.
    assert_invalid(
        flow::issue_code(&core, "nosuchapp", &ada.id, CHALLENGE).await,
        "appId",
    );
    assert_invalid(flow::issue_code(&core, APP, &ada.id, "").await, "challenge");
}

async fn flow_codes_work_once(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let code = flow::issue_code(&core, APP, &ada.id, CHALLENGE)
        .await
        .unwrap();
    flow::exchange_code(&core, APP, APP, &code, CHALLENGE)
        .await
        .unwrap();
    assert_forbidden(
        flow::exchange_code(&core, APP, APP, &code, CHALLENGE).await,
        "a code used again",
    );
    assert_forbidden(
        flow::exchange_code(&core, APP, APP, "not-a-code", CHALLENGE).await,
        "an unknown code",
    );
    assert_eq!(app_tokens_of(&core, &ada).await, 1, "one token was issued");
}

/// Issues Ada a code for `APP` and tries exchanging it as each of `attempts` says (app, secret,
/// challenge, and what the attempt is), in order: each is refused, and no token is made.
async fn assert_exchanges_refused(core: &Core, attempts: &[(&str, &str, &str, &str)]) {
    let ada = user(core, "ada@example.com").await;
    let code = flow::issue_code(core, APP, &ada.id, CHALLENGE)
        .await
        .unwrap();
    for &(app, secret, challenge, what) in attempts {
        assert_forbidden(
            flow::exchange_code(core, app, secret, &code, challenge).await,
            what,
        );
    }
    assert_eq!(app_tokens_of(core, &ada).await, 0);
}

async fn flow_refuses_a_wrong_challenge_and_uses_up_the_code(core: Core) {
    // A failed exchange uses the code up: it cannot be tried again.
    let attempts = [
        (APP, APP, "another-challenge", "a wrong challenge"),
        (APP, APP, CHALLENGE, "the right challenge after a wrong one"),
    ];
    assert_exchanges_refused(&core, &attempts).await;
}

async fn flow_refuses_a_wrong_app_or_secret(core: Core) {
    let attempts = [
        (APP, "wrong-secret", CHALLENGE, "a wrong app secret"),
        ("nosuchapp", "nosuchapp", CHALLENGE, "an unknown app"),
        // Another app, with its own right secret, cannot use a code issued to this one.
        ("sdm", "sdm", CHALLENGE, "another app's code"),
    ];
    assert_exchanges_refused(&core, &attempts).await;
}

async fn flow_refuses_an_expired_code(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let code = fleck_core::ids::random_string(42);
    let record = AuthCode {
        app_id: APP.into(),
        user_id: ada.id.clone(),
        challenge: CHALLENGE.into(),
        expires_at: Utc::now() - chrono::Duration::seconds(1),
        grant: Grant::default(),
    };
    core.database()
        .auth
        .insert_auth_code(&tokens::digest(&code), &record)
        .await
        .unwrap();
    assert_forbidden(
        flow::exchange_code(&core, APP, APP, &code, CHALLENGE).await,
        "an expired code",
    );
    assert_eq!(app_tokens_of(&core, &ada).await, 0);
}

async fn flow_refreshes_into_a_new_working_pair(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let first = log_in(&core, &ada).await;

    let second = flow::refresh(&core, APP, APP, &first.refresh_token)
        .await
        .unwrap();
    assert_ne!(second.token, first.token);
    assert_ne!(second.refresh_token, first.refresh_token);
    let principal = flow::authenticate(&core, &second.token).await.unwrap();
    assert_eq!(principal.user, ada);
    assert_eq!(principal.app_id.as_deref(), Some(APP));
    assert_eq!(principal.scopes, app_scopes(&core, APP).await);

    // The new refresh token works in turn.
    let third = flow::refresh(&core, APP, APP, &second.refresh_token)
        .await
        .unwrap();
    flow::authenticate(&core, &third.token).await.unwrap();
}

async fn flow_rotates_refresh_tokens_and_revokes_the_app_on_late_reuse(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let first = log_in(&core, &ada).await;
    let second = flow::refresh(&core, APP, APP, &first.refresh_token)
        .await
        .unwrap();
    // Within the grace period the replaced token still works (a client retrying).
    let retried = flow::refresh(&core, APP, APP, &first.refresh_token)
        .await
        .unwrap();
    flow::authenticate(&core, &retried.token).await.unwrap();

    // Used again later, it is a stolen copy: every token of the app for the user ends.
    let id = &first.refresh_token[..10];
    let stored = core
        .database()
        .auth
        .refresh_token(id)
        .await
        .unwrap()
        .unwrap();
    core.database().auth.delete_refresh_token(id).await.unwrap();
    core.database()
        .auth
        .insert_refresh_token(&RefreshToken {
            replaced_at: Some(Utc::now() - chrono::Duration::minutes(5)),
            ..stored
        })
        .await
        .unwrap();
    assert_forbidden(
        flow::refresh(&core, APP, APP, &first.refresh_token).await,
        "a refresh token replaced long ago",
    );
    for token in [&first.token, &second.token, &retried.token] {
        assert_forbidden(
            flow::authenticate(&core, token).await,
            "an access token of the revoked app",
        );
    }
    assert_forbidden(
        flow::refresh(&core, APP, APP, &second.refresh_token).await,
        "the thief's newer refresh token",
    );
    assert_eq!(app_tokens_of(&core, &ada).await, 0);
}

async fn flow_apps_authorized_by_a_token_reach_no_further_than_it(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let pair = log_in(&core, &ada).await;
    let mut principal = flow::authenticate(&core, &pair.token).await.unwrap();
    // A token that may create tokens, but only read, and only one project.
    principal.scopes = vec![Scope::StreamsRead, Scope::ProfileRead, Scope::TokensWrite];
    principal.projects = Some(vec!["p000000001".into()]);
    let actor = Actor::User(Box::new(principal.clone()));
    let code = flow::authorize_app(&core, &actor, "spklwebapp", CHALLENGE)
        .await
        .unwrap();
    let web = flow::exchange_code(&core, "spklwebapp", "spklwebapp", &code, CHALLENGE)
        .await
        .unwrap();
    let granted = flow::authenticate(&core, &web.token).await.unwrap();
    assert_eq!(
        granted.scopes,
        vec![Scope::StreamsRead, Scope::ProfileRead, Scope::TokensWrite]
    );
    assert_eq!(granted.projects, principal.projects);
    // Refreshing keeps the same reach.
    let refreshed = flow::refresh(&core, "spklwebapp", "spklwebapp", &web.refresh_token)
        .await
        .unwrap();
    let again = flow::authenticate(&core, &refreshed.token).await.unwrap();
    assert_eq!(again.scopes, granted.scopes);
    assert_eq!(again.projects, granted.projects);

    // A token that may not create tokens cannot authorize apps at all.
    principal.scopes = vec![Scope::ProfileRead];
    assert_forbidden(
        flow::authorize_app(
            &core,
            &Actor::User(Box::new(principal)),
            "spklwebapp",
            CHALLENGE,
        )
        .await,
        "a profile:read token authorizing the web app",
    );
    assert_forbidden(
        flow::authorize_app(&core, &Actor::Anonymous, "spklwebapp", CHALLENGE).await,
        "an anonymous caller",
    );
    // A web session may.
    flow::authorize_app(&core, &Actor::from_session(ada), "spklwebapp", CHALLENGE)
        .await
        .unwrap();
}

async fn flow_refuses_tampered_and_expired_refresh_tokens(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let pair = log_in(&core, &ada).await;

    assert_forbidden(
        flow::refresh(&core, APP, APP, &tampered(&pair.refresh_token)).await,
        "a tampered refresh token",
    );
    assert_forbidden(
        flow::refresh(&core, APP, APP, "not-a-token").await,
        "a malformed refresh token",
    );
    assert_forbidden(
        flow::refresh(&core, APP, APP, &pair.token).await,
        "an access token as refresh token",
    );
    assert_forbidden(
        flow::refresh(&core, APP, "wrong-secret", &pair.refresh_token).await,
        "a wrong app secret",
    );
    assert_forbidden(
        flow::refresh(&core, "sdm", "sdm", &pair.refresh_token).await,
        "another app's refresh token",
    );
    // None of these used the refresh token up.
    flow::refresh(&core, APP, APP, &pair.refresh_token)
        .await
        .unwrap();

    // An expired refresh token is refused and removed.
    let issued = IssuedToken::new();
    core.database()
        .auth
        .insert_refresh_token(&RefreshToken {
            id: issued.id.clone(),
            digest: issued.digest(),
            app_id: APP.into(),
            user_id: ada.id.clone(),
            expires_at: Utc::now() - chrono::Duration::seconds(1),
            grant: Grant::default(),
            replaced_at: None,
        })
        .await
        .unwrap();
    assert_forbidden(
        flow::refresh(&core, APP, APP, &issued.token()).await,
        "an expired refresh token",
    );
    assert_eq!(
        core.database()
            .auth
            .refresh_token(&issued.id)
            .await
            .unwrap(),
        None
    );
}

async fn flow_checks_personal_token_requests(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let create = |name: &'static str, scopes: &'static [Scope], allowed: &'static [Scope]| {
        let core = core.clone();
        let ada = ada.clone();
        async move { flow::create_personal_token(&core, &ada, name, scopes, allowed, None, None).await }
    };

    assert_forbidden(
        create("ci", &[Scope::StreamsRead, Scope::TokensWrite], Scope::ALL).await,
        "tokens:write",
    );
    assert_forbidden(
        create(
            "ci",
            &[Scope::StreamsRead, Scope::StreamsWrite],
            &[Scope::StreamsRead, Scope::ProfileRead],
        )
        .await,
        "a scope outside the allowed ones",
    );
    assert_invalid(create("ci", &[], Scope::ALL).await, "scopes");
    assert_invalid(create("", &[Scope::StreamsRead], Scope::ALL).await, "name");
    assert_invalid(
        create("   ", &[Scope::StreamsRead], Scope::ALL).await,
        "name",
    );
    assert!(core
        .database()
        .auth
        .api_tokens_of(&ada.id, TokenKind::Personal)
        .await
        .unwrap()
        .is_empty());

    let token = create(
        "  CI uploads ",
        &[Scope::StreamsWrite, Scope::StreamsRead, Scope::StreamsWrite],
        &[Scope::StreamsRead, Scope::StreamsWrite, Scope::ProfileRead],
    )
    .await
    .unwrap();
    let principal = flow::authenticate(&core, &token).await.unwrap();
    assert_eq!(principal.user, ada);
    assert_eq!(principal.app_id, None);
    assert_eq!(principal.scopes, [Scope::StreamsRead, Scope::StreamsWrite]);

    let listed = core
        .database()
        .auth
        .api_tokens_of(&ada.id, TokenKind::Personal)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, principal.token_id);
    assert_eq!(listed[0].name, "CI uploads");
    assert_eq!(listed[0].expires_at, None);
    assert!(token.ends_with(&listed[0].last_chars));
}

async fn flow_personal_tokens_expire(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let token = flow::create_personal_token(
        &core,
        &ada,
        "short-lived",
        &[Scope::StreamsRead],
        Scope::ALL,
        Some(Duration::from_secs(1)),
        None,
    )
    .await
    .unwrap();
    let id = &token[..tokens::ID_LEN];
    flow::authenticate(&core, &token).await.unwrap();

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_forbidden(flow::authenticate(&core, &token).await, "an expired token");
    assert_eq!(
        core.database().auth.api_token(id).await.unwrap(),
        None,
        "the expired token is removed"
    );
}

async fn flow_refuses_tokens_of_archived_users(core: Core) {
    let _admin = user(&core, "admin@example.com").await;
    let bob = user(&core, "bob@example.com").await;
    let personal = flow::create_personal_token(
        &core,
        &bob,
        "script",
        &[Scope::StreamsRead],
        Scope::ALL,
        None,
        None,
    )
    .await
    .unwrap();
    let pair = log_in(&core, &bob).await;
    flow::authenticate(&core, &personal).await.unwrap();
    flow::authenticate(&core, &pair.token).await.unwrap();

    core.database()
        .store
        .set_server_role(&bob.id, ServerRole::Archived)
        .await
        .unwrap();
    assert_forbidden(
        flow::authenticate(&core, &personal).await,
        "an archived user's personal token",
    );
    assert_forbidden(
        flow::authenticate(&core, &pair.token).await,
        "an archived user's app token",
    );
}

async fn flow_logout_revokes_the_token_and_its_refresh_token(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let grace = user(&core, "grace@example.com").await;
    let adas = log_in(&core, &ada).await;
    let graces = log_in(&core, &grace).await;
    let other_session = log_in(&core, &ada).await;

    // Grace's refresh token given with Ada's token is left alone.
    flow::logout(&core, &adas.token, Some(&graces.refresh_token))
        .await
        .unwrap();
    assert_forbidden(
        flow::authenticate(&core, &adas.token).await,
        "a token after logout",
    );
    assert_forbidden(
        flow::logout(&core, &adas.token, None).await,
        "logging out again",
    );
    flow::refresh(&core, APP, APP, &graces.refresh_token)
        .await
        .unwrap();
    flow::authenticate(&core, &graces.token).await.unwrap();

    flow::logout(
        &core,
        &other_session.token,
        Some(&other_session.refresh_token),
    )
    .await
    .unwrap();
    assert_forbidden(
        flow::authenticate(&core, &other_session.token).await,
        "a token after logout",
    );
    assert_forbidden(
        flow::refresh(&core, APP, APP, &other_session.refresh_token).await,
        "a refresh token revoked at logout",
    );
    // Ada's first refresh token was not given at logout, so it still works.
    flow::refresh(&core, APP, APP, &adas.refresh_token)
        .await
        .unwrap();
}

async fn flow_checks_credentials(core: Core) {
    let (ada, _) = user_with_password(&core.database()).await;
    let grace = user(&core, "grace@example.com").await;

    let found = flow::check_credentials(&core, " ADA@example.com", PASSWORD)
        .await
        .unwrap();
    assert_eq!(found, Some(ada));
    assert_eq!(
        flow::check_credentials(&core, "ada@example.com", &format!("{PASSWORD}!"))
            .await
            .unwrap(),
        None,
        "a wrong password"
    );
    assert_eq!(
        flow::check_credentials(&core, "nobody@example.com", PASSWORD)
            .await
            .unwrap(),
        None,
        "an unknown e-mail"
    );
    assert_eq!(
        flow::check_credentials(&core, &grace.email, PASSWORD)
            .await
            .unwrap(),
        None,
        "a user without a password"
    );
}

async fn accounts_server_roles_change_by_admins_and_the_operator_keeping_an_admin(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let bob = user(&core, "bob@example.com").await;
    assert_eq!(ada.role, ServerRole::Admin, "the first user is admin");

    // Only admins change roles: not anonymous callers, not users, not an admin's token
    // without `server:setup`.
    for (caller, who) in [
        (Actor::Anonymous, "anonymous"),
        (session(&bob), "a user"),
        (
            token(&ada, &[Scope::ProfileRead], None),
            "a token without server:setup",
        ),
    ] {
        assert_forbidden(
            users::set_server_role(&core, &caller, &bob.id, ServerRole::Admin).await,
            who,
        );
    }
    assert_eq!(
        core.database()
            .store
            .user_by_id(&bob.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        ServerRole::User
    );

    // The last admin stays admin, whoever asks: an admin (themself) or the operator.
    let operator = Operator::command_line();
    assert!(matches!(
        users::set_server_role(&core, &session(&ada), &ada.id, ServerRole::User).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        operator::set_server_role(&core, &operator, "ada@example.com", ServerRole::Guest).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        operator::set_server_role(&core, &operator, "nobody@example.com", ServerRole::User).await,
        Err(Error::NotFound(_))
    ));

    // With a second admin, the first may step down; the operator finds people by id too.
    let promoted = users::set_server_role(&core, &session(&ada), &bob.id, ServerRole::Admin)
        .await
        .unwrap();
    assert_eq!(promoted.role, ServerRole::Admin);
    let demoted = operator::set_server_role(&core, &operator, &ada.id, ServerRole::Guest)
        .await
        .unwrap();
    assert_eq!(demoted.role, ServerRole::Guest);
    assert_forbidden(
        users::set_server_role(&core, &session(&demoted), &bob.id, ServerRole::User).await,
        "a former admin",
    );

    // Archiving is the same write (`flow_refuses_tokens_of_archived_users` shows its effect).
    let carol = user(&core, "carol@example.com").await;
    let archived =
        users::set_server_role(&core, &session(&promoted), &carol.id, ServerRole::Archived)
            .await
            .unwrap();
    assert_eq!(archived.role, ServerRole::Archived);

    // The admin pages' list of users is for admins only.
    let page = fleck_core::store::Page::default();
    assert_eq!(
        users::list(&core, &session(&promoted), None, page)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_forbidden(
        users::list(&core, &session(&demoted), None, page).await,
        "a guest",
    );
    assert_eq!(
        operator::list_users(&core, &operator, Some("carol"), page)
            .await
            .unwrap()[0]
            .id,
        carol.id
    );
}

async fn accounts_profiles_change_only_for_their_owner_with_profile_write(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let update = || ProfileUpdate {
        name: Some("  Ada Lovelace ".into()),
        company: Some("Analytical Engines".into()),
        bio: None,
        avatar: None,
    };
    assert_forbidden(
        users::update_profile(&core, &Actor::Anonymous, update()).await,
        "anonymous",
    );
    assert_forbidden(
        users::update_profile(&core, &token(&ada, &[Scope::ProfileRead], None), update()).await,
        "a token without profile:write",
    );
    assert_invalid(
        users::update_profile(
            &core,
            &session(&ada),
            ProfileUpdate {
                name: Some(" ".into()),
                ..Default::default()
            },
        )
        .await,
        "name",
    );

    // A token limited to some projects may still change its owner's profile, and only theirs.
    let limited = token(&ada, &[Scope::ProfileWrite], Some(&["p000000000"]));
    let updated = users::update_profile(&core, &limited, update())
        .await
        .unwrap();
    assert_eq!(updated.id, ada.id);
    assert_eq!(updated.name, "Ada Lovelace");
    assert_eq!(updated.company.as_deref(), Some("Analytical Engines"));
    assert_eq!(
        core.database()
            .store
            .user_by_id(&ada.id)
            .await
            .unwrap()
            .unwrap(),
        updated
    );
}

async fn accounts_personal_tokens_are_made_and_revoked_by_their_owner_only(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let bob = user(&core, "bob@example.com").await;
    let guest = user(&core, "guest@example.com").await;
    let guest = users::set_server_role(&core, &session(&ada), &guest.id, ServerRole::Guest)
        .await
        .unwrap();
    let request = |projects: Option<Vec<String>>| flow::TokenRequest {
        name: "ci".into(),
        scopes: vec![Scope::StreamsRead],
        lifespan: None,
        projects,
    };

    for (caller, who) in [
        (Actor::Anonymous, "anonymous"),
        (session(&guest), "a guest"),
        (
            token(&ada, &[Scope::StreamsRead], None),
            "a token without tokens:write",
        ),
    ] {
        assert_forbidden(
            flow::create_own_token(&core, &caller, request(None)).await,
            who,
        );
    }

    // A token limited to a project makes tokens limited to it, never to others.
    let mine = project(&core, &ada, "mine", Visibility::Private).await;
    let other = project(&core, &ada, "other", Visibility::Private).await;
    let limited = token(
        &ada,
        &[Scope::StreamsRead, Scope::TokensWrite],
        Some(&[mine.as_str()]),
    );
    assert_forbidden(
        flow::create_own_token(&core, &limited, request(Some(vec![other.clone()]))).await,
        "a limited token reaching further",
    );
    let inherited = flow::create_own_token(&core, &limited, request(None))
        .await
        .unwrap();
    let principal = flow::authenticate(&core, &inherited).await.unwrap();
    assert_eq!(principal.projects, Some(vec![mine.clone()]));
    assert_eq!(principal.scopes, vec![Scope::StreamsRead]);

    // Only the owner revokes a personal token, given whole or by its id; app tokens and
    // others' tokens are not found.
    let made = flow::create_own_token(&core, &session(&ada), request(None))
        .await
        .unwrap();
    let id = &made[..tokens::ID_LEN];
    assert!(matches!(
        flow::revoke_own_token(&core, &session(&bob), &made).await,
        Err(Error::NotFound(_))
    ));
    assert_forbidden(
        flow::revoke_own_token(&core, &Actor::Anonymous, id).await,
        "anonymous",
    );
    assert_forbidden(
        flow::revoke_own_token(&core, &token(&ada, &[Scope::TokensRead], None), id).await,
        "a token without tokens:write",
    );
    flow::authenticate(&core, &made).await.unwrap();
    flow::revoke_own_token(&core, &session(&ada), id)
        .await
        .unwrap();
    assert_forbidden(flow::authenticate(&core, &made).await, "a revoked token");
    assert!(matches!(
        flow::revoke_own_token(&core, &session(&ada), id).await,
        Err(Error::NotFound(_))
    ));
    let app = log_in(&core, &ada).await;
    assert!(matches!(
        flow::revoke_own_token(&core, &session(&ada), &app.token).await,
        Err(Error::NotFound(_))
    ));
    flow::authenticate(&core, &app.token).await.unwrap();
    flow::revoke_own_token(&core, &session(&ada), &inherited)
        .await
        .unwrap();
}

async fn projects_show_pending_invitations_to_contributors_and_owners_only(core: Core) {
    let owner = user(&core, "ada@example.com").await;
    let contributor = user(&core, "bob@example.com").await;
    let reviewer = user(&core, "carol@example.com").await;
    let outsider = user(&core, "dave@example.com").await;
    let mut projects = Vec::new();
    for visibility in [Visibility::Private, Visibility::Public] {
        let id = project(&core, &owner, &format!("{visibility:?}"), visibility).await;
        for (member, role) in [
            (&contributor, ProjectRole::Contributor),
            (&reviewer, ProjectRole::Reviewer),
        ] {
            core.database()
                .projects
                .set_member(&id, &member.id, role)
                .await
                .unwrap();
        }
        invite_by_email(&core, &owner, &id, "eve@example.com").await;
        projects.push((visibility, id));
    }

    for (visibility, id) in &projects {
        let other = &projects.iter().find(|(_, p)| p != id).unwrap().1;
        // What the caller sees of the project's pending invitations; `None` when nothing,
        // whether the project itself is hidden from them or only its invitations are.
        let pending = |actor: Actor| {
            let core = core.clone();
            let id = id.clone();
            async move {
                match service::load(&core, &actor, &id, Action::ReadProject).await {
                    Ok(access) => invites::pending(&core, &actor, &access).await.unwrap(),
                    Err(Error::Forbidden(_)) => None,
                    Err(e) => panic!("loading the project: {e}"),
                }
            }
        };
        for (actor, who) in [
            (session(&owner), "the owner"),
            (session(&contributor), "a contributor"),
            // Seeing them is reading: a read-only token will do.
            (
                token(&contributor, &[Scope::StreamsRead], None),
                "a contributor's read token",
            ),
        ] {
            let seen = pending(actor).await.expect(who);
            assert_eq!(seen.len(), 1, "{who} on the {visibility:?} project");
            assert_eq!(seen[0].invitee, Invitee::Email("eve@example.com".into()));
        }
        for (actor, who) in [
            (session(&reviewer), "a reviewer"),
            (session(&outsider), "an outsider"),
            (Actor::Anonymous, "anonymous"),
            // The owner's token limited to another project acts here as a stranger.
            (
                token(&owner, Scope::ALL, Some(&[other.as_str()])),
                "a token limited to another project",
            ),
        ] {
            assert_eq!(
                pending(actor).await,
                None,
                "{who} on the {visibility:?} project"
            );
        }
    }
}

async fn accounts_server_settings_change_by_admins_only(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let bob = user(&core, "bob@example.com").await;
    let before = settings::current(&core).await.unwrap();
    let update = || SettingsUpdate {
        name: " Fleck of Ada ".into(),
        company: Some("".into()),
        description: Some("Models".into()),
        invite_only: Some(true),
        ..Default::default()
    };
    for (caller, who) in [
        (Actor::Anonymous, "anonymous"),
        (session(&bob), "a user"),
        (
            token(&ada, &[Scope::StreamsRead], None),
            "a token without server:setup",
        ),
    ] {
        assert_forbidden(settings::update(&core, &caller, update()).await, who);
        assert_forbidden(settings::for_admin(&core, &caller).await, who);
    }
    assert_eq!(settings::current(&core).await.unwrap(), before);

    let saved = settings::update(&core, &session(&ada), update())
        .await
        .unwrap();
    assert_eq!(saved.name, "Fleck of Ada");
    assert_eq!(saved.company, None, "an empty text clears it");
    assert_eq!(saved.description.as_deref(), Some("Models"));
    assert!(saved.invite_only);
    assert_eq!(
        saved.guest_mode, before.guest_mode,
        "a switch left out stays"
    );
    assert_eq!(
        settings::for_admin(&core, &session(&ada)).await.unwrap(),
        saved
    );
    assert_invalid(
        settings::update(
            &core,
            &session(&ada),
            SettingsUpdate {
                name: " ".into(),
                ..Default::default()
            },
        )
        .await,
        "name",
    );
}

async fn projects_members_may_leave_except_the_only_owner(core: Core) {
    let owner = user(&core, "ada@example.com").await;
    let contributor = user(&core, "bob@example.com").await;
    let outsider = user(&core, "carol@example.com").await;
    let id = project(&core, &owner, "kept", Visibility::Public).await;
    let elsewhere = project(&core, &owner, "elsewhere", Visibility::Public).await;
    core.database()
        .projects
        .set_member(&id, &contributor.id, ProjectRole::Contributor)
        .await
        .unwrap();

    assert!(matches!(
        members::may_leave(&core, &session(&owner), &id).await,
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        members::may_leave(&core, &session(&outsider), &id).await,
        Err(Error::NotFound(_))
    ));
    assert_forbidden(
        members::may_leave(&core, &Actor::Anonymous, &id).await,
        "anonymous",
    );
    assert_forbidden(
        members::may_leave(
            &core,
            &token(&contributor, &[Scope::StreamsRead], None),
            &id,
        )
        .await,
        "a token without streams:write",
    );
    assert_forbidden(
        members::may_leave(
            &core,
            &token(&contributor, Scope::ALL, Some(&[elsewhere.as_str()])),
            &id,
        )
        .await,
        "a token limited to another project",
    );
    let contributing = session(&contributor);
    let leaving = members::may_leave(&core, &contributing, &id).await.unwrap();
    assert_eq!(leaving.user.id, contributor.id);

    // With a second owner, the first may leave, and leaving is what `may_leave` allowed.
    core.database()
        .projects
        .set_member(&id, &contributor.id, ProjectRole::Owner)
        .await
        .unwrap();
    members::leave(&core, &session(&owner), &id).await.unwrap();
    assert_eq!(
        core.database()
            .projects
            .role_of(&id, &owner.id)
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        members::leave(&core, &session(&contributor), &id).await,
        Err(Error::Conflict(_))
    ));
}

async fn accounts_apps_are_listed_and_revoked_by_their_user_only(core: Core) {
    let ada = user(&core, "ada@example.com").await;
    let bob = user(&core, "bob@example.com").await;
    let pair = log_in(&core, &ada).await;
    let app_ids = |listed: Vec<fleck_core::auth::ServerApp>| {
        listed.into_iter().map(|app| app.id).collect::<Vec<_>>()
    };
    assert_eq!(
        app_ids(
            apps::authorized_by_caller(&core, &session(&ada))
                .await
                .unwrap()
        ),
        vec![APP.to_string()]
    );
    assert!(apps::authorized_by_caller(&core, &session(&bob))
        .await
        .unwrap()
        .is_empty());
    assert_forbidden(
        apps::authorized_by_caller(&core, &Actor::Anonymous).await,
        "anonymous",
    );
    assert_forbidden(
        apps::authorized_by_caller(&core, &token(&ada, &[Scope::StreamsRead], None)).await,
        "a token without apps:read",
    );
    assert_forbidden(
        apps::revoke_access(&core, &token(&ada, &[Scope::AppsRead], None), APP).await,
        "a token without apps:write",
    );
    assert_forbidden(
        apps::revoke_access(&core, &Actor::Anonymous, APP).await,
        "anonymous",
    );

    // Bob revoking the app ends his access only; Ada's ends hers.
    apps::revoke_access(&core, &session(&bob), APP)
        .await
        .unwrap();
    flow::authenticate(&core, &pair.token).await.unwrap();
    apps::revoke_access(&core, &session(&ada), APP)
        .await
        .unwrap();
    assert_forbidden(
        flow::authenticate(&core, &pair.token).await,
        "a revoked app's token",
    );
    assert!(apps::authorized_by_caller(&core, &session(&ada))
        .await
        .unwrap()
        .is_empty());
}

async fn accounts_passwords_change_with_the_current_one(core: Core) {
    let (ada, _) = user_with_password(&core.database()).await;
    let browser = sessions::start(&core, &ada).await.unwrap();
    let pair = log_in(&core, &ada).await;

    assert_forbidden(
        accounts::change_password(&core, &Actor::Anonymous, PASSWORD, "x").await,
        "anonymous",
    );
    assert_forbidden(
        accounts::change_password(
            &core,
            &token(&ada, &[Scope::ProfileRead], None),
            PASSWORD,
            "a new long password",
        )
        .await,
        "a token without profile:write",
    );
    assert_invalid(
        accounts::change_password(&core, &session(&ada), "wrong horse", "a new long password")
            .await,
        "current",
    );
    assert_invalid(
        accounts::change_password(&core, &session(&ada), PASSWORD, "short").await,
        "password",
    );
    assert!(sessions::user(&core, &browser).await.unwrap().is_some());

    accounts::change_password(&core, &session(&ada), PASSWORD, "a new long password")
        .await
        .unwrap();
    let signs_in = |password: &'static str| {
        let core = core.clone();
        async move {
            flow::check_credentials(&core, "ada@example.com", password)
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(signs_in("a new long password").await);
    assert!(!signs_in(PASSWORD).await);
    assert!(
        sessions::user(&core, &browser).await.unwrap().is_none(),
        "web sessions end"
    );
    flow::authenticate(&core, &pair.token)
        .await
        .expect("app tokens keep working");
}

async fn accounts_server_invitations_are_sent_by_users_and_managed_by_inviters_or_admins(
    core: Core,
) {
    let admin = user(&core, "ada@example.com").await;
    let bob = user(&core, "bob@example.com").await;
    let carol = user(&core, "carol@example.com").await;
    let guest = user(&core, "guest@example.com").await;
    let guest = users::set_server_role(&core, &session(&admin), &guest.id, ServerRole::Guest)
        .await
        .unwrap();
    let invite = |actor: Actor, email: &'static str, role: ServerRole| {
        let core = core.clone();
        async move { auth_invites::create(&core, &actor, email, role, None).await }
    };
    for (caller, who) in [
        (Actor::Anonymous, "anonymous"),
        (session(&guest), "a guest"),
        (
            token(&bob, &[Scope::StreamsRead], None),
            "a token without users:invite",
        ),
    ] {
        assert_forbidden(
            invite(caller, "eve@example.com", ServerRole::User).await,
            who,
        );
    }
    assert_forbidden(
        invite(session(&bob), "eve@example.com", ServerRole::Admin).await,
        "a user inviting an admin",
    );
    let sent = invite(session(&bob), "eve@example.com", ServerRole::User)
        .await
        .unwrap();

    // The list is the admins'; resending and cancelling, the inviter's or an admin's.
    assert_forbidden(auth_invites::pending(&core, &session(&bob)).await, "a user");
    let listed = auth_invites::pending(&core, &session(&admin))
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|i| &i.id).collect::<Vec<_>>(),
        vec![&sent.id]
    );
    assert_forbidden(
        auth_invites::resend(&core, &session(&carol), &sent.id).await,
        "another user resending",
    );
    assert_forbidden(
        auth_invites::cancel(&core, &session(&carol), &sent.id).await,
        "another user cancelling",
    );
    assert_forbidden(
        auth_invites::cancel(&core, &Actor::Anonymous, &sent.id).await,
        "anonymous",
    );
    auth_invites::resend(&core, &session(&bob), &sent.id)
        .await
        .unwrap();
    auth_invites::cancel(&core, &session(&admin), &sent.id)
        .await
        .unwrap();
    assert!(auth_invites::pending(&core, &session(&admin))
        .await
        .unwrap()
        .is_empty());

    // The admin pages' list of every project is the admins' too.
    let window = fleck_core::projects::Window {
        offset: 0,
        limit: 10,
    };
    project(&core, &bob, "bob's", Visibility::Private).await;
    assert_forbidden(
        service::all(&core, &session(&bob), None, window).await,
        "a user",
    );
    assert_eq!(
        service::all(&core, &session(&admin), None, window)
            .await
            .unwrap()
            .total,
        1
    );
}

async fn projects_saved_views_are_read_by_readers_saved_by_members_and_deleted_by_author_or_owner(
    core: Core,
) {
    let owner = user(&core, "ada@example.com").await;
    let reviewer = user(&core, "bob@example.com").await;
    let second_reviewer = user(&core, "carol@example.com").await;
    let outsider = user(&core, "dave@example.com").await;
    let id = project(&core, &owner, "Review", Visibility::Public).await;
    for member in [&reviewer, &second_reviewer] {
        core.database()
            .projects
            .set_member(&id, &member.id, ProjectRole::Reviewer)
            .await
            .unwrap();
    }
    let model = core
        .database()
        .projects
        .model_by_name(&id, "main")
        .await
        .unwrap()
        .unwrap()
        .id;
    let state = "view=1,2,3,40,0.7,0.6&section=0,100,0,100,0,55&select=wall1";

    let saved = views::save(&core, &session(&reviewer), &id, &model, " Level 1 ", state)
        .await
        .unwrap();
    assert_eq!(
        (saved.name.as_str(), saved.state.as_str()),
        ("Level 1", state)
    );
    assert!(matches!(
        views::save(
            &core,
            &session(&second_reviewer),
            &id,
            &model,
            "Level 1",
            state
        )
        .await,
        Err(Error::Conflict(_))
    ));
    assert_forbidden(
        views::save(&core, &session(&outsider), &id, &model, "Mine", state).await,
        "a visitor of a public project",
    );
    assert_forbidden(
        views::save(&core, &Actor::Anonymous, &id, &model, "Mine", state).await,
        "anonymous",
    );
    assert_forbidden(
        views::save(
            &core,
            &token(&reviewer, &[Scope::StreamsRead], None),
            &id,
            &model,
            "Mine",
            state,
        )
        .await,
        "a token without streams:write",
    );
    assert_invalid(
        views::save(
            &core,
            &session(&reviewer),
            &id,
            &model,
            "Big",
            &"x".repeat(70_000),
        )
        .await,
        "state",
    );
    assert!(matches!(
        views::save(&core, &session(&reviewer), &id, "nosuchmodl", "Mine", state).await,
        Err(Error::NotFound(_))
    ));

    // Anyone who reads the project sees the views; who may delete each is the caller's.
    let anonymous = views::list(&core, &Actor::Anonymous, &id, &model)
        .await
        .unwrap();
    assert_eq!(anonymous.views.len(), 1);
    assert!(!anonymous.can_save && !anonymous.views[0].1);
    let author = views::list(&core, &session(&reviewer), &id, &model)
        .await
        .unwrap();
    assert!(author.can_save && author.views[0].1);
    let other = views::list(&core, &session(&second_reviewer), &id, &model)
        .await
        .unwrap();
    assert!(other.can_save && !other.views[0].1);
    assert!(
        views::list(&core, &session(&owner), &id, &model)
            .await
            .unwrap()
            .views[0]
            .1
    );

    assert_forbidden(
        views::delete(&core, &session(&second_reviewer), &id, &saved.id).await,
        "another reviewer",
    );
    views::delete(&core, &session(&owner), &id, &saved.id)
        .await
        .unwrap();
    assert!(matches!(
        views::delete(&core, &session(&owner), &id, &saved.id).await,
        Err(Error::NotFound(_))
    ));
    let own = views::save(
        &core,
        &session(&second_reviewer),
        &id,
        &model,
        "Level 1",
        state,
    )
    .await
    .unwrap();
    views::delete(&core, &session(&second_reviewer), &id, &own.id)
        .await
        .unwrap();
    assert!(views::list(&core, &session(&owner), &id, &model)
        .await
        .unwrap()
        .views
        .is_empty());
}

async fn accounts_sign_up_links_say_who_invited_to_what(core: Core) {
    let owner = user(&core, "ada@example.com").await;
    let id = project(&core, &owner, "Riverside tower", Visibility::Private).await;
    let invite = invite_by_email(&core, &owner, &id, "eve@example.com").await;
    let shown = accounts::sign_up_invitation(&core, &invite.token)
        .await
        .unwrap()
        .expect("the link's invitation");
    assert_eq!(shown.email, "eve@example.com");
    assert_eq!(shown.inviter, owner.name);
    assert_eq!(shown.project.as_deref(), Some("Riverside tower"));
    assert_eq!(
        accounts::sign_up_invitation(&core, "no such token")
            .await
            .unwrap(),
        None
    );
}

async fn projects_a_callers_project_names_are_known(core: Core) {
    let owner = user(&core, "ada@example.com").await;
    let other = user(&core, "bob@example.com").await;
    project(&core, &owner, "Riverside Tower", Visibility::Private).await;
    for (name, expected) in [
        ("Riverside Tower", true),
        ("  riverside tower ", true),
        ("Riverside", false),
        ("", false),
    ] {
        let found = service::has_project_named(&core, &session(&owner), name)
            .await
            .unwrap();
        assert_eq!(found, expected, "{name:?}");
    }
    assert!(
        !service::has_project_named(&core, &session(&other), "Riverside Tower")
            .await
            .unwrap(),
        "another user's projects are not theirs"
    );
}
