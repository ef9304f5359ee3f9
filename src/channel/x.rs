//! X (API v2): `POST /2/tweets`, user-context auth (OAuth 1.0a or an OAuth 2.0 user token).
//!
//! Images go up first through `POST /2/media/upload` (multipart), their alt text through
//! `POST /2/media/metadata`; then the post names them in `media.media_ids`. A thread is
//! each part posted as a reply to the one before. X has no idempotency key: a part whose
//! answer was lost is looked up among the account's recent posts
//! (`GET /2/users/:id/tweets`) before anything is sent again.
//!
//! Editing is for X Premium accounts only, so a channel edits only with `edit = true`.
//! An edit is a new post, `POST /2/tweets` with `edit_options.previous_post_id`, and gets a
//! new id, which the receipt carries (a later edit or delete names it). X allows it for 30
//! minutes after posting, 5 times: past that the plan follows the channel's `correction`
//! policy instead ([`crate::platform::Edits`]), and `edit_controls` is read before each
//! edit, so one that X no longer allows (edited elsewhere) fails in plain words. A retraction is `DELETE /2/tweets/:id`; a post already
//! gone (404) is deleted. OAuth 1.0a signs these requests like the create.

use super::oauth1;
use super::send::{
    self, BoxFuture, Finding, Live, Lookup, Outgoing, Receipt, SendError, Sender, bearer,
    before_posting, fold_space, from_status,
};
use super::transport::{self, Answer, Field, File, Transport};
use super::{Base, Channel, ConfigProblem, Kind, SecretRef, SendContext};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    consumer_key_env: Option<String>,
    consumer_secret_env: Option<String>,
    access_token_env: Option<String>,
    access_token_secret_env: Option<String>,
    /// Alternative to OAuth 1.0a: an OAuth 2.0 user access token.
    oauth2_token_env: Option<String>,
    /// The account may edit its posts (X Premium): corrections are then made in place
    /// while X allows it. Off by default: corrections follow `correction`.
    #[serde(default)]
    edit: bool,
    /// The API server (a test double in tests).
    #[serde(default = "default_api")]
    api_url: String,
}

fn default_api() -> String {
    "https://api.x.com".into()
}

pub struct X {
    base: Base,
    settings: Settings,
}

impl X {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        let oauth1 = [
            &settings.consumer_key_env,
            &settings.consumer_secret_env,
            &settings.access_token_env,
            &settings.access_token_secret_env,
        ];
        let complete = oauth1.iter().all(|s| s.is_some());
        let partial = oauth1.iter().any(|s| s.is_some()) && !complete;
        if partial || (!complete && settings.oauth2_token_env.is_none()) {
            return Err(vec![ConfigProblem {
                key: None,
                message: "name the environment variables of either all four OAuth 1.0a secrets \
                          (`consumer_key_env`, `consumer_secret_env`, `access_token_env`, \
                          `access_token_secret_env`) or an OAuth 2.0 user token (`oauth2_token_env`)"
                    .into(),
            }]);
        }
        if let Err(why) = crate::announcement::check_url(&settings.api_url) {
            return Err(vec![ConfigProblem::at(
                "api_url",
                format!("`api_url` {why}"),
            )]);
        }
        Ok(Box::new(X { base, settings }))
    }
}

/// The body of `POST /2/tweets`.
fn tweet_body(text: &str, media_ids: &[String], reply_to: Option<&str>) -> Value {
    let mut body = json!({ "text": text });
    if !media_ids.is_empty() {
        body["media"] = json!({ "media_ids": media_ids });
    }
    if let Some(id) = reply_to {
        body["reply"] = json!({ "in_reply_to_tweet_id": id });
    }
    body
}

/// The body of `POST /2/tweets` that edits the post `previous`: the new text and images.
fn edit_body(text: &str, media_ids: &[String], previous: &str) -> Value {
    let mut body = tweet_body(text, media_ids, None);
    body["edit_options"] = json!({ "previous_post_id": previous });
    body
}

