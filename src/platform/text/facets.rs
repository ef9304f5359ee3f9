//! Bluesky rich-text facets, detected exactly as `@atproto/api`'s `RichText` does
//! (`detectFacetsWithoutResolution`, version 0.19): links (with or without a scheme),
//! mentions, hashtags and cashtags, located by UTF-8 byte offsets. Bluesky links
//! nothing in a post by itself, so what is not a facet is plain text there.
//!
//! The rules are those of the reference code's regular expressions, written out as
//! scanners; `tests/conformance/` checks them against the package on a corpus.

use super::bsky_tlds::TLDS;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// One detected facet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facet {
    pub byte_start: usize,
    pub byte_end: usize,
    pub feature: Feature,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feature {
    /// The full URI (`https://` added to scheme-less links).
    Link(String),
    /// Without `#`; cashtags as `$TICKER`.
    Tag(String),
    /// A handle, still to be resolved to a DID.
    Mention(String),
}

/// The text as characters with their UTF-8 and UTF-16 offsets.
struct Text {
    chars: Vec<char>,
    utf8: Vec<usize>,
    utf16: Vec<usize>,
}

impl Text {
    fn new(s: &str) -> Text {
        let chars: Vec<char> = s.chars().collect();
        let (mut utf8, mut utf16) = (
            Vec::with_capacity(chars.len() + 1),
            Vec::with_capacity(chars.len() + 1),
        );
        let (mut b, mut u) = (0, 0);
        for c in &chars {
            utf8.push(b);
            utf16.push(u);
            b += c.len_utf8();
            u += c.len_utf16();
        }
        utf8.push(b);
        utf16.push(u);
        Text { chars, utf8, utf16 }
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    fn string(&self, from: usize, to: usize) -> String {
        self.chars[from..to].iter().collect()
    }
}

/// JavaScript's `\s`.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `(^|\s|\()` before position `i`: the positions where the body may start, in the
/// order the regular expression tries them.
fn leads(t: &Text, i: usize, paren: bool, multiline: bool) -> impl Iterator<Item = usize> {
    let at_start = i == 0 || (multiline && t.chars[i - 1] == '\n');
    let consumed = i < t.len() && (is_js_space(t.chars[i]) || (paren && t.chars[i] == '('));
    at_start
        .then_some(i)
        .into_iter()
        .chain(consumed.then_some(i + 1))
}

/// The host's last label is a known top-level domain (case-sensitive, like the package).
fn valid_domain(host: &str) -> bool {
    host.rsplit_once('.')
        .is_some_and(|(_, tld)| TLDS.binary_search(&tld).is_ok())
}

/// Every facet in `text`, sorted by start (stable: mentions, links, tags, cashtags).
pub fn detect(text: &str) -> Vec<Facet> {
    let t = Text::new(text);
    let mut out = Vec::new();
    mentions(&t, &mut out);
    links(&t, &mut out);
    tags(&t, &mut out);
    cashtags(&t, &mut out);
    out.sort_by_key(|f| f.byte_start);
    out
}

/// The facets a record may carry: Bluesky refuses overlapping ones, which the reference
/// detection can produce (a tag running into a link: `#a.org/x`). The earlier one wins.
pub fn non_overlapping(facets: Vec<Facet>) -> Vec<Facet> {
    let mut end = 0;
    facets
        .into_iter()
        .filter(|f| {
            let keep = f.byte_start >= end;
            if keep {
                end = f.byte_end;
            }
            keep
        })
        .collect()
}

fn mentions(t: &Text, out: &mut Vec<Facet>) {
    let handle_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    let mut i = 0;
    while i <= t.len() {
        let found = leads(t, i, true, false).find_map(|j| {
            if t.chars.get(j) != Some(&'@') {
                return None;
            }
            let start = j + 1;
            let mut end = start;
            while end < t.len() && handle_char(t.chars[end]) {
                end += 1;
            }
            // `\b` after the handle: give back characters until there is a boundary.
            while end > start {
                let before = is_word(t.chars[end - 1]);
                let after = t.chars.get(end).is_some_and(|&c| is_word(c));
                if before != after {
                    break;
                }
                end -= 1;
            }
            (end > start).then_some((j, start, end))
        });
        match found {
            Some((at, start, end)) => {
                let handle = t.string(start, end);
                if valid_domain(&handle) || handle.ends_with(".test") {
                    out.push(Facet {
                        byte_start: t.utf8[at],
                        byte_end: t.utf8[end],
                        feature: Feature::Mention(handle),
                    });
                }
                i = end;
            }
            None => i += 1,
        }
    }
}

fn links(t: &Text, out: &mut Vec<Facet>) {
    let mut i = 0;
    while i <= t.len() {
        let found = leads(t, i, true, true).find_map(|j| link_at(t, j).map(|m| (j, m)));
        match found {
            Some((start, (end, uri))) => {
                if let Some(mut uri) = uri {
                    let mut stop = end;
                    if uri.ends_with(['.', ',', ';', ':', '!', '?']) {
                        uri.pop();
                        stop -= 1;
                    }
                    if uri.ends_with(')') && !uri.contains('(') {
                        uri.pop();
                        stop -= 1;
                    }
                    out.push(Facet {
                        byte_start: t.utf8[start],
                        byte_end: t.utf8[stop],
                        feature: Feature::Link(uri),
                    });
                }
                i = end;
            }
            None => i += 1,
        }
    }
}

/// A link starting at `j`: its end, and the URI unless the match is discarded.
fn link_at(t: &Text, j: usize) -> Option<(usize, Option<String>)> {
    let rest = |k: usize| {
        let mut e = k;
        while e < t.len() && !is_js_space(t.chars[e]) {
            e += 1;
        }
        e
    };
    // `https?://\S+`, case-insensitive.
    let scheme: String = t.chars[j..]
        .iter()
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    let scheme_len = if scheme.starts_with("https://") {
        8
    } else if scheme.starts_with("http://") {
        7
    } else {
        0
    };
    if scheme_len > 0 && j + scheme_len < t.len() && !is_js_space(t.chars[j + scheme_len]) {
        let end = rest(j + scheme_len);
        let token = t.string(j, end);
        // The package checks the scheme case-sensitively after matching it without case.
        return Some((end, token.starts_with("http").then_some(token)));
    }
    // A scheme-less domain: `[a-z][a-z0-9]*(\.[a-z0-9]+)+`, then `\S*`.
    let alnum = |k: usize| t.chars.get(k).is_some_and(|c| c.is_ascii_alphanumeric());
    if !t.chars.get(j).is_some_and(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut k = j + 1;
    while alnum(k) {
        k += 1;
    }
    let mut labels = 0;
    while t.chars.get(k) == Some(&'.') && alnum(k + 1) {
        k += 1;
        while alnum(k) {
            k += 1;
        }
        labels += 1;
    }
    if labels == 0 {
        return None;
    }
    let domain = t.string(j, k);
    let end = rest(k);
    let uri = valid_domain(&domain).then(|| format!("https://{}", t.string(j, end)));
    Some((end, uri))
}

/// Zero-width characters that end a tag.
fn tag_stop(c: char) -> bool {
    is_js_space(c)
        || matches!(
            c,
            '\u{ad}' | '\u{2060}' | '\u{200a}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{20e2}'
        )
}

static PUNCTUATION: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"^\p{P}$").expect("valid"));
static TRAILING_PUNCTUATION: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"\p{P}+$").expect("valid"));

