//! Lists answer a page at a time: in creation order (ULID order), `limit`
//! items (50 unless asked, at most 200) after the `cursor` (the last id of
//! the page before). `next_cursor` is absent on the last page.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::problem::ApiError;

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// The last id of the page before; absent for the first page.
    #[param(pattern = "^[0-9A-HJKMNP-TV-Z]{26}$")]
    pub cursor: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

impl Page {
    /// The page of `items` (in any order) this asks for, ordered by id.
    pub fn of<T>(
        &self,
        mut items: Vec<T>,
        id: impl Fn(&T) -> String,
    ) -> Result<(Vec<T>, Option<String>), ApiError> {
        let limit = match self.limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                return Err(ApiError::BadRequest(format!(
                    "`limit` must be from 1 to {MAX_LIMIT}."
                )));
            }
        };
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(c) if ulid::Ulid::from_string(c).is_ok() => Some(c.to_owned()),
            Some(_) => {
                return Err(ApiError::BadRequest(
                    "`cursor` must be an id from `next_cursor`.".to_owned(),
                ));
            }
        };
        items.sort_by_key(|t| id(t));
        let mut page: Vec<T> = items
            .into_iter()
            .filter(|t| cursor.as_ref().is_none_or(|c| id(t) > *c))
            .take(limit + 1)
            .collect();
        let more = page.len() > limit;
        page.truncate(limit);
        let next = if more { page.last().map(&id) } else { None };
        Ok((page, next))
    }
}

/// Declares the page type of one kind of item.
macro_rules! list_of {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// The cursor of the next page; absent on the last one.
            pub next_cursor: Option<String>,
        }

        impl $name {
            pub fn new((items, next_cursor): (Vec<$item>, Option<String>)) -> Self {
                Self { items, next_cursor }
            }
        }
    };
}

use super::views::*;

list_of!(TeamList, TeamView, "A page of teams, in creation order.");
list_of!(
    MemberList,
    MemberView,
    "A page of a team's members, in creation order."
);
list_of!(
    ProductList,
    ProductView,
    "A page of products, in creation order."
);
list_of!(
    SubscriptionList,
    SubscriptionView,
    "A page of subscriptions, in creation order."
);
list_of!(
    ApplicationList,
    ApplicationView,
    "A page of applications, in creation order."
);
list_of!(
    AccessList,
    AccessView,
    "A page of access requests, in creation order."
);
list_of!(
    CredentialList,
    CredentialView,
    "A page of credentials, in creation order."
);
list_of!(
    NotificationList,
    NotificationView,
    "A page of notifications, in creation order."
);
list_of!(
    AuditList,
    AuditView,
    "A page of audit records, in creation order."
);
list_of!(
    EndpointList,
    EndpointView,
    "A page of webhook endpoints, in creation order."
);
list_of!(
    DeliveryList,
    DeliveryView,
    "A page of webhook deliveries, in creation order."
);
