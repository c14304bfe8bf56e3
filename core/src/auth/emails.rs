//! The identity e-mails, as plain text and HTML.

use crate::mail::Email;

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One call to action: a greeting, what happened, the link, and what to do if it wasn't you.
pub(crate) fn with_link(
    to: &str,
    subject: &str,
    name: &str,
    lead: &str,
    button: &str,
    url: &str,
    footer: &str,
) -> Email {
    let text = format!("Hello {name},\n\n{lead}\n\n{button}: {url}\n\n{footer}\n");
    let html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;color:#1b1f24;line-height:1.5\">\
         <p>Hello {name},</p><p>{lead}</p>\
         <p><a href=\"{url}\" style=\"display:inline-block;background:#1f5fbf;color:#ffffff;padding:10px 18px;border-radius:6px;text-decoration:none\">{button}</a></p>\
         <p style=\"color:#57606a;font-size:14px\">Or open this address: {url}</p>\
         <p style=\"color:#57606a;font-size:14px\">{footer}</p></body></html>",
        name = escape(name),
        lead = escape(lead),
        button = escape(button),
        url = escape(url),
        footer = escape(footer),
    );
    Email {
        to: to.into(),
        subject: subject.into(),
        text,
        html: Some(html),
    }
}

pub fn verify_email(to: &str, name: &str, url: &str) -> Email {
    with_link(
        to,
        "Verify your e-mail address for Fleck",
        name,
        "Please confirm that this is your e-mail address. The link works once and for seven days.",
        "Verify my e-mail address",
        url,
        "If you did not create a Fleck account, you can ignore this message.",
    )
}

pub fn reset_password(to: &str, name: &str, url: &str) -> Email {
    with_link(
        to,
        "Reset your Fleck password",
        name,
        "Someone asked to reset the password of your Fleck account. The link works once and for one hour; using it signs you out everywhere.",
        "Choose a new password",
        url,
        "If this was not you, ignore this message: your password stays as it is.",
    )
}

pub fn invitation(
    to: &str,
    inviter: &str,
    server: &str,
    message: Option<&str>,
    url: &str,
) -> Email {
    let lead = match message {
        Some(message) => format!("{inviter} invited you to join {server} on Fleck, and wrote: \"{message}\""),
        None => format!("{inviter} invited you to join {server} on Fleck, where your team shares its 3D and BIM models."),
    };
    with_link(
        to,
        &format!("{inviter} invited you to {server}"),
        "there",
        &lead,
        "Accept the invitation",
        url,
        "If you do not know who sent this, you can ignore it.",
    )
}

pub fn project_invitation(
    to: &str,
    inviter: &str,
    project: &str,
    message: Option<&str>,
    url: &str,
) -> Email {
    let lead = match message {
        Some(message) => format!(
            "{inviter} invited you to the project {project} on Fleck, and wrote: \"{message}\""
        ),
        None => format!("{inviter} invited you to work on the project {project} on Fleck."),
    };
    with_link(
        to,
        &format!("{inviter} invited you to {project}"),
        "there",
        &lead,
        "Open the invitation",
        url,
        "If you do not know who sent this, you can ignore it.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_carry_the_link_and_escape_names() {
        let email = verify_email(
            "ada@example.com",
            "Ada <script>",
            "https://fleck.example.com/auth/verifyemail?t=abc&x=1",
        );
        assert!(email
            .text
            .contains("https://fleck.example.com/auth/verifyemail?t=abc&x=1"));
        let html = email.html.unwrap();
        assert!(html.contains("Ada &lt;script&gt;"));
        assert!(html.contains("t=abc&amp;x=1"));
        assert!(!html.contains("<script>"));
    }
}
