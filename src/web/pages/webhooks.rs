//! A team's webhook endpoints in the pages, for its admins: register one
//! (its signing secret is shown once, on a `no-store` GET page), see each
//! endpoint's deliveries with their status, send one again, send a test
//! event, change, enable again, remove.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::confirm::{Confirmed, confirm_page, dialog};
use crate::domain::delivery::{Channel, Delivery};
use crate::domain::ids::{DeliveryId, EndpointId, TeamId};
use crate::domain::webhook::{EVENT_TYPES, Endpoint};
use crate::ops::reveal::{Hold, Subject};
use crate::ops::webhooks::{self, EndpointInput};
use crate::ops::{AppState, OpError};
use crate::web::csrf::Form;
use crate::web::errors::{WebError, message_of};
use crate::web::extractors::{TeamAdmin, TeamMember};
use crate::web::flash::FlashKind;
use crate::web::form::Pairs;
use crate::web::once::{self, Once};
use crate::web::render::{FormErrors, Layout, PageResult, form_again, page, redirect_flash};

pub struct Row {
    pub href: String,
    pub url: String,
    pub events: String,
    pub state: String,
    pub state_class: &'static str,
    pub created: String,
}

fn row(team: TeamId, e: &Endpoint) -> Row {
    let (state, state_class) = match (e.enabled, e.failing_since) {
        (false, _) => ("Disabled".to_owned(), "state-revoked"),
        (true, Some(since)) => (
            format!("Failing since {}", since.display()),
            "state-pending",
        ),
        (true, None) => ("Enabled".to_owned(), "state-active"),
    };
    Row {
        href: format!("/teams/{team}/webhooks/{}", e.id),
        url: e.url.clone(),
        events: e.events.join(", "),
        state,
        state_class,
        created: e.created_at.display(),
    }
}

