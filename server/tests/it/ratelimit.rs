//! Rate limits over HTTP: Speckle's 429 with `Retry-After`, counted per address or per user.

use crate::support::{error_code, graphql, register, TestServer};
use fleck_core::ratelimit::Action;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn logins_over_the_limit_get_429_with_retry_after() {
    let server = TestServer::start_limited(Action::Login, Some(2), Some(1)).await;
    let attempt = || server.login("nobody@example.com", "whatever1", &[]);
    let first = attempt().await;
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(first.headers()["x-ratelimit-remaining"], "1");
    assert_eq!(attempt().await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        attempt().await.status(),
        StatusCode::UNAUTHORIZED,
        "the burst allowance"
    );

    let refused = attempt().await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    assert!(refused.headers().contains_key("x-ratelimit-reset"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMIT_ERROR");

    // Other routes keep their own budget.
    assert_eq!(
        reqwest::Client::new()
            .get(server.at("/liveness"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn token_creation_is_limited_per_user() {
    let server = TestServer::start_limited(Action::TokenCreate, Some(1), Some(0)).await;
    let token = register(&server, "ada@example.com", "correct horse").await;
    let create = "mutation { apiTokenCreate(token: { name: \"t\", scopes: [\"streams:read\"] }) }";
    let first = graphql(&server, Some(&token), create, json!({})).await;
    assert!(first["data"]["apiTokenCreate"].is_string(), "{first}");
    let second = graphql(&server, Some(&token), create, json!({})).await;
    assert_eq!(error_code(&second), "RATE_LIMIT_ERROR", "{second}");
}
