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
    let mut pending: Vec<OsString> = Vec::new();
    push_components(&mut pending, &start.join(path));
    let mut real = PathBuf::from("/");
    let mut links = 0;
    while let Some(part) = pending.pop() {
        if part == ".." {
            real.pop();
            continue;
        }
        let next = real.join(&part);
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
                if target.is_absolute() {
                    real = PathBuf::from("/");
                }
                push_components(&mut pending, &target);
            }
            Ok(_) => real = next,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => real = next,
            Err(e) => return Err(format!("cannot look at {}: {e}", next.display())),
        }
    }
    Ok(real)
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
        format!(" leads to `{}`, which", real.display())
    };
    format!(
        "`{}`{how} is outside the repository ({}); Herald writes only inside the repository folder: use a path inside it, or remove the symbolic link that leads out",
        path.display(),
        real_root.display()
    )
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
    let mut at = PathBuf::from("/");
    for part in real.components().skip(1) {
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
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = real.parent() {
        create_levels(parent, shown, real_root)?;
    }
    if let Ok(meta) = std::fs::symlink_metadata(real)
        && !meta.is_file()
    {
        return Err(not_a_file(shown, &meta));
    }
    let mut options = std::fs::OpenOptions::new();
    match mode {
        Mode::Append => options.read(true).append(true).create(true),
        Mode::Replace => options.write(true).truncate(true).create(true),
    };
    // A named pipe without a reader fails at once (ENXIO) instead of waiting; a final
    // link that appeared since the path was resolved is refused (ELOOP).
    options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW);
    let file = options
        .open(real)
        .map_err(|e| match std::fs::symlink_metadata(real) {
            Ok(meta) if !meta.is_file() => not_a_file(shown, &meta),
            _ => format!("cannot open {}: {e}", shown.display()),
        })?;
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
    clear_nonblocking(&file);
    Ok(file)
}

fn not_a_file(shown: &Path, meta: &std::fs::Metadata) -> String {
    format!(
        "`{}` is {}; Herald writes only regular files, so remove it or point the setting elsewhere",
        shown.display(),
        crate::limits::describe(meta.file_type())
    )
}

/// Where the system says an open handle is (Linux's `/proc/self/fd`).
fn opened_path(file: &File) -> Option<PathBuf> {
    use std::os::fd::AsRawFd;
    std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()
}

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
}
