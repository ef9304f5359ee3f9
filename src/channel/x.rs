//! X (API v2): `POST /2/tweets`, user-context auth (OAuth 1.0a or an OAuth 2.0 user token).
//!
//! Images go up first through `POST /2/media/upload` (multipart), their alt text through
//! `POST /2/media/metadata`; then the post names them in `media.media_ids`. A thread is
//! each part posted as a reply to the one before. X has no idempotency key: a part whose
//! answer was lost is looked up among the account's recent posts
//! (`GET /2/users/:id/tweets`) before anything is sent again.

use super::oauth1;
use super::send::{
    self, BoxFuture, Finding, Lookup, Outgoing, Receipt, SendError, Sender, bearer, before_posting,
    fold_space, from_status,
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
        let detail = problem["detail"]
            .as_str()
            .or_else(|| problem["errors"][0]["message"].as_str())
            .or_else(|| problem["title"].as_str())
            .unwrap_or(text)
            .trim()
            .to_owned();
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
            },
            429 => SendError::Transient {
                message: format!("X rate limit reached (429: {detail})"),
                retry_after: wait,
                maybe_sent: false,
            },
            400 => SendError::permanent(format!("X rejected the request (400: {detail})")),
            _ => from_status(status, wait, &detail),
        }
    }
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
            let mut media_ids = Vec::new();
            for (file, alt) in part.files()? {
                // No post exists until the last request: an upload can be tried again.
                media_ids.push(self.upload(file, &alt).await.map_err(before_posting)?);
            }
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

    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            match self.get("/2/users/me", &[]).await {
                Ok(me) => {
                    let name = me["data"]["username"].as_str().unwrap_or("?");
                    vec![Finding::ok(format!(
                        "signed in as @{name} with {}",
                        self.auth.what()
                    ))]
                }
                Err(e) => vec![Finding::error(e.to_string())],
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::comparable;

    #[test]
    fn posts_compare_as_x_gives_them_back() {
        assert_eq!(
            comparable("Tom &amp; Jerry https://t.co/abc\n\nmore https://t.co/img"),
            comparable("Tom & Jerry https://example.org/long/path more")
        );
        assert_ne!(comparable("one"), comparable("two"));
    }
}
