//! Where Herald's state lives: the ledger, the email send logs, the feed entries and the
//! record files. Without `[state] git_branch` they are plain files in the repository
//! (for laptops and CI systems that keep their disk). With it, they live on that branch
//! of the remote, an orphan branch holding only state, so that a runner thrown away
//! after each run loses nothing and `main` can stay protected.
//!
//! The branch is fetched into a checkout inside the Git folder
//! (`.git/herald/<branch>/`, never part of `main`'s work tree) laid out like the
//! repository: `state/ledger.jsonl`, `state/email/…`, `public/feed/…`. Herald writes
//! there as it would write in the repository, and [`Store::push`] commits what changed
//! onto the branch (with Herald's own committer identity: a fresh runner has none) and
//! pushes it. The push is a compare-and-swap: when someone else pushed first (a person's
//! `herald resolve`), their commit is fetched, both copies are merged ([`merge`]: the
//! union of the lines of the append-only files) and the push is tried again, for as long
//! as the remote answers. A push that fails for any other reason is an error, and the
//! engine sends nothing whose `started` record is not on the remote.
//!
//! Only Git's object plumbing is used (`hash-object`, `update-index` on a private index,
//! `write-tree`, `commit-tree`, `push`), in the repository's own Git folder, so the
//! credentials `actions/checkout` leaves there work, and a depth-1 clone of `main` is
//! enough.

pub mod merge;

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Who state commits are by: a fresh runner has no `git config user.*`.
const IDENTITY: (&str, &str) = ("Herald", "herald@users.noreply.github.com");
/// Files of the state folder that are not state: the publish lock.
const NOT_STATE: &[&str] = &[".publish.lock"];

/// `[state]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchConfig {
    pub branch: String,
    pub remote: String,
}

/// Checks a branch or remote name as `[state]` gives it: Git's own rules, in short.
pub fn check_name(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name.starts_with(['-', '/', '.'])
        || name.ends_with(['/', '.'])
        || name.ends_with(".lock")
        || name.contains("..")
        || name.contains("//")
        || name.contains("@{")
        || name
            .chars()
            .any(|c| c.is_ascii_control() || " ~^:?*[\\".contains(c));
    if bad {
        return Err(format!(
            "`{name}` is not a name Git accepts; use letters, digits, `-`, `_` and `/`, e.g. `herald-state`"
        ));
    }
    if matches!(name, "main" | "master" | "HEAD") {
        return Err(format!(
            "is `{name}`: the state needs a branch of its own (e.g. `herald-state`), so that `main` can stay protected"
        ));
    }
    Ok(())
}

/// Where an instance's state is: what the configuration says about it
/// (`crate::settings::Settings::state_place`).
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub root: &'a Path,
    /// `state_dir`, relative to the root.
    pub state_dir: &'a Path,
    pub branch: Option<&'a BranchConfig>,
}

/// Whether a command needs the remote's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// Publishing or resolving: without the remote's state nothing may be written.
    Required,
    /// Showing (status, audit, the dry run): the last fetched state, with a warning,
    /// when the remote cannot be reached.
    BestEffort,
    /// Reading what is there (check, preview): no network.
    No,
}

/// The state of this instance: where its files are, and the branch they are pushed to.
pub struct Store {
    /// Where state files are written: the repository, or the branch's checkout.
    files: PathBuf,
    state_dir: PathBuf,
    branch: Option<Mutex<Branch>>,
    /// Problems worth a warning (the remote could not be reached for a read-only look).
    pub warnings: Vec<String>,
}

/// How often and how long the pushes of a run took.
#[derive(Debug, Clone, Copy, Default)]
pub struct PushStats {
    pub pushes: u64,
    /// Pushes refused because another writer pushed first, then merged and pushed again.
    pub merges: u64,
    pub total: Duration,
    pub last: Duration,
}

impl Store {
    /// The state as plain files in the repository.
    pub fn local(place: Place<'_>) -> Store {
        Store {
            files: place.root.to_owned(),
            state_dir: place.state_dir.to_owned(),
            branch: None,
            warnings: Vec::new(),
        }
    }

