//! What a data plane lets its credentials do, and the grace periods a
//! renewal offers. `Credential::act` checks these, so a suspend or a renewal
//! that the plane cannot carry out is refused in one place for every caller.

use std::time::Duration;

/// What a credential's data plane can do beyond granting and revoking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Abilities {
    pub suspend: bool,
    pub renew: bool,
    /// The longest grace period a renewal may leave the previous secret.
    pub max_renew_grace: Duration,
}

impl Abilities {
    /// Every action, with grace up to a week: for tests and for the fake planes.
    pub const ALL: Abilities = Abilities {
        suspend: true,
        renew: true,
        max_renew_grace: Duration::from_secs(7 * 86_400),
    };

    /// The grace periods a renewal on this plane may choose.
    pub fn graces(self) -> impl Iterator<Item = Grace> {
        Grace::ALL
            .into_iter()
            .filter(move |g| g.duration() <= self.max_renew_grace)
    }
}

/// How long the previous secret keeps working after a renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grace {
    #[default]
    None,
    Hour,
    Day,
    Week,
}

impl Grace {
    pub const ALL: [Grace; 4] = [Grace::None, Grace::Hour, Grace::Day, Grace::Week];

    /// From a form's or a request's value: `none` (or nothing), `1h`, `24h`, `7d`.
    pub fn parse(raw: &str) -> Option<Grace> {
        match raw.trim() {
            "" | "none" => Some(Grace::None),
            "1h" => Some(Grace::Hour),
            "24h" => Some(Grace::Day),
            "7d" => Some(Grace::Week),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Grace::None => "none",
            Grace::Hour => "1h",
            Grace::Day => "24h",
            Grace::Week => "7d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grace::None => "No grace: the old secret stops at once",
            Grace::Hour => "1 hour",
            Grace::Day => "24 hours",
            Grace::Week => "7 days",
        }
    }

    pub fn duration(self) -> Duration {
        Duration::from_secs(match self {
            Grace::None => 0,
            Grace::Hour => 3_600,
            Grace::Day => 86_400,
            Grace::Week => 7 * 86_400,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grace_reads_back_from_its_value() {
        for g in Grace::ALL {
            assert_eq!(Grace::parse(g.as_str()), Some(g));
        }
        assert_eq!(Grace::parse(""), Some(Grace::None));
        assert_eq!(Grace::parse("2h"), None);
    }

    #[test]
    fn a_plane_offers_the_graces_up_to_its_limit() {
        let a = Abilities {
            max_renew_grace: Duration::from_secs(86_400),
            ..Abilities::ALL
        };
        assert_eq!(
            a.graces().collect::<Vec<_>>(),
            [Grace::None, Grace::Hour, Grace::Day]
        );
    }
}
