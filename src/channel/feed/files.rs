//! The three feed files of one language, built from its entries (and the marks removed
//! entries left), and how they reach the disk. Building is a pure function of the
//! entries, the marks and the feed's settings: the same entries always give the same
//! bytes.

use super::entry::{Entry, Removed};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::Write;
use std::path::Path;

pub const RSS: &str = "rss.xml";
pub const ATOM: &str = "atom.xml";
pub const JSON: &str = "feed.json";
/// Where the entry snapshots live, inside the language's folder.
pub const ENTRIES: &str = ".entries";
/// Where the marks of removed entries live, inside the language's folder.
pub const REMOVED: &str = ".deleted";

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
/// RFC 6721's namespace, for `at:deleted-entry`.
const TOMBSTONES_NS: &str = "http://purl.org/atompub/tombstones/1.0";

/// What describes the feed itself.
#[derive(Debug, Clone)]
pub struct Meta {
    pub title: String,
    pub description: String,
    pub author: String,
    pub site_url: String,
    pub lang: String,
    /// The public address of the language's folder, ending in `/`.
    pub base_url: String,
}

impl Meta {
    pub fn url_of(&self, file: &str) -> String {
        format!("{}{file}", self.base_url)
    }
}

/// Newest first; entries published at the same instant by id, so the order is total.
pub fn sort(entries: &mut [Entry]) {
    entries.sort_by(|a, b| b.published.cmp(&a.published).then(a.id.cmp(&b.id)));
}

/// The three files, named, for `entries` and the marks of `removed` ones (both sorted
/// here). A mark whose entry is in the feed again is left out: an entry is either there
/// or removed.
pub fn build(meta: &Meta, entries: &[Entry], removed: &[Removed]) -> Vec<(&'static str, Vec<u8>)> {
    let mut sorted = entries.to_vec();
    sort(&mut sorted);
    let mut marks: Vec<Removed> = removed
        .iter()
        .filter(|r| !entries.iter().any(|e| e.tag == r.tag))
        .cloned()
        .collect();
    marks.sort_by(|a, b| b.when.cmp(&a.when).then(a.tag.cmp(&b.tag)));
    // The feed changed last when its newest entry was posted or corrected, or an entry
    // was removed.
    let changed = sorted
        .iter()
        .map(Entry::changed)
        .chain(marks.iter().map(|r| r.when))
        .max();
    vec![
        (RSS, rss(meta, &sorted, changed)),
        (ATOM, atom(meta, &sorted, &marks, changed)),
        (JSON, json_feed(meta, &sorted)),
    ]
}

