//! Per-action rate limits, counted in the cache so every replica shares them (Redis in
//! production). Each action has a regular limit and a burst allowance, as Speckle's servers do:
//! a request that exceeds the regular window may still spend from the burst window; only when
//! both are used up is it refused with `RateLimited`.
//!
//! An unreachable cache must not take the API down with it: the first call that fails opens an
//! outage of [`OUTAGE_PAUSE`], during which nothing is counted and every call is allowed at once,
//! instead of each request waiting on the cache client's reconnects.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cache::Cache;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    AllRequests,
    Graphql,
    /// Logging in and asking for a password reset.
    Login,
    /// Creating an account.
    Register,
    TokenCreate,
    ObjectUpload,
    /// Asking for another verification e-mail.
    VerificationEmail,
    /// Failed sign-ins to one account (counted per e-mail address, whatever the caller's
    /// address), on top of `Login` per address.
    FailedLogin,
    /// Mailing an invitation again (per inviter).
    InviteResend,
    /// An anonymous caller's request that queues a preview render (Fleck's own).
    PreviewRequest,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::AllRequests,
        Action::Graphql,
        Action::Login,
        Action::Register,
        Action::TokenCreate,
        Action::ObjectUpload,
        Action::VerificationEmail,
        Action::FailedLogin,
        Action::InviteResend,
        Action::PreviewRequest,
    ];

    /// The name in Speckle's `RATELIMIT_<NAME>` and `RATELIMIT_BURST_<NAME>` variables.
    pub fn env_name(self) -> &'static str {
        match self {
            Action::AllRequests => "ALL_REQUESTS",
            Action::Graphql => "POST_GRAPHQL",
            Action::Login => "GET_AUTH",
            Action::Register => "USER_CREATE",
            Action::TokenCreate => "TOKEN_CREATE",
            Action::ObjectUpload => "POST_OBJECTS_STREAMID",
            Action::VerificationEmail => "EMAIL_VERIFICATION",
            Action::FailedLogin => "FAILED_LOGIN",
            Action::InviteResend => "INVITE_RESEND",
            Action::PreviewRequest => "PREVIEW_REQUEST",
        }
    }

    /// Speckle's defaults: (regular points, window), (burst points, window).
    fn defaults(self) -> (Limit, Limit) {
        let limit = |points, secs| Limit {
            points,
            window: Duration::from_secs(secs),
        };
        match self {
            Action::AllRequests => (limit(500, 1), limit(2000, 60)),
            Action::Graphql => (limit(50, 1), limit(200, 60)),
            Action::Login => (limit(4, 600), limit(10, 1800)),
            Action::Register => (limit(6, 3600), limit(1000, 7 * 24 * 3600)),
            Action::TokenCreate => (limit(10, 60), limit(50, 3600)),
            Action::ObjectUpload => (limit(6, 1), limit(400, 60)),
            Action::VerificationEmail => (limit(3, 600), limit(10, 24 * 3600)),
            Action::FailedLogin => (limit(10, 900), limit(20, 24 * 3600)),
            Action::InviteResend => (limit(5, 600), limit(20, 24 * 3600)),
            Action::PreviewRequest => (limit(10, 60), limit(100, 3600)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub points: i64,
    pub window: Duration,
}

#[derive(Clone, Debug)]
pub struct RateLimits {
    pub enabled: bool,
    limits: Vec<(Action, Limit, Limit)>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            limits: Action::ALL
                .iter()
                .map(|&a| (a, a.defaults().0, a.defaults().1))
                .collect(),
        }
    }
}

impl RateLimits {
    /// Changes the number of points (windows stay as they are).
    pub fn set_points(&mut self, action: Action, regular: Option<i64>, burst: Option<i64>) {
        for (a, r, b) in &mut self.limits {
            if *a == action {
                r.points = regular.unwrap_or(r.points);
                b.points = burst.unwrap_or(b.points);
            }
        }
    }

    fn of(&self, action: Action) -> (Limit, Limit) {
        self.limits
            .iter()
            .find(|(a, _, _)| *a == action)
            .map(|(_, r, b)| (*r, *b))
            .unwrap_or_else(|| action.defaults())
    }
}

