//! GitHub, where staff work: the little of GitHub's REST API Herald needs (the pull
//! requests that brought a commit, their reviews, files at a commit, comments), the
//! environment GitHub Actions sets, and the job summary.
//!
//! A thin client by hand: a handful of documented `GET`/`POST`/`PATCH` requests with the
//! headers GitHub asks for (`Accept: application/vnd.github+json`,
//! `X-GitHub-Api-Version: 2022-11-28`, a bearer token, a user agent), lists read page by
//! page through the `Link` header. The token never leaves for another host: a `next`
//! page outside the API's address is not followed. What the server says is scrubbed of
//! the token before any message shows it.
//!
//! It decides nothing about approvals or posts: [`crate::plan::review`] asks it for facts,
//! and the commands for comments.

pub mod event;

use crate::channel::scrub::Scrubber;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The most pages of one list Herald reads (100 entries a page).
const MAX_PAGES: usize = 30;

/// The largest answer read: the largest image Herald accepts, and room for its listing.
const MAX_ANSWER: u64 = crate::limits::IMAGE_BYTES + (1 << 20);

/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// What GitHub Actions tells a job about where it runs (`GITHUB_*`).
#[derive(Clone)]
pub struct Env {
    /// `GITHUB_API_URL`, without a trailing `/`.
    pub api_url: String,
    /// `GITHUB_SERVER_URL`: where pages for people are.
    pub server_url: String,
    /// `GITHUB_REPOSITORY`: `owner/name`.
    pub repository: String,
    /// `GITHUB_TOKEN`, when the workflow passes it.
    pub token: Option<SecretString>,
    pub event_name: Option<String>,
    pub event_path: Option<PathBuf>,
    pub step_summary: Option<PathBuf>,
    pub run_id: Option<String>,
    pub sha: Option<String>,
    pub ref_name: Option<String>,
}