/// RSS 2.0: items with a non-permalink guid, an RFC 2822 date and the tags as categories;
/// `atom:link rel="self"` as the RSS Advisory Board recommends.
fn rss(meta: &Meta, entries: &[Entry], changed: Option<jiff::Timestamp>) -> Vec<u8> {
    use rss::extension::{Extension, ExtensionMap};
    let self_link = Extension {
        name: "atom:link".into(),
        attrs: [
            ("href", meta.url_of(RSS)),
            ("rel", "self".into()),
            ("type", "application/rss+xml".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        ..Extension::default()
    };
    let mut extensions = ExtensionMap::default();
    extensions
        .entry("atom".into())
        .or_default()
        .insert("link".into(), vec![self_link]);
    let channel = rss::Channel {
        title: meta.title.clone(),
        link: meta.site_url.clone(),
        description: meta.description.clone(),
        language: Some(meta.lang.clone()),
        last_build_date: changed.map(rfc2822),
        namespaces: [("atom".to_owned(), ATOM_NS.to_owned())].into(),
        extensions,
        items: entries
            .iter()
            .map(|e| rss::Item {
                title: Some(e.title.clone()),
                link: Some(e.url.clone()),
                description: Some(e.content_html.clone()),
                guid: Some(rss::Guid {
                    value: e.tag.clone(),
                    permalink: false,
                }),
                pub_date: Some(rfc2822(e.published)),
                categories: e
                    .tags
                    .iter()
                    .map(|t| rss::Category {
                        name: t.clone(),
                        domain: None,
                    })
                    .collect(),
                ..rss::Item::default()
            })
            .collect(),
        ..rss::Channel::default()
    };
    let mut out = channel
        .pretty_write_to(Vec::new(), b' ', 2)
        .expect("writing to memory cannot fail");
    out.push(b'\n');
    out
}

fn rfc2822(t: jiff::Timestamp) -> String {
    // In UTC with `+0000`: a bare timestamp would print `-0000`, "offset unknown".
    jiff::fmt::rfc2822::to_string(&t.to_zoned_datetime(jiff::tz::TimeZone::UTC))
        .expect("a publication date is within RFC 2822's range")
}

/// Atom (RFC 4287): the feed's author stands for every entry's; `updated` is `changed`,
/// so it changes only when an entry is added, corrected or removed. An entry's `updated`
/// is its correction's date, else its publication's. Each removed entry is an
/// `at:deleted-entry` with `ref` and `when` (RFC 6721 §3), after the entries.
fn atom(
    meta: &Meta,
    entries: &[Entry],
    removed: &[Removed],
    changed: Option<jiff::Timestamp>,
) -> Vec<u8> {
    use atom_syndication as a;
    let date = |t: jiff::Timestamp| {
        a::FixedDateTime::parse_from_rfc3339(&t.to_string()).expect("jiff prints RFC 3339")
    };
    let link = |href: String, rel: &str, mime: Option<&str>| a::Link {
        href,
        rel: rel.into(),
        mime_type: mime.map(Into::into),
        ..a::Link::default()
    };
    let text = |s: &str| a::Text::plain(s);
    let feed = a::Feed {
        title: text(&meta.title),
        id: meta.url_of(ATOM),
        updated: date(changed.unwrap_or(jiff::Timestamp::UNIX_EPOCH)),
        authors: vec![a::Person {
            name: meta.author.clone(),
            email: None,
            uri: Some(meta.site_url.clone()),
            ..a::Person::default()
        }],
        links: vec![
            link(meta.site_url.clone(), "alternate", Some("text/html")),
            link(meta.url_of(ATOM), "self", Some("application/atom+xml")),
        ],
        subtitle: Some(text(&meta.description)),
        lang: Some(meta.lang.clone()),
        entries: entries
            .iter()
            .map(|e| a::Entry {
                title: text(&e.title),
                id: e.tag.clone(),
                updated: date(e.changed()),
                published: Some(date(e.published)),
                links: vec![link(e.url.clone(), "alternate", Some("text/html"))],
                summary: e.summary.as_deref().map(text),
                content: Some(a::Content {
                    value: Some(e.content_html.clone()),
                    content_type: Some("html".into()),
                    ..a::Content::default()
                }),
                categories: e
                    .tags
                    .iter()
                    .map(|t| a::Category {
                        term: t.clone(),
                        ..a::Category::default()
                    })
                    .collect(),
                ..a::Entry::default()
            })
            .collect(),
        namespaces: if removed.is_empty() {
            Default::default()
        } else {
            [("at".to_owned(), TOMBSTONES_NS.to_owned())].into()
        },
        ..a::Feed::default()
    };
    let config = a::WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    let mut out = with_tombstones(
        feed.write_with_config(Vec::new(), config)
            .expect("writing to memory cannot fail"),
        removed,
    );
    out.push(b'\n');
    out
}

/// `feed` with an `at:deleted-entry` for each of `removed` (its `ref` and `when`, RFC
/// 6721 §3), put before the entries: RFC 4287 §4.1.1 has a feed's other children come
/// before its entries.
fn with_tombstones(feed: Vec<u8>, removed: &[Removed]) -> Vec<u8> {
    if removed.is_empty() {
        return feed;
    }
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let marks: String = removed
        .iter()
        .map(|r| {
            // RFC 3339 in UTC with `Z`, like every Atom date Herald writes.
            format!(
                "\n  <at:deleted-entry ref=\"{}\" when=\"{}\"/>",
                escape(&r.tag),
                r.when
            )
        })
        .collect();
    let text = String::from_utf8(feed).expect("the Atom writer writes UTF-8");
    // Text and attribute values are escaped, so the first `<entry>` (or the end tag) is
    // markup, never content.
    let at = text
        .find("\n  <entry>")
        .or_else(|| text.rfind("\n</feed>"))
        .expect("a feed has an end tag");
    let mut out = text[..at].to_owned();
    out.push_str(&marks);
    out.push_str(&text[at..]);
    out.into_bytes()
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: String,
    description: &'a str,
    language: &'a str,
    authors: [JsonAuthor<'a>; 1],
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct JsonAuthor<'a> {
    name: &'a str,
    url: &'a str,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    date_published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
}

/// JSON Feed 1.1.
fn json_feed(meta: &Meta, entries: &[Entry]) -> Vec<u8> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        home_page_url: &meta.site_url,
        feed_url: meta.url_of(JSON),
        description: &meta.description,
        language: &meta.lang,
        authors: [JsonAuthor {
            name: &meta.author,
            url: &meta.site_url,
        }],
        items: entries
            .iter()
            .map(|e| JsonItem {
                id: &e.tag,
                url: &e.url,
                title: &e.title,
                content_html: &e.content_html,
                summary: e.summary.as_deref(),
                date_published: e.published.to_string(),
                date_modified: e.updated.map(|t| t.to_string()),
                tags: &e.tags,
            })
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&feed).expect("a feed serialises");
    out.push(b'\n');
    out
}

/// Replaces `dir/name` with `bytes` so that a reader (or a crash) sees the old file or
/// the new one, never a part: a temporary file in the same folder, flushed to disk, then
/// renamed over. Leaves an identical file alone. Returns whether it wrote.
///
/// The folder, the file and the temporary file must all be inside the repository `root`
/// once links are followed ([`crate::paths`]); a refusal is a `PermissionDenied` error
/// (it will not go away by trying again).
pub fn write_atomic(root: &Path, dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<bool> {
    let refused = |why: String| std::io::Error::new(std::io::ErrorKind::PermissionDenied, why);
    let real_dir = crate::paths::create_dir_inside(root, dir).map_err(refused)?;
    // A file that is a link (inside the repository) is replaced where it leads.
    let path = crate::paths::inside(root, &dir.join(name)).map_err(refused)?;
    if read(&path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    let tmp = real_dir.join(format!(".{name}.{:016x}.tmp", fastrand::u64(..)));
    let written = (|| {
        let mut file =
            crate::paths::open_inside(root, &tmp, crate::paths::Mode::Replace).map_err(refused)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    // The rename itself is durable only once the folder is.
    #[cfg(unix)]
    std::fs::File::open(path.parent().unwrap_or(&real_dir))?.sync_all()?;
    Ok(true)
}

/// A feed file's bytes; only a regular file is read (nothing blocks on a pipe).
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    crate::limits::open_file(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Every snapshot in `dir/.entries`, in file-name order. A snapshot that cannot be read
/// is an error naming it: a feed silently missing an entry is worse than no new feed.
pub fn read_entries(dir: &Path) -> Result<Vec<Entry>, String> {
    read_all(
        dir,
        ENTRIES,
        "a feed entry",
        "restore it from Git or delete it and run `herald resolve` for that announcement",
    )
}

/// Every mark in `dir/.deleted`, in file-name order; one that cannot be read is an error
/// naming it, as for entries.
pub fn read_removed(dir: &Path) -> Result<Vec<Removed>, String> {
    read_all(
        dir,
        REMOVED,
        "the mark of a removed feed entry",
        "restore it from Git or delete it",
    )
}

fn read_all<T: DeserializeOwned>(
    dir: &Path,
    folder: &str,
    what: &str,
    fix: &str,
) -> Result<Vec<T>, String> {
    let folder = dir.join(folder);
    let listing = match std::fs::read_dir(&folder) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", folder.display())),
    };
    let mut paths: Vec<_> = listing
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|x| x == "json")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            serde_json::from_slice(&text)
                .map_err(|e| format!("{} is not {what} ({e}); {fix}", p.display()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> Meta {
        Meta {
            title: "News".into(),
            description: "News".into(),
            author: "Office".into(),
            site_url: "https://example.org/".into(),
            lang: "en".into(),
            base_url: "https://example.org/feed/en/".into(),
        }
    }

    fn entry(id: &str, published: &str) -> Entry {
        Entry {
            id: id.into(),
            tag: format!("tag:example.org,2026-01-01:en/{id}"),
            url: format!("https://example.org/#{id}"),
            title: id.into(),
            summary: None,
            content_html: "<p>x</p>".into(),
            tags: vec![],
            published: published.parse().unwrap(),
            updated: None,
        }
    }

    fn text(files: &[(&str, Vec<u8>)], name: &str) -> String {
        let (_, bytes) = files.iter().find(|(n, _)| *n == name).unwrap();
        String::from_utf8(bytes.clone()).unwrap()
    }

    #[test]
    fn a_correction_dates_the_entry_and_the_feed_but_not_the_order() {
        let old = entry("a", "2026-01-01T10:00:00Z");
        let mut corrected = entry("a", "2026-01-01T10:00:00Z");
        corrected.updated = Some("2026-03-01T08:00:00Z".parse().unwrap());
        let newer = entry("b", "2026-02-01T10:00:00Z");
        let before = build(&meta(), &[old, newer.clone()], &[]);
        let after = build(&meta(), &[corrected, newer], &[]);
        let atom = text(&after, ATOM);
        // Still newest publication first; the corrected entry keeps its publication date.
        let b = atom
            .find("<id>tag:example.org,2026-01-01:en/b</id>")
            .unwrap();
        let a = atom
            .find("<id>tag:example.org,2026-01-01:en/a</id>")
            .unwrap();
        assert!(b < a, "{atom}");
        assert!(atom.contains(
            "<updated>2026-03-01T08:00:00+00:00</updated>\n    <link href=\"https://example.org/#a\" rel=\"alternate\" type=\"text/html\"/>\n    <published>2026-01-01T10:00:00+00:00</published>"
            ),
            "{atom}");
        assert!(atom.contains("<updated>2026-03-01T08:00:00+00:00</updated>\n  <author>"));
        let rss = text(&after, RSS);
        assert!(rss.contains("<lastBuildDate>Sun, 1 Mar 2026 08:00:00 +0000</lastBuildDate>"));
        let json = text(&after, JSON);
        assert!(json.contains(
            "\"date_published\": \"2026-01-01T10:00:00Z\",\n      \"date_modified\": \"2026-03-01T08:00:00Z\""
        ), "{json}");
        // Without a correction nothing says modified, and the feed is dated by its newest.
        assert!(!text(&before, JSON).contains("date_modified"));
        assert!(
            text(&before, ATOM)
                .contains("<updated>2026-02-01T10:00:00+00:00</updated>\n  <author>")
        );
    }

    #[test]
    fn a_removed_entry_is_a_deleted_entry_mark_before_the_entries() {
        let kept = entry("b", "2026-02-01T10:00:00Z");
        let marks = [
            Removed {
                tag: "tag:example.org,2026-01-01:a&b/en/a".into(),
                when: "2026-03-01T08:00:00Z".parse().unwrap(),
            },
            // The entry is listed, so its mark is not.
            Removed {
                tag: kept.tag.clone(),
                when: "2026-03-02T08:00:00Z".parse().unwrap(),
            },
        ];
        let files = build(&meta(), std::slice::from_ref(&kept), &marks);
        let atom = text(&files, ATOM);
        assert!(atom.contains(
            r#"<feed xmlns="http://www.w3.org/2005/Atom" xmlns:at="http://purl.org/atompub/tombstones/1.0" xml:lang="en">"#
        ), "{atom}");
        assert!(atom.contains(
            "<subtitle>News</subtitle>\n  <at:deleted-entry ref=\"tag:example.org,2026-01-01:a&amp;b/en/a\" when=\"2026-03-01T08:00:00Z\"/>\n  <entry>"
        ), "{atom}");
        assert_eq!(atom.matches("<at:deleted-entry").count(), 1);
        assert!(atom.contains("<updated>2026-03-01T08:00:00+00:00</updated>\n  <author>"));
        assert!(text(&files, RSS).contains("<lastBuildDate>Sun, 1 Mar 2026 08:00:00 +0000"));
        // Every entry removed: the marks stand before the end.
        let empty = text(&build(&meta(), &[], &marks[..1]), ATOM);
        assert!(
            empty.ends_with("when=\"2026-03-01T08:00:00Z\"/>\n</feed>\n"),
            "{empty}"
        );
        // No mark, no namespace: a feed without removals is the bytes it always was.
        assert!(!text(&build(&meta(), &[kept], &[]), ATOM).contains("tombstones"));
    }
}
