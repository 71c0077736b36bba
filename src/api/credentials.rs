//! Credentials over the API: list, create (the secret is in the 201 answer
//! only), read, act (suspend, enable, renew with grace, end grace, delete,
//! retry) and reveal within the view window.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Bearer;
use super::once;
use super::page::{CredentialList, Page};
use super::problem::{ApiError, ApiResult, Problem};
use super::views::{CredentialView, CredentialWithSecret, SecretView};
use super::{created, json, located, no_store, ok, optional_json};
use crate::domain::abilities::Grace;
use crate::domain::ids::{AccessId, ApplicationId, CredentialId, TeamId};
use crate::ops::credentials::{self, Fresh, NewCredential, Verb};
use crate::ops::{AppState, OpError};

/// A new credential for an approved access.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"application": "01KDVDNA00ZT90V4RXTAXW1F7E", "access": "01KDVDNA00ZT90V4RXTAXW1FA2", "name": "Checkout key", "kind": "api_key", "lifetime_days": 90}))]
#[serde(deny_unknown_fields)]
pub struct NewCredentialBody {
    /// The application the credential is for.
    pub application: String,
    /// The application's approved access to one resource.
    pub access: String,
    pub name: String,
    /// api_key or oauth_client: one the resource accepts.
    #[schema(value_type = super::views::CredentialKind)]
    pub kind: String,
    /// Days it lives, up to the plan's or resource's maximum; absent: the default.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub lifetime_days: Option<u32>,
}

/// Options of a credential action; only `renew` takes any.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"grace": "24h", "lifetime_days": 90}))]
#[serde(deny_unknown_fields)]
pub struct ActBody {
    /// For renew: how long the previous secret keeps working: none, 1h, 24h or 7d.
    #[serde(default)]
    #[schema(value_type = Option<super::views::Grace>)]
    pub grace: Option<String>,
    /// For renew: days the new secret lives; absent: the policy's default.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub lifetime_days: Option<u32>,
}

fn with_secret(
    state: &AppState,
    c: &crate::domain::credential::Credential,
    fresh: Option<Fresh>,
) -> CredentialWithSecret {
    CredentialWithSecret {
        credential: CredentialView::of(c, state.clock.now()),
        secret: match fresh {
            Some(Fresh::Now(s)) => Some(credentials::shown_secret(c, &s, false)),
            _ => None,
        },
    }
}

