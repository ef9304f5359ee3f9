//! One announcement variant in the pull-request comment: its heading, file, approval,
//! planned time and status, then one collapsible section per channel with the length
//! against the limit, the exact text of every part, the images and the link card.

use super::{Shown, place};
use crate::diagnostic::Diagnostic;
use crate::plan::fate::Fate;
use crate::plan::{Instance, Planned};
use crate::platform::{Kind, Shape};
use crate::preview::fate_words;
use crate::preview::html::esc;
use crate::preview::md::{self, code};
use crate::render::Post;
use std::fmt::Write;

/// "line 9: message", for under the file's own heading.
fn problem_here(d: &Diagnostic) -> String {
    match place(d) {
        Some(place) => format!("{place}: {}", md::message(&d.message)),
        None => md::message(&d.message),
    }
}

/// A variant: its heading, file, approval and time, then one section per channel.
pub(super) fn variant(out: &mut String, instance: &Instance, v: &Shown<'_, '_>) {
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
        // The status line says it for all; otherwise each section says its own.
        let own = same.is_none().then(|| (fate_html(instance, p, f), f));
        channel(out, post, own);
    }
}

/// One channel's post in a collapsible section; `own` its fate (in words for HTML) when
/// the variant's posts do not share one.
fn channel(out: &mut String, post: &Post<'_>, own: Option<(String, &Fate)>) {
    let kind = post.channel.kind();
    let shape = post.channel.rules().shape;
    let overall = mark(&post.diagnostics);
    let length = length(post).unwrap_or_else(|| kind.facts().display_name.to_owned());
    let when = own
        .as_ref()
        .map(|(words, _)| format!(" · {words}"))
        .unwrap_or_default();
    let _ = write!(
        out,
        "\n<details><summary><b>{}</b> · {} · {overall}{when}</summary>\n\n",
        esc(post.channel.name()),
        esc(&length),
    );
    if let Some((_, Fate::Posted { urls })) = &own
        && !urls.is_empty()
    {
        let urls: Vec<String> = urls.iter().map(|u| md::url(u)).collect();
        let _ = write!(out, "Went out: {}\n\n", urls.join(", "));
    }
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
    if let Some(domain) = crate::preview::page::link_card_domain(v, kind) {
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
    let counter = post.channel.rules().counter;
    let words = counter.of(part.length, part.limit);
    match part.limit {
        Some(l) if part.length > l => format!("{words}, over the limit"),
        _ => words,
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
