//! Start-up configuration: command-line flags, then environment variables, then `fleck.toml`,
//! then defaults, resolved into core's `Config` (the backends) and `ServerOptions` (the rest).
//! Every option is listed by `fleck --help` together with its variable. What admins change
//! while the server runs (its name, registration policy) is stored, in `fleck_core::settings`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _};
use clap::Args;
use fleck_core::config::{Config, RedisConfig, S3Config};
use fleck_core::net::TrustedProxies;
use fleck_core::ratelimit::{Action, RateLimits};
use fleck_workers::sandbox::{self, ChildLimits, Isolation};
use serde::Deserialize;

/// Options shared by every command. In `fleck.toml` each has the name shown in the brackets,
/// e.g. `database_url = "postgres://…"`.
#[derive(Args, Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigArgs {
    /// Address to listen on [bind; default 127.0.0.1:3000]
    #[arg(long, env = "FLECK_BIND", global = true)]
    pub bind: Option<SocketAddr>,

    /// URL users and clients reach this server at, used in links and e-mails [public_url; default http://<bind>]
    #[arg(long, env = "FLECK_PUBLIC_URL", global = true)]
    pub public_url: Option<url::Url>,

    /// Folder for the embedded backends' files [data_dir; default ./fleck-data]
    #[arg(long, env = "FLECK_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Metadata database: sqlite://<file> or postgres://user:password@host:port/db [database_url; default sqlite://<data_dir>/fleck.db]
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Connections in the database pool [database_max_connections; default 10]
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", global = true)]
    pub database_max_connections: Option<u32>,

    /// Redis for cache, sessions, rate limits and pub/sub between replicas, e.g. redis://host:6379 [redis_url; default: in-process]
    #[arg(long, env = "REDIS_URL", global = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key and channel [redis_key_prefix; default fleck:]
    #[arg(long, env = "REDIS_KEY_PREFIX", global = true)]
    pub redis_key_prefix: Option<String>,

    /// S3-compatible endpoint for blobs, e.g. https://s3.eu-west-1.amazonaws.com [s3_endpoint; default: blobs in <data_dir>/blobs]
    #[arg(long, env = "S3_ENDPOINT", global = true)]
    pub s3_endpoint: Option<String>,

    /// Endpoint written into presigned URLs for clients, when it differs from S3_ENDPOINT [s3_public_endpoint]
    #[arg(long, env = "S3_PUBLIC_ENDPOINT", global = true)]
    pub s3_public_endpoint: Option<String>,

    /// S3 bucket [s3_bucket; required with S3_ENDPOINT]
    #[arg(long, env = "S3_BUCKET", global = true)]
    pub s3_bucket: Option<String>,

    /// S3 region [s3_region; default us-east-1]
    #[arg(long, env = "S3_REGION", global = true)]
    pub s3_region: Option<String>,

    /// S3 access key id [s3_access_key; required with S3_ENDPOINT]
    #[arg(long, env = "S3_ACCESS_KEY", global = true)]
    pub s3_access_key: Option<String>,

    /// S3 secret access key [s3_secret_key; required with S3_ENDPOINT]
    #[arg(long, env = "S3_SECRET_KEY", global = true, hide_env_values = true)]
    pub s3_secret_key: Option<String>,

    /// Create the S3 bucket at start-up if it is missing [s3_create_bucket; default false]
    #[arg(long, env = "S3_CREATE_BUCKET", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub s3_create_bucket: Option<bool>,

    /// SMTP relay: smtp://host:port, smtp://user:pass@host:587?tls=required (STARTTLS), smtps://host:465 (TLS) [smtp_url; default: .eml files in <data_dir>/outbox]
    #[arg(long, env = "SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of Fleck's e-mails [mail_from; default "Fleck <fleck@localhost>"]
    #[arg(long, env = "MAIL_FROM", global = true)]
    pub mail_from: Option<String>,

    /// Secret that signs links and tokens; every replica needs the same one [secret; default: generated into <data_dir>/secret.key]
    #[arg(long, env = "FLECK_SECRET", global = true, hide_env_values = true)]
    pub secret: Option<String>,

    /// Folder with the web app's compiled assets (pkg/fleck.js, pkg/fleck.wasm, pkg/fleck.css) [site_dir; default: site/ beside the executable's folder]
    #[arg(long, env = "FLECK_SITE_DIR", global = true)]
    pub site_dir: Option<PathBuf>,

    /// Log filter, e.g. info or fleck_server=debug,sqlx=warn [log; default info,sqlx=warn]
    #[arg(long, env = "FLECK_LOG", global = true)]
    pub log: Option<String>,

    /// Log format: human or json [log_format; default human]
    #[arg(long, env = "FLECK_LOG_FORMAT", global = true)]
    pub log_format: Option<LogFormat>,

    /// Seconds to let in-flight requests and jobs finish after SIGTERM/SIGINT [shutdown_timeout; default 30]
    #[arg(long, env = "FLECK_SHUTDOWN_TIMEOUT", global = true)]
    pub shutdown_timeout: Option<u64>,

    /// Seconds /readiness answers 503 after SIGTERM before the server stops taking requests, so a load balancer moves traffic away first; SIGINT skips it [shutdown_grace_seconds; default 5]
    #[arg(long, env = "FLECK_SHUTDOWN_GRACE_SECONDS", global = true)]
    pub shutdown_grace_seconds: Option<u64>,

    /// Jobs of one kind each worker process runs at once, for a kind without a setting of its own below [worker_concurrency; default 1]
    #[arg(long, env = "FLECK_WORKER_CONCURRENCY", global = true)]
    pub worker_concurrency: Option<usize>,

    /// Previews each worker process draws at once [preview_concurrency; default 1]
    #[arg(long, env = "FLECK_PREVIEW_CONCURRENCY", global = true)]
    pub preview_concurrency: Option<usize>,

    /// File imports each worker process converts at once [import_concurrency; default 1]
    #[arg(long, env = "FLECK_IMPORT_CONCURRENCY", global = true)]
    pub import_concurrency: Option<usize>,

    /// Webhook deliveries each worker process makes at once [webhook_concurrency; default 4]
    #[arg(long, env = "FLECK_WEBHOOK_CONCURRENCY", global = true)]
    pub webhook_concurrency: Option<usize>,

    /// E-mails each worker process sends at once [email_concurrency; default 2]
    #[arg(long, env = "FLECK_EMAIL_CONCURRENCY", global = true)]
    pub email_concurrency: Option<usize>,

    /// Seconds a claimed job stays its worker's without a heartbeat; a crashed worker's jobs run again after this [job_lease_seconds; default 60]
    #[arg(long, env = "FLECK_JOB_LEASE_SECONDS", global = true)]
    pub job_lease_seconds: Option<u64>,

    /// Longest a file import may convert, in seconds [import_timeout_seconds; default 600]
    #[arg(long, env = "FLECK_IMPORT_TIMEOUT_SECONDS", global = true)]
    pub import_timeout_seconds: Option<u64>,

    /// Longest a preview may take to read, build and draw, in seconds [preview_timeout_seconds; default 300]
    #[arg(long, env = "FLECK_PREVIEW_TIMEOUT_SECONDS", global = true)]
    pub preview_timeout_seconds: Option<u64>,

    /// Address space each converter or preview renderer process may use, in MiB; past it that process ends and its job fails with the reason [sandbox_memory_mb; default 4096]
    #[arg(long, env = "FLECK_SANDBOX_MEMORY_MB", global = true)]
    pub sandbox_memory_mb: Option<u64>,

    /// Processor seconds each converter or preview renderer process may use, all its threads together [sandbox_cpu_seconds; default 600]
    #[arg(long, env = "FLECK_SANDBOX_CPU_SECONDS", global = true)]
    pub sandbox_cpu_seconds: Option<u64>,

    /// Let webhooks call private, loopback and link-local addresses (for receivers on the same network) [webhook_allow_private; default false]
    #[arg(long, env = "FLECK_WEBHOOK_ALLOW_PRIVATE", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub webhook_allow_private: Option<bool>,

    /// Seconds between collections of the database monitor's figures (/metrics, admin statistics) [monitor_interval_seconds; default 60]
    #[arg(long, env = "FLECK_MONITOR_INTERVAL_SECONDS", global = true)]
    pub monitor_interval_seconds: Option<u64>,

    /// Rate limiting; per-action limits come from RATELIMIT_<ACTION> and RATELIMIT_BURST_<ACTION> [rate_limits; default true]
    #[arg(long, env = "RATELIMITER_ENABLED", global = true, num_args = 0..=1, default_missing_value = "true")]
    pub rate_limits: Option<bool>,

    /// Proxies whose X-Forwarded-For is believed, as comma-separated addresses or networks, e.g. 10.0.0.0/8,fd00::/8 [trusted_proxies; default: none, the connection's address is the client's]
    #[arg(long, env = "FLECK_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,

    /// Largest accepted blob upload in MiB [file_size_limit_mb; default 100]
    #[arg(long, env = "FLECK_FILE_SIZE_LIMIT_MB", global = true)]
    pub file_size_limit_mb: Option<u64>,

    /// Largest accepted object, in MB of JSON [max_object_size_mb; default 100]
    #[arg(long, env = "MAX_OBJECT_SIZE_MB", global = true)]
    pub max_object_size_mb: Option<u64>,

    /// Largest accepted object upload batch (one multipart part, compressed or not) in MiB [max_object_upload_file_size_mb; default 100]
    #[arg(long, env = "MAX_OBJECT_UPLOAD_FILE_SIZE_MB", global = true)]
    pub max_object_upload_file_size_mb: Option<u64>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Human,
    Json,
}

