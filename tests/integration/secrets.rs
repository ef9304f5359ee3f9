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
        vec!["check"],
        vec!["check", "--format", "json"],
        vec!["preview", "--out", &preview_arg, "--outside-root"],
        vec!["preview", "--format", "markdown"],
        vec!["publish", "--dry-run", "-v", at[0], at[1]],
        vec!["publish", "--dry-run", "--format", "json", at[0], at[1]],
        vec!["publish", "-v", at[0], at[1]],
        vec!["publish", "--format", "json", at[0], at[1]],
        vec!["status"],
        vec!["status", "--format", "json"],
        vec!["audit", "--format", "json"],
        vec!["doctor"],
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

    let mut written = repo.written_text();
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

/// A server that answers every request with an error that repeats the request: its
/// line (method and path with query), its headers and its body, as a careless proxy or
/// API does. `json` wraps the echo in the error fields each platform's answer has.
struct Echo {
    base: String,
    paths: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Echo {
    fn start(status: u16, json: bool) -> Echo {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let paths = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = paths.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut head = String::new();
                    let mut line = String::new();
                    let mut length = 0;
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                    head.push_str(&line);
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line.trim_end().is_empty() {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap_or(0);
                        }
                        head.push_str(&line);
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    seen.lock().unwrap().push(path.clone());
                    let echo = format!(
                        "Cannot {}\n{}",
                        head.trim_end(),
                        String::from_utf8_lossy(&body)
                    );
                    let (kind, answer) = if json {
                        let e = serde_json::Value::String(echo);
                        (
                            "application/json",
                            serde_json::json!({
                                "ok": false, "error": { "message": e, "code": 1 },
                                "message": e, "description": e, "detail": e, "title": e,
                                "errors": [{ "message": e }],
                            })
                            .to_string(),
                        )
                    } else {
                        ("text/plain", echo)
                    };
                    let mut stream = stream;
                    let _ = stream.write_all(
                        format!(
                            "HTTP/1.1 {status} Echo\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                            answer.len()
                        )
                        .as_bytes(),
                    );
                });
            }
        });
        Echo { base, paths }
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }
}

/// Every form a request can carry a secret in: as it is, percent-encoded (either letter
/// case) and JSON-escaped.
fn encodings(value: &str) -> Vec<String> {
    let pct = percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let json = serde_json::to_string(value).unwrap();
    vec![
        value.to_owned(),
        pct.clone(),
        lower_hex(&pct),
        json[1..json.len() - 1].to_owned(),
    ]
}

