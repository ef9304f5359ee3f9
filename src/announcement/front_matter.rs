//! Splitting a file into front matter and body, and checking every field.
//!
//! Each field is checked on its own and every problem is recorded with the field's line
//! and column; a bad field never stops the others from being read.

use super::yaml::{self, Key, Node, Value};
use super::{Approval, ChannelSelection, FrontMatter, Image, Override, ThreadMode};
use crate::diagnostic::{Diagnostic, Diagnostics, Pos};
use crate::suggest::did_you_mean;
use crate::time::parse_time;
use jiff::tz::TimeZone;
use std::collections::BTreeMap;
use std::path::Path;

const FIELDS: &[&str] = &[
    "title",
    "summary",
    "publish_at",
    "expires_at",
    "channels",
    "link",
    "images",
    "tags",
    "lang",
    "overrides",
    "thread",
    "approval",
    "retract",
];

/// A file cut into its two parts, with the line each starts on.
#[derive(Debug, PartialEq)]
pub struct Split<'a> {
    pub yaml: &'a str,
    pub yaml_line: usize,
    pub body: &'a str,
    pub body_line: usize,
}

/// Cuts `---\n<yaml>---\n<body>`. The text must already have `\n` line endings.
pub fn split_front_matter(text: &str) -> Result<Split<'_>, (Pos, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| (text.trim_end() == "---").then_some(""))
    else {
        return Err((
            Pos::START,
            "the file must start with a line `---`, then the fields (title, publish_at, …), \
             then another `---` line, then the text"
                .into(),
        ));
    };
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        let bare = line.trim_end_matches('\n').trim_end();
        if bare == "---" || bare == "..." {
            return Ok(Split {
                yaml: &rest[..offset],
                yaml_line: 2,
                body: &rest[offset + line.len()..],
                body_line: i + 3,
            });
        }
        offset += line.len();
    }
    Err((
        Pos::START,
        "the front matter is not closed: add a line `---` after the last field".into(),
    ))
}

/// What checking the fields needs to know about the instance.
pub struct FieldContext<'a> {
    pub root: &'a Path,
    pub tz: &'a TimeZone,
    pub channel_names: &'a [String],
}

/// Reads every field of the front matter, recording each problem; and whether the front
/// matter was fields at all (not empty, not a list or a lone value): only then is there
/// something to render.
fn read_fields(
    root: Option<&Node>,
    ctx: &FieldContext<'_>,
    path: &Path,
    diags: &mut Diagnostics,
) -> (FrontMatter, bool) {
    let mut r = Reader { ctx, path, diags };
    let mut front = FrontMatter::default();
    let Some(root) = root.filter(|n| !n.is_null()) else {
        r.error(
            Pos::START,
            "the front matter is empty; it needs at least a `title`",
        );
        return (front, false);
    };
    let Value::Map(entries) = &root.value else {
        r.error(
            root.pos,
            format!(
                "the front matter must be fields like `title: …`, found {}",
                root.describe()
            ),
        );
        return (front, false);
    };
    let mut has_title = false;
    for (key, node) in entries {
        match key.name.as_str() {
            "title" => {
                has_title = true;
                front.title_position = Some(node.pos);
                if let Some(t) = r.text(key, node) {
                    if t.trim().is_empty() {
                        r.error(node.pos, "`title` is empty; write the headline");
                    }
                    front.title = t;
                }
            }
            "summary" => {
                front.summary = r.text(key, node);
                front.summary_position = Some(node.pos);
            }
            "publish_at" => {
                front.publish_at = r.time(key, node);
                front.publish_at_position = Some(node.pos);
            }
            "expires_at" => front.expires_at = r.time(key, node),
            "channels" => (front.channels, front.channel_positions) = r.channels(node),
            "link" => {
                front.link = r.link(key, node);
                front.link_position = Some(node.pos);
            }
            "images" => (front.images, front.image_positions) = r.images(node),
            "tags" => (front.tags, front.tag_positions) = r.tags(node),
            "lang" => {
                front.lang = r.lang(key, node);
                front.lang_position = Some(node.pos);
            }
            "overrides" => front.overrides = r.overrides(node),
            "thread" => front.thread = r.thread(node),
            "approval" => front.approvals = r.approvals(node),
            "retract" => {
                if let Some(reason) = r.text(key, node) {
                    if reason.trim().is_empty() {
                        r.error(
                            node.pos,
                            "`retract` is empty; say in a few words why the announcement is withdrawn (the audit keeps it)",
                        );
                    }
                    front.retract = Some(reason);
                }
            }
            other => r.error(
                key.pos,
                format!(
                    "unknown field `{other}`{}",
                    hint_or_list(other, FIELDS.iter().copied())
                ),
            ),
        }
    }
    if !has_title {
        // Reported at the opening `---`: the front matter as a whole lacks it.
        r.error(Pos::START, "`title` is missing; add a line `title: …`");
    }
    if let (Some(p), Some(e)) = (front.publish_at, front.expires_at)
        && e <= p
    {
        let pos = entries
            .iter()
            .find(|(k, _)| k.name == "expires_at")
            .map_or(root.pos, |(_, n)| n.pos);
        r.error(
            pos,
            "`expires_at` is not after `publish_at`; it would never be published",
        );
    }
    (front, true)
}

