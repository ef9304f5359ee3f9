//! Corrections and retractions with the `record` channel: an approved change to a post
//! that went out is applied once, the way the channel allows; an unapproved one never.

use crate::harness::Repo;
use serde_json::Value;

const CHANNELS: &str = r#"
[channels.short]
kind = "record"
lang = "et"
limit = 60

[channels.noedit]
kind = "record"
lang = "et"
edits = false
file = "state/noedit.jsonl"

[channels.again]
kind = "record"
lang = "et"
edits = false
correction = "repost"
file = "state/again.jsonl"

[channels.fixed]
kind = "record"
lang = "et"
edits = false
deletes = false
correction = "none"
file = "state/fixed.jsonl"
"#;

fn file(body: &str, extra: &str, channels: &str) -> String {
    format!(
        "---\ntitle: Kontsert\npublish_at: 2026-06-30 10:00\nchannels: [{channels}]\n{extra}---\n{body}\n"
    )
}

fn lines(repo: &Repo, rel: &str) -> Vec<Value> {
    std::fs::read_to_string(repo.path().join(rel))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn rows(report: &Value) -> Vec<(String, String, String)> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["channel"].as_str().unwrap().to_owned(),
                r["result"].as_str().unwrap().to_owned(),
                r["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A repository with `a.et.md` posted on `channels` at 10:05.
fn posted(body: &str, channels: &str) -> Repo {
    let repo = Repo::with_config(CHANNELS);
    repo.write("announcements/a.et.md", &file(body, "", channels));
    repo.approve("announcements/a.et.md");
    repo.json(&["publish", "--at", "2026-06-30 10:05"], 0);
    repo
}

const FIRST: &str = "Kontsert on 11. juunil.";
const FIXED: &str = "Kontsert on 12. juunil.";

#[test]
fn an_approved_change_edits_the_post_once_and_an_unapproved_one_never() {
    let repo = posted(FIRST, "record_et");
    repo.write("announcements/a.et.md", &file(FIXED, "", "record_et"));
    // Not approved: nothing changes, and the run says why.
    let held = repo.json(&["publish", "--at", "2026-07-01 09:00"], 0);
    assert_eq!(
        rows(&held),
        [(
            "record_et".to_owned(),
            "skipped".to_owned(),
            "changed after it was posted, and the change is not approved: the post stays as it went out until the change is approved (then Herald corrects it)".to_owned()
        )]
    );
    assert_eq!(lines(&repo, "state/recorded.jsonl").len(), 1);
    let status = repo.json(&["status", "--at", "2026-07-01 09:00"], 0);
    assert_eq!(
        status["announcements"][0]["channels"][0]["status"],
        "changed_after_posting"
    );
    repo.approve("announcements/a.et.md");
    // The dry run shows the edit as the request it will make.
    let dry = repo.json(&["publish", "--dry-run", "--at", "2026-07-01 09:00"], 0);
    let change = &dry["changes"][0];
    assert_eq!(change["channel"], "record_et");
    assert_eq!(change["steps"][0]["action"], "edit");
    assert_eq!(change["steps"][0]["remote_id"], "1");
    assert_eq!(change["steps"][0]["words"], "edit the post (1)");
    assert_eq!(
        change["requests"][0]["action"],
        "APPEND state/recorded.jsonl"
    );
    let shown = change["requests"][0]["body"].clone();
    let text = repo.run(&["publish", "--dry-run", "--at", "2026-07-01 09:00"]);
    assert!(
        text.stdout.contains("Corrections and retractions\na [et] → record_et (record): correct\n  edit the post (1)\n    ┌ new text\n    │ Kontsert\n    │ \n    │ Kontsert on 12. juunil.\n    └\n    APPEND state/recorded.jsonl\n"),
        "{}",
        text.stdout
    );
    let run = repo.json(&["publish", "--at", "2026-07-01 09:00"], 0);
    assert_eq!(
        rows(&run),
        [(
            "record_et".to_owned(),
            "corrected".to_owned(),
            "edit the post (1)".to_owned()
        )]
    );
    let sent = lines(&repo, "state/recorded.jsonl");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1], shown, "sent exactly what the dry run showed");
    assert_eq!(sent[1]["text"], "Kontsert\n\nKontsert on 12. juunil.");
    // Settled: later runs change nothing, and status says posted.
    let again = repo.json(&["publish", "--at", "2026-07-01 10:00"], 0);
    assert!(rows(&again).is_empty(), "{again:#}");
    assert_eq!(lines(&repo, "state/recorded.jsonl").len(), 2);
    let status = repo.json(&["status", "--at", "2026-07-01 10:00"], 0);
    assert_eq!(
        status["announcements"][0]["channels"][0]["status"],
        "posted"
    );
    // The ledger has the edit with who approved it.
    let ledger = lines(&repo, "state/ledger.jsonl");
    let edit: Vec<&Value> = ledger.iter().filter(|r| r["action"] == "edit").collect();
    assert_eq!(edit.len(), 2, "started and posted");
    assert_eq!(edit[0]["event"], "started");
    assert_eq!(edit[0]["by"], "editor@example.org");
    assert_eq!(edit[1]["event"], "posted");
}

