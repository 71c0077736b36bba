//! The credential-lifetime fields of the plan and resource forms: as typed,
//! or as loaded from a saved policy.

use crate::domain::expiry::ExpiryPolicy;
use crate::web::form::Pairs;

#[derive(Debug, Clone, Default)]
pub struct ExpiryFields {
    /// For a resource: it sets its own policy instead of each plan's.
    pub own: bool,
    pub max_days: String,
    pub default_days: String,
    pub at_expiry: String,
}

impl ExpiryFields {
    pub fn of(p: Option<&ExpiryPolicy>) -> Self {
        let days = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_default();
        match p {
            Some(p) => Self {
                own: true,
                max_days: days(p.max_days),
                default_days: days(p.default_days),
                at_expiry: p.at_expiry.as_str().to_owned(),
            },
            None => Self {
                at_expiry: "suspend".to_owned(),
                ..Self::default()
            },
        }
    }

    pub fn read(f: &Pairs) -> Self {
        Self {
            own: f.get("expiry_own") == "yes",
            max_days: f.get("max_days").trim().to_owned(),
            default_days: f.get("default_days").trim().to_owned(),
            at_expiry: f.get("at_expiry").trim().to_owned(),
        }
    }
}
