//! The in-process cache: a map with expiry and a broadcast channel per pub/sub channel.
//! Right for a single `fleck serve`; several replicas need Redis to share state.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use super::{Cache, Subscription};
use crate::error::Result;

/// Sweep expired entries once this many writes have happened since the last sweep.
const SWEEP_EVERY: u32 = 1024;
/// Messages a slow subscriber may fall behind by before it misses some.
const CHANNEL_CAPACITY: usize = 1024;

#[derive(Default)]
pub struct MemoryCache {
    entries: Mutex<Entries>,
    channels: Mutex<HashMap<String, broadcast::Sender<Vec<u8>>>>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    writes_since_sweep: u32,
}

struct Entry {
    value: Value,
    expires: Option<Instant>,
}

enum Value {
    Bytes(Vec<u8>),
    Counter(i64),
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| at > now)
    }
}

impl Entries {
    fn live(&mut self, key: &str) -> Option<&mut Entry> {
        let now = Instant::now();
        if self.map.get(key).is_some_and(|e| !e.live(now)) {
            self.map.remove(key);
        }
        self.map.get_mut(key)
    }

    fn insert(&mut self, key: &str, entry: Entry) {
        self.writes_since_sweep += 1;
        if self.writes_since_sweep >= SWEEP_EVERY {
            let now = Instant::now();
            self.map.retain(|_, e| e.live(now));
            self.writes_since_sweep = 0;
        }
        self.map.insert(key.to_string(), entry);
    }
}

impl MemoryCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave the map half-updated, so poisoning is moot.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sender(&self, channel: &str) -> broadcast::Sender<Vec<u8>> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels.retain(|_, tx| tx.receiver_count() > 0);
        channels
            .entry(channel.to_string())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .clone()
    }
}

fn expiry(ttl: Option<Duration>) -> Option<Instant> {
    ttl.map(|t| Instant::now() + t)
}

#[async_trait]
impl Cache for MemoryCache {
    fn kind(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.entries().live(key).map(|e| match &e.value {
            Value::Bytes(b) => b.clone(),
            Value::Counter(n) => n.to_string().into_bytes(),
        }))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let entry = Entry {
            value: Value::Bytes(value.to_vec()),
            expires: expiry(ttl),
        };
        self.entries().insert(key, entry);
        Ok(())
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        let mut entries = self.entries();
        if entries.live(key).is_some() {
            return Ok(false);
        }
        entries.insert(
            key,
            Entry {
                value: Value::Bytes(value.to_vec()),
                expires: expiry(ttl),
            },
        );
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let mut entries = self.entries();
        let existed = entries.live(key).is_some();
        entries.map.remove(key);
        Ok(existed)
    }

    async fn incr(&self, key: &str, by: i64, window: Duration) -> Result<i64> {
        let mut entries = self.entries();
        if let Some(entry) = entries.live(key) {
            let current = match &entry.value {
                Value::Counter(n) => *n,
                Value::Bytes(b) => std::str::from_utf8(b)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
            };
            entry.value = Value::Counter(current + by);
            return Ok(current + by);
        }
        entries.insert(
            key,
            Entry {
                value: Value::Counter(by),
                expires: expiry(Some(window)),
            },
        );
        Ok(by)
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        let now = Instant::now();
        Ok(self
            .entries()
            .live(key)
            .and_then(|e| e.expires)
            .map(|at| at.saturating_duration_since(now)))
    }

    async fn publish(&self, channel: &str, message: &[u8]) -> Result<()> {
        // No subscribers is not an error: like Redis, the message just reaches nobody.
        let _ = self.sender(channel).send(message.to_vec());
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Result<Subscription> {
        let rx = self.sender(channel).subscribe();
        // A subscriber that falls more than CHANNEL_CAPACITY behind skips what it missed.
        Ok(BroadcastStream::new(rx)
            .filter_map(|message| async move { message.ok() })
            .boxed())
    }
}
