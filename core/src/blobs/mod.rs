//! `Blobs`: large immutable files (uploaded files, preview images). A local directory by default,
//! S3-compatible storage in production. Bodies stream in and out; nothing holds a whole file.

pub mod disk;
pub mod s3;
pub mod signing;

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A blob's bytes as they arrive.
pub type BlobStream = BoxStream<'static, std::io::Result<Bytes>>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobInfo {
    pub size: u64,
    /// The MD5 of the content in hex, as S3 reports it for single-part uploads; an opaque
    /// `<hex>-<parts>` for multipart ones.
    pub etag: String,
    pub content_type: Option<String>,
}

pub struct Blob {
    pub info: BlobInfo,
    pub body: BlobStream,
}

impl Blob {
    /// The whole body in memory: for small blobs such as preview images.
    pub async fn bytes(self) -> Result<Vec<u8>> {
        match self.bytes_at_most(u64::MAX).await? {
            Some(bytes) => Ok(bytes),
            None => Err(Error::backend(
                "reading a blob",
                "the blob is larger than memory can hold",
            )),
        }
    }

    /// The whole body in memory, unless it turns out longer than `limit` bytes (whatever its
    /// metadata said): then `None`, having read no more than `limit` bytes and a chunk.
    pub async fn bytes_at_most(self, limit: u64) -> Result<Option<Vec<u8>>> {
        use futures::TryStreamExt;
        // The recorded size is a hint only; a body may be longer than its metadata says.
        let hint = self.info.size.min(limit).min(64 * 1024 * 1024);
        let mut bytes = Vec::with_capacity(hint as usize);
        let mut body = self.body;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| Error::backend("reading a blob", e))?
        {
            if (bytes.len() + chunk.len()) as u64 > limit {
                return Ok(None);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Some(bytes))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
        }
    }
}

#[async_trait]
pub trait Blobs: Send + Sync + 'static {
    /// `disk` or `s3`.
    fn kind(&self) -> &'static str;

    async fn ping(&self) -> Result<()>;

    /// Stores the stream under `key`, replacing what was there once the whole body has arrived.
    async fn put(
        &self,
        key: &str,
        body: BlobStream,
        content_type: Option<&str>,
    ) -> Result<BlobInfo>;

    async fn get(&self, key: &str) -> Result<Option<Blob>>;

    async fn head(&self, key: &str) -> Result<Option<BlobInfo>>;

    /// Removes `key`; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<()>;

    /// Removes every key under the folder `prefix` (`prefix/…`).
    async fn delete_prefix(&self, prefix: &str) -> Result<()>;

    /// A URL that lets whoever holds it `GET` or `PUT` this one key until it expires.
    async fn presign(&self, method: Method, key: &str, expires_in: Duration) -> Result<String>;

    /// A URL to `PUT` this one key until it expires; with `length`, only a body of exactly that
    /// many bytes is accepted through it (the length is part of the signature).
    async fn presign_upload(
        &self,
        key: &str,
        length: Option<u64>,
        expires_in: Duration,
    ) -> Result<String>;
}

/// Keys are `/`-separated segments of letters, digits, `.`, `_` and `-`, none starting with `.`:
/// safe as file paths and as S3 keys.
pub fn check_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "blob key",
            format!("{key:?} is not a valid key"),
        ))
    }
}

/// A whole body in memory as a `BlobStream` (small bodies and tests).
pub fn stream_from_bytes(bytes: impl Into<Bytes>) -> BlobStream {
    Box::pin(futures::stream::once(futures::future::ready(Ok(
        bytes.into()
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(chunks: &[&'static [u8]], size: u64) -> Blob {
        let chunks: Vec<std::io::Result<Bytes>> =
            chunks.iter().map(|c| Ok(Bytes::from_static(c))).collect();
        Blob {
            info: BlobInfo {
                size,
                etag: String::new(),
                content_type: None,
            },
            body: Box::pin(futures::stream::iter(chunks)),
        }
    }

    #[tokio::test]
    async fn reading_stops_at_the_limit_whatever_the_metadata_says() {
        let read = blob(&[b"abc", b"def"], 6).bytes_at_most(6).await.unwrap();
        assert_eq!(read.as_deref(), Some(&b"abcdef"[..]));
        // The metadata claims 3 bytes; the body goes on.
        assert_eq!(
            blob(&[b"abc", b"def"], 3).bytes_at_most(5).await.unwrap(),
            None
        );
        // A claimed size far beyond the limit allocates nothing of the sort.
        let huge = blob(&[b"abc"], 5 << 40).bytes_at_most(10).await.unwrap();
        assert_eq!(huge.as_deref(), Some(&b"abc"[..]));
    }

    #[test]
    fn keys_cannot_escape_the_store() {
        for good in ["a", "blobs/p1/abc.png", "x_y-z/1.2"] {
            assert!(check_key(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/a",
            "a/",
            "a//b",
            "../a",
            "a/../b",
            ".hidden",
            "a/.meta/b",
            "a b",
            "a\\b",
        ] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
    }
}
