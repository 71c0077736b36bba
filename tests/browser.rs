//! Journeys in real headless Chromium. The first: set up the platform admin,
//! sign in, create a team, invite someone; the invited person sets a password
//! and signs in. The second: a provider publishes a product, a consumer finds
//! and subscribes to it, the provider decides. The third: a consumer requests
//! access with the provider's fields, the provider approves, and work on a
//! manual data plane waits for the provider's hand. The fourth: a credential
//! created from the application, viewed after the password, suspended,
//! enabled, renewed with a grace period and deleted, each confirmed in the
//! dialog. Elements are found by their labels, links and button names.
//!
//! Needs `chromium` and `chromedriver`. Without them the test prints a notice
//! and passes on a developer machine; under CI (`CI` set) it fails instead.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fantoccini::{Client, ClientBuilder, Locator};

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(name: &str) -> Option<String> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| format!("{dir}/{name}"))
        .find(|p| std::path::Path::new(p).exists())
}

/// Starts chromedriver, or explains why not (an error under CI).
fn start_driver() -> Option<(Driver, String)> {
    let (Some(driver), Some(chromium)) = (
        find_program("chromedriver"),
        find_program("chromium").or_else(|| find_program("chromium-browser")),
    ) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser tests: install chromium and chromium-driver"
        );
        eprintln!("NOTICE: browser test skipped: chromium and chromedriver are not installed");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        },
        chromium,
    ))
}

async fn browser(driver: &Driver, chromium: &str, profile: &std::path::Path) -> Client {
    browser_with(driver, chromium, profile, true).await
}

/// A browser session; `javascript: false` runs the pages as they work without it.
async fn browser_with(
    driver: &Driver,
    chromium: &str,
    profile: &std::path::Path,
    javascript: bool,
) -> Client {
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        format!("--user-data-dir={}", profile.display()),
        "--window-size=1200,900".into(),
    ];
    if !javascript {
        args.push("--blink-settings=scriptEnabled=false".into());
    }
    let caps = serde_json::json!({
        "goog:chromeOptions": { "binary": chromium, "args": args }
    });
    let serde_json::Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Types into the control labelled `label`.
