//! The page that `herald preview` writes, opened in a real browser.
//!
//! Runs the real binary on the repository's own examples, and on a copy of them with
//! long channel names, display names, handles and words (the layout's hard cases):
//! `check --format json` for the list of posts, then `preview --out DIR`, then
//! `node tests/browser/check-preview.js`, which opens `DIR/index.html` in Debian's
//! Chromium (through playwright-core) and checks that every post is there, as the
//! check reported it, with no request leaving the page, and, at 1280 and 390 px wide
//! with the `details` closed and open, what a person would see wrong: a horizontal
//! scrollbar, an email frame narrower than its card or scrolling, a card header on more
//! than one line, text squeezed into a column of a few letters. The full-page
//! screenshots are kept for CI as artifacts: `target/preview-1280.png` and
//! `target/preview-390.png` (the examples), `target/preview-long-1280.png` and
//! `target/preview-long-390.png` (the long names).
//!
//! Needs `/usr/bin/chromium` and `tests/browser/node_modules`; `./scripts/test`
//! installs both. This test fails, rather than skips, when either is missing.

use crate::harness::{Repo, herald_command, project_root};
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The browser: `/usr/bin/chromium`, or the path in `CHROMIUM`.
fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}
/// The browser check has its own timeout (120 s); this one is in case node hangs.
const BROWSER_CHECK_TIMEOUT: Duration = Duration::from_secs(180);

