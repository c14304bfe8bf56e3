//! The `version-changes` job: compares a new version with the one before it in its model and
//! records the summary ("12 added, 3 removed, 40 changed since the previous version") as an
//! activity entry, which webhooks subscribed to `commit_changes` receive.

use async_trait::async_trait;
use fleck_core::changes::{self, VERSION_CHANGES_JOB};
use fleck_core::queue::Job;
use fleck_core::Core;

use crate::runtime::{field, Handler, JobError};

pub struct SummarizeVersionChanges {
    core: Core,
}

impl SummarizeVersionChanges {
    pub fn new(core: Core) -> Self {
        SummarizeVersionChanges { core }
    }
}

#[async_trait]
impl Handler for SummarizeVersionChanges {
    fn kind(&self) -> &'static str {
        VERSION_CHANGES_JOB
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let (project_id, version_id) = (field(job, "projectId")?, field(job, "versionId")?);
        match changes::summarize_new_version(&self.core, project_id, version_id).await {
            Ok(_) => Ok(()),
            // Too large, sent as files, or objects missing: trying again cannot help.
            Err(e @ (fleck_core::Error::Invalid { .. } | fleck_core::Error::NotFound(_))) => {
                Err(JobError::Permanent(e.to_string()))
            }
            Err(e) => Err(JobError::Retry(e.to_string())),
        }
    }
}
