//! Mastodon's status length, as its server counts it (`StatusLengthValidator`).
//!
//! - A text of nothing but white space counts 0 (Rails' `blank?`).
//! - URLs with a scheme that twitter-text's extractor finds, with Mastodon's own URL regex
//!   (its overrides of twitter-text 3.1.0's `valid_url`), count 23 characters each.
//! - Mentions `@user@domain` (Mastodon's `MENTION_RE`) count as `@user`.
//! - URLs and mentions that overlap an earlier one are left as they are
//!   (`remove_overlapping_entities`); the result is counted in extended grapheme clusters.
//!
//! Mastodon's URL regex differs from twitter-text's in what it lets through: the schemes
//! `http`, `https`, `dat`, `dweb`, `ipfs`, `ipns`, `ssb`, `gopher` and `gemini` in any case;
//! a path of any characters except white space, `<`, `>`, `(`, `)` and `?` (parentheses
//! only balanced); a path that does not end in one of `! * " ' 「 」 < > ; : = , . $ % [ ] ~ &
//! | @` unless it ends in balanced parentheses of twitter-text's own path characters (ASCII,
//! Latin and Cyrillic letters); query strings with non-ASCII characters. What it keeps from
//! twitter-text: the host must end in a TLD twitter-text knows (or punycode), so IP
//! addresses, `localhost` and other single-label hosts are not URLs; subdomains may hold `_`.
//!
//! The regexes run in Ruby, with two lookarounds the `regex` crate does not have; they are
//! emulated as in [`super::x`]. The reference (`tests/conformance/mastodon.js`) runs
//! the same rules on the npm package twitter-text.

use super::x_data::{CCTLDS, GTLDS};
use regex::{Regex, RegexBuilder};
use std::sync::LazyLock;
use unicode_segmentation::UnicodeSegmentation;

use super::SHORT_URL_LENGTH as URL_LENGTH;
const MAX_URL_LENGTH: usize = 4096;
const MAX_TCO_SLUG_LENGTH: usize = 40;
const URL_PROTOCOL_LENGTH: usize = "https://".len();
const MAX_DOMAIN_LABEL_LENGTH: usize = 63;
const MAX_MENTION_DOMAIN_LENGTH: usize = 253;

/// twitter-text's directional marks, invalid characters and Unicode spaces.
const DIRECTIONAL: &str = r"\x{061C}\x{200E}\x{200F}\x{202A}-\x{202E}\x{2066}-\x{2069}";
const INVALID: &str = r"\x{FFFE}\x{FEFF}\x{FFFF}";
const UNICODE_SPACES: &str = r"\x{09}-\x{0D}\x{20}\x{85}\x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}";
/// twitter-text's `LATIN_ACCENTS`.
const LATIN_ACCENTS: &str = r"\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{FF}\x{100}-\x{24F}\x{253}\x{254}\x{256}\x{257}\x{259}\x{25B}\x{263}\x{268}\x{26F}\x{272}\x{289}\x{28B}\x{2BB}\x{300}-\x{36F}\x{1E00}-\x{1EFF}";
/// Characters a query may hold beyond ASCII (Mastodon's `UCHARS`).
const UCHARS: &str = r"\x{A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}\x{10000}-\x{1FFFD}\x{20000}-\x{2FFFD}\x{30000}-\x{3FFFD}\x{40000}-\x{4FFFD}\x{50000}-\x{5FFFD}\x{60000}-\x{6FFFD}\x{70000}-\x{7FFFD}\x{80000}-\x{8FFFD}\x{90000}-\x{9FFFD}\x{A0000}-\x{AFFFD}\x{B0000}-\x{BFFFD}\x{C0000}-\x{CFFFD}\x{D0000}-\x{DFFFD}\x{E1000}-\x{EFFFD}\x{E000}-\x{F8FF}\x{F0000}-\x{FFFFD}\x{100000}-\x{10FFFD}";
/// Onigmo's `[[:word:]]` on UTF-8 text.
const WORD: &str = r"[\p{L}\p{M}\p{Nd}\p{Pc}]";