#[test]
fn a_thread_that_changes_length_is_edited_whole_never_given_a_stray_part() {
    // 60 characters a part: three sentences make a thread of three.
    let long = "Esimene lause on siin ja ta on pikk. Teine lause on ka siin ja pikk. Kolmas lause lõpetab jutu siin.";
    let repo = posted(long, "short");
    let first = lines(&repo, "state/recorded.jsonl");
    let n = first.len();
    assert!(n >= 3, "{first:#?}");
    // Shorter: one part is edited, the others deleted, newest first.
    repo.write("announcements/a.et.md", &file("Lühike.", "", "short"));
    repo.approve("announcements/a.et.md");
    let run = repo.json(&["publish", "--at", "2026-07-01 09:00"], 0);
    let words: Vec<String> = (2..=n)
        .rev()
        .map(|p| format!("delete part {p} ({p})"))
        .collect();
    assert_eq!(
        rows(&run)[0].2,
        format!("edit part 1 (1); {}", words.join("; "))
    );
    let sent = lines(&repo, "state/recorded.jsonl");
    let deleted: Vec<&str> = sent.iter().filter_map(|l| l["delete"].as_str()).collect();
    let expected: Vec<String> = (2..=n).rev().map(|p| p.to_string()).collect();
    assert_eq!(deleted, expected);
    // Longer again: part 1 edited, parts 2 and 3 posted anew as replies, in order.
    repo.write("announcements/a.et.md", &file(long, "", "short"));
    repo.approve("announcements/a.et.md");
    let before = lines(&repo, "state/recorded.jsonl").len();
    let run = repo.json(&["publish", "--at", "2026-07-02 09:00"], 0);
    assert_eq!(rows(&run)[0].1, "corrected", "{run:#}");
    let sent = lines(&repo, "state/recorded.jsonl");
    let new: Vec<&Value> = sent[before..].iter().collect();
    assert_eq!(
        new[0]["edit"].as_str().unwrap().split(':').next(),
        Some("1")
    );
    let line_of = |i: usize| (before + i + 1).to_string();
    assert_eq!(new[1]["reply_to"], "1", "part 2 answers part 1");
    assert_eq!(
        new[2]["reply_to"],
        line_of(1),
        "part 3 answers the new part 2"
    );
    assert_eq!(new.len(), n);
    let again = repo.json(&["publish", "--at", "2026-07-02 10:00"], 0);
    assert!(rows(&again).is_empty(), "{again:#}");
}

