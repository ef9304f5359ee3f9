//! One fate per post, printed everywhere: for each situation a post can be in, `status`,
//! the preview page, the dry run and the publish run say the same thing about it.

use crate::harness::Repo;
use serde_json::Value;

/// What each command says about the one post of a situation.
#[derive(Debug, PartialEq)]
struct Seen {
    /// `status --format json`: the channel's `status`.
    status: String,
    /// The preview's state class (`due`, `scheduled`, `posted`, `held`, `problem`).
    preview: String,
    /// The dry run: `sent` when it would send the post, else the reason it holds it.
    dry_run: String,
    /// The publish run's row for the post (`-` when it says nothing about it).
    publish: String,
}

const AT: &str = "2026-06-30 10:05";

fn announcement(front: &str) -> String {
    format!("---\ntitle: Uudis\n{front}channels: [record_et]\n---\nTekst.\n")
}

fn repo_with(front: &str, approve: bool) -> Repo {
    let repo = Repo::new();
    repo.write("announcements/uudis.et.md", &announcement(front));
    if approve {
        repo.approve("announcements/uudis.et.md");
    }
    repo
}

fn hash_of(repo: &Repo) -> String {
    repo.read("announcements/uudis.et.md")
        .lines()
        .find_map(|l| l.trim().strip_prefix("hash: ").map(str::to_owned))
        .expect("an approval hash")
}

/// The preview page at `AT`, written outside the repository.
fn preview_page(repo: &Repo) -> String {
    let out = tempfile::tempdir().unwrap();
    repo.run(&[
        "preview",
        "--out",
        out.path().to_str().unwrap(),
        "--outside-root",
        "--at",
        AT,
    ]);
    std::fs::read_to_string(out.path().join("index.html")).unwrap()
}

fn seen(repo: &Repo) -> Seen {
    let status = repo.json(&["status", "--at", AT], 0);
    let status = status["announcements"][0]["channels"][0]["status"]
        .as_str()
        .expect("a status")
        .to_owned();

    let page = preview_page(repo);
    // The timeline names every post (a skipped one has no card of its own).
    let preview = page
        .split("<ul class=\"channels\"><li class=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the post in the timeline")
        .to_owned();
    if let Some(card) = page.split("<article class=\"card").nth(1) {
        let state = card
            .split("<span class=\"state ")
            .nth(1)
            .and_then(|s| s.split('"').next());
        assert_eq!(state, Some(preview.as_str()), "card and timeline agree");
    }

    let dry = repo.run(&["publish", "--dry-run", "--format", "json", "--at", AT]);
    let dry: Value = serde_json::from_str(&dry.stdout).expect("dry run JSON");
    let dry_run = if dry["due"].as_array().unwrap().is_empty() {
        dry["held"][0]["reason"]
            .as_str()
            .map_or("not sent, not held".into(), str::to_owned)
    } else {
        "sent".to_owned()
    };

    let run = repo.run(&["publish", "--format", "json", "--at", AT]);
    let run: Value = serde_json::from_str(&run.stdout).expect("publish JSON");
    let publish = run["rows"][0]["result"].as_str().unwrap_or("-").to_owned();
    Seen {
        status,
        preview,
        dry_run,
        publish,
    }
}

fn expect(status: &str, preview: &str, dry_run: &str, publish: &str) -> Seen {
    Seen {
        status: status.into(),
        preview: preview.into(),
        dry_run: dry_run.into(),
        publish: publish.into(),
    }
}

