//! A recording proxy on loopback in front of a real server (mastodon-mock, the PDS): it
//! passes every request on unchanged and keeps it as it arrived (method, target,
//! headers, body bytes) with the server's answer, so a test against a real server can
//! assert byte for byte what Herald sent, and then read the result back from that
//! server.
//!
//! One request per connection: the answer goes back with `Connection: close`. Bodies
//! with `Content-Length` and chunked bodies are both read whole before they are passed
//! on. Only `http://` upstreams.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request as Herald sent it. Header names are lowercase.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// The server's answer: status and body (de-chunked).
    pub status: u16,
    pub answer: Vec<u8>,
}

impl Seen {
    /// The body as text (what a JSON or form body is).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The server's answer as JSON.
    pub fn answer_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.answer).unwrap_or_else(|e| {
            panic!(
                "the answer is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.answer)
            )
        })
    }
}

pub struct Proxy {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    /// Starts on 127.0.0.1:0, passing requests on to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> Proxy {
        let authority = upstream
            .strip_prefix("http://")
            .unwrap_or_else(|| panic!("the proxy passes requests to http:// only: {upstream}"))
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, authority) = (shared.clone(), authority.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &authority, &seen);
                });
            }
        });
        Proxy { url, seen }
    }

    /// The address Herald is given instead of the server's.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests whose method is `method` and whose target contains `part`.
    pub fn matching(&self, method: &str, part: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == method && s.target.contains(part))
            .collect()
    }

    /// Forgets what was seen (before the step a test asserts on).
    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

fn serve(client: TcpStream, authority: &str, seen: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut words = line.split_whitespace();
    let (Some(method), Some(target)) = (words.next(), words.next()) else {
        return Ok(());
    };
    let (method, target) = (method.to_owned(), target.to_owned());
    let mut headers = BTreeMap::new();
    let mut order = Vec::new();
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
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
            order.push((name.clone(), value.clone()));
            headers
                .entry(name)
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
    }
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        read_chunked(&mut reader)?
    } else {
        let length = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    // Passed on as it came, with the upstream's host, the body's length and one request
    // per connection.
    let mut request = format!("{method} {target} HTTP/1.1\r\nHost: {authority}\r\n");
    for (name, value) in &order {
        if !matches!(
            name.as_str(),
            "host" | "connection" | "content-length" | "transfer-encoding" | "keep-alive"
        ) {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut upstream = TcpStream::connect(authority)?;
    upstream.write_all(request.as_bytes())?;
    upstream.write_all(&body)?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;

    // The answer as it came, but saying the connection closes (as it does).
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(answer.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut out = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if line.is_empty() {
            continue;
        }
        let name = line.split(':').next().unwrap_or("").trim();
        if i > 0
            && (name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive"))
        {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    // Kept before the answer goes back: the test reads it once Herald has its answer.
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let decoded = if chunked {
        read_chunked(&mut &answer[split..])?
    } else {
        answer[split..].to_vec()
    };
    seen.lock().unwrap().push(Seen {
        method,
        target,
        headers,
        body,
        status,
        answer: decoded,
    });
    let mut client = client;
    client.write_all(out.as_bytes())?;
    client.write_all(&answer[split..])?;
    client.flush()?;
    Ok(())
}

fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size =
            usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        if size == 0 {
            // Trailers, then the blank line.
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        line.clear();
        reader.read_line(&mut line)?;
    }
}
