//! The three feed files of one language, built from its entries, and how they reach the
//! disk. Building is a pure function of the entries and the feed's settings: the same
//! entries always give the same bytes.

use super::entry::Entry;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

pub const RSS: &str = "rss.xml";
pub const ATOM: &str = "atom.xml";
pub const JSON: &str = "feed.json";
/// Where the entry snapshots live, inside the language's folder.
pub const ENTRIES: &str = ".entries";

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

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

/// The three files, named, for `entries` (sorted here).
pub fn build(meta: &Meta, entries: &[Entry]) -> Vec<(&'static str, Vec<u8>)> {
    let mut sorted = entries.to_vec();
    sort(&mut sorted);
    vec![
        (RSS, rss(meta, &sorted)),
        (ATOM, atom(meta, &sorted)),
        (JSON, json_feed(meta, &sorted)),
    ]
}

/// RSS 2.0: items with a non-permalink guid, an RFC 2822 date and the tags as categories;
/// `atom:link rel="self"` as the RSS Advisory Board recommends.
fn rss(meta: &Meta, entries: &[Entry]) -> Vec<u8> {
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
        last_build_date: entries.first().map(|e| rfc2822(e.published)),
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

/// Atom (RFC 4287): the feed's author stands for every entry's; `updated` is the newest
/// entry's date, so it changes only when an entry is added.
fn atom(meta: &Meta, entries: &[Entry]) -> Vec<u8> {
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
        updated: date(
            entries
                .first()
                .map_or(jiff::Timestamp::UNIX_EPOCH, |e| e.published),
        ),
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
                updated: date(e.published),
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
        ..a::Feed::default()
    };
    let config = a::WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    let mut out = feed
        .write_with_config(Vec::new(), config)
        .expect("writing to memory cannot fail");
    out.push(b'\n');
    out
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
    let folder = dir.join(ENTRIES);
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
            serde_json::from_slice(&text).map_err(|e| {
                format!(
                    "{} is not a feed entry ({e}); restore it from Git or delete it and run `herald resolve` for that announcement",
                    p.display()
                )
            })
        })
        .collect()
}