#[test]
fn every_command_prints_the_same_fate_for_each_situation() {
    let cases: Vec<(&str, Repo, Seen)> = vec![
        (
            "due and approved",
            repo_with("publish_at: 2026-06-30 10:00\n", true),
            expect("due", "due", "sent", "posted"),
        ),
        (
            "scheduled",
            repo_with("publish_at: 2026-06-30 12:00\n", true),
            expect(
                "scheduled",
                "scheduled",
                "scheduled for 2026-06-30 12:00 (+03:00)",
                "-",
            ),
        ),
        (
            "a draft that is due",
            repo_with("publish_at: 2026-06-30 10:00\n", false),
            expect("draft", "held", "draft (not approved)", "skipped"),
        ),
        (
            "missed by more than max_delay",
            repo_with("publish_at: 2026-06-28 10:00\n", true),
            expect(
                "missed",
                "problem",
                "missed: 2026-06-28 10:00 (+03:00) is more than 24 hours ago",
                "missed",
            ),
        ),
        (
            "expired",
            repo_with(
                "publish_at: 2026-06-30 09:00\nexpires_at: 2026-06-30 10:00\n",
                true,
            ),
            expect("expired", "held", "expired", "-"),
        ),
        (
            "unscheduled",
            repo_with("", true),
            expect("unscheduled", "held", "no `publish_at`", "-"),
        ),
        (
            "skipped for the channel",
            repo_with(
                "publish_at: 2026-06-30 10:00\noverrides:\n  record_et:\n    skip: true\n",
                true,
            ),
            expect("skipped", "held", "not sent, not held", "-"),
        ),
    ];
    for (what, repo, want) in cases {
        assert_eq!(seen(&repo), want, "{what}");
    }

    // Changed after approval.
    let repo = repo_with("publish_at: 2026-06-30 10:00\n", true);
    let text = repo.read("announcements/uudis.et.md");
    repo.write(
        "announcements/uudis.et.md",
        &text.replace("Tekst.", "Muudetud tekst."),
    );
    let got = seen(&repo);
    assert_eq!(
        (
            got.status.as_str(),
            got.preview.as_str(),
            got.publish.as_str()
        ),
        ("changed", "held", "skipped"),
        "changed after approval: {got:?}"
    );
    assert!(got.dry_run.starts_with("changed after approval"), "{got:?}");

    // Posted: after a run, every command says so and nothing goes out again.
    let repo = repo_with("publish_at: 2026-06-30 10:00\n", true);
    repo.json(&["publish", "--at", AT], 0);
    let got = seen(&repo);
    assert_eq!(
        (
            got.status.as_str(),
            got.preview.as_str(),
            got.publish.as_str()
        ),
        ("posted", "posted", "-"),
        "posted: {got:?}"
    );

    // In doubt: started, no answer. The record channel can look itself up, so the
    // dry run shows it going out and the run settles it (here: not found, so sent).
    let repo = repo_with("publish_at: 2026-06-30 10:00\n", true);
    let hash = hash_of(&repo);
    repo.write(
        "state/ledger.jsonl",
        &format!("{{\"event\":\"started\",\"id\":\"uudis\",\"lang\":\"et\",\"channel\":\"record_et\",\"part\":1,\"hash\":\"{hash}\",\"at\":\"2026-06-30T07:01:00Z\",\"attempt\":1}}\n"),
    );
    assert_eq!(
        seen(&repo),
        expect("in_doubt", "problem", "sent", "posted"),
        "in doubt"
    );

    // Failed for good (a permanent refusal), and failed but tried again: the dry run
    // shows exactly what the run does, sending only what it retries.
    for (class, dry_run, publish) in [
        ("permanent", "failed earlier: refused: bad token", "failed"),
        ("transient", "sent", "posted"),
    ] {
        let repo = repo_with("publish_at: 2026-06-30 10:00\n", true);
        let hash = hash_of(&repo);
        let line = |event: &str, extra: &str| {
            format!(
                "{{\"event\":\"{event}\",\"id\":\"uudis\",\"lang\":\"et\",\"channel\":\"record_et\",\"part\":1,\"hash\":\"{hash}\",\"at\":\"2026-06-30T07:01:00Z\",\"attempt\":1{extra}}}\n"
            )
        };
        repo.write(
            "state/ledger.jsonl",
            &format!(
                "{}{}",
                line("started", ""),
                line(
                    "failed",
                    &format!(",\"class\":\"{class}\",\"message\":\"refused: bad token\"")
                )
            ),
        );
        let got = seen(&repo);
        assert_eq!(
            (
                got.status.as_str(),
                got.dry_run.as_str(),
                got.publish.as_str()
            ),
            ("failed", dry_run, publish),
            "{class}: {got:?}"
        );
    }
}

#[test]
fn an_email_list_waits_for_the_other_language_in_every_command() {
    // An email list gets every language at once: the approved, due Estonian post waits
    // for the English draft, and every command says so.
    let repo = Repo::with_config(
        r#"
[channels.newsletter]
kind = "email"
lang = "et"
from = "Tartu linn <uudised@tartu.example>"
smtp_host = "127.0.0.1"
smtp_port = 9
tls = "none"
subscribers_env = "TEST_SUBSCRIBERS"
secret_env = "TEST_LIST_SECRET"
list_id = "uudised.tartu.example"
unsubscribe_url = "https://tartu.example/loobu/{token}"
"#,
    );
    for (lang, title) in [("et", "Uudis"), ("en", "News")] {
        repo.write(
            &format!("announcements/uudis.{lang}.md"),
            &format!(
                "---\ntitle: {title}\npublish_at: 2026-06-30 10:00\nchannels: [newsletter]\n---\nTekst.\n"
            ),
        );
    }
    repo.approve("announcements/uudis.et.md");
    let words = "waiting for the `en` version (not approved or not due yet): an email list gets every language at once, so each subscriber gets their own";

    let status = repo.json(&["status", "--at", AT], 0);
    let et = status["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["lang"] == "et")
        .unwrap();
    assert_eq!(et["channels"][0]["status"], "waiting");
    assert_eq!(et["channels"][0]["detail"], words);

    let page = preview_page(&repo);
    assert!(
        page.contains(&format!("<li class=\"held\">newsletter: {words}</li>")),
        "the timeline names the wait"
    );

    let dry = repo.run(&["publish", "--dry-run", "--format", "json", "--at", AT]);
    let dry: Value = serde_json::from_str(&dry.stdout).unwrap();
    assert_eq!(dry["due"], Value::Array(vec![]), "nothing would be sent");
    let text = repo.run(&["publish", "--dry-run", "--at", AT]).stdout;
    assert!(text.contains(&format!("→ newsletter {words}")), "{text}");

    let run = repo.run(&["publish", "--format", "json", "--at", AT]);
    let run: Value = serde_json::from_str(&run.stdout).unwrap();
    let row = run["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["lang"] == "et")
        .unwrap()
        .clone();
    assert_eq!(row["result"], "deferred");
    assert_eq!(row["detail"], words);
}
