//! The `AuthStore` contract (tokens, apps, login-flow records), run unchanged against SQLite and
//! PostgreSQL. Tokens, codes and refresh tokens refer to users and apps by foreign key, so each
//! contract takes the whole `Database` and creates those through its other faces.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use fleck_core::auth::store::{AuthStore, EmailLink, LinkKind};
use fleck_core::auth::tokens::{self, IssuedToken};
use fleck_core::auth::{
    ApiToken, AuthCode, Grant, Invite, RefreshToken, Scope, ServerApp, TokenKind,
};
use fleck_core::db::Database;
use fleck_core::users::{ServerRole, User};

use crate::support::{user_named, user_with_password};

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite, postgres => crate::support::postgres],
    contracts: [
        auth_stores_api_tokens_as_given,
        auth_records_when_a_token_was_used,
        auth_lists_a_users_tokens_of_one_kind_newest_first,
        auth_revokes_api_tokens,
        auth_upserts_apps_keeping_their_tokens,
        auth_codes_work_once,
        auth_gives_a_code_to_exactly_one_of_concurrent_takers,
        auth_stores_and_deletes_refresh_tokens,
        auth_ends_only_that_users_app_sessions,
        auth_reads_password_hashes_whatever_the_email_case,
        auth_email_links_work_once_and_only_as_their_kind,
        auth_reads_email_links_without_using_them,
        auth_deletes_only_that_users_links_of_one_kind,
        auth_marks_verified_only_while_the_email_matches,
        auth_replaces_password_hashes,
        auth_lists_public_apps_by_name,
        auth_lists_the_apps_holding_a_users_tokens,
        auth_revokes_only_that_apps_access_of_that_user,
        auth_stores_invites_as_given,
        auth_lists_pending_invites_newest_first,
        auth_replaces_invite_tokens,
        auth_deletes_invites,
        auth_rejects_invites_sharing_a_token,
    ],
}

/// A time as the databases keep it: SQLite stores milliseconds, PostgreSQL microseconds.
fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).expect("a representable time")
}

/// A time with a sub-second part, so a store that dropped milliseconds would be caught.
fn now() -> DateTime<Utc> {
    ms(Utc::now())
}

/// A user without a password (hashing one is slow in debug builds).
async fn user(db: &Database, email: &str) -> User {
    user_named(db, email, "Someone").await
}

fn server_app(id: &str) -> ServerApp {
    ServerApp {
        id: id.into(),
        secret: format!("{id}-secret"),
        name: format!("App {id}"),
        description: "An app of the tests.".into(),
        terms_url: Some("https://example.com/terms".into()),
        logo: None,
        public: false,
        trust_by_default: true,
        redirect_url: "http://localhost:29363".into(),
        scopes: vec![Scope::StreamsRead, Scope::ProfileRead],
        author_id: None,
    }
}

async fn app(db: &Database, id: &str) -> ServerApp {
    let app = server_app(id);
    db.auth.upsert_app(&app).await.unwrap();
    app
}

/// A token of `owner`, of an app when `app_id` is given, personal otherwise.
fn api_token(owner: &User, app_id: Option<&str>, created_at: DateTime<Utc>) -> ApiToken {
    let issued = IssuedToken::new();
    ApiToken {
        id: issued.id.clone(),
        digest: issued.digest(),
        last_chars: issued.last_chars(),
        owner_id: owner.id.clone(),
        name: "a token".into(),
        kind: if app_id.is_some() {
            TokenKind::App
        } else {
            TokenKind::Personal
        },
        app_id: app_id.map(str::to_string),
        scopes: vec![Scope::StreamsRead, Scope::StreamsWrite, Scope::ProfileRead],
        created_at,
        expires_at: None,
        last_used_at: None,
        projects: None,
    }
}

async fn insert(auth: &Arc<dyn AuthStore>, token: &ApiToken) {
    auth.insert_api_token(token).await.unwrap();
}

async fn exists(auth: &Arc<dyn AuthStore>, token: &ApiToken) -> bool {
    auth.api_token(&token.id).await.unwrap().is_some()
}

fn ids(tokens: &[ApiToken]) -> Vec<String> {
    tokens.iter().map(|t| t.id.clone()).collect()
}

fn refresh_token(user: &User, app_id: &str) -> RefreshToken {
    let issued = IssuedToken::new();
    RefreshToken {
        id: issued.id.clone(),
        digest: issued.digest(),
        app_id: app_id.into(),
        user_id: user.id.clone(),
        expires_at: now() + Duration::days(180),
        grant: narrow_grant(),
        replaced_at: None,
    }
}

/// A grant that differs from the default in every part, so that storing it loses nothing.
fn narrow_grant() -> Grant {
    Grant {
        scopes: Some(vec![Scope::StreamsRead, Scope::ProfileRead]),
        projects: Some(vec!["p000000001".into(), "p000000002".into()]),
    }
}

