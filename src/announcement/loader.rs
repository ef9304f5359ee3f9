//! Finds the announcement files under the configured folder and loads each one.

use super::front_matter::{FieldContext, is_language_tag, parse_fields, split_front_matter};
use super::{Announcement, FrontMatter, Variant};
use crate::diagnostic::{Diagnostic, Diagnostics, Pos};
use jiff::tz::TimeZone;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What loading needs from the settings.
pub struct LoadContext<'a> {
    pub root: &'a Path,
    /// The announcements folder, relative to the root.
    pub dir: &'a Path,
    pub tz: &'a TimeZone,
    pub default_lang: &'a str,
    pub channel_names: &'a [String],
}

/// Loads every announcement. Problems that belong to no single variant (an unreadable
/// folder, two files claiming the same variant) go to the returned diagnostics.
pub fn load_all(ctx: &LoadContext<'_>) -> (Vec<Announcement>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut files = Vec::new();
    collect_markdown(ctx.root, ctx.dir, &mut files, &mut diags);
    files.sort();

    let variants: Vec<Variant> = crate::parallel::map(&files, |rel| load_variant(ctx, rel));

    let mut by_id: BTreeMap<String, Vec<Variant>> = BTreeMap::new();
    for v in variants {
        by_id.entry(v.id.clone()).or_default().push(v);
    }
    let mut announcements = Vec::with_capacity(by_id.len());
    for (id, mut variants) in by_id {
        variants.sort_by(|a, b| a.lang.cmp(&b.lang).then(a.path.cmp(&b.path)));
        for pair in variants.windows(2) {
            if pair[0].lang == pair[1].lang {
                diags.push(Diagnostic::error(
                    &pair[1].path,
                    None,
                    format!(
                        "`{}` is also the `{}` file of `{id}`; keep one file per language",
                        crate::diagnostic::display_path(&pair[0].path),
                        pair[1].lang
                    ),
                ));
            }
        }
        announcements.push(Announcement { id, variants });
    }
    (announcements, diags)
}

