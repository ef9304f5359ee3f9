//! LinkedIn organization posts: `POST /rest/posts`.
//!
//! Every call names its API version (`Linkedin-Version: YYYYMM`) and Rest.li 2.0.0.
//! Images go up through the Images API (initialize, `PUT` the bytes, wait until LinkedIn
//! reports them `AVAILABLE`); a link becomes an article card whose title and description
//! Herald supplies, since LinkedIn does not read the page. The new post's URN comes in the
//! `x-restli-id` header. There is no idempotency key: a post whose answer was lost is
//! looked up among the organization's recent posts before anything is sent again.
//!
//! A correction is a partial update of the post's `commentary` (`POST /rest/posts/{urn}`
//! with `X-RestLi-Method: PARTIAL_UPDATE`, answered 204), escaped as on create, then the
//! post read back: one user reported a 204 that changed nothing, so an edit counts only
//! once LinkedIn shows the new text. Only the text changes; images and the article card
//! stay as they were posted. A retraction is `DELETE /rest/posts/{urn}`; deletes are
//! idempotent, and a post already gone (404) is deleted. The request shapes come from
//! copies of LinkedIn's Posts API page (docs/platform-edits.md: unverified).

use super::send::{
    self, BoxFuture, Finding, Live, Lookup, Outgoing, Receipt, SendError, Sender, bearer,
    before_posting, fold_space, from_status,
};
use super::transport::{self, Answer, CallBuilder, File, Transport};
use super::{Base, Channel, ConfigProblem, Kind, SecretRef, SendContext};
use jiff::civil::Date;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The `Linkedin-Version` header used when the configuration does not name one.
pub const DEFAULT_API_VERSION: &str = "202601";

/// LinkedIn's access tokens last 60 days; `doctor` warns from day 50.
const TOKEN_DAYS: i32 = 60;
const TOKEN_WARN_DAYS: i32 = 50;

/// How often, and how far apart, an uploaded image's state is read before giving up.
const IMAGE_POLLS: u32 = 30;
const IMAGE_POLL_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// `urn:li:organization:<id>`.
    organization: String,
    token_env: String,
    #[serde(default = "default_version")]
    api_version: String,
    /// The day the access token was created (`YYYY-MM-DD`), for `doctor`'s expiry warning
    /// (the name avoids "token", which the configuration keeps for secrets).
    authorized_on: Option<String>,
    /// The API server (a test double in tests).
    #[serde(default = "default_api")]
    api_url: String,
}

fn default_version() -> String {
    DEFAULT_API_VERSION.into()
}

fn default_api() -> String {
    "https://api.linkedin.com".into()
}

pub struct Linkedin {
    base: Base,
    settings: Settings,
}

impl Linkedin {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        let mut problems = Vec::new();
        if !settings.organization.starts_with("urn:li:organization:") {
            problems.push(ConfigProblem::at(
                "organization",
                format!(
                    "`organization` must look like \"urn:li:organization:12345\", found \"{}\"",
                    settings.organization
                ),
            ));
        }
        let v = &settings.api_version;
        if v.len() != 6 || !v.chars().all(|c| c.is_ascii_digit()) {
            problems.push(ConfigProblem::at(
                "api_version",
                format!("`api_version` is a month as YYYYMM, like \"{DEFAULT_API_VERSION}\", found \"{v}\""),
            ));
        }
        if let Some(day) = &settings.authorized_on
            && day.parse::<Date>().is_err()
        {
            problems.push(ConfigProblem::at(
                "authorized_on",
                format!("`authorized_on` is the day the token was created, like \"2026-01-31\", found \"{day}\""),
            ));
        }
        if let Err(why) = crate::announcement::check_url(&settings.api_url) {
            problems.push(ConfigProblem::at("api_url", format!("`api_url` {why}")));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Linkedin { base, settings }))
    }
}

impl Settings {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_url.trim_end_matches('/'))
    }
}

