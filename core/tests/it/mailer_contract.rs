//! The `Mailer` contract, run unchanged against the `.eml` outbox and SMTP (with maildev as the
//! server, read back through its API).

use crate::support::{unique_address, Mailbox, Received, TestMailer, MAIL_FROM};
use fleck_core::mail::Email;
use fleck_core::Error;

crate::support::contract_tests! {
    implementations: [outbox => crate::support::outbox_mailer, smtp => crate::support::smtp_mailer],
    contracts: [
        mailer_sends_plain_text,
        mailer_sends_html_with_a_text_alternative,
        mailer_keeps_messages_apart,
        mailer_rejects_invalid_recipients,
    ],
}

/// Mail clients and servers may turn `\n` into `\r\n` and add or drop a final line break.
fn normalized(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end().to_string()
}

/// The single message `address` received.
async fn only_message_to(mail: &TestMailer, address: &str) -> Received {
    let mut messages = mail.probe.messages_to(address, 1).await;
    assert_eq!(messages.len(), 1, "messages to {address}: {messages:#?}");
    messages.remove(0)
}

fn assert_from_us(message: &Received) {
    let address = MAIL_FROM.split(['<', '>']).nth(1).unwrap();
    assert_eq!(
        message
            .from
            .iter()
            .map(|m| m.address.as_str())
            .collect::<Vec<_>>(),
        [address],
        "sender"
    );
}

async fn mailer_sends_plain_text(mail: TestMailer) {
    let address = unique_address("ada");
    // Non-ASCII text and a long line make the transport encode the body.
    let text = format!(
        "Hello Ada,\n\nGrace invited you to the project \"Tower – Level 3\" (größer als gedacht).\n{}\n",
        "A long line that has to be wrapped or encoded by the mailer. ".repeat(3)
    );
    let email = Email {
        to: format!("Ada Lovelace <{address}>"),
        subject: "You were invited to Tower – Level 3".into(),
        text: text.clone(),
        html: None,
    };
    mail.mailer.send(&email).await.unwrap();

    let received = only_message_to(&mail, &address).await;
    assert_eq!(
        received.to,
        [Mailbox {
            address: address.clone(),
            name: Some("Ada Lovelace".into())
        }]
    );
    assert_from_us(&received);
    assert_eq!(received.subject, email.subject);
    assert_eq!(normalized(&received.text), normalized(&text));
    assert_eq!(received.html, None, "a plain e-mail has no HTML part");
}

async fn mailer_sends_html_with_a_text_alternative(mail: TestMailer) {
    let address = unique_address("grace");
    let html = "<p>Your model <b>Tower</b> has a new version.</p>\n<p><a href=\"https://fleck.example/p/1\">Open it</a></p>";
    let email = Email {
        to: address.clone(),
        subject: "New version of Tower".into(),
        text: "Your model Tower has a new version: https://fleck.example/p/1".into(),
        html: Some(html.into()),
    };
    mail.mailer.send(&email).await.unwrap();

    let received = only_message_to(&mail, &address).await;
    assert_eq!(received.to.len(), 1);
    assert_eq!(received.to[0].address, address);
    assert_from_us(&received);
    assert_eq!(received.subject, email.subject);
    assert_eq!(normalized(&received.text), normalized(&email.text));
    let received_html = received.html.expect("an HTML part");
    assert_eq!(normalized(&received_html), normalized(html));
}

async fn mailer_keeps_messages_apart(mail: TestMailer) {
    let (ada, grace) = (unique_address("ada"), unique_address("grace"));
    for (to, n) in [(&ada, 1), (&grace, 2), (&ada, 3)] {
        let email = Email {
            to: to.clone(),
            subject: format!("Digest {n}"),
            text: format!("Digest number {n}"),
            html: None,
        };
        mail.mailer.send(&email).await.unwrap();
    }

    let mut to_ada: Vec<String> = mail
        .probe
        .messages_to(&ada, 2)
        .await
        .into_iter()
        .map(|m| format!("{}: {}", m.subject, normalized(&m.text)))
        .collect();
    to_ada.sort();
    assert_eq!(
        to_ada,
        ["Digest 1: Digest number 1", "Digest 3: Digest number 3"]
    );
    let to_grace = only_message_to(&mail, &grace).await;
    assert_eq!(to_grace.subject, "Digest 2");
}

async fn mailer_rejects_invalid_recipients(mail: TestMailer) {
    for to in [
        "",
        "not an address",
        "ada@",
        "@example.com",
        "Ada <ada@example.com",
    ] {
        let email = Email {
            to: to.into(),
            subject: "Never sent".into(),
            text: "Never sent".into(),
            html: None,
        };
        match mail.mailer.send(&email).await {
            Err(Error::Invalid { field, .. }) => assert_eq!(field, "to", "recipient {to:?}"),
            other => panic!("recipient {to:?}: expected Error::Invalid, got {other:?}"),
        }
    }
}