#[test]
fn where_a_post_cannot_be_edited_the_channels_policy_decides() {
    let repo = posted(FIRST, "noedit, again, fixed");
    repo.write(
        "announcements/a.et.md",
        &file(FIXED, "", "noedit, again, fixed"),
    );
    repo.approve("announcements/a.et.md");
    let run = repo.json(&["publish", "--at", "2026-07-01 09:00"], 0);
    assert_eq!(
        rows(&run),
        [
            (
                "again".to_owned(),
                "corrected".to_owned(),
                "delete the post (1); post the post anew".to_owned()
            ),
            (
                "fixed".to_owned(),
                "skipped".to_owned(),
                "`fixed` cannot edit a post that went out and its `correction` policy is `none`: the post still says the old text".to_owned()
            ),
            (
                "noedit".to_owned(),
                "corrected".to_owned(),
                "reply with a correction (1)".to_owned()
            ),
        ]
    );
    // reply (the default where a network cannot edit): a notice answers the post.
    let notice = lines(&repo, "state/noedit.jsonl");
    assert_eq!(notice.len(), 2);
    assert_eq!(notice[1]["reply_to"], "1");
    assert_eq!(
        notice[1]["text"],
        "Parandus: Kontsert\n\nKontsert on 12. juunil."
    );
    assert!(notice[1]["key"].as_str().unwrap().ends_with(":notice"));
    // repost: deleted, then posted again.
    let again = lines(&repo, "state/again.jsonl");
    assert_eq!(again[1]["delete"], "1");
    assert_eq!(again[2]["text"], "Kontsert\n\nKontsert on 12. juunil.");
    // none: nothing sent.
    assert_eq!(lines(&repo, "state/fixed.jsonl").len(), 1);
    // Each is done once.
    let later = repo.json(&["publish", "--at", "2026-07-01 10:00"], 0);
    assert!(rows(&later).is_empty(), "{later:#}");
    assert_eq!(lines(&repo, "state/noedit.jsonl").len(), 2);
    assert_eq!(lines(&repo, "state/again.jsonl").len(), 3);
}

#[test]
fn a_retraction_deletes_every_part_newest_first_and_nothing_is_published_again() {
    let long = "Esimene lause on siin ja ta on pikk. Teine lause on ka siin ja pikk.";
    let repo = posted(long, "short, fixed");
    let n = lines(&repo, "state/recorded.jsonl").len();
    assert_eq!(n, 2);
    // A retraction is a change like any other: not approved, nothing happens.
    let retracted = file(long, "retract: \"Kontsert jääb ära\"\n", "short, fixed");
    repo.write("announcements/a.et.md", &retracted);
    repo.json(&["publish", "--at", "2026-07-01 09:00"], 0);
    assert!(
        lines(&repo, "state/recorded.jsonl")
            .iter()
            .all(|l| l["delete"].is_null())
    );
    repo.approve("announcements/a.et.md");
    let dry = repo.json(&["publish", "--dry-run", "--at", "2026-07-01 09:00"], 0);
    assert_eq!(dry["changes"][1]["retraction"], "Kontsert jääb ära");
    // Where it cannot be deleted, the run fails once and names the post.
    let run = repo.json(&["publish", "--at", "2026-07-01 09:00"], 1);
    assert_eq!(
        rows(&run),
        [
            (
                "fixed".to_owned(),
                "failed".to_owned(),
                "the post cannot be deleted by Herald on `fixed`; remove it by hand".to_owned()
            ),
            (
                "short".to_owned(),
                "retracted".to_owned(),
                "delete part 2 (2); delete part 1 (1)".to_owned()
            ),
        ]
    );
    let deleted: Vec<Value> = lines(&repo, "state/recorded.jsonl")
        .into_iter()
        .filter(|l| !l["delete"].is_null())
        .collect();
    assert_eq!(deleted[0]["delete"], "2");
    assert_eq!(deleted[1]["delete"], "1");
    let later = repo.json(&["publish", "--at", "2026-07-01 10:00"], 0);
    assert!(rows(&later).is_empty(), "{later:#}");
    let status = repo.json(&["status", "--at", "2026-07-01 10:00"], 0);
    let channels = &status["announcements"][0]["channels"];
    assert_eq!(channels[0]["status"], "retracted");
    // Taking `retract` out again publishes nothing: a withdrawn post stays withdrawn.
    repo.write("announcements/a.et.md", &file(long, "", "short"));
    repo.approve("announcements/a.et.md");
    let after = repo.json(&["publish", "--at", "2026-07-02 10:00"], 0);
    assert!(rows(&after).is_empty(), "{after:#}");
    assert_eq!(lines(&repo, "state/recorded.jsonl").len(), n + 2);
}

