//! Channels: where posts go. One file per kind; each kind owns its configuration table.
//!
//! A [`Channel`] knows how its platform counts text and what it allows (its [`Rules`]),
//! and connects a [`send::Sender`] that builds each request it sends in one place and
//! sends it through a [`transport::Transport`]. Publishing uses the real transport; the
//! dry run and the approval digest run the same sender on a recording one, which writes
//! each call down as the [`Request`] the dry run prints (see [`crate::dry_run`]), so the
//! dry run shows exactly what would go out.

mod bluesky;
mod discord;
mod email;
pub use email::request as email_request;
mod facebook;
mod feed;
mod linkedin;
mod mastodon;
pub mod oauth1;
mod record;
pub mod scrub;
pub mod send;
mod slack;
mod telegram;
pub mod transport;
mod x;

use crate::render::{Counter, ImageFormat};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::fmt;

/// The kinds of SPEC §4, plus `record`, a channel that writes what it would send to a
/// file (for trying Herald out and for tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Mastodon,
    Bluesky,
    X,
    Facebook,
    Linkedin,
    Telegram,
    Discord,
    Slack,
    Email,
    Feed,
    Record,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Mastodon,
        Kind::Bluesky,
        Kind::X,
        Kind::Facebook,
        Kind::Linkedin,
        Kind::Telegram,
        Kind::Discord,
        Kind::Slack,
        Kind::Email,
        Kind::Feed,
        Kind::Record,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Mastodon => "mastodon",
            Kind::Bluesky => "bluesky",
            Kind::X => "x",
            Kind::Facebook => "facebook",
            Kind::Linkedin => "linkedin",
            Kind::Telegram => "telegram",
            Kind::Discord => "discord",
            Kind::Slack => "slack",
            Kind::Email => "email",
            Kind::Feed => "feed",
            Kind::Record => "record",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which templates a kind renders and how they are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `post.txt`: plain text, no escaping.
    Text,
    /// `post.html`: HTML-escaped (Telegram's HTML parse mode).
    Html,
    /// `subject.txt`, `body.txt`, `body.html`.
    Email,
    /// `item.html`: the feed entry's content.
    Feed,
}

/// What a platform allows and how it counts.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub counter: Counter,
    /// Text limit of one post (one thread part), if any.
    pub limit: Option<usize>,
    /// A second limit in UTF-8 bytes (Bluesky).
    pub byte_limit: Option<usize>,
    /// Limit of the first part when it carries images (Telegram captions).
    pub caption_limit: Option<usize>,
    /// Whether a long post can become a thread of replies.
    pub threads: bool,
    pub max_images: usize,
    pub alt_limit: Option<usize>,
    /// Largest image file the platform takes.
    pub image_bytes: Option<u64>,
    /// Image formats the platform takes (empty: any).
    pub image_formats: &'static [ImageFormat],
    /// Longest hashtag the platform links, in characters.
    pub tag_limit: Option<usize>,
    pub shape: Shape,
}

/// JPEG, PNG, GIF and WebP: what most platforms take.
pub const WEB_IMAGES: &[ImageFormat] = &[
    ImageFormat::Jpeg,
    ImageFormat::Png,
    ImageFormat::Gif,
    ImageFormat::Webp,
];

/// One request a channel would send, as the recording transport writes it down: for
/// HTTP, the method and URL (secrets replaced by the name of their environment variable)
/// and the body as JSON (multipart fields by name, uploaded files by their path).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    pub action: String,
    pub body: Value,
}

/// An environment variable a channel reads a secret from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretRef<'a> {
    /// What the secret is, for messages ("access token").
    pub what: &'static str,
    pub env: &'a str,
}

