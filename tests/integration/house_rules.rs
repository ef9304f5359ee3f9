//! House rules (`[rules]` in the configuration): a phrase a post must carry, words not
//! to use, the most hashtags, the shortest alt text, hashtags in CamelCase. Each is an
//! error (the post is not published) or a warning as configured, applies to the text
//! each network would receive in every language, and points at the place in the file.

use crate::harness::{Repo, TINY_PNG};
use serde_json::Value;

const EU: &str = r#"
[rules.eu_funding]
check = "phrase"
level = "error"
phrase = { et = "Rahastatud Euroopa Liidu poolt", en = "Funded by the European Union" }
kinds = ["record"]
"#;

/// Runs `check` and asserts the exit code, each expected line exactly, and the counts.
#[track_caller]
fn reports(repo: &Repo, code: i32, expected: &[&str], counts: &str) -> String {
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
    run.stdout
}

/// Asserts that `config` is refused with each of the expected lines on stderr.
#[track_caller]
fn refused(config: &str, expected: &[&str]) {
    let repo = Repo::with_config(config);
    let run = repo.run(&["check"]);
    run.assert_code(2);
    for line in expected {
        assert!(
            run.stderr.lines().any(|l| l == *line),
            "missing:\n{line}\nin:\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_post_made_from_the_summary_is_told_to_carry_the_phrase_in_the_summary() {
    // The record channel takes 500 characters: this text is longer, so its post is the
    // summary, which lacks the phrase the text has; the error points at the summary.
    let repo = Repo::with_config(EU);
    let long = "Linn ehitab uue pargi jõe äärde. ".repeat(16);
    repo.write(
        "announcements/park.et.md",
        &format!("---\ntitle: Uus park\nsummary: Linn ehitab pargi.\nchannels: [record_et]\n---\n{long}\n\nRahastatud Euroopa Liidu poolt.\n"),
    );
    // With the phrase in the summary it is fine.
    repo.write(
        "announcements/muu.et.md",
        &format!("---\ntitle: Uus park\nsummary: Linn ehitab pargi. Rahastatud Euroopa Liidu poolt.\nchannels: [record_et]\n---\n{long}\n"),
    );
    reports(
        &repo,
        1,
        &[
            "announcements/park.et.md:3:10: error: the post for `record_et` does not say \"Rahastatud Euroopa Liidu poolt\"; the text is too long for it, so it is made from the `summary`: add it to the summary (house rule `eu_funding`)",
        ],
        "1 error, 1 warning",
    );
}

#[test]
fn a_phrase_every_post_must_carry_in_its_language() {
    let repo = Repo::with_config(EU);
    repo.write(
        "announcements/raha.et.md",
        "---\ntitle: Uus park\nchannels: all\n---\nLinn ehitab pargi.\n",
    );
    // Carried, though a line break falls in the middle of it.
    repo.write(
        "announcements/raha.en.md",
        "---\ntitle: A new park\nchannels: all\n---\nThe city builds a park.\n\nFunded by the\nEuropean Union.\n",
    );
    repo.write(
        "announcements/teine.en.md",
        "---\ntitle: A new park\nchannels: all\n---\nThe city builds a park.\n",
    );
    // The body has it, the override text for one channel does not.
    repo.write(
        "announcements/kolmas.et.md",
        "---\ntitle: Uus park\nchannels: [record_et, mastodon_et]\noverrides:\n  record_et:\n    text: Linn ehitab pargi.\n---\nLinn ehitab pargi. Rahastatud Euroopa Liidu poolt.\n",
    );
    reports(
        &repo,
        1,
        &[
            "announcements/raha.et.md:5:1: error: the post for `record_et` does not say \"Rahastatud Euroopa Liidu poolt\"; add it to the text (house rule `eu_funding`)",
            "announcements/teine.en.md:5:1: error: the post for `record_en` does not say \"Funded by the European Union\"; add it to the text (house rule `eu_funding`)",
            "announcements/kolmas.et.md:8:1: error: the post for `record_et` does not say \"Rahastatud Euroopa Liidu poolt\"; its text is the one in `overrides`: add it there (house rule `eu_funding`)",
        ],
        "3 errors, 1 warning",
    );
    // Only `record` channels are covered: Mastodon's posts are fine without it.
    let doc = repo.json(&["check", "--only", "raha"], 1);
    let ok: Vec<(String, bool)> = doc["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["posts"].as_array().unwrap().clone())
        .map(|p| (p["channel"].as_str().unwrap().to_owned(), p["ok"] == true))
        .collect();
    assert_eq!(
        ok,
        [
            ("record_en".to_owned(), true),
            ("mastodon_et".to_owned(), true),
            ("record_et".to_owned(), false)
        ]
    );
}

#[test]
fn a_rule_for_a_language_without_a_phrase_is_a_configuration_error() {
    refused(
        "[rules.eu_funding]\ncheck = \"phrase\"\nlevle = \"error\"\nphrase = { et = \"Rahastatud Euroopa Liidu poolt\" }\n",
        &[
            "config/herald.toml:25:1: error: house rule `eu_funding`: unknown key `levle`; did you mean `level`?",
            "config/herald.toml:23:8: error: house rule `eu_funding`: `level` is missing: write `level = \"error\"` (the post is not published) or `level = \"warning\"` (it is, and the writer is told)",
        ],
    );
    refused(
        "[rules.eu_funding]\ncheck = \"phrase\"\nlevel = \"error\"\nphrase = { et = \"Rahastatud Euroopa Liidu poolt\" }\n",
        &[
            "config/herald.toml:26:1: error: house rule `eu_funding`: no phrase in `en` (channel `record_en`); add it to `phrase`, or narrow the rule with `channels`, `kinds` or `langs`",
        ],
    );
    refused(
        "[rules.eu_funding]\ncheck = \"phrase\"\nlevel = \"error\"\nlangs = [\"et\", \"ru\", \"uk\"]\nphrase = { et = \"Rahastatud Euroopa Liidu poolt\" }\n",
        &[
            "config/herald.toml:27:1: error: house rule `eu_funding`: no phrase in `ru`, `uk`; add them to `phrase`, or narrow the rule with `channels`, `kinds` or `langs`",
        ],
    );
}

#[test]
fn mistakes_in_the_rules_table_are_located() {
    refused(
        "[rules.a]\ncheck = \"phrse\"\nlevel = \"fatal\"\n\n[rules.b]\ncheck = \"hashtags\"\nlevel = \"warning\"\nmax = \"three\"\nkinds = [\"mastodn\"]\nchannels = [\"record_ee\"]\n\n[rules.c]\ncheck = \"phrase\"\nlevel = \"error\"\nphrase = { EN = \"Funded\", et = 7 }\n\n[rules.d]\nlevel = \"error\"\n",
        &[
            "config/herald.toml:24:1: error: house rule `a`: unknown check `phrse`; did you mean `phrase`?; checks: phrase, forbidden, hashtags, alt_text, camel_case",
            "config/herald.toml:25:1: error: house rule `a`: `level` must be \"error\" (the post is not published) or \"warning\" (it is, and the writer is told), found \"fatal\"",
            "config/herald.toml:30:1: error: house rule `b`: `max` must be a whole number (0 or more), found the text \"three\"",
            "config/herald.toml:31:1: error: house rule `b`: `kinds` names no kind of channel `mastodn`; did you mean `mastodon`?",
            "config/herald.toml:32:1: error: house rule `b`: `channels` names no channel `record_ee` in the configuration; did you mean `record_en`?",
            "config/herald.toml:37:1: error: house rule `c`: `phrase`: `EN` is not a language code; a language code is two or three lowercase letters (`et`, `en`, `ru`), optionally followed by `-` and a region or script (`en-GB`, `sr-Latn`)",
            "config/herald.toml:37:1: error: house rule `c`: `phrase` in `et` must be text in quotes, found the number 7",
            "config/herald.toml:39:8: error: house rule `d`: `check` is missing: one of phrase, forbidden, hashtags, alt_text, camel_case",
        ],
    );
}

#[test]
fn words_not_to_use_are_pointed_at_where_they_are_written() {
    let repo = Repo::with_config(
        r#"
[rules.jargon]
check = "forbidden"
level = "warning"
words = ["synergy", "win-win"]

[rules.slang]
check = "forbidden"
level = "error"
words = { et = ["äge"] }
"#,
    );
    repo.write(
        "announcements/uus.en.md",
        "---\ntitle: A Win-Win for the city\nchannels: all\n---\nThe partners found\nreal synergy here.\n",
    );
    // `äge` is a word not to use in Estonian only; `Ägedad` is another word.
    repo.write(
        "announcements/uus.et.md",
        "---\ntitle: Uus park\nchannels: all\n---\nÄgedad pingid.\n\nSee on äge, synergy!\n",
    );
    repo.write(
        "announcements/muu.en.md",
        "---\ntitle: Äge is Estonian\nchannels: all\n---\nText.\n",
    );
    reports(
        &repo,
        1,
        &[
            "announcements/uus.en.md:2:10: warning: \"win-win\" is on the list of words not to use; say it another way (house rule `jargon`)",
            "announcements/uus.en.md:6:6: warning: \"synergy\" is on the list of words not to use; say it another way (house rule `jargon`)",
            "announcements/uus.et.md:7:8: error: \"äge\" is on the list of words not to use; say it another way (house rule `slang`)",
            "announcements/uus.et.md:7:13: warning: \"synergy\" is on the list of words not to use; say it another way (house rule `jargon`)",
        ],
        "1 error, 4 warnings",
    );

    // A word the template brings has no place in the file: the template is named.
    let repo = Repo::with_config(
        "[rules.jargon]\ncheck = \"forbidden\"\nlevel = \"error\"\nwords = [\"synergy\"]\nchannels = [\"record_en\"]\n",
    );
    repo.write(
        "templates/record/post.txt.hbs",
        "{{title}}: pure synergy\n\n{{text}}\n",
    );
    repo.write(
        "announcements/uus.en.md",
        "---\ntitle: News\nchannels: all\n---\nText.\n",
    );
    reports(
        &repo,
        1,
        &[
            "announcements/uus.en.md: error: \"synergy\" is on the list of words not to use and comes from the template for `record_en`; say it another way (house rule `jargon`)",
        ],
        "1 error, 1 warning",
    );
}

#[test]
fn the_most_hashtags_per_network() {
    let repo = Repo::with_config(
        "[rules.hashtags]\ncheck = \"hashtags\"\nlevel = \"error\"\nmax = 2\nkinds = [\"mastodon\"]\n",
    );
    repo.write(
        "announcements/tags.et.md",
        "---\ntitle: Jõulud\nchannels: all\ntags: [Tartu, Jõulud, Talv]\n---\nTekst.\n",
    );
    // A hashtag written in the text counts too.
    repo.write(
        "announcements/body.et.md",
        "---\ntitle: Jõulud\nchannels: all\ntags: [Tartu, Talv]\n---\nTule #Raekoja platsile.\n",
    );
    repo.write(
        "announcements/fine.et.md",
        "---\ntitle: Jõulud\nchannels: all\ntags: [Tartu, Talv]\n---\nTekst.\n",
    );
    reports(
        &repo,
        1,
        &[
            "announcements/tags.et.md:4:23: error: the post for `mastodon_et` has 3 hashtags (#Tartu #Jõulud #Talv); at most 2 on Mastodon: remove 1 (house rule `hashtags`)",
            "announcements/body.et.md:4:8: error: the post for `mastodon_et` has 3 hashtags (#Raekoja #Tartu #Talv); at most 2 on Mastodon: remove 1 (house rule `hashtags`)",
        ],
        "2 errors, 1 warning",
    );
}

#[test]
fn the_shortest_alt_text() {
    let repo =
        Repo::with_config("[rules.alt]\ncheck = \"alt_text\"\nlevel = \"warning\"\nmin = 20\n");
    std::fs::write(repo.path().join("announcements/kuusk.png"), TINY_PNG).unwrap();
    repo.write(
        "announcements/pilt.et.md",
        "---\ntitle: Jõulud\nchannels: [record_et]\nimages:\n  - path: announcements/kuusk.png\n    alt: Kuusk\n  - path: announcements/kuusk.png\n    alt: Kuusk tuledega Raekoja platsil\n---\nTekst.\n",
    );
    reports(
        &repo,
        0,
        &[
            "announcements/pilt.et.md:5:11: warning: the alt text of `announcements/kuusk.png` is 5 characters, fewer than 20; describe what the image shows for people who cannot see it (house rule `alt`)",
        ],
        "0 errors, 2 warnings",
    );
}

#[test]
fn hashtags_of_several_words_in_camel_case() {
    let repo = Repo::with_config(
        "[rules.camel]\ncheck = \"camel_case\"\nlevel = \"warning\"\nallow = [\"#raekojaplats\"]\n",
    );
    repo.write(
        "announcements/tags.et.md",
        "---\ntitle: Jõulud\nchannels: [record_et]\ntags: [visitestonia, VisitTartu, raekojaplats, talv]\n---\nTule #talvepealinn üritusele.\n",
    );
    let fix = |tag: &str| {
        format!(
            "`#{tag}` is all lowercase, so a screen reader reads it as one long word; if it is several words, start each with a capital (like `#VisitEstonia`); if it is one word, add \"{tag}\" to `allow` in `[rules.camel]` (house rule `camel`)"
        )
    };
    let out = reports(
        &repo,
        0,
        &[
            &format!(
                "announcements/tags.et.md:4:8: warning: {}",
                fix("visitestonia")
            ),
            &format!(
                "announcements/tags.et.md:6:6: warning: {}",
                fix("talvepealinn")
            ),
        ],
        "0 errors, 3 warnings",
    );
    // Short tags (fewer than 10 letters) and listed ones are left alone.
    assert!(!out.contains("#talv`"), "{out}");
    assert!(!out.contains("#raekojaplats`"), "{out}");
}

/// The dry run's reason for holding the one post back, or `sent`.
fn dry_run(repo: &Repo) -> String {
    let dry = repo.run(&[
        "publish",
        "--dry-run",
        "--format",
        "json",
        "--at",
        "2026-06-30 10:05",
    ]);
    let dry: Value = serde_json::from_str(&dry.stdout).expect("dry run JSON");
    if dry["due"].as_array().unwrap().is_empty() {
        dry["held"][0]["reason"].as_str().unwrap_or("-").to_owned()
    } else {
        "sent".to_owned()
    }
}

#[test]
fn an_error_holds_the_post_back_and_a_warning_does_not() {
    let file = "---\ntitle: Uus park\npublish_at: 2026-06-30 10:00\nchannels: [record_et]\n---\nLinn ehitab pargi.\n";
    for (level, expected) in [
        (
            "error",
            "not sent: the post for `record_et` does not say \"Rahastatud Euroopa Liidu poolt\"; add it to the text (house rule `eu_funding`)",
        ),
        ("warning", "sent"),
    ] {
        let repo = Repo::new();
        repo.write("announcements/park.et.md", file);
        repo.approve("announcements/park.et.md");
        assert_eq!(dry_run(&repo), "sent");
        // The rule comes after the approval: it changes nothing that is sent.
        repo.write(
            "config/herald.toml",
            &format!(
                "{}\n[rules.eu_funding]\ncheck = \"phrase\"\nlevel = \"{level}\"\nphrase = {{ et = \"Rahastatud Euroopa Liidu poolt\", en = \"Funded by the European Union\" }}\n",
                crate::harness::BASE_CONFIG
            ),
        );
        assert_eq!(dry_run(&repo), expected, "{level}");
    }
}

#[test]
fn an_email_list_that_gets_a_language_without_a_phrase_is_told_so() {
    // A list takes every language; the configuration cannot know which ones will come.
    let repo = Repo::with_config(&format!(
        "{}{}",
        crate::checks::LIST,
        EU.replace("kinds = [\"record\"]", "kinds = [\"record\", \"email\"]")
    ));
    repo.write(
        "announcements/park.ru.md",
        "---\ntitle: Новый парк\nchannels: all\n---\nГород строит парк.\n",
    );
    repo.write(
        "announcements/park.et.md",
        "---\ntitle: Uus park\nchannels: all\n---\nLinn ehitab pargi.\n",
    );
    reports(
        &repo,
        1,
        &[
            "announcements/park.ru.md:5:1: error: `list` gets this `ru` file, but the rule has no phrase in `ru`; add one to `phrase` in the configuration (house rule `eu_funding`)",
            "announcements/park.et.md:5:1: error: the post for `list` does not say \"Rahastatud Euroopa Liidu poolt\"; add it to the text (house rule `eu_funding`)",
            "announcements/park.et.md:5:1: error: the post for `record_et` does not say \"Rahastatud Euroopa Liidu poolt\"; add it to the text (house rule `eu_funding`)",
        ],
        "3 errors, 2 warnings",
    );
}
