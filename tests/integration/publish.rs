//! `herald publish` with the `record` channel: exactly once, and what is held back says why.

use crate::harness::Repo;
use serde_json::Value;

const SPRING: &str =
    "---\ntitle: Kevad\npublish_at: 2026-03-29 10:00\nchannels: [record_et]\n---\nTekst.\n";

fn recorded(repo: &Repo) -> Vec<Value> {
    std::fs::read_to_string(repo.path().join("state/recorded.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn ledger(repo: &Repo) -> Vec<Value> {
    repo.read("state/ledger.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn publishes_what_is_due_once_and_records_each_step() {
    let repo = Repo::new();
    repo.write("announcements/spring.et.md", SPRING);
    repo.approve("announcements/spring.et.md");
    let first = repo.json(&["publish", "--at", "2026-03-29 10:05"], 0);
    assert_eq!(first["rows"][0]["result"], "posted");
    assert_eq!(first["summary"]["posted"], 1);
    let second = repo.json(&["publish", "--at", "2026-03-29 10:20"], 0);
    assert!(second["rows"].as_array().unwrap().is_empty(), "{second:#}");
    let sent = recorded(&repo);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["text"], "Kevad\n\nTekst.");
    let events: Vec<String> = ledger(&repo)
        .iter()
        .map(|r| r["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["started", "posted"]);
    let record = &ledger(&repo)[1];
    assert_eq!(
        (
            record["id"].as_str(),
            record["lang"].as_str(),
            record["channel"].as_str(),
            record["part"].as_u64()
        ),
        (Some("spring"), Some("et"), Some("record_et"), Some(1))
    );
    assert!(record["hash"].as_str().unwrap().starts_with("sha256:"));
    // status reads the ledger
    let status = repo.json(&["status", "--at", "2026-03-29 10:20"], 0);
    assert_eq!(
        status["announcements"][0]["channels"][0]["status"],
        "posted"
    );
    // and the dry run knows it is done
    let dry = repo.json(&["publish", "--dry-run", "--at", "2026-03-29 10:20"], 0);
    assert!(dry["due"].as_array().unwrap().is_empty());
}

#[test]
fn nothing_unapproved_or_changed_after_approval_is_ever_sent() {
    let repo = Repo::new();
    repo.write(
        "announcements/draft.et.md",
        &SPRING.replace("Kevad", "Mustand"),
    )
    .write("announcements/spring.et.md", SPRING);
    repo.approve("announcements/spring.et.md");
    repo.write(
        "announcements/spring.et.md",
        &repo
            .read("announcements/spring.et.md")
            .replace("Tekst.", "Muudetud tekst."),
    );
    let report = repo.json(&["publish", "--at", "2026-03-29 10:05"], 0);
    let rows: Vec<(&str, &str, &str)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["result"].as_str().unwrap(),
                r["detail"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("draft", "skipped", "draft (not approved)"),
            ("spring", "skipped", "changed after approval")
        ]
    );
    assert!(recorded(&repo).is_empty());
}

#[test]
fn late_posts_are_missed_unless_allowed() {
    let repo = Repo::new();
    repo.write("announcements/spring.et.md", SPRING);
    repo.approve("announcements/spring.et.md");
    // 24 hours after publish_at is still due; a minute more is missed. The run that first
    // reports it fails, so somebody looks; later runs list it without failing.
    let missed = repo.json(&["publish", "--at", "2026-03-30 10:01"], 1);
    assert_eq!(missed["rows"][0]["result"], "missed");
    assert!(
        missed["rows"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("`--allow-late` sends it")
    );
    assert!(recorded(&repo).is_empty());
    for at in ["2026-03-30 10:16", "2026-03-30 10:31"] {
        let again = repo.json(&["publish", "--at", at], 0);
        assert_eq!(again["rows"][0]["result"], "missed");
        assert!(
            again["rows"][0]["detail"].as_str().unwrap().ends_with(
                "(first reported 2026-03-30 10:01 (+03:00); later runs do not fail for it)"
            ),
            "{again:#}"
        );
    }
    assert!(recorded(&repo).is_empty());
    let late = repo.json(&["publish", "--allow-late", "--at", "2026-03-30 10:01"], 0);
    assert_eq!(late["rows"][0]["result"], "posted");
    assert_eq!(recorded(&repo).len(), 1);
}

#[test]
fn expired_announcements_are_not_sent() {
    let repo = Repo::new();
    repo.write(
        "announcements/spring.et.md",
        &SPRING.replace("channels:", "expires_at: 2026-03-29 12:00\nchannels:"),
    );
    repo.approve("announcements/spring.et.md");
    let at_expiry = repo.json(&["publish", "--at", "2026-03-29 12:00"], 0);
    assert!(at_expiry["rows"].as_array().unwrap().is_empty());
    assert!(recorded(&repo).is_empty());
    repo.json(&["publish", "--at", "2026-03-29 11:59"], 0);
    assert_eq!(recorded(&repo).len(), 1);
}

#[test]
fn pacing_limits_posts_per_run_and_spacing() {
    let repo = Repo::with_config("[publish]\nmax_posts_per_run = 2\nmin_spacing = \"30m\"\n");
    for n in 1..=3 {
        let rel = format!("announcements/n{n}.et.md");
        repo.write(&rel, &SPRING.replace("Kevad", &format!("Uudis {n}")));
        repo.approve(&rel);
    }
    // max_posts_per_run would allow two, but min_spacing since the first post of this
    // run has not passed, so one goes out per run.
    let first = repo.json(&["publish", "--at", "2026-03-29 10:05"], 0);
    assert_eq!(first["summary"]["posted"], 1, "{first:#}");
    assert_eq!(first["summary"]["deferred"], 2);
    let soon = repo.json(&["publish", "--at", "2026-03-29 10:20"], 0);
    assert_eq!(soon["summary"]["posted"], 0, "{soon:#}");
    let later = repo.json(&["publish", "--at", "2026-03-29 10:40"], 0);
    assert_eq!(later["summary"]["posted"], 1, "{later:#}");
    assert_eq!(recorded(&repo).len(), 2);
}

#[test]
fn a_second_run_is_refused_while_one_holds_the_lock() {
    let repo = Repo::new();
    std::fs::create_dir_all(repo.path().join("state")).unwrap();
    let lock = std::fs::File::create(repo.path().join("state/.publish.lock")).unwrap();
    lock.lock().unwrap();
    let run = repo.run(&["publish"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("another `herald publish` is running"),
        "{}",
        run.stderr
    );
    drop(lock);
    repo.run(&["publish"]).assert_code(0);
}

#[test]
fn a_torn_last_ledger_line_is_reported_and_earlier_records_kept() {
    let repo = Repo::new();
    repo.write("announcements/spring.et.md", SPRING);
    repo.approve("announcements/spring.et.md");
    repo.json(&["publish", "--at", "2026-03-29 10:05"], 0);
    let whole = repo.read("state/ledger.jsonl");
    repo.write(
        "state/ledger.jsonl",
        &format!("{whole}{{\"event\":\"started\",\"id\":\"spr"),
    );
    let run = repo.run(&["publish", "--at", "2026-03-29 10:10"]);
    run.assert_code(0);
    assert!(
        run.stderr
            .contains("state/ledger.jsonl:3: the last line was cut short"),
        "{}",
        run.stderr
    );
    assert_eq!(
        repo.read("state/ledger.jsonl"),
        whole,
        "the torn tail is cut, the rest kept"
    );
    assert_eq!(recorded(&repo).len(), 1, "still posted once");
}

#[test]
fn a_person_resolves_what_herald_cannot_know() {
    let repo = Repo::new();
    repo.write("announcements/spring.et.md", SPRING);
    repo.approve("announcements/spring.et.md");
    // A run that died after `started`: in doubt. The record channel can look itself up,
    // so the next run finds it was not sent and sends it.
    let hash = {
        let text = repo.read("announcements/spring.et.md");
        text.lines()
            .find_map(|l| l.trim().strip_prefix("hash: ").map(str::to_owned))
            .unwrap()
    };
    repo.write(
        "state/ledger.jsonl",
        &format!("{{\"event\":\"started\",\"id\":\"spring\",\"lang\":\"et\",\"channel\":\"record_et\",\"part\":1,\"hash\":\"{hash}\",\"at\":\"2026-03-29T07:05:00Z\",\"attempt\":1}}\n"),
    );
    let status = repo.json(&["status", "--at", "2026-03-29 10:06"], 0);
    assert_eq!(
        status["announcements"][0]["channels"][0]["status"],
        "in_doubt"
    );
    repo.json(&["publish", "--at", "2026-03-29 11:30"], 0);
    assert_eq!(recorded(&repo).len(), 1);
    // Nothing left to resolve now.
    let run = repo.run(&["resolve", "spring", "record_et", "--not-posted"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("is in doubt or failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn slack_gets_the_exact_body_and_its_secret_url_is_never_written() {
    let slack = crate::mock_webhook::MockWebhook::start();
    let repo = Repo::with_config(
        "[channels.slack_et]\nkind = \"slack\"\nlang = \"et\"\nwebhook_url_env = \"TEST_SLACK_URL\"\n",
    );
    repo.write(
        "announcements/spring.et.md",
        &SPRING
            .replace("[record_et]", "[slack_et]")
            .replace("Tekst.", "Tom & Jerry <3"),
    );
    repo.approve("announcements/spring.et.md");
    let url = slack.url();
    let run = repo.run_env(
        &["publish", "-v", "--at", "2026-03-29 10:05"],
        &[("TEST_SLACK_URL", &url)],
    );
    run.assert_code(0);
    let received = slack.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        serde_json::to_string(&received[0]).unwrap(),
        r#"{"text":"Kevad\n\nTom &amp; Jerry &lt;3"}"#
    );
    for text in [&run.stdout, &run.stderr, &repo.read("state/ledger.jsonl")] {
        assert!(
            !text.contains("secret") && !text.contains(&url),
            "the webhook URL leaked: {text}"
        );
    }
}

#[test]
fn a_malformed_file_among_a_thousand_good_ones_is_reported_and_the_rest_publish() {
    let repo = crate::harness::Repo::new();
    for n in 0..1000 {
        repo.write(
            &format!("announcements/teade-{n:04}.et.md"),
            &format!("---\ntitle: Teade {n}\npublish_at: 2026-06-30 10:00\nchannels: [record_et]\n---\nTekst {n}.\n"),
        );
    }
    repo.run(&[
        "approve",
        "--all-pending",
        "--yes",
        "--by",
        "editor@example.org",
    ])
    .assert_code(0);
    // Written after the approvals, as a careless edit would be: a broken YAML line.
    repo.write(
        "announcements/katki.et.md",
        "---\ntitle: Katki\npublish_at: 2026-06-30 10:00\nchannels: [record_et\n---\nTekst.\n",
    );
    let run = repo.run_env(
        &["publish", "--format", "json", "--at", "2026-06-30 10:05"],
        &[("HERALD_PUBLISH__MAX_POSTS_PER_RUN", "2000")],
    );
    run.assert_code(1);
    let report = run.json();
    assert_eq!(report["summary"]["posted"], 1000, "{}", run.stderr);
    assert_eq!(report["summary"]["failed"], 1);
    let broken = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "katki")
        .unwrap();
    assert_eq!(broken["result"], "failed");
    assert!(
        broken["detail"].as_str().unwrap().contains(
            "announcements/katki.et.md has errors, so when it is due is unknown (line 5, column 1"
        ),
        "{broken}"
    );
    let recorded = repo.read("state/recorded.jsonl");
    assert_eq!(recorded.lines().count(), 1000);
    let check = repo.run(&["check"]);
    check.assert_code(1);
    assert!(
        check
            .stdout
            .contains("announcements/katki.et.md:5:1: error: this is not valid YAML"),
        "the broken file is named with its line: {}",
        check.stdout
    );
}

#[test]
fn a_full_disk_while_writing_the_ledger_keeps_the_ledger_and_sends_nothing_unrecorded() {
    let repo = Repo::new();
    let announce = |id: &str| {
        let rel = format!("announcements/{id}.et.md");
        repo.write(
            &rel,
            &format!("---\ntitle: Teade {id}\npublish_at: 2026-06-30 10:00\nchannels: [record_et]\n---\nTekst {id}.\n"),
        );
        repo.approve(&rel);
    };
    announce("a");
    repo.run(&["publish", "--at", "2026-06-30 10:05"])
        .assert_code(0);
    let before = std::fs::read(repo.path().join("state/ledger.jsonl")).unwrap();
    announce("b");
    // The disk fills up 40 bytes into the next ledger line: RLIMIT_FSIZE makes writes past
    // it fail (EFBIG, with SIGXFSZ ignored) exactly as a full disk makes them fail.
    let limit = before.len() + 40;
    let out = crate::harness::herald_under(
        &[
            "python3",
            "-c",
            "import os, resource, signal, sys\n\
             signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n\
             n = int(sys.argv[1])\n\
             resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))\n\
             os.execv(sys.argv[2], sys.argv[2:])",
            &limit.to_string(),
        ],
        repo.path(),
        &["publish", "--at", "2026-06-30 10:05"],
        &[],
    )
    .output()
    .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("cannot write the ledger"), "{stdout}");
    let after = std::fs::read(repo.path().join("state/ledger.jsonl")).unwrap();
    assert!(
        after.len() <= limit && after.starts_with(&before),
        "the earlier lines are intact"
    );
    assert_eq!(
        recorded(&repo).len(),
        1,
        "nothing was sent without its `started` line on disk"
    );
    // Space again: the cut-off line is reported and dropped, and `b` goes out once.
    let run = repo.run(&["publish", "--at", "2026-06-30 10:06"]);
    run.assert_code(0);
    assert!(run.stderr.contains("was cut short"), "{}", run.stderr);
    let sent: Vec<String> = recorded(&repo)
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(sent, ["Teade a\n\nTekst a.", "Teade b\n\nTekst b."]);
}

/// What breaks after approval: each way an approved, due announcement can stop being
/// sendable makes the run fail with a row that says what and where, never "Nothing to
/// publish".
#[test]
fn an_approved_due_announcement_that_broke_fails_the_run() {
    let image_spring = "---\ntitle: Kevad\npublish_at: 2026-03-29 10:00\nchannels: [record_et]\nimages:\n  - path: announcements/pic.png\n    alt: Pilt\n---\nTekst.\n";
    type Break = fn(&Repo);
    let cases: [(&str, Break, &str); 4] = [
        (
            "its image deleted",
            |r| {
                std::fs::remove_file(r.path().join("announcements/pic.png")).unwrap();
            },
            "pic.png",
        ),
        (
            "a misspelt field",
            |r| {
                let t = r
                    .read("announcements/spring.et.md")
                    .replace("title: Kevad", "title: Kevad\ntitel: Kevad");
                r.write("announcements/spring.et.md", &t);
            },
            "line 3, column 1",
        ),
        (
            "a channel that does not exist",
            |r| {
                let t = r
                    .read("announcements/spring.et.md")
                    .replace("[record_et]", "[record_et, recrod_et]");
                r.write("announcements/spring.et.md", &t);
            },
            "recrod_et",
        ),
        (
            "a bad value",
            |r| {
                let t = r
                    .read("announcements/spring.et.md")
                    .replace("alt: Pilt", "alt: [Pilt]");
                r.write("announcements/spring.et.md", &t);
            },
            "`alt`",
        ),
    ];
    for (what, breaks, says) in cases {
        let repo = Repo::new();
        std::fs::write(
            repo.path().join("announcements/pic.png"),
            crate::harness::TINY_PNG,
        )
        .unwrap();
        repo.write("announcements/spring.et.md", image_spring);
        repo.approve("announcements/spring.et.md");
        breaks(&repo);
        let report = repo.json(&["publish", "--at", "2026-03-29 10:05"], 1);
        let rows = report["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{what}: {report:#}");
        assert_eq!(rows[0]["result"], "failed", "{what}");
        let detail = rows[0]["detail"].as_str().unwrap();
        assert!(
            detail.contains("was approved and is due, but now has an error"),
            "{what}: {detail}"
        );
        assert!(detail.contains(says), "{what}: {detail}");
        assert!(recorded(&repo).is_empty(), "{what}");
        let text = repo.run(&["publish", "--at", "2026-03-29 10:05"]);
        assert_eq!(text.code, 1, "{what}");
        assert!(
            !text.stdout.contains("Nothing to publish"),
            "{what}: {}",
            text.stdout
        );
        // The dry run says the same and fails the same.
        let dry = repo.run(&["publish", "--dry-run", "--at", "2026-03-29 10:05"]);
        assert_eq!(dry.code, 1, "{what}: {}", dry.stdout);
        assert!(dry.stdout.contains(detail), "{what}: {}", dry.stdout);
    }
}

#[test]
fn check_warns_when_publish_at_has_passed_and_nothing_went_out() {
    let repo = Repo::new();
    repo.write("announcements/spring.et.md", SPRING);
    let warning = |at: &str| -> Option<String> {
        let doc = repo.json(&["check", "--at", at], 0);
        doc["announcements"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| {
                d["message"]
                    .as_str()
                    .unwrap()
                    .contains("has already passed")
            })
            .map(|d| {
                assert_eq!(
                    (
                        d["severity"].as_str(),
                        d["line"].as_u64(),
                        d["column"].as_u64()
                    ),
                    (Some("warning"), Some(3), Some(13))
                );
                d["message"].as_str().unwrap().to_owned()
            })
    };
    assert_eq!(warning("2026-03-29 09:59"), None, "not yet due");
    let due = warning("2026-03-29 10:30").expect("due and not sent");
    assert!(due.contains("has not gone out to `record_et`"), "{due}");
    assert!(
        due.contains("goes out late at the next publish run"),
        "{due}"
    );
    let late = warning("2026-03-31 10:00").expect("missed");
    assert!(late.contains("too late to go out by itself"), "{late}");
    repo.approve("announcements/spring.et.md");
    repo.json(&["publish", "--at", "2026-03-29 10:05"], 0);
    assert_eq!(warning("2026-03-29 10:30"), None, "sent");
}

#[test]
fn the_record_file_gets_exactly_the_lines_the_dry_run_shows() {
    let repo = Repo::new();
    let long = "Tartu linn kutsub kõiki elanikke osalema. ".repeat(20);
    repo.write(
        "announcements/pikk.et.md",
        &format!(
            "---\ntitle: Pikk\npublish_at: 2026-03-29 10:00\nchannels: [record_et]\n---\n{long}\n"
        ),
    );
    repo.approve("announcements/pikk.et.md");
    let dry = repo.json(&["publish", "--dry-run", "--at", "2026-03-29 10:05"], 0);
    let requests = dry["due"][0]["requests"].as_array().unwrap().clone();
    assert!(requests.len() >= 2, "a thread: {dry:#}");
    repo.json(&["publish", "--at", "2026-03-29 10:05"], 0);
    let file = repo.read("state/recorded.jsonl");
    let lines: Vec<&str> = file.lines().collect();
    assert_eq!(lines.len(), requests.len());
    for (i, (line, shown)) in lines.iter().zip(&requests).enumerate() {
        assert_eq!(shown["action"], "APPEND state/recorded.jsonl");
        // A part replies to the line the one before became (its line number).
        let planned = shown["body"]
            .to_string()
            .replace(&format!("<id of part {i}>"), &i.to_string());
        assert_eq!(*line, planned);
    }
}
