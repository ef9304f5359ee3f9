//! Facebook Page (Graph API): `POST /{page-id}/feed`.
//!
//! Images go up first as unpublished photos (`POST /{page-id}/photos`, `published=false`,
//! alt text in `alt_text_custom`); the post names them in `attached_media`. The rest of a
//! long text goes out as comments, each replying to the part before, only when
//! `thread_as_comments` is on; otherwise a text over the limit is an error at `check`.
//! Facebook has no idempotency key: a part whose answer was lost is looked up among the
//! Page's published posts (or the comments it replies to) before anything is re-sent.
//!
//! A correction edits each part in place: `POST /{id}` with the new `message`, where `id`
//! is the post (the first part) or the comment (a later part); a retraction deletes them,
//! `DELETE /{id}`. Both answer `{"success": true}`. Only the text changes: what an edit can
//! do to a post's photos or link is not documented (docs/platform-edits.md: the request
//! and its answer are unverified in Meta's own words). An object that no longer exists is
//! deleted already.

use super::send::{
    self, BoxFuture, Finding, LinkCard, Live, Lookup, Outgoing, Receipt, SendError, Sender, bearer,
    before_posting, fold_space, from_status,
};
use super::transport::{self, Answer, Field, File, Transport};
use super::{Base, Channel, ConfigProblem, Kind, Rules, SecretRef, SendContext};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The Graph API version used when the configuration does not name one.
pub const DEFAULT_GRAPH_VERSION: &str = "v26.0";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    page_id: String,
    /// A Page access token.
    token_env: String,
    #[serde(default = "default_version")]
    graph_version: String,
    /// Post the rest of a long text as comments under the post. Off by default: a
    /// text over the limit is then an error at `check`.
    #[serde(default)]
    thread_as_comments: bool,
    /// The Graph API server, without the version (a test double in tests).
    #[serde(default = "default_api")]
    api_url: String,
}

fn default_version() -> String {
    DEFAULT_GRAPH_VERSION.into()
}

fn default_api() -> String {
    "https://graph.facebook.com".into()
}

pub struct Facebook {
    base: Base,
    settings: Settings,
}

impl Facebook {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        let mut problems = Vec::new();
        if settings.page_id.is_empty() || !settings.page_id.chars().all(|c| c.is_ascii_digit()) {
            problems.push(ConfigProblem::at(
                "page_id",
                format!(
                    "`page_id` is the Page's numeric id (Page settings → About → Page ID), found \"{}\"",
                    settings.page_id
                ),
            ));
        }
        let v = &settings.graph_version;
        if !(v.starts_with('v') && v[1..].split('.').all(|n| n.parse::<u32>().is_ok())) {
            problems.push(ConfigProblem::at(
                "graph_version",
                format!("`graph_version` looks like \"{DEFAULT_GRAPH_VERSION}\", found \"{v}\""),
            ));
        }
        if let Err(why) = crate::announcement::check_url(&settings.api_url) {
            problems.push(ConfigProblem::at("api_url", format!("`api_url` {why}")));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Facebook { base, settings }))
    }
}

impl Settings {
    fn url(&self, path: &str) -> String {
        format!(
            "{}/{}/{path}",
            self.api_url.trim_end_matches('/'),
            self.graph_version
        )
    }
}

/// The body of `POST /{page-id}/feed`. With
/// images the link stays in the text only: a post has photos or a link preview.
fn feed_body(text: &str, link: Option<&str>, photo_ids: &[String]) -> Value {
    let mut body = json!({ "message": text });
    if photo_ids.is_empty() {
        if let Some(link) = link {
            body["link"] = Value::String(link.to_owned());
        }
    } else {
        body["attached_media"] = photo_ids
            .iter()
            .map(|id| json!({ "media_fbid": id }))
            .collect();
    }
    body
}

impl Channel for Facebook {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Facebook
    }
    fn rules(&self) -> Rules {
        Rules {
            threads: self.settings.thread_as_comments,
            ..Kind::Facebook.rules()
        }
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "Page access token",
            env: &self.settings.token_env,
        }]
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(FacebookSender {
            http: ctx.transport.clone(),
            root: ctx.root.to_path_buf(),
            settings: self.settings.clone(),
            token: send::secret(ctx.env, &self.settings.token_env, "Facebook Page token")?,
        }))
    }
}

