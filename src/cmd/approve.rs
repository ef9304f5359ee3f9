//! `herald approve FILE...` / `--all-pending`: stamp variants as approved, pinning their
//! content hash and what each channel would receive (see [`crate::approval`]).
//!
//! Only the `approval` block of the front matter is rewritten; every other line of the
//! file (comments, formatting) stays exactly as it was. With `approvals_required = 2` a
//! second approver's stamp is added beside the first. The file is replaced atomically
//! (written beside it, flushed, renamed), so nobody ever reads half a file.

use super::output::{BOLD, ERROR, GOOD};
use super::{Exit, Instance, Planned, UsageError};
use crate::announcement::Approval;
use crate::approval::State;
use crate::cli::Global;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// What a staffer does after stamping: the stamp counts once it is in the repository.
const NEXT_STEP: &str = "Next: commit and push the change, or approve the pull request on GitHub.";

pub struct Request<'a> {
    pub files: &'a [PathBuf],
    pub by: Option<&'a str>,
    pub all_pending: bool,
    pub yes: bool,
}

pub fn run(instance: &Instance, req: &Request<'_>, global: &Global) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    let by = match req.by {
        Some(b) => b.to_owned(),
        None => crate::git::user_email(&s.root).ok_or_else(|| {
            UsageError(vec![
                "say who approves: `--by you@example.org` (or set `git config user.email`)".into(),
            ])
        })?,
    };
    if crate::approval::github_login(&by).is_some() || by.starts_with("github:") {
        return Err(UsageError(vec![format!(
            "`{by}` is a GitHub account: it approves with an Approve review on the pull \
             request, not with `herald approve`; stamps are for approvers listed by email address"
        )])
        .into());
    }
    if !s.approvers.iter().any(|a| a.eq_ignore_ascii_case(&by)) {
        return Err(UsageError(vec![format!(
            "`{by}` is not in `approvers` in {}; only listed approvers can approve",
            s.config_path.display()
        )])
        .into());
    }
    let mut out = anstream::stdout().lock();
    let mut failed = false;
    let mut approved = 0;
    let plan;
    let chosen: Vec<&Planned<'_>> = if req.all_pending {
        plan = instance.plan(None);
        let pending: Vec<&Planned<'_>> =
            plan.iter().filter(|p| p.state != State::Approved).collect();
        if pending.is_empty() {
            writeln!(out, "Nothing is waiting for approval.")?;
            return Ok(Exit::Ok);
        }
        writeln!(out, "{BOLD}Waiting for approval{BOLD:#}")?;
        for p in &pending {
            writeln!(
                out,
                "  {} [{}] {}: {}",
                p.variant.id,
                p.variant.lang,
                crate::diagnostic::display_path(&p.variant.path),
                p.verdict.describe()
            )?;
        }
        if !req.yes && !confirm(&mut out, pending.len(), &by)? {
            writeln!(out, "Nothing approved.")?;
            return Ok(Exit::Ok);
        }
        pending
    } else {
        let (found, missing) = resolve_files(instance, req.files)?;
        for file in missing {
            writeln!(
                out,
                "{ERROR}error{ERROR:#}: {} is not an announcement file of this repository",
                file.display()
            )?;
            failed = true;
        }
        plan = found;
        plan.iter().collect()
    };

    for p in chosen {
        let errors: Vec<_> = p.diagnostics.iter().filter(|d| d.is_error()).collect();
        if !errors.is_empty() {
            super::output::print_diagnostics(&mut out, errors)?;
            writeln!(
                out,
                "{ERROR}error{ERROR:#}: {} not approved: fix the problems above first",
                crate::diagnostic::display_path(&p.variant.path)
            )?;
            failed = true;
            continue;
        }
        let hash = p.verdict.hash.clone().expect("valid variants have a hash");
        let posts = p.verdict.posts.clone();
        let mine = Approval {
            by: by.clone(),
            at: Some(instance.now),
            hash: hash.clone(),
            posts: Some(posts.clone()),
        };
        // Keep other approvers' stamps of this same content when more than one is needed.
        let mut approvals: Vec<Approval> = if s.policy.required > 1 {
            p.variant
                .front
                .approvals
                .iter()
                .filter(|a| {
                    a.hash == hash
                        && a.posts.as_ref() == Some(&posts)
                        && !a.by.eq_ignore_ascii_case(&by)
                })
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        approvals.push(mine);
        let full = s.root.join(&p.variant.path);
        // The file is replaced where it really is: never through a link out of the
        // repository.
        crate::paths::check_inside(&s.root, &p.variant.path)
            .map_err(|why| anyhow::anyhow!("not approved: {why}"))?;
        let text = std::fs::read_to_string(&full)?;
        let stamped = stamp(&text, &approvals, &s.tz)
            .ok_or_else(|| anyhow::anyhow!("{}: cannot find the front matter", full.display()))?;
        write_atomically(&full, stamped.as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", full.display()))?;
        if !global.quiet {
            writeln!(
                out,
                "{GOOD}approved{GOOD:#} {} [{}] as {by}",
                p.variant.id, p.variant.lang
            )?;
        }
        approved += 1;
    }
    if approved > 0 && !global.quiet {
        writeln!(out, "{NEXT_STEP}")?;
    }
    Ok(if failed { Exit::Problems } else { Exit::Ok })
}

/// Replaces `path` with `bytes` so that a reader sees the old file or the new one, never
/// a mix: written to a temporary file in the same folder, flushed to disk, renamed over.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map_or_else(
        || "announcement".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let aside = dir.join(format!(".{name}.herald-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&aside)?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&aside, path)?;
        // The rename itself is durable once the folder is flushed.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&aside);
    }
    result
}

/// Asks on the terminal; refuses to assume a yes when nobody can answer.
fn confirm(out: &mut impl Write, n: usize, by: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(UsageError(vec![
            "--all-pending asks for confirmation; add --yes to approve without asking".into(),
        ])
        .into());
    }
    write!(out, "Approve these {n} as {by}? [y/N] ")?;
    out.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "jah" | "j"))
}