/// A code (its digest, as the store keys it) and its record.
fn auth_code(user: &User, app_id: &str) -> (String, AuthCode) {
    let code = AuthCode {
        app_id: app_id.into(),
        user_id: user.id.clone(),
        challenge: fleck_core::ids::random_string(20),
        expires_at: now() + Duration::minutes(10),
        grant: narrow_grant(),
    };
    (tokens::digest(&fleck_core::ids::random_string(42)), code)
}

/// A link sent to `email` (its digest, as the store keys it) and its record.
fn email_link(user: &User, email: &str) -> (String, EmailLink) {
    let link = EmailLink {
        user_id: user.id.clone(),
        email: email.into(),
        expires_at: now() + Duration::hours(1) + Duration::milliseconds(321),
    };
    (tokens::digest(&fleck_core::ids::random_string(42)), link)
}

async fn insert_link(db: &Database, kind: LinkKind, user: &User) -> (String, EmailLink) {
    let (digest, link) = email_link(user, &user.email);
    db.auth.insert_link(kind, &digest, &link).await.unwrap();
    (digest, link)
}

/// An invite from `inviter` to `email`, with a token digest of its own.
fn invite(inviter: &User, email: &str) -> Invite {
    Invite {
        id: fleck_core::ids::new_id(),
        token_digest: tokens::digest(&fleck_core::ids::random_string(42)),
        email: email.into(),
        inviter_id: inviter.id.clone(),
        server_role: ServerRole::Guest,
        message: Some("Join us on the project.".into()),
        created_at: now(),
    }
}

fn app_ids(apps: &[ServerApp]) -> Vec<&str> {
    apps.iter().map(|a| a.id.as_str()).collect()
}

async fn auth_stores_api_tokens_as_given(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let app = app(&db, "sca").await;
    let created = now();

    let mut personal = api_token(&ada, None, created);
    personal.name = "CI uploads".into();
    personal.scopes = vec![Scope::StreamsRead, Scope::UsersRead, Scope::ServerStats];
    personal.expires_at = Some(created + Duration::days(30) + Duration::milliseconds(123));
    insert(&db.auth, &personal).await;

    let mut for_app = api_token(&ada, Some(&app.id), created - Duration::milliseconds(7));
    for_app.scopes = app.scopes.clone();
    insert(&db.auth, &for_app).await;

    let stored = db.auth.api_token(&personal.id).await.unwrap();
    assert_eq!(stored.as_ref(), Some(&personal));
    let stored = stored.unwrap();
    assert_eq!(stored.kind, TokenKind::Personal);
    assert_eq!(stored.app_id, None);
    assert_eq!(stored.last_used_at, None);

    let stored = db.auth.api_token(&for_app.id).await.unwrap();
    assert_eq!(stored.as_ref(), Some(&for_app));
    assert_eq!(stored.unwrap().app_id.as_deref(), Some("sca"));

    assert_eq!(db.auth.api_token("nosuchtokn").await.unwrap(), None);
    assert_eq!(db.auth.api_token("").await.unwrap(), None);
}

async fn auth_records_when_a_token_was_used(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let token = api_token(&ada, None, now());
    let other = api_token(&ada, None, now());
    insert(&db.auth, &token).await;
    insert(&db.auth, &other).await;

    let used = now() + Duration::milliseconds(250);
    db.auth.touch_api_token(&token.id, used).await.unwrap();
    let stored = db.auth.api_token(&token.id).await.unwrap().unwrap();
    assert_eq!(stored.last_used_at, Some(used));
    assert_eq!(
        ApiToken {
            last_used_at: None,
            ..stored
        },
        token,
        "only last_used_at changes"
    );

    let later = used + Duration::minutes(5) + Duration::milliseconds(1);
    db.auth.touch_api_token(&token.id, later).await.unwrap();
    let stored = db.auth.api_token(&token.id).await.unwrap().unwrap();
    assert_eq!(stored.last_used_at, Some(later));

    // Other tokens are untouched, and touching an unknown token is no error.
    let other_stored = db.auth.api_token(&other.id).await.unwrap().unwrap();
    assert_eq!(other_stored.last_used_at, None);
    db.auth.touch_api_token("nosuchtokn", later).await.unwrap();
}