/// `%2F` → `%2f`, the letters of the value left as they are.
fn lower_hex(pct: &str) -> String {
    let mut out = String::new();
    let mut rest = pct;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i..i + 3).unwrap_or(&rest[i..]);
        out.push_str(&code.to_lowercase());
        rest = &rest[i + code.len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn secrets_echoed_by_a_server_in_the_path_headers_or_body_never_appear() {
    for (status, json) in [(400, true), (400, false), (502, true), (403, false)] {
        let echo = Echo::start(status, json);
        let b = &echo.base;
        let discord = format!("{b}/discord/api/webhooks/123/dc-Secret-Token_abcdef0123");
        let slack = format!("{b}/slack/services/T000/B000/slack-secret-xyz");
        let config = format!(
            r#"timezone = "Europe/Tallinn"
approvers = ["editor@example.org"]

[defaults]
lang = "et"

[channels.mastodon_et]
kind = "mastodon"
lang = "et"
base_url = "{b}/mastodon"
token_env = "ECHO_MASTODON"

[channels.bluesky_et]
kind = "bluesky"
lang = "et"
service = "{b}/bluesky"
identifier = "city.bsky.social"
password_env = "ECHO_BSKY"

[channels.telegram_et]
kind = "telegram"
lang = "et"
chat_id = "@city"
token_env = "ECHO_TELEGRAM"
api_url = "{b}/telegram"

[channels.x_et]
kind = "x"
lang = "et"
consumer_key_env = "ECHO_X_KEY"
consumer_secret_env = "ECHO_X_SECRET"
access_token_env = "ECHO_X_TOKEN"
access_token_secret_env = "ECHO_X_TOKEN_SECRET"
api_url = "{b}/x"

[channels.facebook_et]
kind = "facebook"
lang = "et"
page_id = "1234567890"
token_env = "ECHO_FB"
api_url = "{b}/facebook"

[channels.linkedin_et]
kind = "linkedin"
lang = "et"
organization = "urn:li:organization:5515715"
token_env = "ECHO_LI"
api_url = "{b}/linkedin"

[channels.discord_et]
kind = "discord"
lang = "et"
webhook_url_env = "ECHO_DISCORD"

[channels.slack_et]
kind = "slack"
lang = "et"
webhook_url_env = "ECHO_SLACK"
"#
        );
        let repo = Repo::new();
        repo.write("config/herald.toml", &config);
        repo.write(
            "announcements/uudis.et.md",
            "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: all\nlink: https://city.example/uudis\n---\nTekst.\n",
        );
        repo.approve("announcements/uudis.et.md");
        let secrets: Vec<(&str, String)> = vec![
            ("ECHO_MASTODON", "masto-tok/en+7a1".into()),
            ("ECHO_BSKY", r#"bsky"pw\8d2e/91ab"#.into()),
            ("ECHO_TELEGRAM", "123456:tg-secret-4f0c".into()),
            ("ECHO_X_KEY", "x-key+55/aa".into()),
            ("ECHO_X_SECRET", "x-secret-66bb".into()),
            ("ECHO_X_TOKEN", "x-token=77cc".into()),
            ("ECHO_X_TOKEN_SECRET", "x-token-secret-88dd".into()),
            ("ECHO_FB", "fb-token-aa11".into()),
            ("ECHO_LI", "li-token-bb22".into()),
            ("ECHO_DISCORD", discord.clone()),
            ("ECHO_SLACK", slack.clone()),
        ];
        let mut env: Vec<(&str, &str)> = secrets.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.push(("HERALD_PUBLISH__RETRY_BASE", "10ms"));
        let mut needles: Vec<String> = secrets.iter().flat_map(|(_, v)| encodings(v)).collect();
        // What a server echoes of a webhook URL: its path, and the token in it.
        for part in [
            "/api/webhooks/123/dc-Secret-Token_abcdef0123",
            "dc-Secret-Token_abcdef0123",
            "/services/T000/B000/slack-secret-xyz",
        ] {
            needles.push(part.into());
        }
        let at = ["--at", "2026-06-30 10:05"];
        let mut printed = String::new();
        for args in [
            vec!["publish", "-v", at[0], at[1]],
            vec!["publish", "--format", "json", at[0], at[1]],
            vec!["status"],
            vec!["status", "--format", "json"],
            vec!["audit", "--format", "json"],
            vec!["doctor"],
            vec!["doctor", "--format", "json"],
        ] {
            let run = repo.run_env(&args, &env);
            printed.push_str(&format!(
                "\n$ herald {args:?}\n{}\n{}",
                run.stdout, run.stderr
            ));
        }
        // Every kind talked to the server, and the server repeated what it got.
        let paths = echo.paths();
        for prefix in [
            "/mastodon/",
            "/bluesky/",
            "/telegram/",
            "/x/",
            "/facebook/",
            "/linkedin/",
            "/discord/",
            "/slack/",
        ] {
            assert!(
                paths.iter().any(|p| p.starts_with(prefix)),
                "no request to {prefix}: {paths:?}\n{printed}"
            );
        }
        assert!(printed.contains("Cannot POST"), "{printed}");
        let written = repo.written_text();
        for needle in &needles {
            assert!(
                !printed.contains(needle.as_str()),
                "({status}, json {json}) printed output contains {needle:?}:\n{printed}"
            );
            assert!(
                !written.contains(needle.as_str()),
                "({status}, json {json}) a written file contains {needle:?}:\n{written}"
            );
        }
    }
}
