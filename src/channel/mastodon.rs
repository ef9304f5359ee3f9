//! Mastodon (and compatible servers): `POST /api/v1/statuses`; corrections with
//! `PUT /api/v1/statuses/:id`, retractions with `DELETE /api/v1/statuses/:id`.

use super::send::{
    self, BoxFuture, Finding, Live, Lookup, Outgoing, Receipt, SendError, Sender, bearer,
    from_status,
};
use super::transport::{self, Answer, Field, File, Transport};
use super::{Base, Channel, ConfigProblem, Kind, Rules, SecretRef, SendContext};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The instance, e.g. `https://mastodon.social`.
    base_url: String,
    token_env: String,
    #[serde(default)]
    visibility: Visibility,
    /// The instance's `configuration.statuses.max_characters` when it is not 500.
    max_characters: Option<usize>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Visibility {
    #[default]
    Public,
    Unlisted,
    Private,
    Direct,
}

pub struct Mastodon {
    base: Base,
    settings: Settings,
}

impl Mastodon {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        if let Err(why) = crate::announcement::check_url(&settings.base_url) {
            return Err(vec![ConfigProblem::at(
                "base_url",
                format!("`base_url` {why}"),
            )]);
        }
        Ok(Box::new(Mastodon { base, settings }))
    }
}

fn url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// The body of `POST /api/v1/statuses`.
fn status_body(
    settings: &Settings,
    text: &str,
    lang: &str,
    media_ids: Option<Vec<String>>,
    reply_to: Option<String>,
) -> Value {
    let mut body = json!({
        "status": text,
        "language": iso639_1(lang),
        "visibility": settings.visibility,
    });
    if let Some(ids) = media_ids {
        body["media_ids"] = ids.into_iter().map(Value::String).collect();
    }
    if let Some(id) = reply_to {
        body["in_reply_to_id"] = Value::String(id);
    }
    body
}

/// The body of `PUT /api/v1/statuses/:id`: the fields an edit can change. Visibility and
/// `in_reply_to_id` cannot change, so they are not sent. `media_ids` names the part's
/// images (an edit without it removes them), `media_attributes` their alt texts.
fn edit_body(text: &str, lang: &str, media: &[(String, String)]) -> Value {
    let mut body = json!({
        "status": text,
        "language": iso639_1(lang),
    });
    if !media.is_empty() {
        body["media_ids"] = media.iter().map(|(id, _)| json!(id)).collect();
        body["media_attributes"] = media
            .iter()
            .map(|(id, alt)| json!({ "id": id, "description": alt }))
            .collect();
    }
    body
}

impl Channel for Mastodon {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Mastodon
    }
    fn rules(&self) -> Rules {
        let rules = Kind::Mastodon.rules();
        Rules {
            limit: self.settings.max_characters.or(rules.limit),
            ..rules
        }
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "access token",
            env: &self.settings.token_env,
        }]
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(MastodonSender {
            http: ctx.transport.clone(),
            root: ctx.root.to_path_buf(),
            settings: self.settings.clone(),
            token: send::secret(ctx.env, &self.settings.token_env, "access token")?,
        }))
    }
}

/// Posts statuses with an `Idempotency-Key`, so a retry or a rerun after a crash returns
/// the status created the first time instead of a second one (Mastodon keeps keys for an
/// hour; after that, in-doubt parts are looked up among the account's own statuses).
struct MastodonSender {
    http: Transport,
    /// The repository, for showing image paths.
    root: std::path::PathBuf,
    settings: Settings,
    token: SecretString,
}

impl MastodonSender {
    /// A read of the account's own data (never part of what goes out).
    async fn get(&self, path: &str) -> Result<Value, SendError> {
        let answer = self
            .http
            .get(url(&self.settings.base_url, path))
            .header("Authorization", bearer(&self.token))
            .step()
            .send()
            .await?;
        read_json(answer)
    }
}

fn read_json(answer: Answer) -> Result<Value, SendError> {
    let status = answer.status;
    // The reset time matters only when the limit was hit; other answers carry it too.
    let wait = send::retry_after(&answer.headers).or_else(|| {
        (status == 429)
            .then(|| rate_limit_reset(&answer.headers))
            .flatten()
    });
    if !answer.is_success() {
        return Err(from_status(status, wait, &answer.text));
    }
    // Accepted but unreadable: for a status, it may exist.
    serde_json::from_str(&answer.text)
        .map_err(|_| send::accepted_without_id("Mastodon", "is not JSON"))
}

