//! The real Bluesky PDS the test command starts (`scripts/peers/pds.sh`): accounts for
//! tests, and reading what Herald wrote back through `com.atproto.repo.*`.

use crate::http::{Answer, http};
use serde_json::{Value, json};

/// The PDS's address, from `HERALD_TEST_PDS`. A test that needs it fails when it is not
/// running: `./scripts/test` starts it.
pub fn url() -> String {
    let url = std::env::var("HERALD_TEST_PDS").unwrap_or_else(|_| {
        panic!(
            "HERALD_TEST_PDS is not set: these tests need the local Bluesky PDS. \
             Run the suite with ./scripts/test, which starts it (scripts/peers/pds.sh)"
        )
    });
    let health = http()
        .get(format!("{url}/xrpc/_health"))
        .send()
        .map_err(|e| e.to_string())
        .and_then(Answer::error_for_status);
    if let Err(e) = health {
        panic!(
            "the Bluesky PDS at {url} does not answer ({e}); start it with scripts/peers/pds.sh"
        );
    }
    url
}

/// An account on the PDS with an app password, as a city's account would be set up.
pub struct Account {
    pub pds: String,
    pub handle: String,
    pub did: String,
    pub app_password: String,
}

impl Account {
    /// A new account whose handle starts with `name` (unique per call; handles' first
    /// label is limited to 18 characters here).
    pub fn create(name: &str) -> Account {
        let pds = url();
        let handle = format!("{name}{}.test", fastrand::u32(..100_000_000));
        let created = http()
            .post(format!("{pds}/xrpc/com.atproto.server.createAccount"))
            .json(&json!({
                "handle": handle,
                "email": format!("{handle}@example.org"),
                "password": "account-password-never-used-by-herald",
            }))
            .send()
            .unwrap()
            .error_for_status()
            .unwrap_or_else(|e| panic!("createAccount: {e}"))
            .json();
        let access = created["accessJwt"].as_str().unwrap();
        let app = http()
            .post(format!("{pds}/xrpc/com.atproto.server.createAppPassword"))
            .bearer(access)
            .json(&json!({ "name": "herald" }))
            .send()
            .unwrap()
            .error_for_status()
            .unwrap_or_else(|e| panic!("createAppPassword: {e}"))
            .json();
        Account {
            did: created["did"].as_str().unwrap().to_owned(),
            app_password: app["password"].as_str().unwrap().to_owned(),
            handle,
            pds,
        }
    }

    /// Every post of the account, oldest first.
    pub fn posts(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!(
                "{}/xrpc/com.atproto.repo.listRecords?repo={}&collection=app.bsky.feed.post&limit=100&reverse=true",
                self.pds, self.did
            );
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page = http()
                .get(url)
                .send()
                .unwrap()
                .error_for_status()
                .unwrap()
                .json();
            let records = page["records"].as_array().unwrap();
            out.extend(records.iter().cloned());
            match page["cursor"].as_str() {
                Some(c) if !records.is_empty() => cursor = Some(c.to_owned()),
                _ => return out,
            }
        }
    }

    /// One record by its `at://` address, through `getRecord`.
    pub fn record(&self, uri: &str) -> Value {
        let rkey = uri.rsplit('/').next().unwrap();
        http()
            .get(format!(
                "{}/xrpc/com.atproto.repo.getRecord?repo={}&collection=app.bsky.feed.post&rkey={rkey}",
                self.pds, self.did
            ))
            .send()
            .unwrap()
            .error_for_status()
            .unwrap_or_else(|e| panic!("getRecord {uri}: {e}"))
            .json()
    }

    /// A blob's bytes, through `sync.getBlob`.
    pub fn blob(&self, cid: &str) -> Vec<u8> {
        http()
            .get(format!(
                "{}/xrpc/com.atproto.sync.getBlob?did={}&cid={cid}",
                self.pds, self.did
            ))
            .send()
            .unwrap()
            .error_for_status()
            .unwrap_or_else(|e| panic!("getBlob {cid}: {e}"))
            .bytes
    }
}