async fn auth_lists_a_users_tokens_of_one_kind_newest_first(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let app = app(&db, "sca").await;
    let start = now();

    // Inserted out of order, so only the creation times can put them in order.
    let middle = api_token(&ada, None, start + Duration::seconds(1));
    let oldest = api_token(&ada, None, start);
    let newest = api_token(&ada, None, start + Duration::seconds(2));
    let ada_app = api_token(&ada, Some(&app.id), start + Duration::seconds(3));
    let grace_personal = api_token(&grace, None, start + Duration::seconds(4));
    for token in [&middle, &oldest, &newest, &ada_app, &grace_personal] {
        insert(&db.auth, token).await;
    }

    let personal = db
        .auth
        .api_tokens_of(&ada.id, TokenKind::Personal)
        .await
        .unwrap();
    assert_eq!(
        ids(&personal),
        ids(&[newest.clone(), middle.clone(), oldest.clone()])
    );
    assert_eq!(personal, [newest, middle, oldest], "listed as stored");

    let of_apps = db
        .auth
        .api_tokens_of(&ada.id, TokenKind::App)
        .await
        .unwrap();
    assert_eq!(of_apps, [ada_app]);
    let graces = db
        .auth
        .api_tokens_of(&grace.id, TokenKind::Personal)
        .await
        .unwrap();
    assert_eq!(graces, [grace_personal]);
    assert!(db
        .auth
        .api_tokens_of(&grace.id, TokenKind::App)
        .await
        .unwrap()
        .is_empty());
    assert!(db
        .auth
        .api_tokens_of("nosuchuser", TokenKind::Personal)
        .await
        .unwrap()
        .is_empty());
}

async fn auth_revokes_api_tokens(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let revoked = api_token(&ada, None, now());
    let kept = api_token(&ada, None, now());
    insert(&db.auth, &revoked).await;
    insert(&db.auth, &kept).await;

    assert!(db.auth.delete_api_token(&revoked.id).await.unwrap());
    assert_eq!(db.auth.api_token(&revoked.id).await.unwrap(), None);
    assert!(
        !db.auth.delete_api_token(&revoked.id).await.unwrap(),
        "a second revocation finds nothing"
    );
    assert!(!db.auth.delete_api_token("nosuchtokn").await.unwrap());

    assert_eq!(
        db.auth.api_token(&kept.id).await.unwrap().as_ref(),
        Some(&kept)
    );
    let left = db
        .auth
        .api_tokens_of(&ada.id, TokenKind::Personal)
        .await
        .unwrap();
    assert_eq!(left, [kept]);
}

async fn auth_upserts_apps_keeping_their_tokens(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    assert_eq!(db.auth.app("sca").await.unwrap(), None);

    let mut first = server_app("sca");
    first.author_id = Some(ada.id.clone());
    db.auth.upsert_app(&first).await.unwrap();
    assert_eq!(db.auth.app("sca").await.unwrap(), Some(first.clone()));

    let token = api_token(&ada, Some("sca"), now());
    insert(&db.auth, &token).await;
    let refresh = refresh_token(&ada, "sca");
    db.auth.insert_refresh_token(&refresh).await.unwrap();
    let (digest, code) = auth_code(&ada, "sca");
    db.auth.insert_auth_code(&digest, &code).await.unwrap();

    let updated = ServerApp {
        secret: "a new secret".into(),
        name: "Speckle Connector".into(),
        description: "Desktop connectors.".into(),
        terms_url: None,
        logo: Some("https://example.com/logo.png".into()),
        public: true,
        trust_by_default: false,
        redirect_url: "http://localhost:29364".into(),
        scopes: vec![Scope::StreamsRead, Scope::StreamsWrite, Scope::UsersInvite],
        ..first.clone()
    };
    db.auth.upsert_app(&updated).await.unwrap();
    assert_eq!(db.auth.app("sca").await.unwrap(), Some(updated.clone()));
    // Registering the same app again changes nothing.
    db.auth.upsert_app(&updated).await.unwrap();
    assert_eq!(db.auth.app("sca").await.unwrap(), Some(updated));

    // What was issued to the app survives its update.
    assert_eq!(db.auth.api_token(&token.id).await.unwrap(), Some(token));
    assert_eq!(
        db.auth.refresh_token(&refresh.id).await.unwrap(),
        Some(refresh.clone())
    );
    assert_eq!(db.auth.take_auth_code(&digest).await.unwrap(), Some(code));

    // A refresh token is replaced once; a second replacement keeps the first time.
    let at = now() - Duration::minutes(5);
    db.auth
        .replace_refresh_token(&refresh.id, at)
        .await
        .unwrap();
    db.auth
        .replace_refresh_token(&refresh.id, now())
        .await
        .unwrap();
    assert_eq!(
        db.auth.refresh_token(&refresh.id).await.unwrap(),
        Some(RefreshToken {
            replaced_at: Some(at),
            ..refresh
        })
    );

    assert_eq!(db.auth.app("nosuchapp").await.unwrap(), None);
    assert_eq!(db.auth.app("SCA").await.unwrap(), None, "ids are exact");
}

