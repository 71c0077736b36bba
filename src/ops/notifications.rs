//! A person's notifications: read newest first, marked read one by one or
//! all at once. Marking is flushed before it is answered.

use super::AppState;
use super::error::OpError;
use crate::domain::ids::{NotificationId, UserId};
use crate::domain::notification::Notification;

/// The most a list shows: the badge counts further, the list stops here.
pub const SHOWN: usize = 100;

pub fn list(state: &AppState, user: UserId) -> Result<Vec<Notification>, OpError> {
    Ok(state.store.notifications(user, SHOWN)?)
}

/// Marks one notification read (`Some`), or all of them; returns how many
/// changed. One that is not the person's is not found, read or not.
pub async fn mark_read(
    state: &AppState,
    user: UserId,
    which: Option<NotificationId>,
) -> Result<usize, OpError> {
    if let Some(id) = which
        && !state.store.has_notification(user, id)?
    {
        return Err(OpError::NotFound);
    }
    let n = state.store.mark_read(user, which)?;
    state.store.flush().await?;
    Ok(n)
}