struct FacebookSender {
    http: Transport,
    /// The repository, for showing image paths.
    root: std::path::PathBuf,
    settings: Settings,
    token: SecretString,
}

impl FacebookSender {
    /// A read (never part of what goes out).
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, SendError> {
        let answer = self
            .http
            .get(send::with_query(&self.settings.url(path), query))
            .header("Authorization", bearer(&self.token))
            .step()
            .send()
            .await?;
        self.read(answer)
    }

    /// `POST path` with a JSON body; `placeholder` is the answer the dry run gets.
    async fn post_json(
        &self,
        path: &str,
        body: &Value,
        placeholder: Value,
    ) -> Result<Value, SendError> {
        let answer = self
            .http
            .post(self.settings.url(path))
            .header("Authorization", bearer(&self.token))
            .json(body)
            .placeholder(placeholder)
            .send()
            .await?;
        self.read(answer)
    }

    /// Uploads one image as an unpublished photo; returns its id.
    async fn upload(&self, file: File, alt: String) -> Result<String, SendError> {
        let mime = send::image_mime(&file.bytes);
        let shown = transport::shown_path(&self.root, &file.path);
        let answer = self
            .http
            .post(
                self.settings
                    .url(&format!("{}/photos", self.settings.page_id)),
            )
            .header("Authorization", bearer(&self.token))
            .multipart(vec![
                Field::file("source", file, mime),
                Field::json("published", json!(false)),
                Field::text("alt_text_custom", alt),
            ])
            .note("multipart")
            .placeholder(json!({ "id": super::upload_id(&shown) }))
            .send()
            .await?;
        let answer = self.read(answer)?;
        answer["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| SendError::permanent("Facebook's upload answer has no photo id"))
    }

    fn read(&self, response: Answer) -> Result<Value, SendError> {
        let status = response.status;
        let wait =
            send::retry_after(&response.headers).or_else(|| regain_access(&response.headers));
        let text = &response.text;
        let answer: Option<Value> = serde_json::from_str(text).ok();
        match answer {
            Some(answer) if answer.get("error").is_some() => {
                Err(self.error(status, wait, &answer["error"]))
            }
            Some(answer) if (200..300).contains(&status) => Ok(answer),
            // Accepted but unreadable: for a post, it may exist (uploads say otherwise).
            _ if (200..300).contains(&status) => {
                Err(send::accepted_without_id("Facebook", "is not JSON"))
            }
            _ => Err(from_status(status, wait, text)),
        }
    }

    /// Maps a Graph API error (`{"error": {"message", "code", "error_subcode", …}}`) by
    /// its code, as Facebook's error-handling guide does.
    fn error(&self, status: u16, wait: Option<Duration>, error: &Value) -> SendError {
        let code = error["code"].as_i64().unwrap_or_default();
        let message = error["error_user_msg"]
            .as_str()
            .or_else(|| error["message"].as_str())
            .unwrap_or("no message")
            .trim();
        let env = &self.settings.token_env;
        match code {
            190 | 102 => SendError::permanent(format!(
                "the Facebook Page token is invalid or has expired (code {code}: {message}); \
                 create a new Page access token (from a long-lived user token, so that it does \
                 not expire) and put it in `{env}`"
            )),
            4 | 17 | 32 | 613 | 341 => SendError::Transient {
                message: format!(
                    "Facebook is throttling requests (code {code}: {message}); it is tried again later"
                ),
                retry_after: wait,
                maybe_sent: false,
                unreached: None,
            },
            1 | 2 => SendError::Transient {
                message: format!("Facebook had a temporary problem (code {code}: {message})"),
                retry_after: wait,
                maybe_sent: status != 503,
                unreached: None,
            },
            10 | 200..=299 => SendError::permanent(format!(
                "the Facebook Page token lacks a permission (code {code}: {message}); create it \
                 with pages_manage_posts, pages_read_engagement and pages_show_list (and \
                 pages_manage_engagement for comments) by someone who can create content on the \
                 Page, and put it in `{env}`"
            )),
            368 => SendError::permanent(format!(
                "Facebook has temporarily blocked posting from this Page for a policy reason \
                 (code 368: {message}); check the Page's notifications, then resend with \
                 `herald resolve --not-posted`"
            )),
            506 => SendError::permanent(format!(
                "Facebook refused the post as a duplicate of the Page's previous post (code 506: \
                 {message}); if it is this announcement posted earlier, record it with \
                 `herald resolve`, otherwise change the text"
            )),
            1609005 => SendError::permanent(format!(
                "Facebook could not read the announcement's link (code 1609005: {message}); \
                 check that the `link` opens in a browser"
            )),
            _ => SendError::permanent(format!(
                "Facebook refused the request ({status}, code {code}: {message})"
            )),
        }
    }

    /// `{"success": true}`, the answer to an edit or a delete: anything else is not a
    /// confirmation (the request may still have taken effect; both are safe to repeat).
    fn confirmed(&self, answer: &Value, what: &str) -> Result<(), SendError> {
        if answer["success"] == Value::Bool(true) {
            Ok(())
        } else {
            Err(SendError::Transient {
                message: format!("Facebook did not confirm the {what} (no \"success\": true)"),
                retry_after: None,
                maybe_sent: true,
                unreached: None,
            })
        }
    }

    /// The public address of a post or comment. The object exists already: failing to
    /// read its address must not make the part look unsent.
    async fn permalink(&self, id: &str) -> Option<String> {
        match self.get(id, &[("fields", "permalink_url")]).await {
            Ok(answer) => answer["permalink_url"].as_str().map(str::to_owned),
            Err(_) => None,
        }
    }
}

/// Whether a Graph API answer says the object is not there: code 100 with subcode 33,
/// "Object with ID '…' does not exist, cannot be loaded due to missing permissions, or
/// does not support this operation" (what a second delete of the same post gets).
fn is_gone(answer: &Answer) -> bool {
    let Ok(answer) = serde_json::from_str::<Value>(&answer.text) else {
        return false;
    };
    let error = &answer["error"];
    error["code"].as_i64() == Some(100)
        && (error["error_subcode"].as_i64() == Some(33)
            || error["message"]
                .as_str()
                .is_some_and(|m| m.contains("does not exist")))
}

/// `X-Business-Use-Case-Usage` (Page tokens) tells, per business, how many minutes
/// until calls are allowed again; `X-App-Usage` has no such field.
fn regain_access(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let usage: Value =
        serde_json::from_str(headers.get("x-business-use-case-usage")?.to_str().ok()?).ok()?;
    let minutes = usage
        .as_object()?
        .values()
        .flat_map(|v| v.as_array().into_iter().flatten())
        .filter_map(|u| u["estimated_time_to_regain_access"].as_u64())
        .max()?;
    (minutes > 0).then(|| Duration::from_secs(minutes * 60))
}

impl Sender for FacebookSender {
    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let placeholder = json!({ "id": super::earlier_part_id(part.part as usize) });
            let answer = if let Some(parent) = &part.reply_to {
                self.post_json(
                    &format!("{parent}/comments"),
                    &json!({ "message": part.text }),
                    placeholder,
                )
                .await?
            } else {
                let mut photos = Vec::new();
                for (file, alt) in part.files()? {
                    // Unpublished photos show nowhere until the post names them.
                    photos.push(self.upload(file, alt).await.map_err(before_posting)?);
                }
                let card = part.card();
                let link = card.as_ref().map(|c: &LinkCard| c.url.as_str());
                let body = feed_body(&part.text, link, &photos);
                self.post_json(
                    &format!("{}/feed", self.settings.page_id),
                    &body,
                    placeholder,
                )
                .await?
            };
            let id = send::id_in(&answer["id"])
                .ok_or_else(|| send::accepted_without_id("Facebook", "has no post id"))?;
            Ok(Receipt {
                remote_id: id.to_owned(),
                url: self.permalink(id).await,
            })
        })
    }

    fn lookup<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Lookup, SendError>> {
        Box::pin(async move {
            let listing = match &part.reply_to {
                Some(parent) => {
                    self.get(
                        &format!("{parent}/comments"),
                        &[("fields", "id,message,permalink_url"), ("limit", "100")],
                    )
                    .await?
                }
                None => {
                    self.get(
                        &format!("{}/published_posts", self.settings.page_id),
                        &[
                            ("fields", "id,message,created_time,permalink_url"),
                            ("limit", "25"),
                        ],
                    )
                    .await?
                }
            };
            let wanted = fold_space(&part.text);
            let found = listing["data"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| fold_space(p["message"].as_str().unwrap_or_default()) == wanted);
            Ok(match found {
                Some(p) => Lookup::Found(Receipt {
                    remote_id: p["id"].as_str().unwrap_or_default().to_owned(),
                    url: p["permalink_url"].as_str().map(str::to_owned),
                }),
                None => Lookup::NotFound,
            })
        })
    }

    fn edit<'a>(
        &'a self,
        live: &'a Live,
        part: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            // A post and a comment are edited alike: the object's own node, a new message.
            let answer = self
                .http
                .post(self.settings.url(&live.remote_id))
                .header("Authorization", bearer(&self.token))
                .json(&json!({ "message": part.text }))
                .placeholder(json!({ "success": true }))
                .send()
                .await?;
            if is_gone(&answer) {
                return Err(SendError::permanent(format!(
                    "the Facebook post {} is no longer there (deleted on the Page?), so it cannot \
                     be edited; if it was taken down on purpose, retract the announcement",
                    live.url.as_deref().unwrap_or(&live.remote_id)
                )));
            }
            let answer = self.read(answer)?;
            self.confirmed(&answer, "edit")?;
            let url = match &live.url {
                Some(url) => Some(url.clone()),
                None => self.permalink(&live.remote_id).await,
            };
            Ok(Receipt {
                remote_id: live.remote_id.clone(),
                url,
            })
        })
    }

    fn delete<'a>(&'a self, live: &'a Live) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let answer = self
                .http
                .delete(self.settings.url(&live.remote_id))
                .header("Authorization", bearer(&self.token))
                .placeholder(json!({ "success": true }))
                .send()
                .await?;
            if is_gone(&answer) {
                return Ok(());
            }
            let answer = self.read(answer)?;
            self.confirmed(&answer, "delete")
        })
    }

    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            let me = match self.get("me", &[("fields", "id,name")]).await {
                Ok(me) => me,
                Err(e) => {
                    return vec![crate::channel::send::doctor_error(&e, "`api_url`", || {
                        e.to_string()
                    })];
                }
            };
            let id = me["id"].as_str().unwrap_or_default();
            let name = me["name"].as_str().unwrap_or("?");
            let page = &self.settings.page_id;
            let mut findings = if id == page {
                vec![Finding::ok(format!("Page token for \"{name}\" ({page})"))]
            } else {
                vec![Finding::error(format!(
                    "the token in `{}` belongs to \"{name}\" ({id}), not to the Page {page}: \
                     posts need a Page access token of that Page (GET /{page}?fields=access_token \
                     with a user token of a Page admin)",
                    self.settings.token_env
                ))]
            };
            if self.settings.thread_as_comments {
                findings.push(Finding::info(
                    "long texts go out as comments under the post (`thread_as_comments`)",
                ));
            }
            findings
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_gone;
    use crate::channel::transport::Answer;
    use serde_json::json;

    fn answer(body: serde_json::Value) -> Answer {
        Answer {
            status: 400,
            text: body.to_string(),
            ..Answer::default()
        }
    }

    #[test]
    fn an_object_that_does_not_exist_is_gone_and_other_errors_are_not() {
        let message = "Unsupported delete request. Object with ID '102726124444893_900000000000001' \
                       does not exist, cannot be loaded due to missing permissions, or does not \
                       support this operation. Please read the Graph API documentation at \
                       https://developers.facebook.com/docs/graph-api";
        let error = |code: i64, subcode: Option<i64>, message: &str| {
            let mut e = json!({ "message": message, "type": "GraphMethodException", "code": code });
            if let Some(s) = subcode {
                e["error_subcode"] = json!(s);
            }
            answer(json!({ "error": e }))
        };
        assert!(is_gone(&error(100, Some(33), message)));
        assert!(is_gone(&error(100, None, message)));
        assert!(!is_gone(&error(100, None, "(#100) Invalid parameter")));
        assert!(!is_gone(&error(190, None, "Error validating access token")));
        assert!(!is_gone(&answer(json!({ "success": true }))));
    }
}
