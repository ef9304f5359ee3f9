//! X's weighted length, ported from the npm package `twitter-text` 3.1.0: `parseTweet(text)
//! .weightedLength` with the default (version 3) configuration.
//!
//! - The text is NFC-normalised first.
//! - Every URL that twitter-text's own extractor finds (`extractUrlsWithIndices`, which also
//!   finds scheme-less URLs whose TLD it knows) counts 23.
//! - Every emoji that `twemoji-parser` 11.0.2 finds counts 2, however many code points it has.
//! - Every other UTF-16 code unit counts 1 in U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F and
//!   U+2032–U+2037, else 2; a surrogate pair counts once, as 2.
//!
//! twitter-text works in UTF-16 code units and its URL regexes run without the `u` flag, so
//! they see surrogates one at a time. To match exactly, the URL regexes run over a copy of the
//! text in which each surrogate is replaced by a private-use placeholder that every class of
//! those regexes treats as it treats a surrogate (`gen-x-data.js` checks this); one character
//! of the copy is then one code unit of the JS string. The regexes' case-insensitive classes
//! are spelt out code unit by code unit (measured in JS by `gen-x-data.js`), and their two
//! lookaheads are emulated; see [`url_regex`] and [`twemoji_regex`].

use super::x_data::{
    AFTER_TLD, ASCII_DOMAIN_CHAR, CCTLDS, DOMAIN_CHAR, GTLDS, PATH_CHAR, PATH_END_CHAR,
    PUNYCODE_CHAR, QUERY_CHAR, QUERY_END_CHAR, TCO_SLUG_CHAR, TLD_CASE_SETS, TWEMOJI_REGEX,
    URL_PRECEDING,
};
use regex::{Regex, RegexBuilder};
use std::collections::HashMap;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

const SCALE: usize = 100;
const DEFAULT_WEIGHT: usize = 200;
const URL_WEIGHT: usize = 23 * SCALE;
const MAX_URL_LENGTH: usize = 4096;
const MAX_TCO_SLUG_LENGTH: usize = 40;
const MAX_DOMAIN_LABEL_LENGTH: usize = 63;
const HIGH_PLACEHOLDER: char = '\u{E000}';
const LOW_PLACEHOLDER: char = '\u{E001}';

/// `parseTweet(text).weightedLength`.
pub(crate) fn weighted_length(text: &str) -> usize {
    let nfc: String = text.nfc().collect();
    let units: Vec<u16> = nfc.encode_utf16().collect();
    let urls = extract_urls(&units);
    let emoji = extract_emoji(&nfc);

    let mut weight = 0;
    let mut i = 0;
    while i < units.len() {
        if let Some(&len) = urls.get(&i) {
            weight += URL_WEIGHT;
            i += len.max(1) - 1;
        } else if let Some(&len) = emoji.get(&i) {
            weight += DEFAULT_WEIGHT;
            i += len.max(1) - 1;
        } else {
            if i + 1 < units.len()
                && (0xD800..=0xDBFF).contains(&units[i])
                && (0xDC00..=0xDFFF).contains(&units[i + 1])
            {
                i += 1;
            }
            weight += unit_weight(units[i]);
        }
        i += 1;
    }
    weight / SCALE
}

/// `getCharacterWeight` for one code unit (a surrogate gets the default weight).
fn unit_weight(u: u16) -> usize {
    match u {
        0x0000..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => SCALE,
        _ => DEFAULT_WEIGHT,
    }
}

// --- invalid characters -----------------------------------------------------------------

/// The characters twitter-text calls invalid (`hasInvalidCharacters`): a text with one of
/// them is not `valid`, and X refuses it.
pub(crate) const INVALID_CHARACTERS: [char; 3] = ['\u{FFFE}', '\u{FEFF}', '\u{FFFF}'];

/// `parseTweet(text).valid`: no invalid character, and a weighted length of 1 to 280.
pub fn is_valid(text: &str) -> bool {
    !text.contains(INVALID_CHARACTERS) && (1..=280).contains(&weighted_length(text))
}

/// A plain-words name of an invalid character, for messages.
pub(crate) fn invalid_character_name(c: char) -> &'static str {
    match c {
        '\u{FEFF}' => "an invisible byte-order mark (U+FEFF)",
        '\u{FFFE}' => "the noncharacter U+FFFE (a byte-order mark read backwards)",
        _ => "the noncharacter U+FFFF",
    }
}

