//! A fixture repository in a temporary folder, and the real `herald` binary run on it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A config with one channel per language of the `record` kind (no secrets), plus a
/// Mastodon channel whose token variable tests can set or leave unset.
pub const BASE_CONFIG: &str = r#"timezone = "Europe/Tallinn"
approvers = ["editor@example.org"]

[defaults]
lang = "et"

[channels.record_et]
kind = "record"
lang = "et"
limit = 500

[channels.record_en]
kind = "record"
lang = "en"
limit = 500

[channels.mastodon_et]
kind = "mastodon"
lang = "et"
base_url = "https://mastodon.example"
token_env = "TEST_MASTODON_TOKEN"
"#;

/// A valid 1×1 PNG.
pub const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

pub struct Repo {
    dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Repo {
    /// An empty repository with [`BASE_CONFIG`].
    pub fn new() -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        repo.write("config/herald.toml", BASE_CONFIG);
        std::fs::create_dir_all(repo.path().join("announcements")).unwrap();
        repo
    }

    /// A repository whose configuration is [`BASE_CONFIG`] plus `extra` (more channels,
    /// a `[publish]` table, …).
    pub fn with_config(extra: &str) -> Repo {
        let repo = Repo::new();
        repo.write("config/herald.toml", &format!("{BASE_CONFIG}\n{extra}"));
        repo
    }

    /// A copy of the bundled example repository (announcements and configuration), with
    /// `extra` appended to its configuration.
    pub fn examples(extra: &str) -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        copy_dir(
            &project_root().join("announcements"),
            &repo.path().join("announcements"),
        );
        let config = std::fs::read_to_string(project_root().join("config/herald.toml")).unwrap();
        let config = without_state_branch(&config);
        repo.write("config/herald.toml", &format!("{config}\n{extra}"));
        repo.reapprove_examples();
        repo
    }

    /// Approves again, as the same approver at the same time, every bundled example that
    /// was approved: what a test's configuration adds (a channel, a list) changes what the
    /// channels would receive, and an approval pins exactly that.
    pub fn reapprove_examples(&self) -> &Repo {
        self.reapprove_examples_with(&[])
    }

    /// [`Repo::reapprove_examples`] with `env` set, for tests whose environment changes a
    /// channel setting that reaches the posts (a Bluesky account's handle).
    pub fn reapprove_examples_with(&self, env: &[(&str, &str)]) -> &Repo {
        let dir = self.path().join("announcements");
        let mut stamped: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let path = e.unwrap().path();
                let text = std::fs::read_to_string(&path).ok()?;
                let name = path.file_name()?.to_str()?.to_owned();
                text.contains("\napproval:\n")
                    .then(|| format!("announcements/{name}"))
            })
            .collect();
        stamped.sort();
        let mut args = vec![
            "approve",
            "--by",
            "kadri.tamm@tartu.ee",
            "--at",
            "2022-06-29T16:00:00+03:00",
        ];
        args.extend(stamped.iter().map(String::as_str));
        self.run_env(&args, env).assert_code(0);
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) -> &Repo {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    /// Runs `herald --root <repo> ARGS` with a clean environment plus `env`.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        run_in(self.path(), args, env)
    }

    /// Approves `rel` as the approver listed in [`BASE_CONFIG`]; must succeed.
    pub fn approve(&self, rel: &str) -> &Repo {
        self.run(&["approve", rel, "--by", "editor@example.org"])
            .assert_code(0);
        self
    }

    /// Runs ARGS with `--format json`, expecting exit code `code`, and parses stdout.
    pub fn json(&self, args: &[&str], code: i32) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        self.run(&all).assert_code(code).json()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// Every file below the root as text, each after a `# PATH` line: what a "no secret
    /// is written anywhere" check searches.
    pub fn written_text(&self) -> String {
        self.snapshot()
            .iter()
            .map(|(path, bytes)| {
                format!("\n# {}\n{}", path.display(), String::from_utf8_lossy(bytes))
            })
            .collect()
    }

    /// Every file below the root with its bytes, for "nothing was written" checks.
    pub fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        walk(self.path(), self.path(), &mut out);
        out.sort();
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            out.push((
                p.strip_prefix(root).unwrap().to_owned(),
                std::fs::read(&p).unwrap_or_default(),
            ));
        }
    }
}

