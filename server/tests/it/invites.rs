//! Server invitations: mailed links that let people register, with the role they were given.

use crate::support::{
    create_bare_project, error_code as code, graphql, mailed_token, register, server_invite,
    TestServer, INVITE_TO_PROJECT,
};
use serde_json::{json, Value};

const BY_TOKEN: &str =
    "query($token: String) { serverInviteByToken(token: $token) { id email invitedBy { name } } }";

/// Lets only invited people register.
async fn close_registration(server: &TestServer, admin: &str) {
    let close = "mutation { serverInfoUpdate(info: { name: \"Fleck\", inviteOnly: true }) }";
    graphql(server, Some(admin), close, json!({})).await;
}

/// The invitation tokens in the mails to `to`, in no particular order.
async fn invite_tokens(server: &TestServer, to: &str) -> Vec<String> {
    let mails = server.mail_to(to).await;
    let tokens = mails
        .iter()
        .map(|mail| mailed_token(mail, "/authn/register?token="));
    tokens.map(|token| token.expect("a sign-up link")).collect()
}

/// The token of the one invitation mailed to `to`.
async fn invite_token(server: &TestServer, to: &str) -> String {
    let tokens = invite_tokens(server, to).await;
    assert_eq!(tokens.len(), 1, "one invitation to {to}");
    tokens[0].clone()
}

async fn sign_up(server: &TestServer, email: &str, token: Option<&str>) -> reqwest::Response {
    let query = match token {
        Some(token) => format!("challenge=c&token={token}"),
        None => "challenge=c".into(),
    };
    let fields = [
        ("email", email),
        ("password", "correct horse"),
        ("name", "Invited"),
    ];
    server.sign_up(&query, &fields).await
}

#[tokio::test]
async fn an_invitation_opens_an_invite_only_server() {
    let server = TestServer::start().await;
    let admin = register(&server, "admin@example.com", "correct horse").await;
    close_registration(&server, &admin).await;

    let sent = server_invite(
        &server,
        &admin,
        json!({ "email": "Bob@Example.com", "message": "Join us" }),
    )
    .await;
    assert_eq!(sent["data"]["serverInviteCreate"], true, "{sent}");
    let token = invite_token(&server, "bob@example.com").await;

    let found = graphql(&server, None, BY_TOKEN, json!({ "token": token })).await;
    assert_eq!(
        found["data"]["serverInviteByToken"]["email"],
        "bob@example.com"
    );
    assert_eq!(
        found["data"]["serverInviteByToken"]["invitedBy"]["name"],
        "Test User"
    );
    let unknown = graphql(&server, None, BY_TOKEN, json!({ "token": "x".repeat(32) })).await;
    assert_eq!(unknown["data"]["serverInviteByToken"], Value::Null);

    assert_eq!(
        sign_up(&server, "eve@example.com", None).await.status(),
        403
    );
    assert_eq!(
        sign_up(&server, "eve@example.com", Some(&token))
            .await
            .status(),
        400,
        "another address"
    );
    let joined = sign_up(&server, "bob@example.com", Some(&token)).await;
    assert_eq!(joined.status(), 302);

    let bob = server.user("bob@example.com").await;
    assert!(bob.verified, "the invitation proved the address");
    assert_eq!(bob.role.as_str(), "server:user");
    let used = graphql(&server, None, BY_TOKEN, json!({ "token": token })).await;
    assert_eq!(
        used["data"]["serverInviteByToken"],
        Value::Null,
        "an invitation works once"
    );
}

#[tokio::test]
async fn invitations_follow_the_role_rules() {
    let server = TestServer::start().await;
    let admin = register(&server, "admin@example.com", "correct horse").await;
    let user = register(&server, "user@example.com", "correct horse").await;

    let refusals = [
        (
            "admin by user",
            &user,
            json!({ "email": "x@example.com", "serverRole": "server:admin" }),
            "FORBIDDEN",
        ),
        (
            "guest without guest mode",
            &admin,
            json!({ "email": "g@example.com", "serverRole": "server:guest" }),
            "BAD_USER_INPUT",
        ),
        (
            "existing",
            &admin,
            json!({ "email": "user@example.com" }),
            "CONFLICT",
        ),
    ];
    for (case, token, input, expected) in refusals {
        let refused = server_invite(&server, token, input).await;
        assert_eq!(code(&refused), expected, "{case}: {refused}");
    }
    let admin_by_admin = server_invite(
        &server,
        &admin,
        json!({ "email": "boss@example.com", "serverRole": "server:admin" }),
    )
    .await;
    assert_eq!(admin_by_admin["data"]["serverInviteCreate"], true);
    let token = invite_token(&server, "boss@example.com").await;
    sign_up(&server, "boss@example.com", Some(&token)).await;
    let boss = server.user("boss@example.com").await;
    assert_eq!(boss.role.as_str(), "server:admin");
}

