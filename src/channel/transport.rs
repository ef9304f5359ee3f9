//! The one way a channel's sender reaches its platform: every HTTP request (and every
//! file a file channel writes) goes through a [`Transport`] as a [`Call`].
//!
//! There are two transports. [`Transport::Http`] sends with reqwest. A *recording*
//! transport ([`Transport::recording`]) sends nothing: it writes each call down as the
//! [`Request`] the dry run prints (method and URL, the body as JSON, multipart fields and
//! uploaded files shown by their path) and answers with the placeholder answer the
//! channel gave with the call (`<id of part 1>`, `<id of uploaded IMAGE>`), which the
//! channel's own answer parsing reads like a real one. So the dry run and the approval
//! digest run the very code that publishes, and cannot show something else than what
//! goes out.
//!
//! A call is one of three [`Role`]s: part of what goes out (recorded and printed), a
//! step around it (signing in, reading an earlier post back: answered with the
//! placeholder, not printed), or a read-only public lookup (resolving a Bluesky handle):
//! made for real in the dry run, never in the offline digest.

use super::Request;
use super::send::{BoxFuture, SendError, from_reqwest};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The HTTP methods channels use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// What a call sends.
#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Json(Value),
    Multipart(Vec<Field>),
    /// A file as the whole body (an image upload), with its content type.
    File {
        file: File,
        content_type: String,
    },
}

/// One field of a multipart body.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub value: FieldValue,
}

#[derive(Debug, Clone)]
pub enum FieldValue {
    Text(String),
    /// A field whose text is JSON (`false`, a list of media): shown as that JSON.
    Json(Value),
    File {
        file: File,
        mime: String,
    },
}

impl Field {
    pub fn text(name: &str, value: impl Into<String>) -> Field {
        Field {
            name: name.to_owned(),
            value: FieldValue::Text(value.into()),
        }
    }
    pub fn json(name: &str, value: Value) -> Field {
        Field {
            name: name.to_owned(),
            value: FieldValue::Json(value),
        }
    }
    /// A file field; `mime` may be empty (none is sent).
    pub fn file(name: &str, file: File, mime: &str) -> Field {
        Field {
            name: name.to_owned(),
            value: FieldValue::File {
                file,
                mime: mime.to_owned(),
            },
        }
    }
}

/// A file to upload: where it is (shown in the dry run relative to the repository), the
/// name it is sent under, and its bytes.
#[derive(Debug, Clone)]
pub struct File {
    pub path: PathBuf,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What a call is to the dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Part of what goes out: recorded, and printed by the dry run.
    Sends,
    /// A step around it (signing in, reading back): answered with the placeholder.
    Step,
    /// A read-only, unauthenticated lookup: made for real by the dry run (not printed),
    /// answered with the placeholder when offline.
    Lookup,
}

/// One request to a platform.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub role: Role,
    /// Said after the URL in the dry run (`(multipart)`, `(Linkedin-Version: …)`).
    pub note: Option<String>,
    /// What the recording transport answers.
    pub placeholder: Answer,
    /// The body as the dry run shows it, when that is not the body itself (a multipart
    /// whose one JSON field is the message, shown as that JSON).
    pub shown: Option<Value>,
}

/// A platform's answer.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

/// Sends calls, or records them (see the module documentation).
#[derive(Clone)]
pub enum Transport {
    Http(reqwest::Client),
    Recording(Arc<Recorder>),
}

/// What a recording transport has recorded, and how it answers lookups.
pub struct Recorder {
    requests: Mutex<Vec<Request>>,
    /// The repository: files are shown relative to it.
    root: PathBuf,
    /// The client for [`Role::Lookup`] calls; `None` when offline.
    lookups: Option<reqwest::Client>,
}

impl Transport {
    /// A transport that records, answering lookups with `lookups` (or offline with
    /// `None`: then nothing at all leaves the machine).
    pub fn recording(root: &Path, lookups: Option<reqwest::Client>) -> Transport {
        Transport::Recording(Arc::new(Recorder {
            requests: Mutex::new(Vec::new()),
            root: root.to_path_buf(),
            lookups,
        }))
    }

    /// What has been recorded so far (nothing for the real transport).
    pub fn recorded(&self) -> Vec<Request> {
        match self {
            Transport::Http(_) => Vec::new(),
            Transport::Recording(r) => r.requests.lock().expect("recorder lock").clone(),
        }
    }

    pub fn is_recording(&self) -> bool {
        matches!(self, Transport::Recording(_))
    }

