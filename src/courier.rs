//! The courier sends what the delivery outbox holds — emails over SMTP and
//! webhook calls signed as Standard Webhooks describe — a batch at a time,
//! several at once, and records each attempt: delivered, due again after a
//! backoff with jitter, or given up. An SMTP or receiver outage delays
//! messages and loses none; a message sent twice carries the same id.

use std::sync::{Arc, Weak};
use std::time::Duration;

use base64::Engine;
use futures_util::stream::{self, StreamExt};

use crate::actors::webhooks::EndpointHealth;
use crate::crypto::digest::hmac_sha256;
use crate::domain::delivery::{Call, Channel, Delivery, DeliveryState};
use crate::domain::ids::EndpointId;
use crate::domain::outbox::Backoff;
use crate::mail::Refusal;
use crate::ops::AppState;
use crate::store::StoreError;

/// Deliveries taken per batch, and sent at once.
const BATCH: usize = 256;
const AT_ONCE: usize = 32;

/// How many attempts before a delivery is given up, and their spacing.
pub const BACKOFF: Backoff = Backoff {
    base: Duration::from_secs(5),
    cap: Duration::from_secs(3_600),
    max_attempts: 12,
};

/// The Standard Webhooks signature of a message: `v1,<base64 HMAC-SHA256>`
/// over `id.timestamp.body`, keyed by the secret after its `whsec_` prefix.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap_or_default();
    let mac = hmac_sha256(
        &key,
        &[
            id.as_bytes(),
            b".",
            timestamp.to_string().as_bytes(),
            b".",
            body.as_bytes(),
        ],
    );
    format!("v1,{}", b64.encode(mac))
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub attempted: usize,
    pub delivered: usize,
    pub failed: usize,
}

/// The webhook id on the wire: `msg_` and the delivery's ULID.
pub fn message_id(d: &Delivery) -> String {
    format!("msg_{}", d.id)
}

async fn attempt(state: &AppState, mut d: Delivery) -> Delivery {
    let now = state.clock.now();
    let result = match &d.channel {
        Channel::Email(mail) => match &state.mailer {
            Some(m) => m
                .send(&message_id(&d), mail, &state.public_url)
                .await
                .map(|()| None),
            None => Err(Refusal {
                message: "email is not set up ([smtp] host)".to_owned(),
                permanent: true,
                status: None,
            }),
        },
        Channel::Webhook(call) => call_endpoint(state, &d, call).await,
    };
    let channel = match &d.channel {
        Channel::Email(_) => "email",
        Channel::Webhook(_) => "webhook",
    };
    let outcome = match result {
        Ok(status) => {
            d.delivered(status, now);
            "delivered"
        }
        Err(r) => {
            let attempts = d.attempts + 1;
            let retry = (!r.permanent && !BACKOFF.gives_up(attempts)).then(|| {
                let unit = crate::crypto::random::unit();
                now.plus(BACKOFF.delay(attempts, unit))
            });
            let outcome = if retry.is_some() { "retry" } else { "failed" };
            d.failed(r.status, r.message, retry, now);
            outcome
        }
    };
    state.metrics.outcome("delivery", channel, outcome);
    d
}

