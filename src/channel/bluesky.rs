//! Bluesky (AT Protocol): `app.bsky.feed.post` records written with
//! `com.atproto.repo.putRecord` under a record key chosen before the first attempt, and
//! deleted with `com.atproto.repo.deleteRecord`. Posts are not edited (the app shows the
//! first version, and replies name it by its content hash): a correction is a reply or a
//! new post (`send`).

use super::send::{
    self, BoxFuture, Finding, LinkCard, Live, Lookup, Outgoing, Receipt, SendError, Sender, bearer,
};
use super::transport::{self, CallBuilder, File, Transport};
use super::{Base, Channel, ConfigProblem, Kind, SecretRef, SendContext};
use crate::platform::text::{Feature, detect_facets, non_overlapping};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The PDS, e.g. `https://bsky.social`.
    #[serde(default = "default_service")]
    service: String,
    /// Handle or email of the account.
    identifier: String,
    /// An app password, never the account password.
    password_env: String,
}

fn default_service() -> String {
    "https://bsky.social".into()
}

pub struct Bluesky {
    base: Base,
    settings: Settings,
}

impl Bluesky {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        if let Err(why) = crate::announcement::check_url(&settings.service) {
            return Err(vec![ConfigProblem::at(
                "service",
                format!("`service` {why}"),
            )]);
        }
        Ok(Box::new(Bluesky { base, settings }))
    }
}

impl Channel for Bluesky {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Bluesky
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "app password",
            env: &self.settings.password_env,
        }]
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(BlueskySender {
            http: ctx.transport.clone(),
            root: ctx.root.to_path_buf(),
            service: self.settings.service.trim_end_matches('/').to_owned(),
            identifier: self.settings.identifier.clone(),
            password: send::secret(ctx.env, &self.settings.password_env, "app password")?,
            session: tokio::sync::Mutex::new(None),
            issued: std::sync::Mutex::new(Vec::new()),
            notes: std::sync::Mutex::new(Vec::new()),
        }))
    }
}

fn xrpc_url(service: &str, method: &str) -> String {
    format!("{}/xrpc/{method}", service.trim_end_matches('/'))
}

/// An `app.bsky.feed.post` record.
fn post_record(
    text: &str,
    lang: &str,
    created_at: &str,
    facets: Vec<Value>,
    embed: Option<Value>,
    reply: Option<Value>,
) -> Value {
    let mut record = json!({
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": created_at,
        "langs": [lang],
    });
    if !facets.is_empty() {
        record["facets"] = Value::Array(facets);
    }
    if let Some(embed) = embed {
        record["embed"] = embed;
    }
    if let Some(reply) = reply {
        record["reply"] = reply;
    }
    record
}

/// `putRecord` under a record key chosen before the first attempt, with `swapRecord:
/// null`: the PDS writes it only if nothing is there yet, and a repeat of the identical
/// record is a no-op. So no attempt, retry or rerun can create a second post.
fn put_body(repo: &str, rkey: &str, record: Value) -> Value {
    json!({
        "repo": repo,
        "collection": POST,
        "rkey": rkey,
        "validate": true,
        "record": record,
        "swapRecord": null,
    })
}

const POST: &str = "app.bsky.feed.post";

/// One image of a post: the uploaded blob (or its placeholder), alt text, and the
/// width and height when known.
type EmbeddedImage = (Value, String, Option<(usize, usize)>);

fn images_embed(images: Vec<EmbeddedImage>) -> Value {
    json!({
        "$type": "app.bsky.embed.images",
        "images": images.into_iter().map(|(blob, alt, size)| {
            let mut image = json!({ "image": blob, "alt": alt });
            if let Some((width, height)) = size {
                image["aspectRatio"] = json!({ "width": width, "height": height });
            }
            image
        }).collect::<Vec<_>>(),
    })
}

/// A link card built by Herald from the announcement (the PDS does not fetch pages).
fn external_embed(card: &LinkCard) -> Value {
    json!({
        "$type": "app.bsky.embed.external",
        "external": {
            "uri": card.url,
            "title": card.title,
            // Required by the lexicon, even when empty.
            "description": card.description.clone().unwrap_or_default(),
        },
    })
}

