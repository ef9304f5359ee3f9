//! The settings of an `email` channel: `[channels.NAME]` with `kind = "email"`.
//!
//! Secrets (the SMTP password, the HMAC secret, the DKIM key) and the paths of the
//! subscriber and suppression files are never in the file: each is named by the
//! environment variable that holds it (`*_env`).

use lettre::message::Mailbox;
use serde::Deserialize;

/// A problem with one key of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub key: &'static str,
    pub message: String,
}

impl Problem {
    fn at(key: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            key,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `Name <address>`.
    pub from: String,
    pub reply_to: Option<String>,
    pub smtp_host: String,
    /// Default: 587 for STARTTLS, 465 for implicit TLS, 25 without TLS.
    pub smtp_port: Option<u16>,
    #[serde(default)]
    pub tls: Tls,
    pub smtp_user: Option<String>,
    pub password_env: Option<String>,
    /// An extra CA certificate (PEM) to trust, for a relay with a private CA.
    pub ca_file: Option<String>,
    /// The variable holding the path of the subscriber CSV (`email,name,lang`).
    pub subscribers_env: String,
    /// The variable holding the path of the suppression list (addresses or subscriber ids).
    pub suppression_env: Option<String>,
    /// The variable holding the secret that keys subscriber ids and unsubscribe tokens.
    pub secret_env: String,
    /// `List-Id`, e.g. `uudised.tartu.ee`.
    pub list_id: String,
    /// The personal unsubscribe link; `{token}` is replaced per subscriber.
    pub unsubscribe_url: String,
    /// An address for `mailto:` unsubscribe requests (`List-Unsubscribe`'s second URI).
    pub unsubscribe_mailto: Option<String>,
    /// The language of subscribers whose own language has no variant (default: `lang`).
    pub fallback_lang: Option<String>,
    /// The variable holding the DKIM private key (PEM, or the path of a PEM file).
    pub dkim_key_env: Option<String>,
    pub dkim_selector: Option<String>,
    /// Default: the domain of `from`.
    pub dkim_domain: Option<String>,
    /// Messages per second at most (a provider's sending limit); default: no limit.
    pub rate: Option<f64>,
    /// Messages in flight at once, each on its own SMTP connection.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
}

fn default_concurrency() -> usize {
    4
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// STARTTLS required (port 587); never falls back to plain text.
    #[default]
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
    /// No encryption: only for a server on this machine (127.0.0.1, localhost, ::1).
    None,
}

impl Config {
    /// Checks what can be checked without the environment.
    pub fn validate(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if !self.unsubscribe_url.contains("{token}") {
            problems.push(Problem::at(
                "unsubscribe_url",
                "`unsubscribe_url` must contain `{token}`, which becomes each subscriber's personal unsubscribe token",
            ));
        } else if !self.unsubscribe_url.starts_with("https://") {
            problems.push(Problem::at(
                "unsubscribe_url",
                "`unsubscribe_url` must start with https:// (mail providers offer one-click unsubscribe only for HTTPS links)",
            ));
        } else if let Err(why) =
            crate::announcement::check_url(&self.unsubscribe_url.replace("{token}", "t"))
        {
            problems.push(Problem::at(
                "unsubscribe_url",
                format!("`unsubscribe_url` {why}"),
            ));
        }
        if self.smtp_user.is_some() != self.password_env.is_some() {
            problems.push(Problem::at(
                "smtp_user",
                "set both `smtp_user` and `password_env`, or neither",
            ));
        }
        if let Err(e) = self.from.parse::<Mailbox>() {
            problems.push(Problem::at(
                "from",
                format!(
                    "`from` is not a valid sender ({e}); write it as \"Name <address@domain>\""
                ),
            ));
        }
        if let Some(r) = &self.reply_to
            && r.parse::<Mailbox>().is_err()
        {
            problems.push(Problem::at(
                "reply_to",
                "`reply_to` is not a valid address; write it as \"address@domain\" or \"Name <address@domain>\"",
            ));
        }
        if let Some(m) = &self.unsubscribe_mailto
            && m.parse::<lettre::Address>().is_err()
        {
            problems.push(Problem::at(
                "unsubscribe_mailto",
                "`unsubscribe_mailto` must be a plain address such as \"unsubscribe@example.org\"",
            ));
        }
        if !self.list_id.contains('.')
            || !self
                .list_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        {
            problems.push(Problem::at(
                "list_id",
                "`list_id` must look like a domain name, e.g. \"news.example.org\" (letters, digits, dots, hyphens)",
            ));
        }
        if let Some(l) = &self.fallback_lang
            && !crate::announcement::is_language_tag(l)
        {
            problems.push(Problem::at(
                "fallback_lang",
                format!("`fallback_lang` must be a language code such as \"et\", found \"{l}\""),
            ));
        }
        if self.dkim_key_env.is_some() != self.dkim_selector.is_some() {
            problems.push(Problem::at(
                "dkim_selector",
                "set both `dkim_key_env` and `dkim_selector` to sign with DKIM, or neither",
            ));
        }
        if let Some(rate) = self.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            problems.push(Problem::at(
                "rate",
                "`rate` is messages per second and must be more than 0 (e.g. `rate = 14`)",
            ));
        }
        if !(1..=64).contains(&self.concurrency) {
            problems.push(Problem::at(
                "concurrency",
                "`concurrency` must be between 1 and 64 (connections at once)",
            ));
        }
        if self.tls == Tls::None && !is_loopback(&self.smtp_host) {
            problems.push(Problem::at(
                "tls",
                "`tls = \"none\"` sends passwords and addresses unencrypted; it is allowed only for a server on this machine (127.0.0.1, localhost); use \"starttls\" or \"tls\"",
            ));
        }
        problems
    }

    pub fn port(&self) -> u16 {
        self.smtp_port.unwrap_or(match self.tls {
            Tls::Starttls => 587,
            Tls::Tls => 465,
            Tls::None => 25,
        })
    }

    pub fn from_mailbox(&self) -> Mailbox {
        self.from
            .parse()
            .expect("validated when the channel was built")
    }

    /// The domain messages are sent from: `Message-ID`s and the default DKIM domain.
    pub fn sending_domain(&self) -> String {
        self.from_mailbox().email.domain().to_owned()
    }

    pub fn dkim_domain(&self) -> String {
        self.dkim_domain
            .clone()
            .unwrap_or_else(|| self.sending_domain())
    }

    /// `smtp://host:port` or `smtps://…`, for messages (never with credentials).
    pub fn server(&self) -> String {
        let scheme = match self.tls {
            Tls::Starttls | Tls::None => "smtp",
            Tls::Tls => "smtps",
        };
        format!("{scheme}://{}:{}", self.smtp_host, self.port())
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
