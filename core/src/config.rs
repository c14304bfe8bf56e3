//! Resolved configuration of the backends. The `fleck` CLI builds it from flags, environment
//! variables and `fleck.toml`; tests build it directly.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    /// Origin users and clients reach this server at, e.g. `https://fleck.example.com`.
    pub public_url: url::Url,
    /// Where embedded backends keep their files.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    pub database_max_connections: u32,
    /// `None` selects the in-process cache.
    pub redis: Option<RedisConfig>,
    /// `None` selects blob storage in `data_dir/blobs`.
    pub s3: Option<S3Config>,
    /// `None` writes mail to `data_dir/outbox` as `.eml` files.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Signs URLs and tokens this server issues; every replica must share it.
    pub secret: String,
    pub rate_limits: crate::ratelimit::RateLimits,
}

#[derive(Clone, Debug)]
pub struct RedisConfig {
    pub url: String,
    /// Prepended to every key and channel so several deployments can share one Redis.
    pub key_prefix: String,
}

#[derive(Clone)]
pub struct S3Config {
    pub endpoint: String,
    /// Host put into presigned URLs handed to clients; defaults to `endpoint`.
    pub public_endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// Create the bucket at start-up when it does not exist.
    pub create_bucket: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("public_endpoint", &self.public_endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field("create_bucket", &self.create_bucket)
            .finish()
    }
}

/// How long start-up waits for each backend before giving up with a clear message.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A URL with its password replaced, safe for logs and error messages.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            url.to_string()
        }
        Err(_) => raw.split('@').next_back().unwrap_or(raw).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://fleck:hunter2@db:5432/fleck"),
            "postgres://fleck:***@db:5432/fleck"
        );
        assert_eq!(
            redact_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
    }
}
