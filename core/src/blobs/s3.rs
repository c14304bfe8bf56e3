//! S3-compatible blob storage (AWS, MinIO, Ceph, R2, s3s…) with path-style addressing.
//! Uploads of unknown length go up as multipart uploads of `PART_SIZE`, so memory stays bounded.

use std::time::Duration;

use async_trait::async_trait;
use aws_credential_types::Credentials;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{BehaviorVersion, Region, StalledStreamProtectionConfig};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use aws_sdk_s3::Client;
use bytes::{Bytes, BytesMut};
use futures::StreamExt;

use super::{check_key, Blob, BlobInfo, BlobStream, Blobs, Method};
use crate::config::{S3Config, CONNECT_TIMEOUT};
use crate::error::{Context, Error, Result};

/// Parts of a multipart upload (S3's minimum is 5 MiB for all but the last).
const PART_SIZE: usize = 8 * 1024 * 1024;

pub struct S3Blobs {
    client: Client,
    /// Signs URLs for the host clients reach, which may differ from the one Fleck talks to.
    presigner: Client,
    bucket: String,
    endpoint: String,
}

fn client(config: &S3Config, endpoint: &str) -> Client {
    let credentials = Credentials::new(
        &config.access_key,
        &config.secret_key,
        None,
        None,
        "fleck-config",
    );
    // A healthy S3 answers a connection in milliseconds: a down one is told quickly, and its
    // refused connections are retried briefly, so a request waits under a second before its 503.
    let timeouts = aws_sdk_s3::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .build();
    let retries = aws_sdk_s3::config::retry::RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(50))
        .with_max_backoff(Duration::from_millis(400));
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .force_path_style(true)
        .timeout_config(timeouts)
        .retry_config(retries)
        // Slow clients uploading through us must not be mistaken for a stalled stream.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .build();
    Client::from_conf(conf)
}

fn is_not_found<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::ServiceError(e) => {
            e.raw().status().as_u16() == 404
                || matches!(
                    e.err().code(),
                    Some("NoSuchKey" | "NotFound" | "NoSuchBucket")
                )
        }
        _ => false,
    }
}

/// An S3 error with its code and message, or its chain of causes, rather than just "service error".
fn describe<E>(err: SdkError<E, HttpResponse>) -> crate::error::BoxError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if let SdkError::ServiceError(e) = &err {
        return format!(
            "{}: {}",
            e.err().code().unwrap_or("error"),
            e.err().message().unwrap_or("no message")
        )
        .into();
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    // The request never got an answer: S3 is unreachable, which clients hear as a 503.
    if matches!(
        err,
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
    ) {
        return std::io::Error::new(std::io::ErrorKind::NotConnected, text).into();
    }
    text.into()
}

impl S3Blobs {
    /// Connects and checks the bucket, creating it when `create_bucket` is set.
    pub async fn connect(config: &S3Config) -> Result<Self> {
        let blobs = S3Blobs {
            client: client(config, &config.endpoint),
            presigner: client(
                config,
                config
                    .public_endpoint
                    .as_deref()
                    .unwrap_or(&config.endpoint),
            ),
            bucket: config.bucket.clone(),
            endpoint: config.endpoint.clone(),
        };
        let where_ = format!("S3 bucket {} at {}", config.bucket, config.endpoint);
        let head = tokio::time::timeout(
            CONNECT_TIMEOUT * 3,
            blobs.client.head_bucket().bucket(&config.bucket).send(),
        )
        .await
        .map_err(|_| Error::backend(format!("cannot reach {where_}"), "timed out"))?;
        match head {
            Ok(_) => {}
            Err(e) if is_not_found(&e) && config.create_bucket => {
                blobs
                    .client
                    .create_bucket()
                    .bucket(&config.bucket)
                    .send()
                    .await
                    .map_err(|e| Error::backend(format!("cannot create {where_}"), describe(e)))?;
            }
            Err(e) if is_not_found(&e) => {
                return Err(Error::backend(
                    format!("cannot use {where_}"),
                    "the bucket does not exist; create it or set S3_CREATE_BUCKET=true",
                ))
            }
            Err(e) => {
                return Err(Error::backend(
                    format!("cannot reach {where_}"),
                    describe(e),
                ))
            }
        }
        Ok(blobs)
    }

