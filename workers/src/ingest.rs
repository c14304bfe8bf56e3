//! The `ingest-objects` job: stores an uploaded objects file (the .NET SDK's send pipeline)
//! and completes its model ingestion with a version.

use async_trait::async_trait;
use fleck_core::ingestions::objects_file::{self, IngestError, INGEST_JOB};
use fleck_core::queue::Job;
use fleck_core::Core;

use crate::runtime::{field, Handler, JobError};

pub struct IngestObjects {
    core: Core,
    max_object_bytes: usize,
}

impl IngestObjects {
    pub fn new(core: Core, max_object_bytes: usize) -> Self {
        IngestObjects {
            core,
            max_object_bytes,
        }
    }
}

#[async_trait]
impl Handler for IngestObjects {
    fn kind(&self) -> &'static str {
        INGEST_JOB
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let (project_id, ingestion_id, etag) = (
            field(job, "projectId")?,
            field(job, "ingestionId")?,
            field(job, "etag")?,
        );
        match objects_file::ingest(
            &self.core,
            project_id,
            ingestion_id,
            etag,
            self.max_object_bytes,
        )
        .await
        {
            Ok(()) => Ok(()),
            Err(IngestError::Refused(reason)) => Err(JobError::Permanent(reason)),
            Err(IngestError::Backend(e)) => Err(JobError::Retry(e.to_string())),
        }
    }
}
