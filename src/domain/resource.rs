//! Resources (the APIs of a product) and usage plans.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::account::parse_short_name;
use super::expiry::ExpiryPolicy;
use super::ids::{PlanId, ProductId, ResourceId};
use super::product::parse_text;
use super::request_fields::RequestField;
use crate::clock::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialType {
    ApiKey,
    OauthClient,
}

impl CredentialType {
    pub const ALL: [CredentialType; 2] = [CredentialType::ApiKey, CredentialType::OauthClient];

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialType::ApiKey => "api_key",
            CredentialType::OauthClient => "oauth_client",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CredentialType::ApiKey => "API key",
            CredentialType::OauthClient => "OAuth client credentials",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }
}

/// Whether a request (subscription, access) is granted at once or waits for the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Approval {
    Automatic,
    Manual,
}

impl Approval {
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Automatic => "automatic",
            Approval::Manual => "manual",
        }
    }

    pub fn parse(raw: &str, field: &'static str) -> Result<Self, FieldError> {
        match raw {
            "automatic" => Ok(Approval::Automatic),
            "manual" => Ok(Approval::Manual),
            _ => Err(FieldError::new(field, "Choose automatic or manual.")),
        }
    }
}

/// The path prefix a resource answers under on its gateway, such as `/weather/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoutePrefix(String);

impl RoutePrefix {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bad = |m: &str| Err(FieldError::new("route", m));
        let mut route = raw.trim().to_owned();
        if route.is_empty() {
            return bad("Give the path prefix the API answers under, such as /weather/.");
        }
        if !route.starts_with('/') {
            route.insert(0, '/');
        }
        if !route.ends_with('/') {
            route.push('/');
        }
        if route == "/" {
            return bad("A route names at least one path segment, such as /weather/.");
        }
        if route.chars().count() > Self::MAX_CHARS {
            return bad("Use at most 100 characters.");
        }
        let plain = |c: char| c.is_ascii_alphanumeric() || "-._~/".contains(c);
        if !route.chars().all(plain) {
            return bad("Use letters, digits, - . _ and ~ between the slashes.");
        }
        // A route is a path the gateway's canonical reading leaves as it is,
        // so the two can never disagree on where it starts and ends.
        match crate::domain::path::CanonicalPath::parse(&route) {
            Ok(canonical) if canonical.as_str() == route => {}
            _ => return bad("Segments are separated by single slashes and are not . or ..."),
        }
        Ok(Self(route))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether one of the two routes covers the other on whole segments
    /// (`/weather/` and `/weather/v2/`), or they are the same.
    pub fn overlaps(&self, other: &RoutePrefix) -> bool {
        self.0.starts_with(&other.0) || other.0.starts_with(&self.0)
    }
}

impl fmt::Display for RoutePrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the provider sets on a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSpec {
    pub name: String,
    pub description: String,
    pub route: RoutePrefix,
    pub dataplane: String,
    pub credential_types: Vec<CredentialType>,
    pub access_approval: Approval,
    /// The extra fields a consumer fills when requesting access.
    pub fields: Vec<RequestField>,
    /// Its own credential lifetimes; `None`: each plan's.
    #[serde(default)]
    pub expiry: Option<ExpiryPolicy>,
}

pub struct ResourceInput<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub route: &'a str,
    pub dataplane: &'a str,
    pub credential_types: &'a [String],
    pub access_approval: &'a str,
    /// `Ok(None)`: the plans' policy applies.
    pub expiry: Result<Option<ExpiryPolicy>, Vec<FieldError>>,
}

impl ResourceSpec {
    /// The lifetime policy of its credentials under `plan`.
    pub fn expiry_under(&self, plan: &PlanSpec) -> ExpiryPolicy {
        self.expiry.unwrap_or(plan.expiry)
    }
}

