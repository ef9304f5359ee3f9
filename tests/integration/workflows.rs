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

/// Proving approvals reads Git history: every workflow that runs Herald on the content
/// checks out the whole history (a depth-1 checkout cannot show who committed a stamp).
#[test]
fn workflows_that_run_herald_fetch_the_whole_history() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for name in ["publish.yml", "preview.yml"] {
        let text = std::fs::read_to_string(root.join(".github/workflows").join(name)).unwrap();
        let checkouts: Vec<&str> = text
            .split("- uses: actions/checkout@")
            .skip(1)
            .map(|rest| rest.split("\n      - ").next().unwrap())
            .collect();
        assert!(!checkouts.is_empty(), "{name} checks nothing out");
        for step in checkouts {
            assert!(
                step.contains("fetch-depth: 0"),
                "{name}: a checkout without `fetch-depth: 0`:\n{step}"
            );
        }
    }
}
