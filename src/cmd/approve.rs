//! `herald approve FILE...`: stamp variants as approved, pinning their content hash.
//!
//! Only the `approval` block of the front matter is rewritten; every other line of the
//! file stays exactly as it was.

use super::output::{ERROR, GOOD};
use super::{Exit, Instance, UsageError};
use crate::approval::content_hash;
use crate::cli::Global;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run(
    instance: &Instance,
    files: &[PathBuf],
    by: Option<&str>,
    global: &Global,
) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    let by = match by {
        Some(b) => b.to_owned(),
        None => git_email(&s.root).ok_or_else(|| {
            UsageError(vec![
                "say who approves: `--by you@example.org` (or set `git config user.email`)".into(),
            ])
        })?,
    };
    if !s.approvers.iter().any(|a| a.eq_ignore_ascii_case(&by)) {
        return Err(UsageError(vec![format!(
            "`{by}` is not in `approvers` in {}; only listed approvers can approve",
            s.config_path.display()
        )])
        .into());
    }
    // Resolve each file once (relative to the current folder, or else to the root) and
    // render only those variants.
    let root = std::fs::canonicalize(&s.root)?;
    let wanted: Vec<Option<PathBuf>> = files
        .iter()
        .map(|f| {
            std::fs::canonicalize(f)
                .or_else(|_| std::fs::canonicalize(s.root.join(f)))
                .ok()
                .and_then(|p| p.strip_prefix(&root).ok().map(Path::to_path_buf))
        })
        .collect();
    let set: std::collections::HashSet<&PathBuf> = wanted.iter().flatten().collect();
    let plan = instance.plan_where(None, |v| set.contains(&v.path));
    let by_path: std::collections::HashMap<&Path, &super::Planned<'_>> =
        plan.iter().map(|p| (p.variant.path.as_path(), p)).collect();
    let mut out = anstream::stdout().lock();
    let mut failed = false;
    for (file, wanted) in files.iter().zip(&wanted) {
        let found = wanted.as_deref().and_then(|w| by_path.get(w).copied());
        let Some(p) = found else {
            writeln!(
                out,
                "{ERROR}error{ERROR:#}: {} is not an announcement file of this repository",
                file.display()
            )?;
            failed = true;
            continue;
        };
        let errors: Vec<_> = p.diagnostics.iter().filter(|d| d.is_error()).collect();
        if !errors.is_empty() {
            super::output::print_diagnostics(&mut out, errors)?;
            writeln!(
                out,
                "{ERROR}error{ERROR:#}: not approved: fix the problems above first"
            )?;
            failed = true;
            continue;
        }
        let hash = content_hash(&s.root, p.variant)?;
        let at = crate::time::rfc3339_in(instance.now, &s.tz);
        let full = s.root.join(&p.variant.path);
        let text = std::fs::read_to_string(&full)?;
        let stamped = stamp(&text, &by, &at, &hash)
            .ok_or_else(|| anyhow::anyhow!("{}: cannot find the front matter", full.display()))?;
        std::fs::write(&full, stamped)?;
        if !global.quiet {
            writeln!(
                out,
                "{GOOD}approved{GOOD:#} {} [{}] as {by}",
                p.variant.id, p.variant.lang
            )?;
        }
    }
    Ok(if failed { Exit::Problems } else { Exit::Ok })
}

fn git_email(root: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["config", "user.email"])
        .current_dir(root)
        .output()
        .ok()?;
    let email = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!email.is_empty()).then_some(email)
}

/// Replaces (or adds) the top-level `approval:` block at the end of the front matter.
fn stamp(text: &str, by: &str, at: &str, hash: &str) -> Option<String> {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let first = lines.first()?;
    if first.trim_end() != "---" && first.trim_start_matches('\u{feff}').trim_end() != "---" {
        return None;
    }
    let close = lines
        .iter()
        .skip(1)
        .position(|l| matches!(l.trim_end(), "---" | "..."))?
        + 1;
    let mut out = String::with_capacity(text.len() + 160);
    out.push_str(first);
    let mut in_approval = false;
    for line in &lines[1..close] {
        let top_level = !line.starts_with([' ', '\t', '\r', '\n', '#']);
        if top_level {
            in_approval = line.starts_with("approval:");
        }
        if !in_approval {
            out.push_str(line);
        }
    }
    out.push_str(&format!(
        "approval:{nl}  by: {by}{nl}  at: {at}{nl}  hash: {hash}{nl}"
    ));
    for line in &lines[close..] {
        out.push_str(line);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn stamping_replaces_only_the_approval_block() {
        let text = "---\ntitle: A  # kept\napproval:\n  by: old@x.org\n  hash: sha256:0\ntags: [a]\n---\nBody\n";
        let got = super::stamp(text, "new@x.org", "2026-01-01T10:00:00+02:00", "sha256:1").unwrap();
        assert_eq!(
            got,
            "---\ntitle: A  # kept\ntags: [a]\napproval:\n  by: new@x.org\n  at: 2026-01-01T10:00:00+02:00\n  hash: sha256:1\n---\nBody\n"
        );
    }
}