async fn auth_codes_work_once(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    app(&db, "sca").await;
    let (digest, code) = auth_code(&ada, "sca");
    let (other_digest, other_code) = auth_code(&ada, "sca");
    db.auth.insert_auth_code(&digest, &code).await.unwrap();
    db.auth
        .insert_auth_code(&other_digest, &other_code)
        .await
        .unwrap();

    assert_eq!(db.auth.take_auth_code(&digest).await.unwrap(), Some(code));
    assert_eq!(
        db.auth.take_auth_code(&digest).await.unwrap(),
        None,
        "a code works once"
    );
    assert_eq!(
        db.auth
            .take_auth_code(&tokens::digest("nope"))
            .await
            .unwrap(),
        None
    );
    // Taking one code leaves the others.
    assert_eq!(
        db.auth.take_auth_code(&other_digest).await.unwrap(),
        Some(other_code)
    );
}

async fn auth_gives_a_code_to_exactly_one_of_concurrent_takers(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    app(&db, "sca").await;
    // Several rounds, so the takers really overlap in some of them.
    for round in 0..5 {
        let (digest, code) = auth_code(&ada, "sca");
        db.auth.insert_auth_code(&digest, &code).await.unwrap();
        let takers = (0..8).map(|_| {
            let auth = db.auth.clone();
            let digest = digest.clone();
            tokio::spawn(async move { auth.take_auth_code(&digest).await })
        });
        let taken: Vec<Option<AuthCode>> = futures::future::try_join_all(takers)
            .await
            .unwrap()
            .into_iter()
            .map(|outcome| outcome.expect("taking a code"))
            .collect();
        let winners: Vec<&AuthCode> = taken.iter().flatten().collect();
        assert_eq!(winners, [&code], "round {round}: {taken:?}");
    }
}

async fn auth_stores_and_deletes_refresh_tokens(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    app(&db, "sca").await;
    app(&db, "sdm").await;
    let token = refresh_token(&ada, "sca");
    let other = refresh_token(&ada, "sdm");
    db.auth.insert_refresh_token(&token).await.unwrap();
    db.auth.insert_refresh_token(&other).await.unwrap();

    assert_eq!(
        db.auth.refresh_token(&token.id).await.unwrap(),
        Some(token.clone())
    );
    assert_eq!(
        db.auth.refresh_token(&other.id).await.unwrap(),
        Some(other.clone())
    );
    assert_eq!(db.auth.refresh_token("nosuchtokn").await.unwrap(), None);

    assert!(db.auth.delete_refresh_token(&token.id).await.unwrap());
    assert_eq!(db.auth.refresh_token(&token.id).await.unwrap(), None);
    assert!(!db.auth.delete_refresh_token(&token.id).await.unwrap());
    assert_eq!(db.auth.refresh_token(&other.id).await.unwrap(), Some(other));
}

async fn auth_ends_only_that_users_app_sessions(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    app(&db, "sca").await;
    app(&db, "sdm").await;

    struct Sessions {
        personal: ApiToken,
        app_tokens: [ApiToken; 2],
        refresh: [RefreshToken; 2],
        code: (String, AuthCode),
    }
    let mut sessions = Vec::new();
    for who in [&ada, &grace] {
        let s = Sessions {
            personal: api_token(who, None, now()),
            app_tokens: [
                api_token(who, Some("sca"), now()),
                api_token(who, Some("sdm"), now()),
            ],
            refresh: [refresh_token(who, "sca"), refresh_token(who, "sdm")],
            code: auth_code(who, "sca"),
        };
        insert(&db.auth, &s.personal).await;
        for token in &s.app_tokens {
            insert(&db.auth, token).await;
        }
        for token in &s.refresh {
            db.auth.insert_refresh_token(token).await.unwrap();
        }
        db.auth
            .insert_auth_code(&s.code.0, &s.code.1)
            .await
            .unwrap();
        sessions.push(s);
    }
    let [adas, graces] = &sessions[..] else {
        unreachable!()
    };

    db.auth.delete_app_sessions(&ada.id).await.unwrap();

    // Ada's app sessions are gone, her personal token is not.
    for token in &adas.app_tokens {
        assert!(!exists(&db.auth, token).await, "{token:?} was revoked");
    }
    for token in &adas.refresh {
        assert_eq!(db.auth.refresh_token(&token.id).await.unwrap(), None);
    }
    assert_eq!(db.auth.take_auth_code(&adas.code.0).await.unwrap(), None);
    assert_eq!(
        db.auth.api_token(&adas.personal.id).await.unwrap().as_ref(),
        Some(&adas.personal)
    );

    // Grace's records are untouched.
    assert!(exists(&db.auth, &graces.personal).await);
    for token in &graces.app_tokens {
        assert!(exists(&db.auth, token).await, "{token:?} was kept");
    }
    for token in &graces.refresh {
        assert_eq!(
            db.auth.refresh_token(&token.id).await.unwrap().as_ref(),
            Some(token)
        );
    }
    assert_eq!(
        db.auth
            .take_auth_code(&graces.code.0)
            .await
            .unwrap()
            .as_ref(),
        Some(&graces.code.1)
    );

    // Ending again, or for a user without sessions, is no error.
    db.auth.delete_app_sessions(&ada.id).await.unwrap();
    db.auth.delete_app_sessions("nosuchuser").await.unwrap();
}

