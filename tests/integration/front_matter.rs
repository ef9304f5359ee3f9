//! Every kind of bad front matter is reported at its line and column, all in one run.

use crate::harness::{Repo, message_at};

/// A Bluesky channel for English, for the platform-specific checks.
const BLUESKY_EN: &str = "[channels.bluesky_en]\nkind = \"bluesky\"\nlang = \"en\"\nidentifier = \"city.bsky.social\"\npassword_env = \"BSKY\"\n";

// Far in the future: `check` warns about a `publish_at` that passed while nothing went out.
const GOOD: &str = "---\ntitle: Fine\npublish_at: 2036-06-30 10:00\nchannels: all\n---\nBody.\n";

#[test]
fn each_problem_is_reported_where_it_is_and_all_in_one_run() {
    let repo = Repo::new();
    repo.write("announcements/good.en.md", GOOD)
        // unknown field (a typo) and a wrong type
        .write("announcements/typo.en.md", "---\ntitel: Hello\ntags: Tartu\n---\nBody.\n")
        // a bad date, a wrong type deeper in, an unknown channel
        .write(
            "announcements/dates.en.md",
            "---\ntitle: Dates\npublish_at: next tuesday\nthread: maybe\nchannels: [record_en, mastodn_et]\n---\nBody.\n",
        )
        // images that leave the root, and one without alt text
        .write(
            "announcements/images.en.md",
            "---\ntitle: Images\nimages:\n  - path: ../secret.png\n    alt: x\n  - path: /etc/passwd\n    alt: y\n  - path: announcements/pic.png\n---\nBody.\n",
        )
        .write("announcements/pic.png", "not really a png")
        // a duplicate key and broken YAML in two more files
        .write("announcements/dup.en.md", "---\ntitle: A\ntitle: B\n---\nBody.\n")
        .write("announcements/broken.en.md", "---\ntitle: [unclosed\n---\nBody.\n")
        .write("announcements/nofm.en.md", "Just text, no front matter.\n");

    let run = repo.run(&["check", "--format", "json"]);
    run.assert_code(1);
    let doc = run.json();

    assert_eq!(
        message_at(&doc, "announcements/typo.en.md", 2, 1),
        "unknown field `titel`; did you mean `title`?"
    );
    assert!(
        message_at(&doc, "announcements/typo.en.md", 3, 7).starts_with("`tags` must be a list")
    );
    assert!(message_at(&doc, "announcements/typo.en.md", 2, 1).contains("titel"));
    // the missing title is reported too, at the start of the fields
    let all = crate::harness::diagnostics(&doc);
    assert!(
        all.iter()
            .any(|d| d.0 == "announcements/typo.en.md" && d.3.contains("`title` is missing")),
        "{all:#?}"
    );

    assert!(
        message_at(&doc, "announcements/dates.en.md", 3, 13)
            .contains("`next tuesday` is not a date and time")
    );
    assert!(
        message_at(&doc, "announcements/dates.en.md", 4, 9).contains("`thread` must be `auto`")
    );
    assert_eq!(
        message_at(&doc, "announcements/dates.en.md", 5, 23),
        "no channel `mastodn_et` in the configuration; did you mean `mastodon_et`?"
    );

    assert!(
        message_at(&doc, "announcements/images.en.md", 4, 11)
            .contains("uses `..` to leave the repository")
    );
    assert!(message_at(&doc, "announcements/images.en.md", 6, 11).contains("is an absolute path"));
    assert!(message_at(&doc, "announcements/images.en.md", 8, 5).contains("has no `alt` text"));

    assert!(
        message_at(&doc, "announcements/dup.en.md", 3, 1)
            .contains("`title` appears twice (first at line 2)")
    );
    assert!(message_at(&doc, "announcements/broken.en.md", 3, 1).contains("not valid YAML"));
    assert!(
        message_at(&doc, "announcements/nofm.en.md", 1, 1).contains("must start with a line `---`")
    );

    // the good file is still checked and valid
    let good = doc["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "good")
        .unwrap();
    assert_eq!(good["state"], "draft");
    assert!(good["diagnostics"].as_array().unwrap().is_empty());
    // and every broken one is `invalid`
    for a in doc["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["id"] != "good")
    {
        assert_eq!(a["state"], "invalid", "{a:#}");
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_pointing_outside_the_repository_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("photo.png"), "x").unwrap();
    let repo = Repo::new();
    std::fs::create_dir_all(repo.path().join("announcements/images")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("photo.png"),
        repo.path().join("announcements/images/photo.png"),
    )
    .unwrap();
    repo.write(
        "announcements/link.en.md",
        "---\ntitle: Link\nimages:\n  - {path: announcements/images/photo.png, alt: A photo}\n---\nBody.\n",
    );
    let doc = repo.json(&["check"], 1);
    assert!(
        message_at(&doc, "announcements/link.en.md", 4, 12)
            .contains("link to a file outside the repository")
    );
}

#[test]
fn the_text_report_names_file_line_and_column() {
    let repo = Repo::new();
    repo.write(
        "announcements/typo.en.md",
        "---\ntitle: Hi\nsumary: x\n---\nBody.\n",
    );
    let run = repo.run(&["check"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains(
            "announcements/typo.en.md:3:1: error: unknown field `sumary`; did you mean `summary`?"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 error"), "{}", run.stdout);
}

#[test]
fn a_channel_of_another_language_is_an_error_at_its_position() {
    let repo = Repo::new();
    repo.write(
        "announcements/mixed.et.md",
        "---\ntitle: Tere\nchannels:\n  - record_et\n  - record_en\n---\nTekst.\n",
    );
    let doc = repo.json(&["check"], 1);
    assert!(
        message_at(&doc, "announcements/mixed.et.md", 5, 5)
            .contains("posts in `en`, but this file is in `et`")
    );
}

#[test]
fn images_each_platform_would_refuse_are_reported_at_their_line() {
    let repo = Repo::with_config(BLUESKY_EN);
    // A BMP (Bluesky takes JPEG, PNG, WebP), and a PNG over Bluesky's 1 MB.
    let mut big = crate::harness::TINY_PNG.to_vec();
    big.resize(1_200_000, 0);
    std::fs::write(repo.path().join("announcements/big.png"), &big).unwrap();
    std::fs::write(
        repo.path().join("announcements/old.bmp"),
        b"BM\x3a\0\0\0\0\0\0\0",
    )
    .unwrap();
    repo.write(
        "announcements/pics.en.md",
        "---\ntitle: Pictures\nchannels: [bluesky_en, record_en]\nimages:\n  - path: announcements/old.bmp\n    alt: An old scan\n  - path: announcements/big.png\n    alt: A large photo\n---\nText.\n",
    );
    let doc = repo.json(&["check"], 1);
    assert_eq!(
        message_at(&doc, "announcements/pics.en.md", 5, 11),
        "`announcements/old.bmp` is a BMP image; `bluesky_en` takes JPEG, PNG, WebP"
    );
    assert_eq!(
        message_at(&doc, "announcements/pics.en.md", 7, 11),
        "`announcements/big.png` is 1.2 MB; `bluesky_en` takes images up to 1.0 MB: make it smaller"
    );
    // The record channel takes any image: its post is fine.
    let posts = doc["announcements"][0]["posts"].as_array().unwrap();
    let ok: Vec<(&str, bool)> = posts
        .iter()
        .map(|p| (p["channel"].as_str().unwrap(), p["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(ok, [("bluesky_en", false), ("record_en", true)]);
}

#[test]
fn a_hashtag_too_long_for_bluesky_is_reported_at_its_line() {
    let repo = Repo::with_config(BLUESKY_EN);
    let long = "a".repeat(65);
    repo.write(
        "announcements/t.en.md",
        &format!(
            "---\ntitle: Tags\nchannels: [bluesky_en]\ntags:\n  - Tartu\n  - {long}\n---\nText.\n"
        ),
    );
    let doc = repo.json(&["check"], 1);
    assert_eq!(
        message_at(&doc, "announcements/t.en.md", 6, 5),
        format!("the tag `{long}` is 65 characters; `bluesky_en` links tags of up to 64")
    );
}

#[test]
fn a_huge_file_is_refused_with_a_clear_error_and_the_others_still_checked() {
    let repo = Repo::new();
    repo.write("announcements/ok.en.md", GOOD).write(
        "announcements/huge.en.md",
        &format!("---\ntitle: Huge\n---\n{}", "x".repeat(1024 * 1024 + 1)),
    );
    let doc = repo.json(&["check"], 1);
    let all = crate::harness::diagnostics(&doc);
    assert!(
        all.iter()
            .any(|d| d.0 == "announcements/huge.en.md" && d.3.contains("larger than 1 MB")),
        "{all:#?}"
    );
    let ok = doc["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "ok")
        .unwrap();
    assert!(ok["diagnostics"].as_array().unwrap().is_empty());
}

#[test]
fn windows_style_image_paths_are_refused_with_the_fix() {
    let repo = Repo::new();
    repo.write(
        "announcements/a.et.md",
        "---\ntitle: T\nimages:\n  - path: announcements\\pic.png\n    alt: Pilt\n---\nTekst.\n",
    );
    let doc = repo.json(&["check"], 1);
    let message = crate::harness::message_at(&doc, "announcements/a.et.md", 4, 11);
    assert!(
        message.contains("write `/` instead (`announcements/pic.png`)"),
        "{message}"
    );
}

#[test]
fn absurdly_nested_lists_are_an_error_not_a_hang() {
    // 20,000 nested list items once took minutes and gigabytes (the plain-text
    // indentation grew with the depth of every item).
    let repo = Repo::new();
    repo.write(
        "announcements/a.et.md",
        &format!(
            "---\ntitle: T\nchannels: [record_et]\n---\n{}x\n",
            "- ".repeat(20_000)
        ),
    );
    let doc = repo.json(&["check"], 1);
    let message = message_at(&doc, "announcements/a.et.md", 5, 1);
    assert!(
        message.contains("nests lists or quotes 20000 levels deep; Herald takes up to 16"),
        "{message}"
    );
}

/// A `publish_at` with a date and no time is an error that asks for the time, where it
/// is written: unquoted, with a `T` and nothing after it, quoted.
#[test]
fn a_date_without_a_time_asks_for_the_time() {
    let repo = Repo::new();
    let cases = [
        ("plain", "2036-06-30", 13),
        ("with_t", "2036-06-30T", 13),
        ("quoted", "\"2036-06-30\"", 13),
    ];
    for (name, value, _) in cases {
        repo.write(
            &format!("announcements/{name}.en.md"),
            &format!("---\ntitle: Dates\npublish_at: {value}\nchannels: all\n---\nBody.\n"),
        );
    }
    let run = repo.run(&["check", "--format", "json"]);
    run.assert_code(1);
    let doc = run.json();
    for (name, value, column) in cases {
        let written = value.trim_matches('"');
        assert_eq!(
            message_at(&doc, &format!("announcements/{name}.en.md"), 3, column),
            format!(
                "`publish_at`: `{written}` has a date but no time; write the time too, e.g. \
                 `2036-06-30 10:00`"
            )
        );
    }
}
