//! A success answer (2xx) that does not say what it created — an empty body, a body
//! without the id field, a body that is not JSON — means the post probably exists. It is
//! in doubt and looked up the way each channel looks up an in-doubt post (X, Facebook,
//! LinkedIn: among the account's own posts; Mastodon: sent again under the same
//! idempotency key), never a permanent failure.

use crate::harness::{Repo, Run, posted_lines};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The three kinds of answer that say nothing usable, with the content type sent.
fn useless_answers(status: u16) -> Vec<(&'static str, ResponseTemplate)> {
    vec![
        ("empty", ResponseTemplate::new(status)),
        (
            "without the id",
            ResponseTemplate::new(status)
                .set_body_json(json!({ "data": { "text": "Uudis" }, "ok": true })),
        ),
        (
            "not JSON",
            ResponseTemplate::new(status).set_body_raw("<html>OK</html>", "text/html"),
        ),
    ]
}

fn repo(server: &MockServer, channel: &str) -> Repo {
    let repo = Repo::with_config(&format!(
        "\n[publish]\nrequest_timeout = \"2s\"\nretry_base = \"10ms\"\nretries_per_run = 1\n\n{channel}",
    )
    .replace("{api}", &server.uri()));
    let name = channel
        .split(['.', ']'])
        .nth(1)
        .expect("a [channels.NAME] table");
    repo.write(
        "announcements/a.et.md",
        &format!(
            "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [{name}]\n---\nTekst.\n"
        ),
    );
    repo.approve("announcements/a.et.md");
    repo
}

fn publish(repo: &Repo, env: &[(&str, &str)]) -> Run {
    repo.run_env(
        &["publish", "--format", "json", "--at", "2026-06-30 10:05"],
        env,
    )
}

fn posts(all: &[Request], p: &str) -> usize {
    all.iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == p)
        .count()
}

