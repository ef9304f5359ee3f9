//! A Mastodon instance on loopback: a real HTTP/1.1 server with the documented shapes of
//! `POST /api/v1/statuses`, `verify_credentials` and the own-posts listing, plus injectable
//! faults, so the real `herald` binary can be tested against retries, rate limits and crashes.
//!
//! Guarantees: state (created statuses, idempotency keys, recorded requests) lives behind one
//! mutex and each request's effect on it is applied whole or not at all; a client that vanishes
//! mid-request (even SIGKILLed) only ends its own connection thread. Not modelled: media
//! upload (any `media_ids` are accepted), scheduled statuses, `@user@domain` mention
//! shortening, idempotency-key expiry and automatic rate limiting (use [`Fault::RateLimited`]).

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};
use unicode_segmentation::UnicodeSegmentation;

/// Mastodon ids are snowflakes beyond 2^53: a client that parses them as floats breaks here too.
const FIRST_ID: u64 = 110_000_000_000_000_001;
const MAX_CHARS: usize = 500;
const URL_CHARS: usize = 23;
const RATE_LIMIT: u64 = 300;

/// Lives until the test process exits; its threads are never joined, so dropping it cannot
/// hang a failing test.
pub struct MockMastodon {
    shared: Arc<Shared>,
}

/// Injected into the next `POST /api/v1/statuses` requests, one per request, in order, before
/// the token is checked.
#[derive(Clone, Debug)]
pub enum Fault {
    Status500,
    /// 429 with `Retry-After` and an ISO 8601 `X-RateLimit-Reset`.
    RateLimited {
        retry_after_secs: u64,
    },
    /// Sleep, then process and answer normally: the status is created even if the client gave up.
    Timeout(Duration),
    /// Read the request, then close the connection; nothing is created.
    ResetBeforeProcessing,
    /// Create the status, then close without answering: the post is in doubt for the client.
    LostResponse,
    Status422 {
        error: String,
    },
}

/// One request as received. `path` is the full request target, query string included;
/// header names are lowercase, repeated headers joined with ", ".
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

struct Shared {
    token: String,
    base: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// (request parameters, Status entity) for each created status, oldest first.
    created: Vec<(Value, Value)>,
    /// (token, Idempotency-Key) → index into `created`.
    idempotency: HashMap<(String, String), usize>,
    requests: Vec<Recorded>,
    faults: VecDeque<Fault>,
    latency: Duration,
    /// Requests made with the token; never reset, as no test runs for five minutes.
    used: u64,
}

struct Request {
    recorded: Recorded,
    path: String,
    query: String,
    keep_alive: bool,
}

struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Value,
}

impl MockMastodon {
    /// Starts on 127.0.0.1:0 in background threads, one per connection.
    pub fn start(token: &str) -> MockMastodon {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Shared {
            token: token.to_string(),
            base: format!("http://127.0.0.1:{port}"),
            state: Mutex::new(State::default()),
        });
        let accepting = Arc::clone(&shared);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&accepting);
                thread::spawn(move || serve(stream, &shared));
            }
        });
        MockMastodon { shared }
    }

    pub fn base_url(&self) -> String {
        self.shared.base.clone()
    }

    /// The request parameters (JSON body, or form fields as JSON) of every status created,
    /// in creation order; idempotent replays add nothing.
    pub fn statuses(&self) -> Vec<Value> {
        let state = self.shared.lock();
        state
            .created
            .iter()
            .map(|(params, _)| params.clone())
            .collect()
    }

    /// Every complete request received, in arrival order (one cut off mid-body is not).
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().requests.clone()
    }

    pub fn push_fault(&self, fault: Fault) {
        self.shared.lock().faults.push_back(fault);
    }

    /// Holds back every answer by `d`. The work (creating a status) is done before the wait,
    /// so a client killed during it deterministically leaves a created status behind.
    pub fn set_latency(&self, d: Duration) {
        self.shared.lock().latency = d;
    }
}

