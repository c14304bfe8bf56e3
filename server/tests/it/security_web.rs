//! The web-facing hardening of the security review: password reset checks its link before
//! hashing, sign-in never redirects elsewhere, security headers and the pages' nonce policy,
//! login CSRF, client addresses behind proxies and per-account sign-in limits, and the limits on
//! invitations and e-mail addresses.

use crate::support::{
    client, create_bare_project, error_code as code, error_message, graphql, mailed_token,
    register, server_invite, TestServer, INVITE_TO_PROJECT,
};
use fleck_app::auth::{SignIn, SignUp};
use fleck_core::ratelimit::Action;
use leptos::server_fn::ServerFn;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse";

/// A plain HTML form posted to one of the web app's server functions.
async fn form_post(
    server: &TestServer,
    path: &str,
    fields: &[(&str, &str)],
    origin: Option<&str>,
) -> reqwest::Response {
    let mut request = client()
        .post(server.at(path))
        .header("accept", "text/html")
        .form(fields);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.unwrap()
}

/// The reset token mailed to `email` after asking for one.
async fn reset_token(server: &TestServer, email: &str) -> String {
    let asked = server
        .post_json("/auth/pwdreset/request", json!({ "email": email }))
        .await;
    assert_eq!(asked.status(), StatusCode::OK);
    for _ in 0..50 {
        for mail in server.mail_to(email).await {
            if let Some(token) = mailed_token(&mail, "/authn/reset-password?token=") {
                return token;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no reset mail to {email}");
}

async fn finalize(server: &TestServer, token: &str, password: &str) -> (StatusCode, String) {
    let body = json!({ "tokenId": token, "password": password });
    let response = server.post_json("/auth/pwdreset/finalize", body).await;
    (response.status(), response.text().await.unwrap())
}

// 6. The reset link is checked before the password is hashed.

#[tokio::test]
async fn password_reset_checks_the_link_before_hashing_the_password() {
    let server = TestServer::start().await;
    register(&server, "ada@example.com", PASSWORD).await;

    // Without a valid link nothing else is looked at: the answer is about the link, not the
    // password (which is only known after hashing work has been done).
    let (status, body) = finalize(&server, "not-a-reset-token", "short").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("link:"), "{body}");
    let (status, body) = finalize(&server, "not-a-reset-token", "long enough password").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("link:"), "{body}");

    // A valid link with a refused password stays usable.
    let token = reset_token(&server, "ada@example.com").await;
    let (status, body) = finalize(&server, &token, "short").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("password:"), "{body}");
    let (status, body) = finalize(&server, &token, "battery staple").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = finalize(&server, &token, "another password").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with("link:"), "used once: {body}");
    assert_eq!(
        server
            .login("ada@example.com", "battery staple", &[])
            .await
            .status(),
        StatusCode::FOUND
    );
}

// 11. After signing in, only plain local paths are followed, and nothing panics.

#[tokio::test]
async fn sign_in_only_redirects_to_plain_local_paths() {
    let server = TestServer::start().await;
    register(&server, "ada@example.com", PASSWORD).await;
    for (next, expected) in [
        ("/projects/abc?x=1", "/projects/abc?x=1"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\r\n/evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
    ] {
        let response = form_post(
            &server,
            SignIn::PATH,
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("next", next),
            ],
            Some(&server.url),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FOUND, "{next:?}");
        assert_eq!(response.headers()["location"], expected, "{next:?}");
        assert!(response.headers().contains_key("set-cookie"), "{next:?}");
    }
}

// 12. Security headers on every response; a nonce policy on the app's pages.

fn assert_common_headers(headers: &HeaderMap, what: &str) {
    assert_eq!(headers["x-frame-options"], "DENY", "{what}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains("frame-ancestors 'none'"),
        "{what}: {policy}"
    );
}

/// The nonce in a page policy's `script-src`.
fn nonce(policy: &str) -> String {
    let start = policy.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    policy[start..].split('\'').next().unwrap().to_string()
}

