//! Where webhooks may go. A subscriber names a URL; a service must never
//! be turned into a client of its own network: loopback, private, link-local
//! (the cloud's metadata service at 169.254.169.254), carrier-grade NAT,
//! unique-local IPv6 and the like are refused when the webhook is created
//! and again at every connection (a name that resolved to a public address
//! at creation may resolve to a private one at delivery), redirects are
//! never followed (a 307 would re-POST the signed body elsewhere), and what
//! the deliveries log shows of a failure is coarse. An operator developing
//! against a receiver on their own machine starts the service with
//! `--allow-private-webhooks`.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 to anything
}

/// Why a webhook URL is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("'{0}' is not an http(s) URL")]
    NotHttp(String),
    #[error("{0} is not a public address (loopback, private, link-local and similar ranges are refused)")]
    Private(String),
    #[error("{0} resolves to no public address")]
    Unresolved(String),
}

/// Checks a webhook URL when it is created: http(s), and a host that is or
/// resolves to public addresses only (unless private ones are allowed).
pub async fn check_url(text: &str, allow_private: bool) -> Result<reqwest::Url, Refused> {
    let url = reqwest::Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| Refused::NotHttp(text.to_string()))?;
    if allow_private {
        return Ok(url);
    }
    // The URL parser has already read decimal, octal and hex IPv4 forms.
    match url.host() {
        Some(url::Host::Ipv4(ip)) if !is_public(IpAddr::V4(ip)) => {
            return Err(Refused::Private(ip.to_string()))
        }
        Some(url::Host::Ipv6(ip)) if !is_public(IpAddr::V6(ip)) => {
            return Err(Refused::Private(ip.to_string()))
        }
        Some(url::Host::Domain(name)) => {
            let port = url.port_or_known_default().unwrap_or(443);
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                .await
                .map_err(|_| Refused::Unresolved(name.to_string()))?
                .collect();
            if addresses.is_empty() {
                return Err(Refused::Unresolved(name.to_string()));
            }
            if let Some(private) = addresses.iter().find(|a| !is_public(a.ip())) {
                return Err(Refused::Private(format!("{name} ({})", private.ip())));
            }
        }
        _ => {}
    }
    Ok(url)
}

/// A DNS resolver for deliveries that keeps public addresses only: a name
/// rebound to a private address after it was checked cannot be reached.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(Box::new(std::io::Error::other(format!(
                    "{host} resolves to no public address"
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client deliveries go out through: no redirects followed, and
/// (unless private addresses are allowed) names resolved to public
/// addresses only; each request names `agent`.
pub fn client(
    timeout: std::time::Duration,
    allow_private: bool,
    agent: &str,
) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(agent);
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder.build()
}

/// Whether a delivery to `url` may be made now: an address written in the
/// URL is checked here (a name is checked by the resolver at connection).
pub fn may_deliver(url: &str, allow_private: bool) -> bool {
    if allow_private {
        return true;
    }
    match reqwest::Url::parse(url)
        .ok()
        .as_ref()
        .and_then(|u| u.host())
    {
        Some(url::Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => true,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 33, item 11: every form of a private address is refused at
    /// creation, decimal and hex IPv4 and mapped IPv6 included; a public
    /// one is taken, and so is anything when private addresses are allowed.
    #[tokio::test]
    async fn private_addresses_are_refused_in_every_spelling() {
        for url in [
            "http://127.0.0.1/hook",
            "http://localhost:8080/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
        ] {
            let refused = check_url(url, false).await;
            assert!(
                matches!(refused, Err(Refused::Private(_))),
                "{url}: {refused:?}"
            );
            assert!(
                !may_deliver(url, false) || url.contains("localhost"),
                "{url}"
            );
            assert!(
                check_url(url, true).await.is_ok(),
                "{url} with private allowed"
            );
        }
        assert!(matches!(
            check_url("file:///etc/passwd", false).await,
            Err(Refused::NotHttp(_))
        ));
        assert!(check_url("https://93.184.215.14/hook", false).await.is_ok());
        assert!(may_deliver("https://93.184.215.14/hook", false));
    }
}