/// Markdown files below `dir`, depth first. Files and folders whose names start with `.`
/// or `_`, and README files, are not announcements.
fn collect_markdown(root: &Path, dir: &Path, out: &mut Vec<PathBuf>, diags: &mut Diagnostics) {
    let entries = match std::fs::read_dir(root.join(dir)) {
        Ok(entries) => entries,
        Err(e) => {
            diags.push(Diagnostic::error(
                dir,
                None,
                format!("cannot read the announcements folder: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(['.', '_']) || name.eq_ignore_ascii_case("README.md") {
            continue;
        }
        let rel = dir.join(&name);
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_markdown(root, &rel, out, diags);
        } else if name.ends_with(".md") {
            out.push(rel);
        }
    }
}

/// `id.md` → (`id`, None); `id.et.md` → (`id`, Some(`et`)).
fn id_and_lang(file_name: &str) -> (&str, Option<&str>) {
    let stem = file_name.strip_suffix(".md").unwrap_or(file_name);
    match stem.rsplit_once('.') {
        Some((id, lang)) if is_language_tag(lang) => (id, Some(lang)),
        _ => (stem, None),
    }
}

fn load_variant(ctx: &LoadContext<'_>, rel: &Path) -> Variant {
    let mut diags = Diagnostics::new();
    let file_name = rel.file_name().unwrap_or_default().to_string_lossy();
    let (id, file_lang) = id_and_lang(&file_name);
    let mut variant = Variant {
        id: id.to_owned(),
        lang: file_lang.unwrap_or(ctx.default_lang).to_owned(),
        path: rel.to_owned(),
        front: FrontMatter::default(),
        body: String::new(),
        body_line: 1,
        x_invalid_chars: Vec::new(),
        diagnostics: Diagnostics::new(),
        readable: false,
    };
    let id_ok = |id: &str| {
        id.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    // `news.EN.md`, `news.english.md`, `news.en_GB.md`: a language meant, not written
    // as a code.
    let meant_lang = match id.rsplit_once('.') {
        Some((bare, suffix))
            if file_lang.is_none()
                && id_ok(bare)
                && !bare.is_empty()
                && suffix.chars().filter(|c| c.is_alphabetic()).count() >= 2
                && suffix
                    .chars()
                    .all(|c| c.is_alphabetic() || c == '-' || c == '_') =>
        {
            Some((bare, suffix))
        }
        _ => None,
    };
    if let Some((bare, suffix)) = meant_lang {
        let fix = match super::front_matter::likely_language(suffix) {
            Some(code) => format!("rename the file to `{bare}.{code}.md`"),
            None => format!("rename the file to `{bare}.<code>.md`"),
        };
        diags.push(Diagnostic::error(
            rel,
            Some(Pos::START),
            format!(
                "`{suffix}` in the file name `{file_name}` is not a language code; {}; {fix}",
                super::front_matter::LANGUAGE_CODE
            ),
        ));
    } else if !id_ok(id) {
        diags.push(Diagnostic::error(
            rel,
            None,
            unsafe_id_message(&file_name, id),
        ));
    }

    let text = match read_text(ctx.root, rel) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            variant.diagnostics = diags;
            return variant;
        }
    };
    variant.x_invalid_chars = crate::platform::text::x_invalid_character_positions(&text);
    let split = match split_front_matter(&text) {
        Ok(s) => s,
        Err((pos, message)) => {
            diags.push(Diagnostic::error(rel, Some(pos), message));
            variant.diagnostics = diags;
            return variant;
        }
    };
    let fields = FieldContext {
        root: ctx.root,
        tz: ctx.tz,
        channel_names: ctx.channel_names,
    };
    if let Some((front, readable)) =
        parse_fields(split.yaml, split.yaml_line, &fields, rel, &mut diags)
    {
        match (file_lang, front.lang.as_deref()) {
            (Some(f), Some(l)) if f != l => diags.push(Diagnostic::error(
                rel,
                None,
                format!(
                    "`lang: {l}` contradicts the file name, which says `{f}`; remove `lang` or rename the file"
                ),
            )),
            (None, Some(l)) => variant.lang = l.to_owned(),
            _ => {}
        }
        variant.readable = readable;
        variant.front = front;
    }
    if split.body.trim().is_empty() {
        diags.push(Diagnostic::warning(
            rel,
            Some(Pos::new(split.body_line, 1)),
            "the text after the front matter is empty",
        ));
    }
    let depth = super::markdown::nesting(split.body);
    if depth > super::markdown::MAX_NESTING {
        diags.push(Diagnostic::error(
            rel,
            Some(Pos::new(split.body_line, 1)),
            format!(
                "the text nests lists or quotes {depth} levels deep; Herald takes up to {} (posts cannot show more)",
                super::markdown::MAX_NESTING
            ),
        ));
    }
    variant.body = split.body.to_owned();
    variant.body_line = split.body_line;
    variant.diagnostics = diags;
    variant
}

/// Why the file name's `id` (which holds something besides ASCII letters, digits, `-`
/// and `_`) cannot be an id, and the name to rename the file to when the one
/// transliteration ([`super::id::safe_id`]) gives one.
fn unsafe_id_message(file_name: &str, id: &str) -> String {
    let rest = &file_name[id.len()..];
    let odd: Vec<char> = id
        .chars()
        .filter(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        .fold(Vec::new(), |mut seen, c| {
            if !seen.contains(&c) {
                seen.push(c);
            }
            seen
        });
    let odd = super::id::Unsafe(odd).listed();
    match super::id::safe_id(id) {
        Ok(safe) => format!(
            "the file name `{file_name}` has {odd}, which an id cannot hold (ids go into web \
             addresses and email headers): rename the file to `{}{rest}`",
            safe.id
        ),
        Err(_) => format!(
            "the file name `{file_name}` has {odd}, which an id cannot hold (ids go into web \
             addresses and email headers): name it `<id>.md` or `<id>.<lang>.md` with an id of \
             letters, digits, `-` and `_` (e.g. `2026-06-30-city-news.et.md`)"
        ),
    }
}

/// Reads a file as UTF-8 with `\n` line endings; invalid UTF-8 is located by line and column.
fn read_text(root: &Path, rel: &Path) -> Result<String, Diagnostic> {
    let bytes = crate::limits::read_limited(
        &root.join(rel),
        crate::limits::ANNOUNCEMENT_BYTES,
        "announcement file",
    )
    .map_err(|e| Diagnostic::error(rel, None, format!("cannot read the file: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let valid = std::str::from_utf8(valid).unwrap_or_default();
        let line = valid.matches('\n').count() + 1;
        let column = valid.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        Diagnostic::error(
            rel,
            Some(Pos::new(line, column)),
            "the file is not UTF-8 text; save it as UTF-8 in your editor",
        )
    })?;
    Ok(normalize_newlines(text))
}

/// `\r\n` and a lone `\r` become `\n`, as YAML and every editor count lines.
pub fn normalize_newlines(text: String) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::id_and_lang;

    #[test]
    fn file_names_give_id_and_language() {
        assert_eq!(
            id_and_lang("2022-06-30-better-phase-1.et.md"),
            ("2022-06-30-better-phase-1", Some("et"))
        );
        assert_eq!(id_and_lang("news.md"), ("news", None));
        assert_eq!(id_and_lang("news.en-GB.md"), ("news", Some("en-GB")));
    }
}
