//! Approval by pull-request review: proves through GitHub's API that what goes out now
//! is exactly what a listed approver approved.
//!
//! For a variant that no stamp approves, when the policy lists `github:LOGIN` approvers:
//!
//! 1. the commits that may have brought what goes out now to the branch (from Git
//!    history, which publishing deepens): the newest run of versions of the file with the
//!    current content, and the later commits that changed the configuration or the
//!    templates;
//! 2. for each, the merged pull requests into this branch that brought it
//!    (`commits/{sha}/pulls`: squash, merge and rebase merges alike);
//! 3. each reviewer's standing decision on them ([`approval::standing_approvals`]): an
//!    approval later dismissed or followed by a request for changes approves nothing;
//! 4. for a listed approver's approval, the reviewed commit's own files (the
//!    configuration, the templates, the announcement and its images, read with the
//!    contents API) are rendered by this very Herald, and the approval counts only when
//!    the content hash and every channel's post digest equal what goes out now. So a
//!    review of an earlier push, or a template changed after the review, approves
//!    nothing.
//!
//! It runs only where the commands ask (publishing, `status`), for the variants they
//! name (those due), and never in a run started by a pull request.

use super::{Instance, Planned};
use crate::approval::{self, ReviewProof, State};
use crate::cli::Global;
use crate::github::{self, Client};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

/// Commits looked at per variant.
const MAX_COMMITS: usize = 20;
/// Files read from one reviewed commit's templates folder.
const MAX_TEMPLATE_FILES: usize = 300;

/// Whether and how reviews can be checked in this run.
pub enum Reviews {
    /// Through this client.
    Api(Box<Reviewer>),
    /// Not here, for this reason (no GitHub, no token, a pull request's run).
    Unavailable(String),
}

impl Reviews {
    /// What this run can do, from the environment.
    pub fn from_env(global: &Global, env: &BTreeMap<String, String>) -> Reviews {
        let Some(gh) = github::Env::from_env(env) else {
            return Reviews::Unavailable(
                "an Approve review can only be checked in the publish workflow on GitHub \
                 (GITHUB_REPOSITORY is not set)"
                    .into(),
            );
        };
        if gh.is_pull_request() {
            return Reviews::Unavailable(
                "approvals by review are checked only by the publish workflow, never in a \
                 pull request's run"
                    .into(),
            );
        }
        match Client::new(&gh) {
            Ok(client) => Reviews::Api(Box::new(Reviewer {
                client,
                config: global.config.clone(),
                at: global.at.clone(),
                env: env.clone(),
                branch: gh.ref_name.clone(),
                pulls: RefCell::default(),
                reviews: RefCell::default(),
                trees: RefCell::default(),
            })),
            Err(why) => Reviews::Unavailable(format!("cannot check reviews on GitHub: {why}")),
        }
    }
}

/// Reads reviews and reviewed commits from GitHub, each once per run.
pub struct Reviewer {
    client: Client,
    /// `--config` and `--at` of this run, for loading a reviewed commit.
    config: Option<PathBuf>,
    at: Option<String>,
    env: BTreeMap<String, String>,
    /// The branch being published (`GITHUB_REF_NAME`), else the checked-out one.
    branch: Option<String>,
    pulls: RefCell<HashMap<String, Result<Vec<github::Pull>, String>>>,
    reviews: RefCell<HashMap<u64, Result<Vec<approval::Review>, String>>>,
    /// Reviewed commit → a folder with its configuration and templates.
    trees: RefCell<HashMap<String, Result<std::rc::Rc<tempfile::TempDir>, String>>>,
}

