//! Corrections and retractions on Telegram and Discord: each against a loopback server
//! that keeps the chat's messages and answers edits and deletes as the documented APIs
//! do ("message is not modified", "message to delete not found", 204, 404).

use crate::harness::{Repo, TINY_PNG};
use crate::mock_webhook::{MockWebhook, Raw, Reply};
use crate::webhooks::TG_TOKEN;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A message in the Telegram mock's channel.
#[derive(Debug, Clone, PartialEq)]
enum Message {
    Text(String),
    /// A photo, with its caption (unknown when it came in a multipart body).
    Photo(Option<String>),
}

/// A Telegram channel `@city` behind a Bot API mock: messages get ids from 41 on.
struct Telegram {
    server: MockWebhook,
    chat: Arc<Mutex<BTreeMap<i64, Message>>>,
}

fn bad_request(description: &str) -> Reply {
    (
        400,
        "application/json",
        json!({ "ok": false, "error_code": 400, "description": description }).to_string(),
    )
}

fn ok(result: Value) -> Reply {
    (
        200,
        "application/json",
        json!({ "ok": true, "result": result }).to_string(),
    )
}

/// The Bot API Message object of `id`.
fn tg_message(id: i64, m: &Message, edited: bool) -> Value {
    let mut v = json!({
        "message_id": id,
        "chat": { "id": -100, "username": "city", "type": "channel" },
        "date": 1782802800,
    });
    match m {
        Message::Text(t) => v["text"] = json!(t),
        Message::Photo(caption) => {
            v["photo"] =
                json!([{ "file_id": "AgAD", "file_unique_id": "AQAD", "width": 1, "height": 1 }]);
            if let Some(c) = caption {
                v["caption"] = json!(c);
            }
        }
    }
    if edited {
        v["edit_date"] = json!(1782810000);
    }
    v
}

/// The text field `name` of a multipart body.
fn form_field(raw: &Raw, name: &str) -> Option<String> {
    let text = raw.text();
    let header = format!("name=\"{name}\"\r\n\r\n");
    let start = text.find(&header)? + header.len();
    let end = text[start..].find("\r\n--")? + start;
    Some(text[start..end].to_owned())
}

impl Telegram {
    fn start() -> Telegram {
        let chat: Arc<Mutex<BTreeMap<i64, Message>>> = Arc::default();
        let messages = chat.clone();
        // Ids are never given twice, as in a real channel.
        let ids = std::sync::atomic::AtomicI64::new(41);
        let server = MockWebhook::answering(move |_, raw| {
            let mut chat = messages.lock().unwrap();
            let method = raw.path.rsplit('/').next().unwrap_or_default().to_owned();
            let body: Value = serde_json::from_slice(&raw.body).unwrap_or(Value::Null);
            let next = || ids.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            match method.as_str() {
                "sendMessage" => {
                    let id = next();
                    let m = Message::Text(body["text"].as_str().unwrap_or_default().into());
                    let reply = ok(tg_message(id, &m, false));
                    chat.insert(id, m);
                    reply
                }
                "sendPhoto" => {
                    let id = next();
                    let m = Message::Photo(form_field(raw, "caption"));
                    let reply = ok(tg_message(id, &m, false));
                    chat.insert(id, m);
                    reply
                }
                "sendMediaGroup" => {
                    let photos = raw.text().matches("attach://photo").count();
                    let album: Vec<Value> = (0..photos)
                        .map(|_| {
                            let id = next();
                            let m = Message::Photo(None);
                            let mut v = tg_message(id, &m, false);
                            v["media_group_id"] = json!("9");
                            chat.insert(id, m);
                            v
                        })
                        .collect();
                    ok(Value::Array(album))
                }
                "editMessageText" | "editMessageCaption" | "editMessageMedia" => {
                    let id = body["message_id"]
                        .as_i64()
                        .or_else(|| form_field(raw, "message_id").and_then(|v| v.parse().ok()));
                    let Some(current) = id.and_then(|id| chat.get(&id).cloned()) else {
                        return bad_request("Bad Request: message to edit not found");
                    };
                    let new = match (method.as_str(), &current) {
                        ("editMessageText", Message::Text(_)) => {
                            Message::Text(body["text"].as_str().unwrap_or_default().into())
                        }
                        ("editMessageText", Message::Photo(_)) => {
                            return bad_request(
                                "Bad Request: there is no text in the message to edit",
                            );
                        }
                        ("editMessageCaption", Message::Photo(_)) => {
                            Message::Photo(body["caption"].as_str().map(str::to_owned))
                        }
                        ("editMessageMedia", Message::Photo(_)) => {
                            let media: Value = form_field(raw, "media")
                                .and_then(|m| serde_json::from_str(&m).ok())
                                .unwrap_or_default();
                            Message::Photo(media["caption"].as_str().map(str::to_owned))
                        }
                        _ => {
                            return bad_request(
                                "Bad Request: there is no caption in the message to edit",
                            );
                        }
                    };
                    if new == current && method != "editMessageMedia" {
                        return bad_request(
                            "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
                        );
                    }
                    let id = id.unwrap();
                    let reply = ok(tg_message(id, &new, true));
                    chat.insert(id, new);
                    reply
                }
                "deleteMessage" => {
                    match body["message_id"].as_i64().and_then(|id| chat.remove(&id)) {
                        Some(_) => ok(json!(true)),
                        None => bad_request("Bad Request: message to delete not found"),
                    }
                }
                "deleteMessages" => {
                    // "If some of the specified messages can't be found, they are skipped."
                    for id in body["message_ids"].as_array().into_iter().flatten() {
                        chat.remove(&id.as_i64().unwrap_or_default());
                    }
                    ok(json!(true))
                }
                other => bad_request(&format!("Not Found: method {other} not found")),
            }
        });
        Telegram { server, chat }
    }

