//! `herald new SLUG`: scaffold an announcement, one file per language. The slug may be
//! written as staff write it (`Jõulutuli`); it becomes the id by the one transliteration
//! in [`crate::announcement::id`], and `new` says what it chose.

use super::{Exit, UsageError};
use crate::cli::Global;
use crate::settings::Settings;
use std::io::Write;

pub fn run(
    settings: &Settings,
    slug: &str,
    langs: &[String],
    global: &Global,
) -> anyhow::Result<Exit> {
    let safe = crate::announcement::id::safe_id(slug).map_err(|bad| {
        UsageError(vec![if bad.0.is_empty() {
            "the name is empty: give a short name for the file, e.g. `summer-festival`".to_owned()
        } else {
            format!(
                "the name `{slug}` has {}, which an id cannot hold: ids go into web addresses \
                 and email headers, so use letters, digits, spaces and `-`, e.g. `summer-festival`",
                bad.listed()
            )
        }])
    })?;
    let langs: Vec<String> = if langs.is_empty() {
        vec![settings.default_lang.clone()]
    } else {
        langs.to_vec()
    };
    for l in &langs {
        if !crate::announcement::is_language_tag(l) {
            return Err(UsageError(vec![format!(
                "--lang: `{l}` is not a language code such as `et`"
            )])
            .into());
        }
    }
    let now = match &global.at {
        Some(t) => crate::time::parse_time(t, &settings.tz)
            .map_err(|e| UsageError(vec![format!("--at: {e}")]))?,
        None => jiff::Timestamp::now(),
    };
    let tomorrow = now
        .to_zoned_datetime(settings.tz.clone())
        .date()
        .tomorrow()
        .map_err(|e| anyhow::anyhow!("date out of range: {e}"))?;
    // The slug as an id (`jõulutuli` → `joulutuli`): the file name, and every place the
    // id goes (Message-ID, record keys, tag URIs, feed links), use only this.
    let slug = safe.id.as_str();
    let id = format!("{}-{slug}", tomorrow.strftime("%Y-%m-%d"));
    let dir = settings.root.join(&settings.announcements_dir);
    std::fs::create_dir_all(&dir)?;
    let mut created = Vec::new();
    for lang in &langs {
        let rel = settings.announcements_dir.join(format!("{id}.{lang}.md"));
        // The placeholders are shared with the check that refuses them.
        use crate::announcement::placeholder;
        let text = format!(
            "---\n\
             title: \"{}\"\n\
             summary: \"{}\"\n\
             publish_at: {} 10:00\n\
             channels: all\n\
             link: {}\n\
             tags: []\n\
             ---\n\
             {}",
            placeholder::TITLE,
            placeholder::SUMMARY,
            tomorrow.strftime("%Y-%m-%d"),
            placeholder::link(slug),
            placeholder::body(),
        );
        crate::paths::check_inside(&settings.root, &rel).map_err(|why| UsageError(vec![why]))?;
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(settings.root.join(&rel))
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(UsageError(vec![format!(
                    "{} already exists; pick another name",
                    rel.display()
                )])
                .into());
            }
            Err(e) => return Err(e.into()),
        };
        file.write_all(text.as_bytes())?;
        created.push(rel);
    }
    let mut out = anstream::stdout().lock();
    if let Some(why) = safe.reason() {
        writeln!(out, "the id is `{id}`: {why}")?;
    }
    for rel in &created {
        writeln!(out, "created {}", crate::diagnostic::display_path(rel))?;
    }
    writeln!(
        out,
        "next: edit the text, set publish_at and channels, run `herald check`, then ask an approver to run `herald approve`"
    )?;
    Ok(Exit::Ok)
}
