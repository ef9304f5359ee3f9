//! The crash test: `herald publish` killed with SIGKILL at hundreds of random instants,
//! rerun until it finishes; every part must reach each channel exactly once.

use crate::harness::Repo;
use crate::mastodon::{TOKEN, repo_for};
use crate::mock_mastodon::MockMastodon;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Kill points that must land while `publish` is running.
const KILLS: usize = 200;
const SEED: u64 = 20_260_630;

fn setup(mock: &MockMastodon) -> (Repo, Vec<(String, String)>) {
    let (repo, mut env) = repo_for(mock);
    env.push(("HERALD_PUBLISH__MAX_POSTS_PER_RUN".into(), "100".into()));
    for n in 0..12 {
        // A third of them are long enough to become threads on Mastodon.
        let body = if n % 3 == 0 {
            "Linn kutsub kõiki elanikke osalema. ".repeat(25)
        } else {
            format!("Teade number {n}.")
        };
        let rel = format!("announcements/n{n}.et.md");
        repo.write(
            &rel,
            &format!("---\ntitle: Uudis {n}\npublish_at: 2026-06-30 10:00\nchannels: [mastodon_et, record_et]\n---\n{body}\n"),
        );
        repo.approve(&rel);
    }
    (repo, env)
}

/// The text of every part Herald should send, per channel, from `check`.
fn expected(repo: &Repo) -> BTreeMap<String, Vec<String>> {
    let doc = repo.json(&["check"], 0);
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in doc["announcements"].as_array().unwrap() {
        for post in a["posts"].as_array().unwrap() {
            let channel = post["channel"].as_str().unwrap().to_owned();
            for part in post["parts"].as_array().unwrap() {
                out.entry(channel.clone())
                    .or_default()
                    .push(part["text"].as_str().unwrap().to_owned());
            }
        }
    }
    for texts in out.values_mut() {
        texts.sort();
    }
    out
}

/// Starts `publish` and kills it after `delay`; true when the kill hit a live process.
fn run_and_kill(repo: &Repo, env: &[(String, String)], delay: Duration) -> bool {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
    cmd.args(["--root"])
        .arg(repo.path())
        .args(["publish", "-q", "--at", "2026-06-30 10:05"])
        .env_clear()
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start herald");
    std::thread::sleep(delay);
    let alive = child.try_wait().expect("poll herald").is_none();
    if alive {
        child.kill().expect("SIGKILL herald");
    }
    child.wait().expect("reap herald");
    alive
}

#[cfg(unix)]
#[test]
fn sigkill_at_random_points_never_duplicates_or_loses_a_post() {
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut kills = 0;
    let mut rounds = 0;
    while kills < KILLS {
        rounds += 1;
        let mock = MockMastodon::start(TOKEN);
        mock.set_latency(Duration::from_millis(20));
        let (repo, env) = setup(&mock);
        let want = expected(&repo);
        // Up to ten kills at random instants, then let a run finish.
        for _ in 0..10 {
            let delay = Duration::from_millis(rng.u64(0..=150));
            if run_and_kill(&repo, &env, delay) {
                kills += 1;
            } else {
                break;
            }
        }
        // Finish whatever the last run left: it must end cleanly with nothing in doubt.
        let final_run = crate::mastodon::publish(&repo, &env, "2026-06-30 10:05");
        final_run.assert_code(0);
        let after = repo.json(&["publish", "--at", "2026-06-30 10:06"], 0);
        assert!(
            after["rows"].as_array().unwrap().is_empty(),
            "round {rounds}: {after:#}"
        );

        let mut got_mastodon: Vec<String> = mock
            .statuses()
            .iter()
            .map(|s| s["status"].as_str().unwrap().to_owned())
            .collect();
        got_mastodon.sort();
        assert_eq!(
            got_mastodon, want["mastodon_et"],
            "round {rounds}: Mastodon received duplicates or lost posts"
        );

        let mut got_record: Vec<String> = repo
            .read("state/recorded.jsonl")
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["text"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        got_record.sort();
        assert_eq!(
            got_record, want["record_et"],
            "round {rounds}: the record channel received duplicates or lost posts"
        );

        // Later thread parts are replies, even when a crash fell between two parts.
        for s in mock.statuses() {
            let text = s["status"].as_str().unwrap();
            let numbered = text.rsplit_once(' ').and_then(|(_, n)| n.split_once('/'));
            if numbered.is_some_and(|(k, _)| k != "1") {
                assert!(
                    s["in_reply_to_id"].is_string(),
                    "round {rounds}: a later part is not a reply: {s:#}"
                );
            }
        }
    }
    eprintln!("crash test: {kills} kills over {rounds} rounds, zero duplicates, zero losses");
}
