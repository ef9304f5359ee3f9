//! Facebook Page (Graph API) against a mock answering as the Graph API documentation
//! shows: the exact requests, error codes, comments for long texts, and the in-doubt path.

use crate::harness::{Repo, Run, TINY_PNG};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "EAAB-facebook-test-page-token";
const PAGE: &str = "102726124444893";
const POST: &str = "102726124444893_900000000000001";
const ENV: [(&str, &str); 1] = [("FB_TOKEN", TOKEN)];

fn repo(server: &MockServer, extra: &str) -> Repo {
    let repo = Repo::with_config(&format!(
        "\n[publish]\nrequest_timeout = \"1s\"\nretry_base = \"10ms\"\nretries_per_run = 1\n\n\
         [channels.fb]\nkind = \"facebook\"\nlang = \"et\"\npage_id = \"{PAGE}\"\n\
         token_env = \"FB_TOKEN\"\napi_url = \"{}\"\n{extra}",
        server.uri()
    ));
    std::fs::write(repo.path().join("announcements/pic.png"), TINY_PNG).unwrap();
    std::fs::write(repo.path().join("announcements/pic2.png"), TINY_PNG).unwrap();
    repo
}

fn announce(repo: &Repo, front: &str, body: &str) {
    repo.write(
        "announcements/a.et.md",
        &format!("---\ntitle: Tom & Jerry\npublish_at: 2026-06-30 10:00\nchannels: [fb]\n{front}---\n{body}\n"),
    );
    repo.approve("announcements/a.et.md");
}

fn publish(repo: &Repo) -> Run {
    repo.run_env(
        &["publish", "--format", "json", "--at", "2026-06-30 10:05"],
        &ENV,
    )
}

fn permalink(id: &str) -> String {
    format!("https://www.facebook.com/{PAGE}/posts/{id}")
}

/// `GET /{id}?fields=permalink_url` for any object, as the Graph API answers it.
async fn mount_permalinks(server: &MockServer) {
    Mock::given(method("GET"))
        .and(query_param("fields", "permalink_url"))
        .respond_with(|r: &Request| {
            let id = r.url.path().rsplit('/').next().unwrap().to_owned();
            ResponseTemplate::new(200)
                .set_body_json(json!({ "permalink_url": permalink(&id), "id": id }))
        })
        .mount(server)
        .await;
}

fn graph_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "error": {
        "message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf123"
    } }))
}

fn body(r: &Request) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

