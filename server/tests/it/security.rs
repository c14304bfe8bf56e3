//! The holes a security review found, each shown closed over HTTP as an attacker would try it:
//! token scopes and project limits that every route must honour, and what strangers may learn.

use crate::support::{
    client, error_code, graphql, graphql_error, put, register, upload_url_at, TestServer,
    INVITE_TO_PROJECT,
};
use fleck_core::auth::{flow, Actor, Scope};
use fleck_core::projects::{imports, service};
use fleck_core::Error;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct World {
    server: TestServer,
    /// The owner's web app token (every scope).
    owner: String,
    outsider: String,
}

impl World {
    async fn new() -> Self {
        let server = TestServer::start().await;
        let owner = register(&server, "owner@example.com", "password-owner").await;
        let outsider = register(&server, "outsider@example.com", "password-outsider").await;
        World {
            server,
            owner,
            outsider,
        }
    }

    async fn project(&self, visibility: &str) -> String {
        self.project_of(&self.owner, visibility).await
    }

    async fn project_of(&self, token: &str, visibility: &str) -> String {
        crate::support::create_project(&self.server, token, visibility)
            .await
            .0
    }

    /// A personal token of `email` with these scopes, limited to `projects` when given.
    async fn token(&self, email: &str, scopes: &[Scope], projects: Option<Vec<String>>) -> String {
        let token = self.server.personal_token(email, "t", scopes, projects);
        token.await
    }

    /// Runs a GraphQL document as the token's user.
    async fn ask(&self, token: &str, query: &str, variables: Value) -> Value {
        graphql(&self.server, Some(token), query, variables).await
    }

