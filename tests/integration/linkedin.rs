//! LinkedIn organization posts against a mock answering as LinkedIn's Posts and Images
//! API documentation shows: headers, exact bodies, errors, the in-doubt path, doctor.

use crate::harness::{Repo, Run, TINY_PNG};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "AQV-linkedin-test-token";
const ORG: &str = "urn:li:organization:10452716";
const SHARE: &str = "urn:li:share:7000000000000000001";
const ENV: [(&str, &str); 1] = [("LI_TOKEN", TOKEN)];

fn repo(server: &MockServer, extra: &str) -> Repo {
    let repo = Repo::with_config(&format!(
        "\n[publish]\nrequest_timeout = \"1s\"\nretry_base = \"10ms\"\nretries_per_run = 1\n\n\
         [channels.li]\nkind = \"linkedin\"\nlang = \"et\"\norganization = \"{ORG}\"\n\
         token_env = \"LI_TOKEN\"\napi_url = \"{}\"\n{extra}",
        server.uri()
    ));
    std::fs::write(repo.path().join("announcements/pic.png"), TINY_PNG).unwrap();
    repo
}

fn announce(repo: &Repo, front: &str, body: &str) {
    repo.write(
        "announcements/a.et.md",
        &format!("---\ntitle: Tom & Jerry (BETTER)\npublish_at: 2026-06-30 10:00\nchannels: [li]\n{front}---\n{body}\n"),
    );
    repo.approve("announcements/a.et.md");
}

fn publish(repo: &Repo) -> Run {
    repo.run_env(
        &["publish", "--format", "json", "--at", "2026-06-30 10:05"],
        &ENV,
    )
}

fn created() -> ResponseTemplate {
    ResponseTemplate::new(201).insert_header("x-restli-id", SHARE)
}

fn li_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(
        json!({ "status": status, "serviceErrorCode": 100, "code": code, "message": message }),
    )
}

fn body(r: &Request) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

#[track_caller]
fn assert_rest_headers(r: &Request) {
    let h = |name: &str| r.headers.get(name).unwrap().to_str().unwrap().to_owned();
    assert_eq!(h("authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(h("linkedin-version"), "202601");
    assert_eq!(h("x-restli-protocol-version"), "2.0.0");
}

const DISTRIBUTION: &str = r#""distribution":{"feedDistribution":"MAIN_FEED","targetEntities":[],"thirdPartyDistributionChannels":[]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn posts_escaped_commentary_with_an_article_card_and_records_the_urn() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(created())
        .mount(&server)
        .await;
    let repo = repo(&server, "");
    announce(
        &repo,
        "link: https://tartu.ee/uudised/1\nsummary: Kokkuvõte.\n",
        "Tekst #1 @linn_tartu.",
    );
    let run = publish(&repo);
    let report = run.assert_code(0).json();
    assert_eq!(
        report["rows"][0]["urls"][0],
        format!("https://www.linkedin.com/feed/update/{SHARE}/")
    );
    assert!(
        repo.read("state/ledger.jsonl")
            .contains(&format!(r#""remote_id":"{SHARE}""#))
    );
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].method.as_str(), "POST");
    assert_rest_headers(&all[0]);
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
        format!(
            r#"{{"author":"{ORG}","commentary":"Tom & Jerry \\(BETTER\\)\n\nTekst \\#1 \\@linn\\_tartu.\n\nhttps://tartu.ee/uudised/1","content":{{"article":{{"description":"Kokkuvõte.","source":"https://tartu.ee/uudised/1","title":"Tom & Jerry (BETTER)"}}}},{DISTRIBUTION},"isReshareDisabledByAuthor":false,"lifecycleState":"PUBLISHED","visibility":"PUBLIC"}}"#
        )
    );
    assert!(!run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_is_uploaded_and_waited_for_before_the_post_names_it() {
    let server = MockServer::start().await;
    let image = "urn:li:image:C4E10AQFoyyAjHPMQuQ";
    Mock::given(method("POST"))
        .and(path("/rest/images"))
        .and(query_param("action", "initializeUpload"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": {
            "uploadUrlExpiresAt": 1_650_567_510_704_u64,
            "uploadUrl": format!("{}/dms-uploads/sp/v2/C4E10AQ/uploaded-image/0", server.uri()),
            "image": image,
        } })))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/dms-uploads/sp/v2/C4E10AQ/uploaded-image/0"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let image_path = "/rest/images/urn%3Ali%3Aimage%3AC4E10AQFoyyAjHPMQuQ";
    Mock::given(method("GET"))
        .and(path(image_path))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "owner": ORG, "status": "PROCESSING", "id": image })),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(image_path))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "owner": ORG, "status": "AVAILABLE", "id": image })),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(created())
        .mount(&server)
        .await;
    let repo = repo(&server, "");
    announce(
        &repo,
        "link: https://tartu.ee/uudised/1\nimages:\n  - path: announcements/pic.png\n    alt: Raekoda (öösel)\n",
        "Tekst.",
    );
    publish(&repo).assert_code(0);
    let all = server.received_requests().await.unwrap();
    let steps: Vec<(&str, &str)> = all
        .iter()
        .map(|r| (r.method.as_str(), r.url.path()))
        .collect();
    assert_eq!(
        steps,
        [
            ("POST", "/rest/images"),
            ("PUT", "/dms-uploads/sp/v2/C4E10AQ/uploaded-image/0"),
            ("GET", image_path),
            ("GET", image_path),
            ("POST", "/rest/posts"),
        ]
    );
    assert_rest_headers(&all[0]);
    assert_eq!(all[0].url.query(), Some("action=initializeUpload"));
    assert_eq!(
        body(&all[0]),
        format!(r#"{{"initializeUploadRequest":{{"owner":"{ORG}"}}}}"#)
    );
    assert_eq!(all[1].body, TINY_PNG);
    assert_eq!(
        all[1]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("Bearer {TOKEN}")
    );
    assert_rest_headers(&all[2]);
    assert_rest_headers(&all[4]);
    // Alt text is data, not commentary: it is not escaped.
    assert_eq!(
        body(&all[4]),
        format!(
            r#"{{"author":"{ORG}","commentary":"Tom & Jerry \\(BETTER\\)\n\nTekst.\n\nhttps://tartu.ee/uudised/1","content":{{"media":{{"altText":"Raekoda (öösel)","id":"{image}"}}}},{DISTRIBUTION},"isReshareDisabledByAuthor":false,"lifecycleState":"PUBLISHED","visibility":"PUBLIC"}}"#
        )
    );
}