    fn config(&self) -> String {
        format!(
            "\n[channels.tg]\nkind = \"telegram\"\nlang = \"et\"\nchat_id = \"@city\"\ntoken_env = \"TG_TOKEN\"\napi_url = \"{}\"\n",
            self.server.base()
        )
    }

    /// The messages in the channel now.
    fn messages(&self) -> BTreeMap<i64, Message> {
        self.chat.lock().unwrap().clone()
    }

    /// `(Bot API method, body as text)` of every request, in order.
    fn calls(&self) -> Vec<(String, String)> {
        self.server
            .raw()
            .iter()
            .map(|r| {
                assert!(
                    r.path.starts_with(&format!("/bot{TG_TOKEN}/")),
                    "{}",
                    r.path
                );
                (r.path.rsplit('/').next().unwrap().to_owned(), r.text())
            })
            .collect()
    }
}

fn repo_with(config: &str) -> Repo {
    let repo = Repo::with_config(config);
    std::fs::write(repo.path().join("announcements/pic.png"), TINY_PNG).unwrap();
    std::fs::write(repo.path().join("announcements/second.png"), TINY_PNG).unwrap();
    repo
}

const TG_ENV: [(&str, &str); 1] = [("TG_TOKEN", TG_TOKEN)];

/// An album's later parts answer its first message, the one with the caption, though
/// the ledger keeps every message of the album.
#[test]
fn a_thread_after_an_album_replies_to_the_albums_first_message() {
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    let long = "Tartu linn kutsub kõiki elanikke ja külalisi osalema. ".repeat(30);
    repo.write(
        "announcements/a.et.md",
        &format!("---\ntitle: Album\npublish_at: 2026-06-30 10:00\nchannels: [tg]\nimages:\n  - path: announcements/pic.png\n    alt: Raekoda\n  - path: announcements/second.png\n    alt: Emajõgi\n---\n{long}\n"),
    );
    repo.approve("announcements/a.et.md");
    repo.run_env(&["publish", "--at", "2026-06-30 10:05"], &TG_ENV)
        .assert_code(0);
    let calls = tg.calls();
    assert_eq!(calls[0].0, "sendMediaGroup");
    assert_eq!(calls[1].0, "sendMessage");
    let reply: Value = serde_json::from_str(&calls[1].1).unwrap();
    assert_eq!(
        reply["reply_parameters"],
        json!({ "message_id": 41 }),
        "{reply}"
    );
    assert!(tg.server.raw().iter().all(|r| r.method == "POST"));
    assert_eq!(tg.messages().len(), 3, "two photos and the text");
    let ledger = repo.read("state/ledger.jsonl");
    assert!(ledger.contains(r#""remote_id":"41,42""#), "{ledger}");
    assert!(ledger.contains(r#""remote_id":"43""#), "{ledger}");
}

/// `check` names, for a policy a kind cannot follow, only the policies it can: a Slack
/// webhook's posts can be neither answered nor deleted, Discord's webhook cannot reply.
#[test]
fn check_offers_only_the_correction_policies_each_webhook_can_follow() {
    for (kind, extra, policy, says) in [
        (
            "slack",
            "webhook_url_env = \"SL_URL\"",
            "notice",
            "`notice` is for email lists; a Slack channel takes `none`",
        ),
        (
            "slack",
            "webhook_url_env = \"SL_URL\"",
            "reply",
            "Slack posts cannot be answered by Herald; use `none`",
        ),
        (
            "slack",
            "webhook_url_env = \"SL_URL\"",
            "repost",
            "Slack posts cannot be deleted, so they cannot be posted again; use `none`",
        ),
        (
            "discord",
            "webhook_url_env = \"DC_URL\"",
            "notice",
            "`notice` is for email lists; a Discord channel takes `repost` or `none`",
        ),
        (
            "telegram",
            "chat_id = \"@city\"\ntoken_env = \"TG_TOKEN\"",
            "notice",
            "`notice` is for email lists; a Telegram channel takes `reply`, `repost` or `none`",
        ),
    ] {
        let repo = Repo::with_config(&format!(
            "\n[channels.hook]\nkind = \"{kind}\"\nlang = \"et\"\n{extra}\ncorrection = \"{policy}\"\n"
        ));
        let run = repo.run(&["check"]);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert_eq!(run.code, 2, "{kind} {policy}: {all}");
        assert!(all.contains(says), "{kind} {policy}: {all}");
    }
    // Without `correction`, a Slack channel reports a change and changes nothing: valid.
    let repo = Repo::with_config(
        "\n[channels.hook]\nkind = \"slack\"\nlang = \"et\"\nwebhook_url_env = \"SL_URL\"\n",
    );
    repo.run(&["check"]).assert_code(0);
}

/// A Discord webhook behind a mock: executing it creates messages with ids from
/// 120000000000000000 on; `PATCH` and `DELETE` on `/messages/{id}` answer as Discord's
/// documentation says (the message, 204, 404 Unknown Message).
struct Discord {
    server: MockWebhook,
    messages: Arc<Mutex<BTreeMap<String, Value>>>,
}

impl Discord {
    fn start() -> Discord {
        let messages: Arc<Mutex<BTreeMap<String, Value>>> = Arc::default();
        let kept = messages.clone();
        let server = MockWebhook::answering(move |n, raw| {
            let mut kept = kept.lock().unwrap();
            let path = raw.path.split('?').next().unwrap_or_default();
            let unknown = (
                404,
                "application/json",
                r#"{"message": "Unknown Message", "code": 10008}"#.to_owned(),
            );
            match (raw.method.as_str(), path.split_once("/messages/")) {
                ("POST", None) => {
                    let id = format!("12000000000000000{n}");
                    let mut message: Value = serde_json::from_slice(&raw.body).unwrap_or_default();
                    message["id"] = json!(id);
                    message["channel_id"] = json!("99");
                    kept.insert(id, message.clone());
                    (200, "application/json", message.to_string())
                }
                ("PATCH", Some((_, id))) => match kept.get_mut(id) {
                    Some(message) => {
                        let patch: Value = serde_json::from_slice(&raw.body).unwrap_or_default();
                        for (k, v) in patch.as_object().into_iter().flatten() {
                            message[k] = v.clone();
                        }
                        message["edited_timestamp"] = json!("2026-06-30T07:30:00.000000+00:00");
                        (200, "application/json", message.to_string())
                    }
                    None => unknown,
                },
                ("DELETE", Some((_, id))) => match kept.remove(id) {
                    Some(_) => (204, "application/json", String::new()),
                    None => unknown,
                },
                _ => (
                    405,
                    "application/json",
                    r#"{"message": "405: Method Not Allowed", "code": 0}"#.into(),
                ),
            }
        });
        Discord { server, messages }
    }

    fn config() -> &'static str {
        "\n[channels.dc]\nkind = \"discord\"\nlang = \"et\"\nwebhook_url_env = \"DC_URL\"\nusername = \"Tartu\"\n"
    }

    fn env(&self) -> [(&'static str, String); 1] {
        [("DC_URL", self.server.url())]
    }

    /// `(method, path, body)` of every request, in order.
    fn calls(&self) -> Vec<(String, String, String)> {
        self.server
            .raw()
            .iter()
            .map(|r| (r.method.clone(), r.path.clone(), r.text()))
            .collect()
    }
}

/// Every request the dry run shows, wherever its report lists them.
fn shown_requests(dry: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("requests", Value::Array(requests)) => {
                            out.extend(requests.iter().cloned())
                        }
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(dry, &mut out);
    out
}

const T1: &str = "2026-06-30 10:05";
const T2: &str = "2026-06-30 10:30";
const T3: &str = "2026-06-30 11:00";

/// An announcement on `channel`, with `extra` front matter and `body`.
fn announcement(channel: &str, extra: &str, body: &str) -> String {
    format!(
        "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [{channel}]\n{extra}---\n{body}\n"
    )
}

/// Writes `text` as `announcements/a.et.md` and approves it.
fn approve(repo: &Repo, text: &str) {
    repo.write("announcements/a.et.md", text);
    repo.approve("announcements/a.et.md");
}

fn publish(repo: &Repo, at: &str, env: &[(&str, &str)]) -> crate::harness::Run {
    repo.run_env(&["publish", "--format", "json", "--at", at], env)
}

fn dry_run(repo: &Repo, at: &str) -> Vec<Value> {
    let dry = repo
        .run(&["publish", "--dry-run", "--format", "json", "--at", at])
        .assert_code(0)
        .json();
    shown_requests(&dry)
}

#[test]
fn a_telegram_correction_edits_the_text_in_place_exactly_as_the_dry_run_shows() {
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", "", "Tekst & kõik."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", "", "Parandatud tekst & kõik."));
    let shown = dry_run(&repo, T2);
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(
        shown[0]["action"],
        format!("POST {}/bot$TG_TOKEN/editMessageText", tg.server.base())
    );
    let run = publish(&repo, T2, &TG_ENV);
    run.assert_code(0);
    let calls = tg.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls[1].0, "editMessageText");
    assert_eq!(
        calls[1].1,
        r#"{"chat_id":"@city","message_id":41,"parse_mode":"HTML","text":"<b>Uudis</b>\n\nParandatud tekst &amp; kõik."}"#
    );
    assert_eq!(shown[0]["body"].to_string(), calls[1].1);
    assert_eq!(
        tg.messages()[&41],
        Message::Text("<b>Uudis</b>\n\nParandatud tekst &amp; kõik.".into())
    );
    // Done once: the next run sends nothing.
    publish(&repo, T3, &TG_ENV).assert_code(0);
    assert_eq!(tg.calls().len(), 2);
    let ledger = repo.read("state/ledger.jsonl");
    assert!(ledger.contains(r#""action":"edit""#), "{ledger}");
    for text in [&run.stdout, &run.stderr, &ledger] {
        assert!(!text.contains(TG_TOKEN));
    }
}

/// An edit that reached Telegram but whose answer was lost is made again; Telegram then
/// says the message is not modified, which is the edit done.
#[test]
fn a_telegram_edit_made_twice_is_done_when_telegram_says_not_modified() {
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", "", "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    // The message already says the corrected text.
    tg.chat.lock().unwrap().insert(
        41,
        Message::Text("<b>Uudis</b>\n\nParandatud tekst.".into()),
    );
    approve(&repo, &announcement("tg", "", "Parandatud tekst."));
    let run = publish(&repo, T2, &TG_ENV);
    run.assert_code(0);
    let calls = tg.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(
        calls[1],
        (
            "editMessageText".to_owned(),
            r#"{"chat_id":"@city","message_id":41,"parse_mode":"HTML","text":"<b>Uudis</b>\n\nParandatud tekst."}"#.to_owned()
        )
    );
    publish(&repo, T3, &TG_ENV).assert_code(0);
    assert_eq!(tg.calls().len(), 2, "not made a third time");
    assert!(!run.stdout.contains("not modified"), "{}", run.stdout);
}

/// A photo's caption and photo change together (`editMessageMedia`); an album recorded
/// by its first message only (a ledger from before Herald kept every id) gets its
/// caption changed (`editMessageCaption`).
#[test]
fn a_telegram_photo_is_edited_with_its_caption_and_an_old_album_by_its_caption() {
    let images = "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n";
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", images, "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", images, "Parandatud."));
    let shown = dry_run(&repo, T2);
    publish(&repo, T2, &TG_ENV).assert_code(0);
    let raw = tg.server.raw();
    assert_eq!(raw.len(), 2);
    assert_eq!(raw[1].path, format!("/bot{TG_TOKEN}/editMessageMedia"));
    let boundary = raw[1]
        .content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    let field = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    };
    let mut expected = field("chat_id", "@city").into_bytes();
    expected.extend(field("message_id", "41").into_bytes());
    expected.extend(
        field(
            "media",
            r#"{"caption":"<b>Uudis</b>\n\nParandatud.","media":"attach://photo","parse_mode":"HTML","type":"photo"}"#,
        )
        .into_bytes(),
    );
    expected.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"pic.png\"\r\n\r\n").into_bytes(),
    );
    expected.extend_from_slice(TINY_PNG);
    expected.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    assert_eq!(raw[1].text(), String::from_utf8_lossy(&expected));
    assert_eq!(
        shown,
        [json!({
            "action": format!("POST {}/bot$TG_TOKEN/editMessageMedia", tg.server.base()),
            "body": {
                "chat_id": "@city",
                "message_id": 41,
                "media": { "caption": "<b>Uudis</b>\n\nParandatud.", "media": "attach://photo", "parse_mode": "HTML", "type": "photo" },
                "photo": "announcements/pic.png",
            },
        })]
    );

    // An album whose ledger names its first message alone.
    let album = "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n  - path: announcements/second.png\n    alt: Emajõgi\n";
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", album, "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    let ledger = repo.read("state/ledger.jsonl");
    assert!(ledger.contains(r#""remote_id":"41,42""#), "{ledger}");
    repo.write(
        "state/ledger.jsonl",
        &ledger.replace(r#""remote_id":"41,42""#, r#""remote_id":"41""#),
    );
    approve(&repo, &announcement("tg", album, "Parandatud."));
    publish(&repo, T2, &TG_ENV).assert_code(0);
    let calls = tg.calls();
    assert_eq!(
        calls[1],
        (
            "editMessageCaption".to_owned(),
            r#"{"caption":"<b>Uudis</b>\n\nParandatud.","chat_id":"@city","message_id":41,"parse_mode":"HTML"}"#.to_owned()
        )
    );
    assert_eq!(
        tg.messages()[&41],
        Message::Photo(Some("<b>Uudis</b>\n\nParandatud.".into()))
    );
}

#[test]
fn a_telegram_retraction_deletes_the_message_or_the_whole_album() {
    let retract = "retract: \"Üritus jääb ära\"\n";
    let album = "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n  - path: announcements/second.png\n    alt: Emajõgi\n";
    for (images, method, body) in [
        (
            "",
            "deleteMessage",
            r#"{"chat_id":"@city","message_id":41}"#,
        ),
        (
            album,
            "deleteMessages",
            r#"{"chat_id":"@city","message_ids":[41,42]}"#,
        ),
    ] {
        let tg = Telegram::start();
        let repo = repo_with(&tg.config());
        approve(&repo, &announcement("tg", images, "Tekst."));
        publish(&repo, T1, &TG_ENV).assert_code(0);
        approve(
            &repo,
            &announcement("tg", &format!("{images}{retract}"), "Tekst."),
        );
        let shown = dry_run(&repo, T2);
        publish(&repo, T2, &TG_ENV).assert_code(0);
        let calls = tg.calls();
        assert_eq!(calls.len(), 2, "{calls:#?}");
        assert_eq!(calls[1], (method.to_owned(), body.to_owned()));
        assert_eq!(shown.len(), 1, "{shown:#?}");
        assert_eq!(
            shown[0]["action"],
            format!("POST {}/bot$TG_TOKEN/{method}", tg.server.base())
        );
        assert_eq!(shown[0]["body"].to_string(), body);
        assert_eq!(tg.messages(), BTreeMap::new(), "the channel is empty");
        publish(&repo, T3, &TG_ENV).assert_code(0);
        assert_eq!(tg.calls().len(), 2, "deleted once");
    }
}

/// A message someone deleted by hand (or a delete whose answer was lost) is deleted.
#[test]
fn a_telegram_message_already_gone_is_deleted() {
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", "", "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    tg.chat.lock().unwrap().clear();
    approve(&repo, &announcement("tg", "retract: \"Viga\"\n", "Tekst."));
    publish(&repo, T2, &TG_ENV).assert_code(0);
    assert_eq!(tg.calls()[1].0, "deleteMessage");
    publish(&repo, T3, &TG_ENV).assert_code(0);
    assert_eq!(tg.calls().len(), 2, "deleted once");
}

/// Telegram deletes only within 48 hours: later, nothing is sent and the report gives
/// the post's address, for a person to act.
#[test]
fn a_telegram_post_older_than_48_hours_is_not_deleted_but_reported_with_its_address() {
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", "", "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", "retract: \"Viga\"\n", "Tekst."));
    assert_eq!(dry_run(&repo, "2026-07-02 10:06"), Vec::<Value>::new());
    let run = repo.run_env(&["publish", "--at", "2026-07-02 10:06"], &TG_ENV);
    assert_eq!(tg.calls().len(), 1, "no delete was sent");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("https://t.me/city/41"), "{all}");
    assert_eq!(tg.messages().len(), 1);
}