fn is_punctuation(c: char) -> bool {
    let mut buf = [0; 4];
    PUNCTUATION.is_match(c.encode_utf8(&mut buf))
}

fn tags(t: &Text, out: &mut Vec<Facet>) {
    let mut i = 0;
    while i <= t.len() {
        let found = leads(t, i, false, false).find(|&j| matches!(t.chars.get(j), Some('#' | '＃')));
        let Some(hash) = found else {
            i += 1;
            continue;
        };
        let start = hash + 1;
        let mut end = start;
        while end < t.len() && !tag_stop(t.chars[end]) {
            end += 1;
        }
        let body = &t.chars[start..end];
        let matched = body.first() != Some(&'\u{fe0f}')
            && body
                .iter()
                .any(|&c| !c.is_ascii_digit() && !is_punctuation(c));
        if !matched {
            // The optional group did not match: the match is just the `#`.
            i = start;
            continue;
        }
        let raw: String = body.iter().collect();
        let tag = TRAILING_PUNCTUATION.replace(raw.trim(), "").into_owned();
        let units = tag.encode_utf16().count();
        if units > 0 && units <= 64 {
            // The end is counted in UTF-16 units from the `#`, as the package does.
            let target = t.utf16[hash] + 1 + units;
            let stop = t.utf16.iter().position(|&u| u >= target).unwrap_or(t.len());
            out.push(Facet {
                byte_start: t.utf8[hash],
                byte_end: t.utf8[stop],
                feature: Feature::Tag(tag),
            });
        }
        i = end;
    }
}

fn cashtags(t: &Text, out: &mut Vec<Facet>) {
    let mut i = 0;
    while i <= t.len() {
        let found = leads(t, i, true, false).find_map(|j| {
            if t.chars.get(j) != Some(&'$')
                || !t.chars.get(j + 1).is_some_and(|c| c.is_ascii_alphabetic())
            {
                return None;
            }
            let mut end = j + 2;
            while end < t.len() && t.chars[end].is_ascii_alphanumeric() {
                end += 1;
            }
            let follows = t.chars.get(end).is_none_or(|&c| {
                is_js_space(c)
                    || matches!(
                        c,
                        '.' | ',' | ';' | ':' | '!' | '?' | ')' | '"' | '\'' | '\u{2019}'
                    )
            });
            (end - (j + 1) <= 5 && follows).then_some((j, end))
        });
        match found {
            Some((dollar, end)) => {
                let ticker = t.string(dollar + 1, end).to_ascii_uppercase();
                out.push(Facet {
                    byte_start: t.utf8[dollar],
                    byte_end: t.utf8[end],
                    feature: Feature::Tag(format!("${ticker}")),
                });
                i = end;
            }
            None => i += 1,
        }
    }
}

/// The facets of a post record: links and tags. Mentions are left out until handles are
/// resolved to DIDs; a facet with a handle in place of a DID would be invalid.
pub fn facets(text: &str) -> Vec<Value> {
    non_overlapping(detect(text))
        .into_iter()
        .filter_map(|f| {
            let feature = match f.feature {
                Feature::Link(uri) => {
                    json!({ "$type": "app.bsky.richtext.facet#link", "uri": uri })
                }
                Feature::Tag(tag) => json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag }),
                Feature::Mention(_) => return None,
            };
            Some(json!({
                "index": { "byteStart": f.byte_start, "byteEnd": f.byte_end },
                "features": [feature],
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn offsets_are_utf8_bytes() {
        let text = "Tõnu: https://example.org/õ #Tartu";
        let f = super::facets(text);
        assert_eq!(f.len(), 2);
        let start = f[0]["index"]["byteStart"].as_u64().unwrap() as usize;
        let end = f[0]["index"]["byteEnd"].as_u64().unwrap() as usize;
        assert_eq!(&text[start..end], "https://example.org/õ");
        assert_eq!(f[1]["features"][0]["tag"], "Tartu");
        let s = f[1]["index"]["byteStart"].as_u64().unwrap() as usize;
        assert_eq!(&text[s..], "#Tartu");
    }
}