impl Instance {
    /// Decides by review the approval of every planned variant that `wanted` picks and
    /// no stamp approves. Without a way to reach GitHub, such variants stay unapproved
    /// with the reason.
    pub fn settle_reviews(
        &self,
        plan: &mut [Planned<'_>],
        reviews: &Reviews,
        wanted: impl Fn(&Planned<'_>) -> bool,
    ) {
        if !self.settings.policy.by_review() {
            return;
        }
        for p in plan.iter_mut() {
            if matches!(p.state, State::Approved | State::Invalid) || !wanted(p) {
                continue;
            }
            let verdict = match reviews {
                Reviews::Unavailable(why) => {
                    let detail = match &p.verdict.detail {
                        Some(d) => format!("{d} ({why})"),
                        None => why.clone(),
                    };
                    p.verdict.clone().refused(p.state, detail)
                }
                Reviews::Api(r) => {
                    let by_review = r.decide(self, p);
                    // A stamp that failed for its own reason says so too.
                    match (&p.verdict.detail, p.state) {
                        (Some(stamp), State::Changed | State::UnknownApprover)
                            if by_review.state != State::Approved =>
                        {
                            let detail = format!(
                                "{}; and the approval in the file: {stamp}",
                                by_review.detail.clone().unwrap_or_default()
                            );
                            let state = by_review.state;
                            by_review.refused(state, detail)
                        }
                        _ => by_review,
                    }
                }
            };
            p.state = verdict.state;
            p.verdict = verdict;
        }
    }
}

/// Why a candidate approval did not count, strongest reason last kept.
struct Finding {
    state: State,
    detail: String,
    /// How close it came: a later, closer finding replaces an earlier one.
    rank: u8,
}

impl Reviewer {
    fn decide(&self, instance: &Instance, p: &Planned<'_>) -> approval::Verdict {
        let v = p.variant;
        let s = &instance.settings;
        let policy = &s.policy;
        let Some(hash) = p.verdict.hash.clone() else {
            return p.verdict.clone();
        };
        let refuse = |state: State, detail: String| p.verdict.clone().refused(state, detail);
        let mut commits = match instance.content_commits(v, &hash) {
            Ok(c) => c,
            Err(why) => {
                return refuse(
                    State::Draft,
                    format!("cannot tell which pull request brought it: {why}"),
                );
            }
        };
        let first = commits
            .last()
            .cloned()
            .expect("content_commits is never empty");
        let later = crate::git::commits_since(
            &s.root,
            &first,
            &[s.config_path.clone(), s.templates_dir.clone()],
            MAX_COMMITS,
        );
        for c in later.into_iter().rev() {
            if !commits.contains(&c) {
                commits.insert(0, c);
            }
        }
        commits.truncate(MAX_COMMITS);
        let branch = self
            .branch
            .clone()
            .or_else(|| crate::git::current_branch(&s.root));
        let mut best: Option<Finding> = None;
        let mut note = |f: Finding| {
            if best.as_ref().is_none_or(|b| f.rank >= b.rank) {
                best = Some(f);
            }
        };
        let mut seen_pulls = Vec::new();
        for commit in &commits {
            let pulls = match self.pulls_for(commit) {
                Ok(p) => p,
                Err(why) => return refuse(State::Draft, format!("cannot check its review: {why}")),
            };
            for pull in pulls {
                if seen_pulls.contains(&pull.number) {
                    continue;
                }
                seen_pulls.push(pull.number);
                if pull.merged_at.is_none() {
                    continue;
                }
                if let Some(b) = &branch
                    && &pull.base.name != b
                {
                    continue;
                }
                let reviews = match self.reviews_of(pull.number) {
                    Ok(r) => r,
                    Err(why) => {
                        return refuse(State::Draft, format!("cannot check its review: {why}"));
                    }
                };
                match self.judge(instance, p, &hash, &pull, &reviews) {
                    Ok(proofs) => return p.verdict.clone().by_reviews(proofs),
                    Err(f) => note(f),
                }
            }
        }
        match best {
            Some(f) => refuse(f.state, f.detail),
            None => {
                let short = &first[..first.len().min(7)];
                refuse(
                    State::Draft,
                    format!(
                        "it reached the branch without a reviewed pull request (commit {short} was \
                         not merged through one); open a pull request and ask {} for an Approve \
                         review, or approve it with `herald approve`",
                        approval::or_list(&policy.logins())
                    ),
                )
            }
        }
    }

    /// The approvals on `pull` that prove the content, or why there are not enough.
    fn judge(
        &self,
        instance: &Instance,
        p: &Planned<'_>,
        hash: &str,
        pull: &github::Pull,
        reviews: &[approval::Review],
    ) -> Result<Vec<ReviewProof>, Finding> {
        let policy = &instance.settings.policy;
        let n = pull.number;
        let author = &pull.user.login;
        let standing = approval::standing_approvals(reviews);
        if standing.is_empty() {
            let dismissed = reviews
                .iter()
                .filter(|r| r.state == "DISMISSED" || r.state == "CHANGES_REQUESTED")
                .map(|r| format!("@{}", r.login))
                .collect::<Vec<_>>();
            let detail = if reviews.iter().any(|r| r.state == "DISMISSED") {
                format!(
                    "the review in #{n} by {} was dismissed, and nobody approved it since",
                    dedup(&dismissed).join(", ")
                )
            } else if dismissed.is_empty() {
                format!("pull request #{n} was merged without an Approve review")
            } else {
                format!(
                    "pull request #{n} was merged while {} asked for changes, without an Approve review",
                    dedup(&dismissed).join(", ")
                )
            };
            return Err(Finding {
                state: State::Draft,
                detail,
                rank: 1,
            });
        }
        let unlisted: Vec<String> = standing
            .iter()
            .filter(|r| !policy.lists_login(&r.login))
            .map(|r| format!("@{}", r.login))
            .collect();
        let listed: Vec<&&approval::Review> = standing
            .iter()
            .filter(|r| policy.lists_login(&r.login))
            .collect();
        if listed.is_empty() {
            return Err(Finding {
                state: State::UnknownApprover,
                detail: format!(
                    "pull request #{n} was approved by {}, who {} not in `approvers`",
                    unlisted.join(", "),
                    if unlisted.len() == 1 { "is" } else { "are" }
                ),
                rank: 2,
            });
        }
        let mut proofs = Vec::new();
        let mut stale = Vec::new();
        for r in listed {
            if policy.required > 1 && r.login.eq_ignore_ascii_case(author) {
                continue;
            }
            match self.same_posts(instance, p, hash, &r.commit) {
                Ok(()) => proofs.push(ReviewProof {
                    login: r.login.clone(),
                    pull: n,
                    commit: r.commit.clone(),
                    at: r.at.clone(),
                    url: r.url.clone(),
                }),
                Err(why) => stale.push(format!(
                    "the Approve review by @{} in #{n} was for commit {} and {why}",
                    r.login,
                    &r.commit[..r.commit.len().min(7)]
                )),
            }
        }
        if proofs.len() >= policy.required {
            return Ok(proofs);
        }
        if !stale.is_empty() && proofs.is_empty() {
            return Err(Finding {
                state: State::Changed,
                detail: format!(
                    "{}; what goes out now was never approved: make the change in a new pull \
                     request and ask for an Approve review there",
                    stale.join("; ")
                ),
                rank: 3,
            });
        }
        let have: Vec<String> = proofs.iter().map(|p| format!("@{}", p.login)).collect();
        Err(Finding {
            state: State::Draft,
            detail: format!(
                "needs {} Approve reviews by different approvers other than the pull request's author (@{author}); #{n} has {}",
                policy.required,
                if have.is_empty() {
                    "none".to_owned()
                } else {
                    have.join(", ")
                }
            ),
            rank: 3,
        })
    }

    /// `Ok` when rendering `commit`'s own files gives exactly the content and posts that
    /// go out now; else what differs, in plain words.
    fn same_posts(
        &self,
        instance: &Instance,
        p: &Planned<'_>,
        hash: &str,
        commit: &str,
    ) -> Result<(), String> {
        let v = p.variant;
        let unreadable = |why: String| format!("Herald cannot read that commit on GitHub ({why})");
        let tree = self.tree(instance, commit).map_err(unreadable)?;
        let root = tree.path();
        let path = v.path.to_string_lossy().replace('\\', "/");
        let Some(bytes) = self
            .client
            .file_at(&path, commit)
            .map_err(|e| unreadable(e.message))?
        else {
            return Err(format!("`{path}` is not in it"));
        };
        write_inside(root, &path, &bytes).map_err(unreadable)?;
        let load = || {
            Instance::load(
                &Global {
                    root: None,
                    config: self.config.clone(),
                    at: self.at.clone(),
                    only: Some(v.id.clone()),
                    channel: None,
                    format: crate::cli::Format::Text,
                    quiet: true,
                    verbose: false,
                },
                root.to_path_buf(),
                &self.env,
                false,
            )
        };
        let reviewed = load().map_err(|e| format!("its configuration does not load ({e})"))?;
        let Some(old) = reviewed.variants().find(|x| x.lang == v.lang) else {
            return Err(format!("`{path}` there is not the same announcement"));
        };
        let images: Vec<String> = old.front.images.iter().map(|i| i.path.clone()).collect();
        for img in &images {
            match self.client.file_at(img, commit) {
                Ok(Some(bytes)) => write_inside(root, img, &bytes).map_err(unreadable)?,
                Ok(None) => return Err(format!("the image `{img}` is not in it")),
                Err(e) => return Err(unreadable(e.message)),
            }
        }
        let reviewed = load().map_err(|e| format!("its configuration does not load ({e})"))?;
        let plan = reviewed.plan_where(None, |x| x.id == v.id && x.lang == v.lang);
        let Some(then) = plan.first() else {
            return Err(format!("`{path}` there is not the same announcement"));
        };
        // What was reviewed is removed again: the folder is shared by the variants of
        // this commit.
        let _ = std::fs::remove_file(root.join(&path));
        if then.verdict.hash.as_deref() != Some(hash) {
            return Err("the announcement changed after it".into());
        }
        let now = &p.verdict.posts;
        let before = &then.verdict.posts;
        if now != before {
            let mut changed: Vec<String> = now
                .iter()
                .filter(|(c, d)| before.get(*c) != Some(d))
                .map(|(c, _)| format!("`{c}`"))
                .collect();
            changed.extend(
                before
                    .keys()
                    .filter(|c| !now.contains_key(*c))
                    .map(|c| format!("`{c}`")),
            );
            return Err(format!(
                "what goes out to {} changed after it (a template or the configuration changed)",
                changed.join(", ")
            ));
        }
        Ok(())
    }

    fn pulls_for(&self, commit: &str) -> Result<Vec<github::Pull>, String> {
        self.pulls
            .borrow_mut()
            .entry(commit.to_owned())
            .or_insert_with(|| self.client.pulls_for_commit(commit).map_err(|e| e.message))
            .clone()
    }

    fn reviews_of(&self, number: u64) -> Result<Vec<approval::Review>, String> {
        self.reviews
            .borrow_mut()
            .entry(number)
            .or_insert_with(|| {
                let list = self.client.reviews(number).map_err(|e| e.message)?;
                Ok(facts(list))
            })
            .clone()
    }

    /// A folder with `commit`'s configuration and templates, read once.
    fn tree(
        &self,
        instance: &Instance,
        commit: &str,
    ) -> Result<std::rc::Rc<tempfile::TempDir>, String> {
        self.trees
            .borrow_mut()
            .entry(commit.to_owned())
            .or_insert_with(|| self.fetch_tree(instance, commit).map(std::rc::Rc::new))
            .clone()
    }

    fn fetch_tree(&self, instance: &Instance, commit: &str) -> Result<tempfile::TempDir, String> {
        let s = &instance.settings;
        let dir = tempfile::Builder::new()
            .prefix("herald-review-")
            .tempdir()
            .map_err(|e| format!("cannot make a folder: {e}"))?;
        let config = s.config_path.to_string_lossy().replace('\\', "/");
        let bytes = self
            .client
            .file_at(&config, commit)
            .map_err(|e| e.message)?
            .ok_or_else(|| format!("it has no `{config}`"))?;
        write_inside(dir.path(), &config, &bytes)?;
        // The templates folder that commit's configuration names.
        let env = self.env.clone();
        let templates = crate::settings::Settings::load(dir.path(), Some(&s.config_path), &env)
            .map(|reviewed| reviewed.templates_dir)
            .unwrap_or_else(|_| s.templates_dir.clone());
        let templates = templates.to_string_lossy().replace('\\', "/");
        let mut count = 0;
        self.fetch_dir(&s.root, dir.path(), &templates, commit, 0, &mut count)?;
        Ok(dir)
    }

    /// Copies the folder `path` as of `commit` into `into`: each file from this
    /// repository's own Git objects when it has the same blob, else from GitHub.
    fn fetch_dir(
        &self,
        repo: &Path,
        into: &Path,
        path: &str,
        commit: &str,
        depth: usize,
        count: &mut usize,
    ) -> Result<(), String> {
        if depth > 4 {
            return Ok(());
        }
        let Some(entries) = self.client.dir_at(path, commit).map_err(|e| e.message)? else {
            return Ok(());
        };
        for e in entries {
            match e.kind.as_str() {
                "dir" => self.fetch_dir(repo, into, &e.path, commit, depth + 1, count)?,
                "file" => {
                    *count += 1;
                    if *count > MAX_TEMPLATE_FILES {
                        return Err(format!(
                            "its templates folder has more than {MAX_TEMPLATE_FILES} files"
                        ));
                    }
                    let bytes = match crate::git::blob(repo, &e.sha) {
                        Some(b) => b,
                        None => self
                            .client
                            .file_at(&e.path, commit)
                            .map_err(|e| e.message)?
                            .ok_or_else(|| format!("`{}` vanished while reading", e.path))?,
                    };
                    write_inside(into, &e.path, &bytes)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Writes `bytes` at the relative `path` below `root`; a path that would leave it (an
/// absolute path, `..`) is refused.
fn write_inside(root: &Path, path: &str, bytes: &[u8]) -> Result<(), String> {
    let rel = PathBuf::from(path);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!(
            "`{path}` is not a plain path inside the repository"
        ));
    }
    let full = root.join(&rel);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot write `{path}`: {e}"))?;
    }
    std::fs::write(&full, bytes).map_err(|e| format!("cannot write `{path}`: {e}"))
}

/// GitHub's reviews as the approval rule reads them; a review whose account is gone or
/// that names no commit approves nothing and is left out.
fn facts(list: Vec<github::Review>) -> Vec<approval::Review> {
    list.into_iter()
        .filter_map(|r| {
            Some(approval::Review {
                login: r.user?.login,
                state: r.state,
                commit: r.commit_id?,
                at: r.submitted_at,
                url: r.html_url,
            })
        })
        .collect()
}

fn dedup(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(i) {
            out.push(i.clone());
        }
    }
    out
}

/// Where the content of a post came from on GitHub, for the comment after it went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Pull(u64),
    Commit(String),
}

impl Reviews {
    /// The reviewer, when this run can reach GitHub.
    pub fn reviewer(&self) -> Option<&Reviewer> {
        match self {
            Reviews::Api(r) => Some(r),
            Reviews::Unavailable(_) => None,
        }
    }
}

impl Reviewer {
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The merged pull request that brought `p`'s content (the one whose review approved
    /// it, else the one that merged the commit that first had it), else that commit.
    pub fn origin(&self, instance: &Instance, p: &Planned<'_>) -> Option<Origin> {
        if let Some(proof) = p.verdict.reviews.first() {
            return Some(Origin::Pull(proof.pull));
        }
        let s = &instance.settings;
        let hash = p.verdict.hash.as_deref()?;
        let first = instance
            .content_commits(p.variant, hash)
            .ok()
            .and_then(|c| c.last().cloned())
            .or_else(|| {
                crate::git::log(&s.root, &p.variant.path, 1)
                    .into_iter()
                    .next()
                    .map(|c| c.hash)
            })?;
        let pull = self
            .pulls_for(&first)
            .ok()
            .and_then(|pulls| pulls.into_iter().find(|p| p.merged_at.is_some()));
        Some(match pull {
            Some(p) => Origin::Pull(p.number),
            None => Origin::Commit(first),
        })
    }
}

/// Whether some post of `p` has not gone out yet (so its approval still matters).
pub fn pending(p: &Planned<'_>, history: &crate::ledger::History) -> bool {
    p.posts.iter().filter(|post| !post.skipped).any(|post| {
        let key = crate::ledger::Key {
            id: p.variant.id.clone(),
            lang: p.variant.lang.clone(),
            channel: post.channel.name().to_owned(),
            part: 1,
        };
        !matches!(
            history.state(&key),
            Some(crate::ledger::KeyState::Posted { .. })
        )
    })
}

/// Whether `p` is due now (or missed, when the run sends late posts) and not every post
/// of it went out: the variants whose review a run checks. Others wait and cost no
/// requests, so old drafts that missed their time do not use up GitHub's hourly limit.
pub fn due_and_pending(
    instance: &Instance,
    p: &Planned<'_>,
    history: &crate::ledger::History,
    allow_late: bool,
) -> bool {
    use crate::schedule::{Timing, timing};
    let when = timing(
        &p.variant.front,
        instance.now,
        instance.settings.publishing.max_delay,
    );
    ((when == Timing::Due || (allow_late && when == Timing::Missed)) && pending(p, history))
        || super::change::changed_since_posting(p, history)
}

/// For the preview on a pull request: the variants this pull request changes (all of
/// them when it changes the configuration or the templates) show as approved when listed
/// approvers approved its newest commit, as the publish run will find after the merge
/// (which checks the reviews again). Only what the preview shows changes.
pub fn preview_approvals(
    instance: &Instance,
    plan: &mut [Planned<'_>],
    client: &Client,
    pull: &github::event::PullEvent,
) -> Result<(), String> {
    let s = &instance.settings;
    let policy = &s.policy;
    let Some(head) = &pull.head_sha else {
        return Ok(());
    };
    let reviews = facts(client.reviews(pull.number).map_err(|e| e.message)?);
    let author = pull.author.as_deref().unwrap_or_default();
    let proofs: Vec<ReviewProof> = approval::standing_approvals(&reviews)
        .into_iter()
        .filter(|r| policy.lists_login(&r.login) && &r.commit == head)
        .filter(|r| policy.required < 2 || !r.login.eq_ignore_ascii_case(author))
        .map(|r| ReviewProof {
            login: r.login.clone(),
            pull: pull.number,
            commit: r.commit.clone(),
            at: r.at.clone(),
            url: r.url.clone(),
        })
        .collect();
    if proofs.len() < policy.required.max(1) {
        return Ok(());
    }
    let Some(changed) = crate::git::changed_by_merge(&s.root) else {
        return Ok(());
    };
    let under = |f: &str, dir: &Path| Path::new(f).starts_with(dir);
    let everything = changed
        .iter()
        .any(|f| Path::new(f) == s.config_path || under(f, &s.templates_dir));
    let who: Vec<String> = proofs.iter().map(|p| format!("@{}", p.login)).collect();
    for p in plan.iter_mut() {
        let path = p.variant.path.to_string_lossy().replace('\\', "/");
        if matches!(p.state, State::Approved | State::Invalid)
            || !(everything || changed.contains(&path))
        {
            continue;
        }
        let mut verdict = p.verdict.clone().by_reviews(proofs.clone());
        verdict.detail = Some(format!(
            "by {} on this pull request's newest commit; Herald checks the review again when it publishes",
            who.join(" and ")
        ));
        p.state = State::Approved;
        p.verdict = verdict;
    }
    Ok(())
}
