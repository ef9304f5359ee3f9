//! Telegram channel through a bot: `sendMessage`, `sendPhoto` for one image and
//! `sendMediaGroup` for an album of 2–10, with HTML parse mode.

use super::send::{self, BoxFuture, Finding, Outgoing, Receipt, SendError, Sender, from_status};
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

/// `reply_parameters` naming the message `id` (a number; the dry run's placeholder as it
/// is).
fn reply_to(id: &str) -> Value {
    let id = id
        .parse::<i64>()
        .map_or_else(|_| Value::String(id.to_owned()), Value::from);
    json!({ "message_id": id })
}

/// Sends with `sendMessage`, `sendPhoto` when the part carries one image, or
/// `sendMediaGroup` for several (the answer is then the album's messages; the first, which
/// carries the caption, is the one recorded and replied to). Telegram has
/// no idempotency key and cannot list a channel's history: a lost answer stays in doubt.
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
    async fn call(&self, method: &str, query: &[(&str, &str)]) -> Result<Value, String> {
        let response = self
            .http
            .get(send::with_query(&self.url(method), query))
            .step()
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let answer: Value = serde_json::from_str(&response.text)
            .map_err(|_| "Telegram answered with something that is not JSON".to_owned())?;
        if answer["ok"] == true {
            Ok(answer["result"].clone())
        } else {
            Err(answer["description"]
                .as_str()
                .unwrap_or("no description")
                .to_owned())
        }
    }
}

impl Sender for TelegramSender {
    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            let bot = match self.call("getMe", &[]).await {
                Ok(me) => me,
                Err(e) => {
                    return vec![Finding::error(format!(
                        "the bot token does not work ({e}); ask @BotFather for the token of the city's bot"
                    ))];
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
            let status = response.status;
            let text = &response.text;
            let answer: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if status != 200 || answer["ok"] != true {
                let wait = answer["parameters"]["retry_after"]
                    .as_f64()
                    .map(std::time::Duration::from_secs_f64);
                let description = answer["description"].as_str().unwrap_or(text);
                return Err(from_status(status, wait, description));
            }
            // sendMediaGroup answers with the album's messages, the others with one.
            let message = match &answer["result"] {
                Value::Array(album) => album.first().unwrap_or(&Value::Null),
                one => one,
            };
            // A number from Telegram; text only as the dry run's placeholder.
            let id = match &message["message_id"] {
                Value::Number(n) if n.is_i64() => n.to_string(),
                Value::String(s) if s.starts_with('<') => s.clone(),
                _ => return Err(SendError::permanent("the answer has no message_id")),
            };
            let url = chat
                .strip_prefix('@')
                .map(|name| format!("https://t.me/{name}/{id}"));
            Ok(Receipt {
                remote_id: id.to_string(),
                url,
            })
        })
    }
}
