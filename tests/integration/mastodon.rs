//! Publishing to Mastodon through a loopback server that follows Mastodon's documented
//! request and response shapes, with faults injected.

use crate::harness::{Repo, Run};
use crate::mock_mastodon::{Fault, MockMastodon};
use serde_json::Value;

pub const TOKEN: &str = "mock-token-5a1f";

/// A repository whose `mastodon_et` channel points at `mock`, with fast retries.
pub fn repo_for(mock: &MockMastodon) -> (Repo, Vec<(String, String)>) {
    let repo = Repo::new();
    let env = vec![
        (
            "HERALD_CHANNELS__MASTODON_ET__BASE_URL".to_owned(),
            mock.base_url(),
        ),
        ("TEST_MASTODON_TOKEN".to_owned(), TOKEN.to_owned()),
        ("HERALD_PUBLISH__RETRY_BASE".to_owned(), "10ms".to_owned()),
        (
            "HERALD_PUBLISH__REQUEST_TIMEOUT".to_owned(),
            "1s".to_owned(),
        ),
    ];
    (repo, env)
}

pub fn publish(repo: &Repo, env: &[(String, String)], at: &str) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    repo.run_env(&["publish", "--format", "json", "--at", at], &env)
}

fn announce(repo: &Repo, id: &str, body: &str) {
    let rel = format!("announcements/{id}.et.md");
    repo.write(
        &rel,
        &format!("---\ntitle: Teade {id}\npublish_at: 2026-06-30 10:00\nchannels: [mastodon_et]\n---\n{body}\n"),
    );
    repo.approve(&rel);
}

#[test]
fn the_request_is_exactly_what_the_dry_run_showed() {
    let mock = MockMastodon::start(TOKEN);
    let (repo, env) = repo_for(&mock);
    announce(&repo, "a", "Tartu ootab kõiki.");
    let envs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dry = repo
        .run_env(
            &[
                "publish",
                "--dry-run",
                "--format",
                "json",
                "--at",
                "2026-06-30 10:05",
            ],
            &envs,
        )
        .assert_code(0)
        .json();
    let report = publish(&repo, &env, "2026-06-30 10:05")
        .assert_code(0)
        .json();
    assert_eq!(report["rows"][0]["result"], "posted");
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/api/v1/statuses")
    );
    assert_eq!(
        String::from_utf8(r.body.clone()).unwrap(),
        r#"{"language":"et","status":"Teade a\n\nTartu ootab kõiki.","visibility":"public"}"#
    );
    let shown: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(shown, dry["due"][0]["requests"][0]["body"]);
    assert_eq!(r.headers["authorization"], format!("Bearer {TOKEN}"));
    assert!(r.headers["idempotency-key"].starts_with("herald:a:et:mastodon_et:1:sha256:"));
    // The public address comes back into the report and the ledger.
    let url = report["rows"][0]["urls"][0].as_str().unwrap();
    assert!(
        url.starts_with(&mock.base_url()) && url.contains("/@city/"),
        "{url}"
    );
    assert!(repo.read("state/ledger.jsonl").contains(url));
    // No secret in anything Herald wrote or printed.
    assert!(!repo.read("state/ledger.jsonl").contains(TOKEN));
}

