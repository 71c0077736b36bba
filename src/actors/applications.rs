//! A team's actor writes its applications: creating, editing, archiving
//! (which revokes their access and credentials) and deleting.

use actix::{Context, Handler, Message};

use super::team::{CommandResult, Reply, TeamActor, TeamCommandError};
use crate::domain::access::{AccessError, Provisioning};
use crate::domain::application::{Application, ApplicationDetails, ApplicationError};
use crate::domain::audit::Subject;
use crate::domain::ids::{ApplicationId, UserId};
use crate::store::{AppWrite, Changes, Conflict, StoreError};

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct SaveApplication {
    pub id: ApplicationId,
    pub is_new: bool,
    pub details: ApplicationDetails,
    pub actor: UserId,
}

impl Handler<SaveApplication> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: SaveApplication, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let (app, old_name_key) = if msg.is_new {
                let app = Application {
                    id: msg.id,
                    team: me.team_id,
                    details: msg.details,
                    created_at: me.clock.now(),
                    archived_at: None,
                };
                (app, None)
            } else {
                let mut app = me.own_application(msg.id)?;
                if app.is_archived() {
                    return Err(ApplicationError::Archived.into());
                }
                let old = app.details.name_key();
                app.details = msg.details;
                let renamed = (old != app.details.name_key()).then_some(old);
                (app, renamed)
            };
            let verb = if msg.is_new { "created" } else { "edited" };
            let audit = me.audit_about(
                msg.actor,
                &format!("application.{verb}"),
                format!("{verb} application {}", app.details.name),
                Some(Subject::Application(app.id)),
            );
            let changes = Changes {
                application: Some(AppWrite {
                    app: &app,
                    is_new: msg.is_new,
                    old_name_key,
                }),
                ..Changes::default()
            };
            me.store.commit(&changes, &audit).map_err(name_taken)
        })
    }
}

pub(super) fn name_taken(e: StoreError) -> TeamCommandError {
    match e {
        StoreError::Conflict(Conflict::ApplicationNameTaken) => ApplicationError::NameTaken.into(),
        StoreError::Conflict(Conflict::AlreadyRequested) => AccessError::AlreadyRequested.into(),
        other => other.into(),
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct ArchiveApplication {
    pub id: ApplicationId,
    pub actor: UserId,
}

impl Handler<ArchiveApplication> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: ArchiveApplication, _: &mut Context<Self>) -> Reply {
        self.commit_and_kick(|me| {
            let mut app = me.own_application(msg.id)?;
            if app.is_archived() {
                return Err(ApplicationError::Archived.into());
            }
            app.archived_at = Some(me.clock.now());
            let revoked = me.revoke_all(
                me.store.accesses_of_app(app.id)?,
                "The application was archived.",
            )?;
            let audit = me.audit_about(
                msg.actor,
                "application.archived",
                format!(
                    "archived application {}; {} access revoked",
                    app.details.name,
                    revoked.accesses.len()
                ),
                Some(Subject::Application(app.id)),
            );
            let changes = Changes {
                application: Some(AppWrite {
                    app: &app,
                    is_new: false,
                    old_name_key: None,
                }),
                ..revoked.changes()
            };
            me.store.commit_all(&changes, &revoked.audits(me, audit))?;
            revoked.announce(&me.gateway);
            Ok(())
        })
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct DeleteApplication {
    pub id: ApplicationId,
    pub actor: UserId,
}

impl Handler<DeleteApplication> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: DeleteApplication, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let app = me.own_application(msg.id)?;
            if !app.is_archived() {
                return Err(ApplicationError::NotArchived.into());
            }
            let accesses = me.store.accesses_of_app(app.id)?;
            if accesses
                .iter()
                .any(|a| a.provisioning == Provisioning::Pending)
            {
                return Err(ApplicationError::StillDeprovisioning.into());
            }
            // The record of the deletion stays with the team, not the deleted application.
            let audit = me.audit_about(
                msg.actor,
                "application.deleted",
                format!("deleted application {}", app.details.name),
                None,
            );
            me.store.delete_application(&app, &accesses, &audit)?;
            Ok(())
        })
    }
}
