//! `herald preview [--out DIR]`: `check`, then the preview page (or, with
//! `--format markdown`, the body of the pull-request comment).

use super::output::{ERROR, GOOD};
use super::{Exit, Instance};
use crate::cli::{Format, Global};
use std::io::Write;
use std::path::Path;

pub fn run(
    instance: &Instance,
    global: &Global,
    out_dir: Option<&Path>,
    outside_root: bool,
) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    let plan = instance.plan(global.channel.as_deref());
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
    let (_store, history) = super::state_and_ledger(s, crate::state::Fetch::No)?;
    if global.format == Format::Markdown {
        let body = crate::preview::markdown(instance, &plan, &history, None);
        write!(out, "{body}")?;
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
