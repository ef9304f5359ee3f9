//! Rendering: one variant for one channel becomes a [`Post`], measured the way that
//! platform measures, split into a thread when allowed, with every problem recorded.
//!
//! What a channel is to rendering is its [`Target`]: its name, kind, language and rules
//! as plain values. Rendering never sees how a channel sends.

mod link;
mod templates;
pub mod thread;
mod view;

pub use templates::Templates;
pub use view::{Prepared, RecipientView, View};

use crate::announcement::{ThreadMode, Variant};
use crate::diagnostic::{Diagnostic, Pos};
use crate::platform::media::{ImageInfo, human_size};
use crate::platform::text::{self, Counter};
use crate::platform::{Rules, Shape, Target};
use serde::Serialize;

/// A variant rendered for one channel.
pub struct Post<'a> {
    pub variant: &'a Variant,
    /// The channel it is for, as platform facts (`post.channel.name()`, `.rules()`, …).
    pub channel: Target<'a>,
    /// The text of each post; more than one for a thread.
    pub parts: Vec<Part>,
    /// Email subject.
    pub subject: Option<String>,
    /// Email HTML body, or a feed entry's content.
    pub html: Option<String>,
    /// `overrides.<channel>.skip`.
    pub skipped: bool,
    /// The text was too long for the channel, so the post is made from the `summary`.
    pub from_summary: bool,
    pub diagnostics: Vec<Diagnostic>,
}

impl Post<'_> {
    pub fn ok(&self) -> bool {
        !self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub text: String,
    /// Length as the platform counts it.
    pub length: usize,
    pub limit: Option<usize>,
}

/// Renders `variant` for `channel`.
pub fn render<'a>(
    templates: &Templates,
    prepared: &Prepared,
    variant: &'a Variant,
    channel: Target<'a>,
    default_thread: ThreadMode,
) -> Post<'a> {
    let mut post = Post {
        variant,
        channel,
        parts: Vec::new(),
        subject: None,
        html: None,
        skipped: false,
        from_summary: false,
        diagnostics: Vec::new(),
    };
    let over = variant.front.overrides.get(channel.name());
    if over.is_some_and(|o| o.skip) {
        post.skipped = true;
        return post;
    }
    let rules = channel.rules();
    check_images(&mut post, &rules, &prepared.images);
    if let Some(limit) = rules.tag_limit {
        for (tag, at) in variant.front.tags.iter().zip(&variant.front.tag_positions) {
            let n =
                unicode_segmentation::UnicodeSegmentation::graphemes(tag.as_str(), true).count();
            if n > limit {
                post.diagnostics.push(Diagnostic::error(
                    &variant.path,
                    Some(*at),
                    format!(
                        "the tag `{tag}` is {n} characters; `{}` links tags of up to {limit}",
                        channel.name()
                    ),
                ));
            }
        }
    }
    let kind = channel.kind();
    // Email templates see a recipient; checks and previews show a sample one.
    let sample_unsubscribe = channel
        .unsubscribe_url
        .map(|url| url.replace("{token}", "TOKEN"));
    let render = |file: &str, text: &str| {
        let mut view = prepared.view(variant, channel, text);
        if let Some(url) = &sample_unsubscribe {
            view.recipient = Some(RecipientView {
                name: "",
                unsubscribe_url: url,
            });
        }
        templates.render(kind, file, &view).map_err(|p| p.0)
    };
    let result = match rules.shape {
        Shape::Email => render("subject.txt.hbs", &prepared.body_text).and_then(|subject| {
            let text = render("body.txt.hbs", &prepared.body_text)?;
            let html = render("body.html.hbs", &prepared.body_text)?;
            post.subject = Some(text::one_line(&tidy(&subject)));
            post.html = Some(html);
            Ok(vec![tidy(&text)])
        }),
        Shape::Feed => render("item.html.hbs", &prepared.body_text).map(|html| {
            post.html = Some(html.clone());
            vec![html]
        }),
        Shape::Text | Shape::Html => {
            // `post.txt.hbs` or `post.html.hbs`.
            let file = rules.shape.templates()[0];
            let overridden = over.and_then(|o| o.text.as_deref());
            let full = match overridden {
                // Override texts are plain text: escaped where the channel takes HTML.
                Some(text) if rules.shape == Shape::Html => {
                    Ok(handlebars::html_escape(text.trim()))
                }
                Some(text) => Ok(text.trim().to_owned()),
                None => render(file, &prepared.body_text).map(|t| tidy(&t)),
            };
            full.and_then(|full| {
                let fits =
                    |t: &str| over_limit(&rules, t, !variant.front.images.is_empty()).is_none();
                let text = if fits(&full) || overridden.is_some() {
                    full
                } else if let Some(summary) = &variant.front.summary {
                    post.from_summary = true;
                    render(file, summary).map(|t| tidy(&t))?
                } else {
                    full
                };
                Ok(parts_of(&mut post, &rules, text, default_thread))
            })
        }
    };
    match result {
        Ok(texts) => {
            // A first part that carries images is a caption where the platform has a
            // lower limit for those (Telegram).
            let has_images = !variant.front.images.is_empty();
            post.parts = texts
                .into_iter()
                .enumerate()
                .map(|(i, text)| Part {
                    length: measure(&rules, &text),
                    limit: match (i, has_images, rules.caption_limit) {
                        (0, true, Some(caption)) => Some(caption),
                        _ => rules.limit,
                    },
                    text,
                })
                .collect();
            if rules.counter == Counter::XWeighted {
                check_x_invalid_characters(&mut post);
            }
        }
        Err(d) => post.diagnostics.push(d),
    }
    post
}

