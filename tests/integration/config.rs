//! Configuration problems: exit code 2, with file, line and column.

use crate::harness::{BASE_CONFIG, Repo};

#[test]
fn an_unknown_top_level_key_is_refused_where_it_is() {
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &BASE_CONFIG.replace("approvers", "aprovers"),
    );
    let run = repo.run(&["check"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("config/herald.toml:2:1: error: unknown field `aprovers`"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_channel_key_is_refused_where_it_is() {
    let repo = Repo::new();
    let config = BASE_CONFIG.replace(
        "token_env = \"TEST_MASTODON_TOKEN\"",
        "tokn_env = \"TEST_MASTODON_TOKEN\"",
    );
    repo.write("config/herald.toml", &config);
    let run = repo.run(&["check"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "config/herald.toml:21:1: error: channel `mastodon_et`: unknown field `tokn_env`"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_secret_written_into_the_config_is_refused_with_the_fix() {
    let repo = Repo::new();
    let config = BASE_CONFIG.replace("token_env = \"TEST_MASTODON_TOKEN\"", "token = \"abc123\"");
    repo.write("config/herald.toml", &config);
    let run = repo.run(&["check"]);
    run.assert_code(2);
    assert!(run.stderr.contains("config/herald.toml:21:1: error: channel `mastodon_et`: secrets never go in the configuration"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("abc123"),
        "the secret itself is echoed: {}",
        run.stderr
    );
}

#[test]
fn every_channel_problem_is_reported_in_one_run() {
    let repo = Repo::new();
    let config = format!(
        "{BASE_CONFIG}\n[channels.bad_kind]\nkind = \"mastodom\"\nlang = \"en\"\n\n[channels.no_lang]\nkind = \"slack\"\nwebhook_url_env = \"X\"\n"
    );
    repo.write("config/herald.toml", &config);
    let run = repo.run(&["check"]);
    run.assert_code(2);
    assert!(run.stderr.contains("config/herald.toml:24:1: error: channel `bad_kind`: unknown kind `mastodom`; did you mean `mastodon`?"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("config/herald.toml:27:11: error: channel `no_lang`: `lang` is missing"),
        "{}",
        run.stderr
    );
}

#[test]
fn invalid_toml_is_located() {
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        "timezone = \"Europe/Tallinn\"\napprovers = [\"a@b.org\"\n",
    );
    let run = repo.run(&["check"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("config/herald.toml:2:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("not valid TOML"), "{}", run.stderr);
}

#[test]
fn environment_variables_override_non_secret_keys() {
    let repo = Repo::new();
    // No language suffix: the default language decides which channels it goes to.
    repo.write(
        "announcements/plain.md",
        "---\ntitle: Plain\nchannels: all\n---\nBody.\n",
    );
    let doc = repo.json(&["check"], 0);
    assert_eq!(doc["announcements"][0]["lang"], "et");
    let doc = repo
        .run_env(
            &["check", "--format", "json"],
            &[("HERALD_DEFAULTS__LANG", "en")],
        )
        .assert_code(0)
        .json();
    assert_eq!(doc["announcements"][0]["lang"], "en");
    assert_eq!(doc["announcements"][0]["posts"][0]["channel"], "record_en");
    // A secret that happens to start with HERALD_ is not mistaken for configuration.
    repo.run_env(&["check"], &[("HERALD_MASTODON_TOKEN", "s3cr3t")])
        .assert_code(0);
    // A bad value from the environment is a configuration error.
    let run = repo.run_env(&["check"], &[("HERALD_TIMEZONE", "Mars/Olympus")]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("unknown time zone `Mars/Olympus`"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unset_secret_is_a_warning_at_check_and_never_printed_when_set() {
    let repo = Repo::new();
    repo.write(
        "announcements/a.et.md",
        "---\ntitle: Tere\npublish_at: 2026-06-30 10:00\nchannels: all\n---\nTekst.\n",
    );
    let run = repo.run(&["check"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("config/herald.toml:17:11: warning: channel `mastodon_et`: `TEST_MASTODON_TOKEN` (access token) not set"),
        "{}",
        run.stdout
    );
    let secret = "tok-9f8e7d6c5b4a";
    for args in [
        &["check"][..],
        &["publish", "--dry-run", "-v", "--at", "2026-06-30 11:00"],
        &["status"],
    ] {
        let run = repo.run_env(args, &[("TEST_MASTODON_TOKEN", secret)]);
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{args:?} printed the secret"
        );
        assert!(
            !run.stdout
                .contains("TEST_MASTODON_TOKEN` (access token) not set")
        );
    }
}