#[derive(Template)]
#[template(path = "webhooks/list.html")]
struct ListPage {
    layout: Layout,
    base: String,
    rows: Vec<Row>,
    /// Each event type, and whether it is ticked.
    events: Vec<(&'static str, bool)>,
    url: String,
    errors: FormErrors,
}

fn base(team: TeamId) -> String {
    format!("/teams/{team}/webhooks")
}

fn ticks(chosen: &[String]) -> Vec<(&'static str, bool)> {
    EVENT_TYPES
        .iter()
        .filter(|t| !t.starts_with("endpoint."))
        .map(|t| (*t, chosen.iter().any(|c| c == t)))
        .collect()
}

fn list_page(
    state: &AppState,
    m: &TeamMember,
    input: &EndpointInput,
    errors: FormErrors,
) -> Result<ListPage, WebError> {
    let rows = webhooks::list(state, &m.caller())?
        .iter()
        .map(|e| row(m.team.id, e))
        .collect();
    Ok(ListPage {
        layout: Layout::new(&m.who.0, format!("Webhooks of {}", m.team.name)),
        base: base(m.team.id),
        rows,
        events: ticks(&input.events),
        url: input.url.clone(),
        errors,
    })
}

pub async fn list(state: web::Data<AppState>, TeamAdmin(m): TeamAdmin) -> PageResult {
    page(&list_page(
        &state,
        &m,
        &EndpointInput::default(),
        FormErrors::default(),
    )?)
}

fn input_of(f: &Pairs) -> EndpointInput {
    EndpointInput {
        url: f.get("url").to_owned(),
        events: f.all("events"),
    }
}

pub async fn register(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    Form(f): Form<Pairs>,
) -> PageResult {
    let ticket = match once::begin(&state, m.who.user().id, f.get("request_id"))? {
        Once::Act(t) => t,
        Once::Repeat(res) => return Ok(res),
    };
    let input = input_of(&f);
    match webhooks::register(&state, &m.caller(), &input).await {
        Ok(made) => {
            let session = m
                .who
                .0
                .user
                .as_ref()
                .map(|u| u.session_hash)
                .ok_or(WebError::NotFound)?;
            state.reveals.hold(
                &state.vault,
                Hold {
                    session: &session,
                    subject: Subject::Endpoint(made.endpoint.id),
                    version: 1,
                    made_by_plane: false,
                    renewed: false,
                    once: true,
                },
                &made.secret,
                state.clock.now(),
            );
            let to = format!("{}/{}/shown", base(m.team.id), made.endpoint.id);
            ticket.done(&state, &to).await
        }
        Err(e) => {
            ticket.release(&state)?;
            let errors = match e {
                OpError::Invalid(fields) => FormErrors::from(fields),
                other => FormErrors::one(crate::domain::FieldError::new("url", message_of(other)?)),
            };
            form_again(&list_page(&state, &m, &input, errors)?)
        }
    }
}

#[derive(Template)]
#[template(path = "webhooks/shown.html")]
struct ShownPage {
    layout: Layout,
    secret: Option<String>,
    back: String,
}

pub async fn shown(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    path: web::Path<(TeamId, EndpointId)>,
) -> PageResult {
    let e = webhooks::get(&state, &m.caller(), path.1)?;
    let secret = m.who.0.user.as_ref().and_then(|u| {
        state
            .reveals
            .take(
                &state.vault,
                &u.session_hash,
                Subject::Endpoint(e.id),
                state.clock.now(),
            )
            .map(|r| r.secret)
    });
    let mut res: HttpResponse = page(&ShownPage {
        layout: Layout::new(&m.who.0, "The endpoint's signing secret"),
        secret,
        back: format!("{}/{}", base(m.team.id), e.id),
    })?;
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

pub struct DeliveryRow {
    pub id: String,
    pub at: String,
    pub event: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub attempts: u32,
    pub status: String,
    pub error: String,
    pub next: String,
}

fn delivery_row(d: &Delivery) -> DeliveryRow {
    use crate::domain::delivery::DeliveryState as S;
    DeliveryRow {
        id: d.id.to_string(),
        at: d.created_at.display(),
        event: match &d.channel {
            Channel::Webhook(c) => c.event.clone(),
            Channel::Email(_) => "email".to_owned(),
        },
        state: match d.state {
            S::Due if d.attempts == 0 => "Queued",
            S::Due => "Retrying",
            S::Delivered => "Delivered",
            S::Failed => "Failed",
        },
        state_class: match d.state {
            S::Due => "state-pending",
            S::Delivered => "state-active",
            S::Failed => "state-revoked",
        },
        attempts: d.attempts,
        status: d.last_status.map(|s| s.to_string()).unwrap_or_default(),
        error: d.last_error.clone().unwrap_or_default(),
        next: match d.state {
            S::Due if d.attempts > 0 => format!("next attempt at {}", d.next_at.display()),
            _ => String::new(),
        },
    }
}

#[derive(Template)]
#[template(path = "webhooks/show.html")]
struct ShowPage {
    layout: Layout,
    base: String,
    row: Row,
    disabled_reason: String,
    enabled: bool,
    url: String,
    events: Vec<(&'static str, bool)>,
    deliveries: Vec<DeliveryRow>,
    remove_confirm: String,
    errors: FormErrors,
}

fn show_page(
    state: &AppState,
    m: &TeamMember,
    e: &Endpoint,
    input: Option<&EndpointInput>,
    errors: FormErrors,
) -> Result<ShowPage, WebError> {
    let deliveries = webhooks::deliveries(state, &m.caller(), e.id)?
        .iter()
        .map(delivery_row)
        .collect();
    let (url, events) = match input {
        Some(i) => (i.url.clone(), ticks(&i.events)),
        None => (e.url.clone(), ticks(&e.events)),
    };
    Ok(ShowPage {
        layout: Layout::new(&m.who.0, format!("Webhook {}", e.url)),
        base: format!("{}/{}", base(m.team.id), e.id),
        row: row(m.team.id, e),
        disabled_reason: e.disabled_reason.clone().unwrap_or_default(),
        enabled: e.enabled,
        url,
        events,
        deliveries,
        remove_confirm: dialog(remove_question(e)),
        errors,
    })
}

fn remove_question(e: &Endpoint) -> (String, String) {
    (
        format!("Remove the endpoint {}?", e.url),
        "It receives no more events; deliveries not yet made are dropped.".to_owned(),
    )
}

pub async fn show(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    path: web::Path<(TeamId, EndpointId)>,
) -> PageResult {
    let e = webhooks::get(&state, &m.caller(), path.1)?;
    page(&show_page(&state, &m, &e, None, FormErrors::default())?)
}

pub async fn change(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    path: web::Path<(TeamId, EndpointId)>,
    Form(f): Form<Pairs>,
) -> PageResult {
    let e = webhooks::get(&state, &m.caller(), path.1)?;
    let input = input_of(&f);
    let enable = f.get("enable") == "yes";
    match webhooks::change(&state, &m.caller(), e.id, &input, enable).await {
        Ok(e) => Ok(redirect_flash(
            &m.who.0,
            &format!("{}/{}", base(m.team.id), e.id),
            FlashKind::Success,
            if enable {
                "The endpoint is saved and enabled.".to_owned()
            } else {
                "The endpoint is saved.".to_owned()
            },
        )),
        Err(OpError::Invalid(fields)) => form_again(&show_page(
            &state,
            &m,
            &e,
            Some(&input),
            FormErrors::from(fields),
        )?),
        Err(other) => Err(other.into()),
    }
}

pub async fn test(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    path: web::Path<(TeamId, EndpointId)>,
    _f: Form<Confirmed>,
) -> PageResult {
    let to = format!("{}/{}", base(m.team.id), path.1);
    let (kind, said) = match webhooks::test(&state, &m.caller(), path.1).await {
        Ok(()) => (
            FlashKind::Success,
            "A test event is on its way; its delivery shows below.".to_owned(),
        ),
        Err(e) => (FlashKind::Error, message_of(e)?),
    };
    Ok(redirect_flash(&m.who.0, &to, kind, said))
}

pub async fn redeliver(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    path: web::Path<(TeamId, EndpointId, DeliveryId)>,
    _f: Form<Confirmed>,
) -> PageResult {
    let (_, endpoint, id) = path.into_inner();
    let to = format!("{}/{}", base(m.team.id), endpoint);
    let (kind, said) = match webhooks::redeliver(&state, &m.caller(), endpoint, id).await {
        Ok(()) => (FlashKind::Success, "The delivery is sent again.".to_owned()),
        Err(e) => (FlashKind::Error, message_of(e)?),
    };
    Ok(redirect_flash(&m.who.0, &to, kind, said))
}

pub async fn remove(
    state: web::Data<AppState>,
    TeamAdmin(m): TeamAdmin,
    path: web::Path<(TeamId, EndpointId)>,
    Form(f): Form<Confirmed>,
) -> PageResult {
    let e = webhooks::get(&state, &m.caller(), path.1)?;
    let here = format!("{}/{}", base(m.team.id), e.id);
    if f.confirmed != "yes" {
        return confirm_page(
            &m.who.0,
            remove_question(&e),
            format!("{here}/remove"),
            "Yes, remove the endpoint".to_owned(),
            here,
            Vec::new(),
        );
    }
    webhooks::remove(&state, &m.caller(), e.id).await?;
    Ok(redirect_flash(
        &m.who.0,
        &base(m.team.id),
        FlashKind::Success,
        format!("The endpoint {} is removed.", e.url),
    ))
}
