//! Length as each platform counts it.
//!
//! Platforms disagree on what a "character" is: Mastodon and Bluesky count grapheme
//! clusters, X weights code points after NFC normalisation, Telegram counts UTF-16 code
//! units. URLs count as 23 on Mastodon and X whatever their length, and in full elsewhere.
//! The exact rules and their sources are in the README's "How lengths are counted".

use unicode_segmentation::UnicodeSegmentation;

/// How one platform measures text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Mastodon: grapheme clusters; every http(s) URL counts as 23; `@user@domain`
    /// counts as `@user`.
    Mastodon,
    /// Bluesky: grapheme clusters, URLs in full (the byte limit is checked separately).
    Graphemes,
    /// X (twitter-text v3): NFC, then weights per code point; URLs 23; emoji 2.
    XWeighted,
    /// UTF-16 code units, as JavaScript-based platforms count (Telegram, Discord,
    /// LinkedIn, Facebook, Slack).
    Utf16,
}

/// Characters a URL counts as on Mastodon and X.
pub const SHORT_URL_LENGTH: usize = 23;

impl Counter {
    pub fn count(self, text: &str) -> usize {
        match self {
            Counter::Mastodon => count_with_urls(text, SHORT_URL_LENGTH, mastodon_plain),
            Counter::Graphemes => text.graphemes(true).count(),
            Counter::XWeighted => super::x_count::weighted_length(text),
            Counter::Utf16 => text.encode_utf16().count(),
        }
    }

    /// A short description for people: "characters", "weighted characters", …
    pub fn unit(self) -> &'static str {
        match self {
            Counter::Mastodon | Counter::Graphemes => "characters",
            Counter::XWeighted => "weighted characters",
            Counter::Utf16 => "UTF-16 units",
        }
    }
}

/// Counts `text` with every http(s) URL replaced by `url_len`, the rest by `plain`.
fn count_with_urls(text: &str, url_len: usize, plain: fn(&str) -> usize) -> usize {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    let mut total = 0;
    let mut last = 0;
    for link in finder.links(text) {
        let url = link.as_str();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            continue;
        }
        total += plain(&text[last..link.start()]) + url_len;
        last = link.end();
    }
    total + plain(&text[last..])
}

/// Graphemes, with remote mentions `@user@domain` counted as `@user`.
fn mastodon_plain(text: &str) -> usize {
    // Mastodon's mention pattern: `@user@domain`, not after `=`, `/` or a word character.
    static REMOTE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"@([A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*)@[\w.-]*\w").expect("valid")
    });
    let mut shortened = String::with_capacity(text.len());
    let mut last = 0;
    for caps in REMOTE.captures_iter(text) {
        let whole = caps.get(0).expect("match");
        let before = text[..whole.start()].chars().next_back();
        if before.is_some_and(|c| c == '=' || c == '/' || c == '_' || c.is_alphanumeric()) {
            continue;
        }
        let user = caps.get(1).expect("group");
        shortened.push_str(&text[last..user.end()]);
        last = whole.end();
    }
    shortened.push_str(&text[last..]);
    shortened.graphemes(true).count()
}

#[cfg(test)]
mod tests {
    use super::Counter::*;

    #[test]
    fn mastodon_counts_urls_as_23_and_remote_mentions_short() {
        let url = "https://www.interregeurope.eu/better/a/very/long/path/that/goes/on";
        assert_eq!(Mastodon.count(url), 23);
        assert_eq!(Mastodon.count(&format!("See {url}.")), 4 + 23 + 1);
        assert_eq!(
            Mastodon.count("@tartu@mastodon.social hi"),
            "@tartu hi".len()
        );
    }

    #[test]
    fn graphemes_not_code_points() {
        // e + combining acute, a family ZWJ sequence, an Estonian õ
        assert_eq!(Graphemes.count("e\u{301}👨‍👩‍👧õ"), 3);
        assert_eq!(Utf16.count("👍"), 2);
    }

    #[test]
    fn x_weights_cjk_two_and_latin_one() {
        assert_eq!(XWeighted.count("Tartu"), 5);
        assert_eq!(XWeighted.count("õäöü"), 4);
        assert_eq!(XWeighted.count("日本"), 4);
        assert_eq!(XWeighted.count("👍🏽"), 2);
        assert_eq!(XWeighted.count("a https://example.org/x"), 2 + 23);
    }

    #[test]
    fn x_normalises_before_counting() {
        assert_eq!(XWeighted.count("e\u{301}"), 1);
    }
}
