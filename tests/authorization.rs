//! The authorisation matrix: every route of the router, every role, from one
//! table. A route missing from the table fails the test, so a new route
//! cannot be forgotten.
//!
//! Pages (GET) are checked for every role. Actions (POST) are sent by every
//! role that must be refused, with that role's own valid CSRF token, and
//! must be refused without changing anything.

mod common;

use common::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Nobody,
    Viewer,
    Developer,
    Admin,
    OtherTeam,
    OtherProvider,
    PlatformAdmin,
}

use Role::*;

const ROLES: [Role; 7] = [
    Nobody,
    Viewer,
    Developer,
    Admin,
    OtherTeam,
    OtherProvider,
    PlatformAdmin,
];

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in person.
    SignedIn,
    /// Members of the team in the path (any role), and the platform admin.
    Member,
    /// Its admins and developers (viewers are refused), and the platform admin.
    Acting,
    /// Its admins, and the platform admin.
    TeamAdmin,
    /// Admins and developers of the provider team in the path, and the platform admin.
    Provider,
    /// The platform admin only.
    Platform,
}

const TABLE: &[(&str, &str, Rule)] = &[
    ("GET", "/", Rule::Public),
    ("GET", "/healthz", Rule::Public),
    ("GET", "/livez", Rule::Public),
    ("GET", "/api", Rule::Public),
    ("GET", "/metrics", Rule::Public),
    ("GET", "/static/{file:.*}", Rule::Public),
    ("GET", "/setup", Rule::Public),
    ("POST", "/setup", Rule::Public),
    ("GET", "/login", Rule::Public),
    ("POST", "/login", Rule::Public),
    ("POST", "/logout", Rule::Public),
    ("GET", "/invitations/{token}", Rule::Public),
    ("POST", "/invitations/{token}", Rule::Public),
    ("GET", "/password/forgot", Rule::Public),
    ("POST", "/password/forgot", Rule::Public),
    ("GET", "/password/reset/{token}", Rule::Public),
    ("POST", "/password/reset/{token}", Rule::Public),
    ("POST", "/security/leaked-keys", Rule::Public),
    ("GET", "/account/email", Rule::SignedIn),
    ("POST", "/account/email", Rule::SignedIn),
    ("GET", "/teams/{team_id}/webhooks", Rule::TeamAdmin),
    ("POST", "/teams/{team_id}/webhooks", Rule::TeamAdmin),
    (
        "GET",
        "/teams/{team_id}/webhooks/{endpoint_id}",
        Rule::TeamAdmin,
    ),
    (
        "POST",
        "/teams/{team_id}/webhooks/{endpoint_id}",
        Rule::TeamAdmin,
    ),
    (
        "GET",
        "/teams/{team_id}/webhooks/{endpoint_id}/shown",
        Rule::TeamAdmin,
    ),
    (
        "POST",
        "/teams/{team_id}/webhooks/{endpoint_id}/test",
        Rule::TeamAdmin,
    ),
    (
        "POST",
        "/teams/{team_id}/webhooks/{endpoint_id}/remove",
        Rule::TeamAdmin,
    ),
    (
        "POST",
        "/teams/{team_id}/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
        Rule::TeamAdmin,
    ),
    (
        "POST",
        "/provider/{team_id}/credentials/suspend-all",
        Rule::Provider,
    ),
    (
        "POST",
        "/teams/{team_id}/applications/{application_id}/suspend-credentials",
        Rule::Acting,
    ),
    ("GET", "/account/password", Rule::SignedIn),
    ("POST", "/account/password", Rule::SignedIn),
    ("GET", "/account/tokens", Rule::SignedIn),
    ("POST", "/account/tokens", Rule::SignedIn),
    ("GET", "/account/tokens/{token_id}/shown", Rule::SignedIn),
    ("POST", "/account/tokens/{token_id}/revoke", Rule::SignedIn),
    ("GET", "/teams/{team_id}/tokens", Rule::TeamAdmin),
    ("POST", "/teams/{team_id}/tokens", Rule::TeamAdmin),
    (
        "GET",
        "/teams/{team_id}/tokens/{token_id}/shown",
        Rule::TeamAdmin,
    ),
    (
        "POST",
        "/teams/{team_id}/tokens/{token_id}/revoke",
        Rule::TeamAdmin,
    ),
    ("GET", "/notifications", Rule::SignedIn),
    ("POST", "/notifications/read", Rule::SignedIn),
    (
        "POST",
        "/notifications/{notification_id}/read",
        Rule::SignedIn,
    ),
    ("GET", "/marketplace", Rule::SignedIn),
    ("GET", "/marketplace/products/{product_id}", Rule::SignedIn),
    (
        "GET",
        "/marketplace/products/{product_id}/resources",
        Rule::SignedIn,
    ),
    (
        "GET",
        "/marketplace/products/{product_id}/plans",
        Rule::SignedIn,
    ),
    (
        "GET",
        "/marketplace/products/{product_id}/plans/{plan_id}/subscribe",
        Rule::SignedIn,
    ),
    (
        "POST",
        "/marketplace/products/{product_id}/plans/{plan_id}/subscribe",
        Rule::SignedIn,
    ),
    (
        "GET",
        "/marketplace/products/{product_id}/resources/{resource_id}/request-access",
        Rule::SignedIn,
    ),
    (
        "POST",
        "/marketplace/products/{product_id}/resources/{resource_id}/request-access",
        Rule::SignedIn,
    ),
    (
        "GET",
        "/marketplace/products/{product_id}/resources/{resource_id}/access",
        Rule::SignedIn,
    ),
    (
        "GET",
        "/marketplace/products/{product_id}/resources/{resource_id}/credentials",
        Rule::SignedIn,
    ),
    ("GET", "/teams/{team_id}", Rule::Member),
    ("GET", "/teams/{team_id}/usage", Rule::Member),
    ("GET", "/teams/{team_id}/usage.csv", Rule::Member),
    ("POST", "/teams/{team_id}/members", Rule::TeamAdmin),
    (
        "POST",
        "/teams/{team_id}/members/{user_id}/role",
        Rule::TeamAdmin,
    ),
    (
        "POST",
        "/teams/{team_id}/members/{user_id}/remove",
        Rule::TeamAdmin,
    ),
    ("GET", "/teams/{team_id}/subscriptions", Rule::Member),
    (
        "GET",
        "/teams/{team_id}/subscriptions/{subscription_id}",
        Rule::Member,
    ),
    (
        "POST",
        "/teams/{team_id}/subscriptions/{subscription_id}/cancel",
        Rule::Acting,
    ),
    ("GET", "/teams/{team_id}/applications", Rule::Member),
    ("GET", "/teams/{team_id}/applications/new", Rule::Acting),
    ("POST", "/teams/{team_id}/applications/new", Rule::Acting),
    (
        "GET",
        "/teams/{team_id}/applications/{application_id}",
        Rule::Member,
    ),
    (
        "GET",
        "/teams/{team_id}/applications/{application_id}/edit",
        Rule::Acting,
    ),
    (
        "POST",
        "/teams/{team_id}/applications/{application_id}/edit",
        Rule::Acting,
    ),
    (
        "POST",
        "/teams/{team_id}/applications/{application_id}/archive",
        Rule::Acting,
    ),
    (
        "POST",
        "/teams/{team_id}/applications/{application_id}/delete",
        Rule::Acting,
    ),
    (
        "GET",
        "/teams/{team_id}/applications/{application_id}/request-access",
        Rule::Member,
    ),
    (
        "GET",
        "/teams/{team_id}/applications/{application_id}/access/{access_id}/credentials/new",
        Rule::Acting,
    ),
    (
        "POST",
        "/teams/{team_id}/applications/{application_id}/access/{access_id}/credentials/new",
        Rule::Acting,
    ),
    (
        "GET",
        "/teams/{team_id}/credentials/{credential_id}",
        Rule::Member,
    ),
    (
        "GET",
        "/teams/{team_id}/credentials/{credential_id}/usage.csv",
        Rule::Member,
    ),
    (
        "GET",
        "/teams/{team_id}/credentials/{credential_id}/secret",
        Rule::Acting,
    ),
    (
        "POST",
        "/teams/{team_id}/credentials/{credential_id}/view",
        Rule::Acting,
    ),
    (
        "POST",
        "/teams/{team_id}/credentials/{credential_id}/{action}",
        Rule::Acting,
    ),
    ("GET", "/provider/{team_id}", Rule::Provider),
    ("GET", "/provider/{team_id}/products/new", Rule::Provider),
    ("POST", "/provider/{team_id}/products/new", Rule::Provider),
    (
        "GET",
        "/provider/{team_id}/products/{product_id}",
        Rule::Provider,
    ),
    (
        "GET",
        "/provider/{team_id}/products/{product_id}/edit",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/products/{product_id}/edit",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/products/{product_id}/publish",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/products/{product_id}/unpublish",
        Rule::Provider,
    ),
    (
        "GET",
        "/provider/{team_id}/products/{product_id}/resources/new",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/products/{product_id}/resources/new",
        Rule::Provider,
    ),
    (
        "GET",
        "/provider/{team_id}/products/{product_id}/resources/{resource_id}",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/products/{product_id}/resources/{resource_id}",
        Rule::Provider,
    ),
    (
        "GET",
        "/provider/{team_id}/products/{product_id}/plans/new",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/products/{product_id}/plans/new",
        Rule::Provider,
    ),
    (
        "GET",
        "/provider/{team_id}/products/{product_id}/plans/{plan_id}",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/products/{product_id}/plans/{plan_id}",
        Rule::Provider,
    ),
    ("GET", "/provider/{team_id}/approvals", Rule::Provider),
    (
        "POST",
        "/provider/{team_id}/subscriptions/{subscription_id}/approve",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/subscriptions/{subscription_id}/reject",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/subscriptions/{subscription_id}/end",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/access/{access_id}/approve",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/access/{access_id}/reject",
        Rule::Provider,
    ),
    ("GET", "/provider/{team_id}/provisioning", Rule::Provider),
    (
        "POST",
        "/provider/{team_id}/access/{access_id}/provisioned",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/access/{access_id}/failed",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/access/{access_id}/retry",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/tasks/{task_id}/provisioned",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/tasks/{task_id}/failed",
        Rule::Provider,
    ),
    (
        "POST",
        "/provider/{team_id}/tasks/{task_id}/retry",
        Rule::Provider,
    ),
    ("GET", "/provider/{team_id}/credentials", Rule::Provider),
    (
        "POST",
        "/provider/{team_id}/credentials/{credential_id}/{action}",
        Rule::Provider,
    ),
    ("GET", "/admin/teams", Rule::Platform),
    ("GET", "/admin/teams/new", Rule::Platform),
    ("POST", "/admin/teams/new", Rule::Platform),
    ("POST", "/admin/teams/{team_id}/provider", Rule::Platform),
    ("GET", "/admin/backups", Rule::Platform),
    ("POST", "/admin/backups", Rule::Platform),
    ("GET", "/admin/users", Rule::Platform),
    ("GET", "/admin/users/new", Rule::Platform),
    ("POST", "/admin/users/new", Rule::Platform),
    ("GET", "/admin/users/{user_id}/invitation", Rule::Platform),
    ("POST", "/admin/users/{user_id}/invitation", Rule::Platform),
];