#[test]
fn a_telegram_album_cannot_be_edited_into_another_number_of_photos() {
    let album = "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n  - path: announcements/second.png\n    alt: Emajõgi\n";
    let one = "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n";
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", album, "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", one, "Tekst."));
    let run = repo.run_env(&["publish", "--at", T2], &TG_ENV);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        !tg.calls().iter().any(|(m, _)| m.starts_with("edit")),
        "{:#?}",
        tg.calls()
    );
    assert!(
        all.contains(
            "the post on Telegram is an album of 2 photos and the correction has one photo"
        ),
        "{all}"
    );
}

#[test]
fn a_discord_correction_patches_the_message_exactly_as_the_dry_run_shows() {
    let dc = Discord::start();
    let repo = repo_with(Discord::config());
    let env = dc.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    approve(
        &repo,
        &announcement("dc", "link: https://www.tartu.ee/a\n", "Tekst @everyone."),
    );
    publish(&repo, T1, &env).assert_code(0);
    approve(&repo, &announcement("dc", "", "Parandatud @everyone."));
    let shown = dry_run(&repo, T2);
    publish(&repo, T2, &env).assert_code(0);
    let calls = dc.calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    let (method, path, body) = &calls[1];
    assert_eq!(method, "PATCH");
    assert_eq!(
        path,
        "/services/T000/B000/secret/messages/120000000000000000"
    );
    // The same mentions rule as sending; the link's embed goes, as it went from the text.
    assert_eq!(
        body,
        r#"{"allowed_mentions":{"parse":[]},"attachments":[],"content":"Uudis\n\nParandatud @everyone.","embeds":[]}"#
    );
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(
        shown[0]["action"],
        "PATCH $DC_URL/messages/120000000000000000"
    );
    assert_eq!(&shown[0]["body"].to_string(), body);
    assert_eq!(
        dc.messages.lock().unwrap()["120000000000000000"]["content"],
        "Uudis\n\nParandatud @everyone."
    );
    publish(&repo, T3, &env).assert_code(0);
    assert_eq!(dc.calls().len(), 2, "edited once");
}

