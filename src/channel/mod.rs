//! Channels: where posts go. One file per kind; each kind owns its configuration table.
//!
//! A [`Channel`] is one configured instance of a kind. What its platform allows and how it
//! counts are platform facts ([`crate::platform`]), which an instance may adjust from its
//! configuration (its [`Rules`]). A channel connects a [`send::Sender`] that builds each request it sends in one place and
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

// Re-exported: the kinds and their rules are platform facts, and every channel file
// names them.
pub use crate::platform::{Kind, Rules};

use crate::platform::Target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

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
    /// What the platform allows, as this channel's configuration adjusts it (a Mastodon
    /// server's `max_characters`); the kind's [platform facts](crate::platform) unless
    /// the kind says otherwise.
    fn rules(&self) -> Rules {
        self.kind().rules()
    }
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
        self.kind().facts().multilingual
    }

    /// An email list's settings (email lists are sent by [`crate::email`], not per part).
    fn email(&self) -> Option<&crate::email::Config> {
        None
    }

    /// What this channel can do to a post after it went out: the kind's facts unless
    /// the configuration narrows them.
    fn changes(&self) -> crate::platform::Changes {
        self.kind().changes()
    }

    /// What this channel does with a correction it cannot edit in.
    fn correction(&self) -> Correction {
        self.base()
            .correction
            .unwrap_or_else(|| Correction::default_for(self.changes()))
    }

    /// This channel as the plain facts a post is rendered for.
    fn target(&self) -> Target<'_> {
        Target {
            name: self.name(),
            kind: self.kind(),
            lang: self.lang(),
            rules: self.rules(),
            unsubscribe_url: self.email().map(|c| c.unsubscribe_url.as_str()),
        }
    }
}

/// What building a sender needs.
pub struct SendContext<'a> {
    pub env: &'a std::collections::BTreeMap<String, String>,
    pub root: &'a std::path::Path,
    /// Where state files are written (feed entries, record files): the repository, or
    /// the checkout of the state branch ([`crate::state::Store::files`]).
    pub state_root: &'a std::path::Path,
    /// How requests reach the platform: sent, or recorded for the dry run.
    pub transport: &'a transport::Transport,
    /// The engine's clock (it starts at `--at`): what a sender dates its own changes
    /// with (a corrected feed entry's `updated`).
    pub now: Now,
}

/// A clock a sender can keep: the time now, as the run counts it.
pub type Now = std::sync::Arc<dyn Fn() -> jiff::Timestamp + Send + Sync>;

/// The identity every channel has.
#[derive(Debug, Clone)]
pub struct Base {
    pub name: String,
    pub lang: String,
    /// `correction`: what to do where a post cannot be edited (`None`: the default for
    /// what the channel can do, [`Correction::default_for`]).
    pub correction: Option<Correction>,
    /// `display_name`: the account's name as the network shows it above a post ("Tartu
    /// linn"), for the preview only (`None`: the preview shows the channel's name).
    pub display_name: Option<String>,
    /// `handle`: the account as the network writes it (`herald@mastodon.social`,
    /// `city.bsky.social`, `city`), with or without the leading `@`, for the preview only.
    pub handle: Option<String>,
}

/// `correction = "…"`: what a channel does with an approved change to a post that went
/// out, where the post cannot be edited in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Correction {
    /// Post a short correction notice as a reply to the post (`templates/<kind>/correction.txt.hbs`).
    Reply,
    /// Delete the post and post the corrected one.
    Repost,
    /// Report it; change nothing.
    None,
    /// Email lists: send a correction message to the same recipients.
    Notice,
}

