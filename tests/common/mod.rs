//! Starts the real application on port 0 with a temporary data directory and
//! a manual clock, and drives it like a browser would: keeping cookies,
//! reading each form's CSRF token and submitting it.
#![allow(dead_code)]

pub mod agent;
pub mod api;
pub mod binary;
pub mod contract;
pub mod fake_plane;
pub mod load;
pub mod mail;
pub mod proxy;
pub mod receiver;

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use agora::clock::ManualClock;
use agora::config::Config;
use agora::dataplane::DataPlane;
use agora::ops::AppState;
use agora::startup::{Application, Seams, StartError};
use agora::store::OpenError;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub base: String,
    pub clock: ManualClock,
    pub state: Arc<AppState>,
    pub dir: tempfile::TempDir,
    handle: ServerHandle,
    running: actix_web::rt::task::JoinHandle<std::io::Result<()>>,
    /// Holds every API answer to the served document.
    pub contract: contract::Guard,
}

/// Settings for Agora on `dir` (its `data` directory and `agora.key`) and a
/// free loopback port, with `env` (`AGORA_*` pairs) on top.
pub fn settings_on(dir: &std::path::Path, env: &[(&str, &str)]) -> Config {
    let mut vars = vec![
        ("AGORA_SERVER__BIND".to_owned(), "127.0.0.1:0".to_owned()),
        (
            "AGORA_STORAGE__PATH".to_owned(),
            dir.join("data").display().to_string(),
        ),
        (
            "AGORA_SECURITY__MASTER_KEY_FILE".to_owned(),
            dir.join("agora.key").display().to_string(),
        ),
        (
            "AGORA_BACKUP__DIR".to_owned(),
            dir.join("backups").display().to_string(),
        ),
    ];
    vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    Config::from_toml("", vars).expect("settings")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Extra settings as `AGORA_*` pairs, e.g. `("AGORA_SECURITY__LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")`.
pub async fn spawn_app_with(env: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    spawn_in(dir, env).await
}

pub async fn spawn_in(dir: tempfile::TempDir, env: &[(&str, &str)]) -> TestApp {
    spawn_with_planes(dir, env, Vec::new()).await
}

/// An app with extra data planes (fakes) besides the configured ones.
pub async fn spawn_with_planes(
    dir: tempfile::TempDir,
    env: &[(&str, &str)],
    planes: Vec<Arc<dyn DataPlane>>,
) -> TestApp {
    let seams = Seams {
        planes,
        ..Seams::default()
    };
    spawn_with_seams(dir, env, seams).await
}

/// An app with test seams: fake data planes, a resolver of the test's own.
pub async fn spawn_with_seams(
    dir: tempfile::TempDir,
    env: &[(&str, &str)],
    mut seams: Seams,
) -> TestApp {
    let contract = contract::Contract::new();
    if seams.api_tap.is_none() {
        seams.api_tap = Some(contract.tap());
    }
    // Tests run due work themselves (`run_due`); the scheduler stays out of their way.
    let mut vars = vec![("AGORA_PROVISIONING__INTERVAL", "1h")];
    vars.extend_from_slice(env);
    let config = settings_on(dir.path(), &vars);
    let clock = ManualClock::at_test_epoch();
    // After a stop in this same process, the last handles on the database
    // (server worker threads, sled's flusher) may take a moment to let go of
    // its lock; only that error is waited out.
    let mut tries = 0;
    let app = loop {
        match Application::build_with(config.clone(), Arc::new(clock.clone()), seams.clone()) {
            Err(StartError::Storage(OpenError::Open { .. })) if tries < 100 => {
                tries += 1;
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            }
            other => break other.expect("app starts"),
        }
    };
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let state = app.state();
    let running = actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        base,
        clock,
        state,
        dir,
        handle,
        running,
        contract: contract::Guard(contract),
    }
}

impl TestApp {
    /// A new browser: its own cookie jar, redirects not followed so tests see them.
    pub fn browser(&self) -> Browser {
        Browser::at(&self.base)
    }

    /// The path of a link on this server (e.g. an invitation link).
    pub fn path_of(&self, link: &str) -> String {
        link.strip_prefix(&self.base)
            .expect("a link on this server")
            .to_owned()
    }

    pub fn advance(&self, d: Duration) {
        self.clock.advance(d);
    }

    /// Stops the server gracefully and waits until the database is closed.
    pub async fn stop(self) -> tempfile::TempDir {
        let TestApp {
            handle,
            running,
            dir,
            state,
            ..
        } = self;
        drop(state);
        handle.stop(true).await;
        running.await.expect("server task").expect("clean stop");
        dir
    }