/// Mastodon sends no `Retry-After`; `X-RateLimit-Reset` is an ISO 8601 time.
fn rate_limit_reset(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let reset: jiff::Timestamp = headers
        .get("x-ratelimit-reset")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    let wait = reset.duration_since(jiff::Timestamp::now());
    Duration::try_from(wait).ok()
}

/// `/api/v1/statuses/ID`, the id percent-encoded (it comes from the ledger).
fn status_path(id: &str) -> String {
    format!(
        "/api/v1/statuses/{}",
        percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
    )
}

/// What a refusal says: Mastodon's `{"error": "…"}`, else the answer itself, short.
fn error_text(body: &str) -> String {
    let said = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_owned));
    let text = said.unwrap_or_else(|| body.trim().to_owned());
    match text.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    }
}

fn receipt(status: &Value) -> Result<Receipt, SendError> {
    let id = send::id_in(&status["id"])
        .ok_or_else(|| send::accepted_without_id("Mastodon", "has no status id"))?;
    Ok(Receipt {
        remote_id: id.to_owned(),
        url: status["url"].as_str().map(str::to_owned),
    })
}

impl MastodonSender {
    /// Uploads one image with its alt text and waits until the server has processed it:
    /// attaching unprocessed media makes the status fail.
    async fn upload(&self, file: File, alt: String) -> Result<String, SendError> {
        let mime = send::image_mime(&file.bytes);
        let shown = transport::shown_path(&self.root, &file.path);
        let answer = self
            .http
            .post(url(&self.settings.base_url, "/api/v2/media"))
            .header("Authorization", bearer(&self.token))
            .multipart(vec![
                Field::file("file", file, mime),
                Field::text("description", alt),
            ])
            .placeholder(json!({ "id": super::upload_id(&shown), "url": shown }))
            .send()
            .await?;
        let mut media = read_json(answer)?;
        let id = media["id"]
            .as_str()
            .ok_or_else(|| SendError::permanent("the media answer has no id"))?
            .to_owned();
        // 202 with `url: null`: still processing; `GET /api/v1/media/:id` answers 206
        // until it is done.
        let mut wait = Duration::from_millis(250);
        let deadline = tokio::time::Instant::now() + MEDIA_PROCESSING;
        while media["url"].is_null() {
            if tokio::time::Instant::now() >= deadline {
                return Err(SendError::Transient {
                    message: format!(
                        "the server was still processing the image after {} s",
                        MEDIA_PROCESSING.as_secs()
                    ),
                    retry_after: None,
                    maybe_sent: false,
                    unreached: None,
                });
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(5));
            media = self.get(&format!("/api/v1/media/{id}")).await?;
        }
        Ok(id)
    }
}

/// How long to wait for the server to process an uploaded image.
const MEDIA_PROCESSING: Duration = Duration::from_secs(60);

