//! The publish workflow's own `Publish` step, run as GitHub runs it: its shell script
//! from `.github/workflows/publish.yml`, in a fresh clone of a bare remote, on a runner
//! with no Git identity, with the inputs of the manual run form.

use crate::harness::{BASE_CONFIG, Repo, bare_remote, clean_env, git_in, project_root};
use std::path::Path;
use std::process::Command;

/// The `run:` script of the step named `name` in a workflow file.
fn step_script(workflow: &str, name: &str) -> String {
    let text =
        std::fs::read_to_string(project_root().join(".github/workflows").join(workflow)).unwrap();
    let start = text
        .find(&format!("      - name: {name}\n"))
        .unwrap_or_else(|| panic!("{workflow} has no step `{name}`"));
    let step = &text[start + 8..];
    let step = &step[..step.find("\n      - ").unwrap_or(step.len())];
    let run = step
        .find("        run: |\n")
        .expect("the step runs a script")
        + 15;
    step[run..]
        .lines()
        .map(|l| l.strip_prefix("          ").unwrap_or(l.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A content repository pushed to a bare remote: one announcement approved (and the
/// approval committed) by the editor, due long ago, so it is missed now.
fn remote() -> (tempfile::TempDir, String) {
    remote_with("")
}

/// [`remote`] with `extra` appended to the configuration.
fn remote_with(extra: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    bare_remote(dir.path());
    let work = Repo::new();
    work.write(
        "config/herald.toml",
        &format!(
            "{}{extra}",
            BASE_CONFIG.replace(
                "[defaults]",
                "approval_provenance = \"author\"\n\n[defaults]",
            )
        ),
    );
    work.write(
        "announcements/spring.et.md",
        "---\ntitle: Kevad\npublish_at: 2026-03-29 10:00\nchannels: [record_et]\n---\nTekst.\n",
    );
    work.write(".gitignore", "/target\n/state/.publish.lock\n");
    git_in(
        work.path(),
        "writer@example.org",
        &["init", "-q", "-b", "main"],
    );
    git_in(work.path(), "writer@example.org", &["add", "-A"]);
    git_in(
        work.path(),
        "writer@example.org",
        &["commit", "-q", "-m", "spring"],
    );
    work.approve("announcements/spring.et.md");
    git_in(
        work.path(),
        "editor@example.org",
        &["commit", "-q", "-am", "approve"],
    );
    let url = format!("file://{}", dir.path().join("remote.git").display());
    git_in(work.path(), "x@example.org", &["push", "-q", &url, "main"]);
    (dir, url)
}

/// What `actions/checkout` gives the job: a clone (`depth` 0 is the whole history, as
/// the workflow asks), with the prebuilt binary where the step expects it.
fn checkout(url: &str, depth: u32, into: &Path) {
    let mut args = vec!["clone", "-q"];
    let depth = depth.to_string();
    if depth != "0" {
        args.extend(["--depth", &depth]);
    }
    args.extend([url, "."]);
    git_in(into, "x@example.org", &args);
    std::fs::create_dir_all(into.join("target/release")).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_herald"),
        into.join("target/release/herald"),
    )
    .unwrap();
}

/// Runs the step's script with bash as a runner does, in the environment the harness
/// gives herald ([`clean_env`]: no Git identity) with a fresh `HOME`, the inputs as the
/// manual run form sets them, and a step summary file.
fn run_step(script: &str, dir: &Path, dry_run: bool, allow_late: bool) -> (i32, String, String) {
    let summary = dir.join("summary.md");
    let home = tempfile::tempdir().unwrap();
    let out = clean_env(
        Command::new("bash")
            .args(["-e", "-c", script])
            .current_dir(dir),
    )
    .env("HOME", home.path())
    .env("GITHUB_STEP_SUMMARY", &summary)
    .env("DRY_RUN", dry_run.to_string())
    .env("ALLOW_LATE", allow_late.to_string())
    .output()
    .expect("bash runs");
    (
        out.status.code().unwrap_or(-1),
        std::fs::read_to_string(dir.join("report.txt")).unwrap_or_default(),
        std::fs::read_to_string(&summary).unwrap_or_default(),
    )
}

fn recorded(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("state/recorded.jsonl"))
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

#[test]
fn the_publish_step_honours_the_manual_run_form_in_a_fresh_clone_without_git_identity() {
    let script = step_script("publish.yml", "Publish");
    assert!(script.contains("herald"), "{script}");
    // The workflow's own checkout (whole history) and the default depth-1 one, which
    // Herald deepens itself.
    for depth in [0, 1] {
        let (_remote, url) = remote();
        let runner = tempfile::tempdir().unwrap();
        checkout(&url, depth, runner.path());
        // The scheduled run: missed, so the run fails once and says how to send it.
        let (code, report, summary) = run_step(&script, runner.path(), false, false);
        assert_eq!(code, 1, "depth {depth}: {report}");
        assert!(report.contains("missed"), "depth {depth}: {report}");
        assert!(report.contains("--allow-late"), "depth {depth}: {report}");
        assert!(
            summary.contains("## Herald publish"),
            "depth {depth}: {summary}"
        );
        // A dry run with "allow late" shows it and sends nothing.
        let (code, report, _) = run_step(&script, runner.path(), true, true);
        assert_eq!(code, 0, "depth {depth}: {report}");
        assert!(
            report.contains("1 post(s) would be sent"),
            "depth {depth}: {report}"
        );
        assert_eq!(recorded(runner.path()), 0, "depth {depth}");
        // The manual run with "allow late": sent, once.
        let (code, report, _) = run_step(&script, runner.path(), false, true);
        assert_eq!(code, 0, "depth {depth}: {report}");
        assert!(report.contains("posted"), "depth {depth}: {report}");
        assert_eq!(recorded(runner.path()), 1, "depth {depth}");
        let (code, _, _) = run_step(&script, runner.path(), false, true);
        assert_eq!(code, 0, "depth {depth}");
        assert_eq!(recorded(runner.path()), 1, "depth {depth}: sent twice");
    }
}

/// The shipped workflow with the state on its own branch, as a city runs it: `main`
/// protected (a hook refuses every push to it), a fresh depth-1 runner for every run.
#[test]
fn the_publish_step_keeps_state_on_its_branch_so_main_can_be_protected() {
    let script = step_script("publish.yml", "Publish");
    assert!(
        !script.contains("git push"),
        "the step pushes nothing itself: {script}"
    );
    let workflow =
        std::fs::read_to_string(project_root().join(".github/workflows/publish.yml")).unwrap();
    assert!(
        !workflow.contains("git commit"),
        "publish.yml commits nothing"
    );
    let (remote, url) = remote_with("\n[state]\ngit_branch = \"herald-state\"\n");
    let bare = remote.path().join("remote.git");
    let hook = bare.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\nwhile read o n r; do [ \"$r\" = refs/heads/main ] && { echo 'main is protected' >&2; exit 1; }; done; exit 0\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let main = git_in(&bare, "x@example.org", &["rev-parse", "main"]);
    for run in 0..3 {
        let runner = tempfile::tempdir().unwrap();
        checkout(&url, 1, runner.path());
        let (code, report, _) = run_step(&script, runner.path(), false, true);
        assert_eq!(code, 0, "run {run}: {report}");
        let expected = if run == 0 {
            "posted"
        } else {
            "Nothing to publish"
        };
        assert!(report.contains(expected), "run {run}: {report}");
        // What was sent is on the state branch, and only there.
        let recorded = git_in(
            &bare,
            "x@example.org",
            &["show", "herald-state:state/recorded.jsonl"],
        );
        assert_eq!(recorded.lines().count(), 1, "run {run}: sent again");
        assert_eq!(git_in(&bare, "x@example.org", &["rev-parse", "main"]), main);
    }
}
