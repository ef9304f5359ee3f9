//! Discord channel webhook: `POST {webhook}?wait=true`; a correction is `PATCH
//! {webhook}/messages/{id}`, a retraction `DELETE` on the same address.

use super::send::{
    self, BoxFuture, Finding, LinkCard, Live, Outgoing, Receipt, SendError, Sender, from_status,
};
use super::transport::{Field, Transport};
use super::{Base, Channel, ConfigProblem, Kind, SecretRef, SendContext};
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
    /// Which mentions in a post may notify people. None by default: an `@everyone`,
    /// `@here`, `<@&role>` or `<@user>` in an announcement is shown, never pinged.
    #[serde(default)]
    allow_pings: Vec<Ping>,
}

/// A kind of mention Discord may turn into a notification (its `allowed_mentions.parse`
/// values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Ping {
    /// `<@id>` mentions of people.
    Users,
    /// `<@&id>` mentions of roles.
    Roles,
    /// `@everyone` and `@here`.
    Everyone,
}

impl Ping {
    fn name(self) -> &'static str {
        match self {
            Ping::Users => "users",
            Ping::Roles => "roles",
            Ping::Everyone => "everyone",
        }
    }
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
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "webhook URL",
            env: &self.settings.webhook_url_env,
        }]
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(DiscordSender {
            http: ctx.transport.clone(),
            settings: self.settings.clone(),
            webhook: send::secret(ctx.env, &self.settings.webhook_url_env, "webhook URL")?,
        }))
    }
}

/// Executes the webhook with `?wait=true`, so Discord answers with the message and its
/// id. There is no idempotency key and no way to list the webhook's messages: a lost
/// answer stays in doubt. An edit sets the whole message (the same edit twice leaves
/// one message), and a delete of a message already gone is done: either is made again
/// when in doubt.
struct DiscordSender {
    http: Transport,
    settings: Settings,
    webhook: SecretString,
}

impl DiscordSender {
    /// `{webhook}/messages/{id}`, the webhook's own query (a `thread_id`) kept at the end.
    fn message_url(&self, id: &str) -> String {
        let url = self.webhook.expose_secret();
        match url.split_once('?') {
            Some((path, query)) => format!("{path}/messages/{id}?{query}"),
            None => format!("{url}/messages/{id}"),
        }
    }

    /// The message `part` is: the JSON alone, or with images a multipart body whose
    /// `payload_json` field is the message (the dry run shows it as that JSON) and whose
    /// `files[n]` are the images.
    fn message<'c>(
        &'c self,
        call: super::transport::CallBuilder<'c>,
        payload: &Value,
        files: Vec<(super::transport::File, String)>,
    ) -> super::transport::CallBuilder<'c> {
        if files.is_empty() {
            return call.json(payload);
        }
        let mut fields = vec![Field::text("payload_json", payload.to_string())];
        for (n, (file, _)) in files.into_iter().enumerate() {
            fields.push(Field::file(&format!("files[{n}]"), file, ""));
        }
        call.multipart(fields).shown_as(payload.clone())
    }
}

/// The webhook message: the text, the announcement's link as an embed (Discord's card),
/// the attachments' alt texts, and which mentions may ping (`allowed_mentions`: with an
/// empty `parse` list, none).
fn payload(
    text: &str,
    settings: &Settings,
    card: Option<&LinkCard>,
    files: &[(String, String)],
) -> Value {
    let parse: Vec<&str> = [Ping::Users, Ping::Roles, Ping::Everyone]
        .into_iter()
        .filter(|p| settings.allow_pings.contains(p))
        .map(Ping::name)
        .collect();
    let mut body = json!({ "content": text, "allowed_mentions": { "parse": parse } });
    if let Some(name) = &settings.username {
        body["username"] = Value::String(name.to_owned());
    }
    if let Some(card) = card {
        // Discord's limits: title 256, description 4,096 characters.
        let mut embed = json!({
            "title": truncate(&card.title, 256),
            "url": card.url,
        });
        if let Some(d) = &card.description {
            embed["description"] = Value::String(truncate(d, 4096));
        }
        body["embeds"] = json!([embed]);
    }
    if !files.is_empty() {
        body["attachments"] = files
            .iter()
            .enumerate()
            .map(|(n, (name, alt))| json!({ "id": n, "filename": name, "description": alt }))
            .collect();
    }
    body
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        text.chars().take(max - 1).chain(['…']).collect()
    }
}

