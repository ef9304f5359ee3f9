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
        let run = repo.run_env(&["--channel", "tg", "doctor"], &[("TG_TOKEN", TG_TOKEN)]);
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
    let run = repo.run_env(&["--channel", "dc", "doctor"], &[("DC_URL", &good)]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("ok: the webhook works: it posts as \"Tartu\" in channel 222"),
        "{}",
        run.stdout
    );
    let gone = format!("{}/api/webhooks/111/gone", server.uri());
    let run = repo.run_env(
        &["--channel", "dc", "doctor", "--format", "json"],
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
