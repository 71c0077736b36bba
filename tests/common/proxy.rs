//! Real reverse proxies in front of two APIs, `/weather/` and `/billing/`,
//! each asking Agora with the configuration docs/gateways.md prints: the
//! page is read here, so the documentation and the tests cannot drift.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Browser, Consumer, Holder, TestApp, last_id, location};

/// The addresses the documented configurations use.
pub const DOC_AGORA: &str = "127.0.0.1:8080";
pub const DOC_WEATHER: &str = "127.0.0.1:9001";
pub const DOC_BILLING: &str = "127.0.0.1:9002";

/// The fenced block after `<!-- tested: NAME -->` in docs/gateways.md.
pub fn documented(name: &str) -> String {
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/gateways.md"))
            .expect("docs/gateways.md");
    let marker = format!("<!-- tested: {name} -->");
    let after = &page[page.find(&marker).expect("the tested block is marked") + marker.len()..];
    let fence = after.find("```").expect("a fenced block follows");
    let body = &after[fence..];
    let body = &body[body.find('\n').expect("the fence line ends") + 1..];
    body[..body.find("```").expect("the block is closed")].to_owned()
}

/// Whether a proxy's binary exists; without it a test prints a notice and
/// passes on a developer machine, but fails under CI.
pub fn binary(name: &str, candidates: &[&str]) -> Option<PathBuf> {
    let found = candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| {
            let out = Command::new("sh")
                .arg("-c")
                .arg(format!("command -v {name}"))
                .output()
                .ok()?;
            let path = String::from_utf8(out.stdout).ok()?;
            let path = path.trim();
            (!path.is_empty()).then(|| PathBuf::from(path))
        });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the {name} tests: .ci/run installs {name}"
        );
        eprintln!("NOTICE: {name} tests skipped: {name} is not installed");
    }
    found
}

