//! How each platform reads text: its length ([`Counter`]), which characters X refuses,
//! what Bluesky makes links, mentions and tags of ([`detect_facets`]), and an email
//! subject on one line ([`one_line`]). Checks (render) and announcement loading both use
//! it, which is why it lives below them.
//!
//! Platforms disagree on what a "character" is: Mastodon and Bluesky count grapheme
//! clusters, X weights code points after NFC normalisation, Telegram counts UTF-16 code
//! units. URLs count as 23 on Mastodon and X whatever their length, and in full elsewhere.
//! The exact rules and their sources are in the README's "How lengths are counted".

mod bsky_tlds;
mod facets;
mod mastodon;
mod x;
mod x_data;

pub use facets::{Facet, Feature, detect as detect_facets, facets, non_overlapping};
pub use x::is_valid as x_is_valid;
pub(crate) use x::{
    INVALID_CHARACTERS as X_INVALID_CHARACTERS, invalid_character_name as x_invalid_character_name,
    invalid_character_positions as x_invalid_character_positions,
};

use unicode_segmentation::UnicodeSegmentation;

/// How one platform measures text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Mastodon (its `StatusLengthValidator`): grapheme clusters; every URL that Mastodon's
    /// twitter-text rules find counts as 23; `@user@domain` counts as `@user`; white space
    /// alone counts 0. See `platform/text/mastodon.rs`.
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
            Counter::Mastodon => mastodon::status_length(text),
            Counter::Graphemes => text.graphemes(true).count(),
            Counter::XWeighted => x::weighted_length(text),
            Counter::Utf16 => text.encode_utf16().count(),
        }
    }

    /// What a count is in, for people: "characters", or "characters as X counts them"
    /// where X counts some characters twice. Never the counting's technical name.
    pub fn unit(self) -> &'static str {
        match self {
            Counter::XWeighted => "characters as X counts them",
            Counter::Mastodon | Counter::Graphemes | Counter::Utf16 => "characters",
        }
    }

    /// "220 of 500 characters", "290 of 280 characters as X counts them", "40 characters".
    pub fn of(self, length: usize, limit: Option<usize>) -> String {
        match limit {
            Some(l) => format!("{length} of {l} {}", self.unit()),
            None => format!("{length} {}", self.unit()),
        }
    }
}

/// Collapses a header value (an email subject) to one line: no control character (CR,
/// LF, …) survives.
pub fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::Counter::*;

    #[test]
    fn one_line_removes_line_breaks_and_controls() {
        assert_eq!(
            super::one_line("Title\r\nBcc: x@y\t z\u{7}"),
            "Title Bcc: x@y z"
        );
    }

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