    /// Opens the state at `place`: with a state branch, fetches it (as `fetch` says)
    /// into its checkout, merged with whatever an earlier run on this machine left there
    /// unpushed.
    pub fn open(place: Place<'_>, fetch: Fetch) -> Result<Store, String> {
        let Some(config) = place.branch else {
            return Ok(Store::local(place));
        };
        let mut branch = match Branch::locate(place.root, config) {
            Ok(branch) => branch,
            // Only looking: say why the branch is not used and show the folder's state.
            Err(e) if fetch != Fetch::Required => {
                let mut store = Store::local(place);
                store.warnings.push(format!(
                    "{e}. Showing the state in `{}` instead",
                    place.state_dir.display()
                ));
                return Ok(store);
            }
            Err(e) => return Err(e),
        };
        let mut warnings = Vec::new();
        match fetch {
            // What was fetched last, without asking the remote.
            Fetch::No => branch.tip = branch.local_tip(),
            Fetch::Required => branch.fetch()?,
            Fetch::BestEffort => {
                if let Err(e) = branch.fetch() {
                    warnings.push(format!(
                        "{e}; showing Herald's state as it was when it was last fetched"
                    ));
                    branch.tip = branch.local_tip();
                }
            }
        }
        if fetch != Fetch::No || !branch.work.exists() {
            branch.materialize(place.state_dir)?;
        }
        Ok(Store {
            files: branch.work.clone(),
            state_dir: place.state_dir.to_owned(),
            branch: Some(Mutex::new(branch)),
            warnings,
        })
    }

    /// The folder state files are written in, as the repository would hold them:
    /// `files().join(state_dir)` is the state folder, `files().join(out_dir)` a feed's.
    pub fn files(&self) -> &Path {
        &self.files
    }

    /// The state folder (the ledger and the send logs).
    pub fn dir(&self) -> PathBuf {
        self.files.join(&self.state_dir)
    }

    /// The state folder relative to [`Store::files`].
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Whether the state is pushed to a branch.
    pub fn is_remote(&self) -> bool {
        self.branch.is_some()
    }

    /// Where the state goes, for people: "branch `herald-state` of `origin`" or the folder.
    pub fn describe(&self) -> String {
        match &self.branch {
            Some(b) => {
                let b = b.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                format!("branch `{}` of `{}`", b.config.branch, b.config.remote)
            }
            None => format!("the folder `{}`", self.state_dir.display()),
        }
    }

    /// Commits everything written since the last push to the state branch and pushes it;
    /// nothing to do without a branch or when nothing changed. `why` is the commit
    /// message. Returns once the remote has it, or why it does not.
    pub fn push(&self, why: &str) -> Result<(), String> {
        let Some(branch) = &self.branch else {
            return Ok(());
        };
        let mut branch = branch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        branch.push(why)
    }

    /// Whether another writer (a publish on another machine, a person's `resolve`)
    /// recorded something about `key` while this run was going: its lines came in with
    /// a merge. A run that finds another one's `started` beside its own must not send.
    pub fn touched_by_another(&self, key: &crate::ledger::Key) -> bool {
        self.branch.as_ref().is_some_and(|b| {
            b.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .foreign
                .contains(key)
        })
    }

    /// What the pushes of this run cost so far.
    pub fn stats(&self) -> PushStats {
        self.branch.as_ref().map_or_else(PushStats::default, |b| {
            b.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .stats
        })
    }
}

/// For `herald doctor`: whether the state branch's remote answers, and whether the
/// branch exists there yet (`Ok(false)`: the first publish creates it). Read-only.
pub fn reach(place: Place<'_>) -> Result<bool, String> {
    let Some(config) = place.branch else {
        return Ok(false);
    };
    let branch = Branch::locate(place.root, config)?;
    let head = format!("refs/heads/{}", config.branch);
    let out = git(&branch.root, &["ls-remote", &config.remote, &head], None).map_err(|e| {
        format!(
            "cannot reach the remote `{}` that holds the state: {e}",
            config.remote
        )
    })?;
    Ok(!out.is_empty())
}

/// The state branch and its checkout.
struct Branch {
    /// The repository, where Git runs.
    root: PathBuf,
    config: BranchConfig,
    /// The checkout of the branch: state files, laid out as in the repository.
    work: PathBuf,
    /// A private index, so that `main`'s index is never touched.
    index: PathBuf,
    /// Where the fetched branch is kept in the repository (`refs/herald/<branch>`).
    tracking: String,
    /// The commit on the remote that the next push builds on (None: no branch yet).
    tip: Option<String>,
    /// Each file of `tip`: its blob.
    tip_files: BTreeMap<String, String>,
    /// Each file of the checkout as last seen: (size, modified, blob), so that a file
    /// nobody wrote is not read again.
    seen: BTreeMap<String, (u64, std::time::SystemTime, String)>,
    stats: PushStats,
    /// The posts another writer recorded something about while this one ran (merged
    /// into its ledger after a refused push).
    foreign: HashSet<crate::ledger::Key>,
}

