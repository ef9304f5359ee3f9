//! Where Herald may write: only inside the repository, however a path is spelt or linked.

use std::path::{Component, Path, PathBuf};

/// Checks that `dir` (which need not exist yet) lies inside `root` once symbolic links
/// are resolved: a folder in the repository that is a link to `/etc` is outside it.
pub fn check_inside(root: &Path, dir: &Path) -> Result<(), String> {
    let real_root = root
        .canonicalize()
        .map_err(|e| format!("cannot resolve the repository folder: {e}"))?;
    let absolute = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| format!("cannot resolve the current folder: {e}"))?
            .join(dir)
    };
    // The nearest part of the path that exists decides where the rest will be.
    let mut existing = absolute.as_path();
    let mut rest: Vec<&std::ffi::OsStr> = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(Component::Normal(name))) => {
                rest.push(name);
                existing = parent;
            }
            _ => return Err(format!("`{}` is not a usable folder", dir.display())),
        }
    }
    if absolute
        .components()
        .any(|c| matches!(c, Component::ParentDir))
    {
        return Err(format!("`{}` must not use `..`", dir.display()));
    }
    let mut real: PathBuf = existing
        .canonicalize()
        .map_err(|e| format!("cannot resolve `{}`: {e}", existing.display()))?;
    real.extend(rest.iter().rev());
    if real.starts_with(&real_root) {
        Ok(())
    } else {
        Err(format!(
            "`{}` is outside the repository ({})",
            dir.display(),
            real.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check_inside;

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
        assert!(check_inside(r, outside.path()).is_err());
    }
}