impl Sender for MastodonSender {
    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            // Uploads are not de-duplicated, but an unattached upload is harmless: the
            // server deletes it after a day. The status itself carries the key.
            let mut media_ids = Vec::new();
            for (file, alt) in part.files()? {
                media_ids.push(self.upload(file, alt).await?);
            }
            let body = status_body(
                &self.settings,
                &part.text,
                &part.lang,
                (!media_ids.is_empty()).then_some(media_ids),
                part.reply_to.clone(),
            );
            let answer = self
                .http
                .post(url(&self.settings.base_url, "/api/v1/statuses"))
                .header("Authorization", bearer(&self.token))
                .header("Idempotency-Key", &part.key)
                .json(&body)
                .placeholder(json!({ "id": super::earlier_part_id(part.part as usize) }))
                .send()
                .await?;
            receipt(&read_json(answer)?)
        })
    }

    fn idempotent(&self) -> bool {
        true
    }

    /// `PUT /api/v1/statuses/:id` with the part's text and language. A first part with
    /// images names them again: Herald cannot tell from the status which of its images
    /// are still the announcement's, so it uploads them as `send` does (an unattached
    /// upload the server deletes after a day) and names the new ones with their alt
    /// texts. The server swallows an edit that changes nothing, so one in doubt is made
    /// again.
    fn edit<'a>(
        &'a self,
        live: &'a Live,
        part: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let mut media = Vec::new();
            for (file, alt) in part.files()? {
                media.push((self.upload(file, alt.clone()).await?, alt));
            }
            let id = &live.remote_id;
            let answer = self
                .http
                .put(url(&self.settings.base_url, &status_path(id)))
                .header("Authorization", bearer(&self.token))
                .json(&edit_body(&part.text, &part.lang, &media))
                .placeholder(json!({ "id": id, "url": live.url }))
                .send()
                .await?;
            match answer.status {
                404 => Err(SendError::Permanent {
                    message: format!(
                        "status {id} is not on {} any more, or this account does not own it (404): nothing was edited",
                        self.settings.base_url
                    ),
                    status: Some(404),
                }),
                422 => Err(SendError::Permanent {
                    message: format!(
                        "{} refused the edit of status {id} (422): {}",
                        self.settings.base_url,
                        error_text(&answer.text)
                    ),
                    status: Some(422),
                }),
                _ => receipt(&read_json(answer)?),
            }
        })
    }

    /// `DELETE /api/v1/statuses/:id?delete_media=true`: a retracted announcement's images
    /// go at once rather than a day later (servers before 4.4 ignore the parameter). A
    /// status that is already gone (404) is deleted.
    fn delete<'a>(&'a self, live: &'a Live) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let path = format!("{}?delete_media=true", status_path(&live.remote_id));
            let answer = self
                .http
                .delete(url(&self.settings.base_url, &path))
                .header("Authorization", bearer(&self.token))
                .placeholder(json!({ "id": live.remote_id }))
                .send()
                .await?;
            // The answer is the deleted status; nothing in it is needed.
            if answer.is_success() || answer.status == 404 {
                return Ok(());
            }
            read_json(answer).map(|_| ())
        })
    }

    fn lookup<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Lookup, SendError>> {
        Box::pin(async move {
            let me = self.get("/api/v1/accounts/verify_credentials").await?;
            let id = me["id"].as_str().unwrap_or_default();
            let statuses = self
                .get(&format!(
                    "/api/v1/accounts/{id}/statuses?limit=40&exclude_reblogs=true"
                ))
                .await?;
            let wanted = send::fold_space(&part.text);
            let found = statuses.as_array().into_iter().flatten().find(|s| {
                send::fold_space(&crate::render::visible_text(
                    &s["content"]
                        .as_str()
                        .unwrap_or_default()
                        .replace("<br", "\n<br")
                        .replace("</p><p>", "\n\n"),
                )) == wanted
            });
            Ok(match found {
                Some(status) => Lookup::Found(receipt(status)?),
                None => Lookup::NotFound,
            })
        })
    }

    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            let mut findings = Vec::new();
            match self.get("/api/v1/accounts/verify_credentials").await {
                Ok(me) => findings.push(Finding::ok(format!(
                    "the access token works: signed in as @{}",
                    me["acct"].as_str().unwrap_or("?")
                ))),
                Err(e) => {
                    let unreached = matches!(
                        e,
                        SendError::Transient {
                            unreached: Some(_),
                            ..
                        }
                    );
                    findings.push(crate::channel::send::doctor_error(&e, "`base_url`", || format!(
                        "the access token does not work: {e}; create a new one under Preferences → Development with the scopes write:statuses, write:media and read:accounts"
                    )));
                    if unreached {
                        // The limits are behind the same address: one line says it all.
                        return findings;
                    }
                }
            }
            match self.get("/api/v2/instance").await {
                Ok(instance) => findings.extend(instance_limits(&self.settings, &instance)),
                Err(e) => findings.push(Finding::warning(format!(
                    "could not read the instance's limits (GET /api/v2/instance): {e}"
                ))),
            }
            findings
        })
    }
}

/// The instance's own limits, and whether Herald's settings match them.
fn instance_limits(settings: &Settings, instance: &Value) -> Vec<Finding> {
    let c = &instance["configuration"];
    let number = |v: &Value| v.as_u64();
    let mut findings = Vec::new();
    let mut facts = Vec::new();
    if let Some(n) = number(&c["statuses"]["max_characters"]) {
        facts.push(format!("{n} characters per post"));
        let ours = settings.max_characters.unwrap_or(500) as u64;
        if n != ours {
            findings.push(Finding::warning(format!(
                "the instance allows {n} characters per post but Herald counts to {ours}; set `max_characters = {n}` in this channel's configuration"
            )));
        }
    }
    if let Some(n) = number(&c["statuses"]["max_media_attachments"]) {
        facts.push(format!("{n} images per post"));
    }
    if let Some(n) = number(&c["media_attachments"]["image_size_limit"]) {
        facts.push(format!("images up to {} MB", n / 1_000_000));
    }
    if let Some(n) = number(&c["media_attachments"]["description_limit"]) {
        facts.push(format!("alt text up to {n} characters"));
    }
    let name = instance["domain"]
        .as_str()
        .or(instance["title"].as_str())
        .unwrap_or("the instance");
    if facts.is_empty() {
        findings.insert(
            0,
            Finding::info(format!("{name} does not publish its limits")),
        );
    } else {
        findings.insert(0, Finding::info(format!("{name}: {}", facts.join(", "))));
    }
    findings
}

