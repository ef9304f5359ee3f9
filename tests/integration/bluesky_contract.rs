//! Bluesky's XRPC contract on a wiremock server: the exact bytes Herald sends, and how
//! each documented error is handled (the real PDS tests cover the happy paths).

use crate::harness::Repo;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const DID: &str = "did:plc:tartu1234567890abcdefghij";
const PASSWORD: &str = "abcd-efgh-ijkl-mnop";

fn repo(server: &MockServer, body: &str) -> Repo {
    let repo = Repo::with_config(&format!(
        "\n[channels.bsky]\nkind = \"bluesky\"\nlang = \"et\"\nservice = \"{}\"\nidentifier = \"tartu.test\"\npassword_env = \"BSKY_PASSWORD\"\n",
        server.uri()
    ));
    repo.write(
        "announcements/a.et.md",
        &format!("---\ntitle: Teade\npublish_at: 2026-06-30 10:00\nchannels: [bsky]\nlink: https://www.tartu.ee/et/uudised\nsummary: Lühidalt.\n---\n{body}\n"),
    );
    repo.approve("announcements/a.et.md");
    repo
}

fn publish(repo: &Repo) -> crate::harness::Run {
    repo.run_env(
        &[
            "publish",
            "--channel",
            "bsky",
            "--format",
            "json",
            "--at",
            "2026-06-30 10:05",
        ],
        &[
            ("BSKY_PASSWORD", PASSWORD),
            ("HERALD_PUBLISH__RETRY_BASE", "10ms"),
            ("HERALD_PUBLISH__REQUEST_TIMEOUT", "1s"),
        ],
    )
}

fn session(access: &str, refresh: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "did": DID,
        "handle": "tartu.test",
        "accessJwt": access,
        "refreshJwt": refresh,
        "active": true,
    }))
}

fn put_ok(rkey_hint: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "uri": format!("at://{DID}/app.bsky.feed.post/{rkey_hint}"),
        "cid": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a",
        "commit": { "cid": "bafyreihx6", "rev": "3l5" },
        "validationStatus": "valid",
    }))
}

fn xrpc_error(status: u16, name: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "error": name, "message": message }))
}

async fn mount(server: &MockServer, name: &str, response: ResponseTemplate, times: Option<u64>) {
    let mock = Mock::given(method(if name.contains("getRecord") {
        "GET"
    } else {
        "POST"
    }))
    .and(path(format!("/xrpc/{name}")))
    .respond_with(response);
    let mock = match times {
        Some(n) => mock.up_to_n_times(n),
        None => mock,
    };
    mock.mount(server).await;
}

async fn requests_to(server: &MockServer, name: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == format!("/xrpc/{name}"))
        .collect()
}

fn header<'a>(r: &'a Request, name: &str) -> &'a str {
    r.headers.get(name).map_or("", |v| v.to_str().unwrap())
}