/// A running proxy, stopped when dropped.
pub struct Proxy {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proxy {
    pub fn start(mut cmd: Command, port: u16, log: PathBuf) -> Self {
        let child = cmd
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("proxy log"))
            .spawn()
            .expect("start the proxy");
        let mut proxy = Proxy { child, port, log };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = proxy.child.try_wait() {
                panic!("the proxy exited with {status}:\n{}", proxy.log());
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the proxy did not start:\n{}",
                proxy.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        proxy
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A small upstream API that records every request line it receives.
pub struct Upstream {
    pub name: &'static str,
    pub port: u16,
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl Upstream {
    pub fn start(name: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an upstream");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let log = log.clone();
                std::thread::spawn(move || {
                    let head = read_head(&mut stream);
                    let first = head.lines().next().unwrap_or_default().to_owned();
                    let app = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("x-agora-application")
                                .then(|| v.trim().to_owned())
                        })
                        .unwrap_or_default();
                    log.lock().unwrap().push(first);
                    let body = format!("{name} upstream for {app}");
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        Upstream { name, port, seen }
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

fn read_head(stream: &mut TcpStream) -> String {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&byte[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Sends a request exactly as written (no client library normalises the
/// target); returns the status and body.
pub fn raw(port: u16, target: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the proxy");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut req =
        format!("GET {target} HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// What is tried, the request target, and the headers sent.
type Attack<'a> = (&'a str, String, Vec<(&'a str, String)>);

/// Two APIs of two providers, a consumer application with one key for each.
pub struct TwoApis {
    pub weather: Holder,
    pub weather_key: String,
    pub billing_key: String,
    pub billing_resource: String,
    pub weather_up: Upstream,
    pub billing_up: Upstream,
}

impl TwoApis {
    pub async fn set_up(app: &TestApp, admin: &Browser) -> Self {
        let weather = app.holder(admin, "embedded").await;
        let (_, weather_key, _) = admin
            .create_credential(&weather, "Weather key", "api_key")
            .await;
        let billing = app.listing(admin, "Billing", "automatic").await;
        let res = admin
            .subscribe(&billing.product, &billing.plan, &weather.c.team)
            .await;
        assert_eq!(res.status(), 303);
        let consumer = Consumer {
            team: weather.c.team.clone(),
            subscription: last_id(&res),
            application: weather.c.application.clone(),
            listing: billing,
        };
        let res = admin.request_access_for(&consumer).await;
        assert_eq!(res.status(), 303);
        let to = location(&res);
        let access = to.split('/').rev().nth(2).expect("access id").to_owned();
        app.run_due().await;
        let billing_resource = consumer.listing.resource.clone();
        let billing = Holder {
            c: consumer,
            access,
        };
        let (_, billing_key, _) = admin
            .create_credential(&billing, "Billing key", "api_key")
            .await;
        app.run_due().await;
        // The billing provider cannot nest a route of its own inside /weather/.
        let l = &billing.c.listing;
        let page = format!(
            "/provider/{}/products/{}/resources/new",
            l.provider, l.product
        );
        let res = admin
            .submit(
                &page,
                &page,
                &[
                    ("name", "Weather, taken over"),
                    ("route", "/weather/v2/"),
                    ("dataplane", "embedded"),
                    ("credential_types", "api_key"),
                    ("access_approval", "automatic"),
                    ("rows", "0"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            422,
            "a nested route of another product is refused"
        );
        TwoApis {
            weather,
            weather_key,
            billing_key,
            billing_resource,
            weather_up: Upstream::start("weather"),
            billing_up: Upstream::start("billing"),
        }
    }

    /// A documented configuration with the test's addresses.
    pub fn configure(&self, documented: &str, agora: &str) -> String {
        let agora = agora.trim_start_matches("http://");
        documented
            .replace(DOC_AGORA, agora)
            .replace(DOC_WEATHER, &format!("127.0.0.1:{}", self.weather_up.port))
            .replace(DOC_BILLING, &format!("127.0.0.1:{}", self.billing_up.port))
    }

    /// Waits until the proxy routes a legitimate call (Traefik loads its
    /// routes a moment after it listens).
    pub fn wait_until_routed(&self, proxy: &Proxy) {
        let started = Instant::now();
        loop {
            let (status, _) = raw(
                proxy.port,
                "/weather/today",
                &[("X-API-Key", &self.weather_key)],
            );
            if status == 200 {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the proxy never routed a legitimate call (last {status}):\n{}",
                proxy.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The attack table, then the legitimate calls, through `proxy`.
    pub fn attack(&self, proxy: &Proxy) {
        self.wait_until_routed(proxy);
        let weather_id = self.weather.c.listing.resource.as_str();
        let key = self.weather_key.as_str();
        let with_key = |extra: &[(&'static str, &'static str)]| {
            let mut h: Vec<(&str, String)> = vec![("X-API-Key", key.to_owned())];
            h.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
            h
        };
        // (what is tried, request target, headers)
        let mut table: Vec<Attack> = vec![
            (
                "the other API, plainly",
                "/billing/invoices".into(),
                with_key(&[]),
            ),
            (
                "a spoofed X-Agora-Resource",
                "/billing/invoices".into(),
                vec![
                    ("X-API-Key", key.to_owned()),
                    ("X-Agora-Resource", weather_id.to_owned()),
                ],
            ),
            (
                "a spoofed X-Original-URI",
                "/billing/invoices".into(),
                with_key(&[("X-Original-URI", "/weather/today")]),
            ),
            (
                "a spoofed X-Forwarded-Uri",
                "/billing/invoices".into(),
                with_key(&[("X-Forwarded-Uri", "/weather/today")]),
            ),
            (
                "spoofed original-URI headers, twice over",
                "/billing/invoices".into(),
                with_key(&[
                    ("X-Original-URI", "/weather/today"),
                    ("X-Forwarded-Uri", "/weather/today"),
                    ("X-Forwarded-Prefix", "/weather/"),
                    ("X-Original-Url", "/weather/today"),
                    ("X-Rewrite-Url", "/weather/today"),
                ]),
            ),
        ];
        for target in [
            "/weather/../billing/invoices",
            "/weather/./../billing/invoices",
            "/weather/x/../../billing/invoices",
            "/weather/%2e%2e/billing/invoices",
            "/weather/%2E%2E/billing/invoices",
            "/weather/.%2e/billing/invoices",
            "/weather/%2e./billing/invoices",
            "/weather%2F..%2Fbilling/invoices",
            "/weather/..%2Fbilling/invoices",
            "/weather/..%2fbilling/invoices",
            "/weather/..%5Cbilling/invoices",
            "/weather/..\\billing/invoices",
            "/weather;/../billing/invoices",
            "/weather/%00/../../billing/invoices",
            "/weather//../billing/invoices",
            "//billing/invoices",
            "/weather/..//billing/invoices",
            "/Billing/invoices",
            "/BILLING/invoices",
            "/%62illing/invoices",
            "/billing/invoices?x=/weather/",
            "/billing/invoices#/weather/",
            "/billing/",
            "http://api.example.com/billing/invoices",
            "http://api.example.com/weather/../billing/invoices",
            "http://api.example.com/weather/%2e%2e/billing/invoices",
            "https://api.example.com/billing/invoices",
        ] {
            table.push(("a path that leads to billing", target.into(), with_key(&[])));
        }
        let mut failures = Vec::new();
        for (what, target, headers) in &table {
            let before = self.billing_up.count();
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = raw(proxy.port, target, &h);
            let reached = self.billing_up.count() > before || body.contains("billing upstream");
            if reached || ![400, 401, 403, 404].contains(&status) {
                failures.push(format!(
                    "{what}: GET {target} → {status} {body:?}, billing upstream reached: {reached}"
                ));
            }
        }
        // Legitimate calls still pass, each to its own upstream.
        for (target, key, upstream) in [
            ("/weather/today?city=Oslo", &self.weather_key, "weather"),
            // Double-encoded dots are no dots: the call stays on weather.
            (
                "/weather/%252e%252e/billing/x",
                &self.weather_key,
                "weather",
            ),
            ("/weather/a/../today", &self.weather_key, "weather"),
            ("/%77eather/today", &self.weather_key, "weather"),
            ("/billing/invoices", &self.billing_key, "billing"),
        ] {
            let (status, body) = raw(proxy.port, target, &[("X-API-Key", key)]);
            let expected = format!("{upstream} upstream for {}", self.weather.c.application);
            if status != 200 || body != expected {
                failures.push(format!(
                    "legitimate GET {target} → {status} {body:?}, wanted 200 {expected:?}"
                ));
            }
        }
        // The upstream never sees an application a client chose.
        let (status, body) = raw(
            proxy.port,
            "/weather/today",
            &[
                ("X-API-Key", &self.weather_key),
                ("X-Agora-Application", "01SPOOFEDSPOOFEDSPOOFEDSPO"),
            ],
        );
        if status != 200 || body.contains("SPOOFED") {
            failures.push(format!(
                "a client's X-Agora-Application reached the upstream: {status} {body:?}"
            ));
        }
        // No route nests inside /weather/: the billing key does not reach it
        // there, and the weather key still does.
        for (target, key, reached) in [
            ("/weather/v2/x", &self.billing_key, None),
            ("/weather/v2/x", &self.weather_key, Some("weather")),
        ] {
            let (status, body) = raw(proxy.port, target, &[("X-API-Key", key)]);
            let ok = match reached {
                None => [400, 401, 403, 404].contains(&status) && !body.contains("upstream"),
                Some(up) => status == 200 && body.starts_with(up),
            };
            if !ok {
                failures.push(format!("nested route: GET {target} → {status} {body:?}"));
            }
        }
        // The billing key is no key for weather either.
        let (status, body) = raw(
            proxy.port,
            "/billing/../weather/today",
            &[("X-API-Key", &self.billing_key)],
        );
        if ![400, 401, 403, 404].contains(&status) || body.contains("upstream") {
            failures.push(format!("billing key on weather: {status} {body:?}"));
        }
        assert!(
            failures.is_empty(),
            "{} of {} calls went wrong:\n{}\n--- proxy log:\n{}",
            failures.len(),
            table.len() + 7,
            failures.join("\n"),
            proxy.log()
        );
    }
}
