//! Webhook deliveries on both backend sets, to a receiver on loopback: a version event arrives
//! signed over the exact body, a 500 is retried until it succeeds, the history records the
//! attempts; private addresses are refused unless allowed; a webhook that keeps failing is
//! disabled and its owner is told by e-mail; a deleted project's webhooks hear of it, then go.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{on_both_backend_sets, options, Backends, Worker};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use fleck_core::auth::Actor;
use fleck_core::objects::batch;
use fleck_core::projects::service;
use fleck_core::projects::versions::{self, ModelRef, NewVersion};
use fleck_core::webhooks::{self, EventStatus, WebhookAttempt, WebhookChanges, WebhookEvent};
use fleck_core::Core;
use fleck_workers::webhooks::sign;
use fleck_workers::{Limits, WorkerOptions};

on_both_backend_sets!(
    a_version_event_arrives_signed_and_a_500_is_retried,
    private_addresses_are_refused_unless_allowed,
    a_webhook_that_keeps_failing_is_disabled_and_its_owner_told,
    a_deleted_projects_webhooks_hear_of_it_then_go,
    slow_webhooks_fill_only_their_own_slots_and_mail_goes_out_promptly,
);

/// A receiver on loopback that answers with `statuses` in turn (the last one from then on) and
/// records each request's signature and body.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

async fn receiver(statuses: Vec<u16>) -> Receiver {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let record = record.clone();
            let statuses = statuses.clone();
            async move {
                let signature = headers
                    .get("x-webhook-signature")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let mut seen = record.lock().unwrap();
                let status = statuses[seen.len().min(statuses.len() - 1)];
                seen.push((signature, body));
                (StatusCode::from_u16(status).unwrap(), "thanks")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, seen }
}

/// A project with one object to make versions of.
async fn project(core: &Core, actor: &Actor) -> (String, String) {
    let (project, main) = crate::support::new_project(core, actor, "Hooked").await;
    let objects = batch::parse(
        br#"[{"id":"0123456789abcdef0123456789abcdef","speckle_type":"Base"}]"#,
        1 << 20,
    )
    .unwrap();
    core.objects()
        .insert_objects(&project, objects)
        .await
        .unwrap();
    (project, main)
}

async fn new_version(core: &Core, actor: &Actor, project: &str, model: &str) {
    let input = NewVersion {
        model: ModelRef::Id(model.into()),
        object_id: "0123456789abcdef0123456789abcdef".into(),
        message: Some("hello".into()),
        source_application: None,
        total_children_count: None,
        parents: vec![],
    };
    versions::create(core, actor, project, input).await.unwrap();
}

async fn hook(core: &Core, actor: &Actor, project: &str, url: &str) -> String {
    hook_for(core, actor, project, url, &["commit_create"]).await
}

async fn hook_for(
    core: &Core,
    actor: &Actor,
    project: &str,
    url: &str,
    triggers: &[&str],
) -> String {
    let changes = WebhookChanges {
        url: Some(url.into()),
        description: Some("CI".into()),
        triggers: Some(triggers.iter().map(|t| t.to_string()).collect()),
        secret: Some("s3cret".into()),
        enabled: None,
    };
    webhooks::create(core, actor, project, changes)
        .await
        .unwrap()
        .id
}

fn worker(core: &Core, allow_private: bool) -> Worker {
    let limits = Limits {
        webhook_allow_private: allow_private,
        ..Limits::default()
    };
    // Retries wait in the queue until a poll finds them due.
    let options = WorkerOptions {
        poll_interval: Duration::from_millis(200),
        ..options("webhooks")
    };
    Worker::start(core, fleck_workers::registry(core, &limits), options)
}

/// A user's project with a webhook for new versions calling a receiver that answers `statuses`,
/// and a worker running (`allow_private` or not).
struct Hooked {
    core: Core,
    worker: Worker,
    actor: Actor,
    project: String,
    model: String,
    receiver: Receiver,
    id: String,
}

async fn hooked(backends: &Backends, allow_private: bool, statuses: Vec<u16>) -> Hooked {
    let core = backends.connect().await;
    let worker = worker(&core, allow_private);
    let actor = crate::support::new_user(&core).await;
    let (project, model) = project(&core, &actor).await;
    let receiver = receiver(statuses).await;
    let id = hook(&core, &actor, &project, &receiver.url).await;
    Hooked {
        core,
        worker,
        actor,
        project,
        model,
        receiver,
        id,
    }
}

impl Hooked {
    async fn new_version(&self) {
        new_version(&self.core, &self.actor, &self.project, &self.model).await;
    }

    /// The last ten events of the webhook `id` (of this project), newest first, and how many
    /// there are.
    async fn history(&self, id: &str) -> (Vec<WebhookEvent>, i64) {
        webhooks::history(&self.core, &self.actor, &self.project, id, 10)
            .await
            .unwrap()
    }

