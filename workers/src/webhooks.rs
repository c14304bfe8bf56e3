//! The `webhook` job: delivers one stored event to its webhook's URL.
//!
//! The body is exactly `{"payload": <event>}`, signed in `X-WEBHOOK-SIGNATURE` with the hex
//! HMAC-SHA256 of those bytes under the webhook's secret (empty when it has none), as Speckle's
//! webhook service does. 200, 201, 202 and 204 count as delivered. Network errors, timeouts and
//! 5xx answers are retried by the job queue with exponential backoff; anything else fails at
//! once. Addresses that resolve to private, loopback or link-local networks are refused unless
//! the operator allows them, and redirects are never followed, so a webhook cannot be used to
//! reach into the server's own network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use fleck_core::queue::Job;
use fleck_core::webhooks::{self, EventStatus, WEBHOOK_JOB};
use fleck_core::Core;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use crate::runtime::{Handler, JobError};

const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of the receiver's answer the history keeps.
const EXCERPT: usize = 500;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    event_id: String,
}

/// How one attempt went.
struct Attempt {
    code: Option<u16>,
    excerpt: Option<String>,
    outcome: Outcome,
}

enum Outcome {
    Delivered,
    /// Worth trying again later.
    Retry(String),
    /// Trying again cannot help.
    Refused(String),
}

pub struct DeliverWebhook {
    core: Core,
    allow_private: bool,
}

impl DeliverWebhook {
    pub fn new(core: Core, allow_private: bool) -> Self {
        DeliverWebhook {
            core,
            allow_private,
        }
    }

    async fn attempt(&self, url: &str, secret: &str, body: String) -> Attempt {
        let refused = |why: String| Attempt {
            code: None,
            excerpt: None,
            outcome: Outcome::Refused(why),
        };
        let Ok(parsed) = url::Url::parse(url) else {
            return refused(format!("{url} is not a URL"));
        };
        let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) else {
            return refused(format!("{url} names no host"));
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let addresses: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), port)).await
        {
            Ok(found) => found.collect(),
            Err(e) => {
                return Attempt {
                    code: None,
                    excerpt: None,
                    outcome: Outcome::Retry(format!("cannot resolve {host}: {e}")),
                }
            }
        };
        // Every address must be allowed, or a name could point at a public and a private one.
        if !self.allow_private && addresses.iter().any(|a| !is_public(a.ip())) {
            return refused(format!(
                "{host} resolves to a private, loopback or link-local address; webhooks may only call public addresses (an operator can allow others with FLECK_WEBHOOK_ALLOW_PRIVATE=true)"
            ));
        }
        let Some(address) = addresses.first().copied() else {
            return refused(format!("{host} has no address"));
        };
        // Connect to the address checked above, not to whatever a second lookup would answer.
        let client = match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .resolve(&host, address)
            .build()
        {
            Ok(client) => client,
            Err(e) => return refused(format!("cannot make an HTTP client: {e}")),
        };
        let response = client
            .post(parsed)
            .header("content-type", "application/json")
            .header("x-webhook-signature", sign(secret, body.as_bytes()))
            .header("user-agent", "Fleck-Webhooks/1")
            .body(body)
            .send()
            .await;
        let mut response = match response {
            Ok(response) => response,
            Err(e) => {
                return Attempt {
                    code: None,
                    excerpt: None,
                    outcome: Outcome::Retry(format!("cannot reach {host}: {e}")),
                }
            }
        };
        let status = response.status().as_u16();
        let mut excerpt = Vec::new();
        while excerpt.len() < EXCERPT {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                _ => break,
            }
        }
        excerpt.truncate(EXCERPT);
        let excerpt =
            Some(String::from_utf8_lossy(&excerpt).into_owned()).filter(|e| !e.is_empty());
        let outcome = match status {
            200 | 201 | 202 | 204 => Outcome::Delivered,
            500..=599 => Outcome::Retry(format!("HTTP response code: {status}")),
            300..=399 => Outcome::Refused(format!(
                "HTTP response code: {status} (redirects are not followed)"
            )),
            _ => Outcome::Refused(format!("HTTP response code: {status}")),
        };
        Attempt {
            code: Some(status),
            excerpt,
            outcome,
        }
    }
}

#[async_trait]
impl Handler for DeliverWebhook {
    fn kind(&self) -> &'static str {
        WEBHOOK_JOB
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let payload: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("not a webhook job: {e}")))?;
        let retry = |e: fleck_core::Error| JobError::Retry(e.to_string());
        let store = &self.core.webhooks;
        let Some(mut event) = store
            .webhook_event(&payload.event_id)
            .await
            .map_err(retry)?
        else {
            return Ok(());
        };
        let Some(webhook) = store.webhook(&event.webhook_id).await.map_err(retry)? else {
            return Ok(());
        };
        if !webhook.enabled {
            event.status = EventStatus::Failed;
            event.status_info = "Webhook disabled".into();
            event.updated_at = Utc::now();
            store.save_webhook_event(&event).await.map_err(retry)?;
            return Ok(());
        }
        event.status = EventStatus::Sending;
        event.attempts += 1;
        event.updated_at = Utc::now();
        store.save_webhook_event(&event).await.map_err(retry)?;

        let body = json!({ "payload": event.payload }).to_string();
        let secret = webhook.secret.clone().unwrap_or_default();
        let attempt = self.attempt(&webhook.url, &secret, body).await;
        event.response_code = attempt.code.map(i64::from);
        event.response_excerpt = attempt.excerpt;
        event.updated_at = Utc::now();
        let will_retry = job.attempt < job.max_attempts;
        let result = match attempt.outcome {
            Outcome::Delivered => {
                event.status = EventStatus::Delivered;
                event.status_info = "Webhook called".into();
                store.save_webhook_event(&event).await.map_err(retry)?;
                webhooks::record_success(&self.core, &webhook.id)
                    .await
                    .map_err(retry)?;
                return Ok(());
            }
            Outcome::Retry(why) if will_retry => {
                event.status = EventStatus::Pending;
                event.status_info = format!(
                    "{why}; trying again (attempt {} of {})",
                    job.attempt, job.max_attempts
                );
                Err(JobError::Retry(why))
            }
            Outcome::Retry(why) | Outcome::Refused(why) => {
                event.status = EventStatus::Failed;
                event.status_info = why.clone();
                Err(JobError::Permanent(why))
            }
        };
        store.save_webhook_event(&event).await.map_err(retry)?;
        if event.status == EventStatus::Failed
            && webhooks::record_failure(&self.core, &webhook.id, &event.status_info)
                .await
                .map_err(retry)?
        {
            tracing::warn!(webhook = %webhook.id, url = %webhook.url, "webhook disabled after repeated failures");
        }
        result
    }
}

/// Hex HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (CGNAT), multicast, reserved or unspecified, in IPv4 or IPv6 (mapped addresses included).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return is_public_v4(Ipv4Addr::from(((hi as u32) << 16) | lo as u32));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "ff02::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn signatures_are_hex_hmac_sha256() {
        // RFC 4231, test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
