//! One-shot messages carried across a redirect in a signed cookie.

use actix_web::cookie::{Cookie, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::crypto::digest::{constant_time_eq, hmac_sha256};

pub const COOKIE: &str = "agora_flash";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashKind {
    Success,
    Error,
}

#[derive(Debug, Clone)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

impl Flash {
    pub fn is_error(&self) -> bool {
        self.kind == FlashKind::Error
    }

    pub fn encode(&self, key: &[u8; 32]) -> String {
        let tag = if self.is_error() { "e" } else { "s" };
        let body = URL_SAFE_NO_PAD.encode(format!("{tag}{}", self.message));
        let sig = URL_SAFE_NO_PAD.encode(&hmac_sha256(key, &[body.as_bytes()])[..16]);
        format!("{body}.{sig}")
    }

    pub fn decode(value: &str, key: &[u8; 32]) -> Option<Flash> {
        let (body, sig) = value.split_once('.')?;
        let expected = URL_SAFE_NO_PAD.encode(&hmac_sha256(key, &[body.as_bytes()])[..16]);
        if !constant_time_eq(sig.as_bytes(), expected.as_bytes()) {
            return None;
        }
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        let kind = match text.get(..1)? {
            "e" => FlashKind::Error,
            "s" => FlashKind::Success,
            _ => return None,
        };
        Some(Flash {
            kind,
            message: text[1..].to_owned(),
        })
    }

    pub fn cookie(&self, key: &[u8; 32], secure: bool) -> Cookie<'static> {
        Cookie::build(COOKIE, self.encode(key))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .finish()
    }
}

pub fn removal(secure: bool) -> Cookie<'static> {
    let mut c = Cookie::build(COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish();
    c.make_removal();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flashes_round_trip_and_forgeries_are_dropped() {
        let key = [3u8; 32];
        let f = Flash {
            kind: FlashKind::Error,
            message: "Wrong — try again".into(),
        };
        let decoded = Flash::decode(&f.encode(&key), &key).unwrap();
        assert_eq!(decoded.message, "Wrong — try again");
        assert!(decoded.is_error());
        assert!(Flash::decode(&f.encode(&[4u8; 32]), &key).is_none());
        assert!(Flash::decode("garbage", &key).is_none());
    }
}
