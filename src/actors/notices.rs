//! Notices a team's actor writes on the scheduler's word: a credential's
//! secret stops being viewable soon. Through the actor, so they are
//! written in turn with the team's other changes, never beside them.

use actix::{Context, Handler, Message};

use super::team::{CommandResult, Reply, TeamActor};
use crate::clock::Timestamp;
use crate::domain::credential::time_left;
use crate::domain::ids::CredentialId;

/// The secret of `credential` at `version` stops being viewable at its
/// window's end, within a day of `now`: tell the team, once.
#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct WindowClosing {
    pub credential: CredentialId,
    pub version: u32,
    pub now: Timestamp,
}

impl Handler<WindowClosing> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: WindowClosing, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let Some(c) = me.own_credential(msg.credential).ok() else {
                return Ok(());
            };
            // A renewal since made a new secret; its own notice comes in time.
            if c.secret_version != msg.version
                || !me.store.mark_window_notice(c.id, msg.version)?
            {
                return Ok(());
            }
            let until = c.window_until.unwrap_or(msg.now);
            let notes = me.notify(
                me.team_id,
                format!(
                    "The secret of credential {} can be viewed for {} more; after that it is gone from Agora.",
                    c.name,
                    time_left(msg.now, until).trim_end_matches(" left")
                ),
                format!("/teams/{}/credentials/{}", me.team_id, c.id),
            )?;
            me.store.notify(&notes)?;
            Ok(())
        })
    }
}
