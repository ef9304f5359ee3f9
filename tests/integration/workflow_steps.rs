//! The publish workflow's own steps, run as GitHub runs them: their shell scripts from
//! `.github/workflows/publish.yml`, in a fresh clone of a bare remote, on a runner with
//! no Git identity, with the inputs of the manual run form; a normal run (the binary from
//! the cache) with no compiler to be found. Also reads the steps of any workflow or of
//! the composite action for the other tests that run them.

use crate::harness::{BASE_CONFIG, Repo, bare_remote, clean_env, git_in, project_root};
use std::path::Path;
use std::process::Command;

/// The `run:` script of the step named `name` in a workflow file.
pub fn step_script(workflow: &str, name: &str) -> String {
    let path = project_root().join(".github/workflows").join(workflow);
    run_script(&path, 6, name)
}

/// The steps of the file at `path` (a workflow's job or a composite action), each as its
/// text from its `- ` (at column `indent`) to the last line indented under it.
pub fn steps(path: &Path, indent: usize) -> Vec<String> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let inner = " ".repeat(indent + 2);
    text.split(&format!("\n{}- ", " ".repeat(indent)))
        .skip(1)
        .map(|step| {
            let mut lines = step.lines();
            let first = lines.next().unwrap_or_default();
            let rest = lines.take_while(|l| l.is_empty() || l.starts_with(&inner));
            std::iter::once(format!("{inner}{first}"))
                .chain(rest.map(str::to_owned))
                .collect::<Vec<_>>()
                .join("\n")
                .trim_end()
                .to_owned()
        })
        .collect()
}