/// Whether `role` may use a route under `rule`.
fn allowed(rule: Rule, role: Role) -> bool {
    match rule {
        Rule::Public => true,
        Rule::SignedIn => role != Nobody,
        Rule::Member => matches!(role, Viewer | Developer | Admin | PlatformAdmin),
        Rule::Acting | Rule::Provider => matches!(role, Developer | Admin | PlatformAdmin),
        Rule::TeamAdmin => matches!(role, Admin | PlatformAdmin),
        Rule::Platform => role == PlatformAdmin,
    }
}

/// (method, pattern) of every route, read from the router.
fn router_routes() -> Vec<(String, String)> {
    let router = include_str!("../src/web/mod.rs");
    let mut out = Vec::new();
    let mut rest = router;
    while let Some(at) = rest.find(".route(") {
        rest = &rest[at + ".route(".len()..];
        let q1 = rest.find('"').unwrap();
        let after = &rest[q1 + 1..];
        let q2 = after.find('"').unwrap();
        let tail = &after[q2..];
        let method = if tail[..tail.find(')').unwrap()].contains("post") {
            "POST"
        } else {
            "GET"
        };
        out.push((method.to_owned(), after[..q2].to_owned()));
    }
    out
}

#[actix_web::test]
async fn every_route_answers_every_role_as_the_table_says() {
    // The table and the router name the same routes.
    let routes = router_routes();
    for (m, p) in &routes {
        assert!(
            TABLE.iter().any(|(tm, tp, _)| tm == m && tp == p),
            "{m} {p} is missing from the authorisation table"
        );
    }
    assert_eq!(
        routes.len(),
        TABLE.len(),
        "the table names a route the router lacks"
    );

    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let (cred, _, _) = admin.create_credential(&h, "Matrix key", "api_key").await;
    app.run_due().await;
    let l = &h.c.listing;
    // Viewer, developer and admin hold their role in both the consumer team
    // and the provider team, so each route's own team is theirs.
    let mut users = Vec::new();
    for (role, name) in [
        (Viewer, "viewer"),
        (Developer, "developer"),
        (Admin, "admin"),
    ] {
        let email = format!("team-{name}@example.com");
        let b = app
            .member(&admin, &email, name, Some((&h.c.team, name)))
            .await;
        let page = format!("/teams/{}", l.provider);
        let res = admin
            .submit(
                &page,
                &format!("{page}/members"),
                &[("email", &email), ("role", name)],
            )
            .await;
        assert_eq!(res.status(), 303);
        users.push((role, b));
    }
    let other = admin.create_team("Others").await;
    users.push((
        OtherTeam,
        app.member(
            &admin,
            "other@example.com",
            "Other",
            Some((&other, "admin")),
        )
        .await,
    ));
    let maps = app.listing(&admin, "Maps", "automatic").await;
    users.push((
        OtherProvider,
        app.member(
            &admin,
            "maps@example.com",
            "Maps",
            Some((&maps.provider, "admin")),
        )
        .await,
    ));
    users.push((Nobody, app.browser()));
    users.push((PlatformAdmin, admin));
    for role in ROLES {
        assert!(
            users.iter().any(|(r, _)| *r == role),
            "a browser for {role:?}"
        );
    }
    let viewer_page = users
        .last()
        .unwrap()
        .1
        .html(&format!("/teams/{}", h.c.team))
        .await;
    let some_user = user_id_in(&viewer_page, "team-viewer@example.com");
    let task = "01KDVDNA000000000000000000";
    // A webhook endpoint of the consumer team, for its pages.
    let hooks = format!("/teams/{}/webhooks", h.c.team);
    let res = users
        .last()
        .unwrap()
        .1
        .submit(
            &hooks,
            &hooks,
            &[
                ("url", "https://hooks.example.com/agora"),
                ("events", "credential.created"),
            ],
        )
        .await;
    let endpoint = location(&res).split('/').rev().nth(1).unwrap().to_owned();

    let fill = |pattern: &str| -> String {
        let provider_route =
            pattern.starts_with("/provider/") || pattern.starts_with("/admin/teams/");
        pattern
            .replace(
                "{team_id}",
                if provider_route {
                    &l.provider
                } else {
                    &h.c.team
                },
            )
            .replace("{product_id}", &l.product)
            .replace("{resource_id}", &l.resource)
            .replace("{plan_id}", &l.plan)
            .replace("{subscription_id}", &h.c.subscription)
            .replace("{application_id}", &h.c.application)
            .replace("{access_id}", &h.access)
            .replace("{credential_id}", &cred)
            .replace("{user_id}", &some_user)
            .replace("{task_id}", task)
            .replace("{notification_id}", task)
            .replace("{token_id}", "0123456789abcdef")
            .replace("{endpoint_id}", &endpoint)
            .replace("{delivery_id}", task)
            .replace("{action}", "suspend")
            .replace("{token}", "unknown-token")
            .replace("{file:.*}", "agora.css")
    };

    let tokens: Vec<String> = {
        let mut t = Vec::new();
        for (role, b) in &users {
            t.push(
                b.token(if *role == Nobody {
                    "/login"
                } else {
                    "/notifications"
                })
                .await,
            );
        }
        t
    };
    let before = (
        app.state
            .store
            .credential(cred.parse().unwrap())
            .unwrap()
            .unwrap()
            .desired,
        app.state
            .store
            .applications_of(h.c.team.parse().unwrap())
            .unwrap()
            .len(),
        app.state
            .store
            .members(h.c.team.parse().unwrap())
            .unwrap()
            .len(),
        app.state.store.products().unwrap().len(),
    );
    let mut checked = 0;
    for (method, pattern, rule) in TABLE {
        let path = fill(pattern);
        for (i, (role, b)) in users.iter().enumerate() {
            let ok = allowed(*rule, *role);
            if *method == "GET" {
                let status = b.get(&path).await.status().as_u16();
                checked += 1;
                if *rule == Rule::Public {
                    assert!(status < 500, "GET {pattern} as {role:?}: {status}");
                } else if ok {
                    assert_eq!(status, 200, "GET {pattern} as {role:?}");
                } else if *role == Nobody {
                    assert_eq!(status, 303, "GET {pattern} as {role:?} goes to sign-in");
                } else {
                    assert!(
                        matches!(status, 403 | 404),
                        "GET {pattern} as {role:?}: {status}"
                    );
                }
            } else if !ok {
                let res = b
                    .post(
                        &path,
                        &tokens[i],
                        &[
                            ("confirmed", "yes"),
                            ("reason", "matrix"),
                            ("name", "Matrix"),
                        ],
                    )
                    .await;
                let status = res.status().as_u16();
                checked += 1;
                assert!(
                    matches!(status, 303 | 403 | 404),
                    "POST {pattern} as {role:?} must be refused: {status}"
                );
                if status == 303 {
                    assert!(
                        location(&res).starts_with("/login"),
                        "POST {pattern} as {role:?} went to {}",
                        location(&res)
                    );
                }
            }
        }
    }
    let after = (
        app.state
            .store
            .credential(cred.parse().unwrap())
            .unwrap()
            .unwrap()
            .desired,
        app.state
            .store
            .applications_of(h.c.team.parse().unwrap())
            .unwrap()
            .len(),
        app.state
            .store
            .members(h.c.team.parse().unwrap())
            .unwrap()
            .len(),
        app.state.store.products().unwrap().len(),
    );
    assert_eq!(before, after, "no refused action changed anything");
    println!("authorisation matrix: {checked} route × role checks");
}