/// Serves one connection until the client closes it, asks to close, or fails. Any I/O error
/// means the client went away, so the thread just ends.
fn serve(stream: TcpStream, shared: &Shared) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Ok(Some(request)) = read_request(&mut reader, &mut writer) {
        shared.lock().requests.push(request.recorded.clone());
        let Some(response) = shared.handle(&request) else {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        };
        let latency = shared.lock().latency;
        thread::sleep(latency);
        let written = write_response(&mut writer, &response, request.keep_alive);
        if written.is_err() || !request.keep_alive {
            return;
        }
    }
}

impl Shared {
    /// Tolerates poisoning: a panicking test thread must not take the server down with it.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `None` means: close the connection without answering.
    fn handle(&self, request: &Request) -> Option<Response> {
        let auth = request.recorded.headers.get("authorization");
        let authorized = auth.is_some_and(|auth| *auth == format!("Bearer {}", self.token));
        let response = match (request.recorded.method.as_str(), request.path.as_str()) {
            ("POST", "/api/v1/statuses") => {
                let fault = self.lock().faults.pop_front();
                match fault {
                    None => self.post_status(request, authorized),
                    Some(Fault::Status500) => {
                        error(500, "We're sorry, but something went wrong on our end.")
                    }
                    Some(Fault::RateLimited {
                        retry_after_secs: secs,
                    }) => {
                        let mut response = error(429, "Too many requests");
                        let wait = SignedDuration::from_secs(secs.min(1 << 32) as i64);
                        response.rate_limit(0, Timestamp::now() + wait);
                        response.headers.push(("Retry-After", secs.to_string()));
                        return Some(response);
                    }
                    Some(Fault::Timeout(pause)) => {
                        thread::sleep(pause);
                        self.post_status(request, authorized)
                    }
                    Some(Fault::ResetBeforeProcessing) => return None,
                    Some(Fault::LostResponse) => {
                        self.post_status(request, authorized);
                        return None;
                    }
                    Some(Fault::Status422 { error: message }) => error(422, &message),
                }
            }
            ("GET", "/api/v1/accounts/verify_credentials") if !authorized => unauthorized(),
            ("GET", "/api/v1/accounts/verify_credentials") => {
                let url = format!("{}/@city", self.base);
                Response::ok(json!({"id": "1", "username": "city", "acct": "city", "url": url}))
            }
            ("GET", "/api/v1/accounts/1/statuses") => self.own_statuses(&request.query),
            _ => error(404, "Record not found"),
        };
        Some(self.with_rate_headers(response, authorized))
    }

