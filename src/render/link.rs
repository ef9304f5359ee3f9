//! Whether a text already shows the announcement's `link`, so that the templates of the
//! social kinds do not append it a second time.
//!
//! "Shows" means a reader can follow it there: the text has the same address written out
//! with its scheme (`https://…`), as Markdown's `[words](URL)` becomes `words (URL)` in
//! the plain text. Two addresses are the same when they differ only where a web address
//! cannot differ: the case of the scheme and host, a default port, an internationalised
//! host written in Unicode or as `xn--`, percent-encoding of letters in the path, and
//! one `/` at the end of the path (`…/better` and `…/better/`). Anything else keeps the
//! link appended, as it was before this check existed: `http://` for an `https://` link
//! (a different address, which may not redirect), another host (`www.`), a query or a
//! fragment, a longer path, or an address without its scheme (Mastodon and Telegram do
//! not link `example.org/news` by themselves).

/// True when `text` shows `link` as a link (see the module documentation).
pub fn shows(text: &str, link: &str) -> bool {
    let Some(wanted) = same_page_key(link) else {
        return false;
    };
    urls(text).any(|url| same_page_key(url).is_some_and(|k| k == wanted))
}

/// The addresses written out in `text` with `http://` or `https://`, without the
/// punctuation that ends a sentence or closes a bracket after them.
fn urls(text: &str) -> impl Iterator<Item = &str> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let rest = &lower[from..];
            let at = rest.find("http")? + from;
            from = at + 4;
            let scheme = if lower[at..].starts_with("https://") {
                8
            } else if lower[at..].starts_with("http://") {
                7
            } else {
                continue;
            };
            // `xhttps://` is not an address that starts at `h`.
            if text[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric())
            {
                continue;
            }
            let end = text[at..]
                .find(|c: char| c.is_whitespace() || ENDS_URL.contains(&c))
                .map_or(text.len(), |e| at + e);
            from = end.max(at + scheme);
            let url = trim_trailing(&text[at..end]);
            if url.len() > scheme {
                return Some(url);
            }
        }
    })
}

/// Characters that cannot be part of an address written in a text: they end it.
const ENDS_URL: &[char] = &['<', '>', '"', '“', '”', '„', '«', '»', '‘', '’', '‹', '›'];

/// Drops what a sentence puts after an address: `.`, `,`, `…`, a closing bracket that
/// has no opening one inside the address (`(see https://x.org/a)`), a quote.
fn trim_trailing(url: &str) -> &str {
    let mut url = url;
    loop {
        let Some(last) = url.chars().next_back() else {
            return url;
        };
        let unbalanced =
            |open: char, close: char| url.matches(close).count() > url.matches(open).count();
        let drop = match last {
            '.' | ',' | ';' | ':' | '!' | '?' | '…' | '\'' => true,
            ')' => unbalanced('(', ')'),
            ']' => unbalanced('[', ']'),
            '}' => unbalanced('{', '}'),
            _ => false,
        };
        if !drop {
            return url;
        }
        url = &url[..url.len() - last.len_utf8()];
    }
}

/// What two addresses of the same page have in common: the scheme and host in lower
/// case (the host in its `xn--` form), the port unless it is the scheme's default, the
/// path with letters percent-decoded and without a final `/`, then query and fragment
/// as written. `None` for what is not an `http(s)` address.
fn same_page_key(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((user, hp)) => (Some(user), hp),
        None => (None, authority),
    };
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (h, Some(p)),
        _ => (host_port, None),
    };
    let host = idna::domain_to_ascii(host).unwrap_or_else(|_| host.to_lowercase());
    if host.is_empty() {
        return None;
    }
    let default_port = if scheme == "https" { "443" } else { "80" };
    let port = port.filter(|p| !p.is_empty() && *p != default_port);
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len());
    let (path, tail) = rest.split_at(path_end);
    let path = decode_letters(path);
    let path = path.strip_suffix('/').unwrap_or(&path);
    let mut key = format!("{scheme}://");
    if let Some(user) = user {
        key.push_str(user);
        key.push('@');
    }
    key.push_str(&host);
    if let Some(port) = port {
        key.push(':');
        key.push_str(port);
    }
    key.push_str(path);
    key.push_str(tail);
    Some(key)
}

/// Decodes the percent-escapes that stand for letters, digits, `-._~` or non-ASCII
/// text (`j%C3%B5ulutuli` is `jõulutuli`); escapes of characters that mean something in
/// a path (`%2F`, `%3F`, …) stay as they are, in upper case.
fn decode_letters(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            let b = (hi * 16 + lo) as u8;
            if b >= 0x80 || b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b);
            } else {
                out.extend_from_slice(format!("%{b:02X}").as_bytes());
            }
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::shows;

    const LINK: &str = "https://www.interregeurope.eu/better/";

    #[test]
    fn the_same_address_anywhere_in_the_text_is_shown() {
        for text in [
            "Read more at https://www.interregeurope.eu/better/",
            "Read more at https://www.interregeurope.eu/better/.",
            "Read more at https://www.interregeurope.eu/better.",
            "Read more on the project website (https://www.interregeurope.eu/better/) now.",
            "(https://www.interregeurope.eu/better)",
            "Site: https://www.interregeurope.eu/better/, then…",
            "«https://www.interregeurope.eu/better/»",
            "HTTPS://WWW.InterregEurope.EU/better/",
            "https://www.interregeurope.eu:443/better/",
            "Line one\nhttps://www.interregeurope.eu/better/\nline three",
        ] {
            assert!(shows(text, LINK), "{text:?}");
        }
    }

    #[test]
    fn another_address_is_not_the_link() {
        for text in [
            "No link at all.",
            "http://www.interregeurope.eu/better/",
            "https://interregeurope.eu/better/",
            "www.interregeurope.eu/better/",
            "https://www.interregeurope.eu/better/news/",
            "https://www.interregeurope.eu/better-2/",
            "https://www.interregeurope.eu/Better/",
            "https://www.interregeurope.eu/better/?utm_source=x",
            "https://www.interregeurope.eu/better/#contact",
            "xhttps://www.interregeurope.eu/better/",
            "https://www.interregeurope.eu:8443/better/",
            "https://",
        ] {
            assert!(!shows(text, LINK), "{text:?}");
        }
    }

    #[test]
    fn unicode_hosts_and_escaped_letters_are_the_same_address() {
        let link = "https://näide.ee/jõulutuli";
        assert!(shows("See https://xn--nide-loa.ee/j%C3%B5ulutuli!", link));
        assert!(shows("See https://NÄIDE.ee/jõulutuli/", link));
        // An escaped `/` is not a path separator.
        assert!(!shows(
            "https://example.org/a%2Fb",
            "https://example.org/a/b"
        ));
        assert!(shows(
            "https://example.org/%7Euser",
            "https://example.org/~user"
        ));
    }

    #[test]
    fn brackets_that_belong_to_the_address_stay() {
        let link = "https://en.wikipedia.org/wiki/Tartu_(disambiguation)";
        assert!(shows(
            "See https://en.wikipedia.org/wiki/Tartu_(disambiguation).",
            link
        ));
        assert!(shows(
            "(see https://en.wikipedia.org/wiki/Tartu_(disambiguation))",
            link
        ));
        assert!(!shows("https://en.wikipedia.org/wiki/Tartu_", link));
    }
}
