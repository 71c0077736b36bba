//! One actor per team: the only writer of the team's data, so two concurrent
//! changes to one team are applied one after the other, never interleaved.

use std::time::{Duration, Instant};

use actix::{Actor, ActorContext, AsyncContext, Context, Handler, Message};

use crate::clock::SharedClock;
use crate::domain::access::AccessError;
use crate::domain::application::ApplicationError;
use crate::domain::audit::{AuditRecord, Subject};
use crate::domain::ids::{AuditId, TeamId, UserId};
use crate::domain::outbox::Backoff;
use crate::domain::product::CatalogError;
use crate::domain::subscription::TransitionError;
use crate::domain::team::{Membership, MembershipError, Team, TeamRole, check_admin_kept};
use crate::marketplace::Marketplace;

use super::kicker::Kicker;
use crate::store::{Conflict, Store, StoreError};

/// An actor that received nothing for this long stops; the registry starts a
/// new one on the next message.
const IDLE_STOP: Duration = Duration::from_secs(600);

#[derive(Debug, thiserror::Error)]
pub enum TeamCommandError {
    #[error(transparent)]
    Rule(#[from] MembershipError),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Application(#[from] ApplicationError),
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    Credential(#[from] crate::domain::credential::CredentialError),
    #[error(transparent)]
    Endpoint(#[from] crate::domain::webhook::EndpointError),
    #[error(transparent)]
    Conflict(Conflict),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for TeamCommandError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(c) => TeamCommandError::Conflict(c),
            other => TeamCommandError::Store(other),
        }
    }
}

pub type CommandResult = Result<(), TeamCommandError>;

/// A command's answer, given once its write is durable.
pub type Reply = Durable<(), TeamCommandError>;

/// A handler's answer that waits for its writes to be durable. The
/// flushing thread sends it once a flush covers them, so the actor's
/// thread neither waits for the flush nor has a task to poll for it: it
/// goes on with the next message at once.
pub struct Durable<T, E> {
    answer: Result<T, E>,
    /// The store written to.
    store: Store,
    /// Runs once the writes are durable (or the answer is an error).
    then: Option<Box<dyn FnOnce() + Send>>,
}

impl<T, E> Durable<T, E> {
    /// The answer as another result, once durable all the same.
    pub fn map<U, F>(self, f: impl FnOnce(Result<T, E>) -> Result<U, F>) -> Durable<U, F> {
        Durable {
            answer: f(self.answer),
            store: self.store,
            then: self.then,
        }
    }
}

impl<A, M, T, E> actix::dev::MessageResponse<A, M> for Durable<T, E>
where
    A: Actor,
    M: Message<Result = Result<T, E>>,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    fn handle(self, _: &mut A::Context, tx: Option<actix::dev::OneshotSender<M::Result>>) {
        let Durable {
            answer,
            store,
            then,
        } = self;
        let answer_with = move |answer: Result<T, E>| {
            if let Some(then) = then {
                then();
            }
            if let Some(tx) = tx {
                let _ = tx.send(answer);
            }
        };
        match answer {
            Ok(value) => store
                .after_flush(move |flushed| answer_with(flushed.map(|()| value).map_err(E::from))),
            Err(e) => answer_with(Err(e)),
        }
    }
}

pub struct TeamActor {
    pub(super) team_id: TeamId,
    pub(super) store: Store,
    pub(super) clock: SharedClock,
    pub(super) market: Marketplace,
    /// Starts a provisioning run after work is queued.
    pub(super) kicker: Kicker,
    pub(super) gateway: std::sync::Arc<crate::gateway::Gateway>,
    pub(super) backoff: Backoff,
    /// Days before expiry when the team is reminded, largest first.
    pub(super) reminder_days: std::sync::Arc<[u32]>,
    /// Creates waiting for their group's transaction.
    pub(super) staged: super::staged_creates::Staged,
    last_message: Instant,
}

