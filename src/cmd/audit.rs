//! `herald audit [--archive DIR]`: for every post that went out, its history (published,
//! corrected, retracted, or not changed and why) with the content hash and who approved
//! each step, and its addresses as they are now, from the repository alone (ledger,
//! archive, files, Git history); `--archive DIR` writes each announcement's record for
//! an archivist ([`crate::archive::export`]).

use super::output::{BOLD, DIM, GOOD, WARNING};
use super::{Exit, Instance, UsageError};
use crate::archive::story::{Approval, Knows, Post, What};
use crate::cli::{Format, Global};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// What the files say: the stamps of each content (from Git history too), and which
/// variants withdraw their announcement now.
struct Files<'a> {
    instance: &'a Instance,
    fields: crate::announcement::FieldContext<'a>,
    /// (id, lang) → (content hash now, the retraction's reason).
    retracting: HashMap<(String, String), (String, String)>,
}

impl Knows for Files<'_> {
    fn approvals(&self, id: &str, lang: &str, hash: &str) -> Vec<Approval> {
        let s = &self.instance.settings;
        self.instance
            .variants()
            .find(|v| v.id == id && v.lang == lang)
            .map(|v| crate::approval::approvals_of(&s.root, v, hash, &self.fields))
            .unwrap_or_default()
            .into_iter()
            .map(|a| Approval {
                by: a.by,
                at: a.at.map(|t| crate::time::rfc3339_in(t, &s.tz)),
                pull: None,
                url: None,
                from_ledger: false,
            })
            .collect()
    }

    fn retraction(&self, id: &str, lang: &str, hash: &str) -> Option<String> {
        self.retracting
            .get(&(id.to_owned(), lang.to_owned()))
            .filter(|(h, _)| h == hash)
            .map(|(_, reason)| reason.clone())
    }
}

pub fn run(instance: &Instance, global: &Global, archive: Option<&Path>) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    if archive.is_some() && global.channel.is_some() {
        return Err(UsageError(vec![
            "--archive writes each announcement's record with every channel it went out on; leave --channel out".into(),
        ])
        .into());
    }
    let (store, history) = super::state_and_ledger(s, crate::state::Fetch::BestEffort)?;
    let shelf = crate::archive::read(&store.dir()).map_err(|e| UsageError(vec![e]))?;
    {
        let mut err = anstream::stderr().lock();
        for w in &shelf.warnings {
            writeln!(err, "{WARNING}warning{WARNING:#}: {w}")?;
        }
    }
    let names = s.channel_names();
    let retracting = instance
        .plan_where(None, |v| v.front.retract.is_some())
        .into_iter()
        .filter_map(|p| {
            let reason = p.variant.front.retract.clone()?;
            let hash = p.verdict.hash?;
            Some((
                (p.variant.id.clone(), p.variant.lang.clone()),
                (hash, reason),
            ))
        })
        .collect();
    let files = Files {
        instance,
        fields: instance.field_context(&names),
        retracting,
    };
    let keep = |id: &str, channel: &str| {
        global.only.as_deref().is_none_or(|o| o == id)
            && global.channel.as_deref().is_none_or(|c| c == channel)
    };
    let posts = crate::archive::story::posts(&history, &shelf, &files, &s.tz, &keep);
    let mut out = anstream::stdout().lock();
    if let Some(typed) = archive {
        // Relative to the current folder, like any path on the command line; inside or
        // outside the repository, as the user chose.
        let dir = if typed.is_relative() {
            std::env::current_dir()?.join(typed)
        } else {
            typed.to_path_buf()
        };
        let written: Vec<std::path::PathBuf> = crate::archive::export::write(&dir, &posts)
            .map_err(|e| UsageError(vec![format!("--archive: {e}")]))?
            .into_iter()
            // Shown as the user spelt the folder.
            .map(|p| typed.join(p.file_name().expect("a file name")))
            .collect();
        if global.format == Format::Json {
            let files: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "written": files }))?;
            writeln!(out)?;
        } else if written.is_empty() {
            writeln!(
                out,
                "Nothing has been posted yet: no archive files were written."
            )?;
        } else if !global.quiet {
            for path in &written {
                writeln!(out, "{GOOD}wrote{GOOD:#} {}", path.display())?;
            }
        }
        return Ok(Exit::Ok);
    }
    if global.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "posted": posts }))?;
        writeln!(out)?;
        return Ok(Exit::Ok);
    }
    if posts.is_empty() {
        writeln!(out, "Nothing has been posted yet.")?;
    }
    for post in &posts {
        print_post(&mut out, post)?;
    }
    Ok(Exit::Ok)
}

fn print_post(out: &mut impl Write, e: &Post) -> std::io::Result<()> {
    writeln!(
        out,
        "{BOLD}{}{BOLD:#} [{}] → {}  {DIM}{}{DIM:#}",
        e.id, e.lang, e.channel, e.posted_at
    )?;
    if e.approvals.is_empty() {
        writeln!(
            out,
            "  {WARNING}approval not found{WARNING:#} for {}",
            e.hash
        )?;
    }
    for a in &e.approvals {
        if a.from_ledger {
            writeln!(
                out,
                "  approved by {} {DIM}(as recorded when it went out){DIM:#}",
                a.by
            )?;
            continue;
        }
        let at = a.at.as_deref().unwrap_or("?");
        match (a.by.strip_prefix("github:"), a.pull) {
            (Some(login), Some(pull)) => writeln!(
                out,
                "  approved by @{login} in #{pull} at {at}{}",
                a.url
                    .as_deref()
                    .map(|u| format!("  {u}"))
                    .unwrap_or_default()
            )?,
            _ => writeln!(out, "  approved by {} at {at}", a.by)?,
        }
    }
    writeln!(out, "  {DIM}{}{DIM:#}", e.hash)?;
    for u in &e.urls {
        writeln!(out, "  {u}")?;
    }
    if e.urls.is_empty() {
        writeln!(out, "  {DIM}no address now{DIM:#}")?;
    }
    // The history only says more than the lines above once something happened after
    // the first post.
    if e.history.len() < 2 {
        return Ok(());
    }
    for h in &e.history {
        let by = if h.approved_by.is_empty() {
            format!("{WARNING}approval not found{WARNING:#}")
        } else {
            format!("approved by {}", h.approved_by.join(", "))
        };
        let mut details = h.changes.join(", ");
        if !h.unfinished.is_empty() {
            if !details.is_empty() {
                details.push_str("; ");
            }
            details.push_str(&format!("not done: {}", h.unfinished.join(", ")));
        }
        if let Some(reason) = &h.reason {
            if !details.is_empty() {
                details.push_str("; ");
            }
            details.push_str(&format!("reason: {reason}"));
        }
        let what = match h.what {
            What::Published | What::Corrected => format!("{BOLD}{}{BOLD:#}", h.what.words()),
            _ => format!("{WARNING}{}{WARNING:#}", h.what.words()),
        };
        writeln!(
            out,
            "  {}  {what}  {DIM}{}{DIM:#}  {by}{}",
            h.at,
            h.hash,
            if details.is_empty() {
                String::new()
            } else {
                format!(": {details}")
            }
        )?;
    }
    Ok(())
}
