//! The whole server under load, on a realistic database.
//!
//! Seeds, through the same pages a browser uses: 500 teams (50 providers
//! with 20 published products each, 450 consumer teams), 1,000 products,
//! 10,000 active API keys, 50 people, and tops the audit log up to 100,000
//! records. Then starts the release `agora` binary on that data and drives
//! it over loopback from this process (client and server share the 2 cores):
//! each route for a few seconds at its concurrency, with the bare `/livez`
//! of the same server, measured in the same run, as the baseline of the
//! ratios. Last, Agora runs in this process on the same data: 100,000
//! expired secrets are added, the sweep purges them while the application
//! page is loaded, and that page's p99 during the purge is compared with idle.
//!
//! Run: `cargo bench --bench load` (about 3 minutes). `AGORA_LOAD_SECONDS`
//! sets the seconds per route (default 5). Results go in docs/benchmarks.md.
//! The server's pid and each phase go to stderr, for `perf record -p`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use agora::clock::ManualClock;
use agora::domain::audit::AuditRecord;
use agora::domain::credential::secret_aad;
use agora::domain::ids::{AuditId, CredentialId, TeamId};
use agora::ops::AppState;
use agora::startup::Application;
use agora::store::{Changes, SealedSecret};
use common::binary::{Binary, free_port};
use common::load::{Flushes, MakeRequest, drive, drive_for, gauges, get};
use common::*;
use futures_util::StreamExt;
use futures_util::stream;

const PROVIDERS: usize = 50;
const PRODUCTS_PER_PROVIDER: usize = 20;
const CONSUMERS: usize = 450;
const CREDENTIALS: usize = 10_000;
const APP_CREDENTIALS: usize = 50;
const AUDIT: usize = 100_000;
const PEOPLE: usize = 50;
const EXPIRED_SECRETS: usize = 100_000;

/// One consumer team's application with provisioned access.
struct Access {
    team: String,
    application: String,
    access: String,
    /// A path the resource answers under, as the proxy forwards it.
    route: String,
}

impl Access {
    fn new_credential(&self) -> String {
        format!(
            "/teams/{}/applications/{}/access/{}/credentials/new",
            self.team, self.application, self.access
        )
    }
    fn page(&self) -> String {
        format!("/teams/{}/applications/{}", self.team, self.application)
    }
}

struct Seeded {
    /// The team of the people; its application "Main" has 50 credentials.
    main: Access,
    /// A second application of the same team, for the Create Credential run.
    load: Access,
    /// Every API key with its resource.
    keys: Vec<(String, String)>,
    teams: Vec<String>,
    products: usize,
    audit: usize,
}

/// A published product with one unlimited resource on the embedded data plane.
async fn product(admin: &Browser, team: &str, n: usize) -> (String, String, String, String) {
    const SUBJECTS: [&str; 8] = [
        "Weather",
        "Payments",
        "Maps",
        "Mail",
        "Search",
        "Shipping",
        "Identity",
        "Translation",
    ];
    let subject = SUBJECTS[n % SUBJECTS.len()];
    let product = admin
        .create_product(
            team,
            &format!("{subject} {n}"),
            &format!("{subject} data for product {n}"),
            &format!("{}, tier{}", subject.to_lowercase(), n % 5),
        )
        .await;
    let resource = admin
        .add_resource(team, &product, "Main API", &format!("/p{n}/"), "automatic")
        .await;
    let page = format!("/provider/{team}/products/{product}/plans/new");
    let res = admin
        .submit(
            &page,
            &page,
            &[
                ("name", "Unlimited"),
                ("per_minute", ""),
                ("per_day", ""),
                ("approval", "automatic"),
                ("resources", &resource),
            ],
        )
        .await;
    assert_eq!(res.status(), 303, "plan creation should redirect");
    let html = admin
        .html(&format!("/provider/{team}/products/{product}"))
        .await;
    let plan = ids_after(&html, "/plans/")
        .into_iter()
        .next()
        .expect("the plan");
    assert_eq!(admin.publish(team, &product).await.status(), 303);
    (product, resource, plan, format!("/p{n}/today"))
}

