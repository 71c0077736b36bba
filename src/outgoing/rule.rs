//! The one rule for where Agora's outgoing calls may go, and the one way a
//! target URL is read. Pure: no I/O, so the whole table is unit-tested.
//!
//! A URL is parsed by the same parser the HTTP client uses (`url`, the
//! WHATWG URL standard), so `127.1`, `2130706433`, `0x7f000001`,
//! `0177.0.0.1`, `%31%32%37.0.0.1` and `127.0.0.1.` are all read here as
//! the client reads them: 127.0.0.1. The address rule is then asked of the
//! literal; names are asked again for every address they resolve to, at
//! connect time (`super::Guarded`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use url::Url;

/// Why an address may not be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Loopback,
    Private,
    LinkLocal,
    SharedCgn,
    Unspecified,
    Multicast,
    Broadcast,
    Documentation,
    Reserved,
    /// An IPv6 form that carries an IPv4 address which is itself closed
    /// (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
    Embeds(Ipv4Addr, &'static str),
    /// IPv6 transition forms whose target cannot be told from the address.
    Tunnel,
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Closed::Loopback => f.write_str("a loopback address (this machine)"),
            Closed::Private => f.write_str("a private-network address"),
            Closed::LinkLocal => f.write_str("a link-local address"),
            Closed::SharedCgn => f.write_str("a carrier-grade NAT (shared) address"),
            Closed::Unspecified => f.write_str("the unspecified address (this machine)"),
            Closed::Multicast => f.write_str("a multicast address"),
            Closed::Broadcast => f.write_str("the broadcast address"),
            Closed::Documentation => f.write_str("a documentation or benchmarking address"),
            Closed::Reserved => f.write_str("a reserved address"),
            Closed::Embeds(v4, form) => write!(
                f,
                "an {form} address embedding {v4}, which is {}",
                closed_v4(*v4).map_or_else(|| "closed".to_owned(), |c| c.to_string())
            ),
            Closed::Tunnel => f.write_str("a tunnelling (Teredo or local NAT64) address"),
        }
    }
}

/// Whether `ip` may be called, and if not, why. The only place that
/// decides it: registration, configuration and the connector all ask here.
pub fn closed(ip: IpAddr) -> Option<Closed> {
    match ip {
        IpAddr::V4(v4) => closed_v4(v4),
        IpAddr::V6(v6) => closed_v6(v6),
    }
}

fn closed_v4(ip: Ipv4Addr) -> Option<Closed> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_broadcast() => Closed::Broadcast,
        // 0.0.0.0/8, "this network": Linux connects 0.0.0.0 to this machine.
        (0, _, _) => Closed::Unspecified,
        (127, _, _) => Closed::Loopback,
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => Closed::Private,
        (169, 254, _) => Closed::LinkLocal,
        (100, 64..=127, _) => Closed::SharedCgn,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (198, 18..=19, _) => Closed::Documentation,
        // IETF protocol assignments, the 6to4 relay anycast.
        (192, 0, 0) | (192, 88, 99) => Closed::Reserved,
        (224..=239, _, _) => Closed::Multicast,
        (240..=255, _, _) => Closed::Reserved,
        _ => return None,
    })
}

fn closed_v6(ip: Ipv6Addr) -> Option<Closed> {
    let s = ip.segments();
    let embedded = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let embeds = |v4: Ipv4Addr, form: &'static str| closed_v4(v4).map(|_| Closed::Embeds(v4, form));
    if ip.is_unspecified() {
        return Some(Closed::Unspecified);
    }
    if ip.is_loopback() {
        return Some(Closed::Loopback);
    }
    match s {
        // ::ffff:0:0/96, IPv4-mapped.
        [0, 0, 0, 0, 0, 0xffff, _, _] => embeds(embedded, "IPv4-mapped"),
        // ::/96, IPv4-compatible (deprecated; Linux may route it to IPv4).
        [0, 0, 0, 0, 0, 0, _, _] => {
            Some(embeds(embedded, "IPv4-compatible").unwrap_or(Closed::Reserved))
        }
        // ::ffff:0:0:0/96, IPv4-translated (SIIT).
        [0, 0, 0, 0, 0xffff, 0, _, _] => {
            Some(embeds(embedded, "IPv4-translated").unwrap_or(Closed::Reserved))
        }
        // 64:ff9b::/96, the well-known NAT64 prefix.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => embeds(embedded, "NAT64"),
        // 64:ff9b:1::/48, NAT64 for local use; 2001::/32, Teredo.
        [0x64, 0xff9b, 1, ..] | [0x2001, 0, ..] => Some(Closed::Tunnel),
        // 2002::/16, 6to4: the IPv4 address follows the prefix.
        [0x2002, hi, lo, ..] => embeds(
            Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8),
            "6to4",
        ),
        // 100::/64, discard-only.
        [0x100, 0, 0, 0, ..] => Some(Closed::Reserved),
        // 2001:db8::/32 and 3fff::/20, documentation.
        [0x2001, 0xdb8, ..] => Some(Closed::Documentation),
        [0x3fff, second, ..] if second & 0xf000 == 0 => Some(Closed::Documentation),
        // fc00::/7 unique local; fe80::/10 link-local; fec0::/10 site-local.
        [first, ..] if first & 0xfe00 == 0xfc00 => Some(Closed::Private),
        [first, ..] if first & 0xffc0 == 0xfe80 => Some(Closed::LinkLocal),
        [first, ..] if first & 0xffc0 == 0xfec0 => Some(Closed::Private),
        [first, ..] if first & 0xff00 == 0xff00 => Some(Closed::Multicast),
        _ => None,
    }
}

/// Why a target URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("the URL cannot be read: {0}")]
    Unreadable(String),
    #[error("the URL must start with https://")]
    NotHttps,
    #[error("plain http:// is allowed only where private targets are")]
    PlainHttp,
    #[error("the URL must not hold a user name or password")]
    Userinfo,
    #[error("the URL names no host")]
    NoHost,
    #[error("{host} is {why}; outgoing calls go only to public addresses")]
    Closed { host: String, why: Closed },
}

/// Reads `raw` as the HTTP client will and applies the address rule to an
/// IP literal or a name that is this machine by definition (`localhost`).
/// With `allow_private`, private targets and plain http are allowed.
pub fn parse_target(raw: &str, allow_private: bool) -> Result<Url, TargetError> {
    let url = Url::parse(raw.trim()).map_err(|e| TargetError::Unreadable(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err(TargetError::PlainHttp),
        _ => return Err(TargetError::NotHttps),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Userinfo);
    }
    check_host(&url, allow_private)?;
    Ok(url)
}

/// The address rule on a parsed URL's host: what the client will connect
/// to when the host is a literal, and `localhost` names.
pub fn check_host(url: &Url, allow_private: bool) -> Result<(), TargetError> {
    let closed_as = |why: Closed, host: String| Err(TargetError::Closed { host, why });
    match url.host() {
        None => Err(TargetError::NoHost),
        Some(_) if allow_private => Ok(()),
        Some(url::Host::Ipv4(v4)) => match closed_v4(v4) {
            Some(why) => closed_as(why, v4.to_string()),
            None => Ok(()),
        },
        Some(url::Host::Ipv6(v6)) => match closed_v6(v6) {
            Some(why) => closed_as(why, format!("[{v6}]")),
            None => Ok(()),
        },
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                closed_as(Closed::Loopback, name)
            } else {
                Ok(())
            }
        }
    }
}

#[cfg(test)]
#[path = "rule_tests.rs"]
mod tests;