    fn post_status(&self, request: &Request, authorized: bool) -> Response {
        if !authorized {
            return unauthorized();
        }
        let Recorded { headers, body, .. } = &request.recorded;
        let params = match headers.get("content-type") {
            Some(form) if form.starts_with("application/x-www-form-urlencoded") => {
                form_to_json(body)
            }
            _ => match serde_json::from_slice::<Value>(body) {
                Ok(params @ Value::Object(_)) => params,
                _ => return error(400, "Error occurred while parsing request parameters"),
            },
        };
        // One lock from the idempotency lookup to the insert, so concurrent retries with the
        // same key cannot both create.
        let mut state = self.lock();
        let key = headers
            .get("idempotency-key")
            .map(|key| (self.token.clone(), key.clone()));
        if let Some(&index) = key.as_ref().and_then(|key| state.idempotency.get(key)) {
            return Response::ok(state.created[index].1.clone());
        }
        let text = params["status"].as_str().unwrap_or("");
        let spoiler = params["spoiler_text"].as_str().unwrap_or("");
        let has_media = params["media_ids"]
            .as_array()
            .is_some_and(|ids| !ids.is_empty());
        if text.trim().is_empty() && !has_media {
            return error(422, "Validation failed: Text can't be blank");
        }
        if mastodon_length(&format!("{spoiler}{text}")) > MAX_CHARS {
            return error(
                422,
                "Validation failed: Text character limit of 500 exceeded",
            );
        }
        let reply_to = match &params["in_reply_to_id"] {
            Value::String(id) => Some(id.clone()),
            Value::Number(id) => Some(id.to_string()),
            _ => None,
        };
        let exists = |id: &String| state.created.iter().any(|(_, status)| status["id"] == **id);
        if reply_to.as_ref().is_some_and(|id| !exists(id)) {
            return error(404, "Record not found");
        }
        let id = (FIRST_ID + state.created.len() as u64).to_string();
        let status = json!({
            "id": id,
            "uri": format!("{}/users/city/statuses/{id}", self.base),
            "url": format!("{}/@city/{id}", self.base),
            "created_at": format!("{:.3}", Timestamp::now()),
            "content": to_html(text),
            "spoiler_text": spoiler,
            "visibility": params["visibility"].as_str().unwrap_or("public"),
            "in_reply_to_id": reply_to,
            "language": params["language"],
            "media_attachments": [],
            "account": {"id": "1", "username": "city", "acct": "city"},
        });
        if let Some(key) = key {
            let index = state.created.len();
            state.idempotency.insert(key, index);
        }
        state.created.push((params, status.clone()));
        Response::ok(status)
    }

    /// Newest first, like `GET /api/v1/accounts/:id/statuses`; public, so no token needed.
    fn own_statuses(&self, query: &str) -> Response {
        let param = |name: &str| {
            let mut pairs = query.split('&');
            pairs.find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        };
        let limit: usize = param("limit").and_then(|n| n.parse().ok()).unwrap_or(20);
        let since: u64 = param("since_id").and_then(|n| n.parse().ok()).unwrap_or(0);
        let no_replies = param("exclude_replies") == Some("true");
        let newer =
            |status: &&Value| status["id"].as_str().and_then(|id| id.parse().ok()) > Some(since);
        let state = self.lock();
        let statuses = (state.created.iter().rev().map(|(_, status)| status))
            .filter(newer)
            .filter(|status| !no_replies || status["in_reply_to_id"].is_null())
            .take(limit.min(40));
        Response::ok(statuses.cloned().collect())
    }

    /// Mastodon counts every request made with a token against a 5-minute window.
    fn with_rate_headers(&self, mut response: Response, authorized: bool) -> Response {
        if authorized {
            let used = {
                let mut state = self.lock();
                state.used += 1;
                state.used
            };
            let reset = Timestamp::now() + SignedDuration::from_mins(5);
            response.rate_limit(RATE_LIMIT.saturating_sub(used), reset);
        }
        response
    }
}

impl Response {
    fn ok(body: Value) -> Response {
        let headers = Vec::new();
        Response {
            status: 200,
            headers,
            body,
        }
    }

    /// Mastodon sends the reset as an ISO 8601 timestamp, not as seconds.
    fn rate_limit(&mut self, remaining: u64, reset: Timestamp) {
        self.headers
            .push(("X-RateLimit-Limit", RATE_LIMIT.to_string()));
        self.headers
            .push(("X-RateLimit-Remaining", remaining.to_string()));
        self.headers
            .push(("X-RateLimit-Reset", format!("{reset:.3}")));
    }
}

fn error(status: u16, message: &str) -> Response {
    let mut response = Response::ok(json!({ "error": message }));
    response.status = status;
    response
}

fn unauthorized() -> Response {
    error(401, "The access token is invalid")
}

/// Extended grapheme clusters, with each http(s) URL (up to whitespace) counting as 23.
fn mastodon_length(text: &str) -> usize {
    let mut count = 0;
    let mut rest = text;
    loop {
        let url_at = [rest.find("http://"), rest.find("https://")]
            .into_iter()
            .flatten()
            .min();
        let Some(start) = url_at else {
            return count + rest.graphemes(true).count();
        };
        count += rest[..start].graphemes(true).count() + URL_CHARS;
        let url = &rest[start..];
        rest = &url[url.find(char::is_whitespace).unwrap_or(url.len())..];
    }
}