/// The first run leaves the post in doubt (exit 1, a `started` record without an
/// outcome, no `failed` record); the next one finds it with `lookup` mounted and records
/// it, without posting again.
async fn in_doubt_then_found(
    what: &str,
    server: &MockServer,
    repo: &Repo,
    env: &[(&str, &str)],
    post_path: &str,
    lookup: Vec<Mock>,
) -> Value {
    let report = publish(repo, env).assert_code(1).json();
    let row = &report["rows"][0];
    assert_eq!(row["result"], "in_doubt", "{what}: {report}");
    assert!(
        row["detail"]
            .as_str()
            .unwrap()
            .contains("accepted the post but its answer"),
        "{what}: {row}"
    );
    let ledger = repo.read("state/ledger.jsonl");
    let events: Vec<Value> = ledger
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["event"].clone())
        .collect();
    assert_eq!(events, vec![json!("started")], "{what}: {ledger}");
    for mock in lookup {
        mock.mount(server).await;
    }
    let report = publish(repo, env).assert_code(0).json();
    assert_eq!(report["rows"][0]["result"], "posted", "{what}: {report}");
    let all = server.received_requests().await.unwrap();
    assert_eq!(posts(&all, post_path), 1, "{what}: posted twice");
    assert_eq!(posted_lines(repo).len(), 1, "{what}");
    report["rows"][0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn x_answer_without_a_post_id_is_in_doubt_then_found_among_the_account_posts() {
    const CHANNEL: &str = "[channels.x]\nkind = \"x\"\nlang = \"et\"\nconsumer_key_env = \"X_CK\"\n\
         consumer_secret_env = \"X_CS\"\naccess_token_env = \"X_AT\"\n\
         access_token_secret_env = \"X_ATS\"\napi_url = \"{api}\"\n";
    let env = [
        ("X_CK", "ck"),
        ("X_CS", "cs"),
        ("X_AT", "1-at"),
        ("X_ATS", "ats"),
    ];
    for (what, answer) in useless_answers(201) {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let repo = repo(&server, CHANNEL);
        let lookup = vec![
            Mock::given(method("GET")).and(path("/2/users/me")).respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({ "data": { "id": "42", "username": "tartu" } })),
            ),
            Mock::given(method("GET"))
                .and(path("/2/users/42/tweets"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "data": [{ "id": "1880000000000000021", "text": "Uudis\n\nTekst.", "edit_history_tweet_ids": ["1880000000000000021"] }],
                    "meta": { "result_count": 1 }
                }))),
        ];
        let row = in_doubt_then_found(what, &server, &repo, &env, "/2/tweets", lookup).await;
        assert_eq!(
            row["urls"][0], "https://x.com/i/web/status/1880000000000000021",
            "{what}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn facebook_answer_without_a_post_id_is_in_doubt_then_found_among_published_posts() {
    const PAGE: &str = "102726124444893";
    const POST: &str = "102726124444893_900000000000001";
    let channel = format!(
        "[channels.fb]\nkind = \"facebook\"\nlang = \"et\"\npage_id = \"{PAGE}\"\n\
         token_env = \"FB_TOKEN\"\napi_url = \"{{api}}\"\n"
    );
    let env = [("FB_TOKEN", "fb-token")];
    let permalink = format!("https://www.facebook.com/{PAGE}/posts/900000000000001");
    for (what, answer) in useless_answers(200) {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{PAGE}/feed")))
            .respond_with(answer)
            .mount(&server)
            .await;
        let repo = repo(&server, &channel);
        let lookup = vec![
            Mock::given(method("GET"))
                .and(path(format!("/v26.0/{PAGE}/published_posts")))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "data": [{ "id": POST, "message": "Uudis\n\nTekst.", "created_time": "2026-06-30T07:05:00+0000", "permalink_url": permalink }],
                    "paging": { "cursors": { "before": "a", "after": "b" } }
                }))),
        ];
        let feed = format!("/v26.0/{PAGE}/feed");
        let row = in_doubt_then_found(what, &server, &repo, &env, &feed, lookup).await;
        assert_eq!(row["urls"][0], permalink.as_str(), "{what}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn linkedin_answer_without_a_post_urn_is_in_doubt_then_found_among_the_organizations_posts() {
    const ORG: &str = "urn:li:organization:10452716";
    const SHARE: &str = "urn:li:share:7000000000000000001";
    let channel = format!(
        "[channels.li]\nkind = \"linkedin\"\nlang = \"et\"\norganization = \"{ORG}\"\n\
         token_env = \"LI_TOKEN\"\napi_url = \"{{api}}\"\n"
    );
    let env = [("LI_TOKEN", "li-token")];
    let mut answers = useless_answers(201);
    // LinkedIn names the post in a header; an empty or meaningless one names nothing.
    answers.push((
        "an empty x-restli-id",
        ResponseTemplate::new(201).insert_header("x-restli-id", ""),
    ));
    answers.push((
        "an x-restli-id that is no URN",
        ResponseTemplate::new(201).insert_header("x-restli-id", "null"),
    ));
    for (what, answer) in answers {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/rest/posts"))
            .respond_with(answer)
            .mount(&server)
            .await;
        let repo = repo(&server, &channel);
        let lookup = vec![
            Mock::given(method("GET"))
                .and(path("/rest/posts"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "paging": { "start": 0, "count": 20, "links": [] },
                    "elements": [{ "id": SHARE, "author": ORG, "commentary": "Uudis\n\nTekst.", "lifecycleState": "PUBLISHED", "visibility": "PUBLIC" }]
                }))),
        ];
        let row = in_doubt_then_found(what, &server, &repo, &env, "/rest/posts", lookup).await;
        assert_eq!(
            row["urls"][0],
            format!("https://www.linkedin.com/feed/update/{SHARE}/"),
            "{what}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mastodon_answer_without_a_status_id_is_sent_again_under_the_same_idempotency_key() {
    const CHANNEL: &str = "[channels.m]\nkind = \"mastodon\"\nlang = \"et\"\nbase_url = \"{api}\"\n\
         token_env = \"M_TOKEN\"\n";
    let env = [("M_TOKEN", "m-token")];
    for (what, answer) in useless_answers(200) {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/v1/statuses"))
            .respond_with(answer)
            .up_to_n_times(1)
            .mount(&server)
            .await;
        // The same key again: Mastodon answers with the status it created the first time.
        Mock::given(method("POST"))
            .and(path("/api/v1/statuses"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": "113000000000000001",
                "url": "https://mastodon.example/@tartu/113000000000000001",
                "content": "<p>Uudis</p><p>Tekst.</p>"
            })))
            .mount(&server)
            .await;
        let repo = repo(&server, CHANNEL);
        let report = publish(&repo, &env).assert_code(0).json();
        let row = &report["rows"][0];
        assert_eq!(row["result"], "posted", "{what}: {report}");
        assert_eq!(
            row["urls"][0], "https://mastodon.example/@tartu/113000000000000001",
            "{what}"
        );
        let all = server.received_requests().await.unwrap();
        let sent: Vec<&Request> = all
            .iter()
            .filter(|r| r.url.path() == "/api/v1/statuses")
            .collect();
        assert_eq!(sent.len(), 2, "{what}");
        let key = |r: &Request| r.headers.get("idempotency-key").unwrap().clone();
        assert_eq!(key(sent[0]), key(sent[1]), "{what}");
        assert_eq!(sent[0].body, sent[1].body, "{what}");
        let ledger = repo.read("state/ledger.jsonl");
        assert!(!ledger.contains("\"permanent\""), "{what}: {ledger}");
        assert_eq!(posted_lines(&repo).len(), 1, "{what}");
    }
}
