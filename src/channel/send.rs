//! Sending: what a channel needs to publish one part, and how it reports the outcome.
//!
//! Errors say whether trying again can help ([`SendError::Transient`]) and whether the
//! request may already have taken effect (`maybe_sent`). The engine retries only what is
//! safe: a request that never left, or one the platform de-duplicates by key.

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One part to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Stable per (variant, channel, part, content): the idempotency key.
    pub key: String,
    pub text: String,
    pub lang: String,
    /// 1-based position in the thread.
    pub part: u32,
    /// The remote id of the part this one replies to (threads).
    pub reply_to: Option<String>,
    /// The remote id of the thread's first part (Bluesky replies name both).
    pub thread_root: Option<String>,
    /// Images to attach (first part only): absolute path and alt text.
    pub images: Vec<(std::path::PathBuf, String)>,
    /// What the announcement is: its link card (see [`Outgoing::card`]), and all of it for
    /// kinds that list it whole (feeds).
    pub about: std::sync::Arc<About>,
    /// The remote id chosen before the first attempt (see [`Sender::plan`]), the same in
    /// every attempt at this content.
    pub planned_id: Option<String>,
}

/// The announcement a part belongs to, as its front matter says.
#[derive(Debug, Clone, PartialEq)]
pub struct About {
    pub id: String,
    pub title: String,
    pub summary: Option<String>,
    pub link: Option<String>,
    pub tags: Vec<String>,
    /// When it was scheduled (the approved `publish_at`).
    pub publish_at: Option<jiff::Timestamp>,
}

/// The announcement's `link` with what a platform shows on its preview card. Some
/// platforms (LinkedIn, Bluesky) do not fetch the page, so Herald supplies title and
/// description.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkCard {
    pub url: String,
    pub title: String,
    pub description: Option<String>,
}

impl LinkCard {
    /// The card of an announcement: its `link`, `title` and `summary`.
    pub fn of(front: &crate::announcement::FrontMatter) -> Option<LinkCard> {
        front.link.as_ref().map(|url| LinkCard {
            url: url.clone(),
            title: front.title.clone(),
            description: front.summary.clone(),
        })
    }
}

impl Outgoing {
    /// The announcement's link, for platforms that take it apart from the text: on the
    /// first part only.
    pub fn card(&self) -> Option<LinkCard> {
        let about = &self.about;
        (self.part == 1)
            .then_some(about.link.as_ref())
            .flatten()
            .map(|url| LinkCard {
                url: url.clone(),
                title: about.title.clone(),
                description: about.summary.clone(),
            })
    }

    /// The images as files to upload, read now (each within Herald's image size limit),
    /// with their alt text.
    pub fn files(&self) -> Result<Vec<(super::transport::File, String)>, SendError> {
        let read = self.image_files()?;
        Ok(read
            .into_iter()
            .zip(&self.images)
            .map(|((name, bytes, alt), (path, _))| {
                (
                    super::transport::File {
                        path: path.clone(),
                        name,
                        bytes,
                    },
                    alt,
                )
            })
            .collect())
    }

    /// The images' bytes, read now (each within Herald's image size limit).
    pub fn image_files(&self) -> Result<Vec<(String, Vec<u8>, String)>, SendError> {
        self.images
            .iter()
            .map(|(path, alt)| {
                let name = path
                    .file_name()
                    .map_or("image".into(), |n| n.to_string_lossy().into_owned());
                crate::limits::read_limited(path, crate::limits::IMAGE_BYTES, "image")
                    .map(|bytes| (name, bytes, alt.clone()))
                    .map_err(|e| {
                        SendError::permanent(format!(
                            "cannot read the image {}: {e}",
                            path.display()
                        ))
                    })
            })
            .collect()
    }
}

/// A part that went out, as the ledger knows it: what an edit or a delete names.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// The id the platform gave it (or the last edit gave it: X gives each edit a new
    /// id).
    pub remote_id: String,
    pub url: Option<String>,
    /// When it was posted (Telegram deletes only within 48 hours of this).
    pub posted_at: jiff::Timestamp,
    /// 1-based part of the thread.
    pub part: u32,
    /// How many images it carries (the first part), when the ledger knows: an edit
    /// without images that keeps them changes only the text (Telegram: the caption).
    pub media: Option<usize>,
}