/// Why X's `edit_controls` of a post no longer allow an edit at `now`, if they do not.
/// Fields X leaves out are not held against the edit (X refuses it then itself).
fn not_editable(controls: &Value, now: jiff::Timestamp) -> Option<String> {
    if controls["is_edit_eligible"] == Value::Bool(false) {
        return Some("X does not allow edits of this post".into());
    }
    if controls["edits_remaining"].as_u64() == Some(0) {
        return Some("it has been edited 5 times already".into());
    }
    let until = controls["editable_until"].as_str()?;
    match until.parse::<jiff::Timestamp>() {
        Ok(until) if until <= now => Some(format!("its edit window closed at {until}")),
        _ => None,
    }
}

/// The body of `POST /2/media/metadata`: an uploaded image's alt text.
fn alt_text_body(media_id: &str, alt: &str) -> Value {
    json!({ "id": media_id, "metadata": { "alt_text": { "text": alt } } })
}

impl Channel for X {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::X
    }
    fn changes(&self) -> crate::platform::Changes {
        crate::platform::Changes {
            edit: self.settings.edit,
            ..Kind::X.changes()
        }
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        let s = &self.settings;
        [
            ("consumer key", &s.consumer_key_env),
            ("consumer secret", &s.consumer_secret_env),
            ("access token", &s.access_token_env),
            ("access token secret", &s.access_token_secret_env),
            ("OAuth 2.0 user token", &s.oauth2_token_env),
        ]
        .into_iter()
        .filter_map(|(what, env)| env.as_deref().map(|env| SecretRef { what, env }))
        .collect()
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        let s = &self.settings;
        let get = |env: &Option<String>, what: &str| -> Result<Option<SecretString>, String> {
            env.as_deref()
                .map(|name| send::secret(ctx.env, name, what))
                .transpose()
        };
        let auth = match (
            get(&s.consumer_key_env, "X consumer key")?,
            get(&s.consumer_secret_env, "X consumer secret")?,
            get(&s.access_token_env, "X access token")?,
            get(&s.access_token_secret_env, "X access token secret")?,
        ) {
            (Some(consumer_key), Some(consumer_secret), Some(token), Some(token_secret)) => {
                Auth::OAuth1 {
                    consumer_key,
                    consumer_secret,
                    token,
                    token_secret,
                }
            }
            _ => Auth::Bearer(
                get(&s.oauth2_token_env, "X OAuth 2.0 user token")?
                    .ok_or("no X credentials are configured")?,
            ),
        };
        Ok(Box::new(XSender {
            http: ctx.transport.clone(),
            root: ctx.root.to_path_buf(),
            api: s.api_url.trim_end_matches('/').to_owned(),
            auth,
            edit: s.edit,
        }))
    }
}

enum Auth {
    OAuth1 {
        consumer_key: SecretString,
        consumer_secret: SecretString,
        token: SecretString,
        token_secret: SecretString,
    },
    Bearer(SecretString),
}

impl Auth {
    fn what(&self) -> &'static str {
        match self {
            Auth::OAuth1 { .. } => "the four OAuth 1.0a secrets",
            Auth::Bearer(_) => "the OAuth 2.0 user token",
        }
    }
}

struct XSender {
    http: Transport,
    /// The repository, for showing image paths.
    root: std::path::PathBuf,
    api: String,
    auth: Auth,
    /// `edit = true`: corrections are made in place (for `doctor` to say so).
    edit: bool,
}

impl XSender {
    /// The `Authorization` header of a request to `path` with `query` (signed into it
    /// under OAuth 1.0a; JSON and multipart bodies are not part of the signature).
    fn authorization(&self, method: &str, path: &str, query: &[(&str, &str)]) -> String {
        match &self.auth {
            Auth::Bearer(token) => bearer(token),
            Auth::OAuth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => {
                let creds = oauth1::Credentials {
                    consumer_key: consumer_key.expose_secret(),
                    consumer_secret: consumer_secret.expose_secret(),
                    token: token.expose_secret(),
                    token_secret: token_secret.expose_secret(),
                };
                let nonce: String = std::iter::repeat_with(fastrand::alphanumeric)
                    .take(32)
                    .collect();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                oauth1::header(
                    method,
                    &format!("{}{path}", self.api),
                    query,
                    &creds,
                    &nonce,
                    now,
                )
            }
        }
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
            .post(format!("{}{path}", self.api))
            .header("Authorization", self.authorization("POST", path, &[]))
            .json(body)
            .placeholder(placeholder)
            .send()
            .await?;
        self.read(answer)
    }

