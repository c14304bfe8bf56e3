//! Blobs as files under one directory: `<root>/<key>` holds the bytes, `<root>/.meta/<key>.json`
//! the ETag and content type. Writes go to a temporary file first and are renamed into place, so a
//! reader never sees half a blob.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use md5::{Digest, Md5};
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use super::signing::UrlSigner;
use super::{check_key, Blob, BlobInfo, BlobStream, Blobs, Method};
use crate::error::{Context, Result};

pub struct DiskBlobs {
    root: PathBuf,
    signer: UrlSigner,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    etag: String,
    content_type: Option<String>,
}

impl DiskBlobs {
    pub async fn open(root: impl Into<PathBuf>, signer: UrlSigner) -> Result<Self> {
        let root = root.into();
        for dir in [root.join(".meta"), root.join(".tmp")] {
            tokio::fs::create_dir_all(&dir)
                .await
                .context(|| format!("creating blob directory {}", dir.display()))?;
        }
        Ok(DiskBlobs { root, signer })
    }

    fn data_path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    fn meta_path(&self, key: &str) -> PathBuf {
        self.root.join(".meta").join(format!("{key}.json"))
    }

    async fn read_meta(&self, key: &str) -> Result<Option<BlobInfo>> {
        let size = match tokio::fs::metadata(self.data_path(key)).await {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).context(|| format!("reading blob {key}")),
        };
        let meta: Meta = match tokio::fs::read(self.meta_path(key)).await {
            Ok(raw) => {
                serde_json::from_slice(&raw).context(|| format!("reading blob {key}'s metadata"))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).context(|| format!("reading blob {key}'s metadata")),
        };
        Ok(Some(BlobInfo {
            size,
            etag: meta.etag,
            content_type: meta.content_type,
        }))
    }
}

async fn ensure_parent(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .context(|| format!("creating {}", parent.display()))?;
    }
    Ok(())
}

async fn write_file(path: &Path, mut body: BlobStream) -> Result<(u64, String)> {
    let mut file = tokio::fs::File::create(path)
        .await
        .context(|| format!("creating {}", path.display()))?;
    let mut hasher = Md5::new();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.context(|| "receiving blob data".into())?;
        hasher.update(&chunk);
        size += chunk.len() as u64;
        file.write_all(&chunk)
            .await
            .context(|| format!("writing {}", path.display()))?;
    }
    file.sync_all()
        .await
        .context(|| format!("writing {}", path.display()))?;
    Ok((size, hex::encode(hasher.finalize())))
}

#[async_trait]
impl Blobs for DiskBlobs {
    fn kind(&self) -> &'static str {
        "disk"
    }

    async fn ping(&self) -> Result<()> {
        let probe = self.root.join(".tmp").join("ping");
        tokio::fs::write(&probe, b"ok")
            .await
            .context(|| format!("blob directory {} is not writable", self.root.display()))?;
        let _ = tokio::fs::remove_file(&probe).await;
        Ok(())
    }

    async fn put(
        &self,
        key: &str,
        body: BlobStream,
        content_type: Option<&str>,
    ) -> Result<BlobInfo> {
        check_key(key)?;
        let tmp = self.root.join(".tmp").join(crate::ids::random_hex(12));
        let written = write_file(&tmp, body).await;
        let (size, etag) = match written {
            Ok(done) => done,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        let meta = Meta {
            etag: etag.clone(),
            content_type: content_type.map(str::to_string),
        };
        let meta_path = self.meta_path(key);
        ensure_parent(&meta_path).await?;
        let meta_json = serde_json::to_vec(&meta).context(|| "encoding blob metadata".into())?;
        tokio::fs::write(&meta_path, meta_json)
            .await
            .context(|| format!("writing {}", meta_path.display()))?;
        let path = self.data_path(key);
        ensure_parent(&path).await?;
        tokio::fs::rename(&tmp, &path)
            .await
            .context(|| format!("storing blob {key}"))?;
        Ok(BlobInfo {
            size,
            etag,
            content_type: meta.content_type,
        })
    }

    async fn get(&self, key: &str) -> Result<Option<Blob>> {
        check_key(key)?;
        let Some(info) = self.read_meta(key).await? else {
            return Ok(None);
        };
        let file = match tokio::fs::File::open(self.data_path(key)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).context(|| format!("opening blob {key}")),
        };
        Ok(Some(Blob {
            info,
            body: ReaderStream::with_capacity(file, 64 * 1024).boxed(),
        }))
    }

    async fn head(&self, key: &str) -> Result<Option<BlobInfo>> {
        check_key(key)?;
        self.read_meta(key).await
    }

    async fn delete(&self, key: &str) -> Result<()> {
        check_key(key)?;
        for path in [self.data_path(key), self.meta_path(key)] {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).context(|| format!("deleting blob {key}")),
            }
        }
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<()> {
        check_key(prefix)?;
        for dir in [self.data_path(prefix), self.root.join(".meta").join(prefix)] {
            match tokio::fs::remove_dir_all(&dir).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).context(|| format!("deleting the blobs under {prefix}")),
            }
        }
        Ok(())
    }

    async fn presign(&self, method: Method, key: &str, expires_in: Duration) -> Result<String> {
        check_key(key)?;
        Ok(self.signer.sign(method, key, expires_in))
    }

    async fn presign_upload(
        &self,
        key: &str,
        length: Option<u64>,
        expires_in: Duration,
    ) -> Result<String> {
        check_key(key)?;
        Ok(self
            .signer
            .sign_with_length(Method::Put, key, length, expires_in))
    }
}