/// LinkedIn's "little" text format: these characters must be escaped with `\` even when
/// they are not meant as markup, or the post is cut short at them.
pub fn escape_commentary(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '|' | '{'
                | '}'
                | '@'
                | '['
                | ']'
                | '('
                | ')'
                | '<'
                | '>'
                | '#'
                | '\\'
                | '*'
                | '_'
                | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// What a post shows besides its text.
enum Content<'a> {
    None,
    /// Uploaded images: (image URN, alt text).
    Images(Vec<(String, &'a str)>),
    Article {
        url: &'a str,
        title: &'a str,
        description: Option<&'a str>,
    },
}

/// The body of `POST /rest/posts`.
fn post_body(organization: &str, text: &str, content: Content<'_>) -> Value {
    let mut body = json!({
        "author": organization,
        "commentary": escape_commentary(text),
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": false,
    });
    match content {
        Content::None => {}
        Content::Images(images) if images.len() == 1 => {
            let (id, alt) = &images[0];
            body["content"] = json!({ "media": { "id": id, "altText": alt } });
        }
        Content::Images(images) => {
            let images: Vec<Value> = images
                .iter()
                .map(|(id, alt)| json!({ "id": id, "altText": alt }))
                .collect();
            body["content"] = json!({ "multiImage": { "images": images } });
        }
        Content::Article {
            url,
            title,
            description,
        } => {
            let mut article = json!({ "source": url, "title": title });
            if let Some(d) = description {
                article["description"] = Value::String(d.to_owned());
            }
            body["content"] = json!({ "article": article });
        }
    }
    body
}

/// The body of the partial update that changes a post's text.
fn edit_body(text: &str) -> Value {
    json!({ "patch": { "$set": { "commentary": escape_commentary(text) } } })
}

fn init_upload_body(organization: &str) -> Value {
    json!({ "initializeUploadRequest": { "owner": organization } })
}

impl Channel for Linkedin {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Linkedin
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "access token",
            env: &self.settings.token_env,
        }]
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(LinkedinSender {
            http: ctx.transport.clone(),
            root: ctx.root.to_path_buf(),
            settings: self.settings.clone(),
            token: send::secret(ctx.env, &self.settings.token_env, "LinkedIn access token")?,
        }))
    }
}

struct LinkedinSender {
    http: Transport,
    /// The repository, for showing image paths.
    root: std::path::PathBuf,
    settings: Settings,
    token: SecretString,
}