async fn auth_reads_password_hashes_whatever_the_email_case(db: Database) {
    let (ada, hash) = user_with_password(&db).await;
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let grace = user(&db, "grace@example.com").await;

    for email in ["ada@example.com", "ADA@EXAMPLE.COM", "  Ada@Example.com "] {
        assert_eq!(
            db.auth.password_hash(email).await.unwrap(),
            Some((ada.id.clone(), Some(hash.clone()))),
            "{email:?}"
        );
    }
    assert_eq!(
        db.auth.password_hash("Grace@example.com").await.unwrap(),
        Some((grace.id.clone(), None))
    );
    assert_eq!(
        db.auth.password_hash("nobody@example.com").await.unwrap(),
        None
    );
    assert_eq!(db.auth.password_hash("").await.unwrap(), None);
}

async fn auth_reads_email_links_without_using_them(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (reset, reset_link) = email_link(&ada, "ada@example.com");
    db.auth
        .insert_link(LinkKind::ResetPassword, &reset, &reset_link)
        .await
        .unwrap();
    assert_eq!(
        db.auth.link(LinkKind::VerifyEmail, &reset).await.unwrap(),
        None,
        "only as its kind"
    );
    for _ in 0..2 {
        assert_eq!(
            db.auth.link(LinkKind::ResetPassword, &reset).await.unwrap(),
            Some(reset_link.clone())
        );
    }
    assert_eq!(
        db.auth
            .take_link(LinkKind::ResetPassword, &reset)
            .await
            .unwrap(),
        Some(reset_link),
        "reading left it in place"
    );
    assert_eq!(
        db.auth.link(LinkKind::ResetPassword, &reset).await.unwrap(),
        None
    );
}

async fn auth_email_links_work_once_and_only_as_their_kind(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let (verify, verify_link) = email_link(&ada, "ada@example.com");
    let (reset, reset_link) = email_link(&ada, "ada.old@example.com");
    db.auth
        .insert_link(LinkKind::VerifyEmail, &verify, &verify_link)
        .await
        .unwrap();
    db.auth
        .insert_link(LinkKind::ResetPassword, &reset, &reset_link)
        .await
        .unwrap();

    let unknown = tokens::digest("nope");
    for (kind, digest, expected, what) in [
        // A link of one kind is not found as the other, and looking for it so does not use it up.
        (
            LinkKind::ResetPassword,
            &verify,
            None,
            "a verify link as a reset link",
        ),
        (
            LinkKind::VerifyEmail,
            &reset,
            None,
            "a reset link as a verify link",
        ),
        (
            LinkKind::VerifyEmail,
            &verify,
            Some(verify_link),
            "the verify link",
        ),
        (
            LinkKind::VerifyEmail,
            &verify,
            None,
            "the verify link again: a link works once",
        ),
        // The address it was sent to comes back as given, not the user's current one.
        (
            LinkKind::ResetPassword,
            &reset,
            Some(reset_link),
            "the reset link",
        ),
        (
            LinkKind::ResetPassword,
            &reset,
            None,
            "the reset link again",
        ),
        (LinkKind::VerifyEmail, &unknown, None, "an unknown link"),
    ] {
        assert_eq!(
            db.auth.take_link(kind, digest).await.unwrap(),
            expected,
            "{what}"
        );
    }
}