/// Every invalid character in a file's text, with its line and column (1-based, in
/// characters).
pub(crate) fn invalid_character_positions(text: &str) -> Vec<(char, crate::diagnostic::Pos)> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        for (j, c) in line.chars().enumerate() {
            if INVALID_CHARACTERS.contains(&c) {
                out.push((c, crate::diagnostic::Pos::new(i + 1, j + 1)));
            }
        }
    }
    out
}

// --- emoji ------------------------------------------------------------------------------

/// twemoji-parser's regex. Its only capture groups mark where the JS regex says
/// `(?!\uFE0E)`; see [`extract_emoji`].
fn twemoji_regex() -> &'static Regex {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        RegexBuilder::new(TWEMOJI_REGEX)
            .size_limit(1 << 26)
            .build()
            .expect("TWEMOJI_REGEX compiles")
    });
    &RE
}

/// twemoji-parser's `parse`: start (UTF-16 index) → length in code units. Later entities
/// with the same start replace earlier ones, as `transformEntitiesToHash` does.
fn extract_emoji(text: &str) -> HashMap<usize, usize> {
    let mut out = HashMap::new();
    if text.is_ascii() {
        // Every emoji twemoji-parser knows has a non-ASCII code point.
        return out;
    }
    let re = twemoji_regex();
    let mut caps = re.capture_locations();
    let mut at = 0;
    let mut idx16 = Utf16Index::new(text);
    while at <= text.len() {
        let Some(m) = re.captures_read_at(&mut caps, text, at) else {
            break;
        };
        let (start, end) = (m.start(), m.end());
        // A marker followed by U+FE0E is where JS's `(?!\uFE0E)` fails; gen-x-data.js proves
        // that JS then has no match at this position at all, so move on one character.
        let rejected = (1..caps.len()).any(|g| {
            caps.get(g)
                .is_some_and(|(p, _)| text[p..].starts_with('\u{FE0E}'))
        });
        if rejected {
            at = start + text[start..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let s16 = idx16.at(start);
        let e16 = idx16.at(end);
        out.insert(s16, e16 - s16);
        at = if end > start { end } else { end + 1 };
    }
    out
}

/// Converts increasing byte offsets of a string into UTF-16 offsets.
struct Utf16Index<'a> {
    text: &'a str,
    byte: usize,
    unit: usize,
}

impl<'a> Utf16Index<'a> {
    fn new(text: &'a str) -> Self {
        Utf16Index {
            text,
            byte: 0,
            unit: 0,
        }
    }

    fn at(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            self.byte = 0;
            self.unit = 0;
        }
        self.unit += self.text[self.byte..byte]
            .chars()
            .map(char::len_utf16)
            .sum::<usize>();
        self.byte = byte;
        self.unit
    }
}

// --- URLs -------------------------------------------------------------------------------

/// The URL regexes' case-insensitivity: every character JS's `/i` treats as equal to a
/// character of the TLDs becomes that character. All the regexes' classes are closed under
/// `/i` (they were measured with it), so only the literal parts (TLDs, `https`, `t.co`) see
/// the difference, and those are written in the characters mapped to.
fn fold(c: char) -> char {
    static MAP: LazyLock<HashMap<char, char>> = LazyLock::new(|| {
        let mut map = HashMap::new();
        for set in TLD_CASE_SETS {
            let mut chars = set.chars();
            let to = chars.next().expect("non-empty set");
            for from in chars {
                map.insert(from, to);
            }
        }
        map
    });
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        MAP.get(&c).copied().unwrap_or(c)
    }
}

fn tld_alternation(list: &[&str]) -> String {
    list.iter()
        .map(|t| regex::escape(t))
        .collect::<Vec<_>>()
        .join("|")
}

/// `(?:validGTLD|validCCTLD)` without their trailing lookahead `(?=[^0-9a-zA-Z@+-]|$)`.
fn tlds_with_lookahead() -> String {
    format!("(?:{}|{})", tld_alternation(GTLDS), tld_alternation(CCTLDS))
}

fn punycode() -> String {
    format!("xn--{PUNYCODE_CHAR}+")
}