impl LinkedinSender {
    fn rest<'t>(&self, request: CallBuilder<'t>) -> CallBuilder<'t> {
        let version = &self.settings.api_version;
        request
            .header("Authorization", bearer(&self.token))
            .header("Linkedin-Version", version)
            .header("X-Restli-Protocol-Version", "2.0.0")
            .note(format!("Linkedin-Version: {version}"))
    }

    fn check(&self, response: Answer) -> Result<Answer, SendError> {
        if response.is_success() {
            return Ok(response);
        }
        let wait = send::retry_after(&response.headers);
        Err(self.error(response.status, wait, &response.text))
    }

    fn json(&self, response: Answer) -> Result<Value, SendError> {
        let text = self.check(response)?.text;
        serde_json::from_str(&text).map_err(|e| {
            SendError::permanent(format!(
                "LinkedIn answered with something that is not JSON: {e}"
            ))
        })
    }

    /// LinkedIn's errors: `{"status", "code", "serviceErrorCode", "message"}`.
    fn error(&self, status: u16, wait: Option<Duration>, text: &str) -> SendError {
        let answer: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let message = answer["message"].as_str().unwrap_or(text).trim();
        let s = &self.settings;
        match status {
            401 => SendError::permanent(format!(
                "the LinkedIn access token is invalid or has expired (401: {message}); tokens last \
                 60 days: sign in again to create one, put it in `{}` and set `authorized_on` to \
                 today's date",
                s.token_env
            )),
            403 => SendError::Permanent {
                message: format!(
                    "LinkedIn does not allow this (403: {message}); the token needs the \
                     w_organization_social scope, and the member who created it must be an \
                     administrator or content admin of {}",
                    s.organization
                ),
                status: Some(403),
            },
            422 if message.to_lowercase().contains("duplicate") => SendError::permanent(format!(
                "LinkedIn refused the post as a duplicate of a recent one (422: {message}); if it \
                 is this announcement posted earlier, record it with `herald resolve`, otherwise \
                 change the text"
            )),
            426 => SendError::permanent(format!(
                "LinkedIn no longer serves the API version {} (426: {message}); set `api_version` \
                 to a recent month (YYYYMM)",
                s.api_version
            )),
            // Daily quotas reset at midnight UTC; LinkedIn sends no header saying so.
            429 => SendError::Transient {
                message: format!(
                    "LinkedIn's daily limit is reached (429: {message}); it resets at midnight UTC"
                ),
                retry_after: wait.or_else(until_midnight_utc),
                maybe_sent: false,
                unreached: None,
            },
            400 | 422 => SendError::permanent(format!(
                "LinkedIn rejected the request ({status}: {message})"
            )),
            _ => from_status(status, wait, message),
        }
    }

    /// Uploads one image through the Images API and waits until it can be used.
    async fn upload(&self, file: File) -> Result<String, SendError> {
        let s = &self.settings;
        let shown = transport::shown_path(&self.root, &file.path);
        let response = self
            .rest(
                self.http
                    .post(s.url("/rest/images?action=initializeUpload")),
            )
            .json(&init_upload_body(&s.organization))
            .placeholder(json!({ "value": {
                "uploadUrl": format!("<uploadUrl of {shown}>"),
                "image": super::upload_id(&shown),
            } }))
            .send()
            .await?;
        let answer = self.json(response)?;
        let (Some(upload_url), Some(urn)) = (
            answer["value"]["uploadUrl"].as_str(),
            answer["value"]["image"].as_str(),
        ) else {
            return Err(SendError::permanent(
                "LinkedIn's answer to initializeUpload has no uploadUrl or image",
            ));
        };
        let mime = send::image_mime(&file.bytes);
        let response = self
            .http
            .put(upload_url)
            .header("Authorization", bearer(&self.token))
            .file(file, mime)
            .send()
            .await?;
        self.check(response)?;
        let path = format!("/rest/images/{}", encode(urn));
        for poll in 0..IMAGE_POLLS {
            if poll > 0 {
                tokio::time::sleep(IMAGE_POLL_WAIT).await;
            }
            let response = self
                .rest(self.http.get(s.url(&path)))
                .step()
                .placeholder(json!({ "status": "AVAILABLE" }))
                .send()
                .await?;
            let image = self.json(response)?;
            match image["status"].as_str().unwrap_or_default() {
                "AVAILABLE" => return Ok(urn.to_owned()),
                "PROCESSING_FAILED" => {
                    return Err(SendError::permanent(
                        "LinkedIn could not process the image (PROCESSING_FAILED); try another \
                         file (JPEG, PNG or GIF)",
                    ));
                }
                _ => {}
            }
        }
        Err(SendError::Transient {
            message: "LinkedIn is still processing the image; it is tried again later".into(),
            retry_after: None,
            maybe_sent: false,
            unreached: None,
        })
    }

    async fn find_posts(&self, count: &str) -> Result<Answer, SendError> {
        let s = &self.settings;
        let url = send::with_query(
            &s.url("/rest/posts"),
            &[
                ("author", s.organization.as_str()),
                ("q", "author"),
                ("count", count),
                ("sortBy", "LAST_MODIFIED"),
            ],
        );
        self.rest(self.http.get(url))
            .header("X-RestLi-Method", "FINDER")
            .step()
            .send()
            .await
    }
}