async fn auth_deletes_only_that_users_links_of_one_kind(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let adas_resets = [
        insert_link(&db, LinkKind::ResetPassword, &ada).await,
        insert_link(&db, LinkKind::ResetPassword, &ada).await,
    ];
    let adas_verify = insert_link(&db, LinkKind::VerifyEmail, &ada).await;
    let graces_reset = insert_link(&db, LinkKind::ResetPassword, &grace).await;

    db.auth
        .delete_links(LinkKind::ResetPassword, &ada.id)
        .await
        .unwrap();

    for (digest, _) in &adas_resets {
        assert_eq!(
            db.auth
                .take_link(LinkKind::ResetPassword, digest)
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(
        db.auth
            .take_link(LinkKind::VerifyEmail, &adas_verify.0)
            .await
            .unwrap(),
        Some(adas_verify.1),
        "links of the other kind are kept"
    );
    assert_eq!(
        db.auth
            .take_link(LinkKind::ResetPassword, &graces_reset.0)
            .await
            .unwrap(),
        Some(graces_reset.1),
        "other users' links are kept"
    );

    // Deleting again, or for a user without links, is no error.
    db.auth
        .delete_links(LinkKind::ResetPassword, &ada.id)
        .await
        .unwrap();
    db.auth
        .delete_links(LinkKind::VerifyEmail, "nosuchuser")
        .await
        .unwrap();
}

async fn auth_marks_verified_only_while_the_email_matches(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    assert!(!ada.verified);

    // A link sent to an address the user no longer has verifies nothing.
    assert!(!db
        .auth
        .mark_verified(&ada.id, "ada.old@example.com")
        .await
        .unwrap());
    assert!(!db
        .auth
        .mark_verified(&ada.id, "grace@example.com")
        .await
        .unwrap());
    assert!(!db
        .auth
        .mark_verified("nosuchuser", "ada@example.com")
        .await
        .unwrap());
    let stored = db.store.user_by_id(&ada.id).await.unwrap().unwrap();
    assert!(!stored.verified);

    assert!(db
        .auth
        .mark_verified(&ada.id, "ada@example.com")
        .await
        .unwrap());
    let stored = db.store.user_by_id(&ada.id).await.unwrap().unwrap();
    assert!(stored.verified);
    assert_eq!(
        User {
            verified: false,
            ..stored
        },
        ada,
        "only verified changes"
    );
    assert!(
        !db.store
            .user_by_id(&grace.id)
            .await
            .unwrap()
            .unwrap()
            .verified,
        "other users stay unverified"
    );
}

async fn auth_replaces_password_hashes(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    assert_eq!(
        db.auth.password_hash("ada@example.com").await.unwrap(),
        Some((ada.id.clone(), None))
    );

    // Any string will do: the store keeps hashes, it does not make them.
    db.auth
        .set_password_hash(&ada.id, "$argon2id$first")
        .await
        .unwrap();
    assert_eq!(
        db.auth.password_hash("ada@example.com").await.unwrap(),
        Some((ada.id.clone(), Some("$argon2id$first".into())))
    );
    db.auth
        .set_password_hash(&ada.id, "$argon2id$second")
        .await
        .unwrap();
    assert_eq!(
        db.auth.password_hash("ada@example.com").await.unwrap(),
        Some((ada.id.clone(), Some("$argon2id$second".into())))
    );
    assert_eq!(
        db.auth.password_hash("grace@example.com").await.unwrap(),
        Some((grace.id.clone(), None)),
        "other users keep theirs"
    );
    // Setting one for an unknown user is no error.
    db.auth
        .set_password_hash("nosuchuser", "$argon2id$x")
        .await
        .unwrap();
}

async fn auth_lists_public_apps_by_name(db: Database) {
    assert!(db.auth.public_apps().await.unwrap().is_empty());
    // Ids sort in another order than names, and are upserted in a third.
    let mut apps = Vec::new();
    for (id, name, public) in [
        ("aaa", "Charlie", true),
        ("bbb", "Delta", false),
        ("ccc", "Alpha", true),
        ("ddd", "Bravo", true),
        ("eee", "Echo", false),
    ] {
        let app = ServerApp {
            name: name.into(),
            public,
            ..server_app(id)
        };
        db.auth.upsert_app(&app).await.unwrap();
        apps.push(app);
    }

    let public = db.auth.public_apps().await.unwrap();
    assert_eq!(app_ids(&public), ["ccc", "ddd", "aaa"]);
    assert_eq!(
        public,
        [apps[2].clone(), apps[3].clone(), apps[0].clone()],
        "listed as stored"
    );

    // Making an app private takes it off the list.
    let private = ServerApp {
        public: false,
        ..apps[3].clone()
    };
    db.auth.upsert_app(&private).await.unwrap();
    assert_eq!(
        app_ids(&db.auth.public_apps().await.unwrap()),
        ["ccc", "aaa"]
    );
}

async fn auth_lists_the_apps_holding_a_users_tokens(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    let mut apps = Vec::new();
    for (id, name) in [("aaa", "Charlie"), ("bbb", "Alpha"), ("ccc", "Bravo")] {
        let app = ServerApp {
            name: name.into(),
            ..server_app(id)
        };
        db.auth.upsert_app(&app).await.unwrap();
        apps.push(app);
    }
    assert!(db.auth.authorized_apps(&ada.id).await.unwrap().is_empty());

    // Two tokens of one app list it once; a refresh token or a code alone authorizes nothing.
    insert(&db.auth, &api_token(&ada, Some("aaa"), now())).await;
    insert(&db.auth, &api_token(&ada, Some("aaa"), now())).await;
    insert(&db.auth, &api_token(&ada, Some("bbb"), now())).await;
    insert(&db.auth, &api_token(&ada, None, now())).await;
    db.auth
        .insert_refresh_token(&refresh_token(&ada, "ccc"))
        .await
        .unwrap();
    let (digest, code) = auth_code(&ada, "ccc");
    db.auth.insert_auth_code(&digest, &code).await.unwrap();
    insert(&db.auth, &api_token(&grace, Some("ccc"), now())).await;

    let adas = db.auth.authorized_apps(&ada.id).await.unwrap();
    assert_eq!(app_ids(&adas), ["bbb", "aaa"], "by name");
    assert_eq!(adas, [apps[1].clone(), apps[0].clone()], "listed as stored");
    assert_eq!(
        db.auth.authorized_apps(&grace.id).await.unwrap(),
        [apps[2].clone()]
    );
    assert!(db
        .auth
        .authorized_apps("nosuchuser")
        .await
        .unwrap()
        .is_empty());
}

async fn auth_revokes_only_that_apps_access_of_that_user(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let grace = user(&db, "grace@example.com").await;
    app(&db, "sca").await;
    app(&db, "sdm").await;

    struct Access {
        token: ApiToken,
        refresh: RefreshToken,
        code: (String, AuthCode),
    }
    async fn grant(db: &Database, who: &User, app_id: &str) -> Access {
        let access = Access {
            token: api_token(who, Some(app_id), now()),
            refresh: refresh_token(who, app_id),
            code: auth_code(who, app_id),
        };
        insert(&db.auth, &access.token).await;
        db.auth.insert_refresh_token(&access.refresh).await.unwrap();
        db.auth
            .insert_auth_code(&access.code.0, &access.code.1)
            .await
            .unwrap();
        access
    }
    let ada_sca = grant(&db, &ada, "sca").await;
    let ada_sdm = grant(&db, &ada, "sdm").await;
    let grace_sca = grant(&db, &grace, "sca").await;
    let personal = api_token(&ada, None, now());
    insert(&db.auth, &personal).await;

    db.auth.revoke_app_access(&ada.id, "sca").await.unwrap();

    assert!(!exists(&db.auth, &ada_sca.token).await);
    assert_eq!(
        db.auth.refresh_token(&ada_sca.refresh.id).await.unwrap(),
        None
    );
    assert_eq!(db.auth.take_auth_code(&ada_sca.code.0).await.unwrap(), None);
    assert_eq!(
        app_ids(&db.auth.authorized_apps(&ada.id).await.unwrap()),
        ["sdm"]
    );

    // Her access through the other app, her personal token and Grace's access are untouched.
    for kept in [&ada_sdm, &grace_sca] {
        assert_eq!(
            db.auth.api_token(&kept.token.id).await.unwrap().as_ref(),
            Some(&kept.token)
        );
        assert_eq!(
            db.auth
                .refresh_token(&kept.refresh.id)
                .await
                .unwrap()
                .as_ref(),
            Some(&kept.refresh)
        );
        assert_eq!(
            db.auth.take_auth_code(&kept.code.0).await.unwrap().as_ref(),
            Some(&kept.code.1)
        );
    }
    assert!(exists(&db.auth, &personal).await);
    assert_eq!(
        db.auth.app("sca").await.unwrap().map(|a| a.id),
        Some("sca".into())
    );

    // Revoking again, or access that was never granted, is no error.
    db.auth.revoke_app_access(&ada.id, "sca").await.unwrap();
    db.auth
        .revoke_app_access(&ada.id, "nosuchapp")
        .await
        .unwrap();
    db.auth
        .revoke_app_access("nosuchuser", "sdm")
        .await
        .unwrap();
}

async fn auth_stores_invites_as_given(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let mut first = invite(&ada, "grace@example.com");
    first.server_role = ServerRole::Admin;
    first.created_at = now() - Duration::days(2) + Duration::milliseconds(789);
    let mut second = invite(&ada, "alan@example.com");
    second.message = None;
    second.server_role = ServerRole::User;
    for invite in [&first, &second] {
        db.auth.insert_invite(invite).await.unwrap();
    }

    for invite in [&first, &second] {
        assert_eq!(
            db.auth.invite(&invite.id).await.unwrap().as_ref(),
            Some(invite)
        );
        assert_eq!(
            db.auth
                .invite_by_token(&invite.token_digest)
                .await
                .unwrap()
                .as_ref(),
            Some(invite),
            "found by its token's digest"
        );
    }
    assert_eq!(db.auth.invite("nosuchinvite").await.unwrap(), None);
    assert_eq!(
        db.auth
            .invite_by_token(&tokens::digest("nope"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.auth.invite_by_token(&first.id).await.unwrap(),
        None,
        "an id is no token"
    );
}

async fn auth_lists_pending_invites_newest_first(db: Database) {
    assert!(db.auth.invites().await.unwrap().is_empty());
    let ada = user(&db, "ada@example.com").await;
    let mut oldest = invite(&ada, "grace@example.com");
    oldest.created_at = now() - Duration::days(2);
    let mut middle = invite(&ada, "alan@example.com");
    middle.created_at = now() - Duration::hours(1);
    let newest = invite(&ada, "edsger@example.com");
    let cancelled = invite(&ada, "barbara@example.com");
    for invite in [&middle, &newest, &oldest, &cancelled] {
        db.auth.insert_invite(invite).await.unwrap();
    }
    db.auth.delete_invite(&cancelled.id).await.unwrap();

    assert_eq!(
        db.auth.invites().await.unwrap(),
        vec![newest, middle, oldest],
        "as given, newest first, without the cancelled one"
    );
}

async fn auth_replaces_invite_tokens(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let invite = invite(&ada, "grace@example.com");
    db.auth.insert_invite(&invite).await.unwrap();

    let new_digest = tokens::digest(&fleck_core::ids::random_string(42));
    assert!(db
        .auth
        .replace_invite_token(&invite.id, &new_digest)
        .await
        .unwrap());
    let renewed = Invite {
        token_digest: new_digest.clone(),
        ..invite.clone()
    };
    assert_eq!(
        db.auth.invite_by_token(&invite.token_digest).await.unwrap(),
        None,
        "the old link no longer works"
    );
    assert_eq!(
        db.auth.invite_by_token(&new_digest).await.unwrap().as_ref(),
        Some(&renewed)
    );
    assert_eq!(db.auth.invite(&invite.id).await.unwrap(), Some(renewed));

    assert!(!db
        .auth
        .replace_invite_token("nosuchinvite", &tokens::digest("other"))
        .await
        .unwrap());
}

async fn auth_deletes_invites(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let deleted = invite(&ada, "grace@example.com");
    let to_grace = [
        invite(&ada, "grace@example.com"),
        invite(&ada, "grace@example.com"),
    ];
    let to_alan = invite(&ada, "alan@example.com");
    for invite in [&deleted, &to_grace[0], &to_grace[1], &to_alan] {
        db.auth.insert_invite(invite).await.unwrap();
    }

    assert!(db.auth.delete_invite(&deleted.id).await.unwrap());
    assert_eq!(db.auth.invite(&deleted.id).await.unwrap(), None);
    assert_eq!(
        db.auth
            .invite_by_token(&deleted.token_digest)
            .await
            .unwrap(),
        None
    );
    assert!(
        !db.auth.delete_invite(&deleted.id).await.unwrap(),
        "a second deletion finds nothing"
    );
    assert!(!db.auth.delete_invite("nosuchinvite").await.unwrap());
    for invite in &to_grace {
        assert_eq!(
            db.auth.invite(&invite.id).await.unwrap().as_ref(),
            Some(invite)
        );
    }

    db.auth
        .delete_invites_for("grace@example.com")
        .await
        .unwrap();
    for invite in &to_grace {
        assert_eq!(db.auth.invite(&invite.id).await.unwrap(), None);
        assert_eq!(
            db.auth.invite_by_token(&invite.token_digest).await.unwrap(),
            None
        );
    }
    assert_eq!(
        db.auth.invite(&to_alan.id).await.unwrap(),
        Some(to_alan.clone()),
        "invites to other addresses are kept"
    );
    db.auth
        .delete_invites_for("grace@example.com")
        .await
        .unwrap();
    db.auth
        .delete_invites_for("nobody@example.com")
        .await
        .unwrap();
}

async fn auth_rejects_invites_sharing_a_token(db: Database) {
    let ada = user(&db, "ada@example.com").await;
    let first = invite(&ada, "grace@example.com");
    let clash = Invite {
        token_digest: first.token_digest.clone(),
        ..invite(&ada, "alan@example.com")
    };
    db.auth.insert_invite(&first).await.unwrap();
    assert!(db.auth.insert_invite(&clash).await.is_err());
    assert_eq!(db.auth.invite(&clash.id).await.unwrap(), None);
    assert_eq!(
        db.auth.invite_by_token(&first.token_digest).await.unwrap(),
        Some(first)
    );

    // Nor can a token be renewed into one another invite holds.
    let other = invite(&ada, "alan@example.com");
    db.auth.insert_invite(&other).await.unwrap();
    assert!(db
        .auth
        .replace_invite_token(&other.id, &clash.token_digest)
        .await
        .is_err());
    assert_eq!(db.auth.invite(&other.id).await.unwrap(), Some(other));
}
