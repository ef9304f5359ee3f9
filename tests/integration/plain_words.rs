//! What staff read about a post that may or may not have gone out: plain words and the
//! commands that settle it, in `status`, the dry run, the run's rows and totals and the
//! preview; the JSON keeps the exact term (`in_doubt`) for scripts.

use crate::harness::Repo;

const AT: &str = "2026-06-30 10:05";

/// An approved announcement due at 10:00 on `channel`, whose first part was started at
/// 10:01 and got no answer (a run stopped while it was on its way).
fn started_without_answer(channel: &str, config: &str) -> Repo {
    let repo = Repo::with_config(config);
    repo.write(
        "announcements/uudis.et.md",
        &format!(
            "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [{channel}]\n---\nTekst.\n"
        ),
    );
    repo.approve("announcements/uudis.et.md");
    let hash = repo
        .read("announcements/uudis.et.md")
        .lines()
        .find_map(|l| l.trim().strip_prefix("hash: ").map(str::to_owned))
        .expect("an approval hash");
    repo.write(
        "state/ledger.jsonl",
        &format!("{{\"event\":\"started\",\"id\":\"uudis\",\"lang\":\"et\",\"channel\":\"{channel}\",\"part\":1,\"hash\":\"{hash}\",\"at\":\"2026-06-30T07:01:00Z\",\"attempt\":1}}\n"),
    );
    repo
}

const SLACK: &str =
    "[channels.slack_et]\nkind = \"slack\"\nlang = \"et\"\nwebhook_url_env = \"TEST_SLACK_URL\"\n";
/// Nothing listens there; nothing may be sent anyway.
const ENV: [(&str, &str); 1] = [("TEST_SLACK_URL", "http://127.0.0.1:9/hook")];

#[test]
fn a_post_that_may_have_gone_out_is_said_in_plain_words_with_what_to_do() {
    let repo = started_without_answer("slack_et", SLACK);
    let resolve = "`herald resolve uudis slack_et --posted URL` if the post is there, `herald resolve uudis slack_et --not-posted` if it is not";

    // Before it is due again (the clock of this machine was behind, say): only a person
    // can settle it.
    let early = "2026-06-30 09:00";
    let status = repo.run_env(&["status", "--at", early], &ENV);
    let row = |text: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with("slack_et"))
            .map(|l| l.trim_end().to_owned())
            .unwrap_or_else(|| panic!("a row for slack_et: {text}"))
    };
    assert_eq!(
        row(&status.stdout),
        "  slack_et         not sure it went out"
    );
    assert!(
        status.stdout.contains(&format!(
            "a run stopped at 2026-06-30 10:01 (+03:00) before the network answered, so Herald cannot tell whether it went out, and does not post it again. Check the account; then tell Herald: {resolve}"
        )),
        "{}",
        status.stdout
    );
    assert!(!status.stdout.contains("in doubt"), "{}", status.stdout);
    // Due: the run asks the network where it can; Slack cannot be asked.
    let status = repo.run_env(&["status", "--at", AT], &ENV);
    assert_eq!(
        row(&status.stdout),
        "  slack_et         not sure it went out"
    );
    assert!(
        status.stdout.contains(&format!(
            "a run stopped at 2026-06-30 10:01 (+03:00) before the network answered. The next run asks the network, where the network lets it, and posts it only if it is not there; where it cannot ask, check the account, then tell Herald: {resolve}"
        )),
        "{}",
        status.stdout
    );
    // Scripts keep the exact term.
    let json = repo.json(&["status", "--at", AT], 0);
    assert_eq!(
        json["announcements"][0]["channels"][0]["status"], "in_doubt",
        "{json}"
    );

    let run = repo.run_env(&["publish", "--at", AT], &ENV);
    assert!(
        run.stdout.contains("not sure  uudis [et] → slack_et"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("0 deferred, 0 failed, 1 not sure, 0 missed, 0 posted, 0 skipped"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("in doubt"), "{}", run.stdout);
    let json = repo.run_env(&["publish", "--format", "json", "--at", AT], &ENV);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("publish JSON");
    assert_eq!(json["rows"][0]["result"], "in_doubt", "{json}");
    assert_eq!(json["summary"]["in_doubt"], 1, "{json}");

    let out = tempfile::tempdir().unwrap();
    repo.run(&[
        "preview",
        "--out",
        out.path().to_str().unwrap(),
        "--outside-root",
        "--at",
        AT,
    ]);
    let page = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(
        page.contains("not sure it went out: check the account, then tell Herald"),
        "the preview says it in plain words"
    );
    assert!(
        !page.contains("in doubt"),
        "the preview says it in plain words"
    );
}

#[test]
fn status_names_each_state_in_words_and_the_json_keeps_the_terms() {
    // (what is done to the file, the row's words, the JSON's status)
    let cases: [(&str, &str, &str); 3] = [
        ("edit", "changed since it was approved", "changed"),
        (
            "stranger",
            "approved by someone not on the approvers list",
            "unknown_approver",
        ),
        ("nothing", "due", "due"),
    ];
    for (what, words, term) in cases {
        let repo = Repo::new();
        repo.write(
            "announcements/uudis.et.md",
            "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [record_et]\n---\nTekst.\n",
        );
        repo.approve("announcements/uudis.et.md");
        match what {
            "edit" => {
                let text = repo
                    .read("announcements/uudis.et.md")
                    .replace("Tekst.", "Muudetud tekst.");
                repo.write("announcements/uudis.et.md", &text);
            }
            "stranger" => {
                let text = repo
                    .read("announcements/uudis.et.md")
                    .replace("editor@example.org", "someone@example.com");
                repo.write("announcements/uudis.et.md", &text);
            }
            _ => {}
        }
        let status = repo.run(&["status", "--at", AT]);
        let row = status
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with("record_et"))
            .unwrap_or_else(|| panic!("{what}: a row for record_et: {}", status.stdout));
        assert_eq!(
            row.trim_end(),
            format!("  record_et        {words}"),
            "{what}"
        );
        let json = repo.json(&["status", "--at", AT], 0);
        assert_eq!(
            json["announcements"][0]["channels"][0]["status"], term,
            "{what}: {json}"
        );
    }
}
