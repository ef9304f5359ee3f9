//! X (API v2) against a mock answering as X's documentation shows: the exact requests,
//! the OAuth 1.0a signature recomputed here from RFC 5849, error mapping, and the in-doubt
//! path with its own-posts lookup.

use crate::harness::{Repo, Run, TINY_PNG};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CONSUMER_KEY: &str = "x-test-consumer-key";
pub(crate) const CONSUMER_SECRET: &str = "x-test-consumer-secret";
pub(crate) const TOKEN: &str = "1234-x-test-access-token";
pub(crate) const TOKEN_SECRET: &str = "x-test-access-token-secret";
const OAUTH2: &str = "x-test-oauth2-user-token";

pub(crate) const ENV: [(&str, &str); 4] = [
    ("X_CK", CONSUMER_KEY),
    ("X_CS", CONSUMER_SECRET),
    ("X_AT", TOKEN),
    ("X_ATS", TOKEN_SECRET),
];

fn repo(server: &MockServer, extra: &str) -> Repo {
    let repo = Repo::with_config(&format!(
        "\n[publish]\nrequest_timeout = \"1s\"\nretry_base = \"10ms\"\nretries_per_run = 1\n\n\
         [channels.x]\nkind = \"x\"\nlang = \"et\"\nconsumer_key_env = \"X_CK\"\n\
         consumer_secret_env = \"X_CS\"\naccess_token_env = \"X_AT\"\n\
         access_token_secret_env = \"X_ATS\"\napi_url = \"{}\"\n{extra}",
        server.uri()
    ));
    std::fs::write(repo.path().join("announcements/pic.png"), TINY_PNG).unwrap();
    repo
}

fn announce(repo: &Repo, front: &str, body: &str) {
    repo.write(
        "announcements/a.et.md",
        &format!("---\ntitle: Tom & Jerry\npublish_at: 2026-06-30 10:00\nchannels: [x]\n{front}---\n{body}\n"),
    );
    repo.approve("announcements/a.et.md");
}

fn publish(repo: &Repo, env: &[(&str, &str)]) -> Run {
    repo.run_env(
        &["publish", "--format", "json", "--at", "2026-06-30 10:05"],
        env,
    )
}

fn created(id: &str, text: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(
        json!({ "data": { "id": id, "text": text, "edit_history_tweet_ids": [id] } }),
    )
}

fn problem(status: u16, title: &str, detail: &str, kind: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        json!({ "title": title, "detail": detail, "type": format!("https://api.x.com/2/problems/{kind}"), "status": status })
            .to_string(),
        "application/problem+json",
    )
}

fn body(r: &Request) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

fn requests_to(all: &[Request], p: &str) -> Vec<Request> {
    all.iter().filter(|r| r.url.path() == p).cloned().collect()
}

