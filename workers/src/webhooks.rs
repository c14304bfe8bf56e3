//! The `webhook` job: delivers one stored event to its webhook's URL.
//!
//! The body is exactly `{"payload": <event>}`, signed in `X-WEBHOOK-SIGNATURE` with the hex
//! HMAC-SHA256 of those bytes under the webhook's secret (empty when it has none), as Speckle's
//! webhook service does. 200, 201, 202 and 204 count as delivered. Network errors, timeouts and
//! 5xx answers are retried by the job queue with exponential backoff; anything else fails at
//! once. Every attempt is recorded with the event.
//!
//! The URL's host is resolved here, every address it resolves to is checked, and the request
//! goes to the checked address (no second lookup, no proxy): private, loopback, link-local and
//! other non-public addresses are refused unless the operator allows them. Redirects are never
//! followed, so a webhook cannot be bounced into the server's own network either.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fleck_core::queue::Job;
use fleck_core::webhooks::delivery::{self, Attempt, Finished, Outcome};
use fleck_core::webhooks::{EXCERPT_CHARS, WEBHOOK_JOB};
use fleck_core::Core;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use crate::runtime::{payload, Handler, JobError};

/// Longest one attempt may take: resolving the name, then the request and its answer.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    event_id: String,
}

/// How one attempt went, before it is timed.
struct Answer {
    code: Option<u16>,
    excerpt: Option<String>,
    outcome: Outcome,
}

impl Answer {
    fn failed(outcome: Outcome) -> Self {
        Answer {
            code: None,
            excerpt: None,
            outcome,
        }
    }
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

    /// The address to connect to for `host`, checked; `Err` says why there is none.
    async fn address(&self, host: &str, port: u16) -> Result<SocketAddr, Outcome> {
        let found = tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((host, port))).await;
        let addresses: Vec<SocketAddr> = match found {
            Ok(Ok(found)) => found.collect(),
            Ok(Err(e)) => return Err(Outcome::Retry(format!("cannot resolve {host}: {e}"))),
            Err(_) => return Err(Outcome::Retry(format!("resolving {host} timed out"))),
        };
        // Every address must be allowed, or a name could point at a public and a private one.
        if !self.allow_private && addresses.iter().any(|a| !is_public(a.ip())) {
            return Err(Outcome::Refused(format!(
                "{host} resolves to a private, loopback or link-local address; webhooks may only call public addresses (an operator can allow others with FLECK_WEBHOOK_ALLOW_PRIVATE=true)"
            )));
        }
        addresses
            .first()
            .copied()
            .ok_or_else(|| Outcome::Retry(format!("{host} has no address")))
    }

    async fn attempt(&self, url: &str, secret: &str, body: String) -> Answer {
        let Ok(parsed) = url::Url::parse(url) else {
            return Answer::failed(Outcome::Refused(format!("{url} is not a URL")));
        };
        let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) else {
            return Answer::failed(Outcome::Refused(format!("{url} names no host")));
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let address = match self.address(&host, port).await {
            Ok(address) => address,
            Err(outcome) => return Answer::failed(outcome),
        };
        // Connect to the address checked above, not to whatever a second lookup (or a proxy's)
        // would answer.
        let client = match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(TIMEOUT)
            .resolve(&host, address)
            .build()
        {
            Ok(client) => client,
            Err(e) => {
                return Answer::failed(Outcome::Retry(format!("cannot make an HTTP client: {e}")))
            }
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
                let why = if e.is_timeout() {
                    format!("{host} did not answer within {} s", TIMEOUT.as_secs())
                } else {
                    format!("cannot reach {host}: {}", error_chain(&e))
                };
                return Answer::failed(Outcome::Retry(why));
            }
        };
        let status = response.status().as_u16();
        // Enough bytes for the excerpt's characters, however they are encoded.
        let mut bytes = Vec::new();
        while bytes.len() < EXCERPT_CHARS * 4 {
            match response.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                _ => break,
            }
        }
        let excerpt: String = String::from_utf8_lossy(&bytes)
            .chars()
            .take(EXCERPT_CHARS)
            .collect();
        let outcome = match status {
            200 | 201 | 202 | 204 => Outcome::Delivered,
            500..=599 => Outcome::Retry(format!("HTTP response code: {status}")),
            300..=399 => Outcome::Refused(format!(
                "HTTP response code: {status} (redirects are not followed)"
            )),
            _ => Outcome::Refused(format!("HTTP response code: {status}")),
        };
        Answer {
            code: Some(status),
            excerpt: Some(excerpt).filter(|e| !e.is_empty()),
            outcome,
        }
    }
}

/// An error with its causes, which say what actually went wrong (refused, reset, …).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[async_trait]
impl Handler for DeliverWebhook {
    fn kind(&self) -> &'static str {
        WEBHOOK_JOB
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let payload: Payload = payload(job, "a webhook job")?;
        let retry = |e: fleck_core::Error| JobError::Retry(e.to_string());
        let Some(delivery) = delivery::begin(&self.core, &payload.event_id)
            .await
            .map_err(retry)?
        else {
            return Ok(());
        };
        let body = json!({ "payload": delivery.event.payload }).to_string();
        let secret = delivery.webhook.secret.clone().unwrap_or_default();
        let started_at = fleck_core::projects::now();
        let clock = Instant::now();
        let answer = self.attempt(&delivery.webhook.url, &secret, body).await;
        let attempt = Attempt {
            code: answer.code,
            excerpt: answer.excerpt,
            outcome: answer.outcome,
            started_at,
            duration: clock.elapsed(),
        };
        match delivery::finish(&self.core, delivery, attempt, job.attempt, job.max_attempts)
            .await
            .map_err(retry)?
        {
            Finished::Delivered => Ok(()),
            Finished::Again(why) => Err(JobError::Retry(why)),
            Finished::Failed(why) => Err(JobError::Permanent(why)),
        }
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
    // IPv4-mapped (::ffff:0:0/96) reaches the IPv4 address in its last 32 bits.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // IPv4-translated (::ffff:0:0:0/96, SIIT) too.
    if segments[..6] == [0, 0, 0, 0, 0xffff, 0] {
        let [.., hi, lo] = segments;
        return is_public_v4(Ipv4Addr::from(((hi as u32) << 16) | lo as u32));
    }
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return is_public_v4(Ipv4Addr::from(((hi as u32) << 16) | lo as u32));
    }
    // 6to4 (2002::/16) reaches the IPv4 address in its second and third segments.
    if segments[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::from(
            ((segments[1] as u32) << 16) | segments[2] as u32,
        ));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] == 0x2001 && segments[1] == 0) // Teredo tunnels
        || (segments[0] == 0x0100 && segments[1..4] == [0, 0, 0]) // discard-only
        || (segments[0] == 0x64 && segments[1] == 0xff9b && segments[2] == 1) // local-use NAT64 (64:ff9b:1::/48): translates to any address the operator chose
        || (segments[0] & 0xfe00) == 0xfc00 // unique local
        || (segments[0] & 0xffc0) == 0xfe80 // link-local
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside some networks)
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
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2001:0:4136:e378::1",
            "ff02::1",
            // local-use NAT64, whatever IPv4 address it carries
            "64:ff9b:1::a00:1",
            "64:ff9b:1:ffff::808:808",
            // site-local
            "fec0::1",
            "feff:ffff::1",
            // IPv4-mapped and -translated private addresses
            "::ffff:0:0",
            "::ffff:192.168.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0:7f00:1",
            "::ffff:0:a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
            "2002:101:101::1",
            "::ffff:0:101:101",
            "64:ff9b::808:808",
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