/// What the platform gave back.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub remote_id: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// May succeed later: timeouts, connection errors, 5xx, 429.
    #[error("{message}")]
    Transient {
        message: String,
        /// How long the platform asked us to wait.
        retry_after: Option<Duration>,
        /// The request may have been processed (a timeout after sending, a lost answer).
        maybe_sent: bool,
        /// The platform gave no HTTP answer at all (no such name, nothing listening, no
        /// answer in time, a failed TLS handshake): what it says about the credentials
        /// is nothing. `None` for every answer the platform gave.
        unreached: Option<Unreached>,
    },
    /// Will not succeed as it is: other 4xx, a missing secret. `status`: the HTTP status
    /// the platform refused with, if it was one.
    #[error("{message}")]
    Permanent {
        message: String,
        status: Option<u16>,
    },
}

impl SendError {
    pub fn permanent(message: impl Into<String>) -> Self {
        SendError::Permanent {
            message: message.into(),
            status: None,
        }
    }
}

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens at that address (connection refused).
    Refused,
    /// No answer in time.
    Timeout,
    /// The secure connection could not be set up (certificate, protocol).
    Tls,
    /// The connection broke some other way.
    Connection,
}

/// A platform that was not reached: why, and where (scheme, host and port only; the
/// path can hold a secret, as Telegram's bot token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreached {
    pub why: NoAnswer,
    /// `mastodon.social`, `127.0.0.1:9`.
    pub host: String,
    /// `https://mastodon.social`.
    pub origin: String,
}

impl Unreached {
    /// What `herald doctor` says: "cannot reach mastodon.social
    /// (https://mastodon.social/…): the name is not found (DNS); check the network
    /// connection, the address in the configuration (`base_url`), or a proxy". `address`
    /// is where the configuration gives the address: a key (`` `base_url` ``) or the
    /// variable that holds it.
    pub fn doctor_message(&self, address: &str) -> String {
        let Unreached { host, origin, why } = self;
        let why = match why {
            NoAnswer::Dns => format!("the name {} is not found (DNS)", host_name(host)),
            NoAnswer::Refused => "nothing answers at that address (connection refused)".into(),
            NoAnswer::Timeout => "no answer in time (timed out)".into(),
            NoAnswer::Tls => {
                return format!(
                    "cannot reach {host} ({origin}/…) securely: the TLS handshake failed; check \
                     the address in the configuration ({address}), the system's certificates, \
                     or a proxy that intercepts HTTPS"
                );
            }
            NoAnswer::Connection => "the connection failed".into(),
        };
        format!(
            "cannot reach {host} ({origin}/…): {why}; check the network connection, the address \
             in the configuration ({address}), or a proxy"
        )
    }
}

/// `host` without its `:port`.
fn host_name(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.ends_with(':') => {
            name
        }
        _ => host,
    }
}

/// A doctor check's error: that the platform was not reached when it was not (see
/// [`Unreached::doctor_message`]), else `otherwise` (what an answer of the platform
/// means: "the access token does not work: …").
pub fn doctor_error(e: &SendError, address: &str, otherwise: impl FnOnce() -> String) -> Finding {
    match e {
        SendError::Transient {
            unreached: Some(u), ..
        } => Finding::error(u.doctor_message(address)),
        _ => Finding::error(otherwise()),
    }
}

/// The answer of an own-posts lookup for an in-doubt part.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Found(Receipt),
    NotFound,
    /// The platform offers no way to know.
    Unsupported,
}

/// A channel ready to send, holding its secrets.
pub trait Sender: Send + Sync {
    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>>;

    /// Whether sending the same key twice creates one post (an idempotency key honoured
    /// by the platform). Then an in-doubt part is reconciled by sending it again.
    fn idempotent(&self) -> bool {
        false
    }

    /// How long the platform remembers what was sent under a key, when
    /// [`idempotent`](Sender::idempotent). Past it, an in-doubt part is looked up instead.
    fn keeps_keys_for(&self) -> jiff::SignedDuration {
        // Mastodon keeps idempotency keys for an hour; a margin for clock drift.
        jiff::SignedDuration::from_mins(55)
    }

