//! Group commit of Create Credential. A team's actor stages each valid
//! create and writes every create staged meanwhile in one transaction,
//! once its mailbox is empty (or the batch is full, or any other command
//! comes, which always sees every create before it written). One flush
//! then answers them all. Sixteen people creating at once share one
//! transaction, one audit list, one read of their access's grant and one
//! flush, instead of sixteen of each.

use std::cell::RefCell;
use std::rc::Rc;

use actix::dev::{MessageResponse, OneshotSender};
use actix::{AsyncContext, Context, Handler, Message};

use super::credentials::Grants;
use super::team::{CommandResult, TeamActor};
use crate::domain::audit::AuditRecord;
use crate::domain::credential::Credential;
use crate::domain::outbox::Task;
use crate::store::{Changes, SealedSecret};

/// The most creates one transaction writes.
pub(super) const BATCH: usize = 32;

/// One valid create, staged: what its transaction writes.
pub(super) struct StagedCreate {
    pub credential: Credential,
    pub secret: Option<SealedSecret>,
    pub task: Option<Task>,
    pub audit: AuditRecord,
}

struct Entry {
    create: StagedCreate,
    /// Set by [`StagedAnswer`] as soon as the handler returns, before the
    /// actor handles anything else (so before any write of the batch).
    answer: Option<OneshotSender<CommandResult>>,
}

/// The staged creates, shared with the answers that wait for them.
type Entries = Rc<RefCell<Vec<Entry>>>;

/// The creates staged since the last write, with their callers' answers.
#[derive(Default)]
pub(super) struct Staged {
    entries: Entries,
    /// The grants read for this batch, one per access.
    pub grants: Grants,
    /// A [`WriteStaged`] is on its way.
    scheduled: bool,
}

impl Staged {
    pub(super) fn len(&self) -> usize {
        self.entries.borrow().len()
    }
}

/// The answer to a staged create: its caller hears once the batch that
/// holds it is written and flushed.
pub struct StagedAnswer {
    answer: Result<(Entries, usize), CommandResult>,
}

impl StagedAnswer {
    /// An answer given at once: the create was refused.
    pub(super) fn refused(r: CommandResult) -> Self {
        Self { answer: Err(r) }
    }
}

impl<M> MessageResponse<TeamActor, M> for StagedAnswer
where
    M: Message<Result = CommandResult>,
{
    fn handle(self, _: &mut Context<TeamActor>, tx: Option<OneshotSender<CommandResult>>) {
        match self.answer {
            // Staged: the write sends the answer.
            Ok((entries, i)) => entries.borrow_mut()[i].answer = tx,
            Err(r) => {
                if let Some(tx) = tx {
                    let _ = tx.send(r);
                }
            }
        }
    }
}

/// Writes the staged creates; sent by the actor to itself.
#[derive(Message)]
#[rtype(result = "()")]
pub(super) struct WriteStaged;

impl Handler<WriteStaged> for TeamActor {
    type Result = ();
    fn handle(&mut self, _: WriteStaged, _: &mut Context<Self>) {
        self.staged.scheduled = false;
        self.write_staged();
    }
}

impl TeamActor {
    /// Stages a valid create for the next write; its answer waits for it.
    pub(super) fn stage_create(
        &mut self,
        create: StagedCreate,
        ctx: &mut Context<Self>,
    ) -> StagedAnswer {
        if self.staged.len() >= BATCH {
            self.write_staged();
        }
        if !self.staged.scheduled {
            // Handled once the messages already in the mailbox are.
            ctx.notify(WriteStaged);
            self.staged.scheduled = true;
        }
        let mut entries = self.staged.entries.borrow_mut();
        entries.push(Entry {
            create,
            answer: None,
        });
        StagedAnswer {
            answer: Ok((self.staged.entries.clone(), entries.len() - 1)),
        }
    }

    /// Writes every staged create in one transaction and answers their
    /// callers once it is durable. Should that transaction fail, each
    /// create is written alone, so one cannot fail the others.
    pub(super) fn write_staged(&mut self) {
        let entries = std::mem::take(&mut *self.staged.entries.borrow_mut());
        self.staged.grants = Grants::default();
        if entries.is_empty() {
            return;
        }
        let (creates, answers): (Vec<StagedCreate>, Vec<_>) =
            entries.into_iter().map(|e| (e.create, e.answer)).unzip();
        let results: Vec<CommandResult> = match self.write_creates(&creates) {
            Ok(()) => creates.iter().map(|_| Ok(())).collect(),
            Err(_) if creates.len() > 1 => creates
                .iter()
                .map(|c| self.write_creates(std::slice::from_ref(c)))
                .collect(),
            Err(e) => vec![Err(e)],
        };
        let kicker = self.kicker.clone();
        self.store.after_flush(move |flushed| {
            for (answer, written) in answers.into_iter().zip(results) {
                let r = written.and_then(|()| flushed.clone().map_err(Into::into));
                if let Some(tx) = answer {
                    let _ = tx.send(r);
                }
            }
            kicker.kick();
        });
    }

    fn write_creates(&self, creates: &[StagedCreate]) -> CommandResult {
        let changes = Changes {
            credentials: creates.iter().map(|c| &c.credential).collect(),
            secrets: creates.iter().filter_map(|c| c.secret.as_ref()).collect(),
            tasks: creates.iter().filter_map(|c| c.task.as_ref()).collect(),
            ..Changes::default()
        };
        let audits: Vec<AuditRecord> = creates.iter().map(|c| c.audit.clone()).collect();
        self.store.commit_all(&changes, &audits)?;
        for c in creates {
            let c = &c.credential;
            self.gateway.set_desired(&c.key_id, Some(c.wanted()));
        }
        Ok(())
    }
}
