//! Publishing to `mastodon-mock`, a third-party Mastodon API server (PyPI) that the test
//! command starts: statuses, media with descriptions, threads, languages, its
//! `Idempotency-Key` handling, and its fault injection. Each test has its own account.

use crate::harness::{Repo, TINY_PNG, in_flight, posted_lines, publish_on, run_and_kill};
use crate::http::http;
use serde_json::{Value, json};

/// The server's address from `name` (`HERALD_TEST_MASTODON` or `…_FAULTS`); fails when
/// it is not running: `./scripts/test` starts it (scripts/peers/mastodon.sh).
pub(crate) fn server(name: &str) -> String {
    let url = std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: these tests need mastodon-mock. Run the suite with \
             ./scripts/test, which starts it (scripts/peers/mastodon.sh)"
        )
    });
    if let Err(e) = http()
        .get(format!("{url}/api/v1/instance"))
        .send()
        .map_err(|e| e.to_string())
        .and_then(crate::http::Answer::error_for_status)
    {
        panic!(
            "mastodon-mock at {url} does not answer ({e}); start it with scripts/peers/mastodon.sh"
        );
    }
    url
}

/// A fresh account on the server and its access token.
pub(crate) struct Account {
    base: String,
    id: String,
    pub(crate) token: String,
}

impl Account {
    pub(crate) fn create(base: &str) -> Account {
        let user = http()
            .post(format!("{base}/api/v1/_mock/dev_user"))
            .json(&json!({}))
            .send()
            .unwrap()
            .error_for_status()
            .unwrap()
            .json();
        Account {
            base: base.to_owned(),
            id: user["id"].as_str().unwrap().to_owned(),
            token: user["access_token"].as_str().unwrap().to_owned(),
        }
    }

    fn get(&self, path: &str) -> Value {
        http()
            .get(format!("{}{path}", self.base))
            .bearer(&self.token)
            .send()
            .unwrap()
            .error_for_status()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .json()
    }

    /// The account's statuses, oldest first.
    pub(crate) fn statuses(&self) -> Vec<Value> {
        let mut list: Vec<Value> = self
            .get(&format!("/api/v1/accounts/{}/statuses?limit=40", self.id))
            .as_array()
            .unwrap()
            .clone();
        list.reverse();
        list
    }
}

