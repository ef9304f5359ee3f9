//! The archive: the exact text of every post that went out (or may have: it is written
//! before the request), its images' hashes and when, kept in the state folder as
//! `archive/<id>.jsonl`, one JSON line per part and version. The ledger says whether and
//! where a version went out; the archive keeps what it said, for records keeping
//! (`herald audit --archive`). Lines may repeat (a retried attempt); readers de-duplicate.

use crate::ledger::{Action, Key};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The archive's folder inside the state folder.
pub const ARCHIVE_DIR: &str = "archive";

/// One image as it went out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptImage {
    /// Relative to the repository.
    pub path: String,
    pub sha256: String,
    pub alt: String,
}

/// One line of the archive: what one part said in one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub id: String,
    pub lang: String,
    pub channel: String,
    pub part: u32,
    /// Absent for the first post; the correction's step otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    pub hash: String,
    pub at: Timestamp,
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<KeptImage>,
}

/// What the engine hands [`keep`] before a request.
pub struct Kept<'a> {
    pub key: &'a Key,
    pub action: Option<Action>,
    pub hash: &'a str,
    pub at: Timestamp,
    pub text: &'a str,
    /// Absolute paths and alt texts (first part only).
    pub images: &'a [(PathBuf, String)],
    /// The repository, to write image paths relative to it.
    pub root: &'a Path,
}

/// Appends what `kept` says to `<files>/<state_dir>/archive/<id>.jsonl` and waits until
/// it is on disk.
pub fn keep(files: &Path, state_dir: &Path, kept: &Kept<'_>) -> Result<(), String> {
    let images = kept
        .images
        .iter()
        .map(|(path, alt)| {
            let bytes = crate::limits::read_limited(path, crate::limits::IMAGE_BYTES, "image")
                .map_err(|e| format!("cannot read the image {}: {e}", path.display()))?;
            let hex: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            Ok(KeptImage {
                path: path
                    .strip_prefix(kept.root)
                    .unwrap_or(path)
                    .to_string_lossy()
                    .replace('\\', "/"),
                sha256: hex,
                alt: alt.clone(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let line = Line {
        id: kept.key.id.clone(),
        lang: kept.key.lang.clone(),
        channel: kept.key.channel.clone(),
        part: kept.key.part,
        action: kept.action,
        hash: kept.hash.to_owned(),
        at: kept.at,
        text: kept.text.to_owned(),
        images,
    };
    let dir = state_dir.join(ARCHIVE_DIR);
    crate::paths::create_dir_inside(files, &dir)
        .map_err(|e| format!("cannot create the archive folder: {e}"))?;
    let file = dir.join(format!("{}.jsonl", kept.key.id));
    let mut f = crate::paths::open_inside(files, &file, crate::paths::Mode::Append)
        .map_err(|e| format!("cannot open the archive {}: {e}", file.display()))?;
    crate::ledger::cut_torn_tail(&mut f)
        .map_err(|e| format!("cannot repair {}: {e}", file.display()))?;
    let mut bytes = serde_json::to_vec(&line).expect("archive lines serialise");
    bytes.push(b'\n');
    f.write_all(&bytes)
        .and_then(|()| f.sync_data())
        .map_err(|e| format!("cannot write {}: {e}", file.display()))
}