/// Subscribes `team`, creates an application and requests access.
async fn access(
    admin: &Browser,
    team: &str,
    app_name: &str,
    (product, resource, plan, route): &(String, String, String, String),
    subscription: Option<String>,
) -> (Access, String) {
    let subscription = match subscription {
        Some(s) => s,
        None => {
            let res = admin.subscribe(product, plan, team).await;
            assert_eq!(res.status(), 303, "subscribe");
            last_id(&res)
        }
    };
    let application = admin.create_application(team, app_name).await;
    let res = admin
        .request_access(product, resource, &application, &subscription, &[])
        .await;
    assert_eq!(res.status(), 303, "request access");
    let to = location(&res);
    let access = to.split('/').rev().nth(2).expect("access id").to_owned();
    (
        Access {
            team: team.to_owned(),
            application,
            access,
            route: route.clone(),
        },
        subscription,
    )
}

/// Creates `n` API keys on `a`; returns each key with a path of its resource.
async fn keys(b: &Browser, a: &Access, n: usize) -> Vec<(String, String)> {
    let page = a.new_credential();
    let token = b.token(&page).await;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("key {i}");
        let res = b
            .post(&page, &token, &[("name", &name), ("kind", "api_key")])
            .await;
        let html = b.secret_page(res).await;
        out.push((input_value(&html, "secret"), a.route.clone()));
    }
    out
}

async fn seed(app: &TestApp) -> Seeded {
    let started = Instant::now();
    let admin = app.admin().await;
    let providers: Vec<String> = stream::iter((0..PROVIDERS).map(|p| {
        let admin = &admin;
        async move {
            let team = admin.create_team(&format!("Provider {p}")).await;
            admin.make_provider(&team).await;
            team
        }
    }))
    .buffered(4)
    .collect()
    .await;
    let products: Vec<(String, String, String, String)> =
        stream::iter((0..PROVIDERS * PRODUCTS_PER_PROVIDER).map(|n| {
            let (admin, team) = (&admin, &providers[n % PROVIDERS]);
            product(admin, team, n)
        }))
        .buffered(8)
        .collect()
        .await;
    eprintln!(
        "seed: {} products in {:.0?}",
        products.len(),
        started.elapsed()
    );
    let consumers: Vec<String> = stream::iter((0..CONSUMERS).map(|t| {
        let admin = &admin;
        async move { admin.create_team(&format!("Team {t}")).await }
    }))
    .buffered(8)
    .collect()
    .await;
    // Team 0 holds the people, "Main" with 50 keys and "Load" for the
    // Create Credential run; the other 449 teams share the remaining keys.
    let (main, subscription) = access(&admin, &consumers[0], "Main", &products[0], None).await;
    let (load, _) = access(
        &admin,
        &consumers[0],
        "Load",
        &products[0],
        Some(subscription),
    )
    .await;
    let rest = CREDENTIALS - APP_CREDENTIALS;
    let others = CONSUMERS - 1;
    let accesses: Vec<(Access, usize)> = stream::iter((1..CONSUMERS).map(|t| {
        let (admin, team, listing) = (&admin, &consumers[t], &products[t % products.len()]);
        let n = rest / others + usize::from(t - 1 < rest % others);
        async move {
            (
                access(admin, team, &format!("App {t}"), listing, None)
                    .await
                    .0,
                n,
            )
        }
    }))
    .buffered(8)
    .collect()
    .await;
    app.run_due().await;
    let mut all_keys = keys(&admin, &main, APP_CREDENTIALS).await;
    let more: Vec<Vec<(String, String)>> =
        stream::iter(accesses.iter().map(|(a, n)| keys(&admin, a, *n)))
            .buffered(8)
            .collect()
            .await;
    all_keys.extend(more.into_iter().flatten());
    while app.state.gateway.credential_count() < CREDENTIALS {
        app.run_due().await;
    }
    eprintln!(
        "seed: {} active credentials in {:.0?}",
        all_keys.len(),
        started.elapsed()
    );
    for i in 0..PEOPLE {
        app.member(
            &admin,
            &format!("person{i}@example.com"),
            &format!("Person {i}"),
            Some((&consumers[0], "developer")),
        )
        .await;
    }
    let mut teams = providers;
    teams.extend(consumers);
    // The audit log up to its size: records spread over the teams.
    let state = app.state.clone();
    let team_ids: Vec<TeamId> = teams.iter().map(|t| TeamId::from_str(t).unwrap()).collect();
    let audit = actix_web::rt::task::spawn_blocking(move || {
        let now = state.clock.now();
        let mut i = state.store.audit_count();
        while i < AUDIT {
            state
                .store
                .append_audit(&AuditRecord {
                    id: AuditId::generate(now),
                    at: now,
                    actor: None,
                    team: Some(team_ids[i % team_ids.len()]),
                    action: "credential.view".into(),
                    detail: format!("seeded record {i}"),
                    subject: None,
                })
                .unwrap();
            i += 1;
        }
        state.store.flush_blocking().unwrap();
        state.store.audit_count()
    })
    .await
    .unwrap();
    eprintln!("seed: done in {:.0?}", started.elapsed());
    Seeded {
        main,
        load,
        keys: all_keys,
        teams,
        products: products.len(),
        audit,
    }
}

