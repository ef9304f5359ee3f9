//! The preview page: one self-contained HTML file (inline CSS, images as data: URIs, no
//! external requests, no script but [`FIT`], which sizes the email and feed frames to
//! their content) that shows, for people, what goes out where and when, each post as its
//! network shows it, and for a post that went out and changed, what its correction or
//! retraction does.

use super::html::{esc, post_text, post_text_as};
use crate::approval::State;
use crate::ledger::History;
use crate::plan::fate;
use crate::plan::{Instance, Planned};
use crate::platform::{Kind, Shape};
use crate::render::Post;
use base64::Engine;
use std::fmt::Write;

const STYLE: &str = include_str!("preview.css");

/// The `onload` of an email or feed frame: makes it as high as its document, now and
/// whenever the window's width changes, so nothing in it is cut off or scrolls. A
/// document wider than the frame (an email whose long link does not wrap) is shrunk to
/// the frame's width, as phone mail apps shrink a wide email to the screen. The frame is
/// `sandbox="allow-same-origin"` without `allow-scripts`, so the page can read and fit
/// the frame's document while the email itself still runs nothing; the page's Content
/// Security Policy allows this one handler by its hash and no other script.
const FIT: &str = "var f=this,d=f.contentDocument;if(!d)return;var e=d.documentElement,fit=function(){\
e.style.zoom='';f.style.height='0';var w=e.scrollWidth,c=e.clientWidth;if(w>c)e.style.zoom=c/w;\
f.style.height=(e.scrollHeight+f.offsetHeight-f.clientHeight)+'px'};\
window.addEventListener('resize',fit);fit()";

/// [`FIT`]'s hash as the Content Security Policy names it (`'sha256-…'`).
fn fit_hash() -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(FIT.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Builds the page for `plan` at `instance.now`.
/// What a post's fate is decided from, beside the instance: the ledger and the whole plan.
struct Facts<'c, 'a> {
    history: &'c History,
    plan: &'c [Planned<'a>],
}

