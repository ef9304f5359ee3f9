//! What was approved: a hash that pins the content, digests that pin what each channel
//! receives, and the state they give a variant.
//!
//! An approval pins two things, and a variant is `approved` only while both still hold:
//!
//! - **the content** (`hash`): the variant's id and language, its front matter without
//!   the `approval` block (as parsed values, so re-indenting the YAML or reordering fields
//!   does not change it, while changing any value does), the body with line endings
//!   normalised, and the bytes of every image it references;
//! - **the posts** (`posts`): for every channel the variant goes to, a digest of exactly
//!   what that channel would receive (the requests the dry run shows: every part's text,
//!   the link card, the images, the channel's settings that reach the request). A changed
//!   template, channel setting, configuration or Herald version that alters what a
//!   channel would receive, a channel added or removed, all make the variant `changed`.
//!
//! Checks that need Git history (provenance, the content's author) never pass on history
//! Herald cannot see: in a shallow clone they fail with a reason unless the clone was
//! deepened first ([`History::inspect`]).

use crate::announcement::{
    Approval, FieldContext, FrontMatter, Variant, parse_front_matter, split_front_matter,
};
use crate::git;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Channel name → digest of what that channel would receive.
pub type PostDigests = BTreeMap<String, String>;

/// Where a variant stands with respect to approval (SPEC §5 `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Not approved yet.
    Draft,
    /// Approved by a listed approver, unchanged since.
    Approved,
    /// Edited after approval.
    Changed,
    /// Approved by someone who is not in `approvers`.
    UnknownApprover,
    /// Has errors.
    Invalid,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Approved => "approved",
            State::Changed => "changed",
            State::UnknownApprover => "unknown_approver",
            State::Invalid => "invalid",
        }
    }

    /// Words for people.
    pub fn describe(self) -> &'static str {
        match self {
            State::Draft => "draft (not approved)",
            State::Approved => "approved",
            State::Changed => "changed after approval",
            State::UnknownApprover => "approved by someone not in `approvers`",
            State::Invalid => "has errors",
        }
    }

    pub fn publishable(self) -> bool {
        self == State::Approved
    }
}

/// `sha256:<hex>` of the variant's content, images read from the work tree.
pub fn content_hash(root: &Path, v: &Variant) -> std::io::Result<String> {
    hash_parts(&v.id, &v.lang, &v.front, &v.body, |path| {
        crate::limits::read_limited(&root.join(path), crate::limits::IMAGE_BYTES, "image")
    })
}

/// The hash over id, language, front matter (as parsed values), body and image bytes.
fn hash_parts(
    id: &str,
    lang: &str,
    front: &FrontMatter,
    body: &str,
    image: impl Fn(&str) -> std::io::Result<Vec<u8>>,
) -> std::io::Result<String> {
    #[derive(Serialize)]
    struct Hashed<'a> {
        id: &'a str,
        lang: &'a str,
        front: &'a FrontMatter,
    }
    let mut h = Sha256::new();
    let head = serde_json::to_vec(&Hashed { id, lang, front }).expect("front matter serialises");
    field(&mut h, &head);
    field(&mut h, body.as_bytes());
    for img in &front.images {
        field(&mut h, &image(&img.path)?);
    }
    Ok(format!("sha256:{}", hex(&h.finalize())))
}

/// Length-prefixed, so no two different inputs hash the same concatenation.
fn field(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_be_bytes());
    h.update(bytes);
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The digest that pins what one channel receives: over the channel's kind and the body
/// of every request it would make for the post, in order (the same requests the dry run
/// prints; [`crate::plan::digest`] finds them), so a change anywhere that alters them
/// (template, channel setting, Herald itself) alters the digest. The URLs are left out:
/// they name where a request goes, not what it says (and may hold secrets). 128 bits, as
/// 32 hex digits: short enough to read in the front matter, too long to find a collision
/// for.
pub fn requests_digest<'a>(
    kind: &str,
    bodies: impl IntoIterator<Item = &'a serde_json::Value>,
) -> String {
    let mut h = Sha256::new();
    field(&mut h, kind.as_bytes());
    for body in bodies {
        let body = serde_json::to_vec(body).expect("a request body serialises");
        field(&mut h, &body);
    }
    hex(&h.finalize()[..16])
}

