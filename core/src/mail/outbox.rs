//! Mail written as `.eml` files to a folder (and logged), for servers without an SMTP relay.
//! Any mail client opens the files; tests read them back.

use std::path::PathBuf;

use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};

use super::{Email, Mailer};
use crate::error::{Context, Result};

pub struct Outbox {
    dir: PathBuf,
    from: Mailbox,
    transport: AsyncFileTransport<Tokio1Executor>,
}

impl Outbox {
    pub async fn open(dir: impl Into<PathBuf>, from: Mailbox) -> Result<Self> {
        let dir = dir.into();
        tokio::fs::create_dir_all(&dir)
            .await
            .context(|| format!("creating mail outbox {}", dir.display()))?;
        Ok(Outbox {
            transport: AsyncFileTransport::new(&dir),
            dir,
            from,
        })
    }
}

#[async_trait]
impl Mailer for Outbox {
    fn kind(&self) -> &'static str {
        "outbox"
    }

    async fn ping(&self) -> Result<()> {
        let meta = tokio::fs::metadata(&self.dir)
            .await
            .context(|| format!("mail outbox {}", self.dir.display()))?;
        if meta.permissions().readonly() {
            return Err(crate::error::Error::backend(
                format!("mail outbox {}", self.dir.display()),
                "the folder is read-only",
            ));
        }
        Ok(())
    }

    async fn send(&self, email: &Email) -> Result<()> {
        let message = email.to_message(&self.from)?;
        let id = self
            .transport
            .send(message)
            .await
            .context(|| format!("writing mail to {}", self.dir.display()))?;
        let file = self.dir.join(format!("{id}.eml"));
        tracing::info!(to = %email.to, subject = %email.subject, file = %file.display(), "mail written to the outbox");
        Ok(())
    }
}