async fn fill(c: &Client, label: &str, value: &str) {
    let label_el = c
        .find(Locator::XPath(&format!(
            "//label[normalize-space()='{label}']"
        )))
        .await
        .unwrap_or_else(|_| panic!("no label {label}"));
    let id = label_el
        .attr("for")
        .await
        .unwrap()
        .expect("label names its control");
    let input = c.find(Locator::Id(&id)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

async fn press(c: &Client, button: &str) {
    c.find(Locator::XPath(&format!(
        "//button[normalize-space()='{button}']"
    )))
    .await
    .unwrap_or_else(|_| panic!("no button {button}"))
    .click()
    .await
    .unwrap();
}

/// The page's text; empty while a navigation replaces the document.
async fn text(c: &Client) -> String {
    match c.find(Locator::Css("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Waits for the page after a click to show `needle` (navigation is asynchronous).
async fn shows(c: &Client, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let body = text(c).await;
        if body.contains(needle) {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "page never showed {needle:?}:\n{body}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn path(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_owned()
}

#[actix_web::test]
async fn a_new_platform_admin_sets_up_agora_and_invites_a_colleague_who_signs_in() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let profiles = tempfile::tempdir().unwrap();
    let admin = browser(&driver, &chromium, &profiles.path().join("admin")).await;

    admin.goto(&format!("{}/", app.base)).await.unwrap();
    assert_eq!(path(&admin).await, "/setup");
    fill(&admin, "Email", "ada@example.com").await;
    fill(&admin, "Display name", "Ada Admin").await;
    fill(&admin, "Password", "correct horse battery").await;
    fill(&admin, "Password again", "correct horse battery").await;
    press(&admin, "Create platform admin").await;
    shows(&admin, "Agora is ready").await;

    press(&admin, "Sign out").await;
    shows(&admin, "You are signed out.").await;
    assert_eq!(path(&admin).await, "/login");
    fill(&admin, "Email", "ada@example.com").await;
    fill(&admin, "Password", "correct horse battery").await;
    press(&admin, "Sign in").await;
    shows(&admin, "Welcome, Ada Admin").await;

    admin
        .find(Locator::LinkText("All teams"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shows(&admin, "New team").await;
    admin
        .find(Locator::LinkText("New team"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shows(&admin, "Team name").await;
    fill(&admin, "Team name", "Payments").await;
    press(&admin, "Create team").await;
    let page = shows(&admin, "The team is created.").await;
    assert!(page.contains("Payments"), "{page}");

    admin
        .find(Locator::LinkText("People"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shows(&admin, "Invite someone").await;
    admin
        .find(Locator::LinkText("Invite someone"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    shows(&admin, "Add to team").await;
    fill(&admin, "Email", "bo@example.com").await;
    fill(&admin, "Display name", "Bo Builder").await;
    admin
        .find(Locator::Css("#team option:nth-child(2)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    press(&admin, "Create invitation").await;
    shows(&admin, "Invitation ready").await;
    let link = admin
        .find(Locator::Id("invitation-link"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .expect("a link");
    assert!(
        link.starts_with(&format!("{}/invitations/", app.base)),
        "{link}"
    );

    let bo = browser(&driver, &chromium, &profiles.path().join("bo")).await;
    bo.goto(&link).await.unwrap();
    shows(&bo, "Welcome, Bo Builder").await;
    fill(&bo, "Password", "bo's own password").await;
    fill(&bo, "Password again", "bo's own password").await;
    press(&bo, "Set password and sign in").await;
    let home = shows(&bo, "Welcome to Agora, Bo Builder.").await;
    assert_eq!(path(&bo).await, "/");
    assert!(home.contains("Payments"), "{home}");

    press(&bo, "Sign out").await;
    shows(&bo, "You are signed out.").await;
    fill(&bo, "Email", "bo@example.com").await;
    fill(&bo, "Password", "bo's own password").await;
    press(&bo, "Sign in").await;
    shows(&bo, "Welcome, Bo Builder").await;

    admin.close().await.unwrap();
    bo.close().await.unwrap();
}

/// Clicks the label that contains `text` (ticks its checkbox or radio button).
async fn tick(c: &Client, text: &str) {
    c.find(Locator::XPath(&format!(
        "//label[contains(normalize-space(), '{text}')]"
    )))
    .await
    .unwrap_or_else(|_| panic!("no label containing {text}"))
    .click()
    .await
    .unwrap();
}

async fn follow(c: &Client, link: &str) {
    c.find(Locator::LinkText(link))
        .await
        .unwrap_or_else(|_| panic!("no link {link}"))
        .click()
        .await
        .unwrap();
}

async fn choose(c: &Client, select_id: &str, option: &str) {
    c.find(Locator::XPath(&format!(
        "//select[@id='{select_id}']/option[normalize-space()='{option}']"
    )))
    .await
    .unwrap_or_else(|_| panic!("no option {option}"))
    .click()
    .await
    .unwrap();
}

async fn signed_in(
    driver: &Driver,
    chromium: &str,
    dir: &std::path::Path,
    base: &str,
    email: &str,
    password: &str,
) -> Client {
    let c = browser(driver, chromium, dir).await;
    c.goto(&format!("{base}/login")).await.unwrap();
    fill(&c, "Email", email).await;
    fill(&c, "Password", password).await;
    press(&c, "Sign in").await;
    shows(&c, "Welcome").await;
    c
}

#[actix_web::test]
async fn a_provider_publishes_and_a_consumer_subscribes_to_both_plans() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin().await;
    let acme = admin.create_team("Acme").await;
    admin.make_provider(&acme).await;
    app.member(&admin, "pat@example.com", "Pat", Some((&acme, "developer")))
        .await;
    let alpha = admin.create_team("Alpha").await;
    let beta = admin.create_team("Beta").await;
    app.member(&admin, "cy@example.com", "Cy", Some((&alpha, "developer")))
        .await;
    admin
        .submit(
            &format!("/teams/{beta}"),
            &format!("/teams/{beta}/members"),
            &[("email", "cy@example.com"), ("role", "developer")],
        )
        .await;
    let profiles = tempfile::tempdir().unwrap();
    let password = "member password 1";

    // The provider builds and publishes a product with two resources and two plans.
    let pat = signed_in(
        &driver,
        &chromium,
        &profiles.path().join("pat"),
        &app.base,
        "pat@example.com",
        password,
    )
    .await;
    follow(&pat, "Provider: Acme").await;
    shows(&pat, "No products yet").await;
    follow(&pat, "New product").await;
    fill(&pat, "Name", "Weather").await;
    fill(&pat, "Summary", "Forecasts for any place on earth").await;
    fill(
        &pat,
        "Description (markdown)",
        "## Quick start\n\nCall `/forecast/` with your key.",
    )
    .await;
    fill(&pat, "Tags (comma-separated, optional)", "weather, geo").await;
    press(&pat, "Create product").await;
    shows(&pat, "The product is created as a draft").await;

    follow(&pat, "Add resource").await;
    fill(&pat, "Name", "Forecast").await;
    fill(&pat, "Route on the gateway", "/forecast/").await;
    press(&pat, "Save resource").await;
    shows(&pat, "The resource Forecast is saved.").await;
    follow(&pat, "Add resource").await;
    fill(&pat, "Name", "Alerts").await;
    fill(&pat, "Route on the gateway", "/alerts/").await;
    tick(&pat, "OAuth client credentials").await;
    tick(&pat, "Manual: your team approves each request").await;
    press(&pat, "Save resource").await;
    shows(&pat, "The resource Alerts is saved.").await;

    follow(&pat, "Add plan").await;
    fill(&pat, "Name", "Free").await;
    fill(&pat, "Requests per minute", "60").await;
    press(&pat, "Save plan").await;
    shows(&pat, "The plan Free is saved.").await;
    follow(&pat, "Add plan").await;
    fill(&pat, "Name", "Pro").await;
    fill(&pat, "Requests per day", "100000").await;
    tick(&pat, "Manual: your team approves each subscription").await;
    press(&pat, "Save plan").await;
    shows(&pat, "The plan Pro is saved.").await;
    press(&pat, "Publish").await;
    let page = shows(&pat, "is published in the Marketplace").await;
    assert!(
        page.contains("60 requests per minute") && page.contains("100,000 requests per day"),
        "{page}"
    );

    // The consumer finds it by search and subscribes to both plans.
    let cy = signed_in(
        &driver,
        &chromium,
        &profiles.path().join("cy"),
        &app.base,
        "cy@example.com",
        password,
    )
    .await;
    follow(&cy, "Marketplace").await;
    fill(&cy, "Search products", "forecasts").await;
    press(&cy, "Search").await;
    shows(&cy, "1 product matching").await;
    follow(&cy, "Weather").await;
    shows(&cy, "Quick start").await;
    follow(&cy, "Resources (2)").await;
    let resources = shows(&cy, "Alerts").await;
    assert!(
        resources.contains("OAuth client credentials"),
        "{resources}"
    );
    follow(&cy, "Plans (2)").await;
    shows(&cy, "Subscribe to Free").await;
    follow(&cy, "Subscribe to Free").await;
    choose(&cy, "team_id", "Alpha").await;
    press(&cy, "Confirm subscription").await;
    shows(&cy, "The subscription is active.").await;
    for team in ["Alpha", "Beta"] {
        follow(&cy, "Weather").await;
        follow(&cy, "Plans (2)").await;
        follow(&cy, "Subscribe to Pro").await;
        choose(&cy, "team_id", team).await;
        press(&cy, "Confirm subscription").await;
        shows(&cy, "The provider decides").await;
    }

    // The provider approves one request and rejects the other with a reason.
    follow(&pat, "Provider: Acme").await;
    follow(&pat, "Approvals").await;
    shows(&pat, "Approve Alpha").await;
    press(&pat, "Approve Alpha").await;
    shows(&pat, "for Alpha: approved").await;
    fill(
        &pat,
        "Reason for rejecting",
        "Pro is for pilot customers only",
    )
    .await;
    press(&pat, "Reject Beta").await;
    shows(&pat, "for Beta: rejected").await;

    // The consumer sees both outcomes.
    cy.goto(&format!("{}/teams/{alpha}/subscriptions", app.base))
        .await
        .unwrap();
    let alpha_page = shows(&cy, "Subscriptions of Alpha").await;
    assert_eq!(alpha_page.matches("Active").count(), 2, "{alpha_page}");
    cy.goto(&format!("{}/teams/{beta}/subscriptions", app.base))
        .await
        .unwrap();
    let beta_page = shows(&cy, "Rejected").await;
    assert!(
        beta_page.contains("Reason: Pro is for pilot customers only"),
        "{beta_page}"
    );

    pat.close().await.unwrap();
    cy.close().await.unwrap();
}

/// Reloads the page until it shows `needle` (background work finishing).
async fn shows_after_reload(c: &Client, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let body = text(c).await;
        if body.contains(needle) {
            return body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "page never showed {needle:?}:\n{body}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        c.refresh().await.unwrap();
    }
}

async fn follow_containing(c: &Client, text: &str) {
    c.find(Locator::XPath(&format!(
        "//a[contains(normalize-space(), '{text}')]"
    )))
    .await
    .unwrap_or_else(|_| panic!("no link containing {text}"))
    .click()
    .await
    .unwrap();
}

#[actix_web::test]
async fn a_consumer_requests_access_and_the_provider_approves_and_provisions() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app_with(&[("AGORA_DATAPLANES__OPS__KIND", "manual")]).await;
    let admin = app.admin().await;
    // The provider's product: Forecast (approved by hand, with a ticket field)
    // on the embedded data plane, and Archive on a manual data plane.
    let acme = admin.create_team("Acme").await;
    admin.make_provider(&acme).await;
    app.member(&admin, "pat@example.com", "Pat", Some((&acme, "developer")))
        .await;
    let product = admin
        .create_product(&acme, "Weather", "Forecasts for any place", "weather")
        .await;
    let forecast = admin
        .add_resource(&acme, &product, "Forecast", "/forecast/", "manual")
        .await;
    let listing = Listing {
        provider: acme.clone(),
        product: product.clone(),
        resource: forecast.clone(),
        plan: String::new(),
    };
    let ticket = [
        ("f0_name", "ticket"),
        ("f0_label", "Change ticket"),
        ("f0_kind", "text"),
        ("f0_pattern", "[A-Z]+-[0-9]+"),
        ("f0_required", "on"),
        ("f0_help", "Like OPS-123"),
    ];
    admin
        .save_resource_fields(&listing, "Forecast", "/forecast/", "manual", &ticket)
        .await;
    let archive = admin
        .add_resource_on(&acme, &product, "Archive", "/archive/", "automatic", "ops")
        .await;
    let plan = admin
        .add_plan(
            &acme,
            &product,
            "Standard",
            &[&forecast, &archive],
            "automatic",
        )
        .await;
    assert_eq!(admin.publish(&acme, &product).await.status(), 303);
    let buyers = admin.create_team("Buyers").await;
    app.member(&admin, "cy@example.com", "Cy", Some((&buyers, "developer")))
        .await;
    assert_eq!(
        admin.subscribe(&product, &plan, &buyers).await.status(),
        303
    );
    let mobile = admin.create_application(&buyers, "Mobile").await;
    let profiles = tempfile::tempdir().unwrap();
    let password = "member password 1";

    // The consumer requests access from the Resources tab; a wrong ticket first.
    let cy = signed_in(
        &driver,
        &chromium,
        &profiles.path().join("cy"),
        &app.base,
        "cy@example.com",
        password,
    )
    .await;
    cy.goto(&format!(
        "{}/marketplace/products/{product}/resources",
        app.base
    ))
    .await
    .unwrap();
    follow_containing(&cy, "Request Access to Forecast").await;
    let form = shows(&cy, "Request access name").await;
    assert!(form.contains("Like OPS-123"), "{form}");
    fill(&cy, "Change ticket", "ops 42").await;
    press(&cy, "Request Access").await;
    shows(&cy, "Change ticket does not have the expected format.").await;
    fill(&cy, "Change ticket", "OPS-42").await;
    press(&cy, "Request Access").await;
    shows(&cy, "Access to Forecast is requested").await;

    // The provider approves; the application page then shows it provisioned.
    let pat = signed_in(
        &driver,
        &chromium,
        &profiles.path().join("pat"),
        &app.base,
        "pat@example.com",
        password,
    )
    .await;
    follow(&pat, "Provider: Acme").await;
    follow(&pat, "Approvals").await;
    let approvals = shows(&pat, "Approve access for Mobile").await;
    assert!(approvals.contains("Change ticket: OPS-42"), "{approvals}");
    press(&pat, "Approve access for Mobile").await;
    shows(&pat, "approved").await;
    cy.goto(&format!(
        "{}/teams/{buyers}/applications/{mobile}",
        app.base
    ))
    .await
    .unwrap();
    shows_after_reload(&cy, "provisioned").await;

    // A second request, on the manual data plane, waits for the provider's hand.
    cy.goto(&format!(
        "{}/marketplace/products/{product}/resources",
        app.base
    ))
    .await
    .unwrap();
    follow_containing(&cy, "Request Access to Archive").await;
    shows(&cy, "Request access name").await;
    press(&cy, "Request Access").await;
    // Approved at once: the next screen is Create Credential.
    shows(&cy, "being provisioned on the ops data plane").await;
    shows(&cy, "Create Credential").await;
    cy.goto(&format!(
        "{}/teams/{buyers}/applications/{mobile}",
        app.base
    ))
    .await
    .unwrap();
    shows_after_reload(&cy, "waiting for the provider to set it up by hand").await;

    pat.goto(&format!("{}/provider/{acme}/provisioning", app.base))
        .await
        .unwrap();
    shows_after_reload(&pat, "Mark provisioned: Mobile").await;
    press(&pat, "Mark provisioned: Mobile").await;
    shows(&pat, "is marked as done").await;
    cy.refresh().await.unwrap();
    let page = shows_after_reload(&cy, "Mobile – Archive").await;
    assert!(!page.contains("waiting for the provider"), "{page}");
    let a = app
        .state
        .store
        .accesses_of_app(mobile.parse().unwrap())
        .unwrap();
    assert!(
        a.iter()
            .all(|x| x.provisioning == agora::domain::access::Provisioning::Provisioned),
        "{a:?}"
    );

    pat.close().await.unwrap();
    cy.close().await.unwrap();
}

/// Presses a button whose form asks for confirmation in a dialog, and accepts it.
async fn press_and_confirm(c: &Client, button: &str) {
    press(c, button).await;
    let started = Instant::now();
    loop {
        if c.get_alert_text().await.is_ok() {
            c.accept_alert().await.unwrap();
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no confirmation dialog for {button}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn field_value(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .expect("a value")
}

#[actix_web::test]
async fn a_developer_walks_a_credential_through_its_life() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    app.member(
        &admin,
        "cy@example.com",
        "Cy",
        Some((&h.c.team, "developer")),
    )
    .await;
    let profiles = tempfile::tempdir().unwrap();
    let password = "member password 1";
    let call = |key: String| {
        let app = &app;
        async move {
            authorize(
                app,
                &[("X-API-Key", &key), ("X-Original-URI", "/weather/today")],
            )
            .await
            .status()
            .as_u16()
        }
    };

    let cy = signed_in(
        &driver,
        &chromium,
        &profiles.path().join("cy"),
        &app.base,
        "cy@example.com",
        password,
    )
    .await;
    cy.goto(&format!(
        "{}/teams/{}/applications/{}",
        app.base, h.c.team, h.c.application
    ))
    .await
    .unwrap();
    follow(&cy, "Create Credential").await;
    fill(&cy, "Name", "Browser key").await;
    press(&cy, "Create Credential").await;
    shows(&cy, "Store this secret safely now").await;
    let key = field_value(&cy, "secret").await;
    assert!(key.starts_with("agora_"), "{key}");
    // A real reload of the result page repeats nothing: the same secret,
    // still one credential.
    let made = |name: &'static str| {
        let app_id = h.c.application.parse().unwrap();
        let all = app.state.store.credentials_of_app(app_id).unwrap();
        all.iter().filter(|c| c.name == name).count()
    };
    cy.refresh().await.unwrap();
    shows(&cy, "Store this secret safely now").await;
    assert_eq!(field_value(&cy, "secret").await, key);
    assert_eq!(made("Browser key"), 1);
    assert!(path(&cy).await.ends_with("/secret"), "a GET page");
    app.run_due().await;
    assert_eq!(call(key.clone()).await, 200);

    // View Credential asks for the password first.
    follow(&cy, "Go to the credential").await;
    shows(&cy, "left").await;
    fill(&cy, "Your password, to confirm it is you", password).await;
    press(&cy, "View Credential").await;
    shows(&cy, "View Credential").await;
    shows(&cy, "Store this secret safely now").await;
    assert_eq!(field_value(&cy, "secret").await, key);

    follow(&cy, "Go to the credential").await;
    press_and_confirm(&cy, "Suspend credential").await;
    shows(&cy, "Browser key is suspended.").await;
    assert_eq!(call(key.clone()).await, 403);

    press_and_confirm(&cy, "Enable credential").await;
    shows(&cy, "Browser key is enabled.").await;
    app.run_due().await;
    assert_eq!(call(key.clone()).await, 200);

    choose(&cy, "grace", "1 hour").await;
    press_and_confirm(&cy, "Renew credential").await;
    shows(&cy, "Your renewed credential").await;
    let renewed = field_value(&cy, "secret").await;
    assert_ne!(renewed, key);
    let version = || {
        let app_id = h.c.application.parse().unwrap();
        let all = app.state.store.credentials_of_app(app_id).unwrap();
        all.iter()
            .find(|c| c.name == "Browser key")
            .unwrap()
            .secret_version
    };
    assert_eq!(version(), 2);
    cy.refresh().await.unwrap();
    shows(&cy, "Your renewed credential").await;
    assert_eq!(
        field_value(&cy, "secret").await,
        renewed,
        "a reload renews nothing"
    );
    assert_eq!(version(), 2);
    app.run_due().await;
    assert_eq!(
        call(key.clone()).await,
        200,
        "old key during the grace period"
    );
    assert_eq!(call(renewed.clone()).await, 200);

    follow(&cy, "Go to the credential").await;
    press_and_confirm(&cy, "Delete credential").await;
    shows(&cy, "Browser key is deleted").await;
    assert_eq!(call(renewed).await, 401);
    assert_eq!(call(key).await, 401);

    cy.close().await.unwrap();
}

#[actix_web::test]
async fn a_sign_in_link_whose_next_leads_off_site_keeps_the_person_on_agora() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    app.admin().await;
    let profiles = tempfile::tempdir().unwrap();
    // Chromium drops tabs and line breaks from a URL and reads "\" as "/":
    // each of these `next` values names another host once a browser reads it.
    for (i, next) in [
        "%2F%09%2Fevil.example%2F",
        "%2F%5Cevil.example%2F",
        "%2F%0A%2Fevil.example",
        "%2F%2Fevil.example",
    ]
    .into_iter()
    .enumerate()
    {
        let c = browser(&driver, &chromium, &profiles.path().join(i.to_string())).await;
        c.goto(&format!("{}/login?next={next}", app.base))
            .await
            .unwrap();
        fill(&c, "Email", ADMIN_EMAIL).await;
        fill(&c, "Password", ADMIN_PASSWORD).await;
        press(&c, "Sign in").await;
        shows(&c, "Welcome").await;
        let url = c.current_url().await.unwrap();
        assert_eq!(url.host_str(), Some("127.0.0.1"), "{next}: {url}");
        assert_eq!(url.path(), "/", "{next}: {url}");
        c.close().await.unwrap();
    }
}

#[actix_web::test]
async fn the_request_form_narrows_to_one_team_and_its_name_follows_the_application() {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin().await;
    let c = app.consumer(&admin, "embedded", "automatic").await;
    let other = admin.create_team("Second buyers").await;
    let res = admin
        .subscribe(&c.listing.product, &c.listing.plan, &other)
        .await;
    let other_sub = last_id(&res);
    admin.create_application(&other, "Desktop").await;
    let profiles = tempfile::tempdir().unwrap();
    let b = signed_in(
        &driver,
        &chromium,
        &profiles.path().join("admin"),
        &app.base,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
    )
    .await;
    b.goto(&format!(
        "{}/marketplace/products/{}/resources/{}/request-access",
        app.base, c.listing.product, c.listing.resource
    ))
    .await
    .unwrap();
    shows(&b, "Request access to Forecast").await;
    // Choosing the other team's application moves the subscription to that
    // team's, and the untouched name follows.
    choose(&b, "application", "Second buyers – Desktop").await;
    assert_eq!(field_value(&b, "subscription").await, other_sub);
    assert_eq!(field_value(&b, "name").await, "Desktop – Forecast");
    // Once edited, the name stays the person's.
    fill(&b, "Request access name", "My own name").await;
    choose(&b, "application", "Buyers – Mobile").await;
    assert_eq!(field_value(&b, "subscription").await, c.subscription);
    assert_eq!(field_value(&b, "name").await, "My own name");
    b.close().await.unwrap();
}

#[actix_web::test]
async fn without_javascript_a_credential_is_made_renewed_and_its_grace_ended_and_reloads_repeat_nothing()
 {
    let Some((driver, chromium)) = start_driver() else {
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin().await;
    let h = app.holder(&admin, "embedded").await;
    let profiles = tempfile::tempdir().unwrap();
    let b = browser_with(&driver, &chromium, &profiles.path().join("nojs"), false).await;
    b.goto(&format!("{}/login", app.base)).await.unwrap();
    fill(&b, "Email", ADMIN_EMAIL).await;
    fill(&b, "Password", ADMIN_PASSWORD).await;
    press(&b, "Sign in").await;
    shows(&b, "Welcome").await;
    // agora.js marks the page with class "js" as it runs: it did not run.
    assert!(
        b.find(Locator::Css("html.js")).await.is_err(),
        "scripts are off"
    );
    let credentials = || {
        let app_id = h.c.application.parse().unwrap();
        app.state.store.credentials_of_app(app_id).unwrap().to_vec()
    };
    b.goto(&format!("{}{}", app.base, h.new_credential_path()))
        .await
        .unwrap();
    fill(&b, "Name", "Plain key").await;
    press(&b, "Create Credential").await;
    shows(&b, "Store this secret safely now").await;
    let key = field_value(&b, "secret").await;
    b.refresh().await.unwrap();
    shows(&b, "Store this secret safely now").await;
    assert_eq!(field_value(&b, "secret").await, key);
    assert_eq!(credentials().len(), 1, "a reload made nothing");
    app.run_due().await;

    // Renew with a grace period, through the confirm page.
    follow(&b, "Go to the credential").await;
    choose(&b, "grace", "24 hours").await;
    press(&b, "Renew credential").await;
    shows(&b, "Renew Plain key?").await;
    press(&b, "Yes, renew credential").await;
    shows(&b, "Your renewed credential").await;
    let renewed = field_value(&b, "secret").await;
    b.refresh().await.unwrap();
    shows(&b, "Your renewed credential").await;
    assert_eq!(field_value(&b, "secret").await, renewed);
    assert_eq!(
        credentials()[0].secret_version,
        2,
        "a reload renewed nothing"
    );

    // The grace shows, and ends early through its confirm page.
    follow(&b, "Go to the credential").await;
    shows(&b, "previous secret works until").await;
    press(&b, "End grace period now").await;
    shows(&b, "End the grace period of Plain key?").await;
    press(&b, "Yes, end the grace period").await;
    shows(&b, "The previous secret of Plain key stops working now.").await;
    let res = authorize(
        &app,
        &[("X-API-Key", &key), ("X-Original-URI", "/weather/x")],
    )
    .await;
    assert_eq!(res.status(), 401);
    b.close().await.unwrap();
}
