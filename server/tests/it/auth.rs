//! The login flow and bearer tokens over HTTP, as Speckle's clients use them.

use crate::support::TestServer;
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn client() -> Client {
    Client::builder().redirect(Policy::none()).build().unwrap()
}

/// The `access_code` in a login or registration redirect.
fn access_code(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::FOUND, "a 302 redirect");
    let location = response.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "access_code")
        .map(|(_, v)| v.into_owned())
        .expect("an access_code in the redirect")
}

async fn register(server: &TestServer, email: &str, challenge: &str) -> reqwest::Response {
    client()
        .post(server.at(&format!("/auth/local/register?challenge={challenge}")))
        .form(&[
            ("email", email),
            ("password", "correct horse"),
            ("name", "Ada Lovelace"),
            ("company", "Analytical"),
        ])
        .send()
        .await
        .unwrap()
}

async fn exchange(server: &TestServer, code: &str, challenge: &str) -> reqwest::Response {
    client()
        .post(server.at("/auth/token"))
        .json(&json!({ "appId": "spklwebapp", "appSecret": "spklwebapp", "accessCode": code, "challenge": challenge }))
        .send()
        .await
        .unwrap()
}

/// Registers a user and returns their web app token.
async fn web_token(server: &TestServer, email: &str) -> String {
    let code = access_code(&register(server, email, "c1").await);
    let pair: Value = exchange(server, &code, "c1").await.json().await.unwrap();
    pair["token"].as_str().unwrap().to_string()
}

