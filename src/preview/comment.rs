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

use super::fate_words;
use super::html::esc;
use super::md;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ledger::History;
use crate::plan::fate::{self, Fate};
use crate::plan::{Instance, Planned};
use crate::platform::text::Counter;
use crate::platform::{Kind, Shape};
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
enum Part {
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
    let mut sections: Vec<(Part, String)> = Vec::new();
    for (i, d) in problems.iter().enumerate() {
        let mut text = String::new();
        if i == 0 || problems[i - 1].severity != d.severity {
            text.push_str(match d.severity {
                Severity::Error => "\n### To fix before it can go out\n\n",
                Severity::Warning => "\n### Worth a look\n\n",
            });
        }
        let _ = writeln!(text, "- {}", problem(d));
        sections.push((Part::Problem, text));
    }
    let (done, open): (Vec<_>, Vec<_>) = announcements
        .into_iter()
        .partition(|a| a.iter().all(Shown::done));
    for a in &open {
        let mut text = String::new();
        for v in a.iter() {
            variant(&mut text, instance, v);
        }
        sections.push((Part::Announcement, text));
    }
    for (i, a) in done.iter().enumerate() {
        let mut text = String::new();
        if i == 0 {
            text.push_str("\n### Already sent\n\n");
        }
        let _ = writeln!(text, "- {}", done_line(a));
        sections.push((Part::Announcement, text));
    }