/// How approvals must be proven (`approval_provenance` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// The approval block is trusted as written.
    #[default]
    None,
    /// The commit that added each approval must be authored by that approver.
    Author,
    /// …and carry a signature Git verifies as good.
    Signed,
}

/// The rules approvals are checked against.
#[derive(Debug, Clone)]
pub struct Policy {
    pub approvers: Vec<String>,
    /// Different approvers needed; with two or more, the author of the content (from
    /// Git) does not count as one of them.
    pub required: usize,
    pub provenance: Provenance,
}

impl Policy {
    /// Whether deciding a state needs Git history (provenance, who wrote the content, or
    /// the commits that brought it through a reviewed pull request).
    pub fn needs_history(&self) -> bool {
        self.provenance != Provenance::None || self.required > 1 || self.by_review()
    }

    /// Whether some approver approves with a GitHub review (`github:LOGIN`).
    pub fn by_review(&self) -> bool {
        self.approvers.iter().any(|a| github_login(a).is_some())
    }

    /// Whether `login` is listed as `github:LOGIN` (GitHub logins ignore case).
    pub fn lists_login(&self, login: &str) -> bool {
        self.approvers
            .iter()
            .filter_map(|a| github_login(a))
            .any(|l| l.eq_ignore_ascii_case(login))
    }

    /// The listed GitHub logins, as `@login`, for messages.
    pub fn logins(&self) -> Vec<String> {
        self.approvers
            .iter()
            .filter_map(|a| github_login(a))
            .map(|l| format!("@{l}"))
            .collect()
    }
}

/// The login of an approver written `github:LOGIN`.
pub fn github_login(approver: &str) -> Option<&str> {
    let login = approver.strip_prefix("github:")?;
    is_login(login).then_some(login)
}

/// GitHub's rule for a login: letters, digits and single hyphens inside, at most 39.
pub fn is_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 39
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !login.starts_with('-')
        && !login.ends_with('-')
        && !login.contains("--")
}

/// One review of a pull request, as the approval rule reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub login: String,
    /// GitHub's state: `APPROVED`, `CHANGES_REQUESTED`, `DISMISSED`, `COMMENTED`, `PENDING`.
    pub state: String,
    /// The commit the reviewer saw.
    pub commit: String,
    pub at: Option<String>,
    pub url: Option<String>,
}

/// Each reviewer's standing decision, oldest reviews first in `reviews` (GitHub's
/// order): the last review that approved, asked for changes or was dismissed. Comments
/// and pending reviews decide nothing. Only the approving decisions are returned; a
/// reviewer who approved and later asked for changes (or whose approval was dismissed)
/// approves nothing.
pub fn standing_approvals(reviews: &[Review]) -> Vec<&Review> {
    let mut last: Vec<&Review> = Vec::new();
    for r in reviews {
        if !matches!(
            r.state.as_str(),
            "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED"
        ) {
            continue;
        }
        last.retain(|x| !x.login.eq_ignore_ascii_case(&r.login));
        last.push(r);
    }
    last.retain(|r| r.state == "APPROVED");
    last
}

/// An approval proven through GitHub: the review, on the pull request that brought the
/// content, of a commit whose posts are exactly those that go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewProof {
    pub login: String,
    pub pull: u64,
    pub commit: String,
    pub at: Option<String>,
    pub url: Option<String>,
}

impl ReviewProof {
    /// "approved by @kadri-tamm in #12".
    pub fn describe(&self) -> String {
        format!("approved by @{} in #{}", self.login, self.pull)
    }
}

