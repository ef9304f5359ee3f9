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

/// Whether `root` is a shallow clone: its history stops at commits whose parents it
/// does not have (`actions/checkout` makes one by default).
pub fn is_shallow(root: &Path) -> bool {
    git(root, &["rev-parse", "--is-shallow-repository"]).is_none_or(|o| !o.starts_with(b"false"))
}

/// Fetches the rest of a shallow clone's history from its remote. Never asks for a
/// password (a run in CI would wait forever); the error is Git's own last line.
pub fn unshallow(root: &Path) -> Result<(), String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["fetch", "--unshallow", "--quiet", "--no-tags"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!("git fetch --unshallow: {}", last.trim()))
}

/// The files under `paths` that differ between `commit` and the work tree, including new
/// files Git does not track yet; `None` when Git cannot tell.
pub fn changed_since(
    root: &Path,
    commit: &str,
    paths: &[std::path::PathBuf],
) -> Option<Vec<String>> {
    let specs: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    let mut args = vec!["diff", "--relative", "--name-only", commit, "--"];
    args.extend(specs.iter().map(String::as_str));
    let changed = git(root, &args)?;
    let mut args = vec!["ls-files", "--others", "--exclude-standard", "--"];
    args.extend(specs.iter().map(String::as_str));
    let new = git(root, &args)?;
    let mut files: Vec<String> = String::from_utf8_lossy(&changed)
        .lines()
        .chain(String::from_utf8_lossy(&new).lines())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    files.sort();
    files.dedup();
    Some(files)
}

/// The commits after `since` up to `HEAD` that touched any of `paths`, newest first (at
/// most `limit`).
pub fn commits_since(
    root: &Path,
    since: &str,
    paths: &[std::path::PathBuf],
    limit: usize,
) -> Vec<String> {
    let range = format!("{since}..HEAD");
    let limit = format!("-{limit}");
    let specs: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    let mut args = vec!["log", &limit, "--format=%H", &range, "--"];
    args.extend(specs.iter().map(String::as_str));
    git(root, &args)
        .map(|o| {
            String::from_utf8_lossy(&o)
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The bytes of the blob `sha`, when this repository has it.
pub fn blob(root: &Path, sha: &str) -> Option<Vec<u8>> {
    if sha.is_empty() || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    git(root, &["cat-file", "blob", sha])
}

/// The branch checked out in `root` (`None` on a detached `HEAD`).
pub fn current_branch(root: &Path) -> Option<String> {
    let out = git(root, &["symbolic-ref", "--quiet", "--short", "HEAD"])?;
    let name = String::from_utf8(out).ok()?.trim().to_owned();
    (!name.is_empty()).then_some(name)
}

/// `git rev-parse HEAD`.
pub fn head(root: &Path) -> Option<String> {
    let out = git(root, &["rev-parse", "HEAD"])?;
    let sha = String::from_utf8(out).ok()?.trim().to_owned();
    (!sha.is_empty()).then_some(sha)
}

/// The files a pull request's merge commit changes against its base (its first parent),
/// as `actions/checkout` checks out a pull request; `None` when `HEAD` is not a merge.
pub fn changed_by_merge(root: &Path) -> Option<Vec<String>> {
    let parents = git(root, &["rev-list", "--parents", "-n", "1", "HEAD"])?;
    if String::from_utf8_lossy(&parents).split_whitespace().count() < 3 {
        return None;
    }
    let out = git(root, &["diff", "--name-only", "HEAD^1", "HEAD"])?;
    Some(
        String::from_utf8_lossy(&out)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}
