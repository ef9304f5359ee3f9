//! Corrections and retractions on Mastodon (mastodon-mock) and Bluesky (the real PDS),
//! end to end: publish, change the announcement and approve it again, publish again.
//! Each server sits behind a [`Proxy`] that keeps what Herald sent, so the edit and
//! delete requests are asserted byte for byte; then the result is read back from the
//! server itself (the status and its history, the records).

use crate::harness::{Repo, TINY_PNG, publish_on};
use crate::http::http;
use crate::mastodon_server::{Account as MastodonAccount, server, shown_text};
use crate::pds::Account as PdsAccount;
use crate::recording_proxy::{Proxy, Seen};
use serde_json::{Value, json};

const ANNOUNCEMENT: &str = "announcements/a.et.md";

/// An announcement for `channel`, first approved at 10:00.
fn announcement(channel: &str, body: &str, extra: &str) -> String {
    format!(
        "---\ntitle: Teade\npublish_at: 2026-06-30 10:00\nchannels: [{channel}]\n{extra}---\n{body}\n"
    )
}

/// Writes `text` as the announcement and approves it.
fn approve(repo: &Repo, text: &str) {
    repo.write(ANNOUNCEMENT, text);
    repo.approve(ANNOUNCEMENT);
}

/// Sentences enough for a Mastodon thread of two parts.
fn long_body() -> String {
    let sentence = "Tartu linn kutsub kõiki elanikke ja külalisi raekoja platsile, kus räägime linna tulevikust. ";
    format!("{}\n\n{}", sentence.repeat(4), sentence.repeat(3))
}

/// The one request of `seen` that matches, asserting there is exactly one.
#[track_caller]
fn only(seen: Vec<Seen>, what: &str) -> Seen {
    assert_eq!(seen.len(), 1, "one {what}: {seen:#?}");
    seen.into_iter().next().unwrap()
}

/// The requests the dry run shows for the change on `channel`, as (action, body).
fn dry_requests(dry: &Value, channel: &str) -> Vec<(String, Value)> {
    dry["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no change in the dry run: {dry:#}"))
        .iter()
        .filter(|item| item["channel"] == channel)
        .flat_map(|item| item["requests"].as_array().unwrap().clone())
        .map(|r| (r["action"].as_str().unwrap().to_owned(), r["body"].clone()))
        .collect()
}

/// The ledger's `posted` records of `action` ("edit", "delete", …).
fn done(repo: &Repo, action: &str) -> Vec<Value> {
    repo.read("state/ledger.jsonl")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["event"] == "posted" && r["action"] == action)
        .collect()
}

// ---- Mastodon ---------------------------------------------------------------------------

struct Mastodon {
    account: MastodonAccount,
    proxy: Proxy,
    repo: Repo,
    env: Vec<(String, String)>,
    base: String,
}

impl Mastodon {
    fn new() -> Mastodon {
        let base = server("HERALD_TEST_MASTODON");
        let account = MastodonAccount::create(&base);
        let proxy = Proxy::start(&base);
        let repo = Repo::new();
        std::fs::write(repo.path().join("announcements/pic.png"), TINY_PNG).unwrap();
        let env = vec![
            (
                "HERALD_CHANNELS__MASTODON_ET__BASE_URL".to_owned(),
                proxy.url(),
            ),
            ("TEST_MASTODON_TOKEN".to_owned(), account.token.clone()),
        ];
        Mastodon {
            account,
            proxy,
            repo,
            env,
            base,
        }
    }

    fn publish(&self, at: &str) -> Value {
        let run = publish_on(&self.repo, &self.env, "mastodon_et", at, false);
        run.assert_code(0);
        run.json()
    }

    fn dry_run(&self, at: &str) -> Value {
        let run = publish_on(&self.repo, &self.env, "mastodon_et", at, true);
        run.assert_code(0);
        run.json()
    }

