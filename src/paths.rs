//! Where Herald may write: only inside the repository, however a path is spelt or linked.
//!
//! Every file Herald writes (the ledger and its lock, send logs, record files, feed files,
//! the preview page) is opened through [`open_inside`], and every folder it creates through
//! [`create_dir_inside`]. Both resolve the path the way the system will, following every
//! symbolic link (a dangling one too: writing through it would create its target), and
//! refuse a path that ends up outside the repository. Folders are created one level at a
//! time and never through a link; the file is opened without following a final link and
//! without blocking, and the opened handle itself is checked afterwards (a regular file,
//! inside the repository), so a link swapped in between the check and the open changes
//! nothing.
//!
//! On Windows the same guards use Windows' terms: a junction counts as a link, a final
//! link is opened itself (`FILE_FLAG_OPEN_REPARSE_POINT`) and so refused, a device name
//! (`NUL`, `COM1`) is refused before anything is opened, the handle must be a file on disk,
//! and where it is comes from `GetFinalPathNameByHandleW`. Paths are compared as
//! `canonicalize` spells them, since Windows ignores case and knows short names.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Component, Path, PathBuf};

/// How a file is opened for writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Created if missing, read and appended to (ledgers, logs, records).
    Append,
    /// Created or emptied, written from the start (a file written aside, or a page).
    Replace,
}

/// The repository folder with every link resolved.
fn real_root(root: &Path) -> Result<PathBuf, String> {
    root.canonicalize().map_err(|e| {
        format!(
            "cannot resolve the repository folder {}: {e}",
            root.display()
        )
    })
}

/// Where `path` (relative to `root`, or absolute) really is: every symbolic link followed,
/// including a final one that points at nothing yet; the part that does not exist yet is
/// taken as written.
pub fn resolve(root: &Path, path: &Path) -> Result<PathBuf, String> {
    let start = if root.is_absolute() {
        root.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| format!("cannot resolve the current folder: {e}"))?
            .join(root)
    };
    let whole = start.join(path);
    let mut pending: Vec<OsString> = Vec::new();
    push_components(&mut pending, &whole);
    let mut real = top(&whole);
    let mut links = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            real.pop();
            continue;
        }
        let next = real.join(&part);
        // Windows finds a device under such a name in any folder (and cannot look at it).
        #[cfg(windows)]
        if crate::limits::device(&next) {
            return Err(refusal(path, crate::limits::DEVICE));
        }
        match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > 40 {
                    return Err(format!(
                        "`{}` goes through too many symbolic links",
                        path.display()
                    ));
                }
                let target = std::fs::read_link(&next)
                    .map_err(|e| format!("cannot read the link {}: {e}", next.display()))?;
                // On Windows `\x` has a root but no drive: it stays on the link's drive.
                if target.is_absolute() || target.has_root() {
                    real = top(&real.join(&target));
                }
                push_components(&mut pending, &target);
            }
            Ok(_) => real = next,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => real = next,
            Err(e) => return Err(format!("cannot look at {}: {e}", next.display())),
        }
    }
    #[cfg(windows)]
    let real = spelt_as_the_system_does(real)?;
    Ok(real)
}

/// Where the tree `path` (absolute) hangs from: `/`; on Windows its drive or share (`C:\`).
fn top(path: &Path) -> PathBuf {
    path.components()
        .take_while(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
        .collect()
}

/// `real` (its links resolved) spelt the way `canonicalize` spells the repository folder,
/// so that one can be compared with the other: Windows compares names ignoring case, knows
/// a folder by its short name (`PROGRA~1`) too, and `canonicalize` answers `\\?\C:\…`.
/// The part that exists is canonicalized; the rest is kept as written.
#[cfg(windows)]
fn spelt_as_the_system_does(real: PathBuf) -> Result<PathBuf, String> {
    let mut rest = Vec::new();
    let mut at = real.as_path();
    loop {
        match at.canonicalize() {
            Ok(mut spelt) => {
                spelt.extend(rest.iter().rev());
                return Ok(spelt);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot resolve {}: {e}", at.display())),
        }
        match (at.parent(), at.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                at = parent;
            }
            _ => return Ok(real),
        }
    }
}

/// Pushes the parts of `path` so that the first one is popped first.
fn push_components(pending: &mut Vec<OsString>, path: &Path) {
    let parts: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_owned()),
            Component::ParentDir => Some("..".into()),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    pending.extend(parts.into_iter().rev());
}