/// Roughly Mastodon's plain-text formatting: blank lines split paragraphs, newlines become
/// `<br />`. Links are not turned into anchors.
fn to_html(text: &str) -> String {
    let escaped = (text.replace('&', "&amp;").replace('<', "&lt;"))
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let paragraphs = escaped.split("\n\n").filter(|p| !p.trim().is_empty());
    let paragraphs = paragraphs.map(|p| format!("<p>{}</p>", p.trim().replace('\n', "<br />")));
    paragraphs.collect()
}

/// Form fields as a JSON object; `media_ids[]=` repeats become the `media_ids` array, as Rails
/// does.
fn form_to_json(body: &[u8]) -> Value {
    let mut object = serde_json::Map::new();
    for pair in String::from_utf8_lossy(body)
        .split('&')
        .filter(|pair| !pair.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (percent_decode(name), Value::String(percent_decode(value)));
        match name.strip_suffix("[]") {
            Some(array) => match object.entry(array).or_insert_with(|| json!([])) {
                Value::Array(items) => items.push(value),
                other => *other = json!([value]),
            },
            None => drop(object.insert(name, value)),
        }
    }
    Value::Object(object)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => (out.push(byte), i += 3),
            (b'+', _) => (out.push(b' '), i += 1),
            (byte, _) => (out.push(byte), i += 1),
        };
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// `Ok(None)` is a clean close between requests; `Err` is a broken or malformed request.
fn read_request(
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let [method, target, version] = line.split_whitespace().collect::<Vec<_>>()[..] else {
        return Err(invalid("request line"));
    };
    let (method, target, http10) = (
        method.to_string(),
        target.to_string(),
        version == "HTTP/1.0",
    );
    let mut headers = BTreeMap::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if line.trim_end().is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').ok_or_else(|| invalid("header"))?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_string());
        let joined = |old: &mut String| *old = format!("{old}, {value}");
        headers
            .entry(name)
            .and_modify(joined)
            .or_insert_with(|| value.clone());
    }
    let header = |name: &str| headers.get(name).map(|v| v.to_ascii_lowercase());
    if header("expect").as_deref() == Some("100-continue") {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|te| te.contains("chunked")) {
        read_chunked(reader, &mut body)?;
    } else if let Some(length) = header("content-length") {
        let length: u64 = length.parse().map_err(|_| invalid("content-length"))?;
        reader.by_ref().take(length).read_to_end(&mut body)?;
        if body.len() as u64 != length {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    let connection = header("connection").unwrap_or_default();
    let keep_alive =
        !connection.contains("close") && (!http10 || connection.contains("keep-alive"));
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let (path, query) = (path.to_string(), query.to_string());
    let recorded = Recorded {
        method,
        path: target,
        headers,
        body,
    };
    Ok(Some(Request {
        recorded,
        path,
        query,
        keep_alive,
    }))
}

fn read_chunked(reader: &mut BufReader<TcpStream>, body: &mut Vec<u8>) -> io::Result<()> {
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size = line.trim().split(';').next().unwrap_or_default();
        let size = u64::from_str_radix(size, 16).map_err(|_| invalid("chunk size"))?;
        if size == 0 {
            break;
        }
        // Read through `take`, so a garbled size cannot make us allocate it up front.
        if reader.by_ref().take(size).read_to_end(body)? as u64 != size {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        reader.read_line(&mut line)?;
    }
    // Trailers, up to the blank line.
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            return Ok(());
        }
    }
}