/// How long limits stay off after the cache failed to answer, before it is asked again.
pub const OUTAGE_PAUSE: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct RateLimiter {
    cache: Arc<dyn Cache>,
    limits: RateLimits,
    /// Until when (ms since the epoch) the cache counts as unreachable; 0 when it answers.
    outage_until: Arc<AtomicU64>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

impl RateLimiter {
    pub fn new(cache: Arc<dyn Cache>, limits: RateLimits) -> Self {
        RateLimiter {
            cache,
            limits,
            outage_until: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Whether limits are counted now: they are enabled and the cache is not in an outage.
    fn counting(&self) -> bool {
        self.limits.enabled && self.outage_until.load(Ordering::Relaxed) <= now_ms()
    }

    /// Lets a cache failure through as "not counted", opening an outage (logged once per
    /// outage); any other outcome is returned as it is.
    fn tolerate<T>(&self, outcome: Result<T>, uncounted: T) -> Result<T> {
        match outcome {
            Err(e @ Error::Backend { .. }) => {
                let until = now_ms() + OUTAGE_PAUSE.as_millis() as u64;
                if self.outage_until.swap(until, Ordering::Relaxed) <= now_ms() {
                    tracing::warn!(
                        error = %e,
                        pause_seconds = OUTAGE_PAUSE.as_secs(),
                        "the cache does not answer; rate limits are not counted meanwhile"
                    );
                }
                Ok(uncounted)
            }
            other => other,
        }
    }

    fn keys(action: Action, source: &str) -> (String, String) {
        (
            format!("ratelimit:{}:{source}", action.env_name()),
            format!("ratelimit:BURST_{}:{source}", action.env_name()),
        )
    }

    /// Spends one point of `action` for `source` (a user id, an IP address, an account's
    /// e-mail). Returns the points left in the regular window, or `RateLimited` with when to
    /// try again.
    /// While limits are off (disabled, or the cache unreachable) it answers `i64::MAX`.
    pub async fn spend(&self, action: Action, source: &str) -> Result<i64> {
        if !self.counting() {
            return Ok(i64::MAX);
        }
        let outcome = self.spend_counted(action, source).await;
        self.tolerate(outcome, i64::MAX)
    }

    async fn spend_counted(&self, action: Action, source: &str) -> Result<i64> {
        let (regular, burst) = self.limits.of(action);
        let (key, burst_key) = Self::keys(action, source);
        let used = self.cache.incr(&key, 1, regular.window).await?;
        if used <= regular.points {
            return Ok(regular.points - used);
        }
        let burst_used = self.cache.incr(&burst_key, 1, burst.window).await?;
        if burst_used <= burst.points {
            return Ok(0);
        }
        self.refused(&key, regular).await
    }

    /// `RateLimited` when spending a point of `action` for `source` would be refused, without
    /// spending it: for limits on failures, whose points are spent only when an attempt fails.
    pub async fn check(&self, action: Action, source: &str) -> Result<()> {
        if !self.counting() {
            return Ok(());
        }
        let outcome = self.check_counted(action, source).await;
        self.tolerate(outcome, ())
    }

    async fn check_counted(&self, action: Action, source: &str) -> Result<()> {
        let (regular, burst) = self.limits.of(action);
        let (key, burst_key) = Self::keys(action, source);
        if self.count(&key).await? < regular.points || self.count(&burst_key).await? < burst.points
        {
            return Ok(());
        }
        self.refused(&key, regular).await
    }

    /// Forgets what `source` spent on `action` (a successful sign-in clears the failures).
    pub async fn reset(&self, action: Action, source: &str) -> Result<()> {
        if !self.counting() {
            return Ok(());
        }
        let (key, burst_key) = Self::keys(action, source);
        let outcome = async {
            self.cache.delete(&key).await?;
            self.cache.delete(&burst_key).await?;
            Ok(())
        }
        .await;
        self.tolerate(outcome, ())
    }

    async fn count(&self, key: &str) -> Result<i64> {
        let value = self.cache.get(key).await?;
        Ok(value
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0))
    }

    async fn refused<T>(&self, key: &str, regular: Limit) -> Result<T> {
        let retry_after = self.cache.ttl(key).await?.unwrap_or(regular.window);
        Err(Error::RateLimited {
            retry_after: retry_after.max(Duration::from_secs(1)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::memory::MemoryCache;

    fn limiter(regular: i64, burst: i64) -> RateLimiter {
        let mut limits = RateLimits::default();
        limits.set_points(Action::Login, Some(regular), Some(burst));
        RateLimiter::new(Arc::new(MemoryCache::new()), limits)
    }

    /// A cache that never answers, counting how often it was asked.
    #[derive(Default)]
    struct Unreachable(std::sync::atomic::AtomicUsize);

    impl Unreachable {
        fn fail<T>(&self) -> Result<T> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Err(Error::backend("cache", "connection refused"))
        }
    }

    #[async_trait::async_trait]
    impl Cache for Unreachable {
        fn kind(&self) -> &'static str {
            "unreachable"
        }
        async fn ping(&self) -> Result<()> {
            self.fail()
        }
        async fn get(&self, _: &str) -> Result<Option<Vec<u8>>> {
            self.fail()
        }
        async fn set(&self, _: &str, _: &[u8], _: Option<Duration>) -> Result<()> {
            self.fail()
        }
        async fn set_if_absent(&self, _: &str, _: &[u8], _: Option<Duration>) -> Result<bool> {
            self.fail()
        }
        async fn delete(&self, _: &str) -> Result<bool> {
            self.fail()
        }
        async fn incr(&self, _: &str, _: i64, _: Duration) -> Result<i64> {
            self.fail()
        }
        async fn ttl(&self, _: &str) -> Result<Option<Duration>> {
            self.fail()
        }
        async fn publish(&self, _: &str, _: &[u8]) -> Result<()> {
            self.fail()
        }
        async fn subscribe(&self, _: &str) -> Result<crate::cache::Subscription> {
            self.fail()
        }
    }

    #[tokio::test]
    async fn an_unreachable_cache_lets_requests_through_and_is_left_alone_for_a_while() {
        let cache = Arc::new(Unreachable::default());
        let limiter = RateLimiter::new(cache.clone(), RateLimits::default());
        assert_eq!(
            limiter.spend(Action::Login, "1.2.3.4").await.unwrap(),
            i64::MAX
        );
        assert!(limiter.check(Action::FailedLogin, "a@b.cd").await.is_ok());
        assert!(limiter.reset(Action::FailedLogin, "a@b.cd").await.is_ok());
        assert_eq!(
            limiter.spend(Action::Graphql, "u1").await.unwrap(),
            i64::MAX
        );
        assert_eq!(
            cache.0.load(Ordering::Relaxed),
            1,
            "only the first call asked the cache"
        );
    }

    #[tokio::test]
    async fn burst_allowance_follows_the_regular_limit() {
        let limiter = limiter(2, 1);
        assert_eq!(limiter.spend(Action::Login, "1.2.3.4").await.unwrap(), 1);
        assert_eq!(limiter.spend(Action::Login, "1.2.3.4").await.unwrap(), 0);
        assert_eq!(
            limiter.spend(Action::Login, "1.2.3.4").await.unwrap(),
            0,
            "spent from the burst"
        );
        match limiter.spend(Action::Login, "1.2.3.4").await {
            Err(Error::RateLimited { retry_after }) => {
                assert!(
                    retry_after <= Duration::from_secs(600)
                        && retry_after >= Duration::from_secs(1)
                )
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
        // Sources and actions are counted apart.
        assert!(limiter.spend(Action::Login, "5.6.7.8").await.is_ok());
        assert!(limiter.spend(Action::Register, "1.2.3.4").await.is_ok());
    }

    #[tokio::test]
    async fn check_refuses_what_spend_would_refuse_without_spending() {
        let mut limits = RateLimits::default();
        limits.set_points(Action::FailedLogin, Some(2), Some(1));
        let limiter = RateLimiter::new(Arc::new(MemoryCache::new()), limits);
        let ada = "ada@example.com";
        for _ in 0..5 {
            assert!(
                limiter.check(Action::FailedLogin, ada).await.is_ok(),
                "checks spend nothing"
            );
        }
        for _ in 0..3 {
            limiter.check(Action::FailedLogin, ada).await.unwrap();
            limiter.spend(Action::FailedLogin, ada).await.unwrap();
        }
        assert!(matches!(
            limiter.check(Action::FailedLogin, ada).await,
            Err(Error::RateLimited { .. })
        ));
        assert!(matches!(
            limiter.spend(Action::FailedLogin, ada).await,
            Err(Error::RateLimited { .. })
        ));
        // Other accounts are counted apart, and a reset clears both windows.
        assert!(limiter
            .check(Action::FailedLogin, "grace@example.com")
            .await
            .is_ok());
        limiter.reset(Action::FailedLogin, ada).await.unwrap();
        assert!(limiter.check(Action::FailedLogin, ada).await.is_ok());
    }

    #[tokio::test]
    async fn disabled_limits_never_refuse() {
        let mut limits = RateLimits::default();
        limits.set_points(Action::Login, Some(0), Some(0));
        limits.enabled = false;
        let limiter = RateLimiter::new(Arc::new(MemoryCache::new()), limits);
        for _ in 0..10 {
            assert!(limiter.spend(Action::Login, "x").await.is_ok());
        }
    }
}