/// A channel instance, created by name from `[channels.NAME]`.
pub trait Channel: Send + Sync {
    fn base(&self) -> &Base;
    fn kind(&self) -> Kind;
    /// The instance name, `NAME` of `[channels.NAME]`.
    fn name(&self) -> &str {
        &self.base().name
    }
    /// The language of the variants this channel posts (email: the fallback language).
    fn lang(&self) -> &str {
        &self.base().lang
    }
    fn rules(&self) -> Rules;
    /// The environment variables this channel's secrets come from.
    fn secrets(&self) -> Vec<SecretRef<'_>>;
    /// A sender holding this channel's secrets, or why there can be none (a secret is
    /// not set; the kind cannot post yet). Every text it gives back (errors, receipts,
    /// doctor findings) has the channel's secrets scrubbed out ([`scrub`]). Kinds
    /// implement [`connect`](Channel::connect); this is what callers use, and it is not
    /// meant to be overridden.
    fn sender(&self, ctx: &SendContext<'_>) -> Result<Box<dyn send::Sender>, String> {
        let scrubber = scrub::Scrubber::for_channel(&self.secrets(), self.email(), ctx.env);
        match self.connect(ctx) {
            Ok(inner) => Ok(Box::new(scrub::Scrubbed::new(inner, scrubber))),
            Err(why) => Err(scrubber.scrub(&why).into_owned()),
        }
    }

    /// The kind's own sender (see [`sender`](Channel::sender)).
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn send::Sender>, String> {
        let _ = ctx;
        Err(format!(
            "posting to {} is not built yet; `herald publish --dry-run` shows what it would send",
            self.kind()
        ))
    }

    /// Whether this channel takes variants in every language (email lists, where each
    /// subscriber gets their own language) rather than only its own.
    fn multilingual(&self) -> bool {
        false
    }

    /// An email list's settings (email lists are sent by [`crate::email`], not per part).
    fn email(&self) -> Option<&crate::email::Config> {
        None
    }
}

/// What building a sender needs.
pub struct SendContext<'a> {
    pub env: &'a std::collections::BTreeMap<String, String>,
    pub root: &'a std::path::Path,
    /// How requests reach the platform: sent, or recorded for the dry run.
    pub transport: &'a transport::Transport,
}

/// The identity every channel has.
#[derive(Debug, Clone)]
pub struct Base {
    pub name: String,
    pub lang: String,
}

/// A problem with a channel's configuration table, with the key it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigProblem {
    pub key: Option<String>,
    pub message: String,
}

impl ConfigProblem {
    pub fn at(key: &str, message: impl Into<String>) -> Self {
        ConfigProblem {
            key: Some(key.to_owned()),
            message: message.into(),
        }
    }
}

/// Creates the channel `name` from its configuration table.
pub fn from_config(
    name: &str,
    mut table: Map<String, Value>,
) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
    let mut problems = Vec::new();
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        problems.push(ConfigProblem {
            key: None,
            message: "channel names use lowercase letters, digits, `_` and `-`".into(),
        });
    }
    let kind = match table.remove("kind") {
        Some(Value::String(k)) => match Kind::parse(&k) {
            Some(kind) => Some(kind),
            None => {
                let names = Kind::ALL.map(Kind::name);
                problems.push(ConfigProblem::at(
                    "kind",
                    format!(
                        "unknown kind `{k}`{}",
                        crate::suggest::did_you_mean(&k, names)
                    ) + &format!("; kinds: {}", names.join(", ")),
                ));
                None
            }
        },
        Some(other) => {
            problems.push(ConfigProblem::at(
                "kind",
                format!(
                    "`kind` must be text in quotes such as \"mastodon\", found {}",
                    crate::settings::plain_found(&serde_found(&other))
                ),
            ));
            None
        }
        None => {
            problems.push(ConfigProblem {
                key: None,
                message: "`kind` is missing (e.g. `kind = \"mastodon\"`)".into(),
            });
            None
        }
    };
    let lang = match table.remove("lang") {
        Some(Value::String(l)) if crate::announcement::is_language_tag(&l) => Some(l),
        Some(other) => {
            problems.push(ConfigProblem::at(
                "lang",
                format!("`lang` must be a language code such as \"et\", found {other}"),
            ));
            None
        }
        None => {
            problems.push(ConfigProblem {
                key: None,
                message:
                    "`lang` is missing: the language this channel posts in (e.g. `lang = \"en\"`)"
                        .into(),
            });
            None
        }
    };
    let (Some(kind), Some(lang)) = (kind, lang) else {
        return Err(problems);
    };
    let base = Base {
        name: name.to_owned(),
        lang,
    };
    let built = match kind {
        Kind::Mastodon => mastodon::Mastodon::build(base, table),
        Kind::Bluesky => bluesky::Bluesky::build(base, table),
        Kind::X => x::X::build(base, table),
        Kind::Facebook => facebook::Facebook::build(base, table),
        Kind::Linkedin => linkedin::Linkedin::build(base, table),
        Kind::Telegram => telegram::Telegram::build(base, table),
        Kind::Discord => discord::Discord::build(base, table),
        Kind::Slack => slack::Slack::build(base, table),
        Kind::Email => email::Email::build(base, table),
        Kind::Feed => feed::Feed::build(base, table),
        Kind::Record => record::Record::build(base, table),
    };
    match built {
        Ok(c) if problems.is_empty() => Ok(c),
        Ok(_) => Err(problems),
        Err(more) => {
            problems.extend(more);
            Err(problems)
        }
    }
}