    /// A read of the account's own data (never part of what goes out).
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, SendError> {
        let answer = self
            .http
            .get(send::with_query(&format!("{}{path}", self.api), query))
            .header("Authorization", self.authorization("GET", path, query))
            .step()
            .send()
            .await?;
        self.read(answer)
    }

    /// Uploads a part's images (first part only); returns their media ids. Nothing is
    /// posted until the post names them: an upload can be tried again.
    async fn upload_all(&self, part: &Outgoing) -> Result<Vec<String>, SendError> {
        let mut media_ids = Vec::new();
        for (file, alt) in part.files()? {
            media_ids.push(self.upload(file, &alt).await.map_err(before_posting)?);
        }
        Ok(media_ids)
    }

    /// Uploads one image and sets its alt text; returns the media id.
    async fn upload(&self, file: File, alt: &str) -> Result<String, SendError> {
        let mime = send::image_mime(&file.bytes);
        let shown = transport::shown_path(&self.root, &file.path);
        let path = "/2/media/upload";
        let answer = self
            .http
            .post(format!("{}{path}", self.api))
            .header("Authorization", self.authorization("POST", path, &[]))
            .multipart(vec![
                Field::file("media", file, mime),
                Field::text("media_category", "tweet_image"),
            ])
            .note("multipart")
            .placeholder(json!({ "data": { "id": super::upload_id(&shown) } }))
            .send()
            .await?;
        let answer = self.read(answer)?;
        let id = answer["data"]["id"]
            .as_str()
            .ok_or_else(|| SendError::permanent("X's upload answer has no media id"))?
            .to_owned();
        if !alt.is_empty() {
            self.post_json("/2/media/metadata", &alt_text_body(&id, alt), json!({}))
                .await?;
        }
        Ok(id)
    }

    fn read(&self, answer: Answer) -> Result<Value, SendError> {
        let status = answer.status;
        let wait = send::retry_after(&answer.headers).or_else(|| {
            (status == 429)
                .then(|| rate_limit_reset(&answer.headers))
                .flatten()
        });
        if answer.is_success() {
            // Accepted but unreadable: for a post, it may exist (uploads say otherwise).
            return serde_json::from_str(&answer.text)
                .map_err(|_| send::accepted_without_id("X", "is not JSON"));
        }
        Err(self.error(status, wait, &answer.text))
    }

    /// X answers errors as `application/problem+json`: `title`, `detail`, `type`.
    fn error(&self, status: u16, wait: Option<Duration>, text: &str) -> SendError {
        let problem: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let detail = problem_detail(text);
        let kind = problem["type"].as_str().unwrap_or_default();
        match status {
            401 => SendError::permanent(format!(
                "X did not accept the credentials (401: {detail}); check {} in the environment \
                 (regenerate them in the X developer portal if they were revoked)",
                self.auth.what()
            )),
            403 if detail.to_lowercase().contains("duplicate") => SendError::permanent(format!(
                "X refused the post as a duplicate of one already on the account (403: {detail}); \
                 if it is this announcement posted earlier, record it with `herald resolve`, \
                 otherwise change the text"
            )),
            403 => SendError::permanent(format!(
                "X refused the request (403: {detail}); the app needs \"Read and write\" \
                 permission (regenerate the access token after changing it) and an access level \
                 that allows posting"
            )),
            429 if kind.ends_with("usage-capped") => SendError::Transient {
                message: format!(
                    "the X app has used up its posting allowance (429 usage capped: {detail}); \
                     it goes out after the cap resets"
                ),
                retry_after: wait,
                maybe_sent: false,
                unreached: None,
            },
            429 => SendError::Transient {
                message: format!("X rate limit reached (429: {detail})"),
                retry_after: wait,
                maybe_sent: false,
                unreached: None,
            },
            400 => SendError::permanent(format!("X rejected the request (400: {detail})")),
            _ => from_status(status, wait, &detail),
        }
    }
}

