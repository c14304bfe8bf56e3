//! The `mail` job: delivers one queued `Email` through the configured mailer.

use std::sync::Arc;

use async_trait::async_trait;
use fleck_core::mail::{Email, Mailer, MAIL_JOB};
use fleck_core::queue::Job;

use crate::runtime::{payload, Handler, JobError};

pub struct SendMail {
    mailer: Arc<dyn Mailer>,
}

impl SendMail {
    pub fn new(mailer: Arc<dyn Mailer>) -> Self {
        SendMail { mailer }
    }
}

#[async_trait]
impl Handler for SendMail {
    fn kind(&self) -> &'static str {
        MAIL_JOB
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let email: Email = payload(job, "an e-mail")?;
        match self.mailer.send(&email).await {
            Ok(()) => Ok(()),
            // A bad address will not get better by retrying.
            Err(fleck_core::Error::Invalid { field, reason }) => {
                Err(JobError::Permanent(format!("invalid {field}: {reason}")))
            }
            Err(e) => Err(JobError::Retry(e.to_string())),
        }
    }
}