fn hint_or_list<'a>(word: &str, candidates: impl Iterator<Item = &'a str> + Clone) -> String {
    let hint = did_you_mean(word, candidates.clone());
    if hint.is_empty() {
        format!("; known: {}", candidates.collect::<Vec<_>>().join(", "))
    } else {
        hint
    }
}

struct Reader<'a, 'b> {
    ctx: &'a FieldContext<'a>,
    path: &'a Path,
    diags: &'b mut Diagnostics,
}

impl Reader<'_, '_> {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(self.path, Some(pos), message));
    }

    fn text(&mut self, key: &Key, node: &Node) -> Option<String> {
        self.text_named(&key.name, node)
    }

    fn text_named(&mut self, name: &str, node: &Node) -> Option<String> {
        match node.as_str() {
            Some(s) => Some(s.to_owned()),
            None => {
                self.error(
                    node.pos,
                    format!("`{name}` must be text, found {}", node.describe()),
                );
                None
            }
        }
    }

    fn list<'n>(&mut self, name: &str, node: &'n Node) -> &'n [Node] {
        match &node.value {
            Value::Seq(items) => items,
            _ => {
                self.error(
                    node.pos,
                    format!(
                        "`{name}` must be a list (`[a, b]` or one `- item` per line), found {}",
                        node.describe()
                    ),
                );
                &[]
            }
        }
    }

    fn map<'n>(&mut self, name: &str, node: &'n Node) -> &'n [(Key, Node)] {
        match &node.value {
            Value::Map(entries) => entries,
            _ => {
                self.error(
                    node.pos,
                    format!(
                        "`{name}` must be a set of fields, found {}",
                        node.describe()
                    ),
                );
                &[]
            }
        }
    }

    fn time(&mut self, key: &Key, node: &Node) -> Option<jiff::Timestamp> {
        let text = self.text(key, node)?;
        // A date alone would mean midnight, which is rarely what anyone meant: ask.
        let date = text.trim().trim_end_matches(['T', 't']);
        if date.parse::<jiff::civil::Date>().is_ok() && !date.contains(':') {
            self.error(
                node.pos,
                format!(
                    "`{}`: `{}` has a date but no time; write the time too, e.g. `{date} 10:00`",
                    key.name,
                    text.trim()
                ),
            );
            return None;
        }
        match parse_time(&text, self.ctx.tz) {
            Ok(t) => Some(t),
            Err(message) => {
                self.error(node.pos, format!("`{}`: {message}", key.name));
                None
            }
        }
    }

    fn channels(&mut self, node: &Node) -> (ChannelSelection, Vec<Pos>) {
        if node.as_str() == Some("all") {
            return (ChannelSelection::All, Vec::new());
        }
        if let Some(one) = node.as_str() {
            self.error(
                node.pos,
                format!("`channels` must be `all` or a list like `[{one}]`"),
            );
            return (ChannelSelection::None, Vec::new());
        }
        let mut names = Vec::new();
        let mut positions = Vec::new();
        for item in self.list("channels", node) {
            let Some(name) = self.text_named("channels", item) else {
                continue;
            };
            if !self.ctx.channel_names.contains(&name) {
                let known = self.ctx.channel_names.iter().map(String::as_str);
                self.error(
                    item.pos,
                    format!(
                        "no channel `{name}` in the configuration{}",
                        hint_or_list(&name, known)
                    ),
                );
            } else if names.contains(&name) {
                self.error(item.pos, format!("channel `{name}` is listed twice"));
            } else {
                names.push(name);
                positions.push(item.pos);
            }
        }
        (ChannelSelection::Named(names), positions)
    }

    fn link(&mut self, key: &Key, node: &Node) -> Option<String> {
        let link = self.text(key, node)?;
        if let Err(why) = check_url(&link) {
            self.error(node.pos, format!("`link` {why}"));
        }
        Some(link)
    }

    fn images(&mut self, node: &Node) -> (Vec<Image>, Vec<Pos>) {
        let mut images = Vec::new();
        let mut positions = Vec::new();
        for item in self.list("images", node) {
            let mut path = None;
            let mut path_pos = item.pos;
            let mut alt = None;
            for (key, value) in self.map("images", item) {
                match key.name.as_str() {
                    "path" => {
                        path_pos = value.pos;
                        path = self.text(key, value).inspect(|p| {
                            if let Err(why) = check_inside_root(self.ctx.root, p) {
                                self.error(value.pos, why);
                            }
                        })
                    }
                    "alt" => {
                        alt = self.text(key, value);
                        if alt.as_deref().is_some_and(|a| a.trim().is_empty()) {
                            self.error(
                                value.pos,
                                "`alt` is empty; describe the image for people who cannot see it",
                            );
                        }
                    }
                    other => self.error(
                        key.pos,
                        format!("unknown image field `{other}`; an image has `path` and `alt`"),
                    ),
                }
            }
            if path.is_none() && matches!(item.value, Value::Map(_)) {
                self.error(item.pos, "this image has no `path`");
            }
            if alt.is_none() && matches!(item.value, Value::Map(_)) {
                self.error(
                    item.pos,
                    "this image has no `alt` text; describe the image for people who cannot see it",
                );
            }
            if let (Some(path), Some(alt)) = (path, alt) {
                images.push(Image { path, alt });
                positions.push(path_pos);
            }
        }
        (images, positions)
    }

    fn tags(&mut self, node: &Node) -> (Vec<String>, Vec<Pos>) {
        let mut tags = Vec::new();
        let mut positions = Vec::new();
        for item in self.list("tags", node) {
            if item.is_null() {
                self.error(
                    item.pos,
                    "this tag is empty: write tags without `#` (Herald adds it), \
                     as `- Viljandi`; in YAML a `#` starts a comment",
                );
                continue;
            }
            let Some(tag) = self.text_named("tags", item) else {
                continue;
            };
            if let Some(bare) = tag.strip_prefix('#') {
                self.error(
                    item.pos,
                    format!("write tags without `#`: `{bare}` (Herald adds the `#`)"),
                );
            } else if tag.is_empty() || !tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
                self.error(
                    item.pos,
                    format!(
                        "tag `{tag}` would not work as a hashtag: use letters, digits and `_` only"
                    ),
                );
            } else {
                tags.push(tag);
                positions.push(item.pos);
            }
        }
        (tags, positions)
    }

    fn lang(&mut self, key: &Key, node: &Node) -> Option<String> {
        let lang = self.text(key, node)?;
        if !is_language_tag(&lang) {
            self.error(
                node.pos,
                format!(
                    "`lang`: `{lang}` is not a language code{}; {LANGUAGE_CODE}",
                    likely_language(&lang)
                        .map(|l| format!(" (did you mean `{l}`?)"))
                        .unwrap_or_default()
                ),
            );
            return None;
        }
        Some(lang)
    }

    fn overrides(&mut self, node: &Node) -> std::collections::BTreeMap<String, Override> {
        let mut out = std::collections::BTreeMap::new();
        for (key, value) in self.map("overrides", node) {
            if !self.ctx.channel_names.contains(&key.name) {
                let known = self.ctx.channel_names.iter().map(String::as_str);
                self.error(
                    key.pos,
                    format!(
                        "`overrides` names no channel `{}` in the configuration{}",
                        key.name,
                        hint_or_list(&key.name, known)
                    ),
                );
                continue;
            }
            let mut o = Override::default();
            for (field, v) in self.map("overrides", value) {
                match field.name.as_str() {
                    "text" => o.text = self.text(field, v),
                    "skip" => match v.as_bool() {
                        Some(b) => o.skip = b,
                        None => self.error(
                            v.pos,
                            format!("`skip` must be `true` or `false`, found {}", v.describe()),
                        ),
                    },
                    other => self.error(
                        field.pos,
                        format!("unknown override `{other}`; an override has `text` or `skip`"),
                    ),
                }
            }
            out.insert(key.name.clone(), o);
        }
        out
    }

    fn thread(&mut self, node: &Node) -> Option<ThreadMode> {
        match (node.as_str(), node.as_bool()) {
            (_, Some(false)) => Some(ThreadMode::Off),
            (Some("auto"), _) => Some(ThreadMode::Auto),
            _ => {
                self.error(
                    node.pos,
                    "`thread` must be `auto` (split long posts into a thread) or `false`",
                );
                None
            }
        }
    }

    /// One approval (`approval: {by, at, hash}`) or several (a list of them, when two
    /// approvers are required).
    fn approvals(&mut self, node: &Node) -> Vec<Approval> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| self.approval(item))
                .collect(),
            _ => self.approval(node).into_iter().collect(),
        }
    }

    fn approval(&mut self, node: &Node) -> Option<Approval> {
        let (mut by, mut at, mut hash, mut posts) = (None, None, None, None);
        for (key, value) in self.map("approval", node) {
            match key.name.as_str() {
                "by" => by = self.text(key, value),
                "at" => at = self.time(key, value),
                "hash" => hash = self.text(key, value),
                "posts" => {
                    let mut pinned = BTreeMap::new();
                    for (channel, digest) in self.map("posts", value) {
                        if let Some(d) = self.text(channel, digest) {
                            pinned.insert(channel.name.clone(), d);
                        }
                    }
                    posts = Some(pinned);
                }
                other => self.error(
                    key.pos,
                    format!("unknown approval field `{other}`; `herald approve` writes `by`, `at`, `hash` and `posts`"),
                ),
            }
        }
        match (by, hash) {
            (Some(by), Some(hash)) => Some(Approval {
                by,
                at,
                hash,
                posts,
            }),
            _ => {
                self.error(
                    node.pos,
                    "the approval is incomplete; remove it and run `herald approve` again",
                );
                None
            }
        }
    }
}

