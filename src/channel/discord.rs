//! Discord channel webhook: `POST {webhook}?wait=true`.

use super::send::{
    self, BoxFuture, Finding, Outgoing, Receipt, SendError, Sender, from_reqwest, from_status,
};
use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef, SendContext};
use crate::render::{Counter, Post};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Deserialize)]
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
    fn sender(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(DiscordSender {
            http: ctx.http.clone(),
            username: self.settings.username.clone(),
            webhook: send::secret(ctx.env, &self.settings.webhook_url_env, "webhook URL")?,
        }))
    }
}

/// Executes the webhook with `?wait=true`, so Discord answers with the message and its
/// id. There is no idempotency key and no way to list the webhook's messages: a lost
/// answer stays in doubt.
struct DiscordSender {
    http: reqwest::Client,
    username: Option<String>,
    webhook: SecretString,
}

impl Sender for DiscordSender {
    /// `GET` on a webhook URL returns the webhook itself, without posting.
    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            let answer = match self.http.get(self.webhook.expose_secret()).send().await {
                Ok(a) => a,
                Err(e) => {
                    return vec![Finding::error(format!(
                        "cannot reach Discord: {}",
                        from_reqwest(e)
                    ))];
                }
            };
            let status = answer.status().as_u16();
            let hook: Value = answer.json().await.unwrap_or(Value::Null);
            match (status, hook["name"].as_str()) {
                (200, Some(name)) => vec![Finding::ok(format!(
                    "the webhook works: it posts as \"{name}\" in channel {}",
                    hook["channel_id"].as_str().unwrap_or("?")
                ))],
                (401 | 404, _) => vec![Finding::error(
                    "Discord does not know this webhook (it was deleted or the URL is wrong); create one under the channel's Integrations → Webhooks",
                )],
                _ => vec![Finding::error(format!("Discord answered {status}"))],
            }
        })
    }

    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let url = self.webhook.expose_secret();
            let url = format!(
                "{url}{}wait=true",
                if url.contains('?') { '&' } else { '?' }
            );
            let mut payload = json!({ "content": part.text });
            if let Some(name) = &self.username {
                payload["username"] = Value::String(name.clone());
            }
            let files = part.image_files()?;
            let request = if files.is_empty() {
                self.http.post(&url).json(&payload)
            } else {
                payload["attachments"] = files
                    .iter()
                    .enumerate()
                    .map(|(n, (name, _, alt))| json!({ "id": n, "filename": name, "description": alt }))
                    .collect();
                let mut form =
                    reqwest::multipart::Form::new().text("payload_json", payload.to_string());
                for (n, (name, bytes, _)) in files.into_iter().enumerate() {
                    form = form.part(
                        format!("files[{n}]"),
                        reqwest::multipart::Part::bytes(bytes).file_name(name),
                    );
                }
                self.http.post(&url).multipart(form)
            };
            let response = request.send().await.map_err(from_reqwest)?;
            let status = response.status().as_u16();
            let wait = send::retry_after(response.headers());
            let text = response.text().await.map_err(from_reqwest)?;
            if !(200..300).contains(&status) {
                return Err(from_status(status, wait, &text));
            }
            let message: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let id = message["id"]
                .as_str()
                .ok_or_else(|| SendError::permanent("the answer has no message id"))?;
            Ok(Receipt {
                remote_id: id.to_owned(),
                url: None,
            })
        })
    }
}
