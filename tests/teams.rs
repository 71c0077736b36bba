mod common;

use common::*;

#[actix_web::test]
async fn the_platform_admin_creates_a_team_and_the_navigation_shows_it() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Payments").await;
    let html = admin.html(&format!("/teams/{team}")).await;
    assert!(html.contains("The team is created."));
    assert!(
        html.contains(&format!("<a href=\"/teams/{team}\">Payments</a>")),
        "nav lists the team"
    );
    assert!(
        html.contains("created team Payments"),
        "activity records it"
    );

    let res = admin
        .submit(
            "/admin/teams/new",
            "/admin/teams/new",
            &[("name", "payments"), ("admin_email", ADMIN_EMAIL)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"name-error\">A team with this name already exists."),
        "{html}"
    );
    assert!(html.contains("value=\"payments\""));
}

#[actix_web::test]
async fn a_person_can_belong_to_several_teams_with_different_roles() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = admin.create_team("Alpha").await;
    let b = admin.create_team("Beta").await;
    let bob = app
        .member(&admin, "bob@example.com", "Bob", Some((&a, "developer")))
        .await;
    let res = admin
        .submit(
            &format!("/teams/{b}"),
            &format!("/teams/{b}/members"),
            &[("email", "bob@example.com"), ("role", "viewer")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let home = bob.html("/").await;
    assert!(
        home.contains(&format!("/teams/{a}\">Alpha</a>"))
            && home.contains(&format!("/teams/{b}\">Beta</a>")),
        "{home}"
    );
    assert!(home.contains("role-developer\">developer") && home.contains("role-viewer\">viewer"));
}

#[actix_web::test]
async fn a_viewer_sees_the_team_but_cannot_manage_members() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Payments").await;
    let viewer = app
        .member(&admin, "vera@example.com", "Vera", Some((&team, "viewer")))
        .await;
    let page = format!("/teams/{team}");
    let html = viewer.html(&page).await;
    assert!(html.contains("Ada Admin") && html.contains("Vera"));
    assert!(
        !html.contains("Add member") && !html.contains("Remove "),
        "no management controls"
    );

    let admin_page = admin.html(&page).await;
    let admin_id = user_id_in(&admin_page, ADMIN_EMAIL);
    let token = viewer.token(&page).await;
    for (action, fields) in [
        (
            format!("/teams/{team}/members"),
            vec![("email", "vera@example.com"), ("role", "admin")],
        ),
        (
            format!("/teams/{team}/members/{admin_id}/role"),
            vec![("role", "viewer")],
        ),
        (format!("/teams/{team}/members/{admin_id}/remove"), vec![]),
    ] {
        let res = viewer.post(&action, &token, &fields).await;
        assert_eq!(res.status(), 403, "{action}");
    }
    let members = app.state.store.members(team.parse().unwrap()).unwrap();
    assert_eq!(members.len(), 2);
    assert!(
        members
            .iter()
            .any(|m| m.role == agora::domain::team::TeamRole::Admin)
    );
}