/// Whether the Git history Herald reads is complete, found out once per run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// Whether the root is in a Git work tree (looked at only when the policy needs
    /// history).
    pub repo: bool,
    /// Why the history cannot be trusted to be whole (a shallow clone that could not be
    /// deepened); every check that needs history fails with this reason.
    pub gap: Option<String>,
}

impl History {
    /// Looks at the repository at `root`; when it is a shallow clone and `deepen` is
    /// set, fetches the rest of its history first (`git fetch --unshallow`). Only
    /// policies that need history look at all.
    pub fn inspect(root: &Path, policy: &Policy, deepen: bool) -> History {
        if !policy.needs_history() || !git::is_repo(root) {
            return History::default();
        }
        let whole = History {
            repo: true,
            gap: None,
        };
        if !git::is_shallow(root) {
            return whole;
        }
        let fetched = if deepen {
            git::unshallow(root).err()
        } else {
            None
        };
        if !git::is_shallow(root) {
            return whole;
        }
        let why = match fetched {
            Some(e) => format!(
                "this is a shallow clone (only the newest commits) and fetching the rest of the \
                 history failed ({e}); Herald cannot prove who approved without it"
            ),
            None => "this is a shallow clone (only the newest commits), so Git cannot show who \
                     approved; `herald publish` fetches the full history, or run \
                     `git fetch --unshallow` (in GitHub Actions: `fetch-depth: 0` on \
                     `actions/checkout`)"
                .to_owned(),
        };
        History {
            repo: true,
            gap: Some(why),
        }
    }
}

/// What deciding a state needs besides the variant.
pub struct Context<'a> {
    pub fields: &'a FieldContext<'a>,
    pub history: &'a History,
    /// The configuration file and the templates folder, relative to the root: named when
    /// they explain why a post changed.
    pub config_path: &'a Path,
    pub templates_dir: &'a Path,
    /// Channel name → kind, as the templates folders are named.
    pub channel_kinds: &'a BTreeMap<String, &'static str>,
}

/// A variant's state, why, its content hash and what each channel would receive.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub state: State,
    /// For people: what changed, who is missing, what Git says.
    pub detail: Option<String>,
    pub hash: Option<String>,
    /// The digest of every channel's posts as they are now: what an approval pins.
    pub posts: PostDigests,
    /// The reviews that approved it on GitHub (empty when stamps did).
    pub reviews: Vec<ReviewProof>,
}

impl Verdict {
    fn new(state: State, detail: Option<String>, hash: Option<String>) -> Verdict {
        Verdict {
            state,
            detail,
            hash,
            posts: PostDigests::new(),
            reviews: Vec::new(),
        }
    }

    /// Approved by these reviews.
    pub fn by_reviews(self, reviews: Vec<ReviewProof>) -> Verdict {
        Verdict {
            state: State::Approved,
            detail: None,
            reviews,
            ..self
        }
    }

    /// Not approved, for this reason.
    pub fn refused(self, state: State, detail: String) -> Verdict {
        Verdict {
            state,
            detail: Some(detail),
            reviews: Vec::new(),
            ..self
        }
    }

    /// `changed after approval (the body)`, or just the state's words.
    pub fn describe(&self) -> String {
        match &self.detail {
            Some(d) => format!("{} ({d})", self.state.describe()),
            None => self.state.describe().to_owned(),
        }
    }
}

/// Decides whether `v` may be published under `policy`; `posts` are the digests of what
/// each of its channels would receive now ([`crate::plan::digest::post_digest`]).
pub fn verdict(ctx: &Context<'_>, v: &Variant, policy: &Policy, posts: &PostDigests) -> Verdict {
    let mut verdict = decide(ctx, v, policy, posts);
    verdict.posts = posts.clone();
    verdict
}