/// The microseconds a TID (record key) carries, decoded as the atproto spec describes.
fn tid_time(rkey: &str) -> String {
    const S32: &str = "234567abcdefghijklmnopqrstuvwxyz";
    let n = rkey
        .chars()
        .fold(0u64, |n, c| n << 5 | S32.find(c).unwrap() as u64);
    let micros = (n >> 10) as i64;
    jiff::Timestamp::from_microsecond(micros)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn ledger_rkey(repo: &Repo) -> String {
    let ledger = repo.read("state/ledger.jsonl");
    let started: Value = serde_json::from_str(ledger.lines().next().unwrap()).unwrap();
    started["planned_id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_and_post_are_byte_for_byte_the_documented_requests() {
    let server = MockServer::start().await;
    mount(
        &server,
        "com.atproto.server.createSession",
        session("acc-1", "ref-1"),
        None,
    )
    .await;
    mount(&server, "com.atproto.repo.putRecord", put_ok("x"), None).await;
    let repo = repo(&server, "Tartu #BETTER");
    let report = publish(&repo).assert_code(0).json();

    let sign_in = requests_to(&server, "com.atproto.server.createSession").await;
    assert_eq!(sign_in.len(), 1, "one session for the run");
    assert_eq!(
        String::from_utf8_lossy(&sign_in[0].body),
        format!(r#"{{"identifier":"tartu.test","password":"{PASSWORD}"}}"#)
    );
    assert_eq!(header(&sign_in[0], "content-type"), "application/json");

    let puts = requests_to(&server, "com.atproto.repo.putRecord").await;
    assert_eq!(puts.len(), 1);
    assert_eq!(header(&puts[0], "authorization"), "Bearer acc-1");
    assert_eq!(header(&puts[0], "content-type"), "application/json");
    let rkey = ledger_rkey(&repo);
    assert_eq!(rkey.len(), 13);
    let text = "Teade\\n\\nTartu #BETTER\\n\\nhttps://www.tartu.ee/et/uudised";
    let expected = format!(
        concat!(
            r#"{{"collection":"app.bsky.feed.post","record":{{"$type":"app.bsky.feed.post","createdAt":"{created}","#,
            r#""embed":{{"$type":"app.bsky.embed.external","external":{{"description":"Lühidalt.","title":"Teade","uri":"https://www.tartu.ee/et/uudised"}}}},"#,
            r#""facets":[{{"features":[{{"$type":"app.bsky.richtext.facet#tag","tag":"BETTER"}}],"index":{{"byteEnd":20,"byteStart":13}}}},"#,
            r#"{{"features":[{{"$type":"app.bsky.richtext.facet#link","uri":"https://www.tartu.ee/et/uudised"}}],"index":{{"byteEnd":53,"byteStart":22}}}}],"#,
            r#""langs":["et"],"text":"{text}"}},"repo":"{did}","rkey":"{rkey}","swapRecord":null,"validate":true}}"#
        ),
        created = tid_time(&rkey),
        text = text,
        did = DID,
        rkey = rkey,
    );
    assert_eq!(String::from_utf8_lossy(&puts[0].body), expected);
    assert_eq!(
        report["rows"][0]["urls"][0],
        format!("https://bsky.app/profile/{DID}/post/{rkey}")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_refreshed_once_and_the_same_record_is_written() {
    let server = MockServer::start().await;
    mount(
        &server,
        "com.atproto.server.createSession",
        session("acc-1", "ref-1"),
        None,
    )
    .await;
    mount(
        &server,
        "com.atproto.server.refreshSession",
        session("acc-2", "ref-2"),
        None,
    )
    .await;
    mount(
        &server,
        "com.atproto.repo.putRecord",
        xrpc_error(400, "ExpiredToken", "Token has expired"),
        Some(1),
    )
    .await;
    mount(&server, "com.atproto.repo.putRecord", put_ok("x"), None).await;
    let repo = repo(&server, "Tekst.");
    publish(&repo).assert_code(0);
    let refresh = requests_to(&server, "com.atproto.server.refreshSession").await;
    assert_eq!(refresh.len(), 1);
    assert_eq!(header(&refresh[0], "authorization"), "Bearer ref-1");
    let puts = requests_to(&server, "com.atproto.repo.putRecord").await;
    assert_eq!(puts.len(), 2);
    assert_eq!(header(&puts[1], "authorization"), "Bearer acc-2");
    assert_eq!(puts[0].body, puts[1].body, "the same record, the same key");
    assert_eq!(
        requests_to(&server, "com.atproto.server.createSession")
            .await
            .len(),
        1,
        "refreshing does not sign in again"
    );
}

/// Transient answers are retried with the byte-identical record (safe: the key is
/// fixed and `swapRecord: null` refuses a second write).
#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_server_errors_and_timeouts_are_retried_with_the_identical_record() {
    let cases: Vec<(&str, ResponseTemplate)> = vec![
        (
            "429",
            xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded").insert_header(
                "RateLimit-Reset",
                (jiff::Timestamp::now().as_second() + 1).to_string(),
            ),
        ),
        (
            "500",
            xrpc_error(500, "InternalServerError", "Internal Server Error"),
        ),
        ("timeout", put_ok("x").set_delay(Duration::from_secs(3))),
    ];
    for (case, first) in cases {
        let server = MockServer::start().await;
        mount(
            &server,
            "com.atproto.server.createSession",
            session("a", "r"),
            None,
        )
        .await;
        mount(&server, "com.atproto.repo.putRecord", first, Some(1)).await;
        mount(&server, "com.atproto.repo.putRecord", put_ok("x"), None).await;
        let repo = repo(&server, "Tekst.");
        let report = publish(&repo).assert_code(0).json();
        assert_eq!(report["rows"][0]["result"], "posted", "{case}: {report:#}");
        let puts = requests_to(&server, "com.atproto.repo.putRecord").await;
        assert_eq!(puts.len(), 2, "{case}");
        assert_eq!(puts[0].body, puts[1].body, "{case}: the identical record");
        let ledger = repo.read("state/ledger.jsonl");
        let failed: Value =
            serde_json::from_str(ledger.lines().find(|l| l.contains("\"failed\"")).unwrap())
                .unwrap();
        assert_eq!(failed["class"], "transient", "{case}: {ledger}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_are_permanent_with_a_message_that_says_what_to_do() {
    let cases = [
        (
            "com.atproto.server.createSession",
            xrpc_error(
                401,
                "AuthenticationRequired",
                "Invalid identifier or password",
            ),
            "create a new app password",
        ),
        (
            "com.atproto.repo.putRecord",
            xrpc_error(400, "InvalidSwap", "Record was at bafyrei…"),
            "a different post already exists",
        ),
        (
            "com.atproto.repo.putRecord",
            xrpc_error(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes",
            ),
            "refused (400)",
        ),
    ];
    for (name, response, says) in cases {
        let server = MockServer::start().await;
        mount(&server, name, response, None).await;
        mount(
            &server,
            "com.atproto.server.createSession",
            session("a", "r"),
            None,
        )
        .await;
        mount(&server, "com.atproto.repo.putRecord", put_ok("x"), None).await;
        let repo = repo(&server, "Tekst.");
        let run = publish(&repo);
        run.assert_code(1);
        let report = run.json();
        let detail = report["rows"][0]["detail"].as_str().unwrap();
        assert_eq!(report["rows"][0]["result"], "failed", "{name}: {report:#}");
        assert!(detail.contains(says), "{name}: {detail}");
        assert!(!run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD));
        let attempts = repo
            .read("state/ledger.jsonl")
            .matches("\"started\"")
            .count();
        assert_eq!(attempts, 1, "{name}: not retried");
    }
}
