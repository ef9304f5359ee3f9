//! Bluesky rich-text facets: links and hashtags located by UTF-8 byte offsets, since
//! Bluesky links nothing in the text by itself.

use serde_json::{Value, json};

/// Link and tag facets for `text`, in order, never overlapping.
pub fn facets(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    let links: Vec<_> = finder
        .links(text)
        .filter(|l| l.as_str().starts_with("http://") || l.as_str().starts_with("https://"))
        .map(|l| (l.start(), l.end()))
        .collect();
    for &(start, end) in &links {
        out.push(json!({
            "index": { "byteStart": start, "byteEnd": end },
            "features": [{ "$type": "app.bsky.richtext.facet#link", "uri": &text[start..end] }],
        }));
    }
    for (start, tag) in hashtags(text) {
        let end = start + 1 + tag.len();
        if links.iter().any(|&(s, e)| start < e && end > s) {
            continue;
        }
        out.push(json!({
            "index": { "byteStart": start, "byteEnd": end },
            "features": [{ "$type": "app.bsky.richtext.facet#tag", "tag": tag }],
        }));
    }
    out.sort_by_key(|f| f["index"]["byteStart"].as_u64());
    out
}

/// `#word` at the start of the text or after white space; returns (byte offset of `#`, word).
fn hashtags(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c == '#' && prev.is_none_or(char::is_whitespace) {
            let rest = &text[i + 1..];
            let len = rest
                .char_indices()
                .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
                .map_or(rest.len(), |(n, _)| n);
            let tag = &rest[..len];
            if !tag.is_empty() && !tag.chars().all(|c| c.is_ascii_digit()) {
                out.push((i, tag));
            }
        }
        prev = Some(c);
    }
    out
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