/// Mastodon takes ISO 639-1 (`en`), not a full BCP 47 tag (`en-GB`).
fn iso639_1(lang: &str) -> &str {
    lang.split('-').next().unwrap_or(lang)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::Request;
    use crate::channel::send::About;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    fn sender(root: &Path) -> (MastodonSender, Transport) {
        let http = Transport::recording(root, None);
        let sender = MastodonSender {
            http: http.clone(),
            root: root.to_path_buf(),
            settings: Settings {
                base_url: "https://m.example/".into(),
                token_env: "TOKEN".into(),
                visibility: Visibility::Unlisted,
                max_characters: None,
            },
            token: SecretString::from("s3cret-token"),
        };
        (sender, http)
    }

    fn part(text: &str, images: Vec<(PathBuf, String)>) -> Outgoing {
        Outgoing {
            key: "herald:a:et-EE:mastodon_et:1:sha256:new".into(),
            text: text.into(),
            lang: "et-EE".into(),
            part: 1,
            reply_to: None,
            thread_root: None,
            images,
            about: Arc::new(About {
                id: "a".into(),
                title: "Teade".into(),
                summary: None,
                link: None,
                tags: Vec::new(),
                publish_at: None,
            }),
            planned_id: None,
        }
    }

    fn live() -> Live {
        Live {
            remote_id: "1234".into(),
            url: Some("https://m.example/@linn/1234".into()),
            posted_at: "2026-06-30T07:00:00Z".parse().unwrap(),
            part: 1,
            media: None,
        }
    }

    #[test]
    fn an_edit_is_a_put_of_the_new_text_and_language_answered_with_the_status() {
        let (sender, http) = sender(Path::new("/repo"));
        let receipt = transport::finish_offline(sender.edit(&live(), &part("Uus tekst", vec![])))
            .unwrap()
            .unwrap();
        assert_eq!(
            receipt,
            Receipt {
                remote_id: "1234".into(),
                url: Some("https://m.example/@linn/1234".into()),
            }
        );
        assert_eq!(
            http.recorded(),
            [Request {
                action: "PUT https://m.example/api/v1/statuses/1234".into(),
                body: json!({ "status": "Uus tekst", "language": "et" }),
            }]
        );
    }

    #[test]
    fn an_edit_of_a_part_with_images_uploads_them_and_names_them_with_their_alt_text() {
        let root =
            std::env::temp_dir().join(format!("herald-mastodon-edit-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        let image = root.join("pic.png");
        std::fs::write(&image, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        let (sender, http) = sender(&root);
        let with_image = part("Uus tekst", vec![(image, "Raekoja plats".into())]);
        transport::finish_offline(sender.edit(&live(), &with_image))
            .unwrap()
            .unwrap();
        let uploaded = "<id of uploaded pic.png>";
        assert_eq!(
            http.recorded(),
            [
                Request {
                    action: "POST https://m.example/api/v2/media".into(),
                    body: json!({ "file": "pic.png", "description": "Raekoja plats" }),
                },
                Request {
                    action: "PUT https://m.example/api/v1/statuses/1234".into(),
                    body: json!({
                        "status": "Uus tekst",
                        "language": "et",
                        "media_ids": [uploaded],
                        "media_attributes": [{ "id": uploaded, "description": "Raekoja plats" }],
                    }),
                },
            ]
        );
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_delete_names_the_status_and_its_media() {
        let (sender, http) = sender(Path::new("/repo"));
        transport::finish_offline(sender.delete(&live()))
            .unwrap()
            .unwrap();
        assert_eq!(
            http.recorded(),
            [Request {
                action: "DELETE https://m.example/api/v1/statuses/1234?delete_media=true".into(),
                body: Value::Null,
            }]
        );
    }

    #[test]
    fn refusals_are_said_in_plain_words() {
        assert_eq!(
            error_text(r#"{"error":"Validation failed: Text can't be blank"}"#),
            "Validation failed: Text can't be blank"
        );
        assert_eq!(error_text("  Bad gateway \n"), "Bad gateway");
    }
}
