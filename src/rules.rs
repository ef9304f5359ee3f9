//! House rules: an organisation's own checks on what goes out, from the `[rules]` table
//! of the configuration ([`read`]), applied to each rendered post ([`check`]).
//!
//! Each rule is a named table `[rules.NAME]` with a `check` (`phrase`, `forbidden`,
//! `hashtags`, `alt_text`, `camel_case`), a `level` (`error`: the post is not
//! published; `warning`: it is, and the writer is told) and an optional scope
//! (`channels`, `kinds`, `langs`). A rule sees the text each network would receive, in
//! every language, and points at the place in the announcement file that breaks it.
//! It knows channels only as their name, kind and language.

use crate::announcement::Variant;
use crate::diagnostic::{Diagnostic, Pos, Severity};
use crate::platform::{Kind, Shape};
use crate::render::Post;
use std::collections::BTreeMap;
use std::path::Path;

/// The keys a rule table may have.
const KEYS: &[&str] = &[
    "check",
    "level",
    "channels",
    "kinds",
    "langs",
    "phrase",
    "words",
    "max",
    "min",
    "min_length",
    "allow",
];

/// The checks a rule can make.
const CHECKS: &[&str] = &["phrase", "forbidden", "hashtags", "alt_text", "camel_case"];

/// A tag of at least this many letters, all lowercase, is taken for several words run
/// together unless the rule says otherwise.
const CAMEL_MIN_LENGTH: usize = 10;

/// One house rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `NAME` of `[rules.NAME]`.
    pub name: String,
    pub level: Severity,
    /// Only these channels (none: every channel).
    pub channels: Option<Vec<String>>,
    /// Only these kinds of channel.
    pub kinds: Option<Vec<Kind>>,
    /// Only variants in these languages.
    pub langs: Option<Vec<String>>,
    pub check: Check,
}

/// What a rule checks.
#[derive(Debug, Clone)]
pub enum Check {
    /// The post carries this phrase, per language.
    Phrase(BTreeMap<String, String>),
    /// None of these words or phrases appear: in every language, and per language.
    Forbidden {
        all: Vec<String>,
        by_lang: BTreeMap<String, Vec<String>>,
    },
    /// At most this many hashtags in a post.
    Hashtags(usize),
    /// Every image's alt text has at least this many characters.
    AltText(usize),
    /// Hashtags of several words are written in CamelCase: an all-lowercase tag of at
    /// least `min_length` letters is flagged unless it is in `allow`.
    CamelCase {
        min_length: usize,
        allow: Vec<String>,
    },
}

/// A channel as the rules know it: name, kind, language.
pub struct ChannelFacts<'a> {
    pub name: &'a str,
    pub kind: Kind,
    pub lang: &'a str,
}

/// A mistake in the `[rules]` table: the rule, the key (when one is to blame), the words.
#[derive(Debug, PartialEq)]
pub struct Problem {
    pub rule: Option<String>,
    pub key: Option<String>,
    pub message: String,
}

impl Problem {
    fn at(rule: &str, key: Option<&str>, message: impl Into<String>) -> Problem {
        Problem {
            rule: Some(rule.to_owned()),
            key: key.map(str::to_owned),
            message: format!("house rule `{rule}`: {}", message.into()),
        }
    }
}