async fn call_endpoint(
    state: &AppState,
    d: &Delivery,
    call: &Call,
) -> Result<Option<u16>, Refusal> {
    let refuse = |message: String, permanent: bool, status: Option<u16>| Refusal {
        message,
        permanent,
        status,
    };
    let endpoint = match state.store.endpoint(call.endpoint) {
        Ok(Some(e)) if e.enabled => e,
        Ok(Some(_)) => return Err(refuse("the endpoint is disabled".into(), true, None)),
        Ok(None) => return Err(refuse("the endpoint was removed".into(), true, None)),
        Err(e) => return Err(refuse(format!("storage: {e}"), false, None)),
    };
    let secret = state
        .vault
        .open(
            &endpoint.secret_sealed,
            &crate::domain::webhook::secret_aad(endpoint.id),
        )
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| refuse("the signing secret cannot be opened".into(), true, None))?;
    let id = message_id(d);
    let ts = state.clock.now().as_millis() / 1000;
    // The address rule is asked here, of the URL as stored: an endpoint
    // saved before the rule (or under other settings) reaches nothing it
    // forbids.
    let request = state
        .webhooks_out
        .post(&endpoint.url)
        .map_err(|e| refuse(format!("refused: {e}"), true, None))?;
    let res = request
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sign(&secret, &id, ts, &call.body))
        .body(call.body.clone())
        .send()
        .await
        .map_err(|e| {
            let why = crate::outgoing::describe(&e);
            refuse(format!("the endpoint did not answer: {why}"), false, None)
        })?;
    let status = res.status().as_u16();
    match status {
        200..=299 => Ok(Some(status)),
        // A receiver that moved must be changed by its team, not followed.
        300..=399 => Err(refuse(
            format!("the endpoint answered {status} (redirects are not followed)"),
            true,
            Some(status),
        )),
        410 => Err(refuse(
            "the endpoint answered 410 Gone".into(),
            true,
            Some(status),
        )),
        _ => Err(refuse(
            format!("the endpoint answered {status}"),
            false,
            Some(status),
        )),
    }
}

/// Sends what is due now, a batch after another while batches are full.
pub async fn deliver_due(state: &AppState) -> Result<Report, StoreError> {
    let mut report = Report::default();
    for _ in 0..100 {
        let due = state.store.due_deliveries(state.clock.now(), BATCH)?;
        let n = due.len();
        if n == 0 {
            break;
        }
        let done: Vec<Delivery> = stream::iter(due)
            .map(|d| attempt(state, d))
            .buffer_unordered(AT_ONCE)
            .collect()
            .await;
        state.store.put_deliveries(&done)?;
        state.store.flush().await?;
        report.attempted += n;
        report.delivered += done
            .iter()
            .filter(|d| d.state == DeliveryState::Delivered)
            .count();
        report.failed += done
            .iter()
            .filter(|d| d.state == DeliveryState::Failed)
            .count();
        health(state, &done).await;
        if n < BATCH {
            break;
        }
    }
    Ok(report)
}

/// Tells each endpoint's team how its deliveries went, so an endpoint
/// failing for days is disabled (by the team's actor).
async fn health(state: &AppState, done: &[Delivery]) {
    let mut by_endpoint: std::collections::BTreeMap<EndpointId, bool> = Default::default();
    for d in done {
        if let Some(e) = d.endpoint() {
            let ok = d.state == DeliveryState::Delivered;
            let seen = by_endpoint.entry(e).or_insert(false);
            *seen |= ok;
        }
    }
    for (endpoint, answered) in by_endpoint {
        let Ok(Some(e)) = state.store.endpoint(endpoint) else {
            continue;
        };
        // Healthy and answering: nothing to record.
        if answered && e.failing_since.is_none() {
            continue;
        }
        let msg = EndpointHealth { endpoint, answered };
        if let Err(err) = state.teams.send(e.team, msg).await {
            tracing::warn!(error = %err, "recording an endpoint's health");
        }
    }
}

/// The running courier: stop it before the database closes.
pub struct Running {
    stop: Arc<tokio::sync::Notify>,
    task: actix_web::rt::task::JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) {
        self.stop.notify_one();
        let _ = self.task.await;
    }
}

/// Runs the courier until stopped: whenever deliveries are written, and
/// every two seconds for those due again after a backoff.
async fn run(state: Weak<AppState>, stop: Arc<tokio::sync::Notify>) {
    loop {
        let Some(s) = state.upgrade() else {
            return;
        };
        match deliver_due(&s).await {
            Ok(r) if r.attempted > 0 => tracing::info!(
                attempted = r.attempted,
                delivered = r.delivered,
                failed = r.failed,
                "deliveries"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "delivering"),
        }
        let store = s.store.clone();
        drop(s);
        tokio::select! {
            _ = stop.notified() => return,
            _ = store.deliveries_written() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

/// Starts the courier beside the application.
pub fn start(state: &Arc<AppState>) -> Running {
    let stop = Arc::new(tokio::sync::Notify::new());
    let task = actix_web::rt::spawn(run(Arc::downgrade(state), stop.clone()));
    Running { stop, task }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification.
    #[test]
    fn signatures_follow_the_standard() {
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
