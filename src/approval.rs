//! What was approved: a hash that pins the content, and the state it gives a variant.
//!
//! The hash covers the variant's id and language, its front matter without the
//! `approval` block (as parsed values, so re-indenting the YAML or reordering fields does
//! not change it, while changing any value does), the body with line endings normalised,
//! and the bytes of every image it references. Adding a channel is a change of content:
//! the channel list is in the front matter.

use crate::announcement::{
    Approval, FieldContext, FrontMatter, Variant, parse_front_matter, split_front_matter,
};
use crate::git;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;

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

/// A variant's state, why, and its content hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub state: State,
    /// For people: what changed, who is missing, what Git says.
    pub detail: Option<String>,
    pub hash: Option<String>,
}

impl Verdict {
    fn new(state: State, detail: Option<String>, hash: Option<String>) -> Verdict {
        Verdict {
            state,
            detail,
            hash,
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

/// Decides whether `v` may be published under `policy`.
pub fn verdict(root: &Path, v: &Variant, policy: &Policy, fields: &FieldContext<'_>) -> Verdict {
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
        return Verdict::new(State::Draft, None, Some(hash));
    }
    let current: Vec<&Approval> = v
        .front
        .approvals
        .iter()
        .filter(|a| a.hash == hash)
        .collect();
    if current.is_empty() {
        let what = what_changed(root, v, &v.front.approvals[0].hash, fields);
        return Verdict::new(State::Changed, what, Some(hash));
    }
    let listed = |a: &&Approval| {
        policy
            .approvers
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&a.by))
    };
    let mut valid: Vec<&Approval> = current.iter().copied().filter(listed).collect();
    valid.dedup_by(|a, b| a.by.eq_ignore_ascii_case(&b.by));
    if valid.is_empty() {
        let who: Vec<&str> = current.iter().map(|a| a.by.as_str()).collect();
        let detail = format!("{} is not in `approvers`", who.join(", "));
        return Verdict::new(State::UnknownApprover, Some(detail), Some(hash));
    }
    if policy.provenance != Provenance::None {
        if !git::is_repo(root) {
            let why = "cannot prove who approved: the repository has no Git history".to_owned();
            return Verdict::new(State::UnknownApprover, Some(why), Some(hash));
        }
        let versions = history(root, v, fields);
        for a in &valid {
            if let Err(why) = prove(&versions, a, policy.provenance) {
                return Verdict::new(State::UnknownApprover, Some(why), Some(hash));
            }
        }
    }
    if policy.required > 1 {
        let author = match content_author(root, v, &hash, fields) {
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

/// Checks with Git that the commit that added this approval was made by the approver
/// (and signed, when required): the oldest commit of the newest run of versions that
/// carry exactly this stamp.
fn prove(versions: &[OldVersion], a: &Approval, provenance: Provenance) -> Result<(), String> {
    let carries = |o: &OldVersion| {
        o.front
            .approvals
            .iter()
            .any(|x| x.by == a.by && x.hash == a.hash && x.at == a.at)
    };
    if versions.first().is_none_or(|o| !carries(o)) {
        return Err(format!(
            "the approval by {} is not committed yet; commit it to prove who approved",
            a.by
        ));
    }
    let commit = &versions
        .iter()
        .take_while(|o| carries(o))
        .last()
        .expect("the newest version carries it")
        .commit;
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

/// A version of `v` from Git history, parsed.
struct OldVersion {
    commit: git::Commit,
    front: FrontMatter,
    body: String,
    hash: String,
}

/// The versions of `v` in Git history, newest first, with their content hashes.
fn history(root: &Path, v: &Variant, fields: &FieldContext<'_>) -> Vec<OldVersion> {
    git::log(root, &v.path, 50)
        .into_iter()
        .filter_map(|commit| {
            let bytes = git::show(root, &commit.hash, &v.path)?;
            let text = crate::announcement::normalize_newlines(String::from_utf8(bytes).ok()?);
            let split = split_front_matter(&text).ok()?;
            let mut ignored = crate::diagnostic::Diagnostics::new();
            let front =
                parse_front_matter(split.yaml, split.yaml_line, fields, &v.path, &mut ignored)?;
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
        })
        .collect()
}

/// Names what differs between `v` and the version Git has with `approved` as its hash:
/// "the body", "`title`", "the image `…`".
pub fn what_changed(
    root: &Path,
    v: &Variant,
    approved: &str,
    fields: &FieldContext<'_>,
) -> Option<String> {
    let old = history(root, v, fields)
        .into_iter()
        .find(|o| o.hash == approved)?;
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
    root: &Path,
    v: &Variant,
    hash: &str,
    fields: &FieldContext<'_>,
) -> Result<String, String> {
    if !git::is_repo(root) {
        return Err("two approvals need Git history to tell who wrote the content".into());
    }
    let versions = history(root, v, fields);
    let introduced = versions
        .iter()
        .take_while(|o| o.hash == hash)
        .last()
        .ok_or_else(|| {
            "the content is not committed yet; commit it before it is approved".to_owned()
        })?;
    Ok(introduced.commit.author_email.clone())
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
        .into_iter()
        .map(|o| of(&o.front.approvals))
        .find(|found| !found.is_empty())
        .unwrap_or_default()
}