    /// The ids of the statuses Herald posted, in part order (from the ledger).
    fn posted_ids(&self) -> Vec<String> {
        self.repo
            .read("state/ledger.jsonl")
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|r| r["event"] == "posted" && r["action"].is_null())
            .map(|r| r["remote_id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// `GET /api/v1/statuses/ID` on the server itself: the status, or `None` on 404.
    fn status(&self, id: &str) -> Option<Value> {
        let answer = http()
            .get(format!("{}/api/v1/statuses/{id}", self.base))
            .bearer(&self.account.token)
            .send()
            .unwrap();
        match answer.status.as_u16() {
            404 => None,
            _ => Some(answer.error_for_status().unwrap().json()),
        }
    }

    /// The texts of a status's versions, oldest first (`GET …/history`).
    fn history(&self, id: &str) -> Vec<String> {
        let versions = http()
            .get(format!("{}/api/v1/statuses/{id}/history", self.base))
            .bearer(&self.account.token)
            .send()
            .unwrap()
            .error_for_status()
            .unwrap()
            .json();
        versions
            .as_array()
            .unwrap()
            .iter()
            .map(shown_text)
            .collect()
    }
}

#[test]
fn a_correction_edits_the_mastodon_status_in_place_and_its_history_keeps_the_first_text() {
    let m = Mastodon::new();
    let image = "images:\n  - path: announcements/pic.png\n    alt: Raekoja plats\n";
    approve(
        &m.repo,
        &announcement("mastodon_et", "Kontsert algab kell 18.", image),
    );
    m.publish("2026-06-30 10:05");
    let [id] = <[String; 1]>::try_from(m.posted_ids()).unwrap();
    m.proxy.clear();

    approve(
        &m.repo,
        &announcement("mastodon_et", "Kontsert algab kell 19.", image),
    );
    // The dry run shows the upload of the image and the edit, as they go out.
    let dry = m.dry_run("2026-06-30 12:00");
    let uploaded = "<id of uploaded announcements/pic.png>";
    assert_eq!(
        dry_requests(&dry, "mastodon_et"),
        [
            (
                format!("POST {}/api/v2/media", m.proxy.url()),
                json!({ "file": "announcements/pic.png", "description": "Raekoja plats" }),
            ),
            (
                format!("PUT {}/api/v1/statuses/{id}", m.proxy.url()),
                json!({
                    "status": "Teade\n\nKontsert algab kell 19.",
                    "language": "et",
                    "media_ids": [uploaded],
                    "media_attributes": [{ "id": uploaded, "description": "Raekoja plats" }],
                }),
            ),
        ],
        "{dry:#}"
    );
    assert!(m.proxy.seen().is_empty(), "the dry run sent nothing");
    assert!(
        !dry.to_string().contains(&m.account.token),
        "no secret shown"
    );

    m.publish("2026-06-30 12:00");
    let upload = only(m.proxy.matching("POST", "/api/v2/media"), "upload");
    assert!(
        upload.headers["content-type"].starts_with("multipart/form-data"),
        "{upload:?}"
    );
    assert!(
        upload.text().contains("Raekoja plats"),
        "the alt text went up"
    );
    let media_id = upload.answer_json()["id"].as_str().unwrap().to_owned();
    let edit = only(m.proxy.matching("PUT", "/api/v1/statuses/"), "edit");
    assert_eq!(edit.target, format!("/api/v1/statuses/{id}"));
    assert_eq!(edit.headers["content-type"], "application/json");
    assert_eq!(
        edit.headers["authorization"],
        format!("Bearer {}", m.account.token)
    );
    assert_eq!(
        edit.text(),
        format!(
            r#"{{"language":"et","media_attributes":[{{"description":"Raekoja plats","id":"{media_id}"}}],"media_ids":["{media_id}"],"status":"Teade\n\nKontsert algab kell 19."}}"#
        )
    );
    assert!(
        m.proxy.matching("POST", "/api/v1/statuses").is_empty(),
        "no new status"
    );

    let status = m.status(&id).expect("the status is still there");
    assert_eq!(shown_text(&status), "Teade\n\nKontsert algab kell 19.");
    assert!(status["edited_at"].is_string(), "{status:#}");
    assert_eq!(
        m.history(&id),
        [
            "Teade\n\nKontsert algab kell 18.",
            "Teade\n\nKontsert algab kell 19."
        ]
    );
    assert_eq!(m.account.statuses().len(), 1, "nothing else was posted");
    assert_eq!(done(&m.repo, "edit").len(), 1);
    assert!(!m.repo.written_text().contains(&m.account.token));

    // Done once: the next run has nothing to change.
    m.proxy.clear();
    m.publish("2026-06-30 12:05");
    assert!(m.proxy.seen().is_empty(), "{:#?}", m.proxy.seen());
}

#[test]
fn a_shorter_mastodon_thread_deletes_the_part_it_lost() {
    let m = Mastodon::new();
    approve(&m.repo, &announcement("mastodon_et", &long_body(), ""));
    m.publish("2026-06-30 10:05");
    let ids = m.posted_ids();
    assert_eq!(ids.len(), 2, "a thread of two");
    m.proxy.clear();

    approve(
        &m.repo,
        &announcement("mastodon_et", "Kohtumine raekoja platsil jääb ära.", ""),
    );
    let dry = m.dry_run("2026-06-30 12:00");
    let shown = dry_requests(&dry, "mastodon_et");
    assert!(
        shown.contains(&(
            format!(
                "DELETE {}/api/v1/statuses/{}?delete_media=true",
                m.proxy.url(),
                ids[1]
            ),
            Value::Null
        )),
        "{dry:#}"
    );
    m.publish("2026-06-30 12:00");

    let delete = only(m.proxy.matching("DELETE", "/api/v1/statuses/"), "delete");
    assert_eq!(
        delete.target,
        format!("/api/v1/statuses/{}?delete_media=true", ids[1])
    );
    assert!(delete.body.is_empty());
    assert_eq!(
        delete.headers["authorization"],
        format!("Bearer {}", m.account.token)
    );
    let edit = only(m.proxy.matching("PUT", "/api/v1/statuses/"), "edit");
    assert_eq!(edit.target, format!("/api/v1/statuses/{}", ids[0]));
    assert_eq!(
        edit.text(),
        r#"{"language":"et","status":"Teade\n\nKohtumine raekoja platsil jääb ära."}"#
    );
    assert!(m.status(&ids[1]).is_none(), "the second part is gone");
    let first = m.status(&ids[0]).unwrap();
    assert_eq!(
        shown_text(&first),
        "Teade\n\nKohtumine raekoja platsil jääb ära."
    );
    assert_eq!(m.account.statuses().len(), 1);
}

#[test]
fn a_longer_mastodon_thread_edits_the_first_part_and_answers_it_with_the_new_one() {
    let m = Mastodon::new();
    approve(
        &m.repo,
        &announcement("mastodon_et", "Kohtumine raekoja platsil.", ""),
    );
    m.publish("2026-06-30 10:05");
    let [first] = <[String; 1]>::try_from(m.posted_ids()).unwrap();
    m.proxy.clear();

    approve(&m.repo, &announcement("mastodon_et", &long_body(), ""));
    m.publish("2026-06-30 12:00");
    let edit = only(m.proxy.matching("PUT", "/api/v1/statuses/"), "edit");
    assert_eq!(edit.target, format!("/api/v1/statuses/{first}"));
    let edited: Value = edit.text().parse().unwrap();
    let created = only(m.proxy.matching("POST", "/api/v1/statuses"), "new part");
    let body: Value = created.text().parse().unwrap();
    assert_eq!(body["in_reply_to_id"], first.as_str(), "{body:#}");
    assert!(
        created.headers.contains_key("idempotency-key"),
        "a new part is a new post, with its key"
    );
    let second = created.answer_json()["id"].as_str().unwrap().to_owned();
    let statuses = m.account.statuses();
    assert_eq!(statuses.len(), 2);
    assert_eq!(shown_text(&statuses[0]), edited["status"].as_str().unwrap());
    assert_eq!(shown_text(&statuses[1]), body["status"].as_str().unwrap());
    assert_eq!(statuses[1]["id"], second.as_str());
    assert_eq!(statuses[1]["in_reply_to_id"], first.as_str());
    assert_eq!(done(&m.repo, "repost").len(), 1);
}

#[test]
fn a_retraction_deletes_every_mastodon_part_even_one_already_gone() {
    let m = Mastodon::new();
    approve(&m.repo, &announcement("mastodon_et", &long_body(), ""));
    m.publish("2026-06-30 10:05");
    let ids = m.posted_ids();
    assert_eq!(ids.len(), 2);
    // Someone deleted the second part by hand already: its delete answers 404.
    http()
        .delete(format!("{}/api/v1/statuses/{}", m.base, ids[1]))
        .bearer(&m.account.token)
        .send()
        .unwrap()
        .error_for_status()
        .unwrap();
    m.proxy.clear();

    approve(
        &m.repo,
        &announcement(
            "mastodon_et",
            &long_body(),
            "retract: \"the date was wrong\"\n",
        ),
    );
    let report = m.publish("2026-06-30 12:00");
    let deletes: Vec<(String, u16)> = m
        .proxy
        .matching("DELETE", "/api/v1/statuses/")
        .into_iter()
        .map(|s| (s.target, s.status))
        .collect();
    // Newest first; the part already gone answered 404, and that is deleted too.
    assert_eq!(
        deletes,
        [
            (
                format!("/api/v1/statuses/{}?delete_media=true", ids[1]),
                404
            ),
            (
                format!("/api/v1/statuses/{}?delete_media=true", ids[0]),
                200
            ),
        ],
        "{report:#}"
    );
    assert_eq!(report["rows"][0]["result"], "retracted", "{report:#}");
    assert!(m.status(&ids[0]).is_none());
    assert!(m.status(&ids[1]).is_none());
    assert!(m.account.statuses().is_empty());
    assert_eq!(done(&m.repo, "delete").len(), 2, "both count as deleted");

    m.proxy.clear();
    m.publish("2026-06-30 12:05");
    assert!(m.proxy.seen().is_empty(), "deleted once");
}

// ---- Bluesky ----------------------------------------------------------------------------

struct Bluesky {
    account: PdsAccount,
    proxy: Proxy,
    repo: Repo,
    env: Vec<(String, String)>,
}

impl Bluesky {
    fn new(name: &str, correction: &str) -> Bluesky {
        let account = PdsAccount::create(name);
        let proxy = Proxy::start(&account.pds);
        let repo = Repo::with_config(&format!(
            "\n[channels.bsky]\nkind = \"bluesky\"\nlang = \"et\"\nservice = \"{}\"\nidentifier = \"{}\"\npassword_env = \"BSKY_PASSWORD\"\n{correction}",
            proxy.url(),
            account.handle
        ));
        let env = vec![("BSKY_PASSWORD".to_owned(), account.app_password.clone())];
        Bluesky {
            account,
            proxy,
            repo,
            env,
        }
    }

    fn publish(&self, at: &str) -> Value {
        let run = publish_on(&self.repo, &self.env, "bsky", at, false);
        run.assert_code(0);
        run.json()
    }

    fn dry_run(&self, at: &str) -> Value {
        let run = publish_on(&self.repo, &self.env, "bsky", at, true);
        run.assert_code(0);
        run.json()
    }

    /// The at:// addresses of the posts Herald made first, in part order.
    fn posted_uris(&self) -> Vec<String> {
        self.repo
            .read("state/ledger.jsonl")
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|r| r["event"] == "posted" && r["action"].is_null())
            .map(|r| r["remote_id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// `getRecord` on the PDS itself: the record, or `None` when there is none.
    fn record(&self, uri: &str) -> Option<Value> {
        let rkey = uri.rsplit('/').next().unwrap();
        let answer = http()
            .get(format!(
                "{}/xrpc/com.atproto.repo.getRecord?repo={}&collection=app.bsky.feed.post&rkey={rkey}",
                self.account.pds, self.account.did
            ))
            .send()
            .unwrap();
        if answer.status.as_u16() == 400 && answer.json()["error"] == "RecordNotFound" {
            return None;
        }
        Some(answer.error_for_status().unwrap().json())
    }

    /// The `deleteRecord` body Herald sends for `uri`, byte for byte.
    fn delete_body(&self, uri: &str) -> String {
        let rkey = uri.rsplit('/').next().unwrap();
        format!(
            r#"{{"collection":"app.bsky.feed.post","repo":"{}","rkey":"{rkey}"}}"#,
            self.account.did
        )
    }
}

#[test]
fn a_bluesky_correction_notice_replies_to_the_post_with_its_uri_and_cid() {
    let b = Bluesky::new("notice", "");
    approve(
        &b.repo,
        &announcement("bsky", "Kontsert algab kell 18.", ""),
    );
    b.publish("2026-06-30 10:05");
    let [uri] = <[String; 1]>::try_from(b.posted_uris()).unwrap();
    let original = b.record(&uri).unwrap();
    b.proxy.clear();

    approve(
        &b.repo,
        &announcement("bsky", "Kontsert algab kell 19.", ""),
    );
    let dry = b.dry_run("2026-06-30 12:00");
    let shown = dry_requests(&dry, "bsky");
    let [(action, planned)] = <[(String, Value); 1]>::try_from(shown).expect("one request");
    assert_eq!(
        action,
        format!("POST {}/xrpc/com.atproto.repo.putRecord", b.proxy.url())
    );
    let placeholder = json!({ "uri": uri, "cid": "<cid of part 1>" });
    assert_eq!(
        planned["record"]["reply"],
        json!({ "root": placeholder, "parent": placeholder })
    );

    b.publish("2026-06-30 12:00");
    let put = only(
        b.proxy.matching("POST", "com.atproto.repo.putRecord"),
        "notice",
    );
    assert!(
        b.proxy.matching("POST", "deleteRecord").is_empty(),
        "the post stays"
    );
    // What went out is what the dry run showed, with the cid read back from the PDS.
    let mut expected = planned.clone();
    assert_eq!(
        expected["repo"],
        format!("<DID of {}>", b.account.handle),
        "the dry run does not sign in"
    );
    expected["repo"] = json!(b.account.did);
    let strong = json!({ "uri": uri, "cid": original["cid"] });
    expected["record"]["reply"] = json!({ "root": strong, "parent": strong });
    assert_eq!(put.text(), expected.to_string());

    let notices = done(&b.repo, "notice");
    assert_eq!(notices.len(), 1, "{notices:#?}");
    let notice_uri = notices[0]["remote_id"].as_str().unwrap();
    assert_ne!(notice_uri, uri);
    let stored = b.record(notice_uri).expect("the notice is on the PDS");
    assert_eq!(stored["value"]["reply"]["root"], strong);
    assert_eq!(stored["value"]["reply"]["parent"], strong);
    assert_eq!(stored["value"]["text"], planned["record"]["text"]);
    assert_eq!(
        b.record(&uri).unwrap()["value"]["text"],
        "Teade\n\nKontsert algab kell 18.",
        "the post itself is unchanged"
    );
    assert_eq!(b.account.posts().len(), 2);
    assert!(!b.repo.written_text().contains(&b.account.app_password));
    assert!(!dry.to_string().contains(&b.account.app_password));
}

#[test]
fn a_notice_on_a_bluesky_thread_answers_its_last_part_in_the_thread_of_its_first() {
    let b = Bluesky::new("thread", "");
    approve(&b.repo, &announcement("bsky", &bluesky_thread_body(), ""));
    b.publish("2026-06-30 10:05");
    let uris = b.posted_uris();
    assert_eq!(uris.len(), 2, "a thread of two");
    let (first, last) = (b.record(&uris[0]).unwrap(), b.record(&uris[1]).unwrap());
    b.proxy.clear();

    approve(&b.repo, &announcement("bsky", "Kohtumine jääb ära.", ""));
    let dry = b.dry_run("2026-06-30 12:00");
    let [(_, planned)] =
        <[(String, Value); 1]>::try_from(dry_requests(&dry, "bsky")).expect("one request");
    assert_eq!(
        planned["record"]["reply"],
        json!({
            "root": { "uri": uris[0], "cid": "<cid of part 1>" },
            "parent": { "uri": uris[1], "cid": "<cid of the part answered>" },
        })
    );
    b.publish("2026-06-30 12:00");
    let put = only(b.proxy.matching("POST", "putRecord"), "notice");
    let reply = json!({
        "root": { "uri": uris[0], "cid": first["cid"] },
        "parent": { "uri": uris[1], "cid": last["cid"] },
    });
    let mut expected = planned.clone();
    expected["repo"] = json!(b.account.did);
    expected["record"]["reply"] = reply.clone();
    assert_eq!(put.text(), expected.to_string());
    let notice = done(&b.repo, "notice");
    let stored = b
        .record(notice[0]["remote_id"].as_str().unwrap())
        .expect("the notice is on the PDS");
    assert_eq!(stored["value"]["reply"], reply);
    assert_eq!(
        stored["value"]["text"],
        "Parandus: Teade\n\nKohtumine jääb ära."
    );
    assert_eq!(
        b.account.posts().len(),
        3,
        "the thread stays, with the notice"
    );
}

/// Sentences enough for a Bluesky thread of two parts.
fn bluesky_thread_body() -> String {
    let sentence = "Tartu linn kutsub kõiki raekoja platsile, kus räägime linna tulevikust. ";
    format!("{}\n\n{}", sentence.repeat(3), sentence.repeat(2))
}

#[test]
fn a_bluesky_repost_deletes_the_post_and_creates_it_anew() {
    let b = Bluesky::new("repost", "correction = \"repost\"\n");
    approve(
        &b.repo,
        &announcement("bsky", "Kontsert algab kell 18.", ""),
    );
    b.publish("2026-06-30 10:05");
    let [old] = <[String; 1]>::try_from(b.posted_uris()).unwrap();
    b.proxy.clear();

    approve(
        &b.repo,
        &announcement("bsky", "Kontsert algab kell 19.", ""),
    );
    let dry = b.dry_run("2026-06-30 12:00");
    let shown = dry_requests(&dry, "bsky");
    let actions: Vec<&str> = shown.iter().map(|(action, _)| action.as_str()).collect();
    assert_eq!(
        actions,
        [
            format!("POST {}/xrpc/com.atproto.repo.deleteRecord", b.proxy.url()),
            format!("POST {}/xrpc/com.atproto.repo.putRecord", b.proxy.url()),
        ],
        "{dry:#}"
    );
    b.publish("2026-06-30 12:00");
    // The delete first, then the new record: in that order, and as the dry run showed.
    let order: Vec<String> = b
        .proxy
        .seen()
        .into_iter()
        .filter(|s| s.target.contains("Record") && !s.target.contains("getRecord"))
        .map(|s| s.target)
        .collect();
    assert_eq!(
        order,
        [
            "/xrpc/com.atproto.repo.deleteRecord",
            "/xrpc/com.atproto.repo.putRecord"
        ]
    );
    let delete = only(b.proxy.matching("POST", "deleteRecord"), "delete");
    assert_eq!(delete.text(), b.delete_body(&old));
    let mut planned_delete = shown[0].1.clone();
    planned_delete["repo"] = json!(b.account.did);
    assert_eq!(delete.text(), planned_delete.to_string());
    assert!(b.record(&old).is_none(), "the old post is gone");
    let put = only(b.proxy.matching("POST", "putRecord"), "new post");
    let mut planned_put = shown[1].1.clone();
    planned_put["repo"] = json!(b.account.did);
    assert_eq!(put.text(), planned_put.to_string());

    let reposts = done(&b.repo, "repost");
    assert_eq!(reposts.len(), 1, "{reposts:#?}");
    let new = reposts[0]["remote_id"].as_str().unwrap();
    assert_ne!(new, old);
    let stored = b.record(new).expect("the new post is there");
    assert_eq!(stored["value"]["text"], "Teade\n\nKontsert algab kell 19.");
    assert!(stored["value"].get("reply").is_none());
    let posts = b.account.posts();
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert_eq!(posts[0]["uri"], new);
}

#[test]
fn a_bluesky_retraction_deletes_every_record() {
    let b = Bluesky::new("retract", "");
    let body = bluesky_thread_body();
    approve(&b.repo, &announcement("bsky", &body, ""));
    b.publish("2026-06-30 10:05");
    let uris = b.posted_uris();
    assert_eq!(uris.len(), 2, "a thread of two");
    b.proxy.clear();

    approve(
        &b.repo,
        &announcement("bsky", &body, "retract: \"the date was wrong\"\n"),
    );
    b.publish("2026-06-30 12:00");
    let deletes: Vec<String> = b
        .proxy
        .matching("POST", "deleteRecord")
        .iter()
        .map(Seen::text)
        .collect();
    // Newest first.
    let expected: Vec<String> = uris.iter().rev().map(|u| b.delete_body(u)).collect();
    assert_eq!(deletes, expected);
    for uri in &uris {
        assert!(b.record(uri).is_none(), "{uri} is gone");
    }
    assert!(b.account.posts().is_empty());
    assert_eq!(done(&b.repo, "delete").len(), 2);
}

// ---- Mastodon refusing an edit (wiremock) -----------------------------------------------

mod refused {
    use super::{ANNOUNCEMENT, announcement};
    use crate::harness::Repo;
    use serde_json::{Value, json};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const TOKEN: &str = "masto-token-5e1d";
    const ID: &str = "110000000000000042";

    fn publish(repo: &Repo, server: &MockServer, at: &str) -> crate::harness::Run {
        repo.run_env(
            &["publish", "--format", "json", "--at", at],
            &[
                ("HERALD_CHANNELS__MASTODON_ET__BASE_URL", &server.uri()),
                ("TEST_MASTODON_TOKEN", TOKEN),
                ("HERALD_PUBLISH__RETRY_BASE", "10ms"),
            ],
        )
    }

    /// Posts an announcement to a server that then answers its edit with `refusal`, and
    /// returns the publish report of the correction and the repository.
    async fn refused_edit(refusal: ResponseTemplate) -> (Value, Repo, MockServer) {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/statuses"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": ID,
                "url": format!("https://mastodon.example/@tartu/{ID}"),
                "content": "<p>Teade</p><p>Kell 18.</p>",
            })))
            .mount(&server)
            .await;
        Mock::given(method("PUT"))
            .and(path(format!("/api/v1/statuses/{ID}")))
            .respond_with(refusal)
            .mount(&server)
            .await;
        let repo = Repo::new();
        repo.write(ANNOUNCEMENT, &announcement("mastodon_et", "Kell 18.", ""));
        repo.approve(ANNOUNCEMENT);
        publish(&repo, &server, "2026-06-30 10:05").assert_code(0);
        repo.write(ANNOUNCEMENT, &announcement("mastodon_et", "Kell 19.", ""));
        repo.approve(ANNOUNCEMENT);
        let run = publish(&repo, &server, "2026-06-30 12:00");
        run.assert_code(1);
        (run.json(), repo, server)
    }

