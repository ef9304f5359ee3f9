//! Validated settings: `config/herald.toml`, overridden by `HERALD_*` environment
//! variables for non-secret keys.
//!
//! Raw configuration and validated settings are different types, converted once here.
//! Every problem in the configuration is collected (with file, line and column where the
//! key can be found in the file) so one run shows them all. Secrets are never part of the
//! configuration: channels name the environment variables that hold them.

use crate::announcement::ThreadMode;
use crate::channel::{self, Channel};
use crate::diagnostic::{Diagnostic, Diagnostics, Pos, plain_found};
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The default configuration file, relative to the root.
pub const DEFAULT_CONFIG: &str = "config/herald.toml";

/// Top-level keys that `HERALD_*` variables may override.
const OVERRIDABLE: &[&str] = &[
    "timezone",
    "announcements_dir",
    "templates_dir",
    "state_dir",
    "approvers",
    "approvals_required",
    "approval_provenance",
    "require_signed_approval",
    "defaults",
    "publish",
    "state",
    "channels",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    timezone: String,
    #[serde(default = "default_announcements")]
    announcements_dir: String,
    #[serde(default = "default_templates")]
    templates_dir: String,
    #[serde(default = "default_state")]
    state_dir: String,
    #[serde(default)]
    approvers: Vec<String>,
    /// Different approvers each variant needs (two: the "four eyes" rule).
    #[serde(default = "one")]
    approvals_required: usize,
    #[serde(default)]
    approval_provenance: crate::approval::Provenance,
    /// Shorthand for `approval_provenance = "signed"`.
    #[serde(default)]
    require_signed_approval: bool,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    publish: RawPublish,
    #[serde(default)]
    state: RawState,
    #[serde(default)]
    channels: BTreeMap<String, Map<String, Value>>,
    /// `[rules]`: read from the file itself ([`crate::rules::read`]), where every key
    /// keeps its case and its place.
    #[serde(default)]
    #[allow(dead_code)]
    rules: Option<Value>,
}

/// `[state]`: where Herald keeps its state beyond this machine.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    /// The branch of the remote that holds the state (none: the state folder only).
    git_branch: Option<String>,
    #[serde(default = "default_remote")]
    git_remote: String,
}

fn default_remote() -> String {
    "origin".into()
}

impl Default for RawState {
    fn default() -> RawState {
        RawState {
            git_branch: None,
            git_remote: default_remote(),
        }
    }
}

fn one() -> usize {
    1
}

fn default_announcements() -> String {
    "announcements".into()
}
fn default_templates() -> String {
    "templates".into()
}
fn default_state() -> String {
    "state".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    #[serde(default = "default_lang")]
    lang: String,
    #[serde(default)]
    thread: ThreadSetting,
}

impl Default for RawDefaults {
    fn default() -> Self {
        RawDefaults {
            lang: default_lang(),
            thread: ThreadSetting::default(),
        }
    }
}

fn default_lang() -> String {
    "en".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublish {
    max_delay: Option<String>,
    min_spacing: Option<String>,
    max_posts_per_run: Option<u32>,
    max_attempts: Option<u32>,
    retries_per_run: Option<u32>,
    retry_base: Option<String>,
    max_retry_wait: Option<String>,
    request_timeout: Option<String>,
}

/// `[publish]`: when posts go out and how failures are retried.
#[derive(Debug, Clone)]
pub struct Publishing {
    /// How late a post may still go out; later it is *missed*.
    pub max_delay: SignedDuration,
    /// The least time between two posts on one channel.
    pub min_spacing: SignedDuration,
    /// At most this many posts per channel in one run.
    pub max_posts_per_run: u32,
    /// Attempts per part over all runs before Herald gives up on it.
    pub max_attempts: u32,
    /// Retries of one part within a run (transient errors only).
    pub retries_per_run: u32,
    /// The first backoff; doubled per retry, with full jitter.
    pub retry_base: SignedDuration,
    /// A longer wait than this (from `Retry-After`, say) is left for the next run.
    pub max_retry_wait: SignedDuration,
    /// How long one request may take before it counts as timed out.
    pub request_timeout: SignedDuration,
}

/// `thread = "auto"` or `thread = false` (a string `"false"` from the environment too).
#[derive(Debug, Default, Clone, Copy)]
struct ThreadSetting(Option<ThreadMode>);

impl<'de> Deserialize<'de> for ThreadSetting {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Bool(false) => Ok(ThreadSetting(Some(ThreadMode::Off))),
            Value::String(s) if s == "false" => Ok(ThreadSetting(Some(ThreadMode::Off))),
            Value::String(s) if s == "auto" => Ok(ThreadSetting(Some(ThreadMode::Auto))),
            other => Err(serde::de::Error::custom(format!(
                "`thread` must be \"auto\" or false, found {other}"
            ))),
        }
    }
}