/// The first person of the main team signed in: their browser and session cookie.
async fn sign_in_first_person(base: &str) -> (Browser, String) {
    let person = Browser::at(base);
    let res = person
        .login("person0@example.com", "member password 1")
        .await;
    assert_eq!(res.status(), 303);
    let cookie = cookie_pair(&res);
    (person, cookie)
}

/// The `agora_session=…` pair of a sign-in answer.
fn cookie_pair(res: &reqwest::Response) -> String {
    session_cookie(res)
        .split(';')
        .next()
        .expect("a cookie pair")
        .to_owned()
}

/// Signs in `email` again and again until `stop` is set; returns how many
/// sign-ins succeeded.
async fn sign_in_loop(base: String, email: String, stop: Arc<AtomicBool>, done: Arc<AtomicUsize>) {
    while !stop.load(Ordering::Relaxed) {
        let b = Browser::at(&base);
        let res = b.login(&email, "member password 1").await;
        match res.status().as_u16() {
            303 => {
                done.fetch_add(1, Ordering::Relaxed);
            }
            // More checks waiting than the hasher queues (503), or the
            // address's budget in use by the attempts in flight (429): a
            // person tries again a moment later.
            503 | 429 => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
            other => panic!("sign-in answered {other}"),
        }
    }
}