fn write_response(writer: &mut TcpStream, response: &Response, keep_alive: bool) -> io::Result<()> {
    let body = response.body.to_string();
    let reason = match response.status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", response.status);
    head += "Content-Type: application/json; charset=utf-8\r\n";
    head += &format!(
        "Content-Length: {}\r\nConnection: {connection}\r\n",
        body.len()
    );
    for (name, value) in &response.headers {
        head += &format!("{name}: {value}\r\n");
    }
    // One write, so a client never sees the head without the body.
    writer.write_all(format!("{head}\r\n{body}").as_bytes())?;
    writer.flush()
}

// The server's own tests, through a raw socket so no HTTP library hides a protocol mistake.

const TOKEN: &str = "secret-token";
const AUTH: (&str, &str) = ("Authorization", "Bearer secret-token");

struct Client {
    reader: BufReader<TcpStream>,
}

struct Reply {
    status: u16,
    headers: BTreeMap<String, String>,
    json: Value,
}

impl Client {
    fn connect(server: &MockMastodon) -> Client {
        let stream = TcpStream::connect(&server.base_url()["http://".len()..]).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        Client {
            reader: BufReader::new(stream),
        }
    }

    fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) {
        let mut raw = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
        for (name, value) in headers {
            raw += &format!("{name}: {value}\r\n");
        }
        raw += &format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.reader.get_mut().write_all(raw.as_bytes()).unwrap();
    }

    /// `None` when the server closed the connection without answering (or we timed out).
    fn reply(&mut self) -> Option<Reply> {
        let mut line = String::new();
        self.reader.read_line(&mut line).ok()?;
        let status = line.split_whitespace().nth(1)?.parse().ok()?;
        let mut headers = BTreeMap::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).ok()?;
            let Some((name, value)) = line.trim_end().split_once(": ") else {
                break;
            };
            headers.insert(name.to_ascii_lowercase(), value.to_string());
        }
        let mut body = vec![0; headers["content-length"].parse().ok()?];
        self.reader.read_exact(&mut body).ok()?;
        let json = serde_json::from_slice(&body).ok()?;
        Some(Reply {
            status,
            headers,
            json,
        })
    }

    fn post(&mut self, body: &Value, extra: &[(&str, &str)]) -> Option<Reply> {
        let mut headers = vec![AUTH, ("Content-Type", "application/json")];
        headers.extend_from_slice(extra);
        self.send("POST", "/api/v1/statuses", &headers, &body.to_string());
        self.reply()
    }
}

fn post_once(server: &MockMastodon, body: Value) -> Option<Reply> {
    Client::connect(server).post(&body, &[])
}

#[test]
fn idempotent_replay_returns_the_original_status_and_creates_once() {
    let server = MockMastodon::start(TOKEN);
    let body = json!({"status": "Street closed", "language": "et"});
    let key = [("Idempotency-Key", "k1")];
    let first = Client::connect(&server).post(&body, &key).unwrap();
    let again = Client::connect(&server).post(&body, &key).unwrap();
    assert_eq!((first.status, again.status), (200, 200));
    assert_eq!(first.json, again.json);
    assert_eq!(
        first.json["url"],
        format!("{}/@city/{FIRST_ID}", server.base_url())
    );
    assert_eq!(first.json["content"], "<p>Street closed</p>");
    assert_eq!(server.statuses(), vec![body.clone()]);
    let other = Client::connect(&server)
        .post(&body, &[("Idempotency-Key", "k2")])
        .unwrap();
    assert_eq!(other.json["id"], (FIRST_ID + 1).to_string());
    assert_eq!(first.headers["x-ratelimit-limit"], "300");
    assert_eq!(other.headers["x-ratelimit-remaining"], "297");
    let recorded = &server.requests()[1];
    assert_eq!(
        (recorded.method.as_str(), recorded.path.as_str()),
        ("POST", "/api/v1/statuses")
    );
    assert_eq!(recorded.headers["idempotency-key"], "k1");
    assert_eq!(recorded.body, body.to_string().into_bytes());
}