#[test]
fn a_discord_retraction_deletes_the_message_and_one_already_gone_is_deleted() {
    for gone in [false, true] {
        let dc = Discord::start();
        let repo = repo_with(Discord::config());
        let env = dc.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        approve(&repo, &announcement("dc", "", "Tekst."));
        publish(&repo, T1, &env).assert_code(0);
        if gone {
            dc.messages.lock().unwrap().clear();
        }
        approve(&repo, &announcement("dc", "retract: \"Viga\"\n", "Tekst."));
        let shown = dry_run(&repo, T2);
        assert_eq!(
            shown,
            [json!({ "action": "DELETE $DC_URL/messages/120000000000000000", "body": null })]
        );
        let run = publish(&repo, T2, &env);
        run.assert_code(0);
        let calls = dc.calls();
        assert_eq!(
            (
                calls[1].0.as_str(),
                calls[1].1.as_str(),
                calls[1].2.as_str()
            ),
            (
                "DELETE",
                "/services/T000/B000/secret/messages/120000000000000000",
                ""
            )
        );
        assert!(dc.messages.lock().unwrap().is_empty());
        publish(&repo, T3, &env).assert_code(0);
        assert_eq!(dc.calls().len(), 2, "deleted once");
        let ledger = repo.read("state/ledger.jsonl");
        for text in [&run.stdout, &run.stderr, &ledger] {
            assert!(!text.contains("/services/T000/B000/secret"), "{text}");
        }
    }
}