/// What every team actor shares.
#[derive(Clone)]
pub struct TeamContext {
    pub store: Store,
    pub clock: SharedClock,
    pub market: Marketplace,
    pub kicker: Kicker,
    pub gateway: std::sync::Arc<crate::gateway::Gateway>,
    pub backoff: Backoff,
    pub reminder_days: std::sync::Arc<[u32]>,
}

impl TeamActor {
    pub fn new(team_id: TeamId, cx: TeamContext) -> Self {
        Self {
            team_id,
            store: cx.store,
            clock: cx.clock,
            market: cx.market,
            kicker: cx.kicker,
            gateway: cx.gateway,
            backoff: cx.backoff,
            reminder_days: cx.reminder_days,
            staged: Default::default(),
            last_message: Instant::now(),
        }
    }

    /// One notification for each member of `team`.
    pub(super) fn notify(
        &self,
        team: TeamId,
        text: String,
        link: String,
    ) -> Result<Vec<crate::domain::notification::Notification>, StoreError> {
        let at = self.clock.now();
        Ok(self
            .store
            .members(team)?
            .into_iter()
            .map(|m| crate::domain::notification::Notification::new(m.user_id, at, &text, &link))
            .collect())
    }

    /// The notice for `person` when they are still a member of this team;
    /// for every member otherwise (`None`: nobody in particular).
    pub(super) fn notify_person(
        &self,
        person: Option<crate::domain::ids::UserId>,
        text: String,
        link: String,
    ) -> Result<Vec<crate::domain::notification::Notification>, StoreError> {
        match person {
            Some(user) if self.store.membership(self.team_id, user)?.is_some() => {
                let at = self.clock.now();
                Ok(vec![crate::domain::notification::Notification::new(
                    user, at, &text, &link,
                )])
            }
            _ => self.notify(self.team_id, text, link),
        }
    }

    /// An audit record of something Agora did by itself (the provisioning engine).
    pub(super) fn system_audit(
        &self,
        action: &str,
        detail: String,
        subject: Option<Subject>,
    ) -> AuditRecord {
        let at = self.clock.now();
        AuditRecord {
            id: AuditId::generate(at),
            at,
            actor: None,
            team: Some(self.team_id),
            action: action.to_owned(),
            detail,
            subject,
        }
    }

    fn audit(&self, actor: UserId, action: &str, detail: String) -> AuditRecord {
        self.audit_about(actor, action, detail, None)
    }

    /// An audit record of this team, about `subject` when given.
    pub(super) fn audit_about(
        &self,
        actor: UserId,
        action: &str,
        detail: String,
        subject: Option<Subject>,
    ) -> AuditRecord {
        let at = self.clock.now();
        AuditRecord {
            id: AuditId::generate(at),
            at,
            actor: Some(actor),
            team: Some(self.team_id),
            action: action.to_owned(),
            detail,
            subject,
        }
    }

    pub(super) fn display(&self, user: UserId) -> String {
        match self.store.user(user) {
            Ok(Some(u)) => u.email.to_string(),
            _ => user.to_string(),
        }
    }

    /// Notes a message, and writes the creates staged before it: every
    /// command sees the effects of every command before it.
    pub(super) fn touch(&mut self) {
        self.noted();
        self.write_staged();
    }

    /// Notes a message (the actor stops after a while without one).
    pub(super) fn noted(&mut self) {
        self.last_message = Instant::now();
    }

    /// Applies a write and makes it durable before the caller hears of it,
    /// as the answer of a handler whose result type is [`Reply`]. The flush
    /// is waited for by the answer, not by the actor: the next message is
    /// handled meanwhile, and one flush covers the writes of every answer
    /// waiting for it (see [`crate::store::Store::after_flush`]).
    pub(super) fn commit(&mut self, write: impl FnOnce(&Self) -> CommandResult) -> Reply {
        self.touch();
        let answer = write(self);
        Durable {
            answer,
            store: self.store.clone(),
            then: None,
        }
    }

