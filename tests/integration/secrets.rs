//! The secret sweep: every command, with distinctive values in every secret variable and
//! a subscriber list of distinctive addresses; no secret and no address may appear in
//! anything Herald prints or writes.

use crate::harness::{BASE_CONFIG, Repo};
use crate::mastodon::TOKEN;
use crate::mock_mastodon::{Fault, MockMastodon};
use crate::mock_webhook::MockWebhook;

const EXTRA_CHANNELS: &str = r#"
[channels.slack_et]
kind = "slack"
lang = "et"
webhook_url_env = "SWEEP_SLACK_URL"

[channels.bluesky_et]
kind = "bluesky"
lang = "et"
identifier = "city.bsky.social"
password_env = "SWEEP_BSKY_PASSWORD"

[channels.telegram_et]
kind = "telegram"
lang = "et"
chat_id = "@city"
token_env = "SWEEP_TELEGRAM_TOKEN"

[channels.x_et]
kind = "x"
lang = "et"
consumer_key_env = "SWEEP_X_KEY"
consumer_secret_env = "SWEEP_X_SECRET"
access_token_env = "SWEEP_X_TOKEN"
access_token_secret_env = "SWEEP_X_TOKEN_SECRET"

[channels.facebook_et]
kind = "facebook"
lang = "et"
page_id = "1234567890"
token_env = "SWEEP_FB_TOKEN"

[channels.linkedin_et]
kind = "linkedin"
lang = "et"
organization = "urn:li:organization:5515715"
token_env = "SWEEP_LI_TOKEN"

[channels.news]
kind = "email"
lang = "et"
from = "City <news@city.example>"
smtp_host = "127.0.0.1"
smtp_user = "news@city.example"
password_env = "SWEEP_SMTP_PASSWORD"
subscribers_env = "SWEEP_SUBSCRIBERS"
secret_env = "SWEEP_LIST_SECRET"
list_id = "news.city.example"
unsubscribe_url = "https://city.example/u/{token}"
"#;

#[test]
fn no_secret_or_subscriber_address_appears_in_any_output_or_file() {
    let mastodon = MockMastodon::start(TOKEN);
    let slack = MockWebhook::start();
    // Everything else talks to a server that answers nonsense: the error paths.
    let other = MockWebhook::start();
    let pds = crate::pds::url();
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &format!("{BASE_CONFIG}{EXTRA_CHANNELS}"),
    );
    let subscribers = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        subscribers.path(),
        "email,name,lang\nsecret.reader.7c1@mail.example,Mari,et\n",
    )
    .unwrap();
    let secrets = [
        ("TEST_MASTODON_TOKEN", TOKEN.to_owned()),
        ("SWEEP_SLACK_URL", slack.url()),
        ("SWEEP_BSKY_PASSWORD", "bsky-pw-8d2e-91ab".to_owned()),
        ("SWEEP_TELEGRAM_TOKEN", "123456:tg-secret-4f0c".to_owned()),
        ("SWEEP_X_KEY", "x-key-55aa".to_owned()),
        ("SWEEP_X_SECRET", "x-secret-66bb".to_owned()),
        ("SWEEP_X_TOKEN", "x-token-77cc".to_owned()),
        ("SWEEP_X_TOKEN_SECRET", "x-token-secret-88dd".to_owned()),
        ("SWEEP_SMTP_PASSWORD", "smtp-pw-99ee".to_owned()),
        ("SWEEP_FB_TOKEN", "fb-token-aa11".to_owned()),
        ("SWEEP_LI_TOKEN", "li-token-bb22".to_owned()),
        ("SWEEP_LIST_SECRET", "list-secret-aa11".to_owned()),
        (
            "SWEEP_SUBSCRIBERS",
            subscribers.path().display().to_string(),
        ),
    ];
    let mut env: Vec<(&str, &str)> = secrets.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let base_url = mastodon.base_url();
    env.push(("HERALD_CHANNELS__MASTODON_ET__BASE_URL", &base_url));
    env.push(("HERALD_PUBLISH__RETRY_BASE", "10ms"));
    let other_url = other.base();
    for name in ["TELEGRAM_ET", "X_ET", "FACEBOOK_ET", "LINKEDIN_ET"] {
        env.push((
            Box::leak(format!("HERALD_CHANNELS__{name}__API_URL").into_boxed_str()),
            &other_url,
        ));
    }
    // A real PDS, which refuses the password.
    env.push(("HERALD_CHANNELS__BLUESKY_ET__SERVICE", &pds));
    // Distinctive parts of the values (the Slack URL's secret part is its path).
    let mut needles: Vec<String> = secrets
        .iter()
        .filter(|(k, _)| *k != "SWEEP_SUBSCRIBERS")
        .map(|(_, v)| v.clone())
        .collect();
    needles.push("/services/T000/B000/secret".into());
    needles.push("secret.reader.7c1@mail.example".into());

    repo.write(
        "announcements/uudis.et.md",
        "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: all\nlink: https://city.example/uudis\n---\nTekst.\n",
    );
    repo.approve("announcements/uudis.et.md");
    mastodon.push_fault(Fault::Status500);

    let preview = tempfile::tempdir().unwrap();
    let preview_arg = preview.path().display().to_string();
    let at = ["--at", "2026-06-30 10:05"];
    let commands: Vec<Vec<&str>> = vec![
        vec!["check", "-v"],
        vec!["check", "--format", "json"],
        vec!["preview", "--out", &preview_arg, "--outside-root"],
        vec!["preview", "--format", "markdown"],
        vec!["publish", "--dry-run", "-v", at[0], at[1]],
        vec!["publish", "--dry-run", "--format", "json", at[0], at[1]],
        vec!["publish", "-v", at[0], at[1]],
        vec!["publish", "--format", "json", at[0], at[1]],
        vec!["status", "-v"],
        vec!["status", "--format", "json"],
        vec!["audit", "--format", "json"],
        vec!["doctor", "-v"],
        vec!["doctor", "--format", "json"],
    ];
    let mut printed = String::new();
    for args in &commands {
        let run = repo.run_env(args, &env);
        printed.push_str(&format!(
            "\n$ herald {args:?}\n{}\n{}",
            run.stdout, run.stderr
        ));
    }
    // The publish runs did something: Mastodon got the post after a 500, Slack too.
    assert_eq!(mastodon.statuses().len(), 1, "{printed}");
    assert_eq!(slack.received().len(), 1, "{printed}");

    let mut written = String::new();
    for (path, bytes) in repo.snapshot() {
        written.push_str(&format!(
            "\n# {}\n{}",
            path.display(),
            String::from_utf8_lossy(&bytes)
        ));
    }
    written.push_str(&std::fs::read_to_string(preview.path().join("index.html")).unwrap());
    for needle in &needles {
        assert!(
            !printed.contains(needle.as_str()),
            "printed output contains {needle:?}"
        );
        assert!(
            !written.contains(needle.as_str()),
            "a written file contains {needle:?}"
        );
    }
}
