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

/// What a thing that is not a regular file is, in plain words ("a named pipe").
pub fn kind_of(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_dir() {
        "a folder"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// The error for a `kind` of thing standing where a file belongs: "it is a named pipe,
/// not a file; …". The caller names the path (some paths, like a subscriber list's, are
/// shown by file name only).
pub fn not_a_file(kind: std::fs::FileType) -> std::io::Error {
    std::io::Error::other(format!(
        "it is {}; Herald reads and writes only regular files there, so replace it with one",
        describe(kind)
    ))
}

/// "a named pipe, not a file".
pub fn describe(kind: std::fs::FileType) -> String {
    let what = kind_of(kind);
    if what.starts_with("not ") {
        what.to_owned()
    } else {
        format!("{what}, not a file")
    }
}

/// Opens `path` for reading, refusing at once anything but a regular file (symbolic
/// links followed). Nothing blocks: a named pipe is opened without waiting for a writer
/// (`O_NONBLOCK`) and a device never becomes the controlling terminal; what decides is
/// the opened handle's own metadata, so swapping the file between the look and the open
/// changes nothing.
pub fn open_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // A look first, so that a device is never opened at all (opening some has effects).
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(not_a_file(meta.file_type()));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match std::fs::metadata(path) {
            // A socket cannot be opened (ENXIO): say what it is rather than "no such device".
            Ok(meta) if !meta.is_file() => not_a_file(meta.file_type()),
            _ => e,
        })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_a_file(meta.file_type()));
    }
    Ok(file)
}

/// Reads `path` whole unless it is larger than `limit` bytes; `what` names it for the
/// message ("announcement file", "template"). Only a regular file is read ([`open_file`]).
pub fn read_limited(path: &Path, limit: u64, what: &str) -> std::io::Result<Vec<u8>> {
    let file = open_file(path)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit to tell "exactly at" from "over" without trusting
    // metadata (the file may be growing).
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