#[actix_web::test]
async fn a_member_of_one_team_gets_404_for_another_teams_pages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = admin.create_team("Alpha").await;
    let b = admin.create_team("Beta").await;
    let alice = app
        .member(&admin, "alice@example.com", "Alice", Some((&a, "admin")))
        .await;
    assert_eq!(alice.get(&format!("/teams/{a}")).await.status(), 200);
    assert_eq!(alice.get(&format!("/teams/{b}")).await.status(), 404);
    let token = alice.token(&format!("/teams/{a}")).await;
    let res = alice
        .post(
            &format!("/teams/{b}/members"),
            &token,
            &[("email", "alice@example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(alice.get("/teams/not-an-id").await.status(), 404);
    assert_eq!(
        alice.get("/admin/teams").await.status(),
        404,
        "the admin area does not exist for her"
    );
    assert_eq!(alice.get("/admin/users").await.status(), 404);
    let html = alice
        .get(&format!("/teams/{b}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("<h1>Not found</h1>") && html.contains("agora.css"),
        "404 page in the layout"
    );
}

#[actix_web::test]
async fn a_team_admin_manages_their_own_teams_members() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Payments").await;
    let tina = app
        .member(&admin, "tina@example.com", "Tina", Some((&team, "admin")))
        .await;
    app.member(&admin, "dev@example.com", "Dev", None).await;
    let page = format!("/teams/{team}");

    let res = tina
        .submit(
            &page,
            &format!("/teams/{team}/members"),
            &[("email", "dev@example.com"), ("role", "developer")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let html = tina.html(&page).await;
    assert!(html.contains("Dev is now a developer of Payments."));
    let dev_id = user_id_in(&html, "dev@example.com");

    let res = tina
        .submit(
            &page,
            &format!("/teams/{team}/members/{dev_id}/role"),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(tina.html(&page).await.contains("Dev is now a viewer."));

    let res = tina
        .submit(
            &page,
            &format!("/teams/{team}/members"),
            &[("email", "dev@example.com"), ("role", "admin")],
        )
        .await;
    expect_page(res, 422, "already a member").await;

    let res = tina
        .submit(
            &page,
            &format!("/teams/{team}/members"),
            &[("email", "ghost@example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("No account has this email.") && html.contains("value=\"ghost@example.com\"")
    );

    let res = tina
        .submit(
            &page,
            &format!("/teams/{team}/members/{dev_id}/remove"),
            &[("confirmed", "yes")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let html = tina.html(&page).await;
    assert!(html.contains("Dev is no longer a member of Payments."));
    assert!(
        html.contains("removed dev@example.com (viewer)"),
        "audit trail shows it"
    );
}

#[actix_web::test]
async fn a_team_always_keeps_an_admin() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Solo").await;
    let page = format!("/teams/{team}");
    let me = user_id_in(&admin.html(&page).await, ADMIN_EMAIL);
    for action in [
        format!("/teams/{team}/members/{me}/remove"),
        format!("/teams/{team}/members/{me}/role"),
    ] {
        let res = admin
            .submit(&page, &action, &[("role", "viewer"), ("confirmed", "yes")])
            .await;
        assert_eq!(res.status(), 303);
        assert!(
            admin
                .html(&page)
                .await
                .contains("A team keeps at least one admin")
        );
    }
    assert_eq!(
        app.state.store.members(team.parse().unwrap()).unwrap()[0].role,
        agora::domain::team::TeamRole::Admin
    );
}

#[actix_web::test]
async fn concurrent_changes_to_one_team_are_applied_one_at_a_time() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Busy").await;
    for i in 0..6 {
        app.member(&admin, &format!("p{i}@example.com"), &format!("P{i}"), None)
            .await;
    }
    let page = format!("/teams/{team}");
    let token = admin.token(&page).await;
    let action = format!("/teams/{team}/members");
    let adds = (0..6).map(|i| {
        let email = format!("p{i}@example.com");
        let (admin, token, action) = (&admin, token.clone(), action.clone());
        async move {
            admin
                .post(
                    &action,
                    &token,
                    &[("email", email.as_str()), ("role", "admin")],
                )
                .await
                .status()
        }
    });
    let statuses = futures_util::future::join_all(adds).await;
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    assert_eq!(
        app.state
            .store
            .members(team.parse().unwrap())
            .unwrap()
            .len(),
        7
    );
}

/// The team's Webhooks page is found from the team page by those who may
/// use it (its admins); a developer sees no link and is refused the page.
#[actix_web::test]
async fn a_team_admin_follows_the_webhooks_link_from_the_team_page() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Payments").await;
    let tina = app
        .member(&admin, "tina@example.com", "Tina", Some((&team, "admin")))
        .await;
    let html = tina.html(&format!("/teams/{team}")).await;
    let hooks = format!("/teams/{team}/webhooks");
    let link = format!("<a href=\"{hooks}\">Webhooks</a>");
    assert!(html.contains(&link), "{html}");
    let followed = tina.get(&hooks).await;
    assert_eq!(followed.status(), 200);
    let page = followed.text().await.unwrap();
    assert!(page.contains("<h1>Webhooks</h1>"), "{page}");

    let dev = app
        .member(&admin, "dev@example.com", "Dev", Some((&team, "developer")))
        .await;
    let html = dev.html(&format!("/teams/{team}")).await;
    assert!(!html.contains(&link), "no link to a page they cannot use");
    assert_eq!(dev.get(&hooks).await.status(), 403);
}
