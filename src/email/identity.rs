//! Who a subscriber is, without their address: a keyed hash (HMAC-SHA256 with the list's
//! secret) of the lowercased address. The send log and the suppression list use it, and
//! the personal unsubscribe token carries it, so no address is ever written or linked.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use std::fmt;

/// The first 128 bits of `HMAC-SHA256(secret, "herald-subscriber:" + lowercase(address))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubscriberId(pub u128);

impl SubscriberId {
    /// 32 lowercase hex digits.
    pub fn parse(hex: &str) -> Option<SubscriberId> {
        (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u128::from_str_radix(hex, 16).ok().map(SubscriberId))
            .flatten()
    }
}

impl fmt::Display for SubscriberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// The list's secret, for ids and tokens.
pub struct Keyring {
    secret: SecretString,
    list_id: String,
}

impl Keyring {
    pub fn new(secret: SecretString, list_id: &str) -> Keyring {
        Keyring {
            secret,
            list_id: list_id.to_owned(),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(self.secret.expose_secret().as_bytes())
            .expect("HMAC takes any key length")
    }

    /// The id of `address` (compared case-insensitively).
    pub fn id(&self, address: &str) -> SubscriberId {
        let mut mac = self.mac();
        mac.update(b"herald-subscriber:");
        mac.update(address.to_lowercase().as_bytes());
        let bytes = mac.finalize().into_bytes();
        SubscriberId(u128::from_be_bytes(
            bytes[..16].try_into().expect("32 bytes"),
        ))
    }

    /// The personal unsubscribe token: `ID.TAG`, where `TAG` is the first 128 bits (hex) of
    /// `HMAC-SHA256(secret, "herald-unsubscribe:" + list_id + ":" + ID)`. The site checks
    /// the tag, then adds `ID` to the suppression list (or removes the subscriber whose
    /// address has that id).
    pub fn token(&self, id: SubscriberId) -> String {
        let id = id.to_string();
        let mut mac = self.mac();
        mac.update(b"herald-unsubscribe:");
        mac.update(self.list_id.as_bytes());
        mac.update(b":");
        mac.update(id.as_bytes());
        let tag = mac.finalize().into_bytes();
        let mut out = id;
        out.push('.');
        for b in &tag[..16] {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring() -> Keyring {
        Keyring::new(SecretString::from("s3cret"), "news.example.org")
    }

    #[test]
    fn ids_ignore_case_and_differ_per_address() {
        let k = keyring();
        assert_eq!(k.id("Mari@Example.org"), k.id("mari@example.org"));
        assert_ne!(k.id("mari@example.org"), k.id("jaan@example.org"));
        let id = k.id("mari@example.org");
        assert_eq!(SubscriberId::parse(&id.to_string()), Some(id));
    }

    #[test]
    fn the_token_is_id_dot_tag_and_matches_an_independent_hmac() {
        let k = keyring();
        let id = k.id("mari@example.org");
        let token = k.token(id);
        let (head, tag) = token.split_once('.').unwrap();
        assert_eq!(head, id.to_string());
        assert_eq!(tag.len(), 32);
        // What a website does to verify it: HMAC-SHA256 over the same message.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(format!("herald-unsubscribe:news.example.org:{head}").as_bytes());
        let full: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(tag, &full[..32]);
    }
}
