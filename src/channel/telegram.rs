//! Telegram channel through a bot: `sendMessage`, `sendPhoto` for one image and
//! `sendMediaGroup` for an album of 2–10, with HTML parse mode; a correction with
//! `editMessageText`, `editMessageMedia` or `editMessageCaption`, a retraction with
//! `deleteMessage` or `deleteMessages`.
//!
//! A post's remote id is its message id (`41`), or an album's ids joined by commas
//! (`51,52,53`; ledgers written before Herald kept every id hold the first alone). The
//! first is the message that carries the text: the one linked, replied to and captioned.

use super::send::{
    self, BoxFuture, Finding, Live, Outgoing, Receipt, SendError, Sender, from_status,
};
use super::transport::{Field, Transport};
use super::{Base, Channel, ConfigProblem, Kind, SecretRef, SendContext};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// `@channelusername` or the numeric chat id.
    chat_id: String,
    /// The bot token (it goes in the URL path, so it never appears in output).
    token_env: String,
    /// The Bot API server (a local one, or a test double).
    #[serde(default = "default_api")]
    api_url: String,
}

fn default_api() -> String {
    "https://api.telegram.org".into()
}

pub struct Telegram {
    base: Base,
    settings: Settings,
}

impl Telegram {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        Ok(Box::new(Telegram { base, settings }))
    }
}

impl Channel for Telegram {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Telegram
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "bot token",
            env: &self.settings.token_env,
        }]
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(TelegramSender {
            http: ctx.transport.clone(),
            settings: self.settings.clone(),
            token: send::secret(ctx.env, &self.settings.token_env, "bot token")?,
        }))
    }
}

/// The fields of a `sendMediaGroup` request: `media` is the album as InputMediaPhoto
/// objects, each naming its upload with `attach://photoN`; the caption goes on the first
/// photo only, so clients show it under the whole album.
fn media_group(caption: &str, files: usize) -> Value {
    (0..files)
        .map(|n| {
            let mut item = json!({ "type": "photo", "media": format!("attach://photo{n}") });
            if n == 0 {
                item["caption"] = json!(caption);
                item["parse_mode"] = json!("HTML");
            }
            item
        })
        .collect()
}

/// `reply_parameters` naming the post `remote_id` (its first message, for an album).
fn reply_to(remote_id: &str) -> Value {
    json!({ "message_id": message_ids(remote_id)[0] })
}

/// The messages of the post `remote_id` (see the module documentation), each a number
/// (the dry run's placeholder as it is).
fn message_ids(remote_id: &str) -> Vec<Value> {
    remote_id
        .split(',')
        .map(|id| {
            id.parse::<i64>()
                .map_or_else(|_| Value::String(id.to_owned()), Value::from)
        })
        .collect()
}

/// `https://t.me/name/ID` of the post `remote_id` in a public channel.
fn address(chat: &str, remote_id: &str) -> Option<String> {
    let first = remote_id.split(',').next().unwrap_or(remote_id);
    chat.strip_prefix('@')
        .map(|name| format!("https://t.me/{name}/{first}"))
}

/// Whether Telegram answered `ok: true`.
fn accepted(status: u16, text: &str) -> bool {
    status == 200 && serde_json::from_str::<Value>(text).is_ok_and(|a| a["ok"] == true)
}

/// A refusal (`ok: false`, or an answer that is not JSON) as a [`SendError`], with
/// Telegram's own description and the wait it asks for.
fn refusal(status: u16, text: &str) -> SendError {
    let answer: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let wait = answer["parameters"]["retry_after"]
        .as_f64()
        .map(std::time::Duration::from_secs_f64);
    let description = answer["description"].as_str().unwrap_or(text);
    from_status(status, wait, description)
}

/// A refused edit or delete (`what`) of `live`: a Bad Request is permanent and says
/// what a person can do, with the post's address; anything else as [`refusal`].
fn refused(live: &Live, what: &str, status: u16, text: &str) -> SendError {
    if status != 400 {
        return refusal(status, text);
    }
    let description = description(text);
    let hint = if what == "delete" {
        // "Bad Request: message can't be deleted": older than 48 hours, or not the bot's.
        "a bot deletes only its own messages, within 48 hours of posting"
    } else if description.contains("there is no") {
        // "there is no text in the message to edit", "… no caption …", "… no media …".
        "a text message cannot get a photo, nor a photo message lose it"
    } else {
        "the message may have been deleted by hand, or the text is not valid HTML for Telegram"
    };
    SendError::Permanent {
        message: format!(
            "Telegram refused to {what} message {} ({description}); {hint}: {what} it by hand{}",
            live.remote_id,
            live.url
                .as_deref()
                .map(|u| format!(" at {u}"))
                .unwrap_or_default()
        ),
        status: Some(400),
    }
}