    pub fn get(&self, url: impl Into<String>) -> CallBuilder<'_> {
        self.call(Method::Get, url.into())
    }
    pub fn post(&self, url: impl Into<String>) -> CallBuilder<'_> {
        self.call(Method::Post, url.into())
    }
    pub fn put(&self, url: impl Into<String>) -> CallBuilder<'_> {
        self.call(Method::Put, url.into())
    }
    pub fn patch(&self, url: impl Into<String>) -> CallBuilder<'_> {
        self.call(Method::Patch, url.into())
    }
    pub fn delete(&self, url: impl Into<String>) -> CallBuilder<'_> {
        self.call(Method::Delete, url.into())
    }

    fn call(&self, method: Method, url: String) -> CallBuilder<'_> {
        CallBuilder {
            transport: self,
            call: Call {
                method,
                url,
                headers: Vec::new(),
                body: Body::Empty,
                role: Role::Sends,
                note: None,
                placeholder: Answer {
                    status: 200,
                    ..Answer::default()
                },
                shown: None,
            },
        }
    }

    /// Writes a file (or files) the way `write` does, or records `request` instead: for
    /// channels whose "platform" is the repository (feeds, the record channel).
    pub fn write<T>(
        &self,
        request: Request,
        placeholder: T,
        write: impl FnOnce() -> Result<T, SendError>,
    ) -> Result<T, SendError> {
        match self {
            Transport::Http(_) => write(),
            Transport::Recording(r) => {
                r.requests.lock().expect("recorder lock").push(request);
                Ok(placeholder)
            }
        }
    }

    /// Sends `call` (or records it).
    pub fn send(&self, call: Call) -> BoxFuture<'_, Result<Answer, SendError>> {
        Box::pin(async move {
            match self {
                Transport::Http(client) => send_http(client, call).await,
                Transport::Recording(r) => match (call.role, &r.lookups) {
                    (Role::Lookup, Some(client)) => send_http(client, call).await,
                    (Role::Lookup | Role::Step, _) => Ok(call.placeholder),
                    (Role::Sends, _) => {
                        let request = r.request(&call);
                        r.requests.lock().expect("recorder lock").push(request);
                        Ok(call.placeholder)
                    }
                },
            }
        })
    }
}

impl Recorder {
    fn shown(&self, path: &Path) -> String {
        shown_path(&self.root, path)
    }

    /// The call as the dry run shows it: `METHOD URL (note)` and the body as JSON.
    fn request(&self, call: &Call) -> Request {
        let mut action = format!("{} {}", call.method.name(), call.url);
        if let Some(note) = &call.note {
            action = format!("{action} ({note})");
        }
        let body = match &call.body {
            _ if call.shown.is_some() => call.shown.clone().unwrap_or_default(),
            Body::Empty => Value::Null,
            Body::Json(v) => v.clone(),
            Body::Multipart(fields) => {
                let mut map = Map::new();
                for f in fields {
                    let value = match &f.value {
                        FieldValue::Text(t) => Value::String(t.clone()),
                        FieldValue::Json(v) => v.clone(),
                        FieldValue::File { file, .. } => Value::String(self.shown(&file.path)),
                    };
                    map.insert(f.name.clone(), value);
                }
                Value::Object(map)
            }
            Body::File { file, .. } => serde_json::json!({ "file": self.shown(&file.path) }),
        };
        Request { action, body }
    }
}

/// The path of `file` as the dry run shows it (relative to the repository `root`).
pub fn shown_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

async fn send_http(client: &reqwest::Client, call: Call) -> Result<Answer, SendError> {
    let method = match call.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    };
    let mut request = client.request(method, &call.url);
    for (name, value) in &call.headers {
        request = request.header(name, value);
    }
    request = match call.body {
        Body::Empty => request,
        Body::Json(v) => request.json(&v),
        Body::File { file, content_type } => request
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(file.bytes),
        Body::Multipart(fields) => {
            let mut form = reqwest::multipart::Form::new();
            for f in fields {
                form = match f.value {
                    FieldValue::Text(t) => form.text(f.name, t),
                    FieldValue::Json(v) => form.text(f.name, v.to_string()),
                    FieldValue::File { file, mime } => {
                        let mut part =
                            reqwest::multipart::Part::bytes(file.bytes).file_name(file.name);
                        if !mime.is_empty() {
                            part = part.mime_str(&mime).map_err(|e| {
                                SendError::permanent(format!("cannot attach the file: {e}"))
                            })?;
                        }
                        form.part(f.name, part)
                    }
                };
            }
            request.multipart(form)
        }
    };
    let response = request.send().await.map_err(from_reqwest)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.map_err(from_reqwest)?;
    Ok(Answer {
        status,
        headers,
        text,
    })
}

/// A call being put together; [`send`](CallBuilder::send) sends it.
pub struct CallBuilder<'t> {
    transport: &'t Transport,
    call: Call,
}