    /// Creates the platform admin and returns their signed-in browser.
    pub async fn admin(&self) -> Browser {
        let b = self.browser();
        b.set_up().await;
        b
    }

    /// Invites a person (optionally into a team with a role), lets them accept,
    /// and returns their signed-in browser.
    pub async fn member(
        &self,
        admin: &Browser,
        email: &str,
        name: &str,
        team: Option<(&str, &str)>,
    ) -> Browser {
        let link = admin.invite(email, name, team).await;
        let b = self.browser();
        let path = self.path_of(&link);
        let res = b
            .submit(
                &path,
                &path,
                &[
                    ("password", "member password 1"),
                    ("password_again", "member password 1"),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            303,
            "accepting the invitation should redirect"
        );
        b
    }
}

pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

impl Browser {
    /// A browser on the server at `base`: its own cookie jar, redirects not
    /// followed so tests see them, and no answer awaited longer than 10 s.
    pub fn at(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        Browser {
            client,
            base: base.to_owned(),
        }
    }

    /// Sets Agora up with the platform admin, leaving this browser signed in.
    pub async fn set_up(&self) {
        let res = self
            .submit(
                "/setup",
                "/setup",
                &[
                    ("email", ADMIN_EMAIL),
                    ("display_name", "Ada Admin"),
                    ("password", ADMIN_PASSWORD),
                    ("password_again", ADMIN_PASSWORD),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "setup should redirect");
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET")
    }

    /// A GET that reports a failed connection instead of panicking.
    pub async fn get_checked(&self, path: &str) -> Result<reqwest::Response, reqwest::Error> {
        self.client.get(format!("{}{path}", self.base)).send().await
    }

    pub async fn html(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert!(res.status().is_success(), "GET {path}: {}", res.status());
        res.text().await.expect("body")
    }

    /// The CSRF token of the forms on `page`.
    pub async fn token(&self, page: &str) -> String {
        csrf_of(&self.html(page).await)
    }

    /// Opens `page`, takes its CSRF token (and the one-time request id of
    /// its first form that has one, as a browser sends it) and posts
    /// `fields` to `action`.
    pub async fn submit(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let html = self.html(page).await;
        let token = csrf_of(&html);
        let mut fields = fields.to_vec();
        let request_id = attr_after(&html, "name=\"request_id\" value=\"");
        if let Some(id) = &request_id
            && !fields.iter().any(|(k, _)| *k == "request_id")
        {
            fields.push(("request_id", id.as_str()));
        }
        self.post(action, &token, &fields).await
    }

    /// Asks the credential page `panel` to show its secret, confirming with `password`.
    pub async fn view_credential(&self, panel: &str, password: &str) -> reqwest::Response {
        self.submit(panel, &format!("{panel}/view"), &[("password", password)])
            .await
    }

    /// Follows a redirect to the page that shows a new secret; returns that page.
    pub async fn secret_page(&self, res: reqwest::Response) -> String {
        assert_eq!(res.status(), 303, "a secret is shown on a GET page");
        let to = location(&res);
        assert!(to.ends_with("/secret"), "{to}");
        let page = self.get(&to).await;
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "no-store");
        page.text().await.unwrap()
    }

    pub async fn post(
        &self,
        action: &str,
        token: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf", token));
        self.client
            .post(format!("{}{action}", self.base))
            .form(&body)
            .send()
            .await
            .expect("POST")
    }

