//! Herald's state on its own branch, tried as a city runs it: a bare remote whose `main`
//! is protected (a `pre-receive` hook refuses every push to it), and for every run a
//! fresh depth-1 clone with no Git identity, deleted afterwards with everything it
//! wrote: the runner is thrown away, only the remote remembers.

use crate::harness::{Repo, bare_remote, git_in, herald_command};
use crate::mock_webhook::MockWebhook;
use crate::webhooks::{TG_TOKEN, discord_answer, telegram_answer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// Refuses pushes to `main`, as branch protection does; lets the state branch through,
/// unless `refuse-state` exists beside the repository (the remote turning Herald away).
const HOOK: &str = r#"#!/bin/sh
while read old new ref; do
  case "$ref" in
    refs/heads/main) echo "main is protected: changes need a pull request" >&2; exit 1 ;;
    refs/heads/herald-state)
      if [ -e "$(dirname "$PWD")/refuse-state" ]; then echo "state pushes are switched off" >&2; exit 1; fi ;;
  esac
done
"#;

const CHANNELS: &str = r#"
[channels.slack_et]
kind = "slack"
lang = "et"
webhook_url_env = "TEST_SLACK_URL"

[channels.discord_et]
kind = "discord"
lang = "et"
webhook_url_env = "TEST_DISCORD_URL"

[channels.telegram_et]
kind = "telegram"
lang = "et"
chat_id = "@city"
token_env = "TG_TOKEN"
api_url = "TELEGRAM_API"

[channels.bluesky_et]
kind = "bluesky"
lang = "et"
service = "BLUESKY_PDS"
identifier = "BLUESKY_HANDLE"
password_env = "TEST_BLUESKY_PASSWORD"

[state]
git_branch = "herald-state"
"#;

/// The webhook channels: no de-duplication, no lookup. What they got is counted there.
const WEBHOOKS: [&str; 3] = ["slack_et", "discord_et", "telegram_et"];

/// The servers of one trial and the environment that points Herald at them.
struct Servers {
    slack: MockWebhook,
    discord: MockWebhook,
    telegram: MockWebhook,
    /// mastodon-mock, the third-party Mastodon server the test command starts (with
    /// `Idempotency-Key` handling), an account of its own per trial.
    mastodon: crate::mastodon_server::Account,
    /// The real PDS: Bluesky's record key de-duplicates for ever, so its `started`
    /// records wait for the next push instead of each having its own.
    bluesky: crate::pds::Account,
    env: Vec<(String, String)>,
}

impl Servers {
    fn start(latency: Duration) -> Servers {
        let slack = MockWebhook::start();
        let discord = MockWebhook::start_with(discord_answer);
        let telegram = MockWebhook::start_with(telegram_answer);
        let mastodon_url = crate::mastodon_server::server("HERALD_TEST_MASTODON");
        let mastodon = crate::mastodon_server::Account::create(&mastodon_url);
        for hook in [&slack, &discord, &telegram] {
            hook.set_latency(latency);
        }
        let bluesky = crate::pds::Account::create("state");
        let env = vec![
            ("TEST_BLUESKY_PASSWORD".into(), bluesky.app_password.clone()),
            ("TEST_SLACK_URL".into(), slack.url()),
            ("TEST_DISCORD_URL".into(), discord.url()),
            ("TG_TOKEN".into(), TG_TOKEN.into()),
            (
                "HERALD_CHANNELS__MASTODON_ET__BASE_URL".into(),
                mastodon_url.clone(),
            ),
            ("TEST_MASTODON_TOKEN".into(), mastodon.token.clone()),
            ("HERALD_PUBLISH__RETRY_BASE".into(), "10ms".into()),
            // The real PDS answers six runners at once slowly on a loaded 2-core machine;
            // no test here is about timeouts.
            ("HERALD_PUBLISH__REQUEST_TIMEOUT".into(), "20s".into()),
            ("HERALD_PUBLISH__MAX_POSTS_PER_RUN".into(), "100".into()),
        ];
        Servers {
            slack,
            discord,
            telegram,
            mastodon,
            bluesky,
            env,
        }
    }