/// Everything `fleck` needs besides the backends' configuration.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub bind: SocketAddr,
    pub site_dir: PathBuf,
    pub shutdown_timeout: std::time::Duration,
    pub shutdown_grace: std::time::Duration,
    /// Jobs of a kind not in `worker_slots` a worker process runs at once.
    pub worker_concurrency: usize,
    /// Jobs of each kind a worker process runs at once, by job kind.
    pub worker_slots: std::collections::HashMap<String, usize>,
    pub job_lease: std::time::Duration,
    pub import_timeout: std::time::Duration,
    pub preview_timeout: std::time::Duration,
    /// Where converters and the preview renderer run: child processes of this binary.
    pub isolation: Isolation,
    pub webhook_allow_private: bool,
    pub monitor_interval: std::time::Duration,
    pub file_size_limit: u64,
    /// Bytes of JSON one object may have.
    pub object_size_limit: u64,
    /// Bytes one upload batch may have, compressed and uncompressed.
    pub upload_batch_limit: u64,
    /// Peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
}

macro_rules! first_set {
    ($cli:expr, $file:expr; $($field:ident),+ $(,)?) => {
        ConfigArgs { $($field: $cli.$field.or($file.$field)),+ }
    };
}

impl ConfigArgs {
    /// Fills options not given on the command line or in the environment from `fleck.toml`.
    pub fn with_file(self, path: Option<&Path>) -> anyhow::Result<Self> {
        let (path, required) = match path {
            Some(path) => (path.to_path_buf(), true),
            None => (PathBuf::from("fleck.toml"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(self),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let file: ConfigArgs =
            toml::from_str(&text).with_context(|| format!("invalid {}", path.display()))?;
        Ok(first_set!(self, file;
            bind, public_url, data_dir, database_url, database_max_connections, redis_url,
            redis_key_prefix, s3_endpoint, s3_public_endpoint, s3_bucket, s3_region, s3_access_key,
            s3_secret_key, s3_create_bucket, smtp_url, mail_from, secret, site_dir, log, log_format,
            shutdown_timeout, shutdown_grace_seconds, worker_concurrency, preview_concurrency, import_concurrency,
            webhook_concurrency, email_concurrency, job_lease_seconds, import_timeout_seconds,
            preview_timeout_seconds, sandbox_memory_mb, sandbox_cpu_seconds,
            webhook_allow_private, monitor_interval_seconds,
            rate_limits, trusted_proxies, file_size_limit_mb,
            max_object_size_mb, max_object_upload_file_size_mb,
        ))
    }

    pub fn log_filter(&self) -> String {
        self.log.clone().unwrap_or_else(|| "info,sqlx=warn".into())
    }

    /// Applies defaults and checks that the options fit together.
    pub fn resolve(self) -> anyhow::Result<(Config, ServerOptions)> {
        let bind = self
            .bind
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 3000)));
        let public_url = match self.public_url {
            Some(url) => url,
            None => default_public_url(bind)?,
        };
        let data_dir = self.data_dir.unwrap_or_else(|| PathBuf::from("fleck-data"));
        let database_url = self
            .database_url
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("fleck.db").display()));
        let s3 = match self.s3_endpoint {
            None => None,
            Some(endpoint) => {
                let required = |value: Option<String>, name: &str| {
                    value
                        .filter(|v| !v.is_empty())
                        .with_context(|| format!("S3_ENDPOINT is set, so {name} is required too"))
                };
                Some(S3Config {
                    bucket: required(self.s3_bucket, "S3_BUCKET")?,
                    access_key: required(self.s3_access_key, "S3_ACCESS_KEY")?,
                    secret_key: required(self.s3_secret_key, "S3_SECRET_KEY")?,
                    region: self.s3_region.unwrap_or_else(|| "us-east-1".into()),
                    public_endpoint: self.s3_public_endpoint,
                    create_bucket: self.s3_create_bucket.unwrap_or(false),
                    endpoint,
                })
            }
        };
        let secret = match self.secret {
            Some(secret) if secret.len() >= 32 => secret,
            Some(_) => bail!("FLECK_SECRET must be at least 32 characters long"),
            None => stored_secret(&data_dir)?,
        };
        let site_dir = self.site_dir.unwrap_or_else(default_site_dir);
        let trusted_proxies: TrustedProxies = match &self.trusted_proxies {
            Some(list) => list
                .parse()
                .map_err(|e| anyhow::anyhow!("FLECK_TRUSTED_PROXIES: {e}"))?,
            None => TrustedProxies::default(),
        };
        let config = Config {
            rate_limits: rate_limits(self.rate_limits.unwrap_or(true))?,
            public_url,
            database_url,
            database_max_connections: self.database_max_connections.unwrap_or(10),
            redis: self.redis_url.map(|url| RedisConfig {
                url,
                key_prefix: self.redis_key_prefix.unwrap_or_else(|| "fleck:".into()),
            }),
            s3,
            smtp_url: self.smtp_url,
            mail_from: self
                .mail_from
                .unwrap_or_else(|| "Fleck <fleck@localhost>".into()),
            secret,
            data_dir,
        };
        let options = ServerOptions {
            bind,
            site_dir,
            shutdown_timeout: std::time::Duration::from_secs(self.shutdown_timeout.unwrap_or(30)),
            shutdown_grace: std::time::Duration::from_secs(
                self.shutdown_grace_seconds.unwrap_or(5),
            ),
            worker_concurrency: self.worker_concurrency.unwrap_or(1).max(1),
            worker_slots: [
                (
                    fleck_core::previews::PREVIEW_JOB,
                    self.preview_concurrency,
                    1,
                ),
                (
                    fleck_core::projects::imports::IMPORT_JOB,
                    self.import_concurrency,
                    1,
                ),
                (
                    fleck_core::webhooks::WEBHOOK_JOB,
                    self.webhook_concurrency,
                    4,
                ),
                (fleck_core::mail::MAIL_JOB, self.email_concurrency, 2),
            ]
            .into_iter()
            .map(|(kind, set, default)| (kind.to_string(), set.unwrap_or(default).max(1)))
            .collect(),
            job_lease: std::time::Duration::from_secs(self.job_lease_seconds.unwrap_or(60).max(3)),
            import_timeout: std::time::Duration::from_secs(
                self.import_timeout_seconds.unwrap_or(600).max(1),
            ),
            preview_timeout: std::time::Duration::from_secs(
                self.preview_timeout_seconds.unwrap_or(300).max(1),
            ),
            isolation: Isolation::Child(Arc::new(ChildLimits {
                // The running binary, re-executed for each conversion and preview.
                program: std::env::current_exe()
                    .context("cannot find the fleck binary to run converters with")?,
                memory: self
                    .sandbox_memory_mb
                    .map_or(sandbox::DEFAULT_MEMORY, |mb| mb.max(64) * 1024 * 1024),
                cpu: self.sandbox_cpu_seconds.map_or(sandbox::DEFAULT_CPU, |s| {
                    std::time::Duration::from_secs(s.max(1))
                }),
            })),
            webhook_allow_private: self.webhook_allow_private.unwrap_or(false),
            monitor_interval: std::time::Duration::from_secs(
                self.monitor_interval_seconds.unwrap_or(60).max(1),
            ),
            file_size_limit: self.file_size_limit_mb.unwrap_or(100) * 1024 * 1024,
            object_size_limit: self.max_object_size_mb.unwrap_or(100) * 1_000_000,
            upload_batch_limit: self.max_object_upload_file_size_mb.unwrap_or(100) * 1024 * 1024,
            trusted_proxies,
        };
        Ok((config, options))
    }
}