/// A message with an image: the edit lists the part's images as the only attachments
/// and uploads them again, so the message keeps no file the correction does not have.
#[test]
fn a_discord_edit_with_an_image_uploads_it_as_the_only_attachment() {
    let dc = Discord::start();
    let repo = repo_with(Discord::config());
    let env = dc.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n";
    let second = "images:\n  - path: announcements/second.png\n    alt: Emajõgi\n";
    approve(&repo, &announcement("dc", first, "Tekst."));
    publish(&repo, T1, &env).assert_code(0);
    approve(&repo, &announcement("dc", second, "Tekst."));
    let shown = dry_run(&repo, T2);
    publish(&repo, T2, &env).assert_code(0);
    let raw = dc.server.raw();
    assert_eq!(raw.len(), 2);
    assert_eq!(raw[1].method, "PATCH");
    let payload = r#"{"allowed_mentions":{"parse":[]},"attachments":[{"description":"Emajõgi","filename":"second.png","id":0}],"content":"Uudis\n\nTekst.","embeds":[]}"#;
    let boundary = raw[1]
        .content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    let mut expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{payload}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"second.png\"\r\n\r\n"
    )
    .into_bytes();
    expected.extend_from_slice(TINY_PNG);
    expected.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    assert_eq!(raw[1].text(), String::from_utf8_lossy(&expected));
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(shown[0]["body"].to_string(), payload);
}

