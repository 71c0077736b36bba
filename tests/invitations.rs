mod common;

use std::time::Duration;

use common::*;

#[actix_web::test]
async fn an_invited_person_sets_their_own_password_and_is_signed_in() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let team = admin.create_team("Payments").await;
    let link = admin
        .invite("new@example.com", "Nia New", Some((&team, "developer")))
        .await;
    assert!(
        link.starts_with(&format!("{}/invitations/", app.base)),
        "{link}"
    );
    let people = admin.html("/admin/users").await;
    assert!(people.contains("new@example.com") && people.contains("status-invited"));

    let path = &app.path_of(&link);
    let b = app.browser();
    let page = b.html(path).await;
    assert!(page.contains("Welcome, Nia New") && page.contains("new@example.com"));
    assert_eq!(
        b.login("new@example.com", "anything at all").await.status(),
        401,
        "no password yet"
    );

    let res = b
        .submit(
            path,
            path,
            &[
                ("password", "nia password 1"),
                ("password_again", "nia password 2"),
            ],
        )
        .await;
    expect_page(res, 422, "The two passwords differ.").await;

    let res = b
        .submit(
            path,
            path,
            &[
                ("password", "nia password 1"),
                ("password_again", "nia password 1"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/");
    let home = b.html("/").await;
    assert!(
        home.contains("Welcome to Agora, Nia New.") && home.contains(">Payments</a>"),
        "{home}"
    );

    // The link worked once.
    let again = app.browser();
    assert_eq!(again.get(path).await.status(), 404);
    assert!(
        app.browser()
            .login("new@example.com", "nia password 1")
            .await
            .status()
            == 303
    );
    assert!(admin.html("/admin/users").await.contains("status-active"));
}

#[actix_web::test]
async fn an_invitation_expires() {
    let app = spawn_app_with(&[("AGORA_SECURITY__INVITATION_TTL", "1d")]).await;
    let admin = app.admin().await;
    let link = admin.invite("late@example.com", "Late", None).await;
    let path = app.path_of(&link);
    let b = app.browser();
    let token = b.token(&path).await;
    app.advance(Duration::from_secs(86_401));
    let res = b.get(&path).await;
    expect_page(res, 404, "Invitation not valid").await;
    let res = b
        .post(
            &path,
            &token,
            &[
                ("password", "late password"),
                ("password_again", "late password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        b.login("late@example.com", "late password").await.status(),
        401
    );
    admin.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert!(
        admin
            .html("/admin/users")
            .await
            .contains("invitation expired")
    );
}

#[actix_web::test]
async fn a_new_link_replaces_the_old_one() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let first = admin.invite("lost@example.com", "Lost", None).await;
    let people = admin.html("/admin/users").await;
    let user_id = invited_user_id(&people);
    let res = admin
        .submit(
            "/admin/users",
            &format!("/admin/users/{user_id}/invitation"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = admin.get(&location(&res)).await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    let second = link_of(&page.text().await.unwrap());
    assert_ne!(first, second);
    let b = app.browser();
    assert_eq!(b.get(&app.path_of(&first)).await.status(), 404);
    assert_eq!(b.get(&app.path_of(&second)).await.status(), 200);
}

#[actix_web::test]
async fn an_email_is_one_account() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    admin.invite("dup@example.com", "Dup", None).await;
    let res = admin
        .submit(
            "/admin/users/new",
            "/admin/users/new",
            &[
                ("email", "DUP@example.com"),
                ("display_name", "Again"),
                ("team", ""),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("An account with this email already exists.")
            && html.contains("value=\"Again\"")
    );
}