impl Branch {
    fn locate(root: &Path, config: &BranchConfig) -> Result<Branch, String> {
        let git_dir = git(root, &["rev-parse", "--absolute-git-dir"], None).map_err(|e| {
            format!(
                "`[state] git_branch` keeps Herald's state on a branch of the Git remote, but {} is not a Git repository ({e}); clone the repository, or remove `[state] git_branch` to keep the state in `state/`",
                root.display()
            )
        })?;
        let git_dir = PathBuf::from(String::from_utf8_lossy(&git_dir).trim());
        if git(root, &["remote", "get-url", &config.remote], None).is_err() {
            return Err(format!(
                "`[state] git_remote` is `{}`, but this repository has no remote of that name (`git remote -v` lists them); set `git_remote` to one of them",
                config.remote
            ));
        }
        let dir = git_dir.join("herald");
        Ok(Branch {
            root: root.to_owned(),
            work: dir.join(&config.branch),
            index: dir.join(format!("{}.index", config.branch)),
            tracking: format!("refs/herald/{}", config.branch),
            config: config.clone(),
            tip: None,
            tip_files: BTreeMap::new(),
            seen: BTreeMap::new(),
            stats: PushStats::default(),
            foreign: HashSet::new(),
        })
    }

    /// The commit last fetched or pushed, if any.
    fn local_tip(&self) -> Option<String> {
        git(
            &self.root,
            &["rev-parse", "--verify", "--quiet", &self.tracking],
            None,
        )
        .ok()
        .map(|o| String::from_utf8_lossy(&o).trim().to_owned())
    }

    /// Fetches the branch; a remote without it yet is an empty state.
    fn fetch(&mut self) -> Result<(), String> {
        let refspec = format!("+refs/heads/{}:{}", self.config.branch, self.tracking);
        match git(
            &self.root,
            &[
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                &self.config.remote,
                &refspec,
            ],
            None,
        ) {
            Ok(_) => {
                self.tip = self.local_tip();
                Ok(())
            }
            Err(e) if e.contains("couldn't find remote ref") => {
                // Nobody has published with this branch yet.
                let _ = git(&self.root, &["update-ref", "-d", &self.tracking], None);
                self.tip = None;
                Ok(())
            }
            Err(e) => Err(format!(
                "cannot fetch Herald's state (branch `{}` of `{}`): {e}",
                self.config.branch, self.config.remote
            )),
        }
    }

    /// The files of `commit` (path → blob), refusing anything but plain files: the
    /// branch is written only by Herald, and a link there could point anywhere.
    fn files_of(&self, commit: &str) -> Result<BTreeMap<String, String>, String> {
        let out = git(
            &self.root,
            &["ls-tree", "-r", "-z", "--full-tree", commit],
            None,
        )?;
        let mut files = BTreeMap::new();
        for entry in out.split(|&b| b == 0).filter(|e| !e.is_empty()) {
            let entry = String::from_utf8_lossy(entry);
            let (meta, path) = entry.split_once('\t').unwrap_or((&entry, ""));
            let mut meta = meta.split(' ');
            let (mode, kind, blob) = (meta.next(), meta.next(), meta.next());
            let plain = matches!(mode, Some("100644" | "100755")) && kind == Some("blob");
            if !plain || !safe_path(path) {
                return Err(format!(
                    "the state branch `{}` holds `{path}`, which is not a plain file Herald writes; remove it from the branch",
                    self.config.branch
                ));
            }
            files.insert(path.to_owned(), blob.unwrap_or_default().to_owned());
        }
        Ok(files)
    }