/// Everything a command needs to know about the instance.
pub struct Settings {
    pub root: PathBuf,
    /// The configuration file, relative to the root when inside it.
    pub config_path: PathBuf,
    pub tz: TimeZone,
    pub announcements_dir: PathBuf,
    pub templates_dir: PathBuf,
    pub state_dir: PathBuf,
    /// `[state] git_branch`: the state lives on that branch of the remote.
    pub state_branch: Option<crate::state::BranchConfig>,
    pub approvers: Vec<String>,
    /// How approvals are checked.
    pub policy: crate::approval::Policy,
    pub default_lang: String,
    pub default_thread: ThreadMode,
    pub publishing: Publishing,
    /// In configuration order (sorted by name).
    pub channels: Vec<Box<dyn Channel>>,
    /// Where each `[channels.NAME]` table is in the configuration file.
    pub channel_positions: BTreeMap<String, Pos>,
    /// The house rules of `[rules]`, in name order.
    pub rules: Vec<crate::rules::Rule>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("root", &self.root)
            .field("channels", &self.channel_names())
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Where the state is, for [`crate::state::Store::open`].
    pub fn state_place(&self) -> crate::state::Place<'_> {
        crate::state::Place {
            root: &self.root,
            state_dir: &self.state_dir,
            branch: self.state_branch.as_ref(),
        }
    }

    pub fn channel_names(&self) -> Vec<String> {
        self.channels.iter().map(|c| c.name().to_owned()).collect()
    }

    pub fn channel(&self, name: &str) -> Option<&dyn Channel> {
        self.channels
            .iter()
            .find(|c| c.name() == name)
            .map(|c| c.as_ref())
    }

    /// Loads and validates the configuration. On failure, every problem found.
    pub fn load(
        root: &Path,
        config: Option<&Path>,
        env: &BTreeMap<String, String>,
    ) -> Result<Settings, Diagnostics> {
        let config_path = config.map_or_else(|| PathBuf::from(DEFAULT_CONFIG), Path::to_path_buf);
        let full_path = root.join(&config_path);
        let text = crate::limits::read_limited(&full_path, crate::limits::CONFIG_BYTES, "configuration file")
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| std::io::Error::other("it is not UTF-8 text")))
            .map_err(|e| {
                let mut d = Diagnostics::new();
                d.push(Diagnostic::error(
                    &config_path,
                    None,
                    format!(
                        "cannot read the configuration: {e}; run herald in the repository folder or pass `--root DIR` / `--config FILE`"
                    ),
                ));
                d
            })?;
        Settings::from_text(root, &config_path, &text, env)
    }

    /// Validates configuration `text` (read from `config_path` below `root`).
    pub fn from_text(
        root: &Path,
        config_path: &Path,
        text: &str,
        env: &BTreeMap<String, String>,
    ) -> Result<Settings, Diagnostics> {
        let text = text.to_owned();
        let config_path = config_path.to_path_buf();
        let shown = config_path.clone();
        let err = |pos: Option<Pos>, msg: String| {
            let mut d = Diagnostics::new();
            d.push(Diagnostic::error(&shown, pos, msg));
            d
        };
        let locator = Locator::new(&text);
        if let Err(e) = toml::de::DeTable::parse(&text) {
            let pos = e.span().map(|s| locator.pos_of_offset(s.start));
            return Err(err(pos, format!("this is not valid TOML: {}", e.message())));
        }

        // Types are judged on the file itself first, where every value has a place: the
        // merged configuration below converts `true` into "true" and loses positions.
        if let Some((pos, message)) = type_error(&text, &locator) {
            return Err(err(pos, message));
        }
        let builder = config::Config::builder()
            .add_source(config::File::from_str(&text, config::FileFormat::Toml))
            .add_source(
                config::Environment::with_prefix("HERALD")
                    .prefix_separator("_")
                    .separator("__")
                    .list_separator(",")
                    .with_list_parse_key("approvers")
                    .try_parsing(true)
                    .source(Some(overridable_env(env))),
            );
        let raw: RawConfig = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| {
                let message = describe_config_error(&e);
                let pos = first_backticked(&message).and_then(|k| locator.find_key(&[k]));
                err(pos, message)
            })?;

        let mut diags = Diagnostics::new();
        let tz = TimeZone::get(&raw.timezone).unwrap_or_else(|_| {
            diags.push(Diagnostic::error(
                &shown,
                locator.find_key(&["timezone"]),
                format!(
                    "unknown time zone `{}`; use an IANA name such as `Europe/Tallinn`",
                    raw.timezone
                ),
            ));
            TimeZone::UTC
        });
        let mut duration = |key: &str, value: &Option<String>, default: SignedDuration| match value
        {
            None => default,
            Some(text) => text.parse::<SignedDuration>().unwrap_or_else(|_| {
                diags.push(Diagnostic::error(
                    &shown,
                    locator.find_key(&["publish", key]),
                    format!(
                        "`{key}` must be a duration like \"24h\", \"90m\" or \"2s\", found `{text}`"
                    ),
                ));
                default
            }),
        };
        let p = &raw.publish;
        let publishing = Publishing {
            max_delay: duration("max_delay", &p.max_delay, SignedDuration::from_hours(24)),
            min_spacing: duration("min_spacing", &p.min_spacing, SignedDuration::ZERO),
            retry_base: duration("retry_base", &p.retry_base, SignedDuration::from_secs(2)),
            max_retry_wait: duration(
                "max_retry_wait",
                &p.max_retry_wait,
                SignedDuration::from_secs(120),
            ),
            request_timeout: duration(
                "request_timeout",
                &p.request_timeout,
                SignedDuration::from_secs(30),
            ),
            max_posts_per_run: p.max_posts_per_run.unwrap_or(10),
            max_attempts: p.max_attempts.unwrap_or(5).max(1),
            retries_per_run: p.retries_per_run.unwrap_or(3),
        };
        if !crate::announcement::is_language_tag(&raw.defaults.lang) {
            diags.push(Diagnostic::error(
                &shown,
                locator.find_key(&["defaults", "lang"]),
                format!(
                    "`lang` must be a language code, found `{}`{}; {}",
                    raw.defaults.lang,
                    crate::announcement::likely_language(&raw.defaults.lang)
                        .map(|l| format!(" (did you mean `{l}`?)"))
                        .unwrap_or_default(),
                    crate::announcement::LANGUAGE_CODE
                ),
            ));
        }
        for (i, approver) in raw.approvers.iter().enumerate() {
            if let Some(login) = approver.strip_prefix("github:") {
                if !crate::approval::is_login(login) {
                    diags.push(Diagnostic::error(
                        &shown,
                        locator.find_key(&["approvers"]),
                        format!(
                            "approver #{} `{approver}`: `{login}` is not a GitHub login (letters, digits and single hyphens, at most 39)",
                            i + 1
                        ),
                    ));
                }
            } else if !approver.contains('@') {
                diags.push(Diagnostic::error(
                    &shown,
                    locator.find_key(&["approvers"]),
                    format!(
                        "approver #{} `{approver}` is not an email address; a GitHub account is written `github:LOGIN`",
                        i + 1
                    ),
                ));
            }
        }

        // The state folder is written to: it must be inside the repository, however it is
        // spelt (`/abs`, `../x`) or linked. (A root that does not exist yet is not judged.)
        if root.canonicalize().is_ok()
            && let Err(why) = crate::paths::check_inside(root, Path::new(&raw.state_dir))
        {
            diags.push(Diagnostic::error(
                &shown,
                locator.find_key(&["state_dir"]),
                format!("`state_dir`: {why}"),
            ));
        }
        for (key, value) in [
            ("git_branch", raw.state.git_branch.as_deref()),
            ("git_remote", Some(raw.state.git_remote.as_str())),
        ] {
            if let Some(value) = value
                && let Err(why) = crate::state::check_name(value)
            {
                diags.push(Diagnostic::error(
                    &shown,
                    locator.find_key(&["state", key]),
                    format!("`[state] {key}` {why}"),
                ));
            }
        }
        if raw.approvals_required == 0 || raw.approvals_required > raw.approvers.len().max(1) {
            diags.push(Diagnostic::error(
                &shown,
                locator.find_key(&["approvals_required"]),
                format!(
                    "`approvals_required` is {} but there are {} approvers",
                    raw.approvals_required,
                    raw.approvers.len()
                ),
            ));
        }
        let mut channels = Vec::new();
        let mut channel_positions = BTreeMap::new();
        for (name, table) in raw.channels {
            if let Some(pos) = locator.find_key(&["channels", name.as_str()]) {
                channel_positions.insert(name.clone(), pos);
            }
            let at = |key: Option<&str>| {
                let mut path = vec!["channels", name.as_str()];
                path.extend(key);
                locator
                    .find_key(&path)
                    .or_else(|| locator.find_key(&["channels", name.as_str()]))
            };
            match channel::from_config(&name, table) {
                Ok(c) => channels.push(c),
                Err(problems) => {
                    for p in problems {
                        let (key, message) = match plain_type_error(&p.message) {
                            // serde names no key for a wrong type: find the one that holds
                            // the value it found.
                            Some((found, _)) if p.key.is_none() => {
                                match locator.key_holding(&["channels", name.as_str()], &found) {
                                    Some(k) => {
                                        let m = plain_type_error_for(&k, &p.message);
                                        (Some(k), m)
                                    }
                                    None => (None, p.message.clone()),
                                }
                            }
                            _ => (p.key.clone(), p.message.clone()),
                        };
                        diags.push(Diagnostic::error(
                            &shown,
                            at(key.as_deref()),
                            format!("channel `{name}`: {message}"),
                        ));
                    }
                }
            }
        }
        let facts: Vec<crate::rules::ChannelFacts<'_>> = channels
            .iter()
            .map(|c| crate::rules::ChannelFacts {
                name: c.name(),
                kind: c.kind(),
                lang: c.lang(),
            })
            .collect();
        let file: Option<toml::Table> = toml::from_str(&text).ok();
        let rules = match crate::rules::read(file.as_ref().and_then(|f| f.get("rules")), &facts) {
            Ok(rules) => rules,
            Err(problems) => {
                for p in problems {
                    let mut path = vec!["rules"];
                    path.extend(p.rule.as_deref());
                    let pos = p
                        .key
                        .as_deref()
                        .and_then(|k| {
                            let mut at = path.clone();
                            at.push(k);
                            locator.find_key(&at)
                        })
                        .or_else(|| locator.find_key(&path));
                    diags.push(Diagnostic::error(&shown, pos, p.message));
                }
                Vec::new()
            }
        };
        drop(facts);
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(Settings {
            root: root.to_owned(),
            config_path,
            tz,
            announcements_dir: raw.announcements_dir.into(),
            templates_dir: raw.templates_dir.into(),
            state_dir: raw.state_dir.into(),
            state_branch: raw
                .state
                .git_branch
                .map(|branch| crate::state::BranchConfig {
                    branch,
                    remote: raw.state.git_remote,
                }),
            policy: crate::approval::Policy {
                approvers: raw.approvers.clone(),
                required: raw.approvals_required,
                provenance: if raw.require_signed_approval {
                    crate::approval::Provenance::Signed
                } else {
                    raw.approval_provenance
                },
            },
            approvers: raw.approvers,
            default_lang: raw.defaults.lang,
            default_thread: raw.defaults.thread.0.unwrap_or(ThreadMode::Auto),
            publishing,
            channels,
            channel_positions,
            rules,
        })
    }
}