#[test]
fn a_thread_replies_part_by_part() {
    let mock = MockMastodon::start(TOKEN);
    let (repo, env) = repo_for(&mock);
    announce(
        &repo,
        "long",
        &"Linn kutsub kõiki elanikke osalema. ".repeat(20),
    );
    publish(&repo, &env, "2026-06-30 10:05").assert_code(0);
    let statuses = mock.statuses();
    assert_eq!(statuses.len(), 2);
    assert!(statuses[0]["status"].as_str().unwrap().ends_with(" 1/2"));
    assert!(statuses[0].get("in_reply_to_id").is_none());
    assert!(
        statuses[1]["in_reply_to_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("11")),
        "{statuses:#?}"
    );
}

#[test]
fn transient_faults_are_retried_and_nothing_is_posted_twice() {
    let mock = MockMastodon::start(TOKEN);
    let (repo, env) = repo_for(&mock);
    announce(&repo, "a", "Üks.");
    mock.push_fault(Fault::Status500);
    mock.push_fault(Fault::ResetBeforeProcessing);
    mock.push_fault(Fault::LostResponse);
    // 500, reset, then the server posts but the answer is lost: the retry carries the
    // same Idempotency-Key, so Mastodon answers with the status it already created.
    let report = publish(&repo, &env, "2026-06-30 10:05")
        .assert_code(0)
        .json();
    assert_eq!(report["rows"][0]["result"], "posted", "{report:#}");
    assert_eq!(mock.statuses().len(), 1);
    let keys: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| r.headers["idempotency-key"].clone())
        .collect();
    assert_eq!(keys.len(), 4);
    assert!(keys.iter().all(|k| *k == keys[0]));
    let ledger = repo.read("state/ledger.jsonl");
    assert_eq!(
        ledger.matches("\"event\":\"failed\"").count(),
        3,
        "{ledger}"
    );
    assert_eq!(ledger.matches("\"event\":\"posted\"").count(), 1);
}

#[test]
fn rate_limits_are_waited_out_and_timeouts_retried() {
    let mock = MockMastodon::start(TOKEN);
    let (repo, env) = repo_for(&mock);
    announce(&repo, "a", "Üks.");
    mock.push_fault(Fault::RateLimited {
        retry_after_secs: 1,
    });
    mock.push_fault(Fault::Timeout(std::time::Duration::from_millis(1500)));
    let started = std::time::Instant::now();
    let report = publish(&repo, &env, "2026-06-30 10:05")
        .assert_code(0)
        .json();
    assert_eq!(report["rows"][0]["result"], "posted", "{report:#}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    // The timed-out request was processed late by the server; the retry got it back.
    assert_eq!(mock.statuses().len(), 1);
}

#[test]
fn a_permanent_refusal_is_recorded_and_not_retried() {
    let mock = MockMastodon::start(TOKEN);
    let (repo, env) = repo_for(&mock);
    announce(&repo, "a", "Üks.");
    mock.push_fault(Fault::Status422 {
        error: "Validation failed: Text is odd".into(),
    });
    let report = publish(&repo, &env, "2026-06-30 10:05")
        .assert_code(1)
        .json();
    assert_eq!(report["rows"][0]["result"], "failed");
    assert!(
        report["rows"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("refused (422)")
    );
    assert_eq!(mock.requests().len(), 1);
    let again = publish(&repo, &env, "2026-06-30 10:10")
        .assert_code(1)
        .json();
    assert!(
        again["rows"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("will not be retried")
    );
    assert_eq!(mock.requests().len(), 1);
    // A person fixes the cause and lets it go again.
    repo.run(&["resolve", "a", "mastodon_et", "--not-posted"])
        .assert_code(0);
    publish(&repo, &env, "2026-06-30 10:15").assert_code(0);
    assert_eq!(mock.statuses().len(), 1);
}

#[test]
fn a_missing_token_fails_that_channel_only_and_is_never_printed() {
    let mock = MockMastodon::start(TOKEN);
    let (repo, mut env) = repo_for(&mock);
    env.retain(|(k, _)| k != "TEST_MASTODON_TOKEN");
    announce(&repo, "a", "Üks.");
    repo.write(
        "announcements/b.et.md",
        "---\ntitle: B\npublish_at: 2026-06-30 10:00\nchannels: [record_et]\n---\nKaks.\n",
    );
    repo.approve("announcements/b.et.md");
    let report = publish(&repo, &env, "2026-06-30 10:05")
        .assert_code(1)
        .json();
    let results: Vec<(&str, &str)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["channel"].as_str().unwrap(),
                r["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [("mastodon_et", "failed"), ("record_et", "posted")]
    );
    assert!(
        report["rows"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("`TEST_MASTODON_TOKEN` is not set")
    );
    assert!(mock.requests().is_empty());
}
