//! Telegram channel through a bot: `sendMessage`, `sendPhoto` for one image and
//! `sendMediaGroup` for an album of 2–10, with HTML parse mode.

use super::send::{
    self, BoxFuture, Finding, Outgoing, Receipt, SendError, Sender, from_reqwest, from_status,
};
use super::{Base, Channel, ConfigProblem, Kind, Request, SecretRef, SendContext};
use crate::render::Post;
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

    fn method(&self, name: &str) -> String {
        format!(
            "POST {}/bot${}/{name}",
            self.settings.api_url.trim_end_matches('/'),
            self.settings.token_env
        )
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
    fn requests(&self, post: &Post) -> Vec<Request> {
        let front = &post.variant.front;
        let chat = &self.settings.chat_id;
        post.parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let (method, mut body) = match (i, front.images.len()) {
                    (0, 0) | (1.., _) => (
                        "sendMessage",
                        json!({ "chat_id": chat, "text": part.text, "parse_mode": "HTML" }),
                    ),
                    (0, 1) => (
                        "sendPhoto",
                        json!({ "chat_id": chat, "photo": front.images[0].path, "caption": part.text, "parse_mode": "HTML" }),
                    ),
                    (0, _) => {
                        let paths: Vec<&str> =
                            front.images.iter().map(|img| img.path.as_str()).collect();
                        ("sendMediaGroup", media_group(chat, &part.text, &paths))
                    }
                };
                if i > 0 {
                    body["reply_parameters"] = json!({ "message_id": super::earlier_part_id(i) });
                    body["link_preview_options"] = json!({ "is_disabled": true });
                }
                Request { action: self.method(method), body }
            })
            .collect()
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(TelegramSender {
            http: ctx.http.clone(),
            settings: self.settings.clone(),
            token: send::secret(ctx.env, &self.settings.token_env, "bot token")?,
        }))
    }
}

/// The fields of a `sendMediaGroup` request: `media` is the album as InputMediaPhoto
/// objects, each naming its upload with `attach://photoN`; the caption goes on the first
/// photo only, so clients show it under the whole album. The value of each `photoN` field
/// is the file (here its path, for the dry run).
fn media_group(chat: &str, caption: &str, files: &[&str]) -> Value {
    let media: Vec<Value> = (0..files.len())
        .map(|n| {
            let mut item = json!({ "type": "photo", "media": format!("attach://photo{n}") });
            if n == 0 {
                item["caption"] = json!(caption);
                item["parse_mode"] = json!("HTML");
            }
            item
        })
        .collect();
    let mut body = json!({ "chat_id": chat, "media": media });
    for (n, file) in files.iter().enumerate() {
        body[format!("photo{n}")] = json!(file);
    }
    body
}

/// Sends with `sendMessage`, `sendPhoto` when the part carries one image, or
/// `sendMediaGroup` for several (the answer is then the album's messages; the first, which
/// carries the caption, is the one recorded and replied to). Telegram has
/// no idempotency key and cannot list a channel's history: a lost answer stays in doubt.
struct TelegramSender {
    http: reqwest::Client,
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
            .send()
            .await
            .map_err(|e| from_reqwest(e).to_string())?;
        let text = response
            .text()
            .await
            .map_err(|e| from_reqwest(e).to_string())?;
        let answer: Value = serde_json::from_str(&text)
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
            let mut files = part.image_files()?;
            let reply = part.reply_to.as_ref().map(|id| {
                json!({ "message_id": id.parse::<i64>().unwrap_or_default() }).to_string()
            });
            let request = if files.len() > 1 {
                let names: Vec<&str> = files.iter().map(|(name, ..)| name.as_str()).collect();
                let fields = media_group(chat, &part.text, &names);
                let mut form = reqwest::multipart::Form::new()
                    .text("chat_id", chat.clone())
                    .text("media", fields["media"].to_string());
                if let Some(reply) = reply {
                    form = form.text("reply_parameters", reply);
                }
                for (n, (name, bytes, _alt)) in files.into_iter().enumerate() {
                    form = form.part(
                        format!("photo{n}"),
                        reqwest::multipart::Part::bytes(bytes).file_name(name),
                    );
                }
                self.http.post(self.url("sendMediaGroup")).multipart(form)
            } else if let Some((name, bytes, _alt)) = files.pop() {
                let mut form = reqwest::multipart::Form::new()
                    .text("chat_id", chat.clone())
                    .text("caption", part.text.clone())
                    .text("parse_mode", "HTML")
                    .part(
                        "photo",
                        reqwest::multipart::Part::bytes(bytes).file_name(name),
                    );
                if let Some(reply) = reply {
                    form = form.text("reply_parameters", reply);
                }
                self.http.post(self.url("sendPhoto")).multipart(form)
            } else {
                let mut body = json!({ "chat_id": chat, "text": part.text, "parse_mode": "HTML" });
                if let Some(id) = &part.reply_to {
                    body["reply_parameters"] =
                        json!({ "message_id": id.parse::<i64>().unwrap_or_default() });
                    body["link_preview_options"] = json!({ "is_disabled": true });
                }
                self.http.post(self.url("sendMessage")).json(&body)
            };
            let response = request.send().await.map_err(from_reqwest)?;
            let status = response.status().as_u16();
            let text = response.text().await.map_err(from_reqwest)?;
            let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if status != 200 || answer["ok"] != true {
                let wait = answer["parameters"]["retry_after"]
                    .as_f64()
                    .map(std::time::Duration::from_secs_f64);
                let description = answer["description"].as_str().unwrap_or(&text);
                return Err(from_status(status, wait, description));
            }
            // sendMediaGroup answers with the album's messages, the others with one.
            let message = match &answer["result"] {
                Value::Array(album) => album.first().unwrap_or(&Value::Null),
                one => one,
            };
            let id = message["message_id"]
                .as_i64()
                .ok_or_else(|| SendError::permanent("the answer has no message_id"))?;
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