/// Only `HERALD_<known key>…` variables are configuration; others (a secret someone named
/// `HERALD_MASTODON_TOKEN`, say) are left alone rather than rejected as unknown keys.
fn overridable_env(env: &BTreeMap<String, String>) -> config::Map<String, String> {
    env.iter()
        .filter(|(k, _)| {
            k.strip_prefix("HERALD_").is_some_and(|rest| {
                let first = rest.split("__").next().unwrap_or("").to_ascii_lowercase();
                OVERRIDABLE.contains(&first.as_str())
            })
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn describe_config_error(e: &config::ConfigError) -> String {
    let text = e.to_string();
    // The config crate appends the source ("in config/herald.toml") only for files it
    // read itself; we feed it the text, so name the origin ourselves.
    if text.contains("Environment") || text.contains("HERALD_") {
        format!("{text} (from a HERALD_* environment variable)")
    } else {
        text
    }
}

fn first_backticked(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// The first value in the file whose type is wrong, with its place and a message in
/// plain words ("`max_attempts` must be a whole number, found the text \"five\"").
fn type_error(text: &str, locator: &Locator) -> Option<(Option<Pos>, String)> {
    let e = toml::from_str::<RawConfig>(text).err()?;
    plain_type_error(e.message())?;
    let span = e.span()?;
    let table = toml::de::DeTable::parse(text).ok()?;
    let key = key_at(table.get_ref(), span.start)?;
    Some((
        Some(locator.pos_of_offset(span.start)),
        plain_type_error_for(&key, e.message()),
    ))
}

/// The innermost key whose value covers `offset`.
fn key_at(table: &toml::de::DeTable<'_>, offset: usize) -> Option<String> {
    // A `[table]`'s own span covers only its header, so every table is searched.
    for (key, value) in table.iter() {
        if let toml::de::DeValue::Table(t) = value.get_ref()
            && let Some(inner) = key_at(t, offset)
        {
            return Some(inner);
        }
        let span = value.span();
        if span.start <= offset && offset < span.end.max(span.start + 1) {
            return Some(key.get_ref().to_string());
        }
    }
    None
}

/// serde's "invalid type: FOUND, expected EXPECTED" in plain words: (found, expected).
pub fn plain_type_error(message: &str) -> Option<(String, String)> {
    let rest = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))?;
    let (found, expected) = rest.rsplit_once(", expected ")?;
    Some((found.to_owned(), plain_expected(expected)))
}

/// "`KEY` must be EXPECTED, found FOUND", or `message` as it is when it is not a type error.
pub fn plain_type_error_for(key: &str, message: &str) -> String {
    match plain_type_error(message) {
        Some((found, expected)) => {
            format!("`{key}` must be {expected}, found {}", plain_found(&found))
        }
        None => message.to_owned(),
    }
}

fn plain_expected(expected: &str) -> String {
    let e = expected.trim();
    let whole = [
        "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize",
    ];
    if whole.contains(&e) || e.contains("integer") {
        if e.starts_with('u') {
            "a whole number (0 or more)".into()
        } else {
            "a whole number".into()
        }
    } else if e == "f32" || e == "f64" || e.contains("floating point") {
        "a number".into()
    } else if e.contains("a string") || e == "string" {
        "text in quotes".into()
    } else if e.contains("boolean") || e == "bool" {
        "true or false".into()
    } else if e.contains("sequence") {
        "a list, like [\"a\", \"b\"]".into()
    } else if e.contains("map") || e.starts_with("struct") {
        "a table".into()
    } else {
        e.to_owned()
    }
}

/// serde's description of a value, to find which key holds the value an error names.
fn serde_found(value: &toml::de::DeValue<'_>) -> String {
    use toml::de::DeValue as V;
    match value {
        V::String(s) => format!("string {:?}", s.as_ref()),
        V::Integer(i) => format!("integer `{}`", i.as_str()),
        V::Float(f) => format!("floating point `{}`", f.as_str()),
        V::Boolean(b) => format!("boolean `{b}`"),
        V::Table(_) => "map".into(),
        V::Array(_) => "sequence".into(),
        V::Datetime(d) => format!("string {:?}", d.to_string()),
    }
}

/// Finds where a key is written in the TOML text, for error positions.
struct Locator<'a> {
    text: &'a str,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        Locator { text }
    }

    fn pos_of_offset(&self, offset: usize) -> Pos {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        Pos::new(line, column)
    }

    /// The name of the key in table `path` whose value serde describes as `found`.
    fn key_holding(&self, path: &[&str], found: &str) -> Option<String> {
        let table = toml::de::DeTable::parse(self.text).ok()?;
        let mut t = table.get_ref();
        for part in path {
            let (_, value) = t.iter().find(|(k, _)| k.get_ref().as_ref() == *part)?;
            match value.get_ref() {
                toml::de::DeValue::Table(inner) => t = inner,
                _ => return None,
            }
        }
        t.iter()
            .find(|(_, v)| serde_found(v.get_ref()) == found)
            .map(|(k, _)| k.get_ref().to_string())
    }

    /// The position of the key at `path` (e.g. `["channels", "x_en", "token_env"]`). A
    /// single-element path matches the key at any depth, for errors that name only a key.
    fn find_key(&self, path: &[&str]) -> Option<Pos> {
        let table = toml::de::DeTable::parse(self.text).ok()?;
        let offset = if path.len() == 1 {
            find_anywhere(table.get_ref(), path[0])
        } else {
            find_path(table.get_ref(), path)
        }?;
        Some(self.pos_of_offset(offset))
    }
}

fn find_path(table: &toml::de::DeTable<'_>, path: &[&str]) -> Option<usize> {
    let (first, rest) = path.split_first()?;
    let (key, value) = table.iter().find(|(k, _)| k.get_ref().as_ref() == *first)?;
    if rest.is_empty() {
        return Some(key.span().start);
    }
    match value.get_ref() {
        toml::de::DeValue::Table(t) => find_path(t, rest),
        _ => None,
    }
}

fn find_anywhere(table: &toml::de::DeTable<'_>, name: &str) -> Option<usize> {
    for (key, value) in table.iter() {
        if key.get_ref().as_ref() == name {
            return Some(key.span().start);
        }
        if let toml::de::DeValue::Table(t) = value.get_ref()
            && let Some(found) = find_anywhere(t, name)
        {
            return Some(found);
        }
    }
    None
}
