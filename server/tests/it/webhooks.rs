//! Webhook management over GraphQL, with Speckle's names: owners create, list, update and
//! delete webhooks; the secret is never returned; other users are refused; a project has at most
//! 100; each delivery attempt shows in `Webhook.history`.

use crate::support::{
    create_bare_project, error_code, graphql, graphql_error, register, TestServer, RENAME_PROJECT,
};
use serde_json::{json, Value};

const CREATE: &str = "mutation($w: WebhookCreateInput!) { webhookCreate(webhook: $w) }";
const LIST: &str = "query($p: String!) { project(id: $p) { webhooks { totalCount items { id projectId streamId url description triggers enabled hasSecret history(limit: 5) { totalCount items { id } } } } } }";

/// A server, the owner's token, and their project's id.
async fn owner_and_project() -> (TestServer, String, String) {
    let server = TestServer::start().await;
    let owner = register(&server, "owner@example.com", "a long password 1").await;
    let project = create_bare_project(&server, &owner, json!({ "name": "hooks" })).await;
    (server, owner, project)
}

/// Creates the webhook `input` describes as `token`'s user: its id.
async fn create(server: &TestServer, token: &str, input: &Value) -> String {
    let created = graphql(server, Some(token), CREATE, json!({ "w": input })).await;
    created["data"]["webhookCreate"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string()
}

#[tokio::test]
async fn owners_manage_webhooks_and_the_secret_stays_hidden() {
    let (server, owner, p) = owner_and_project().await;
    let stranger = register(&server, "stranger@example.com", "a long password 2").await;

    let input = json!({ "streamId": p, "url": "https://hooks.example.com/fleck", "description": "CI",
                        "triggers": ["commit_create", "branch_delete"], "secret": "s3cret" });
    let id = create(&server, &owner, &input).await;

    let listed = graphql(&server, Some(&owner), LIST, json!({ "p": p })).await;
    let hooks = &listed["data"]["project"]["webhooks"];
    assert_eq!(hooks["totalCount"], 1, "{listed}");
    let hook = &hooks["items"][0];
    assert_eq!(hook["id"], id.as_str());
    assert_eq!(hook["streamId"], p.as_str());
    assert_eq!(hook["triggers"], json!(["commit_create", "branch_delete"]));
    assert_eq!(hook["hasSecret"], true);
    assert_eq!(hook["enabled"], true);
    assert_eq!(hook["history"]["totalCount"], 0);
    assert!(!listed.to_string().contains("s3cret"));

    let update = "mutation($w: WebhookUpdateInput!) { webhookUpdate(webhook: $w) }";
    let changes = json!({ "w": { "id": id, "streamId": p, "enabled": false, "secret": "", "triggers": ["stream_update"] } });
    let updated = graphql(&server, Some(&owner), update, changes).await;
    assert_eq!(updated["data"]["webhookUpdate"], id.as_str(), "{updated}");
    let legacy = graphql(
        &server,
        Some(&owner),
        "query($p: String!, $id: String) { stream(id: $p) { webhooks(id: $id) { items { enabled hasSecret triggers } } } }",
        json!({ "p": p, "id": id }),
    )
    .await;
    assert_eq!(
        legacy["data"]["stream"]["webhooks"]["items"][0],
        json!({ "enabled": false, "hasSecret": false, "triggers": ["stream_update"] }),
        "{legacy}"
    );

    // Bad input is refused with a reason; strangers are refused.
    let bad = json!({ "w": { "streamId": p, "url": "ftp://example.com", "triggers": ["commit_create"] } });
    let refused = graphql(&server, Some(&owner), CREATE, bad).await;
    assert!(graphql_error(&refused).contains("http"), "{refused}");
    let unknown =
        json!({ "w": { "streamId": p, "url": "https://example.com", "triggers": ["nope"] } });
    assert!(graphql(&server, Some(&owner), CREATE, unknown).await["errors"].is_array());
    let theirs = graphql(&server, Some(&stranger), CREATE, json!({ "w": input })).await;
    assert_eq!(error_code(&theirs), "FORBIDDEN", "{theirs}");
    let peek = graphql(&server, Some(&stranger), LIST, json!({ "p": p })).await;
    assert!(peek["errors"].is_array(), "{peek}");

    let delete = "mutation($w: WebhookDeleteInput!) { webhookDelete(webhook: $w) }";
    let deleted = graphql(
        &server,
        Some(&owner),
        delete,
        json!({ "w": { "id": id, "streamId": p } }),
    )
    .await;
    assert_eq!(deleted["data"]["webhookDelete"], id.as_str(), "{deleted}");
    let listed = graphql(&server, Some(&owner), LIST, json!({ "p": p })).await;
    assert_eq!(listed["data"]["project"]["webhooks"]["totalCount"], 0);
}

#[tokio::test]
async fn a_project_has_at_most_a_hundred_webhooks() {
    let (server, owner, p) = owner_and_project().await;
    // One document, the mutations run one after another.
    let creates: String = (0..100)
        .map(|n| {
            format!(
                "h{n}: webhookCreate(webhook: {{streamId: \"{p}\", url: \"https://hooks.example.com/{n}\", triggers: [\"commit_create\"]}}) "
            )
        })
        .collect();
    let created = graphql(
        &server,
        Some(&owner),
        &format!("mutation {{ {creates} }}"),
        json!({}),
    )
    .await;
    assert!(created["errors"].is_null(), "{created}");
    let one_more = json!({ "w": { "streamId": p, "url": "https://hooks.example.com/x", "triggers": ["commit_create"] } });
    let refused = graphql(&server, Some(&owner), CREATE, one_more).await;
    assert!(graphql_error(&refused).contains("at most 100"), "{refused}");
    let listed = graphql(&server, Some(&owner), LIST, json!({ "p": p })).await;
    assert_eq!(listed["data"]["project"]["webhooks"]["totalCount"], 100);
}

#[tokio::test]
async fn the_history_shows_each_event_and_its_attempts() {
    let (server, owner, p) = owner_and_project().await;
    // Nothing listens on the discard port of loopback: whether loopback is allowed or not, the
    // attempt cannot deliver.
    let input = json!({ "streamId": p, "url": "http://127.0.0.1:9/hook", "triggers": ["stream_update"], "secret": "s3cret" });
    let id = create(&server, &owner, &input).await;
    let rename = json!({ "id": p, "n": "renamed" });
    let renamed = graphql(&server, Some(&owner), RENAME_PROJECT, rename).await;
    assert!(renamed["errors"].is_null(), "{renamed}");

    let history = "query($p: String!, $id: String) { project(id: $p) { webhooks(id: $id) { items { history(limit: 10) { totalCount items { id webhookId status statusInfo retryCount lastUpdate payload responseCode attempts { attempt responseCode error startedAt durationMs } } } } } } }";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let event = loop {
        let answer = graphql(&server, Some(&owner), history, json!({ "p": p, "id": id })).await;
        let hook = &answer["data"]["project"]["webhooks"]["items"][0];
        let event = hook["history"]["items"][0].clone();
        if event["attempts"].as_array().is_some_and(|a| !a.is_empty()) {
            assert_eq!(hook["history"]["totalCount"], 1, "{answer}");
            break event;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no attempt recorded: {answer}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(event["webhookId"], id.as_str());
    assert_ne!(event["status"], 2, "{event}");
    let attempt = &event["attempts"][0];
    assert_eq!(attempt["attempt"], 1);
    assert!(attempt["responseCode"].is_null());
    assert!(
        attempt["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{event}"
    );
    let payload: Value = serde_json::from_str(event["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["event"]["event_name"], "stream_update");
    assert_eq!(payload["stream"]["name"], "renamed");
    assert_eq!(payload["webhook"]["id"], id.as_str());
    assert!(
        !event.to_string().contains("s3cret"),
        "the secret stays hidden"
    );
    assert!(payload["user"].get("email").is_none());
}
