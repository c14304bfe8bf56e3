//! The `Cache` contract (expiring keys, fixed-window counters, pub/sub), run unchanged against the
//! in-process cache and Redis.

use std::sync::Arc;
use std::time::Duration;

use fleck_core::cache::{Cache, Subscription};
use futures::StreamExt;

crate::support::contract_tests! {
    implementations: [memory => crate::support::memory_cache, redis => crate::support::redis_cache],
    contracts: [
        cache_gets_sets_and_deletes,
        cache_expires_keys_after_their_ttl,
        cache_sets_if_absent,
        cache_counts_in_fixed_windows,
        cache_delivers_messages_to_every_subscriber_in_order,
        cache_channels_nobody_hears_can_be_heard_again,
    ],
}

/// How long a subscriber may take to see a published message.
const DELIVERY: Duration = Duration::from_secs(5);

async fn get(cache: &Arc<dyn Cache>, key: &str) -> Option<Vec<u8>> {
    cache.get(key).await.unwrap()
}

async fn next_message(subscription: &mut Subscription, who: &str) -> Vec<u8> {
    tokio::time::timeout(DELIVERY, subscription.next())
        .await
        .unwrap_or_else(|_| panic!("{who} received nothing within {DELIVERY:?}"))
        .unwrap_or_else(|| panic!("{who}'s subscription ended"))
}

async fn assert_receives_nothing(subscription: &mut Subscription, who: &str) {
    if let Ok(message) = tokio::time::timeout(Duration::from_millis(300), subscription.next()).await
    {
        panic!("{who} received {message:?}");
    }
}

async fn cache_gets_sets_and_deletes(cache: Arc<dyn Cache>) {
    assert_eq!(get(&cache, "session:1").await, None);

    cache.set("session:1", b"first", None).await.unwrap();
    assert_eq!(
        get(&cache, "session:1").await.as_deref(),
        Some(&b"first"[..])
    );
    assert_eq!(
        cache.ttl("session:1").await.unwrap(),
        None,
        "no ttl, no expiry"
    );

    // Values are bytes, not text.
    let binary = [0u8, 255, 10, 13, 0, 128];
    cache.set("session:1", &binary, None).await.unwrap();
    assert_eq!(get(&cache, "session:1").await.as_deref(), Some(&binary[..]));
    // Keys are independent.
    cache.set("session:2", b"other", None).await.unwrap();
    assert_eq!(get(&cache, "session:1").await.as_deref(), Some(&binary[..]));

    assert!(cache.delete("session:1").await.unwrap(), "the key existed");
    assert_eq!(get(&cache, "session:1").await, None);
    assert!(!cache.delete("session:1").await.unwrap(), "the key is gone");
    assert_eq!(
        get(&cache, "session:2").await.as_deref(),
        Some(&b"other"[..])
    );
}

async fn cache_expires_keys_after_their_ttl(cache: Arc<dyn Cache>) {
    let ttl = Duration::from_millis(300);
    cache.set("token", b"t", Some(ttl)).await.unwrap();
    let left = cache
        .ttl("token")
        .await
        .unwrap()
        .expect("the key has a ttl");
    assert!(!left.is_zero() && left <= ttl, "ttl {left:?} of {ttl:?}");
    assert_eq!(get(&cache, "token").await.as_deref(), Some(&b"t"[..]));

    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert_eq!(get(&cache, "token").await, None);
    assert_eq!(cache.ttl("token").await.unwrap(), None);
    assert!(
        !cache.delete("token").await.unwrap(),
        "an expired key does not exist"
    );

    // Setting a key again without a ttl makes it permanent.
    cache.set("token", b"t", Some(ttl)).await.unwrap();
    cache.set("token", b"kept", None).await.unwrap();
    assert_eq!(cache.ttl("token").await.unwrap(), None);
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert_eq!(get(&cache, "token").await.as_deref(), Some(&b"kept"[..]));
    assert_eq!(cache.ttl("absent").await.unwrap(), None);
}

