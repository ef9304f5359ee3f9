//! Small helpers for writing HTML safely: every text goes through [`esc`].

pub use crate::html::esc;

/// Post text as a platform shows it: escaped, line breaks kept, links and hashtags
/// highlighted (links are not clickable in the preview: it makes no requests).
pub fn post_text(text: &str) -> String {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    let mut out = String::new();
    let mut last = 0;
    for link in finder.links(text) {
        out.push_str(&hashtags(&text[last..link.start()]));
        out.push_str(&format!(
            "<span class=\"link\">{}</span>",
            esc(link.as_str())
        ));
        last = link.end();
    }
    out.push_str(&hashtags(&text[last..]));
    out.replace('\n', "<br>")
}

fn hashtags(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    let mut prev_space = true;
    while let Some((i, c)) = rest.char_indices().next() {
        if c == '#' && prev_space {
            let tail = &rest[i + 1..];
            let len = tail
                .char_indices()
                .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
                .map_or(tail.len(), |(n, _)| n);
            if len > 0 {
                out.push_str(&format!(
                    "<span class=\"tag\">#{}</span>",
                    esc(&tail[..len])
                ));
                rest = &tail[len..];
                prev_space = false;
                continue;
            }
        }
        out.push_str(&esc(&c.to_string()));
        prev_space = c.is_whitespace();
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped_and_links_and_tags_marked() {
        assert_eq!(
            super::post_text("a <b> & https://x.org/?a=1&b=2\n#Tartu x#no"),
            "a &lt;b&gt; &amp; <span class=\"link\">https://x.org/?a=1&amp;b=2</span><br><span class=\"tag\">#Tartu</span> x#no"
        );
    }
}
