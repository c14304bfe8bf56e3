//! `Core`: every backend, chosen from configuration, in one value that the server, the workers
//! and the web app's server functions share.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::auth::store::AuthStore;
use crate::blobs::disk::DiskBlobs;
use crate::blobs::s3::S3Blobs;
use crate::blobs::signing::UrlSigner;
use crate::blobs::Blobs;
use crate::cache::memory::MemoryCache;
use crate::cache::redis::RedisCache;
use crate::cache::Cache;
use crate::changes::ChangeStore;
use crate::comments::CommentStore;
use crate::config::Config;
use crate::db;
use crate::error::Result;
use crate::ingestions::IngestionStore;
use crate::mail::outbox::Outbox;
use crate::mail::smtp::Smtp;
use crate::mail::{parse_from, Mailer};
use crate::objects::Objects;
use crate::previews::PreviewStore;
use crate::projects::ProjectStore;
use crate::queue::{Jobs, Queue};
use crate::ratelimit::RateLimiter;
use crate::store::Store;
use crate::webhooks::WebhookStore;

/// How long a readiness check waits for one backend; the checks run at once, so a load
/// balancer's probe is answered within this however many backends are down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Core {
    pub config: Arc<Config>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) queue: Arc<dyn Queue>,
    pub(crate) auth: Arc<dyn AuthStore>,
    pub(crate) projects: Arc<dyn ProjectStore>,
    pub(crate) previews: Arc<dyn PreviewStore>,
    pub(crate) webhooks: Arc<dyn WebhookStore>,
    pub(crate) ingestions: Arc<dyn IngestionStore>,
    pub(crate) comments: Arc<dyn CommentStore>,
    pub(crate) changes: Arc<dyn ChangeStore>,
    pub(crate) objects: Arc<Objects>,
    pub jobs: Jobs,
    pub blobs: Arc<dyn Blobs>,
    pub cache: Arc<dyn Cache>,
    pub mailer: Arc<dyn Mailer>,
    /// Signs and checks the URLs of the disk blob store.
    pub signer: UrlSigner,
    pub rate_limiter: RateLimiter,
}

/// The outcome of one backend's readiness check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendCheck {
    /// `database`, `blobs`, `cache` or `mail`.
    pub name: String,
    /// The implementation in use, e.g. `sqlite` or `postgres`.
    pub backend: String,
    pub ok: bool,
    pub error: Option<String>,
    pub millis: f64,
}

impl Core {
    /// Connects to every configured backend and migrates the database. Each failure names the
    /// backend and where it was looked for.
    pub async fn connect(config: Config) -> Result<Self> {
        let database = db::connect(&config.database_url, config.database_max_connections).await?;
        database.store.migrate().await?;
        // The default apps, brought up to date with this server's public URL.
        for app in crate::auth::apps::default_apps(&config.public_url) {
            database.auth.upsert_app(&app).await?;
        }
        Self::with_database(config, database).await
    }

    /// Like `connect`, but leaves the database schema alone (for workers started before `migrate`).
    pub async fn with_database(config: Config, database: db::Database) -> Result<Self> {
        let signer = UrlSigner::new(&config.secret, config.public_url.clone());
        let blobs: Arc<dyn Blobs> = match &config.s3 {
            Some(s3) => Arc::new(S3Blobs::connect(s3).await?),
            None => Arc::new(DiskBlobs::open(config.data_dir.join("blobs"), signer.clone()).await?),
        };
        let cache: Arc<dyn Cache> = match &config.redis {
            Some(redis) => Arc::new(RedisCache::connect(&redis.url, &redis.key_prefix).await?),
            None => Arc::new(MemoryCache::new()),
        };
        let from = parse_from(&config.mail_from)?;
        let mailer: Arc<dyn Mailer> = match &config.smtp_url {
            Some(url) => Arc::new(Smtp::connect(url, from).await?),
            None => Arc::new(Outbox::open(config.data_dir.join("outbox"), from).await?),
        };
        Ok(Core {
            jobs: Jobs::new(database.queue.clone(), cache.clone()),
            rate_limiter: RateLimiter::new(cache.clone(), config.rate_limits.clone()),
            store: database.store,
            queue: database.queue,
            auth: database.auth,
            projects: database.projects,
            previews: database.previews,
            webhooks: database.webhooks,
            ingestions: database.ingestions,
            comments: database.comments,
            changes: database.changes,
            objects: Arc::new(Objects::new(database.objects)),
            blobs,
            cache,
            mailer,
            signer,
            config: Arc::new(config),
        })
    }

    /// The database implementation in use: `sqlite` or `postgres`.
    pub fn database_kind(&self) -> &'static str {
        self.store.kind()
    }

    /// Every project's objects, for tests that arrange stored objects directly.
    #[cfg(feature = "testing")]
    pub fn objects(&self) -> &Arc<Objects> {
        &self.objects
    }

    /// Closes the database pool once every request and job is done with it.
    pub async fn close(&self) {
        self.store.close().await;
    }

    /// The stores behind the services, for tests that arrange or inspect stored state directly.
    #[cfg(feature = "testing")]
    pub fn database(&self) -> db::Database {
        db::Database {
            store: self.store.clone(),
            queue: self.queue.clone(),
            auth: self.auth.clone(),
            projects: self.projects.clone(),
            objects: self.objects.store().clone(),
            previews: self.previews.clone(),
            webhooks: self.webhooks.clone(),
            ingestions: self.ingestions.clone(),
            comments: self.comments.clone(),
            changes: self.changes.clone(),
        }
    }

    /// Pings every backend at once; used by `/readiness` and the home page.
    pub async fn check_backends(&self) -> Vec<BackendCheck> {
        let (database, blobs, cache, mail) = tokio::join!(
            check("database", self.store.kind(), self.store.ping()),
            check("blobs", self.blobs.kind(), self.blobs.ping()),
            check("cache", self.cache.kind(), self.cache.ping()),
            check("mail", self.mailer.kind(), self.mailer.ping()),
        );
        vec![database, blobs, cache, mail]
    }
}

async fn check(
    name: &str,
    backend: &str,
    ping: impl std::future::Future<Output = Result<()>>,
) -> BackendCheck {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(CHECK_TIMEOUT, ping).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
    };
    BackendCheck {
        name: name.to_string(),
        backend: backend.to_string(),
        ok: outcome.is_none(),
        error: outcome,
        millis: started.elapsed().as_secs_f64() * 1000.0,
    }
}
