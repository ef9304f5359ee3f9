//! The body in the two forms templates need: HTML for email and feeds, plain text for
//! social networks (which show text, not Markdown).
//!
//! Raw HTML in the body is shown as text, never passed through: announcements are written
//! by many hands and end up in subscribers' inboxes.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

fn parser(markdown: &str) -> impl Iterator<Item = Event<'_>> {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    })
}

/// Deepest list indentation in plain text.
const MAX_INDENT: usize = 4;

/// Deepest nesting of lists and quotes a body may have; a real announcement has two or
/// three levels, and an absurd one would only make unreadable posts.
pub const MAX_NESTING: usize = 16;

/// How deeply lists and block quotes nest in `markdown`.
pub fn nesting(markdown: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for event in Parser::new_ext(markdown, Options::empty()) {
        match event {
            Event::Start(Tag::List(_) | Tag::BlockQuote(_)) => {
                depth += 1;
                max = max.max(depth);
            }
            Event::End(TagEnd::List(_) | TagEnd::BlockQuote(_)) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The body as HTML (raw HTML escaped; only safe links, see [`safe_link`]).
pub fn to_html(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut out, safe_links(parser(markdown)));
    out
}

/// Links and images whose URL is not [`safe_link`] lose their markup: their text (an
/// image's alt text) is shown as text, the URL is left out.
fn safe_links<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    // For each link or image open: whether its markup was kept.
    let mut open: Vec<bool> = Vec::new();
    events.filter(move |event| match event {
        Event::Start(Tag::Link { dest_url, .. }) => {
            open.push(safe_link(dest_url, false));
            *open.last().unwrap()
        }
        Event::Start(Tag::Image { dest_url, .. }) => {
            open.push(safe_link(dest_url, true));
            *open.last().unwrap()
        }
        Event::End(TagEnd::Link | TagEnd::Image) => open.pop().unwrap_or(true),
        _ => true,
    })
}

/// Whether `url` may become a link in HTML Herald writes (email, feeds, the preview):
/// only `http`, `https` and (not for images) `mailto`. The scheme is read the way a
/// browser reads it — any letter case, leading spaces and control characters dropped,
/// tabs and line breaks inside ignored — after Markdown has decoded entities, so
/// `JaVaScRiPt:`, ` javascript:` and `&#106;avascript:` are all refused. A URL without
/// a scheme (`/page`, `#part`) is refused too: it leads nowhere in an inbox.
pub fn safe_link(url: &str, image: bool) -> bool {
    let cleaned: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let Some((scheme, _)) = cleaned.split_once(':') else {
        return false;
    };
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" => true,
        "mailto" => !image,
        _ => false,
    }
}

/// The body as plain text: paragraphs separated by a blank line, list items with `•`,
/// links as `text (url)` unless the text already is the url.
pub fn to_plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut link_stack: Vec<(String, usize)> = Vec::new();
    let mut list_depth = 0usize;
    for event in parser(markdown) {
        match event {
            Event::Start(Tag::Paragraph | Tag::Heading { .. } | Tag::BlockQuote(_)) => {
                block_break(&mut out)
            }
            Event::Start(Tag::CodeBlock(_) | Tag::Table(_)) => block_break(&mut out),
            Event::Start(Tag::List(_)) => {
                if list_depth == 0 {
                    block_break(&mut out);
                }
                list_depth += 1;
            }
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::Start(Tag::Item) => {
                line_break(&mut out);
                // Capped: deeper lists read the same, and the text stays linear in the input.
                out.push_str(&"  ".repeat(list_depth.saturating_sub(1).min(MAX_INDENT)));
                out.push_str("• ");
            }
            Event::End(TagEnd::Heading(HeadingLevel::H1 | HeadingLevel::H2)) => {}
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => line_break(&mut out),
            Event::End(TagEnd::TableCell) => out.push('\t'),
            Event::Start(Tag::Link { dest_url, .. }) => {
                link_stack.push((dest_url.into_string(), out.len()))
            }
            Event::End(TagEnd::Link) => {
                if let Some((url, start)) = link_stack.pop() {
                    let text = out[start..].trim();
                    if text.is_empty() {
                        out.push_str(&url);
                    } else if text != url && !url.starts_with('#') {
                        out.push_str(" (");
                        out.push_str(&url);
                        out.push(')');
                    }
                }
            }
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Rule => {
                block_break(&mut out);
                out.push_str("———");
            }
            _ => {}
        }
    }
    out.trim().to_owned()
}

