//! The login flow and bearer tokens over HTTP, as Speckle's clients use them.

use crate::support::{
    access_code_in, active_user_status, client, error_code, error_message, exchange_at, graphql,
    json_of, token_of, TestServer,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The `access_code` in a login or registration redirect.
fn access_code(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::FOUND, "a 302 redirect");
    access_code_in(response.headers()["location"].to_str().unwrap())
}

async fn register(server: &TestServer, email: &str, challenge: &str) -> reqwest::Response {
    let fields = [
        ("email", email),
        ("password", "correct horse"),
        ("name", "Ada Lovelace"),
        ("company", "Analytical"),
    ];
    server
        .sign_up(&format!("challenge={challenge}"), &fields)
        .await
}

async fn exchange(server: &TestServer, code: &str, challenge: &str) -> reqwest::Response {
    exchange_at(&server.url, "spklwebapp", code, challenge).await
}

/// A server where Ada has registered, and her web app token.
async fn ada_signed_in() -> (TestServer, String) {
    let server = TestServer::start().await;
    let token = web_token(&server, "ada@example.com").await;
    (server, token)
}

/// `token` no longer works (`what` says why).
async fn assert_token_refused(server: &TestServer, token: &str, what: &str) {
    let status = active_user_status(server, token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
}

/// Asks for an access code at `/auth/accesscode` with `query`, as a connector's browser does.
fn access_code_request(server: &TestServer, query: &str) -> reqwest::RequestBuilder {
    client().get(server.at(&format!("/auth/accesscode?{query}")))
}

/// Registers a user and returns their web app token.
async fn web_token(server: &TestServer, email: &str) -> String {
    let code = access_code(&register(server, email, "c1").await);
    token_of(exchange(server, &code, "c1").await).await
}

#[tokio::test]
async fn registration_redirects_with_a_code_that_exchanges_once() {
    let server = TestServer::start().await;
    let response = register(&server, "ada@example.com", "challenge-1").await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&server.url), "{location}");
    assert!(location.contains("register=true"), "{location}");
    let code = access_code(&response);

    let wrong_challenge = exchange(&server, &code, "another").await;
    assert_eq!(wrong_challenge.status(), StatusCode::UNAUTHORIZED);
    // The failed attempt used the code up.
    let reused = exchange(&server, &code, "challenge-1").await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    assert!(reused.json::<Value>().await.unwrap()["err"].is_string());

    let login = client()
        .post(server.at("/auth/local/login?challenge=challenge-2"))
        .form(&[("email", "ADA@example.com"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    let code = access_code(&login);
    let response = exchange(&server, &code, "challenge-2").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-cache, no-store");
    let pair: Value = response.json().await.unwrap();
    assert_eq!(pair["token"].as_str().unwrap().len(), 42);
    assert_eq!(pair["refreshToken"].as_str().unwrap().len(), 42);
}

#[tokio::test]
async fn bad_registrations_and_logins_say_why_without_revealing_accounts() {
    let server = TestServer::start().await;
    let no_challenge = server
        .sign_up(
            "",
            &[
                ("email", "a@example.com"),
                ("password", "correct horse"),
                ("name", "A"),
            ],
        )
        .await;
    assert_eq!(no_challenge.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        no_challenge.text().await.unwrap(),
        "Invalid request: no challenge detected."
    );

    let weak = json!({ "email": "a@example.com", "password": "short", "name": "A" });
    let weak = server
        .post_json("/auth/local/register?challenge=c", weak)
        .await;
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    let body: Value = weak.json().await.unwrap();
    assert!(error_message(&body).contains("at least 8"), "{body}");

    access_code(&register(&server, "taken@example.com", "c").await);
    let taken = register(&server, "Taken@Example.com", "c").await;
    assert_eq!(taken.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        taken.json::<Value>().await.unwrap()["error"]["code"],
        "USER_EMAIL_TAKEN"
    );

    for (email, password) in [
        ("taken@example.com", "wrong password"),
        ("nobody@example.com", "correct horse"),
    ] {
        let login = server.login(email, password, &[]).await;
        assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            login.json::<Value>().await.unwrap(),
            json!({ "err": true, "message": "Invalid credentials." })
        );
    }
}

#[tokio::test]
async fn an_unusable_token_is_refused_on_every_route() {
    let server = TestServer::start().await;
    for path in ["/graphql", "/liveness", "/"] {
        let response = client()
            .get(server.at(path))
            .bearer_auth("x".repeat(42))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({ "error": "Your token is not valid." })
        );
    }
    // No token at all is fine: anonymous callers read public things.
    let anonymous = "{ activeUser { id } serverInfo { name } }";
    let body = graphql(&server, None, anonymous, json!({})).await;
    assert_eq!(body["data"]["activeUser"], Value::Null);
    assert_eq!(body["data"]["serverInfo"]["name"], "Fleck");
}

