//! Builds the application from settings: opens storage, starts the team
//! actors' arbiter, binds the listener (port 0 picks a free one) and reports it.

use std::net::TcpListener;
use std::sync::Arc;

use actix::{Actor, Arbiter};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::actors::kicker::{Kicker, RunDue};
use crate::actors::provisioner::Provisioner;
use crate::actors::registry::TeamRegistry;
use crate::actors::team::TeamContext;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::master_key::{MasterKey, MasterKeyError};
use crate::crypto::vault::Vault;
use crate::dataplane::{DataPlane, DataPlanes};
use crate::domain::outbox::Backoff;
use crate::gateway::Gateway;
use crate::marketplace::Marketplace;
use crate::ops::password::PasswordHasher;
use crate::ops::{AppState, Keys};
use crate::store::{OpenError, Store};
use crate::web::errors::WebError;
use crate::web::middleware::{body_deadline, cookies, observe, security_headers};
use crate::web::routes;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    MasterKey(#[from] MasterKeyError),
    #[error(transparent)]
    Storage(#[from] OpenError),
    #[error("{0}")]
    Mail(String),
    #[error("migrating the database failed: {0}; the backup taken before it is in backup.dir")]
    Migration(String),
    #[error("server.bind: cannot listen on {addr}: {source}; choose a free address and port")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// What tests put in place of the real thing.
#[derive(Default, Clone)]
pub struct Seams {
    /// Data planes besides the configured ones.
    pub planes: Vec<Arc<dyn DataPlane>>,
    /// The resolver of outgoing calls, instead of the system's.
    pub lookup: Option<crate::outgoing::Lookup>,
    /// Hears every answer of the JSON API.
    pub api_tap: Option<crate::api::tap::Tap>,
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    /// The team actors' thread and the provisioner's.
    arbiters: [Arbiter; 2],
}

impl Application {
    /// Must run inside an actix system (`#[actix_web::main]` or `#[actix_web::test]`).
    pub fn build(config: Config, clock: SharedClock) -> Result<Self, StartError> {
        Self::build_with(config, clock, Seams::default())
    }

    /// Builds with test seams: more data planes than the settings name
    /// (fakes), a resolver of the tests' own.
    pub fn build_with(
        config: Config,
        clock: SharedClock,
        seams: Seams,
    ) -> Result<Self, StartError> {
        let key = MasterKey::load_or_create(&config.security.master_key_file)?;
        let store = Store::open(&config.storage.path, &key, &config.security.master_key_file)?;
        let migrated = store
            .migrate(&config.backup.dir, clock.now())
            .map_err(|e| StartError::Migration(e.to_string()))?;
        if let Some(backup) = &migrated.backup {
            tracing::info!(
                steps = ?migrated.ran,
                backup = %backup.display(),
                "the database was migrated, after a backup"
            );
        }
        let listener =
            TcpListener::bind(config.server.bind).map_err(|source| StartError::Bind {
                addr: config.server.bind.to_string(),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: config.server.bind.to_string(),
                source,
            })?
            .port();
        let repaired = store
            .repair_stuck_credentials(clock.now())
            .map_err(OpenError::from)?;
        if repaired > 0 {
            tracing::warn!(
                repaired,
                "credentials waiting on a task that gave up are shown as failed again"
            );
        }
        let market = Marketplace::load(&store).map_err(OpenError::from)?;
        let actors = Arbiter::new();
        // The provisioner has a thread of its own: its runs (reading due
        // work, calling data planes, the embedded plane's writes) never
        // delay a team's commands.
        let provisioning = Arbiter::new();
        let pepper = key.derive("secret-pepper");
        let gateway =
            Arc::new(Gateway::load(&store, clock.clone(), pepper).map_err(OpenError::from)?);
        let vault = Vault::new(&key);
        let dataplanes = DataPlanes::build(
            &config,
            &store,
            &gateway,
            &vault,
            &clock,
            seams.planes,
            seams.lookup.clone(),
        );
        let kicker = Kicker::default();
        let p = &config.provisioning;
        let teams = TeamRegistry::new(
            actors.handle(),
            TeamContext {
                store: store.clone(),
                clock: clock.clone(),
                market: market.clone(),
                kicker: kicker.clone(),
                gateway: gateway.clone(),
                backoff: Backoff {
                    base: p.retry_base,
                    cap: p.retry_cap,
                    max_attempts: p.max_attempts,
                },
                reminder_days: config.expiry.reminder_days.clone().into(),
            },
        );
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let provisioner = {
            let (store, clock, planes, teams) = (
                store.clone(),
                clock.clone(),
                dataplanes.clone(),
                teams.clone(),
            );
            let metrics = metrics.clone();
            Provisioner::start_in_arbiter(&provisioning.handle(), move |_| {
                Provisioner::new(store, clock, planes, teams, metrics)
            })
        };
        kicker.set(provisioner.clone().recipient());
        // Work left unfinished by a stop or a crash resumes now.
        provisioner.do_send(RunDue);
        let sec = &config.security;
        let public_url = config
            .server
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}:{port}", config.server.bind.ip()));
        let mailer = config
            .smtp
            .as_ref()
            .map(crate::mail::Mailer::new)
            .transpose()
            .map_err(StartError::Mail)?;
        store.set_mail(mailer.is_some());
        let webhooks_out = crate::outgoing::Guarded::new(crate::outgoing::Options {
            timeout: std::time::Duration::from_secs(10),
            user_agent: "Agora-Webhooks".to_owned(),
            allow_private: config.webhooks.allow_private_targets,
            lookup: seams.lookup,
        })
        .map_err(|e| StartError::Mail(format!("the webhook client: {e}")))?;
        let state = web::Data::new(AppState {
            mailer,
            webhooks_out,
            resets: Default::default(),
            backups: Default::default(),
            public_url,
            teams,
            market,
            dataplanes,
            provisioner,
            gateway,
            vault,
            pepper,
            hasher: PasswordHasher::new(sec.password_hash_concurrency),
            keys: Keys {
                csrf: key.derive("csrf"),
                flash: key.derive("flash"),
            },
            throttle: crate::ops::throttle::LoginThrottle::new(
                sec.login_max_failures_per_account,
                sec.login_max_failures_per_address,
                sec.login_throttle_window,
            ),
            metrics,
            reveals: Default::default(),
            store,
            clock,
            config,
        });
        let limit = state.config.server.body_limit;
        let head_timeout = state.config.server.body_timeout;
        let app_state = state.clone();
        let api_tap = seams.api_tap.map(web::Data::new);
        let endpoints = web::Data::new(crate::gateway::Endpoints {
            gateway: state.gateway.clone(),
            config: state.config.gateway.clone(),
        });
        let server = HttpServer::new(move || {
            let mut app = App::new().app_data(app_state.clone());
            if let Some(tap) = &api_tap {
                app = app.app_data(tap.clone());
            }
            app.app_data(endpoints.clone())
                .app_data(web::PayloadConfig::new(limit))
                // An id or a verb in the path that does not parse names nothing.
                .app_data(
                    web::PathConfig::default().error_handler(|_, _| WebError::NotFound.into()),
                )
                .wrap(from_fn(cookies))
                .wrap(from_fn(body_deadline))
                .wrap(from_fn(security_headers))
                .wrap(from_fn(observe))
                // Routes are tried in order, each dynamic one by its regex:
                // the gateway's few and the API's scope come before the
                // pages' hundred or so, so their requests skip those.
                .configure(crate::gateway::routes)
                .configure(crate::api::routes)
                .configure(routes)
                .default_service(web::to(|| async {
                    Err::<actix_web::HttpResponse, _>(WebError::NotFound)
                }))
        })
        // The request head has the same time as the body to arrive.
        .client_request_timeout(head_timeout)
        .listen(listener)
        .map_err(|source| StartError::Bind {
            addr: state.config.server.bind.to_string(),
            source,
        })?
        .run();
        Ok(Self {
            port,
            server,
            state,
            arbiters: [actors, provisioning],
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone().into_inner()
    }

    /// Serves until stopped (SIGINT/SIGTERM or the handle), with the periodic
    /// jobs running; then stops the jobs and flushes storage.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            server,
            state,
            arbiters,
            ..
        } = self;
        let (mut jobs, _scheduler) = crate::scheduler::start(state.clone().into_inner())
            .await
            .map_err(std::io::Error::other)?;
        let courier = crate::courier::start(&state.clone().into_inner());
        let resets = crate::ops::reset_desk::start(&state.clone().into_inner());
        let control = match crate::control::start(&state.clone().into_inner()) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!(error = %e, "the control socket (for `agora backup`) cannot listen");
                None
            }
        };
        server.await?;
        if let Some(c) = control {
            c.stop();
        }
        // The reset links still queued are emailed before the courier stops.
        if let Some(r) = resets {
            r.stop().await;
        }
        courier.stop().await;
        if let Err(e) = jobs.shutdown().await {
            tracing::warn!(error = %e, "stopping the scheduler");
        }
        drop(jobs);
        // What the gateway counted since the last write is written before
        // the database closes.
        crate::ops::usage::write(&state.clone().into_inner())
            .await
            .map_err(std::io::Error::other)?;
        state.store.flush().await.map_err(std::io::Error::other)?;
        drop(state);
        // The actors hold the database open: stop their threads and wait
        // for them, so the database is closed when this returns.
        for a in &arbiters {
            a.stop();
        }
        for a in arbiters {
            actix_web::rt::task::spawn_blocking(move || a.join())
                .await
                .map_err(std::io::Error::other)?
                .map_err(|_| std::io::Error::other("an actors' thread panicked"))?;
        }
        Ok(())
    }
}