async fn graphql(
    server: &TestServer,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> reqwest::Response {
    let mut request = client()
        .post(server.at("/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
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
    let no_challenge = client()
        .post(server.at("/auth/local/register"))
        .form(&[
            ("email", "a@example.com"),
            ("password", "correct horse"),
            ("name", "A"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(no_challenge.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        no_challenge.text().await.unwrap(),
        "Invalid request: no challenge detected."
    );

    let weak = client()
        .post(server.at("/auth/local/register?challenge=c"))
        .json(&json!({ "email": "a@example.com", "password": "short", "name": "A" }))
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
    let body: Value = weak.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least 8"),
        "{body}"
    );

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
        let login = client()
            .post(server.at("/auth/local/login?challenge=c"))
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
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
    let anonymous = graphql(
        &server,
        None,
        "{ activeUser { id } serverInfo { name } }",
        json!({}),
    )
    .await;
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["data"]["activeUser"], Value::Null);
    assert_eq!(body["data"]["serverInfo"]["name"], "Fleck");
}

#[tokio::test]
async fn refresh_tokens_issue_new_pairs() {
    let server = TestServer::start().await;
    let code = access_code(&register(&server, "ada@example.com", "c").await);
    let pair: Value = exchange(&server, &code, "c").await.json().await.unwrap();
    let refreshed = client()
        .post(server.at("/auth/token"))
        .json(&json!({ "appId": "spklwebapp", "appSecret": "spklwebapp", "refreshToken": pair["refreshToken"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
    let new_pair: Value = refreshed.json().await.unwrap();
    assert_ne!(new_pair["token"], pair["token"]);
    let me: Value = graphql(
        &server,
        new_pair["token"].as_str(),
        "{ activeUser { email } }",
        json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["data"]["activeUser"]["email"], "ada@example.com");

    let wrong_secret = client()
        .post(server.at("/auth/token"))
        .json(&json!({ "appId": "spklwebapp", "appSecret": "nope", "refreshToken": pair["refreshToken"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn personal_tokens_are_scoped_listed_once_and_revocable() {
    let server = TestServer::start().await;
    let token = web_token(&server, "ada@example.com").await;
    let create = "mutation($token: ApiTokenCreateInput!) { apiTokenCreate(token: $token) }";

    let body: Value = graphql(
        &server,
        Some(&token),
        create,
        json!({ "token": { "name": "script", "scopes": ["streams:read", "profile:read"] } }),
    )
    .await
    .json()
    .await
    .unwrap();
    let personal = body["data"]["apiTokenCreate"]
        .as_str()
        .expect("a token")
        .to_string();
    assert_eq!(personal.len(), 42);

    // The personal token reads the profile but not the e-mail (no profile:email)…
    let me: Value = graphql(
        &server,
        Some(&personal),
        "{ activeUser { name email role } }",
        json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["data"]["activeUser"]["name"], "Ada Lovelace");
    assert_eq!(me["data"]["activeUser"]["email"], Value::Null);
    assert_eq!(
        me["data"]["activeUser"]["role"], "server:admin",
        "the first user is admin"
    );
    // …and cannot make tokens itself.
    let denied: Value = graphql(
        &server,
        Some(&personal),
        create,
        json!({ "token": { "name": "more", "scopes": ["streams:read"] } }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN");

    for scopes in [json!(["tokens:write"]), json!(["streams:fly"]), json!([])] {
        let refused: Value = graphql(
            &server,
            Some(&token),
            create,
            json!({ "token": { "name": "x", "scopes": scopes } }),
        )
        .await
        .json()
        .await
        .unwrap();
        assert!(refused["errors"].is_array(), "{scopes}: {refused}");
    }

    let revoke = "mutation($token: String!) { apiTokenRevoke(token: $token) }";
    let revoked: Value = graphql(&server, Some(&token), revoke, json!({ "token": personal }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["data"]["apiTokenRevoke"], true);
    let after = graphql(&server, Some(&personal), "{ activeUser { id } }", json!({})).await;
    assert_eq!(after.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tokens_with_a_lifespan_expire() {
    let server = TestServer::start().await;
    let token = web_token(&server, "ada@example.com").await;
    let body: Value = graphql(
        &server,
        Some(&token),
        "mutation { apiTokenCreate(token: { name: \"brief\", scopes: [\"profile:read\"], lifespan: 1000 }) }",
        json!({}),
    )
    .await
    .json()
    .await
    .unwrap();
    let brief = body["data"]["apiTokenCreate"].as_str().unwrap().to_string();
    assert_eq!(
        graphql(&server, Some(&brief), "{ activeUser { id } }", json!({}))
            .await
            .status(),
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        graphql(&server, Some(&brief), "{ activeUser { id } }", json!({}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn connectors_get_access_codes_at_their_redirect_url() {
    let server = TestServer::start().await;
    let token = web_token(&server, "ada@example.com").await;
    let response = client()
        .get(server.at(&format!(
            "/auth/accesscode?appId=sca&challenge=connector-challenge&token={token}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http://localhost:29363"), "{location}");
    let code = access_code(&response);
    let pair = client()
        .post(server.at("/auth/token"))
        .json(&json!({ "appId": "sca", "appSecret": "sca", "accessCode": code, "challenge": "connector-challenge" }))
        .send()
        .await
        .unwrap();
    assert_eq!(pair.status(), StatusCode::OK);

    let no_redirect: Value = client()
        .get(server.at(&format!(
            "/auth/accesscode?appId=sca&challenge=c&token={token}&preventRedirect=true"
        )))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(no_redirect["redirectUrl"]
        .as_str()
        .unwrap()
        .contains("access_code="));

    let unknown_app = client()
        .get(server.at(&format!(
            "/auth/accesscode?appId=nope&challenge=c&token={token}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_app.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn logout_revokes_the_token() {
    let server = TestServer::start().await;
    let token = web_token(&server, "ada@example.com").await;
    let response = client()
        .post(server.at("/auth/logout"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap()["message"],
        "You have logged out."
    );
    assert_eq!(
        graphql(&server, Some(&token), "{ activeUser { id } }", json!({}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn graphql_serves_an_explorer_to_browsers() {
    let server = TestServer::start().await;
    let page = client().get(server.at("/graphql")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("graphiql"));
}