/// Where `path` really is, if that is inside `root`; otherwise an error naming the path,
/// where it leads and why that is refused.
pub fn inside(root: &Path, path: &Path) -> Result<PathBuf, String> {
    let real_root = real_root(root)?;
    let real = resolve(root, path)?;
    if real.starts_with(&real_root) {
        Ok(real)
    } else {
        Err(outside(path, &real, &real_root))
    }
}

fn outside(path: &Path, real: &Path, real_root: &Path) -> String {
    let how = if real == path {
        String::new()
    } else {
        format!(" leads to `{}`, which", shown(real))
    };
    format!(
        "`{}`{how} is outside the repository ({}); Herald writes only inside the repository folder: use a path inside it, or remove the symbolic link that leads out",
        path.display(),
        shown(real_root)
    )
}

/// A resolved path as a person reads it: on Windows without the `\\?\` that
/// `canonicalize` puts before a drive (`C:\…`).
fn shown(real: &Path) -> String {
    let text = real.display().to_string();
    #[cfg(windows)]
    if let Some(plain) = text.strip_prefix(r"\\?\")
        && plain.as_bytes().get(1) == Some(&b':')
    {
        return plain.to_owned();
    }
    text
}

/// Checks that `path` (which need not exist yet) lies inside `root` once symbolic links
/// are resolved: a folder in the repository that is a link to `/etc` is outside it.
pub fn check_inside(root: &Path, path: &Path) -> Result<(), String> {
    inside(root, path).map(|_| ())
}

/// Creates folder `dir` and its missing parents inside `root`, one level at a time,
/// never through a symbolic link that leads out. Returns where the folder really is.
pub fn create_dir_inside(root: &Path, dir: &Path) -> Result<PathBuf, String> {
    let real_root = real_root(root)?;
    let real = inside(root, dir)?;
    create_levels(&real, dir, Some(&real_root))?;
    Ok(real)
}

/// Creates the missing levels of `real` (already resolved). Each new level is made by
/// `mkdir`, which never follows a link, and checked to be a real folder afterwards.
fn create_levels(real: &Path, shown: &Path, real_root: Option<&Path>) -> Result<(), String> {
    let mut at = top(real);
    for part in real.components().skip(at.components().count()) {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.is_dir() => continue,
            Ok(meta) if meta.file_type().is_symlink() => {
                // Appeared since the path was resolved: resolve again, and only go on if it
                // stays inside.
                let target = at
                    .canonicalize()
                    .map_err(|e| format!("cannot resolve {}: {e}", at.display()))?;
                if let Some(r) = real_root
                    && !target.starts_with(r)
                {
                    return Err(outside(shown, &target, r));
                }
                if !target.is_dir() {
                    return Err(format!(
                        "cannot create {}: {} is not a folder",
                        shown.display(),
                        at.display()
                    ));
                }
            }
            Ok(meta) => {
                return Err(format!(
                    "cannot create {}: `{}` is {}, not a folder",
                    shown.display(),
                    at.display(),
                    crate::limits::kind_of(meta.file_type())
                ));
            }
            Err(_) => match std::fs::create_dir(&at) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && at.is_dir() => {}
                Err(e) => return Err(format!("cannot create {}: {e}", at.display())),
            },
        }
    }
    Ok(())
}

/// Opens `path` (relative to `root`, or absolute) for writing, creating missing folders,
/// only if it is, and stays, inside `root` (see the module comment). Anything but a
/// regular file there (a named pipe, a socket, a device, a folder) is refused at once.
pub fn open_inside(root: &Path, path: &Path, mode: Mode) -> Result<File, String> {
    let real_root = real_root(root)?;
    let real = inside(root, path)?;
    open_real(&real, path, mode, Some(&real_root))
}

/// Like [`open_inside`] for a path the user chose to have outside the repository
/// (`preview --outside-root`): links are followed wherever they lead, but nothing other
/// than a regular file is written and nothing blocks.
pub fn open_anywhere(path: &Path, mode: Mode) -> Result<File, String> {
    let real = resolve(Path::new("/"), &absolute(path)?)?;
    open_real(&real, path, mode, None)
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        Ok(std::env::current_dir()
            .map_err(|e| format!("cannot resolve the current folder: {e}"))?
            .join(path))
    }
}

