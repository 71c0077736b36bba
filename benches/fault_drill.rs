//! The fault drill: an agent data plane that is down for minutes while
//! people keep working, then one that fails 30% of calls (half of those
//! after applying the change, so Agora delivers it again).
//!
//! Agora runs with the real clock and a scheduler run every second; the
//! agent (`tests/common/agent.rs`) checks each signed call and applies each
//! idempotency key once, counting any key applied twice. Eight signed-in
//! clients create, suspend, enable, renew and delete credentials through the
//! pages throughout. After each phase the agent is made healthy and the drill
//! waits until no work is left; then every credential the portal shows must
//! match what the agent holds.
//!
//! Run: `cargo bench --bench fault_drill`. `AGORA_DRILL_OUTAGE` (seconds,
//! default 180) and `AGORA_DRILL_FLAKY` (default 60) set the phases.
//! Results go in docs/reliability.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use agora::clock::SystemClock;
use agora::domain::access::Provisioning;
use agora::domain::credential::Observed;
use agora::ops::AppState;
use agora::startup::Application;
use common::agent::{Agent, start_agent};
use common::*;

const CLIENTS: usize = 8;

fn seconds(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Eight clients working until `stop`; returns the changes acknowledged.
async fn work(base: &str, team: &str, new_path: &str, stop: Arc<AtomicBool>) -> usize {
    let acked = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let b = Browser::at(base);
        assert_eq!(b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 303);
        let (team, new_path, stop, acked) = (
            team.to_owned(),
            new_path.to_owned(),
            stop.clone(),
            acked.clone(),
        );
        clients.push(actix_web::rt::spawn(async move {
            let mut mine: Vec<String> = Vec::new();
            let token = b.token("/notifications").await;
            while !stop.load(Ordering::Relaxed) {
                let pick = (agora::crypto::random::unit() * 5.0) as usize;
                if mine.len() < 3 || pick == 0 {
                    let res = b
                        .post(&new_path, &token, &[("name", "drill"), ("kind", "api_key")])
                        .await;
                    assert_eq!(res.status(), 200, "Create Credential");
                    let html = res.text().await.unwrap();
                    let marker = format!("/teams/{team}/credentials/");
                    mine.push(ids_after(&html, &marker).into_iter().next().unwrap());
                } else {
                    let at = (agora::crypto::random::unit() * mine.len() as f64) as usize;
                    let verb = ["suspend", "enable", "renew", "delete"][pick - 1];
                    let id = if verb == "delete" {
                        mine.swap_remove(at)
                    } else {
                        mine[at].clone()
                    };
                    let res = b
                        .post(
                            &format!("/teams/{team}/credentials/{id}/{verb}"),
                            &token,
                            &[("confirmed", "yes"), ("grace", "none")],
                        )
                        .await;
                    // A change the state does not allow (enable an active key,
                    // renew one not yet provisioned) is refused with a message.
                    if !(200..400).contains(&res.status().as_u16()) {
                        continue;
                    }
                }
                acked.fetch_add(1, Ordering::Relaxed);
                actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    acked.load(Ordering::Relaxed)
}

struct Outcome {
    converged: Duration,
    credentials: usize,
    disagreements: usize,
    failed: usize,
}

/// Waits until no provisioning work is left, then compares the portal with the agent.
async fn converge(state: &AppState, agent: &Agent) -> Outcome {
    let started = Instant::now();
    while state.store.task_count() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "{} tasks still open after 10 minutes",
            state.store.task_count()
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let converged = started.elapsed();
    let portal = state.store.credentials().unwrap();
    let seen = agent.seen.lock().unwrap();
    let mut disagreements = 0;
    let mut failed = 0;
    let mut held: HashSet<&str> = seen.credentials.keys().map(String::as_str).collect();
    for c in &portal {
        failed += usize::from(c.failed);
        let on_agent = seen.credentials.get(c.key_id.as_str()).map(|e| e.0);
        held.remove(c.key_id.as_str());
        let agrees = match c.observed {
            Observed::Active => on_agent == Some(true),
            Observed::Inactive => on_agent == Some(false),
            Observed::Absent | Observed::Removed => on_agent.is_none(),
        };
        disagreements += usize::from(!agrees || c.task.is_some());
    }
    // Keys the agent still holds that the portal deleted.
    disagreements += held.len();
    Outcome {
        converged,
        credentials: portal.len(),
        disagreements,
        failed,
    }
}

fn duplicates(agent: &Agent) -> (usize, usize, usize) {
    let seen = agent.seen.lock().unwrap();
    let mut delivered = HashSet::new();
    let repeated = seen
        .deliveries
        .iter()
        .filter(|(_, key)| !delivered.insert(key.as_str()))
        .count();
    let twice = seen.applied.values().filter(|n| **n > 1).count();
    (seen.deliveries.len(), repeated, twice)
}

fn main() {
    let outage = seconds("AGORA_DRILL_OUTAGE", 180);
    let flaky = seconds("AGORA_DRILL_FLAKY", 60);
    actix_web::rt::System::new().block_on(async move {
        let agent = start_agent();
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("agent.secret");
        std::fs::write(&secret_file, &agent.secret).unwrap();
        let secret_path = secret_file.display().to_string();
        let config = settings_on(
            dir.path(),
            &[
                ("AGORA_LOG__LEVEL", "error"),
                ("AGORA_PROVISIONING__INTERVAL", "1s"),
                ("AGORA_PROVISIONING__RETRY_BASE", "1s"),
                ("AGORA_PROVISIONING__RETRY_CAP", "30s"),
                ("AGORA_PROVISIONING__MAX_ATTEMPTS", "100"),
                ("AGORA_DATAPLANES__GW__KIND", "webhook"),
                ("AGORA_DATAPLANES__GW__URL", &agent.url),
                ("AGORA_DATAPLANES__GW__SECRET_FILE", &secret_path),
                ("AGORA_DATAPLANES__GW__ALLOW_PRIVATE_TARGETS", "true"),
            ],
        );
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(config, Arc::new(SystemClock)).unwrap();
                tx.send((app.port(), app.state())).unwrap();
                app.run_until_stopped().await.unwrap();
            })
        });
        let (port, state) = rx.recv().unwrap();
        let base = format!("http://127.0.0.1:{port}");

        // A product on the agent's data plane, a team with access to it.
        let admin = Browser::at(&base);
        admin.set_up().await;
        let provider = admin.create_team("Weather provider").await;
        admin.make_provider(&provider).await;
        let product = admin
            .create_product(&provider, "Weather", "Forecasts", "demo")
            .await;
        let resource = admin
            .add_resource_on(&provider, &product, "Forecast", "/weather/", "automatic", "gw")
            .await;
        let plan = admin
            .add_plan(&provider, &product, "Standard", &[&resource], "automatic")
            .await;
        assert_eq!(admin.publish(&provider, &product).await.status(), 303);
        let team = admin.create_team("Buyers").await;
        let res = admin.subscribe(&product, &plan, &team).await;
        let subscription = last_id(&res);
        let application = admin.create_application(&team, "Mobile").await;
        let res = admin
            .request_access(&product, &resource, &application, &subscription, &[])
            .await;
        let to = location(&res);
        let access = to.split('/').rev().nth(2).unwrap().to_owned();
        let new_path =
            format!("/teams/{team}/applications/{application}/access/{access}/credentials/new");
        let app_id = application.parse().unwrap();
        while state.store.accesses_of_app(app_id).unwrap()[0].provisioning
            != Provisioning::Provisioned
        {
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }

        // Phase 1: the agent is down for minutes while the clients work.
        agent.set(|m| m.down = true);
        let stop = Arc::new(AtomicBool::new(false));
        let timer = stop.clone();
        actix_web::rt::spawn(async move {
            actix_web::rt::time::sleep(Duration::from_secs(outage)).await;
            timer.store(true, Ordering::Relaxed);
        });
        let acked = work(&base, &team, &new_path, stop).await;
        let open = state.store.task_count();
        agent.set(|m| m.down = false);
        let one = converge(&state, &agent).await;
        let (calls_1, repeated_1, twice_1) = duplicates(&agent);
        println!("| phase | changes acknowledged | open work at recovery | converged after | credentials | disagreements | failed | deliveries | repeated deliveries | applied twice |");
        println!("|---|---|---|---|---|---|---|---|---|---|");
        println!(
            "| agent down {outage} s under load | {acked} | {open} | {:.1} s | {} | {} | {} | {calls_1} | {repeated_1} | {twice_1} |",
            one.converged.as_secs_f64(),
            one.credentials,
            one.disagreements,
            one.failed
        );

        // Phase 2: 30% of calls fail; half of the failures after applying.
        agent.set(|m| {
            m.fail_rate = 0.15;
            m.lose_answer_rate = 0.15 / 0.85;
        });
        let stop = Arc::new(AtomicBool::new(false));
        let timer = stop.clone();
        actix_web::rt::spawn(async move {
            actix_web::rt::time::sleep(Duration::from_secs(flaky)).await;
            timer.store(true, Ordering::Relaxed);
        });
        let acked = work(&base, &team, &new_path, stop).await;
        let open = state.store.task_count();
        agent.set(|m| {
            m.fail_rate = 0.0;
            m.lose_answer_rate = 0.0;
        });
        let two = converge(&state, &agent).await;
        let (calls_2, repeated_2, twice_2) = duplicates(&agent);
        println!(
            "| 30% of calls failing for {flaky} s under load | {acked} | {open} | {:.1} s | {} | {} | {} | {} | {} | {} |",
            two.converged.as_secs_f64(),
            two.credentials,
            two.disagreements,
            two.failed,
            calls_2 - calls_1,
            repeated_2 - repeated_1,
            twice_2
        );
        assert_eq!(one.disagreements + two.disagreements, 0, "portal and agent agree");
        assert_eq!(twice_2, 0, "no change applied twice");
    });
}
