//! Announcements: the Markdown files staff write, loaded into typed values.
//!
//! One announcement has one or more language variants (`<id>.md` or `<id>.<lang>.md`).
//! Each variant is validated on its own and carries its own diagnostics, so one broken
//! file never hides the others.

mod front_matter;
pub mod id;
mod loader;
pub mod markdown;
pub mod placeholder;
pub mod yaml;

pub use front_matter::{
    FieldContext, LANGUAGE_CODE, check_relative, check_url, is_language_tag, likely_language,
    parse_front_matter, split_front_matter,
};
pub use loader::{LoadContext, load_all, normalize_newlines};

use crate::diagnostic::Diagnostics;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// All variants that share an id.
#[derive(Debug)]
pub struct Announcement {
    pub id: String,
    pub variants: Vec<Variant>,
}

/// One language variant: one file.
#[derive(Debug)]
pub struct Variant {
    pub id: String,
    pub lang: String,
    /// Relative to the instance root.
    pub path: PathBuf,
    pub front: FrontMatter,
    /// The Markdown body, line endings normalised to `\n`.
    pub body: String,
    /// The line of the file the body starts on.
    pub body_line: usize,
    /// Where the file has a character X refuses (twitter-text's invalid characters).
    pub x_invalid_chars: Vec<(char, crate::diagnostic::Pos)>,
    /// Problems found while loading; errors make the variant `invalid`.
    pub diagnostics: Diagnostics,
    /// Whether the front matter could be read as fields: then the posts can be rendered
    /// (for their own problems) even when some field has an error.
    pub readable: bool,
}

impl Variant {
    pub fn is_valid(&self) -> bool {
        !self.diagnostics.has_errors()
    }
}

/// The typed front matter. Serialises (without `approval`) in a fixed field order, which
/// is what the approval hash covers.
#[derive(Debug, Default, Clone, Serialize)]
pub struct FrontMatter {
    pub title: String,
    pub summary: Option<String>,
    pub publish_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub channels: ChannelSelection,
    pub link: Option<String>,
    pub images: Vec<Image>,
    pub tags: Vec<String>,
    pub lang: Option<String>,
    pub overrides: BTreeMap<String, Override>,
    pub thread: Option<ThreadMode>,
    /// `retract: "reason"`: the announcement is withdrawn everywhere it went, and never
    /// published again. Part of the content: a retraction is approved like any change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retract: Option<String>,
    /// Written by `herald approve`; not part of the content (nor of its hash).
    #[serde(skip)]
    pub approvals: Vec<Approval>,
    /// Where each named channel is written, for messages about it.
    #[serde(skip)]
    pub channel_positions: Vec<crate::diagnostic::Pos>,
    /// Where each image's `path` is written, for messages about the image.
    #[serde(skip)]
    pub image_positions: Vec<crate::diagnostic::Pos>,
    /// Where each tag is written.
    #[serde(skip)]
    pub tag_positions: Vec<crate::diagnostic::Pos>,
    /// Where `publish_at` is written.
    #[serde(skip)]
    pub publish_at_position: Option<crate::diagnostic::Pos>,
    /// Where the values of `title`, `summary` and `link` are written.
    #[serde(skip)]
    pub title_position: Option<crate::diagnostic::Pos>,
    #[serde(skip)]
    pub summary_position: Option<crate::diagnostic::Pos>,
    #[serde(skip)]
    pub link_position: Option<crate::diagnostic::Pos>,
    /// Where `lang` is written.
    #[serde(skip)]
    pub lang_position: Option<crate::diagnostic::Pos>,
}

/// Which channels a variant goes to.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelSelection {
    /// No `channels` field: goes nowhere (reported by `check`).
    #[default]
    None,
    /// `channels: all`: every channel in the variant's language.
    All,
    Named(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Image {
    /// Relative to the root, as written.
    pub path: String,
    pub alt: String,
}

/// `overrides.<channel>`: replace the rendered text, or skip the channel.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Override {
    pub text: Option<String>,
    pub skip: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThreadMode {
    /// Split into a numbered thread when over the limit.
    Auto,
    /// Over the limit is an error.
    Off,
}

/// The block `herald approve` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub by: String,
    pub at: Option<Timestamp>,
    /// The content hash (front matter, body, images).
    pub hash: String,
    /// What each channel would receive, pinned: channel name → digest of the exact
    /// posts (see [`crate::plan::digest::post_digest`]). `None` for a stamp written by a
    /// Herald that did not pin posts yet.
    pub posts: Option<BTreeMap<String, String>>,
}