    /// The environment that points Herald at these servers.
    fn env(&self) -> Vec<(&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// The texts each channel's server received, in order.
    fn received(&self) -> BTreeMap<&'static str, Vec<String>> {
        let texts = |hook: &MockWebhook, field: &str| -> Vec<String> {
            hook.received()
                .iter()
                .map(|m| m[field].as_str().unwrap_or_default().to_owned())
                .collect()
        };
        BTreeMap::from([
            ("slack_et", texts(&self.slack, "text")),
            ("discord_et", texts(&self.discord, "content")),
            ("telegram_et", texts(&self.telegram, "text")),
            (
                "bluesky_et",
                self.bluesky
                    .posts()
                    .iter()
                    .map(|r| r["value"]["text"].as_str().unwrap_or_default().to_owned())
                    .collect(),
            ),
            (
                "mastodon_et",
                self.mastodon
                    .statuses()
                    .iter()
                    .map(crate::mastodon_server::shown_text)
                    .collect(),
            ),
        ])
    }
}

/// A bare remote (protected `main`) holding a content repository with `count`
/// approved announcements due at 10:00 on the webhook channels and Mastodon.
struct Site {
    dir: tempfile::TempDir,
    url: String,
}

impl Site {
    fn new(servers: &Servers, count: usize) -> Site {
        let work = Repo::with_config(
            &CHANNELS
                .replace("TELEGRAM_API", &servers.telegram.base())
                .replace("BLUESKY_PDS", &servers.bluesky.pds)
                .replace("BLUESKY_HANDLE", &servers.bluesky.handle),
        );
        for n in 0..count {
            let rel = format!("announcements/n{n}.et.md");
            work.write(
                &rel,
                &format!("---\ntitle: Uudis {n}\npublish_at: 2026-06-30 10:00\nchannels: [slack_et, discord_et, telegram_et, mastodon_et, bluesky_et]\n---\nTeade number {n}.\n"),
            );
            work.approve(&rel);
        }
        Site::publish_main(work)
    }

    /// The content repository `work`, pushed as `main` of a new bare remote that then
    /// protects `main`.
    fn publish_main(work: Repo) -> Site {
        let dir = tempfile::tempdir().unwrap();
        bare_remote(dir.path());
        work.write(".gitignore", "/state/.publish.lock\n");
        let w = work.path();
        git_in(w, "editor@example.org", &["init", "-q", "-b", "main"]);
        git_in(w, "editor@example.org", &["add", "-A"]);
        git_in(w, "editor@example.org", &["commit", "-q", "-m", "news"]);
        let url = format!("file://{}", dir.path().join("remote.git").display());
        git_in(w, "editor@example.org", &["push", "-q", &url, "main"]);
        let hook = dir.path().join("remote.git/hooks/pre-receive");
        std::fs::write(&hook, HOOK).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        Site { dir, url }
    }

    /// A fresh runner: a depth-1 clone of `main`, as `actions/checkout` makes it.
    fn runner(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git_in(
            dir.path(),
            "x@example.org",
            &["clone", "-q", "--depth", "1", &self.url, "."],
        );
        dir
    }

    fn remote(&self) -> PathBuf {
        self.dir.path().join("remote.git")
    }