#[tokio::test]
async fn every_response_forbids_framing_and_sniffing() {
    let server = TestServer::start().await;
    let token = register(&server, "ada@example.com", PASSWORD).await;
    let client = client();
    let explorer = client
        .get(server.at("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_common_headers(explorer.headers(), "explorer");
    let api = client
        .post(server.at("/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ activeUser { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::OK);
    assert_common_headers(api.headers(), "graphql");
    let preview = client.get(server.at("/preview/nope")).send().await.unwrap();
    assert_common_headers(preview.headers(), "preview");
    let ping = client.get(server.at("/api/ping")).send().await.unwrap();
    assert_common_headers(ping.headers(), "ping");
    let denied = server.login("ada@example.com", "wrong password", &[]).await;
    assert_common_headers(denied.headers(), "an error");
}

#[tokio::test]
async fn pages_allow_only_scripts_with_the_response_nonce() {
    let server = TestServer::start().await;
    let client = client();
    let mut nonces = Vec::new();
    // A streamed page, one with a resource (the consent page an app sends people to), a page
    // rendered whole, and the not-found page.
    for path in [
        "/authn/login",
        "/authn/verify/sca/challenge123",
        "/projects/nope",
        "/no/such/page",
    ] {
        let response = client.get(server.at(path)).send().await.unwrap();
        assert_common_headers(response.headers(), path);
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        for directive in [
            "default-src 'self'",
            "'wasm-unsafe-eval'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        let nonce = nonce(&policy);
        assert!(nonce.len() >= 16, "{path}: {nonce}");
        let html = response.text().await.unwrap();
        let scripts: Vec<&str> = html
            .match_indices("<script")
            .map(|(at, _)| &html[at..at + html[at..].find('>').unwrap()])
            .collect();
        assert!(!scripts.is_empty(), "{path}: the hydration script");
        for script in scripts {
            assert!(
                script.contains(&format!("nonce=\"{nonce}\"")),
                "{path}: {script}"
            );
        }
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a new nonce for every response");
}

// 13. Sign-in and sign-up refuse forms posted from other sites, cookie or not.

#[tokio::test]
async fn sign_in_and_sign_up_refuse_other_sites() {
    let server = TestServer::start().await;
    register(&server, "ada@example.com", PASSWORD).await;
    let evil = "http://evil.example";

    for headers in [
        &[("origin", evil)][..],
        &[("referer", "http://evil.example/login.html")][..],
        &[("origin", "null")][..],
    ] {
        let response = server.login("ada@example.com", PASSWORD, headers).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    // Speckle's clients send no Origin; the site's own pages send theirs.
    let own = server.url.clone();
    for headers in [&[][..], &[("origin", own.as_str())][..]] {
        let response = server.login("ada@example.com", PASSWORD, headers).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{headers:?}");
    }

    let registration = client()
        .post(server.at("/auth/local/register?challenge=c"))
        .header("origin", evil)
        .form(&[
            ("email", "eve@example.com"),
            ("password", PASSWORD),
            ("name", "Eve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(registration.status(), StatusCode::FORBIDDEN);

    let sign_in = form_post(
        &server,
        SignIn::PATH,
        &[("email", "ada@example.com"), ("password", PASSWORD)],
        Some(evil),
    )
    .await;
    assert_eq!(sign_in.status(), StatusCode::FORBIDDEN);
    assert!(!sign_in.headers().contains_key("set-cookie"));
    let sign_up = form_post(
        &server,
        SignUp::PATH,
        &[
            ("name", "Eve"),
            ("email", "eve@example.com"),
            ("password", PASSWORD),
        ],
        Some(evil),
    )
    .await;
    assert_eq!(sign_up.status(), StatusCode::FORBIDDEN);
    assert!(!sign_up.headers().contains_key("set-cookie"));
    assert!(
        server
            .core
            .database()
            .store
            .user_by_email("eve@example.com")
            .await
            .unwrap()
            .is_none(),
        "no account was made for another site"
    );

    // From the site's own page both work.
    let own_sign_up = form_post(
        &server,
        SignUp::PATH,
        &[
            ("name", "Grace"),
            ("email", "grace@example.com"),
            ("password", PASSWORD),
        ],
        Some(&server.url),
    )
    .await;
    assert_eq!(own_sign_up.status(), StatusCode::FOUND);
    assert!(own_sign_up.headers().contains_key("set-cookie"));
}

// 14. Client addresses behind proxies, and failed sign-ins per account.

/// A failed sign-in that says it was forwarded for `forwarded`.
async fn failed_login_from(server: &TestServer, forwarded: &str) -> StatusCode {
    let headers = [("x-forwarded-for", forwarded)];
    let failed = server.login("nobody@example.com", "wrong password", &headers);
    failed.await.status()
}

/// A server where `action` allows `points` and no burst, behind the `trusted` proxies.
async fn limited_behind(action: Action, points: i64, trusted: &str) -> TestServer {
    TestServer::start_with_options(
        |mut config| {
            config.rate_limits.set_points(action, Some(points), Some(0));
            config
        },
        |mut options| {
            options.trusted_proxies = trusted.parse().unwrap();
            options
        },
    )
    .await
}

#[tokio::test]
async fn forwarded_addresses_count_apart_only_from_trusted_proxies() {
    let behind_proxy = limited_behind(Action::Login, 1, "127.0.0.1/32, 10.0.0.0/8").await;
    let attempt = |forwarded: &'static str| failed_login_from(&behind_proxy, forwarded);
    assert_eq!(attempt("203.0.113.1").await, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt("203.0.113.1").await, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has its own budget…
    assert_eq!(
        attempt("203.0.113.2, 10.0.0.5").await,
        StatusCode::UNAUTHORIZED
    );
    // …and a client cannot pick a fresh address by writing one itself: the right-most address
    // that is not a trusted proxy is the one the proxy saw.
    assert_eq!(
        attempt("198.51.100.77, 203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Without trusted proxies the header is ignored: one bucket for the connection's address.
    let direct = limited_behind(Action::Login, 1, "").await;
    let attempt = |forwarded: &'static str| failed_login_from(&direct, forwarded);
    assert_eq!(attempt("203.0.113.1").await, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt("203.0.113.2").await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_account_from_any_address() {
    let server = limited_behind(Action::FailedLogin, 3, "127.0.0.1").await;
    register(&server, "ada@example.com", PASSWORD).await;
    register(&server, "grace@example.com", PASSWORD).await;
    // A correct password clears earlier failures.
    let fail_from = async |email: &str, addresses: &[&str]| {
        for address in addresses {
            let headers = [("x-forwarded-for", *address)];
            let failed = server.login(email, "wrong password", &headers).await;
            assert_eq!(
                failed.status(),
                StatusCode::UNAUTHORIZED,
                "{email} from {address}"
            );
        }
    };
    fail_from("ada@example.com", &["203.0.113.1", "203.0.113.2"]).await;
    let fine = server.login("ADA@example.com", PASSWORD, &[]).await;
    assert_eq!(fine.status(), StatusCode::FOUND);

    fail_from(
        " Ada@Example.com",
        &["203.0.113.3", "203.0.113.4", "203.0.113.5"],
    )
    .await;
    // Three failures from three addresses: the account is locked for a while, for any address
    // and even with the right password.
    let locked = server
        .login(
            "ada@example.com",
            PASSWORD,
            &[("x-forwarded-for", "203.0.113.6")],
        )
        .await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers().contains_key("retry-after"));
    let web = client()
        .post(server.at(SignIn::PATH))
        .header("origin", &server.url)
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let answer: Value = web.json().await.unwrap();
    assert!(
        answer["Err"]
            .as_str()
            .is_some_and(|m| m.starts_with("Too many attempts")),
        "{answer}"
    );
    // Other accounts are not affected.
    let other = server.login("grace@example.com", PASSWORD, &[]).await;
    assert_eq!(other.status(), StatusCode::FOUND);
}

// 17. Invitations and e-mail addresses.

#[tokio::test]
async fn invitation_messages_are_capped_in_characters() {
    let server = TestServer::start().await;
    let admin = register(&server, "admin@example.com", PASSWORD).await;
    let refused = server_invite(
        &server,
        &admin,
        json!({ "email": "carol@example.com", "message": "x".repeat(1025) }),
    )
    .await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("message must be at most 1024 characters"),
        "{message}"
    );
    // Characters, not bytes.
    let sent = server_invite(
        &server,
        &admin,
        json!({ "email": "carol@example.com", "message": "é".repeat(1024) }),
    )
    .await;
    assert_eq!(sent["data"]["serverInviteCreate"], true, "{sent}");
}

#[tokio::test]
async fn invitation_resends_are_limited_per_inviter() {
    let server = TestServer::start_limited(Action::InviteResend, Some(2), Some(0)).await;
    let admin = register(&server, "admin@example.com", PASSWORD).await;
    let sent = server_invite(&server, &admin, json!({ "email": "carol@example.com" })).await;
    assert_eq!(sent["data"]["serverInviteCreate"], true, "{sent}");
    let id = server.core.database().auth.invites().await.unwrap()[0]
        .id
        .clone();
    let resend = "mutation($id: String!) { inviteResend(inviteId: $id) }";
    for _ in 0..2 {
        let resent = graphql(&server, Some(&admin), resend, json!({ "id": id })).await;
        assert_eq!(resent["data"]["inviteResend"], true, "{resent}");
    }
    let refused = graphql(&server, Some(&admin), resend, json!({ "id": id })).await;
    assert_eq!(code(&refused), "RATE_LIMIT_ERROR", "{refused}");

    // Project invitations share the inviter's budget.
    let project = create_bare_project(&server, &admin, json!({ "name": "Tower" })).await;
    let invite = json!({ "p": project, "i": { "email": "dave@example.com" } });
    let invited = graphql(&server, Some(&admin), INVITE_TO_PROJECT, invite).await;
    assert!(invited["errors"].is_null(), "{invited}");
    let invite_id = server
        .core
        .database()
        .projects
        .project_invites(&project)
        .await
        .unwrap()[0]
        .id
        .clone();
    let refused = graphql(
        &server,
        Some(&admin),
        "mutation($p: ID!, $i: String!) { projectMutations { invites { resend(projectId: $p, inviteId: $i) } } }",
        json!({ "p": project, "i": invite_id }),
    )
    .await;
    assert_eq!(code(&refused), "RATE_LIMIT_ERROR", "{refused}");
}

#[tokio::test]
async fn addresses_with_display_names_or_several_recipients_are_refused() {
    let server = TestServer::start().await;
    let admin = register(&server, "admin@example.com", PASSWORD).await;
    for email in [
        "a@b.c<x@evil.com>",
        "ada@example.com,eve@evil.com",
        "Ada <ada@example.com>",
        "\"ada\"@example.com",
    ] {
        let fields = [("email", email), ("password", PASSWORD), ("name", "Eve")];
        let registration = server.sign_up("challenge=c", &fields).await;
        assert_eq!(registration.status(), StatusCode::BAD_REQUEST, "{email:?}");
        let body: Value = registration.json().await.unwrap();
        assert!(
            error_message(&body).contains("not an e-mail address"),
            "{body}"
        );
        let invite = server_invite(&server, &admin, json!({ "email": email })).await;
        assert_eq!(code(&invite), "BAD_USER_INPUT", "{email:?}: {invite}");
    }
    assert_eq!(server.core.database().store.count_users().await.unwrap(), 1);
}
