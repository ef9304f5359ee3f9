//! Discord channel webhook: `POST {webhook}?wait=true`.

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef};
use crate::render::{Counter, Post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The webhook URL is the credential, so it lives in the environment.
    webhook_url_env: String,
    /// Overrides the webhook's display name.
    username: Option<String>,
}

pub struct Discord {
    base: Base,
    settings: Settings,
}

impl Discord {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        Ok(Box::new(Discord { base, settings }))
    }
}

impl Channel for Discord {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Discord
    }
    fn rules(&self) -> Rules {
        Rules {
            alt_limit: Some(1024),
            image_bytes: Some(10 * 1024 * 1024),
            image_formats: super::WEB_IMAGES,
            ..super::text_rules(Counter::Utf16, 2000, true, 10)
        }
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "webhook URL",
            env: &self.settings.webhook_url_env,
        }]
    }
    fn requests(&self, post: &Post) -> Vec<Request> {
        let front = &post.variant.front;
        post.parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let mut body = json!({ "content": part.text });
                if let Some(name) = &self.settings.username {
                    body["username"] = Value::String(name.clone());
                }
                if i == 0 && !front.images.is_empty() {
                    body["attachments"] = front
                        .images
                        .iter()
                        .enumerate()
                        .map(|(n, img)| json!({ "id": n, "filename": img.path, "description": img.alt }))
                        .collect();
                }
                Request {
                    action: format!("POST ${}?wait=true", self.settings.webhook_url_env),
                    body,
                }
            })
            .collect()
    }
}
