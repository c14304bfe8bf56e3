//! The `forget-project-files` job: removes a deleted project's files from the blob store.

use async_trait::async_trait;
use fleck_core::projects::service::{self, FORGET_FILES_JOB};
use fleck_core::queue::Job;
use fleck_core::Core;

use crate::runtime::{field, Handler, JobError};

pub struct ForgetProjectFiles {
    core: Core,
}

impl ForgetProjectFiles {
    pub fn new(core: Core) -> Self {
        ForgetProjectFiles { core }
    }
}

#[async_trait]
impl Handler for ForgetProjectFiles {
    fn kind(&self) -> &'static str {
        FORGET_FILES_JOB
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let project_id = field(job, "projectId")?;
        match service::forget_files(&self.core, project_id).await {
            Ok(()) => Ok(()),
            Err(e @ fleck_core::Error::Conflict(_)) => Err(JobError::Permanent(e.to_string())),
            Err(e) => Err(JobError::Retry(e.to_string())),
        }
    }
}
