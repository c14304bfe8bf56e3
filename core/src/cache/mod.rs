//! `Cache`: short-lived shared state — key/value with expiry, counters for rate limits and
//! pub/sub between API replicas and workers. In-process by default, Redis in production.

mod fanout;
pub mod memory;
pub mod redis;

use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::error::Result;

/// Messages published on one channel, in order, as long as the stream is held.
pub type Subscription = BoxStream<'static, Vec<u8>>;

#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// `memory` or `redis`.
    fn kind(&self) -> &'static str;

    async fn ping(&self) -> Result<()>;

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;

    /// Stores `value`; it disappears after `ttl` when one is given.
    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()>;

    /// Stores `value` only when `key` is absent; `true` when it was stored.
    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool>;

    /// Removes `key`; `true` when it existed.
    async fn delete(&self, key: &str) -> Result<bool>;

    /// Adds `by` to a counter and returns the new value. The first increment starts the counter's
    /// window: it disappears `window` later, whatever happens to it meanwhile (fixed-window limits).
    async fn incr(&self, key: &str, by: i64, window: Duration) -> Result<i64>;

    /// How long until `key` expires; `None` when it is absent or never expires.
    async fn ttl(&self, key: &str) -> Result<Option<Duration>>;

    /// Delivers `message` to every current subscriber of `channel`, on every replica.
    async fn publish(&self, channel: &str, message: &[u8]) -> Result<()>;

    /// Starts receiving `channel`; messages published after this returns are delivered.
    async fn subscribe(&self, channel: &str) -> Result<Subscription>;
}