/// A thread is corrected as a whole: a thread that got shorter has its first message
/// edited and the message it lost deleted; one that got longer has the new part answer
/// the one before it.
#[test]
fn a_telegram_thread_that_changes_length_is_edited_and_shortened_or_continued() {
    let long = "Tartu linn kutsub kõiki elanikke ja külalisi osalema. ".repeat(90);
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", "", &long));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    assert_eq!(tg.messages().len(), 2, "a thread of two");
    approve(&repo, &announcement("tg", "", "Lühike."));
    let shown = dry_run(&repo, T2);
    publish(&repo, T2, &TG_ENV).assert_code(0);
    let calls: Vec<(String, String)> = tg.calls().into_iter().skip(2).collect();
    let mut expected = vec![
        (
            "editMessageText".to_owned(),
            r#"{"chat_id":"@city","message_id":41,"parse_mode":"HTML","text":"<b>Uudis</b>\n\nLühike."}"#.to_owned(),
        ),
        (
            "deleteMessage".to_owned(),
            r#"{"chat_id":"@city","message_id":42}"#.to_owned(),
        ),
    ];
    let mut sorted = calls.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected);
    let mut planned: Vec<String> = shown.iter().map(|r| r["body"].to_string()).collect();
    let mut sent: Vec<String> = calls.iter().map(|(_, body)| body.clone()).collect();
    planned.sort();
    sent.sort();
    assert_eq!(planned, sent);
    assert_eq!(
        tg.messages().into_iter().collect::<Vec<_>>(),
        [(41, Message::Text("<b>Uudis</b>\n\nLühike.".into()))]
    );

    // Longer again: the first message is edited, a second answers it.
    approve(&repo, &announcement("tg", "", &long));
    publish(&repo, T3, &TG_ENV).assert_code(0);
    let calls: Vec<(String, String)> = tg.calls().into_iter().skip(4).collect();
    let methods: Vec<&str> = calls.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(methods, ["editMessageText", "sendMessage"], "{calls:#?}");
    let reply: Value = serde_json::from_str(&calls[1].1).unwrap();
    assert_eq!(reply["reply_parameters"], json!({ "message_id": 41 }));
    assert_eq!(tg.messages().keys().copied().collect::<Vec<_>>(), [41, 43]);
}

