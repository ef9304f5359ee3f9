//! The crash test: `herald publish` killed with SIGKILL at hundreds of random instants,
//! rerun until it finishes; every part must reach each channel exactly once.

use crate::harness::Repo;
use crate::mastodon::{TOKEN, repo_for};
use crate::mock_mastodon::MockMastodon;
use crate::mock_webhook::MockWebhook;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Kill points that must land while `publish` is running.
const KILLS: usize = 200;
const SEED: u64 = 20_260_630;

/// A repository with three channels: Mastodon (idempotency key), record (looks itself
/// up) and a Slack webhook (neither: what cannot be known is left in doubt).
fn setup(mock: &MockMastodon, slack: &MockWebhook) -> (Repo, Vec<(String, String)>) {
    let (repo, mut env) = repo_for(mock);
    env.push(("HERALD_PUBLISH__MAX_POSTS_PER_RUN".into(), "100".into()));
    env.push(("TEST_SLACK_URL".into(), slack.url()));
    repo.write(
        "config/herald.toml",
        &format!(
            "{}\n[channels.slack_et]\nkind = \"slack\"\nlang = \"et\"\nwebhook_url_env = \"TEST_SLACK_URL\"\n",
            crate::harness::BASE_CONFIG
        ),
    );
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
            &format!("---\ntitle: Uudis {n}\npublish_at: 2026-06-30 10:00\nchannels: [mastodon_et, record_et, slack_et]\n---\n{body}\n"),
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
    crate::harness::run_and_kill(
        repo,
        &["publish", "-q", "--at", "2026-06-30 10:05"],
        env,
        delay,
    )
}

#[cfg(unix)]
#[test]
fn sigkill_at_random_points_never_duplicates_or_loses_a_post() {
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut kills = 0;
    let mut rounds = 0;
    let mut in_doubt = 0;
    while kills < KILLS {
        rounds += 1;
        let mock = MockMastodon::start(TOKEN);
        mock.set_latency(Duration::from_millis(20));
        let slack = MockWebhook::start();
        slack.set_latency(Duration::from_millis(20));
        let (repo, env) = setup(&mock, &slack);
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
        // Finish whatever the last run left. Only Slack parts may be in doubt.
        let finished = crate::mastodon::publish(&repo, &env, "2026-06-30 10:05").json();
        for row in finished["rows"].as_array().unwrap() {
            let ok = row["result"] == "posted"
                || (row["result"] == "in_doubt" && row["channel"] == "slack_et");
            assert!(ok, "round {rounds}: {row:#}");
        }
        // Slack got each message at most once; a person settles the rest by looking.
        let slack_texts: Vec<String> = slack
            .received()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect();
        let mut unique = slack_texts.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            slack_texts.len(),
            "round {rounds}: Slack received a duplicate"
        );
        let status = repo.json(&["status", "--at", "2026-06-30 10:06"], 0);
        let texts: BTreeMap<String, String> = repo.json(&["check"], 0)["announcements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let post = a["posts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|p| p["channel"] == "slack_et")
                    .unwrap();
                (
                    a["id"].as_str().unwrap().to_owned(),
                    post["parts"][0]["text"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        for a in status["announcements"].as_array().unwrap() {
            let id = a["id"].as_str().unwrap();
            let ch = a["channels"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["channel"] == "slack_et")
                .unwrap();
            let received = slack_texts.contains(&texts[id]);
            match ch["status"].as_str().unwrap() {
                "posted" => assert!(
                    received,
                    "round {rounds}: {id} is recorded as posted but Slack never got it"
                ),
                "in_doubt" => {
                    in_doubt += 1;
                    let answer: &[&str] = if received {
                        &["--posted", "https://slack.example/archives/1"]
                    } else {
                        &["--not-posted"]
                    };
                    let mut args = vec!["resolve", id, "slack_et"];
                    args.extend(answer);
                    repo.run(&args).assert_code(0);
                }
                other => panic!("round {rounds}: {id} on Slack is {other}"),
            }
        }
        let after = crate::mastodon::publish(&repo, &env, "2026-06-30 10:06")
            .assert_code(0)
            .json();
        for row in after["rows"].as_array().unwrap() {
            assert_eq!(row["result"], "posted", "round {rounds}: {row:#}");
        }

        let mut got_slack: Vec<String> = slack
            .received()
            .iter()
            .map(|m| m["text"].as_str().unwrap().to_owned())
            .collect();
        got_slack.sort();
        assert_eq!(
            got_slack, want["slack_et"],
            "round {rounds}: Slack, after resolving, has duplicates or losses"
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
    eprintln!(
        "crash test: {kills} kills over {rounds} rounds, {in_doubt} Slack posts left in doubt and resolved; zero duplicates, zero losses"
    );
}