/// Whether Telegram's answer to an edit says the message already says that: the same
/// edit made twice ("Bad Request: message is not modified: specified new message content
/// and reply markup are exactly the same as a current content and reply markup of the
/// message").
fn not_modified(text: &str) -> bool {
    description(text).contains("message is not modified")
}

/// Whether a delete was refused because the message is not there (deleted already, by
/// Herald before a crash or by a person): "Bad Request: message to delete not found".
fn already_gone(text: &str) -> bool {
    description(text).contains("message to delete not found")
}

/// Telegram's `description` of a refusal.
fn description(text: &str) -> String {
    let answer: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    answer["description"]
        .as_str()
        .unwrap_or("no description")
        .to_owned()
}

/// Sends with `sendMessage`, `sendPhoto` when the part carries one image, or
/// `sendMediaGroup` for several (the answer is then the album's messages, all recorded;
/// the first, which carries the caption, is the one linked and replied to). Telegram has
/// no idempotency key and cannot list a channel's history: a lost answer stays in doubt.
/// An edit or a delete made twice leaves the same message, so either is made again when
/// in doubt.
struct TelegramSender {
    http: Transport,
    settings: Settings,
    token: SecretString,
}

impl TelegramSender {
    fn url(&self, method: &str) -> String {
        format!(
            "{}/bot{}/{method}",
            self.settings.api_url.trim_end_matches('/'),
            self.token.expose_secret()
        )
    }
}

impl TelegramSender {
    /// A read-only Bot API call; `Err` carries Telegram's own description.
    async fn call(&self, method: &str, query: &[(&str, &str)]) -> Result<Value, SendError> {
        let response = self
            .http
            .get(send::with_query(&self.url(method), query))
            .step()
            .send()
            .await?;
        let answer: Value = serde_json::from_str(&response.text).map_err(|_| {
            SendError::permanent("Telegram answered with something that is not JSON")
        })?;
        if answer["ok"] == true {
            Ok(answer["result"].clone())
        } else {
            Err(SendError::permanent(
                answer["description"].as_str().unwrap_or("no description"),
            ))
        }
    }
}

