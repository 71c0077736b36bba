//! Products: what a provider team publishes in the Marketplace.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::FieldError;
use super::account::parse_short_name;
use super::ids::{ProductId, TeamId};
use crate::clock::Timestamp;

/// A product is invisible to consumers until published; unpublishing hides
/// it again without touching the subscriptions it already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProductState {
    Draft,
    Published,
    Unpublished,
}

impl ProductState {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductState::Draft => "draft",
            ProductState::Published => "published",
            ProductState::Unpublished => "unpublished",
        }
    }
}

/// A tag: lowercase letters, digits and dashes, so `Weather` and `weather`
/// are one tag and tags read well in a URL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    pub const MAX_CHARS: usize = 30;

    pub fn parse(raw: &str) -> Option<Self> {
        let tag = raw
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
            .to_lowercase();
        let ok = !tag.is_empty()
            && tag.chars().count() <= Self::MAX_CHARS
            && tag
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
            && !tag.starts_with('-');
        ok.then_some(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const MAX_TAGS: usize = 10;

/// Tags typed as a comma-separated list; duplicates fold together.
pub fn parse_tags(raw: &str) -> Result<Vec<Tag>, FieldError> {
    let mut tags: Vec<Tag> = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let tag = Tag::parse(part).ok_or_else(|| {
            FieldError::new(
                "tags",
                format!(
                    "“{part}” is not a tag: use letters, digits and dashes, at most {} characters.",
                    Tag::MAX_CHARS
                ),
            )
        })?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(FieldError::new(
            "tags",
            format!("Use at most {MAX_TAGS} tags."),
        ));
    }
    Ok(tags)
}

pub const SUMMARY_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;

/// Trimmed free text of at most `max` characters, possibly empty.
pub fn parse_text(raw: &str, field: &'static str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("Use at most {max} characters."),
        ));
    }
    Ok(text.replace("\r\n", "\n"))
}

/// What the provider types for a product, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDetails {
    pub name: String,
    pub summary: String,
    /// Markdown; rendered and sanitised when shown.
    pub description: String,
    pub tags: Vec<Tag>,
}

impl ProductDetails {
    pub fn parse(
        name: &str,
        summary: &str,
        description: &str,
        tags: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = parse_short_name(name, "name", 80).map_err(|e| errors.push(e));
        let summary = match parse_text(summary, "summary", SUMMARY_MAX) {
            Ok(s) if s.is_empty() => {
                errors.push(FieldError::new(
                    "summary",
                    "Say in a sentence what the product does.",
                ));
                Err(())
            }
            Ok(s) => Ok(s.replace('\n', " ")),
            Err(e) => {
                errors.push(e);
                Err(())
            }
        };
        let description = parse_text(description, "description", DESCRIPTION_MAX)
            .and_then(|d| super::markdown::check(&d).map(|()| d))
            .map_err(|e| errors.push(e));
        let tags = parse_tags(tags).map_err(|e| errors.push(e));
        match (name, summary, description, tags) {
            (Ok(name), Ok(summary), Ok(description), Ok(tags)) => Ok(Self {
                name,
                summary,
                description,
                tags,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    /// The provider team that owns it.
    pub provider: TeamId,
    pub details: ProductDetails,
    pub state: ProductState,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default)]
    pub published_at: Option<Timestamp>,
    /// The description rendered to clean HTML when it was saved; `None` on
    /// records written before descriptions were kept rendered.
    #[serde(default)]
    pub description_html: Option<String>,
}

impl Product {
    pub fn is_published(&self) -> bool {
        self.state == ProductState::Published
    }
}

/// Why a change to a product, its resources or its plans is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("A product needs at least one usage plan before it can be published.")]
    NoPlan,
    #[error("This product is already published.")]
    AlreadyPublished,
    #[error("This product is not published.")]
    NotPublished,
    #[error("The route {route} is already used on the data plane {dataplane}.")]
    RouteTaken { route: String, dataplane: String },
    #[error(
        "The route {route} overlaps {other}, which another product uses on the data plane {dataplane}: routes of different products may not lie inside one another."
    )]
    RouteNested {
        route: String,
        other: String,
        dataplane: String,
    },
    #[error("A plan can only include resources of its own product.")]
    ForeignResource,
    #[error("This team is not a provider team.")]
    NotProvider,
    #[error("The team still has published products: unpublish them first.")]
    StillPublishing,
    #[error("Not found.")]
    Missing,
}

/// Publishing is allowed from draft or unpublished, with at least one plan.
pub fn check_publish(product: &Product, plans: usize) -> Result<(), CatalogError> {
    if product.is_published() {
        return Err(CatalogError::AlreadyPublished);
    }
    if plans == 0 {
        return Err(CatalogError::NoPlan);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_fold_case_and_spaces_and_duplicates() {
        let tags = parse_tags(" Weather, open data , weather,,").unwrap();
        let names: Vec<_> = tags.iter().map(Tag::as_str).collect();
        assert_eq!(names, ["weather", "open-data"]);
        assert!(parse_tags("a<b").is_err());
        assert!(parse_tags(&"x,".repeat(3)).is_ok());
        let many = (0..11)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(parse_tags(&many).unwrap_err().field, "tags");
    }

    #[test]
    fn details_report_every_bad_field() {
        let errors =
            ProductDetails::parse(" ", "", &"x".repeat(DESCRIPTION_MAX + 1), "ok").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "summary", "description"]);
        let d = ProductDetails::parse("Weather", " Forecasts\r\nfor all ", "# Hi", "").unwrap();
        assert_eq!(d.summary, "Forecasts for all");
    }

    #[test]
    fn publishing_needs_a_plan_and_an_unpublished_product() {
        let mut p = Product {
            id: ProductId::generate(Timestamp::from_millis(0)),
            provider: TeamId::generate(Timestamp::from_millis(0)),
            details: ProductDetails::parse("W", "S", "", "").unwrap(),
            state: ProductState::Draft,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
            published_at: None,
            description_html: None,
        };
        assert_eq!(check_publish(&p, 0), Err(CatalogError::NoPlan));
        assert_eq!(check_publish(&p, 1), Ok(()));
        p.state = ProductState::Published;
        assert_eq!(check_publish(&p, 1), Err(CatalogError::AlreadyPublished));
        p.state = ProductState::Unpublished;
        assert_eq!(check_publish(&p, 2), Ok(()));
    }
}