#[tokio::test]
async fn refresh_tokens_issue_new_pairs() {
    let server = TestServer::start().await;
    let code = access_code(&register(&server, "ada@example.com", "c").await);
    let pair: Value = exchange(&server, &code, "c").await.json().await.unwrap();
    let refresh = async |secret: &str| {
        let body = json!({ "appId": "spklwebapp", "appSecret": secret, "refreshToken": pair["refreshToken"] });
        server.post_json("/auth/token", body).await
    };
    let refreshed = refresh("spklwebapp").await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let new_pair: Value = refreshed.json().await.unwrap();
    assert_ne!(new_pair["token"], pair["token"]);
    let me = "{ activeUser { email } }";
    let me = graphql(&server, new_pair["token"].as_str(), me, json!({})).await;
    assert_eq!(me["data"]["activeUser"]["email"], "ada@example.com");

    let wrong_secret = refresh("nope").await;
    assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn personal_tokens_are_scoped_listed_once_and_revocable() {
    let (server, token) = ada_signed_in().await;
    let create = "mutation($token: ApiTokenCreateInput!) { apiTokenCreate(token: $token) }";

    let create = async |token: &str, input: Value| {
        graphql(&server, Some(token), create, json!({ "token": input })).await
    };

    let body = create(
        &token,
        json!({ "name": "script", "scopes": ["streams:read", "profile:read"] }),
    )
    .await;
    let personal = body["data"]["apiTokenCreate"]
        .as_str()
        .expect("a token")
        .to_string();
    assert_eq!(personal.len(), 42);

    // The personal token reads the profile but not the e-mail (no profile:email)…
    let me = "{ activeUser { name email role } }";
    let me = graphql(&server, Some(&personal), me, json!({})).await;
    assert_eq!(me["data"]["activeUser"]["name"], "Ada Lovelace");
    assert_eq!(me["data"]["activeUser"]["email"], Value::Null);
    assert_eq!(
        me["data"]["activeUser"]["role"], "server:admin",
        "the first user is admin"
    );
    // …and cannot make tokens itself.
    let denied = create(
        &personal,
        json!({ "name": "more", "scopes": ["streams:read"] }),
    )
    .await;
    assert_eq!(error_code(&denied), "FORBIDDEN");

    for scopes in [json!(["tokens:write"]), json!(["streams:fly"]), json!([])] {
        let refused = create(&token, json!({ "name": "x", "scopes": scopes })).await;
        assert!(refused["errors"].is_array(), "{scopes}: {refused}");
    }

    let revoke = "mutation($token: String!) { apiTokenRevoke(token: $token) }";
    let revoked = graphql(&server, Some(&token), revoke, json!({ "token": personal })).await;
    assert_eq!(revoked["data"]["apiTokenRevoke"], true);
    assert_token_refused(&server, &personal, "a revoked token").await;
}

#[tokio::test]
async fn tokens_with_a_lifespan_expire() {
    let (server, token) = ada_signed_in().await;
    let create = "mutation { apiTokenCreate(token: { name: \"brief\", scopes: [\"profile:read\"], lifespan: 1000 }) }";
    let body = graphql(&server, Some(&token), create, json!({})).await;
    let brief = body["data"]["apiTokenCreate"].as_str().unwrap().to_string();
    assert_eq!(active_user_status(&server, &brief).await, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_token_refused(&server, &brief, "an expired token").await;
}

#[tokio::test]
async fn connectors_get_access_codes_at_their_redirect_url() {
    let (server, token) = ada_signed_in().await;
    let query = format!("appId=sca&challenge=connector-challenge&token={token}");
    let response = access_code_request(&server, &query).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http://localhost:29363"), "{location}");
    let code = access_code(&response);
    let pair = exchange_at(&server.url, "sca", &code, "connector-challenge").await;
    assert_eq!(pair.status(), StatusCode::OK);

    let query = format!("appId=sca&challenge=c&token={token}&preventRedirect=true");
    let no_redirect = json_of(access_code_request(&server, &query)).await;
    assert!(no_redirect["redirectUrl"]
        .as_str()
        .unwrap()
        .contains("access_code="));

    let query = format!("appId=nope&challenge=c&token={token}");
    let unknown_app = access_code_request(&server, &query).send().await.unwrap();
    assert_eq!(unknown_app.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn logout_revokes_the_token() {
    let (server, token) = ada_signed_in().await;
    let response = server
        .post_json("/auth/logout", json!({ "token": token }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap()["message"],
        "You have logged out."
    );
    assert_token_refused(&server, &token, "a token after logout").await;
}

#[tokio::test]
async fn graphql_serves_an_explorer_to_browsers() {
    let server = TestServer::start().await;
    let page = client().get(server.at("/graphql")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("graphiql"));
}
