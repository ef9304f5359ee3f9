//! The placeholder texts `herald new` writes into a new file, in one place: `new` writes
//! them and [`find`] finds them still there, so a file that still has one is reported by
//! `check`, refused by `approve` and never published.

use super::Variant;
use crate::diagnostic::{Diagnostic, Pos};

/// The title `herald new` writes.
pub const TITLE: &str = "Write the headline here";
/// The summary `herald new` writes.
pub const SUMMARY: &str = "One or two sentences for social posts when the text is too long.";
/// The body's first paragraph `herald new` writes.
pub const BODY: &str = "Write the announcement here, in Markdown.";
/// The body's second paragraph `herald new` writes.
pub const BODY_HINT: &str = "A blank line starts a new paragraph.";
/// The start of the link `herald new` writes (`https://example.org/news/SLUG`):
/// `example.org` is a name reserved for examples, never a real page.
pub const LINK_START: &str = "https://example.org/news/";

/// The link `herald new` writes for `slug`.
pub fn link(slug: &str) -> String {
    format!("{LINK_START}{slug}")
}

/// The body `herald new` writes.
pub fn body() -> String {
    format!("{BODY}\n\n{BODY_HINT}\n")
}

/// One error for each placeholder of `herald new` still in `v`, at its line.
pub fn find(v: &Variant) -> Vec<Diagnostic> {
    let f = &v.front;
    let mut found = Vec::new();
    let mut report = |pos: Option<Pos>, what: &str, fix: &str| {
        found.push(Diagnostic::error(
            &v.path,
            pos,
            format!(
                "{what} is still the placeholder that `herald new` wrote; {fix} \
                 (a file with a placeholder cannot be approved or published)"
            ),
        ))
    };
    if f.title.trim() == TITLE {
        report(f.title_position, "the `title`", "write the headline");
    }
    if f.summary.as_deref().is_some_and(|s| s.trim() == SUMMARY) {
        report(
            f.summary_position,
            "the `summary`",
            "write one or two sentences for social posts, or remove the line",
        );
    }
    if f.link.as_deref().is_some_and(|l| l.starts_with(LINK_START)) {
        report(
            f.link_position,
            "the `link`",
            "put the address of the full text on your website, or remove the line",
        );
    }
    for (i, line) in v.body.lines().enumerate() {
        let at = Some(Pos::new(v.body_line + i, 1));
        if line.trim() == BODY {
            report(at, "this text", "write the announcement here");
        } else if line.trim() == BODY_HINT {
            report(at, "this line", "delete it");
        }
    }
    found
}
