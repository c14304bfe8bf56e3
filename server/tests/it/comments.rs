//! Comment threads over HTTP: a reviewer's reply mails the thread's author through the job
//! queue and the workers, both show in the project's activity (which webhooks are fed from),
//! anonymous callers get Speckle's codes, and pages are held to their bound.

use crate::support::{create_bare_project, graphql, register, user_id, TestServer};
use fleck_core::authz::ProjectRole;
use fleck_core::testing;
use serde_json::{json, Value};

#[tokio::test]
async fn a_reply_mails_the_thread_author_and_both_are_in_the_activity() {
    let server = TestServer::start().await;
    let owner = register(&server, "owner@example.com", "correct horse").await;
    let reviewer = register(&server, "reviewer@example.com", "correct horse").await;
    let (project, model) = crate::support::create_project(&server, &owner, "PRIVATE").await;
    let owner_id = user_id(&server, &owner).await;
    let version = testing::version(&project, &model, &"0".repeat(32), &owner_id);
    server
        .core
        .database()
        .projects
        .create_version(&version)
        .await
        .unwrap();
    server
        .core
        .database()
        .projects
        .set_member(
            &project,
            &user_id(&server, &reviewer).await,
            ProjectRole::Reviewer,
        )
        .await
        .unwrap();

    let doc = |text: &str| json!({ "type": "doc", "content": [{ "type": "paragraph", "content": [{ "type": "text", "text": text }] }] });
    let thread = graphql(
        &server,
        Some(&owner),
        "mutation($i: CreateCommentInput!) { commentMutations { create(input: $i) { id viewerResources { versionId } } } }",
        json!({ "i": {
            "projectId": project, "resourceIdString": model,
            "content": { "doc": doc("Is this wall right?") },
            "viewerState": { "ui": { "camera": { "position": [1, 2, 3] } } },
        } }),
    )
    .await;
    let thread_id = thread["data"]["commentMutations"]["create"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{thread}"))
        .to_string();
    assert_eq!(
        thread["data"]["commentMutations"]["create"]["viewerResources"][0]["versionId"],
        json!(version.id)
    );
    let reply = graphql(
        &server,
        Some(&reviewer),
        "mutation($i: CreateCommentReplyInput!) { commentMutations { reply(input: $i) { id } } }",
        json!({ "i": { "projectId": project, "threadId": thread_id, "content": { "doc": doc("Move it 2 m") } } }),
    )
    .await;
    assert!(reply["errors"].is_null(), "{reply}");

    // The owner's outbox also holds their address verification; wait for the reply's mail.
    let mut replies = Vec::new();
    for _ in 0..50 {
        replies = server
            .mail_to("owner@example.com")
            .await
            .into_iter()
            .filter(|m| m.contains("replied"))
            // Undo quoted-printable's soft line breaks and escaped `=`.
            .map(|m| {
                m.replace("=\r\n", "")
                    .replace("=\n", "")
                    .replace("=3D", "=")
            })
            .collect();
        if !replies.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(replies.len(), 1, "one mail to the thread's author");
    assert!(replies[0].contains("Move it 2 m"), "{}", replies[0]);
    assert!(
        replies[0].contains(&format!("/projects/{project}/models/{model}")),
        "{}",
        replies[0]
    );

    let activity = "query($p: String!) { project(id: $p) { activity { items { actionType resourceType resourceId } } } }";
    let activity = graphql(&server, Some(&owner), activity, json!({ "p": project })).await;
    let actions: Vec<&str> = activity["data"]["project"]["activity"]["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{activity}"))
        .iter()
        .map(|a| a["actionType"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"comment_created"), "{actions:?}");
    assert!(actions.contains(&"comment_replied"), "{actions:?}");
}

#[tokio::test]
async fn anonymous_callers_and_oversized_pages_get_speckles_answers() {
    let server = TestServer::start().await;
    let owner = register(&server, "owner@example.com", "correct horse").await;
    let open = json!({ "name": "Open", "visibility": "PUBLIC" });
    let project = create_bare_project(&server, &owner, open).await;
    let anonymous = graphql(
        &server,
        None,
        "mutation { commentMutations { markViewed(input: {projectId: \"x\", commentId: \"y\"}) } }",
        json!({}),
    )
    .await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{anonymous}"
    );
    // Anyone reads a public project's (empty) thread list; a page is at most 100 long.
    let listed: Value = graphql(
        &server,
        None,
        "query($p: String!) { project(id: $p) { commentThreads(limit: 100000) { totalCount totalArchivedCount cursor items { id } } } }",
        json!({ "p": project }),
    )
    .await;
    assert_eq!(
        listed["data"]["project"]["commentThreads"],
        json!({ "totalCount": 0, "totalArchivedCount": 0, "cursor": null, "items": [] }),
        "{listed}"
    );
    let bad = graphql(
        &server,
        Some(&owner),
        "mutation($i: CreateCommentInput!) { commentMutations { create(input: $i) { id } } }",
        json!({ "i": { "projectId": project, "resourceIdString": "not an id", "content": { "doc": { "type": "doc" } } } }),
    )
    .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{bad}"
    );
}