#[tokio::test]
async fn inviters_resend_and_cancel_their_invitations() {
    let server = TestServer::start().await;
    let admin = register(&server, "admin@example.com", "correct horse").await;
    let user = register(&server, "user@example.com", "correct horse").await;
    let other = register(&server, "other@example.com", "correct horse").await;
    server_invite(&server, &user, json!({ "email": "carol@example.com" })).await;
    let first = invite_token(&server, "carol@example.com").await;
    let id = graphql(&server, None, BY_TOKEN, json!({ "token": first })).await["data"]
        ["serverInviteByToken"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let resend = "mutation($id: String!) { inviteResend(inviteId: $id) }";
    let resent = graphql(&server, Some(&user), resend, json!({ "id": id })).await;
    assert_eq!(resent["data"]["inviteResend"], true, "{resent}");
    let mut second = None;
    for _ in 0..50 {
        second = invite_tokens(&server, "carol@example.com")
            .await
            .into_iter()
            .find(|t| *t != first);
        if second.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let second = second.expect("a second mail with a new link");
    let old = graphql(&server, None, BY_TOKEN, json!({ "token": first })).await;
    assert_eq!(
        old["data"]["serverInviteByToken"],
        Value::Null,
        "the old link stopped working"
    );

    let delete = "mutation($id: String!) { inviteDelete(inviteId: $id) }";
    assert_eq!(
        code(&graphql(&server, Some(&other), delete, json!({ "id": id })).await),
        "FORBIDDEN"
    );
    let deleted = graphql(&server, Some(&admin), delete, json!({ "id": id })).await;
    assert_eq!(deleted["data"]["inviteDelete"], true);
    let gone = graphql(&server, None, BY_TOKEN, json!({ "token": second })).await;
    assert_eq!(gone["data"]["serverInviteByToken"], Value::Null);
}

#[tokio::test]
async fn a_project_invitation_by_email_signs_up_and_joins_on_an_invite_only_server() {
    let server = TestServer::start().await;
    let owner = register(&server, "owner@example.com", "correct horse").await;
    close_registration(&server, &owner).await;
    let project = create_bare_project(&server, &owner, json!({ "name": "Tower" })).await;
    let invite =
        json!({ "p": project, "i": { "email": "Carol@Example.com", "role": "stream:reviewer" } });
    let invited = graphql(&server, Some(&owner), INVITE_TO_PROJECT, invite).await;
    assert_eq!(
        invited["data"]["projectMutations"]["invites"]["create"]["invitedTeam"][0]["title"],
        "carol@example.com",
        "{invited}"
    );

    // The mailed link signs Carol up (invite-only as the server is) and makes her a reviewer.
    let token = invite_token(&server, "carol@example.com").await;
    assert_eq!(
        sign_up(&server, "mallory@example.com", Some(&token))
            .await
            .status(),
        400,
        "only the invited address may use the link"
    );
    assert_eq!(
        sign_up(&server, "carol@example.com", Some(&token))
            .await
            .status(),
        302
    );
    let carol = server.user("carol@example.com").await;
    assert!(carol.verified, "the invitation reached her address");
    assert_eq!(
        server
            .core
            .database()
            .projects
            .role_of(&project, &carol.id)
            .await
            .unwrap(),
        Some(fleck_core::authz::ProjectRole::Reviewer)
    );
    assert!(
        server
            .core
            .database()
            .projects
            .project_invites(&project)
            .await
            .unwrap()
            .is_empty(),
        "the invitation is used up"
    );
}