#[test]
fn a_retracted_announcement_that_never_went_out_is_never_published() {
    let repo = Repo::with_config(CHANNELS);
    repo.write(
        "announcements/a.et.md",
        &file(FIRST, "retract: \"Vale kuupäev\"\n", "record_et"),
    );
    repo.approve("announcements/a.et.md");
    let run = repo.json(&["publish", "--at", "2026-06-30 10:05"], 0);
    assert!(rows(&run).is_empty(), "{run:#}");
    assert!(lines(&repo, "state/recorded.jsonl").is_empty());
    let status = repo.json(&["status", "--at", "2026-06-30 10:05"], 0);
    assert_eq!(
        status["announcements"][0]["channels"][0]["status"],
        "retracted"
    );
}

#[test]
fn a_step_cut_short_by_a_crash_is_finished_without_a_second_edit_or_notice() {
    for channel in ["record_et", "noedit"] {
        let repo = posted(FIRST, channel);
        repo.write("announcements/a.et.md", &file(FIXED, "", channel));
        repo.approve("announcements/a.et.md");
        repo.json(&["publish", "--at", "2026-07-01 09:00"], 0);
        let rel = if channel == "noedit" {
            "state/noedit.jsonl"
        } else {
            "state/recorded.jsonl"
        };
        let sent = lines(&repo, rel);
        // The run died after the request, before its outcome was written.
        let ledger = repo.read("state/ledger.jsonl");
        let kept: Vec<&str> = ledger.lines().collect();
        let cut = kept[..kept.len() - 1].join("\n") + "\n";
        assert!(cut.lines().last().unwrap().contains("\"started\""), "{cut}");
        repo.write("state/ledger.jsonl", &cut);
        let run = repo.json(&["publish", "--at", "2026-07-01 09:10"], 0);
        assert_eq!(rows(&run)[0].1, "corrected", "{channel}: {run:#}");
        assert_eq!(lines(&repo, rel), sent, "{channel}: nothing sent twice");
        let later = repo.json(&["publish", "--at", "2026-07-01 09:20"], 0);
        assert!(rows(&later).is_empty(), "{channel}: {later:#}");
    }
}

#[test]
fn a_correction_policy_the_network_cannot_follow_is_a_configuration_error() {
    for (kind, extra, policy, words) in [
        (
            "slack",
            "webhook_url_env = \"W\"",
            "reply",
            "Slack posts cannot be answered by Herald; use `none`",
        ),
        (
            "slack",
            "webhook_url_env = \"W\"",
            "repost",
            "Slack posts cannot be deleted, so they cannot be posted again; use `none`",
        ),
        (
            "mastodon",
            "base_url = \"https://m.example\"\ntoken_env = \"T\"",
            "notice",
            "`notice` is for email lists; a Mastodon channel takes `reply`, `repost` or `none`",
        ),
        (
            "record",
            "",
            "undo",
            "unknown correction policy `undo`; policies: reply, repost, none, notice",
        ),
    ] {
        let repo = Repo::with_config(&format!(
            "[channels.c]\nkind = \"{kind}\"\nlang = \"et\"\n{extra}\ncorrection = \"{policy}\"\n"
        ));
        let run = repo.run(&["check"]);
        run.assert_code(2);
        assert!(
            run.stderr.contains(words),
            "{kind} {policy}: {}",
            run.stderr
        );
    }
}

