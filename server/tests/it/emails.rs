//! E-mail verification and password reset, end to end: the mail goes through the job queue to
//! the outbox, and its link does what it says, once.

use crate::support::{active_user_status, client, graphql, register, unfold_mail, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The first link in a mail's plain-text part that starts with `prefix`.
fn link(mail: &str, prefix: &str) -> String {
    let unwrapped = unfold_mail(mail);
    let start = unwrapped
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in:\n{mail}"));
    unwrapped[start..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_string()
}

async fn verified(server: &TestServer, token: &str) -> Value {
    let body = graphql(
        server,
        Some(token),
        "{ activeUser { verified } }",
        json!({}),
    )
    .await;
    body["data"]["activeUser"]["verified"].clone()
}

#[tokio::test]
async fn registration_mails_a_verification_link_that_can_be_opened_again() {
    let server = TestServer::start().await;
    let token = register(&server, "ada@example.com", "correct horse").await;
    assert_eq!(verified(&server, &token).await, false);

    let mails = server.mail_to("ada@example.com").await;
    assert_eq!(mails.len(), 1, "one verification mail");
    assert!(mails[0].contains("Subject: Verify your e-mail address for Fleck"));
    assert!(mails[0].contains("text/html"), "an HTML part too");
    let url = link(&mails[0], &format!("{}/auth/verifyemail?t=", server.url));

    let used = client().get(&url).send().await.unwrap();
    assert_eq!(used.status(), StatusCode::FOUND);
    assert!(used.headers()["location"]
        .to_str()
        .unwrap()
        .contains("emailverifiedstatus=true"));
    assert_eq!(verified(&server, &token).await, true);

    // Opened a second time (by the user, or first by a mail scanner), it still says verified.
    let again = client().get(&url).send().await.unwrap();
    assert!(again.headers()["location"]
        .to_str()
        .unwrap()
        .contains("emailverifiedstatus=true"));
}

#[tokio::test]
async fn a_new_verification_link_replaces_the_old_one() {
    let server = TestServer::start().await;
    let token = register(&server, "ada@example.com", "correct horse").await;
    let first = link(
        &server.mail_to("ada@example.com").await[0],
        &format!("{}/auth/verifyemail?t=", server.url),
    );

    let resend = "mutation { requestVerification }";
    let resend = graphql(&server, Some(&token), resend, json!({})).await;
    assert_eq!(resend["data"]["requestVerification"], true, "{resend}");
    let mut mails = Vec::new();
    for _ in 0..50 {
        mails = server.mail_to("ada@example.com").await;
        if mails.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 2);
    let old = client().get(&first).send().await.unwrap();
    assert!(old.headers()["location"]
        .to_str()
        .unwrap()
        .contains("emailverifiederror="));
    assert_eq!(verified(&server, &token).await, false);
}

#[tokio::test]
async fn password_reset_sets_a_new_password_and_ends_sessions() {
    let server = TestServer::start().await;
    let token = register(&server, "ada@example.com", "correct horse").await;

    // Unknown addresses get the same answer and no mail.
    for email in ["ada@example.com", "nobody@example.com"] {
        let response = server
            .post_json("/auth/pwdreset/request", json!({ "email": email }))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), "Password reset email sent.");
    }
    assert!(server.mail_to("nobody@example.com").await.is_empty());

    let mails = server.mail_to("ada@example.com").await;
    let reset = mails
        .iter()
        .find(|m| m.contains("Subject: Reset your Fleck password"))
        .expect("a reset mail");
    let url = link(
        reset,
        &format!("{}/authn/reset-password?token=", server.url),
    );
    let reset_token = url.split("token=").nth(1).unwrap().to_string();

    let finalize = async |password: &str| {
        let body = json!({ "tokenId": reset_token, "password": password });
        server.post_json("/auth/pwdreset/finalize", body).await
    };
    assert_eq!(finalize("short").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(finalize("battery staple").await.status(), StatusCode::OK);

    // Every earlier session ended…
    assert_eq!(
        active_user_status(&server, &token).await,
        StatusCode::FORBIDDEN
    );
    // …the new password works and the old one does not…
    for (password, status) in [
        ("battery staple", StatusCode::FOUND),
        ("correct horse", StatusCode::UNAUTHORIZED),
    ] {
        let login = server.login("ada@example.com", password, &[]).await;
        assert_eq!(login.status(), status, "{password}");
    }
    // …and the link works once.
    assert_eq!(
        finalize("another password").await.status(),
        StatusCode::BAD_REQUEST
    );
}