/// A URN as one path segment.
fn encode(urn: &str) -> String {
    percent_encoding::utf8_percent_encode(urn, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn until_midnight_utc() -> Option<Duration> {
    let now = jiff::Timestamp::now();
    let utc = jiff::tz::TimeZone::UTC;
    let tomorrow = now.to_zoned_datetime(utc.clone()).date().tomorrow().ok()?;
    let midnight = tomorrow.to_zoned_datetime(utc).ok()?.timestamp();
    Duration::try_from(midnight.duration_since(now)).ok()
}

fn receipt(urn: &str) -> Receipt {
    Receipt {
        remote_id: urn.to_owned(),
        url: Some(format!("https://www.linkedin.com/feed/update/{urn}/")),
    }
}

impl Sender for LinkedinSender {
    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            if part.reply_to.is_some() {
                return Err(SendError::permanent(
                    "LinkedIn posts cannot be threads; shorten the text",
                ));
            }
            let files = part.files()?;
            let mut images = Vec::new();
            for (file, _) in &files {
                // An image that no post names shows nowhere: uploads can be tried again.
                images.push(self.upload(file.clone()).await.map_err(before_posting)?);
            }
            let card = part.card();
            let content = if !files.is_empty() {
                Content::Images(
                    images
                        .into_iter()
                        .zip(&files)
                        .map(|(urn, (_, alt))| (urn, alt.as_str()))
                        .collect(),
                )
            } else if let Some(card) = &card {
                Content::Article {
                    url: &card.url,
                    title: &card.title,
                    description: card.description.as_deref(),
                }
            } else {
                Content::None
            };
            let body = post_body(&self.settings.organization, &part.text, content);
            let placeholder = format!("urn:li:share:{}", super::earlier_part_id(1));
            let response = self
                .rest(self.http.post(self.settings.url("/rest/posts")))
                .json(&body)
                .placeholder_header("x-restli-id", &placeholder)
                .send()
                .await?;
            let response = self.check(response)?;
            let urn = response
                .header("x-restli-id")
                .filter(|urn| urn.starts_with("urn:li:"))
                .map(str::to_owned);
            match urn {
                Some(urn) => Ok(receipt(&urn)),
                // Created, but LinkedIn did not say as what: a person must look.
                None => Err(send::accepted_without_id(
                    "LinkedIn",
                    "has no post id (no `x-restli-id` URN)",
                )),
            }
        })
    }

    fn lookup<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Lookup, SendError>> {
        Box::pin(async move {
            let response = self.find_posts("20").await?;
            let posts = self.json(response)?;
            let wanted = fold_space(&escape_commentary(&part.text));
            let found = posts["elements"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| fold_space(p["commentary"].as_str().unwrap_or_default()) == wanted);
            Ok(match found.and_then(|p| p["id"].as_str()) {
                Some(urn) => Lookup::Found(receipt(urn)),
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
            let s = &self.settings;
            let path = format!("/rest/posts/{}", encode(&live.remote_id));
            let body = edit_body(&part.text);
            let response = self
                .rest(self.http.post(s.url(&path)))
                .header("X-RestLi-Method", "PARTIAL_UPDATE")
                .json(&body)
                .send()
                .await?;
            if response.status == 404 {
                return Err(SendError::Permanent {
                    message: format!(
                        "the LinkedIn post {} is no longer there (deleted on LinkedIn?), so it \
                         cannot be edited; if it was taken down on purpose, retract the \
                         announcement",
                        receipt(&live.remote_id).url.unwrap_or_default()
                    ),
                    status: Some(404),
                });
            }
            self.check(response)?;
            // Read back: the edit counts once LinkedIn shows the new text.
            let wanted = body["patch"]["$set"]["commentary"].clone();
            let response = self
                .rest(self.http.get(s.url(&path)))
                .step()
                .placeholder(json!({ "id": live.remote_id, "commentary": wanted }))
                .send()
                .await?;
            let post = self.json(response)?;
            let shown = post["commentary"].as_str().unwrap_or_default();
            if fold_space(shown) != fold_space(wanted.as_str().unwrap_or_default()) {
                return Err(SendError::Transient {
                    message: format!(
                        "LinkedIn accepted the edit of {} but still shows the old text; the \
                         edit is made again later",
                        receipt(&live.remote_id).url.unwrap_or_default()
                    ),
                    retry_after: None,
                    maybe_sent: true,
                    unreached: None,
                });
            }
            Ok(receipt(&live.remote_id))
        })
    }

    fn delete<'a>(&'a self, live: &'a Live) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let path = format!("/rest/posts/{}", encode(&live.remote_id));
            let response = self
                .rest(self.http.delete(self.settings.url(&path)))
                .header("X-RestLi-Method", "DELETE")
                .send()
                .await?;
            if response.status == 404 {
                return Ok(());
            }
            self.check(response).map(drop)
        })
    }

    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            let today = jiff::ZonedDateTime::now().date();
            let mut findings = token_age(&self.settings, today);
            findings.extend(version_age(&self.settings.api_version, today));
            let answer = match self.find_posts("1").await {
                Ok(response) => self.json(response),
                Err(e) => Err(e),
            };
            findings.push(match answer {
                Ok(_) => Finding::ok(format!(
                    "the token works and can read the posts of {}",
                    self.settings.organization
                )),
                Err(SendError::Permanent {
                    message,
                    status: Some(403),
                }) => {
                    Finding::warning(format!(
                        "the token cannot read the organization's posts, so a post whose answer \
                         was lost cannot be checked (add the r_organization_social scope): {message}"
                    ))
                }
                Err(e) => crate::channel::send::doctor_error(&e, "`api_url`", || e.to_string()),
            });
            findings
        })
    }
}