#[test]
fn the_job_summary_lists_what_was_corrected_apart_from_what_was_held_back() {
    let repo = posted(FIRST, "record_et, fixed");
    repo.write(
        "announcements/a.et.md",
        &file(FIXED, "", "record_et, fixed"),
    );
    repo.approve("announcements/a.et.md");
    let summary = repo.path().join("summary.md");
    let summary_path = summary.display().to_string();
    repo.run_env(
        &["publish", "--at", "2026-07-01 09:00"],
        &[
            ("GITHUB_REPOSITORY", "tartu/teated"),
            ("GITHUB_STEP_SUMMARY", summary_path.as_str()),
        ],
    )
    .assert_code(0);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.contains("**Sent: 0** · **corrected or withdrawn: 1** · **held back: 1**\n\n| Announcement | Language | Channel | What was done |\n| --- | --- | --- | --- |\n| a | et | record_et | corrected: edit the post (1) |\n"),
        "{text}"
    );
    assert!(
        text.contains("| a | et | fixed | skipped: `fixed` cannot edit a post that went out and its `correction` policy is `none`: the post still says the old text |"),
        "{text}"
    );
}

#[test]
fn a_retraction_also_deletes_the_correction_notices_that_answered_the_post() {
    let repo = posted(FIRST, "noedit");
    repo.write("announcements/a.et.md", &file(FIXED, "", "noedit"));
    repo.approve("announcements/a.et.md");
    repo.json(&["publish", "--at", "2026-07-01 09:00"], 0);
    let sent = lines(&repo, "state/noedit.jsonl");
    assert_eq!(sent.len(), 2, "the post and its notice: {sent:#?}");
    repo.write(
        "announcements/a.et.md",
        &file(FIXED, "retract: \"Kontsert jääb ära\"\n", "noedit"),
    );
    repo.approve("announcements/a.et.md");
    let dry = repo.json(&["publish", "--dry-run", "--at", "2026-07-02 09:00"], 0);
    let words: Vec<&str> = dry["changes"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["words"].as_str().unwrap())
        .collect();
    assert_eq!(
        words,
        ["delete the correction notice (2)", "delete the post (1)"]
    );
    let run = repo.json(&["publish", "--at", "2026-07-02 09:00"], 0);
    assert_eq!(
        rows(&run),
        [(
            "noedit".to_owned(),
            "retracted".to_owned(),
            "delete the correction notice (2); delete the post (1)".to_owned()
        )]
    );
    let deleted: Vec<Value> = lines(&repo, "state/noedit.jsonl")
        .into_iter()
        .filter_map(|l| l.get("delete").cloned())
        .collect();
    assert_eq!(deleted, ["2", "1"]);
    let later = repo.json(&["publish", "--at", "2026-07-02 10:00"], 0);
    assert!(rows(&later).is_empty(), "{later:#}");
    let audit = repo.run(&["audit"]);
    assert!(audit.stdout.contains("notice deleted"), "{}", audit.stdout);
}

#[test]
fn a_repost_cut_short_after_its_deletes_posts_the_new_text_in_the_next_run() {
    let repo = posted(FIRST, "again");
    repo.write("announcements/a.et.md", &file(FIXED, "", "again"));
    repo.approve("announcements/a.et.md");
    repo.json(&["publish", "--at", "2026-07-01 09:00"], 0);
    let sent = lines(&repo, "state/again.jsonl");
    assert_eq!(sent.len(), 3, "posted, deleted, posted again: {sent:#?}");
    // The run died after the delete, before the new post: the new post's records and
    // the file's line for it are gone.
    let ledger = repo.read("state/ledger.jsonl");
    let kept: Vec<&str> = ledger
        .lines()
        .filter(|l| !l.contains("\"action\":\"repost\""))
        .collect();
    repo.write("state/ledger.jsonl", &(kept.join("\n") + "\n"));
    let file_lines: Vec<String> = repo
        .read("state/again.jsonl")
        .lines()
        .take(2)
        .map(str::to_owned)
        .collect();
    repo.write("state/again.jsonl", &(file_lines.join("\n") + "\n"));
    let status = repo.json(&["status", "--at", "2026-07-01 09:10"], 0);
    assert_eq!(
        status["announcements"][0]["channels"][0]["status"], "correcting",
        "not taken for a withdrawal: {status:#}"
    );
    let run = repo.json(&["publish", "--at", "2026-07-01 09:10"], 0);
    assert_eq!(rows(&run)[0].1, "corrected", "{run:#}");
    let sent = lines(&repo, "state/again.jsonl");
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2]["text"], "Kontsert\n\nKontsert on 12. juunil.");
    let later = repo.json(&["publish", "--at", "2026-07-01 09:20"], 0);
    assert!(rows(&later).is_empty(), "{later:#}");
}