/// The `run: |` script of the step named `name` in the file at `path`, whose steps start
/// at column `indent` (6 in a workflow's job, 4 in a composite action), unindented as
/// the runner gives it to the shell.
pub fn run_script(path: &Path, indent: usize, name: &str) -> String {
    let key = " ".repeat(indent + 2);
    let step = steps(path, indent)
        .into_iter()
        .find(|step| step.trim_start().starts_with(&format!("name: {name}\n")))
        .unwrap_or_else(|| panic!("{} has no step `{name}`", path.display()));
    // A one-line `run: command`.
    if let Some(at) = step.find(&format!("\n{key}run: "))
        && !step[at..].starts_with(&format!("\n{key}run: |"))
    {
        let line = &step[at + key.len() + 6..];
        return line.lines().next().unwrap_or_default().trim().to_owned();
    }
    let run = step
        .find(&format!("\n{key}run: |\n"))
        .unwrap_or_else(|| panic!("the step `{name}` runs no script"))
        + key.len()
        + 8;
    let body = " ".repeat(indent + 4);
    step[run..]
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with(&body))
        .map(|l| l.strip_prefix(body.as_str()).unwrap_or(l.trim()))
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
/// manual run form sets them, and a step summary file. Returns the exit status, the
/// report file and the step's log (what it printed).
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
    .env("GITHUB_REPOSITORY", "tartu/news")
    .env("DRY_RUN", dry_run.to_string())
    .env("ALLOW_LATE", allow_late.to_string())
    .output()
    .expect("bash runs");
    (
        out.status.code().unwrap_or(-1),
        std::fs::read_to_string(dir.join("report.txt")).unwrap_or_default(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
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
    // Herald writes the job summary itself; the step must not add a second copy.
    assert!(!script.contains("GITHUB_STEP_SUMMARY"), "{script}");
    // The workflow's own checkout (whole history) and the default depth-1 one, which
    // Herald deepens itself.
    for depth in [0, 1] {
        let (_remote, url) = remote();
        let runner = tempfile::tempdir().unwrap();
        checkout(&url, depth, runner.path());
        // The scheduled run: missed, so the run fails once and says how to send it.
        let (code, report, log) = run_step(&script, runner.path(), false, false);
        assert_eq!(code, 1, "depth {depth}: {report}");
        assert!(report.contains("missed"), "depth {depth}: {report}");
        assert!(report.contains("--allow-late"), "depth {depth}: {report}");
        // The report is in the run's log; Herald's own summary says what was held back.
        assert_eq!(log, report, "depth {depth}");
        let summary = std::fs::read_to_string(runner.path().join("summary.md")).unwrap();
        assert!(
            summary.starts_with("## Herald publish: "),
            "depth {depth}: {summary}"
        );
        assert!(
            summary.contains("**Sent: 0** · **held back: 1**"),
            "depth {depth}: {summary}"
        );
        assert!(
            summary.contains("missed its time"),
            "depth {depth}: {summary}"
        );
        std::fs::remove_file(runner.path().join("summary.md")).unwrap();
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
        let summary = std::fs::read_to_string(runner.path().join("summary.md")).unwrap();
        assert!(
            summary.contains("**Sent: 1** · **held back: 0**"),
            "depth {depth}: {summary}"
        );
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

/// What makes a step skipped when the binary came from the cache.
const ON_A_MISS: &str = "if: steps.herald-bin.outputs.cache-hit != 'true'";

/// publish.yml on a normal run (the binary restored from the cache) runs no compiler:
/// every step that installs Rust or builds is skipped on a cache hit, and the steps left
/// (checkout, the cache restore, then the scripts, run in order as the runner does,
/// carrying `GITHUB_ENV` from one to the next) publish with no `cargo`, `rustc` or
/// `rustup` to be found: stand-ins that record being called come first on `PATH`.
#[test]
fn a_publish_run_with_the_cached_binary_runs_no_cargo() {
    let workflow = project_root().join(".github/workflows/publish.yml");
    let steps = steps(&workflow, 6);
    let mut ran = Vec::new();
    let mut left_uses = Vec::new();
    for step in &steps {
        let compiles = ["cargo", "rustc", "rustup", "rust-toolchain", "rust-cache"]
            .iter()
            .any(|word| step.contains(word));
        if step.contains(ON_A_MISS) {
            continue;
        }
        assert!(
            !compiles,
            "a step that runs on a cache hit compiles:\n{step}"
        );
        if let Some(uses) = step.trim_start().strip_prefix("uses: ") {
            left_uses.push(uses.lines().next().unwrap().to_owned());
        } else if let Some(uses) = step.find("\n        uses: ") {
            left_uses.push(step[uses + 15..].lines().next().unwrap().to_owned());
        } else {
            let name = step.trim_start().strip_prefix("name: ").unwrap();
            ran.push(name.lines().next().unwrap().to_owned());
        }
    }
    // The actions left are the ones this test stands in for: the checkout and the
    // cache restore (the binary in target/release).
    assert_eq!(
        left_uses,
        ["actions/checkout@v5", "actions/cache/restore@v5"],
        "{steps:#?}"
    );
    assert_eq!(ran, ["Write the email lists", "Publish"]);

    let (_remote, url) = remote();
    let runner = tempfile::tempdir().unwrap();
    checkout(&url, 0, runner.path());
    let temp = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let stand_ins = tempfile::tempdir().unwrap();
    let called = stand_ins.path().join("called");
    for tool in ["cargo", "rustc", "rustup"] {
        let path = stand_ins.path().join(tool);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho {tool} >> '{}'\nexit 1\n", called.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = std::env::var("PATH").unwrap();
    let path = std::iter::once(stand_ins.path().to_str().unwrap())
        .chain(path.split(':').filter(|dir| !dir.contains(".cargo")))
        .collect::<Vec<_>>()
        .join(":");
    let github_env = temp.path().join("github_env");
    std::fs::write(&github_env, "").unwrap();
    let inputs = [
        ("DRY_RUN", "false"),
        ("ALLOW_LATE", "true"),
        ("NEWSLETTER_CSV", "email\nreader@example.org"),
        ("NEWSLETTER_SUPPRESSED_LIST", ""),
    ];
    let mut logs = Vec::new();
    for name in &ran {
        let script = step_script("publish.yml", name);
        let mut command = Command::new("bash");
        command
            .args(["-e", "-c", &script])
            .current_dir(runner.path());
        clean_env(&mut command)
            .env("PATH", &path)
            .env("HOME", home.path())
            .env("RUNNER_TEMP", temp.path())
            .env("GITHUB_ENV", &github_env)
            .env("GITHUB_STEP_SUMMARY", temp.path().join("summary.md"))
            .envs(inputs);
        for line in std::fs::read_to_string(&github_env).unwrap().lines() {
            let (key, value) = line.split_once('=').expect("KEY=VALUE in GITHUB_ENV");
            command.env(key, value);
        }
        let out = command.output().expect("bash runs");
        let log = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "step `{name}` failed:\n{log}");
        logs.push(log);
    }
    assert!(
        !called.exists(),
        "a step called {}",
        std::fs::read_to_string(&called).unwrap()
    );
    assert!(logs[1].contains("posted"), "{}", logs[1]);
    assert_eq!(recorded(runner.path()), 1);
    // The lists step handed the next step its files, readable by the runner only.
    let subscribers = temp.path().join("subscribers.csv");
    assert_eq!(
        std::fs::read_to_string(&github_env).unwrap(),
        format!(
            "NEWSLETTER_SUBSCRIBERS={}\nNEWSLETTER_SUPPRESSED={}\n",
            subscribers.display(),
            temp.path().join("suppressed.txt").display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&subscribers).unwrap(),
        "email\nreader@example.org\n"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&subscribers)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}