/// serde's description of a JSON value ("integer `7`"), for messages.
fn serde_found(value: &Value) -> String {
    match value {
        Value::String(s) => format!("string {s:?}"),
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Array(_) => "sequence".into(),
        Value::Object(_) => "map".into(),
        Value::Null => "null".into(),
    }
}

/// Deserialises a kind's settings table, refusing unknown keys. Keys that look like a
/// secret written into the file get an explanation instead of a bare "unknown field".
pub fn settings<T: DeserializeOwned>(table: Map<String, Value>) -> Result<T, Vec<ConfigProblem>> {
    const SECRET_WORDS: [&str; 5] = ["token", "password", "secret", "webhook_url", "key"];
    let mut problems = Vec::new();
    for key in table.keys() {
        if !key.ends_with("_env") && SECRET_WORDS.iter().any(|w| key.contains(w)) {
            problems.push(ConfigProblem::at(
                key,
                format!(
                    "secrets never go in the configuration: put the value in an environment \
                     variable and name it with `{key}_env = \"…\"`"
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::from_value(Value::Object(table)).map_err(|e| {
        let message = e.to_string();
        let key = message
            .split('`')
            .nth(1)
            .filter(|_| {
                message.starts_with("unknown field") || message.starts_with("missing field")
            })
            .map(str::to_owned);
        vec![ConfigProblem { key, message }]
    })
}

/// The usual text rules of a kind that posts plain text.
pub fn text_rules(counter: Counter, limit: usize, threads: bool, max_images: usize) -> Rules {
    Rules {
        counter,
        limit: Some(limit),
        byte_limit: None,
        caption_limit: None,
        threads,
        max_images,
        alt_limit: None,
        image_bytes: None,
        image_formats: &[],
        tag_limit: None,
        shape: Shape::Text,
    }
}

/// Rules of a kind without a length limit (email, feeds).
pub fn unlimited_rules(shape: Shape, max_images: usize) -> Rules {
    Rules {
        counter: Counter::Utf16,
        limit: None,
        byte_limit: None,
        caption_limit: None,
        threads: false,
        max_images,
        alt_limit: None,
        image_bytes: None,
        image_formats: &[],
        tag_limit: None,
        shape,
    }
}

/// `<id of part N>`: the remote id of an earlier part, known only when publishing.
pub fn earlier_part_id(part: usize) -> String {
    format!("<id of part {part}>")
}

/// `<upload of IMAGE>`: the id a platform gives an uploaded image.
pub fn upload_id(path: &str) -> String {
    format!("<id of uploaded {path}>")
}
