//! The bundled example repository works, as a new user first sees it.

use crate::harness::{project_root, run_in};

#[test]
fn every_example_parses_and_renders_within_limits() {
    let run = run_in(&project_root(), &["check", "--format", "json"], &[]);
    run.assert_code(0);
    let doc = run.json();
    let variants = doc["announcements"].as_array().unwrap();
    assert_eq!(variants.len(), 4);
    for v in variants {
        let errors: Vec<_> = v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["severity"] == "error")
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", v["path"]);
        assert!(
            !v["posts"].as_array().unwrap().is_empty(),
            "{} has no posts",
            v["path"]
        );
        for post in v["posts"].as_array().unwrap() {
            assert_eq!(post["ok"], true, "{post:#}");
            for part in post["parts"].as_array().unwrap() {
                assert!(!part["text"].as_str().unwrap().is_empty());
                if let Some(limit) = part["limit"].as_u64() {
                    assert!(part["length"].as_u64().unwrap() <= limit, "{post:#}");
                }
            }
        }
    }
    let states: Vec<(&str, &str)> = variants
        .iter()
        .map(|v| (v["path"].as_str().unwrap(), v["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("announcements/2022-06-30-better-phase-1.en.md", "approved"),
            ("announcements/2022-06-30-better-phase-1.et.md", "approved"),
            (
                "announcements/2022-09-14-better-study-visit.en.md",
                "approved"
            ),
            (
                "announcements/2022-11-02-better-final-conference.en.md",
                "draft"
            ),
        ]
    );
}

#[test]
fn the_dry_run_routes_each_language_to_its_own_channels() {
    let run = run_in(
        &project_root(),
        &[
            "publish",
            "--dry-run",
            "--format",
            "json",
            "--at",
            "2022-06-30 10:30",
        ],
        &[],
    );
    run.assert_code(0);
    let doc = run.json();
    let due = doc["due"].as_array().unwrap();
    let mut et: Vec<&str> = Vec::new();
    let mut en: Vec<&str> = Vec::new();
    for post in due {
        let channel = post["channel"].as_str().unwrap();
        match post["lang"].as_str().unwrap() {
            "et" => et.push(channel),
            "en" => en.push(channel),
            other => panic!("unexpected language {other}"),
        }
    }
    assert_eq!(
        et,
        ["bluesky_et", "mastodon_et", "newsletter", "telegram_et"]
    );
    assert_eq!(
        en,
        [
            "discord_en",
            "facebook_en",
            "linkedin_en",
            "newsletter",
            "slack_en",
            "website_en",
            "x_en"
        ]
    );
    // The Estonian text goes out on the Estonian channels.
    let mastodon = due.iter().find(|p| p["channel"] == "mastodon_et").unwrap();
    assert!(
        mastodon["parts"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("BETTER: projekti esimene etapp")
    );
    assert_eq!(mastodon["requests"][0]["body"]["language"], "et");
    // The draft and the later event are held back, with the reason.
    let held = doc["held"].as_array().unwrap();
    let reasons: Vec<(&str, &str)> = held
        .iter()
        .map(|h| (h["id"].as_str().unwrap(), h["reason"].as_str().unwrap()))
        .collect();
    assert!(
        reasons.contains(&("2022-11-02-better-final-conference", "draft (not approved)")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(id, r)| *id == "2022-09-14-better-study-visit"
                && r.starts_with("scheduled for 2022-09-14")),
        "{reasons:?}"
    );
}