fn decide(ctx: &Context<'_>, v: &Variant, policy: &Policy, posts: &PostDigests) -> Verdict {
    let root = ctx.fields.root;
    if !v.is_valid() {
        return Verdict::new(State::Invalid, None, None);
    }
    let hash = match content_hash(root, v) {
        Ok(h) => h,
        Err(e) => {
            return Verdict::new(
                State::Invalid,
                Some(format!("cannot read an image: {e}")),
                None,
            );
        }
    };
    if v.front.approvals.is_empty() {
        let waiting = policy.by_review().then(|| {
            format!(
                "waiting for an Approve review by {} on the pull request that brings it to \
                 the main branch; Herald checks the review when it publishes",
                or_list(&policy.logins())
            )
        });
        return Verdict::new(State::Draft, waiting, Some(hash));
    }
    let same_content: Vec<&Approval> = v
        .front
        .approvals
        .iter()
        .filter(|a| a.hash == hash)
        .collect();
    if same_content.is_empty() {
        let what = what_changed(ctx, v, &v.front.approvals[0]);
        return Verdict::new(State::Changed, what, Some(hash));
    }
    let current: Vec<&Approval> = same_content
        .iter()
        .copied()
        .filter(|a| a.posts.as_ref() == Some(posts))
        .collect();
    if current.is_empty() {
        let what = posts_changed(ctx, v, same_content[0], posts);
        return Verdict::new(State::Changed, Some(what), Some(hash));
    }
    // A GitHub account approves with a review, which Herald checks with GitHub; a stamp
    // in its name proves nothing (anyone can write one).
    let listed = |a: &&Approval| {
        github_login(&a.by).is_none()
            && policy
                .approvers
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&a.by))
    };
    // One approver counts once, however often (and wherever) their stamp is copied.
    let mut seen = HashSet::new();
    let mut valid: Vec<&Approval> = current
        .iter()
        .copied()
        .filter(listed)
        .filter(|a| seen.insert(a.by.to_lowercase()))
        .collect();
    if valid.is_empty() {
        if let Some(a) = current.iter().find(|a| a.by.starts_with("github:")) {
            let detail = format!(
                "`{}` approves with an Approve review on the pull request, not with a stamp in the file",
                a.by
            );
            return Verdict::new(State::UnknownApprover, Some(detail), Some(hash));
        }
        let who: Vec<&str> = current.iter().map(|a| a.by.as_str()).collect();
        let detail = format!("{} is not in `approvers`", who.join(", "));
        return Verdict::new(State::UnknownApprover, Some(detail), Some(hash));
    }
    // Read from Git once, by whichever check needs it first.
    let versions = std::cell::OnceCell::new();
    let versions = || versions.get_or_init(|| history(root, v, ctx.fields));
    if policy.provenance != Provenance::None {
        if !ctx.history.repo {
            let why = "cannot prove who approved: the repository has no Git history".to_owned();
            return Verdict::new(State::UnknownApprover, Some(why), Some(hash));
        }
        if let Some(gap) = &ctx.history.gap {
            let why = format!("cannot prove who approved: {gap}");
            return Verdict::new(State::UnknownApprover, Some(why), Some(hash));
        }
        let versions = match versions() {
            Ok(versions) => versions,
            Err(why) => {
                let why = format!("cannot prove who approved: {why}");
                return Verdict::new(State::UnknownApprover, Some(why), Some(hash));
            }
        };
        for a in &valid {
            if let Err(why) = prove(versions, a, policy.provenance) {
                return Verdict::new(State::UnknownApprover, Some(why), Some(hash));
            }
        }
    }
    if policy.required > 1 {
        let author = match content_author(ctx, versions(), &hash) {
            Ok(a) => a,
            Err(why) => return Verdict::new(State::Draft, Some(why), Some(hash)),
        };
        valid.retain(|a| !a.by.eq_ignore_ascii_case(&author));
        if valid.len() < policy.required {
            let have: Vec<&str> = valid.iter().map(|a| a.by.as_str()).collect();
            let detail = format!(
                "needs {} approvals by different approvers other than the author ({author}); has {}",
                policy.required,
                if have.is_empty() {
                    "none".to_owned()
                } else {
                    have.join(", ")
                }
            );
            return Verdict::new(State::Draft, Some(detail), Some(hash));
        }
    }
    Verdict::new(State::Approved, None, Some(hash))
}

