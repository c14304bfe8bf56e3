//! Redis: the cache shared by every replica and worker. Keys and channels carry a prefix so
//! several deployments (or tests) can share one Redis.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};

use super::fanout::Fanout;
use super::{Cache, Subscription};
use crate::config::{redact_url, CONNECT_TIMEOUT};
use crate::error::{Context, Error, Result};

pub struct RedisCache {
    conn: ConnectionManager,
    fanout: Fanout,
    prefix: String,
    url: String,
    incr_script: Script,
}

/// INCRBY that starts the key's expiry window on first use, atomically.
/// The longest a command or a reconnect attempt waits for Redis.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1);

const INCR_WITH_WINDOW: &str = r"
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
";

impl RedisCache {
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        let shown = redact_url(url);
        let client =
            Client::open(url).map_err(|e| Error::invalid("REDIS_URL", format!("{shown}: {e}")))?;
        // One direct connection first: the connection manager retries and would only say "timed out".
        tokio::time::timeout(CONNECT_TIMEOUT, client.get_multiplexed_async_connection())
            .await
            .map_err(|_| {
                Error::backend(format!("cannot connect to Redis at {shown}"), "timed out")
            })?
            .context(|| format!("cannot connect to Redis at {shown}"))?;
        // Short timeouts and few reconnect attempts: during an outage a command fails within
        // about a second instead of waiting out the client's default back-off.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(COMMAND_TIMEOUT);
        let conn = tokio::time::timeout(
            CONNECT_TIMEOUT,
            ConnectionManager::new_with_config(client.clone(), config),
        )
        .await
        .map_err(|_| Error::backend(format!("cannot connect to Redis at {shown}"), "timed out"))?
        .context(|| format!("cannot connect to Redis at {shown}"))?;
        Ok(RedisCache {
            fanout: Fanout::new(client, shown.clone()),
            conn,
            prefix: prefix.to_string(),
            url: shown,
            incr_script: Script::new(INCR_WITH_WINDOW),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd, what: &str) -> Result<T> {
        let mut conn = self.conn.clone();
        cmd.query_async(&mut conn)
            .await
            .context(|| format!("Redis at {}: {what}", self.url))
    }
}

fn millis(d: Duration) -> u64 {
    (d.as_millis() as u64).max(1)
}

#[async_trait]
impl Cache for RedisCache {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<()> {
        let _: String = self.run(&redis::cmd("PING"), "PING").await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.run(redis::cmd("GET").arg(self.key(key)), "GET").await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl));
        }
        let _: () = self.run(&cmd, "SET").await?;
        Ok(())
    }

    async fn set_if_absent(&self, key: &str, value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value).arg("NX");
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(millis(ttl));
        }
        let stored: Option<String> = self.run(&cmd, "SET NX").await?;
        Ok(stored.is_some())
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let removed: i64 = self
            .run(redis::cmd("DEL").arg(self.key(key)), "DEL")
            .await?;
        Ok(removed > 0)
    }

    async fn incr(&self, key: &str, by: i64, window: Duration) -> Result<i64> {
        let mut conn = self.conn.clone();
        self.incr_script
            .key(self.key(key))
            .arg(by)
            .arg(millis(window))
            .invoke_async(&mut conn)
            .await
            .context(|| format!("Redis at {}: INCRBY", self.url))
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>> {
        let ms: i64 = self
            .run(redis::cmd("PTTL").arg(self.key(key)), "PTTL")
            .await?;
        // -2: no such key, -1: no expiry.
        Ok((ms >= 0).then(|| Duration::from_millis(ms as u64)))
    }

    async fn publish(&self, channel: &str, message: &[u8]) -> Result<()> {
        let _: i64 = self
            .run(
                redis::cmd("PUBLISH").arg(self.key(channel)).arg(message),
                "PUBLISH",
            )
            .await?;
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Result<Subscription> {
        self.fanout.subscribe(&self.key(channel)).await
    }
}
