//! The `AuthStore` contract (tokens, apps, login-flow records), run unchanged against SQLite and
//! PostgreSQL. Tokens, codes and refresh tokens refer to users and apps by foreign key, so each
//! contract takes the whole `Database` and creates those through its other faces.

mod support;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use fleck_core::auth::store::AuthStore;
use fleck_core::auth::tokens::{self, IssuedToken};
use fleck_core::auth::{ApiToken, AuthCode, RefreshToken, Scope, ServerApp, TokenKind};
use fleck_core::db::Database;
use fleck_core::users::{ServerRole, User, UserInput};

support::contract_tests! {
    implementations: [sqlite => support::sqlite, postgres => support::postgres],
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
    let new_user = UserInput {
        email: email.into(),
        name: "Someone".into(),
        company: None,
        password: None,
    }
    .into_new_user()
    .expect("valid user input");
    db.store
        .create_user(new_user, ServerRole::User)
        .await
        .unwrap_or_else(|e| panic!("creating {email}: {e}"))
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
    }
}

/// A code (its digest, as the store keys it) and its record.
fn auth_code(user: &User, app_id: &str) -> (String, AuthCode) {
    let code = AuthCode {
        app_id: app_id.into(),
        user_id: user.id.clone(),
        challenge: fleck_core::ids::random_string(20),
        expires_at: now() + Duration::minutes(10),
    };
    (tokens::digest(&fleck_core::ids::random_string(42)), code)
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
        Some(refresh)
    );
    assert_eq!(db.auth.take_auth_code(&digest).await.unwrap(), Some(code));

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
    // The one password of this suite: argon2 is slow in debug builds.
    let with_password = UserInput {
        email: "Ada@Example.com".into(),
        name: "Ada".into(),
        company: None,
        password: Some("correct horse battery".into()),
    }
    .into_new_user()
    .unwrap();
    let hash = with_password.password_hash.clone().expect("a hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let ada = db
        .store
        .create_user(with_password, ServerRole::User)
        .await
        .unwrap();
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
