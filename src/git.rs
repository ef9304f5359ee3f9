//! The few questions Herald asks Git, by running `git` (libraries lack path-log helpers
//! and signature checks). Every function answers `None` or an error when there is no
//! repository or no history: callers decide whether that is acceptable.

use std::path::Path;
use std::process::Command;

/// One commit that touched a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub hash: String,
    pub author_email: String,
    /// Git's `%G?`: `G` good signature, `N` none, others bad or unverifiable.
    pub signature: char,
}

fn git(root: &Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

/// Whether `root` is inside a Git work tree.
pub fn is_repo(root: &Path) -> bool {
    git(root, &["rev-parse", "--is-inside-work-tree"]).is_some_and(|o| o.starts_with(b"true"))
}

const FORMAT: &str = "--format=%H%x00%aE%x00%G?%x00";

fn parse_commits(out: &[u8]) -> Vec<Commit> {
    let text = String::from_utf8_lossy(out);
    let fields: Vec<&str> = text.split('\0').map(str::trim).collect();
    fields
        .chunks(3)
        .filter(|c| c.len() == 3 && !c[0].is_empty())
        .map(|c| Commit {
            hash: c[0].to_owned(),
            author_email: c[1].to_owned(),
            signature: c[2].chars().next().unwrap_or('N'),
        })
        .collect()
}

/// The commits that touched `path`, newest first (at most `limit`).
pub fn log(root: &Path, path: &Path, limit: usize) -> Vec<Commit> {
    let limit = format!("-{limit}");
    let path = path.to_string_lossy();
    git(root, &["log", &limit, FORMAT, "--", &path])
        .map(|o| parse_commits(&o))
        .unwrap_or_default()
}

/// The bytes of `path` as of `commit`.
pub fn show(root: &Path, commit: &str, path: &Path) -> Option<Vec<u8>> {
    let spec = format!("{commit}:{}", path.to_string_lossy().replace('\\', "/"));
    git(root, &["show", &spec])
}

/// `git config user.email` in `root`.
pub fn user_email(root: &Path) -> Option<String> {
    let out = git(root, &["config", "user.email"])?;
    let email = String::from_utf8(out).ok()?.trim().to_owned();
    (!email.is_empty()).then_some(email)
}