/// Link, tag and mention facets; `did` resolves a handle (a mention it cannot resolve is
/// left as plain text: a facet with a handle in place of a DID would be invalid).
fn facets_with(text: &str, mut did: impl FnMut(&str) -> Option<String>) -> Vec<Value> {
    non_overlapping(detect_facets(text))
        .into_iter()
        .filter_map(|f| {
            let feature = match f.feature {
                Feature::Link(uri) => {
                    json!({ "$type": "app.bsky.richtext.facet#link", "uri": uri })
                }
                Feature::Tag(tag) => json!({ "$type": "app.bsky.richtext.facet#tag", "tag": tag }),
                Feature::Mention(handle) => {
                    json!({ "$type": "app.bsky.richtext.facet#mention", "did": did(&handle)? })
                }
            };
            Some(json!({
                "index": { "byteStart": f.byte_start, "byteEnd": f.byte_end },
                "features": [feature],
            }))
        })
        .collect()
}

/// The base32-sortable alphabet of record keys.
const S32: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// A TID: 53 bits of microseconds since 1970 and a 10-bit clock id, 13 characters.
fn tid(micros: u64, clock_id: u16) -> String {
    let n = (micros & ((1 << 53) - 1)) << 10 | u64::from(clock_id & 0x3ff);
    (0..13)
        .rev()
        .map(|i| S32[((n >> (5 * i)) & 31) as usize] as char)
        .collect()
}

/// The microseconds a TID was made at.
fn tid_micros(tid: &str) -> Option<u64> {
    if tid.len() != 13 {
        return None;
    }
    let mut n: u64 = 0;
    for b in tid.bytes() {
        n = n << 5 | S32.iter().position(|&c| c == b)? as u64;
    }
    Some(n >> 10)
}

