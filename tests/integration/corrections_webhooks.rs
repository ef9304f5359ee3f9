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
    let start = text.find(&format!("name=\"{name}\"\r\n\r\n"))? + name.len() + 10;
    let end = text[start..].find("\r\n--")? + start;
    Some(text[start..end].to_owned())
}

impl Telegram {
    fn start() -> Telegram {
        let chat: Arc<Mutex<BTreeMap<i64, Message>>> = Arc::default();
        let messages = chat.clone();
        let server = MockWebhook::answering(move |_, raw| {
            let mut chat = messages.lock().unwrap();
            let method = raw.path.rsplit('/').next().unwrap_or_default().to_owned();
            let body: Value = serde_json::from_slice(&raw.body).unwrap_or(Value::Null);
            let next = || chat.keys().next_back().map_or(41, |k| k + 1);
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
                    let photos = raw.text().matches("attach://photo").count() as i64;
                    let first = next();
                    let album: Vec<Value> = (first..first + photos)
                        .map(|id| {
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
