//! The preview as one pull-request comment (`herald preview --format markdown`), for
//! communications staff: the overall state in one sentence, the problems with file and
//! line, then per announcement and language its approval, when it goes out, and each
//! channel's exact text in a collapsible section. Announcements that are done (every
//! post sent, expired or missed) get one line each at the end.
//!
//! The body starts with [`MARKER`], by which the comment is found again and updated. It
//! stays under [`MAX_BYTES`] (GitHub refuses comments over 65,536 characters) by leaving
//! whole sections out from the end and saying how many are on the full preview page.
//! It is deterministic: the only time it depends on is the run's `--at`.

mod section;

use super::md::{self, code};
use crate::diagnostic::{Diagnostic, Severity};
use crate::ledger::History;
use crate::plan::fate::{self, Fate};
use crate::plan::{Instance, Planned};
use crate::render::Post;
use std::fmt::Write;

/// The hidden first line by which Herald's one comment on a pull request is found again.
pub const MARKER: &str = "<!-- herald-preview -->";

/// The most the body may take, in bytes (never fewer than its characters, however GitHub
/// counts them): room below GitHub's 65,536 for what a workflow adds around it.
pub const MAX_BYTES: usize = 60_000;

/// One variant with the fate of each of its posts.
struct Shown<'p, 'a> {
    p: &'p Planned<'a>,
    /// Every rendered post (skipped ones too) with its fate.
    posts: Vec<(&'p Post<'a>, Fate)>,
    /// A variant too broken to render: the fate on each of its channels.
    unrendered: Vec<(String, Fate)>,
}

impl Shown<'_, '_> {
    /// The fates of the posts that are not skipped, or of the unrendered channels.
    fn fates(&self) -> impl Iterator<Item = &Fate> {
        self.posts
            .iter()
            .filter(|(post, _)| !post.skipped)
            .map(|(_, f)| f)
            .chain(self.unrendered.iter().map(|(_, f)| f))
    }

    /// Whether nothing is left to happen: every post sent, expired, missed or skipped.
    fn done(&self) -> bool {
        let all: Vec<&Fate> = self
            .posts
            .iter()
            .map(|(_, f)| f)
            .chain(self.unrendered.iter().map(|(_, f)| f))
            .collect();
        all.iter().any(|f| !matches!(f, Fate::Skipped))
            && all.iter().all(|f| {
                matches!(
                    f,
                    Fate::Posted { .. } | Fate::Expired | Fate::Missed { .. } | Fate::Skipped
                )
            })
    }
}

/// What a section is, for saying what was left out.
#[derive(Clone, Copy, PartialEq)]
enum SectionKind {
    Problem,
    Announcement,
}

