//! Hostile input against every route the router has: random and malformed
//! form bodies, oversize bodies, bad UTF-8, huge field values, unknown ids
//! and other teams' ids, with and without a session and a CSRF token.
//! Never a 5xx, and never a change without a valid session and token.
//!
//! The route list is read from src/web/mod.rs, so a new route is fuzzed
//! without anyone remembering to add it. Cases: `AGORA_FUZZ_CASES`
//! (default 400, the short run CI does). The seed is printed, and
//! `AGORA_FUZZ_SEED` replays a run.

mod common;

use common::*;

/// A small, seedable generator (xorshift64*): reproducible runs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// (method, path pattern) for every route in the router.
fn routes() -> Vec<(String, String)> {
    let router = include_str!("../src/web/mod.rs");
    let mut out = Vec::new();
    let mut rest = router;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let Some(q1) = rest.find('"') else { break };
        let after = &rest[q1 + 1..];
        let Some(q2) = after.find('"') else { break };
        let path = after[..q2].to_owned();
        let tail = &after[q2..];
        // What follows the path up to the first ")" is `", web::get(` or `", web::post(`.
        let method = if tail[..tail.find(')').unwrap_or(tail.len())].contains("post") {
            "POST"
        } else {
            "GET"
        };
        out.push((method.to_owned(), path));
    }
    out
}

const JUNK_FIELDS: [&str; 12] = [
    "name",
    "email",
    "password",
    "role",
    "reason",
    "confirmed",
    "team_id",
    "subscription",
    "application",
    "kind",
    "rows",
    "grace",
];

fn junk_value(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => String::new(),
        1 => "x".repeat(70_000),
        2 => "%zz%%%".to_owned(),
        3 => "<script>alert(1)</script>".to_owned(),
        4 => "01KDVDNA000000000000000000".to_owned(),
        5 => "yes".to_owned(),
        6 => "ünïcødé \u{202e} \u{0}".to_owned(),
        _ => format!("{}", rng.next()),
    }
}

/// A random body: a form with junk, raw bytes (bad UTF-8), or something huge.
fn body(rng: &mut Rng, token: Option<&str>) -> Vec<u8> {
    match rng.below(5) {
        0 => (0..rng.below(300))
            .map(|_| (rng.next() & 0xff) as u8)
            .collect(),
        1 => vec![b'a'; 1_400_000],
        _ => {
            let mut pairs: Vec<(String, String)> = (0..rng.below(6))
                .map(|_| (rng.pick(&JUNK_FIELDS).to_string(), junk_value(rng)))
                .collect();
            if let Some(t) = token {
                pairs.push(("csrf".into(), t.into()));
            }
            let mut s = serde_html_form::to_string(&pairs).unwrap_or_default();
            if rng.below(4) == 0 {
                s.push_str("&%ff%fe=%c3%28&broken");
            }
            s.into_bytes()
        }
    }
}

/// Counts that any accepted change would move.
fn fingerprint(app: &TestApp) -> Vec<usize> {
    let s = &app.state.store;
    let teams = s.teams().unwrap();
    let mut out = vec![
        s.users().unwrap().len(),
        teams.len(),
        s.products().unwrap().len(),
        s.credentials().unwrap().len(),
        s.task_count(),
    ];
    for t in &teams {
        out.push(s.members(t.id).unwrap().len());
        out.push(s.subscriptions_of_team(t.id).unwrap().len());
        out.push(s.applications_of(t.id).unwrap().len());
        out.push(s.team_audit(t.id, 10_000).unwrap().len());
    }
    out
}

#[actix_web::test]
async fn hostile_requests_never_break_or_change_anything() {
    let cases: usize = std::env::var("AGORA_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let seed: u64 = std::env::var("AGORA_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| agora::crypto::random::unit().to_bits() | 1);
    println!("hostile input: {cases} cases, seed {seed}");
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (cred, _, _) = admin.create_credential(&h, "Target", "api_key").await;
    app.run_due().await;
    let other = admin.create_team("Others").await;
    let outsider = app
        .member(
            &admin,
            "out@example.com",
            "Out",
            Some((&other, "developer")),
        )
        .await;
    let stranger = app.browser();

    // Values for path parameters: real ids, other teams' ids, unknown ids, junk.
    let l = &h.c.listing;
    let ids = [
        h.c.team.clone(),
        other.clone(),
        l.provider.clone(),
        l.product.clone(),
        l.resource.clone(),
        l.plan.clone(),
        h.c.subscription.clone(),
        h.c.application.clone(),
        h.access.clone(),
        cred.clone(),
        "01KDVDNA000000000000000000".to_owned(),
        "not-an-id".to_owned(),
        "..%2F..%2Fetc%2Fpasswd".to_owned(),
        "x".repeat(300),
    ];
    let routes = routes();
    assert!(
        routes.len() > 60,
        "the route list was read: {}",
        routes.len()
    );
    let mut rng = Rng(seed);
    let outsider_token = outsider.token("/").await;
    let before = fingerprint(&app);
    let mut statuses = std::collections::BTreeMap::new();
    for case in 0..cases {
        let (method, pattern) = rng.pick(&routes).clone();
        let mut path = String::new();
        let mut rest = pattern.as_str();
        while let Some(open) = rest.find('{') {
            path.push_str(&rest[..open]);
            let close = rest[open..].find('}').unwrap() + open;
            let id: &String = rng.pick(&ids[..]);
            path.push_str(id);
            rest = &rest[close + 1..];
        }
        path.push_str(rest);
        if pattern == "/static/{file:.*}" {
            path = format!(
                "/static/{}",
                rng.pick(&["agora.css", "../Cargo.toml", "%00", "x"])
            );
        }
        // Who asks: nobody, an outsider with their own token, or a stranger without a session.
        // (The outsider never signs out, so the run keeps its depth.)
        let who = if pattern == "/logout" {
            0
        } else {
            rng.below(3)
        };
        let client = match who {
            0 => &stranger,
            _ => &outsider,
        };
        let token = match who {
            1 => Some(outsider_token.as_str()),
            _ => None,
        };
        let url = format!("{}{}", app.base, path);
        let res = if method == "GET" {
            client.client.get(&url).send().await
        } else {
            client
                .client
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body(&mut rng, token))
                .send()
                .await
        };
        let status = res.map(|r| r.status().as_u16()).unwrap_or(0);
        assert!(
            (200..500).contains(&status),
            "case {case} (seed {seed}): {method} {path} answered {status}"
        );
        *statuses.entry(status).or_insert(0) += 1;
    }
    // Nobody with a valid session and token for these teams acted, so nothing
    // may have changed — except what the outsider may do in their own team.
    let after = fingerprint(&app);
    assert_eq!(
        before[..5],
        after[..5],
        "users, teams, products, credentials, tasks unchanged"
    );
    println!("hostile input: statuses {statuses:?}");
    assert_eq!(
        admin.get("/").await.status(),
        200,
        "the server still answers"
    );
}
