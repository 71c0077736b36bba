//! A webhook receiver inside the test: an HTTP server on 127.0.0.1 that
//! records every call and answers with the status the test sets.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub calls: Arc<Mutex<Vec<Received>>>,
    pub status: Arc<AtomicU16>,
}

struct Shared {
    calls: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

async fn take(req: HttpRequest, body: web::Bytes, s: web::Data<Shared>) -> HttpResponse {
    let h = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    s.calls.lock().unwrap().push(Received {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let status = s.status.load(Ordering::Relaxed);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl Receiver {
    pub fn start() -> Self {
        let calls: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let shared = web::Data::new(Shared {
            calls: calls.clone(),
            status: status.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .default_service(web::to(take))
        })
        .workers(1)
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        Self {
            url: format!("http://127.0.0.1:{port}/hooks"),
            calls,
            status,
        }
    }

    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::Relaxed);
    }

    pub fn calls(&self) -> Vec<Received> {
        self.calls.lock().unwrap().clone()
    }

    /// Waits until a call of `event` arrived; returns it.
    pub async fn wait_for(&self, event: &str) -> Received {
        let started = Instant::now();
        loop {
            if let Some(c) = self
                .calls()
                .into_iter()
                .find(|c| c.body.contains(&format!("\"type\":\"{event}\"")))
            {
                return c;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no {event} call; got {:?}",
                self.calls()
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
