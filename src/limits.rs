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
#[cfg(unix)]
pub fn kind_of(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        kind_of_common(kind)
    }
}

/// What a thing that is not a regular file is, in plain words ("a folder"). Windows file
/// types say nothing of pipes and devices: [`device`] and [`on_disk`] find those.
#[cfg(windows)]
pub fn kind_of(kind: std::fs::FileType) -> &'static str {
    kind_of_common(kind)
}

fn kind_of_common(kind: std::fs::FileType) -> &'static str {
    if kind.is_dir() {
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
    refused(&describe(kind))
}

/// The error of [`not_a_file`] for what `described` says ("a device, not a file").
fn refused(described: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "it is {described}; Herald reads and writes only regular files there, so replace it with one"
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
/// changes nothing. On Windows a device name (`NUL`, `COM1`, `\\.\pipe\…`) is refused
/// before opening and the opened handle must be a file on disk (`device`, `on_disk`).
pub fn open_file(path: &Path) -> std::io::Result<std::fs::File> {
    // A look first, so that a device is never opened at all (opening some has effects).
    #[cfg(windows)]
    if device(path) {
        return Err(refused(DEVICE));
    }
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(not_a_file(meta.file_type()));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options
        .open(path)
        .map_err(|e| match std::fs::metadata(path) {
            // A socket cannot be opened (ENXIO): say what it is rather than "no such device".
            Ok(meta) if !meta.is_file() => not_a_file(meta.file_type()),
            _ => e,
        })?;
    #[cfg(windows)]
    if !on_disk(&file) {
        return Err(refused(DEVICE));
    }
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_a_file(meta.file_type()));
    }
    Ok(file)
}

/// What a device is called in Herald's refusals on Windows.
#[cfg(windows)]
pub const DEVICE: &str = "a device, not a file";

/// Whether opening `path` on Windows opens a device whatever the folder holds: a `\\.\`
/// path (`\\.\pipe\herald`, `\\.\COM1`), or a name Windows keeps for a device in every
/// folder (`NUL`, `CON`, `COM1`, also with an extension, as `nul.txt`).
#[cfg(windows)]
pub fn device(path: &Path) -> bool {
    use std::path::{Component, Prefix};
    if let Some(Component::Prefix(prefix)) = path.components().next()
        && matches!(prefix.kind(), Prefix::DeviceNS(_))
    {
        return true;
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.trim_end_matches([' ', ':']).to_ascii_uppercase();
    let numbered = ["COM", "LPT"].iter().any(|kind| {
        stem.strip_prefix(kind).is_some_and(|n| {
            (n.len() == 1 && n.as_bytes()[0].is_ascii_digit()) || matches!(n, "¹" | "²" | "³")
        })
    });
    numbered
        || matches!(
            stem.as_str(),
            "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
        )
}

/// Whether an open handle is a file on disk, not a console, a pipe or another device
/// (Windows' `GetFileType`: the file types std reports do not tell).
#[cfg(windows)]
pub fn on_disk(file: &std::fs::File) -> bool {
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{FILE_TYPE_DISK, GetFileType};
    // SAFETY: GetFileType only reads the type of the handle, which `file` keeps open.
    unsafe { GetFileType(file.as_raw_handle()) == FILE_TYPE_DISK }
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

    #[test]
    #[cfg(windows)]
    fn windows_device_names_are_refused_before_anything_is_opened() {
        use std::path::Path;
        for name in [
            "NUL",
            "nul.txt",
            "Con",
            "COM1",
            "lpt9.md",
            "COM\u{b9}",
            "CONOUT$",
            "aux .log",
        ] {
            assert!(super::device(Path::new(name)), "{name}");
        }
        assert!(super::device(Path::new(r"\\.\pipe\herald")));
        for name in ["null", "console.md", "COM10", "lpt", "nul/x.md", "x.nul"] {
            assert!(!super::device(Path::new(name)), "{name}");
        }
        let dir = tempfile::tempdir().unwrap();
        let err = super::open_file(&dir.path().join("nul")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is a device, not a file; Herald reads and writes only regular files there, so replace it with one"
        );
        let err = super::open_file(dir.path()).unwrap_err();
        assert!(
            err.to_string().starts_with("it is a folder, not a file"),
            "{err}"
        );
    }
}
