//! Small helpers for writing HTML safely: every text goes through [`esc`]. Post text as
//! each network shows it: links shortened the way it shortens them, hashtags and
//! mentions marked (display only: what is counted and sent never changes).

pub use crate::html::esc;
use crate::platform::Kind;

/// Post text as a platform shows it: escaped, line breaks kept, links, hashtags and
/// mentions highlighted (links are not clickable in the preview: it makes no requests).
/// Links are shown whole; [`post_text_as`] shortens them as a network does.
pub fn post_text(text: &str) -> String {
    shown(text, None)
}

/// [`post_text`] as `kind` shows it: links shortened the way that network shows them
/// ([`link_as`]), the whole address kept in the `title`.
pub fn post_text_as(text: &str, kind: Kind) -> String {
    shown(text, Some(kind))
}

fn shown(text: &str, kind: Option<Kind>) -> String {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    let mut out = String::new();
    let mut last = 0;
    for link in finder.links(text) {
        out.push_str(&tags_and_mentions(&text[last..link.start()]));
        let url = link.as_str();
        match kind.map(|k| link_as(url, k)) {
            Some(short) if short != url => out.push_str(&format!(
                "<span class=\"link\" title=\"{}\">{}</span>",
                esc(url),
                esc(&short)
            )),
            _ => out.push_str(&format!("<span class=\"link\">{}</span>", esc(url))),
        }
        last = link.end();
    }
    out.push_str(&tags_and_mentions(&text[last..]));
    out.replace('\n', "<br>")
}

/// How `kind` writes `url` in a post (display only: the post carries the whole URL).
///
/// - Mastodon hides `http://`, `https://` (with a `www.` after it) and `xmpp:`, shows
///   the next 30 characters, and hides the rest behind `…` when more than 30 follow
///   (`TextFormatter#link_to_url` and `URL_PREFIX_REGEX` in mastodon/mastodon
///   `app/lib/text_formatter.rb`; the `.ellipsis` class draws the `…`).
/// - X shows its `display_url`: the address without `http(s)://` and `www.`, the host
///   whole, and of the rest (path and query) the first 15 characters, then `…` when it
///   is longer. That is what the X API's `entities.urls[].display_url` holds in
///   published tweets: `https://dev.twitter.com/terms/display-guidelines` is shown as
///   `dev.twitter.com/terms/display-…` (twittertex's `display_guidelines.json`), and
///   `http://www.binpress.com/blog/2011/08/25/why-isnt-it-free-commercial-open-source/`
///   as `binpress.com/blog/2011/08/2…`.
/// - Every other network shows the address as written.
pub fn link_as(url: &str, kind: Kind) -> String {
    match kind {
        Kind::Mastodon => {
            let rest = strip_scheme(url).unwrap_or(url);
            let rest = match url.strip_prefix("xmpp:") {
                Some(r) => r,
                None => rest,
            };
            let shown: String = rest.chars().take(30).collect();
            if rest.chars().count() > 30 {
                format!("{shown}…")
            } else {
                shown
            }
        }
        Kind::X => {
            let Some(rest) = strip_scheme(url) else {
                return url.to_owned();
            };
            let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (host, path) = rest.split_at(split);
            if path.chars().count() > 15 {
                format!("{host}{}…", path.chars().take(15).collect::<String>())
            } else {
                rest.to_owned()
            }
        }
        _ => url.to_owned(),
    }
}

/// `url` without `http://` or `https://` and a `www.` right after it, or `None` when it
/// starts with neither.
fn strip_scheme(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return None;
    };
    Some(match rest.get(..4) {
        Some(w) if w.eq_ignore_ascii_case("www.") => &rest[4..],
        _ => rest,
    })
}

/// Escapes `text`, marking `#tags` and `@mentions` (`@city`, `@city.bsky.social`,
/// `@herald@mastodon.social`) that start a word.
fn tags_and_mentions(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    let mut word_start = true;
    while let Some(c) = rest.chars().next() {
        if (c == '#' || c == '@') && word_start {
            let tail = &rest[1..];
            let len = if c == '#' {
                tail.char_indices()
                    .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
                    .map_or(tail.len(), |(n, _)| n)
            } else {
                // A handle's dots and `@server` are part of it; one at the end is not.
                let end = tail
                    .char_indices()
                    .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '@')))
                    .map_or(tail.len(), |(n, _)| n);
                tail[..end].trim_end_matches(['.', '-', '@']).len()
            };
            if len > 0 {
                let class = if c == '#' { "tag" } else { "mention" };
                out.push_str(&format!(
                    "<span class=\"{class}\">{c}{}</span>",
                    esc(&tail[..len])
                ));
                rest = &tail[len..];
                word_start = false;
                continue;
            }
        }
        out.push_str(&esc(&c.to_string()));
        word_start = !(c.is_alphanumeric() || c == '_');
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn text_is_escaped_and_links_and_tags_marked() {
        assert_eq!(
            super::post_text("a <b> & https://x.org/?a=1&b=2\n#Tartu x#no"),
            "a &lt;b&gt; &amp; <span class=\"link\">https://x.org/?a=1&amp;b=2</span><br><span class=\"tag\">#Tartu</span> x#no"
        );
    }

    #[test]
    fn mentions_are_marked_but_not_addresses() {
        assert_eq!(
            super::post_text(
                "(@city) @city.bsky.social. @herald@mastodon.social, uudised@tartu.ee @"
            ),
            "(<span class=\"mention\">@city</span>) <span class=\"mention\">@city.bsky.social</span>. \
             <span class=\"mention\">@herald@mastodon.social</span>, uudised@tartu.ee @"
        );
    }

    #[test]
    fn links_are_shortened_as_each_network_shows_them() {
        let long = "https://www.tartu.ee/et/uudised/linnapaev-2026?lang=et";
        assert_eq!(
            super::link_as(long, Kind::Mastodon),
            "tartu.ee/et/uudised/linnapaev-…"
        );
        assert_eq!(super::link_as(long, Kind::X), "tartu.ee/et/uudised/lin…");
        assert_eq!(super::link_as(long, Kind::Bluesky), long);
        // Short enough: whole, without the scheme.
        assert_eq!(
            super::link_as("https://tartu.ee/a", Kind::Mastodon),
            "tartu.ee/a"
        );
        assert_eq!(super::link_as("http://tartu.ee", Kind::X), "tartu.ee");
        // X's published examples.
        assert_eq!(
            super::link_as("https://dev.twitter.com/terms/display-guidelines", Kind::X),
            "dev.twitter.com/terms/display-…"
        );
        assert_eq!(
            super::link_as(
                "http://www.binpress.com/blog/2011/08/25/why-isnt-it-free-commercial-open-source/",
                Kind::X
            ),
            "binpress.com/blog/2011/08/2…"
        );
        // Exactly 30 after the prefix: whole.
        let thirty = format!("https://{}", "a".repeat(30));
        assert_eq!(super::link_as(&thirty, Kind::Mastodon), "a".repeat(30));
        assert_eq!(
            super::post_text_as(long, Kind::X),
            "<span class=\"link\" title=\"https://www.tartu.ee/et/uudised/linnapaev-2026?lang=et\">tartu.ee/et/uudised/lin…</span>"
        );
    }
}