/// What an error answer (`application/problem+json`) says: its `detail`, else its first
/// error's message or its title, else the text itself.
fn problem_detail(text: &str) -> String {
    let problem: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    problem["detail"]
        .as_str()
        .or_else(|| problem["errors"][0]["message"].as_str())
        .or_else(|| problem["title"].as_str())
        .unwrap_or(text)
        .trim()
        .to_owned()
}

/// `x-rate-limit-reset`: when the window resets, in Unix seconds.
fn rate_limit_reset(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let reset: u64 = headers
        .get("x-rate-limit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now)))
}

fn receipt(id: &str) -> Receipt {
    Receipt {
        remote_id: id.to_owned(),
        url: Some(format!("https://x.com/i/web/status/{id}")),
    }
}

/// Text as X gives it back: links are shortened to `t.co` (and an image adds one at the
/// end), `&`, `<` and `>` come HTML-escaped. Links become one placeholder, trailing ones
/// are dropped, white space is folded.
fn comparable(text: &str) -> String {
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let mut words: Vec<&str> = text
        .split_whitespace()
        .map(|w| {
            if w.starts_with("http://") || w.starts_with("https://") {
                "\u{1}"
            } else {
                w
            }
        })
        .collect();
    while words.last() == Some(&"\u{1}") {
        words.pop();
    }
    fold_space(&words.join(" "))
}

impl Sender for XSender {
    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let media_ids = self.upload_all(part).await?;
            let body = tweet_body(&part.text, &media_ids, part.reply_to.as_deref());
            let placeholder =
                json!({ "data": { "id": super::earlier_part_id(part.part as usize) } });
            let answer = self.post_json("/2/tweets", &body, placeholder).await?;
            let id = send::id_in(&answer["data"]["id"])
                .ok_or_else(|| send::accepted_without_id("X", "has no post id"))?;
            Ok(receipt(id))
        })
    }

    fn lookup<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Lookup, SendError>> {
        Box::pin(async move {
            let me = self.get("/2/users/me", &[]).await?;
            let Some(id) = me["data"]["id"].as_str() else {
                return Err(SendError::permanent("X's answer has no user id"));
            };
            let posts = self
                .get(&format!("/2/users/{id}/tweets"), &[("max_results", "20")])
                .await?;
            let wanted = comparable(&part.text);
            let found = posts["data"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| comparable(p["text"].as_str().unwrap_or_default()) == wanted);
            Ok(match found.and_then(|p| p["id"].as_str()) {
                Some(id) => Lookup::Found(receipt(id)),
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
            let id = &live.remote_id;
            let shown = live
                .url
                .clone()
                .unwrap_or_else(|| format!("https://x.com/i/web/status/{id}"));
            let path = format!("/2/tweets/{id}");
            let query = [("tweet.fields", "edit_controls")];
            let answer = self
                .http
                .get(send::with_query(&format!("{}{path}", self.api), &query))
                .header("Authorization", self.authorization("GET", &path, &query))
                .step()
                .placeholder(json!({ "data": { "id": id, "edit_controls": {
                    "is_edit_eligible": true, "edits_remaining": 5
                } } }))
                .send()
                .await?;
            if answer.status == 404 {
                return Err(SendError::Permanent {
                    message: format!(
                        "the X post {shown} is no longer there (deleted on X?), so it cannot be \
                         edited; if it was taken down on purpose, retract the announcement"
                    ),
                    status: Some(404),
                });
            }
            let post = self.read(answer)?;
            if let Some(why) = not_editable(&post["data"]["edit_controls"], jiff::Timestamp::now())
            {
                return Err(SendError::permanent(format!(
                    "X allows edits for 30 minutes after posting, 5 times; this post can no \
                     longer be edited ({why}): {shown}. To correct it another way, set \
                     `edit = false` on the channel so that its `correction` policy applies \
                     (`reply`, the default, answers the post with a correction notice; \
                     `repost` deletes it and posts it again)"
                )));
            }
            let media_ids = self.upload_all(part).await?;
            let body = edit_body(&part.text, &media_ids, id);
            let placeholder =
                json!({ "data": { "id": format!("<id of the edit of part {}>", part.part) } });
            let answer = self
                .http
                .post(format!("{}/2/tweets", self.api))
                .header(
                    "Authorization",
                    self.authorization("POST", "/2/tweets", &[]),
                )
                .json(&body)
                .placeholder(placeholder)
                .send()
                .await?;
            if answer.status == 403 {
                let detail = problem_detail(&answer.text);
                return Err(SendError::Permanent {
                    message: format!(
                        "X refused to edit {shown} (403: {detail}); only X Premium accounts can \
                         edit, within 30 minutes of posting: without Premium, set `edit = false` \
                         and a `correction` policy on the channel"
                    ),
                    status: Some(403),
                });
            }
            let answer = self.read(answer)?;
            let new = send::id_in(&answer["data"]["id"])
                .ok_or_else(|| send::accepted_without_id("X", "has no id for the edited post"))?;
            Ok(receipt(new))
        })
    }

    fn edit_is_idempotent(&self) -> bool {
        // Each edit is a new post: an edit in doubt is looked up like a post.
        false
    }

    fn delete<'a>(&'a self, live: &'a Live) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let path = format!("/2/tweets/{}", live.remote_id);
            let answer = self
                .http
                .delete(format!("{}{path}", self.api))
                .header("Authorization", self.authorization("DELETE", &path, &[]))
                .placeholder(json!({ "data": { "deleted": true } }))
                .send()
                .await?;
            if answer.status == 404 {
                return Ok(());
            }
            let answer = self.read(answer)?;
            if answer["data"]["deleted"] == Value::Bool(true) {
                Ok(())
            } else {
                // Safe to repeat: deleting a post that is gone is answered 404.
                Err(SendError::Transient {
                    message: "X did not confirm the delete (no \"deleted\": true)".into(),
                    retry_after: None,
                    maybe_sent: true,
                    unreached: None,
                })
            }
        })
    }

    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            match self.get("/2/users/me", &[]).await {
                Ok(me) => {
                    let name = me["data"]["username"].as_str().unwrap_or("?");
                    let mut findings = vec![Finding::ok(format!(
                        "signed in as @{name} with {}",
                        self.auth.what()
                    ))];
                    if self.edit {
                        findings.push(Finding::info(
                            "corrections are edited in place (`edit = true`): X allows that to \
                             X Premium accounts only, for 30 minutes after posting and 5 times; \
                             after that a correction follows the channel's `correction` policy \
                             (`reply` unless it sets another)",
                        ));
                    }
                    findings
                }
                Err(e) => vec![crate::channel::send::doctor_error(&e, "`api_url`", || {
                    e.to_string()
                })],
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{comparable, not_editable};
    use serde_json::json;

    #[test]
    fn edit_controls_say_when_a_post_can_no_longer_be_edited() {
        let now: jiff::Timestamp = "2026-06-30T10:20:00Z".parse().unwrap();
        let open = json!({ "is_edit_eligible": true, "editable_until": "2026-06-30T10:35:00.000Z", "edits_remaining": 5 });
        assert_eq!(not_editable(&open, now), None);
        let closed = json!({ "is_edit_eligible": true, "editable_until": "2026-06-30T10:20:00.000Z", "edits_remaining": 5 });
        assert_eq!(
            not_editable(&closed, now).as_deref(),
            Some("its edit window closed at 2026-06-30T10:20:00Z")
        );
        let used_up = json!({ "is_edit_eligible": true, "edits_remaining": 0 });
        assert_eq!(
            not_editable(&used_up, now).as_deref(),
            Some("it has been edited 5 times already")
        );
        let never = json!({ "is_edit_eligible": false, "edits_remaining": 5 });
        assert_eq!(
            not_editable(&never, now).as_deref(),
            Some("X does not allow edits of this post")
        );
        // What X leaves out is not held against the edit: X refuses it then itself.
        assert_eq!(not_editable(&json!(null), now), None);
    }

    #[test]
    fn posts_compare_as_x_gives_them_back() {
        assert_eq!(
            comparable("Tom &amp; Jerry https://t.co/abc\n\nmore https://t.co/img"),
            comparable("Tom & Jerry https://example.org/long/path more")
        );
        assert_ne!(comparable("one"), comparable("two"));
    }
}