    /// Brings the checkout in line with the fetched tip: files only the branch has are
    /// written, append-only files both have get the branch's lines they lack (an earlier
    /// run on this machine may have written lines it could not push), other files take
    /// the branch's copy. Files only the checkout has stay, to be pushed.
    fn materialize(&mut self, state_dir: &Path) -> Result<(), String> {
        let fresh = !self.work.exists();
        std::fs::create_dir_all(&self.work)
            .map_err(|e| format!("cannot create {}: {e}", self.work.display()))?;
        if fresh && self.tip.is_none() {
            // The branch's very first use: it starts from the state kept in the
            // repository until now (a ledger that was committed to `main`), so that
            // nothing already sent is sent again.
            self.seed(state_dir)?;
        }
        self.tip_files = match &self.tip {
            Some(tip) => self.files_of(tip)?,
            None => BTreeMap::new(),
        };
        let blobs: Vec<String> = self.tip_files.values().cloned().collect();
        let contents = cat_blobs(&self.root, &blobs)?;
        for ((path, _), theirs) in self.tip_files.iter().zip(contents) {
            let file = self.work.join(path);
            let ours = std::fs::read(&file).ok();
            match ours {
                Some(ours) if merge::append_only(path) => {
                    let missing = merge::missing_from(merge::complete_lines(&ours), &theirs);
                    if !missing.is_empty() {
                        append_to(&file, &ours, &missing)?;
                    }
                }
                Some(ours) if ours == theirs => {}
                _ => write_file(&file, &theirs)?,
            }
        }
        self.seen.clear();
        Ok(())
    }

    /// Copies the plain files of the repository's `state_dir` (not the lock) into the
    /// checkout, at the same place.
    fn seed(&self, state_dir: &Path) -> Result<(), String> {
        let from = self.root.join(state_dir);
        let mut stack = vec![from.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file() && !NOT_STATE.contains(&name.as_str()) {
                    let rel = path.strip_prefix(&self.root).expect("walked inside");
                    let text = std::fs::read(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    write_file(&self.work.join(rel), &text)?;
                }
            }
        }
        Ok(())
    }

    /// Notes the posts that `lines`, another writer's ledger lines, are about.
    fn note_foreign(&mut self, lines: &[u8]) {
        for line in lines.split(|&b| b == b'\n') {
            if let Ok(record) = serde_json::from_slice::<crate::ledger::Record>(line) {
                self.foreign.insert(record.key);
            }
        }
    }

