//! A loopback stand-in for GitHub's REST API, following its documented request and
//! response shapes for what Herald uses: the pull requests associated with a commit
//! (`GET /repos/{o}/{r}/commits/{sha}/pulls`), a pull request's reviews
//! (`GET /repos/{o}/{r}/pulls/{n}/reviews`), files and folders at a commit
//! (`GET /repos/{o}/{r}/contents/{path}?ref=`, JSON with base64 content, or the raw media
//! type), and comments (`GET`/`POST /repos/{o}/{r}/issues/{n}/comments`,
//! `PATCH /repos/{o}/{r}/issues/comments/{id}`, `POST /repos/{o}/{r}/commits/{sha}/comments`).
//!
//! Lists are paginated as GitHub does: `per_page` (default 30, at most 100, and at most
//! the mock's own page size so tests can force several pages) and `page`, the next page
//! in a `Link: <…>; rel="next"` header. The contents come from a real Git repository
//! (the test's bare remote), so blob and tree ids are Git's own. Requests without the
//! right `Authorization: Bearer` token get 401 `Bad credentials`.

use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

pub const REPO: &str = "tartu/news";
pub const TOKEN: &str = "ghs_TestToken0123456789abcdefABCDEF";

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// A pull request the mock knows.
#[derive(Clone, Debug)]
pub struct Pull {
    pub number: u64,
    pub author: String,
    pub merged: bool,
    pub base: String,
    pub head_sha: String,
    /// The commits on the base branch GitHub associates with it (the squash or merge
    /// commit, the rebased copies, or the merged commits themselves).
    pub commits: Vec<String>,
    /// Its reviews, oldest first: (login, state, reviewed commit).
    pub reviews: Vec<(String, String, String)>,
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    pulls: Vec<Pull>,
    /// (issue number, id, body).
    comments: Vec<(u64, u64, String)>,
    commit_comments: Vec<(String, String)>,
    next_id: u64,
    page_size: usize,
    /// Answers 403 to every request, quoting this (to check that echoes are scrubbed).
    refuse: Option<String>,
}

pub struct MockGitHub {
    base: String,
    git_dir: PathBuf,
    state: Arc<Mutex<State>>,
}

