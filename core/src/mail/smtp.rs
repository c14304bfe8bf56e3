//! Mail through an SMTP relay. `SMTP_URL` follows lettre's URL form:
//! `smtp://host:port` (plain, upgrading to STARTTLS when offered is not attempted),
//! `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465` (implicit TLS),
//! with optional `user:password@` credentials.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Email, Mailer};
use crate::config::{redact_url, CONNECT_TIMEOUT};
use crate::error::{Context, Error, Result};

/// How long one SMTP conversation may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    url: String,
}

impl Smtp {
    /// Builds the transport and checks that the server answers.
    pub async fn connect(url: &str, from: Mailbox) -> Result<Self> {
        let shown = redact_url(url);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Error::invalid("SMTP_URL", format!("{shown}: {e}")))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let smtp = Smtp {
            transport,
            from,
            url: shown,
        };
        tokio::time::timeout(CONNECT_TIMEOUT, smtp.ping())
            .await
            .map_err(|_| {
                Error::backend(
                    format!("cannot reach SMTP server {}", smtp.url),
                    "timed out",
                )
            })??;
        Ok(smtp)
    }
}

#[async_trait]
impl Mailer for Smtp {
    fn kind(&self) -> &'static str {
        "smtp"
    }

    async fn ping(&self) -> Result<()> {
        let ok = self
            .transport
            .test_connection()
            .await
            .context(|| format!("cannot reach SMTP server {}", self.url))?;
        if ok {
            Ok(())
        } else {
            Err(Error::backend(
                format!("SMTP server {}", self.url),
                "did not accept a connection",
            ))
        }
    }

    async fn send(&self, email: &Email) -> Result<()> {
        let message = email.to_message(&self.from)?;
        self.transport
            .send(message)
            .await
            .context(|| format!("sending mail to {} through {}", email.to, self.url))?;
        tracing::info!(to = %email.to, subject = %email.subject, "mail sent");
        Ok(())
    }
}
