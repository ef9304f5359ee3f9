//! The composite action (`action.yml`) run as a runner runs it: its install step against a
//! loopback "GitHub" serving a release packaged by release.yml's own `Package` step, and
//! its run step, which writes the job summary only when Herald wrote none.

use crate::harness::{Repo, clean_env, project_root};
use crate::workflow_steps::run_script;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The archive a Linux x86-64 runner downloads.
const ARCHIVE: &str = "herald-x86_64-unknown-linux-musl.tar.gz";

/// The `run:` script of the action's step `name`.
fn action_step(name: &str) -> String {
    run_script(&project_root().join("action.yml"), 4, name)
}

/// What release.yml's `Package` step makes of a build for the runner's target: the test
/// binary, stripped of its debugging information (a sixth of the size, so quick to pack
/// and serve), stands in for the release build. Returns the archive and its `.sha256`.
fn packaged() -> (Vec<u8>, Vec<u8>) {
    let work = tempfile::tempdir().unwrap();
    let release = work.path().join("target/x86_64-unknown-linux-musl/release");
    std::fs::create_dir_all(&release).unwrap();
    let strip = Command::new("strip")
        .arg("-o")
        .arg(release.join("herald"))
        .arg(env!("CARGO_BIN_EXE_herald"))
        .status()
        .expect("strip (binutils) runs");
    assert!(strip.success());
    let script = run_script(
        &project_root().join(".github/workflows/release.yml"),
        6,
        "Package",
    );
    let out = clean_env(Command::new("bash").args(["-e", "-c", &script]))
        .current_dir(work.path())
        .env("TARGET", "x86_64-unknown-linux-musl")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dist = work.path().join("dist");
    let archive = std::fs::read(dist.join(ARCHIVE)).unwrap();
    let sum = std::fs::read(dist.join(format!("{ARCHIVE}.sha256"))).unwrap();
    // The format `sha256sum -c` reads: the digest, two spaces, the file name.
    let digest: String = Sha256::digest(&archive)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        String::from_utf8_lossy(&sum),
        format!("{digest}  {ARCHIVE}\n")
    );
    (archive, sum)
}

/// A "GitHub" serving `archive` and `sum` as the release files at `at`
/// (`/OWNER/REPO/releases/download/TAG` or `/OWNER/REPO/releases/latest/download`).
async fn release_server(at: &str, archive: Vec<u8>, sum: Vec<u8>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{at}/{ARCHIVE}")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(archive))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{at}/{ARCHIVE}.sha256")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(sum))
        .mount(&server)
        .await;
    server
}

/// A runner's files for one step: `RUNNER_TEMP`, `GITHUB_PATH`, `GITHUB_OUTPUT`,
/// `GITHUB_STEP_SUMMARY`.
struct Runner {
    temp: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        Runner {
            temp: tempfile::tempdir().unwrap(),
        }
    }
    fn file(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_default()
    }
    /// Runs `script` with bash as the runner does for `shell: bash`, on a Linux x86-64
    /// runner, with `env` (the step's `env:`) and `path` first on `PATH`.
    fn run(&self, script: &str, dir: &Path, path: &[&Path], env: &[(&str, &str)]) -> Output {
        let runner_temp = self.file("runner");
        std::fs::create_dir_all(&runner_temp).unwrap();
        let mut command = Command::new("bash");
        command
            .args([
                "--noprofile",
                "--norc",
                "-e",
                "-o",
                "pipefail",
                "-c",
                script,
            ])
            .current_dir(dir);
        clean_env(&mut command);
        let dirs = path.iter().map(|p| p.to_str().unwrap());
        let system = std::env::var("PATH").unwrap();
        let path = dirs.chain([system.as_str()]).collect::<Vec<_>>().join(":");
        command
            .env("PATH", path)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", &runner_temp)
            .env("GITHUB_PATH", self.file("github_path"))
            .env("GITHUB_OUTPUT", self.file("github_output"))
            .env("GITHUB_STEP_SUMMARY", self.file("summary.md"))
            .env("GITHUB_REPOSITORY", "someone/content")
            .envs(env.iter().copied())
            .output()
            .expect("bash runs")
    }
}