    fn what(&self, doing: &str, key: &str) -> String {
        format!("S3 {doing} {}/{key} at {}", self.bucket, self.endpoint)
    }

    async fn put_multipart(
        &self,
        key: &str,
        first: Bytes,
        mut body: BlobStream,
        content_type: Option<&str>,
    ) -> Result<BlobInfo> {
        let upload = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .set_content_type(content_type.map(str::to_string))
            .send()
            .await
            .map_err(|e| Error::backend(self.what("starting upload of", key), describe(e)))?;
        let upload_id = upload.upload_id().unwrap_or_default().to_string();
        let result = async {
            let mut parts = Vec::new();
            let mut size = 0u64;
            let mut next = Some(first);
            let mut buffer = BytesMut::new();
            loop {
                let part = match next.take() {
                    Some(part) => part,
                    None => {
                        let (part, done) = fill(&mut body, &mut buffer).await?;
                        if part.is_empty() && done {
                            break;
                        }
                        part
                    }
                };
                size += part.len() as u64;
                let number = parts.len() as i32 + 1;
                let uploaded = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(ByteStream::from(part))
                    .send()
                    .await
                    .map_err(|e| {
                        Error::backend(self.what("uploading part of", key), describe(e))
                    })?;
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(uploaded.e_tag().map(str::to_string))
                        .build(),
                );
            }
            let done = self
                .client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| Error::backend(self.what("completing upload of", key), describe(e)))?;
            Ok(BlobInfo {
                size,
                etag: trim_etag(done.e_tag()),
                content_type: content_type.map(str::to_string),
            })
        }
        .await;
        if result.is_err() {
            // Leave no orphaned parts behind to be billed for.
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }
}

/// Reads from `body` until `buffer` holds a whole part or the body ends. Returns the part and
/// whether the body has ended.
async fn fill(body: &mut BlobStream, buffer: &mut BytesMut) -> Result<(Bytes, bool)> {
    while buffer.len() < PART_SIZE {
        match body.next().await {
            Some(chunk) => {
                buffer.extend_from_slice(&chunk.context(|| "receiving blob data".into())?)
            }
            None => return Ok((buffer.split().freeze(), true)),
        }
    }
    Ok((buffer.split_to(PART_SIZE).freeze(), false))
}

fn trim_etag(etag: Option<&str>) -> String {
    etag.unwrap_or_default().trim_matches('"').to_string()
}

