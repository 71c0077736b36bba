//! A script's view of Agora: JSON calls to `/api/v1` with a bearer token,
//! and the pages' way of making tokens.

use serde_json::Value;

use super::{Browser, location};

/// A client of the JSON API with one token. It keeps no cookies.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.to_owned(),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        answer(
            self.request(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let req = self.request(reqwest::Method::POST, path).json(&body);
        answer(req.send().await.unwrap()).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        let req = self.request(reqwest::Method::PUT, path).json(&body);
        answer(req.send().await.unwrap()).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        answer(
            self.request(reqwest::Method::DELETE, path)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

/// The status and the JSON body (`null` when there is none).
pub async fn answer(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
    };
    (status, body)
}

impl Browser {
    /// Makes a personal token on the account page; `team` limits it to one team.
    pub async fn personal_token(&self, name: &str, scope: &str, team: Option<&str>) -> String {
        let fields = [
            ("name", name),
            ("scope", scope),
            ("team", team.unwrap_or("")),
            ("expires_in_days", ""),
        ];
        let res = self
            .submit("/account/tokens", "/account/tokens", &fields)
            .await;
        self.token_shown(res).await
    }

    /// Makes a service token of `team` on its tokens page (a team admin).
    pub async fn team_token(&self, team: &str, name: &str, scope: &str) -> String {
        let page = format!("/teams/{team}/tokens");
        let fields = [("name", name), ("scope", scope), ("expires_in_days", "")];
        let res = self.submit(&page, &page, &fields).await;
        self.token_shown(res).await
    }

    async fn token_shown(&self, res: reqwest::Response) -> String {
        assert_eq!(res.status(), 303, "a new token is shown on a GET page");
        let to = location(&res);
        assert!(to.ends_with("/shown"), "{to}");
        let page = self.get(&to).await;
        assert_eq!(page.headers()["cache-control"], "no-store");
        let html = page.text().await.unwrap();
        let token = super::input_value(&html, "secret");
        assert!(token.starts_with("agt_"), "{html}");
        token
    }
}