fn block_break(out: &mut String) {
    if !out.is_empty() {
        let trimmed = out.trim_end_matches([' ', '\n', '\t']).len();
        out.truncate(trimmed);
        out.push_str("\n\n");
    }
}

fn line_break(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_keeps_paragraphs_and_shows_link_targets() {
        let md = "First *para*\ncontinues.\n\nSee [the site](https://example.org/) or https://example.org/x.\n";
        assert_eq!(
            to_plain_text(md),
            "First para continues.\n\nSee the site (https://example.org/) or https://example.org/x."
        );
    }

    #[test]
    fn lists_become_bullets() {
        assert_eq!(
            to_plain_text("Items:\n\n- one\n- two\n"),
            "Items:\n\n• one\n• two"
        );
    }

    #[test]
    fn autolinks_are_not_doubled() {
        assert_eq!(
            to_plain_text("<https://example.org/>"),
            "https://example.org/"
        );
    }

    #[test]
    fn only_http_https_and_mailto_become_links() {
        for (md, html) in [
            ("[a](javascript:alert(1))", "<p>a</p>\n"),
            ("[a](JaVaScRiPt:alert(1))", "<p>a</p>\n"),
            ("[a](&#106;avascript:alert(1))", "<p>a</p>\n"),
            ("[a](&#x4A;AVASCRIPT&#58;alert(1))", "<p>a</p>\n"),
            ("[a](&#32;javascript:alert(1))", "<p>a</p>\n"),
            ("[a](<\tjavascript:alert(1)>)", "<p>a</p>\n"),
            ("[a](java&#9;script:alert(1))", "<p>a</p>\n"),
            (
                "[*a*](data:text/html;base64,PHNjcmlwdD4=)",
                "<p><em>a</em></p>\n",
            ),
            ("[a](vbscript:msgbox)", "<p>a</p>\n"),
            ("[a](file:///etc/passwd)", "<p>a</p>\n"),
            ("[a](/relative/page)", "<p>a</p>\n"),
            ("<javascript:alert(1)>", "<p>javascript:alert(1)</p>\n"),
            ("![alt](javascript:alert(1))", "<p>alt</p>\n"),
            ("![alt](mailto:a@b.example)", "<p>alt</p>\n"),
            ("[a]\n\n[a]: javascript:alert(1)", "<p>a</p>\n"),
            (
                "[a](https://tartu.ee/?a=1&b=2)",
                "<p><a href=\"https://tartu.ee/?a=1&amp;b=2\">a</a></p>\n",
            ),
            (
                "[a](HTTP://TARTU.EE/)",
                "<p><a href=\"HTTP://TARTU.EE/\">a</a></p>\n",
            ),
            (
                "[a](mailto:press@tartu.ee)",
                "<p><a href=\"mailto:press@tartu.ee\">a</a></p>\n",
            ),
            (
                "[![x](https://tartu.ee/p.png)](javascript:alert(1))",
                "<p><img src=\"https://tartu.ee/p.png\" alt=\"x\" /></p>\n",
            ),
        ] {
            assert_eq!(to_html(md), html, "{md}");
        }
    }

    #[test]
    fn raw_html_is_escaped_not_passed_through() {
        let html = to_html("Hello <script>alert(1)</script>\n");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert_eq!(to_plain_text("a <b>bold</b>"), "a <b>bold</b>");
    }
}
