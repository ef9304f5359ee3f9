//! `publish --dry-run`: exactly what would be sent, and nothing touched.

use crate::harness::Repo;

#[test]
fn prints_each_post_and_request_and_writes_nothing() {
    let repo = Repo::new();
    let long_body = "Tartu linn kutsub kõiki elanikke osalema. ".repeat(20);
    repo.write(
        "announcements/kutse.et.md",
        &format!("---\ntitle: Kutse\npublish_at: 2026-06-30 10:00\nchannels: [record_et, mastodon_et]\n---\n{long_body}\n"),
    );
    repo.approve("announcements/kutse.et.md");
    let before = repo.snapshot();
    let run = repo.run(&["publish", "--dry-run", "-v", "--at", "2026-06-30 10:05"]);
    run.assert_code(0);
    assert_eq!(repo.snapshot(), before, "a dry run wrote files");
    let out = &run.stdout;
    assert!(
        out.contains(
            "Dry run at 2026-06-30 10:05 (+03:00): nothing is sent and nothing is written."
        ),
        "{out}"
    );
    assert!(
        out.contains("kutse [et] due since 2026-06-30 10:00 (+03:00)"),
        "{out}"
    );
    // 20 sentences of 42 characters do not fit 500: a thread, each part numbered.
    assert!(out.contains("part 1 of 2, "), "{out}");
    assert!(
        out.contains("POST https://mastodon.example/api/v1/statuses"),
        "{out}"
    );
    assert!(
        out.contains("\"in_reply_to_id\": \"<id of part 1>\""),
        "{out}"
    );
    assert!(out.contains("APPEND state/recorded.jsonl"), "{out}");
    assert!(out.contains("2 post(s) would be sent"), "{out}");

    let doc = repo.json(&["publish", "--dry-run", "--at", "2026-06-30 10:05"], 0);
    let mastodon = doc["due"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["channel"] == "mastodon_et")
        .unwrap();
    let parts = mastodon["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    for (i, part) in parts.iter().enumerate() {
        assert!(part["length"].as_u64().unwrap() <= 500);
        assert!(
            part["text"]
                .as_str()
                .unwrap()
                .ends_with(&format!(" {}/2", i + 1))
        );
        assert_eq!(mastodon["requests"][i]["body"]["status"], part["text"]);
    }
}

#[test]
fn new_scaffolds_a_draft_per_language_that_checks_clean() {
    let repo = Repo::new();
    let run = repo.run(&[
        "new",
        "summer-festival",
        "--lang",
        "et,en",
        "--at",
        "2026-06-30 12:00",
    ]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("created announcements/2026-07-01-summer-festival.et.md"),
        "{}",
        run.stdout
    );
    let doc = repo.json(&["check"], 0);
    let list = doc["announcements"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|a| a["state"] == "draft"));
    // Never overwrites.
    repo.run(&[
        "new",
        "summer-festival",
        "--at",
        "2026-06-30 12:00",
        "--lang",
        "et",
    ])
    .assert_code(2);
}