#[test]
fn content_that_comes_back_is_corrected_again_each_time_on_every_policy() {
    // A correction undone, then made again (A → B → A → B): each change is a round of
    // its own, never taken for the earlier round at the same text.
    let repo = posted(FIRST, "short, noedit, again");
    let texts = [FIXED, FIRST, FIXED];
    for (n, text) in texts.iter().enumerate() {
        repo.write(
            "announcements/a.et.md",
            &file(text, "", "short, noedit, again"),
        );
        repo.approve("announcements/a.et.md");
        let at = format!("2026-07-0{} 09:00", n + 1);
        let run = repo.json(&["publish", "--at", &at], 0);
        let results: Vec<(String, String)> =
            rows(&run).into_iter().map(|(c, r, _)| (c, r)).collect();
        assert_eq!(
            results,
            [
                ("again".to_owned(), "corrected".to_owned()),
                ("noedit".to_owned(), "corrected".to_owned()),
                ("short".to_owned(), "corrected".to_owned()),
            ],
            "round {n}: {run:#}"
        );
        let later = repo.json(
            &["publish", "--at", &format!("2026-07-0{} 10:00", n + 1)],
            0,
        );
        assert!(rows(&later).is_empty(), "round {n}: {later:#}");
    }
    let body = |l: &Value| {
        l["text"]
            .as_str()
            .map(|t| t.rsplit('\n').next().unwrap().to_owned())
    };
    // Edited in place three times: the post now says the last text.
    let short = lines(&repo, "state/recorded.jsonl");
    let edits: Vec<Option<String>> = short.iter().skip(1).map(body).collect();
    assert_eq!(
        edits,
        texts
            .iter()
            .map(|t| Some(t.to_string()))
            .collect::<Vec<_>>(),
        "{short:#?}"
    );
    // One notice per round, each under a key of its own.
    let noedit = lines(&repo, "state/noedit.jsonl");
    assert_eq!(noedit.len(), 4, "{noedit:#?}");
    let keys: std::collections::BTreeSet<&str> =
        noedit.iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 4, "a key was used twice: {keys:#?}");
    // Deleted and posted anew each round: one live copy, with the last text.
    let again = lines(&repo, "state/again.jsonl");
    let posted: Vec<&Value> = again.iter().filter(|l| l.get("text").is_some()).collect();
    let deleted: Vec<&str> = again
        .iter()
        .filter_map(|l| l.get("delete").and_then(Value::as_str))
        .collect();
    assert_eq!(posted.len(), 4, "{again:#?}");
    assert_eq!(deleted.len(), 3, "{again:#?}");
    assert_eq!(body(posted[3]), Some(FIXED.to_owned()));
    // A retraction then deletes every notice of every round, and the post.
    repo.write(
        "announcements/a.et.md",
        &file(FIXED, "retract: \"Kontsert jääb ära\"\n", "noedit"),
    );
    repo.approve("announcements/a.et.md");
    let run = repo.json(&["publish", "--at", "2026-07-05 09:00"], 0);
    assert_eq!(rows(&run).len(), 1, "{run:#}");
    let gone: std::collections::BTreeSet<String> = lines(&repo, "state/noedit.jsonl")
        .iter()
        .filter_map(|l| l.get("delete").and_then(Value::as_str).map(str::to_owned))
        .collect();
    assert_eq!(gone.len(), 4, "{gone:#?}");
}
