//! Keeping secrets out of what servers say.
//!
//! A server's answer is not Herald's to trust: a proxy that says "Cannot POST
//! /bot123:ABC/sendMessage", an API that echoes the request's headers or body in its
//! error, would put a token into the publish report, `status` and the committed ledger.
//! Every text that comes back through a channel's [`Sender`] passes through [`Scrubbed`],
//! which replaces every secret value by the name of the variable it came from.
//!
//! A secret is found however the request carried it and however a server might echo it:
//! as it is, percent-encoded (any letter case, `+` for a space, some characters encoded and
//! others not), JSON-escaped (`\u0041`, `\/`) or as an HTML entity. A secret that is a URL
//! (a webhook) is also found by its path and query and by its long path segments, which is
//! what a server echoes. Tokens a platform hands out during a run (a Bluesky session) are
//! removed too ([`Sender::issued_secrets`]).

use super::send::{BoxFuture, Finding, Lookup, Outgoing, Receipt, SendError, Sender};
use regex::{NoExpand, Regex};
use secrecy::{ExposeSecret, SecretString};
use std::borrow::Cow;

/// Path segments of a secret URL at least this long are secret on their own (a
/// Discord webhook's token, a Slack webhook's last segment).
const SEGMENT_MIN: usize = 16;

/// Values longer than this (in bytes) are matched literally.
const LONG: usize = 512;

/// Finds secret values in text and replaces them with a label.
#[derive(Default)]
pub struct Scrubber {
    /// Longest value first, so that a secret containing another is replaced whole.
    patterns: Vec<(usize, Regex, String)>,
}

impl Scrubber {
    pub fn new() -> Scrubber {
        Scrubber::default()
    }

    /// The scrubber for everything a channel's servers say: each of its `secrets`, by the
    /// name of its variable. For an email list also the forms SMTP AUTH sends the login
    /// in (base64 of the password, and of `\0user\0password` for PLAIN), which a server
    /// may quote back in an error.
    pub fn for_channel(
        secrets: &[super::SecretRef<'_>],
        email: Option<&crate::email::Config>,
        env: &std::collections::BTreeMap<String, String>,
    ) -> Scrubber {
        use base64::Engine as _;
        let b64 = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
        let mut scrubber = Scrubber::new();
        for s in secrets {
            let Some(value) = env.get(s.env).filter(|v| !v.is_empty()) else {
                continue;
            };
            let label = format!("${}", s.env);
            if *value == label {
                // The dry run's placeholder for the secret: it would replace itself.
                continue;
            }
            scrubber.add(value, &label);
            if let Some(config) = email
                && config.password_env.as_deref() == Some(s.env)
            {
                scrubber.add(&b64(value), &label);
                let user = config.smtp_user.as_deref().unwrap_or_default();
                scrubber.add(&b64(&format!("\0{user}\0{value}")), &label);
            }
        }
        scrubber
    }

    /// Adds `value` (and, for a URL, its secret parts), replaced by `label`.
    pub fn add(&mut self, value: &str, label: &str) {
        for form in forms(value) {
            if form.is_empty() {
                continue;
            }
            // A long value (a PEM key) is looked for as it is: a server never echoes one,
            // and a pattern per character would be large.
            let source = if form.len() > LONG {
                regex::escape(&form)
            } else {
                pattern(&form)
            };
            let regex = Regex::new(&source).expect("the secret pattern is valid");
            self.patterns
                .push((form.chars().count(), regex, label.to_owned()));
        }
        self.patterns.sort_by_key(|p| std::cmp::Reverse(p.0));
    }

    /// `text` with every secret replaced.
    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for (_, regex, label) in &self.patterns {
            if let Cow::Owned(s) = regex.replace_all(&out, NoExpand(label)) {
                out = Cow::Owned(s);
            }
        }
        out
    }
}

