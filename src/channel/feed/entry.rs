//! One feed entry: what a posted announcement looks like in every feed format, and the
//! snapshot file that keeps it between runs; and the mark a removed entry leaves (an
//! Atom `at:deleted-entry`, RFC 6721).

use crate::channel::send::About;
use jiff::Timestamp;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

/// Characters kept as they are in a snapshot file name and in a tag URI's specific part;
/// everything else is percent-encoded.
const KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// A posted announcement as the feeds list it. Serialised field by field in this order,
/// so the same entry is always the same bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The announcement id.
    pub id: String,
    /// The entry's permanent id in every format (an RFC 4151 `tag:` URI). Chosen when the
    /// entry is first written and kept from then on, even if `site_url` changes.
    pub tag: String,
    /// Where the entry points: the announcement's `link`, else `site_url#id`.
    pub url: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The rendered `item.html`.
    pub content_html: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The approved `publish_at`: the entry's date in every format (never "now", so the
    /// files depend only on what was published). A correction keeps it.
    pub published: Timestamp,
    /// When a correction last changed the entry (Atom `updated`, JSON Feed
    /// `date_modified`); absent until then, so an entry never corrected is the bytes it
    /// always was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<Timestamp>,
}

impl Entry {
    /// The entry for `about` with `content_html`, in the feed of `site_url` and `lang`.
    pub fn new(
        about: &About,
        content_html: &str,
        site_url: &str,
        lang: &str,
    ) -> Result<Entry, String> {
        let published = about.publish_at.ok_or_else(|| {
            format!(
                "`{}` has no `publish_at`, and a feed entry needs a date",
                about.id
            )
        })?;
        let url = match &about.link {
            Some(link) => link.clone(),
            None => format!(
                "{}#{}",
                site_url,
                utf8_percent_encode(&about.id, KEEP).collect::<String>()
            ),
        };
        Ok(Entry {
            updated: None,
            id: about.id.clone(),
            tag: tag_uri(site_url, lang, &about.id, published)?,
            url,
            title: xml_safe(&about.title),
            summary: about.summary.as_deref().map(xml_safe),
            content_html: xml_safe(content_html.trim_end()),
            tags: about.tags.iter().map(|t| xml_safe(t)).collect(),
            published,
        })
    }

    /// The snapshot file name: the id, percent-encoded where it is not a safe file name.
    pub fn file_name(id: &str) -> String {
        format!("{}.json", utf8_percent_encode(id, KEEP))
    }

    /// The last time the entry changed: its correction, else its publication.
    pub fn changed(&self) -> Timestamp {
        self.updated.unwrap_or(self.published)
    }

    /// This entry corrected to say what `new` says, at `now`: the same id and publication
    /// date as before. Saying it again changes nothing, not even the date, so an edit
    /// made twice (after a crash) writes the same bytes.
    pub fn corrected(&self, mut new: Entry, now: Timestamp) -> Entry {
        new.tag = self.tag.clone();
        new.published = self.published;
        new.updated = self.updated;
        if new != *self {
            new.updated = Some(now);
        }
        new
    }

    /// The snapshot's bytes: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("an entry serialises");
        bytes.push(b'\n');
        bytes
    }
}

/// What a removed entry leaves in the Atom feed (`at:deleted-entry`, RFC 6721 §3), kept in
/// `.deleted/` so the files stay a function of what is on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Removed {
    /// The removed entry's id (its `tag`): RFC 6721's `ref`.
    #[serde(rename = "ref")]
    pub tag: String,
    /// When it was removed: RFC 6721's `when`.
    pub when: Timestamp,
}

impl Removed {
    /// The file name of the mark for `tag`: the tag, percent-encoded.
    pub fn file_name(tag: &str) -> String {
        format!("{}.json", utf8_percent_encode(tag, KEEP))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("a mark serialises");
        bytes.push(b'\n');
        bytes
    }
}

/// `tag:HOST,YYYY-MM-DD:PATH/LANG/ID` (RFC 4151), dated with the entry's own publication
/// day in UTC: the site owned its host that day, and the date never changes.
fn tag_uri(site_url: &str, lang: &str, id: &str, published: Timestamp) -> Result<String, String> {
    let url = reqwest::Url::parse(site_url).map_err(|e| format!("`site_url` {site_url}: {e}"))?;
    let host = url
        .host_str()
        .ok_or_else(|| format!("`site_url` {site_url} has no host"))?
        .to_ascii_lowercase();
    let date = published.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let mut specific: String = url
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| format!("{s}/"))
        .collect();
    specific.push_str(lang);
    specific.push('/');
    specific.extend(utf8_percent_encode(id, KEEP));
    Ok(format!("tag:{host},{date}:{specific}"))
}

/// Drops the characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates
/// cannot occur in a `str`), so no announcement can make a feed unreadable.
fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{D7FF}').contains(&c)
                || ('\u{E000}'..='\u{FFFD}').contains(&c)
                || c >= '\u{10000}'
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about(id: &str, link: Option<&str>) -> About {
        About {
            id: id.into(),
            title: "A\u{1}B".into(),
            summary: None,
            link: link.map(Into::into),
            tags: vec![],
            publish_at: Some("2022-06-30T23:30:00Z".parse().unwrap()),
        }
    }

    #[test]
    fn the_tag_uri_is_dated_in_utc_and_names_site_path_language_and_id() {
        let e = Entry::new(
            &about("2022-06-30-a b", None),
            "<p>x</p>",
            "https://WWW.Example.org/news/",
            "en",
        )
        .unwrap();
        assert_eq!(
            e.tag,
            "tag:www.example.org,2022-06-30:news/en/2022-06-30-a%20b"
        );
        assert_eq!(e.url, "https://WWW.Example.org/news/#2022-06-30-a%20b");
        assert_eq!(e.title, "AB");
        assert_eq!(Entry::file_name("a/b"), "a%2Fb.json");
    }

    #[test]
    fn a_correction_keeps_id_and_date_and_dates_only_a_real_change() {
        let site = "https://example.org";
        let old = Entry::new(&about("x", None), "<p>old</p>", site, "en").unwrap();
        let mut later = about("x", Some("https://example.org/x"));
        later.publish_at = Some("2023-01-01T00:00:00Z".parse().unwrap());
        let new = Entry::new(&later, "<p>new</p>", "https://other.example", "en").unwrap();
        let t1: Timestamp = "2022-07-01T08:00:00Z".parse().unwrap();
        let once = old.corrected(new.clone(), t1);
        assert_eq!(once.tag, old.tag);
        assert_eq!(once.published, old.published);
        assert_eq!(once.updated, Some(t1));
        assert_eq!(once.content_html, "<p>new</p>");
        assert_eq!(once.url, "https://example.org/x");
        // The same correction again, later: nothing changes, not even the date.
        let t2: Timestamp = "2022-07-02T08:00:00Z".parse().unwrap();
        assert_eq!(once.corrected(new, t2), once);
        // The original content again is a change like any other.
        let back = Entry::new(&about("x", None), "<p>old</p>", site, "en").unwrap();
        assert_eq!(once.corrected(back, t2).updated, Some(t2));
    }

    #[test]
    fn the_link_is_the_announcements_own_when_it_has_one() {
        let e = Entry::new(
            &about("x", Some("https://example.org/x")),
            "",
            "https://example.org",
            "et",
        )
        .unwrap();
        assert_eq!(e.url, "https://example.org/x");
        assert_eq!(e.tag, "tag:example.org,2022-06-30:et/x");
    }
}