/// The steps the dry run plans for the one change due at `at`: `(action, why)`.
fn dry_steps(repo: &Repo, at: &str) -> Vec<(String, Option<String>)> {
    let dry = repo
        .run(&["publish", "--dry-run", "--format", "json", "--at", at])
        .assert_code(0)
        .json();
    let changes = dry["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{dry:#}");
    changes[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap().to_owned(),
                s["why"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

const ONE_PHOTO: &str = "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n";
const TWO_PHOTOS: &str = "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n  - path: announcements/second.png\n    alt: Emajõgi\n";

/// A photo that gains a second one (`correction` not set: `none`): the caption is
/// edited in place, the photo stays, and the note says what stayed and where.
#[test]
fn a_telegram_photo_that_gains_a_photo_gets_its_caption_edited_and_a_note() {
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", ONE_PHOTO, "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", TWO_PHOTOS, "Parandatud."));
    let note = "the number of photos of the post on `tg` cannot be changed by an edit (the post on Telegram is a message with one photo and the correction has 2 photos; Telegram cannot add photos to a message or an album, take them out, or turn a text message into a photo message or back), so it stays as it was (the text is edited); change it by hand: https://t.me/city/41, or set `correction = \"reply\"` or `correction = \"repost\"`";
    assert_eq!(
        dry_steps(&repo, T2),
        [
            ("edit".to_owned(), None),
            ("leave".to_owned(), Some(note.to_owned()))
        ]
    );
    let shown = dry_run(&repo, T2);
    let report = publish(&repo, T2, &TG_ENV).assert_code(0).json();
    let calls = tg.calls();
    let caption = r#"{"caption":"<b>Uudis</b>\n\nParandatud.","chat_id":"@city","message_id":41,"parse_mode":"HTML"}"#;
    assert_eq!(
        calls[1..],
        [("editMessageCaption".to_owned(), caption.to_owned())]
    );
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(shown[0]["body"].to_string(), caption);
    assert_eq!(
        tg.messages().into_iter().collect::<Vec<_>>(),
        [(
            41,
            Message::Photo(Some("<b>Uudis</b>\n\nParandatud.".into()))
        )]
    );
    assert_eq!(report["rows"][0]["result"], "corrected", "{report:#}");
    assert_eq!(
        report["rows"][0]["detail"],
        format!("edit the post (41); {note}")
    );
    // Done: the next run sends nothing and plans nothing.
    publish(&repo, T3, &TG_ENV).assert_code(0);
    assert_eq!(tg.calls().len(), 2);
    let dry = repo
        .run(&["publish", "--dry-run", "--format", "json", "--at", T3])
        .assert_code(0)
        .json();
    assert_eq!(dry["changes"].as_array().map_or(0, Vec::len), 0, "{dry:#}");
}

/// The same change with `correction = "repost"`: the message goes and the album is
/// posted in its place.
#[test]
fn a_telegram_photo_that_gains_a_photo_is_reposted_with_repost() {
    let tg = Telegram::start();
    let repo = repo_with(&format!("{}correction = \"repost\"\n", tg.config()));
    approve(&repo, &announcement("tg", ONE_PHOTO, "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", TWO_PHOTOS, "Parandatud."));
    assert_eq!(
        dry_steps(&repo, T2),
        [("delete".to_owned(), None), ("repost".to_owned(), None)]
    );
    publish(&repo, T2, &TG_ENV).assert_code(0);
    let calls = tg.calls();
    let methods: Vec<&str> = calls.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(methods, ["sendPhoto", "deleteMessage", "sendMediaGroup"]);
    assert_eq!(calls[1].1, r#"{"chat_id":"@city","message_id":41}"#);
    assert_eq!(calls[2].1.matches("attach://photo").count(), 2);
    assert_eq!(tg.messages().keys().copied().collect::<Vec<_>>(), [42, 43]);
    publish(&repo, T3, &TG_ENV).assert_code(0);
    assert_eq!(tg.calls().len(), 3, "reposted once");
}

/// An album of two that keeps one photo and changes its text: the caption of its first
/// message is edited (both photos stay), with a note.
#[test]
fn a_telegram_album_that_loses_a_photo_gets_its_caption_edited_and_a_note() {
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", TWO_PHOTOS, "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", ONE_PHOTO, "Parandatud."));
    let steps = dry_steps(&repo, T2);
    assert_eq!(steps[0], ("edit".to_owned(), None));
    assert_eq!(steps[1].0, "leave");
    assert!(
        steps[1].1.as_deref().unwrap().starts_with(
            "the number of photos of the post on `tg` cannot be changed by an edit (the post on Telegram is an album of 2 photos and the correction has one photo;"
        ),
        "{steps:?}"
    );
    publish(&repo, T2, &TG_ENV).assert_code(0);
    let calls = tg.calls();
    assert_eq!(
        calls[1..],
        [(
            "editMessageCaption".to_owned(),
            r#"{"caption":"<b>Uudis</b>\n\nParandatud.","chat_id":"@city","message_id":41,"parse_mode":"HTML"}"#.to_owned()
        )]
    );
    assert_eq!(tg.messages().len(), 2, "both photos stay");
}

/// A text message that gets a photo: the text is edited, the photo cannot be added;
/// with `reply`, a correction notice answers the message instead and nothing is edited.
#[test]
fn a_telegram_text_message_that_gets_a_photo_is_edited_with_a_note_or_answered_with_reply() {
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", "", "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", ONE_PHOTO, "Parandatud."));
    let steps = dry_steps(&repo, T2);
    assert_eq!(
        steps,
        [
            ("edit".to_owned(), None),
            (
                "leave".to_owned(),
                Some("the photo of the post on `tg` cannot be changed by an edit (the post on Telegram is a text message and the correction has one photo; Telegram cannot add photos to a message or an album, take them out, or turn a text message into a photo message or back), so it stays as it was (the text is edited); change it by hand: https://t.me/city/41, or set `correction = \"reply\"` or `correction = \"repost\"`".to_owned())
            )
        ]
    );
    publish(&repo, T2, &TG_ENV).assert_code(0);
    assert_eq!(
        tg.calls()[1..],
        [(
            "editMessageText".to_owned(),
            r#"{"chat_id":"@city","message_id":41,"parse_mode":"HTML","text":"<b>Uudis</b>\n\nParandatud."}"#.to_owned()
        )]
    );

    let tg = Telegram::start();
    let repo = repo_with(&format!("{}correction = \"reply\"\n", tg.config()));
    approve(&repo, &announcement("tg", "", "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", ONE_PHOTO, "Parandatud."));
    assert_eq!(dry_steps(&repo, T2), [("notice".to_owned(), None)]);
    let shown = dry_run(&repo, T2);
    publish(&repo, T2, &TG_ENV).assert_code(0);
    let calls = tg.calls();
    let methods: Vec<&str> = calls.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(methods, ["sendMessage", "sendMessage"], "{calls:#?}");
    assert_eq!(shown.len(), 1, "{shown:#?}");
    assert_eq!(shown[0]["body"].to_string(), calls[1].1);
    let notice: Value = serde_json::from_str(&calls[1].1).unwrap();
    assert_eq!(notice["reply_parameters"], json!({ "message_id": 41 }));
    assert_eq!(
        tg.messages()[&41],
        Message::Text("<b>Uudis</b>\n\nTekst.".into()),
        "the message is not edited"
    );
}

/// A photo message whose photo goes: the caption is edited, the photo stays.
#[test]
fn a_telegram_photo_message_that_loses_its_photo_keeps_it_with_a_note() {
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", ONE_PHOTO, "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", "", "Parandatud."));
    let steps = dry_steps(&repo, T2);
    assert_eq!(steps[0], ("edit".to_owned(), None));
    assert!(
        steps[1].1.as_deref().unwrap().starts_with(
            "the photo of the post on `tg` cannot be changed by an edit (the post on Telegram is a message with one photo and the correction has no photo;"
        ),
        "{steps:?}"
    );
    publish(&repo, T2, &TG_ENV).assert_code(0);
    assert_eq!(
        tg.calls()[1..],
        [(
            "editMessageCaption".to_owned(),
            r#"{"caption":"<b>Uudis</b>\n\nParandatud.","chat_id":"@city","message_id":41,"parse_mode":"HTML"}"#.to_owned()
        )]
    );
}

/// The preview page of `repo` at `at`, and the card of the `tg` post on it.
fn preview_card(repo: &Repo, at: &str) -> String {
    let out = repo.path().join("site");
    repo.run(&["preview", "--out", out.to_str().unwrap(), "--at", at]);
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    let start = page
        .find("<article class=\"card kind-telegram\"")
        .unwrap_or_else(|| panic!("no Telegram card: {page}"));
    let end = start + page[start..].find("</article>").unwrap();
    page[start..end].to_owned()
}

/// The preview shows what a correction or a retraction will do, in plain words: the
/// new text an edit sends, the correction notice's text, and what must be done by
/// hand, with the post's address.
#[test]
fn the_preview_card_shows_each_step_of_a_correction_or_retraction_and_what_it_sends() {
    // An edit of the text alone, and a note: the photo cannot be added.
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", ONE_PHOTO, "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", TWO_PHOTOS, "Parandatud & uus."));
    let card = preview_card(&repo, T2);
    assert!(
        card.contains(
            "<section class=\"change\"><h3>What the correction does</h3><ol class=\"change-steps\">\
             <li class=\"step edit\"><span class=\"what\">edit the post (41) (the text only) <span class=\"url\">https://t.me/city/41</span></span>\
             <blockquote class=\"sends\"><p class=\"text\">Uudis<br><br>Parandatud &amp; uus.</p></blockquote></li>\
             <li class=\"step by-hand\"><span class=\"what\">the number of photos of the post on `tg` cannot be changed by an edit"
        ),
        "{card}"
    );
    assert!(
        card.contains("change it by hand: https://t.me/city/41, or set `correction = &quot;reply&quot;` or `correction = &quot;repost&quot;`</span></li></ol></section>"),
        "{card}"
    );

    // `reply`: the notice's own text.
    let tg = Telegram::start();
    let repo = repo_with(&format!("{}correction = \"reply\"\n", tg.config()));
    approve(&repo, &announcement("tg", "", "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", ONE_PHOTO, "Parandatud."));
    let card = preview_card(&repo, T2);
    let sent = {
        publish(&repo, T2, &TG_ENV).assert_code(0);
        let calls = tg.calls();
        let notice: Value = serde_json::from_str(&calls[1].1).unwrap();
        notice["text"].as_str().unwrap().to_owned()
    };
    let shown = sent
        .replace("<b>", "")
        .replace("</b>", "")
        .replace('\n', "<br>");
    assert!(
        card.contains(&format!(
            "<li class=\"step notice\"><span class=\"what\">reply with a correction (41) <span class=\"url\">https://t.me/city/41</span></span>\
             <blockquote class=\"sends\"><p class=\"text\">{shown}</p></blockquote></li>"
        )),
        "{sent:?}\n{card}"
    );

    // A retraction after 48 hours: nothing can be deleted; the card says where the
    // post is, to remove by hand.
    let tg = Telegram::start();
    let repo = repo_with(&tg.config());
    approve(&repo, &announcement("tg", "", "Tekst."));
    publish(&repo, T1, &TG_ENV).assert_code(0);
    approve(&repo, &announcement("tg", "retract: \"Viga\"\n", "Tekst."));
    let card = preview_card(&repo, "2026-06-30 12:00");
    assert!(
        card.contains(
            "<h3>What the retraction does</h3><ol class=\"change-steps\"><li class=\"step delete\"><span class=\"what\">delete the post (41) <span class=\"url\">https://t.me/city/41</span></span></li></ol>"
        ),
        "{card}"
    );
    let card = preview_card(&repo, "2026-07-02 10:06");
    assert!(
        card.contains(
            "<li class=\"step by-hand\"><span class=\"what\">the post is too old to be deleted on `tg` (Telegram deletes only within 48 hours); remove it by hand: https://t.me/city/41</span></li>"
        ),
        "{card}"
    );
}