#[test]
fn a_text_over_the_limit_is_an_error_at_check_since_linkedin_posts_no_threads() {
    let repo = Repo::with_config(&format!(
        "\n[channels.li]\nkind = \"linkedin\"\nlang = \"et\"\norganization = \"{ORG}\"\ntoken_env = \"LI_TOKEN\"\n"
    ));
    let long = "Tartu linn kutsub kõiki elanikke osalema. ".repeat(80);
    repo.write(
        "announcements/a.et.md",
        &format!("---\ntitle: Pikk\npublish_at: 2026-06-30 10:00\nchannels: [li]\nthread: auto\n---\n{}\n", long.trim()),
    );
    let doc = repo.json(&["check"], 1);
    let messages: Vec<String> = crate::harness::diagnostics(&doc)
        .into_iter()
        .map(|d| d.3)
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("too long for `li`") && m.contains("cannot post threads")),
        "{messages:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_mapped_to_what_a_person_can_do() {
    let cases: Vec<(ResponseTemplate, &str, &str, usize)> = vec![
        (
            li_error(
                401,
                "EXPIRED_ACCESS_TOKEN",
                "The token used in the request has expired",
            ),
            "failed",
            "the LinkedIn access token is invalid or has expired (401",
            1,
        ),
        (
            li_error(
                403,
                "ACCESS_DENIED",
                "Not enough permissions to access: partnerApiPostsExternal.CREATE.20260101",
            ),
            "failed",
            "w_organization_social",
            1,
        ),
        (
            li_error(
                422,
                "UNPROCESSABLE_ENTITY",
                "Content is a duplicate of urn:li:share:7000000000000000000",
            ),
            "failed",
            "duplicate of a recent one (422",
            1,
        ),
        (
            li_error(
                426,
                "NONEXISTENT_VERSION",
                "Requested version 20260100 is not active",
            ),
            "failed",
            "no longer serves the API version 202601",
            1,
        ),
        (
            li_error(400, "BAD_REQUEST", "/commentary :: field is required"),
            "failed",
            "LinkedIn rejected the request (400",
            1,
        ),
        // Daily quota: it resets at midnight UTC, later than a run waits.
        (
            li_error(
                429,
                "TOO_MANY_REQUESTS",
                "Resource level throttle APPLICATION DAY limit",
            ),
            "failed",
            "daily limit is reached (429",
            1,
        ),
        (
            ResponseTemplate::new(503).set_body_string("Service Unavailable"),
            "failed",
            "server error (503)",
            2,
        ),
        (
            li_error(500, "INTERNAL_SERVER_ERROR", "Internal Server Error"),
            "in_doubt",
            "it may have been posted",
            1,
        ),
    ];
    for (response, result, detail, count) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/rest/posts"))
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
async fn a_timeout_leaves_the_post_in_doubt_and_the_next_run_finds_it_among_the_organizations_posts()
 {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(created().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let repo = repo(&server, "");
    announce(&repo, "", "Tekst.");
    assert_eq!(
        publish(&repo).assert_code(1).json()["rows"][0]["result"],
        "in_doubt"
    );
    Mock::given(method("GET"))
        .and(path("/rest/posts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "paging": { "start": 0, "count": 20, "links": [] },
            "elements": [
                { "id": "urn:li:share:6999", "author": ORG, "commentary": "Older", "lifecycleState": "PUBLISHED", "visibility": "PUBLIC" },
                { "id": SHARE, "author": ORG, "commentary": "Tom & Jerry \\(BETTER\\)\n\nTekst.", "lifecycleState": "PUBLISHED", "visibility": "PUBLIC" }
            ]
        })))
        .mount(&server)
        .await;
    let report = publish(&repo).assert_code(0).json();
    assert_eq!(
        report["rows"][0]["urls"][0],
        format!("https://www.linkedin.com/feed/update/{SHARE}/")
    );
    let all = server.received_requests().await.unwrap();
    assert_eq!(
        all.iter().filter(|r| r.method.as_str() == "POST").count(),
        1,
        "posted twice"
    );
    let finder = all.iter().find(|r| r.method.as_str() == "GET").unwrap();
    assert_rest_headers(finder);
    assert_eq!(finder.headers.get("x-restli-method").unwrap(), "FINDER");
    assert_eq!(
        finder.url.query(),
        Some("author=urn%3Ali%3Aorganization%3A10452716&q=author&count=20&sortBy=LAST_MODIFIED")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_warns_before_the_token_expires_and_checks_it_read_only() {
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::system())
        .date();
    let days_ago = |n: i64| {
        today
            .checked_sub(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    for (issued, answer, levels, code) in [
        (
            Some(days_ago(10)),
            ResponseTemplate::new(200).set_body_json(json!({ "paging": {}, "elements": [] })),
            vec!["ok", "ok"],
            0,
        ),
        (
            Some(days_ago(52)),
            ResponseTemplate::new(200).set_body_json(json!({ "paging": {}, "elements": [] })),
            vec!["warning", "ok"],
            0,
        ),
        (
            Some(days_ago(61)),
            li_error(
                401,
                "EXPIRED_ACCESS_TOKEN",
                "The token used in the request has expired",
            ),
            vec!["error", "error"],
            1,
        ),
        (
            None,
            li_error(403, "ACCESS_DENIED", "Not enough permissions"),
            vec!["warning", "warning"],
            0,
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/rest/posts"))
            .respond_with(answer)
            .mount(&server)
            .await;
        // This month's API version, so that only the token's age is judged.
        let mut extra = format!("api_version = \"{}\"\n", today.strftime("%Y%m"));
        if let Some(d) = issued {
            extra += &format!("authorized_on = \"{d}\"\n");
        }
        let repo = repo(&server, &extra);
        let report = repo
            .run_env(&["doctor", "--channel", "li", "--format", "json"], &ENV)
            .assert_code(code)
            .json();
        let got: Vec<&str> = report[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["level"].as_str().unwrap())
            .collect();
        assert_eq!(got, levels, "{report}");
        let all = server.received_requests().await.unwrap();
        assert!(all.iter().all(|r| r.method.as_str() == "GET"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bundled_example_goes_out_exactly_as_the_dry_run_shows() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/posts"))
        .respond_with(created())
        .mount(&server)
        .await;
    let repo = Repo::bundled_examples(&[("linkedin_en", &server.uri())]);
    let env = [("LINKEDIN_TOKEN", TOKEN)];
    let at = "2022-06-30 10:30";
    let args = [
        "publish",
        "--channel",
        "linkedin_en",
        "--format",
        "json",
        "--at",
        at,
    ];
    let plan = repo
        .run_env(&[&["publish", "--dry-run"], &args[1..]].concat(), &env)
        .assert_code(0)
        .json();
    let planned = crate::harness::planned(&plan, "linkedin_en", SHARE);
    repo.run_env(&args, &env).assert_code(0);
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), planned.len());
    for (r, (action, body)) in all.iter().zip(&planned) {
        assert_eq!(
            action,
            &format!(
                "POST {}{} (Linkedin-Version: 202601)",
                server.uri(),
                r.url.path()
            )
        );
        assert_eq!(self::body(r), *body);
        assert_rest_headers(r);
    }
    let status = repo.run_env(&["status", "--channel", "linkedin_en", "--at", at], &env);
    assert!(
        status
            .stdout
            .contains(&format!("https://www.linkedin.com/feed/update/{SHARE}/")),
        "{}",
        status.stdout
    );
}
