//! Who a request comes from when Fleck runs behind proxies: the connection's peer, unless that
//! peer is a trusted proxy, in which case `X-Forwarded-For` says who it was talking to.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The address a request comes from, as the rate limits count it. The server puts it in every
/// request's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One address or network (`10.0.0.0/8`, `fd00::/8`, `192.0.2.7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, canonical(ip)) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(base) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(base) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Network {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let invalid = || {
            Error::invalid(
                "trusted_proxies",
                format!("{text:?} is not an IP address or a network like 10.0.0.0/8"),
            )
        };
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let base = canonical(address.trim().parse().map_err(|_| invalid())?);
        let bits = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().map_err(|_| invalid())?,
            None => bits,
        };
        if prefix > bits {
            return Err(invalid());
        }
        Ok(Network { base, prefix })
    }
}

/// IPv4 addresses in their IPv4 form, also when a dual-stack socket reports them mapped into
/// IPv6 (`::ffff:10.0.0.1`).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The proxies (load balancers, ingress) whose `X-Forwarded-For` Fleck believes
/// (`FLECK_TRUSTED_PROXIES`). Empty by default: the connection's peer is the client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl FromStr for TrustedProxies {
    type Err = Error;

    /// A comma-separated list of addresses and networks; empty entries are ignored.
    fn from_str(text: &str) -> Result<Self> {
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(Network::from_str)
            .collect::<Result<Vec<_>>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(ip))
    }

    /// The client behind `peer`: while the hop at hand is a trusted proxy, the address it says
    /// it was talking to (the right-most `X-Forwarded-For` entry not yet used; every value of
    /// the header, in order). The first untrusted address is the client; anything to its left
    /// was written by that client and is ignored. An entry that is not an address ends the walk
    /// at the last hop known.
    pub fn client<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> ClientAddress {
        let mut client = canonical(peer);
        if !self.contains(client) {
            return ClientAddress(client);
        }
        let entries: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for entry in entries.iter().rev() {
            let Some(hop) = forwarded_address(entry) else {
                break;
            };
            client = canonical(hop);
            if !self.contains(client) {
                break;
            }
        }
        ClientAddress(client)
    }
}

/// An `X-Forwarded-For` entry: an address, maybe with a port (`192.0.2.1:4711`, `[2001:db8::1]:4711`).
fn forwarded_address(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse() {
        return Some(ip);
    }
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    entry
        .rsplit_once(':')
        .and_then(|(host, _port)| host.parse::<std::net::Ipv4Addr>().ok())
        .map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_parse_and_match() {
        let proxies: TrustedProxies = " 10.0.0.0/8, 192.0.2.7 ,fd00::/8,".parse().unwrap();
        assert!(proxies.contains(ip("10.1.2.3")));
        assert!(proxies.contains(ip("192.0.2.7")));
        assert!(!proxies.contains(ip("192.0.2.8")));
        assert!(proxies.contains(ip("fd12::1")));
        assert!(!proxies.contains(ip("fe80::1")));
        // A dual-stack socket's mapped IPv4 address is that IPv4 address.
        assert!(proxies.contains(ip("::ffff:10.9.9.9")));
        let everything: TrustedProxies = "0.0.0.0/0, ::/0".parse().unwrap();
        assert!(everything.contains(ip("203.0.113.1")) && everything.contains(ip("2001:db8::1")));
        for bad in [
            "10.0.0.0/33",
            "fd00::/129",
            "proxy.internal",
            "10.0.0.0/x",
            "1.2.3",
        ] {
            assert!(bad.parse::<TrustedProxies>().is_err(), "{bad:?}");
        }
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("127.0.0.1"), ["203.0.113.9"]),
            ClientAddress(ip("127.0.0.1")),
            "without trusted proxies the header is ignored"
        );
        let proxies: TrustedProxies = "127.0.0.1, 10.0.0.0/8".parse().unwrap();
        assert_eq!(
            proxies.client(ip("198.51.100.1"), ["203.0.113.9"]),
            ClientAddress(ip("198.51.100.1")),
            "an untrusted peer is the client whatever it claims"
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), ["203.0.113.9"]),
            ClientAddress(ip("203.0.113.9"))
        );
        // The right-most untrusted address: what the client wrote itself is skipped.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), ["6.6.6.6, 203.0.113.9, 10.0.0.2"]),
            ClientAddress(ip("203.0.113.9"))
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), ["6.6.6.6", "203.0.113.9:5123, 10.0.0.2"]),
            ClientAddress(ip("203.0.113.9")),
            "several header values, and ports"
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), ["[2001:db8::5]:443"]),
            ClientAddress(ip("2001:db8::5"))
        );
        // Only trusted hops: the furthest one. Garbage: the last hop known.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), ["10.0.0.3, 10.0.0.2"]),
            ClientAddress(ip("10.0.0.3"))
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), ["203.0.113.9, nonsense, 10.0.0.2"]),
            ClientAddress(ip("10.0.0.2"))
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), std::iter::empty()),
            ClientAddress(ip("127.0.0.1"))
        );
    }
}