/// `createdAt` for a record key: the moment it was chosen, so a repeat of the record is
/// byte for byte the first one.
fn created_at(rkey: &str) -> Option<String> {
    let micros = i64::try_from(tid_micros(rkey)?).ok()?;
    let at = jiff::Timestamp::from_microsecond(micros).ok()?;
    Some(at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

#[derive(Clone)]
struct Session {
    did: String,
    handle: String,
    access: SecretString,
    refresh: SecretString,
}

/// Sends posts with an app password. One session per run: `createSession` is limited to
/// 30 per 5 minutes and 300 a day, and is only made when something is due.
struct BlueskySender {
    http: Transport,
    /// The repository, for showing image paths.
    root: std::path::PathBuf,
    service: String,
    identifier: String,
    password: SecretString,
    session: tokio::sync::Mutex<Option<Session>>,
    /// Every session token the PDS gave this run, kept out of every message.
    issued: std::sync::Mutex<Vec<SecretString>>,
    /// Mentions the last post went out without (see [`Sender::take_notes`]).
    notes: std::sync::Mutex<Vec<String>>,
}

/// An XRPC answer that was not a success: `{"error": Name, "message": text}`.
struct XrpcError {
    status: u16,
    name: String,
    message: String,
    wait: Option<Duration>,
}

impl XrpcError {
    fn into_send_error(self, what: &str) -> SendError {
        let detail = if self.message.is_empty() {
            self.name.clone()
        } else {
            format!("{}: {}", self.name, self.message)
        };
        match (self.status, self.name.as_str()) {
            (401, _) | (400, "AuthenticationRequired") | (_, "AccountTakedown") => {
                SendError::permanent(format!(
                    "Bluesky refused the app password ({detail}); create a new app password under Settings → Privacy and security → App passwords and put it in the channel's variable"
                ))
            }
            (400, "InvalidSwap") => SendError::permanent(format!(
                "a different post already exists under the record key chosen for this one ({detail}); nothing was overwritten"
            )),
            (status, _) => send::from_status(status, self.wait, &format!("{what}: {detail}")),
        }
    }
}

impl BlueskySender {
    async fn call(&self, request: CallBuilder<'_>) -> Result<Result<Value, XrpcError>, SendError> {
        let response = request.send().await?;
        let status = response.status;
        let wait =
            send::retry_after(&response.headers).or_else(|| rate_limit_reset(&response.headers));
        let text = response.text;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(Ok(body));
        }
        Ok(Err(XrpcError {
            status,
            name: body["error"].as_str().unwrap_or("").to_owned(),
            message: body["message"].as_str().unwrap_or(text.trim()).to_owned(),
            wait: (status == 429).then_some(wait).flatten(),
        }))
    }

    async fn create_session(&self) -> Result<Session, SendError> {
        let request = self
            .http
            .post(xrpc_url(&self.service, "com.atproto.server.createSession"))
            .json(&json!({
                "identifier": self.identifier,
                "password": self.password.expose_secret(),
            }))
            .step()
            .placeholder(json!({
                "did": format!("<DID of {}>", self.identifier),
                "handle": self.identifier,
                "accessJwt": "<session token>",
                "refreshJwt": "<session token>",
            }));
        let body = self
            .call(request)
            .await?
            .map_err(|e| e.into_send_error("signing in"))?;
        self.remember(session_from(&body)?)
    }

    fn remember(&self, session: Session) -> Result<Session, SendError> {
        let mut issued = self.issued.lock().expect("issued tokens lock");
        issued.push(session.access.clone());
        issued.push(session.refresh.clone());
        Ok(session)
    }

    /// The session, signing in on first use.
    async fn session(&self) -> Result<Session, SendError> {
        let mut slot = self.session.lock().await;
        if let Some(s) = &*slot {
            return Ok(s.clone());
        }
        let fresh = self.create_session().await?;
        *slot = Some(fresh.clone());
        Ok(fresh)
    }

    /// After `ExpiredToken`: refresh the session (or sign in again if that fails).
    async fn renew(&self) -> Result<Session, SendError> {
        let mut slot = self.session.lock().await;
        let refreshed = match &*slot {
            Some(old) => {
                let request = self
                    .http
                    .post(xrpc_url(&self.service, "com.atproto.server.refreshSession"))
                    .header("Authorization", bearer(&old.refresh))
                    .step();
                match self.call(request).await? {
                    Ok(body) => Some(self.remember(session_from(&body)?)?),
                    Err(_) => None,
                }
            }
            None => None,
        };
        let session = match refreshed {
            Some(s) => s,
            None => self.create_session().await?,
        };
        *slot = Some(session.clone());
        Ok(session)
    }

    /// An authenticated call, renewing the session once if the token expired.
    async fn authed<'a>(
        &'a self,
        what: &str,
        build: impl for<'s> Fn(&'s Session) -> CallBuilder<'a>,
    ) -> Result<Value, SendError> {
        let session = self.session().await?;
        match self
            .call(build(&session).header("Authorization", bearer(&session.access)))
            .await?
        {
            Ok(body) => Ok(body),
            Err(e) if e.name == "ExpiredToken" => {
                let session = self.renew().await?;
                self.call(build(&session).header("Authorization", bearer(&session.access)))
                    .await?
                    .map_err(|e| e.into_send_error(what))
            }
            Err(e) => Err(e.into_send_error(what)),
        }
    }

    /// A record of this account, or `None` if there is none under `rkey`. `placeholder`:
    /// the answer the dry run gets.
    async fn get_record(
        &self,
        repo: &str,
        rkey: &str,
        placeholder: Value,
    ) -> Result<Option<Value>, SendError> {
        let request = self
            .http
            .get(send::with_query(
                &xrpc_url(&self.service, "com.atproto.repo.getRecord"),
                &[("repo", repo), ("collection", POST), ("rkey", rkey)],
            ))
            .step()
            .placeholder(placeholder);
        match self.call(request).await? {
            Ok(body) => Ok(Some(body)),
            Err(e) if e.name == "RecordNotFound" => Ok(None),
            Err(e) => Err(e.into_send_error("reading a post back")),
        }
    }

    /// `{uri, cid}` of an earlier post, for reply references; `which` names it in the
    /// dry run's placeholder cid (`<cid of part 1>`).
    async fn strong_ref(&self, uri: &str, which: &str) -> Result<Value, SendError> {
        let (repo, rkey) = parse_post_uri(uri).ok_or_else(|| {
            SendError::permanent(format!("`{uri}` is not a Bluesky post address"))
        })?;
        let placeholder = json!({ "cid": format!("<cid of {which}>") });
        let record = self
            .get_record(repo, rkey, placeholder)
            .await?
            .ok_or_else(|| {
                SendError::permanent(format!(
                    "the post this one replies to ({uri}) no longer exists"
                ))
            })?;
        Ok(json!({ "uri": uri, "cid": record["cid"] }))
    }

    async fn upload(&self, file: File) -> Result<Value, SendError> {
        let mime = send::image_mime(&file.bytes);
        let shown = transport::shown_path(&self.root, &file.path);
        let body = self
            .authed("uploading an image", |_| {
                self.http
                    .post(xrpc_url(&self.service, "com.atproto.repo.uploadBlob"))
                    .file(file.clone(), mime)
                    .placeholder(json!({ "blob": super::upload_id(&shown) }))
            })
            .await?;
        Ok(body["blob"].clone())
    }

    /// The DID of `handle` (public and unauthenticated, so the dry run asks too), or why
    /// there is none.
    async fn resolve_handle(&self, handle: &str) -> Result<String, String> {
        let request = self
            .http
            .get(send::with_query(
                &xrpc_url(&self.service, "com.atproto.identity.resolveHandle"),
                &[("handle", handle)],
            ))
            .lookup()
            .placeholder(json!({ "did": format!("<DID of @{handle}>") }));
        match self.call(request).await {
            Ok(Ok(body)) => body["did"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| "the answer has no DID".to_owned()),
            Ok(Err(e)) if e.message.is_empty() => Err(e.name),
            Ok(Err(e)) => Err(e.message),
            Err(e) => Err(e.to_string()),
        }
    }

    fn receipt(&self, session: &Session, rkey: &str) -> Receipt {
        Receipt {
            remote_id: format!("at://{}/{POST}/{rkey}", session.did),
            url: Some(format!(
                "https://bsky.app/profile/{}/post/{rkey}",
                session.did
            )),
        }
    }
}

