//! Slack incoming webhook: `POST {webhook}` with `{"text": …}`.

use super::send::{self, BoxFuture, LinkCard, Outgoing, Receipt, SendError, Sender, from_status};
use super::transport::Transport;
use super::{Base, Channel, ConfigProblem, Kind, SecretRef, SendContext};
use secrecy::{ExposeSecret, SecretString};
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

/// Longest text a Slack section block takes.
const SECTION_LIMIT: usize = 3000;

/// The incoming-webhook message: the text, and with a link, blocks that show the text and
/// a card of the link (title and summary) below it. Slack shows blocks instead of `text`,
/// which stays as the notification text. A text too long for a block goes without.
fn payload(text: &str, card: Option<&LinkCard>) -> Value {
    let text = escape_mrkdwn(text);
    let mut body = json!({ "text": text });
    if let Some(card) = card
        && text.chars().count() <= SECTION_LIMIT
    {
        // `|` and `>` would end the link markup early.
        let url = card.url.replace('|', "%7C").replace('>', "%3E");
        let mut link = format!("*<{url}|{}>*", escape_mrkdwn(&card.title));
        if let Some(d) = &card.description {
            link.push('\n');
            link.push_str(&escape_mrkdwn(d));
        }
        let link: String = link.chars().take(SECTION_LIMIT).collect();
        body["blocks"] = json!([
            { "type": "section", "text": { "type": "mrkdwn", "text": text } },
            { "type": "section", "text": { "type": "mrkdwn", "text": link } },
        ]);
        body["unfurl_links"] = Value::Bool(false);
    }
    body
}

impl Channel for Slack {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Slack
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "webhook URL",
            env: &self.settings.webhook_url_env,
        }]
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(SlackSender {
            http: ctx.transport.clone(),
            webhook: send::secret(ctx.env, &self.settings.webhook_url_env, "webhook URL")?,
        }))
    }
}

/// Slack answers a webhook with `ok` and no message id, offers no idempotency and no
/// way to read the channel back: a post whose answer was lost stays in doubt.
struct SlackSender {
    http: Transport,
    webhook: SecretString,
}

impl Sender for SlackSender {
    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let answer = self
                .http
                .post(self.webhook.expose_secret())
                .json(&payload(&part.text, part.card().as_ref()))
                .send()
                .await?;
            if answer.status != 200 {
                let wait = send::retry_after(&answer.headers);
                return Err(from_status(answer.status, wait, &answer.text));
            }
            Ok(Receipt {
                remote_id: "ok".into(),
                url: None,
            })
        })
    }
}