async fn cache_sets_if_absent(cache: Arc<dyn Cache>) {
    assert!(cache
        .set_if_absent("lock", b"worker-1", None)
        .await
        .unwrap());
    assert!(!cache
        .set_if_absent("lock", b"worker-2", None)
        .await
        .unwrap());
    assert_eq!(
        get(&cache, "lock").await.as_deref(),
        Some(&b"worker-1"[..]),
        "the first value stays"
    );
    assert!(cache.delete("lock").await.unwrap());
    assert!(cache
        .set_if_absent("lock", b"worker-2", None)
        .await
        .unwrap());
    assert_eq!(get(&cache, "lock").await.as_deref(), Some(&b"worker-2"[..]));

    // A lock with a ttl can be taken again once it has expired.
    let ttl = Duration::from_millis(200);
    assert!(cache
        .set_if_absent("lease", b"worker-1", Some(ttl))
        .await
        .unwrap());
    assert!(cache
        .ttl("lease")
        .await
        .unwrap()
        .is_some_and(|left| left <= ttl));
    assert!(!cache
        .set_if_absent("lease", b"worker-2", Some(ttl))
        .await
        .unwrap());
    tokio::time::sleep(ttl * 2).await;
    assert!(cache
        .set_if_absent("lease", b"worker-2", Some(ttl))
        .await
        .unwrap());
    assert_eq!(
        get(&cache, "lease").await.as_deref(),
        Some(&b"worker-2"[..])
    );

    // Of many concurrent attempts exactly one wins.
    let attempts = (0..8).map(|i| {
        let cache = cache.clone();
        tokio::spawn(async move {
            cache
                .set_if_absent("race", format!("{i}").as_bytes(), None)
                .await
                .unwrap()
        })
    });
    let won = futures::future::try_join_all(attempts).await.unwrap();
    assert_eq!(won.iter().filter(|w| **w).count(), 1);
}

async fn cache_counts_in_fixed_windows(cache: Arc<dyn Cache>) {
    let window = Duration::from_millis(600);
    assert_eq!(cache.incr("hits", 1, window).await.unwrap(), 1);
    assert_eq!(cache.incr("hits", 2, window).await.unwrap(), 3);
    let left = cache
        .ttl("hits")
        .await
        .unwrap()
        .expect("the counter expires");
    assert!(left <= window, "ttl {left:?} of window {window:?}");
    assert_eq!(get(&cache, "hits").await.as_deref(), Some(&b"3"[..]));
    // Counters are independent.
    assert_eq!(cache.incr("other-hits", 5, window).await.unwrap(), 5);

    // Halfway through, an increment must not push the window's end out ...
    tokio::time::sleep(window / 2).await;
    assert_eq!(cache.incr("hits", 1, window).await.unwrap(), 4);
    // ... so after the first window (but before a pushed-out one would end) the count starts over.
    tokio::time::sleep(window / 2 + window / 4).await;
    assert_eq!(
        cache.incr("hits", 1, window).await.unwrap(),
        1,
        "a new window"
    );
    assert!(
        cache.ttl("hits").await.unwrap().is_some(),
        "the new window expires too"
    );
}

async fn cache_delivers_messages_to_every_subscriber_in_order(cache: Arc<dyn Cache>) {
    // No subscriber yet: the message reaches nobody, which is no error.
    cache.publish("events", b"lost").await.unwrap();

    let mut first = cache.subscribe("events").await.unwrap();
    let mut second = cache.subscribe("events").await.unwrap();
    let mut elsewhere = cache.subscribe("other-events").await.unwrap();

    let messages: Vec<Vec<u8>> = (1..=5)
        .map(|i| format!("message {i}").into_bytes())
        .collect();
    for message in &messages {
        cache.publish("events", message).await.unwrap();
    }
    for (subscription, who) in [(&mut first, "first"), (&mut second, "second")] {
        for expected in &messages {
            assert_eq!(
                &next_message(subscription, who).await,
                expected,
                "{who}: in order"
            );
        }
    }
    assert_receives_nothing(&mut elsewhere, "a subscriber of another channel").await;

    // A subscriber that goes away does not stop delivery to the others.
    drop(first);
    cache.publish("events", b"after").await.unwrap();
    assert_eq!(next_message(&mut second, "second").await, b"after");
    cache.publish("other-events", b"hello").await.unwrap();
    assert_eq!(
        next_message(&mut elsewhere, "the other channel's subscriber").await,
        b"hello"
    );
    assert_receives_nothing(&mut second, "second, after another channel's message").await;
}

async fn cache_channels_nobody_hears_can_be_heard_again(cache: Arc<dyn Cache>) {
    // Many listeners of many channels (Redis: all on one connection).
    let mut many = Vec::new();
    for i in 0..40 {
        many.push(cache.subscribe(&format!("busy-{}", i % 8)).await.unwrap());
    }
    let only = cache.subscribe("lonely").await.unwrap();
    drop(only);
    // This message finds nobody; the channel may be given up.
    cache.publish("lonely", b"unheard").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = cache.subscribe("lonely").await.unwrap();
    cache.publish("lonely", b"heard").await.unwrap();
    assert_eq!(next_message(&mut again, "a new listener").await, b"heard");
    cache.publish("busy-3", b"busy").await.unwrap();
    for (i, subscription) in many.iter_mut().enumerate().filter(|(i, _)| i % 8 == 3) {
        assert_eq!(
            next_message(subscription, &format!("listener {i}")).await,
            b"busy"
        );
    }
}