    /// Posts one batch of objects to `project` as its owner.
    async fn upload_objects(&self, project: &str, batch: String) -> reqwest::Response {
        let form = reqwest::multipart::Form::new().text("batch1", batch);
        reqwest::Client::new()
            .post(self.server.at(&format!("/objects/{project}")))
            .bearer_auth(&self.owner)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    async fn actor(&self, token: &str) -> Actor {
        Actor::User(Box::new(
            flow::authenticate(&self.server.core, token).await.unwrap(),
        ))
    }
}

// 1. A token that may only read the profile cannot mint itself an every-scope web app token.
#[tokio::test]
async fn a_profile_token_cannot_authorize_an_app() {
    let world = World::new().await;
    let narrow = world
        .token("owner@example.com", &[Scope::ProfileRead], None)
        .await;
    let response = client()
        .get(world.server.at(&format!(
            "/auth/accesscode?appId=spklwebapp&challenge=c&token={narrow}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("tokens:write"));
    // The web app's server function asks the same rule.
    let refused = flow::authorize_app(
        &world.server.core,
        &world.actor(&narrow).await,
        "spklwebapp",
        "c",
    )
    .await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
}

// 2. A token limited to one project lists and reaches only that one.
#[tokio::test]
async fn a_project_limited_token_lists_only_its_projects() {
    let world = World::new().await;
    let mine = world.project("PRIVATE").await;
    let other = world.project("PRIVATE").await;
    let limited = world
        .token(
            "owner@example.com",
            &[Scope::StreamsRead, Scope::ProfileRead],
            Some(vec![mine.clone()]),
        )
        .await;

    let listed = "{ activeUser { projects { totalCount items { id versions { totalCount } } } } }";
    let listed = world.ask(&limited, listed, json!({})).await;
    assert_eq!(
        listed["data"]["activeUser"]["projects"],
        json!({ "totalCount": 1, "items": [{ "id": mine, "versions": { "totalCount": 0 } }] }),
        "{listed}"
    );
    let legacy = "{ streams { totalCount items { id } } }";
    let legacy = world.ask(&limited, legacy, json!({})).await;
    assert_eq!(
        legacy["data"]["streams"],
        json!({ "totalCount": 1, "items": [{ "id": mine }] }),
        "{legacy}"
    );
    let direct = "query($id: String!) { project(id: $id) { id } }";
    let direct = world.ask(&limited, direct, json!({ "id": other })).await;
    assert_eq!(error_code(&direct), "FORBIDDEN", "{direct}");

    // The full token still sees both.
    let all = "{ activeUser { projects { totalCount } } }";
    let all = world.ask(&world.owner, all, json!({})).await;
    assert_eq!(all["data"]["activeUser"]["projects"]["totalCount"], 2);
}

// 3. Joining and leaving projects, and recording receipts, ask the token's scopes and limit.
#[tokio::test]
async fn membership_changes_and_receipts_need_the_tokens_scopes() {
    let world = World::new().await;
    let project = world.project("PUBLIC").await;
    let elsewhere = world.project("PRIVATE").await;
    let invite = json!({ "p": project, "i": { "email": "outsider@example.com" } });
    let invited = world.ask(&world.owner, INVITE_TO_PROJECT, invite).await;
    assert!(invited["errors"].is_null(), "{invited}");
    let core = &world.server.core;
    let invite = core
        .database()
        .projects
        .project_invites(&project)
        .await
        .unwrap()
        .pop()
        .expect("the invitation");
    let accept = async |token: String| {
        let accept = "mutation($i: ProjectInviteUseInput!) { projectMutations { invites { use(input: $i) } } }";
        let input = json!({ "i": { "projectId": project, "token": invite.token, "accept": true } });
        world.ask(&token, accept, input).await
    };
    let read_only = world
        .token("outsider@example.com", &[Scope::StreamsRead], None)
        .await;
    assert_eq!(error_code(&accept(read_only).await), "FORBIDDEN");
    let their_own = world.project_of(&world.outsider, "PRIVATE").await;
    let limited_elsewhere = world
        .token(
            "outsider@example.com",
            &[Scope::StreamsRead, Scope::StreamsWrite],
            Some(vec![their_own]),
        )
        .await;
    assert_eq!(error_code(&accept(limited_elsewhere).await), "FORBIDDEN");
    let answer = accept(world.outsider.clone()).await;
    assert!(answer["errors"].is_null(), "{answer}");

    // Leaving with a token limited to another project is refused.
    let owner_limited = world
        .token(
            "owner@example.com",
            &[Scope::StreamsRead, Scope::StreamsWrite],
            Some(vec![elsewhere.clone()]),
        )
        .await;
    let leave = "mutation($id: String!) { projectMutations { leave(id: $id) } }";
    let leave = world
        .ask(&owner_limited, leave, json!({ "id": project }))
        .await;
    assert_eq!(error_code(&leave), "FORBIDDEN", "{leave}");

    // A receipt on a public project needs streams:read and a caller.
    let objects = json!([{ "id": "0123456789abcdef0123456789abcdef", "speckle_type": "Base" }]);
    let uploaded = world.upload_objects(&project, objects.to_string()).await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let commit = "mutation($p: String!) { commitCreate(commit: {streamId: $p, branchName: \"main\", objectId: \"0123456789abcdef0123456789abcdef\"}) }";
    let version = world
        .ask(&world.owner, commit, json!({ "p": project }))
        .await["data"]["commitCreate"]
        .as_str()
        .unwrap()
        .to_string();
    let profile_only = world
        .token("outsider@example.com", &[Scope::ProfileRead], None)
        .await;
    for (query, what) in [
        (
            "mutation($p: String!, $v: String!) { versionMutations { markReceived(input: {projectId: $p, versionId: $v, sourceApplication: \"x\"}) } }",
            "markReceived",
        ),
        (
            "mutation($p: String!, $v: String!) { commitReceive(input: {streamId: $p, commitId: $v, sourceApplication: \"x\"}) }",
            "commitReceive",
        ),
    ] {
        let vars = json!({ "p": project, "v": version });
        let refused = graphql(&world.server, Some(&profile_only), query, vars.clone()).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{what}: {refused}");
        let anonymous = graphql(&world.server, None, query, vars.clone()).await;
        assert!(anonymous["errors"].is_array(), "{what}: {anonymous}");
        let allowed = world.ask(&world.outsider, query, vars).await;
        assert!(allowed["errors"].is_null(), "{what}: {allowed}");
    }
}

// 3. A token without profile:read cannot have verification mail sent (web app or GraphQL).
#[tokio::test]
async fn resending_verification_needs_the_profile_scope() {
    let world = World::new().await;
    let streams_only = world
        .token("outsider@example.com", &[Scope::StreamsRead], None)
        .await;
    let refused = fleck_core::auth::links::request_verification(
        &world.server.core,
        &world.actor(&streams_only).await,
    )
    .await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    let resend = "mutation { requestVerification }";
    let answer = world.ask(&streams_only, resend, json!({})).await;
    assert_eq!(error_code(&answer), "FORBIDDEN", "{answer}");
}

// 3. Strangers learn no branch names of private projects from legacy commit mutations.
#[tokio::test]
async fn strangers_learn_no_branch_names() {
    let world = World::new().await;
    let project = world.project("PRIVATE").await;
    for (query, vars) in [
        (
            "mutation($p: String!, $b: String!) { commitCreate(commit: {streamId: $p, branchName: $b, objectId: \"0123456789abcdef0123456789abcdef\"}) }",
            json!({ "p": project, "b": "no such branch" }),
        ),
        (
            "mutation($p: String!, $b: String!) { commitUpdate(commit: {streamId: $p, id: \"abc\", newBranchName: $b}) }",
            json!({ "p": project, "b": "no such branch" }),
        ),
    ] {
        let answer = world.ask(&world.outsider, query, vars).await;
        assert_eq!(error_code(&answer), "FORBIDDEN", "{answer}");
    }
    // Members still get the precise error.
    let commit = "mutation($p: String!) { commitCreate(commit: {streamId: $p, branchName: \"no such branch\", objectId: \"0123456789abcdef0123456789abcdef\"}) }";
    let answer = world
        .ask(&world.owner, commit, json!({ "p": project }))
        .await;
    assert_eq!(error_code(&answer), "BRANCH_NOT_FOUND", "{answer}");
}

// 3. Importing a file asks for access before looking the file up.
#[tokio::test]
async fn importing_checks_access_before_the_file() {
    let world = World::new().await;
    let project = world.project("PRIVATE").await;
    let main = world.server.main_model(&project).await;
    let request = imports::ImportRequest {
        project_id: &project,
        model_id: &main.id,
        file_id: "nosuchfile",
        etag: None,
    };
    let outsider = world.actor(&world.outsider).await;
    let refused = imports::start(&world.server.core, &outsider, request, u64::MAX).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    // Access objects are only made by the project service, after its checks.
    let listed = service::of_caller(
        &world.server.core,
        &outsider,
        Default::default(),
        fleck_core::projects::Window {
            offset: 0,
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.total, 0);
}

async fn post_graphql(server: &TestServer, body: Vec<u8>) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .post(server.at("/graphql"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

// 4. GraphQL bounds the body, the batch, the document and the cost with list sizes, and spends
// a rate-limit point per operation.
#[tokio::test]
async fn graphql_requests_are_bounded() {
    let server = TestServer::start().await;
    let huge = format!(
        r#"{{"query":"{{ serverInfo {{ name }} }}","variables":{{"x":"{}"}}}}"#,
        "a".repeat(5 * 1024 * 1024)
    );
    let (status, _) = post_graphql(&server, huge.into_bytes()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    let long_document =
        json!({ "query": format!("{{ serverInfo {{ name }} }} #{}", "x".repeat(70_000)) });
    let (status, text) = post_graphql(&server, long_document.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");

    let batch = |n: usize| {
        serde_json::to_vec(&vec![json!({ "query": "{ serverInfo { name } }" }); n]).unwrap()
    };
    let (status, text) = post_graphql(&server, batch(11)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");

    // Ten points in all (one a second, nine more a minute): a batch of ten spends them all.
    let graphql_points = fleck_core::ratelimit::Action::Graphql;
    let limited = TestServer::start_limited(graphql_points, Some(1), Some(9)).await;
    let (status, text) = post_graphql(&limited, batch(10)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let (status, text) = post_graphql(&limited, batch(2)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{text}");

    // Aliases of large pages cost their page sizes.
    let fresh = server;
    let aliases: String = (0..300)
        .map(|i| format!("a{i}: children(limit: 1000) {{ totalCount objects {{ id data }} }} "))
        .collect();
    let query = format!(
        "query($p: String!) {{ project(id: $p) {{ object(id: \"0123456789abcdef0123456789abcdef\") {{ {aliases} }} }} }}"
    );
    let answer = graphql(&fresh, None, &query, json!({ "p": "nosuchproject" })).await;
    assert!(graphql_error(&answer).contains("complex"), "{answer}");
}

// 8. An object nested deeper than readers can parse is refused at upload.
#[tokio::test]
async fn objects_too_deep_to_read_back_are_refused_at_upload() {
    let world = World::new().await;
    let project = world.project("PRIVATE").await;
    let deep = format!(
        r#"[{{"id":"0123456789abcdef0123456789abcdef","a":{}1{}}}]"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    let response = world.upload_objects(&project, deep).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("nested"));
}

// 16. Deleting a project removes its rows first, then every file it had (uploaded, pending,
// previews), and its upload links stop working.
#[tokio::test]
async fn deleting_a_project_leaves_no_files_and_no_working_links() {
    let world = World::new().await;
    let project = world.project("PRIVATE").await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"a file".to_vec()).file_name("notes.txt"),
    );
    let uploaded = reqwest::Client::new()
        .post(world.server.at(&format!("/api/stream/{project}/blob")))
        .bearer_auth(&world.owner)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let url = upload_url_at(&world.server.url, &world.owner, &project, "model.ifc").await;
    assert!(put(&url, &b"first try"[..]).await.status().is_success());
    let files = world.server.data_dir.join("blobs/assets").join(&project);
    assert!(files.read_dir().unwrap().count() >= 2, "both files stored");

    let delete = "mutation($id: String!) { projectMutations { delete(id: $id) } }";
    let deleted = world
        .ask(&world.owner, delete, json!({ "id": project }))
        .await;
    assert_eq!(
        deleted["data"]["projectMutations"]["delete"], true,
        "{deleted}"
    );
    assert_eq!(
        put(&url, &b"after the deletion"[..]).await.status(),
        StatusCode::FORBIDDEN
    );
    // The in-process worker removes the files.
    for _ in 0..100 {
        if !files.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!files.exists(), "the project's files are gone");
    assert!(world
        .server
        .core
        .database()
        .projects
        .attachments(
            &project,
            None,
            fleck_core::projects::Window {
                offset: 0,
                limit: 10
            }
        )
        .await
        .unwrap()
        .items
        .is_empty());
}
