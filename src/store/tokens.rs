//! API tokens by token id, with each person's and each team's list.

use super::codec::{decode, encode};
use super::{Conflict, Store, StoreError, abort};
use crate::clock::Timestamp;
use crate::domain::audit::AuditRecord;
use crate::domain::ids::{TeamId, UserId};
use crate::domain::key_format::KeyId;
use crate::domain::token::{ApiToken, TokenOwner};

tx_trees! {
    /// A token and the list it is on.
    TokenRecord { api_token, api_token_by_owner }
}

/// The owner list's key: the person's or the team's id, then the token id.
pub(super) fn owner_key(t: &ApiToken) -> Vec<u8> {
    let mut k = match t.owner {
        TokenOwner::Person { user, .. } => user.to_bytes().to_vec(),
        TokenOwner::Team { team, .. } => team.to_bytes().to_vec(),
    };
    k.extend_from_slice(t.id.as_str().as_bytes());
    k
}

impl Store {
    /// Stores a new token, with its audit record.
    pub fn create_token(&self, t: &ApiToken, audit: &AuditRecord) -> Result<(), StoreError> {
        let value = encode(t)?;
        let owner = owner_key(t);
        self.audited(&TokenRecord::trees(self), audit, |tx| {
            let v = TokenRecord::of(tx);
            if v.api_token
                .insert(t.id.as_str().as_bytes(), value.clone())?
                .is_some()
            {
                return abort(Conflict::Missing);
            }
            v.api_token_by_owner.insert(owner.clone(), &[])?;
            Ok(())
        })
    }

    /// Removes a token for good, with its audit record.
    pub fn revoke_token(&self, t: &ApiToken, audit: &AuditRecord) -> Result<(), StoreError> {
        let owner = owner_key(t);
        self.audited(&TokenRecord::trees(self), audit, |tx| {
            let v = TokenRecord::of(tx);
            if v.api_token.remove(t.id.as_str().as_bytes())?.is_none() {
                return abort(Conflict::Missing);
            }
            v.api_token_by_owner.remove(owner.clone())?;
            Ok(())
        })
    }

    pub fn token(&self, id: &KeyId) -> Result<Option<ApiToken>, StoreError> {
        self.api_token
            .get(id.as_str().as_bytes())?
            .map(|v| decode(&v))
            .transpose()
    }

    fn tokens_under(&self, prefix: [u8; 16]) -> Result<Vec<ApiToken>, StoreError> {
        let mut out = Vec::new();
        for k in self.api_token_by_owner.scan_prefix(prefix).keys() {
            let k = k?;
            if let Some(t) = self.api_token.get(&k[16..])? {
                out.push(decode(&t)?);
            }
        }
        Ok(out)
    }

    /// A person's own tokens.
    pub fn tokens_of_user(&self, user: UserId) -> Result<Vec<ApiToken>, StoreError> {
        self.tokens_under(user.to_bytes())
    }

    /// A team's service tokens.
    pub fn tokens_of_team(&self, team: TeamId) -> Result<Vec<ApiToken>, StoreError> {
        self.tokens_under(team.to_bytes())
    }

    /// Records when a token was last used. Not flushed: a crash may forget
    /// the latest use, never a token.
    pub fn touch_token(&self, id: &KeyId, at: Timestamp) -> Result<(), StoreError> {
        let _writing = self.writing();
        if let Some(mut t) = self.token(id)? {
            t.last_used = Some(at);
            self.api_token.insert(id.as_str().as_bytes(), encode(&t)?)?;
        }
        Ok(())
    }
}