/// Reads the `[rules]` table (`None`: there is none). `channels` are the configured
/// ones, for the names, kinds and languages a rule refers to.
pub fn read(
    table: Option<&toml::Value>,
    channels: &[ChannelFacts<'_>],
) -> Result<Vec<Rule>, Vec<Problem>> {
    let Some(table) = table else {
        return Ok(Vec::new());
    };
    let Some(table) = table.as_table() else {
        return Err(vec![Problem {
            rule: None,
            key: None,
            message:
                "`rules` must be tables, one per rule: `[rules.NAME]` with `check` and `level`"
                    .into(),
        }]);
    };
    let mut rules = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in table {
        match read_rule(name, value, channels) {
            Ok(rule) => rules.push(rule),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(rules)
    } else {
        Err(problems)
    }
}

fn describe(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("the text {s:?}"),
        toml::Value::Integer(i) => format!("the number {i}"),
        toml::Value::Float(f) => format!("the number {f}"),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => format!("the date {d}"),
        toml::Value::Array(_) => "a list".into(),
        toml::Value::Table(_) => "a table".into(),
    }
}

fn read_rule(
    name: &str,
    value: &toml::Value,
    channels: &[ChannelFacts<'_>],
) -> Result<Rule, Vec<Problem>> {
    let mut problems = Vec::new();
    let Some(t) = value.as_table() else {
        return Err(vec![Problem::at(
            name,
            None,
            format!(
                "must be a table (`[rules.{name}]` with `check` and `level`), found {}",
                describe(value)
            ),
        )]);
    };
    for key in t.keys() {
        if !KEYS.contains(&key.as_str()) {
            problems.push(Problem::at(
                name,
                Some(key),
                format!("unknown key `{key}`{}", hint(key, KEYS.iter().copied())),
            ));
        }
    }
    let text = |key: &str, problems: &mut Vec<Problem>| -> Option<String> {
        match t.get(key)? {
            toml::Value::String(s) => Some(s.clone()),
            other => {
                problems.push(Problem::at(
                    name,
                    Some(key),
                    format!("`{key}` must be text in quotes, found {}", describe(other)),
                ));
                None
            }
        }
    };
    let level = match text("level", &mut problems).as_deref() {
        Some("error") => Some(Severity::Error),
        Some("warning") => Some(Severity::Warning),
        Some(other) => {
            problems.push(Problem::at(
                name,
                Some("level"),
                format!(
                    "`level` must be \"error\" (the post is not published) or \"warning\" (it is, and the writer is told), found \"{other}\""
                ),
            ));
            None
        }
        None if t.contains_key("level") => None,
        None => {
            problems.push(Problem::at(
                name,
                None,
                "`level` is missing: write `level = \"error\"` (the post is not published) or `level = \"warning\"` (it is, and the writer is told)",
            ));
            None
        }
    };
    let list = |key: &str, problems: &mut Vec<Problem>| -> Option<Vec<String>> {
        let value = t.get(key)?;
        let items = value.as_array().and_then(|a| {
            a.iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()
        });
        if items.is_none() {
            problems.push(Problem::at(
                name,
                Some(key),
                format!(
                    "`{key}` must be a list of texts, like [\"a\", \"b\"], found {}",
                    describe(value)
                ),
            ));
        }
        items
    };
    let names: Vec<&str> = channels.iter().map(|c| c.name).collect();
    let chosen = list("channels", &mut problems);
    for c in chosen.iter().flatten() {
        if !names.contains(&c.as_str()) {
            problems.push(Problem::at(
                name,
                Some("channels"),
                format!(
                    "`channels` names no channel `{c}` in the configuration{}",
                    hint(c, names.iter().copied())
                ),
            ));
        }
    }
    let kind_names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    let kinds: Option<Vec<Kind>> = list("kinds", &mut problems).map(|ks| {
        ks.iter()
            .filter_map(|k| {
                let found = Kind::parse(k);
                if found.is_none() {
                    problems.push(Problem::at(
                        name,
                        Some("kinds"),
                        format!(
                            "`kinds` names no kind of channel `{k}`{}",
                            hint(k, kind_names.iter().copied())
                        ),
                    ));
                }
                found
            })
            .collect()
    });
    let langs = list("langs", &mut problems);
    for l in langs.iter().flatten() {
        if !crate::announcement::is_language_tag(l) {
            problems.push(Problem::at(
                name,
                Some("langs"),
                format!(
                    "`langs`: `{l}` is not a language code; {}",
                    crate::announcement::LANGUAGE_CODE
                ),
            ));
        }
    }
    let number = |key: &str, problems: &mut Vec<Problem>| -> Option<usize> {
        let value = t.get(key)?;
        match value.as_integer().and_then(|n| usize::try_from(n).ok()) {
            Some(n) => Some(n),
            None => {
                problems.push(Problem::at(
                    name,
                    Some(key),
                    format!(
                        "`{key}` must be a whole number (0 or more), found {}",
                        describe(value)
                    ),
                ));
                None
            }
        }
    };
    let needs = |key: &str, what: &str, problems: &mut Vec<Problem>| {
        if !t.contains_key(key) {
            problems.push(Problem::at(
                name,
                None,
                format!("`{key}` is missing: {what}"),
            ));
        }
    };
    let check = match text("check", &mut problems).as_deref() {
        Some("phrase") => {
            needs(
                "phrase",
                "the text each post must carry, per language, like `phrase = { en = \"Funded by the European Union\" }`",
                &mut problems,
            );
            lang_table(name, t.get("phrase"), &mut problems, |v| {
                v.as_str().map(str::to_owned)
            })
            .map(Check::Phrase)
        }
        Some("forbidden") => {
            needs(
                "words",
                "the words not to use, like `words = [\"synergy\"]` (every language) or `words = { en = [\"synergy\"] }`",
                &mut problems,
            );
            match t.get("words") {
                Some(toml::Value::Table(_)) => {
                    lang_table(name, t.get("words"), &mut problems, |v| {
                        v.as_array().and_then(|a| {
                            a.iter()
                                .map(|w| w.as_str().map(str::to_owned))
                                .collect::<Option<Vec<String>>>()
                        })
                    })
                    .map(|by_lang| Check::Forbidden {
                        all: Vec::new(),
                        by_lang,
                    })
                }
                Some(_) => list("words", &mut problems).map(|all| Check::Forbidden {
                    all,
                    by_lang: BTreeMap::new(),
                }),
                None => None,
            }
        }
        Some("hashtags") => {
            needs(
                "max",
                "the most hashtags a post may have, like `max = 3`",
                &mut problems,
            );
            number("max", &mut problems).map(Check::Hashtags)
        }
        Some("alt_text") => {
            needs(
                "min",
                "the fewest characters an image's alt text may have, like `min = 20`",
                &mut problems,
            );
            number("min", &mut problems).map(Check::AltText)
        }
        Some("camel_case") => {
            let min_length = number("min_length", &mut problems).unwrap_or(CAMEL_MIN_LENGTH);
            let allow = list("allow", &mut problems).unwrap_or_default();
            Some(Check::CamelCase {
                min_length,
                allow: allow
                    .iter()
                    .map(|a| a.trim_start_matches('#').to_lowercase())
                    .collect(),
            })
        }
        Some(other) => {
            problems.push(Problem::at(
                name,
                Some("check"),
                format!(
                    "unknown check `{other}`{}; checks: {}",
                    crate::suggest::did_you_mean(other, CHECKS.iter().copied()),
                    CHECKS.join(", ")
                ),
            ));
            None
        }
        None if t.contains_key("check") => None,
        None => {
            problems.push(Problem::at(
                name,
                None,
                format!("`check` is missing: one of {}", CHECKS.join(", ")),
            ));
            None
        }
    };
    let rule = Rule {
        name: name.to_owned(),
        level: level.unwrap_or(Severity::Error),
        channels: chosen,
        kinds,
        langs,
        check: check.unwrap_or(Check::Hashtags(usize::MAX)),
    };
    if let Check::Phrase(phrases) = &rule.check
        && problems.is_empty()
    {
        let missing = rule.languages_without_phrase(phrases, channels);
        if !missing.is_empty() {
            problems.push(Problem::at(
                name,
                Some("phrase"),
                format!(
                    "no phrase in {}; add {} to `phrase`, or narrow the rule with `channels`, `kinds` or `langs`",
                    missing.join(", "),
                    if missing.len() == 1 { "it" } else { "them" }
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(rule)
    } else {
        Err(problems)
    }
}

/// A table keyed by language code (`{ en = …, et = … }`), each value read by `item`.
fn lang_table<T>(
    rule: &str,
    value: Option<&toml::Value>,
    problems: &mut Vec<Problem>,
    item: impl Fn(&toml::Value) -> Option<T>,
) -> Option<BTreeMap<String, T>> {
    let value = value?;
    let key = if matches!(value.as_table(), Some(t) if t.values().any(toml::Value::is_array)) {
        "words"
    } else {
        "phrase"
    };
    let Some(t) = value.as_table() else {
        problems.push(Problem::at(
            rule,
            Some(key),
            format!(
                "`{key}` must be a table by language, like `{{ en = \"…\", et = \"…\" }}`, found {}",
                describe(value)
            ),
        ));
        return None;
    };
    let mut out = BTreeMap::new();
    for (lang, v) in t {
        if !crate::announcement::is_language_tag(lang) {
            problems.push(Problem::at(
                rule,
                Some(key),
                format!(
                    "`{key}`: `{lang}` is not a language code; {}",
                    crate::announcement::LANGUAGE_CODE
                ),
            ));
            continue;
        }
        match item(v) {
            Some(x) => {
                out.insert(lang.clone(), x);
            }
            None => problems.push(Problem::at(
                rule,
                Some(key),
                format!(
                    "`{key}` in `{lang}` must be {}, found {}",
                    if key == "words" {
                        "a list of texts"
                    } else {
                        "text in quotes"
                    },
                    describe(v)
                ),
            )),
        }
    }
    Some(out)
}

fn hint<'a>(word: &str, candidates: impl Iterator<Item = &'a str> + Clone) -> String {
    let close = crate::suggest::did_you_mean(word, candidates.clone());
    if close.is_empty() {
        format!("; known: {}", candidates.collect::<Vec<_>>().join(", "))
    } else {
        close
    }
}

impl Rule {
    /// Whether the rule covers a post to `channel` of a variant in `lang`.
    fn covers(&self, name: &str, kind: Kind, lang: Option<&str>) -> bool {
        self.channels
            .as_ref()
            .is_none_or(|cs| cs.iter().any(|c| c == name))
            && self.kinds.as_ref().is_none_or(|ks| ks.contains(&kind))
            && lang.is_none_or(|l| {
                self.langs
                    .as_ref()
                    .is_none_or(|ls| ls.iter().any(|x| x == l))
            })
    }

    /// The languages the rule covers that have no phrase, each with the channel that
    /// posts in it: "`ru` (channel `telegram_ru`)". With `langs`, those languages.
    fn languages_without_phrase(
        &self,
        phrases: &BTreeMap<String, String>,
        channels: &[ChannelFacts<'_>],
    ) -> Vec<String> {
        if let Some(langs) = &self.langs {
            return langs
                .iter()
                .filter(|l| !phrases.contains_key(*l))
                .map(|l| format!("`{l}`"))
                .collect();
        }
        let mut missing: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for c in channels
            .iter()
            .filter(|c| self.covers(c.name, c.kind, None))
        {
            if !phrases.contains_key(c.lang) {
                missing.entry(c.lang).or_default().push(c.name);
            }
        }
        missing
            .into_iter()
            .map(|(lang, names)| {
                let names: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                format!(
                    "`{lang}` ({} {})",
                    if names.len() == 1 {
                        "channel"
                    } else {
                        "channels"
                    },
                    names.join(", ")
                )
            })
            .collect()
    }

    fn diagnostic(&self, v: &Variant, pos: Option<Pos>, message: String) -> Diagnostic {
        let message = format!("{message} (house rule `{}`)", self.name);
        match self.level {
            Severity::Error => Diagnostic::error(&v.path, pos, message),
            Severity::Warning => Diagnostic::warning(&v.path, pos, message),
        }
    }
}

/// The text a post sends, as a reader sees it: every part, the subject of an email,
/// HTML without its tags.
fn sent_text(post: &Post<'_>) -> String {
    let mut text = String::new();
    if let Some(subject) = &post.subject {
        text.push_str(subject);
        text.push('\n');
    }
    let html = matches!(post.channel.rules().shape, Shape::Html | Shape::Feed);
    for part in &post.parts {
        if html {
            text.push_str(&crate::render::visible_text(&part.text));
        } else {
            text.push_str(&part.text);
        }
        text.push('\n');
    }
    text
}

/// The problems `rules` find in `post` (nothing for a skipped post). `root` is the
/// repository, where the announcement file is read again to point at a word.
pub fn check(rules: &[Rule], post: &Post<'_>, root: &Path) -> Vec<Diagnostic> {
    let v = post.variant;
    let c = &post.channel;
    let mut out = Vec::new();
    if post.skipped || rules.is_empty() {
        return out;
    }
    let covering: Vec<&Rule> = rules
        .iter()
        .filter(|r| r.covers(c.name(), c.kind(), Some(&v.lang)))
        .collect();
    if covering.is_empty() {
        return out;
    }
    let text = sent_text(post);
    let mut file: Option<String> = None;
    let body_start = Some(Pos::new(v.body_line, 1));
    for rule in covering {
        match &rule.check {
            Check::Phrase(phrases) => match phrases.get(&v.lang) {
                Some(phrase) if !contains_phrase(&text, phrase) => {
                    // Where the post's text comes from, and so where the phrase goes.
                    let (at, fix) = if v
                        .front
                        .overrides
                        .get(c.name())
                        .is_some_and(|o| o.text.is_some())
                    {
                        (body_start, "its text is the one in `overrides`: add it there")
                    } else if post.from_summary {
                        (
                            v.front.summary_position.or(body_start),
                            "the text is too long for it, so it is made from the `summary`: add it to the summary",
                        )
                    } else {
                        (body_start, "add it to the text")
                    };
                    out.push(rule.diagnostic(
                        v,
                        at,
                        format!(
                            "the post for `{}` does not say \"{phrase}\"; {fix}",
                            c.name()
                        ),
                    ))
                }
                Some(_) => {}
                None => out.push(rule.diagnostic(
                    v,
                    body_start,
                    format!(
                        "`{}` gets this `{}` file, but the rule has no phrase in `{}`; add one to `phrase` in the configuration",
                        c.name(),
                        v.lang,
                        v.lang
                    ),
                )),
            },
            Check::Forbidden { all, by_lang } => {
                let words = all.iter().chain(by_lang.get(&v.lang).into_iter().flatten());
                for word in words {
                    if find_word(&text, word).is_none() {
                        continue;
                    }
                    let file = file.get_or_insert_with(|| read_file(root, v));
                    let message = |whereabouts: &str| {
                        format!(
                            "\"{word}\" is on the list of words not to use{whereabouts}; say it another way"
                        )
                    };
                    match find_word(file, word) {
                        Some(at) => out.push(rule.diagnostic(v, Some(pos_of(file, at)), message(""))),
                        None => out.push(rule.diagnostic(
                            v,
                            None,
                            message(&format!(
                                " and comes from the template for `{}`",
                                c.name()
                            )),
                        )),
                    }
                }
            }
            Check::Hashtags(max) => {
                let tags = hashtags(&text);
                if tags.len() > *max {
                    let at = v
                        .front
                        .tag_positions
                        .get(*max)
                        .or(v.front.tag_positions.first())
                        .copied()
                        .or(body_start);
                    out.push(rule.diagnostic(
                        v,
                        at,
                        format!(
                            "the post for `{}` has {} hashtags ({}); at most {max} on {}: remove {}",
                            c.name(),
                            tags.len(),
                            tags.iter().map(|t| format!("#{t}")).collect::<Vec<_>>().join(" "),
                            c.kind().facts().display_name,
                            tags.len() - max
                        ),
                    ));
                }
            }
            Check::AltText(min) => {
                if c.rules().max_images == 0 {
                    continue;
                }
                for (i, img) in v.front.images.iter().enumerate() {
                    let n = img.alt.trim().chars().count();
                    if n < *min && n > 0 {
                        out.push(rule.diagnostic(
                            v,
                            v.front.image_positions.get(i).copied(),
                            format!(
                                "the alt text of `{}` is {n} characters, fewer than {min}; describe what the image shows for people who cannot see it",
                                img.path
                            ),
                        ));
                    }
                }
            }
            Check::CamelCase { min_length, allow } => {
                for tag in hashtags(&text) {
                    let letters = tag.chars().filter(|ch| ch.is_alphabetic()).count();
                    let lower = !tag.chars().any(char::is_uppercase);
                    if !lower || letters < *min_length || allow.contains(&tag.to_lowercase()) {
                        continue;
                    }
                    let at = v
                        .front
                        .tags
                        .iter()
                        .position(|t| *t == tag)
                        .and_then(|i| v.front.tag_positions.get(i).copied())
                        .or_else(|| {
                            let file = file.get_or_insert_with(|| read_file(root, v));
                            find_word(file, &format!("#{tag}")).map(|at| pos_of(file, at))
                        });
                    out.push(rule.diagnostic(
                        v,
                        at,
                        format!(
                            "`#{tag}` is all lowercase, so a screen reader reads it as one long word; if it is several words, start each with a capital (like `#VisitEstonia`); if it is one word, add \"{tag}\" to `allow` in `[rules.{}]`",
                            rule.name
                        ),
                    ));
                }
            }
        }
    }
    out
}

/// The announcement file as text (empty when it cannot be read: the rule then points at
/// no place).
fn read_file(root: &Path, v: &Variant) -> String {
    std::fs::read_to_string(root.join(&v.path))
        .map(crate::announcement::normalize_newlines)
        .unwrap_or_default()
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
fn pos_of(text: &str, at: usize) -> Pos {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Pos::new(line, column)
}

/// Whether `text` says `phrase`, ignoring case and how the spaces fall (a line break in
/// the middle of the phrase is still the phrase).
fn contains_phrase(text: &str, phrase: &str) -> bool {
    let squash = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    squash(text).contains(&squash(phrase))
}

/// The byte offset of the first place `word` stands in `text` as a word of its own (not
/// inside a longer word), ignoring case.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let wanted: Vec<char> = word.trim().chars().flat_map(char::to_lowercase).collect();
    let (first, last) = (*wanted.first()?, *wanted.last()?);
    // Most texts do not have the word at all: one cheap look first.
    if !text
        .to_lowercase()
        .contains(&wanted.iter().collect::<String>())
    {
        return None;
    }
    let is_word = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut prev: Option<char> = None;
    for (i, ch) in text.char_indices() {
        let clean_start = prev.is_none_or(|p| !is_word(p) || !is_word(first));
        prev = Some(ch);
        if !clean_start {
            continue;
        }
        let mut lowered = Vec::with_capacity(wanted.len());
        let mut end = i;
        for c in text[i..].chars() {
            if lowered.len() >= wanted.len() {
                break;
            }
            lowered.extend(c.to_lowercase());
            end += c.len_utf8();
        }
        let clean_end = text[end..]
            .chars()
            .next()
            .is_none_or(|n| !is_word(n) || !is_word(last));
        if lowered == wanted && clean_end {
            return Some(i);
        }
    }
    None
}

/// The hashtags in `text`, without `#`: a `#` at the start or after a character that is
/// not part of a word, followed by letters, digits and `_` with a letter among them.
fn hashtags(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, ch) = chars[i];
        if ch == '#' && prev.is_none_or(|p| !(p.is_alphanumeric() || p == '_' || p == '&')) {
            let start = at + 1;
            let mut j = i + 1;
            while j < chars.len() && (chars[j].1.is_alphanumeric() || chars[j].1 == '_') {
                j += 1;
            }
            let end = chars.get(j).map_or(text.len(), |c| c.0);
            let tag = &text[start..end];
            if tag.chars().any(char::is_alphabetic) {
                out.push(tag.to_owned());
            }
            prev = chars.get(j.saturating_sub(1)).map(|c| c.1);
            i = j;
            continue;
        }
        prev = Some(ch);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_found_whole_and_in_any_case() {
        assert_eq!(find_word("A class act", "ass"), None);
        assert_eq!(find_word("Real Synergy here", "synergy"), Some(5));
        assert_eq!(find_word("synergy", "SYNERGY"), Some(0));
        assert_eq!(find_word("Väga sünergiline", "sünergia"), None);
        assert_eq!(find_word("see on sünergia.", "sünergia"), Some(7));
        assert_eq!(find_word("a #visitestonia b", "#visitestonia"), Some(2));
        assert_eq!(find_word("in win-win terms", "win-win"), Some(3));
    }

    #[test]
    fn hashtags_are_words_after_a_hash() {
        assert_eq!(
            hashtags("#Tartu and #visit_estonia, not a#b nor #2024 nor &#39;"),
            ["Tartu", "visit_estonia"]
        );
        assert_eq!(
            hashtags("#Jõulutuli #tartu2024"),
            ["Jõulutuli", "tartu2024"]
        );
    }

    #[test]
    fn phrases_ignore_case_and_line_breaks() {
        assert!(contains_phrase(
            "Text.\n\nFunded by the\nEuropean Union",
            "funded by the European Union"
        ));
        assert!(!contains_phrase(
            "Funded by the EU",
            "Funded by the European Union"
        ));
    }
}