fn posts_to(all: &[Request], p: &str) -> usize {
    all.iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == p)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_text_with_its_link_and_records_the_permalink() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/feed")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": POST })))
        .mount(&server)
        .await;
    mount_permalinks(&server).await;
    let repo = repo(&server, "");
    announce(&repo, "link: https://tartu.ee/uudised/1\n", "Tekst.");
    let run = publish(&repo);
    let report = run.assert_code(0).json();
    assert_eq!(report["rows"][0]["urls"][0], permalink(POST));
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].method.as_str(), "POST");
    assert_eq!(all[0].url.path(), format!("/v26.0/{PAGE}/feed"));
    assert_eq!(all[0].url.query(), None, "the token never goes in the URL");
    assert_eq!(
        all[0]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Bearer {TOKEN}")
    );
    assert_eq!(
        all[0]
            .headers
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap(),
        "application/json"
    );
    assert_eq!(
        body(&all[0]),
        r#"{"link":"https://tartu.ee/uudised/1","message":"Tom & Jerry\n\nTekst.\n\nhttps://tartu.ee/uudised/1"}"#
    );
    assert_eq!(all[1].method.as_str(), "GET");
    assert_eq!(all[1].url.path(), format!("/v26.0/{POST}"));
    assert_eq!(all[1].url.query(), Some("fields=permalink_url"));
    assert!(!run.stdout.contains(TOKEN) && !repo.read("state/ledger.jsonl").contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_go_up_unpublished_with_alt_text_and_the_post_attaches_them() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/photos")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "500000000000001" })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/photos")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "500000000000002" })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/feed")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": POST })))
        .mount(&server)
        .await;
    mount_permalinks(&server).await;
    let repo = repo(&server, "");
    announce(
        &repo,
        "link: https://tartu.ee/uudised/1\nimages:\n  - path: announcements/pic.png\n    alt: Raekoda\n  - path: announcements/pic2.png\n    alt: Emajõgi\n",
        "Tekst.",
    );
    publish(&repo).assert_code(0);
    let all = server.received_requests().await.unwrap();
    let photos: Vec<&Request> = all
        .iter()
        .filter(|r| r.url.path().ends_with("/photos"))
        .collect();
    assert_eq!(photos.len(), 2);
    for (photo, (file, alt)) in photos
        .iter()
        .zip([("pic.png", "Raekoda"), ("pic2.png", "Emajõgi")])
    {
        let ct = photo.headers.get("content-type").unwrap().to_str().unwrap();
        let boundary = ct.strip_prefix("multipart/form-data; boundary=").expect(ct);
        let mut expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"source\"; filename=\"{file}\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        expected.extend_from_slice(TINY_PNG);
        expected.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"published\"\r\n\r\nfalse\
                 \r\n--{boundary}\r\nContent-Disposition: form-data; name=\"alt_text_custom\"\r\n\r\n{alt}\
                 \r\n--{boundary}--\r\n"
            )
            .as_bytes(),
        );
        assert_eq!(
            photo.body,
            expected,
            "{}",
            String::from_utf8_lossy(&photo.body)
        );
    }
    let feed = all
        .iter()
        .find(|r| r.url.path().ends_with("/feed"))
        .unwrap();
    // With photos, the link stays in the text: a post has photos or a link preview.
    assert_eq!(
        body(feed),
        r#"{"attached_media":[{"media_fbid":"500000000000001"},{"media_fbid":"500000000000002"}],"message":"Tom & Jerry\n\nTekst.\n\nhttps://tartu.ee/uudised/1"}"#
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_text_is_an_error_at_check_unless_comments_are_configured() {
    let long = "Tartu linn kutsub kõiki elanikke osalema. ".repeat(1600);
    let server = MockServer::start().await;
    let repo = repo(&server, "");
    repo.write(
        "announcements/a.et.md",
        &format!("---\ntitle: Pikk\npublish_at: 2026-06-30 10:00\nchannels: [fb]\nthread: auto\n---\n{long}\n"),
    );
    let doc = repo.json(&["check"], 1);
    let messages: Vec<String> = crate::harness::diagnostics(&doc)
        .into_iter()
        .map(|d| d.3)
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("too long for `fb`") && m.contains("cannot post threads")),
        "{messages:?}"
    );

    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/feed")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": POST })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{POST}/comments")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": "900000000000001_700000000000001" })),
        )
        .mount(&server)
        .await;
    mount_permalinks(&server).await;
    let repo = self::repo(&server, "thread_as_comments = true\n");
    announce(&repo, "thread: auto\n", long.trim());
    let report = publish(&repo).assert_code(0).json();
    assert_eq!(report["rows"][0]["urls"].as_array().unwrap().len(), 2);
    let all = server.received_requests().await.unwrap();
    let comment = all
        .iter()
        .find(|r| r.url.path().ends_with("/comments"))
        .unwrap();
    // Splitting 67,000 characters takes a while (every part is measured as it grows),
    // so the parts are checked here from what was sent rather than by another `check`.
    let feed = all
        .iter()
        .find(|r| r.url.path().ends_with("/feed"))
        .unwrap();
    let first: serde_json::Value = serde_json::from_slice(&feed.body).unwrap();
    let second: serde_json::Value = serde_json::from_slice(&comment.body).unwrap();
    assert_eq!(second.as_object().unwrap().len(), 1, "{second}");
    let (first, second) = (
        first["message"].as_str().unwrap(),
        second["message"].as_str().unwrap(),
    );
    assert!(first.ends_with(" 1/2") && second.ends_with(" 2/2"));
    let words = |t: &str| t.split_whitespace().count();
    // Every word of the title ("Tom & Jerry") and body, plus the two markers.
    assert_eq!(words(first) + words(second), words(long.trim()) + 3 + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn error_codes_are_mapped_to_what_a_person_can_do() {
    let usage = json!({ PAGE: [{ "type": "pages", "call_count": 100, "total_cputime": 10, "total_time": 10, "estimated_time_to_regain_access": 5 }] }).to_string();
    let cases: Vec<(ResponseTemplate, &str, &str, usize)> = vec![
        (
            graph_error(
                400,
                190,
                "Error validating access token: Session has expired",
            ),
            "failed",
            "the Facebook Page token is invalid or has expired (code 190",
            1,
        ),
        (
            graph_error(
                403,
                200,
                "(#200) The user hasn't authorized the application to perform this action",
            ),
            "failed",
            "pages_manage_posts",
            1,
        ),
        (
            graph_error(400, 506, "(#506) Duplicate status message"),
            "failed",
            "duplicate of the Page's previous post",
            1,
        ),
        (
            graph_error(400, 368, "It looks like you were misusing this feature"),
            "failed",
            "temporarily blocked posting",
            1,
        ),
        // Throttling: not processed; retried once as configured, then left for later.
        (
            graph_error(400, 4, "(#4) Application request limit reached"),
            "failed",
            "throttling requests (code 4",
            2,
        ),
        (
            graph_error(400, 17, "(#17) User request limit reached"),
            "failed",
            "throttling requests (code 17",
            2,
        ),
        (
            graph_error(400, 32, "(#32) Page request limit reached"),
            "failed",
            "throttling requests (code 32",
            2,
        ),
        (
            graph_error(
                400,
                613,
                "(#613) Calls to this api have exceeded the rate limit",
            ),
            "failed",
            "throttling requests (code 613",
            2,
        ),
        // Business use case usage says when access comes back: longer than a run waits.
        (
            graph_error(400, 32, "(#32) Page request limit reached")
                .insert_header("x-business-use-case-usage", usage.as_str()),
            "failed",
            "throttling requests (code 32",
            1,
        ),
        (
            ResponseTemplate::new(429).set_body_string("Too Many Requests"),
            "failed",
            "rate limited (429)",
            2,
        ),
        (
            ResponseTemplate::new(503).set_body_string("Service Unavailable"),
            "failed",
            "server error (503)",
            2,
        ),
        // A temporary problem after the request arrived: it may exist; never sent twice.
        (
            graph_error(500, 2, "An unexpected error has occurred."),
            "in_doubt",
            "it may have been posted",
            1,
        ),
        (
            ResponseTemplate::new(502).set_body_string("Bad Gateway"),
            "in_doubt",
            "it may have been posted",
            1,
        ),
    ];
    for (response, result, detail, count) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{PAGE}/feed")))
            .respond_with(response)
            .mount(&server)
            .await;
        let repo = repo(&server, "");
        announce(&repo, "", "Tekst.");
        let run = publish(&repo);
        let report = run.assert_code(1).json();
        let row = &report["rows"][0];
        assert_eq!(row["result"], result, "{row}");
        assert!(
            row["detail"].as_str().unwrap().contains(detail),
            "{detail}: {row}"
        );
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            count,
            "{detail}"
        );
        assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timeout_leaves_the_post_in_doubt_and_the_next_run_finds_it_among_published_posts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/feed")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": POST }))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let repo = repo(&server, "");
    announce(&repo, "", "Tekst.");
    let report = publish(&repo).assert_code(1).json();
    assert_eq!(report["rows"][0]["result"], "in_doubt");

    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/published_posts")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                { "id": "102726124444893_900000000000000", "message": "Older post", "created_time": "2026-06-29T08:00:00+0000", "permalink_url": permalink("102726124444893_900000000000000") },
                { "id": POST, "message": "Tom & Jerry\n\nTekst.", "created_time": "2026-06-30T07:05:00+0000", "permalink_url": permalink(POST) }
            ],
            "paging": { "cursors": { "before": "a", "after": "b" } }
        })))
        .mount(&server)
        .await;
    let report = publish(&repo).assert_code(0).json();
    assert_eq!(report["rows"][0]["result"], "posted");
    assert_eq!(report["rows"][0]["urls"][0], permalink(POST));
    let all = server.received_requests().await.unwrap();
    assert_eq!(
        posts_to(&all, &format!("/v26.0/{PAGE}/feed")),
        1,
        "posted twice"
    );
    let listing = all
        .iter()
        .find(|r| r.url.path().ends_with("/published_posts"))
        .unwrap();
    assert_eq!(
        listing.url.query(),
        Some("fields=id%2Cmessage%2Ccreated_time%2Cpermalink_url&limit=25")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_checks_that_the_token_is_the_pages_own() {
    for (id, name, level, code) in [
        (PAGE, "Interreg Europe BETTER", "ok", 0),
        ("10000123", "Mari Maasikas", "error", 1),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v26.0/me"))
            .and(query_param("fields", "id,name"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({ "id": id, "name": name })),
            )
            .mount(&server)
            .await;
        let repo = repo(&server, "");
        let report = repo
            .run_env(&["doctor", "--channel", "fb", "--format", "json"], &ENV)
            .assert_code(code)
            .json();
        assert_eq!(report[0]["findings"][0]["level"], level);
        assert!(
            report[0]["findings"][0]["message"]
                .as_str()
                .unwrap()
                .contains(name)
        );
        let all = server.received_requests().await.unwrap();
        assert!(all.iter().all(|r| r.method.as_str() == "GET"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bundled_example_goes_out_exactly_as_the_dry_run_shows() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/feed")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": POST })))
        .mount(&server)
        .await;
    mount_permalinks(&server).await;
    let repo = Repo::bundled_examples(&[("facebook_en", &server.uri())]);
    let env = [("FACEBOOK_PAGE_TOKEN", TOKEN)];
    let at = "2022-06-30 10:30";
    let args = [
        "publish",
        "--channel",
        "facebook_en",
        "--format",
        "json",
        "--at",
        at,
    ];
    let plan = repo
        .run_env(&[&["publish", "--dry-run"], &args[1..]].concat(), &env)
        .assert_code(0)
        .json();
    let planned = crate::harness::planned(&plan, "facebook_en", POST);
    repo.run_env(&args, &env).assert_code(0);
    let all = server.received_requests().await.unwrap();
    let posts: Vec<&Request> = all.iter().filter(|r| r.method.as_str() == "POST").collect();
    assert_eq!(posts.len(), planned.len());
    for (r, (action, body)) in posts.iter().zip(&planned) {
        assert_eq!(action, &format!("POST {}{}", server.uri(), r.url.path()));
        assert_eq!(self::body(r), *body);
    }
    let status = repo.run_env(&["status", "--channel", "facebook_en", "--at", at], &env);
    assert!(
        status.stdout.contains(&permalink(POST)),
        "{}",
        status.stdout
    );
}
