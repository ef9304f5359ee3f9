//! Checks that catch real mistakes (issue 19): one error never hides another, the
//! placeholders `herald new` writes cannot be approved or published, and a variant in a
//! language no channel posts in (or with a code that is not a language code) is named.

use crate::harness::{BASE_CONFIG, Repo, TINY_PNG};
use serde_json::Value;

/// A channel with a small limit, so a short text is too long for it.
const SHORT: &str = "[channels.short_et]\nkind = \"record\"\nlang = \"et\"\nlimit = 40\n";

/// An email list: it takes every language.
pub const LIST: &str = r#"[channels.list]
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
"#;

/// A text longer than `short_et`'s 40 characters.
const LONG: &str = "Tartu linn kutsub kõiki jõulutule süütamisele Raekoja platsil.";

/// Runs `check` on `repo` and asserts exit code `code`, that each expected line is in the
/// text report exactly, and the summary's counts.
#[track_caller]
fn reports(repo: &Repo, code: i32, expected: &[&str], counts: &str) {
    let run = repo.run(&["check"]);
    run.assert_code(code);
    for line in expected {
        assert!(
            run.stdout.lines().any(|l| l == *line),
            "missing:\n{line}\nin:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains(&format!(": {counts}\n")),
        "counts `{counts}` in:\n{}",
        run.stdout
    );
}

#[test]
fn a_missing_image_does_not_hide_a_post_that_is_too_long() {
    let repo = Repo::with_config(SHORT);
    repo.write(
        "announcements/tuli.et.md",
        &format!(
            "---\ntitle: Jõulutuli\nchannels: [short_et]\nthread: false\nimages:\n  - path: pildid/tuli.png\n    alt: Kuusk Raekoja platsil\n---\n{LONG}\n"
        ),
    );
    reports(
        &repo,
        1,
        &[
            "announcements/tuli.et.md:6:11: error: image `pildid/tuli.png` not found",
            "announcements/tuli.et.md:9:1: error: too long for `short_et`: 73 of 40 characters; shorten the text, add a `summary`, or set `thread: auto`",
        ],
        "2 errors, 1 warning",
    );
    // The same two in the JSON document, with their places.
    let doc = repo.json(&["check"], 1);
    let errors: Vec<&Value> = doc["announcements"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(
        crate::harness::message_at(&doc, "announcements/tuli.et.md", 9, 1),
        "too long for `short_et`: 73 of 40 characters; shorten the text, add a `summary`, or set `thread: auto`"
    );
    // Nothing of a file with errors is shown as a post: it has errors.
    assert_eq!(doc["announcements"][0]["state"], "invalid");
    assert_eq!(doc["announcements"][0]["posts"], serde_json::json!([]));
}

#[test]
fn bad_alt_text_an_unknown_field_and_a_bad_tag_do_not_hide_a_post_that_is_too_long() {
    let repo = Repo::with_config(SHORT);
    repo.write("announcements/pilt.png", "not really a picture");
    std::fs::write(repo.path().join("announcements/tuli.png"), TINY_PNG).unwrap();
    repo.write(
        "announcements/alt.et.md",
        &format!(
            "---\ntitle: Jõulutuli\nchannels: [short_et]\nthread: false\nimages:\n  - path: announcements/tuli.png\n    alt: \"\"\n---\n{LONG}\n"
        ),
    );
    repo.write(
        "announcements/field.et.md",
        &format!("---\ntitle: Jõulutuli\nchanels: all\nchannels: [short_et]\nthread: false\ntags: [jõulud, \"kaks sõna\"]\n---\n{LONG} Tule kõik!\n"),
    );
    reports(
        &repo,
        1,
        &[
            "announcements/alt.et.md:7:10: error: `alt` is empty; describe the image for people who cannot see it",
            "announcements/alt.et.md:9:1: error: too long for `short_et`: 73 of 40 characters; shorten the text, add a `summary`, or set `thread: auto`",
            "announcements/field.et.md:3:1: error: unknown field `chanels`; did you mean `channels`?",
            "announcements/field.et.md:6:16: error: tag `kaks sõna` would not work as a hashtag: use letters, digits and `_` only",
            "announcements/field.et.md:8:1: error: too long for `short_et`: 93 of 40 characters; shorten the text, add a `summary`, or set `thread: auto`",
        ],
        "5 errors, 1 warning",
    );
}

#[test]
fn a_file_whose_fields_cannot_be_read_reports_only_that() {
    // Nothing to render: the YAML mistake is the one problem, not a pile of guesses.
    let repo = Repo::with_config(SHORT);
    repo.write(
        "announcements/yaml.et.md",
        &format!("---\ntitle: [Jõulutuli\nchannels: [short_et]\n---\n{LONG}\n"),
    );
    let run = repo.run(&["check"]);
    run.assert_code(1);
    assert!(!run.stdout.contains("too long"), "{}", run.stdout);
    assert!(run.stdout.contains("1 error"), "{}", run.stdout);
}

/// The lines `check` prints for a file `herald new` wrote for `slug` and left as it is.
fn placeholder_lines(path: &str) -> Vec<String> {
    let after = "(a file with a placeholder cannot be approved or published)";
    vec![
        format!(
            "{path}:2:8: error: the `title` is still the placeholder that `herald new` wrote; write the headline {after}"
        ),
        format!(
            "{path}:3:10: error: the `summary` is still the placeholder that `herald new` wrote; write one or two sentences for social posts, or remove the line {after}"
        ),
        format!(
            "{path}:6:7: error: the `link` is still the placeholder that `herald new` wrote; put the address of the full text on your website, or remove the line {after}"
        ),
        format!(
            "{path}:9:1: error: this text is still the placeholder that `herald new` wrote; write the announcement here {after}"
        ),
        format!(
            "{path}:11:1: error: this line is still the placeholder that `herald new` wrote; delete it {after}"
        ),
    ]
}

#[test]
fn the_placeholders_herald_new_writes_are_errors_at_check_and_approve_refuses_them() {
    let repo = Repo::new();
    repo.run(&[
        "new",
        "joulutuli",
        "--lang",
        "et,en",
        "--at",
        "2026-06-30 12:00",
    ])
    .assert_code(0);
    let et = "announcements/2026-07-01-joulutuli.et.md";
    let en = "announcements/2026-07-01-joulutuli.en.md";
    let mut all = placeholder_lines(et);
    all.extend(placeholder_lines(en));
    let expected: Vec<&str> = all.iter().map(String::as_str).collect();
    // Besides: the scaffold's `publish_at` (tomorrow of `--at`) has passed by now.
    reports(&repo, 1, &expected, "10 errors, 3 warnings");

    // `approve` refuses each file with the same words, and writes nothing.
    let before = repo.read(et);
    let run = repo.run(&["approve", et, "--by", "editor@example.org"]);
    run.assert_code(1);
    for line in placeholder_lines(et) {
        assert!(
            run.stdout.lines().any(|l| l == line),
            "missing:\n{line}\nin:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.lines().any(|l| l
            == "error: announcements/2026-07-01-joulutuli.et.md not approved: fix the problems above first"),
        "{}",
        run.stdout
    );
    assert_eq!(repo.read(et), before, "nothing written");
}

#[test]
fn each_placeholder_left_is_reported_alone() {
    let repo = Repo::new();
    let after = "(a file with a placeholder cannot be approved or published)";
    // Only the title is left.
    repo.write(
        "announcements/title.et.md",
        "---\nchannels: all\ntitle:   \"Write the headline here\"\n---\nTekst.\n",
    );
    // Only the link (any slug after the placeholder's start).
    repo.write(
        "announcements/link.et.md",
        "---\ntitle: Jõulutuli\nchannels: all\nlink: https://example.org/news/some-other-name\n---\nTekst.\n",
    );
    // The body's hint line among real paragraphs; an example.org link of one's own is fine.
    repo.write(
        "announcements/body.et.md",
        "---\ntitle: Jõulutuli\nsummary: Tuled süttivad.\nchannels: all\nlink: https://example.org/jolutuli\n---\nTuled süttivad laupäeval.\n\nA blank line starts a new paragraph.\n",
    );
    reports(
        &repo,
        1,
        &[
            &format!(
                "announcements/title.et.md:3:10: error: the `title` is still the placeholder that `herald new` wrote; write the headline {after}"
            ),
            &format!(
                "announcements/link.et.md:4:7: error: the `link` is still the placeholder that `herald new` wrote; put the address of the full text on your website, or remove the line {after}"
            ),
            &format!(
                "announcements/body.et.md:9:1: error: this line is still the placeholder that `herald new` wrote; delete it {after}"
            ),
        ],
        "3 errors, 1 warning",
    );
    // A post with a placeholder is not ok (it would be held back), though the file is a
    // draft like any other.
    let doc = repo.json(&["check", "--only", "link"], 1);
    assert_eq!(doc["announcements"][0]["state"], "draft");
    assert_eq!(doc["announcements"][0]["posts"][0]["ok"], false);
}

#[test]
fn a_variant_in_a_language_no_channel_posts_in_is_named_with_the_languages_there_are() {
    let repo = Repo::with_config(LIST);
    // The email list would take any language: with `channels: all`, Russian reaches it.
    let repo_without_list = Repo::new();
    for r in [&repo, &repo_without_list] {
        r.write(
            "announcements/uudis.ru.md",
            "---\ntitle: Новости\nchannels: all\n---\nТекст.\n",
        );
        r.write(
            "announcements/uudis.eng.md",
            "---\ntitle: News\nchannels: all\n---\nText.\n",
        );
        r.write(
            "announcements/teine.md",
            "---\ntitle: Nachrichten\nlang: de\nchannels: all\n---\nText.\n",
        );
    }
    let have = "the channels post in `en` (`record_en`); `et` (`mastodon_et`, `record_et`)";
    reports(
        &repo_without_list,
        0,
        &[
            &format!(
                "announcements/uudis.ru.md:1:1: warning: this file is in `ru`, but no channel posts in `ru` and no email list takes it, so it goes nowhere: {have}"
            ),
            &format!(
                "announcements/uudis.eng.md:1:1: warning: this file is in `eng`, but no channel posts in `eng` and no email list takes it, so it goes nowhere: {have}; did you mean `en`? (then name the file `uudis.en.md`)"
            ),
            &format!(
                "announcements/teine.md:3:7: warning: this file is in `de`, but no channel posts in `de` and no email list takes it, so it goes nowhere: {have}"
            ),
        ],
        "0 errors, 4 warnings",
    );
    let run = repo.run(&["check"]);
    run.assert_code(0);
    assert!(!run.stdout.contains("goes nowhere"), "{}", run.stdout);
    assert!(run.stdout.contains("uudis [ru] draft"), "{}", run.stdout);
}

#[test]
fn a_channel_whose_lang_is_a_misspelling_is_named() {
    let config = BASE_CONFIG.replace("lang = \"en\"", "lang = \"eng\"");
    let repo = Repo::new();
    repo.write("config/herald.toml", &config);
    repo.write(
        "announcements/news.en.md",
        "---\ntitle: News\nchannels: all\n---\nText.\n",
    );
    reports(
        &repo,
        0,
        &[
            "announcements/news.en.md:1:1: warning: this file is in `en`, but no channel posts in `en` and no email list takes it, so it goes nowhere: the channels post in `eng` (`record_en`); `et` (`mastodon_et`, `record_et`); channel `record_en` has `lang = \"eng\"`: did you mean `en`?",
        ],
        "0 errors, 2 warnings",
    );
}

#[test]
fn a_language_code_that_is_not_one_says_what_one_looks_like() {
    let code = "a language code is two or three lowercase letters (`et`, `en`, `ru`), optionally followed by `-` and a region or script (`en-GB`, `sr-Latn`)";
    let repo = Repo::new();
    for name in ["a.EN.md", "b.en_GB.md", "c.english.md", "d.klingon.md"] {
        repo.write(
            &format!("announcements/{name}"),
            "---\ntitle: News\nchannels: all\n---\nText.\n",
        );
    }
    repo.write(
        "announcements/e.md",
        "---\ntitle: News\nlang: Eesti\nchannels: all\n---\nText.\n",
    );
    reports(
        &repo,
        1,
        &[
            &format!(
                "announcements/a.EN.md:1:1: error: `EN` in the file name `a.EN.md` is not a language code; {code}; rename the file to `a.en.md`"
            ),
            &format!(
                "announcements/b.en_GB.md:1:1: error: `en_GB` in the file name `b.en_GB.md` is not a language code; {code}; rename the file to `b.en-GB.md`"
            ),
            &format!(
                "announcements/c.english.md:1:1: error: `english` in the file name `c.english.md` is not a language code; {code}; rename the file to `c.en.md`"
            ),
            &format!(
                "announcements/d.klingon.md:1:1: error: `klingon` in the file name `d.klingon.md` is not a language code; {code}; rename the file to `d.<code>.md`"
            ),
            &format!(
                "announcements/e.md:3:7: error: `lang`: `Eesti` is not a language code (did you mean `et`?); {code}"
            ),
        ],
        "5 errors, 1 warning",
    );

    // A channel's `lang` and the default language, in the configuration.
    let repo = Repo::new();
    let config = BASE_CONFIG
        .replace("lang = \"en\"", "lang = \"EN\"")
        .replace(
            "[defaults]\nlang = \"et\"",
            "[defaults]\nlang = \"Estonian\"",
        );
    repo.write("config/herald.toml", &config);
    let run = repo.run(&["check"]);
    run.assert_code(2);
    for line in [
        format!(
            "config/herald.toml:5:1: error: `lang` must be a language code, found `Estonian` (did you mean `et`?); {code}"
        ),
        format!(
            "config/herald.toml:14:1: error: channel `record_en`: `lang` must be a language code, found \"EN\" (did you mean \"en\"?); {code}"
        ),
    ] {
        assert!(
            run.stderr.lines().any(|l| l == line),
            "missing:\n{line}\nin:\n{}",
            run.stderr
        );
    }
}
