//! Mastodon's media contract on a wiremock server: the upload's multipart body, waiting
//! for processing (`202` then `206` until done), and the status that attaches it.

use crate::harness::{Repo, TINY_PNG};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "masto-token-91c4";

fn repo(server: &MockServer) -> Repo {
    let repo = Repo::new();
    std::fs::write(repo.path().join("announcements/pic.png"), TINY_PNG).unwrap();
    repo.write(
        "announcements/a.et.md",
        "---\ntitle: Teade\npublish_at: 2026-06-30 10:00\nchannels: [mastodon_et]\nimages:\n  - path: announcements/pic.png\n    alt: \"Raekoda \\\"õhtul\\\"\"\n---\nTekst.\n",
    );
    repo.approve("announcements/a.et.md");
    let _ = server;
    repo
}

fn publish(repo: &Repo, server: &MockServer) -> crate::harness::Run {
    repo.run_env(
        &["publish", "--format", "json", "--at", "2026-06-30 10:05"],
        &[
            ("HERALD_CHANNELS__MASTODON_ET__BASE_URL", &server.uri()),
            ("TEST_MASTODON_TOKEN", TOKEN),
            ("HERALD_PUBLISH__RETRY_BASE", "10ms"),
        ],
    )
}

fn media(url: Option<&str>) -> serde_json::Value {
    json!({
        "id": "110000000000000001",
        "type": "image",
        "url": url,
        "preview_url": url,
        "description": "Raekoda \"õhtul\"",
        "meta": null,
        "blurhash": null,
    })
}

fn status() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "110000000000000042",
        "url": "https://mastodon.example/@tartu/110000000000000042",
        "uri": "https://mastodon.example/users/tartu/statuses/110000000000000042",
        "content": "<p>Teade</p><p>Tekst.</p>",
        "created_at": "2026-06-30T07:05:00.000Z",
    }))
}

async fn received(server: &MockServer, method_name: &str, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == method_name && r.url.path() == p)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_is_uploaded_with_its_alt_text_and_attached_once_processed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(ResponseTemplate::new(202).set_body_json(media(None)))
        .mount(&server)
        .await;
    // Still processing on the first look, done on the second.
    Mock::given(method("GET"))
        .and(path("/api/v1/media/110000000000000001"))
        .respond_with(ResponseTemplate::new(206).set_body_json(media(None)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/media/110000000000000001"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(media(Some("https://files.example/original/pic.png"))),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(status())
        .mount(&server)
        .await;
    let repo = repo(&server);
    let report = publish(&repo, &server).assert_code(0).json();
    assert_eq!(report["rows"][0]["result"], "posted", "{report:#}");

    let uploads = received(&server, "POST", "/api/v2/media").await;
    assert_eq!(uploads.len(), 1);
    let upload = &uploads[0];
    assert_eq!(
        upload.headers["authorization"].to_str().unwrap(),
        format!("Bearer {TOKEN}")
    );
    let content_type = upload.headers["content-type"].to_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect("a multipart upload");
    let mut expected = Vec::new();
    expected.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pic.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
    expected.extend(TINY_PNG);
    expected.extend(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nRaekoda \"õhtul\"\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(
        String::from_utf8_lossy(&upload.body),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(
        received(&server, "GET", "/api/v1/media/110000000000000001")
            .await
            .len(),
        2,
        "polled until processed"
    );
    let statuses = received(&server, "POST", "/api/v1/statuses").await;
    assert_eq!(statuses.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&statuses[0].body),
        r#"{"language":"et","media_ids":["110000000000000001"],"status":"Teade\n\nTekst.","visibility":"public"}"#
    );
    let key = statuses[0].headers["idempotency-key"].to_str().unwrap();
    assert!(
        key.starts_with("herald:a:et:mastodon_et:1:sha256:"),
        "{key}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limit_is_waited_out_until_its_iso_reset_time() {
    let server = MockServer::start().await;
    let reset = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(1);
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(
            ResponseTemplate::new(429)
                .set_body_json(json!({ "error": "Too many requests" }))
                .insert_header("X-RateLimit-Limit", "30")
                .insert_header("X-RateLimit-Remaining", "0")
                .insert_header(
                    "X-RateLimit-Reset",
                    reset.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
                ),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/media"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(media(Some("https://files.example/original/pic.png"))),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/statuses"))
        .respond_with(status())
        .mount(&server)
        .await;
    let repo = repo(&server);
    let started = jiff::Timestamp::now();
    publish(&repo, &server).assert_code(0);
    let uploads = received(&server, "POST", "/api/v2/media").await;
    assert_eq!(uploads.len(), 2);
    // Without the reset time, the 10 ms backoff would have retried at once.
    let waited = jiff::Timestamp::now().duration_since(started);
    assert!(
        waited >= reset.duration_since(started) - jiff::SignedDuration::from_millis(100),
        "waited {waited:?} for a reset {:?} ahead",
        reset.duration_since(started)
    );
    assert_eq!(received(&server, "POST", "/api/v1/statuses").await.len(), 1);
}
