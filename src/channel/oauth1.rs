//! OAuth 1.0a request signing (RFC 5849, HMAC-SHA1), as X's API v2 requires for
//! user-context requests. JSON and multipart bodies are not signed (§3.4.1.3.1): only the
//! `oauth_*` parameters and the query string are.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn pct(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}

/// The four credentials of a user-context request.
pub struct Credentials<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub token: &'a str,
    pub token_secret: &'a str,
}

/// The `oauth_signature` of a request: `params` are the query and form parameters (not
/// yet encoded), without the `oauth_*` ones, which are added here.
pub fn signature(
    method: &str,
    url: &str,
    params: &[(&str, &str)],
    creds: &Credentials<'_>,
    nonce: &str,
    timestamp: u64,
) -> String {
    let timestamp = timestamp.to_string();
    let oauth = [
        ("oauth_consumer_key", creds.consumer_key),
        ("oauth_nonce", nonce),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", timestamp.as_str()),
        ("oauth_token", creds.token),
        ("oauth_version", "1.0"),
    ];
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .chain(oauth.iter())
        .map(|(k, v)| (pct(k), pct(v)))
        .collect();
    encoded.sort();
    let joined = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base = format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        pct(url),
        pct(&joined)
    );
    let key = format!("{}&{}", pct(creds.consumer_secret), pct(creds.token_secret));
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The `Authorization: OAuth …` header value for a request.
pub fn header(
    method: &str,
    url: &str,
    params: &[(&str, &str)],
    creds: &Credentials<'_>,
    nonce: &str,
    timestamp: u64,
) -> String {
    let sig = signature(method, url, params, creds, nonce, timestamp);
    let timestamp = timestamp.to_string();
    let fields = [
        ("oauth_consumer_key", creds.consumer_key),
        ("oauth_nonce", nonce),
        ("oauth_signature", sig.as_str()),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", timestamp.as_str()),
        ("oauth_token", creds.token),
        ("oauth_version", "1.0"),
    ];
    let parts: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", pct(k), pct(v)))
        .collect();
    format!("OAuth {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of X's documentation, "Creating a signature".
    #[test]
    fn reproduces_the_documented_example() {
        let creds = Credentials {
            consumer_key: "xvz1evFS4wEEPTGEFPHBog",
            consumer_secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            token_secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
        };
        let sig = signature(
            "post",
            "https://api.twitter.com/1.1/statuses/update.json",
            &[
                (
                    "status",
                    "Hello Ladies + Gentlemen, a signed OAuth request!",
                ),
                ("include_entities", "true"),
            ],
            &creds,
            "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
            1318622958,
        );
        assert_eq!(sig, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
    }

    #[test]
    fn percent_encoding_follows_rfc_3986() {
        assert_eq!(pct("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(pct("a-b.c_d~e!*'()"), "a-b.c_d~e%21%2A%27%28%29");
        assert_eq!(pct("õ"), "%C3%B5");
    }
}