fn open_real(
    real: &Path,
    shown: &Path,
    mode: Mode,
    real_root: Option<&Path>,
) -> Result<File, String> {
    if let Some(parent) = real.parent() {
        create_levels(parent, shown, real_root)?;
    }
    let looked = std::fs::symlink_metadata(real);
    if let Ok(meta) = &looked
        && !meta.is_file()
    {
        return Err(not_a_file(shown, meta));
    }
    let mut options = std::fs::OpenOptions::new();
    match mode {
        Mode::Append => options.read(true).append(true).create(true),
        Mode::Replace => options.write(true).truncate(true).create(true),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A named pipe without a reader fails at once (ENXIO) instead of waiting; a final
        // link that appeared since the path was resolved is refused (ELOOP).
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::{MetadataExt, OpenOptionsExt};
        use windows_sys::Win32::Storage::FileSystem::{
            FILE_ATTRIBUTE_REPARSE_POINT, FILE_FLAG_OPEN_REPARSE_POINT,
        };
        // A final link (or junction) that appeared since the path was resolved is opened
        // itself, not followed, and refused below as not a file. A file that already is
        // another kind of reparse point (a OneDrive placeholder) is opened as usual, so
        // that the system fetches its content instead of handing over the placeholder.
        let reparse = looked
            .as_ref()
            .is_ok_and(|m| m.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0);
        if !reparse {
            options.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
        }
    }
    let file = options
        .open(real)
        .map_err(|e| match std::fs::symlink_metadata(real) {
            Ok(meta) if !meta.is_file() => not_a_file(shown, &meta),
            _ => format!("cannot open {}: {e}", shown.display()),
        })?;
    #[cfg(windows)]
    if !crate::limits::on_disk(&file) {
        return Err(refusal(shown, crate::limits::DEVICE));
    }
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot open {}: {e}", shown.display()))?;
    if !meta.is_file() {
        return Err(not_a_file(shown, &meta));
    }
    if let Some(r) = real_root
        && let Some(opened) = opened_path(&file)
        && !opened.starts_with(r)
    {
        return Err(outside(shown, &opened, r));
    }
    // Writes to a regular file never block, but clear the flag for a clean handle.
    #[cfg(unix)]
    clear_nonblocking(&file);
    Ok(file)
}

fn not_a_file(shown: &Path, meta: &std::fs::Metadata) -> String {
    refusal(shown, &crate::limits::describe(meta.file_type()))
}

/// "`x` is `described`; Herald writes only regular files, …".
fn refusal(shown: &Path, described: &str) -> String {
    format!(
        "`{}` is {described}; Herald writes only regular files, so remove it or point the setting elsewhere",
        shown.display(),
    )
}

/// Where the system says an open handle is (Linux's `/proc/self/fd`).
#[cfg(unix)]
fn opened_path(file: &File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
}

/// Where the system says an open handle is (Windows' `GetFinalPathNameByHandleW`, which
/// `canonicalize` also asks: the answer is spelt as the repository folder is, `\\?\C:\…`).
#[cfg(windows)]
fn opened_path(file: &File) -> Option<PathBuf> {
    use std::os::windows::ffi::OsStringExt;
    use std::os::windows::io::AsRawHandle;
    use windows_sys::Win32::Storage::FileSystem::{
        FILE_NAME_NORMALIZED, GetFinalPathNameByHandleW, VOLUME_NAME_DOS,
    };
    let mut wide = vec![0u16; 512];
    loop {
        let room = u32::try_from(wide.len()).ok()?;
        // SAFETY: the handle is kept open by `file`; the call writes at most `room` units
        // into `wide`, and answers the length it needs when that is not enough.
        let n = unsafe {
            GetFinalPathNameByHandleW(
                file.as_raw_handle(),
                wide.as_mut_ptr(),
                room,
                FILE_NAME_NORMALIZED | VOLUME_NAME_DOS,
            )
        } as usize;
        match n {
            0 => return None,
            n if n < wide.len() => return Some(OsString::from_wide(&wide[..n]).into()),
            n => wide.resize(n, 0),
        }
    }
}