/// RFC 3986 percent-encoding, as RFC 5849 §3.6 asks.
fn pct(s: &str) -> String {
    const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// Checks the request's `Authorization: OAuth …` header: the fixed fields, and the
/// signature recomputed from the request as the server saw it (RFC 5849 §3.4: method,
/// base URL, query and `oauth_*` parameters; JSON and multipart bodies are not signed).
#[track_caller]
pub(crate) fn assert_signed(r: &Request) {
    let header = r
        .headers
        .get("authorization")
        .unwrap_or_else(|| panic!("no Authorization in {r:?}"))
        .to_str()
        .unwrap();
    let fields: Vec<(String, String)> = header
        .strip_prefix("OAuth ")
        .expect("an OAuth header")
        .split(", ")
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            let v = v.trim_matches('"');
            (
                k.to_owned(),
                percent_encoding::percent_decode_str(v)
                    .decode_utf8()
                    .unwrap()
                    .into_owned(),
            )
        })
        .collect();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k} in {header}"))
    };
    assert_eq!(get("oauth_consumer_key"), CONSUMER_KEY);
    assert_eq!(get("oauth_token"), TOKEN);
    assert_eq!(get("oauth_signature_method"), "HMAC-SHA1");
    assert_eq!(get("oauth_version"), "1.0");
    assert!(get("oauth_nonce").len() >= 16);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ts: u64 = get("oauth_timestamp").parse().unwrap();
    assert!(now.abs_diff(ts) < 120, "stale oauth_timestamp {ts}");

    let mut params: Vec<(String, String)> = r
        .url
        .query_pairs()
        .map(|(k, v)| (pct(&k), pct(&v)))
        .chain(
            fields
                .iter()
                .filter(|(k, _)| k != "oauth_signature")
                .map(|(k, v)| (pct(k), pct(v))),
        )
        .collect();
    params.sort();
    let normalized = params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    // The address the client signed is the one it sent to (its Host header).
    let host = r.headers.get("host").unwrap().to_str().unwrap();
    let base_url = format!("http://{host}{}", r.url.path());
    let base = format!(
        "{}&{}&{}",
        r.method.as_str(),
        pct(&base_url),
        pct(&normalized)
    );
    let key = format!("{}&{}", pct(CONSUMER_SECRET), pct(TOKEN_SECRET));
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(base.as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(get("oauth_signature"), expected, "signature of {base}");
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_text_with_an_oauth1_signature_and_records_the_post_address() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1880000000000000001", "…"))
        .mount(&server)
        .await;
    let repo = repo(&server, "");
    announce(&repo, "link: https://tartu.ee/uudised/1\n", "Tekst.");
    let report = publish(&repo, &ENV).assert_code(0).json();
    assert_eq!(report["rows"][0]["result"], "posted");
    assert_eq!(
        report["rows"][0]["urls"][0],
        "https://x.com/i/web/status/1880000000000000001"
    );
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].method.as_str(), "POST");
    assert_eq!(all[0].url.path(), "/2/tweets");
    assert_eq!(
        all[0].headers.get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(
        body(&all[0]),
        r#"{"text":"Tom & Jerry\n\nTekst.\n\nhttps://tartu.ee/uudised/1"}"#
    );
    assert_signed(&all[0]);
    let ledger = repo.read("state/ledger.jsonl");
    assert!(ledger.contains(r#""remote_id":"1880000000000000001""#));
    for secret in [CONSUMER_SECRET, TOKEN, TOKEN_SECRET] {
        assert!(!ledger.contains(secret));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_the_image_sets_its_alt_text_then_attaches_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "id": "1146654567674912769", "media_key": "3_1146654567674912769", "size": 70, "expires_after_secs": 86400 }
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/media/metadata"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "id": "1146654567674912769", "associated_metadata": { "alt_text": { "text": "Raekoda" } } }
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1880000000000000002", "…"))
        .mount(&server)
        .await;
    let repo = repo(&server, "");
    announce(
        &repo,
        "images:\n  - path: announcements/pic.png\n    alt: Raekoda \"öösel\"\n",
        "Tekst.",
    );
    publish(&repo, &ENV).assert_code(0);
    let all = server.received_requests().await.unwrap();
    let paths: Vec<&str> = all.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/2/media/upload", "/2/media/metadata", "/2/tweets"]);
    for r in &all {
        assert_signed(r);
    }
    let upload = &all[0];
    let content_type = upload
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect(content_type);
    let mut expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"pic.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    expected.extend_from_slice(TINY_PNG);
    expected.extend_from_slice(
        format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"media_category\"\r\n\r\ntweet_image\r\n--{boundary}--\r\n").as_bytes(),
    );
    assert_eq!(
        upload.body,
        expected,
        "{}",
        String::from_utf8_lossy(&upload.body)
    );
    assert_eq!(
        body(&all[1]),
        r#"{"id":"1146654567674912769","metadata":{"alt_text":{"text":"Raekoda \"öösel\""}}}"#
    );
    assert_eq!(
        body(&all[2]),
        r#"{"media":{"media_ids":["1146654567674912769"]},"text":"Tom & Jerry\n\nTekst."}"#
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thread_replies_to_the_part_before_with_an_oauth2_user_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1880000000000000011", "…"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1880000000000000012", "…"))
        .mount(&server)
        .await;
    let repo = Repo::with_config(&format!(
        "\n[channels.x]\nkind = \"x\"\nlang = \"et\"\noauth2_token_env = \"X_TOKEN\"\napi_url = \"{}\"\n",
        server.uri()
    ));
    let long = "Tartu linn kutsub kõiki elanikke osalema. ".repeat(8);
    announce(&repo, "thread: auto\n", long.trim());
    let report = publish(&repo, &[("X_TOKEN", OAUTH2)]).assert_code(0).json();
    assert_eq!(report["rows"][0]["urls"].as_array().unwrap().len(), 2);
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 2);
    for r in &all {
        assert_eq!(
            r.headers.get("authorization").unwrap(),
            &format!("Bearer {OAUTH2}")
        );
    }
    let first: Value = serde_json::from_slice(&all[0].body).unwrap();
    assert!(first.get("reply").is_none());
    let second = body(&all[1]);
    assert!(
        second.starts_with(r#"{"reply":{"in_reply_to_tweet_id":"1880000000000000011"},"text":""#),
        "{second}"
    );
    // The parts sent are exactly the parts the dry run shows.
    let plan = repo
        .run_env(&["check", "--format", "json"], &[("X_TOKEN", OAUTH2)])
        .json();
    let parts = &plan["announcements"][0]["posts"][0]["parts"];
    assert_eq!(first["text"], parts[0]["text"]);
    assert_eq!(
        serde_json::from_str::<Value>(&second).unwrap()["text"],
        parts[1]["text"]
    );
}