/// LinkedIn tokens last 60 days and cannot be read back for their age without the app's
/// secret, so the configuration records the day it was created.
fn token_age(s: &Settings, today: Date) -> Vec<Finding> {
    let Some(issued) = s
        .authorized_on
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
    else {
        return vec![Finding::warning(format!(
            "set `authorized_on = \"YYYY-MM-DD\"` to the day the token in `{}` was created, so that \
             doctor warns before it expires (LinkedIn tokens last {TOKEN_DAYS} days)",
            s.token_env
        ))];
    };
    let age = issued.until(today).map_or(0, |span| span.get_days());
    let left = TOKEN_DAYS - age;
    let renew = format!(
        "sign in again to create a new token, put it in `{}` and set `authorized_on`",
        s.token_env
    );
    vec![if left <= 0 {
        Finding::error(format!(
            "the LinkedIn token created on {issued} has expired ({age} days old); {renew}"
        ))
    } else if age >= TOKEN_WARN_DAYS {
        Finding::warning(format!(
            "the LinkedIn token created on {issued} expires in {left} day(s); {renew}"
        ))
    } else {
        Finding::ok(format!(
            "the LinkedIn token created on {issued} is valid for {left} more days"
        ))
    }]
}

/// LinkedIn serves each monthly version for about a year.
fn version_age(version: &str, today: Date) -> Option<Finding> {
    let year: i32 = version.get(..4)?.parse().ok()?;
    let month: i32 = version.get(4..)?.parse().ok()?;
    let months = (i32::from(today.year()) - year) * 12 + (i32::from(today.month()) - month);
    (months >= 10).then(|| {
        Finding::warning(format!(
            "Linkedin-Version {version} is {months} months old and LinkedIn serves a version for \
             about a year; set `api_version` to a recent month"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_escaped() {
        assert_eq!(
            escape_commentary("BETTER (phase 1) #Tartu @city_hall"),
            "BETTER \\(phase 1\\) \\#Tartu \\@city\\_hall"
        );
    }

    fn settings(issued: Option<&str>) -> Settings {
        Settings {
            organization: "urn:li:organization:1".into(),
            token_env: "LI".into(),
            api_version: DEFAULT_API_VERSION.into(),
            authorized_on: issued.map(str::to_owned),
            api_url: default_api(),
        }
    }

    #[test]
    fn token_age_warns_from_day_50_and_fails_from_day_60() {
        let today: Date = "2026-03-31".parse().unwrap();
        let level = |issued| token_age(&settings(Some(issued)), today)[0].level;
        use send::Level::*;
        assert_eq!(level("2026-02-10"), Ok); // 49 days
        assert_eq!(level("2026-02-09"), Warning); // 50 days
        assert_eq!(level("2026-01-31"), Warning); // 59 days: 1 left
        assert_eq!(level("2026-01-30"), Error); // 60 days
        assert_eq!(token_age(&settings(None), today)[0].level, Warning);
    }
}
