//! An agent for tests: an HTTP server on 127.0.0.1 that checks Agora's
//! signature, applies each idempotency key once, and can be told to be down,
//! flaky, slow, or to lose its answers after applying.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use agora::clock::{Clock, ManualClock};
use agora::dataplane::webhook::signature;

#[derive(Default, Clone)]
pub struct Mode {
    /// Answer 503 to everything.
    pub down: bool,
    /// Fail this share of calls with 500, at random.
    pub fail_rate: f64,
    /// Apply, then answer 503 as if the answer was lost, this share of the time.
    pub lose_answer_rate: f64,
    /// Answer this late.
    pub delay: Duration,
    /// Refuse everything with 422 and a message.
    pub refuse: bool,
    /// Answer with this redirect status and `Location`, applying nothing.
    pub redirect: Option<(u16, String)>,
    /// Answer provision and renew with this secret instead of one made up
    /// (when Agora sends none): `Some("")` answers an empty one.
    pub secret: Option<String>,
}

#[derive(Default)]
pub struct Seen {
    /// Every delivery, in order: (operation, idempotency key).
    pub deliveries: Vec<(String, String)>,
    /// Keys applied, with how many times each was applied (must stay 1).
    pub applied: HashMap<String, u32>,
    /// Credential key id → (active, secret version, secret) as the agent holds it.
    pub credentials: HashMap<String, (bool, u64, Option<String>)>,
    pub bad_signatures: u32,
    /// Every signed document received, whole, with its headers.
    pub documents: Vec<(HashMap<String, String>, serde_json::Value)>,
}