/// Limits with the points set by Speckle's `RATELIMIT_<ACTION>` / `RATELIMIT_BURST_<ACTION>`.
fn rate_limits(enabled: bool) -> anyhow::Result<RateLimits> {
    let mut limits = RateLimits::default();
    limits.enabled = enabled;
    let points = |var: String| -> anyhow::Result<Option<i64>> {
        match std::env::var(&var) {
            Ok(value) => value
                .trim()
                .parse()
                .map(Some)
                .with_context(|| format!("{var} must be a whole number, not {value:?}")),
            Err(_) => Ok(None),
        }
    };
    for action in Action::ALL {
        let name = action.env_name();
        limits.set_points(
            action,
            points(format!("RATELIMIT_{name}"))?,
            points(format!("RATELIMIT_BURST_{name}"))?,
        );
    }
    Ok(limits)
}

fn default_public_url(bind: SocketAddr) -> anyhow::Result<url::Url> {
    // A wildcard address is not somewhere a browser can go.
    let host = if bind.ip().is_unspecified() {
        "localhost".to_string()
    } else {
        bind.ip().to_string()
    };
    let host = if bind.is_ipv6() && host != "localhost" {
        format!("[{host}]")
    } else {
        host
    };
    Ok(format!("http://{host}:{}", bind.port()).parse()?)
}

/// `site/` beside the folder of the executable (`target/release/fleck` → `target/site`).
fn default_site_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("site")))
        .unwrap_or_else(|| PathBuf::from("target/site"))
}

/// The secret kept in `<data_dir>/secret.key`, generated on first use, readable only by its owner.
fn stored_secret(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(secret) if secret.trim().len() >= 32 => return Ok(secret.trim().to_string()),
        Ok(_) => bail!(
            "{} is too short; delete it to generate a new one",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    let secret = fleck_core::ids::random_hex(32);
    write_private(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