/// Waits until every provisioning task is done: how many there were, and
/// how long they took.
async fn drain(base: &str) -> (f64, Duration) {
    let backlog = gauges(base).await["agora_provisioning_tasks"];
    eprintln!("phase: provisioning drain");
    let started = Instant::now();
    while gauges(base).await["agora_provisioning_tasks"] > 0.0 {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    (backlog, started.elapsed())
}

fn main() {
    let secs: u64 = std::env::var("AGORA_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let (dir, seeded) = actix_web::rt::System::new().block_on(async {
        let app = spawn_app_with(&[("AGORA_LOG__LEVEL", "error")]).await;
        let seeded = seed(&app).await;
        (app.stop().await, seeded)
    });

    // The routes: the release binary on the seeded data, as an operator runs it.
    // 50 people sign in at once from this one address: every attempt counts
    // against the address while its password is checked, so its budget is
    // raised (the per-account one stays).
    let (server, start_up) = Binary::start(
        dir.path(),
        free_port(),
        &[("AGORA_SECURITY__LOGIN_MAX_FAILURES_PER_ADDRESS", "1000")],
    );
    let base = server.base.clone();
    eprintln!("server: pid {}", server.pid());

    actix_web::rt::System::new().block_on(async {
        let credentials = gauges(&base).await["agora_gateway_credentials"] as usize;
        assert_eq!(credentials, CREDENTIALS);
        println!(
            "{} teams, {} products, {credentials} active credentials, {} audit records; the release binary healthy on this data in {start_up:.0?}",
            seeded.teams.len(),
            seeded.products,
            seeded.audit,
        );
        let (person, cookie) = sign_in_first_person(&base).await;
        let page = seeded.main.page();
        let html = person.html(&page).await;
        eprintln!("application page: {} bytes", html.len());
        assert!(html.matches("/credentials/").count() >= APP_CREDENTIALS);

        let keys = Arc::new(seeded.keys);
        let valid: MakeRequest = {
            let (url, keys) = (format!("{base}/gateway/authorize"), keys.clone());
            Arc::new(move |c: &reqwest::Client, w, i| {
                let (key, route) = &keys[(w * 7919 + i * 64) % keys.len()];
                c.get(&url)
                    .header("X-API-Key", key)
                    .header("X-Original-URI", route)
            })
        };
        let unknown: MakeRequest = {
            let url = format!("{base}/gateway/authorize");
            let route = keys[0].1.clone();
            let fakes: Arc<Vec<String>> = Arc::new(
                (0..1_000)
                    .map(|_| {
                        use agora::domain::key_format::{self, KeyId};
                        key_format::api_key(&KeyId::generate(), &key_format::new_secret())
                    })
                    .collect(),
            );
            Arc::new(move |c: &reqwest::Client, w, i| {
                c.get(&url)
                    .header("X-API-Key", &fakes[(w + i * 64) % fakes.len()])
                    .header("X-Original-URI", &route)
            })
        };
        let create: MakeRequest = {
            let url = format!("{base}{}", seeded.load.new_credential());
            let token = person.token(&seeded.load.new_credential()).await;
            let cookie = cookie.clone();
            Arc::new(move |c: &reqwest::Client, w, i| {
                c.post(&url).header("cookie", &cookie).form(&[
                    ("name", format!("load {w}-{i}")),
                    ("kind", "api_key".to_owned()),
                    ("csrf", token.clone()),
                ])
            })
        };

        // The JSON API with the same person's token.
        let api_token = person.personal_token("Load", "read-write", None).await;
        let api_list: MakeRequest = {
            let url = format!("{base}/api/v1/teams/{}/credentials?limit=50", seeded.main.team);
            let token = api_token.clone();
            Arc::new(move |c: &reqwest::Client, _, _| c.get(&url).bearer_auth(&token))
        };
        let api_create: MakeRequest = {
            let url = format!("{base}/api/v1/teams/{}/credentials", seeded.load.team);
            let (token, app, access) = (
                api_token.clone(),
                seeded.load.application.clone(),
                seeded.load.access.clone(),
            );
            Arc::new(move |c: &reqwest::Client, w, i| {
                c.post(&url).bearer_auth(&token).json(&serde_json::json!({
                    "application": app,
                    "access": access,
                    "name": format!("api {w}-{i}"),
                    "kind": "api_key",
                }))
            })
        };

        // Warm-up: connections, caches, the team actor.
        drive_for(2, 64, get(&base, "/livez", None), 200).await;
        drive_for(1, 64, get(&base, &page, Some(&cookie)), 200).await;

        eprintln!("phase: hello");
        let hello = drive_for(secs, 64, get(&base, "/livez", None), 200).await;
        eprintln!("phase: gateway");
        let ok = drive_for(secs, 64, valid, 200).await;
        let bad = drive_for(secs, 64, unknown, 401).await;
        eprintln!("phase: application page");
        let app_page = drive_for(secs, 64, get(&base, &page, Some(&cookie)), 200).await;
        eprintln!("phase: API credential list");
        let listed = drive_for(secs, 64, api_list, 200).await;
        eprintln!("phase: marketplace");
        let market = drive_for(secs, 64, get(&base, "/marketplace", Some(&cookie)), 200).await;
        eprintln!("phase: create credential");
        // Each answers 303 to the page that shows its secret.
        let before = gauges(&base).await;
        let created = drive_for(secs, 16, create, 303).await;
        let page_flushes = Flushes::between(&before, &gauges(&base).await);
        // Provisioning catches up with what a run created before the next
        // run, so neither create runs beside the other's backlog.
        let (backlog, drained) = drain(&base).await;
        eprintln!("phase: API create credential");
        let before = gauges(&base).await;
        let api_created = drive_for(secs, 16, api_create, 201).await;
        let api_flushes = Flushes::between(&before, &gauges(&base).await);
        let (api_backlog, api_drained) = drain(&base).await;

        // The application page while 50 people sign in at once, over and over.
        let stop = Arc::new(AtomicBool::new(false));
        let sign_ins = Arc::new(AtomicUsize::new(0));
        let loops: Vec<_> = (0..PEOPLE)
            .map(|i| {
                actix_web::rt::spawn(sign_in_loop(
                    base.clone(),
                    format!("person{i}@example.com"),
                    stop.clone(),
                    sign_ins.clone(),
                ))
            })
            .collect();
        actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        sign_ins.store(0, Ordering::Relaxed);
        eprintln!("phase: sign-ins");
        let during_logins = drive_for(secs, 64, get(&base, &page, Some(&cookie)), 200).await;
        let logins_per_s = sign_ins.load(Ordering::Relaxed) as f64 / secs as f64;
        stop.store(true, Ordering::Relaxed);
        for l in loops {
            l.await.unwrap();
        }

        println!();
        println!("| route | concurrency | requests/s | p50 | p99 | errors | ratio to /livez |");
        println!("|---|---|---|---|---|---|---|");
        let sign_in_row =
            format!("application page during 50 sign-ins at once ({logins_per_s:.0} sign-ins/s)");
        for (name, concurrency, r) in [
            ("`/livez` (hello)", 64, &hello),
            ("`/gateway/authorize`, valid key", 64, &ok),
            ("`/gateway/authorize`, unknown key", 64, &bad),
            ("application page, 50 credentials", 64, &app_page),
            ("Marketplace, 1,000 products", 64, &market),
            ("Create Credential POST (flushed)", 16, &created),
            ("API: `GET` credential list, 50 per page", 64, &listed),
            ("API: `POST` create credential (flushed)", 16, &api_created),
            (&sign_in_row, 64, &during_logins),
        ] {
            println!("{}", r.row(name, concurrency, hello.rps));
        }
        println!("flushes during the page's create: {page_flushes}; during the API's: {api_flushes}");
        println!(
            "provisioning: {backlog} tasks pending at the end of the page's {secs} s create, none {drained:.1?} later; {api_backlog} at the end of the API's, none {api_drained:.1?} later"
        );
    });
    server.stop();

    // The purge runs Agora in this process: it adds the expired secrets
    // straight to storage, then starts the sweep itself and times it.
    let config = settings_on(dir.path(), &[("AGORA_LOG__LEVEL", "error")]);
    let (tx, rx) = std::sync::mpsc::channel::<(u16, Arc<AppState>)>();
    let clock = ManualClock::at_test_epoch();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config, Arc::new(clock)).unwrap();
            tx.send((app.port(), app.state())).unwrap();
            app.run_until_stopped().await.unwrap();
        })
    });
    let (port, state) = rx.recv().unwrap();
    let base = format!("http://127.0.0.1:{port}");

    actix_web::rt::System::new().block_on(async move {
        let (_, cookie) = sign_in_first_person(&base).await;
        let page = seeded.main.page();
        drive_for(1, 64, get(&base, &page, Some(&cookie)), 200).await;

        // The purge: 100,000 expired sealed secrets, then the sweep while the
        // application page is loaded.
        let seeding = state.clone();
        actix_web::rt::task::spawn_blocking(move || {
            let now = seeding.clock.now();
            let secrets: Vec<SealedSecret> = (0..EXPIRED_SECRETS)
                .map(|_| {
                    let credential = CredentialId::generate(now);
                    SealedSecret {
                        credential,
                        version: 1,
                        until: now,
                        sealed: seeding.vault.seal(b"expired", &secret_aad(credential, 1)),
                    }
                })
                .collect();
            for chunk in secrets.chunks(1_000) {
                let changes = Changes {
                    secrets: chunk.iter().collect(),
                    ..Changes::default()
                };
                let audit = AuditRecord {
                    id: AuditId::generate(now),
                    at: now,
                    actor: None,
                    team: None,
                    action: "seed".into(),
                    detail: String::new(),
                    subject: None,
                };
                seeding.store.commit(&changes, &audit).unwrap();
            }
            seeding.store.flush_blocking().unwrap();
        })
        .await
        .unwrap();
        eprintln!("phase: idle before the purge");
        let idle = drive_for(secs, 64, get(&base, &page, Some(&cookie)), 200).await;
        let stop = Arc::new(AtomicBool::new(false));
        let purging = {
            let (state, stop) = (state.clone(), stop.clone());
            // The purge itself runs on the blocking pool, beside the workers.
            actix_web::rt::spawn(async move {
                let t = Instant::now();
                let report = agora::scheduler::sweep(&state).await.unwrap();
                stop.store(true, Ordering::Relaxed);
                (report.secrets, t.elapsed())
            })
        };
        let during = drive(64, stop, get(&base, &page, Some(&cookie)), 200).await;
        let (purged, took) = purging.await.unwrap();
        println!();
        println!("| application page | requests/s | p50 | p99 | errors |");
        println!("|---|---|---|---|---|");
        for (name, r) in [("idle", &idle), ("during the purge", &during)] {
            println!("| {name} | {} |", r.cells());
        }
        println!(
            "purge: {purged} expired secrets in {took:.2?}; p99 during it {:.1}× idle",
            during.p99.as_secs_f64() / idle.p99.as_secs_f64()
        );
    });
}
