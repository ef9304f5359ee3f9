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

/// A scaffold is a draft per language whose only problems are the placeholders it was
/// written with (issue 19: they cannot be approved or published; `checks.rs` has their
/// words).
#[test]
fn new_scaffolds_a_draft_per_language_whose_only_errors_are_its_placeholders() {
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
    let doc = repo.json(&["check"], 1);
    let list = doc["announcements"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|a| a["state"] == "draft"));
    for a in list {
        let errors: Vec<&str> = a["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == "error")
            .map(|d| d["message"].as_str().unwrap())
            .collect();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(
            errors
                .iter()
                .all(|m| m.contains("still the placeholder that `herald new` wrote")),
            "{errors:?}"
        );
    }
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

#[test]
fn lengths_are_said_in_plain_words_on_every_network() {
    // The bundled examples go to networks of every way of counting: UTF-16 (Discord,
    // Facebook, LinkedIn, Telegram, Slack), X's weights, Mastodon's and Bluesky's rules.
    let repo = crate::harness::Repo::examples("");
    let dry = repo.run(&["publish", "--dry-run", "--at", "2022-06-30 10:30"]);
    dry.assert_code(0);
    let mut seen = std::collections::BTreeSet::new();
    let mut channel = String::new();
    for line in dry.stdout.lines() {
        if let Some(rest) = line.strip_prefix("  → ") {
            channel = rest.split(' ').next().unwrap().to_owned();
        }
        let Some(count) = line.trim_start().strip_prefix("┌ ") else {
            continue;
        };
        if count.starts_with("the `") {
            continue; // an email list's sample message
        }
        let unit = if channel.starts_with("x_") {
            " characters as X counts them"
        } else {
            " characters"
        };
        let (numbers, rest) = count.split_at(count.find(" characters").unwrap_or(0));
        assert_eq!(rest, unit, "{channel}: {line}");
        let (n, limit) = numbers.split_once(" of ").unwrap_or((numbers, "0"));
        assert!(
            n.parse::<usize>().is_ok() && limit.parse::<usize>().is_ok(),
            "{channel}: {line}"
        );
        seen.insert(channel.clone());
    }
    for c in [
        "discord_en",
        "mastodon_et",
        "bluesky_et",
        "x_en",
        "telegram_et",
    ] {
        assert!(seen.contains(c), "{c} not shown: {seen:?}\n{}", dry.stdout);
    }
    let check = repo.run(&["check"]);
    let out = repo.path().join("preview-out");
    let preview = repo.run(&["preview", "--out", out.to_str().unwrap()]);
    let page = std::fs::read_to_string(out.join("index.html")).unwrap_or_default();
    for (what, text) in [
        ("dry run", dry.stdout.as_str()),
        ("check", check.stdout.as_str()),
        ("preview", preview.stdout.as_str()),
        ("preview page", page.as_str()),
    ] {
        for jargon in ["UTF-16", "weighted characters", "units"] {
            assert!(!text.contains(jargon), "{what} says `{jargon}`:\n{text}");
        }
    }
    assert!(page.contains("characters as X counts them"), "{page}");
    // `check` says each post's length the same way: "N of LIMIT characters", a thread
    // part by part, with no bare "N/LIMIT".
    let rows: Vec<&str> = check
        .stdout
        .lines()
        .filter(|l| l.starts_with("  ") && (l.contains(" ok  ") || l.contains(" problem  ")))
        .collect();
    assert!(rows.len() >= 10, "{}", check.stdout);
    for row in &rows {
        let shape = row
            .split_once(" ok  ")
            .or_else(|| row.split_once(" problem  "))
            .unwrap()
            .1;
        let words = shape.split(' ').collect::<Vec<_>>();
        assert!(
            !shape.contains('/')
                && (shape.starts_with("thread of ")
                    || (words[0].parse::<usize>().is_ok()
                        && (words[1] == "characters"
                            || (words[1] == "of" && words[2].parse::<usize>().is_ok())))),
            "{row}"
        );
    }
    let x = rows
        .iter()
        .find(|r| r.trim_start().starts_with("x_en"))
        .expect("an x_en row");
    assert!(x.ends_with(" of 280 characters as X counts them"), "{x}");
}
