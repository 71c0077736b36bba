//! A person's own settings: which notifications also come by email.

use super::AppState;
use super::error::OpError;
use crate::domain::account::User;
use crate::domain::notification::Topic;

/// Sets the topics that also come by email; unknown topics are refused.
pub async fn set_email_topics(
    state: &AppState,
    user: &User,
    chosen: &[String],
) -> Result<Vec<Topic>, OpError> {
    let mut topics = Vec::new();
    for raw in chosen {
        let t = Topic::parse(raw)
            .ok_or_else(|| OpError::invalid("topics", "Choose among the listed topics."))?;
        if !topics.contains(&t) {
            topics.push(t);
        }
    }
    topics.sort();
    state.store.set_email_topics(user.id, &topics)?;
    state.store.flush().await?;
    Ok(topics)
}

/// Whether email is set up on this server.
pub fn mail_on(state: &AppState) -> bool {
    state.mailer.is_some()
}
