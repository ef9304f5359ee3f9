//! The archive: the exact text of every post that went out (or may have: it is written
//! before the request), its images' hashes and when, kept in the state folder as
//! `archive/<id>.jsonl`, one JSON line per part and version. The ledger says whether and
//! where a version went out; the archive keeps what it said, for records keeping
//! (`herald audit --archive`). Lines may repeat (a retried attempt); readers de-duplicate.
//!
//! Reading ([`read`]) gives every announcement's lines once each, in a stable order; the
//! audit's history of each post, built from the ledger and these lines, is in
//! [`story`]; the files `herald audit --archive DIR` writes for an archivist are in
//! [`export`]. This module imports only the ledger and the foundations (the engine
//! imports it).

use crate::ledger::{Action, Key};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub mod export;
pub mod story;

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

/// The largest archive file Herald reads (the ledger's limit: an announcement's archive
/// is far smaller than the ledger of every announcement).
const ARCHIVE_BYTES: u64 = crate::limits::LEDGER_BYTES;

/// Every announcement's archive, as read.
#[derive(Debug, Default)]
pub struct Shelf {
    /// By announcement id: each line once (a repeated attempt's line is kept at its first
    /// time), sorted by language, channel, part, time, then action.
    pub lines: BTreeMap<String, Vec<Line>>,
    /// Problems found while reading (a torn last line, a damaged line), each naming the
    /// file and line; the other lines still count.
    pub warnings: Vec<String>,
}

impl Shelf {
    /// The lines of `id` (none when nothing was kept).
    pub fn of(&self, id: &str) -> &[Line] {
        self.lines.get(id).map_or(&[], Vec::as_slice)
    }
}

/// Reads every `archive/*.jsonl` in `state_dir` (a missing folder is an empty archive).
/// Only regular files are read; anything else there is skipped with a warning.
pub fn read(state_dir: &Path) -> Result<Shelf, String> {
    let dir = state_dir.join(ARCHIVE_DIR);
    let mut shelf = Shelf::default();
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(shelf),
        Err(e) => return Err(format!("cannot read the archive {}: {e}", dir.display())),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut seen = std::collections::HashMap::new();
    for path in files {
        let bytes = match crate::limits::read_limited(&path, ARCHIVE_BYTES, "archive file") {
            Ok(bytes) => bytes,
            Err(e) => {
                shelf
                    .warnings
                    .push(format!("{}: cannot read it ({e}); skipped", path.display()));
                continue;
            }
        };
        parse(&bytes, &path, &mut shelf, &mut seen);
    }
    for lines in shelf.lines.values_mut() {
        lines.sort_by(|a, b| order(a).cmp(&order(b)));
    }
    Ok(shelf)
}

type Sameness = (
    String,
    String,
    String,
    u32,
    Option<Action>,
    String,
    String,
    Vec<(String, String, String)>,
);

/// What makes two lines the same version of a part: everything but the time.
fn sameness(l: &Line) -> Sameness {
    (
        l.id.clone(),
        l.lang.clone(),
        l.channel.clone(),
        l.part,
        l.action,
        l.hash.clone(),
        l.text.clone(),
        l.images
            .iter()
            .map(|i| (i.path.clone(), i.sha256.clone(), i.alt.clone()))
            .collect(),
    )
}

fn order(l: &Line) -> (&str, &str, u32, Timestamp, Option<Action>) {
    (&l.lang, &l.channel, l.part, l.at, l.action)
}

/// Adds the lines of one file; a line seen before (in any file) is kept at its earliest
/// time. `seen` holds each line's place in its announcement's list.
fn parse(
    bytes: &[u8],
    path: &Path,
    shelf: &mut Shelf,
    seen: &mut std::collections::HashMap<Sameness, usize>,
) {
    let mut rest = bytes;
    let mut n = 0;
    while !rest.is_empty() {
        n += 1;
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            shelf.warnings.push(format!(
                "{}:{n}: the last line was cut short (a run was interrupted while writing it); it is ignored",
                path.display()
            ));
            break;
        };
        let line = &rest[..end];
        rest = &rest[end + 1..];
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Line>(line) {
            Ok(kept) => {
                let lines = shelf.lines.entry(kept.id.clone()).or_default();
                match seen.entry(sameness(&kept)) {
                    std::collections::hash_map::Entry::Occupied(at) => {
                        let first = &mut lines[*at.get()];
                        first.at = first.at.min(kept.at);
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(lines.len());
                        lines.push(kept);
                    }
                }
            }
            Err(e) => shelf.warnings.push(format!(
                "{}:{n}: this archive line is damaged ({e}) and is ignored; the other lines still count. Compare the file with its Git history",
                path.display()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_keeps_each_version_once_and_reports_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join(ARCHIVE_DIR);
        std::fs::create_dir(&archive).unwrap();
        let line = |at: &str, text: &str| {
            format!(
                r#"{{"id":"a","lang":"et","channel":"m","part":1,"hash":"h","at":"2026-06-30T{at}:00Z","text":"{text}"}}"#
            )
        };
        std::fs::write(
            archive.join("a.jsonl"),
            format!(
                "{}\n{}\n{}\n{{\"id\":\"a\",\"la",
                line("07:05", "Tere."),
                line("07:00", "Tere."),
                line("07:01", "Tere, uuesti.")
            ),
        )
        .unwrap();
        std::fs::write(archive.join("notes.txt"), "not an archive").unwrap();
        let shelf = read(dir.path()).unwrap();
        let got: Vec<(String, &str)> = shelf
            .of("a")
            .iter()
            .map(|l| (l.at.to_string(), l.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-06-30T07:00:00Z".to_owned(), "Tere."),
                ("2026-06-30T07:01:00Z".to_owned(), "Tere, uuesti.")
            ]
        );
        assert_eq!(shelf.warnings.len(), 1, "{:?}", shelf.warnings);
        assert!(
            shelf.warnings[0].ends_with("a.jsonl:4: the last line was cut short (a run was interrupted while writing it); it is ignored"),
            "{:?}",
            shelf.warnings
        );
        assert!(read(&dir.path().join("nowhere")).unwrap().lines.is_empty());
    }
}