    /// A file on the state branch of the remote (empty when there is none).
    fn state_file(&self, path: &str) -> String {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(self.remote())
            .args(["show", &format!("herald-state:{path}")])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn ledger(&self) -> Vec<Value> {
        self.state_file("state/ledger.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).expect("every line on the remote is whole"))
            .collect()
    }

    /// Runs herald in a fresh runner, which is then thrown away.
    fn run(&self, servers: &Servers, args: &[&str]) -> Output {
        let env = servers.env();
        self.run_env(args, &env)
    }

    /// A fresh runner starts `publish` and is SIGKILLed after `delay`, then thrown away
    /// with everything it wrote. False when the run finished before the kill.
    fn lose_a_runner(&self, env: &[(&str, &str)], delay: Duration) -> bool {
        let runner = self.runner();
        let mut child = herald_command(runner.path(), &["publish", "-q", "--at", AT], env)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let alive = child.try_wait().unwrap().is_none();
        if alive {
            child.kill().unwrap();
        }
        child.wait().unwrap();
        alive
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let runner = self.runner();
        herald_command(runner.path(), args, env).output().unwrap()
    }
}

fn run_in(root: &Path, servers: &Servers, args: &[&str]) -> Output {
    let env = servers.env();
    herald_command(root, args, &env).output().unwrap()
}

const AT: &str = "2026-06-30 10:05";

fn text(out: &Output) -> String {
    format!(
        "--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `status` as a fresh runner sees it: (announcement, channel) → status.
fn status(site: &Site, servers: &Servers) -> BTreeMap<(String, String), String> {
    let out = site.run(servers, &["status", "--format", "json", "--at", AT]);
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    let mut map = BTreeMap::new();
    for a in doc["announcements"].as_array().unwrap() {
        for c in a["channels"].as_array().unwrap() {
            map.insert(
                (
                    a["id"].as_str().unwrap().to_owned(),
                    c["channel"].as_str().unwrap().to_owned(),
                ),
                c["status"].as_str().unwrap().to_owned(),
            );
        }
    }
    map
}

#[test]
fn a_publish_run_leaves_main_alone_and_the_next_fresh_runner_sends_nothing_again() {
    let servers = Servers::start(Duration::ZERO);
    let site = Site::new(&servers, 3);
    let main_before = git_in(&site.remote(), "x@example.org", &["rev-parse", "main"]);
    let first = site.run(&servers, &["publish", "--at", AT]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    for again in 0..2 {
        let out = site.run(&servers, &["publish", "--at", AT]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Nothing to publish"),
            "run {again}: {}",
            text(&out)
        );
    }
    for (channel, texts) in servers.received() {
        for n in 0..3 {
            let got = texts.iter().filter(|t| number(t) == Some(n)).count();
            assert_eq!(got, 1, "{channel}: {texts:#?}");
        }
        assert_eq!(texts.len(), 3, "{channel}: {texts:#?}");
    }
    // `main` is as it was: the state went to its own branch, an orphan with only state.
    assert_eq!(
        git_in(&site.remote(), "x@example.org", &["rev-parse", "main"]),
        main_before
    );
    let files = git_in(
        &site.remote(),
        "x@example.org",
        &["ls-tree", "-r", "--name-only", "herald-state"],
    );
    // The ledger, and the archive of what each post said.
    assert_eq!(
        files,
        "state/archive/n0.jsonl\nstate/archive/n1.jsonl\nstate/archive/n2.jsonl\nstate/ledger.jsonl\n"
    );
    let roots = git_in(
        &site.remote(),
        "x@example.org",
        &["rev-list", "--max-parents=0", "herald-state"],
    );
    assert_eq!(roots.lines().count(), 1);
    let merge_base = std::process::Command::new("git")
        .arg("-C")
        .arg(site.remote())
        .args(["merge-base", "main", "herald-state"])
        .output()
        .unwrap();
    assert!(
        !merge_base.status.success(),
        "the state branch shares no history with main"
    );
    // State commits carry Herald's identity (the runner has none).
    let who = git_in(
        &site.remote(),
        "x@example.org",
        &["log", "--format=%an <%ae>|%cn <%ce>", "herald-state"],
    );
    for line in who.lines() {
        assert_eq!(
            line,
            "Herald <herald@users.noreply.github.com>|Herald <herald@users.noreply.github.com>"
        );
    }
    // Pushes are shared: a `started` already written when another channel pushes goes
    // with that push. At most one per post plus the outcomes, at least the outcomes.
    let commits = git_in(
        &site.remote(),
        "x@example.org",
        &["rev-list", "--count", "herald-state"],
    );
    let commits: usize = commits.trim().parse().unwrap();
    assert!(
        (2..=13).contains(&commits),
        "{commits} state commits for 15 posts, 12 of them on channels without lasting de-duplication"
    );
    let status = status(&site, &servers);
    assert!(status.values().all(|s| s == "posted"), "{status:#?}");
}

#[test]
fn a_lost_runner_never_causes_a_duplicate_and_whatever_is_missing_is_reported_in_doubt() {
    // In the normal suite a few rounds; `scripts/lost-runner` runs 200 kill points.
    let kills_wanted: usize = std::env::var("HERALD_TEST_LOST_RUNNER_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let mut rng = fastrand::Rng::with_seed(20_261_201);
    let (mut kills, mut rounds, mut in_doubt, mut delivered) = (0, 0, 0, 0);
    while kills < kills_wanted {
        rounds += 1;
        let servers = Servers::start(Duration::from_millis(15));
        let site = Site::new(&servers, 4);
        // Up to four runners lost at random moments, then one that finishes.
        for _ in 0..4 {
            let delay = Duration::from_millis(rng.u64(0..=900));
            if !site.lose_a_runner(&servers.env(), delay) {
                break;
            }
            kills += 1;
        }
        let last = site.run(&servers, &["publish", "--format", "json", "--at", AT]);
        let report: Value =
            serde_json::from_slice(&last.stdout).unwrap_or_else(|_| panic!("{}", text(&last)));
        for row in report["rows"].as_array().unwrap() {
            let ok = row["result"] == "posted"
                || (row["result"] == "in_doubt"
                    && WEBHOOKS.contains(&row["channel"].as_str().unwrap()));
            assert!(ok, "round {rounds}: {row:#}");
        }
        let received = servers.received();
        let status = status(&site, &servers);
        for (channel, texts) in &received {
            let mut unique = texts.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(
                unique.len(),
                texts.len(),
                "round {rounds}: {channel} got a duplicate: {texts:#?}"
            );
        }
        for n in 0..4 {
            let id = format!("n{n}");
            for channel in WEBHOOKS.iter().chain(&["mastodon_et", "bluesky_et"]) {
                let got = received[channel]
                    .iter()
                    .filter(|t| number(t) == Some(n))
                    .count();
                let state = &status[&(id.clone(), channel.to_string())];
                match (got, state.as_str()) {
                    (1, "posted") => delivered += 1,
                    (_, "in_doubt") if WEBHOOKS.contains(channel) => in_doubt += 1,
                    other => panic!("round {rounds}: {id} on {channel}: received {other:?}"),
                }
            }
        }
    }
    println!(
        "lost runner: {kills} kill points in {rounds} rounds: 0 duplicates; {delivered} posts delivered once, {in_doubt} reported in doubt"
    );
}

#[test]
fn a_resolve_pushed_while_publish_runs_is_merged_and_nothing_is_sent_again() {
    // Slack is slow: the publish run below takes several seconds, so the person's
    // `resolve` lands while it runs, however loaded the machine is.
    let servers = Servers::start(Duration::from_millis(50));
    servers.slack.set_latency(Duration::from_millis(1500));
    let site = Site::new(&servers, 4);
    // A first runner is lost right after Slack's first `started` reached the remote:
    // that post is in doubt (Slack offers no way to check).
    let runner = site.runner();
    let env = servers.env();
    let mut child = herald_command(
        runner.path(),
        &["publish", "-q", "--channel", "slack_et", "--at", AT],
        &env,
    )
    .spawn()
    .unwrap();
    let started_on_remote = || site.ledger().iter().any(|r| r["event"] == "started");
    while !started_on_remote() {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(runner);
    let doubt: Vec<Value> = site.ledger();
    let first = doubt.iter().find(|r| r["event"] == "started").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A publish run on every channel, slow enough for a person to act meanwhile.
    let publisher = site.runner();
    let publish = herald_command(publisher.path(), &["publish", "--at", AT], &env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let commits = || {
        git_in(
            &site.remote(),
            "x@example.org",
            &["rev-list", "--count", "herald-state"],
        )
        .trim()
        .parse::<u32>()
        .unwrap()
    };
    // The person's clone is made now, their `resolve` runs while publish is under way.
    let person_clone = site.runner();
    let before = commits();
    while commits() < before + 1 {
        std::thread::sleep(Duration::from_millis(5));
    }
    // Meanwhile, in another clone, a person looks at Slack and settles the post in doubt.
    let n: usize = first.trim_start_matches('n').parse().unwrap();
    let arrived = servers.received()["slack_et"]
        .iter()
        .any(|t| number(t) == Some(n));
    let answer: &[&str] = if arrived {
        &["--posted", "https://slack.example/archives/1"]
    } else {
        &["--not-posted"]
    };
    let mut args = vec!["resolve", first.as_str(), "slack_et"];
    args.extend(answer);
    let person = run_in(person_clone.path(), &servers, &args);
    assert_eq!(person.status.code(), Some(0), "{}", text(&person));
    let out = publish.wait_with_output().unwrap();
    let shown = text(&out);
    // They raced: whichever pushed second was refused, merged the other's lines and
    // pushed again; each says so when it was the one.
    let merged = |o: &Output| text(o).contains("merged with another writer's");
    assert!(
        merged(&out) || merged(&person),
        "{shown}\n{}",
        text(&person)
    );
    // Both writers' records are on the remote, none lost.
    let ledger = site.ledger();
    assert!(
        ledger
            .iter()
            .any(|r| r["event"] == "resolved" && r["id"] == first.as_str()),
        "the person's record was kept"
    );
    let posted = ledger.iter().filter(|r| r["event"] == "posted").count();
    assert_eq!(
        posted,
        4 * 5 - 1,
        "every post but the one in doubt: {shown}"
    );
    // The next runner sends the settled post once and nothing else.
    let before = servers.received();
    let next = site.run(&servers, &["publish", "--at", AT]);
    assert_eq!(next.status.code(), Some(0), "{}", text(&next));
    let after = servers.received();
    for (channel, texts) in &after {
        let extra = texts.len() - before[channel].len();
        assert_eq!(
            extra,
            usize::from(*channel == "slack_et" && !arrived),
            "{channel}"
        );
        let mut unique = texts.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), texts.len(), "{channel} got a duplicate");
    }
}

#[test]
fn when_the_remote_stops_taking_state_nothing_is_sent_without_its_started_record_there() {
    // The remote turns Herald away (its hook refuses) or is gone (unreachable) after
    // `refuse_after` state pushes.
    for (refuse_after, gone) in [(0, false), (1, false), (3, false), (1, true), (3, true)] {
        let servers = Servers::start(Duration::from_millis(20));
        let site = Site::new(&servers, 3);
        let flag = site.dir.path().join("refuse-state");
        let moved = site.dir.path().join("moved.git");
        let runner = site.runner();
        let env = servers.env();
        if refuse_after == 0 {
            std::fs::write(&flag, "").unwrap();
        }
        let child = herald_command(runner.path(), &["publish", "--at", AT], &env)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        if refuse_after > 0 {
            let count = || {
                std::process::Command::new("git")
                    .arg("-C")
                    .arg(site.remote())
                    .args(["rev-list", "--count", "herald-state"])
                    .output()
                    .map(|o| {
                        String::from_utf8_lossy(&o.stdout)
                            .trim()
                            .parse::<u32>()
                            .unwrap_or(0)
                    })
                    .unwrap_or(0)
            };
            while count() < refuse_after {
                std::thread::sleep(Duration::from_millis(2));
            }
            if gone {
                std::fs::rename(site.remote(), &moved).unwrap();
            } else {
                std::fs::write(&flag, "").unwrap();
            }
        }
        let out = child.wait_with_output().unwrap();
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(1), "{shown}");
        assert!(
            shown.contains("could not save that it was about to send it"),
            "{shown}"
        );
        let why = if gone {
            "cannot push Herald's state to branch `herald-state` of `origin`"
        } else {
            "state pushes are switched off"
        };
        assert!(shown.contains(why), "{shown}");
        if gone {
            std::fs::rename(&moved, site.remote()).unwrap();
        }
        // Everything a server received has its `started` on the remote.
        let started: Vec<(String, String)> = site
            .ledger()
            .iter()
            .filter(|r| r["event"] == "started")
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_owned(),
                    r["channel"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        // Except on Bluesky, whose record key makes a second write of the same post
        // impossible: its starts wait for the next push.
        let mut sent = 0;
        for (channel, texts) in servers.received() {
            if channel == "bluesky_et" {
                continue;
            }
            for t in texts {
                let n = number(&t).expect("one of ours");
                let key = (format!("n{n}"), channel.to_owned());
                assert!(
                    started.contains(&key),
                    "after {refuse_after} (gone: {gone}): {key:?} was sent without its start on the remote"
                );
                sent += 1;
            }
        }
        if refuse_after == 0 {
            assert_eq!(sent, 0, "nothing may leave when no start can be saved");
        }
        // Once the remote takes state again, the next runner finishes the job.
        let _ = std::fs::remove_file(&flag);
        let next = site.run(&servers, &["publish", "--at", AT]);
        assert!(matches!(next.status.code(), Some(0 | 1)), "{}", text(&next));
        let status = status(&site, &servers);
        for ((id, channel), state) in &status {
            assert!(
                state == "posted" || (state == "in_doubt" && WEBHOOKS.contains(&channel.as_str())),
                "after {refuse_after} (gone: {gone}): {id} on {channel} is {state}"
            );
        }
        let mut bluesky = servers.received()["bluesky_et"].clone();
        bluesky.sort();
        bluesky.dedup();
        assert_eq!(
            bluesky.len(),
            servers.received()["bluesky_et"].len(),
            "after {refuse_after} (gone: {gone}): Bluesky got a post twice"
        );
        assert_eq!(
            bluesky.len(),
            3,
            "after {refuse_after} (gone: {gone}): {bluesky:#?}"
        );
    }
}

/// Which announcement a text received is from (`Teade number N.`).
fn number(text: &str) -> Option<usize> {
    let rest = text.split("Teade number ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[test]
fn doctor_warns_about_a_state_that_a_ci_runner_would_lose_and_checks_the_branch() {
    // Without a state branch: a warning in CI, a note elsewhere.
    let local = Repo::new();
    for (ci, word) in [("true", "warning"), ("1", "warning")] {
        let run = local.run_env(&["doctor"], &[("CI", ci), ("TEST_MASTODON_TOKEN", "t")]);
        assert!(
            run.stdout.contains(&format!(
                "state (state)\n  {word}: Herald keeps what it sent only in `state`, and this is a CI runner"
            )),
            "CI={ci}: {}",
            run.stdout
        );
        assert!(
            run.stdout.contains("git_branch = \"herald-state\""),
            "{}",
            run.stdout
        );
    }
    let run = local.run_env(&["doctor"], &[("TEST_MASTODON_TOKEN", "t")]);
    assert!(
        run.stdout.contains(
            "state (state)\n  info: Herald keeps what it sent in `state` on this machine"
        ),
        "{}",
        run.stdout
    );
    // With one: the remote is asked, read-only.
    let servers = Servers::start(Duration::ZERO);
    let site = Site::new(&servers, 1);
    let runner = site.runner();
    let out = run_in(runner.path(), &servers, &["doctor", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc[0]["channel"], "state");
    assert_eq!(doc[0]["findings"][0]["level"], "ok", "{doc:#}");
    assert!(
        doc[0]["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("the branch does not exist yet"),
        "{doc:#}"
    );
    std::fs::rename(site.remote(), site.dir.path().join("gone.git")).unwrap();
    let out = run_in(runner.path(), &servers, &["doctor", "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc[0]["findings"][0]["level"], "error", "{doc:#}");
    assert!(
        doc[0]["findings"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot reach the remote `origin` that holds the state"),
        "{doc:#}"
    );
    // And publish sends nothing when it cannot fetch the state: it says why.
    let before = servers.received();
    let out = run_in(runner.path(), &servers, &["publish", "--at", AT]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("cannot fetch Herald's state (branch `herald-state` of `origin`)"),
        "{}",
        text(&out)
    );
    assert_eq!(servers.received(), before, "nothing was sent");
    // A dry run still shows what would go out, from the last fetched state, and says so.
    let out = run_in(
        runner.path(),
        &servers,
        &["publish", "--dry-run", "--at", AT],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("showing Herald's state as it was when it was last fetched"),
        "{}",
        text(&out)
    );
}

/// The last mark of each subscriber in a send log, with the line it is on.
fn marks(log: &str) -> BTreeMap<String, (String, usize)> {
    let mut last = BTreeMap::new();
    for (n, line) in log.lines().enumerate() {
        let mut f = line.split(' ');
        if let (Some(mark), Some(id)) = (f.next(), f.next()) {
            last.insert(id.to_owned(), (mark.to_owned(), n));
        }
    }
    last
}

#[cfg(unix)]
#[test]
fn a_list_of_2000_whose_runners_are_lost_sends_nobody_twice_and_leaves_at_most_the_largest_batch_per_connection_in_doubt()
 {
    const SUBSCRIBERS: usize = 2_000;
    const CONCURRENCY: usize = 2;
    let kills_wanted: usize = std::env::var("HERALD_TEST_LOST_RUNNER_EMAIL_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let smtp = crate::smtp_peer::Smtp::get();
    let mut rng = fastrand::Rng::with_seed(20_261_201);
    let (mut kills, mut rounds, mut most_per_kill, mut in_doubt_total) = (0, 0, 0, 0);
    let mut most_runs = 0;
    while kills < kills_wanted {
        rounds += 1;
        let d = smtp.domain(&format!("lost{rounds}"));
        let files = tempfile::tempdir().unwrap();
        let list = files.path().join("subscribers.csv");
        let addresses: Vec<String> = (0..SUBSCRIBERS).map(|n| format!("s{n:04}@{d}")).collect();
        let mut csv = String::from("email,name,lang\n");
        for (n, a) in addresses.iter().enumerate() {
            csv.push_str(&format!("{a},Subscriber {n},et\n"));
        }
        std::fs::write(&list, csv).unwrap();
        let work = Repo::new();
        work.write(
            "config/herald.toml",
            &format!(
                "timezone = \"Europe/Tallinn\"\napprovers = [\"editor@example.org\"]\n[defaults]\nlang = \"et\"\n[state]\ngit_branch = \"herald-state\"\n{}",
                smtp.channel("news", &format!("concurrency = {CONCURRENCY}\nrate = 500"))
            ),
        );
        work.write(
            "announcements/uudis.et.md",
            "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [news]\n---\nTekst.\n",
        );
        work.approve("announcements/uudis.et.md");
        let site = Site::publish_main(work);
        let env = [
            ("TEST_SMTP_PASSWORD", smtp.pass.as_str()),
            ("TEST_SUBSCRIBERS", &list.display().to_string()),
            ("TEST_LIST_SECRET", "lost-runner-secret"),
        ];
        let mut doubt_before: Vec<String> = Vec::new();
        let finished = loop {
            let delay = Duration::from_millis(rng.u64(300..=2500));
            if !site.lose_a_runner(&env, delay) {
                break true;
            }
            kills += 1;
            // What this loss left in doubt on the remote: the marks of the batches that
            // were on their way, one per connection at most.
            let log = site.state_file("state/email/news/uudis.log");
            let last = marks(&log);
            let lines: Vec<&str> = log.lines().collect();
            let doubt: Vec<String> = last
                .iter()
                .filter(|(_, (m, _))| m == "S")
                .map(|(id, _)| id.clone())
                .collect();
            let new: Vec<&String> = doubt
                .iter()
                .filter(|id| !doubt_before.contains(id))
                .collect();
            // Each batch's marks are one run of `S` lines; count the runs they fall in. A
            // message tried again after a refusal for now is marked again on its own
            // line: it belongs to the batch its connection was sending (at most one
            // such message per connection at a time).
            let retried = |id: &str| log[..].contains(&format!("F {id}\n"));
            let (again, first): (Vec<&String>, Vec<&String>) =
                new.iter().partition(|id| retried(id));
            assert!(
                again.len() <= CONCURRENCY,
                "round {rounds}: {} retried messages in doubt after one loss",
                again.len()
            );
            let runs: Vec<usize> = first
                .iter()
                .map(|id| {
                    let mut at = last[*id].1;
                    while at > 0 && lines[at - 1].starts_with("S ") {
                        at -= 1;
                    }
                    at
                })
                .collect();
            let mut sizes: BTreeMap<usize, usize> = BTreeMap::new();
            for r in &runs {
                *sizes.entry(*r).or_default() += 1;
            }
            // The hard bound: no connection has more than its largest batch on its way.
            assert!(
                new.len() <= CONCURRENCY * 1000,
                "round {rounds}: {} recipients in doubt after one loss: {sizes:?}",
                new.len()
            );
            // Seen under load: three runs for two connections (see the closing note of
            // issue 16); reported, not yet asserted.
            most_runs = most_runs.max(sizes.len());
            most_per_kill = most_per_kill.max(new.len());
            doubt_before = doubt;
            if kills >= kills_wanted + 8 {
                break false;
            }
        };
        let log = site.state_file("state/email/news/uudis.log");
        let last = marks(&log);
        let received = smtp.received(&d, None);
        let mut copies: BTreeMap<String, usize> = BTreeMap::new();
        for m in &received {
            *copies
                .entry(m["envelope_to"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        let keys = hmac_ids(&addresses, "lost-runner-secret");
        for (a, id) in addresses.iter().zip(&keys) {
            let n = copies.get(a).copied().unwrap_or(0);
            assert!(n <= 1, "round {rounds}: {a} got {n} copies");
            if !finished {
                continue;
            }
            match last.get(id).map(|(m, _)| m.as_str()) {
                Some("D") => {
                    assert_eq!(n, 1, "round {rounds}: {a} is marked delivered but got {n}")
                }
                Some("S") => in_doubt_total += 1,
                other => {
                    panic!("round {rounds}: {a} ended as {other:?} on the remote, with {n} copies")
                }
            }
        }
        if finished {
            let status = site.run_env(&["status", "--at", AT], &env);
            let shown = String::from_utf8_lossy(&status.stdout).into_owned();
            let doubt = last.values().filter(|(m, _)| m == "S").count();
            if doubt > 0 {
                assert!(shown.contains(&format!("{doubt} recipient")), "{shown}");
            }
        }
    }
    println!(
        "email, lost runners: {kills} kill points in {rounds} rounds, 0 duplicates, {in_doubt_total} recipients in doubt in all, at most {most_per_kill} per loss, in at most {most_runs} runs of marks"
    );
}

/// The send log's ids of `addresses` (the keyed hash Herald uses).
fn hmac_ids(addresses: &[String], secret: &str) -> Vec<String> {
    use hmac::{Hmac, KeyInit, Mac};
    addresses
        .iter()
        .map(|a| {
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
            mac.update(format!("herald-subscriber:{}", a.to_lowercase()).as_bytes());
            mac.finalize().into_bytes()[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect()
}

#[test]
fn the_first_run_with_a_state_branch_starts_from_the_ledger_kept_in_main_until_then() {
    let servers = Servers::start(Duration::ZERO);
    // Until now the workflow committed the ledger to `main`: n0 went out then.
    let work = Repo::with_config(
        &CHANNELS
            .replace("TELEGRAM_API", &servers.telegram.base())
            .replace("BLUESKY_PDS", &servers.bluesky.pds)
            .replace("BLUESKY_HANDLE", &servers.bluesky.handle),
    );
    for n in 0..2 {
        let rel = format!("announcements/n{n}.et.md");
        work.write(
            &rel,
            &format!("---\ntitle: Uudis {n}\npublish_at: 2026-06-30 10:00\nchannels: [slack_et]\n---\nTeade number {n}.\n"),
        );
        work.approve(&rel);
    }
    // The old configuration had no `[state]`: taken out for that run, put back after.
    let config = work.read("config/herald.toml");
    work.write(
        "config/herald.toml",
        &crate::harness::without_state_branch(&config),
    );
    let old = work.run_env(
        &["publish", "--only", "n0", "--at", AT],
        &[("TEST_SLACK_URL", &servers.slack.url())],
    );
    old.assert_code(0);
    assert!(work.read("state/ledger.jsonl").contains("\"posted\""));
    work.write("config/herald.toml", &config);
    let site = Site::publish_main(work);
    assert_eq!(servers.received()["slack_et"].len(), 1);
    let out = site.run(&servers, &["publish", "--at", AT]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let slack = &servers.received()["slack_et"];
    assert_eq!(slack.len(), 2, "n0 is not sent again: {slack:#?}");
    assert_eq!(number(&slack[1]), Some(1));
    // The branch now holds the old ledger's lines and the new ones.
    let ledger = site.ledger();
    assert_eq!(ledger.iter().filter(|r| r["event"] == "posted").count(), 2);
}

#[test]
fn six_runners_pushing_at_once_all_get_their_state_on_the_branch() {
    // Pushes that lose the race at the remote (refused as behind, or failing to take the
    // branch's lock because another push just moved it) are fetched, merged and pushed
    // again: no runner fails, no line is lost, nothing is sent twice.
    let servers = Servers::start(Duration::from_millis(5));
    let site = Site::new(&servers, 6);
    let env = servers.env();
    let runners: Vec<tempfile::TempDir> = (0..6).map(|_| site.runner()).collect();
    let children: Vec<_> = runners
        .iter()
        .enumerate()
        .map(|(n, r)| {
            herald_command(
                r.path(),
                &["publish", "--only", &format!("n{n}"), "--at", AT],
                &env,
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for (n, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "runner {n}: {}", text(&out));
    }
    let ledger = site.ledger();
    assert_eq!(
        ledger.iter().filter(|r| r["event"] == "posted").count(),
        6 * 5,
        "every runner's outcomes are on the branch"
    );
    for (channel, texts) in servers.received() {
        let mut got: Vec<usize> = texts.iter().filter_map(|t| number(t)).collect();
        got.sort_unstable();
        assert_eq!(got, (0..6).collect::<Vec<_>>(), "{channel}");
    }
    let status = status(&site, &servers);
    assert!(status.values().all(|s| s == "posted"), "{status:#?}");
}

#[test]
fn two_publish_runs_on_different_machines_at_once_send_each_post_once() {
    // Both fetch before either has pushed, so both see the posts as due. The push of a
    // `started` is a compare-and-swap on the remote: the second is refused, merges the
    // first's lines, finds that run's start of the same post, and does not send it.
    for trial in 0..3 {
        let servers = Servers::start(Duration::from_millis(30));
        let site = Site::new(&servers, 3);
        let env = servers.env();
        let (a, b) = (site.runner(), site.runner());
        let spawn = |r: &tempfile::TempDir| {
            herald_command(r.path(), &["publish", "--at", AT], &env)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (ca, cb) = (spawn(&a), spawn(&b));
        let (oa, ob) = (
            ca.wait_with_output().unwrap(),
            cb.wait_with_output().unwrap(),
        );
        for out in [&oa, &ob] {
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "trial {trial}: {}",
                text(out)
            );
        }
        no_post_twice(&servers, &format!("trial {trial}"));
        // Whatever neither sent is known: the next run sends it or reports it.
        let next = site.run(&servers, &["publish", "--at", AT]);
        assert!(matches!(next.status.code(), Some(0 | 1)), "{}", text(&next));
        let status = status(&site, &servers);
        for ((id, channel), state) in &status {
            assert!(
                state == "posted" || (state == "in_doubt" && WEBHOOKS.contains(&channel.as_str())),
                "trial {trial}: {id} on {channel} is {state}"
            );
        }
        no_post_twice(&servers, &format!("trial {trial}"));
    }
}

/// Fails when any server received one of the announcements twice.
fn no_post_twice(servers: &Servers, when: &str) {
    for (channel, texts) in servers.received() {
        let mut got: Vec<usize> = texts.iter().filter_map(|t| number(t)).collect();
        got.sort_unstable();
        let mut unique = got.clone();
        unique.dedup();
        assert_eq!(
            got, unique,
            "{when}: {channel} got a post twice: {texts:#?}"
        );
    }
}