    async fn edits(server: &MockServer) -> usize {
        server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .filter(|r| r.method.as_str() == "PUT")
            .count()
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_edit_the_server_refuses_is_said_plainly_and_not_tried_again() {
        let (report, repo, server) = refused_edit(ResponseTemplate::new(422).set_body_json(
            json!({ "error": "Validation failed: Text character limit of 500 exceeded" }),
        ))
        .await;
        let row = &report["rows"][0];
        assert_eq!(row["result"], "failed", "{report:#}");
        let detail = row["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!(
                "refused the edit of status {ID} (422): Validation failed: Text character limit of 500 exceeded"
            )),
            "{detail}"
        );
        assert!(!detail.contains(TOKEN));
        assert_eq!(edits(&server).await, 1, "a refusal is not retried");
        let again = publish(&repo, &server, "2026-06-30 12:05");
        again.assert_code(1);
        assert_eq!(edits(&server).await, 1, "nor tried again by the next run");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_edit_of_a_status_that_is_gone_says_so() {
        let (report, _repo, server) = refused_edit(
            ResponseTemplate::new(404).set_body_json(json!({ "error": "Record not found" })),
        )
        .await;
        let detail = report["rows"][0]["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!(
                "status {ID} is not on {} any more, or this account does not own it (404): nothing was edited",
                server.uri()
            )),
            "{detail}"
        );
        assert_eq!(edits(&server).await, 1);
    }
}