/// The values to look for: the secret, and for a URL the parts a server echoes.
fn forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    let lower = value.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return forms;
    }
    let Ok(url) = reqwest::Url::parse(value) else {
        return forms;
    };
    // What goes on the wire, as the URL library writes it.
    forms.push(url.as_str().to_owned());
    let path = url.path();
    if path != "/" && !path.is_empty() {
        forms.push(path.to_owned());
        if let Some(q) = url.query() {
            forms.push(format!("{path}?{q}"));
        }
    }
    if let Some(q) = url.query().filter(|q| !q.is_empty()) {
        forms.push(q.to_owned());
    }
    for segment in path.split('/') {
        if segment.chars().count() >= SEGMENT_MIN {
            forms.push(segment.to_owned());
        }
    }
    if let Some(password) = url.password() {
        forms.push(password.to_owned());
    }
    forms
}

/// A regular expression that matches `value` with each character in any of the forms
/// it can take in a URL, a form, JSON or HTML.
fn pattern(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        let mut alts = vec![regex::escape(&c.to_string())];
        let mut utf8 = [0u8; 4];
        let percent: String = c
            .encode_utf8(&mut utf8)
            .bytes()
            .map(|b| format!("%(?i:{b:02x})"))
            .collect();
        alts.push(percent);
        if c == ' ' {
            alts.push(r"\+".into());
        }
        // JSON: `\uXXXX` (a surrogate pair beyond the BMP) and the short escapes.
        let mut units = [0u16; 2];
        let json: String = c
            .encode_utf16(&mut units)
            .iter()
            .map(|u| format!(r"\\u(?i:{u:04x})"))
            .collect();
        alts.push(json);
        if matches!(c, '"' | '\\' | '/') {
            alts.push(regex::escape(&format!("\\{c}")));
        }
        // HTML: numeric character references, and the named ones an escaper uses.
        let n = c as u32;
        alts.push(format!("&#(?:(?i:x)0*(?i:{n:x})|0*{n});"));
        let named = match c {
            '&' => Some("&amp;"),
            '<' => Some("&lt;"),
            '>' => Some("&gt;"),
            '"' => Some("&quot;"),
            '\'' => Some("&apos;"),
            _ => None,
        };
        if let Some(name) = named {
            alts.push(regex::escape(name));
        }
        out.push_str("(?:");
        out.push_str(&alts.join("|"));
        out.push(')');
    }
    out
}

/// A sender whose every answer (errors, receipts, doctor findings) is scrubbed of the
/// channel's secrets.
pub struct Scrubbed {
    inner: Box<dyn Sender>,
    scrubber: Scrubber,
}

impl Scrubbed {
    pub fn new(inner: Box<dyn Sender>, scrubber: Scrubber) -> Scrubbed {
        Scrubbed { inner, scrubber }
    }

    fn text(&self, text: &str) -> String {
        const MIN_ISSUED: usize = 8;
        let mut out = self.scrubber.scrub(text).into_owned();
        for issued in self.inner.issued_secrets() {
            let value = issued.expose_secret();
            // Real session tokens are long (a JWT); a value of a few characters would
            // replace ordinary letters everywhere and say nothing a reader could use.
            if value.chars().count() >= MIN_ISSUED && out.contains(value) {
                out = out.replace(value, "[session token]");
            }
        }
        out
    }

    fn error(&self, e: SendError) -> SendError {
        match e {
            SendError::Transient {
                message,
                retry_after,
                maybe_sent,
                unreached,
            } => SendError::Transient {
                message: self.text(&message),
                retry_after,
                maybe_sent,
                unreached,
            },
            SendError::Permanent { message, status } => SendError::Permanent {
                message: self.text(&message),
                status,
            },
        }
    }

    fn receipt(&self, r: Receipt) -> Receipt {
        Receipt {
            remote_id: self.text(&r.remote_id),
            url: r.url.map(|u| self.text(&u)),
        }
    }
}

