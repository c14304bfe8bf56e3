//! One Redis pub/sub connection for the whole process. Each channel is subscribed once, however
//! many local listeners it has, and its messages fan out to them; a channel nobody listens to
//! any more is unsubscribed when its next message finds no one. A lost connection is reopened,
//! with every channel subscribed again, by the next subscriber or, while anyone listens, by the
//! reader itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use redis::Client;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;

use super::Subscription;
use crate::error::{Context, Result};

/// Messages a slow listener may fall behind by before it skips some.
const CHANNEL_CAPACITY: usize = 256;
/// How long the reader waits between attempts to reopen a lost connection.
const RETRY: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Fanout(Arc<Inner>);

struct Inner {
    client: Client,
    url: String,
    listeners: Mutex<HashMap<String, broadcast::Sender<Vec<u8>>>>,
    /// The connection's command half; `None` until the first subscription and after a loss.
    /// Subscribing and unsubscribing both hold it, so they never cross.
    sink: tokio::sync::Mutex<Option<PubSubSink>>,
}

impl Fanout {
    pub fn new(client: Client, url: String) -> Self {
        Fanout(Arc::new(Inner {
            client,
            url,
            listeners: Mutex::default(),
            sink: tokio::sync::Mutex::default(),
        }))
    }

    pub async fn subscribe(&self, channel: &str) -> Result<Subscription> {
        let receiver = self
            .0
            .listeners()
            .entry(channel.to_string())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe();
        let mut sink = self.0.sink.lock().await;
        let subscribed = match sink.as_mut() {
            // Subscribing twice to one channel is harmless, and cheaper than tracking it.
            Some(connected) => connected
                .subscribe(channel)
                .await
                .context(|| format!("Redis at {}: SUBSCRIBE", self.0.url)),
            // A new connection subscribes every channel listened to, this one included.
            None => self.0.clone().connect().await.map(|new| *sink = Some(new)),
        };
        if subscribed.is_err() {
            *sink = None;
        }
        subscribed?;
        Ok(BroadcastStream::new(receiver)
            .filter_map(|message| async move { message.ok() })
            .boxed())
    }
}

impl Inner {
    fn listeners(&self) -> std::sync::MutexGuard<'_, HashMap<String, broadcast::Sender<Vec<u8>>>> {
        self.listeners.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens the connection, subscribes every channel someone listens to, and starts the task
    /// that reads its messages. (Boxed: the reader reconnects through it.)
    fn connect(self: Arc<Self>) -> BoxFuture<'static, Result<PubSubSink>> {
        Box::pin(async move {
            let (mut sink, stream) = self
                .client
                .get_async_pubsub()
                .await
                .context(|| format!("Redis at {}: opening the subscription connection", self.url))?
                .split();
            let channels: Vec<String> = self.listeners().keys().cloned().collect();
            if !channels.is_empty() {
                sink.subscribe(&channels)
                    .await
                    .context(|| format!("Redis at {}: SUBSCRIBE", self.url))?;
            }
            tokio::spawn(self.read(stream, sink.clone()));
            Ok(sink)
        })
    }

    async fn read(self: Arc<Self>, mut stream: PubSubStream, sink: PubSubSink) {
        while let Some(message) = stream.next().await {
            let channel = message.get_channel_name().to_string();
            let unheard = {
                let mut listeners = self.listeners();
                let heard = listeners.get(&channel).is_some_and(|sender| {
                    sender.send(message.get_payload_bytes().to_vec()).is_ok()
                });
                if !heard {
                    listeners.remove(&channel);
                }
                !heard
            };
            if unheard {
                self.unsubscribe(&sink, &channel).await;
            }
        }
        self.sink.lock().await.take();
        tracing::warn!(redis = %self.url, "the Redis subscription connection closed");
        // Reopen while someone listens; otherwise the next subscriber will.
        loop {
            tokio::time::sleep(RETRY).await;
            let mut current = self.sink.lock().await;
            if current.is_some() || self.listeners().is_empty() {
                return;
            }
            match self.clone().connect().await {
                Ok(reopened) => {
                    *current = Some(reopened);
                    tracing::info!(redis = %self.url, "the Redis subscription connection is back");
                    return;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "reopening the Redis subscription connection")
                }
            }
        }
    }

    /// Unsubscribes `channel` unless someone started listening to it again meanwhile.
    async fn unsubscribe(&self, sink: &PubSubSink, channel: &str) {
        let _exclusive = self.sink.lock().await;
        if !self.listeners().contains_key(channel) {
            if let Err(e) = sink.clone().unsubscribe(channel).await {
                tracing::debug!(error = %e, channel, "unsubscribing an unheard Redis channel");
            }
        }
    }
}