/// Plans the variants `files` name (relative to the current folder, or else to the
/// root), each resolved once; also returns the files that are no announcement.
fn resolve_files<'a>(
    instance: &'a Instance,
    files: &'a [PathBuf],
) -> anyhow::Result<(Vec<Planned<'a>>, Vec<&'a PathBuf>)> {
    let s = &instance.settings;
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
    let known: std::collections::HashSet<&Path> =
        plan.iter().map(|p| p.variant.path.as_path()).collect();
    let missing = files
        .iter()
        .zip(&wanted)
        .filter(|(_, w)| w.as_deref().is_none_or(|w| !known.contains(w)))
        .map(|(f, _)| f)
        .collect();
    Ok((plan, missing))
}

/// Replaces (or adds) the top-level `approval:` block at the end of the front matter:
/// a single stamp as fields, several as a list.
fn stamp(text: &str, approvals: &[Approval], tz: &jiff::tz::TimeZone) -> Option<String> {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let first = lines.first()?;
    if first.trim_start_matches('\u{feff}').trim_end() != "---" {
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
        let top_level = !line.starts_with([' ', '\t', '\r', '\n', '#', '-']);
        if top_level {
            in_approval = line.starts_with("approval:");
        }
        if !in_approval {
            out.push_str(line);
        }
    }
    let at = |a: &Approval| {
        a.at.map(|t| crate::time::rfc3339_in(t, tz))
            .unwrap_or_default()
    };
    // `indent` is where the fields of one stamp start.
    let fields = |out: &mut String, a: &Approval, first: &str, indent: &str| {
        out.push_str(&format!(
            "{first}by: {}{nl}{indent}at: {}{nl}{indent}hash: {}{nl}",
            a.by,
            at(a),
            a.hash
        ));
        if let Some(posts) = &a.posts {
            if posts.is_empty() {
                out.push_str(&format!("{indent}posts: {{}}{nl}"));
            } else {
                out.push_str(&format!("{indent}posts:{nl}"));
                for (channel, digest) in posts {
                    out.push_str(&format!("{indent}  {channel}: {digest}{nl}"));
                }
            }
        }
    };
    out.push_str(&format!("approval:{nl}"));
    match approvals {
        [a] => fields(&mut out, a, "  ", "  "),
        many => {
            for a in many {
                fields(&mut out, a, "  - ", "    ");
            }
        }
    }
    for line in &lines[close..] {
        out.push_str(line);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approval(by: &str, hash: &str) -> Approval {
        Approval {
            by: by.into(),
            at: Some("2026-01-01T08:00:00Z".parse().unwrap()),
            hash: hash.into(),
            posts: None,
        }
    }

    #[test]
    fn stamping_replaces_only_the_approval_block() {
        let tz = jiff::tz::TimeZone::get("Europe/Tallinn").unwrap();
        let text = "---\ntitle: A  # kept\napproval:\n  by: old@x.org\n  hash: sha256:0\ntags: [a]\n---\nBody\n";
        let got = stamp(text, &[approval("new@x.org", "sha256:1")], &tz).unwrap();
        assert_eq!(
            got,
            "---\ntitle: A  # kept\ntags: [a]\napproval:\n  by: new@x.org\n  at: 2026-01-01T10:00:00+02:00\n  hash: sha256:1\n---\nBody\n"
        );
    }

    #[test]
    fn two_stamps_are_written_as_a_list_replacing_a_list() {
        let tz = jiff::tz::TimeZone::UTC;
        let text = "---\ntitle: A\napproval:\n  - by: a@x.org\n    hash: sha256:0\n---\nBody\n";
        let got = stamp(
            text,
            &[
                approval("a@x.org", "sha256:1"),
                approval("b@x.org", "sha256:1"),
            ],
            &tz,
        )
        .unwrap();
        assert_eq!(
            got,
            "---\ntitle: A\napproval:\n  - by: a@x.org\n    at: 2026-01-01T08:00:00+00:00\n    hash: sha256:1\n  - by: b@x.org\n    at: 2026-01-01T08:00:00+00:00\n    hash: sha256:1\n---\nBody\n"
        );
    }
}
