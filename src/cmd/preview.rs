//! `herald preview [--out DIR]`: `check`, then the preview page (or, with
//! `--format markdown`, the body of the pull-request comment).

use super::output::{ERROR, GOOD};
use super::{Exit, Instance};
use crate::cli::{Format, Global};
use std::io::Write;
use std::path::Path;

/// What `herald preview` was asked for.
pub struct Options<'a> {
    pub out_dir: Option<&'a Path>,
    pub outside_root: bool,
    /// Post the Markdown as the pull request's comment (`--comment`).
    pub comment: bool,
    pub page_url: Option<&'a str>,
}

pub fn run(
    instance: &Instance,
    global: &Global,
    options: &Options<'_>,
    env: &std::collections::BTreeMap<String, String>,
) -> anyhow::Result<Exit> {
    let Options {
        out_dir,
        outside_root,
        comment,
        page_url,
    } = *options;
    let s = &instance.settings;
    let mut plan = instance.plan(global.channel.as_deref());
    // On a pull request, approvals already given on its newest commit show as such.
    if comment
        && instance.settings.policy.by_review()
        && let Some(gh) = crate::github::Env::from_env(env)
        && gh.token.is_some()
        && let Some(path) = &gh.event_path
        && let Ok(Some(pull)) = crate::github::event::pull_request(path)
        && let Ok(client) = crate::github::Client::new(&gh)
        && let Err(why) =
            crate::plan::review::preview_approvals(instance, &mut plan, &client, &pull)
    {
        writeln!(
            anstream::stderr().lock(),
            "{ERROR}warning{ERROR:#}: cannot read this pull request's reviews: {why}"
        )?;
    }
    let errors = plan
        .iter()
        .flat_map(|p| &p.diagnostics)
        .filter(|d| d.is_error())
        .count()
        + instance
            .loose_diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .count();
    let exit = if errors > 0 { Exit::Problems } else { Exit::Ok };
    let mut out = anstream::stdout().lock();
    if comment && global.format != Format::Markdown {
        return Err(super::UsageError(vec![
            "--comment posts the Markdown preview: use it with `--format markdown`".into(),
        ])
        .into());
    }
    let (_store, history) = super::state_and_ledger(s, crate::state::Fetch::No)?;
    if global.format == Format::Markdown {
        let body = crate::preview::markdown(instance, &plan, &history, page_url);
        write!(out, "{body}")?;
        if comment {
            let Some(gh) = crate::github::Env::from_env(env) else {
                return Err(super::UsageError(vec![
                    "--comment works in a GitHub Actions run (GITHUB_REPOSITORY is not set); \
                     without it, leave --comment out"
                        .into(),
                ])
                .into());
            };
            drop(out);
            let mut err = anstream::stderr().lock();
            match super::github::preview_comment(&gh, &body) {
                Ok(done) => writeln!(err, "{GOOD}preview{GOOD:#}: {done}")?,
                Err(why) => {
                    writeln!(err, "{ERROR}could not post the preview{ERROR:#}: {why}")?;
                    return Ok(Exit::Problems);
                }
            }
        }
        return Ok(exit);
    }
    let dir = match out_dir {
        // `--out` is relative to the current folder, like any path on the command line.
        Some(d) if d.is_relative() => std::env::current_dir()?.join(d),
        Some(d) => d.to_path_buf(),
        None => s.root.join("preview"),
    };
    let file = dir.join("index.html");
    // The page is written only inside the repository, links followed, unless the user
    // asked for a place outside it; never into a pipe or a device either way.
    let opened = if outside_root {
        crate::paths::open_anywhere(&file, crate::paths::Mode::Replace)
    } else {
        crate::paths::open_inside(&s.root, &file, crate::paths::Mode::Replace)
    };
    let mut page = opened.map_err(|why| {
        let hint = if outside_root || !why.contains("outside the repository") {
            String::new()
        } else {
            "; pass --outside-root as well to write the page there".to_owned()
        };
        let flag = if out_dir.is_some() { "--out " } else { "" };
        super::UsageError(vec![format!("{flag}{why}{hint}")])
    })?;
    page.write_all(crate::preview::page(instance, &plan, &history).as_bytes())?;
    if errors > 0 {
        writeln!(
            out,
            "{ERROR}{errors} problem(s){ERROR:#}: the page shows them in place; `herald check` lists them"
        )?;
    }
    writeln!(out, "{GOOD}wrote{GOOD:#} {}", file.display())?;
    Ok(exit)
}
