//! Every call Agora makes to another server (webhook endpoints, webhook
//! agents of external data planes) goes through a [`Guarded`] client, so
//! the address rule of [`rule`] cannot be skipped by a caller:
//!
//! - the URL is read once, by the client's own parser, and an IP literal
//!   in it is checked before the request exists;
//! - a name is resolved by the client's resolver, which drops every
//!   address the rule closes, at connect time, so a name that changes its
//!   answer after registration (DNS rebinding) still reaches nothing
//!   private;
//! - no proxy from the environment (it would resolve names itself), no
//!   redirects, a time limit.

pub mod rule;

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub use rule::{Closed, TargetError, closed, parse_target};

/// Finds the addresses of a name. The system resolver in production; tests
/// put in their own to make a name point at this machine.
pub type Lookup = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>> + Send + Sync,
>;

/// The operating system's resolver.
pub fn system_lookup() -> Lookup {
    Arc::new(|host: String| {
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(found.map(|a| a.ip()).collect())
        })
    })
}

/// The client's resolver: every address a name gives is put to the rule,
/// and only open ones are handed to the connector.
struct Resolver {
    lookup: Lookup,
    allow_private: bool,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let lookup = self.lookup.clone();
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found = lookup(host.clone()).await?;
            let mut refused = None;
            let open: Vec<SocketAddr> = found
                .into_iter()
                .filter(|ip| match closed(*ip) {
                    Some(why) if !allow_private => {
                        refused.get_or_insert((*ip, why));
                        false
                    }
                    _ => true,
                })
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if open.is_empty() {
                let why = match refused {
                    Some((ip, why)) => format!(
                        "{host} resolves to {ip}, which is {why}; outgoing calls go only to public addresses"
                    ),
                    None => format!("{host} has no address"),
                };
                return Err(why.into());
            }
            Ok(Box::new(open.into_iter()) as Addrs)
        })
    }
}

/// How a guarded client is made.
pub struct Options {
    pub timeout: Duration,
    pub user_agent: String,
    /// Let calls reach this machine and private networks (plain http too).
    pub allow_private: bool,
    /// The resolver; the system's when `None`.
    pub lookup: Option<Lookup>,
}

/// An HTTP client that calls only what the address rule allows.
#[derive(Clone)]
pub struct Guarded {
    client: reqwest::Client,
    allow_private: bool,
}

impl Guarded {
    pub fn new(o: Options) -> Result<Self, reqwest::Error> {
        let resolver = Resolver {
            lookup: o.lookup.unwrap_or_else(system_lookup),
            allow_private: o.allow_private,
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            // A redirect is never followed: it would point the call
            // somewhere the rule was not asked about, and a 307 would send
            // the signed body again.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(o.timeout)
            .connect_timeout(o.timeout)
            .user_agent(o.user_agent)
            .dns_resolver(Arc::new(resolver))
            .build()?;
        Ok(Self {
            client,
            allow_private: o.allow_private,
        })
    }

    /// A POST to `url`, once the rule allows the URL.
    pub fn post(&self, url: &str) -> Result<reqwest::RequestBuilder, TargetError> {
        let url = parse_target(url, self.allow_private)?;
        Ok(self.client.post(url))
    }
}

/// An error with its causes: reqwest's own message names only the URL, the
/// reason (a refused address, a timeout) is in its sources.
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// At most `limit` bytes of an answer's body: a server that answers
/// without end cannot fill Agora's memory.
pub async fn read_bounded(mut res: reqwest::Response, limit: usize) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = res.chunk().await {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}