pub struct Agent {
    pub url: String,
    pub secret: Vec<u8>,
    pub mode: Arc<Mutex<Mode>>,
    pub seen: Arc<Mutex<Seen>>,
    clock: Arc<Mutex<Option<ManualClock>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Agent {
    pub fn set(&self, f: impl FnOnce(&mut Mode)) {
        f(&mut self.mode.lock().unwrap());
    }

    /// The app's clock, for the freshness check.
    pub fn use_clock(&self, clock: ManualClock) {
        *self.clock.lock().unwrap() = Some(clock);
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// What the agent's handler shares: mode, what it saw, its secret, the clock.
type Shared = (
    Arc<Mutex<Mode>>,
    Arc<Mutex<Seen>>,
    Vec<u8>,
    Arc<Mutex<Option<ManualClock>>>,
);

fn random_unit() -> f64 {
    agora::crypto::random::unit()
}

async fn handle(req: HttpRequest, body: web::Bytes, cx: web::Data<Shared>) -> HttpResponse {
    let (mode, seen, secret, clock) = cx.get_ref();
    let mode = mode.lock().unwrap().clone();
    if !mode.delay.is_zero() {
        actix_web::rt::time::sleep(mode.delay).await;
    }
    // Check the signature and that the call is fresh (5 minutes either way).
    let ts: i64 = req
        .headers()
        .get("x-agora-timestamp")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let sig = req
        .headers()
        .get("x-agora-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let now = clock
        .lock()
        .unwrap()
        .as_ref()
        .map(|c| c.now().as_millis() / 1000);
    let fresh = now.is_none_or(|now| (now - ts).abs() <= 300);
    if !fresh || sig != signature(secret, ts, &body) {
        seen.lock().unwrap().bad_signatures += 1;
        return HttpResponse::Unauthorized().json(serde_json::json!({"message": "bad signature"}));
    }
    if mode.down {
        return HttpResponse::ServiceUnavailable().finish();
    }
    if mode.refuse {
        return HttpResponse::UnprocessableEntity()
            .json(serde_json::json!({"message": "route /weather/ is not on this gateway"}));
    }
    if let Some((status, to)) = &mode.redirect {
        let status = actix_web::http::StatusCode::from_u16(*status).unwrap();
        return HttpResponse::build(status)
            .insert_header(("Location", to.as_str()))
            .finish();
    }
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let op = doc["operation"].as_str().unwrap_or("").to_owned();
    let key = doc["idempotency_key"].as_str().unwrap_or("").to_owned();
    let mut s = seen.lock().unwrap();
    s.deliveries.push((op.clone(), key.clone()));
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    s.documents.push((headers, doc.clone()));
    if random_unit() < mode.fail_rate {
        return HttpResponse::InternalServerError().json(serde_json::json!({"message": "flaky"}));
    }
    let first = !s.applied.contains_key(&key);
    if first {
        s.applied.insert(key.clone(), 1);
        if let Some(c) = doc.get("credential") {
            let kid = c["key_id"].as_str().unwrap_or("").to_owned();
            let version = c["secret_version"].as_u64().unwrap_or(0);
            let secret = doc
                .get("secret")
                .and_then(|s| s.as_str())
                .map(str::to_owned);
            match op.as_str() {
                "provision" => {
                    s.credentials.insert(
                        kid,
                        (c["active"].as_bool().unwrap_or(false), version, secret),
                    );
                }
                "suspend" | "enable" => {
                    if let Some(e) = s.credentials.get_mut(&kid) {
                        e.0 = op == "enable";
                    }
                }
                "renew" => {
                    if let Some(e) = s.credentials.get_mut(&kid) {
                        e.1 = version;
                        e.2 = secret;
                    }
                }
                "deprovision" => {
                    s.credentials.remove(&kid);
                }
                _ => {}
            }
        }
    }
    if random_unit() < mode.lose_answer_rate {
        return HttpResponse::ServiceUnavailable().finish();
    }
    // An agent that makes up secrets returns one for provision and renew
    // (the same one when a key comes again).
    if doc.get("secret").is_none() && (op == "provision" || op == "renew") {
        let made = mode
            .secret
            .clone()
            .unwrap_or_else(|| format!("agent-made-{}", &key[key.len().saturating_sub(12)..]));
        return HttpResponse::Ok().json(serde_json::json!({"message": "done", "secret": made}));
    }
    HttpResponse::Ok().json(serde_json::json!({"message": "done"}))
}

/// Starts an agent.
pub fn start_agent() -> Agent {
    let clock = Arc::new(Mutex::new(None));
    let mode = Arc::new(Mutex::new(Mode::default()));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let secret = agora::crypto::random::token().into_bytes();
    let cx = web::Data::new((mode.clone(), seen.clone(), secret.clone(), clock.clone()));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(cx.clone())
            .route("/agent", web::post().to(handle))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Agent {
        url: format!("http://127.0.0.1:{port}/agent"),
        secret,
        mode,
        seen,
        clock,
        handle,
    }
}

/// A webhook data plane named `gw` that calls an agent: its signing secret
/// is kept in a file for as long as this lives.
pub struct GwPlane {
    _dir: tempfile::TempDir,
    file: String,
    url: String,
}

impl GwPlane {
    pub fn for_agent(agent: &Agent) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("agent.secret");
        std::fs::write(&file, &agent.secret).unwrap();
        Self {
            file: file.display().to_string(),
            url: agent.url.clone(),
            _dir: dir,
        }
    }

    /// Its settings, as `AGORA_*` pairs.
    pub fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("AGORA_DATAPLANES__GW__KIND", "webhook"),
            ("AGORA_DATAPLANES__GW__URL", self.url.as_str()),
            ("AGORA_DATAPLANES__GW__SECRET_FILE", self.file.as_str()),
            // The test agent listens on 127.0.0.1.
            ("AGORA_DATAPLANES__GW__ALLOW_PRIVATE_TARGETS", "true"),
        ]
    }
}

/// A test app whose webhook plane `gw` calls a new test agent: retries
/// start 2 s apart, are at most 30 s apart, and stop after `max_attempts`.
pub async fn spawn_with_agent(
    max_attempts: &str,
    extra: &[(&str, &str)],
) -> (super::TestApp, Agent, GwPlane) {
    let agent = start_agent();
    let plane = GwPlane::for_agent(&agent);
    let mut env = plane.env();
    env.extend([
        ("AGORA_PROVISIONING__RETRY_BASE", "2s"),
        ("AGORA_PROVISIONING__RETRY_CAP", "30s"),
        ("AGORA_PROVISIONING__MAX_ATTEMPTS", max_attempts),
    ]);
    env.extend_from_slice(extra);
    let app = super::spawn_app_with(&env).await;
    agent.use_clock(app.clock.clone());
    (app, agent, plane)
}