    /// Applies a write and flushes it (inline, on the actor's thread) before
    /// returning; handlers with a follow-up (a Marketplace or route refresh)
    /// call it directly, so the follow-up sees only what is durable.
    pub(super) fn commit_now(
        &mut self,
        write: impl FnOnce(&Self) -> CommandResult,
    ) -> CommandResult {
        self.touch();
        write(self)?;
        self.store.flush_blocking()?;
        Ok(())
    }

    /// [`Self::commit`], then starts a provisioning run for the work it
    /// queued, once that work is durable.
    pub(super) fn commit_and_kick(&mut self, write: impl FnOnce(&Self) -> CommandResult) -> Reply {
        let kicker = self.kicker.clone();
        Durable {
            then: Some(Box::new(move || kicker.kick())),
            ..self.commit(write)
        }
    }

    fn roles(&self) -> Result<Vec<TeamRole>, StoreError> {
        Ok(self
            .store
            .members(self.team_id)?
            .into_iter()
            .map(|m| m.role)
            .collect())
    }
}

impl Actor for TeamActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.run_interval(Duration::from_secs(60), |act, ctx| {
            if act.last_message.elapsed() > IDLE_STOP {
                ctx.stop();
            }
        });
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct CreateTeam {
    pub team: Team,
    pub first_admin: UserId,
    pub actor: UserId,
}

impl Handler<CreateTeam> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: CreateTeam, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let admin = Membership {
                team_id: msg.team.id,
                user_id: msg.first_admin,
                role: TeamRole::Admin,
                since: msg.team.created_at,
            };
            let audit = me.audit(
                msg.actor,
                "team.created",
                format!(
                    "created team {}; {} is admin",
                    msg.team.name,
                    me.display(msg.first_admin)
                ),
            );
            me.store.create_team(&msg.team, &admin, &audit)?;
            Ok(())
        })
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct AddMember {
    pub user: UserId,
    pub role: TeamRole,
    pub actor: UserId,
}

impl Handler<AddMember> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: AddMember, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            if me.store.membership(me.team_id, msg.user)?.is_some() {
                return Err(MembershipError::AlreadyMember.into());
            }
            let m = Membership {
                team_id: me.team_id,
                user_id: msg.user,
                role: msg.role,
                since: me.clock.now(),
            };
            let audit = me.audit(
                msg.actor,
                "member.added",
                format!("added {} as {}", me.display(msg.user), msg.role),
            );
            me.store.put_membership(&m, false, &audit)?;
            Ok(())
        })
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct SetRole {
    pub user: UserId,
    pub role: TeamRole,
    pub actor: UserId,
}

impl Handler<SetRole> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: SetRole, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let Some(mut m) = me.store.membership(me.team_id, msg.user)? else {
                return Err(MembershipError::NotMember.into());
            };
            if m.role == msg.role {
                return Ok(());
            }
            check_admin_kept(&me.roles()?, m.role, Some(msg.role))?;
            let audit = me.audit(
                msg.actor,
                "member.role_changed",
                format!("{}: {} → {}", me.display(msg.user), m.role, msg.role),
            );
            m.role = msg.role;
            me.store.put_membership(&m, true, &audit)?;
            Ok(())
        })
    }
}

#[derive(Debug, Clone, Message)]
#[rtype(result = "CommandResult")]
pub struct RemoveMember {
    pub user: UserId,
    pub actor: UserId,
}

impl Handler<RemoveMember> for TeamActor {
    type Result = Reply;
    fn handle(&mut self, msg: RemoveMember, _: &mut Context<Self>) -> Reply {
        self.commit(|me| {
            let Some(m) = me.store.membership(me.team_id, msg.user)? else {
                return Err(MembershipError::NotMember.into());
            };
            check_admin_kept(&me.roles()?, m.role, None)?;
            let audit = me.audit(
                msg.actor,
                "member.removed",
                format!("removed {} ({})", me.display(msg.user), m.role),
            );
            me.store.remove_membership(me.team_id, msg.user, &audit)?;
            Ok(())
        })
    }
}