/// twitter-text's `extractUrl` regex.
///
/// The lookahead after a gTLD or ccTLD is emulated: what follows it in the JS regex (port,
/// path, query) starts with `:`, `/` or `?`, all allowed by the lookahead, and is optional.
/// So "TLD, lookahead, then the rest greedily" is the same as "TLD, then either a non-empty
/// rest, or the end of the text, or one allowed character that is captured as `la` and is
/// not part of the match". The alternatives keep JS's order, so leftmost-first matching picks
/// what JS's backtracking picks.
fn url_regex() -> &'static Regex {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        let d = DOMAIN_CHAR;
        let p = PATH_CHAR;
        let balanced = format!(r"\((?:{p}+|(?:{p}*\({p}+\){p}*))\)");
        let path_end = format!("(?:{PATH_END_CHAR}|{balanced})");
        let path = format!("(?:(?:{p}*(?:{balanced}{p}*)*{path_end})|(?:@{p}+/))");
        let query = format!(r"\?{QUERY_CHAR}*{QUERY_END_CHAR}");
        let rest = format!("(?::[0-9]+(?:/{path}*)?(?:{query})?|/{path}*(?:{query})?|{query})");
        let subdomain = format!(r"(?:(?:{d}(?:[_\-]|{d})*)?{d}\.)");
        let domain_name = format!(r"(?:(?:{d}(?:-|{d})*)?{d}\.)");
        let pattern = format!(
            "(?P<before>{URL_PRECEDING}|^)(?P<proto>https?://)?\
             {subdomain}*{domain_name}\
             (?:{tlds}(?P<end1>)(?:{rest}|(?P<la>{AFTER_TLD})|$)|{puny}(?P<end2>)(?:{rest})?)",
            tlds = tlds_with_lookahead(),
            puny = punycode(),
        );
        RegexBuilder::new(&pattern)
            .size_limit(1 << 28)
            .dfa_size_limit(1 << 26)
            .build()
            .expect("URL regex compiles")
    });
    &RE
}

/// twitter-text's `validAsciiDomain`, lookahead emulated as in [`url_regex`].
fn ascii_domain_regex() -> &'static Regex {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        let pattern = format!(
            r"(?:{ASCII_DOMAIN_CHAR}+\.)+(?:{tlds}(?:(?P<la>{AFTER_TLD})|$)|{puny})",
            tlds = tlds_with_lookahead(),
            puny = punycode(),
        );
        RegexBuilder::new(&pattern)
            .size_limit(1 << 28)
            .dfa_size_limit(1 << 26)
            .build()
            .expect("ASCII domain regex compiles")
    });
    &RE
}

/// twitter-text's `validTcoUrl`.
fn tco_regex() -> &'static Regex {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"^https?://t\.co/(?P<slug>{TCO_SLUG_CHAR}+)(?:\?{QUERY_CHAR}*{QUERY_END_CHAR})?"
        ))
        .expect("t.co regex compiles")
    });
    &RE
}

/// The text as JS's non-Unicode regexes see it: one `char` per UTF-16 code unit, surrogates
/// replaced by placeholders, case folded by [`fold`]. `offsets[i]` is the byte offset of code unit `i` (and
/// `offsets[len]` the length).
struct UnitText {
    text: String,
    offsets: Vec<usize>,
    units_at: Vec<usize>,
}

impl UnitText {
    fn new(units: &[u16]) -> Self {
        let mut text = String::with_capacity(units.len());
        let mut offsets = Vec::with_capacity(units.len() + 1);
        for &u in units {
            offsets.push(text.len());
            text.push(match u {
                0xD800..=0xDBFF => HIGH_PLACEHOLDER,
                0xDC00..=0xDFFF => LOW_PLACEHOLDER,
                _ => fold(char::from_u32(u32::from(u)).expect("not a surrogate")),
            });
        }
        offsets.push(text.len());
        let mut units_at = vec![usize::MAX; text.len() + 1];
        for (i, &b) in offsets.iter().enumerate() {
            units_at[b] = i;
        }
        UnitText {
            text,
            offsets,
            units_at,
        }
    }

    /// The code unit index at a byte offset (a char boundary).
    fn unit(&self, byte: usize) -> usize {
        self.units_at[byte]
    }
}

/// Runs a regex whose lookahead is emulated by a `la` capture over `hay` from byte `at`:
/// the match (start, end) with `la` left out.
fn find_la(
    re: &Regex,
    caps: &mut regex::CaptureLocations,
    la: usize,
    hay: &str,
    at: usize,
) -> Option<(usize, usize)> {
    let m = re.captures_read_at(caps, hay, at)?;
    let (start, end) = (m.start(), m.end());
    Some((start, caps.get(la).map_or(end, |(s, _)| s)))
}

fn group_index(re: &Regex, name: &str) -> usize {
    re.capture_names()
        .position(|n| n == Some(name))
        .expect("named group")
}

