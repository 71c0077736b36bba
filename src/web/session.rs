//! Who is asking: the server-side session behind the cookie, the signed-in
//! user with their teams, the CSRF token bound to the session, and the flash.
//!
//! The cookie holds a random 256-bit token; the database holds only its
//! SHA-256. A visitor without a session gets a random pre-session cookie so
//! the sign-in and setup forms have a CSRF token bound to something too.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::errors::WebError;
use super::flash::{self, Flash};
use crate::crypto::digest::{hmac_sha256, sha256};
use crate::crypto::random;
use crate::domain::account::User;
use crate::domain::ids::UserId;
use crate::domain::team::{Team, TeamRole};
use crate::ops::AppState;
use crate::store::Session;

pub const SESSION_COOKIE: &str = "agora_session";
pub const PRE_COOKIE: &str = "agora_pre";

pub struct SignedInUser {
    pub user: User,
    pub teams: Vec<(Team, TeamRole)>,
    pub session_hash: [u8; 32],
    /// Unread notifications, for the badge.
    pub unread: usize,
}

pub struct VisitorData {
    pub user: Option<SignedInUser>,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// A session cookie was sent but the session had ended.
    pub session_ended: bool,
    flash_key: [u8; 32],
    secure: bool,
}

/// Extracted once per request and shared by the other extractors.
#[derive(Clone)]
pub struct Visitor(Rc<VisitorData>);

impl std::ops::Deref for Visitor {
    type Target = VisitorData;
    fn deref(&self) -> &VisitorData {
        &self.0
    }
}

/// A pre-session cookie made for this request, set on its response by the middleware.
#[derive(Clone)]
pub struct NewPreCookie(pub Cookie<'static>);

impl Visitor {
    pub fn user_id(&self) -> Option<UserId> {
        self.user.as_ref().map(|u| u.user.id)
    }

    pub fn flash_cookie(&self, f: Flash) -> Cookie<'static> {
        f.cookie(&self.flash_key, self.secure)
    }

    fn load(req: &HttpRequest) -> Result<Visitor, WebError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| WebError::internal("state missing"))?;
        let now = state.clock.now();
        let sec = &state.config.security;
        let mut session_ended = false;
        let mut user = None;
        if let Some(c) = req.cookie(SESSION_COOKIE) {
            let hash = session_hash(c.value());
            match state.store.session(&hash)? {
                Some(s) if s.alive(now, sec.session_idle_timeout, sec.session_lifetime) => {
                    if let Some(u) = state.store.user(s.user_id)?.filter(User::is_active) {
                        if now.since(s.last_seen_at).as_secs() >= 60 {
                            state.store.touch_session(
                                &hash,
                                &Session {
                                    last_seen_at: now,
                                    ..s
                                },
                            )?;
                        }
                        let teams = state.store.teams_of(u.id)?;
                        let unread = state.store.unread_count(u.id);
                        user = Some(SignedInUser {
                            user: u,
                            teams,
                            session_hash: hash,
                            unread,
                        });
                    }
                }
                Some(_) => {
                    state.store.delete_session(&hash)?;
                    session_ended = true;
                }
                None => session_ended = true,
            }
        }
        let csrf = match &user {
            Some(u) => csrf_token(&state.keys.csrf, b"s", &u.session_hash),
            None => {
                let pre = match req.cookie(PRE_COOKIE) {
                    Some(c) if c.value().len() == 43 => c.value().to_owned(),
                    _ => {
                        let value = random::token();
                        let cookie = base_cookie(
                            PRE_COOKIE,
                            value.clone(),
                            state.config.server.secure_cookies,
                        );
                        req.extensions_mut().insert(NewPreCookie(cookie));
                        value
                    }
                };
                csrf_token(&state.keys.csrf, b"a", pre.as_bytes())
            }
        };
        let flash = req
            .cookie(flash::COOKIE)
            .and_then(|c| Flash::decode(c.value(), &state.keys.flash));
        Ok(Visitor(Rc::new(VisitorData {
            user,
            csrf,
            flash,
            session_ended,
            flash_key: state.keys.flash,
            secure: state.config.server.secure_cookies,
        })))
    }
}

impl FromRequest for Visitor {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(v) = req.extensions().get::<Visitor>() {
            return ready(Ok(v.clone()));
        }
        let loaded = Visitor::load(req);
        if let Ok(v) = &loaded {
            req.extensions_mut().insert(v.clone());
        }
        ready(loaded)
    }
}

pub fn session_hash(token: &str) -> [u8; 32] {
    sha256(token.as_bytes())
}

fn csrf_token(key: &[u8; 32], kind: &[u8], binding: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(key, &[kind, b":", binding]))
}

pub fn base_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// Opens a new session for `user` (ending the visitor's old one: ids are
/// rotated at sign-in) and returns the cookie to set. Flushed before return.
pub async fn start_session(
    state: &AppState,
    old: Option<[u8; 32]>,
    user: UserId,
) -> Result<Cookie<'static>, WebError> {
    if let Some(old) = old {
        state.store.delete_session(&old)?;
    }
    let (token, hash, session) = new_session(state, user);
    state.store.insert_session(&hash, &session)?;
    state.store.flush().await?;
    Ok(base_cookie(
        SESSION_COOKIE,
        token,
        state.config.server.secure_cookies,
    ))
}

/// A fresh session record and its cookie token, not yet stored.
pub fn new_session(state: &AppState, user: UserId) -> (String, [u8; 32], Session) {
    let token = random::token();
    let hash = session_hash(&token);
    let now = state.clock.now();
    (
        token,
        hash,
        Session {
            user_id: user,
            created_at: now,
            last_seen_at: now,
        },
    )
}

pub fn session_removal(secure: bool) -> Cookie<'static> {
    let mut c = base_cookie(SESSION_COOKIE, String::new(), secure);
    c.make_removal();
    c
}

/// The client address used for throttling. Behind `trust_forwarded_for`,
/// it is the address the trusted proxy nearest to Agora saw, counted
/// `forwarded_hops` entries from the right of `X-Forwarded-For`: the entries
/// left of it are whatever the client wrote.
pub fn client_address(req: &HttpRequest, server: &crate::config::ServerConfig) -> String {
    let peer = || {
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_else(|| "unknown".to_owned())
    };
    if !server.trust_forwarded_for {
        return peer();
    }
    let mut entries: Vec<&str> = Vec::new();
    for value in req.headers().get_all("x-forwarded-for") {
        let Ok(value) = value.to_str() else {
            return peer();
        };
        entries.extend(value.split(',').map(str::trim));
    }
    let hops = server.forwarded_hops as usize;
    let chosen = match entries.len() {
        0 => return peer(),
        n if n >= hops => entries[n - hops],
        _ => entries[0],
    };
    match chosen.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => peer(),
    }
}