impl Sender for DiscordSender {
    /// `GET` on a webhook URL returns the webhook itself, without posting.
    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            let answer = match self
                .http
                .get(self.webhook.expose_secret())
                .step()
                .send()
                .await
            {
                Ok(a) => a,
                Err(e) => {
                    let address = format!("the variable `{}`", self.settings.webhook_url_env);
                    return vec![crate::channel::send::doctor_error(&e, &address, || {
                        format!("cannot reach Discord: {e}")
                    })];
                }
            };
            let status = answer.status;
            let hook: Value = serde_json::from_str(&answer.text).unwrap_or(Value::Null);
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
            let files = part.files()?;
            let described: Vec<(String, String)> = files
                .iter()
                .map(|(file, alt)| (file.name.clone(), alt.clone()))
                .collect();
            let payload = payload(&part.text, &self.settings, part.card().as_ref(), &described);
            let request = self.message(self.http.post(&url), &payload, files);
            let placeholder = json!({ "id": super::earlier_part_id(part.part as usize) });
            let answer = request.placeholder(placeholder).send().await?;
            if !answer.is_success() {
                let wait = send::retry_after(&answer.headers);
                return Err(from_status(answer.status, wait, &answer.text));
            }
            let message: Value = serde_json::from_str(&answer.text).unwrap_or(Value::Null);
            let id = message["id"]
                .as_str()
                .ok_or_else(|| SendError::permanent("the answer has no message id"))?;
            Ok(Receipt {
                remote_id: id.to_owned(),
                url: None,
            })
        })
    }

    /// `PATCH {webhook}/messages/{id}` with the whole message as `send` makes it, but for
    /// the display name (an edit cannot change it): the same `allowed_mentions` (else
    /// Discord would apply its defaults to the new text), `embeds` and `attachments`
    /// always, empty when there are none, since a field left out keeps what the message
    /// had. `attachments` lists only the part's images, uploaded again: every file the
    /// message had before goes, so the message shows what the part says whatever it
    /// showed, and the request follows from the ledger and the announcement alone, as the
    /// dry run shows it.
    fn edit<'a>(
        &'a self,
        live: &'a Live,
        part: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let files = part.files()?;
            let described: Vec<(String, String)> = files
                .iter()
                .map(|(file, alt)| (file.name.clone(), alt.clone()))
                .collect();
            let settings = Settings {
                username: None,
                ..self.settings.clone()
            };
            let mut payload = payload(&part.text, &settings, part.card().as_ref(), &described);
            for field in ["embeds", "attachments"] {
                if payload.get(field).is_none() {
                    payload[field] = json!([]);
                }
            }
            let url = self.message_url(&live.remote_id);
            let request = self.message(self.http.patch(url), &payload, files);
            let placeholder = json!({ "id": live.remote_id });
            let answer = request.placeholder(placeholder).send().await?;
            if !answer.is_success() {
                let wait = send::retry_after(&answer.headers);
                return Err(from_status(answer.status, wait, &answer.text));
            }
            Ok(Receipt {
                remote_id: live.remote_id.clone(),
                url: live.url.clone(),
            })
        })
    }

    /// `DELETE {webhook}/messages/{id}`: Discord answers 204; 404 (Unknown Message) means
    /// it is gone already.
    fn delete<'a>(&'a self, live: &'a Live) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let answer = self
                .http
                .delete(self.message_url(&live.remote_id))
                .send()
                .await?;
            if answer.is_success() || answer.status == 404 {
                return Ok(());
            }
            let wait = send::retry_after(&answer.headers);
            Err(from_status(answer.status, wait, &answer.text))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Request;
    use crate::channel::send::About;
    use crate::channel::transport::finish_offline;
    use std::path::Path;

    /// A sender on a recording transport, as the dry run makes it: the webhook is the
    /// name of its variable, here with a thread's query.
    fn sender(webhook: &str) -> (DiscordSender, Transport) {
        let http = Transport::recording(Path::new("/repo"), None);
        let sender = DiscordSender {
            http: http.clone(),
            settings: Settings {
                webhook_url_env: "DC_URL".into(),
                username: Some("Tartu".into()),
                allow_pings: vec![Ping::Roles],
            },
            webhook: SecretString::from(webhook.to_owned()),
        };
        (sender, http)
    }

    fn part(link: Option<&str>) -> Outgoing {
        Outgoing {
            key: "k".into(),
            text: "Uus tekst".into(),
            lang: "et".into(),
            part: 1,
            reply_to: None,
            thread_root: None,
            images: Vec::new(),
            about: std::sync::Arc::new(About {
                id: "a".into(),
                title: "Uus".into(),
                summary: None,
                link: link.map(str::to_owned),
                tags: Vec::new(),
                publish_at: None,
            }),
            planned_id: None,
        }
    }

    fn live(id: &str) -> Live {
        Live {
            remote_id: id.into(),
            url: None,
            posted_at: jiff::Timestamp::UNIX_EPOCH,
            part: 1,
            media: None,
        }
    }

    #[test]
    fn an_edit_sets_the_whole_message_and_a_delete_names_it_on_the_webhook() {
        let (s, http) = sender("$DC_URL?thread_id=77");
        let receipt = finish_offline(s.edit(&live("1200"), &part(None)))
            .unwrap()
            .unwrap();
        assert_eq!(receipt.remote_id, "1200");
        finish_offline(s.edit(&live("1200"), &part(Some("https://tartu.ee/a"))))
            .unwrap()
            .unwrap();
        finish_offline(s.delete(&live("1200"))).unwrap().unwrap();
        assert_eq!(
            http.recorded(),
            [
                Request {
                    action: "PATCH $DC_URL/messages/1200?thread_id=77".into(),
                    body: json!({
                        "allowed_mentions": { "parse": ["roles"] },
                        "attachments": [],
                        "content": "Uus tekst",
                        "embeds": [],
                    }),
                },
                Request {
                    action: "PATCH $DC_URL/messages/1200?thread_id=77".into(),
                    body: json!({
                        "allowed_mentions": { "parse": ["roles"] },
                        "attachments": [],
                        "content": "Uus tekst",
                        "embeds": [{ "title": "Uus", "url": "https://tartu.ee/a" }],
                    }),
                },
                Request {
                    action: "DELETE $DC_URL/messages/1200?thread_id=77".into(),
                    body: Value::Null,
                },
            ]
        );
    }
}
