//! `herald doctor` for the kinds whose checks are not tested with their senders:
//! read-only requests only, a clear line per finding, exit 1 when publishing would fail.

use crate::harness::Repo;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TG_TOKEN: &str = "123456:doctor-tg-token";

#[tokio::test(flavor = "multi_thread")]
async fn telegram_checks_the_bot_and_that_it_can_see_the_channel() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/bot{TG_TOKEN}/getMe")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "ok": true, "result": { "id": 1, "is_bot": true, "username": "tartu_news_bot" } }),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/bot{TG_TOKEN}/getChat")))
        .and(query_param("chat_id", "@tartu"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "ok": true, "result": { "id": -100, "type": "channel", "title": "Tartu linn" } }),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/bot{TG_TOKEN}/getChat")))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({ "ok": false, "error_code": 400, "description": "Bad Request: chat not found" }),
        ))
        .mount(&server)
        .await;
    for (chat, code, says) in [
        ("@tartu", 0, "ok: the bot sees @tartu (Tartu linn)"),
        (
            "@elsewhere",
            1,
            "error: the bot cannot see @elsewhere (Bad Request: chat not found); add @tartu_news_bot to the channel as an administrator",
        ),
    ] {
        let repo = Repo::with_config(&format!(
            "\n[channels.tg]\nkind = \"telegram\"\nlang = \"et\"\nchat_id = \"{chat}\"\ntoken_env = \"TG_TOKEN\"\napi_url = \"{}\"\n",
            server.uri()
        ));
        let run = repo.run_env(&["doctor", "--channel", "tg"], &[("TG_TOKEN", TG_TOKEN)]);
        run.assert_code(code);
        assert!(
            run.stdout
                .contains("ok: the bot token works: @tartu_news_bot"),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains(says), "{}", run.stdout);
        assert!(!run.stdout.contains(TG_TOKEN));
    }
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests.iter().all(|r| r.method.as_str() == "GET"),
        "read-only"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn discord_reads_the_webhook_without_posting() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/webhooks/111/good-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "id": "111", "type": 1, "name": "Tartu", "channel_id": "222", "token": "good-token" }),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/webhooks/111/gone"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({ "message": "Unknown Webhook", "code": 10015 })),
        )
        .mount(&server)
        .await;
    let repo = Repo::with_config(
        "\n[channels.dc]\nkind = \"discord\"\nlang = \"et\"\nwebhook_url_env = \"DC_URL\"\n",
    );
    let good = format!("{}/api/webhooks/111/good-token", server.uri());
    let run = repo.run_env(&["doctor", "--channel", "dc"], &[("DC_URL", &good)]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("ok: the webhook works: it posts as \"Tartu\" in channel 222"),
        "{}",
        run.stdout
    );
    let gone = format!("{}/api/webhooks/111/gone", server.uri());
    let run = repo.run_env(
        &["doctor", "--channel", "dc", "--format", "json"],
        &[("DC_URL", &gone)],
    );
    run.assert_code(1);
    let report = run.json();
    assert_eq!(report[0]["channel"], "dc");
    assert_eq!(report[0]["findings"][0]["level"], "error");
    assert!(
        report[0]["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("does not know this webhook")
    );
    assert!(!run.stdout.contains("good-token") && !run.stdout.contains("/gone"));
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests.iter().all(|r| r.method.as_str() == "GET"),
        "read-only"
    );
}