    /// The attempts at delivering `event` to the webhook.
    async fn attempts(&self, event: &str) -> Vec<WebhookAttempt> {
        webhooks::attempts(&self.core, &self.actor, &self.project, &self.id, event)
            .await
            .unwrap()
    }
}

/// Polls `$done` (which may `.await`) until it holds, for at most 40 s.
macro_rules! wait_until {
    ($what:expr, $done:expr) => {{
        let deadline = std::time::Instant::now() + Duration::from_secs(40);
        while !$done {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting until {}",
                $what
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }};
}

async fn a_version_event_arrives_signed_and_a_500_is_retried(backends: Arc<Backends>) {
    let h = hooked(&backends, true, vec![500, 200]).await;

    h.new_version().await;
    wait_until!("the retry arrived", {
        h.receiver.seen.lock().unwrap().len() >= 2
    });

    let seen = h.receiver.seen.lock().unwrap().clone();
    for (signature, body) in &seen {
        assert_eq!(
            signature,
            &sign("s3cret", body.as_bytes()),
            "signed over the exact body"
        );
    }
    let body: serde_json::Value = serde_json::from_str(&seen[1].1).unwrap();
    let payload = &body["payload"];
    assert_eq!(payload["event"]["event_name"], "commit_create");
    assert_eq!(payload["streamId"], h.project.as_str());
    assert_eq!(payload["stream"]["id"], h.project.as_str());
    assert_eq!(payload["webhook"]["id"], h.id.as_str());
    assert!(payload["webhook"].get("secret").is_none());
    assert!(payload["user"]["name"].is_string() && payload["user"].get("email").is_none());
    assert!(payload["server"]["canonicalUrl"].is_string());

    wait_until!("the event is delivered", {
        let (events, _) = h.history(&h.id).await;
        events
            .first()
            .is_some_and(|e| e.status == EventStatus::Delivered)
    });
    let (events, total) = h.history(&h.id).await;
    assert_eq!(total, 1);
    assert_eq!(events[0].attempts, 2);
    assert_eq!(events[0].response_code, Some(200));
    assert_eq!(events[0].response_excerpt.as_deref(), Some("thanks"));
    assert_eq!(events[0].status_info, "Webhook called");
    assert_eq!(
        events[0].payload,
        payload.clone(),
        "the history keeps what was sent"
    );

    let attempts = h.attempts(&events[0].id).await;
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(
        (attempts[0].attempt, attempts[0].response_code),
        (1, Some(500))
    );
    assert_eq!(attempts[0].response_excerpt.as_deref(), Some("thanks"));
    assert_eq!(
        attempts[0].error.as_deref(),
        Some("HTTP response code: 500")
    );
    assert_eq!(
        (attempts[1].attempt, attempts[1].response_code),
        (2, Some(200))
    );
    assert_eq!(attempts[1].error, None);
    assert!(attempts[1].started_at >= attempts[0].started_at + chrono::Duration::seconds(4));
    h.worker.stop().await;
}

async fn private_addresses_are_refused_unless_allowed(backends: Arc<Backends>) {
    let h = hooked(&backends, false, vec![200]).await;
    // A name is resolved and checked too.
    let by_name = h.receiver.url.replace("127.0.0.1", "localhost");
    let named = hook(&h.core, &h.actor, &h.project, &by_name).await;

    h.new_version().await;
    for id in [&h.id, &named] {
        wait_until!("the event failed", {
            let (events, _) = h.history(id).await;
            events
                .first()
                .is_some_and(|e| e.status == EventStatus::Failed)
        });
    }
    let (events, _) = h.history(&h.id).await;
    assert!(
        events[0]
            .status_info
            .contains("FLECK_WEBHOOK_ALLOW_PRIVATE"),
        "{}",
        events[0].status_info
    );
    assert_eq!(events[0].attempts, 1, "a refusal is not retried");
    let attempts = h.attempts(&events[0].id).await;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].response_code, None);
    assert!(attempts[0]
        .error
        .as_deref()
        .is_some_and(|e| e.contains("private")));
    assert!(
        h.receiver.seen.lock().unwrap().is_empty(),
        "nothing reached the receiver"
    );
    h.worker.stop().await;
}