    /// The checkout's files (relative paths, `/`-separated).
    fn walk(&self) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        let mut stack = vec![self.work.clone()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
            for entry in entries {
                let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
                let kind = entry.file_type().map_err(|e| e.to_string())?;
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file()
                    && !NOT_STATE.contains(&name.as_str())
                    && !name.ends_with(".tmp")
                {
                    let rel = path
                        .strip_prefix(&self.work)
                        .expect("walked inside")
                        .to_string_lossy()
                        .replace('\\', "/");
                    out.push(rel);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// The tree to push on top of `tip`: every file of the checkout (complete lines of
    /// the append-only ones), merged with what `tip` holds that this checkout did not
    /// write. Adds to the checkout what the tip had and it lacked, so that it stays the
    /// union of both.
    fn build(&mut self) -> Result<(BTreeMap<String, String>, Vec<Stamp>), String> {
        let mut result = self.tip_files.clone();
        let mut fresh: Vec<(String, Vec<u8>)> = Vec::new();
        let mut stamps = Vec::new();
        for path in self.walk()? {
            let file = self.work.join(&path);
            let meta = std::fs::metadata(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let stamp = (meta.len(), meta.modified().map_err(|e| e.to_string())?);
            let theirs_blob = self.tip_files.get(&path);
            if let Some((len, modified, blob)) = self.seen.get(&path)
                && (*len, *modified) == stamp
                && theirs_blob == Some(blob)
            {
                continue;
            }
            // Taken before the file is read: a line added meanwhile changes it again,
            // so the next push reads the file again instead of trusting this one.
            stamps.push((path.clone(), stamp));
            let text =
                std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let ours = if merge::append_only(&path) {
                merge::complete_lines(&text).to_vec()
            } else {
                text.clone()
            };
            let merged = match theirs_blob {
                Some(blob) if merge::append_only(&path) => {
                    let theirs = cat_blobs(&self.root, std::slice::from_ref(blob))?
                        .pop()
                        .unwrap_or_default();
                    let missing = merge::missing_from(&ours, &theirs);
                    let ledger = path.ends_with(crate::ledger::LEDGER_FILE);
                    if !missing.is_empty() {
                        append_to(&file, &text, &missing)?;
                        if ledger {
                            self.note_foreign(&missing);
                        }
                    }
                    merge::union(&theirs, &ours, ledger)
                }
                _ => ours,
            };
            fresh.push((path, merged));
        }
        let blobs = hash_blobs(&self.root, fresh.iter().map(|(_, c)| c.as_slice()))?;
        for ((path, _), blob) in fresh.into_iter().zip(blobs) {
            result.insert(path, blob);
        }
        Ok((result, stamps))
    }

    fn push(&mut self, why: &str) -> Result<(), String> {
        let started = Instant::now();
        let mut wait = Duration::from_millis(50);
        loop {
            let (files, stamps) = self.build()?;
            if self.tip.is_some() && files == self.tip_files {
                self.remember(stamps, &files);
                return Ok(());
            }
            let commit = self.commit(&files, why)?;
            match self.send(&commit)? {
                Pushed::Yes => {
                    let _ = git(&self.root, &["update-ref", &self.tracking, &commit], None);
                    self.tip = Some(commit);
                    self.remember(stamps, &files);
                    self.tip_files = files;
                    let took = started.elapsed();
                    self.stats.pushes += 1;
                    self.stats.total += took;
                    self.stats.last = took;
                    return Ok(());
                }
                Pushed::Behind => {
                    // Someone else pushed first: take their commit and merge again,
                    // as long as the remote answers.
                    self.stats.merges += 1;
                    self.fetch()?;
                    self.tip_files = match &self.tip {
                        Some(tip) => self.files_of(tip)?,
                        None => BTreeMap::new(),
                    };
                    std::thread::sleep(wait.mul_f64(0.5 + fastrand::f64()));
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    /// Notes each file's size and time as they were when it was read, with the blob it
    /// went in as, so that an unchanged file is not read again.
    fn remember(&mut self, stamps: Vec<Stamp>, files: &BTreeMap<String, String>) {
        for (path, (len, modified)) in stamps {
            if let Some(blob) = files.get(&path) {
                self.seen.insert(path, (len, modified, blob.clone()));
            }
        }
    }

    fn commit(&self, files: &BTreeMap<String, String>, why: &str) -> Result<String, String> {
        let _ = std::fs::remove_file(&self.index);
        if let Some(parent) = self.index.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let list: String = files
            .iter()
            .map(|(path, blob)| format!("100644 {blob}\t{path}\n"))
            .collect();
        let index = self.index.to_string_lossy().into_owned();
        git_env(
            &self.root,
            &["update-index", "--add", "--index-info"],
            Some(list.as_bytes()),
            &[("GIT_INDEX_FILE", &index)],
        )?;
        let tree = git_env(
            &self.root,
            &["write-tree"],
            None,
            &[("GIT_INDEX_FILE", &index)],
        )?;
        let tree = String::from_utf8_lossy(&tree).trim().to_owned();
        let mut args = vec!["commit-tree", tree.as_str(), "-m", why];
        if let Some(tip) = &self.tip {
            args.extend(["-p", tip.as_str()]);
        }
        let (name, email) = IDENTITY;
        let commit = git_env(
            &self.root,
            &args,
            None,
            &[
                ("GIT_AUTHOR_NAME", name),
                ("GIT_AUTHOR_EMAIL", email),
                ("GIT_COMMITTER_NAME", name),
                ("GIT_COMMITTER_EMAIL", email),
            ],
        )?;
        Ok(String::from_utf8_lossy(&commit).trim().to_owned())
    }

    fn send(&self, commit: &str) -> Result<Pushed, String> {
        let refspec = format!("{commit}:refs/heads/{}", self.config.branch);
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args([
                "push",
                "--porcelain",
                "--quiet",
                &self.config.remote,
                &refspec,
            ])
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            return Ok(Pushed::Yes);
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let refused = stdout.lines().find(|l| l.starts_with('!'));
        if let Some(line) = refused {
            // Someone else pushed first: refused before the remote looked (`fetch
            // first`), or while it updated the branch, the other push having just moved
            // it (`is at X but expected Y`) or created it (`reference already exists`).
            let said = String::from_utf8_lossy(&out.stderr);
            let moved = line.contains("[remote rejected]")
                && (said.contains("but expected") || said.contains("reference already exists"));
            let behind = line.contains("[rejected]")
                && (line.contains("fetch first") || line.contains("non-fast-forward"));
            if moved || behind {
                return Ok(Pushed::Behind);
            }
            let reason = line.rsplit('\t').next().unwrap_or(line).trim();
            // What the remote said about it (a hook's or GitHub's own words).
            let said: Vec<String> = String::from_utf8_lossy(&out.stderr)
                .lines()
                .filter_map(|l| l.strip_prefix("remote: "))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            let reason = if said.is_empty() {
                reason.to_owned()
            } else {
                format!("{reason}: {}", said.join(" "))
            };
            return Err(format!(
                "the remote `{}` refused Herald's state on branch `{}` ({reason}); allow pushes to that branch (it must not be protected like `main`)",
                self.config.remote, self.config.branch
            ));
        }
        Err(format!(
            "cannot push Herald's state to branch `{}` of `{}`: {}",
            self.config.branch,
            self.config.remote,
            last_line(&out.stderr)
        ))
    }
}

/// A file's size and modification time.
type Stamp = (String, (u64, std::time::SystemTime));

enum Pushed {
    Yes,
    /// Someone else pushed first.
    Behind,
}

/// A path Herald could have written: relative, no `..`, no `.git`.
fn safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != ".." && !c.eq_ignore_ascii_case(".git"))
}

/// Adds `missing` to the end of `file`, whose content was `had`, on a fresh line.
fn append_to(file: &Path, had: &[u8], missing: &[u8]) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(file)
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let mut text = Vec::new();
    if !had.is_empty() && had.last() != Some(&b'\n') {
        // A torn last line (a run that died while writing it) is cut off first.
        let keep = merge::complete_lines(had).len() as u64;
        f.set_len(keep)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    }
    text.extend_from_slice(missing);
    f.write_all(&text)
        .and_then(|()| f.sync_data())
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}

fn write_file(file: &Path, content: &[u8]) -> Result<(), String> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = file.with_extension(format!("{:016x}.tmp", fastrand::u64(..)));
    std::fs::write(&tmp, content)
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}

/// Writes each content as a blob; returns their ids in order.
fn hash_blobs<'a>(
    root: &Path,
    contents: impl Iterator<Item = &'a [u8]>,
) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    for content in contents {
        let id = git(root, &["hash-object", "-w", "--stdin"], Some(content))?;
        ids.push(String::from_utf8_lossy(&id).trim().to_owned());
    }
    Ok(ids)
}

/// The contents of `blobs`, in order, read with one `git cat-file --batch`.
fn cat_blobs(root: &Path, blobs: &[String]) -> Result<Vec<Vec<u8>>, String> {
    if blobs.is_empty() {
        return Ok(Vec::new());
    }
    let input: String = blobs.iter().map(|b| format!("{b}\n")).collect();
    let out = git(root, &["cat-file", "--batch"], Some(input.as_bytes()))?;
    let mut rest = out.as_slice();
    let mut contents = Vec::new();
    for _ in blobs {
        let nl = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("git cat-file answered short")?;
        let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
        let size: usize = header
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("git cat-file: {header}"))?;
        let start = nl + 1;
        contents.push(rest[start..start + size].to_vec());
        rest = &rest[(start + size + 1).min(rest.len())..];
    }
    Ok(contents)
}

fn git(root: &Path, args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, String> {
    git_env(root, args, input, &[])
}

/// Runs git in `root`, never asking for a password; the error is Git's last line.
fn git_env(
    root: &Path,
    args: &[&str],
    input: Option<&[u8]>,
    env: &[(&str, &str)],
) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(root)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot run git: {e}"))?;
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("piped");
        let input = input.to_vec();
        // Written from a thread: git may answer before it has read everything.
        std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(last_line(&out.stderr))
    }
}

