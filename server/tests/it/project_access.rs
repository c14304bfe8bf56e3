//! Who may do what to a project, over HTTP: every caller × every project action, through the
//! GraphQL and REST endpoints clients use, against the expected table. The same decisions are
//! unit-tested in `core/tests/it/permission_matrix.rs`; this checks that every endpoint asks them.

use std::io::Write;

use crate::support::{
    graphql, register, TempDatabase, TestServer, INVITE_TO_PROJECT, RENAME_PROJECT,
};
use fleck_core::auth::Scope;
use fleck_core::authz::ProjectRole;
use fleck_core::users::ServerRole;
use serde_json::{json, Value};

const OBJECT_ID: &str = "0123456789abcdef0123456789abcdef";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Outsider,
    /// A server guest who is a contributor.
    Guest,
    Reviewer,
    Contributor,
    Owner,
    /// A server admin who is not a member.
    Admin,
    /// The owner's token with `streams:read` only.
    ReadOnlyToken,
    /// The owner's token limited to another project.
    OtherProjectToken,
    /// The owner's token after revocation.
    RevokedToken,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    Read,
    Download,
    Upload,
    CreateModel,
    CreateVersion,
    Update,
    Invite,
    Delete,
}

const CALLERS: [Caller; 10] = [
    Caller::Anonymous,
    Caller::Outsider,
    Caller::Guest,
    Caller::Reviewer,
    Caller::Contributor,
    Caller::Owner,
    Caller::Admin,
    Caller::ReadOnlyToken,
    Caller::OtherProjectToken,
    Caller::RevokedToken,
];

const CHECKS: [Check; 8] = [
    Check::Read,
    Check::Download,
    Check::Upload,
    Check::CreateModel,
    Check::CreateVersion,
    Check::Update,
    Check::Invite,
    Check::Delete,
];

/// The expected answer on a private project.
fn allowed_private(caller: Caller, check: Check) -> bool {
    use Caller::*;
    use Check::*;
    match caller {
        Owner => true,
        Contributor | Guest => matches!(
            check,
            Read | Download | Upload | CreateModel | CreateVersion
        ),
        Reviewer | ReadOnlyToken => matches!(check, Read | Download),
        // Admins moderate: they may delete any project, but not read private ones.
        Admin => check == Delete,
        Anonymous | Outsider | OtherProjectToken | RevokedToken => false,
    }
}

/// On a public project everyone may also read and download, except with a refused token.
fn allowed_public(caller: Caller, check: Check) -> bool {
    allowed_private(caller, check)
        || (matches!(check, Check::Read | Check::Download) && caller != Caller::RevokedToken)
}

struct World {
    server: TestServer,
    tokens: Vec<(Caller, Option<String>)>,
    members: Vec<(String, ProjectRole)>,
}

impl World {
    async fn new(server: TestServer) -> Self {
        let admin = register(&server, "admin@example.com", "password-admin").await;
        let owner = register(&server, "owner@example.com", "password-owner").await;
        let outsider = register(&server, "outsider@example.com", "password-outsider").await;
        let guest = register(&server, "guest@example.com", "password-guest").await;
        let reviewer = register(&server, "reviewer@example.com", "password-reviewer").await;
        let contributor =
            register(&server, "contributor@example.com", "password-contributor").await;
        let core = &server.core;
        let guest_user = server.user("guest@example.com").await;
        core.database()
            .store
            .set_server_role(&guest_user.id, ServerRole::Guest)
            .await
            .unwrap();
        let (other_project, _) = crate::support::create_project(&server, &owner, "PRIVATE").await;
        let owner_token = async |name: &str, scopes: &[Scope], projects| {
            let token = server.personal_token("owner@example.com", name, scopes, projects);
            token.await
        };
        let read_only = [Scope::StreamsRead, Scope::ProfileRead];
        let read_only = owner_token("read only", &read_only, None).await;
        let limited = [Scope::StreamsRead, Scope::StreamsWrite, Scope::UsersInvite];
        let limited = owner_token("other project", &limited, Some(vec![other_project])).await;
        let revoked = [Scope::StreamsRead, Scope::StreamsWrite];
        let revoked = owner_token("revoked", &revoked, None).await;
        core.database()
            .auth
            .delete_api_token(&revoked[..10])
            .await
            .unwrap();
        let members = vec![
            (guest_user.id, ProjectRole::Contributor),
            (
                server.user("reviewer@example.com").await.id,
                ProjectRole::Reviewer,
            ),
            (
                server.user("contributor@example.com").await.id,
                ProjectRole::Contributor,
            ),
        ];
        World {
            server,
            tokens: vec![
                (Caller::Anonymous, None),
                (Caller::Outsider, Some(outsider)),
                (Caller::Guest, Some(guest)),
                (Caller::Reviewer, Some(reviewer)),
                (Caller::Contributor, Some(contributor)),
                (Caller::Owner, Some(owner)),
                (Caller::Admin, Some(admin)),
                (Caller::ReadOnlyToken, Some(read_only)),
                (Caller::OtherProjectToken, Some(limited)),
                (Caller::RevokedToken, Some(revoked)),
            ],
            members,
        }
    }