    /// A remote id to choose before the first attempt, for platforms where the client
    /// names what it creates (a Bluesky record key). It goes into the `started` record,
    /// so every later attempt, in this run or after a crash, writes the same thing. It
    /// should follow from `part` alone (its key and announcement), so that even a run
    /// whose ledger was lost chooses the same id.
    fn plan(&self, part: &Outgoing) -> Option<String> {
        let _ = part;
        None
    }

    /// Looks for an earlier post of `part` among the account's own posts.
    fn lookup<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Lookup, SendError>> {
        let _ = part;
        Box::pin(async { Ok(Lookup::Unsupported) })
    }

    /// Changes a part that went out (`live`) to say what `part` says: its text and, on
    /// the first part, its images and link card where the platform allows changing them.
    /// Its answer names the post as it is now (X gives an edited post a new id). Called
    /// only for channels whose [`Changes::edit`](crate::platform::Changes) is set.
    fn edit<'a>(
        &'a self,
        live: &'a Live,
        part: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Receipt, SendError>> {
        let _ = (live, part);
        Box::pin(async { Err(SendError::permanent("this network cannot edit a post")) })
    }

    /// Whether making the same edit twice leaves one edited post (true of every network
    /// Herald edits on, except X, where each edit is a new post). Then an edit in doubt
    /// is simply made again.
    fn edit_is_idempotent(&self) -> bool {
        true
    }

    /// Deletes a part that went out. A post that is already gone (404) is deleted: the
    /// answer is `Ok`, so a delete in doubt is simply made again. Called only for
    /// channels whose [`Changes::delete`](crate::platform::Changes) allows it.
    fn delete<'a>(&'a self, live: &'a Live) -> BoxFuture<'a, Result<(), SendError>> {
        let _ = live;
        Box::pin(async { Err(SendError::permanent("this network cannot delete a post")) })
    }

    /// What the last [`send`](Sender::send) sent differently from the post as rendered,
    /// and why ("@x.example could not be resolved: sent without its mention link"),
    /// taken once. The dry run and the publish report print them.
    fn take_notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// Secrets the platform handed out during this run (a session token), which must be
    /// kept out of every message as much as the configured ones.
    fn issued_secrets(&self) -> Vec<SecretString> {
        Vec::new()
    }

    /// Read-only checks for `herald doctor`: the credentials work, the account is the
    /// expected one, the platform's own limits. Never posts or changes anything.
    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async { vec![Finding::info("no online check for this kind")] })
    }
}

/// One line of `herald doctor` about a channel.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    pub level: Level,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Works.
    Ok,
    /// Facts worth knowing (an instance's limits).
    Info,
    /// Works now but needs attention soon (a token about to expire).
    Warning,
    /// Publishing would fail.
    Error,
}

impl Finding {
    pub fn ok(message: impl Into<String>) -> Self {
        Finding {
            level: Level::Ok,
            message: message.into(),
        }
    }
    pub fn info(message: impl Into<String>) -> Self {
        Finding {
            level: Level::Info,
            message: message.into(),
        }
    }
    pub fn warning(message: impl Into<String>) -> Self {
        Finding {
            level: Level::Warning,
            message: message.into(),
        }
    }
    pub fn error(message: impl Into<String>) -> Self {
        Finding {
            level: Level::Error,
            message: message.into(),
        }
    }
}

/// A secret read from the environment; never printed (`Debug` shows `[REDACTED]`).
pub fn secret(
    env: &std::collections::BTreeMap<String, String>,
    name: &str,
    what: &str,
) -> Result<SecretString, String> {
    match env.get(name).filter(|v| !v.is_empty()) {
        Some(v) => Ok(SecretString::from(v.clone())),
        None => Err(format!("the {what} variable `{name}` is not set")),
    }
}

/// `Bearer …` for an Authorization header.
pub fn bearer(token: &SecretString) -> String {
    format!("Bearer {}", token.expose_secret())
}

/// The shared HTTP client: rustls, timeouts, a user agent, no redirects.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(concat!("herald/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10).min(timeout))
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the HTTP client builds")
}

/// Classifies a transport error. The URL is left out of the message (some platforms put
/// secrets in it); `unreached` keeps only its scheme, host and port.
pub fn from_reqwest(e: reqwest::Error) -> SendError {
    let maybe_sent = !e.is_connect();
    let what = if e.is_timeout() {
        "the request timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the connection failed"
    };
    let unreached = unreached(&e);
    let detail = e.without_url().to_string();
    SendError::Transient {
        message: format!("{what}: {detail}"),
        retry_after: None,
        maybe_sent,
        unreached,
    }
}

