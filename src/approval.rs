//! What was approved: a hash that pins the content, and the state it gives a variant.
//!
//! The hash covers the variant's id and language, its front matter without the
//! `approval` block (as parsed values, so re-indenting the YAML or reordering fields does
//! not change it, while changing any value does), the body with line endings normalised,
//! and the bytes of every image it references. Adding a channel is a change of content:
//! the channel list is in the front matter.

use crate::announcement::Variant;
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

/// `sha256:<hex>` of the variant's content.
pub fn content_hash(root: &Path, v: &Variant) -> std::io::Result<String> {
    #[derive(Serialize)]
    struct Hashed<'a> {
        id: &'a str,
        lang: &'a str,
        front: &'a crate::announcement::FrontMatter,
    }
    let mut h = Sha256::new();
    let head = serde_json::to_vec(&Hashed {
        id: &v.id,
        lang: &v.lang,
        front: &v.front,
    })
    .expect("front matter serialises");
    field(&mut h, &head);
    field(&mut h, v.body.as_bytes());
    for image in &v.front.images {
        field(&mut h, &std::fs::read(root.join(&image.path))?);
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

/// The state of `v` given the instance's approvers.
pub fn state(root: &Path, v: &Variant, approvers: &[String]) -> State {
    if !v.is_valid() {
        return State::Invalid;
    }
    let Some(approval) = &v.front.approval else {
        return State::Draft;
    };
    match content_hash(root, v) {
        Ok(hash) if hash == approval.hash => {
            if approvers
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&approval.by))
            {
                State::Approved
            } else {
                State::UnknownApprover
            }
        }
        _ => State::Changed,
    }
}