/// Mastodon's `valid_url`, case-insensitive as in Ruby.
///
/// After a gTLD or ccTLD, twitter-text asserts `(?=[^0-9a-z@+-]|$)`. Everything that may
/// follow the TLD in the match (port, path, query) starts with `:`, `/` or `?`, which the
/// assertion allows, so "TLD, assertion, the rest" is "TLD, then a non-empty rest, or one
/// allowed character captured as `la` (not part of the URL), or the end of the text" (`$`
/// before a line feed is covered by `la`, which allows a line feed). Ruby's `^` in the
/// preceding characters is `(?m:^)`.
fn url_regex() -> &'static Regex {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        let d = format!(
            r"[^{DIRECTIONAL}!-/:-@\[-`{{-~ \t\n\x0B\x0C\r\x00-\x1F\x7F{INVALID}{UNICODE_SPACES}]"
        );
        let subdomain = format!(r"(?:(?:{d}(?:[_\-]|{d})*)?{d}\.)");
        let domain_name = format!(r"(?:(?:{d}(?:-|{d})*)?{d}\.)");
        let tlds = GTLDS
            .iter()
            .chain(CCTLDS)
            .map(|t| regex::escape(t))
            .collect::<Vec<_>>()
            .join("|");
        let preceding = format!(r"(?:[^A-Z0-9@＠$#＃{INVALID}]|[{DIRECTIONAL}]|(?m:^))");
        // twitter-text's path characters and balanced parentheses: Mastodon's path ending
        // still uses them (it overrides them after building the ending from them).
        let tt_path =
            format!(r"[a-z\p{{Cyrillic}}0-9!*';:=+,.$/%#\[\]\p{{Pd}}_~&|@{LATIN_ACCENTS}]");
        let tt_balanced = format!(r"\((?:{tt_path}+|(?:{tt_path}*\({tt_path}+\){tt_path}*))\)");
        // Mastodon's overrides.
        let p = r"[^\p{White_Space}<>()?]";
        let path_end =
            format!(r#"(?:[^\p{{White_Space}}()?!*"'「」<>;:=,.$%\[\]~&|@]|(?:{tt_balanced}))"#);
        let balanced = format!(r"\((?:{p}+|(?:{p}*\({p}+\){p}*))\)");
        let path = format!(r"(?:(?:{p}*(?:{balanced}{p}*)*{path_end})|(?:{p}+/))");
        let query =
            format!(r"\?[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@\^{UCHARS}]*[a-z0-9_&=#/\-{UCHARS}]");
        let rest = format!("(?::[0-9]+(?:/{path}*)?(?:{query})?|/{path}*(?:{query})?|{query})");
        let pattern = format!(
            "(?i)(?P<before>{preceding})\
             (?P<proto>(?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://)?\
             {subdomain}*{domain_name}\
             (?:(?:{tlds})(?P<end1>)(?:{rest}|(?P<la>[^0-9a-z@+\\-])|\\z)\
             |xn--[0-9a-z]+(?P<end2>)(?:{rest})?)",
        );
        RegexBuilder::new(&pattern)
            .size_limit(1 << 28)
            .dfa_size_limit(1 << 26)
            .build()
            .expect("Mastodon URL regex compiles")
    });
    &RE
}

/// Mastodon's `MENTION_RE` without its lookbehind `(?<![=/[:word:]])`, which
/// [`extract_mentions`] checks.
fn mention_regex() -> &'static Regex {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"@(?P<name>(?P<user>[a-zA-Z0-9_]+(?:[.\-]+[a-zA-Z0-9_]+)*)(?:@{WORD}+(?:[.\-]+{WORD}+)*)?)"
        ))
        .expect("mention regex compiles")
    });
    &RE
}

fn tco_regex() -> &'static Regex {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^https?://t\.co/([a-z0-9]+)").expect("t.co regex compiles")
    });
    &RE
}

fn latin_accent() -> &'static Regex {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(r"(?i)^[{LATIN_ACCENTS}]")).expect("latin accents compile")
    });
    &RE
}

/// A URL or a mention: byte range in the text and what it is counted as.
struct Entity {
    start: usize,
    end: usize,
    replacement: Replacement,
}

enum Replacement {
    Url,
    Mention(usize),
}

/// The length Mastodon counts for a status text.
pub(crate) fn status_length(text: &str) -> usize {
    if text.chars().all(char::is_whitespace) {
        return 0;
    }
    let mut entities = extract_urls(text);
    entities.extend(extract_mentions(text));
    entities.sort_by_key(|e| e.start);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for e in entities {
        if e.start < last {
            continue; // overlaps the entity before it
        }
        out.push_str(&text[last..e.start]);
        match e.replacement {
            Replacement::Url => out.extend(std::iter::repeat_n('x', URL_LENGTH)),
            Replacement::Mention(user_end) => out.push_str(&text[e.start..user_end]),
        }
        last = e.end;
    }
    out.push_str(&text[last..]);
    out.graphemes(true).count()
}

