//! `Mailer`: transactional e-mail. `.eml` files in an outbox folder by default, SMTP in production.
//! Requests never send mail themselves: they enqueue a `mail` job (`Email::enqueue`), and a
//! worker sends it, so a slow mail server never holds up a request.

pub mod outbox;
pub mod smtp;

use async_trait::async_trait;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use serde::{Deserialize, Serialize};

use crate::error::{Context, Error, Result};
use crate::queue::{Jobs, NewJob};

/// The job kind that delivers an `Email`.
pub const MAIL_JOB: &str = "mail";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

impl Email {
    /// Queues the e-mail for a worker to send.
    pub async fn enqueue(&self, jobs: &Jobs) -> Result<i64> {
        let payload = serde_json::to_value(self).context(|| "encoding an e-mail".into())?;
        jobs.enqueue(NewJob::new(MAIL_JOB, payload)).await
    }

    /// The RFC 5322 message, with a plain-text part and, when given, an HTML alternative.
    pub fn to_message(&self, from: &Mailbox) -> Result<Message> {
        let to: Mailbox = self
            .to
            .parse()
            .map_err(|e| Error::invalid("to", format!("{:?}: {e}", self.to)))?;
        let builder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&self.subject);
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(self.text.clone());
        let message = match &self.html {
            Some(html) => builder.multipart(
                MultiPart::alternative().singlepart(text).singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.clone()),
                ),
            ),
            None => builder.singlepart(text),
        };
        message.context(|| "building an e-mail".into())
    }
}

/// Parses `MAIL_FROM` (`Name <address>` or a bare address).
pub fn parse_from(raw: &str) -> Result<Mailbox> {
    raw.parse()
        .map_err(|e| Error::invalid("MAIL_FROM", format!("{raw:?} is not a mailbox: {e}")))
}

#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    /// `outbox` or `smtp`.
    fn kind(&self) -> &'static str;

    async fn ping(&self) -> Result<()>;

    async fn send(&self, email: &Email) -> Result<()>;
}