    fn token(&self, caller: Caller) -> Option<&str> {
        self.tokens
            .iter()
            .find(|(c, _)| *c == caller)
            .and_then(|(_, t)| t.as_deref())
    }

    /// A project owned by the owner, with its members and one uploaded object.
    async fn project(&self, visibility: &str) -> String {
        let owner = self.token(Caller::Owner).unwrap();
        let (id, _) = crate::support::create_project(&self.server, owner, visibility).await;
        for (user, role) in &self.members {
            self.server
                .core
                .database()
                .projects
                .set_member(&id, user, *role)
                .await
                .unwrap();
        }
        assert_eq!(upload(&self.server, Some(owner), &id).await, 201);
        id
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn upload(server: &TestServer, token: Option<&str>, project: &str) -> u16 {
    let batch = format!(r#"[{{"id":"{OBJECT_ID}","speckle_type":"Base"}}]"#);
    let part = reqwest::multipart::Part::bytes(gzip(batch.as_bytes()))
        .file_name("batch-1")
        .mime_str("application/gzip")
        .unwrap();
    let mut request = reqwest::Client::new()
        .post(server.at(&format!("/objects/{project}")))
        .multipart(reqwest::multipart::Form::new().part("batch-1", part));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

async fn download(server: &TestServer, token: Option<&str>, project: &str) -> u16 {
    let mut request =
        reqwest::Client::new().get(server.at(&format!("/objects/{project}/{OBJECT_ID}/single")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Whether a GraphQL answer carries data without errors (a refused token gets a plain 403 body).
fn succeeded(answer: &Value) -> bool {
    answer.get("errors").is_none() && answer.get("error").is_none() && !answer["data"].is_null()
}

async fn attempt(world: &World, caller: Caller, check: Check, project: &str) -> bool {
    let server = &world.server;
    let token = world.token(caller);
    let gql = |query: &'static str, variables: Value| graphql(server, token, query, variables);
    match check {
        Check::Read => succeeded(
            &gql("query($id: String!) { project(id: $id) { id name } }", json!({ "id": project }))
                .await,
        ),
        Check::Download => download(server, token, project).await == 200,
        Check::Upload => upload(server, token, project).await == 201,
        Check::CreateModel => succeeded(
            &gql(
                "mutation($p: ID!) { modelMutations { create(input: {projectId: $p, name: \"new\"}) { id } } }",
                json!({ "p": project }),
            )
            .await,
        ),
        Check::CreateVersion => {
            let main = world.server.main_model(project).await;
            succeeded(
                &gql(
                    "mutation($p: String!, $m: String!, $o: String!) { versionMutations { create(input: {projectId: $p, modelId: $m, objectId: $o}) { id } } }",
                    json!({ "p": project, "m": main.id, "o": OBJECT_ID }),
                )
                .await,
            )
        }
        Check::Update => {
            succeeded(&gql(RENAME_PROJECT, json!({ "id": project, "n": "renamed" })).await)
        }
        Check::Invite => {
            let invite = json!({ "p": project, "i": { "email": "new@example.com" } });
            succeeded(&gql(INVITE_TO_PROJECT, invite).await)
        }
        Check::Delete => succeeded(
            &gql(
                "mutation($id: String!) { projectMutations { delete(id: $id) } }",
                json!({ "id": project }),
            )
            .await,
        ),
    }
}

async fn matrix(server: TestServer) {
    let world = World::new(server).await;
    let mut wrong = Vec::new();
    for (visibility, expected) in [
        ("PRIVATE", allowed_private as fn(Caller, Check) -> bool),
        ("PUBLIC", allowed_public),
    ] {
        for caller in CALLERS {
            // One project per caller, deleted last, so every check sees the same starting point.
            let project = world.project(visibility).await;
            for check in CHECKS {
                let project = if check == Check::Delete {
                    world.project(visibility).await
                } else {
                    project.clone()
                };
                let allowed = attempt(&world, caller, check, &project).await;
                if allowed != expected(caller, check) {
                    wrong.push(format!(
                        "{visibility} {caller:?} {check:?}: allowed={allowed}, expected={}",
                        expected(caller, check)
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "unexpected answers:\n{}",
        wrong.join("\n")
    );
}

#[tokio::test]
async fn every_project_endpoint_asks_authz_on_sqlite() {
    matrix(TestServer::start().await).await;
}

#[tokio::test]
async fn every_project_endpoint_asks_authz_on_postgres() {
    let Some(database) = TempDatabase::create("fleck_s_").await else {
        return;
    };
    let url = database.url.clone();
    matrix(
        TestServer::start_with(|mut config| {
            config.database_url = url;
            config
        })
        .await,
    )
    .await;
    database.drop_database().await;
}