impl Sender for Scrubbed {
    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            match self.inner.send(part).await {
                Ok(r) => Ok(self.receipt(r)),
                Err(e) => Err(self.error(e)),
            }
        })
    }

    fn edit<'a>(
        &'a self,
        live: &'a super::send::Live,
        part: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            match self.inner.edit(live, part).await {
                Ok(r) => Ok(self.receipt(r)),
                Err(e) => Err(self.error(e)),
            }
        })
    }

    fn edit_is_idempotent(&self) -> bool {
        self.inner.edit_is_idempotent()
    }

    fn delete<'a>(&'a self, live: &'a super::send::Live) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move { self.inner.delete(live).await.map_err(|e| self.error(e)) })
    }

    fn idempotent(&self) -> bool {
        self.inner.idempotent()
    }

    fn keeps_keys_for(&self) -> jiff::SignedDuration {
        self.inner.keeps_keys_for()
    }

    fn plan(&self, part: &Outgoing) -> Option<String> {
        self.inner.plan(part)
    }

    fn lookup<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Lookup, SendError>> {
        Box::pin(async move {
            match self.inner.lookup(part).await {
                Ok(Lookup::Found(r)) => Ok(Lookup::Found(self.receipt(r))),
                Ok(other) => Ok(other),
                Err(e) => Err(self.error(e)),
            }
        })
    }

    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            self.inner
                .doctor()
                .await
                .into_iter()
                .map(|f| Finding {
                    message: self.text(&f.message),
                    ..f
                })
                .collect()
        })
    }

    fn take_notes(&self) -> Vec<String> {
        self.inner
            .take_notes()
            .iter()
            .map(|n| self.text(n))
            .collect()
    }

    fn issued_secrets(&self) -> Vec<SecretString> {
        self.inner.issued_secrets()
    }
}

#[cfg(test)]
mod tests {
    use super::Scrubber;

    fn scrubber(value: &str) -> Scrubber {
        let mut s = Scrubber::new();
        s.add(value, "$TOKEN");
        s
    }

    #[test]
    fn finds_the_secret_in_every_encoding() {
        let s = scrubber("123456:AB c/d+é\"");
        for echoed in [
            "123456:AB c/d+é\"",
            "123456%3AAB%20c%2Fd%2B%C3%A9%22",
            "123456%3aAB+c%2fd%2b%c3%a9%22",
            "123456:AB%20c/d+%C3%A9\"",
            r#"123456:AB c\/d+\u00e9\""#,
            r"123456\u003aAB\u0020c/d+\u00E9\u0022",
            "123456&#58;AB&#x20;c/d+&eacute;&quot;"
                .replace("&eacute;", "&#xE9;")
                .as_str(),
        ] {
            let text = format!("Cannot POST /bot{echoed}/sendMessage");
            assert_eq!(
                s.scrub(&text),
                "Cannot POST /bot$TOKEN/sendMessage",
                "{echoed}"
            );
        }
    }

    #[test]
    fn a_url_secret_is_found_by_its_path_and_long_segments() {
        let s =
            scrubber("https://discord.example/api/webhooks/123/AbCdEfGhIjKlMnOpQrSt?thread_id=9");
        for (text, want) in [
            (
                "POST https://discord.example/api/webhooks/123/AbCdEfGhIjKlMnOpQrSt?thread_id=9",
                "POST $TOKEN",
            ),
            (
                "Cannot POST /api/webhooks/123/AbCdEfGhIjKlMnOpQrSt?thread_id=9&wait=true",
                "Cannot POST $TOKEN&wait=true",
            ),
            (
                "no webhook at /api/webhooks/123/AbCdEfGhIjKlMnOpQrSt",
                "no webhook at $TOKEN",
            ),
            ("invalid token AbCdEfGhIjKlMnOpQrSt", "invalid token $TOKEN"),
        ] {
            assert_eq!(s.scrub(text), want);
        }
    }

    #[test]
    fn other_text_is_left_alone() {
        let s = scrubber("tok-1234");
        assert_eq!(
            s.scrub("refused (401): bad token tok-123"),
            "refused (401): bad token tok-123"
        );
    }
}
