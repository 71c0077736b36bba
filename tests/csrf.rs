//! Every POST route refuses a request without the session's CSRF token, and
//! such a request changes nothing.

mod common;

use common::*;

#[actix_web::test]
async fn every_post_route_refuses_a_missing_or_foreign_token() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Payments").await;
    let link = admin
        .invite("inv@example.com", "Inv", Some((&team, "viewer")))
        .await;
    let invitation = app.path_of(&link);
    let page = admin.html(&format!("/teams/{team}")).await;
    let me = user_id_in(&page, ADMIN_EMAIL);
    let people = admin.html("/admin/users").await;
    let invited = invited_user_id(&people);

    let routes: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/setup".into(),
            vec![
                ("email", "x@example.com"),
                ("display_name", "X"),
                ("password", "xxxxxxxxxxxx"),
                ("password_again", "xxxxxxxxxxxx"),
            ],
        ),
        (
            "/login".into(),
            vec![("email", ADMIN_EMAIL), ("password", ADMIN_PASSWORD)],
        ),
        ("/logout".into(), vec![]),
        (
            "/account/password".into(),
            vec![
                ("current", ADMIN_PASSWORD),
                ("password", "changed password"),
                ("password_again", "changed password"),
            ],
        ),
        (
            invitation.clone(),
            vec![
                ("password", "invited password"),
                ("password_again", "invited password"),
            ],
        ),
        (
            format!("/teams/{team}/members"),
            vec![("email", "inv@example.com"), ("role", "admin")],
        ),
        (
            format!("/teams/{team}/members/{me}/role"),
            vec![("role", "viewer")],
        ),
        (format!("/teams/{team}/members/{me}/remove"), vec![]),
        (
            "/admin/teams/new".into(),
            vec![("name", "Forged"), ("admin_email", ADMIN_EMAIL)],
        ),
        (
            "/admin/users/new".into(),
            vec![("email", "forged@example.com"), ("display_name", "F")],
        ),
        (format!("/admin/users/{invited}/invitation"), vec![]),
    ];

    // Keep this list complete: it must name as many routes as the router has POST routes.
    let router = include_str!("../src/web/mod.rs");
    assert_eq!(
        router.matches("web::post()").count(),
        routes.len(),
        "a POST route is missing from this test"
    );

    let other_session_token = app.browser().token("/login").await;
    for (action, fields) in &routes {
        let res = admin.post_without_token(action, fields).await;
        assert_eq!(res.status(), 403, "{action} without a token");
        assert!(res.text().await.unwrap().contains("Form expired"));
        let res = admin.post(action, &other_session_token, fields).await;
        assert_eq!(res.status(), 403, "{action} with another visitor's token");
    }

    // Nothing changed.
    assert_eq!(admin.get("/").await.status(), 200, "still signed in");
    assert_eq!(app.state.store.users().unwrap().len(), 2);
    assert_eq!(app.state.store.teams().unwrap().len(), 1);
    assert_eq!(
        app.state
            .store
            .members(team.parse().unwrap())
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.browser().get(&invitation).await.status(),
        200,
        "the invitation is unused"
    );
    assert_eq!(
        app.browser()
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        303,
        "password unchanged"
    );
}
