//! `herald preview [--out DIR]`: `check`, then the preview page (or, with
//! `--format markdown`, a summary for a CI job summary).

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
    if global.format == Format::Markdown {
        write!(out, "{}", crate::preview::markdown(&plan))?;
        return Ok(exit);
    }
    let history = super::read_ledger(s)?;
    let dir = out_dir.map_or_else(|| s.root.join("preview"), Path::to_path_buf);
    if !outside_root && let Err(why) = crate::paths::check_inside(&s.root, &dir) {
        return Err(super::UsageError(vec![format!(
            "--out {why}; pass --outside-root as well to write the page there"
        )])
        .into());
    }
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("index.html");
    std::fs::write(&file, crate::preview::page(instance, &plan, &history))?;
    if errors > 0 {
        writeln!(
            out,
            "{ERROR}{errors} problem(s){ERROR:#}: the page shows them in place; `herald check` lists them"
        )?;
    }
    writeln!(out, "{GOOD}wrote{GOOD:#} {}", file.display())?;
    Ok(exit)
}
