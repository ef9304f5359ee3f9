//! A loopback stand-in for webhook-style APIs (Slack's incoming webhook answers `ok`;
//! Discord's and Telegram's answer JSON with an id, and a status of their own for edits
//! and deletes). It records what it received and closes the connection after each
//! answer.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The answer to the n-th request (0-based): content type and body.
type Responder = fn(usize) -> (&'static str, String);

/// An answer with its status: status code, content type and body.
pub type Reply = (u16, &'static str, String);

/// The answer to the n-th request (0-based), knowing the request.
type Answerer = Arc<dyn Fn(usize, &Raw) -> Reply + Send + Sync>;

#[derive(Clone)]
struct State {
    received: Vec<Value>,
    raw: Vec<Raw>,
    latency: Duration,
    respond: Answerer,
}

/// One request as it arrived.
#[derive(Clone, Debug)]
pub struct Raw {
    pub method: String,
    pub path: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Raw {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub struct MockWebhook {
    url: String,
    state: Arc<Mutex<State>>,
}

impl MockWebhook {
    /// Answers `ok` as text, like Slack.
    pub fn start() -> MockWebhook {
        Self::start_with(|_| ("text/plain", "ok".into()))
    }

    /// Answers with what `respond` gives for the n-th request.
    pub fn start_with(respond: Responder) -> MockWebhook {
        Self::answering(move |n, _| {
            let (kind, body) = respond(n);
            (200, kind, body)
        })
    }

    /// Answers each request with what `respond` gives for it (and its number), status
    /// included.
    pub fn answering(
        respond: impl Fn(usize, &Raw) -> Reply + Send + Sync + 'static,
    ) -> MockWebhook {
        let respond: Answerer = Arc::new(respond);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://{}/services/T000/B000/secret",
            listener.local_addr().unwrap()
        );
        let state = Arc::new(Mutex::new(State {
            received: Vec::new(),
            raw: Vec::new(),
            latency: Duration::ZERO,
            respond,
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        MockWebhook { url, state }
    }

    /// The webhook URL (what the secret variable holds).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The JSON bodies of every complete request, in order.
    pub fn received(&self) -> Vec<Value> {
        self.state.lock().unwrap().received.clone()
    }

    /// Every complete request: path (with query), content type and body bytes.
    pub fn raw(&self) -> Vec<Raw> {
        self.state.lock().unwrap().raw.clone()
    }

    /// The address of the server, without the webhook path.
    pub fn base(&self) -> String {
        self.url.split("/services/").next().unwrap().to_owned()
    }

    /// Delays each answer, after the message is accepted (so a killed client leaves a
    /// message behind that it never heard about).
    pub fn set_latency(&self, d: Duration) {
        self.state.lock().unwrap().latency = d;
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0;
    let mut content_type = String::new();
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let method = line.split_whitespace().next().unwrap_or("").to_owned();
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("content-type") {
                content_type = value.trim().to_owned();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (latency, (status, kind, answer)) = {
        let mut s = state.lock().unwrap();
        let n = s.raw.len();
        s.received
            .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
        let raw = Raw {
            method,
            path,
            content_type,
            body,
        };
        let reply = (s.respond)(n, &raw);
        s.raw.push(raw);
        (s.latency, reply)
    };
    std::thread::sleep(latency);
    let reason = match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        _ => "Status",
    };
    let mut stream = stream;
    stream.write_all(
        format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .as_bytes(),
    )
}