impl Sender for TelegramSender {
    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            let bot = match self.call("getMe", &[]).await {
                Ok(me) => me,
                Err(e) => {
                    return vec![crate::channel::send::doctor_error(&e, "`api_url`", || {
                        format!(
                            "the bot token does not work ({e}); ask @BotFather for the token of the city's bot"
                        )
                    })];
                }
            };
            let name = bot["username"].as_str().unwrap_or("?");
            let mut findings = vec![Finding::ok(format!("the bot token works: @{name}"))];
            let chat = &self.settings.chat_id;
            match self.call("getChat", &[("chat_id", chat)]).await {
                Ok(c) => findings.push(Finding::ok(format!(
                    "the bot sees {chat} ({})",
                    c["title"].as_str().unwrap_or("untitled")
                ))),
                Err(e) => findings.push(Finding::error(format!(
                    "the bot cannot see {chat} ({e}); add @{name} to the channel as an administrator allowed to post"
                ))),
            }
            findings
        })
    }

    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let chat = &self.settings.chat_id;
            let mut files = part.files()?;
            let reply = part.reply_to.as_deref().map(reply_to);
            let request = if files.len() > 1 {
                let mut fields = vec![
                    Field::text("chat_id", chat.clone()),
                    Field::json("media", media_group(&part.text, files.len())),
                ];
                if let Some(reply) = reply {
                    fields.push(Field::json("reply_parameters", reply));
                }
                for (n, (file, _alt)) in files.into_iter().enumerate() {
                    fields.push(Field::file(&format!("photo{n}"), file, ""));
                }
                self.http.post(self.url("sendMediaGroup")).multipart(fields)
            } else if let Some((file, _alt)) = files.pop() {
                let mut fields = vec![
                    Field::text("chat_id", chat.clone()),
                    Field::text("caption", part.text.clone()),
                    Field::text("parse_mode", "HTML"),
                    Field::file("photo", file, ""),
                ];
                if let Some(reply) = reply {
                    fields.push(Field::json("reply_parameters", reply));
                }
                self.http.post(self.url("sendPhoto")).multipart(fields)
            } else {
                let mut body = json!({ "chat_id": chat, "text": part.text, "parse_mode": "HTML" });
                if let Some(reply) = reply {
                    body["reply_parameters"] = reply;
                    body["link_preview_options"] = json!({ "is_disabled": true });
                }
                self.http.post(self.url("sendMessage")).json(&body)
            };
            // The dry run's answer: one message (an album's first) with a placeholder id.
            let placeholder = json!({
                "ok": true,
                "result": { "message_id": super::earlier_part_id(part.part as usize) },
            });
            let response = request.placeholder(placeholder).send().await?;
            if !accepted(response.status, &response.text) {
                return Err(refusal(response.status, &response.text));
            }
            let answer: Value = serde_json::from_str(&response.text).unwrap_or(Value::Null);
            // sendMediaGroup answers with the album's messages, the others with one.
            let messages = match &answer["result"] {
                Value::Array(album) if !album.is_empty() => album.iter().collect(),
                Value::Array(_) => vec![&Value::Null],
                one => vec![one],
            };
            let ids = messages
                .iter()
                .map(|message| match &message["message_id"] {
                    // A number from Telegram; text only as the dry run's placeholder.
                    Value::Number(n) if n.is_i64() => Some(n.to_string()),
                    Value::String(s) if s.starts_with('<') => Some(s.clone()),
                    _ => None,
                })
                .collect::<Option<Vec<String>>>()
                .ok_or_else(|| SendError::permanent("the answer has no message_id"))?;
            let remote_id = ids.join(",");
            Ok(Receipt {
                url: address(chat, &remote_id),
                remote_id,
            })
        })
    }

    /// Brings the message (or album) `live` in line with `part`, keeping its ids:
    ///
    /// - a text message: `editMessageText`, with the link preview as sending chose it;
    /// - a photo: `editMessageMedia` with the part's photo and its caption in one request;
    /// - an album: `editMessageMedia` for each of its photos, the caption on the first.
    ///
    /// Photos are replaced whether or not they changed: what Herald knows of a post
    /// that went out (its ids) does not say which photo it shows, and the request then
    /// follows from the ledger and the announcement alone, as the dry run shows it. An
    /// album recorded by its first message only (before Herald kept every id) gets
    /// `editMessageCaption` on that message: its other photos cannot be named.
    ///
    /// Telegram cannot add a photo to a message, take one out, or change how many an
    /// album has: such a correction fails permanently, saying so. "Message is not
    /// modified" (the same edit twice) is success.
    fn edit<'a>(
        &'a self,
        live: &'a Live,
        part: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let chat = &self.settings.chat_id;
            let ids = message_ids(&live.remote_id);
            let files = part.files()?;
            let requests = match (ids.len(), files.len()) {
                // The text alone, of a post whose photos stay (the plan found that an
                // edit cannot change them): the caption on the first message.
                (_, 0) if live.media.is_some_and(|n| n > 0) => {
                    let body = json!({
                        "chat_id": chat,
                        "message_id": ids[0],
                        "caption": part.text,
                        "parse_mode": "HTML",
                    });
                    vec![self.http.post(self.url("editMessageCaption")).json(&body)]
                }
                (1, 0) => {
                    let mut body = json!({
                        "chat_id": chat,
                        "message_id": ids[0],
                        "text": part.text,
                        "parse_mode": "HTML",
                    });
                    // As `send` does: a reply in a thread shows no link preview.
                    if live.part > 1 || part.reply_to.is_some() {
                        body["link_preview_options"] = json!({ "is_disabled": true });
                    }
                    vec![self.http.post(self.url("editMessageText")).json(&body)]
                }
                (1, n) if n > 1 => {
                    let body = json!({
                        "chat_id": chat,
                        "message_id": ids[0],
                        "caption": part.text,
                        "parse_mode": "HTML",
                    });
                    vec![self.http.post(self.url("editMessageCaption")).json(&body)]
                }
                (n, m) if n == m => ids
                    .iter()
                    .zip(files)
                    .enumerate()
                    .map(|(i, (id, (file, _alt)))| {
                        let mut media = json!({ "type": "photo", "media": "attach://photo" });
                        if i == 0 {
                            media["caption"] = json!(part.text);
                            media["parse_mode"] = json!("HTML");
                        }
                        let fields = vec![
                            Field::text("chat_id", chat.clone()),
                            Field::json("message_id", id.clone()),
                            Field::json("media", media),
                            Field::file("photo", file, ""),
                        ];
                        self.http
                            .post(self.url("editMessageMedia"))
                            .multipart(fields)
                    })
                    .collect(),
                (n, m) => return Err(SendError::permanent(reshaped(live, n, m))),
            };
            for request in requests {
                let placeholder = json!({ "ok": true, "result": { "message_id": ids[0] } });
                let answer = request.placeholder(placeholder).send().await?;
                if accepted(answer.status, &answer.text) || not_modified(&answer.text) {
                    continue;
                }
                return Err(refused(live, "change", answer.status, &answer.text));
            }
            Ok(Receipt {
                remote_id: live.remote_id.clone(),
                url: live.url.clone(),
            })
        })
    }

    /// `deleteMessage`, or `deleteMessages` for an album (every photo goes). A message
    /// that is not there is deleted already. Telegram deletes only within 48 hours of
    /// posting (the plan does not ask later); a refusal says where the post is.
    fn delete<'a>(&'a self, live: &'a Live) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let chat = &self.settings.chat_id;
            let ids = message_ids(&live.remote_id);
            let request = if ids.len() == 1 {
                let body = json!({ "chat_id": chat, "message_id": ids[0] });
                self.http.post(self.url("deleteMessage")).json(&body)
            } else {
                let body = json!({ "chat_id": chat, "message_ids": ids });
                self.http.post(self.url("deleteMessages")).json(&body)
            };
            let answer = request
                .placeholder(json!({ "ok": true, "result": true }))
                .send()
                .await?;
            if accepted(answer.status, &answer.text) || already_gone(&answer.text) {
                return Ok(());
            }
            Err(refused(live, "delete", answer.status, &answer.text))
        })
    }
}

