//! Size limits on what Herald reads, so a stray huge file is a clear error instead of
//! memory exhausted. Each limit is far above any real announcement, template or image.

use std::io::Read;
use std::path::Path;

/// An announcement file (front matter and text).
pub const ANNOUNCEMENT_BYTES: u64 = 1024 * 1024;
/// A template file.
pub const TEMPLATE_BYTES: u64 = 256 * 1024;
/// An image (hashed for approval, embedded in the preview).
pub const IMAGE_BYTES: u64 = 50 * 1024 * 1024;
/// The ledger (read line by line; about two million records).
pub const LEDGER_BYTES: u64 = 512 * 1024 * 1024;
/// A subscriber or suppression list (streamed; the limit bounds one runaway line).
pub const LIST_BYTES: u64 = 256 * 1024 * 1024;
/// The configuration file.
pub const CONFIG_BYTES: u64 = 1024 * 1024;

/// Reads `path` whole unless it is larger than `limit` bytes; `what` names it for the
/// message ("announcement file", "template").
pub fn read_limited(path: &Path, limit: u64, what: &str) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit to tell "exactly at" from "over" without trusting
    // metadata (the file may be growing, or not a regular file).
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        let size = if limit >= 1024 * 1024 {
            format!("{} MB", limit / (1024 * 1024))
        } else {
            format!("{} kB", limit / 1024)
        };
        return Err(std::io::Error::other(format!(
            "the {what} is larger than {size}; Herald reads {what}s up to that size"
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn files_over_the_limit_are_refused_with_the_limit_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![b'a'; 2 * 1024 * 1024 + 1]).unwrap();
        let err = super::read_limited(&path, 2 * 1024 * 1024, "thing").unwrap_err();
        assert!(err.to_string().contains("larger than 2 MB"), "{err}");
        std::fs::write(&path, vec![b'a'; 2 * 1024 * 1024]).unwrap();
        assert!(super::read_limited(&path, 2 * 1024 * 1024, "thing").is_ok());
    }
}