/// What a language code looks like, for messages about one that is not.
pub const LANGUAGE_CODE: &str = "a language code is two or three lowercase letters (`et`, `en`, `ru`), \
     optionally followed by `-` and a region or script (`en-GB`, `sr-Latn`)";

/// The code someone who wrote `s` most likely meant, when `s` is not the code itself:
/// `EN` → `en`, `en_GB` → `en-GB`, `eng` → `en`, `english` → `en`.
pub fn likely_language(s: &str) -> Option<String> {
    // The three-letter codes and the names people write for the languages Herald's
    // users publish in most, where a two-letter code exists (which BCP 47 asks for).
    const KNOWN: &[(&str, &[&str])] = &[
        ("en", &["eng", "english", "inglise"]),
        ("et", &["est", "estonian", "eesti"]),
        ("ru", &["rus", "russian", "vene"]),
        ("de", &["deu", "ger", "german", "deutsch", "saksa"]),
        ("fi", &["fin", "finnish", "suomi", "soome"]),
        ("sv", &["swe", "swedish", "svenska", "rootsi"]),
        ("hu", &["hun", "hungarian", "magyar"]),
        ("it", &["ita", "italian", "italiano"]),
        ("fr", &["fra", "fre", "french", "francais"]),
        ("es", &["spa", "spanish", "espanol"]),
        ("lv", &["lav", "latvian", "latviesu", "läti"]),
        ("lt", &["lit", "lithuanian", "lietuviu", "leedu"]),
        ("uk", &["ukr", "ukrainian", "ukraina"]),
        ("pl", &["pol", "polish", "polski", "poola"]),
    ];
    let lower = s.trim().to_lowercase();
    if let Some((code, _)) = KNOWN
        .iter()
        .find(|(_, names)| names.contains(&lower.as_str()))
    {
        return Some((*code).to_owned());
    }
    // Case and separators: the language in lowercase, a region in capitals.
    let mut parts = s.trim().split(['-', '_']);
    let mut fixed = parts.next().unwrap_or("").to_lowercase();
    for p in parts {
        fixed.push('-');
        if p.len() == 2 {
            fixed.push_str(&p.to_uppercase());
        } else {
            fixed.push_str(p);
        }
    }
    (fixed != s && is_language_tag(&fixed)).then_some(fixed)
}

