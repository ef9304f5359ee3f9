//! Lints the GitHub Actions workflows in `.github/workflows/` with `actionlint`.
//!
//! `actionlint` must be on `PATH`. `./scripts/test` installs it (into
//! `.tools/venv`) and puts it there; this test fails, rather than skips, when
//! it is missing.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workflow files (`*.yml`, `*.yaml`) in `.github/workflows/`, relative to
/// the crate root, sorted.
fn workflow_files(root: &Path) -> Vec<PathBuf> {
    let dir = root.join(".github").join("workflows");
    let entries =
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("cannot read a directory entry").path())
        .filter(|path| {
            path.is_file()
                && matches!(
                    path.extension().and_then(|ext| ext.to_str()),
                    Some("yml" | "yaml")
                )
        })
        .map(|path| {
            path.strip_prefix(root)
                .expect("workflow file is under the crate root")
                .to_path_buf()
        })
        .collect();
    files.sort();
    files
}

#[test]
fn workflows_pass_actionlint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = workflow_files(root);
    assert!(
        !files.is_empty(),
        "no workflow files (*.yml, *.yaml) found in {}",
        root.join(".github/workflows").display()
    );

    let output = match Command::new("actionlint")
        .arg("-no-color")
        .args(&files)
        .current_dir(root)
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`actionlint` was not found on PATH, so the GitHub Actions workflows \
             cannot be checked. Run the test suite with `./scripts/test`, which \
             installs actionlint into .tools/venv and puts it on PATH \
             (or prepend .tools/venv/bin to PATH after running it once)."
        ),
        Err(e) => panic!("failed to run `actionlint`: {e}"),
    };

    assert!(
        output.status.success(),
        "actionlint reported problems in {files:?} ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}