#[test]
fn a_missing_or_wrong_token_is_401_and_creates_nothing() {
    let server = MockMastodon::start(TOKEN);
    let mut client = Client::connect(&server);
    client.send("POST", "/api/v1/statuses", &[], r#"{"status":"hi"}"#);
    let reply = client.reply().unwrap();
    assert_eq!(
        (reply.status, reply.json),
        (401, json!({"error": "The access token is invalid"}))
    );
    let wrong = [("Authorization", "Bearer nope")];
    client.send("GET", "/api/v1/accounts/verify_credentials", &wrong, "");
    assert_eq!(client.reply().unwrap().status, 401);
    assert!(server.statuses().is_empty());
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let server = MockMastodon::start(TOKEN);
    let mut client = Client::connect(&server);
    let first = client.post(&json!({"status": "one"}), &[]).unwrap();
    assert_eq!(first.headers["connection"], "keep-alive");
    let reply = json!({"status": "two", "in_reply_to_id": first.json["id"]});
    assert_eq!(
        client.post(&reply, &[]).unwrap().json["in_reply_to_id"],
        first.json["id"]
    );
    client.send("GET", "/api/v1/accounts/verify_credentials", &[AUTH], "");
    assert_eq!(client.reply().unwrap().json["acct"], "city");
    client.send(
        "GET",
        "/api/v1/accounts/1/statuses?limit=1",
        &[("Connection", "close")],
        "",
    );
    let listing = client.reply().unwrap().json;
    assert_eq!(listing.as_array().unwrap().len(), 1);
    assert_eq!(listing[0]["content"], "<p>two</p>");
    assert!(client.reply().is_none(), "closed after Connection: close");
}

#[test]
fn invalid_posts_are_rejected_like_mastodon() {
    let server = MockMastodon::start(TOKEN);
    let orphan = post_once(&server, json!({"status": "x", "in_reply_to_id": "42"})).unwrap();
    assert_eq!(
        (orphan.status, orphan.json["error"].as_str()),
        (404, Some("Record not found"))
    );
    assert_eq!(
        post_once(&server, json!({"status": " "})).unwrap().status,
        422
    );
    // 477 characters plus a long URL counted as 23 is exactly 500; one more is too many.
    let fits = format!(
        "{} https://example.org/{}",
        "é".repeat(476),
        "b".repeat(100)
    );
    assert_eq!(
        post_once(&server, json!({ "status": fits }))
            .unwrap()
            .status,
        200
    );
    let long = post_once(&server, json!({ "status": format!("a{fits}") })).unwrap();
    let message = "Validation failed: Text character limit of 500 exceeded";
    assert_eq!(
        (long.status, long.json["error"].as_str()),
        (422, Some(message))
    );
    assert_eq!(server.statuses().len(), 1);
}

#[test]
fn form_and_chunked_bodies_are_understood() {
    let server = MockMastodon::start(TOKEN);
    let mut client = Client::connect(&server);
    let form = [AUTH, ("Content-Type", "application/x-www-form-urlencoded")];
    let fields = "status=Hello+w%C3%B6rld&media_ids[]=7&media_ids[]=8";
    client.send("POST", "/api/v1/statuses", &form, fields);
    assert_eq!(client.reply().unwrap().status, 200);
    let head = "POST /api/v1/statuses HTTP/1.1\r\nAuthorization: Bearer secret-token\r\n\
                Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    let chunks = "5\r\n{\"sta\r\n9;ext=1\r\ntus\":\"ok\"\r\n1\r\n}\r\n0\r\n\r\n";
    client
        .reader
        .get_mut()
        .write_all(format!("{head}{chunks}").as_bytes())
        .unwrap();
    assert_eq!(client.reply().unwrap().status, 200);
    let form_status = json!({"status": "Hello wörld", "media_ids": ["7", "8"]});
    assert_eq!(
        server.statuses(),
        vec![form_status, json!({"status": "ok"})]
    );
}

#[test]
fn error_faults_create_nothing_and_apply_in_order() {
    let server = MockMastodon::start(TOKEN);
    server.push_fault(Fault::Status500);
    server.push_fault(Fault::Status422 {
        error: "Validation failed: nope".into(),
    });
    server.push_fault(Fault::RateLimited {
        retry_after_secs: 60,
    });
    let body = json!({"status": "hi"});
    assert_eq!(post_once(&server, body.clone()).unwrap().status, 500);
    let invalid = post_once(&server, body.clone()).unwrap();
    assert_eq!(
        (invalid.status, invalid.json),
        (422, json!({"error": "Validation failed: nope"}))
    );
    let limited = post_once(&server, body.clone()).unwrap();
    assert_eq!(
        (limited.status, limited.json["error"].as_str()),
        (429, Some("Too many requests"))
    );
    assert_eq!(limited.headers["retry-after"], "60");
    let reset: Timestamp = limited.headers["x-ratelimit-reset"]
        .parse()
        .expect("ISO 8601");
    assert!(reset > Timestamp::now() + SignedDuration::from_secs(50));
    assert!(server.statuses().is_empty());
    assert_eq!(
        post_once(&server, body).unwrap().status,
        200,
        "faults are used up"
    );
}

#[test]
fn reset_before_processing_closes_without_creating() {
    let server = MockMastodon::start(TOKEN);
    server.push_fault(Fault::ResetBeforeProcessing);
    assert!(post_once(&server, json!({"status": "hi"})).is_none());
    assert!(server.statuses().is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn lost_response_creates_and_a_retry_with_the_same_key_finds_it() {
    let server = MockMastodon::start(TOKEN);
    server.push_fault(Fault::LostResponse);
    let (body, key) = (json!({"status": "hi"}), [("Idempotency-Key", "k")]);
    assert!(Client::connect(&server).post(&body, &key).is_none());
    assert_eq!(server.statuses().len(), 1);
    let retry = Client::connect(&server).post(&body, &key).unwrap();
    assert_eq!(retry.json["id"], FIRST_ID.to_string());
    assert_eq!(server.statuses().len(), 1);
}

#[test]
fn timeout_and_latency_delay_the_answer_but_still_create() {
    let server = MockMastodon::start(TOKEN);
    server.push_fault(Fault::Timeout(Duration::from_millis(300)));
    let mut impatient = Client::connect(&server);
    let stream = impatient.reader.get_ref();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    assert!(
        impatient.post(&json!({"status": "slow"}), &[]).is_none(),
        "client gave up"
    );
    drop(impatient);
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.statuses().is_empty() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.statuses(), vec![json!({"status": "slow"})]);
    server.set_latency(Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(
        post_once(&server, json!({"status": "late"}))
            .unwrap()
            .status,
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[test]
fn a_client_vanishing_mid_request_leaves_the_server_usable() {
    let server = MockMastodon::start(TOKEN);
    let partial = [
        "POST /api/v1/statuses HTTP/1.1\r\nAuthorization: Bearer secret-",
        "POST /api/v1/statuses HTTP/1.1\r\nContent-Length: 99\r\n\r\n{\"status\":",
        "POST /api/v1/statuses HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "\u{0}\u{ff} garbage\r\n\r\n",
    ];
    for raw in partial {
        let mut client = Client::connect(&server);
        client.reader.get_mut().write_all(raw.as_bytes()).unwrap();
    }
    server.set_latency(Duration::from_millis(100));
    Client::connect(&server).send("POST", "/api/v1/statuses", &[AUTH], r#"{"status":"a"}"#);
    thread::sleep(Duration::from_millis(150));
    server.set_latency(Duration::ZERO);
    let reply = post_once(&server, json!({"status": "b"})).unwrap();
    assert_eq!(reply.json["id"], (FIRST_ID + 1).to_string());
    assert_eq!(server.statuses().len(), 2);
}