#[cfg(unix)]
fn clear_nonblocking(file: &File) {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function borrows, with flags it just read.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn folders_inside_pass_and_links_or_dots_out_do_not() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let r = root.path();
        assert!(check_inside(r, &r.join("public/feed/en")).is_ok());
        std::fs::create_dir(r.join("public")).unwrap();
        assert!(check_inside(r, &r.join("public/feed")).is_ok());
        std::os::unix::fs::symlink(outside.path(), r.join("public/out")).unwrap();
        let err = check_inside(r, &r.join("public/out/feed")).unwrap_err();
        assert!(err.contains("outside the repository"), "{err}");
        assert!(check_inside(r, &r.join("public/../../x")).is_err());
        assert!(check_inside(r, Path::new("../x")).is_err());
        assert!(check_inside(r, Path::new("public/../state")).is_ok());
        assert!(check_inside(r, outside.path()).is_err());
    }

    #[test]
    #[cfg(unix)]
    fn dangling_links_are_followed_to_where_they_would_write() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let r = root.path();
        std::os::unix::fs::symlink(outside.path().join("nothing/yet.log"), r.join("dangling"))
            .unwrap();
        let err = check_inside(r, Path::new("dangling")).unwrap_err();
        assert!(err.contains("outside the repository"), "{err}");
        // A relative dangling link that stays inside is fine.
        std::os::unix::fs::symlink("state/new.log", r.join("inner")).unwrap();
        assert_eq!(
            inside(r, Path::new("inner")).unwrap(),
            r.canonicalize().unwrap().join("state/new.log")
        );
        let err = open_inside(r, Path::new("dangling"), Mode::Append).unwrap_err();
        assert!(err.contains("outside the repository"), "{err}");
        assert!(!outside.path().join("nothing").exists());
    }

    #[test]
    #[cfg(unix)]
    fn folders_are_created_inside_only() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let r = root.path();
        std::os::unix::fs::symlink(outside.path(), r.join("out")).unwrap();
        assert!(create_dir_inside(r, Path::new("out/a/b")).is_err());
        assert!(!outside.path().join("a").exists());
        create_dir_inside(r, Path::new("state/email/news")).unwrap();
        assert!(r.join("state/email/news").is_dir());
        let mut f = open_inside(r, Path::new("state/x/ledger.jsonl"), Mode::Append).unwrap();
        std::io::Write::write_all(&mut f, b"{}\n").unwrap();
        assert_eq!(
            std::fs::read(r.join("state/x/ledger.jsonl")).unwrap(),
            b"{}\n"
        );
    }

    #[test]
    #[cfg(windows)]
    fn windows_paths_inside_are_inside_however_they_are_spelt() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        // Another case, no `\\?\` (canonicalize answers with it), and `/` between names.
        let spelt = PathBuf::from(r.to_string_lossy().to_lowercase());
        let real = inside(&spelt, Path::new("state/x/ledger.jsonl")).unwrap();
        assert_eq!(
            real,
            r.canonicalize().unwrap().join(r"state\x\ledger.jsonl")
        );
        let mut f = open_inside(&spelt, Path::new("state/x/ledger.jsonl"), Mode::Append).unwrap();
        std::io::Write::write_all(&mut f, b"{}\n").unwrap();
        drop(f);
        assert_eq!(
            std::fs::read(r.join(r"state\x\ledger.jsonl")).unwrap(),
            b"{}\n"
        );
        assert!(check_inside(&spelt, Path::new(r"state\..\..\x")).is_err());
        let err = check_inside(&spelt, Path::new("../x")).unwrap_err();
        assert!(err.contains("is outside the repository"), "{err}");
        assert!(
            !err.contains(r"\\?\"),
            "shown without canonicalize's prefix: {err}"
        );
        let err = open_inside(r, Path::new("state/NUL"), Mode::Append).unwrap_err();
        assert!(err.contains("is a device, not a file"), "{err}");
    }

    #[test]
    #[cfg(windows)]
    #[ignore = "needs the right to create symbolic links (Developer Mode); Wine 8 only pretends to"]
    fn windows_links_out_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let r = root.path();
        std::os::windows::fs::symlink_dir(outside.path(), r.join("out")).unwrap();
        let err = check_inside(r, Path::new("out/feed")).unwrap_err();
        assert!(err.contains("outside the repository"), "{err}");
        assert!(create_dir_inside(r, Path::new("out/a/b")).is_err());
        std::os::windows::fs::symlink_file(outside.path().join("yet.log"), r.join("dangling"))
            .unwrap();
        let err = open_inside(r, Path::new("dangling"), Mode::Replace).unwrap_err();
        assert!(err.contains("outside the repository"), "{err}");
        std::fs::create_dir(r.join("state")).unwrap();
        std::os::windows::fs::symlink_file(r.join("state/real.log"), r.join("state/inner.log"))
            .unwrap();
        assert_eq!(
            inside(r, Path::new("state/inner.log")).unwrap(),
            r.canonicalize().unwrap().join(r"state\real.log")
        );
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