/// X refuses a text with a character twitter-text calls invalid: one error per place in the
/// announcement file that has such a character (or one without a place when it comes from
/// the template).
fn check_x_invalid_characters(post: &mut Post<'_>) {
    let name = post.channel.name();
    for c in text::X_INVALID_CHARACTERS {
        if !post.parts.iter().any(|p| p.text.contains(c)) {
            continue;
        }
        let what = text::x_invalid_character_name(c);
        let places: Vec<Pos> = post
            .variant
            .x_invalid_chars
            .iter()
            .filter(|(found, _)| *found == c)
            .map(|(_, pos)| *pos)
            .collect();
        let fix = "delete it (it is invisible in most editors; it often comes along with text \
                   pasted from a word processor)";
        if places.is_empty() {
            post.diagnostics.push(Diagnostic::error(
                &post.variant.path,
                None,
                format!(
                    "X refuses the text for `{name}`: it contains {what}, which comes from \
                     the template for `{name}`; {fix}"
                ),
            ));
        }
        for pos in places {
            post.diagnostics.push(Diagnostic::error(
                &post.variant.path,
                Some(pos),
                format!("X refuses the text for `{name}`: it contains {what} here; {fix}"),
            ));
        }
    }
}

/// The texts to send: the whole text when it fits, else a thread when allowed.
fn parts_of(post: &mut Post<'_>, rules: &Rules, text: String, default: ThreadMode) -> Vec<String> {
    let has_images = !post.variant.front.images.is_empty();
    let Some((length, limit, unit)) = over_limit(rules, &text, has_images) else {
        return vec![text];
    };
    let mode = post.variant.front.thread.unwrap_or(default);
    let name = post.channel.name();
    let at = Some(Pos::new(post.variant.body_line, 1));
    if mode == ThreadMode::Auto && rules.threads {
        // With images, Telegram's first part is a caption with a lower limit; the parts
        // are kept within that lower limit throughout, which is simple and safe.
        let limit = match (has_images, rules.caption_limit) {
            (true, Some(caption)) => caption,
            _ => rules.limit.unwrap_or(usize::MAX),
        };
        let (counter, html, byte_limit) =
            (rules.counter, rules.shape == Shape::Html, rules.byte_limit);
        // A part over the byte limit (Bluesky) counts as over the limit too.
        let measure_part = move |t: &str| {
            let n = if html {
                counter.count(&visible_text(t))
            } else {
                counter.count(t)
            };
            if byte_limit.is_some_and(|b| t.len() > b) {
                limit + 1
            } else {
                n
            }
        };
        return thread::split(&text, limit, &measure_part, html);
    }
    let why = if rules.threads {
        "shorten the text, add a `summary`, or set `thread: auto`"
    } else {
        "shorten the text or add a `summary` (this channel cannot post threads)"
    };
    post.diagnostics.push(Diagnostic::error(
        &post.variant.path,
        at,
        format!("too long for `{name}`: {length} of {limit} {unit}; {why}"),
    ));
    vec![text]
}