#[test]
fn a_missing_secret_is_an_error_and_kinds_without_a_check_say_so() {
    let repo = Repo::new();
    let run = repo.run(&["doctor"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("mastodon_et (mastodon)\n  error: the access token variable `TEST_MASTODON_TOKEN` is not set"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("record_et (record)\n  info: no online check for this kind"),
        "{}",
        run.stdout
    );
    let quiet = repo.run(&["doctor", "-q"]);
    assert!(!quiet.stdout.contains("info:"), "{}", quiet.stdout);
}

/// A loopback port with nothing listening: bound, then let go.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Without a network (or with a wrong address), doctor says the platform cannot be
/// reached, why, and what to check — never that the token does not work (issue 19).
/// Each kind with an online check, against a closed loopback port and an unresolvable
/// `.invalid` host; a server that does not speak TLS, and one that never answers.
#[test]
fn doctor_offline_says_cannot_reach_not_that_the_token_does_not_work() {
    let closed = closed_port();
    // Accepts and answers in plain HTTP: a TLS client cannot set up a secure connection.
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let plain_port = plain.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in plain.incoming() {
            let mut stream = stream.unwrap();
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n",
            );
        }
    });
    // Accepts and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming() {
            held.push(stream.unwrap());
        }
    });
    let refused = |host: &str, key: &str| {
        format!(
            "cannot reach {host} (http://{host}/…): nothing answers at that address (connection \
             refused); check the network connection, the address in the configuration ({key}), \
             or a proxy"
        )
    };
    let dns = |name: &str, key: &str| {
        format!(
            "cannot reach {name} (https://{name}/…): the name {name} is not found (DNS); check \
             the network connection, the address in the configuration ({key}), or a proxy"
        )
    };
    let here = format!("127.0.0.1:{closed}");
    let config = format!(
        r#"
[publish]
request_timeout = "1s"

[channels.m_closed]
kind = "mastodon"
lang = "et"
base_url = "http://{here}"
token_env = "TOKEN"

[channels.m_dns]
kind = "mastodon"
lang = "et"
base_url = "https://mastodon.invalid"
token_env = "TOKEN"

[channels.m_tls]
kind = "mastodon"
lang = "et"
base_url = "https://127.0.0.1:{plain_port}"
token_env = "TOKEN"

[channels.m_silent]
kind = "mastodon"
lang = "et"
base_url = "http://127.0.0.1:{silent_port}"
token_env = "TOKEN"

[channels.bsky]
kind = "bluesky"
lang = "et"
service = "https://pds.invalid"
identifier = "tartu.example"
password_env = "TOKEN"

[channels.tg]
kind = "telegram"
lang = "et"
chat_id = "@tartu"
token_env = "TOKEN"
api_url = "http://{here}"

[channels.x]
kind = "x"
lang = "en"
consumer_key_env = "TOKEN"
consumer_secret_env = "TOKEN"
access_token_env = "TOKEN"
access_token_secret_env = "TOKEN"
api_url = "https://x.invalid"

[channels.fb]
kind = "facebook"
lang = "en"
page_id = "1"
token_env = "TOKEN"
api_url = "http://{here}"

[channels.li]
kind = "linkedin"
lang = "en"
organization = "urn:li:organization:1"
token_env = "TOKEN"
api_url = "https://linkedin.invalid"

[channels.dc]
kind = "discord"
lang = "en"
webhook_url_env = "HOOK"
"#
    );
    let repo = Repo::with_config(&config);
    let hook = format!("http://{here}/api/webhooks/1/secret-hook-token");
    let run = repo.run_env(
        &["doctor", "--format", "json"],
        &[("TOKEN", "doctor-offline-token"), ("HOOK", &hook)],
    );
    run.assert_code(1);
    let doc = run.json();
    let errors = |name: &str| -> Vec<String> {
        doc.as_array()
            .unwrap()
            .iter()
            .find(|r| r["channel"] == name)
            .unwrap_or_else(|| panic!("no report for {name}: {doc:#}"))["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["level"] == "error")
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect()
    };
    let cases = [
        ("m_closed", refused(&here, "`base_url`")),
        ("m_dns", dns("mastodon.invalid", "`base_url`")),
        (
            "m_tls",
            format!(
                "cannot reach 127.0.0.1:{plain_port} (https://127.0.0.1:{plain_port}/…) securely: \
                 the TLS handshake failed; check the address in the configuration (`base_url`), \
                 the system's certificates, or a proxy that intercepts HTTPS"
            ),
        ),
        (
            "m_silent",
            format!(
                "cannot reach 127.0.0.1:{silent_port} (http://127.0.0.1:{silent_port}/…): no \
                 answer in time (timed out); check the network connection, the address in the \
                 configuration (`base_url`), or a proxy"
            ),
        ),
        ("bsky", dns("pds.invalid", "`service`")),
        ("tg", refused(&here, "`api_url`")),
        ("x", dns("x.invalid", "`api_url`")),
        ("fb", refused(&here, "`api_url`")),
        ("li", dns("linkedin.invalid", "`api_url`")),
        ("dc", refused(&here, "the variable `HOOK`")),
    ];
    for (name, want) in cases {
        assert_eq!(errors(name), [want], "{name}");
    }
    assert!(!run.stdout.contains("does not work"), "{}", run.stdout);
    assert!(!run.stdout.contains("doctor-offline-token"));
    assert!(!run.stdout.contains("secret-hook-token"));

    // The text output says the same, one line per channel.
    let text = repo.run_env(
        &["doctor"],
        &[("TOKEN", "doctor-offline-token"), ("HOOK", &hook)],
    );
    text.assert_code(1);
    assert!(
        text.stdout.contains(&format!(
            "m_dns (mastodon)\n  error: {}\n",
            dns("mastodon.invalid", "`base_url`")
        )),
        "{}",
        text.stdout
    );
}
