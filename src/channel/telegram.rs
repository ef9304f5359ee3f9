//! Telegram channel through a bot: `sendMessage` / `sendPhoto` with HTML parse mode.

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef, Shape};
use crate::render::{Counter, ImageFormat, Post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// `@channelusername` or the numeric chat id.
    chat_id: String,
    /// The bot token (it goes in the URL path, so it never appears in output).
    token_env: String,
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
            "POST https://api.telegram.org/bot${}/{name}",
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
    fn rules(&self) -> Rules {
        Rules {
            counter: Counter::Utf16,
            limit: Some(4096),
            byte_limit: None,
            caption_limit: Some(1024),
            threads: true,
            max_images: 1,
            alt_limit: None,
            image_bytes: Some(10 * 1024 * 1024),
            image_formats: &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Webp],
            tag_limit: None,
            shape: Shape::Html,
        }
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
                let mut body = if i == 0 && !front.images.is_empty() {
                    json!({ "chat_id": chat, "photo": front.images[0].path, "caption": part.text, "parse_mode": "HTML" })
                } else {
                    json!({ "chat_id": chat, "text": part.text, "parse_mode": "HTML" })
                };
                if i > 0 {
                    body["reply_parameters"] = json!({ "message_id": super::earlier_part_id(i) });
                    body["link_preview_options"] = json!({ "is_disabled": true });
                }
                let method = if i == 0 && !front.images.is_empty() { "sendPhoto" } else { "sendMessage" };
                Request { action: self.method(method), body }
            })
            .collect()
    }
}