fn last_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("git failed")
        .trim();
    without_credentials(line)
}

/// `text` with the user and password of every URL in it hidden: a remote named with a
/// token in its address (`https://x:TOKEN@host/…`) never shows it in Herald's messages.
fn without_credentials(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c == '/' || c.is_whitespace() || c == '\'')
            .unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &tail[at..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{safe_path, without_credentials};

    #[test]
    fn credentials_in_remote_addresses_are_never_shown() {
        for (text, shown) in [
            (
                "fatal: unable to access 'https://x-access-token:ghs_SECRET@github.com/city/news/': 403",
                "fatal: unable to access 'https://***@github.com/city/news/': 403",
            ),
            (
                "https://tok@host/a and ssh://git:pw@h/x",
                "https://***@host/a and ssh://***@h/x",
            ),
            ("file:///tmp/remote.git gone", "file:///tmp/remote.git gone"),
            ("no address here", "no address here"),
        ] {
            assert_eq!(without_credentials(text), shown);
        }
    }

    #[test]
    fn only_paths_herald_could_have_written_are_taken_from_the_branch() {
        for ok in ["state/ledger.jsonl", "public/feed/en/feed.xml", "a"] {
            assert!(safe_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            ".git/config",
            "a/.GIT/hooks",
            "./a",
        ] {
            assert!(!safe_path(bad), "{bad}");
        }
    }
}