impl Correction {
    pub const ALL: [Correction; 4] = [
        Correction::Reply,
        Correction::Repost,
        Correction::None,
        Correction::Notice,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Correction::Reply => "reply",
            Correction::Repost => "repost",
            Correction::None => "none",
            Correction::Notice => "notice",
        }
    }

    /// The policy of a channel that sets none: a reply where it can answer posts and
    /// not edit them, or edit them only for a while (X with `edit = true`, once its
    /// window has closed), else `none`.
    pub fn default_for(changes: crate::platform::Changes) -> Correction {
        if changes.reply && (!changes.edit || changes.edits.window.is_some()) {
            Correction::Reply
        } else {
            Correction::None
        }
    }

    /// Why `kind` cannot follow this policy, if it cannot.
    pub(crate) fn refused_by(self, kind: Kind) -> Option<String> {
        let changes = kind.changes();
        let name = kind.facts().display_name;
        match self {
            Correction::None => None,
            Correction::Notice if kind != Kind::Email => {
                // Only the policies this kind can follow (a Slack webhook: `none` alone).
                let takes: Vec<String> = [Correction::Reply, Correction::Repost]
                    .into_iter()
                    .filter(|p| p.refused_by(kind).is_none())
                    .chain([Correction::None])
                    .map(|p| format!("`{}`", p.name()))
                    .collect();
                Some(format!(
                    "`notice` is for email lists; a {name} channel takes {}",
                    crate::approval::or_list(&takes)
                ))
            }
            Correction::Notice => None,
            Correction::Reply | Correction::Repost if kind == Kind::Email => Some(
                "an email that went out cannot be answered or taken back: use `notice` (a correction message to the same recipients) or `none`".into(),
            ),
            Correction::Reply if !changes.reply => Some(format!(
                "{name} posts cannot be answered by Herald; use `none`{}",
                if changes.delete == crate::platform::Deletable::Never {
                    String::new()
                } else {
                    " or `repost`".into()
                }
            )),
            Correction::Repost if changes.delete == crate::platform::Deletable::Never => {
                Some(format!(
                    "{name} posts cannot be deleted, so they cannot be posted again; use `none`"
                ))
            }
            _ => None,
        }
    }
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
                    crate::diagnostic::plain_found(&serde_found(&other))
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
                format!(
                    "`lang` must be a language code, found {other}{}; {}",
                    other
                        .as_str()
                        .and_then(crate::announcement::likely_language)
                        .map(|l| format!(" (did you mean \"{l}\"?)"))
                        .unwrap_or_default(),
                    crate::announcement::LANGUAGE_CODE
                ),
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
    let correction = match table.remove("correction") {
        None => Some(None),
        Some(Value::String(c)) => match Correction::ALL.into_iter().find(|x| x.name() == c) {
            Some(policy) => {
                if let Some(why) = kind.and_then(|k| policy.refused_by(k)) {
                    problems.push(ConfigProblem::at("correction", why));
                }
                Some(Some(policy))
            }
            None => {
                let names = Correction::ALL.map(Correction::name);
                problems.push(ConfigProblem::at(
                    "correction",
                    format!(
                        "unknown correction policy `{c}`{}; policies: {}",
                        crate::suggest::did_you_mean(&c, names),
                        names.join(", ")
                    ),
                ));
                None
            }
        },
        Some(other) => {
            problems.push(ConfigProblem::at(
                "correction",
                format!(
                    "`correction` must be text in quotes such as \"reply\", found {}",
                    crate::diagnostic::plain_found(&serde_found(&other))
                ),
            ));
            None
        }
    };
    let display_name = shown_text(&mut table, &mut problems, "display_name", "Tartu linn");
    let handle = shown_text(&mut table, &mut problems, "handle", "@tartulinn");
    if let Some(Some(h)) = &handle
        && h.trim_start_matches('@').chars().any(char::is_whitespace)
    {
        problems.push(ConfigProblem::at(
            "handle",
            format!(
                "`handle` is the account's name without spaces, as the network writes it (such as \"@tartulinn\"), found \"{h}\""
            ),
        ));
    }
    let (Some(kind), Some(lang), Some(correction), Some(display_name), Some(handle)) =
        (kind, lang, correction, display_name, handle)
    else {
        return Err(problems);
    };
    let base = Base {
        name: name.to_owned(),
        lang,
        correction,
        display_name,
        handle,
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

/// An optional key of text that the preview shows (`display_name`, `handle`): absent
/// (`Some(None)`), one line of text (`Some(Some(text))`), or a problem (`None`).
fn shown_text(
    table: &mut Map<String, Value>,
    problems: &mut Vec<ConfigProblem>,
    key: &str,
    example: &str,
) -> Option<Option<String>> {
    match table.remove(key) {
        None => Some(None),
        Some(Value::String(s)) if !s.trim().is_empty() && !s.chars().any(char::is_control) => {
            Some(Some(s.trim().to_owned()))
        }
        Some(Value::String(_)) => {
            problems.push(ConfigProblem::at(
                key,
                format!("`{key}` must be one line of text such as \"{example}\", or left out"),
            ));
            None
        }
        Some(other) => {
            problems.push(ConfigProblem::at(
                key,
                format!(
                    "`{key}` must be text in quotes such as \"{example}\", found {}",
                    crate::diagnostic::plain_found(&serde_found(&other))
                ),
            ));
            None
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

/// `<id of part N>`: the remote id of an earlier part, known only when publishing.
pub fn earlier_part_id(part: usize) -> String {
    format!("<id of part {part}>")
}

/// `<upload of IMAGE>`: the id a platform gives an uploaded image.
pub fn upload_id(path: &str) -> String {
    format!("<id of uploaded {path}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(extra: Value) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let mut table = serde_json::json!({"kind": "record", "lang": "et", "file": "out.jsonl"});
        table
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        from_config("record_et", table.as_object().unwrap().clone())
    }

    #[test]
    fn the_name_and_handle_the_preview_shows_are_optional_lines_of_text() {
        let c = record(serde_json::json!({})).unwrap_or_else(|_| panic!("valid"));
        assert_eq!((&c.base().display_name, &c.base().handle), (&None, &None));
        let c = record(serde_json::json!({"display_name": " Tartu linn ", "handle": "@tartulinn"}))
            .unwrap_or_else(|_| panic!("valid"));
        assert_eq!(c.base().display_name.as_deref(), Some("Tartu linn"));
        assert_eq!(c.base().handle.as_deref(), Some("@tartulinn"));
        let refused = |extra: Value| match record(extra) {
            Ok(_) => panic!("accepted"),
            Err(problems) => problems,
        };
        assert_eq!(
            refused(serde_json::json!({"display_name": 7, "handle": "a\nb"})),
            [
                ConfigProblem::at(
                    "display_name",
                    "`display_name` must be text in quotes such as \"Tartu linn\", found the number 7"
                ),
                ConfigProblem::at(
                    "handle",
                    "`handle` must be one line of text such as \"@tartulinn\", or left out"
                ),
            ]
        );
        assert_eq!(
            refused(serde_json::json!({"handle": "tartu linn"})),
            [ConfigProblem::at(
                "handle",
                "`handle` is the account's name without spaces, as the network writes it (such as \"@tartulinn\"), found \"tartu linn\""
            )]
        );
        // A key that is not one of them is still an unknown key.
        let problems = refused(serde_json::json!({"display_nam": "x"}));
        assert!(
            problems[0]
                .message
                .starts_with("unknown field `display_nam`"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_channel_that_edits_for_a_while_answers_by_default_once_it_cannot() {
        let x = Kind::X.changes();
        assert_eq!(Correction::default_for(x), Correction::Reply);
        let premium = crate::platform::Changes { edit: true, ..x };
        assert_eq!(Correction::default_for(premium), Correction::Reply);
        for kind in [
            Kind::Telegram,
            Kind::Facebook,
            Kind::Linkedin,
            Kind::Mastodon,
        ] {
            assert_eq!(
                Correction::default_for(kind.changes()),
                Correction::None,
                "{kind}"
            );
        }
    }

    #[test]
    fn a_policy_a_kind_cannot_follow_is_still_refused() {
        for kind in [Kind::Facebook, Kind::Linkedin, Kind::Discord, Kind::Slack] {
            assert!(Correction::Reply.refused_by(kind).is_some(), "{kind}");
        }
        assert!(Correction::Repost.refused_by(Kind::Slack).is_some());
        for kind in [Kind::Facebook, Kind::Linkedin, Kind::Telegram, Kind::X] {
            assert_eq!(Correction::Repost.refused_by(kind), None, "{kind}");
        }
        for kind in [Kind::Telegram, Kind::X, Kind::Bluesky] {
            assert_eq!(Correction::Reply.refused_by(kind), None, "{kind}");
        }
    }
}