impl ResourceSpec {
    /// Checks the provider's input; `dataplanes` are the configured names.
    pub fn parse(
        input: ResourceInput<'_>,
        dataplanes: &[String],
        fields: Vec<RequestField>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = parse_short_name(input.name, "name", 80).map_err(|e| errors.push(e));
        let description =
            parse_text(input.description, "description", 2_000).map_err(|e| errors.push(e));
        let route = RoutePrefix::parse(input.route).map_err(|e| errors.push(e));
        if !dataplanes.iter().any(|d| d == input.dataplane) {
            errors.push(FieldError::new(
                "dataplane",
                "Choose one of the configured data planes.",
            ));
        }
        let mut types = Vec::new();
        for raw in input.credential_types {
            match CredentialType::parse(raw) {
                Some(t) if !types.contains(&t) => types.push(t),
                Some(_) => {}
                None => errors.push(FieldError::new(
                    "credential_types",
                    "Choose among the listed credential types.",
                )),
            }
        }
        if types.is_empty() && input.credential_types.is_empty() {
            errors.push(FieldError::new(
                "credential_types",
                "Accept at least one credential type.",
            ));
        }
        types.sort();
        let approval =
            Approval::parse(input.access_approval, "access_approval").map_err(|e| errors.push(e));
        let expiry = input.expiry.map_err(|e| errors.extend(e));
        match (name, description, route, approval, expiry) {
            (Ok(name), Ok(description), Ok(route), Ok(access_approval), Ok(expiry))
                if errors.is_empty() =>
            {
                Ok(Self {
                    name,
                    description,
                    route,
                    dataplane: input.dataplane.to_owned(),
                    credential_types: types,
                    access_approval,
                    fields,
                    expiry,
                })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    pub id: ResourceId,
    pub product: ProductId,
    pub spec: ResourceSpec,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Requests allowed per minute and per day; neither means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Quota {
    pub per_minute: Option<u32>,
    pub per_day: Option<u32>,
}

impl Quota {
    pub const MAX: u32 = 1_000_000_000;

    pub fn parse(per_minute: &str, per_day: &str) -> Result<Self, Vec<FieldError>> {
        let one = |raw: &str, field: &'static str| -> Result<Option<u32>, FieldError> {
            let raw = raw.trim().replace(['_', ','], "");
            if raw.is_empty() {
                return Ok(None);
            }
            match raw.parse::<u32>() {
                Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Some(n)),
                _ => Err(FieldError::new(
                    field,
                    "Give a whole number from 1 to 1,000,000,000, or leave it empty for no limit.",
                )),
            }
        };
        match (one(per_minute, "per_minute"), one(per_day, "per_day")) {
            (Ok(per_minute), Ok(per_day)) => Ok(Self {
                per_minute,
                per_day,
            }),
            (a, b) => Err([a.err(), b.err()].into_iter().flatten().collect()),
        }
    }

    pub fn is_unlimited(&self) -> bool {
        self.per_minute.is_none() && self.per_day.is_none()
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.per_minute, self.per_day) {
            (None, None) => f.write_str("Unlimited"),
            (Some(m), None) => write!(f, "{} requests per minute", thousands(m)),
            (None, Some(d)) => write!(f, "{} requests per day", thousands(d)),
            (Some(m), Some(d)) => write!(
                f,
                "{} requests per minute, {} per day",
                thousands(m),
                thousands(d)
            ),
        }
    }
}

/// 1234567 → "1,234,567".
pub fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSpec {
    pub name: String,
    pub description: String,
    pub resources: Vec<ResourceId>,
    pub quota: Quota,
    pub approval: Approval,
    /// How long its credentials live (a resource may set its own).
    #[serde(default)]
    pub expiry: ExpiryPolicy,
}

impl PlanSpec {
    /// `chosen` are the resource ids ticked in the form; `known` the product's resources.
    pub fn parse(
        name: &str,
        description: &str,
        chosen: &[String],
        known: &[ResourceId],
        quota: Result<Quota, Vec<FieldError>>,
        approval: &str,
        expiry: Result<ExpiryPolicy, Vec<FieldError>>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = parse_short_name(name, "name", 80).map_err(|e| errors.push(e));
        let description = parse_text(description, "description", 2_000).map_err(|e| errors.push(e));
        let mut resources = Vec::new();
        for raw in chosen {
            match raw.parse::<ResourceId>() {
                Ok(id) if known.contains(&id) => {
                    if !resources.contains(&id) {
                        resources.push(id)
                    }
                }
                _ => errors.push(FieldError::new(
                    "resources",
                    "Choose among this product's resources.",
                )),
            }
        }
        if chosen.is_empty() {
            errors.push(FieldError::new(
                "resources",
                "A plan includes at least one resource.",
            ));
        }
        resources.sort();
        let quota = quota.map_err(|e| errors.extend(e));
        let approval = Approval::parse(approval, "approval").map_err(|e| errors.push(e));
        let expiry = expiry.map_err(|e| errors.extend(e));
        match (name, description, quota, approval, expiry) {
            (Ok(name), Ok(description), Ok(quota), Ok(approval), Ok(expiry))
                if errors.is_empty() =>
            {
                Ok(Self {
                    name,
                    description,
                    resources,
                    quota,
                    approval,
                    expiry,
                })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub id: PlanId,
    pub product: ProductId,
    pub spec: PlanSpec,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_normalised_and_checked() {
        assert_eq!(RoutePrefix::parse("weather").unwrap().as_str(), "/weather/");
        assert_eq!(
            RoutePrefix::parse("/v1/maps/").unwrap().as_str(),
            "/v1/maps/"
        );
        for bad in [
            "", "/", "//x/", "/a//b/", "/../x/", "/a/./b/", "/a/../b/", "/a b/", "/a?b/", "/é/",
            "/a%2Fb/", "/a\\b/",
        ] {
            assert!(
                RoutePrefix::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn routes_overlap_when_one_covers_the_other_on_whole_segments() {
        let r = |s| RoutePrefix::parse(s).unwrap();
        assert!(r("/weather/").overlaps(&r("/weather/v2/")));
        assert!(r("/weather/v2/").overlaps(&r("/weather/")));
        assert!(r("/weather/").overlaps(&r("/weather/")));
        assert!(!r("/weather/").overlaps(&r("/weatherx/")));
        assert!(!r("/weather/v2/").overlaps(&r("/weather/v3/")));
    }

    #[test]
    fn quotas_are_optional_positive_numbers() {
        assert!(Quota::parse("", "").unwrap().is_unlimited());
        let q = Quota::parse("100", "10,000").unwrap();
        assert_eq!(q.to_string(), "100 requests per minute, 10,000 per day");
        let errors = Quota::parse("0", "x").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }

    fn input<'a>(types: &'a [String], dataplane: &'a str) -> ResourceInput<'a> {
        ResourceInput {
            name: "Forecast",
            description: "",
            route: "/weather/",
            dataplane,
            credential_types: types,
            access_approval: "manual",
            expiry: Ok(None),
        }
    }

    #[test]
    fn a_resource_names_a_configured_data_plane_and_a_credential_type() {
        let planes = vec!["embedded".to_owned()];
        let types = vec!["oauth_client".to_owned(), "api_key".to_owned()];
        let spec = ResourceSpec::parse(input(&types, "embedded"), &planes, vec![]).unwrap();
        assert_eq!(
            spec.credential_types,
            [CredentialType::ApiKey, CredentialType::OauthClient]
        );
        let errors = ResourceSpec::parse(input(&[], "elsewhere"), &planes, vec![]).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["dataplane", "credential_types"]);
    }

    #[test]
    fn a_plan_includes_only_its_products_resources() {
        let t = Timestamp::from_millis(0);
        let mine = ResourceId::generate(t);
        let other = ResourceId::generate(t).to_string();
        let ok = PlanSpec::parse(
            "Free",
            "",
            &[mine.to_string()],
            &[mine],
            Quota::parse("", ""),
            "automatic",
            Ok(ExpiryPolicy::default()),
        )
        .unwrap();
        assert_eq!(ok.resources, [mine]);
        let errors = PlanSpec::parse(
            "Free",
            "",
            &[other],
            &[mine],
            Quota::parse("", ""),
            "auto",
            ExpiryPolicy::parse("", "", "later"),
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["resources", "approval", "at_expiry"]);
        let none = PlanSpec::parse(
            "Free",
            "",
            &[],
            &[mine],
            Quota::parse("", ""),
            "manual",
            Ok(ExpiryPolicy::default()),
        );
        assert!(none.is_err());
    }
}
