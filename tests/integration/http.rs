//! A small blocking HTTP client for test code, to talk to the test servers directly.

use serde_json::Value;

pub fn http() -> Blocking {
    Blocking
}

/// A small blocking HTTP client for test code (reqwest's async client on a private runtime).
pub struct Blocking;

pub struct Pending(reqwest::RequestBuilder);

impl Blocking {
    pub fn get(&self, url: String) -> Pending {
        Pending(client().get(url))
    }
    pub fn post(&self, url: String) -> Pending {
        Pending(client().post(url))
    }
    pub fn delete(&self, url: String) -> Pending {
        Pending(client().delete(url))
    }
}

impl Pending {
    pub fn json(self, body: &Value) -> Pending {
        Pending(self.0.json(body))
    }
    pub fn bearer(self, token: &str) -> Pending {
        Pending(self.0.bearer_auth(token))
    }
    pub fn send(self) -> reqwest::Result<Answer> {
        runtime().block_on(async {
            let response = self.0.send().await?;
            let status = response.status();
            let bytes = response.bytes().await?.to_vec();
            Ok(Answer { status, bytes })
        })
    }
}

pub struct Answer {
    pub status: reqwest::StatusCode,
    pub bytes: Vec<u8>,
}

impl Answer {
    pub fn error_for_status(self) -> Result<Answer, String> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(format!(
                "{}: {}",
                self.status,
                String::from_utf8_lossy(&self.bytes)
            ))
        }
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}