    /// A POST with no CSRF token at all.
    pub async fn post_without_token(
        &self,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(format!("{}{action}", self.base))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn create_team(&self, name: &str) -> String {
        let res = self
            .submit(
                "/admin/teams/new",
                "/admin/teams/new",
                &[("name", name), ("admin_email", ADMIN_EMAIL)],
            )
            .await;
        assert_eq!(res.status(), 303, "team creation should redirect");
        location(&res).trim_start_matches("/teams/").to_owned()
    }

    /// Invites someone and returns the invitation link shown to the admin.
    pub async fn invite(&self, email: &str, name: &str, team: Option<(&str, &str)>) -> String {
        let (team_id, role) = team.unwrap_or(("", "developer"));
        let res = self
            .submit(
                "/admin/users/new",
                "/admin/users/new",
                &[
                    ("email", email),
                    ("display_name", name),
                    ("team", team_id),
                    ("role", role),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "to the invitation's page");
        let page = self.get(&location(&res)).await;
        assert_eq!(page.headers()["cache-control"], "no-store");
        link_of(&page.text().await.expect("body"))
    }
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .expect("text")
        .to_owned()
}

pub fn csrf_of(html: &str) -> String {
    attr_after(html, "name=\"csrf\" value=\"").expect("page has a CSRF token")
}

pub fn link_of(html: &str) -> String {
    attr_after(html, "id=\"invitation-link\" readonly value=\"").expect("page shows the link")
}

pub fn attr_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

/// The id in a `/teams/{id}` style path segment of a user row, by email.
pub fn user_id_in(html: &str, email: &str) -> String {
    let at = html.find(email).expect("email on page");
    let marker = "/members/";
    let start = html[at..].find(marker).expect("member form") + at + marker.len();
    html[start..start + 26].to_owned()
}

/// The id of the first person on the People page with a "New invitation link" button.
pub fn invited_user_id(people_html: &str) -> String {
    let marker = "action=\"/admin/users/";
    let start = people_html.find(marker).expect("an invited person") + marker.len();
    people_html[start..start + 26].to_owned()
}

/// The `Set-Cookie` header that sets the session cookie.
pub fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("text").to_owned())
        .find(|c| c.starts_with("agora_session="))
        .expect("a session cookie")
}

/// Asserts the answer's status and that its page says `message`; returns the page.
pub async fn expect_page(res: reqwest::Response, status: u16, message: &str) -> String {
    assert_eq!(res.status(), status, "expected {status} saying {message:?}");
    let html = res.text().await.expect("body");
    assert!(html.contains(message), "expected {message:?} in:\n{html}");
    html
}

/// The ids that follow `marker` in `html`.
pub fn ids_after(html: &str, marker: &str) -> Vec<String> {
    html.match_indices(marker)
        .filter_map(|(at, _)| html.get(at + marker.len()..at + marker.len() + 26))
        .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(str::to_owned)
        .collect()
}

/// The id after `marker` in `after` that `before` did not have.
pub fn new_id_after(before: &str, after: &str, marker: &str) -> Option<String> {
    let old = ids_after(before, marker);
    ids_after(after, marker)
        .into_iter()
        .find(|id| !old.contains(id))
}

/// Building a provider's catalogue through the pages, as a provider would.
impl Browser {
    /// The platform admin marks a team as a provider team.
    pub async fn make_provider(&self, team: &str) {
        let res = self
            .submit(
                "/admin/teams",
                &format!("/admin/teams/{team}/provider"),
                &[("provider", "yes")],
            )
            .await;
        assert_eq!(res.status(), 303, "provider flag");
    }

