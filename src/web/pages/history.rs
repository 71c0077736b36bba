//! Audit records as the pages show them: when, who, what.

use crate::domain::audit::AuditRecord;
use crate::domain::ids::UserId;
use crate::store::Store;
use crate::web::errors::WebError;

pub struct AuditRow {
    pub at: String,
    pub who: String,
    pub detail: String,
}

pub fn audit_rows(store: &Store, records: Vec<AuditRecord>) -> Result<Vec<AuditRow>, WebError> {
    let mut rows = Vec::with_capacity(records.len());
    // A history is mostly a few people: each is read once.
    let mut names: Vec<(UserId, String)> = Vec::new();
    for a in records {
        let who = match a.actor {
            Some(id) => match names.iter().find(|(u, _)| *u == id) {
                Some((_, name)) => name.clone(),
                None => {
                    let name = store
                        .user(id)?
                        .map(|u| u.display_name.to_string())
                        .unwrap_or_else(|| "a former user".to_owned());
                    names.push((id, name.clone()));
                    name
                }
            },
            None => "Agora".to_owned(),
        };
        rows.push(AuditRow {
            at: a.at.display(),
            who,
            detail: a.detail,
        });
    }
    Ok(rows)
}