/// List a team's credentials
///
/// The team's API keys and OAuth clients, with their states. Secrets are never listed.
#[utoipa::path(get, operation_id = "listCredentials", path = "/api/v1/teams/{team}/credentials", tag = "credentials",
    params(("team" = String, Path, description = "The team's id"), Page),
    responses(
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A query or body that does not parse"),
        (status = 200, body = CredentialList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<TeamId>,
    page: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let caller = bearer.caller(&state, *path)?;
    let now = state.clock.now();
    let all = credentials::list(&state, &caller)?
        .iter()
        .map(|c| CredentialView::of(c, now))
        .collect();
    Ok(ok(&CredentialList::new(page.of(all, |c| c.id.clone())?)))
}

/// Create a credential
///
/// An API key or OAuth client for an approved access. The secret is in this answer only (`Cache-Control: no-store`); afterwards `revealCredential` shows it during its view window.
#[utoipa::path(post, operation_id = "createCredential", path = "/api/v1/teams/{team}/credentials", tag = "credentials",
    params(("team" = String, Path, description = "The team's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retried create with the same key answers with the first one's credential")),
    request_body = NewCredentialBody,
    responses(
        (status = 201, body = CredentialWithSecret, description = "Created; `secret` is shown in this answer only"),
        (status = 200, body = CredentialWithSecret, description = "Replayed: the credential an earlier request with this key made"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
    path: web::Path<TeamId>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let caller = bearer.caller(&state, *path)?;
    let b: NewCredentialBody = json(&body)?;
    let (Ok(app), Ok(access)) = (
        b.application.parse::<ApplicationId>(),
        b.access.parse::<AccessId>(),
    ) else {
        return Err(OpError::NotFound.into());
    };
    let input = NewCredential {
        name: b.name,
        kind: b.kind,
        lifetime_days: b.lifetime_days.map(|d| d.to_string()).unwrap_or_default(),
    };
    once::create(
        &state,
        &req,
        &bearer,
        &body,
        || async {
            let place = credentials::place(&state, caller.team_id(), app, access)?;
            let made = credentials::create(&state, &caller, &place, &input).await?;
            let view = with_secret(&state, &made.credential, Some(made.secret));
            let id = made.credential.id.to_string();
            Ok((id.clone(), located(&req, &id, no_store(created(&view)))))
        },
        |id| {
            let id = id.parse().map_err(|_| OpError::NotFound)?;
            let c = credentials::team_credential(&state, caller.team_id(), id)?;
            Ok(no_store(ok(&with_secret(&state, &c, None))))
        },
    )
    .await
}

/// Read a credential
///
/// One of the team's credentials, without its secret.
#[utoipa::path(get, operation_id = "getCredential", path = "/api/v1/teams/{team}/credentials/{credential}", tag = "credentials",
    params(("team" = String, Path, description = "The team's id"), ("credential" = String, Path, description = "The credential's id")),
    responses(
        (status = 200, body = CredentialView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn get(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, CredentialId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let caller = bearer.caller(&state, team)?;
    let c = credentials::team_credential(&state, caller.team_id(), id)?;
    Ok(ok(&CredentialView::of(&c, state.clock.now())))
}

/// Suspend, enable, renew, end grace, delete or retry a credential
///
/// `suspend` stops the credential working and `enable` starts it again; `renew` makes a new secret (the previous one can keep working for a grace period) and shows it in this answer only; `end-grace` stops the previous secret now; `delete` removes it; `retry` asks the data plane again after a failure.
#[utoipa::path(post, operation_id = "actOnCredential", path = "/api/v1/teams/{team}/credentials/{credential}/{action}", tag = "credentials",
    params(("team" = String, Path, description = "The team's id"), ("credential" = String, Path, description = "The credential's id"),
        ("action" = super::views::CredentialAction, Path, description = "What to do"),
        ("Idempotency-Key" = Option<String>, Header, description = "For renew: a retried renewal with the same key renews once; the key with another credential or body is refused (422)")),
    request_body(content = Option<ActBody>, description = "For renew: the grace period"),
    responses(
        (status = 200, body = CredentialWithSecret, description = "Done; for a renewal Agora made, `secret` holds the new secret (this answer only)"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Invalid input, or an `Idempotency-Key` sent before with another request"),
    ),
    security(("bearer" = [])))]
pub async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    bearer: Bearer,
    path: web::Path<(TeamId, CredentialId, Verb)>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let (team, id, verb) = path.into_inner();
    let caller = bearer.caller(&state, team)?;
    let b: ActBody = optional_json(&body)?;
    let grace = match (verb, b.grace.as_deref()) {
        (Verb::Renew, raw) => Grace::parse(raw.unwrap_or("")).ok_or_else(|| {
            ApiError::Op(OpError::invalid("grace", "Choose none, 1h, 24h or 7d."))
        })?,
        (_, None) => Grace::None,
        (_, Some(_)) => {
            return Err(ApiError::BadRequest(
                "`grace` is for renew only.".to_owned(),
            ));
        }
    };
    if verb != Verb::Renew && b.lifetime_days.is_some() {
        return Err(ApiError::BadRequest(
            "`lifetime_days` is for renew only.".to_owned(),
        ));
    }
    let renewal = credentials::Renewal {
        grace,
        lifetime_days: b.lifetime_days.map(|d| d.to_string()).unwrap_or_default(),
    };
    let c = credentials::team_credential(&state, caller.team_id(), id)?;
    let renew = || async {
        let (c, fresh) = credentials::act(&state, &caller, &c, verb, &renewal).await?;
        Ok((
            c.id.to_string(),
            no_store(ok(&with_secret(&state, &c, fresh))),
        ))
    };
    if verb == Verb::Renew {
        // A renewal rotates: a retried one with the same key rotates once.
        return once::create(&state, &req, &bearer, &body, renew, |_| {
            let c = credentials::team_credential(&state, caller.team_id(), id)?;
            Ok(no_store(ok(&with_secret(&state, &c, None))))
        })
        .await;
    }
    renew().await.map(|(_, res)| res)
}

/// View a credential's secret
///
/// The clear secret, while its view window is open (3 days after it was made, by default). Needs a personal read-write token of a developer or admin; each view is audited.
#[utoipa::path(post, operation_id = "revealCredential", path = "/api/v1/teams/{team}/credentials/{credential}/reveal", tag = "credentials",
    params(("team" = String, Path, description = "The team's id"), ("credential" = String, Path, description = "The credential's id")),
    responses(
        (status = 200, body = SecretView, description = "The clear secret (`Cache-Control: no-store`); audited"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "A read-only token, a service token or a viewer"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json", description = "The view window has closed"),
    ),
    security(("bearer" = [])))]
pub async fn reveal(
    state: web::Data<AppState>,
    bearer: Bearer,
    path: web::Path<(TeamId, CredentialId)>,
) -> ApiResult<HttpResponse> {
    let (team, id) = path.into_inner();
    let caller = bearer.caller(&state, team)?;
    bearer.person()?;
    let c = credentials::team_credential(&state, caller.team_id(), id)?;
    let r = credentials::reveal(&state, &caller, &c).await?;
    Ok(no_store(ok(&SecretView {
        credential: c.id.to_string(),
        secret: credentials::shown_secret(&c, &r.secret, r.made_by_plane),
        client_id: (c.kind == crate::domain::resource::CredentialType::OauthClient)
            .then(|| c.client_id()),
        viewable_until: c.window_until.map(|t| t.rfc3339()),
    })))
}
