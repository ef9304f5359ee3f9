//! Small helpers for writing GitHub Markdown safely: user-written text goes through
//! [`text`] (inline) or [`fenced`] (blocks), Herald's own messages through [`message`].

/// Inline text (a title, a summary, alt text) that Markdown and HTML must not read as
/// markup: on one line, with `<`, `>` and `&` as entities and the characters that start
/// emphasis, links, code, tables or strike-through backslash-escaped. An `@` gets an
/// invisible word joiner after it, so `@name` in a title does not mention (and notify)
/// a GitHub user of that name on every push.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '@' => out.push_str("@\u{2060}"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `s` (a file name, a channel name) as inline code, or as escaped text when it holds
/// a backtick.
pub fn code(s: &str) -> String {
    if s.contains('`') || s.contains('\n') {
        text(s)
    } else {
        format!("`{s}`")
    }
}

/// A message Herald wrote, whose `code` spans are meant as code: those are kept, and
/// the rest is escaped as [`text`]. With an odd number of backticks, all of it is text.
pub fn message(s: &str) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    if one_line.matches('`').count() % 2 == 1 {
        return text(&one_line);
    }
    one_line
        .split('`')
        .enumerate()
        .map(|(i, piece)| {
            if i % 2 == 1 {
                format!("`{piece}`")
            } else {
                text(piece)
            }
        })
        .collect()
}

/// [`message`] for inside HTML (where Markdown is not read): escaped, its code spans
/// as `<code>`.
pub fn html_message(s: &str) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    if one_line.matches('`').count() % 2 == 1 {
        return super::html::esc(&one_line);
    }
    one_line
        .split('`')
        .enumerate()
        .map(|(i, piece)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", super::html::esc(piece))
            } else {
                super::html::esc(piece)
            }
        })
        .collect()
}

/// `body` as a fenced code block, shown exactly: the fence is longer than the longest
/// run of backticks in it (at least three), so no line of the text can close it.
pub fn fenced(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    let newline = if body.ends_with('\n') { "" } else { "\n" };
    format!("{fence}\n{body}{newline}{fence}\n")
}

/// A link to `url` with the words `label`, or the words alone when `url` could break
/// out of the link (spaces, angle brackets, not http(s)).
pub fn link(label: &str, url: &str) -> String {
    if is_plain_url(url) {
        format!("[{}](<{url}>)", text(label))
    } else {
        text(label)
    }
}

/// `url` as an autolink (`<https://…>`), or escaped text when it is not a plain URL.
pub fn url(url: &str) -> String {
    if is_plain_url(url) {
        format!("<{url}>")
    } else {
        text(url)
    }
}

fn is_plain_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '`'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_become_markup() {
        assert_eq!(
            text("<script>a|b</script> *x* [l](u) `c` a\\b\nc"),
            "&lt;script&gt;a\\|b&lt;/script&gt; \\*x\\* \\[l\\](u) \\`c\\` a\\\\b c"
        );
    }

    #[test]
    fn a_name_after_an_at_sign_mentions_nobody() {
        assert_eq!(text("Tere @kadri!"), "Tere @\u{2060}kadri\\!");
    }

    #[test]
    fn messages_keep_their_code_spans() {
        assert_eq!(
            message("set `thread: auto` or <b>|"),
            "set `thread: auto` or &lt;b&gt;\\|"
        );
        assert_eq!(message("one ` tick <"), "one \\` tick &lt;");
        assert_eq!(
            html_message("see `herald status` <now>"),
            "see <code>herald status</code> &lt;now&gt;"
        );
    }

    #[test]
    fn the_fence_outgrows_the_text() {
        assert_eq!(fenced("a"), "```\na\n```\n");
        assert_eq!(fenced("x ```` y ``\n"), "`````\nx ```` y ``\n`````\n");
    }

    #[test]
    fn only_plain_urls_are_linked() {
        assert_eq!(url("https://a.example/x_y"), "<https://a.example/x_y>");
        assert_eq!(url("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(
            link("Open", "https://a.example/p?q=1"),
            "[Open](<https://a.example/p?q=1>)"
        );
        assert_eq!(link("Open", "https://a.example/>x"), "Open");
    }
}