    // Leave whole sections out from the end until the body fits.
    let mut total = head.len() + sections.iter().map(|(_, s)| s.len()).sum::<usize>();
    let mut cut: Vec<Part> = Vec::new();
    let fits = |total: usize, cut: &[Part]| total + footer(cut, page_url).len() < MAX_BYTES;
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
fn footer(cut: &[Part], page_url: Option<&str>) -> String {
    let announcements = cut.iter().filter(|p| **p == Part::Announcement).count();
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

/// "line 9: message", for under the file's own heading.
fn problem_here(d: &Diagnostic) -> String {
    match place(d) {
        Some(place) => format!("{place}: {}", md::message(&d.message)),
        None => md::message(&d.message),
    }
}

/// "line 9", or "line 9, column 11" when the column is not the first.
fn place(d: &Diagnostic) -> Option<String> {
    match (d.line, d.column) {
        (Some(l), Some(c)) if c > 1 => Some(format!("line {l}, column {c}")),
        (Some(l), _) => Some(format!("line {l}")),
        _ => None,
    }
}

/// A variant: its heading, file, approval and time, then one section per channel.
fn variant(out: &mut String, instance: &Instance, v: &Shown<'_, '_>) {
    let p = v.p;
    let var = p.variant;
    let tz = &instance.settings.tz;
    let _ = write!(
        out,
        "\n### {} · {}\n\n- File: {}\n- Approval: {}\n- Planned time: {}\n",
        md::text(&var.front.title),
        md::text(&var.lang),
        code(&crate::diagnostic::display_path(&var.path)),
        md::message(&p.verdict.describe()),
        var.front
            .publish_at
            .map_or("none (`publish_at` is not set)".to_owned(), |t| {
                crate::time::long_in(t, tz)
            }),
    );
    let words: Vec<String> = v.fates().map(|f| fate_text(instance, p, f)).collect();
    let same = words.first().filter(|w| words.iter().all(|x| x == *w));
    match (same, words.is_empty()) {
        (_, true) => out.push_str("- Status: it goes to no channel\n"),
        (Some(w), _) => {
            let _ = writeln!(out, "- Status: {w}");
        }
        (None, _) => out.push_str("- Status: not the same on every channel; see each below\n"),
    }
    for (channel, f) in &v.unrendered {
        if same.is_none() {
            let _ = writeln!(out, "- {}: {}", code(channel), fate_text(instance, p, f));
        }
    }
    for (post, f) in v.posts.iter().filter(|(post, _)| post.skipped) {
        let _ = writeln!(
            out,
            "- {}: {}",
            code(post.channel.name()),
            fate_text(instance, p, f)
        );
    }
    // The problems of the file itself (a post's own are shown with the post).
    for d in p
        .diagnostics
        .iter()
        .filter(|d| !p.posts.iter().any(|post| post.diagnostics.contains(d)))
    {
        let _ = writeln!(
            out,
            "- {} {}",
            mark(std::slice::from_ref(d)),
            problem_here(d)
        );
    }
    for (post, f) in v.posts.iter().filter(|(post, _)| !post.skipped) {
        let when = if same.is_none() {
            fate_html(instance, p, f)
        } else {
            String::new()
        };
        channel(out, post, &when);
    }
}

/// One channel's post in a collapsible section; `when` its fate when the variant's
/// posts do not share one.
fn channel(out: &mut String, post: &Post<'_>, when: &str) {
    let kind = post.channel.kind();
    let shape = post.channel.rules().shape;
    let overall = mark(&post.diagnostics);
    let length = length(post).unwrap_or_else(|| kind.facts().display_name.to_owned());
    let when = if when.is_empty() {
        String::new()
    } else {
        format!(" · {when}")
    };
    let _ = write!(
        out,
        "\n<details><summary><b>{}</b> · {} · {overall}{when}</summary>\n\n",
        esc(post.channel.name()),
        esc(&length),
    );
    if let Some(subject) = &post.subject {
        let _ = write!(out, "Subject: **{}**\n\n", md::text(subject));
    }
    let n = post.parts.len();
    for (i, part) in post.parts.iter().enumerate() {
        if n > 1 {
            let _ = write!(
                out,
                "**Part {} of {n}** · {}\n\n",
                i + 1,
                part_length(post, part)
            );
        }
        let text = match shape {
            Shape::Html | Shape::Feed => crate::render::visible_text(&part.text),
            Shape::Text | Shape::Email => part.text.clone(),
        };
        out.push_str(&md::fenced(&text));
        out.push('\n');
        if i == 0 && shape != Shape::Email {
            attachments(out, post, kind);
        }
    }
    for d in &post.diagnostics {
        let _ = writeln!(
            out,
            "- {} {}",
            mark(std::slice::from_ref(d)),
            md::message(&d.message)
        );
    }
    if !post.diagnostics.is_empty() {
        out.push('\n');
    }
    out.push_str("</details>\n");
}

/// The images (with their alt text) and the link card that go with the first part.
fn attachments(out: &mut String, post: &Post<'_>, kind: Kind) {
    let v = post.variant;
    let mut any = false;
    if post.channel.rules().max_images > 0 {
        for img in &v.front.images {
            let alt = if img.alt.trim().is_empty() {
                "no alt text".to_owned()
            } else {
                format!("alt text “{}”", md::text(&img.alt))
            };
            let _ = writeln!(out, "- Image {}, {alt}", code(&img.path));
            any = true;
        }
    }
    if let Some(domain) = super::page::link_card_domain(v, kind) {
        let _ = writeln!(
            out,
            "- Link card: **{}**{} ({})",
            md::text(&v.front.title),
            v.front
                .summary
                .as_deref()
                .map(|s| format!(" — {}", md::text(s)))
                .unwrap_or_default(),
            md::text(domain)
        );
        any = true;
    }
    if any {
        out.push('\n');
    }
}

/// "220 of 500 characters" for one post, "3 parts, the longest 480 of 500 characters"
/// for a thread; `None` for a channel without a limit (email, feeds).
fn length(post: &Post<'_>) -> Option<String> {
    let longest = post
        .parts
        .iter()
        .filter(|p| p.limit.is_some())
        .max_by_key(|p| p.length)?;
    let words = part_length(post, longest);
    let over = |p: &crate::render::Part| p.limit.is_some_and(|l| p.length > l);
    // Parts can have different limits (a caption is shorter than a message).
    let other_over = !over(longest) && post.parts.iter().any(over);
    Some(match post.parts.len() {
        1 => words,
        n if other_over => format!("{n} parts, the longest {words}; a part is over its limit"),
        n => format!("{n} parts, the longest {words}"),
    })
}

/// "220 of 500 characters", "290 of 280 characters as X counts them, over the limit".
fn part_length(post: &Post<'_>, part: &crate::render::Part) -> String {
    let unit = match post.channel.rules().counter {
        Counter::XWeighted => "characters as X counts them",
        Counter::Mastodon | Counter::Graphemes | Counter::Utf16 => "characters",
    };
    match part.limit {
        Some(l) if part.length > l => format!("{} of {l} {unit}, over the limit", part.length),
        Some(l) => format!("{} of {l} {unit}", part.length),
        None => format!("{} {unit}", part.length),
    }
}

/// ✗ with an error, ⚠ with warnings only, ✓ without problems.
fn mark(diagnostics: &[Diagnostic]) -> &'static str {
    if diagnostics.iter().any(Diagnostic::is_error) {
        "✗"
    } else if diagnostics.is_empty() {
        "✓"
    } else {
        "⚠"
    }
}

/// A post's fate as the previews say it, in Markdown, with the addresses of what went
/// out.
fn fate_text(instance: &Instance, p: &Planned<'_>, f: &Fate) -> String {
    let (_, words) = fate_words(instance, p, f);
    let mut text = md::message(&words);
    if let Fate::Posted { urls } = f
        && !urls.is_empty()
    {
        let urls: Vec<String> = urls.iter().map(|u| md::url(u)).collect();
        let _ = write!(text, ": {}", urls.join(", "));
    }
    text
}

/// [`fate_text`] for inside HTML (a section's summary line), without the addresses.
fn fate_html(instance: &Instance, p: &Planned<'_>, f: &Fate) -> String {
    md::html_message(&fate_words(instance, p, f).1)
}

fn fate_words(instance: &Instance, p: &Planned<'_>, f: &Fate) -> (&'static str, String) {
    let tz = &instance.settings.tz;
    fate_words::words(f, &p.verdict, |at| crate::time::long_in(at, tz))
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

/// `text` as inline code, or as escaped text when it holds a backtick.
fn code(text: &str) -> String {
    if text.contains('`') || text.contains('\n') {
        md::text(text)
    } else {
        format!("`{text}`")
    }
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
            footer(&[Part::Announcement], None),
            "\n**1 more announcement is on the full preview page**: this comment has room for no more.\n"
        );
        assert_eq!(
            footer(
                &[Part::Announcement, Part::Announcement, Part::Problem],
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
