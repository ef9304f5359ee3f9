//! `--at` around `publish_at`, across the spring DST change in Europe/Tallinn.

use crate::harness::{Repo, message_at};

fn approved_repo(publish_at: &str) -> Repo {
    let repo = Repo::new();
    repo.write(
        "announcements/spring.et.md",
        &format!(
            "---\ntitle: Kevad\npublish_at: {publish_at}\nchannels: [record_et]\n---\nTekst.\n"
        ),
    );
    repo.approve("announcements/spring.et.md");
    repo
}

fn status_at(repo: &Repo, at: &str) -> String {
    let doc = repo.json(&["status", "--at", at], 0);
    doc["announcements"][0]["channels"][0]["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn local_publish_time_on_the_day_clocks_go_forward() {
    // On 2026-03-29 Tallinn moves from +02:00 to +03:00 at 03:00 local time, so
    // 10:00 local that day is 07:00 UTC, not 08:00.
    let repo = approved_repo("2026-03-29 10:00");
    let doc = repo.json(&["check"], 0);
    assert_eq!(
        doc["announcements"][0]["publish_at"],
        "2026-03-29T10:00:00+03:00"
    );
    assert_eq!(status_at(&repo, "2026-03-29T06:59:59Z"), "scheduled");
    assert_eq!(status_at(&repo, "2026-03-29T07:00:00Z"), "due");
    // --at in local time means the same instants
    assert_eq!(status_at(&repo, "2026-03-29 09:59"), "scheduled");
    assert_eq!(status_at(&repo, "2026-03-29 10:00"), "due");
    // a day and a minute late: missed, not sent
    assert_eq!(status_at(&repo, "2026-03-30 10:01"), "missed");
}

#[test]
fn the_dry_run_follows_the_same_clock() {
    let repo = approved_repo("2026-03-29 10:00");
    let before = repo.json(&["publish", "--dry-run", "--at", "2026-03-29T06:59:00Z"], 0);
    assert!(before["due"].as_array().unwrap().is_empty());
    assert_eq!(
        before["held"][0]["reason"],
        "scheduled for 2026-03-29 10:00 (+03:00)"
    );
    let after = repo.json(&["publish", "--dry-run", "--at", "2026-03-29T07:00:00Z"], 0);
    assert_eq!(after["due"][0]["channel"], "record_et");
}

#[test]
fn times_that_do_not_exist_or_happen_twice_are_refused() {
    let repo = Repo::new();
    repo.write(
        "announcements/gap.et.md",
        "---\ntitle: Gap\npublish_at: 2026-03-29 03:30\n---\nTekst.\n",
    )
    .write(
        "announcements/fold.et.md",
        "---\ntitle: Fold\npublish_at: 2026-10-25 03:30\n---\nTekst.\n",
    );
    let doc = repo.json(&["check"], 1);
    assert!(
        message_at(&doc, "announcements/gap.et.md", 3, 13)
            .contains("does not exist in Europe/Tallinn")
    );
    let fold = message_at(&doc, "announcements/fold.et.md", 3, 13);
    assert!(fold.contains("happens twice"), "{fold}");
    assert!(fold.contains("2026-10-25T03:30:00+03"), "{fold}");
}

#[test]
fn a_bad_at_is_a_usage_error() {
    let repo = Repo::new();
    let run = repo.run(&["status", "--at", "soon"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("--at: `soon` is not a date and time"),
        "{}",
        run.stderr
    );
}