/// The text Mastodon shows for a status: its HTML content as plain text.
pub(crate) fn shown_text(status: &Value) -> String {
    let html = status["content"].as_str().unwrap();
    let text = html
        .replace("<br />", "\n")
        .replace("<br>", "\n")
        .replace("</p><p>", "\n\n");
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// The `POST /api/v1/statuses` bodies of a dry run, in order.
fn planned_statuses(dry: &Value) -> Vec<Value> {
    dry["due"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|item| item["requests"].as_array().unwrap().clone())
        .filter(|r| r["action"].as_str().unwrap().ends_with("/api/v1/statuses"))
        .map(|r| r["body"].clone())
        .collect()
}

#[test]
fn the_bundled_examples_read_back_as_the_dry_run_showed() {
    let base = server("HERALD_TEST_MASTODON");
    let et = Account::create(&base);
    let en = Account::create(&base);
    let repo = Repo::examples(&format!(
        "\n[channels.mastodon_en]\nkind = \"mastodon\"\nlang = \"en\"\nbase_url = \"{base}\"\ntoken_env = \"MASTODON_EN_TOKEN\"\nvisibility = \"unlisted\"\n"
    ));
    let env = vec![
        (
            "HERALD_CHANNELS__MASTODON_ET__BASE_URL".to_owned(),
            base.clone(),
        ),
        ("MASTODON_ET_TOKEN".to_owned(), et.token.clone()),
        ("MASTODON_EN_TOKEN".to_owned(), en.token.clone()),
    ];
    let runs = [
        ("mastodon_et", &et, "2022-06-30 10:30"),
        ("mastodon_en", &en, "2022-06-30 10:30"),
        ("mastodon_en", &en, "2022-09-14 10:30"),
    ];
    for (channel, account, at) in runs {
        let planned = planned_statuses(
            &publish_on(&repo, &env, channel, at, true)
                .assert_code(0)
                .json(),
        );
        assert!(!planned.is_empty());
        let before = account.statuses().len();
        let report = publish_on(&repo, &env, channel, at, false)
            .assert_code(0)
            .json();
        assert_eq!(report["rows"][0]["result"], "posted", "{report:#}");
        let urls = report["rows"][0]["urls"].as_array().unwrap();
        assert_eq!(urls.len(), planned.len());
        let statuses = account.statuses();
        assert_eq!(
            statuses.len(),
            before + planned.len(),
            "nothing else was posted"
        );
        let mine = &statuses[before..];
        for (i, (status, body)) in mine.iter().zip(&planned).enumerate() {
            assert_eq!(shown_text(status), body["status"].as_str().unwrap());
            assert_eq!(status["language"], body["language"]);
            assert_eq!(status["visibility"], body["visibility"]);
            assert_eq!(status["url"], urls[i], "the ledger has the public address");
            let expected_parent = if i == 0 {
                Value::Null
            } else {
                mine[i - 1]["id"].clone()
            };
            assert_eq!(status["in_reply_to_id"], expected_parent);
        }
    }
    // The study visit's image went up with its alt text.
    let statuses = en.statuses();
    let media = statuses
        .iter()
        .flat_map(|s| s["media_attachments"].as_array().unwrap().clone())
        .collect::<Vec<_>>();
    assert_eq!(media.len(), 1, "{statuses:#?}");
    assert!(
        media[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("Five coloured circles")
    );
    assert_eq!(media[0]["type"], "image");
    let stored = http()
        .get(media[0]["url"].as_str().unwrap().to_owned())
        .send()
        .unwrap()
        .bytes;
    let file = std::fs::read(
        repo.path()
            .join("announcements/images/better-study-visit.png"),
    )
    .unwrap();
    assert_eq!(stored, file, "the uploaded image is the file");
}

fn one_post_repo(base: &str, account: &Account, body: &str) -> (Repo, Vec<(String, String)>) {
    let repo = Repo::new();
    std::fs::write(repo.path().join("announcements/pic.png"), TINY_PNG).unwrap();
    repo.write(
        "announcements/a.et.md",
        &format!("---\ntitle: Teade\npublish_at: 2026-06-30 10:00\nchannels: [mastodon_et]\nimages:\n  - path: announcements/pic.png\n    alt: Raekoja plats\n---\n{body}\n"),
    );
    repo.approve("announcements/a.et.md");
    let env = vec![
        (
            "HERALD_CHANNELS__MASTODON_ET__BASE_URL".to_owned(),
            base.to_owned(),
        ),
        ("TEST_MASTODON_TOKEN".to_owned(), account.token.clone()),
        ("HERALD_PUBLISH__RETRY_BASE".to_owned(), "10ms".to_owned()),
        (
            "HERALD_PUBLISH__REQUEST_TIMEOUT".to_owned(),
            "2s".to_owned(),
        ),
    ];
    (repo, env)
}

#[test]
fn a_rerun_after_a_lost_answer_gets_the_same_status_back_through_the_idempotency_key() {
    let base = server("HERALD_TEST_MASTODON");
    let account = Account::create(&base);
    let (repo, env) = one_post_repo(&base, &account, "Tartu ootab kõiki raekoja platsile.");
    let first = publish_on(&repo, &env, "mastodon_et", "2026-06-30 10:05", false)
        .assert_code(0)
        .json();
    let url = first["rows"][0]["urls"][0].clone();
    // As if the answer had been lost: `started` stays, `posted` is gone.
    let kept: String = repo
        .read("state/ledger.jsonl")
        .lines()
        .filter(|l| !l.contains("\"event\":\"posted\""))
        .map(|l| format!("{l}\n"))
        .collect();
    repo.write("state/ledger.jsonl", &kept);
    let again = publish_on(&repo, &env, "mastodon_et", "2026-06-30 10:06", false)
        .assert_code(0)
        .json();
    assert_eq!(
        again["rows"][0]["urls"][0], url,
        "the server answered with the first status"
    );
    assert_eq!(account.statuses().len(), 1, "no second status");
}

/// Adds a fault rule on the faults server (`POST /api/v1/_mock/faults`).
fn fault(base: &str, rule: Value) {
    http()
        .post(format!("{base}/api/v1/_mock/faults"))
        .json(&rule)
        .send()
        .unwrap()
        .error_for_status()
        .unwrap();
}

#[test]
fn faults_injected_by_the_server_are_retried_or_reported_as_their_kind() {
    let base = server("HERALD_TEST_MASTODON_FAULTS");
    // This is the only test on this server, so its faults disturb no other test.
    http()
        .delete(format!("{base}/api/v1/_mock/faults"))
        .send()
        .unwrap();

    // 429 with Retry-After: waited out, then posted, once.
    let account = Account::create(&base);
    let (repo, env) = one_post_repo(&base, &account, "Esimene teade.");
    fault(
        &base,
        json!({
            "match": { "methods": ["POST"], "path": "/api/v1/statuses" },
            "effect": { "type": "ratelimit", "headers": { "Retry-After": "1" } },
            "count": 1,
        }),
    );
    let started = std::time::Instant::now();
    let report = publish_on(&repo, &env, "mastodon_et", "2026-06-30 10:05", false)
        .assert_code(0)
        .json();
    assert_eq!(report["rows"][0]["result"], "posted", "{report:#}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(account.statuses().len(), 1);
    let ledger = repo.read("state/ledger.jsonl");
    assert!(ledger.contains("rate limited (429)"), "{ledger}");

    // 503 on the upload, twice: retried, then posted with its image.
    let account = Account::create(&base);
    let (repo, env) = one_post_repo(&base, &account, "Teine teade.");
    fault(
        &base,
        json!({
            "match": { "methods": ["POST"], "path": "/api/v2/media" },
            "effect": { "type": "status", "status": 503 },
            "count": 2,
        }),
    );
    let report = publish_on(&repo, &env, "mastodon_et", "2026-06-30 10:05", false)
        .assert_code(0)
        .json();
    assert_eq!(report["rows"][0]["result"], "posted", "{report:#}");
    let statuses = account.statuses();
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        statuses[0]["media_attachments"][0]["description"],
        "Raekoja plats"
    );

    // 422 (validation): permanent, not retried, said plainly.
    let account = Account::create(&base);
    let (repo, env) = one_post_repo(&base, &account, "Kolmas teade.");
    fault(
        &base,
        json!({
            "match": { "methods": ["POST"], "path": "/api/v1/statuses" },
            "effect": { "type": "status", "status": 422, "body": { "error": "Validation failed: Text character limit of 500 exceeded" } },
            "count": 5,
        }),
    );
    let run = publish_on(&repo, &env, "mastodon_et", "2026-06-30 10:05", false);
    run.assert_code(1);
    let report = run.json();
    assert_eq!(report["rows"][0]["result"], "failed");
    let detail = report["rows"][0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("refused (422)") && detail.contains("Validation failed"),
        "{detail}"
    );
    let attempts = repo
        .read("state/ledger.jsonl")
        .matches("\"event\":\"started\"")
        .count();
    assert_eq!(attempts, 1, "a permanent error is not retried");
    http()
        .delete(format!("{base}/api/v1/_mock/faults"))
        .send()
        .unwrap();

    // A wrong token: permanent, and the token is not in the output.
    let account = Account::create(&base);
    let (repo, mut env) = one_post_repo(&base, &account, "Neljas teade.");
    env[1].1 = "not-a-valid-token-7f3a".to_owned();
    let run = publish_on(&repo, &env, "mastodon_et", "2026-06-30 10:05", false);
    run.assert_code(1);
    assert!(run.stdout.contains("refused (401)"), "{}", run.stdout);
    assert!(!run.stdout.contains("7f3a") && !run.stderr.contains("7f3a"));
}

#[test]
fn doctor_checks_the_token_and_shows_the_instance_limits_without_posting() {
    let base = server("HERALD_TEST_MASTODON");
    let account = Account::create(&base);
    let (repo, env) = one_post_repo(&base, &account, "Teade.");
    let run = repo.run_env(
        &["doctor", "--channel", "mastodon_et"],
        &crate::harness::env_pairs(&env),
    );
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("the access token works: signed in as @user_"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("500 characters per post, 4 images per post"),
        "{}",
        run.stdout
    );
    assert!(account.statuses().is_empty(), "doctor posted nothing");
    assert!(!run.stdout.contains(&account.token));

    let mut bad = env.clone();
    bad[1].1 = "wrong-token".to_owned();
    let run = repo.run_env(
        &["doctor", "--channel", "mastodon_et"],
        &crate::harness::env_pairs(&bad),
    );
    run.assert_code(1);
    assert!(
        run.stdout.contains("the access token does not work"),
        "{}",
        run.stdout
    );
}

#[test]
fn sigkill_at_random_points_and_rerun_never_duplicates_a_status() {
    let base = server("HERALD_TEST_MASTODON");
    // Six threads of three parts each, with an image on the first part.
    let long = "Tartu linn kutsub kõiki elanikke osalema avatud uste päeval raekojas. ".repeat(18);
    let setup = |account: &Account| {
        let (repo, env) = one_post_repo(&base, account, "Esimene.");
        for n in 0..6 {
            let rel = format!("announcements/lugu-{n}.et.md");
            repo.write(
                &rel,
                &format!("---\ntitle: Lugu {n}\npublish_at: 2026-06-30 10:00\nchannels: [mastodon_et]\nimages:\n  - path: announcements/pic.png\n    alt: Pilt {n}\n---\n{long}\n"),
            );
            repo.approve(&rel);
        }
        (repo, env)
    };
    // How long one uninterrupted run takes here, on an account of its own.
    let (repo, env) = setup(&Account::create(&base));
    let started = std::time::Instant::now();
    publish_on(&repo, &env, "mastodon_et", "2026-06-30 10:05", false).assert_code(0);
    let full = started.elapsed();

    let account = Account::create(&base);
    let (repo, env) = setup(&account);
    let dry = publish_on(&repo, &env, "mastodon_et", "2026-06-30 10:05", true).json();
    let mut wanted: Vec<String> = planned_statuses(&dry)
        .iter()
        .map(|b| b["status"].as_str().unwrap().to_owned())
        .collect();
    wanted.sort();
    let mut rng = fastrand::Rng::with_seed(0x3A57);
    let (mut kills, mut mid_flight) = (0, 0);
    while posted_lines(&repo).len() < wanted.len() && mid_flight < 15 && kills < 100 {
        let delay = full.mul_f64(rng.f64() * 0.35);
        run_and_kill(&repo, &["publish", "--at", "2026-06-30 10:05"], &env, delay);
        kills += 1;
        if !in_flight(&repo).is_empty() {
            mid_flight += 1;
        }
    }
    assert!(
        mid_flight > 0,
        "no kill hit a post in flight ({kills} kills over {full:?})"
    );
    publish_on(&repo, &env, "mastodon_et", "2026-06-30 10:05", false).assert_code(0);
    let mut texts: Vec<String> = account.statuses().iter().map(shown_text).collect();
    texts.sort();
    assert_eq!(texts, wanted, "each part exactly once");
    eprintln!(
        "mastodon-mock crash test: {kills} kills ({mid_flight} with a post in flight), {} statuses, zero duplicates",
        texts.len()
    );
}
