//! A loopback stand-in for a Slack incoming webhook: answers `ok`, returns no id, keeps
//! nothing but what it received. Each answer closes the connection.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct State {
    received: Vec<Value>,
    latency: Duration,
}

pub struct MockWebhook {
    url: String,
    state: Arc<Mutex<State>>,
}

impl MockWebhook {
    pub fn start() -> MockWebhook {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://{}/services/T000/B000/secret",
            listener.local_addr().unwrap()
        );
        let state = Arc::new(Mutex::new(State::default()));
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

    /// Delays each answer, after the message is accepted (so a killed client leaves a
    /// message behind that it never heard about).
    pub fn set_latency(&self, d: Duration) {
        self.state.lock().unwrap().latency = d;
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let latency = {
        let mut s = state.lock().unwrap();
        s.received
            .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
        s.latency
    };
    std::thread::sleep(latency);
    let mut stream = stream;
    stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
}