impl Env {
    /// The GitHub environment, or `None` outside GitHub (no `GITHUB_REPOSITORY`).
    pub fn from_env(env: &BTreeMap<String, String>) -> Option<Env> {
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        let repository = get("GITHUB_REPOSITORY")?;
        let api_url = get("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into());
        Some(Env {
            api_url: api_url.trim_end_matches('/').to_owned(),
            server_url: get("GITHUB_SERVER_URL")
                .unwrap_or_else(|| "https://github.com".into())
                .trim_end_matches('/')
                .to_owned(),
            repository,
            token: get("GITHUB_TOKEN").map(SecretString::from),
            event_name: get("GITHUB_EVENT_NAME"),
            event_path: get("GITHUB_EVENT_PATH").map(PathBuf::from),
            step_summary: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            run_id: get("GITHUB_RUN_ID"),
            sha: get("GITHUB_SHA"),
            ref_name: get("GITHUB_REF_NAME"),
        })
    }

    /// The address of this workflow run, for people.
    pub fn run_url(&self) -> Option<String> {
        let id = self.run_id.as_ref()?;
        Some(format!(
            "{}/{}/actions/runs/{id}",
            self.server_url, self.repository
        ))
    }

    /// Whether this run was started by a pull request (whose code is not trusted to
    /// publish).
    pub fn is_pull_request(&self) -> bool {
        self.event_name
            .as_deref()
            .is_some_and(|e| e.starts_with("pull_request"))
    }
}

/// Appends Markdown to the job summary (`GITHUB_STEP_SUMMARY`), when there is one.
pub fn append_summary(env: Option<&Env>, markdown: &str) -> Result<bool, String> {
    let Some(path) = env.and_then(|e| e.step_summary.as_ref()) else {
        return Ok(false);
    };
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .and_then(|mut f| {
            f.write_all(markdown.as_bytes())?;
            if !markdown.ends_with('\n') {
                f.write_all(b"\n")?;
            }
            Ok(())
        })
        .map_err(|e| format!("cannot write the job summary: {e}"))?;
    Ok(true)
}

/// A pull request, as the fields Herald reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Pull {
    pub number: u64,
    #[serde(default)]
    pub merged_at: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    pub user: User,
    pub base: Ref,
    pub head: Ref,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub login: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Ref {
    #[serde(rename = "ref", default)]
    pub name: String,
    #[serde(default)]
    pub sha: String,
}

/// One review of a pull request.
#[derive(Debug, Clone, Deserialize)]
pub struct Review {
    #[serde(default)]
    pub id: u64,
    /// `None` when the reviewer's account was deleted.
    pub user: Option<User>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED` or `PENDING`.
    pub state: String,
    /// The commit that was reviewed.
    #[serde(default)]
    pub commit_id: Option<String>,
    #[serde(default)]
    pub submitted_at: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

/// A comment on a pull request (an issue comment).
#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

/// One entry of a folder at a commit.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// `file`, `dir`, `symlink` or `submodule`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub path: String,
    /// The Git object id (blob or tree).
    pub sha: String,
}

/// A failed request, in plain words (the token scrubbed out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: Option<u16>,
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// GitHub's REST API for one repository.
pub struct Client {
    http: reqwest::Client,
    api: String,
    repo: String,
    token: SecretString,
    scrub: Scrubber,
    runtime: tokio::runtime::Runtime,
}

/// Characters left as they are in one segment of a path.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

impl Client {
    /// The client for the repository `env` names; an error in plain words when the
    /// workflow gave Herald no token.
    pub fn new(env: &Env) -> Result<Client, String> {
        let Some(token) = env.token.clone() else {
            return Err(
                "`GITHUB_TOKEN` is not set; in the workflow, pass it to this step with \
                 `env: GITHUB_TOKEN: ${{ github.token }}`"
                    .to_owned(),
            );
        };
        let mut scrub = Scrubber::new();
        scrub.add(token.expose_secret(), "GITHUB_TOKEN");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        Ok(Client {
            http: crate::channel::send::http_client(TIMEOUT),
            api: env.api_url.clone(),
            repo: env.repository.clone(),
            token,
            scrub,
            runtime,
        })
    }

    /// Removes the token from text a server sent.
    pub fn scrub(&self, text: &str) -> String {
        self.scrub.scrub(text).into_owned()
    }

    fn repo_url(&self, rest: &str) -> String {
        format!("{}/repos/{}/{rest}", self.api, self.repo)
    }

    /// One request; the body as bytes and the `Link` header's next page.
    fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        accept: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Vec<u8>, Option<String>), Error> {
        let mut req = self
            .http
            .request(method.clone(), url)
            .header("Accept", accept)
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header(
                "Authorization",
                format!("Bearer {}", self.token.expose_secret()),
            );
        if let Some(body) = body {
            req = req.json(body);
        }
        let what = format!("{method} {}", self.shown(url));
        // Read no more than the largest file Herald reads at all (an image): a reviewed
        // commit's files are whatever a pull request put there.
        let result = self.runtime.block_on(async {
            let mut resp = req.send().await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let mut bytes = Vec::new();
            while let Some(chunk) = resp.chunk().await? {
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 > MAX_ANSWER {
                    return Ok(None);
                }
            }
            Ok::<_, reqwest::Error>(Some((status, headers, bytes)))
        });
        let answer = result.map_err(|e| Error {
            status: None,
            message: format!(
                "GitHub could not be reached ({what}): {}",
                self.scrub(&e.without_url().to_string())
            ),
        })?;
        let Some((status, headers, bytes)) = answer else {
            return Err(Error {
                status: None,
                message: format!(
                    "{what}: the answer is larger than {} MB; Herald reads no file that big",
                    MAX_ANSWER >> 20
                ),
            });
        };
        if !(200..300).contains(&status) {
            return Err(self.refusal(&what, status, &headers, &bytes));
        }
        let next = headers
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(next_link)
            .filter(|n| n.starts_with(&format!("{}/", self.api)));
        Ok((status, bytes, next))
    }

    /// A URL as messages show it: the path below the API.
    fn shown(&self, url: &str) -> String {
        url.strip_prefix(&self.api).unwrap_or(url).to_owned()
    }

    fn refusal(
        &self,
        what: &str,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Error {
        let said = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
        let said = self.scrub(&said);
        let exhausted = headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            == Some("0");
        let why = match status {
            401 => {
                "the token was refused (401): `GITHUB_TOKEN` is missing, wrong or expired".into()
            }
            403 | 429 if exhausted => format!(
                "GitHub's limit of requests for this token is used up ({status}); the next run tries again"
            ),
            403 => format!(
                "the token may not do this (403: {said}); the workflow needs `permissions: pull-requests: write` (comments, reviews) and `contents: read`"
            ),
            404 => format!("not found (404: {said})"),
            _ => format!("GitHub answered {status}: {said}"),
        };
        Error {
            status: Some(status),
            message: format!("{what}: {why}"),
        }
    }

    fn get_json(&self, url: &str) -> Result<(Value, Option<String>), Error> {
        let (_, bytes, next) = self.call(
            reqwest::Method::GET,
            url,
            "application/vnd.github+json",
            None,
        )?;
        let value = serde_json::from_slice(&bytes).map_err(|e| Error {
            status: None,
            message: format!(
                "GitHub's answer to GET {} is not JSON: {e}",
                self.shown(url)
            ),
        })?;
        Ok((value, next))
    }

    /// Every entry of a list, page by page.
    fn get_all<T: serde::de::DeserializeOwned>(&self, rest: &str) -> Result<Vec<T>, Error> {
        let sep = if rest.contains('?') { '&' } else { '?' };
        let mut url = Some(self.repo_url(&format!("{rest}{sep}per_page=100")));
        let mut all = Vec::new();
        let mut pages = 0;
        while let Some(u) = url.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(Error {
                    status: None,
                    message: format!(
                        "GET {}: more than {MAX_PAGES} pages; Herald stops reading there",
                        self.shown(&u)
                    ),
                });
            }
            let (value, next) = self.get_json(&u)?;
            let items: Vec<T> = serde_json::from_value(value).map_err(|e| Error {
                status: None,
                message: format!(
                    "GitHub's answer to GET {} is not the list Herald expects: {e}",
                    self.shown(&u)
                ),
            })?;
            all.extend(items);
            url = next;
        }
        Ok(all)
    }

    /// The pull requests that brought `sha` (`GET /repos/{o}/{r}/commits/{sha}/pulls`).
    pub fn pulls_for_commit(&self, sha: &str) -> Result<Vec<Pull>, Error> {
        self.get_all(&format!("commits/{}/pulls", encode_path(sha)))
    }

    /// The reviews of pull request `number`, oldest first.
    pub fn reviews(&self, number: u64) -> Result<Vec<Review>, Error> {
        self.get_all(&format!("pulls/{number}/reviews"))
    }

    /// The bytes of the file at `path` as of commit `sha`; `None` when there is no such
    /// file there.
    pub fn file_at(&self, path: &str, sha: &str) -> Result<Option<Vec<u8>>, Error> {
        let url = self.repo_url(&format!(
            "contents/{}?ref={}",
            encode_path(path),
            encode_path(sha)
        ));
        match self.call(
            reqwest::Method::GET,
            &url,
            "application/vnd.github.raw+json",
            None,
        ) {
            Ok((_, bytes, _)) => Ok(Some(bytes)),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The entries of the folder at `path` as of commit `sha`; `None` when there is no
    /// such folder there.
    pub fn dir_at(&self, path: &str, sha: &str) -> Result<Option<Vec<Entry>>, Error> {
        let url = self.repo_url(&format!(
            "contents/{}?ref={}",
            encode_path(path),
            encode_path(sha)
        ));
        let value = match self.get_json(&url) {
            Ok((value, _)) => value,
            Err(e) if e.status == Some(404) => return Ok(None),
            Err(e) => return Err(e),
        };
        if !value.is_array() {
            // A file where a folder was expected.
            return Ok(None);
        }
        serde_json::from_value(value).map(Some).map_err(|e| Error {
            status: None,
            message: format!("GitHub's listing of `{path}` is not what Herald expects: {e}"),
        })
    }

    /// The comments on pull request (or issue) `number`.
    pub fn comments(&self, number: u64) -> Result<Vec<Comment>, Error> {
        self.get_all(&format!("issues/{number}/comments"))
    }

    fn send_json(&self, method: reqwest::Method, url: &str, body: &Value) -> Result<Value, Error> {
        let (_, bytes, _) = self.call(method, url, "application/vnd.github+json", Some(body))?;
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Adds a comment to pull request `number`.
    pub fn create_comment(&self, number: u64, body: &str) -> Result<Comment, Error> {
        let url = self.repo_url(&format!("issues/{number}/comments"));
        let v = self.send_json(
            reqwest::Method::POST,
            &url,
            &serde_json::json!({ "body": body }),
        )?;
        comment_from(v)
    }

    /// Replaces the body of comment `id`.
    pub fn update_comment(&self, id: u64, body: &str) -> Result<Comment, Error> {
        let url = self.repo_url(&format!("issues/comments/{id}"));
        let v = self.send_json(
            reqwest::Method::PATCH,
            &url,
            &serde_json::json!({ "body": body }),
        )?;
        comment_from(v)
    }

    /// Adds a comment to commit `sha`.
    pub fn commit_comment(&self, sha: &str, body: &str) -> Result<(), Error> {
        let url = self.repo_url(&format!("commits/{}/comments", encode_path(sha)));
        self.send_json(
            reqwest::Method::POST,
            &url,
            &serde_json::json!({ "body": body }),
        )?;
        Ok(())
    }
}

fn comment_from(v: Value) -> Result<Comment, Error> {
    serde_json::from_value(v).map_err(|e| Error {
        status: None,
        message: format!("GitHub's answer about the comment is not what Herald expects: {e}"),
    })
}

/// The `rel="next"` address of a `Link` header.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_read_from_the_link_header() {
        let h = r#"<https://api.github.com/repositories/1/pulls/2/reviews?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/pulls/2/reviews?per_page=100&page=5>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/repositories/1/pulls/2/reviews?per_page=100&page=2")
        );
        let last = r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#;
        assert_eq!(next_link(last), None);
        assert_eq!(next_link(""), None);
        assert_eq!(
            next_link(r#"<https://a/x?page=3>;rel="next""#).as_deref(),
            Some("https://a/x?page=3")
        );
    }

    #[test]
    fn paths_are_encoded_segment_by_segment() {
        assert_eq!(
            encode_path("announcements/2026 päev#1.et.md"),
            "announcements/2026%20p%C3%A4ev%231.et.md"
        );
        assert_eq!(encode_path("a/../b"), "a/../b");
    }
}