#[async_trait]
impl Blobs for S3Blobs {
    fn kind(&self) -> &'static str {
        "s3"
    }

    async fn ping(&self) -> Result<()> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(|e| {
                Error::backend(
                    format!("S3 bucket {} at {}", self.bucket, self.endpoint),
                    describe(e),
                )
            })?;
        Ok(())
    }

    async fn put(
        &self,
        key: &str,
        mut body: BlobStream,
        content_type: Option<&str>,
    ) -> Result<BlobInfo> {
        check_key(key)?;
        let mut buffer = BytesMut::new();
        let (first, done) = fill(&mut body, &mut buffer).await?;
        if !done {
            return self.put_multipart(key, first, body, content_type).await;
        }
        let size = first.len() as u64;
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .set_content_type(content_type.map(str::to_string))
            .body(ByteStream::from(first))
            .send()
            .await
            .map_err(|e| Error::backend(self.what("storing", key), describe(e)))?;
        Ok(BlobInfo {
            size,
            etag: trim_etag(put.e_tag()),
            content_type: content_type.map(str::to_string),
        })
    }

    async fn get(&self, key: &str) -> Result<Option<Blob>> {
        check_key(key)?;
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(object) => object,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(Error::backend(self.what("reading", key), describe(e))),
        };
        let info = BlobInfo {
            size: object.content_length().unwrap_or_default().max(0) as u64,
            etag: trim_etag(object.e_tag()),
            content_type: object.content_type().map(str::to_string),
        };
        let body = futures::stream::unfold(object.body, |mut body| async move {
            body.next()
                .await
                .map(|chunk| (chunk.map_err(std::io::Error::other), body))
        });
        Ok(Some(Blob {
            info,
            body: body.boxed(),
        }))
    }

    async fn head(&self, key: &str) -> Result<Option<BlobInfo>> {
        check_key(key)?;
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(head) => Ok(Some(BlobInfo {
                size: head.content_length().unwrap_or_default().max(0) as u64,
                etag: trim_etag(head.e_tag()),
                content_type: head.content_type().map(str::to_string),
            })),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(Error::backend(self.what("reading", key), describe(e))),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        check_key(key)?;
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| Error::backend(self.what("deleting", key), describe(e)))?;
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<()> {
        check_key(prefix)?;
        let folder = format!("{prefix}/");
        let mut next = None;
        loop {
            let listed = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&folder)
                .set_continuation_token(next.take())
                .send()
                .await
                .map_err(|e| Error::backend(self.what("listing", &folder), describe(e)))?;
            // One at a time: every S3 server has DeleteObject, not all take batch deletes.
            for key in listed.contents().iter().filter_map(|o| o.key()) {
                self.delete(key).await?;
            }
            match listed.next_continuation_token() {
                Some(token) => next = Some(token.to_string()),
                None => return Ok(()),
            }
        }
    }

    async fn presign(&self, method: Method, key: &str, expires_in: Duration) -> Result<String> {
        check_key(key)?;
        let config =
            PresigningConfig::expires_in(expires_in).context(|| "presigning a blob URL".into())?;
        let failed = |e| Error::backend(self.what("presigning", key), e);
        let request = match method {
            Method::Get => self
                .presigner
                .get_object()
                .bucket(&self.bucket)
                .key(key)
                .presigned(config)
                .await
                .map_err(|e| failed(describe(e)))?,
            Method::Put => self
                .presigner
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .presigned(config)
                .await
                .map_err(|e| failed(describe(e)))?,
        };
        Ok(request.uri().to_string())
    }

    async fn presign_upload(
        &self,
        key: &str,
        length: Option<u64>,
        expires_in: Duration,
    ) -> Result<String> {
        check_key(key)?;
        let config =
            PresigningConfig::expires_in(expires_in).context(|| "presigning a blob URL".into())?;
        let mut put = self.presigner.put_object().bucket(&self.bucket).key(key);
        if let Some(length) = length {
            // Set explicitly, the header is signed: S3 refuses a body of any other length.
            let length = i64::try_from(length).map_err(|_| {
                Error::invalid("fileSize", "the file is larger than any store accepts")
            })?;
            put = put.content_length(length);
        }
        let request = put
            .presigned(config)
            .await
            .map_err(|e| Error::backend(self.what("presigning", key), describe(e)))?;
        Ok(request.uri().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Presigning is local: a store on an address nothing listens on will do.
    fn offline() -> S3Blobs {
        let config = S3Config {
            endpoint: "http://127.0.0.1:9".into(),
            public_endpoint: None,
            bucket: "b".into(),
            region: "us-east-1".into(),
            access_key: "k".into(),
            secret_key: "s".into(),
            create_bucket: false,
        };
        S3Blobs {
            client: client(&config, &config.endpoint),
            presigner: client(&config, &config.endpoint),
            bucket: config.bucket.clone(),
            endpoint: config.endpoint.clone(),
        }
    }

    #[tokio::test]
    async fn a_store_nobody_answers_for_is_unavailable_not_a_raw_error() {
        let put = offline()
            .put("k", crate::blobs::stream_from_bytes("x"), None)
            .await;
        let error = put.expect_err("nothing listens on port 9");
        assert!(error.is_unavailable(), "{error}");
    }

    fn signed_headers(url: &str) -> String {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "X-Amz-SignedHeaders")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn an_upload_url_of_a_stated_length_signs_the_length() {
        let blobs = offline();
        let bound = blobs
            .presign_upload("assets/p/f", Some(1234), Duration::from_secs(900))
            .await
            .unwrap();
        assert!(
            signed_headers(&bound)
                .split(';')
                .any(|h| h == "content-length"),
            "{bound}"
        );
        assert!(bound.contains("X-Amz-Expires=900"), "{bound}");
        let open = blobs
            .presign_upload("assets/p/f", None, Duration::from_secs(900))
            .await
            .unwrap();
        assert!(!signed_headers(&open).contains("content-length"), "{open}");
    }
}