/// `et`, `en`, `en-GB`, `sr-Latn`: a BCP 47 language with optional subtags.
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_lowercase()));
    lang_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// An absolute http(s) URL with a host and no spaces.
pub fn check_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("must start with `https://`, found `{url}`"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || !host.contains('.') && !host.starts_with("localhost") {
        return Err(format!("has no web address after `https://`: `{url}`"));
    }
    if url.chars().any(char::is_whitespace) {
        return Err(format!("contains a space: `{url}`"));
    }
    Ok(())
}

/// A path written in configuration: relative, without `..`.
pub fn check_relative(rel: &str) -> Result<(), String> {
    let p = Path::new(rel);
    if rel.contains('\\') {
        return Err(format!(
            "must separate folders with `/`, not `\\`, found `{rel}`"
        ));
    }
    if p.is_absolute() || rel.starts_with(['/', '\\']) || rel.contains(':') {
        return Err(format!("must be relative to the repository, found `{rel}`"));
    }
    if p.components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!(
            "must stay inside the repository (no `..`), found `{rel}`"
        ));
    }
    Ok(())
}

/// Refuses paths that leave the instance root: absolute paths, `..`, and symlinks that
/// point outside. A missing file is an error too.
pub fn check_inside_root(root: &Path, rel: &str) -> Result<(), String> {
    use std::path::Component;
    let p = Path::new(rel);
    if rel.contains('\\') {
        return Err(format!(
            "`{rel}` separates folders with `\\`; write `/` instead (`{}`), as on every system",
            rel.replace('\\', "/")
        ));
    }
    if p.is_absolute() || rel.starts_with(['/', '\\']) || rel.contains(':') {
        return Err(format!(
            "`{rel}` is an absolute path; write it relative to the repository, e.g. `announcements/images/photo.jpg`"
        ));
    }
    if p.components().any(|c| matches!(c, Component::ParentDir)) {
        return Err(format!(
            "`{rel}` uses `..` to leave the repository; keep images inside it"
        ));
    }
    let full = root.join(p);
    let real = full
        .canonicalize()
        .map_err(|_| format!("image `{rel}` not found"))?;
    let real_root = root
        .canonicalize()
        .map_err(|e| format!("cannot resolve the repository folder: {e}"))?;
    if !real.starts_with(&real_root) {
        return Err(format!(
            "`{rel}` is a link to a file outside the repository; copy the image into it instead"
        ));
    }
    if let Ok(meta) = std::fs::metadata(&real)
        && !meta.is_file()
    {
        return Err(format!(
            "`{rel}` is {}",
            crate::limits::describe(meta.file_type())
        ));
    }
    Ok(())
}