/// Why a post of `messages` messages cannot become one of `photos` photos.
fn reshaped(live: &Live, messages: usize, photos: usize) -> String {
    let now = match photos {
        0 => "no photo".to_owned(),
        1 => "one photo".to_owned(),
        n => format!("{n} photos"),
    };
    let was = if messages == 1 {
        "one message".to_owned()
    } else {
        format!("an album of {messages} photos")
    };
    format!(
        "the post on Telegram is {was} and the correction has {now}; Telegram cannot add photos to a message or an album, take them out, or turn an album into text, so this correction cannot be an edit{}",
        live.url
            .as_deref()
            .map(|u| format!(" (the post: {u})"))
            .unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Request;
    use crate::channel::send::About;
    use crate::channel::transport::finish_offline;
    use std::path::{Path, PathBuf};

    /// A sender on a recording transport, as the dry run makes it: the token is the
    /// name of its variable.
    fn sender() -> (TelegramSender, Transport) {
        let http = Transport::recording(Path::new("/repo"), None);
        let sender = TelegramSender {
            http: http.clone(),
            settings: Settings {
                chat_id: "@city".into(),
                token_env: "TG_TOKEN".into(),
                api_url: "https://api.telegram.org".into(),
            },
            token: SecretString::from("$TG_TOKEN"),
        };
        (sender, http)
    }

    fn part(n: u32, images: &[&str]) -> Outgoing {
        let dir = std::env::temp_dir().join(format!("herald-tg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Outgoing {
            key: "k".into(),
            text: "<b>Uus</b> tekst".into(),
            lang: "et".into(),
            part: n,
            reply_to: None,
            thread_root: None,
            images: images
                .iter()
                .map(|name| {
                    let path = dir.join(name);
                    std::fs::write(&path, b"\x89PNG\r\n\x1a\n").unwrap();
                    (path, "alt".to_owned())
                })
                .collect::<Vec<(PathBuf, String)>>(),
            about: std::sync::Arc::new(About {
                id: "a".into(),
                title: "Uus".into(),
                summary: None,
                link: None,
                tags: Vec::new(),
                publish_at: None,
            }),
            planned_id: None,
        }
    }

    fn live(id: &str, part: u32) -> Live {
        Live {
            remote_id: id.into(),
            url: address("@city", id),
            posted_at: jiff::Timestamp::UNIX_EPOCH,
            part,
            media: None,
        }
    }

    const API: &str = "POST https://api.telegram.org/bot$TG_TOKEN";

    #[test]
    fn a_text_edit_keeps_the_link_preview_as_sending_chose_it() {
        let (s, http) = sender();
        let receipt = finish_offline(s.edit(&live("41", 1), &part(1, &[])))
            .unwrap()
            .unwrap();
        assert_eq!(receipt.remote_id, "41");
        assert_eq!(receipt.url.as_deref(), Some("https://t.me/city/41"));
        finish_offline(s.edit(&live("42", 2), &part(2, &[])))
            .unwrap()
            .unwrap();
        assert_eq!(
            http.recorded(),
            [
                Request {
                    action: format!("{API}/editMessageText"),
                    body: json!({ "chat_id": "@city", "message_id": 41, "text": "<b>Uus</b> tekst", "parse_mode": "HTML" }),
                },
                Request {
                    action: format!("{API}/editMessageText"),
                    body: json!({ "chat_id": "@city", "message_id": 42, "text": "<b>Uus</b> tekst", "parse_mode": "HTML", "link_preview_options": { "is_disabled": true } }),
                },
            ]
        );
    }

    #[test]
    fn photos_are_replaced_with_the_caption_on_the_first_and_an_album_goes_whole() {
        let (s, http) = sender();
        finish_offline(s.edit(&live("51,52", 1), &part(1, &["a.png", "b.png"])))
            .unwrap()
            .unwrap();
        // An album recorded by its first message alone: only the caption can change.
        finish_offline(s.edit(&live("51", 1), &part(1, &["a.png", "b.png"])))
            .unwrap()
            .unwrap();
        finish_offline(s.delete(&live("51,52", 1)))
            .unwrap()
            .unwrap();
        finish_offline(s.delete(&live("41", 1))).unwrap().unwrap();
        let recorded = http.recorded();
        let actions: Vec<&str> = recorded.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                format!("{API}/editMessageMedia"),
                format!("{API}/editMessageMedia"),
                format!("{API}/editMessageCaption"),
                format!("{API}/deleteMessages"),
                format!("{API}/deleteMessage"),
            ]
        );
        assert_eq!(recorded[0].body["message_id"], 51);
        assert_eq!(
            recorded[0].body["media"],
            json!({ "type": "photo", "media": "attach://photo", "caption": "<b>Uus</b> tekst", "parse_mode": "HTML" })
        );
        assert_eq!(recorded[1].body["message_id"], 52);
        assert_eq!(
            recorded[1].body["media"],
            json!({ "type": "photo", "media": "attach://photo" })
        );
        assert_eq!(
            recorded[2].body,
            json!({ "chat_id": "@city", "message_id": 51, "caption": "<b>Uus</b> tekst", "parse_mode": "HTML" })
        );
        assert_eq!(
            recorded[3].body,
            json!({ "chat_id": "@city", "message_ids": [51, 52] })
        );
        assert_eq!(
            recorded[4].body,
            json!({ "chat_id": "@city", "message_id": 41 })
        );
    }

    #[test]
    fn a_correction_that_changes_how_many_photos_there_are_is_no_edit() {
        let (s, http) = sender();
        for (id, images) in [
            ("51,52", &["a.png"][..]),
            ("51,52", &[]),
            ("51,52", &["a.png", "b.png", "c.png"]),
        ] {
            let error = finish_offline(s.edit(&live(id, 1), &part(1, images)))
                .unwrap()
                .unwrap_err();
            assert!(
                matches!(&error, SendError::Permanent { message, .. }
                    if message.contains("the post on Telegram is an album of 2 photos")
                        && message.contains("cannot be an edit (the post: https://t.me/city/51)")),
                "{error}"
            );
        }
        assert_eq!(http.recorded(), [], "nothing is sent");
    }
}