/// Each documented error, and what Herald makes of it.
#[tokio::test(flavor = "multi_thread")]
async fn errors_are_mapped_to_what_a_person_can_do() {
    let reset_in_an_hour = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600)
        .to_string();
    let cases: Vec<(ResponseTemplate, &str, &str, usize)> = vec![
        (
            problem(401, "Unauthorized", "Unauthorized", "about:blank"),
            "failed",
            "X did not accept the credentials (401",
            1,
        ),
        (
            problem(
                403,
                "Forbidden",
                "You are not allowed to create a Tweet with duplicate content.",
                "about:blank",
            ),
            "failed",
            "refused the post as a duplicate",
            1,
        ),
        (
            problem(
                403,
                "Forbidden",
                "You are not permitted to perform this action.",
                "about:blank",
            ),
            "failed",
            "\"Read and write\" permission",
            1,
        ),
        (
            problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                "invalid-request",
            ),
            "failed",
            "X rejected the request (400: One or more parameters",
            1,
        ),
        (
            problem(429, "Too Many Requests", "Too Many Requests", "about:blank")
                .insert_header("x-rate-limit-reset", reset_in_an_hour.as_str()),
            "failed",
            "X rate limit reached (429",
            1,
        ),
        (
            problem(
                429,
                "UsageCapExceeded",
                "Usage cap exceeded: Monthly product cap",
                "usage-capped",
            ),
            "failed",
            "used up its posting allowance",
            2,
        ),
        // 503: not processed, so retried (once, as configured), then left for a later run.
        (
            problem(
                503,
                "Service Unavailable",
                "Service Unavailable",
                "about:blank",
            ),
            "failed",
            "server error (503)",
            2,
        ),
        // 500: X may have created the post; never sent twice.
        (
            problem(
                500,
                "Internal Server Error",
                "Internal error",
                "about:blank",
            ),
            "in_doubt",
            "it may have been posted",
            1,
        ),
    ];
    for (response, result, detail, count) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .respond_with(response)
            .mount(&server)
            .await;
        let repo = repo(&server, "");
        announce(&repo, "", "Tekst.");
        let run = publish(&repo, &ENV);
        let report = run.assert_code(1).json();
        let row = &report["rows"][0];
        assert_eq!(row["result"], result, "{row}");
        assert!(row["detail"].as_str().unwrap().contains(detail), "{row}");
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            count,
            "{detail}"
        );
        for secret in [CONSUMER_SECRET, TOKEN, TOKEN_SECRET] {
            assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_upload_is_retried_and_never_leaves_the_post_in_doubt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/media/upload"))
        .respond_with(problem(
            500,
            "Internal Server Error",
            "Internal error",
            "about:blank",
        ))
        .mount(&server)
        .await;
    let repo = repo(&server, "");
    announce(
        &repo,
        "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n",
        "Tekst.",
    );
    let report = publish(&repo, &ENV).assert_code(1).json();
    assert_eq!(report["rows"][0]["result"], "failed");
    let all = server.received_requests().await.unwrap();
    assert!(all.iter().all(|r| r.url.path() == "/2/media/upload"));
    assert_eq!(all.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_leaves_the_post_in_doubt_and_the_next_run_finds_it_among_the_account_posts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1880000000000000021", "…").set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let repo = repo(&server, "");
    announce(&repo, "", "Tekst & rohkem > vähem.");
    let report = publish(&repo, &ENV).assert_code(1).json();
    assert_eq!(report["rows"][0]["result"], "in_doubt");
    assert!(
        report["rows"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("timed out")
    );

    // X gives text back HTML-escaped, with links shortened.
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "data": { "id": "2244994945", "name": "Tartu", "username": "tartu" } }),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/users/2244994945/tweets"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                { "id": "1880000000000000020", "text": "Something else", "edit_history_tweet_ids": ["1880000000000000020"] },
                { "id": "1880000000000000021", "text": "Tom &amp; Jerry\n\nTekst &amp; rohkem &gt; vähem.", "edit_history_tweet_ids": ["1880000000000000021"] }
            ],
            "meta": { "result_count": 2, "newest_id": "1880000000000000021", "oldest_id": "1880000000000000020" }
        })))
        .mount(&server)
        .await;
    let report = publish(&repo, &ENV).assert_code(0).json();
    assert_eq!(report["rows"][0]["result"], "posted");
    assert_eq!(
        report["rows"][0]["urls"][0],
        "https://x.com/i/web/status/1880000000000000021"
    );
    let all = server.received_requests().await.unwrap();
    assert_eq!(requests_to(&all, "/2/tweets").len(), 1, "posted twice");
    let timeline = &requests_to(&all, "/2/users/2244994945/tweets")[0];
    assert_eq!(timeline.url.query(), Some("max_results=20"));
    assert_signed(timeline);
    assert_signed(&requests_to(&all, "/2/users/me")[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_in_doubt_post_not_found_on_the_account_is_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1880000000000000031", "…").set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1880000000000000032", "…"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "data": { "id": "2244994945", "name": "Tartu", "username": "tartu" } }),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/2/users/2244994945/tweets"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "meta": { "result_count": 0 } })),
        )
        .mount(&server)
        .await;
    let repo = repo(&server, "");
    announce(&repo, "", "Tekst.");
    assert_eq!(
        publish(&repo, &ENV).assert_code(1).json()["rows"][0]["result"],
        "in_doubt"
    );
    let report = publish(&repo, &ENV).assert_code(0).json();
    assert_eq!(
        report["rows"][0]["urls"][0],
        "https://x.com/i/web/status/1880000000000000032"
    );
    let all = server.received_requests().await.unwrap();
    assert_eq!(requests_to(&all, "/2/tweets").len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_signs_in_read_only() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "data": { "id": "2244994945", "name": "Tartu", "username": "tartu" } }),
        ))
        .mount(&server)
        .await;
    let repo = repo(&server, "");
    let run = repo.run_env(&["doctor", "--channel", "x", "--format", "json"], &ENV);
    let report = run.assert_code(0).json();
    assert_eq!(report[0]["findings"][0]["level"], "ok");
    assert!(
        report[0]["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("@tartu")
    );
    let all = server.received_requests().await.unwrap();
    assert!(all.iter().all(|r| r.method.as_str() == "GET"));
    assert_signed(&all[0]);

    let bad = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/2/users/me"))
        .respond_with(problem(401, "Unauthorized", "Unauthorized", "about:blank"))
        .mount(&bad)
        .await;
    let repo = self::repo(&bad, "");
    let report = repo
        .run_env(&["doctor", "--channel", "x", "--format", "json"], &ENV)
        .assert_code(1)
        .json();
    assert_eq!(report[0]["findings"][0]["level"], "error");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bundled_example_goes_out_exactly_as_the_dry_run_shows() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/tweets"))
        .respond_with(created("1880000000000000041", "…"))
        .mount(&server)
        .await;
    let repo = Repo::bundled_examples(&[("x_en", &server.uri())]);
    let env = [
        ("X_CONSUMER_KEY", CONSUMER_KEY),
        ("X_CONSUMER_SECRET", CONSUMER_SECRET),
        ("X_ACCESS_TOKEN", TOKEN),
        ("X_ACCESS_TOKEN_SECRET", TOKEN_SECRET),
    ];
    let at = "2022-06-30 10:30";
    let args = [
        "publish",
        "--channel",
        "x_en",
        "--format",
        "json",
        "--at",
        at,
    ];
    let plan = repo
        .run_env(&[&["publish", "--dry-run"], &args[1..]].concat(), &env)
        .assert_code(0)
        .json();
    let planned = crate::harness::planned(&plan, "x_en", "1880000000000000041");
    repo.run_env(&args, &env).assert_code(0);
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), planned.len());
    for (r, (action, body)) in all.iter().zip(&planned) {
        assert_eq!(action, &format!("POST {}{}", server.uri(), r.url.path()));
        assert_eq!(self::body(r), *body);
        assert_signed(r);
    }
    let status = repo.run_env(&["status", "--channel", "x_en", "--at", at], &env);
    assert!(
        status
            .stdout
            .contains("https://x.com/i/web/status/1880000000000000041"),
        "{}",
        status.stdout
    );
}