/// `Some((length, limit, unit))` when `text` is over one of the platform's limits.
fn over_limit(rules: &Rules, text: &str, has_images: bool) -> Option<(usize, usize, &'static str)> {
    let length = measure(rules, text);
    let limit = match (has_images, rules.caption_limit) {
        (true, Some(c)) => Some(c),
        _ => rules.limit,
    };
    if let Some(limit) = limit
        && length > limit
    {
        return Some((length, limit, rules.counter.unit()));
    }
    match rules.byte_limit {
        Some(b) if text.len() > b => Some((text.len(), b, "bytes")),
        _ => None,
    }
}

fn measure(rules: &Rules, text: &str) -> usize {
    if rules.shape == Shape::Html {
        rules.counter.count(&visible_text(text))
    } else {
        rules.counter.count(text)
    }
}

fn check_images(post: &mut Post<'_>, rules: &Rules, infos: &[Option<ImageInfo>]) {
    let images = &post.variant.front.images;
    let positions = &post.variant.front.image_positions;
    let name = post.channel.name();
    let path = &post.variant.path;
    if images.len() > rules.max_images {
        let d = if rules.max_images == 0 {
            Diagnostic::warning(
                path,
                None,
                format!("`{name}` cannot show images; they are left out there"),
            )
        } else {
            Diagnostic::error(
                path,
                None,
                format!(
                    "`{name}` takes at most {} images, this has {}",
                    rules.max_images,
                    images.len()
                ),
            )
        };
        post.diagnostics.push(d);
    }
    if rules.max_images == 0 {
        return;
    }
    for (i, (img, info)) in images.iter().zip(infos).enumerate() {
        let at = positions.get(i).copied();
        let Some(info) = info else { continue };
        match info.format {
            Some(f) if !rules.image_formats.is_empty() && !rules.image_formats.contains(&f) => {
                let takes: Vec<String> = rules.image_formats.iter().map(ToString::to_string).collect();
                post.diagnostics.push(Diagnostic::error(
                    path,
                    at,
                    format!("`{}` is a {f} image; `{name}` takes {}", img.path, takes.join(", ")),
                ));
            }
            None if !rules.image_formats.is_empty() => post.diagnostics.push(Diagnostic::error(
                path,
                at,
                format!("`{}` is not an image file `{name}` can take (JPEG, PNG, …); save it as JPEG or PNG", img.path),
            )),
            _ => {}
        }
        if let Some(limit) = rules.image_bytes
            && info.bytes > limit
        {
            post.diagnostics.push(Diagnostic::error(
                path,
                at,
                format!(
                    "`{}` is {}; `{name}` takes images up to {}: make it smaller",
                    img.path,
                    human_size(info.bytes),
                    human_size(limit)
                ),
            ));
        }
    }
    if let Some(limit) = rules.alt_limit {
        for (i, img) in images.iter().enumerate() {
            let n = img.alt.chars().count();
            if n > limit {
                post.diagnostics.push(Diagnostic::error(
                    path,
                    positions.get(i).copied(),
                    format!(
                        "the alt text of `{}` is {n} characters; `{name}` allows {limit}",
                        img.path
                    ),
                ));
            }
        }
    }
}

/// Trims each line's end, collapses runs of blank lines (left by `{{#if}}` blocks), and
/// trims the whole text.
pub(crate) fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_owned()
}

/// The text a reader sees of Telegram-style HTML: tags removed, entities decoded.
pub fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if rest.starts_with('<') {
            match rest.find('>') {
                Some(end) => rest = &rest[end + 1..],
                None => {
                    out.push_str(rest);
                    rest = "";
                }
            }
        } else {
            let end = rest.find(';').filter(|&e| e <= 10);
            let decoded = end.and_then(|e| decode_entity(&rest[1..e]));
            match (end, decoded) {
                (Some(e), Some(c)) => {
                    out.push(c);
                    rest = &rest[e + 1..];
                }
                _ => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn visible_text_drops_tags_and_decodes_entities() {
        assert_eq!(
            super::visible_text("<b>Tom &amp; Jerry</b> &lt;3 &#x1F44D; a&b"),
            "Tom & Jerry <3 👍 a&b"
        );
    }

    #[test]
    fn tidy_collapses_blank_runs() {
        assert_eq!(super::tidy("a  \n\n\n\nb\n\n"), "a\n\nb");
    }
}