/// Runs `herald --root ROOT ARGS` as the harness starts it; must succeed.
#[track_caller]
fn herald(root: &Path, args: &[&str]) -> Output {
    let out = herald_command(root, args, &[])
        .output()
        .unwrap_or_else(|e| panic!("cannot run herald {args:?}: {e}"));
    assert!(
        out.status.success(),
        "herald {args:?} failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    out
}

/// Reads a child's pipe to the end on another thread, so that a chatty child
/// cannot block on a full pipe while we wait for it.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}

/// Waits for `child` at most `timeout`, killing it past that.
fn wait_with_timeout(mut child: Child, timeout: Duration) -> (Option<i32>, String, String, bool) {
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let (status, timed_out) = loop {
        match child.try_wait().expect("cannot wait for node") {
            Some(status) => break (status, false),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                break (child.wait().expect("cannot wait for node"), true);
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    (
        status.code(),
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
        timed_out,
    )
}

/// Channels with long names, display names and handles, and an announcement with a
/// long word and a long link, on every channel: what must not break the layout.
const LONG_NAMES: &str = r#"
[channels.mastodon_tartu_linnavalitsuse_kultuuriosakonna_rahvusvahelised_uudised]
kind = "mastodon"
lang = "en"
display_name = "Tartu Linnavalitsuse Kultuuriosakonna Rahvusvaheliste Suhete Teenistus"
handle = "tartu_linnavalitsuse_kultuuriosakond@mastodon.tartu.ee"
base_url = "https://mastodon.tartu.ee"
token_env = "MASTODON_LONG_TOKEN"

[channels.x_tartu_linnavalitsuse_kultuuriosakonna_rahvusvahelised_uudised]
kind = "x"
lang = "en"
display_name = "Tartu Linnavalitsuse Kultuuriosakonna Rahvusvaheliste Suhete Teenistus"
handle = "TartuLinnavalitsusKultuuriosakond"
consumer_key_env = "X_CONSUMER_KEY"
consumer_secret_env = "X_CONSUMER_SECRET"
access_token_env = "X_ACCESS_TOKEN"
access_token_secret_env = "X_ACCESS_TOKEN_SECRET"
"#;

/// A draft with a long title, a long word and a long link, for every English channel.
const LONG_DRAFT: &str = "---\n\
title: Rahvusvahelisekoostööprojektidekoordineerimiskeskuse avatud uste päev ja Tartu Linnavalitsuse Kultuuriosakonna Rahvusvaheliste Suhete Teenistuse aastakoosolek\n\
publish_at: 2022-11-30 10:00\n\
channels: all\n\
thread: auto\n\
link: https://www.tartu.ee/en/news/rahvusvahelisekoostooprojektidekoordineerimiskeskus/avatud-uste-paev-2022?utm_source=herald&utm_medium=social\n\
---\n\
Rahvusvahelisekoostööprojektidekoordineerimiskeskus opens its doors: \
https://www.tartu.ee/en/news/rahvusvahelisekoostooprojektidekoordineerimiskeskus/avatud-uste-paev-2022?utm_source=herald&utm_medium=social \
#Rahvusvahelisekoostööprojektidekoordineerimiskeskus @TartuLinnavalitsusKultuuriosakond\n";

#[test]
fn preview_page_shows_every_post_in_a_real_browser() {
    let root = project_root();
    check_in_browser(&root, "preview");
    let repo = Repo::examples(LONG_NAMES);
    repo.write("announcements/2022-11-30-long-names.en.md", LONG_DRAFT);
    check_in_browser(repo.path(), "preview-long");
}

/// Runs the browser check on the preview page of the repository at `root`, keeping
/// the screenshots at `target/NAME-1280.png` and `target/NAME-390.png`.
fn check_in_browser(repo: &Path, name: &str) {
    let root = project_root();
    let script = root.join("tests/browser/check-preview.js");
    let node_modules = root.join("tests/browser/node_modules");
    assert!(
        Path::new(&chromium()).exists(),
        "{} is missing, so the preview page cannot be checked in a browser. \
         Run the test suite with `./scripts/test`, which installs Debian's chromium \
         package (as root: `apt-get install -y chromium`), or set CHROMIUM to a browser's path.",
        chromium()
    );
    assert!(
        node_modules.join("playwright-core").is_dir(),
        "{} is missing (or has no playwright-core), so the preview page cannot be \
         checked in a browser. Run the test suite with `./scripts/test`, which runs \
         `npm ci --prefix tests/browser`.",
        node_modules.display()
    );

    // What the page must show: every post of every announcement variant.
    let work = tempfile::tempdir().expect("temp dir");
    let check = herald(repo, &["check", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap_or_else(|e| {
        panic!(
            "`herald check --format json` printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&check.stdout)
        )
    });
    let posts: usize = doc["announcements"]
        .as_array()
        .expect("check JSON has an announcements array")
        .iter()
        .map(|a| a["posts"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(posts > 0, "the examples render no posts: {doc:#}");
    let check_json = work.path().join("check.json");
    std::fs::write(&check_json, &check.stdout).expect("write check.json");

    let out_dir = work.path().join("preview");
    herald(
        repo,
        &[
            "preview",
            "--out",
            out_dir.to_str().expect("temp path is UTF-8"),
            "--outside-root",
            "--at",
            "2022-06-30 10:30",
        ],
    );
    let page = out_dir.join("index.html");
    assert!(
        page.is_file(),
        "`herald preview --out {}` did not write {}",
        out_dir.display(),
        page.display()
    );

    let prefix = root.join("target").join(name);
    std::fs::create_dir_all(root.join("target")).expect("create target/");
    let shots: Vec<std::path::PathBuf> = [1280, 390]
        .iter()
        .map(|w| root.join("target").join(format!("{name}-{w}.png")))
        .collect();
    for shot in &shots {
        let _ = std::fs::remove_file(shot);
    }
    let child = match Command::new("node")
        .arg(&script)
        .arg(&page)
        .arg(&check_json)
        .arg(&prefix)
        .current_dir(root.join("tests/browser"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`node` was not found on PATH, so the preview page cannot be checked in a \
             browser. Install Node.js (20 or newer) and run `./scripts/test`."
        ),
        Err(e) => panic!("cannot run node {}: {e}", script.display()),
    };
    let (code, stdout, stderr, timed_out) = wait_with_timeout(child, BROWSER_CHECK_TIMEOUT);
    assert!(
        !timed_out,
        "the browser check did not finish within {BROWSER_CHECK_TIMEOUT:?} and was killed\n\
         --- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    if code != Some(0) {
        // Keep the page for a look; the temp dir goes away with this test.
        let kept = root.join("target").join(format!("{name}-failed.html"));
        let kept = match std::fs::copy(&page, &kept) {
            Ok(_) => kept.display().to_string(),
            Err(e) => format!("(could not copy it to {}: {e})", kept.display()),
        };
        panic!(
            "the browser check of the preview page failed (exit code {code:?}); \
             page kept at {kept}, screenshots (if taken) at {}-*.png\n\
             --- stdout\n{stdout}\n--- stderr\n{stderr}",
            prefix.display()
        );
    }
    for shot in &shots {
        let png = std::fs::read(shot)
            .unwrap_or_else(|e| panic!("no screenshot at {}: {e}", shot.display()));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            shot.display()
        );
    }
    eprintln!("{}", stdout.trim_end());
}