/// The environment of every process a test starts that runs herald (herald itself, and
/// the workflow's own scripts that call it): nothing inherited but `PATH` and `HOME`, no
/// colour, and no global or system Git configuration, as on a fresh runner (so the
/// machine's `user.email` cannot stand in for `--by`). Callers add what the test sets.
pub fn clean_env(cmd: &mut Command) -> &mut Command {
    cmd.env_clear();
    for key in ["PATH", "HOME"] {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd.env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
}

/// `herald --root ROOT ARGS` in ROOT, with [`clean_env`] plus `env` and no input: the one
/// way a test starts herald.
pub fn herald_command(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    herald_under(&[], root, args, env)
}

/// [`herald_command`] started through `wrapper`, a program and its arguments that end by
/// running the rest of its command line (the herald binary and its arguments): for a test
/// that needs a process limit set before herald starts.
pub fn herald_under(wrapper: &[&str], root: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let herald = env!("CARGO_BIN_EXE_herald");
    let mut cmd = match wrapper.split_first() {
        Some((program, wrapper_args)) => {
            let mut cmd = Command::new(program);
            cmd.args(wrapper_args).arg(herald);
            cmd
        }
        None => Command::new(herald),
    };
    cmd.arg("--root")
        .arg(root)
        .args(args)
        .current_dir(root)
        .stdin(Stdio::null());
    clean_env(&mut cmd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Starts herald as [`herald_command`] does, with its output thrown away: for the tests
/// that kill it.
pub fn spawn_herald(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Child {
    herald_command(root, args, env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start herald")
}

/// Runs the binary on any root (the repository itself, for the examples).
pub fn run_in(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = herald_command(root, args, env)
        .output()
        .expect("run herald");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `herald ARGS` with no `--root`, in the folder `cwd` (which may be anywhere), with
/// [`clean_env`] plus `env` and no input: how a staffer runs it from a folder of their choice.
pub fn run_from(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.args(args).current_dir(cwd).stdin(Stdio::null());
    clean_env(&mut cmd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run herald");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `git ARGS` in `dir` as `author`, with no global or system configuration (as on a
/// fresh runner); fails the test if Git does. Returns what Git printed.
/// An empty bare repository `remote.git` in `dir` (branch `main`), as a remote to push to.
pub fn bare_remote(dir: &Path) -> PathBuf {
    git_in(
        dir,
        "x@example.org",
        &["init", "-q", "--bare", "-b", "main", "remote.git"],
    );
    dir.join("remote.git")
}

pub fn git_in(dir: &Path, author: &str, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            &format!("user.email={author}"),
            "-c",
            "user.name=Test",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `config` without its `[state]` table: a copy of the examples in a plain folder (not a
/// clone of a remote) keeps its state in `state/`, which is what these tests look at.
/// The state branch is tested with real remotes in `state_branch.rs`.
pub fn without_state_branch(config: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in config.lines() {
        if line.starts_with('[') {
            skipping = line.trim() == "[state]";
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The repository this test suite lives in.
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// All diagnostics of a `check --format json` document, as (path, line, column, message).
pub fn diagnostics(doc: &Value) -> Vec<(String, Option<u64>, Option<u64>, String)> {
    let mut out = Vec::new();
    let loose = doc["diagnostics"].as_array().cloned().unwrap_or_default();
    let nested = doc["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["diagnostics"].as_array().cloned().unwrap_or_default());
    for d in loose.into_iter().chain(nested) {
        out.push((
            d["path"].as_str().unwrap().to_owned(),
            d["line"].as_u64(),
            d["column"].as_u64(),
            d["message"].as_str().unwrap().to_owned(),
        ));
    }
    out
}

/// Finds the one diagnostic at `path:line:column` and returns its message.
#[track_caller]
pub fn message_at(doc: &Value, path: &str, line: u64, column: u64) -> String {
    let all = diagnostics(doc);
    let found: Vec<_> = all
        .iter()
        .filter(|d| d.0 == path && d.1 == Some(line) && d.2 == Some(column))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one diagnostic at {path}:{line}:{column}, all: {all:#?}"
    );
    found[0].3.clone()
}

impl Repo {
    /// A copy of the bundled examples (configuration and announcements), with `api_url`
    /// set for each named channel: the examples published against test doubles.
    pub fn bundled_examples(api_urls: &[(&str, &str)]) -> Repo {
        let repo = Repo {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        let config = std::fs::read_to_string(project_root().join("config/herald.toml"))
            .expect("the bundled configuration");
        let mut config = without_state_branch(&config);
        for (channel, url) in api_urls {
            let header = format!("[channels.{channel}]\n");
            assert!(config.contains(&header), "no {header}");
            config = config.replace(&header, &format!("{header}api_url = \"{url}\"\n"));
        }
        repo.write("config/herald.toml", &config);
        copy_dir(
            &project_root().join("announcements"),
            &repo.path().join("announcements"),
        );
        repo
    }
}

/// The requests `publish --dry-run --format json` plans for `channel`: (action, body as
/// JSON text), with `<id of part N>` replaced by `id` (what the test double answers).
pub fn planned(plan: &Value, channel: &str, id: &str) -> Vec<(String, String)> {
    let post = plan["due"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["channel"] == channel)
        .unwrap_or_else(|| panic!("nothing due on {channel}: {plan}"));
    let placeholder = regex::Regex::new(r"<id of part \d+>").unwrap();
    post["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_owned(),
                placeholder
                    .replace_all(&r["body"].to_string(), id)
                    .into_owned(),
            )
        })
        .collect()
}

/// Starts `herald --root REPO ARGS` ([`spawn_herald`]) with `env` and kills it with
/// SIGKILL after `delay` unless it has finished by then; true when the kill hit a live
/// process.
pub fn run_and_kill(
    repo: &Repo,
    args: &[&str],
    env: &[(String, String)],
    delay: std::time::Duration,
) -> bool {
    let mut child = spawn_herald(repo.path(), args, &env_pairs(env));
    std::thread::sleep(delay);
    let alive = child.try_wait().expect("poll herald").is_none();
    if alive {
        child.kill().expect("SIGKILL herald");
    }
    child.wait().expect("reap herald");
    alive
}

/// Ledger keys (`id/lang/part`) whose last record is `started`: in flight when a run died.
pub fn in_flight(repo: &Repo) -> Vec<String> {
    let ledger =
        std::fs::read_to_string(repo.path().join("state/ledger.jsonl")).unwrap_or_default();
    let mut last = std::collections::BTreeMap::new();
    for line in ledger.lines() {
        let Ok(r) = serde_json::from_str::<Value>(line) else {
            continue; // a line cut short by the kill
        };
        last.insert(
            format!("{}/{}/{}", r["id"], r["lang"], r["part"]),
            r["event"].clone(),
        );
    }
    last.into_iter()
        .filter(|(_, e)| e == "started")
        .map(|(k, _)| k)
        .collect()
}

/// The ledger's `posted` records.
pub fn posted_lines(repo: &Repo) -> Vec<Value> {
    std::fs::read_to_string(repo.path().join("state/ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["event"] == "posted")
        .collect()
}

/// `(String, String)` pairs as the `(&str, &str)` that [`Repo::run_env`] takes.
pub fn env_pairs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// `herald publish --channel CHANNEL --format json --at AT` (with `--dry-run` if `dry`).
pub fn publish_on(
    repo: &Repo,
    env: &[(String, String)],
    channel: &str,
    at: &str,
    dry: bool,
) -> Run {
    let mut args = vec![
        "publish",
        "--channel",
        channel,
        "--format",
        "json",
        "--at",
        at,
    ];
    if dry {
        args.push("--dry-run");
    }
    repo.run_env(&args, &env_pairs(env))
}
