//! Messages Agora sends out — emails and webhook calls — written in the
//! same transaction as what they tell of, then sent in the background and
//! retried with backoff until they are delivered or given up.

use serde::{Deserialize, Serialize};

use super::ids::{DeliveryId, EndpointId};
use crate::clock::Timestamp;

/// One email: plain text with a link to the page it is about. Never a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// A path on this site (made absolute with `server.public_url` when sent).
    #[serde(default)]
    pub link: Option<String>,
}

/// One webhook call: the event's JSON body for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub endpoint: EndpointId,
    /// The event type, such as `credential.suspended`.
    pub event: String,
    /// The body as sent, signed as is.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email(Email),
    Webhook(Call),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Due,
    Delivered,
    /// Given up after the last attempt (or its endpoint was disabled).
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Due => "due",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    /// Also the message's identity on the wire (`webhook-id`, `Message-ID`),
    /// so a receiver that sees it twice knows it is the same message.
    pub id: DeliveryId,
    pub channel: Channel,
    pub state: DeliveryState,
    pub attempts: u32,
    pub next_at: Timestamp,
    #[serde(default)]
    pub last_error: Option<String>,
    /// The HTTP status of the last webhook attempt.
    #[serde(default)]
    pub last_status: Option<u16>,
    pub created_at: Timestamp,
    #[serde(default)]
    pub done_at: Option<Timestamp>,
}

impl Delivery {
    pub fn new(channel: Channel, now: Timestamp) -> Self {
        Self {
            id: DeliveryId::generate(now),
            channel,
            state: DeliveryState::Due,
            attempts: 0,
            next_at: now,
            last_error: None,
            last_status: None,
            created_at: now,
            done_at: None,
        }
    }

    pub fn endpoint(&self) -> Option<EndpointId> {
        match &self.channel {
            Channel::Webhook(c) => Some(c.endpoint),
            Channel::Email(_) => None,
        }
    }

    /// Records a delivered attempt.
    pub fn delivered(&mut self, status: Option<u16>, now: Timestamp) {
        self.attempts += 1;
        self.state = DeliveryState::Delivered;
        self.last_status = status;
        self.last_error = None;
        self.done_at = Some(now);
    }

    /// Records a failed attempt: due again at `retry_at`, or given up.
    pub fn failed(
        &mut self,
        status: Option<u16>,
        error: String,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) {
        self.attempts += 1;
        self.last_status = status;
        self.last_error = Some(error);
        match retry_at {
            Some(at) => {
                self.state = DeliveryState::Due;
                self.next_at = at;
            }
            None => {
                self.state = DeliveryState::Failed;
                self.done_at = Some(now);
            }
        }
    }

    /// Redeliver: due now again, with a fresh attempt budget.
    pub fn again(&mut self, now: Timestamp) {
        self.state = DeliveryState::Due;
        self.attempts = 0;
        self.next_at = now;
        self.done_at = None;
    }
}