fn session_from(body: &Value) -> Result<Session, SendError> {
    let field = |name: &str| {
        body[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| SendError::permanent(format!("the sign-in answer has no `{name}`")))
    };
    Ok(Session {
        did: field("did")?,
        handle: field("handle")?,
        access: SecretString::from(field("accessJwt")?),
        refresh: SecretString::from(field("refreshJwt")?),
    })
}

/// `at://DID/app.bsky.feed.post/RKEY` → (DID, RKEY).
fn parse_post_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("at://")?;
    let (repo, rest) = rest.split_once('/')?;
    let rkey = rest.strip_prefix(POST)?.strip_prefix('/')?;
    Some((repo, rkey))
}

/// `RateLimit-Reset`: Unix seconds.
fn rate_limit_reset(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let reset: i64 = headers
        .get("ratelimit-reset")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let wait = reset.checked_sub(jiff::Timestamp::now().as_second())?;
    u64::try_from(wait).ok().map(Duration::from_secs)
}

impl Sender for BlueskySender {
    fn issued_secrets(&self) -> Vec<SecretString> {
        self.issued.lock().expect("issued tokens lock").clone()
    }

    fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.lock().expect("notes lock"))
    }

    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let rkey = part
                .planned_id
                .as_deref()
                .ok_or_else(|| SendError::permanent("no record key was chosen for this post"))?;
            let created = created_at(rkey).ok_or_else(|| {
                SendError::permanent(format!("`{rkey}` in the ledger is not a record key"))
            })?;
            let session = self.session().await?;
            let mut images = Vec::new();
            for (file, alt) in part.files()? {
                let size = imagesize::blob_size(&file.bytes)
                    .ok()
                    .filter(|s| s.width > 0 && s.height > 0)
                    .map(|s| (s.width, s.height));
                images.push((self.upload(file).await?, alt, size));
            }
            let embed = if !images.is_empty() {
                Some(images_embed(images))
            } else {
                part.card().as_ref().map(external_embed)
            };
            // Both references name the record as it is now (its current `cid`, read back
            // by its address). In a thread the parent is the part before; a correction
            // notice answers the post's last part (its first, for a post of one part).
            let reply = match (&part.thread_root, &part.reply_to) {
                (Some(root), Some(parent)) => {
                    let parent_is = if parent == root {
                        "part 1".to_owned()
                    } else if part.part > 1 {
                        format!("part {}", part.part - 1)
                    } else {
                        "the part answered".to_owned()
                    };
                    Some(json!({
                        "root": self.strong_ref(root, "part 1").await?,
                        "parent": self.strong_ref(parent, &parent_is).await?,
                    }))
                }
                _ => None,
            };
            // A mention whose handle does not resolve goes out as plain text (a facet
            // without a DID is invalid); the dry run and the report say so.
            let mut dids = std::collections::HashMap::new();
            let mut notes = Vec::new();
            for f in detect_facets(&part.text) {
                if let Feature::Mention(handle) = f.feature
                    && !dids.contains_key(&handle)
                {
                    match self.resolve_handle(&handle).await {
                        Ok(did) => {
                            dids.insert(handle, did);
                        }
                        Err(why) => notes.push(format!(
                            "@{handle} could not be resolved ({why}): it is sent as plain text, \
                             without its mention link"
                        )),
                    }
                }
            }
            let facets = facets_with(&part.text, |h| dids.get(h).cloned());
            let record = post_record(&part.text, &part.lang, &created, facets, embed, reply);
            let body = put_body(&session.did, rkey, record);
            self.authed("posting", |_| {
                self.http
                    .post(xrpc_url(&self.service, "com.atproto.repo.putRecord"))
                    .json(&body)
            })
            .await?;
            *self.notes.lock().expect("notes lock") = notes;
            Ok(self.receipt(&session, rkey))
        })
    }

    /// A repeat of the identical record under the same key writes nothing new, however
    /// long after the first attempt.
    fn idempotent(&self) -> bool {
        true
    }

    fn keeps_keys_for(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::MAX
    }

    /// The record key follows from the part alone: its time is the announcement's
    /// `publish_at` plus the part's place (a millisecond apart, so a thread's keys sort in
    /// order) plus a sub-millisecond offset and clock id from a hash of the part's key
    /// (which names the content). A rerun that lost its ledger chooses the same key and
    /// the PDS sees the same record: no second post. Two posts can only share a key if
    /// both hashes agree on 20 bits; the second write would then be refused, not doubled.
    fn plan(&self, part: &Outgoing) -> Option<String> {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(part.key.as_bytes());
        let h = u64::from_be_bytes(hash[..8].try_into().expect("8 bytes"));
        let base = part
            .about
            .publish_at
            .unwrap_or_else(jiff::Timestamp::now)
            .as_microsecond();
        let micros = base + i64::from(part.part.saturating_sub(1)) * 1000 + (h % 1000) as i64;
        Some(tid(u64::try_from(micros).ok()?, ((h >> 32) & 0x3ff) as u16))
    }

    fn lookup<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Lookup, SendError>> {
        Box::pin(async move {
            let Some(rkey) = part.planned_id.as_deref() else {
                return Ok(Lookup::Unsupported);
            };
            let session = self.session().await?;
            Ok(
                match self.get_record(&session.did, rkey, json!({})).await? {
                    Some(_) => Lookup::Found(self.receipt(&session, rkey)),
                    None => Lookup::NotFound,
                },
            )
        })
    }

    /// `com.atproto.repo.deleteRecord` for the record the remote id names. The PDS
    /// answers a record that is not there (any more) like one it deleted ("ensure it
    /// doesn't exist"), so a repeat is harmless.
    fn delete<'a>(&'a self, live: &'a Live) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let uri = &live.remote_id;
            let (repo, rkey) = parse_post_uri(uri).ok_or_else(|| {
                SendError::permanent(format!(
                    "`{uri}` in the ledger is not a Bluesky post address (at://DID/{POST}/KEY)"
                ))
            })?;
            let body = json!({ "repo": repo, "collection": POST, "rkey": rkey });
            self.authed("deleting a post", |_| {
                self.http
                    .post(xrpc_url(&self.service, "com.atproto.repo.deleteRecord"))
                    .json(&body)
                    .placeholder(json!({}))
            })
            .await?;
            Ok(())
        })
    }

    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move {
            let session = match self.session().await {
                Ok(s) => s,
                Err(e) => {
                    return vec![crate::channel::send::doctor_error(&e, "`service`", || {
                        format!("cannot sign in: {e}")
                    })];
                }
            };
            let mut findings = vec![Finding::ok(format!(
                "the app password works: signed in as @{} ({})",
                session.handle, session.did
            ))];
            match self
                .authed("checking the session", |_| {
                    self.http
                        .get(xrpc_url(&self.service, "com.atproto.server.getSession"))
                        .step()
                })
                .await
            {
                Ok(_) => {
                    findings.push(Finding::ok(format!("{} accepts the session", self.service)))
                }
                Err(e) => findings.push(Finding::error(format!("the session does not work: {e}"))),
            }
            findings.push(Finding::info(
                "posts: 300 characters, 4 images of up to 1 MB, alt text on every image",
            ));
            findings
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_keys_are_valid_tids_that_carry_their_time() {
        // The example from the atproto TID specification's alphabet and layout.
        let micros = 1_719_700_000_123_456;
        let key = tid(micros, 1023);
        assert_eq!(key.len(), 13);
        assert!(b"234567abcdefghij".contains(&key.as_bytes()[0]));
        assert_eq!(tid_micros(&key), Some(micros));
        assert_eq!(
            created_at(&key).as_deref(),
            Some("2024-06-29T22:26:40.123Z")
        );
        // Later keys sort later, as strings.
        assert!(tid(micros + 1, 0) > key);
        assert_eq!(tid(0, 0), "2222222222222");
    }

    fn sender() -> (BlueskySender, Transport) {
        let http = Transport::recording(std::path::Path::new("/repo"), None);
        let sender = BlueskySender {
            http: http.clone(),
            root: "/repo".into(),
            service: "https://pds.example".into(),
            identifier: "linn.example".into(),
            password: SecretString::from("app-pass-word"),
            session: tokio::sync::Mutex::new(None),
            issued: std::sync::Mutex::new(Vec::new()),
            notes: std::sync::Mutex::new(Vec::new()),
        };
        (sender, http)
    }

    const PART_1: &str = "at://did:plc:abc/app.bsky.feed.post/3l5abcdefgh22";

    #[test]
    fn a_delete_names_the_record_of_the_remote_id_and_shows_no_secret() {
        let (sender, http) = sender();
        let live = Live {
            remote_id: PART_1.into(),
            url: None,
            posted_at: jiff::Timestamp::UNIX_EPOCH,
            part: 1,
            media: None,
        };
        transport::finish_offline(sender.delete(&live))
            .unwrap()
            .unwrap();
        // Signing in is a step: not shown, and the password with it.
        assert_eq!(
            http.recorded(),
            [crate::channel::Request {
                action: "POST https://pds.example/xrpc/com.atproto.repo.deleteRecord".into(),
                body: json!({
                    "repo": "did:plc:abc",
                    "collection": "app.bsky.feed.post",
                    "rkey": "3l5abcdefgh22",
                }),
            }]
        );
        let not_a_post = Live {
            remote_id: "https://bsky.app/profile/x/post/y".into(),
            ..live
        };
        let refused = transport::finish_offline(sender.delete(&not_a_post)).unwrap();
        assert!(
            matches!(&refused, Err(SendError::Permanent { message, .. }) if message.contains("is not a Bluesky post address")),
            "{refused:?}"
        );
    }

    #[test]
    fn a_reply_to_the_first_part_names_it_as_root_and_parent_with_its_cid() {
        let (sender, http) = sender();
        let notice = Outgoing {
            key: "herald:a:et:bsky:notice:sha256:new".into(),
            text: "Parandus: kell 11, mitte 10.".into(),
            lang: "et".into(),
            part: 1,
            reply_to: Some(PART_1.into()),
            thread_root: Some(PART_1.into()),
            images: Vec::new(),
            about: std::sync::Arc::new(send::About {
                id: "a".into(),
                title: "Teade".into(),
                summary: None,
                link: None,
                tags: Vec::new(),
                publish_at: None,
            }),
            planned_id: Some(tid(1_719_700_000_123_456, 7)),
        };
        transport::finish_offline(sender.send(&notice))
            .unwrap()
            .unwrap();
        let recorded = http.recorded();
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        let part_1 = json!({ "uri": PART_1, "cid": "<cid of part 1>" });
        assert_eq!(
            recorded[0].body["record"]["reply"],
            json!({ "root": part_1, "parent": part_1 })
        );
    }

    #[test]
    fn post_uris_split_into_repo_and_key() {
        assert_eq!(
            parse_post_uri("at://did:plc:abc/app.bsky.feed.post/3l5abcdefgh22"),
            Some(("did:plc:abc", "3l5abcdefgh22"))
        );
        assert_eq!(parse_post_uri("https://bsky.app/x"), None);
    }
}
