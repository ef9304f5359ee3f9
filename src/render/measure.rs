//! Length as each platform counts it.
//!
//! Platforms disagree on what a "character" is: Mastodon and Bluesky count grapheme
//! clusters, X weights code points after NFC normalisation, Telegram counts UTF-16 code
//! units. URLs count as 23 on Mastodon and X whatever their length, and in full elsewhere.
//! The exact rules and their sources are in the README's "How lengths are counted".

use unicode_normalization::UnicodeNormalization;
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
            Counter::XWeighted => {
                let nfc: String = text.nfc().collect();
                count_with_urls(&nfc, SHORT_URL_LENGTH, x_weight)
            }
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
    let mut total = 0;
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            total += 1;
        }
        let counted = match word.strip_prefix('@').and_then(|w| w.split_once('@')) {
            Some((user, domain)) if !user.is_empty() && domain.contains('.') => {
                &word[..user.len() + 1]
            }
            _ => word,
        };
        total += counted.graphemes(true).count();
    }
    total
}

/// twitter-text v3 weights: 1 for the listed ranges, 2 otherwise; an emoji sequence counts
/// 2 as a whole.
fn x_weight(text: &str) -> usize {
    text.graphemes(true)
        .map(|g| {
            if is_emoji_cluster(g) {
                2
            } else {
                g.chars().map(x_char_weight).sum()
            }
        })
        .sum()
}

fn x_char_weight(c: char) -> usize {
    match c as u32 {
        0x0000..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
        _ => 2,
    }
}

/// Whether a grapheme cluster is an emoji (presentation) sequence.
fn is_emoji_cluster(g: &str) -> bool {
    let mut chars = g.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let cp = first as u32;
    let pictographic = matches!(cp,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2190..=0x21FF
        | 0x2300..=0x23FF | 0x2900..=0x297F | 0x3030 | 0x303D | 0x3297 | 0x3299 | 0x00A9 | 0x00AE
        | 0x203C | 0x2049 | 0x2122 | 0x2139);
    let keycap = g.contains('\u{20E3}');
    (pictographic && (cp >= 0x1F000 || g.contains('\u{FE0F}') || cp >= 0x2600)) || keycap
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
