//! Telegram and Discord, against loopback servers answering as their documented APIs do.

use crate::harness::{Repo, TINY_PNG};
use crate::mock_webhook::MockWebhook;

const TG_TOKEN: &str = "123456:tg-test-token";

fn telegram_answer(n: usize) -> (&'static str, String) {
    (
        "application/json",
        format!(
            r#"{{"ok":true,"result":{{"message_id":{},"chat":{{"id":-100,"username":"city"}}}}}}"#,
            41 + n
        ),
    )
}

fn discord_answer(n: usize) -> (&'static str, String) {
    (
        "application/json",
        format!(r#"{{"id":"12000000000000000{n}","channel_id":"99","content":"…"}}"#),
    )
}

fn repo_with(channels: &str) -> Repo {
    let repo = Repo::with_config(channels);
    std::fs::write(repo.path().join("announcements/pic.png"), TINY_PNG).unwrap();
    repo
}

#[test]
fn telegram_sends_html_text_and_photos_with_captions_and_records_the_message_address() {
    let server = MockWebhook::start_with(telegram_answer);
    let repo = repo_with(&format!(
        "\n[channels.tg]\nkind = \"telegram\"\nlang = \"et\"\nchat_id = \"@city\"\ntoken_env = \"TG_TOKEN\"\napi_url = \"{}\"\n",
        server.base()
    ));
    repo.write("announcements/a.et.md", "---\ntitle: Tom & Jerry\npublish_at: 2026-06-30 10:00\nchannels: [tg]\n---\nTekst.\n")
        .write(
            "announcements/b.et.md",
            "---\ntitle: Pildiga\npublish_at: 2026-06-30 10:00\nchannels: [tg]\nimages:\n  - path: announcements/pic.png\n    alt: Raekoda\n---\nTekst.\n",
        );
    repo.approve("announcements/a.et.md");
    repo.approve("announcements/b.et.md");
    let run = repo.run_env(
        &["publish", "--format", "json", "--at", "2026-06-30 10:05"],
        &[("TG_TOKEN", TG_TOKEN)],
    );
    run.assert_code(0);
    let report = run.json();
    let urls: Vec<&str> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["urls"][0].as_str().unwrap())
        .collect();
    assert_eq!(urls, ["https://t.me/city/41", "https://t.me/city/42"]);
    let raw = server.raw();
    assert_eq!(raw[0].path, format!("/bot{TG_TOKEN}/sendMessage"));
    assert_eq!(
        String::from_utf8(raw[0].body.clone()).unwrap(),
        r#"{"chat_id":"@city","parse_mode":"HTML","text":"<b>Tom &amp; Jerry</b>\n\nTekst."}"#
    );
    assert_eq!(raw[1].path, format!("/bot{TG_TOKEN}/sendPhoto"));
    assert!(
        raw[1].content_type.starts_with("multipart/form-data"),
        "{}",
        raw[1].content_type
    );
    let body = String::from_utf8_lossy(&raw[1].body);
    assert!(
        body.contains("name=\"caption\"\r\n\r\n<b>Pildiga</b>\n\nTekst."),
        "{body}"
    );
    assert!(
        body.contains("name=\"photo\"; filename=\"pic.png\""),
        "{body}"
    );
    assert!(
        raw[1].body.windows(TINY_PNG.len()).any(|w| w == TINY_PNG),
        "the photo bytes were not sent"
    );
    // The token is in the URL path, never in what Herald prints or records.
    assert!(!run.stdout.contains(TG_TOKEN) && !run.stderr.contains(TG_TOKEN));
    assert!(!repo.read("state/ledger.jsonl").contains(TG_TOKEN));
}

#[test]
fn discord_waits_for_the_message_id_and_sends_images_with_their_alt_text() {
    let server = MockWebhook::start_with(discord_answer);
    let repo = repo_with(
        "\n[channels.dc]\nkind = \"discord\"\nlang = \"et\"\nwebhook_url_env = \"DC_URL\"\nusername = \"Tartu\"\n",
    );
    repo.write(
        "announcements/b.et.md",
        "---\ntitle: Pildiga\npublish_at: 2026-06-30 10:00\nchannels: [dc]\nimages:\n  - path: announcements/pic.png\n    alt: Raekoda\n---\nTekst.\n",
    );
    repo.approve("announcements/b.et.md");
    let url = server.url();
    let report = repo
        .run_env(
            &["publish", "--format", "json", "--at", "2026-06-30 10:05"],
            &[("DC_URL", &url)],
        )
        .assert_code(0)
        .json();
    assert_eq!(report["rows"][0]["result"], "posted");
    assert!(
        repo.read("state/ledger.jsonl")
            .contains("\"remote_id\":\"120000000000000000\"")
    );
    let raw = server.raw();
    assert_eq!(raw[0].path, "/services/T000/B000/secret?wait=true");
    let body = String::from_utf8_lossy(&raw[0].body);
    assert!(
        body.contains(r#"name="payload_json""#)
            && body.contains(r#"{"attachments":[{"description":"Raekoda","filename":"pic.png","id":0}],"content":"Pildiga\n\nTekst.","username":"Tartu"}"#),
        "{body}"
    );
    assert!(
        body.contains(r#"name="files[0]"; filename="pic.png""#),
        "{body}"
    );
}
