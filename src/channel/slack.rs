//! Slack incoming webhook: `POST {webhook}` with `{"text": …}`.

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef};
use crate::render::{Counter, Post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The webhook URL is the credential, so it lives in the environment.
    webhook_url_env: String,
}

pub struct Slack {
    base: Base,
    settings: Settings,
}

impl Slack {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        Ok(Box::new(Slack { base, settings }))
    }
}

/// Slack's `mrkdwn` gives `&`, `<` and `>` meaning; they are escaped as Slack documents.
pub fn escape_mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Channel for Slack {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Slack
    }
    fn rules(&self) -> Rules {
        // Slack truncates message text after 40,000 characters; webhooks take no files.
        super::text_rules(Counter::Utf16, 40_000, true, 0)
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "webhook URL",
            env: &self.settings.webhook_url_env,
        }]
    }
    fn requests(&self, post: &Post) -> Vec<Request> {
        post.parts
            .iter()
            .map(|part| Request {
                action: format!("POST ${}", self.settings.webhook_url_env),
                body: json!({ "text": escape_mrkdwn(&part.text) }),
            })
            .collect()
    }
}