/// The comment body for `plan` at `instance.now`; `page_url` is where the full preview
/// page can be opened (without it, the body says the page is attached to the run).
pub fn markdown(
    instance: &Instance,
    plan: &[Planned<'_>],
    history: &History,
    page_url: Option<&str>,
) -> String {
    let shown: Vec<Shown<'_, '_>> = plan
        .iter()
        .map(|p| Shown {
            p,
            posts: p
                .posts
                .iter()
                .map(|post| {
                    let name = post.channel.name();
                    let f = fate::fate(instance, plan, p, name, Some(post), history, false);
                    (post, f)
                })
                .collect(),
            unrendered: if p.variant.is_valid() {
                Vec::new()
            } else {
                instance
                    .targets(p.variant, None)
                    .into_iter()
                    .map(|c| {
                        let f = fate::fate(instance, plan, p, c.name(), None, history, false);
                        (c.name().to_owned(), f)
                    })
                    .collect()
            },
        })
        .collect();
    // The plan lists an announcement's variants together.
    let announcements: Vec<&[Shown<'_, '_>]> = shown
        .chunk_by(|a, b| a.p.variant.id == b.p.variant.id)
        .collect();
    let mut problems: Vec<Diagnostic> = plan
        .iter()
        .flat_map(|p| p.diagnostics.iter().cloned())
        .chain(instance.loose_diagnostics())
        .collect();
    // Errors first, then warnings; each by file and place.
    problems.sort_by(|a, b| {
        b.severity.cmp(&a.severity).then_with(|| {
            (&a.path, a.line, a.column, &a.message).cmp(&(&b.path, b.line, b.column, &b.message))
        })
    });
    problems.dedup();

    let head = head(&shown, announcements.len(), &problems, page_url);
    let mut sections: Vec<(SectionKind, String)> = Vec::new();
    for (i, d) in problems.iter().enumerate() {
        let mut text = String::new();
        if i == 0 || problems[i - 1].severity != d.severity {
            text.push_str(match d.severity {
                Severity::Error => "\n### To fix before it can go out\n\n",
                Severity::Warning => "\n### Worth a look\n\n",
            });
        }
        let _ = writeln!(text, "- {}", problem(d));
        sections.push((SectionKind::Problem, text));
    }
    let (done, open): (Vec<_>, Vec<_>) = announcements
        .into_iter()
        .partition(|a| a.iter().all(Shown::done));
    for a in &open {
        let mut text = String::new();
        for v in a.iter() {
            section::variant(&mut text, instance, v);
        }
        sections.push((SectionKind::Announcement, text));
    }
    for (i, a) in done.iter().enumerate() {
        let mut text = String::new();
        if i == 0 {
            text.push_str("\n### Already sent\n\n");
        }
        let _ = writeln!(text, "- {}", done_line(a));
        sections.push((SectionKind::Announcement, text));
    }

    // Leave whole sections out from the end until the body fits.
    let mut total = head.len() + sections.iter().map(|(_, s)| s.len()).sum::<usize>();
    let mut cut: Vec<SectionKind> = Vec::new();
    let fits = |total: usize, cut: &[SectionKind]| total + footer(cut, page_url).len() < MAX_BYTES;
    while !fits(total, &cut) {
        let Some((part, text)) = sections.pop() else {
            break;
        };
        total -= text.len();
        cut.push(part);
    }
    let mut out = String::with_capacity(total + 256);
    out.push_str(&head);
    for (_, text) in &sections {
        out.push_str(text);
    }
    out.push_str(&footer(&cut, page_url));
    out
}

/// The marker, the heading, the overall state and where the full page is.
fn head(
    shown: &[Shown<'_, '_>],
    announcements: usize,
    problems: &[Diagnostic],
    page_url: Option<&str>,
) -> String {
    let fates: Vec<&Fate> = shown.iter().flat_map(Shown::fates).collect();
    let out_now = fates
        .iter()
        .filter(|f| f.sends() || matches!(f, Fate::Scheduled { .. }))
        .count();
    let sent = fates
        .iter()
        .filter(|f| matches!(f, Fate::Posted { .. }))
        .count();
    let held = fates.len() - out_now - sent;
    let errors = problems.iter().filter(|d| d.is_error()).count();
    let warnings = problems.len() - errors;
    let mut out = format!("{MARKER}\n## Herald preview\n\n");
    if shown.is_empty() {
        out.push_str("No announcements yet.");
    } else {
        let _ = write!(
            out,
            "{} in {}, with {}: {out_now} will go out, {held} {} held back, {sent} already went out.",
            plural(announcements, "announcement", "announcements"),
            plural(shown.len(), "language version", "language versions"),
            plural(fates.len(), "post", "posts"),
            if held == 1 { "is" } else { "are" },
        );
    }
    match (errors, warnings) {
        (0, 0) => out.push_str(" No problems."),
        (0, w) => {
            let _ = write!(
                out,
                " No problems to fix; {}.",
                plural(w, "warning", "warnings")
            );
        }
        (e, w) => {
            let _ = write!(
                out,
                " **{} to fix**{}.",
                plural(e, "problem", "problems"),
                if w == 0 {
                    String::new()
                } else {
                    format!(", and {}", plural(w, "warning", "warnings"))
                }
            );
        }
    }
    out.push_str("\n\n");
    match page_url {
        Some(url) => {
            let _ = writeln!(
                out,
                "{} to see every post as it will look.",
                md::link("Open the full preview page", url)
            );
        }
        None => out.push_str(
            "The full preview page, with every post as it will look, is attached to this \
             check's workflow run (under Artifacts).\n",
        ),
    }
    out
}

/// What was left out and where it is; empty when nothing was.
fn footer(cut: &[SectionKind], page_url: Option<&str>) -> String {
    let announcements = cut
        .iter()
        .filter(|p| **p == SectionKind::Announcement)
        .count();
    let problems = cut.len() - announcements;
    let mut what = Vec::new();
    if problems > 0 {
        what.push(format!(
            "{problems} more {}",
            noun(problems, "problem", "problems")
        ));
    }
    if announcements > 0 {
        what.push(format!(
            "{announcements} more {}",
            noun(announcements, "announcement", "announcements")
        ));
    }
    if what.is_empty() {
        return String::new();
    }
    let page = match page_url {
        Some(url) => md::link("full preview page", url),
        None => "full preview page".to_owned(),
    };
    format!(
        "\n**{} {} on the {page}**: this comment has room for no more.\n",
        what.join(" and "),
        if cut.len() == 1 { "is" } else { "are" }
    )
}

/// "`announcements/x.et.md`, line 9: message" (the column when it is not the first).
fn problem(d: &Diagnostic) -> String {
    let place = match place(d) {
        Some(place) => format!(", {place}"),
        None => String::new(),
    };
    format!("{}{place}: {}", code(&d.path), md::message(&d.message))
}

/// "line 9", or "line 9, column 11" when the column is not the first.
fn place(d: &Diagnostic) -> Option<String> {
    match (d.line, d.column) {
        (Some(l), Some(c)) if c > 1 => Some(format!("line {l}, column {c}")),
        (Some(l), _) => Some(format!("line {l}")),
        _ => None,
    }
}

/// An announcement that is done, in one line: its title, id, languages and what became
/// of its posts.
fn done_line(a: &[Shown<'_, '_>]) -> String {
    let first = a[0].p.variant;
    let langs: Vec<&str> = a.iter().map(|v| v.p.variant.lang.as_str()).collect();
    let (mut posted, mut expired, mut missed, mut skipped) = (0, 0, 0, 0);
    for f in a.iter().flat_map(|v| {
        v.posts
            .iter()
            .map(|(_, f)| f)
            .chain(v.unrendered.iter().map(|(_, f)| f))
    }) {
        match f {
            Fate::Posted { .. } => posted += 1,
            Fate::Expired => expired += 1,
            Fate::Missed { .. } => missed += 1,
            _ => skipped += 1,
        }
    }
    let mut what = Vec::new();
    for (n, words) in [
        (posted, "went out"),
        (expired, "expired"),
        (missed, "missed their time"),
        (skipped, "skipped"),
    ] {
        if n > 0 {
            what.push(format!("{n} {words}"));
        }
    }
    format!(
        "{} ({}, {}): {}",
        md::text(&first.front.title),
        code(&first.id),
        md::text(&langs.join(" + ")),
        what.join(", ")
    )
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", noun(n, one, many))
}

fn noun<'w>(n: usize, one: &'w str, many: &'w str) -> &'w str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_links_the_page_when_it_has_an_address() {
        assert_eq!(
            head(&[], 0, &[], Some("https://example.github.io/pr-12/")),
            "<!-- herald-preview -->\n## Herald preview\n\nNo announcements yet. No problems.\n\n\
             [Open the full preview page](<https://example.github.io/pr-12/>) to see every post as it will look.\n"
        );
        assert!(
            head(&[], 0, &[], None)
                .ends_with("is attached to this check's workflow run (under Artifacts).\n")
        );
    }

    #[test]
    fn the_footer_counts_what_was_left_out() {
        assert_eq!(footer(&[], None), "");
        assert_eq!(
            footer(&[SectionKind::Announcement], None),
            "\n**1 more announcement is on the full preview page**: this comment has room for no more.\n"
        );
        assert_eq!(
            footer(
                &[
                    SectionKind::Announcement,
                    SectionKind::Announcement,
                    SectionKind::Problem
                ],
                Some("https://p.example/")
            ),
            "\n**1 more problem and 2 more announcements are on the [full preview page](<https://p.example/>)**: this comment has room for no more.\n"
        );
    }

    #[test]
    fn a_problem_names_its_file_and_line() {
        let d = Diagnostic::error(
            "announcements/x.et.md",
            Some(crate::diagnostic::Pos::new(9, 1)),
            "unknown field `titel` <here>",
        );
        assert_eq!(
            problem(&d),
            "`announcements/x.et.md`, line 9: unknown field `titel` &lt;here&gt;"
        );
        let d = Diagnostic::warning(
            "announcements/x.et.md",
            Some(crate::diagnostic::Pos::new(4, 23)),
            "w",
        );
        assert_eq!(problem(&d), "`announcements/x.et.md`, line 4, column 23: w");
        assert_eq!(
            problem(&Diagnostic::error("config/herald.toml", None, "e")),
            "`config/herald.toml`: e"
        );
    }
}
