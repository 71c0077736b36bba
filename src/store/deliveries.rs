//! The delivery outbox: emails and webhook calls by id, a time-ordered
//! index of those due, and each endpoint's deliveries newest last.

use sled::transaction::TransactionalTree;

use super::codec::decode;
use super::{Store, StoreError, TxResult, key, tx_decode, tx_encode};
use crate::clock::Timestamp;
use crate::domain::delivery::{Channel, Delivery, DeliveryState, Email};
use crate::domain::ids::{DeliveryId, EndpointId};
use crate::domain::notification::Notification;

fn due_key(d: &Delivery) -> [u8; 24] {
    let at = d.next_at.as_millis().max(0) as u64;
    key::<24>(&[&at.to_be_bytes(), &d.id.to_bytes()])
}

fn endpoint_key(endpoint: EndpointId, id: DeliveryId) -> [u8; 32] {
    key::<32>(&[&endpoint.to_bytes(), &id.to_bytes()])
}

/// Writes a delivery and its index entries inside a transaction over
/// `delivery`, `delivery_due` and `delivery_by_endpoint`.
pub(super) fn put_in(
    delivery: &TransactionalTree,
    due: &TransactionalTree,
    by_endpoint: &TransactionalTree,
    d: &Delivery,
) -> TxResult<()> {
    let id = d.id.to_bytes();
    if let Some(old) = delivery.insert(&id[..], tx_encode(d)?)? {
        let old: Delivery = tx_decode(&old)?;
        if old.state == DeliveryState::Due {
            due.remove(&due_key(&old)[..])?;
        }
    }
    if d.state == DeliveryState::Due {
        due.insert(&due_key(d)[..], &[])?;
    }
    if let Some(endpoint) = d.endpoint() {
        by_endpoint.insert(&endpoint_key(endpoint, d.id)[..], &[])?;
    }
    Ok(())
}

impl Store {
    /// Writes deliveries (new, or after an attempt) in one transaction.
    pub fn put_deliveries(&self, list: &[Delivery]) -> Result<(), StoreError> {
        let _writing = self.writing();
        use sled::transaction::Transactional;
        let trees = [
            &self.delivery,
            &self.delivery_due,
            &self.delivery_by_endpoint,
        ];
        let _turn = self.turn();
        let r = trees.as_slice().transaction(|t| {
            for d in list {
                put_in(&t[0], &t[1], &t[2], d)?;
            }
            Ok(())
        });
        super::from_tx(r)
    }

    pub fn delivery(&self, id: DeliveryId) -> Result<Option<Delivery>, StoreError> {
        self.delivery
            .get(id.to_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    /// Deliveries due at `now`, earliest first, at most `limit`.
    pub fn due_deliveries(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let end = (now.as_millis().max(0) as u64 + 1).to_be_bytes();
        let mut out = Vec::new();
        for k in self.delivery_due.range(..&end[..]).keys().take(limit) {
            if let Some(id) = DeliveryId::from_bytes(&k?[8..]) {
                out.extend(self.delivery(id)?);
            }
        }
        Ok(out)
    }

    /// The most recent deliveries to an endpoint, newest first.
    pub fn deliveries_of_endpoint(
        &self,
        endpoint: EndpointId,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        for k in self
            .delivery_by_endpoint
            .scan_prefix(endpoint.to_bytes())
            .keys()
            .rev()
            .take(limit)
        {
            if let Some(id) = DeliveryId::from_bytes(&k?[16..]) {
                out.extend(self.delivery(id)?);
            }
        }
        Ok(out)
    }

    /// How many deliveries wait for an attempt (a gauge).
    pub fn deliveries_due(&self) -> usize {
        self.delivery_due.len()
    }
}

impl Store {
    /// Email is set up: notifications of the topics people chose become emails.
    pub fn set_mail(&self, on: bool) {
        self.mail.store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Waits until deliveries are written (or returns at once if some were
    /// since the last wait).
    pub async fn deliveries_written(&self) {
        self.deliveries_written.notified().await;
    }

    /// Wakes the courier (after deliveries were written outside a commit).
    pub fn wake_courier(&self) {
        self.deliveries_written.notify_one();
    }

    /// The emails these notifications become: one for each person who
    /// chose email for the notification's topic.
    pub(super) fn emails_for(&self, notes: &[Notification]) -> Result<Vec<Delivery>, StoreError> {
        if notes.is_empty() || !self.mail.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for n in notes {
            let Some(user) = self.user(n.user)? else {
                continue;
            };
            if !user.is_active() || !user.email_topics.contains(&n.topic()) {
                continue;
            }
            let email = Email {
                to: user.email.as_str().to_owned(),
                subject: subject_of(&n.text),
                text: n.text.clone(),
                link: Some(n.link.clone()),
            };
            out.push(Delivery::new(Channel::Email(email), n.at));
        }
        Ok(out)
    }
}

/// An email's subject: the notification's first sentence, at most 100 characters.
fn subject_of(text: &str) -> String {
    let first = text.split_inclusive(". ").next().unwrap_or(text).trim();
    let mut s: String = first.chars().take(100).collect();
    if first.chars().count() > 100 {
        s.push('…');
    }
    s
}