impl MockGitHub {
    /// Serves the repository in the bare Git folder `git_dir`.
    pub fn start(git_dir: &std::path::Path) -> MockGitHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            page_size: 100,
            next_id: 1000,
            ..State::default()
        }));
        let mock = MockGitHub {
            base: base.clone(),
            git_dir: git_dir.to_path_buf(),
            state: state.clone(),
        };
        let git_dir = mock.git_dir.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = state.clone();
                let base = base.clone();
                let git_dir = git_dir.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &state, &base, &git_dir);
                });
            }
        });
        mock
    }

    /// The most entries one page holds (GitHub: 100).
    pub fn set_page_size(&self, n: usize) {
        self.state.lock().unwrap().page_size = n;
    }

    pub fn add_pull(&self, pull: Pull) {
        self.state.lock().unwrap().pulls.push(pull);
    }

    /// Every request answers 403 quoting `message`.
    pub fn refuse_with(&self, message: &str) {
        self.state.lock().unwrap().refuse = Some(message.to_owned());
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The comments on pull request `n`: (id, body).
    pub fn comments(&self, n: u64) -> Vec<(u64, String)> {
        let s = self.state.lock().unwrap();
        s.comments
            .iter()
            .filter(|c| c.0 == n)
            .map(|c| (c.1, c.2.clone()))
            .collect()
    }

    /// A comment by someone else on pull request `n`.
    pub fn add_comment(&self, n: u64, body: &str) {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id;
        s.comments.push((n, id, body.to_owned()));
    }

    pub fn commit_comments(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().commit_comments.clone()
    }

    /// The environment GitHub Actions gives a job, pointing at this mock.
    pub fn env(&self, event: &str, event_path: &str, summary: &str) -> Vec<(String, String)> {
        [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", REPO),
            ("GITHUB_API_URL", self.base.as_str()),
            ("GITHUB_SERVER_URL", "https://github.example"),
            ("GITHUB_TOKEN", TOKEN),
            ("GITHUB_EVENT_NAME", event),
            ("GITHUB_EVENT_PATH", event_path),
            ("GITHUB_STEP_SUMMARY", summary),
            ("GITHUB_RUN_ID", "4242"),
            ("GITHUB_REF_NAME", "main"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

fn user(login: &str) -> Value {
    json!({"login": login, "id": login.len() as u64 * 1000 + 7, "type": "User",
           "html_url": format!("https://github.example/{login}")})
}

fn pull_json(p: &Pull, base: &str) -> Value {
    json!({
        "url": format!("{base}/repos/{REPO}/pulls/{}", p.number),
        "number": p.number,
        "state": if p.merged { "closed" } else { "open" },
        "title": format!("Pull request {}", p.number),
        "html_url": format!("https://github.example/{REPO}/pull/{}", p.number),
        "user": user(&p.author),
        "merged_at": if p.merged { json!("2026-06-01T08:00:00Z") } else { Value::Null },
        "merge_commit_sha": p.commits.last(),
        "head": {"ref": format!("pr-{}", p.number), "sha": p.head_sha,
                 "repo": {"full_name": REPO}},
        "base": {"ref": p.base, "sha": "0000000000000000000000000000000000000000",
                 "repo": {"full_name": REPO}},
    })
}

fn git(git_dir: &std::path::Path, args: &[&str]) -> Option<Vec<u8>> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args(args)
        .output()
        .ok()?;
    out.status.success().then_some(out.stdout)
}

type Answer = (u16, String, Vec<u8>, Vec<(String, String)>);

fn json_answer(status: u16, v: &Value) -> Answer {
    (
        status,
        "application/json; charset=utf-8".into(),
        serde_json::to_vec(v).unwrap(),
        Vec::new(),
    )
}

fn not_found() -> Answer {
    json_answer(
        404,
        &json!({"message": "Not Found",
                "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

/// A page of `items` as GitHub serves it.
fn page(
    items: Vec<Value>,
    query: &BTreeMap<String, String>,
    path: &str,
    base: &str,
    size: usize,
) -> Answer {
    let per_page = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30usize)
        .clamp(1, 100)
        .min(size);
    let number: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let start = (number - 1) * per_page;
    let chunk: Vec<Value> = items.iter().skip(start).take(per_page).cloned().collect();
    let mut answer = json_answer(200, &Value::Array(chunk));
    let pages = items.len().div_ceil(per_page).max(1);
    let link =
        |n: usize, rel: &str| format!("<{base}{path}?per_page={per_page}&page={n}>; rel=\"{rel}\"");
    let mut links = Vec::new();
    if number < pages {
        links.push(link(number + 1, "next"));
        links.push(link(pages, "last"));
    }
    if number > 1 {
        links.push(link(1, "first"));
        links.push(link(number - 1, "prev"));
    }
    if !links.is_empty() {
        answer.3.push(("Link".into(), links.join(", ")));
    }
    answer
}

fn answer(req: &Request, state: &Mutex<State>, base: &str, git_dir: &std::path::Path) -> Answer {
    let (path, query) = match req.target.split_once('?') {
        Some((p, q)) => (p.to_owned(), q),
        None => (req.target.clone(), ""),
    };
    let query: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| {
            (
                k.to_owned(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
        .collect();
    if req.headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {TOKEN}")) {
        return json_answer(
            401,
            &json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}),
        );
    }
    let mut s = state.lock().unwrap();
    if let Some(message) = &s.refuse {
        return json_answer(403, &json!({"message": message}));
    }
    let Some(rest) = path.strip_prefix(&format!("/repos/{REPO}/")) else {
        return not_found();
    };
    let rest = percent_encoding::percent_decode_str(rest)
        .decode_utf8_lossy()
        .into_owned();
    let segs: Vec<&str> = rest.split('/').collect();
    let size = s.page_size;
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["commits", sha, "pulls"]) => {
            let items = s
                .pulls
                .iter()
                .filter(|p| p.commits.iter().any(|c| c == sha) || &p.head_sha == sha)
                .map(|p| pull_json(p, base))
                .collect();
            page(items, &query, &path, base, size)
        }
        ("GET", ["pulls", n, "reviews"]) => {
            let Some(p) = s.pulls.iter().find(|p| p.number.to_string() == *n) else {
                return not_found();
            };
            let items = p
                .reviews
                .iter()
                .enumerate()
                .map(|(i, (login, state, commit))| {
                    let id = 80_000 + p.number * 100 + i as u64;
                    json!({
                        "id": id,
                        "node_id": format!("PRR_{id}"),
                        "user": user(login),
                        "body": "",
                        "state": state,
                        "html_url": format!("https://github.example/{REPO}/pull/{}#pullrequestreview-{id}", p.number),
                        "pull_request_url": format!("{base}/repos/{REPO}/pulls/{}", p.number),
                        "author_association": "MEMBER",
                        "submitted_at": format!("2026-05-31T{:02}:00:00Z", 8 + i),
                        "commit_id": commit,
                    })
                })
                .collect();
            page(items, &query, &path, base, size)
        }
        ("GET", ["contents", ..]) => {
            let file = segs[1..].join("/");
            let Some(at) = query.get("ref") else {
                return not_found();
            };
            contents(
                git_dir,
                &file,
                at,
                req.headers.get("accept").map(String::as_str),
                base,
            )
        }
        ("GET", ["issues", n, "comments"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            let items = s
                .comments
                .iter()
                .filter(|c| c.0 == n)
                .map(|c| comment_json(c.1, &c.2, base))
                .collect();
            page(items, &query, &path, base, size)
        }
        ("POST", ["issues", n, "comments"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            if !s.pulls.iter().any(|p| p.number == n) {
                return not_found();
            }
            let Some(body) = body_text(req) else {
                return json_answer(422, &json!({"message": "Validation Failed"}));
            };
            s.next_id += 1;
            let id = s.next_id;
            s.comments.push((n, id, body.clone()));
            json_answer(201, &comment_json(id, &body, base))
        }
        ("PATCH", ["issues", "comments", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let Some(body) = body_text(req) else {
                return json_answer(422, &json!({"message": "Validation Failed"}));
            };
            let Some(c) = s.comments.iter_mut().find(|c| c.1 == id) else {
                return not_found();
            };
            c.2 = body.clone();
            json_answer(200, &comment_json(id, &body, base))
        }
        ("POST", ["commits", sha, "comments"]) => {
            let Some(body) = body_text(req) else {
                return json_answer(422, &json!({"message": "Validation Failed"}));
            };
            s.commit_comments.push((sha.to_string(), body.clone()));
            json_answer(201, &json!({"id": 1, "body": body, "commit_id": sha}))
        }
        _ => not_found(),
    }
}

fn body_text(req: &Request) -> Option<String> {
    let v: Value = serde_json::from_slice(&req.body).ok()?;
    v.get("body")?.as_str().map(str::to_owned)
}

fn comment_json(id: u64, body: &str, base: &str) -> Value {
    json!({
        "id": id,
        "node_id": format!("IC_{id}"),
        "url": format!("{base}/repos/{REPO}/issues/comments/{id}"),
        "html_url": format!("https://github.example/{REPO}/pull/1#issuecomment-{id}"),
        "body": body,
        "user": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
        "created_at": "2026-06-01T08:00:00Z",
        "updated_at": "2026-06-01T08:00:00Z",
    })
}

/// `GET /repos/{o}/{r}/contents/{path}?ref=`: a file (JSON with base64 content, or the
/// raw bytes with `application/vnd.github.raw+json`) or a folder's entries.
fn contents(
    git_dir: &std::path::Path,
    path: &str,
    at: &str,
    accept: Option<&str>,
    base: &str,
) -> Answer {
    let spec = format!("{at}:{path}");
    let Some(kind) = git(git_dir, &["cat-file", "-t", &spec]) else {
        return not_found();
    };
    let kind = String::from_utf8_lossy(&kind).trim().to_owned();
    let entry = |kind: &str, name: &str, full: &str, sha: &str, size: u64| {
        json!({
            "type": kind, "size": size, "name": name, "path": full, "sha": sha,
            "url": format!("{base}/repos/{REPO}/contents/{full}?ref={at}"),
            "git_url": format!("{base}/repos/{REPO}/git/{}s/{sha}", if kind == "dir" { "tree" } else { "blob" }),
            "html_url": format!("https://github.example/{REPO}/blob/{at}/{full}"),
            "download_url": if kind == "file" { json!(format!("https://raw.example/{REPO}/{at}/{full}")) } else { Value::Null },
        })
    };
    if kind == "tree" {
        let listing = git(git_dir, &["ls-tree", "-l", &spec]).unwrap_or_default();
        let items: Vec<Value> = String::from_utf8_lossy(&listing)
            .lines()
            .filter_map(|l| {
                let (meta, name) = l.split_once('\t')?;
                let f: Vec<&str> = meta.split_whitespace().collect();
                let full = if path.is_empty() {
                    name.to_owned()
                } else {
                    format!("{path}/{name}")
                };
                let kind = if f[1] == "tree" { "dir" } else { "file" };
                Some(entry(kind, name, &full, f[2], f[3].parse().unwrap_or(0)))
            })
            .collect();
        return json_answer(200, &Value::Array(items));
    }
    let bytes = git(git_dir, &["cat-file", "blob", &spec]).unwrap_or_default();
    if accept == Some("application/vnd.github.raw+json") {
        return (
            200,
            "application/vnd.github.raw+json; charset=utf-8".into(),
            bytes,
            Vec::new(),
        );
    }
    let sha = git(git_dir, &["rev-parse", &spec]).unwrap_or_default();
    let sha = String::from_utf8_lossy(&sha).trim().to_owned();
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut v = entry("file", name, path, &sha, bytes.len() as u64);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let wrapped: Vec<String> = b64
        .as_bytes()
        .chunks(60)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    v["content"] = json!(wrapped.join("\n") + "\n");
    v["encoding"] = json!("base64");
    json_answer(200, &v)
}

fn serve(
    stream: TcpStream,
    state: &Mutex<State>,
    base: &str,
    git_dir: &std::path::Path,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let target = parts.next().unwrap_or("").to_owned();
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        let length: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let req = Request {
            method,
            target,
            headers,
            body,
        };
        state.lock().unwrap().requests.push(req.clone());
        let (status, kind, bytes, extra) = answer(&req, state, base, git_dir);
        let mut head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nX-GitHub-Api-Version-Selected: 2022-11-28\r\nX-RateLimit-Remaining: 4999\r\n",
            bytes.len()
        );
        for (k, v) in extra {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        let mut w = &stream;
        w.write_all(head.as_bytes())?;
        w.write_all(&bytes)?;
        w.flush()?;
    }
}