impl CallBuilder<'_> {
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.call.headers.push((name.to_owned(), value.into()));
        self
    }
    pub fn json(mut self, body: &Value) -> Self {
        self.call.body = Body::Json(body.clone());
        self
    }
    pub fn multipart(mut self, fields: Vec<Field>) -> Self {
        self.call.body = Body::Multipart(fields);
        self
    }
    pub fn file(mut self, file: File, content_type: &str) -> Self {
        self.call.body = Body::File {
            file,
            content_type: content_type.to_owned(),
        };
        self
    }
    /// A step around what goes out (see [`Role::Step`]).
    pub fn step(mut self) -> Self {
        self.call.role = Role::Step;
        self
    }
    /// A read-only public lookup (see [`Role::Lookup`]).
    pub fn lookup(mut self) -> Self {
        self.call.role = Role::Lookup;
        self
    }
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.call.note = Some(note.into());
        self
    }
    /// How the dry run shows the body (see [`Call::shown`]).
    pub fn shown_as(mut self, body: Value) -> Self {
        self.call.shown = Some(body);
        self
    }
    /// The JSON the recording transport answers with (status 200).
    pub fn placeholder(mut self, answer: Value) -> Self {
        self.call.placeholder.text = answer.to_string();
        self
    }
    /// A header of the recording transport's answer.
    pub fn placeholder_header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.call
                .placeholder
                .headers
                .insert(HeaderName::from_static(name), value);
        }
        self
    }
    pub async fn send(self) -> Result<Answer, SendError> {
        self.transport.send(self.call).await
    }
}

/// Runs a future of sending code on a recording transport without a runtime: offline,
/// it never waits (nothing answers later), so polling it once finishes it. `None` if it
/// would wait after all.
pub fn finish_offline<T>(future: impl std::future::Future<Output = T>) -> Option<T> {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..64 {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(path: &str) -> File {
        File {
            path: PathBuf::from(path),
            name: "pic.png".into(),
            bytes: vec![1, 2, 3],
        }
    }

    #[test]
    fn recording_writes_down_what_goes_out_and_answers_with_the_placeholder() {
        let t = Transport::recording(Path::new("/repo"), None);
        let answer = finish_offline(
            t.post("https://m.example/api/v2/media")
                .header("Authorization", "Bearer $TOKEN")
                .multipart(vec![
                    Field::file("file", file("/repo/announcements/pic.png"), "image/png"),
                    Field::text("description", "Raekoda"),
                    Field::json("published", json!(false)),
                ])
                .note("multipart")
                .placeholder(json!({ "id": "<id of uploaded announcements/pic.png>" }))
                .send(),
        )
        .expect("offline calls finish at once")
        .expect("recorded");
        assert!(answer.is_success());
        assert_eq!(
            answer.text,
            r#"{"id":"<id of uploaded announcements/pic.png>"}"#
        );
        // Steps around the post (signing in, reading back) are answered, not shown.
        let step = finish_offline(
            t.get("https://m.example/api/v1/accounts/verify_credentials")
                .step()
                .placeholder(json!({ "id": "1" }))
                .send(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(step.text, r#"{"id":"1"}"#);
        // Offline, a lookup is answered with its placeholder too: nothing leaves.
        let lookup = finish_offline(
            t.get("https://pds.example/xrpc/com.atproto.identity.resolveHandle")
                .lookup()
                .placeholder(json!({ "did": "<DID of @a.example>" }))
                .send(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(lookup.text, r#"{"did":"<DID of @a.example>"}"#);
        finish_offline(
            t.put("<uploadUrl of announcements/pic.png>")
                .file(file("/repo/announcements/pic.png"), "image/png")
                .send(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            t.recorded(),
            [
                Request {
                    action: "POST https://m.example/api/v2/media (multipart)".into(),
                    body: json!({
                        "file": "announcements/pic.png",
                        "description": "Raekoda",
                        "published": false,
                    }),
                },
                Request {
                    action: "PUT <uploadUrl of announcements/pic.png>".into(),
                    body: json!({ "file": "announcements/pic.png" }),
                },
            ]
        );
    }

    #[test]
    fn a_delete_is_recorded_with_its_method_and_no_body() {
        let t = Transport::recording(Path::new("/repo"), None);
        let answer = finish_offline(
            t.delete("https://m.example/api/v1/statuses/1234")
                .header("Authorization", "Bearer $TOKEN")
                .placeholder(json!({}))
                .send(),
        )
        .unwrap()
        .unwrap();
        assert!(answer.is_success());
        assert_eq!(
            t.recorded(),
            [Request {
                action: "DELETE https://m.example/api/v1/statuses/1234".into(),
                body: Value::Null,
            }]
        );
    }

    #[test]
    fn a_body_shown_otherwise_is_shown_so_and_writes_are_recorded_not_done() {
        let t = Transport::recording(Path::new("/repo"), None);
        let payload = json!({ "content": "Tere" });
        finish_offline(
            t.post("$HOOK?wait=true")
                .multipart(vec![
                    Field::text("payload_json", payload.to_string()),
                    Field::file("files[0]", file("/repo/a.png"), ""),
                ])
                .shown_as(payload.clone())
                .send(),
        )
        .unwrap()
        .unwrap();
        let request = Request {
            action: "APPEND state/recorded.jsonl".into(),
            body: json!({ "text": "Tere" }),
        };
        let written = t.write(request.clone(), "<id of part 1>", || {
            panic!("a recording transport writes nothing")
        });
        assert_eq!(written, Ok("<id of part 1>"));
        assert_eq!(
            t.recorded(),
            [
                Request {
                    action: "POST $HOOK?wait=true".into(),
                    body: payload,
                },
                request,
            ]
        );
    }
}