    pub async fn create_product(
        &self,
        team: &str,
        name: &str,
        summary: &str,
        tags: &str,
    ) -> String {
        let page = format!("/provider/{team}/products/new");
        let res = self
            .submit(
                &page,
                &page,
                &[
                    ("name", name),
                    ("summary", summary),
                    ("description", "# About\n\nAn API."),
                    ("tags", tags),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "product creation should redirect");
        let to = location(&res);
        to.rsplit('/').next().expect("product id").to_owned()
    }

    /// Adds a resource accepting API keys on the embedded data plane; returns its id.
    pub async fn add_resource(
        &self,
        team: &str,
        product: &str,
        name: &str,
        route: &str,
        approval: &str,
    ) -> String {
        self.add_resource_on(team, product, name, route, approval, "embedded")
            .await
    }

    pub async fn add_resource_on(
        &self,
        team: &str,
        product: &str,
        name: &str,
        route: &str,
        approval: &str,
        dataplane: &str,
    ) -> String {
        let show = format!("/provider/{team}/products/{product}");
        let before = self.html(&show).await;
        let page = format!("/provider/{team}/products/{product}/resources/new");
        let res = self
            .submit(
                &page,
                &page,
                &[
                    ("name", name),
                    ("route", route),
                    ("dataplane", dataplane),
                    ("credential_types", "api_key"),
                    ("access_approval", approval),
                    ("rows", "0"),
                    ("action", "save"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "resource creation should redirect");
        let after = self.html(&show).await;
        new_id_after(&before, &after, "/resources/").expect("the resource is listed")
    }

    /// Adds a plan including `resources`; returns its id.
    pub async fn add_plan(
        &self,
        team: &str,
        product: &str,
        name: &str,
        resources: &[&str],
        approval: &str,
    ) -> String {
        let show = format!("/provider/{team}/products/{product}");
        let before = self.html(&show).await;
        let page = format!("/provider/{team}/products/{product}/plans/new");
        let mut fields = vec![
            ("name", name),
            ("per_minute", "100"),
            ("per_day", ""),
            ("approval", approval),
        ];
        fields.extend(resources.iter().map(|r| ("resources", *r)));
        let res = self.submit(&page, &page, &fields).await;
        assert_eq!(res.status(), 303, "plan creation should redirect");
        let after = self.html(&show).await;
        new_id_after(&before, &after, "/plans/").expect("the plan is listed")
    }

    pub async fn publish(&self, team: &str, product: &str) -> reqwest::Response {
        let page = format!("/provider/{team}/products/{product}");
        self.submit(&page, &format!("{page}/publish"), &[]).await
    }

    /// Subscribes `team` to a plan; the answer is returned unread.
    pub async fn subscribe(&self, product: &str, plan: &str, team: &str) -> reqwest::Response {
        let page = format!("/marketplace/products/{product}/plans/{plan}/subscribe");
        self.submit(&page, &page, &[("team_id", team)]).await
    }
}

/// A published product with one resource and one plan of the given approval mode.
pub struct Listing {
    pub provider: String,
    pub product: String,
    pub resource: String,
    pub plan: String,
}

impl TestApp {
    pub async fn listing(&self, admin: &Browser, name: &str, plan_approval: &str) -> Listing {
        let provider = admin.create_team(&format!("{name} provider")).await;
        admin.make_provider(&provider).await;
        let product = admin
            .create_product(&provider, name, &format!("{name} for everyone"), "demo")
            .await;
        let route = format!("/{}/", name.to_lowercase().replace(' ', "-"));
        let resource = admin
            .add_resource(&provider, &product, "Main API", &route, "automatic")
            .await;
        let plan = admin
            .add_plan(&provider, &product, "Standard", &[&resource], plan_approval)
            .await;
        assert_eq!(admin.publish(&provider, &product).await.status(), 303);
        Listing {
            provider,
            product,
            resource,
            plan,
        }
    }
}

/// Applications and access requests through the pages.
impl Browser {
    pub async fn create_application(&self, team: &str, name: &str) -> String {
        let page = format!("/teams/{team}/applications/new");
        let res = self
            .submit(&page, &page, &[("name", name), ("description", "")])
            .await;
        assert_eq!(res.status(), 303, "application creation should redirect");
        location(&res).rsplit('/').next().expect("id").to_owned()
    }

    /// Posts the Request Access form; `extra` are the provider's fields (`x_<name>`).
    pub async fn request_access(
        &self,
        product: &str,
        resource: &str,
        application: &str,
        subscription: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let page = format!("/marketplace/products/{product}/resources/{resource}/request-access");
        let mut fields = vec![("application", application), ("subscription", subscription)];
        if !extra.iter().any(|(k, _)| *k == "name") {
            fields.push(("name", ""));
        }
        fields.extend_from_slice(extra);
        self.submit(&page, &page, &fields).await
    }

    /// Requests access for the consumer's application under its subscription,
    /// to the resource of its listing.
    pub async fn request_access_for(&self, c: &Consumer) -> reqwest::Response {
        let l = &c.listing;
        self.request_access(
            &l.product,
            &l.resource,
            &c.application,
            &c.subscription,
            &[],
        )
        .await
    }
}

/// The id at the end of a redirect's path (before any `#fragment`).
pub fn last_id(res: &reqwest::Response) -> String {
    let to = location(res);
    let path = to.split('#').next().unwrap_or_default();
    path.rsplit('/').next().expect("an id").to_owned()
}

impl TestApp {
    /// Runs the provisioning work that is due now, as the scheduler would.
    pub async fn run_due(&self) -> agora::actors::kicker::RunReport {
        self.state
            .provisioner
            .send(agora::actors::kicker::RunDue)
            .await
            .expect("provisioner answers")
            .expect("run succeeds")
    }
}

/// A consumer team subscribed (automatically) to a product whose one
/// resource is on `dataplane`, with one application.
pub struct Consumer {
    pub listing: Listing,
    pub team: String,
    pub subscription: String,
    pub application: String,
}

impl TestApp {
    pub async fn consumer(
        &self,
        admin: &Browser,
        dataplane: &str,
        access_approval: &str,
    ) -> Consumer {
        let provider = admin.create_team("Weather provider").await;
        admin.make_provider(&provider).await;
        let product = admin
            .create_product(&provider, "Weather", "Forecasts for everyone", "demo")
            .await;
        let resource = admin
            .add_resource_on(
                &provider,
                &product,
                "Forecast",
                "/weather/",
                access_approval,
                dataplane,
            )
            .await;
        let plan = admin
            .add_plan(&provider, &product, "Standard", &[&resource], "automatic")
            .await;
        assert_eq!(admin.publish(&provider, &product).await.status(), 303);
        let team = admin.create_team("Buyers").await;
        let res = admin.subscribe(&product, &plan, &team).await;
        assert_eq!(res.status(), 303);
        let subscription = last_id(&res);
        let application = admin.create_application(&team, "Mobile").await;
        Consumer {
            listing: Listing {
                provider,
                product,
                resource,
                plan,
            },
            team,
            subscription,
            application,
        }
    }
}

impl Browser {
    /// Saves an existing resource (embedded data plane, API keys) with the
    /// request-field editor's rows given as `f<i>_<part>` pairs.
    pub async fn save_resource_fields(
        &self,
        l: &Listing,
        name: &str,
        route: &str,
        approval: &str,
        rows: &[(&str, &str)],
    ) {
        let edit = format!(
            "/provider/{}/products/{}/resources/{}",
            l.provider, l.product, l.resource
        );
        let count = rows
            .iter()
            .filter(|(k, _)| k.ends_with("_name"))
            .count()
            .to_string();
        let mut fields = vec![
            ("name", name),
            ("route", route),
            ("dataplane", "embedded"),
            ("credential_types", "api_key"),
            ("access_approval", approval),
            ("rows", count.as_str()),
            ("action", "save"),
        ];
        fields.extend_from_slice(rows);
        let res = self.submit(&edit, &edit, &fields).await;
        assert_eq!(res.status(), 303, "resource saved");
    }
}

/// The value of the read-only input (or text area) `id` on a page.
pub fn input_value(html: &str, id: &str) -> String {
    if let Some(v) = attr_after(html, &format!("id=\"{id}\" readonly value=\"")) {
        return v;
    }
    let open = html
        .find(&format!("<textarea id=\"{id}\""))
        .expect("the field is on the page");
    let start = open + html[open..].find('>').expect("the tag closes") + 1;
    let end = start + html[start..].find("</textarea>").expect("the area closes");
    html[start..end].to_owned()
}

/// A consumer with provisioned access, ready for credentials.
pub struct Holder {
    pub c: Consumer,
    pub access: String,
}

impl Holder {
    pub fn new_credential_path(&self) -> String {
        format!(
            "/teams/{}/applications/{}/access/{}/credentials/new",
            self.c.team, self.c.application, self.access
        )
    }
}

impl TestApp {
    pub async fn holder(&self, admin: &Browser, dataplane: &str) -> Holder {
        let c = self.consumer(admin, dataplane, "automatic").await;
        let res = admin.request_access_for(&c).await;
        assert_eq!(res.status(), 303);
        let to = location(&res);
        assert!(to.ends_with("/credentials/new"), "{to}");
        let access = to.split('/').rev().nth(2).expect("access id").to_owned();
        self.run_due().await;
        Holder { c, access }
    }
}

impl Browser {
    /// Lets the listing's resource (on `dataplane`) issue OAuth clients
    /// besides API keys.
    pub async fn allow_oauth_clients(&self, l: &Listing, dataplane: &str) {
        let edit = format!(
            "/provider/{}/products/{}/resources/{}",
            l.provider, l.product, l.resource
        );
        let fields = [
            ("name", "Forecast"),
            ("route", "/weather/"),
            ("dataplane", dataplane),
            ("credential_types", "api_key"),
            ("credential_types", "oauth_client"),
            ("access_approval", "automatic"),
            ("rows", "0"),
            ("action", "save"),
        ];
        let res = self.submit(&edit, &edit, &fields).await;
        assert_eq!(res.status(), 303, "the resource takes OAuth clients");
    }

    /// Creates a credential; returns its id and the secret shown once
    /// (the full API key, or the OAuth client secret).
    pub async fn create_credential(
        &self,
        h: &Holder,
        name: &str,
        kind: &str,
    ) -> (String, String, String) {
        let page = h.new_credential_path();
        let res = self
            .submit(&page, &page, &[("name", name), ("kind", kind)])
            .await;
        let html = self.secret_page(res).await;
        let secret = input_value(&html, "secret");
        let client_id = if kind == "oauth_client" {
            input_value(&html, "client-id")
        } else {
            String::new()
        };
        let marker = format!("/teams/{}/credentials/", h.c.team);
        let id = ids_after(&html, &marker)
            .into_iter()
            .next()
            .expect("a link to the credential");
        (id, secret, client_id)
    }
}

/// Calls `/gateway/authorize` as a reverse proxy would.
pub async fn authorize(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Response {
    let client = reqwest::Client::new();
    let mut req = client.get(format!("{}/gateway/authorize", app.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.expect("authorize")
}

/// The shared secret tests give the leaked-key intake.
pub const LEAK_SECRET: &str = "a-long-random-scanner-secret-0123456789";

/// A leak report's `X-Agora-Signature`, as a secret scanner signs it.
pub fn leak_signature(body: &str) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(LEAK_SECRET.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