/// "@a", "@a or @b", "@a, @b or @c".
pub fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The commits that may have brought the current content of `v` (content hash `hash`)
/// to the checked-out branch, newest first: the newest run of versions in Git history
/// with this content (the last one is the commit that first had it). An error when the
/// history cannot show it (a shallow clone, content not committed).
pub fn content_commits(ctx: &Context<'_>, v: &Variant, hash: &str) -> Result<Vec<String>, String> {
    if !ctx.history.repo {
        return Err("the repository has no Git history".into());
    }
    if let Some(gap) = &ctx.history.gap {
        return Err(gap.clone());
    }
    let versions = history(ctx.fields.root, v, ctx.fields)?;
    let run: Vec<String> = versions
        .list
        .iter()
        .take_while(|o| o.hash == hash)
        .map(|o| o.commit.hash.clone())
        .collect();
    if run.is_empty() {
        return Err("this version is not committed yet".into());
    }
    Ok(run)
}

/// Names, in plain words, how what the channels would receive differs from what `a`
/// approved, and why: "the post for `x_en` changed, because `templates/x/post.txt.hbs`
/// changed; `linkedin_en` was added after approval".
fn posts_changed(ctx: &Context<'_>, v: &Variant, a: &Approval, now: &PostDigests) -> String {
    let Some(then) = &a.posts else {
        return "approved with an earlier Herald that did not pin the posts each channel \
                receives; approve it again"
            .to_owned();
    };
    let root = ctx.fields.root;
    // The commit that added the stamp: what the approver saw.
    let approved_in = history(root, v, ctx.fields)
        .ok()
        .filter(|_| ctx.history.gap.is_none())
        .and_then(|versions| stamp_commit(&versions, a).map(|c| c.hash.clone()));
    let mut changes = Vec::new();
    for (channel, digest) in now {
        match then.get(channel) {
            None => changes.push(format!(
                "`{channel}` was added after approval, and nobody approved what it would receive"
            )),
            Some(old) if old != digest => {
                let kind = ctx.channel_kinds.get(channel).copied();
                let why = cause(ctx, approved_in.as_deref(), kind);
                changes.push(format!("the post for `{channel}` changed, because {why}"));
            }
            Some(_) => {}
        }
    }
    for channel in then.keys().filter(|c| !now.contains_key(*c)) {
        changes.push(format!(
            "`{channel}` was approved but no longer receives this announcement"
        ));
    }
    if changes.is_empty() {
        changes.push("what the channels receive changed".into());
    }
    changes.join("; ")
}

/// Why a channel's post changed while the content did not: the files that decide it and
/// changed since the approval's commit, else Herald itself.
fn cause(ctx: &Context<'_>, approved_in: Option<&str>, kind: Option<&str>) -> String {
    let root = ctx.fields.root;
    let Some(commit) = approved_in else {
        return "a template, the configuration or Herald itself changed since the approval"
            .to_owned();
    };
    let mut paths = vec![ctx.config_path.to_path_buf()];
    if let Some(kind) = kind {
        paths.insert(0, ctx.templates_dir.join(kind));
    }
    match git::changed_since(root, commit, &paths) {
        Some(files) if !files.is_empty() => {
            let named: Vec<String> = files.iter().map(|f| format!("`{f}`")).collect();
            format!("{} changed", named.join(" and "))
        }
        Some(_) => format!(
            "Herald itself (its built-in templates or how it builds posts) changed; this is \
             Herald {}",
            env!("CARGO_PKG_VERSION")
        ),
        None => {
            "a template, the configuration or Herald itself changed since the approval".to_owned()
        }
    }
}