/// `extractUrlsWithIndices(text)` as start (UTF-16 index) → length of the entity's `url` in
/// code units (what `parseTweet` skips), later entities replacing earlier ones at a start.
fn extract_urls(units: &[u16]) -> HashMap<usize, usize> {
    let mut out = HashMap::new();
    if !units.contains(&u16::from(b'.')) {
        return out;
    }
    let ut = UnitText::new(units);
    let hay = ut.text.as_str();
    let re = url_regex();
    let g_before = group_index(re, "before");
    let g_proto = group_index(re, "proto");
    let g_end1 = group_index(re, "end1");
    let g_end2 = group_index(re, "end2");
    let g_la = group_index(re, "la");
    let mut caps = re.capture_locations();
    let mut at = 0;
    while at <= hay.len() {
        let Some((_, end_b)) = find_la(re, &mut caps, g_la, hay, at) else {
            break;
        };
        at = end_b;
        let (before_s, before_e) = caps.get(g_before).expect("before always matches");
        let before = &hay[before_s..before_e];
        let url_start = ut.unit(before_e);
        let url_end = ut.unit(end_b);
        let proto_len = caps
            .get(g_proto)
            .map_or(0, |(s, e)| ut.unit(e) - ut.unit(s));
        let domain_start = url_start + proto_len;
        let domain_end_b = caps
            .get(g_end1)
            .or_else(|| caps.get(g_end2))
            .expect("one TLD branch matched")
            .0;
        let domain_end = ut.unit(domain_end_b);
        let url_len = url_end - url_start;
        let domain = &units[domain_start..domain_end];
        let domain_sim = &hay[ut.offsets[domain_start]..domain_end_b];
        let protocol_len = if proto_len > 0 {
            proto_len
        } else {
            "https://".len()
        };
        if !is_valid_domain(domain, domain_sim) || protocol_len + url_len > MAX_URL_LENGTH {
            continue;
        }
        if proto_len == 0 {
            if before.ends_with(['-', '_', '.', '/']) {
                continue;
            }
            let mut last: Option<(usize, usize)> = None;
            let ascii = ascii_domain_regex();
            let g_ala = group_index(ascii, "la");
            let mut acaps = ascii.capture_locations();
            let mut a_at = 0;
            let mut ascii_end = 0; // code units into the domain
            while a_at <= domain_sim.len() {
                let Some((s, e)) = find_la(ascii, &mut acaps, g_ala, domain_sim, a_at) else {
                    break;
                };
                a_at = if e > s { e } else { e + 1 };
                let found = &domain_sim[s..e];
                let search_from_b = ut.offsets[domain_start + ascii_end] - ut.offsets[domain_start];
                let ascii_start_b = search_from_b
                    + domain_sim[search_from_b..]
                        .find(found)
                        .expect("the match is in the domain");
                let ascii_start = ut.unit(ut.offsets[domain_start] + ascii_start_b) - domain_start;
                let len = found.chars().count();
                ascii_end = ascii_start + len;
                let start = url_start + ascii_start;
                out.insert(start, len);
                last = Some((start, len));
            }
            let Some((start, len)) = last else {
                continue;
            };
            if has_path(hay, domain_end_b, end_b) {
                out.insert(start, len + url_len - (domain_end - domain_start));
            }
        } else {
            let url = &hay[ut.offsets[url_start]..end_b];
            if let Some(c) = tco_regex().captures(url) {
                if c["slug"].chars().count() > MAX_TCO_SLUG_LENGTH {
                    continue;
                }
                out.insert(url_start, c[0].chars().count());
            } else {
                out.insert(url_start, url_len);
            }
        }
    }
    out
}

/// Whether the match has a path (`$7`): after the TLD, an optional `:port`, then `/`.
fn has_path(hay: &str, domain_end: usize, url_end: usize) -> bool {
    let rest = &hay[domain_end..url_end];
    let rest = match rest.strip_prefix(':') {
        Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => {
            r.trim_start_matches(|c: char| c.is_ascii_digit())
        }
        _ => rest,
    };
    rest.starts_with('/')
}

/// The domain part of twitter-text's `isValidUrl`: its `idna.toAscii` must succeed.
/// (`toAscii` returns the domain itself, so the length check is on the URL as found.)
fn is_valid_domain(domain: &[u16], domain_sim: &str) -> bool {
    // JS compares the unfolded text here.
    if domain.starts_with(&[0x78, 0x6E, 0x2D, 0x2D]) && !ascii_domain_regex().is_match(domain_sim) {
        return false;
    }
    domain
        .split(|&u| u == u16::from(b'.'))
        .all(|label| (1..=MAX_DOMAIN_LABEL_LENGTH).contains(&punycode_to_ascii_len(label)))
}