fn log(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The install step as `uses: acme/herald@REF` runs it, with `version` as given.
fn install(runner: &Runner, server: &MockServer, action_ref: &str, version: &str) -> Output {
    let here = tempfile::tempdir().unwrap();
    runner.run(
        &action_step("Install herald"),
        here.path(),
        &[],
        &[
            ("GITHUB_SERVER_URL", &server.uri()),
            ("HERALD_VERSION", version),
            ("HERALD_ACTION_REF", action_ref),
            ("HERALD_ACTION_REPOSITORY", "acme/herald"),
        ],
    )
}

async fn requested(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap();
    requests.iter().map(|r| r.url.path().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_action_installs_the_release_for_its_tag_and_checks_it() {
    let (archive, sum) = packaged();
    let at = "/acme/herald/releases/download/v1.2.3";
    let server = release_server(at, archive, sum).await;
    let runner = Runner::new();
    let out = install(&runner, &server, "v1.2.3", "");
    assert!(out.status.success(), "{}", log(&out));
    assert_eq!(
        requested(&server).await,
        [format!("{at}/{ARCHIVE}"), format!("{at}/{ARCHIVE}.sha256")]
    );
    // On PATH for the next steps, and it runs.
    let bin = runner.read("github_path");
    let bin = Path::new(bin.trim_end());
    assert_eq!(
        bin,
        runner.file("runner/herald-v1.2.3-x86_64-unknown-linux-musl/bin")
    );
    assert_eq!(runner.read("github_output"), "version=v1.2.3\n");
    let here = tempfile::tempdir().unwrap();
    let out = runner.run("herald --version", here.path(), &[bin], &[]);
    assert!(out.status.success(), "{}", log(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("herald {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_action_at_a_branch_installs_the_latest_release_unless_told_a_version() {
    let (archive, sum) = packaged();
    let latest = "/acme/herald/releases/latest/download";
    let server = release_server(latest, archive.clone(), sum.clone()).await;
    let runner = Runner::new();
    let out = install(&runner, &server, "main", "");
    assert!(out.status.success(), "{}", log(&out));
    assert_eq!(
        requested(&server).await,
        [
            format!("{latest}/{ARCHIVE}"),
            format!("{latest}/{ARCHIVE}.sha256")
        ]
    );
    assert_eq!(runner.read("github_output"), "version=latest\n");

    // `version` wins over the tag the action is used at.
    let at = "/acme/herald/releases/download/v1.0.0";
    let server = release_server(at, archive, sum).await;
    let runner = Runner::new();
    let out = install(&runner, &server, "v1", "v1.0.0");
    assert!(out.status.success(), "{}", log(&out));
    assert_eq!(runner.read("github_output"), "version=v1.0.0\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_that_does_not_match_its_checksum_is_not_installed() {
    let (mut archive, sum) = packaged();
    // One byte changed on the way.
    let last = archive.len() - 1;
    archive[last] ^= 1;
    let server = release_server("/acme/herald/releases/download/v1", archive, sum.clone()).await;
    let runner = Runner::new();
    let out = install(&runner, &server, "v1", "");
    assert_eq!(out.status.code(), Some(1), "{}", log(&out));
    let expected = String::from_utf8_lossy(&sum[..64]).into_owned();
    let text = log(&out);
    assert!(
        text.contains(&format!(
            "::error::checksum mismatch for {ARCHIVE} from {}/acme/herald/releases/download/v1: the release says {expected}, the download is ",
            server.uri()
        )),
        "{text}"
    );
    assert!(text.contains("Herald was not installed"), "{text}");
    assert_eq!(runner.read("github_path"), "", "put on PATH anyway");
    assert!(
        !runner
            .file("runner/herald-v1-x86_64-unknown-linux-musl/bin/herald")
            .exists()
    );

    // No release with that tag: said so, nothing installed.
    let runner = Runner::new();
    let out = install(&runner, &server, "v9.9.9", "");
    assert_eq!(out.status.code(), Some(1), "{}", log(&out));
    assert!(
        log(&out).contains(&format!(
            "::error::cannot download {ARCHIVE} of Herald v9.9.9"
        )),
        "{}",
        log(&out)
    );
    assert_eq!(runner.read("github_path"), "");
}

/// A `herald` that records its arguments and, like `publish`, writes the job summary.
fn summary_writing_herald(dir: &Path) -> PathBuf {
    let script = dir.join("herald");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$RUNNER_TEMP/args\"\necho '## Sent' >> \"$GITHUB_STEP_SUMMARY\"\necho 'sent 1 post'\nexit 3\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
fn the_run_step_passes_the_arguments_and_leaves_the_summary_to_herald_when_it_writes_one() {
    let bin = tempfile::tempdir().unwrap();
    summary_writing_herald(bin.path());
    let runner = Runner::new();
    let here = tempfile::tempdir().unwrap();
    let out = runner.run(
        &action_step("Run herald"),
        here.path(),
        &[bin.path()],
        &[
            ("GITHUB_TOKEN", "t0ken"),
            ("HERALD_COMMAND", "publish"),
            // Split at spaces only: nothing is evaluated.
            ("HERALD_ARGS", " --dry-run  --allow-late $(touch pwned) *"),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", log(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "sent 1 post\n");
    assert_eq!(
        runner.read("runner/args"),
        "publish\n--dry-run\n--allow-late\n$(touch\npwned)\n*\n"
    );
    assert!(!here.path().join("pwned").exists());
    assert_eq!(runner.read("summary.md"), "## Sent\n");
}

#[test]
fn the_run_step_puts_the_output_of_a_command_without_a_summary_there() {
    let repo = Repo::new();
    repo.write(
        "announcements/spring.et.md",
        "---\ntitle: Kevad\npublish_at: 2026-03-29 10:00\nchannels: [record_et]\n---\nTekst.\n",
    );
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_herald"), bin.path().join("herald")).unwrap();
    let runner = Runner::new();
    let out = runner.run(
        &action_step("Run herald"),
        repo.path(),
        &[bin.path()],
        &[("HERALD_COMMAND", "check"), ("HERALD_ARGS", "")],
    );
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let direct = crate::harness::run_in(repo.path(), &["check"], &[]);
    assert_eq!(out.status.code(), Some(direct.code), "{}", log(&out));
    assert_eq!(printed, format!("{}{}", direct.stdout, direct.stderr));
    assert_eq!(
        runner.read("summary.md"),
        format!("## herald check\n```\n{printed}```\n")
    );
}