/// The commit that added the stamp `a`: the oldest commit of the newest run of
/// versions that carry exactly this stamp. `None` when the newest version does not carry
/// it (not committed yet) or when the run reaches back past what Herald read.
fn stamp_commit<'v>(versions: &'v Versions, a: &Approval) -> Option<&'v git::Commit> {
    let carries = |o: &OldVersion| o.front.approvals.iter().any(|x| x == a);
    let run = versions.list.iter().take_while(|o| carries(o)).count();
    if run == 0 || (run == versions.list.len() && versions.truncated) {
        return None;
    }
    Some(&versions.list[run - 1].commit)
}

/// Checks with Git that the commit that added this approval was made by the approver
/// (and signed, when required).
fn prove(versions: &Versions, a: &Approval, provenance: Provenance) -> Result<(), String> {
    let carries = |o: &OldVersion| o.front.approvals.iter().any(|x| x == a);
    if versions.list.first().is_none_or(|o| !carries(o)) {
        return Err(format!(
            "the approval by {} is not committed yet; commit it to prove who approved",
            a.by
        ));
    }
    let Some(commit) = stamp_commit(versions, a) else {
        return Err(format!(
            "cannot prove who approved: the approval by {} is older than the {} versions of \
             the file Herald reads",
            a.by, HISTORY_LIMIT
        ));
    };
    let short = &commit.hash[..commit.hash.len().min(10)];
    if !commit.author_email.eq_ignore_ascii_case(&a.by) {
        return Err(format!(
            "the approval by {} was committed by {} (commit {short}); approvers commit their own approvals",
            a.by, commit.author_email
        ));
    }
    if provenance == Provenance::Signed && commit.signature != 'G' {
        return Err(format!(
            "the commit with the approval by {} ({short}) has no good signature",
            a.by
        ));
    }
    Ok(())
}

/// How many versions of a file Herald reads from Git history.
const HISTORY_LIMIT: usize = 500;

/// A version of `v` from Git history, parsed.
struct OldVersion {
    commit: git::Commit,
    front: FrontMatter,
    body: String,
    hash: String,
}

/// The versions of a file in Git history, newest first.
struct Versions {
    list: Vec<OldVersion>,
    /// Whether there may be older versions than `list` holds.
    truncated: bool,
}

/// The versions of `v` in Git history, newest first, with their content hashes. A
/// version that does not parse is left out (it approves nothing); one whose file Git
/// cannot produce means the history is incomplete, which is an error.
fn history(root: &Path, v: &Variant, fields: &FieldContext<'_>) -> Result<Versions, String> {
    let commits = git::log(root, &v.path, HISTORY_LIMIT);
    let truncated = commits.len() >= HISTORY_LIMIT;
    let mut list = Vec::with_capacity(commits.len());
    for commit in commits {
        let Some(bytes) = git::show(root, &commit.hash, &v.path) else {
            return Err(format!(
                "Git cannot show {} as of commit {} (the history is incomplete)",
                v.path.display(),
                &commit.hash[..commit.hash.len().min(10)]
            ));
        };
        let Some(old) = parse_version(root, v, fields, commit, bytes) else {
            continue;
        };
        list.push(old);
    }
    Ok(Versions { list, truncated })
}

fn parse_version(
    root: &Path,
    v: &Variant,
    fields: &FieldContext<'_>,
    commit: git::Commit,
    bytes: Vec<u8>,
) -> Option<OldVersion> {
    let text = crate::announcement::normalize_newlines(String::from_utf8(bytes).ok()?);
    let split = split_front_matter(&text).ok()?;
    let mut ignored = crate::diagnostic::Diagnostics::new();
    let front = parse_front_matter(split.yaml, split.yaml_line, fields, &v.path, &mut ignored)?;
    let body = split.body.to_owned();
    let hash = hash_parts(&v.id, &v.lang, &front, &body, |p| {
        git::show(root, &commit.hash, Path::new(p))
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, p.to_owned()))
    })
    .ok()?;
    Some(OldVersion {
        commit,
        front,
        body,
        hash,
    })
}

