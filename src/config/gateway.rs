//! `[gateway]`: the embedded data plane's endpoints and the proxy in front
//! of them.

use std::time::Duration;

/// The embedded data plane's public endpoints.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// How long an OAuth access token from `/oauth/token` lives.
    pub token_ttl: Duration,
    /// The proxy in front, which decides where the original URI is read.
    pub proxy: ProxyKind,
    /// Whether `X-Agora-Resource` names the resource: only when the proxy's
    /// configuration sets that header itself, per location.
    pub resource_header: bool,
}

/// The reverse proxy that asks `/gateway/authorize`, and so the one place
/// the original request URI is read from: a header that proxy overwrites,
/// never one a client could add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// `X-Original-URI`, set by `proxy_set_header X-Original-URI $request_uri`.
    Nginx,
    /// `X-Forwarded-Uri`, which `forwardAuth` sets from the request.
    Traefik,
    /// `X-Forwarded-Uri`, which `forward_auth` sets from the request.
    Caddy,
    /// The path `ext_authz` appends to `/gateway/authorize`.
    Envoy,
}

impl ProxyKind {
    pub fn parse(v: &str) -> Result<Self, String> {
        match v {
            "nginx" => Ok(Self::Nginx),
            "traefik" => Ok(Self::Traefik),
            "caddy" => Ok(Self::Caddy),
            "envoy" => Ok(Self::Envoy),
            _ => Err("put \"nginx\", \"traefik\", \"caddy\" or \"envoy\": the proxy that asks /gateway/authorize".to_owned()),
        }
    }

    /// The header that carries the original URI; `None`: the appended path.
    pub fn uri_header(self) -> Option<&'static str> {
        match self {
            Self::Nginx => Some("x-original-uri"),
            Self::Traefik | Self::Caddy => Some("x-forwarded-uri"),
            Self::Envoy => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nginx => "nginx",
            Self::Traefik => "traefik",
            Self::Caddy => "caddy",
            Self::Envoy => "envoy",
        }
    }
}