/// Parses the YAML and reads the fields, turning a YAML syntax error into a diagnostic.
pub fn parse_front_matter(
    yaml_text: &str,
    first_line: usize,
    ctx: &FieldContext<'_>,
    path: &Path,
    diags: &mut Diagnostics,
) -> Option<FrontMatter> {
    parse_fields(yaml_text, first_line, ctx, path, diags).map(|(front, _)| front)
}

/// [`parse_front_matter`], and whether the front matter was fields at all (see
/// [`read_fields`]): a file whose fields could be read is rendered for its posts'
/// problems even when a field has an error, so one error does not hide another.
pub fn parse_fields(
    yaml_text: &str,
    first_line: usize,
    ctx: &FieldContext<'_>,
    path: &Path,
    diags: &mut Diagnostics,
) -> Option<(FrontMatter, bool)> {
    match yaml::parse(yaml_text, first_line) {
        Ok(root) => Some(read_fields(root.as_ref(), ctx, path, diags)),
        Err(e) => {
            diags.push(Diagnostic::error(path, Some(e.pos), e.message));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_counts_lines() {
        let s = split_front_matter("---\ntitle: a\n---\nbody\n").unwrap();
        assert_eq!(s.yaml, "title: a\n");
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line, 4);
    }

    #[test]
    fn missing_delimiters_are_explained() {
        assert!(
            split_front_matter("title: a\n")
                .unwrap_err()
                .1
                .contains("start with")
        );
        assert!(
            split_front_matter("---\ntitle: a\n")
                .unwrap_err()
                .1
                .contains("not closed")
        );
    }

    #[test]
    fn language_tags() {
        for ok in ["et", "en", "en-GB", "sr-Latn", "fil"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["EN", "e", "english", "en_GB", ""] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn urls() {
        assert!(check_url("https://www.interregeurope.eu/better/").is_ok());
        assert!(check_url("www.example.org").is_err());
        assert!(check_url("https://").is_err());
        assert!(check_url("https://exa mple.org").is_err());
    }
}