/// Names what differs between `v` and the version Git has with the content `a`
/// approved: "the body", "`title`", "the image `…`".
pub fn what_changed(ctx: &Context<'_>, v: &Variant, a: &Approval) -> Option<String> {
    let root = ctx.fields.root;
    let old = history(root, v, ctx.fields)
        .ok()?
        .list
        .into_iter()
        .find(|o| o.hash == a.hash)?;
    let mut changes = Vec::new();
    let now = serde_json::to_value(&v.front).ok()?;
    let then = serde_json::to_value(&old.front).ok()?;
    if let (Some(now), Some(then)) = (now.as_object(), then.as_object()) {
        for (key, value) in now {
            if key != "images" && then.get(key) != Some(value) {
                changes.push(format!("`{key}`"));
            }
        }
    }
    if old.body != v.body {
        changes.insert(0, "the body".to_owned());
    }
    let old_paths: Vec<&str> = old.front.images.iter().map(|i| i.path.as_str()).collect();
    for img in &v.front.images {
        let before = git::show(root, &old.commit.hash, Path::new(&img.path));
        let after = std::fs::read(root.join(&img.path)).ok();
        if !old_paths.contains(&img.path.as_str())
            || before != after
            || old
                .front
                .images
                .iter()
                .any(|o| o.path == img.path && o.alt != img.alt)
        {
            changes.push(format!("the image `{}`", img.path));
        }
    }
    if old.front.images.len() != v.front.images.len()
        && !changes.iter().any(|c| c.starts_with("the image"))
    {
        changes.push("`images`".into());
    }
    (!changes.is_empty()).then(|| format!("changed since approval: {}", changes.join(", ")))
}

/// The author of the current content: who committed the version that first had it.
fn content_author(
    ctx: &Context<'_>,
    versions: &Result<Versions, String>,
    hash: &str,
) -> Result<String, String> {
    if !ctx.history.repo {
        return Err("two approvals need Git history to tell who wrote the content".into());
    }
    if let Some(gap) = &ctx.history.gap {
        return Err(format!("cannot tell who wrote the content: {gap}"));
    }
    let versions = versions
        .as_ref()
        .map_err(|why| format!("cannot tell who wrote the content: {why}"))?;
    let run = versions.list.iter().take_while(|o| o.hash == hash).count();
    if run == 0 {
        return Err("the content is not committed yet; commit it before it is approved".into());
    }
    if run == versions.list.len() && versions.truncated {
        return Err(format!(
            "cannot tell who wrote the content: it is older than the {HISTORY_LIMIT} versions \
             of the file Herald reads"
        ));
    }
    Ok(versions.list[run - 1].commit.author_email.clone())
}

/// Who approved the content with `hash`: from the file as it is, else from the newest
/// version in Git history that carries approvals of that hash.
pub fn approvals_of(
    root: &Path,
    v: &Variant,
    hash: &str,
    fields: &FieldContext<'_>,
) -> Vec<Approval> {
    let of = |approvals: &[Approval]| -> Vec<Approval> {
        approvals
            .iter()
            .filter(|a| a.hash == hash)
            .cloned()
            .collect()
    };
    let now = of(&v.front.approvals);
    if !now.is_empty() || !git::is_repo(root) {
        return now;
    }
    history(root, v, fields)
        .map(|versions| {
            versions
                .list
                .into_iter()
                .map(|o| of(&o.front.approvals))
                .find(|found| !found.is_empty())
                .unwrap_or_default()
        })
        .unwrap_or_default()
}
