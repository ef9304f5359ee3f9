//! Telegram and Discord, against loopback servers answering as their documented APIs do.

use crate::harness::{Repo, TINY_PNG};
use crate::mock_webhook::MockWebhook;

pub(crate) const TG_TOKEN: &str = "123456:tg-test-token";

pub(crate) fn telegram_answer(n: usize) -> (&'static str, String) {
    (
        "application/json",
        format!(
            r#"{{"ok":true,"result":{{"message_id":{},"chat":{{"id":-100,"username":"city"}}}}}}"#,
            41 + n
        ),
    )
}

pub(crate) fn discord_answer(n: usize) -> (&'static str, String) {
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
fn telegram_sends_exactly_the_bytes_the_dry_run_shows_part_by_part() {
    let server = MockWebhook::start_with(telegram_answer);
    let repo = repo_with(&format!(
        "\n[channels.tg]\nkind = \"telegram\"\nlang = \"et\"\nchat_id = \"@city\"\ntoken_env = \"TG_TOKEN\"\napi_url = \"{}\"\n",
        server.base()
    ));
    let long = "Tartu linn kutsub kõiki elanikke & külalisi osalema. ".repeat(90);
    repo.write(
        "announcements/pikk.et.md",
        &format!("---\ntitle: Pikk\npublish_at: 2026-06-30 10:00\nchannels: [tg]\n---\n{long}\n"),
    );
    repo.approve("announcements/pikk.et.md");
    let at = ["--at", "2026-06-30 10:05"];
    // No token in the dry run's environment: it needs none.
    let dry = repo
        .run(&["publish", "--dry-run", "--format", "json", at[0], at[1]])
        .assert_code(0)
        .json();
    let requests = dry["due"][0]["requests"].as_array().unwrap().clone();
    assert!(requests.len() >= 2, "a thread: {dry:#}");
    repo.run_env(&["publish", at[0], at[1]], &[("TG_TOKEN", TG_TOKEN)])
        .assert_code(0);
    let raw = server.raw();
    assert_eq!(raw.len(), requests.len());
    for (i, (sent, shown)) in raw.iter().zip(&requests).enumerate() {
        assert_eq!(
            shown["action"],
            format!("POST {}/bot$TG_TOKEN/sendMessage", server.base())
        );
        assert_eq!(sent.path, format!("/bot{TG_TOKEN}/sendMessage"));
        // Each part replies to the message the one before became (41, 42, …).
        let planned = shown["body"]
            .to_string()
            .replace(&format!("\"<id of part {i}>\""), &format!("{}", 40 + i));
        assert_eq!(String::from_utf8(sent.body.clone()).unwrap(), planned);
    }
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
            && body.contains(r#"{"allowed_mentions":{"parse":[]},"attachments":[{"description":"Raekoda","filename":"pic.png","id":0}],"content":"Pildiga\n\nTekst.","username":"Tartu"}"#),
        "{body}"
    );
    assert!(
        body.contains(r#"name="files[0]"; filename="pic.png""#),
        "{body}"
    );
}

/// The answer to `sendMediaGroup`: the album's messages, one per photo.
fn telegram_album_answer(_: usize) -> (&'static str, String) {
    (
        "application/json",
        r#"{"ok":true,"result":[{"message_id":51,"chat":{"id":-100,"username":"city"},"media_group_id":"9"},{"message_id":52,"chat":{"id":-100,"username":"city"},"media_group_id":"9"}]}"#.into(),
    )
}

#[test]
fn telegram_sends_several_images_as_one_album_with_the_caption_on_the_first() {
    let server = MockWebhook::start_with(telegram_album_answer);
    let repo = repo_with(&format!(
        "\n[channels.tg]\nkind = \"telegram\"\nlang = \"et\"\nchat_id = \"@city\"\ntoken_env = \"TG_TOKEN\"\napi_url = \"{}\"\n",
        server.base()
    ));
    std::fs::write(repo.path().join("announcements/second.png"), TINY_PNG).unwrap();
    repo.write(
        "announcements/c.et.md",
        "---\ntitle: Album & co\npublish_at: 2026-06-30 10:00\nchannels: [tg]\nimages:\n  - path: announcements/pic.png\n    alt: Raekoda\n  - path: announcements/second.png\n    alt: Emajõgi\n---\nTekst.\n",
    );
    repo.approve("announcements/c.et.md");
    // The dry run shows the same request, with the files named by path.
    let dry = repo
        .run(&[
            "publish",
            "--dry-run",
            "--format",
            "json",
            "--at",
            "2026-06-30 10:05",
        ])
        .assert_code(0)
        .json();
    let request = &dry["due"][0]["requests"][0];
    assert_eq!(
        request["action"],
        format!("POST {}/bot$TG_TOKEN/sendMediaGroup", server.base())
    );
    assert_eq!(
        request["body"],
        serde_json::json!({
            "chat_id": "@city",
            "media": [
                { "type": "photo", "media": "attach://photo0", "caption": "<b>Album &amp; co</b>\n\nTekst.", "parse_mode": "HTML" },
                { "type": "photo", "media": "attach://photo1" }
            ],
            "photo0": "announcements/pic.png",
            "photo1": "announcements/second.png"
        })
    );
    let report = repo
        .run_env(
            &["publish", "--format", "json", "--at", "2026-06-30 10:05"],
            &[("TG_TOKEN", TG_TOKEN)],
        )
        .assert_code(0)
        .json();
    // The first message of the album, which carries the caption, is the post; the
    // ledger keeps every message of it, first first, so a retraction can delete them all.
    assert_eq!(report["rows"][0]["urls"][0], "https://t.me/city/51");
    assert!(
        repo.read("state/ledger.jsonl")
            .contains(r#""remote_id":"51,52""#)
    );
    let raw = server.raw();
    assert_eq!(raw.len(), 1, "one request for the whole album");
    assert_eq!(raw[0].path, format!("/bot{TG_TOKEN}/sendMediaGroup"));
    let boundary = raw[0]
        .content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{}", raw[0].content_type));
    let field = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    };
    let file = |name: &str, file: &str| {
        let mut part = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\r\n"
        )
        .into_bytes();
        part.extend_from_slice(TINY_PNG);
        part.extend_from_slice(b"\r\n");
        part
    };
    let mut expected = field("chat_id", "@city").into_bytes();
    expected.extend(
        field(
            "media",
            r#"[{"caption":"<b>Album &amp; co</b>\n\nTekst.","media":"attach://photo0","parse_mode":"HTML","type":"photo"},{"media":"attach://photo1","type":"photo"}]"#,
        )
        .into_bytes(),
    );
    expected.extend(file("photo0", "pic.png"));
    expected.extend(file("photo1", "second.png"));
    expected.extend(format!("--{boundary}--\r\n").into_bytes());
    assert_eq!(
        String::from_utf8_lossy(&raw[0].body),
        String::from_utf8_lossy(&expected)
    );
}

/// An announcement with a link and a summary, with `&` and `<` that Slack must escape.
const LINKED: &str = "---\ntitle: Tom & <Jerry>\nsummary: Kokkuvõte & rohkem\npublish_at: 2026-06-30 10:00\nchannels: [CHANNEL]\nlink: https://www.tartu.ee/et/uudised?a=1|2\n---\nTekst.\n";

/// Publishes [`LINKED`] on the channel `name` (`table` configures it, its webhook URL in
/// `var`): the dry run's first request body, and the body `server` received.
fn linked_post(server: &MockWebhook, table: &str, name: &str, var: &str) -> (String, String) {
    let repo = repo_with(table);
    repo.write("announcements/l.et.md", &LINKED.replace("CHANNEL", name));
    repo.approve("announcements/l.et.md");
    let url = server.url();
    let env = [(var, url.as_str())];
    let dry = repo
        .run_env(
            &[
                "publish",
                "--dry-run",
                "--format",
                "json",
                "--at",
                "2026-06-30 10:05",
            ],
            &env,
        )
        .assert_code(0)
        .json();
    repo.run_env(&["publish", "--at", "2026-06-30 10:05"], &env)
        .assert_code(0);
    let sent = String::from_utf8(server.raw()[0].body.clone()).unwrap();
    (dry["due"][0]["requests"][0]["body"].to_string(), sent)
}

#[test]
fn discord_shows_the_link_as_an_embed_exactly_as_the_dry_run_does() {
    let server = MockWebhook::start_with(discord_answer);
    let (planned, body) = linked_post(
        &server,
        "\n[channels.dc]\nkind = \"discord\"\nlang = \"et\"\nwebhook_url_env = \"DC_URL\"\n",
        "dc",
        "DC_URL",
    );
    assert_eq!(
        body,
        r#"{"allowed_mentions":{"parse":[]},"content":"Tom & <Jerry>\n\nTekst.\n\nhttps://www.tartu.ee/et/uudised?a=1|2","embeds":[{"description":"Kokkuvõte & rohkem","title":"Tom & <Jerry>","url":"https://www.tartu.ee/et/uudised?a=1|2"}]}"#
    );
    assert_eq!(planned, body);
}

#[test]
fn slack_shows_the_link_as_a_card_block_with_everything_escaped() {
    let server = MockWebhook::start();
    let (planned, body) = linked_post(
        &server,
        "\n[channels.sl]\nkind = \"slack\"\nlang = \"et\"\nwebhook_url_env = \"SL_URL\"\n",
        "sl",
        "SL_URL",
    );
    let text = r"Tom &amp; &lt;Jerry&gt;\n\nTekst.\n\nhttps://www.tartu.ee/et/uudised?a=1|2";
    assert_eq!(
        body,
        format!(
            r#"{{"blocks":[{{"text":{{"text":"{text}","type":"mrkdwn"}},"type":"section"}},{{"text":{{"text":"*<https://www.tartu.ee/et/uudised?a=1%7C2|Tom &amp; &lt;Jerry&gt;>*\nKokkuvõte &amp; rohkem","type":"mrkdwn"}},"type":"section"}}],"text":"{text}","unfurl_links":false}}"#
        )
    );
    assert_eq!(planned, body);
}

/// Mentions of every kind, as an announcement might carry them.
const MENTIONS: [&str; 4] = [
    "Kõik @everyone kokku",
    "Kas @here keegi on?",
    "Rollile <@&112233445566778899> ja",
    "inimesele <@998877665544332211> ja <@!998877665544332211>",
];

/// Publishes one announcement per entry of [`MENTIONS`] on a Discord channel configured
/// with `extra`; returns the dry run's bodies and the bodies the server received.
fn discord_mentions(extra: &str) -> (Vec<String>, Vec<String>) {
    let server = MockWebhook::start_with(discord_answer);
    let repo = repo_with(&format!(
        "\n[channels.dc]\nkind = \"discord\"\nlang = \"et\"\nwebhook_url_env = \"DC_URL\"\n{extra}"
    ));
    for (n, text) in MENTIONS.iter().enumerate() {
        let file = format!("announcements/m{n}.et.md");
        repo.write(
            &file,
            &format!(
                "---\ntitle: Teade {n}\npublish_at: 2026-06-30 10:00\nchannels: [dc]\n---\n{text}\n"
            ),
        );
        repo.approve(&file);
    }
    let url = server.url();
    let env = [("DC_URL", url.as_str())];
    let at = ["--at", "2026-06-30 10:05"];
    let dry = repo
        .run_env(
            &["publish", "--dry-run", "--format", "json", at[0], at[1]],
            &env,
        )
        .assert_code(0)
        .json();
    let planned = dry["due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["requests"][0]["body"].to_string())
        .collect();
    repo.run_env(&["publish", at[0], at[1]], &env)
        .assert_code(0);
    let mut sent: Vec<String> = server
        .raw()
        .into_iter()
        .map(|r| String::from_utf8(r.body).unwrap())
        .collect();
    sent.sort();
    (planned, sent)
}

#[test]
fn discord_mentions_never_ping_unless_the_channel_allows_them() {
    let expected = |parse: &str| -> Vec<String> {
        let mut bodies: Vec<String> = MENTIONS
            .iter()
            .enumerate()
            .map(|(n, text)| {
                format!(
                    r#"{{"allowed_mentions":{{"parse":{parse}}},"content":"Teade {n}\n\n{text}"}}"#
                )
            })
            .collect();
        bodies.sort();
        bodies
    };
    for (extra, parse) in [
        ("", "[]"),
        ("allow_pings = []\n", "[]"),
        (
            "allow_pings = [\"everyone\", \"roles\"]\n",
            r#"["roles","everyone"]"#,
        ),
        ("allow_pings = [\"users\", \"users\"]\n", r#"["users"]"#),
        (
            "allow_pings = [\"everyone\", \"users\", \"roles\"]\n",
            r#"["users","roles","everyone"]"#,
        ),
    ] {
        let (mut planned, sent) = discord_mentions(extra);
        planned.sort();
        assert_eq!(sent, expected(parse), "{extra}");
        assert_eq!(planned, sent, "{extra}");
    }
}

#[test]
fn discord_allow_pings_takes_only_the_kinds_discord_knows() {
    let repo = repo_with(
        "\n[channels.dc]\nkind = \"discord\"\nlang = \"et\"\nwebhook_url_env = \"DC_URL\"\nallow_pings = [\"here\"]\n",
    );
    let run = repo.run(&["check"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("unknown variant `here`, expected one of `users`, `roles`, `everyone`"),
        "{all}"
    );
}

/// Override texts are plain text on Telegram too: each reaches Telegram escaped for
/// HTML parse mode, exactly once, and is measured on what readers see.
#[test]
fn telegram_override_texts_are_plain_text_escaped_and_counted_as_shown() {
    let cases: [(&str, &str, usize); 5] = [
        ("R&D päev", "R&amp;D päev", 8),
        (
            "Kirjuta <pressi@tartu.ee>",
            "Kirjuta &lt;pressi@tartu.ee&gt;",
            25,
        ),
        (
            r#"<a href="https://evil.example">Tartu</a>"#,
            "&lt;a href&#x3D;&quot;https://evil.example&quot;&gt;Tartu&lt;/a&gt;",
            40,
        ),
        (
            "<b>ei ole paks</b> &amp; 1 < 2",
            "&lt;b&gt;ei ole paks&lt;/b&gt; &amp;amp; 1 &lt; 2",
            30,
        ),
        ("It's `kood`", "It&#x27;s &#x60;kood&#x60;", 11),
    ];
    for (text, sent, length) in cases {
        let server = MockWebhook::start_with(telegram_answer);
        let repo = repo_with(&format!(
            "\n[channels.tg]\nkind = \"telegram\"\nlang = \"et\"\nchat_id = \"@city\"\ntoken_env = \"TG_TOKEN\"\napi_url = \"{}\"\n",
            server.base()
        ));
        let yaml = serde_json::to_string(text).unwrap();
        repo.write(
            "announcements/o.et.md",
            &format!("---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [tg]\noverrides:\n  tg:\n    text: {yaml}\n---\nTekst.\n"),
        );
        repo.approve("announcements/o.et.md");
        let check = repo.json(&["check"], 0);
        let part = &check["announcements"][0]["posts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["channel"] == "tg")
            .unwrap()["parts"][0];
        assert_eq!(part["text"], sent, "{text}");
        assert_eq!(part["length"], length, "{text}");
        repo.run_env(
            &["publish", "--at", "2026-06-30 10:05"],
            &[("TG_TOKEN", TG_TOKEN)],
        )
        .assert_code(0);
        let body = String::from_utf8(server.raw()[0].body.clone()).unwrap();
        assert_eq!(
            body,
            format!(
                r#"{{"chat_id":"@city","parse_mode":"HTML","text":{}}}"#,
                serde_json::to_string(sent).unwrap()
            ),
            "{text}"
        );
    }
}

/// Over the limit is judged on the visible text, not on the escaped bytes or on what an
/// HTML reader would drop as a tag.
#[test]
fn telegram_override_length_is_the_visible_length() {
    for (text, parts) in [
        // 4,000 ampersands: 20,000 bytes escaped, 4,000 characters shown: one message.
        ("&".repeat(4000), 1),
        // Text in angle brackets is shown, so it counts: over 4,096, two messages.
        (format!("<{}>", "a ".repeat(2100)), 2),
    ] {
        let repo = repo_with(
            "\n[channels.tg]\nkind = \"telegram\"\nlang = \"et\"\nchat_id = \"@city\"\ntoken_env = \"TG_TOKEN\"\n",
        );
        repo.write(
            "announcements/o.et.md",
            &format!("---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [tg]\noverrides:\n  tg:\n    text: {}\n---\nTekst.\n", serde_json::to_string(&text).unwrap()),
        );
        let check = repo.json(&["check"], 0);
        let post = check["announcements"][0]["posts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["channel"] == "tg")
            .unwrap()
            .clone();
        let got = post["parts"].as_array().unwrap();
        assert_eq!(got.len(), parts, "{post}");
        for part in got {
            assert!(part["length"].as_u64().unwrap() <= 4096, "{part}");
        }
    }
}
