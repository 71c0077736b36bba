//! The provider's Provisioning queue: work handed to people (manual data
//! planes) with Mark provisioned / Mark failed, work that gave up with Retry
//! provisioning, and work still in the engine's hands.

use actix_web::web;
use askama::Template;
use serde::Deserialize;

use super::applications::{AccessRow, access_row};
use crate::actors::access::ProviderStep;
use crate::domain::access::Provisioning;
use crate::domain::ids::{AccessId, TaskId, TeamId};
use crate::domain::outbox::Task;
use crate::ops::AppState;
use crate::ops::provisioning::{self, Entered};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{ProviderMember, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::render::{Layout, PageResult, page, redirect_flash};

pub struct WorkRow {
    pub access: AccessRow,
    /// grant, revoke, or a credential step (provision, suspend, …)
    pub op: &'static str,
    pub attempts: u32,
    pub error: String,
    /// For a credential step: what to show, and where its buttons post.
    pub credential: Option<(String, String)>,
    /// The provider's button, the same words in both queues: "Mark
    /// provisioned", or "Mark removed" for a removal.
    pub mark: &'static str,
    /// Marking it done asks for the secret the provider made on their gateway.
    pub needs_secret: bool,
    /// ... and, for an OAuth client, may take the client id it made.
    pub takes_client_id: bool,
    /// The plan the work is for, with its quota.
    pub plan: String,
}

fn rows(state: &AppState, m: &TeamMember, tasks: Vec<Task>) -> Result<Vec<WorkRow>, WebError> {
    let mut out = Vec::new();
    for t in tasks {
        if let Some(a) = state.store.access(t.grant.access)? {
            let credential = t.credential.as_ref().map(|w| {
                (
                    format!("{} ({} {})", w.key_id, w.kind.label(), w.op.as_str()),
                    format!("/provider/{}/tasks/{}", m.team.id, t.id),
                )
            });
            let op = t.op_name();
            let needs_secret = provisioning::needs_secret(state, &t);
            out.push(WorkRow {
                takes_client_id: needs_secret
                    && t.credential.as_ref().is_some_and(|w| {
                        w.kind == crate::domain::resource::CredentialType::OauthClient
                    }),
                needs_secret,
                plan: format!("{} ({})", t.grant.plan_name, t.grant.quota),
                mark: if matches!(op, "revoke" | "deprovision") {
                    "Mark removed"
                } else {
                    "Mark provisioned"
                },
                access: access_row(state, &a)?,
                op,
                attempts: t.attempts,
                error: t.last_error.unwrap_or_default(),
                credential,
            });
        }
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "provider/provisioning.html")]
struct QueuePage {
    layout: Layout,
    team_id: String,
    team_name: String,
    waiting: Vec<WorkRow>,
    failed: Vec<WorkRow>,
    in_progress: Vec<AccessRow>,
}

pub async fn show(state: web::Data<AppState>, ProviderMember(m): ProviderMember) -> PageResult {
    let waiting = rows(&state, &m, state.store.waiting_tasks(m.team.id)?)?;
    let failed = rows(&state, &m, state.store.failed_tasks(m.team.id)?)?;
    let mut in_progress = Vec::new();
    for a in state.store.accesses_of_provider(m.team.id)? {
        let handed = waiting
            .iter()
            .any(|w| w.credential.is_none() && w.access.id == a.id.to_string());
        if a.provisioning == Provisioning::Pending && !handed {
            in_progress.push(access_row(&state, &a)?);
        }
    }
    page(&QueuePage {
        layout: Layout::new(&m.who.0, "Provisioning"),
        team_id: m.team.id.to_string(),
        team_name: m.team.name.to_string(),
        waiting,
        failed,
        in_progress,
    })
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    reason: String,
    /// The secret a provider made on their gateway, for a credential's provision or renewal.
    #[serde(default)]
    secret: String,
    /// For an OAuth client: the client id their gateway made, if its own.
    #[serde(default)]
    client_id: String,
}

/// What a step addresses: an access request, or a credential's task.
#[derive(Clone, Copy)]
enum Work {
    Access(AccessId),
    Task(TaskId),
}

/// Takes the step and says how it went, back on the queue.
async fn answer(
    state: &AppState,
    m: &TeamMember,
    work: Work,
    step: ProviderStep,
    form: StepForm,
) -> PageResult {
    let caller = m.caller();
    let said = match work {
        Work::Access(id) => provisioning::access_step(state, &caller, id, step, &form.reason)
            .await
            .map(|a| {
                let done = match step {
                    ProviderStep::MarkProvisioned => "marked as done",
                    ProviderStep::MarkFailed => "marked as failed",
                    ProviderStep::Retry => "queued again",
                };
                format!("“{}” is {done}.", a.name)
            }),
        Work::Task(id) => {
            let entered = Entered {
                secret: &form.secret,
                client_id: &form.client_id,
            };
            provisioning::task_step(state, &caller, id, step, &form.reason, entered)
                .await
                .map(|t| {
                    format!(
                        "The {} of a credential for {} is recorded.",
                        t.op_name(),
                        t.grant.application_name
                    )
                })
        }
    };
    let (kind, message) = match said {
        Ok(message) => (FlashKind::Success, message),
        Err(e) => (FlashKind::Error, message_of(e)?),
    };
    Ok(redirect_flash(
        &m.who.0,
        &format!("/provider/{}/provisioning", m.team.id),
        kind,
        message,
    ))
}

macro_rules! step_handler {
    ($name:ident, $id:ty, $work:path, $step:expr) => {
        pub async fn $name(
            state: web::Data<AppState>,
            ProviderMember(m): ProviderMember,
            path: web::Path<(TeamId, $id)>,
            Form(f): Form<StepForm>,
        ) -> PageResult {
            answer(&state, &m, $work(path.1), $step, f).await
        }
    };
}

step_handler!(
    mark_provisioned,
    AccessId,
    Work::Access,
    ProviderStep::MarkProvisioned
);
step_handler!(
    mark_failed,
    AccessId,
    Work::Access,
    ProviderStep::MarkFailed
);
step_handler!(retry, AccessId, Work::Access, ProviderStep::Retry);
step_handler!(
    task_provisioned,
    TaskId,
    Work::Task,
    ProviderStep::MarkProvisioned
);
step_handler!(task_failed, TaskId, Work::Task, ProviderStep::MarkFailed);
step_handler!(task_retry, TaskId, Work::Task, ProviderStep::Retry);