/// `extract_urls_with_indices(text, extract_url_without_protocol: false)`.
fn extract_urls(text: &str) -> Vec<Entity> {
    let mut out = Vec::new();
    if !text.contains(':') {
        return out;
    }
    let re = url_regex();
    let mut caps = re.capture_locations();
    let group = |name: &str| {
        re.capture_names()
            .position(|n| n == Some(name))
            .expect("named group")
    };
    let (g_before, g_proto, g_end1, g_end2, g_la) = (
        group("before"),
        group("proto"),
        group("end1"),
        group("end2"),
        group("la"),
    );
    let mut at = 0;
    while at < text.len() {
        let Some(m) = re.captures_read_at(&mut caps, text, at) else {
            break;
        };
        let start = caps.get(g_before).expect("always matches").1;
        let end = caps.get(g_la).map_or(m.end(), |(s, _)| s);
        // The scan goes on after every match, also one that is not counted.
        at = end;
        let Some((_, ds)) = caps.get(g_proto) else {
            continue; // without a scheme: not a URL for Mastodon
        };
        let (de, _) = caps
            .get(g_end1)
            .or_else(|| caps.get(g_end2))
            .expect("one TLD branch matched");
        let mut url = &text[start..end];
        if let Some(c) = tco_regex().captures(url) {
            if c[1].chars().count() > MAX_TCO_SLUG_LENGTH {
                continue;
            }
            url = &url[..c[0].len()];
        }
        if !is_valid_domain(url.chars().count(), &text[ds..de]) {
            continue;
        }
        out.push(Entity {
            start,
            end: start + url.len(),
            replacement: Replacement::Url,
        });
    }
    out
}

/// twitter-text's `is_valid_domain` with IDNA's `toASCII`: every label encodes to 1–63
/// characters, and the URL with the encoded domain is at most 4,096 characters.
fn is_valid_domain(url_length: usize, domain: &str) -> bool {
    let mut encoded = 0;
    for label in domain.split('.') {
        let len = if label.is_ascii() {
            label.len()
        } else {
            let points: Vec<u32> = label.to_lowercase().chars().map(u32::from).collect();
            "xn--".len() + super::x::punycode_encode_len(&points)
        };
        if !(1..=MAX_DOMAIN_LABEL_LENGTH).contains(&len) {
            return false;
        }
        encoded += len + 1;
    }
    let encoded = encoded - 1;
    let original = domain.chars().count();
    let _ = URL_PROTOCOL_LENGTH; // only added for URLs without a scheme, which are not counted
    url_length + encoded.saturating_sub(original) <= MAX_URL_LENGTH
}

/// `Extractor.extract_mentions_or_lists_with_indices`: every `MENTION_RE` match that is not
/// followed by `@`, a Latin accented letter or `://`, and whose domain has at most 253
/// characters.
fn extract_mentions(text: &str) -> Vec<Entity> {
    let mut out = Vec::new();
    if !text.contains(['@', '＠']) {
        return out;
    }
    let re = mention_regex();
    let mut at = 0;
    while at < text.len() {
        let Some(c) = re.captures_at(text, at) else {
            break;
        };
        let whole = c.get(0).expect("match");
        let before = text[..whole.start()].chars().next_back();
        if before.is_some_and(|b| b == '=' || b == '/' || is_word(b)) {
            at = whole.start() + 1; // the lookbehind fails here: try the next position
            continue;
        }
        at = whole.end();
        let after = &text[whole.end()..];
        if after.starts_with(['@', '＠'])
            || after.starts_with("://")
            || latin_accent().is_match(after)
        {
            continue;
        }
        let name = c.name("name").expect("group").as_str();
        if name
            .split_once('@')
            .is_some_and(|(_, d)| d.chars().count() > MAX_MENTION_DOMAIN_LENGTH)
        {
            continue;
        }
        out.push(Entity {
            start: whole.start(),
            end: whole.end(),
            replacement: Replacement::Mention(c.name("user").expect("group").end()),
        });
    }
    out
}

fn is_word(c: char) -> bool {
    static RE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(&format!("^{WORD}$")).expect("word class compiles"));
    let mut buf = [0; 4];
    RE.is_match(c.encode_utf8(&mut buf))
}

#[cfg(test)]
mod tests {
    use super::status_length;

    #[test]
    fn urls_count_23_with_any_scheme_case() {
        for url in [
            "https://example.com/a/long/path/that/goes/on",
            "HTTPS://example.com/a/long/path/that/goes/on",
            "hTTp://example.com/a/long/path/that/goes/on",
            "gemini://example.com/a/long/path/that/goes/on",
        ] {
            assert_eq!(status_length(url), 23, "{url}");
        }
    }

    #[test]
    fn hosts_without_a_known_tld_are_text() {
        for text in [
            "http://127.0.0.1:8080/x",
            "http://localhost:3000/api",
            "https://intranet/a",
        ] {
            assert_eq!(status_length(text), text.chars().count(), "{text}");
        }
    }

    #[test]
    fn blank_is_zero_and_mentions_are_short() {
        assert_eq!(status_length("  \n"), 0);
        assert_eq!(
            status_length("@tartu@mastodon.social hi"),
            "@tartu hi".len()
        );
    }
}