pub fn page(instance: &Instance, plan: &[Planned<'_>], history: &History) -> String {
    let history = &Facts { history, plan };
    let s = &instance.settings;
    let tz = &s.tz;
    let mut out = String::with_capacity(64 * 1024);
    let now = crate::time::human_in(instance.now, tz);
    let problems: usize = plan
        .iter()
        .map(|p| p.diagnostics.iter().filter(|d| d.is_error()).count())
        .sum();
    let posts: usize = plan
        .iter()
        .map(|p| p.posts.iter().filter(|x| !x.skipped).count())
        .sum();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-hashes' {}; frame-src 'self' about:; child-src about:\">\n\
         <title>Herald preview</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n\
         <h1>What Herald will publish</h1>\n<p class=\"meta\">As of {} · {} announcement files · {} posts · {}</p>\n</header>\n<main>",
        fit_hash(),
        esc(&now),
        plan.len(),
        posts,
        if problems == 0 {
            "<span class=\"ok\">no problems</span>".to_owned()
        } else {
            format!("<span class=\"bad\">{problems} problem(s) to fix</span>")
        }
    );
    timeline(&mut out, instance, plan, history);
    for p in plan {
        variant(&mut out, instance, p, history);
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// A post's fate as the page shows it: the status class and the words.
fn post_status(
    instance: &Instance,
    p: &Planned<'_>,
    post: &Post<'_>,
    history: &Facts<'_, '_>,
) -> (&'static str, String) {
    status_of(instance, p, &post_fate(instance, p, post, history))
}

fn post_fate(
    instance: &Instance,
    p: &Planned<'_>,
    post: &Post<'_>,
    history: &Facts<'_, '_>,
) -> fate::Fate {
    fate::fate(
        instance,
        history.plan,
        p,
        post.channel.name(),
        Some(post),
        history.history,
        false,
    )
}

fn status_of(instance: &Instance, p: &Planned<'_>, fate: &fate::Fate) -> (&'static str, String) {
    let tz = &instance.settings.tz;
    super::fate_words::words(fate, &p.verdict, |at| crate::time::human_in(at, tz))
}

/// What a correction or retraction will do, step by step in plain words: for a step
/// that sends text (an edit, a part posted anew, the correction notice), the text; for
/// a note, what a person must do and where; for a delete, the address of what goes.
fn change_steps(out: &mut String, change: &crate::plan::change::Change, post: &Post<'_>) {
    use crate::ledger::Action;
    let shape = post.channel.rules().shape;
    let shown = |text: &str| match shape {
        Shape::Html => post_text(&crate::render::visible_text(text)),
        _ => post_text(text),
    };
    let heading = if change.retraction.is_some() {
        "What the retraction does"
    } else {
        "What the correction does"
    };
    let _ = write!(
        out,
        "<section class=\"change\"><h3>{heading}</h3><ol class=\"change-steps\">"
    );
    for step in change.to_do() {
        let words = crate::engine::change::step_words(step, change);
        let at = step
            .live
            .as_ref()
            .and_then(|l| l.url.as_deref())
            .map(|u| format!(" <span class=\"url\">{}</span>", esc(u)))
            .unwrap_or_default();
        let sends = match step.action {
            Action::Edit | Action::Repost => post
                .parts
                .get(step.part as usize - 1)
                .map(|part| part.text.as_str()),
            Action::Notice => change
                .notice
                .get(step.part as usize - 1)
                .map(String::as_str),
            _ => None,
        };
        let (class, what) = match step.action {
            // The note says what stays as it was and what a person can do, and where.
            Action::Leave => ("by-hand", esc(step.why.as_deref().unwrap_or(&words))),
            Action::Edit if step.kept.is_some() => {
                ("edit", format!("{} (the text only){at}", esc(&words)))
            }
            Action::Edit => ("edit", format!("{}{at}", esc(&words))),
            Action::Delete | Action::DeleteNotice => ("delete", format!("{}{at}", esc(&words))),
            Action::Repost => ("repost", esc(&words)),
            Action::Notice => ("notice", format!("{}{at}", esc(&words))),
        };
        let _ = write!(
            out,
            "<li class=\"step {class}\"><span class=\"what\">{what}</span>"
        );
        if let Some(text) = sends {
            let _ = write!(
                out,
                "<blockquote class=\"sends\"><p class=\"text\">{}</p></blockquote>",
                shown(text)
            );
        }
        out.push_str("</li>");
    }
    out.push_str("</ol></section>\n");
}

fn timeline(out: &mut String, instance: &Instance, plan: &[Planned<'_>], history: &Facts<'_, '_>) {
    let tz = &instance.settings.tz;
    let mut items: Vec<&Planned<'_>> = plan.iter().collect();
    items.sort_by_key(|p| p.variant.front.publish_at);
    out.push_str("<section id=\"timeline\" aria-labelledby=\"timeline-h\">\n<h2 id=\"timeline-h\">Timeline</h2>\n<ol>\n");
    for p in items {
        let v = p.variant;
        let (when, attr) = match v.front.publish_at {
            Some(t) => (crate::time::human_in(t, tz), crate::time::rfc3339_in(t, tz)),
            None => ("no time set".to_owned(), String::new()),
        };
        let _ = write!(
            out,
            "<li class=\"timeline-item\" data-when=\"{}\"><time>{}</time> <a href=\"#{}\">{} [{}]</a><ul class=\"channels\">",
            esc(&attr),
            esc(&when),
            esc(&anchor(p)),
            esc(&v.front.title),
            esc(&v.lang)
        );
        for post in &p.posts {
            let (class, words) = post_status(instance, p, post, history);
            let _ = write!(
                out,
                "<li class=\"{class}\">{}: {}</li>",
                esc(post.channel.name()),
                esc(&words)
            );
        }
        if p.posts.is_empty() {
            let _ = write!(
                out,
                "<li class=\"problem\">{}</li>",
                esc(&p.verdict.describe())
            );
        }
        out.push_str("</ul></li>\n");
    }
    out.push_str("</ol>\n</section>\n");
}

fn anchor(p: &Planned<'_>) -> String {
    format!("{}-{}", p.variant.id, p.variant.lang)
}

fn variant(out: &mut String, instance: &Instance, p: &Planned<'_>, history: &Facts<'_, '_>) {
    let v = p.variant;
    let tz = &instance.settings.tz;
    let approval = match p.state {
        State::Approved => {
            let by: Vec<String> = v
                .front
                .approvals
                .iter()
                .filter(|a| Some(&a.hash) == p.verdict.hash.as_ref())
                .map(|a| match a.at {
                    Some(t) => format!("{} ({})", a.by, crate::time::human_in(t, tz)),
                    None => a.by.clone(),
                })
                .collect();
            format!("Approved by {}", by.join(", "))
        }
        _ => p.verdict.describe(),
    };
    let class = match p.state {
        State::Approved => "ok",
        State::Draft => "warn",
        _ => "bad",
    };
    let _ = writeln!(
        out,
        "<section class=\"variant\" id=\"{}\" aria-labelledby=\"{}-h\">\n<h2 id=\"{}-h\">{} <span class=\"lang\">[{}]</span></h2>\n\
         <p class=\"approval {class}\"><strong>{}</strong></p>\n<p class=\"meta\">{} · {}</p>",
        esc(&anchor(p)),
        esc(&anchor(p)),
        esc(&anchor(p)),
        esc(&v.front.title),
        esc(&v.lang),
        esc(&approval),
        esc(&crate::diagnostic::display_path(&v.path)),
        esc(&v
            .front
            .publish_at
            .map(|t| crate::time::human_in(t, tz))
            .unwrap_or_else(|| "no publish_at".into())),
    );
    problems(out, &p.diagnostics);
    out.push_str("<div class=\"cards\">\n");
    for post in p.posts.iter().filter(|x| !x.skipped) {
        card(out, instance, p, post, history);
    }
    out.push_str("</div>\n</section>\n");
}

/// The problems of a file, errors first: each a sentence with its place in words and
/// what to do ([`problem`]), in a box headed by what it means for the announcement.
fn problems(out: &mut String, diagnostics: &[crate::diagnostic::Diagnostic]) {
    let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics.iter().partition(|d| d.is_error());
    for (list, class, heading) in [
        (errors, "bad", "To fix before it can go out"),
        (warnings, "warn", "Worth a look"),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "<div class=\"diagnostics {class}\"><h3>{heading}</h3><ul>"
        );
        for d in list {
            let _ = write!(out, "<li class=\"{class}\">{}</li>", problem(d));
        }
        out.push_str("</ul></div>\n");
    }
}

/// One problem for people: "Line 9, column 11 of `announcements/x.md`: what is wrong;
/// how to fix it", then the place as editors and CI logs write it
/// (`announcements/x.md:9:11`), for finding it.
fn problem(d: &crate::diagnostic::Diagnostic) -> String {
    let file = format!("<code>{}</code>", esc(&d.path));
    let place = match (d.line, d.column) {
        (Some(l), Some(c)) if c > 1 => format!("Line {l}, column {c} of {file}"),
        (Some(l), _) => format!("Line {l} of {file}"),
        _ => format!("In {file}"),
    };
    let at = match (d.line, d.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", d.path),
        (Some(l), None) => format!("{}:{l}", d.path),
        _ => d.path.clone(),
    };
    format!(
        "<span class=\"what\">{place}: {}</span> <span class=\"where\">{}</span>",
        super::md::html_message(&d.message),
        esc(&at)
    )
}

fn card(
    out: &mut String,
    instance: &Instance,
    p: &Planned<'_>,
    post: &Post<'_>,
    history: &Facts<'_, '_>,
) {
    let v = p.variant;
    let c = post.channel;
    let kind = c.kind();
    let shape = c.rules().shape;
    let fate = post_fate(instance, p, post, history);
    let (status_class, status) = status_of(instance, p, &fate);
    let who = Who::of(instance.channel_of(post), kind);
    let _ = writeln!(
        out,
        "<article class=\"card kind-{k}\" data-id=\"{}\" data-lang=\"{}\" data-channel=\"{}\" data-kind=\"{k}\" data-state=\"{}\">\n\
         <header><span class=\"avatar\" aria-hidden=\"true\">{}</span><span class=\"who\"><strong class=\"name\">{}</strong> <span class=\"handle\">{}</span></span></header>\n\
         <p class=\"status\"><span class=\"state {status_class}\">{}</span>{}</p>",
        esc(&v.id),
        esc(&v.lang),
        esc(c.name()),
        p.state.name(),
        esc(&who.initial),
        esc(&who.name),
        esc(&who.handle),
        esc(&status),
        who.channel
            .map(|line| format!(" <span class=\"channel\">{}</span>", esc(&line)))
            .unwrap_or_default(),
        k = kind.name(),
    );
    if let fate::Fate::Change { change, .. } = &fate {
        change_steps(out, change, post);
    }
    if let Some(subject) = &post.subject {
        let _ = writeln!(
            out,
            "<p class=\"subject\"><span>Subject:</span> {}</p>",
            esc(subject)
        );
    }
    let unit = c.rules().counter.unit();
    let carries_card = card_part(v, kind, post);
    let _ = write!(
        out,
        "<div class=\"parts{}\">",
        if post.parts.len() > 1 { " thread" } else { "" }
    );
    for (i, part) in post.parts.iter().enumerate() {
        let over = part.limit.is_some_and(|l| part.length > l);
        let limit_attr = part
            .limit
            .map(|l| format!(" data-limit=\"{l}\""))
            .unwrap_or_default();
        let count = match part.limit {
            Some(l) => format!("{} of {l}", part.length),
            None => part.length.to_string(),
        };
        let _ = write!(
            out,
            "<div class=\"part{}\" data-length=\"{}\"{limit_attr}>",
            if over { " over" } else { "" },
            part.length
        );
        match shape {
            Shape::Email => {
                let _ = write!(
                    out,
                    "<iframe class=\"email-frame\" sandbox=\"allow-same-origin\" onload=\"{FIT}\" title=\"The email as subscribers see it\" srcdoc=\"{}\"></iframe>\
                     <details class=\"email-text\"><summary>Plain-text version</summary><pre>{}</pre></details>\
                     <details class=\"email-headers\"><summary>Headers</summary><pre>{}</pre></details>",
                    esc(post.html.as_deref().unwrap_or_default()),
                    esc(&part.text),
                    esc(&email_headers(instance, post))
                );
            }
            Shape::Feed => {
                let _ = write!(
                    out,
                    "<iframe class=\"feed-frame\" sandbox=\"allow-same-origin\" onload=\"{FIT}\" title=\"The feed entry\" srcdoc=\"{}\"></iframe>",
                    esc(&part.text)
                );
            }
            Shape::Html => {
                let _ = write!(
                    out,
                    "<p class=\"text\">{}</p>",
                    post_text_as(&crate::render::visible_text(&part.text), kind)
                );
            }
            Shape::Text => {
                let _ = write!(
                    out,
                    "<p class=\"text\">{}</p>",
                    post_text_as(&part.text, kind)
                );
            }
        }
        if i == 0 && shape != Shape::Email {
            media(out, v, instance, kind);
        }
        if carries_card == Some(i) {
            link_card(out, v);
        }
        let thread = if post.parts.len() > 1 {
            format!("part {} of {} · ", i + 1, post.parts.len())
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<p class=\"count\">{thread}<span>{count}</span> {unit}{}</p></div>",
            if over { " — too long" } else { "" }
        );
    }
    out.push_str("</div>\n");
    for d in post.diagnostics.iter() {
        let _ = writeln!(
            out,
            "<p class=\"diag {}\">{}</p>",
            if d.is_error() { "bad" } else { "warn" },
            super::md::html_message(&d.message)
        );
    }
    out.push_str("</article>\n");
}

/// The account a card shows its post under, as the network shows it.
struct Who {
    /// The letter in the round picture.
    initial: String,
    /// `display_name`, or the channel's name.
    name: String,
    /// `handle` as the network writes it, or the network's name.
    handle: String,
    /// "mastodon_et · Mastodon" when the header does not already say it.
    channel: Option<String>,
}

impl Who {
    fn of(channel: &dyn crate::channel::Channel, kind: Kind) -> Who {
        let base = channel.base();
        let network = kind.facts().display_name;
        let name = base
            .display_name
            .clone()
            .unwrap_or_else(|| channel.name().to_owned());
        let handle = match (&base.handle, kind) {
            (Some(h), Kind::Mastodon | Kind::Bluesky | Kind::X | Kind::Telegram) => {
                format!("@{}", h.trim_start_matches('@'))
            }
            (Some(h), _) => h.clone(),
            (None, _) => network.to_owned(),
        };
        Who {
            initial: name
                .chars()
                .find(|c| c.is_alphanumeric())
                .map_or("?".into(), |c| c.to_uppercase().collect()),
            channel: (base.display_name.is_some() || base.handle.is_some())
                .then(|| format!("{} · {network}", channel.name())),
            name,
            handle,
        }
    }
}

/// The headers the email will carry, one per line, as the dry run shows them.
fn email_headers(instance: &Instance, post: &Post<'_>) -> String {
    let Some(config) = instance.channel_of(post).email() else {
        return String::new();
    };
    let request = crate::channel::email_request(config, post);
    let Some(headers) = request.body["headers"].as_object().cloned() else {
        return String::new();
    };
    headers
        .iter()
        .map(|(name, value)| format!("{name}: {}", value.as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The announcement's images as `kind` shows them in a post: one image in the shape the
/// network gives it, two to four in its grid, each cut to its cell (`object-fit: cover`),
/// then their alt texts.
///
/// What each network does (the preview copies it with CSS `aspect-ratio`):
/// - Mastodon: one image in its own shape; more in a 3:2 box, two side by side, three as
///   one tall on the left and two on the right, four as two rows of two
///   (`MediaGallery` and `Item` in mastodon/mastodon
///   `app/javascript/mastodon/components/media_gallery.jsx`).
/// - Bluesky: one image in its own shape, but no narrower than 1:3 and no wider than
///   5:1 (`MIN_ASPECT_RATIO`, `MAX_ASPECT_RATIO` in bluesky-social/social-app
///   `src/view/com/util/images/AutoSizedImage.tsx`); more as squares: two side by side,
///   three as one large and two small, four as two rows of two (`ImageLayoutGrid.tsx`).
/// - X: one image in its own shape when it is 16:9 or wider, a taller one cut to 16:9;
///   more in a 16:9 box split like Mastodon's (publer.io, "Twitter Image Sizes &
///   Dimensions 2020").
/// - Other networks: each image whole, one under the other (Herald has no source for
///   how they crop).
fn media(out: &mut String, v: &crate::announcement::Variant, instance: &Instance, kind: Kind) {
    let mut shown = Vec::new();
    for img in &v.front.images {
        let path = instance.settings.root.join(&img.path);
        let Ok(bytes) = crate::limits::read_limited(&path, crate::limits::IMAGE_BYTES, "image")
        else {
            continue;
        };
        let mime = match img
            .path
            .rsplit('.')
            .next()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => "image/png",
            Some("gif") => "image/gif",
            Some("webp") => "image/webp",
            _ => "image/jpeg",
        };
        let size = imagesize::blob_size(&bytes)
            .ok()
            .filter(|s| s.width > 0 && s.height > 0)
            .map(|s| (s.width, s.height));
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        shown.push((format!("data:{mime};base64,{data}"), &img.alt, size));
    }
    if shown.is_empty() {
        return;
    }
    let n = shown.len().min(4);
    let layout = match (kind, n) {
        (Kind::Mastodon | Kind::X | Kind::Bluesky, 1) => shown[0].2.map(|(w, h)| {
            let own = w as f64 / h as f64;
            let ratio = match kind {
                Kind::Bluesky => own.clamp(1.0 / 3.0, 5.0),
                Kind::X => own.max(16.0 / 9.0),
                _ => own,
            };
            format!("{ratio:.4}")
        }),
        (Kind::Mastodon, _) => Some("3 / 2".into()),
        (Kind::X, _) => Some("16 / 9".into()),
        (Kind::Bluesky, 2) => Some("2 / 1".into()),
        (Kind::Bluesky, 3) => Some("3 / 2".into()),
        (Kind::Bluesky, _) => Some("1 / 1".into()),
        _ => None,
    };
    let _ = write!(
        out,
        "<div class=\"media{} n-{n}\"{}>",
        if layout.is_some() { " fitted" } else { "" },
        layout
            .map(|r| format!(" style=\"aspect-ratio: {r}\""))
            .unwrap_or_default()
    );
    for (src, alt, _) in &shown {
        let _ = write!(out, "<img src=\"{src}\" alt=\"{}\">", esc(alt));
    }
    out.push_str("</div><ul class=\"alts\">");
    for (_, alt, _) in &shown {
        let _ = write!(out, "<li>Alt text: {}</li>", esc(alt));
    }
    out.push_str("</ul>");
}

/// Which part (0-based) carries the link card `kind` shows for `v`, if any: the first
/// part where Herald sends the card apart from the text (Facebook's link, LinkedIn's
/// article, and Bluesky's and Discord's embeds: `Outgoing::card`, part 1 only), else
/// the part whose text has the link, from which the network builds it (Mastodon, X,
/// Telegram).
fn card_part(v: &crate::announcement::Variant, kind: Kind, post: &Post<'_>) -> Option<usize> {
    link_card_domain(v, kind)?;
    let link = v.front.link.as_deref()?;
    match (kind.card(), kind) {
        (crate::platform::Card::Link | crate::platform::Card::Article, _)
        | (_, Kind::Bluesky | Kind::Discord) => (!post.parts.is_empty()).then_some(0),
        _ => post.parts.iter().position(|p| p.text.contains(link)),
    }
}

/// The link card platforms build (or Herald supplies) for the announcement's link.
fn link_card(out: &mut String, v: &crate::announcement::Variant) {
    let Some(link) = v.front.link.as_deref() else {
        return;
    };
    let domain = link
        .split("//")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or(link);
    let _ = write!(
        out,
        "<div class=\"link-card\"><span class=\"domain\">{}</span><strong>{}</strong>{}</div>",
        esc(domain),
        esc(&v.front.title),
        v.front
            .summary
            .as_deref()
            .map(|s| format!("<span>{}</span>", esc(s)))
            .unwrap_or_default()
    );
}

/// The domain the link card shows, when `kind` shows one for `v`: it has a link and no
/// images, and the platform builds cards.
pub(super) fn link_card_domain(v: &crate::announcement::Variant, kind: Kind) -> Option<&str> {
    let link = v.front.link.as_deref()?;
    if !kind.facts().link_card || !v.front.images.is_empty() {
        return None;
    }
    Some(
        link.split("//")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or(link),
    )
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::{Diagnostic, Pos};

    #[test]
    fn a_problem_says_its_place_in_words_then_as_editors_write_it() {
        let d = Diagnostic::error(
            "announcements/x.md",
            Some(Pos::new(9, 11)),
            "`publish_at` must be a date and time such as `2026-06-30 10:00`, found <soon>",
        );
        assert_eq!(
            super::problem(&d),
            "<span class=\"what\">Line 9, column 11 of <code>announcements/x.md</code>: \
             <code>publish_at</code> must be a date and time such as <code>2026-06-30 10:00</code>, \
             found &lt;soon&gt;</span> <span class=\"where\">announcements/x.md:9:11</span>"
        );
        let d = Diagnostic::warning("announcements/x.md", Some(Pos::START), "w");
        assert_eq!(
            super::problem(&d),
            "<span class=\"what\">Line 1 of <code>announcements/x.md</code>: w</span> \
             <span class=\"where\">announcements/x.md:1:1</span>"
        );
        let d = Diagnostic::error("config/herald.toml", None, "e");
        assert_eq!(
            super::problem(&d),
            "<span class=\"what\">In <code>config/herald.toml</code>: e</span> \
             <span class=\"where\">config/herald.toml</span>"
        );
    }
}