/// Whether `e` is a TLS error, or an I/O error that carries one inside it (`get_ref`,
/// which is not its `source`), however deep.
fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    if e.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    e.downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .is_some_and(|inner| is_tls(inner))
}

/// Why `e` got no HTTP answer, when it got none. reqwest says whether it timed out or
/// could not connect; the cause chain says the rest: a `rustls::Error` is TLS, an I/O
/// error `ConnectionRefused` is nothing listening, and hyper's connector names a failed
/// name lookup "dns error".
fn unreached(e: &reqwest::Error) -> Option<Unreached> {
    let url = e.url()?;
    let mut causes = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = next {
        causes.push(c);
        next = c.source();
    }
    let why = if causes.iter().any(|c| is_tls(*c)) {
        NoAnswer::Tls
    } else if e.is_timeout() {
        NoAnswer::Timeout
    } else if causes.iter().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
    }) {
        NoAnswer::Refused
    } else if causes.iter().any(|c| c.to_string() == "dns error") {
        NoAnswer::Dns
    } else if e.is_connect() || e.is_request() {
        NoAnswer::Connection
    } else {
        return None;
    };
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => return None,
    };
    Some(Unreached {
        why,
        origin: format!("{}://{host}", url.scheme()),
        host,
    })
}

/// Classifies an HTTP error status. `429` and `503` mean the request was not processed;
/// other 5xx may have been.
pub fn from_status(status: u16, retry_after: Option<Duration>, body: &str) -> SendError {
    let detail = short(body);
    match status {
        429 => SendError::Transient {
            message: format!("rate limited (429): {detail}"),
            retry_after,
            maybe_sent: false,
            unreached: None,
        },
        500..=599 => SendError::Transient {
            message: format!("server error ({status}): {detail}"),
            retry_after,
            maybe_sent: status != 503,
            unreached: None,
        },
        _ => SendError::Permanent {
            message: format!("refused ({status}): {detail}"),
            status: Some(status),
        },
    }
}

fn short(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &body[..i]),
        None => body.to_owned(),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare on these APIs and is ignored).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// A success answer (2xx) that does not say what it created: no id, or not readable.
/// The platform accepted the request, so the post probably exists: it is in doubt (and
/// looked up, or sent again under its idempotency key), never a permanent failure.
/// `problem` says what is wrong with the answer ("has no post id").
pub fn accepted_without_id(platform: &str, problem: &str) -> SendError {
    SendError::Transient {
        message: format!("{platform} accepted the post but its answer {problem}"),
        retry_after: None,
        maybe_sent: true,
        unreached: None,
    }
}

/// The id in a success answer: a string that is not blank.
pub fn id_in(value: &Value) -> Option<&str> {
    value.as_str().filter(|s| !s.trim().is_empty())
}

/// For a step that publishes nothing (an image upload before the post): whatever
/// happened to it, no post exists yet, so trying again cannot post twice.
pub fn before_posting(e: SendError) -> SendError {
    match e {
        SendError::Transient {
            message,
            retry_after,
            unreached,
            ..
        } => SendError::Transient {
            message,
            retry_after,
            maybe_sent: false,
            unreached,
        },
        other => other,
    }
}

/// Text compared for an own-posts lookup: white space folded (platforms trim and
/// re-wrap what they store).
pub fn fold_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The MIME type of an image, from its first bytes.
pub fn image_mime(bytes: &[u8]) -> &'static str {
    crate::platform::media::sniff(bytes).map_or("application/octet-stream", |f| f.mime())
}

/// `url?k=v&…` with keys and values percent-encoded as RFC 3986 asks (what OAuth 1.0a
/// signs, too): only letters, digits and `-._~` stay as they are.
pub fn with_query(url: &str, query: &[(&str, &str)]) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let pct = |s: &str| percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string();
    let pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", pct(k), pct(v)))
        .collect();
    if pairs.is_empty() {
        url.to_owned()
    } else {
        format!("{url}?{}", pairs.join("&"))
    }
}