async fn a_webhook_that_keeps_failing_is_disabled_and_its_owner_told(backends: Arc<Backends>) {
    // 404 fails at once: a receiver that is not there will not appear by retrying.
    let h = hooked(&backends, true, vec![404]).await;

    for _ in 0..webhooks::FAILURES_BEFORE_DISABLING {
        h.new_version().await;
    }
    wait_until!("the webhook is disabled", {
        !webhooks::find(&h.core, &h.actor, &h.project, &h.id)
            .await
            .unwrap()
            .enabled
    });
    let email = fleck_core::auth::Actor::principal(&h.actor)
        .unwrap()
        .user
        .email
        .clone();
    wait_until!("the owner got an e-mail", {
        std::fs::read_dir(backends.outbox())
            .into_iter()
            .flatten()
            .flatten()
            .any(|f| {
                let text = std::fs::read_to_string(f.path()).unwrap_or_default();
                text.contains(&email) && text.contains("A webhook of Hooked was disabled")
            })
    });
    let (events, total) = h.history(&h.id).await;
    assert_eq!(total, webhooks::FAILURES_BEFORE_DISABLING);
    assert!(
        events
            .iter()
            .all(|e| e.status == EventStatus::Failed && e.attempts == 1),
        "a 404 is not retried: {events:?}"
    );
    // Disabled, it is not called again; enabled again, it starts afresh.
    let calls = h.receiver.seen.lock().unwrap().len();
    h.new_version().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.receiver.seen.lock().unwrap().len(), calls);
    let enable = WebhookChanges {
        enabled: Some(true),
        ..Default::default()
    };
    let webhook = webhooks::update(&h.core, &h.actor, &h.project, &h.id, enable)
        .await
        .unwrap();
    assert!(webhook.enabled && webhook.failures == 0);
    h.worker.stop().await;
}

async fn a_deleted_projects_webhooks_hear_of_it_then_go(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let actor = crate::support::new_user(&core).await;
    let (project, _) = project(&core, &actor).await;
    let receiver = receiver(vec![200]).await;
    let id = hook_for(&core, &actor, &project, &receiver.url, &["stream_delete"]).await;

    // Deleted before a worker runs: the webhook outlives the project while its event waits.
    service::delete(&core, &actor, &project).await.unwrap();
    assert!(core
        .database()
        .webhooks
        .webhook(&id)
        .await
        .unwrap()
        .is_some());

    let worker = worker(&core, true);
    wait_until!("the deletion was heard of", {
        !receiver.seen.lock().unwrap().is_empty()
    });
    let (signature, body) = receiver.seen.lock().unwrap()[0].clone();
    assert_eq!(signature, sign("s3cret", body.as_bytes()));
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["payload"]["event"]["event_name"], "stream_delete");
    assert_eq!(
        body["payload"]["stream"]["name"], "Hooked",
        "the event still describes the project"
    );
    wait_until!("the webhook is gone", {
        core.database()
            .webhooks
            .webhook(&id)
            .await
            .unwrap()
            .is_none()
    });
    worker.stop().await;
}

/// A receiver on loopback that takes `delay` to answer each request; counts the requests it
/// is answering and the most it answered at once.
struct SlowReceiver {
    url: String,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    most: Arc<std::sync::atomic::AtomicUsize>,
}

async fn slow_receiver(delay: Duration) -> SlowReceiver {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (now, top) = (in_flight.clone(), most.clone());
    let app = axum::Router::new().route(
        "/hook",
        post(move || {
            let (now, top) = (now.clone(), top.clone());
            async move {
                let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                top.fetch_max(current, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                now.fetch_sub(1, Ordering::SeqCst);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    SlowReceiver {
        url,
        in_flight,
        most,
    }
}

async fn slow_webhooks_fill_only_their_own_slots_and_mail_goes_out_promptly(
    backends: Arc<Backends>,
) {
    use std::sync::atomic::Ordering;
    let core = backends.connect().await;
    let actor = crate::support::new_user(&core).await;
    let (project, model) = project(&core, &actor).await;
    let slow = slow_receiver(Duration::from_secs(8)).await;
    // Ten webhooks, so one version queues ten deliveries to the slow endpoint.
    for _ in 0..10 {
        hook(&core, &actor, &project, &slow.url).await;
    }
    let worker = worker(&core, true);
    new_version(&core, &actor, &project, &model).await;

    // Every webhook slot is taken by the slow endpoint.
    let webhook_slots = fleck_workers::runtime::default_slots()[fleck_core::webhooks::WEBHOOK_JOB];
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while slow.in_flight.load(Ordering::SeqCst) < webhook_slots {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} deliveries started",
            slow.in_flight.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Mail has slots of its own: it goes out while the webhooks wait.
    let email = fleck_core::mail::Email {
        to: "Ada <ada@example.com>".into(),
        subject: "Your invitation".into(),
        text: "Join us.".into(),
        html: None,
    };
    let enqueued = std::time::Instant::now();
    let id = email.enqueue(&core.jobs).await.unwrap();
    let job = crate::support::wait_until_finished(&core, id, Duration::from_secs(20)).await;
    let took = enqueued.elapsed();
    assert_eq!(job.state, fleck_core::queue::JobState::Succeeded, "{job:?}");
    assert!(
        took < Duration::from_secs(3),
        "the e-mail waited {took:?} behind the webhooks"
    );
    assert_eq!(
        slow.in_flight.load(Ordering::SeqCst),
        webhook_slots,
        "the deliveries were still under way"
    );
    assert!(slow.most.load(Ordering::SeqCst) <= webhook_slots);
    worker.stop().await;
}