/// Length of punycode.js 2.1.0 `toASCII(label)` (Node's built-in `punycode`).
fn punycode_to_ascii_len(label: &[u16]) -> usize {
    // mapDomain: an '@' keeps the part before it; label separators become dots.
    let (prefix, rest) = match label.iter().position(|&u| u == u16::from(b'@')) {
        Some(i) => {
            let after = &label[i + 1..];
            let end = after
                .iter()
                .position(|&u| u == u16::from(b'@'))
                .map_or(after.len(), |j| j);
            (i + 1, &after[..end])
        }
        None => (0, label),
    };
    let parts = rest.split(|&u| matches!(u, 0x2E | 0x3002 | 0xFF0E | 0xFF61));
    let mut total = prefix;
    let mut first = true;
    for part in parts {
        if !first {
            total += 1;
        }
        first = false;
        if part.iter().any(|&u| u > 0x7E) {
            total += 4 + punycode_encode_len(&ucs2_decode(part));
        } else {
            total += part.len();
        }
    }
    total
}

/// punycode.js `ucs2decode`: code points, lone surrogates kept as they are.
fn ucs2_decode(units: &[u16]) -> Vec<u32> {
    let mut out = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        let u = u32::from(units[i]);
        i += 1;
        if (0xD800..=0xDBFF).contains(&u) && i < units.len() {
            let next = u32::from(units[i]);
            if next & 0xFC00 == 0xDC00 {
                out.push(((u & 0x3FF) << 10) + (next & 0x3FF) + 0x10000);
                i += 1;
                continue;
            }
        }
        out.push(u);
    }
    out
}

/// Length of RFC 3492 `encode(input)` (punycode.js).
pub(super) fn punycode_encode_len(input: &[u32]) -> usize {
    const BASE: u64 = 36;
    const T_MIN: u64 = 1;
    const T_MAX: u64 = 26;
    const SKEW: u64 = 38;
    const DAMP: u64 = 700;
    fn adapt(mut delta: u64, num_points: u64, first: bool) -> u64 {
        let mut k = 0;
        delta = if first { delta / DAMP } else { delta >> 1 };
        delta += delta / num_points;
        while delta > ((BASE - T_MIN) * T_MAX) >> 1 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
    }
    let basic = input.iter().filter(|&&c| c < 0x80).count();
    let mut len = basic;
    if basic > 0 {
        len += 1;
    }
    let mut n: u64 = 0x80;
    let mut delta: u64 = 0;
    let mut bias: u64 = 72;
    let mut handled = basic as u64;
    let total = input.len() as u64;
    while handled < total {
        let m = input
            .iter()
            .map(|&c| u64::from(c))
            .filter(|&c| c >= n)
            .min()
            .expect("an unhandled code point");
        delta += (m - n) * (handled + 1);
        n = m;
        for &c in input {
            let c = u64::from(c);
            if c < n {
                delta += 1;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    len += 1;
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                len += 1;
                bias = adapt(delta, handled + 1, handled == basic as u64);
                delta = 0;
                handled += 1;
            }
        }
        delta += 1;
        n += 1;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::text::x_data::TWEMOJI_SEQUENCES;

    #[test]
    fn every_twemoji_sequence_is_one_emoji() {
        for s in TWEMOJI_SEQUENCES {
            let found = extract_emoji(s);
            let len = s.encode_utf16().count();
            assert_eq!(found.get(&0), Some(&len), "{s:?}");
            assert_eq!(weighted_length(s), 2, "{s:?}");
        }
    }

    #[test]
    fn text_presentation_selector_stops_an_emoji() {
        // U+2764 U+FE0E: text presentation, so no emoji; both code points weigh 2.
        assert_eq!(weighted_length("\u{2764}\u{FE0E}"), 4);
        assert_eq!(weighted_length("\u{2764}\u{FE0F}"), 2);
    }

    #[test]
    fn punycode_lengths() {
        let enc = |s: &str| punycode_to_ascii_len(&s.encode_utf16().collect::<Vec<_>>());
        assert_eq!(enc("example"), 7);
        assert_eq!(enc("bücher"), "xn--bcher-kva".len());
        assert_eq!(enc("例え"), "xn--r8jz45g".len());
    }

    #[test]
    fn urls() {
        assert_eq!(weighted_length("example.com"), 23);
        assert_eq!(
            weighted_length("see https://example.com/a_(b) now"),
            4 + 23 + 4
        );
        assert_eq!(weighted_length("/example.com"), 12);
        assert_eq!(weighted_length("example.notarealtld"), 19);
    }
}
