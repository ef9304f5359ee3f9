//! Corrections and retractions on Facebook, LinkedIn and X, end to end: publish, change
//! (or retract) the announcement, approve it again, publish again. Each mock answers as
//! the platform documents it (docs/platform-edits.md), and the edit and delete requests
//! are asserted byte for byte, headers included.

use crate::harness::{Repo, Run};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const FILE: &str = "announcements/a.et.md";
const T1: &str = "2026-06-30 10:05";
const T2: &str = "2026-06-30 10:15";
const T3: &str = "2026-06-30 10:25";

fn announce(repo: &Repo, channel: &str, front: &str, body: &str) {
    repo.write(
        FILE,
        &format!(
            "---\ntitle: Tom & Jerry\npublish_at: 2026-06-30 10:00\nchannels: [{channel}]\n{front}---\n{body}\n"
        ),
    );
    repo.approve(FILE);
}

fn publish(repo: &Repo, at: &str, env: &[(&str, &str)]) -> Run {
    repo.run_env(&["publish", "--format", "json", "--at", at], env)
}

fn body(r: &Request) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

fn header(r: &Request, name: &str) -> String {
    r.headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in {r:?}"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The requests received since the first `skip`, as `METHOD /path?query`.
async fn requests_after(server: &MockServer, skip: usize) -> Vec<Request> {
    server.received_requests().await.unwrap()[skip..].to_vec()
}

fn line(r: &Request) -> String {
    match r.url.query() {
        Some(q) => format!("{} {}?{q}", r.method, r.url.path()),
        None => format!("{} {}", r.method, r.url.path()),
    }
}

/// The ledger's records with `action` set, as (event, action, remote id).
fn actions(repo: &Repo) -> Vec<(String, String, Option<String>)> {
    repo.read("state/ledger.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r.get("action").is_some())
        .map(|r| {
            (
                r["event"].as_str().unwrap().to_owned(),
                r["action"].as_str().unwrap().to_owned(),
                r["remote_id"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// The requests the dry run shows for the one change due at `at`, as (action, body).
fn dry_requests(repo: &Repo, at: &str) -> Vec<(String, Value)> {
    let plan = repo.json(&["publish", "--dry-run", "--at", at], 0);
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{plan:#}");
    changes[0]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["action"].as_str().unwrap().to_owned(), r["body"].clone()))
        .collect()
}

mod facebook {
    use super::*;

    const TOKEN: &str = "EAAB-facebook-test-page-token";
    const PAGE: &str = "102726124444893";
    const POST: &str = "102726124444893_900000000000001";
    const ENV: [(&str, &str); 1] = [("FB_TOKEN", TOKEN)];

    fn repo(server: &MockServer) -> Repo {
        Repo::with_config(&format!(
            "\n[publish]\nrequest_timeout = \"1s\"\nretry_base = \"10ms\"\nretries_per_run = 1\n\n\
             [channels.fb]\nkind = \"facebook\"\nlang = \"et\"\npage_id = \"{PAGE}\"\n\
             token_env = \"FB_TOKEN\"\napi_url = \"{}\"\n",
            server.uri()
        ))
    }

    fn permalink(id: &str) -> String {
        format!("https://www.facebook.com/{PAGE}/posts/{id}")
    }

    /// Creating the post, reading permalinks, and editing (`POST /{post-id}`) and
    /// deleting (`DELETE /{post-id}`) it as the Graph API answers them.
    async fn mount(server: &MockServer, delete: ResponseTemplate) {
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{PAGE}/feed")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": POST })))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(query_param("fields", "permalink_url"))
            .respond_with(|r: &Request| {
                let id = r.url.path().rsplit('/').next().unwrap().to_owned();
                ResponseTemplate::new(200)
                    .set_body_json(json!({ "permalink_url": permalink(&id), "id": id }))
            })
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{POST}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "success": true })))
            .mount(server)
            .await;
        Mock::given(method("DELETE"))
            .and(path(format!("/v26.0/{POST}")))
            .respond_with(delete)
            .mount(server)
            .await;
    }

    #[track_caller]
    fn assert_graph_call(r: &Request) {
        assert_eq!(header(r, "authorization"), format!("Bearer {TOKEN}"));
        assert_eq!(r.url.query(), None, "the token never goes in the URL");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_correction_edits_the_post_in_place_as_the_dry_run_shows() {
        let server = MockServer::start().await;
        mount(
            &server,
            ResponseTemplate::new(200).set_body_json(json!({ "success": true })),
        )
        .await;
        let repo = repo(&server);
        announce(&repo, "fb", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = server.received_requests().await.unwrap().len();

        announce(&repo, "fb", "", "Kontsert on laupäeval.");
        assert_eq!(
            dry_requests(&repo, T2),
            [(
                format!("POST {}/v26.0/{POST}", server.uri()),
                json!({ "message": "Tom & Jerry\n\nKontsert on laupäeval." })
            )]
        );
        assert_eq!(server.received_requests().await.unwrap().len(), before);

        publish(&repo, T2, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        let edits: Vec<&Request> = sent
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .collect();
        assert_eq!(
            edits.len(),
            1,
            "{:?}",
            sent.iter().map(line).collect::<Vec<_>>()
        );
        assert_eq!(edits[0].url.path(), format!("/v26.0/{POST}"));
        assert_graph_call(edits[0]);
        assert_eq!(header(edits[0], "content-type"), "application/json");
        assert_eq!(
            body(edits[0]),
            r#"{"message":"Tom & Jerry\n\nKontsert on laupäeval."}"#
        );
        assert!(
            actions(&repo).contains(&("posted".into(), "edit".into(), Some(POST.into()))),
            "{:?}",
            actions(&repo)
        );
        // Nothing more to do: a second run changes nothing.
        let count = server.received_requests().await.unwrap().len();
        publish(&repo, T3, &ENV).assert_code(0);
        assert_eq!(server.received_requests().await.unwrap().len(), count);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_retraction_deletes_the_post_and_a_post_already_gone_counts_as_deleted() {
        let server = MockServer::start().await;
        // What a second delete of the same post is answered (the post is gone).
        let gone = ResponseTemplate::new(400).set_body_json(json!({ "error": {
            "message": format!("Unsupported delete request. Object with ID '{POST}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"),
            "type": "GraphMethodException", "code": 100, "error_subcode": 33, "fbtrace_id": "AbCdEf123"
        } }));
        mount(&server, gone).await;
        let repo = repo(&server);
        announce(&repo, "fb", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = server.received_requests().await.unwrap().len();

        announce(
            &repo,
            "fb",
            "retract: \"vale kuupäev\"\n",
            "Kontsert on reedel.",
        );
        assert_eq!(
            dry_requests(&repo, T2),
            [(format!("DELETE {}/v26.0/{POST}", server.uri()), Value::Null)]
        );
        publish(&repo, T2, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.len(),
            1,
            "{:?}",
            sent.iter().map(line).collect::<Vec<_>>()
        );
        assert_eq!(sent[0].method.as_str(), "DELETE");
        assert_eq!(sent[0].url.path(), format!("/v26.0/{POST}"));
        assert_graph_call(&sent[0]);
        assert!(sent[0].body.is_empty());
        assert!(
            actions(&repo).contains(&("posted".into(), "delete".into(), Some(POST.into()))),
            "{:?}",
            actions(&repo)
        );
        assert!(!repo.read("state/ledger.jsonl").contains(TOKEN));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn comments_of_a_thread_are_edited_and_deleted_as_comments() {
        const COMMENT: &str = "900000000000001_700000000000001";
        let server = MockServer::start().await;
        mount(
            &server,
            ResponseTemplate::new(200).set_body_json(json!({ "success": true })),
        )
        .await;
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{POST}/comments")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": COMMENT })))
            .mount(&server)
            .await;
        for verb in ["POST", "DELETE"] {
            Mock::given(method(verb))
                .and(path(format!("/v26.0/{COMMENT}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "success": true })))
                .mount(&server)
                .await;
        }
        let repo = Repo::with_config(&format!(
            "\n[channels.fb]\nkind = \"facebook\"\nlang = \"et\"\npage_id = \"{PAGE}\"\n\
             token_env = \"FB_TOKEN\"\napi_url = \"{}\"\nthread_as_comments = true\n",
            server.uri()
        ));
        // Over Facebook's 63,206: the end of the text goes out as a comment.
        let long = "Tartu linn kutsub kõiki elanikke osalema. ".repeat(1520);
        announce(&repo, "fb", "thread: auto\n", long.trim());
        publish(&repo, T1, &ENV).assert_code(0);
        let before = server.received_requests().await.unwrap().len();

        // A change at the end of the text reaches the comment only.
        let changed = format!("{}Lõpp.", long);
        announce(&repo, "fb", "thread: auto\n", &changed);
        publish(&repo, T2, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        let edits: Vec<&Request> = sent
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .collect();
        assert_eq!(
            edits.iter().map(|r| line(r)).collect::<Vec<_>>(),
            [format!("POST /v26.0/{COMMENT}")]
        );
        assert_graph_call(edits[0]);
        let edit: Value = serde_json::from_slice(&edits[0].body).unwrap();
        assert_eq!(edit.as_object().unwrap().len(), 1, "{edit}");
        let message = edit["message"].as_str().unwrap();
        assert!(
            message.ends_with("Lõpp. 2/2"),
            "{}",
            &message[message.len() - 40..]
        );

        // A retraction deletes the comment, then the post.
        let before = server.received_requests().await.unwrap().len();
        announce(
            &repo,
            "fb",
            "thread: auto\nretract: \"vale kuupäev\"\n",
            &changed,
        );
        publish(&repo, T3, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [
                format!("DELETE /v26.0/{COMMENT}"),
                format!("DELETE /v26.0/{POST}")
            ]
        );
        sent.iter().for_each(assert_graph_call);
    }
}

mod linkedin {
    use super::*;

    const TOKEN: &str = "AQV-linkedin-test-token";
    const ORG: &str = "urn:li:organization:10452716";
    const SHARE: &str = "urn:li:share:7000000000000000001";
    const SHARE_PATH: &str = "/rest/posts/urn%3Ali%3Ashare%3A7000000000000000001";
    const ENV: [(&str, &str); 1] = [("LI_TOKEN", TOKEN)];

    fn repo(server: &MockServer) -> Repo {
        Repo::with_config(&format!(
            "\n[publish]\nrequest_timeout = \"1s\"\nretry_base = \"10ms\"\nretries_per_run = 1\n\n\
             [channels.li]\nkind = \"linkedin\"\nlang = \"et\"\norganization = \"{ORG}\"\n\
             token_env = \"LI_TOKEN\"\napi_url = \"{}\"\n",
            server.uri()
        ))
    }

    #[track_caller]
    fn assert_rest_headers(r: &Request, restli_method: &str) {
        assert_eq!(header(r, "authorization"), format!("Bearer {TOKEN}"));
        assert_eq!(header(r, "linkedin-version"), "202601");
        assert_eq!(header(r, "x-restli-protocol-version"), "2.0.0");
        assert_eq!(header(r, "x-restli-method"), restli_method);
    }

    /// Creating the post; the partial update (204) and the read-back, which answers
    /// with the commentary `shown`.
    async fn mount(server: &MockServer, shown: &str) {
        Mock::given(method("POST"))
            .and(path("/rest/posts"))
            .respond_with(ResponseTemplate::new(201).insert_header("x-restli-id", SHARE))
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path(SHARE_PATH))
            .respond_with(ResponseTemplate::new(204))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path(SHARE_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": SHARE, "author": ORG, "commentary": shown, "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED"
            })))
            .mount(server)
            .await;
        Mock::given(method("DELETE"))
            .and(path(SHARE_PATH))
            .respond_with(ResponseTemplate::new(204))
            .mount(server)
            .await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_correction_is_a_partial_update_of_the_commentary_read_back_after() {
        let server = MockServer::start().await;
        mount(&server, "Tom & Jerry\n\nKontsert on \\(laupäeval\\).").await;
        let repo = repo(&server);
        announce(&repo, "li", "", "Kontsert on (reedel).");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = server.received_requests().await.unwrap().len();

        announce(&repo, "li", "", "Kontsert on (laupäeval).");
        assert_eq!(
            dry_requests(&repo, T2),
            [(
                format!(
                    "POST {}{SHARE_PATH} (Linkedin-Version: 202601)",
                    server.uri()
                ),
                json!({ "patch": { "$set": {
                    "commentary": "Tom & Jerry\n\nKontsert on \\(laupäeval\\)."
                } } })
            )]
        );

        publish(&repo, T2, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [format!("POST {SHARE_PATH}"), format!("GET {SHARE_PATH}")]
        );
        assert_rest_headers(&sent[0], "PARTIAL_UPDATE");
        assert_eq!(header(&sent[0], "content-type"), "application/json");
        assert_eq!(
            body(&sent[0]),
            r#"{"patch":{"$set":{"commentary":"Tom & Jerry\n\nKontsert on \\(laupäeval\\)."}}}"#
        );
        assert_eq!(header(&sent[1], "authorization"), format!("Bearer {TOKEN}"));
        assert_eq!(header(&sent[1], "linkedin-version"), "202601");
        assert!(
            actions(&repo).contains(&("posted".into(), "edit".into(), Some(SHARE.into()))),
            "{:?}",
            actions(&repo)
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_edit_that_linkedin_does_not_show_is_not_counted_and_is_made_again() {
        let server = MockServer::start().await;
        // The partial update answers 204, but the post still says what it said.
        mount(&server, "Tom & Jerry\n\nKontsert on \\(reedel\\).").await;
        let repo = repo(&server);
        announce(&repo, "li", "", "Kontsert on (reedel).");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = server.received_requests().await.unwrap().len();

        announce(&repo, "li", "", "Kontsert on (laupäeval).");
        let run = publish(&repo, T2, &ENV);
        assert_ne!(run.code, 0, "{}", run.stdout);
        assert!(
            run.stdout.contains("LinkedIn accepted the edit of https://www.linkedin.com/feed/update/urn:li:share:7000000000000000001/ but still shows the old text"),
            "{}",
            run.stdout
        );
        let sent = requests_after(&server, before).await;
        let updates = sent
            .iter()
            .filter(|r| r.method.as_str() == "POST" && r.url.path() == SHARE_PATH)
            .count();
        // The edit is safe to repeat: it is made again within the run (one retry).
        assert_eq!(
            updates,
            2,
            "{:?}",
            sent.iter().map(line).collect::<Vec<_>>()
        );
        assert!(
            !actions(&repo)
                .iter()
                .any(|(event, action, _)| event == "posted" && action == "edit"),
            "{:?}",
            actions(&repo)
        );
        assert!(
            actions(&repo).contains(&("failed".into(), "edit".into(), None)),
            "{:?}",
            actions(&repo)
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_retraction_deletes_the_post_and_a_404_means_it_is_gone_already() {
        let server = MockServer::start().await;
        mount(&server, "").await;
        let repo = repo(&server);
        announce(&repo, "li", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = server.received_requests().await.unwrap().len();

        announce(
            &repo,
            "li",
            "retract: \"vale kuupäev\"\n",
            "Kontsert on reedel.",
        );
        assert_eq!(
            dry_requests(&repo, T2),
            [(
                format!(
                    "DELETE {}{SHARE_PATH} (Linkedin-Version: 202601)",
                    server.uri()
                ),
                Value::Null
            )]
        );
        publish(&repo, T2, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [format!("DELETE {SHARE_PATH}")]
        );
        assert_rest_headers(&sent[0], "DELETE");
        assert!(sent[0].body.is_empty());
        assert!(actions(&repo).contains(&("posted".into(), "delete".into(), Some(SHARE.into()))));

        // The same retraction against a post someone deleted by hand: 404 is deleted.
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/rest/posts"))
            .respond_with(ResponseTemplate::new(201).insert_header("x-restli-id", SHARE))
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path(SHARE_PATH))
            .respond_with(ResponseTemplate::new(404).set_body_json(json!({
                "status": 404, "serviceErrorCode": 0, "code": "NOT_FOUND", "message": "Not Found"
            })))
            .mount(&server)
            .await;
        let repo = self::repo(&server);
        announce(&repo, "li", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        announce(
            &repo,
            "li",
            "retract: \"vale kuupäev\"\n",
            "Kontsert on reedel.",
        );
        publish(&repo, T2, &ENV).assert_code(0);
        assert!(actions(&repo).contains(&("posted".into(), "delete".into(), Some(SHARE.into()))));
    }
}

mod x {
    use super::*;
    use crate::x::{ENV, assert_signed};

    const FIRST: &str = "1880000000000000001";
    const EDITED: &str = "1880000000000000002";

    fn repo(server: &MockServer, extra: &str) -> Repo {
        Repo::with_config(&format!(
            "\n[publish]\nrequest_timeout = \"1s\"\nretry_base = \"10ms\"\nretries_per_run = 1\n\n\
             [channels.x]\nkind = \"x\"\nlang = \"et\"\nconsumer_key_env = \"X_CK\"\n\
             consumer_secret_env = \"X_CS\"\naccess_token_env = \"X_AT\"\n\
             access_token_secret_env = \"X_ATS\"\napi_url = \"{}\"\n{extra}",
            server.uri()
        ))
    }

    fn created(id: &str, history: &[&str]) -> ResponseTemplate {
        ResponseTemplate::new(201).set_body_json(
            json!({ "data": { "id": id, "text": "…", "edit_history_tweet_ids": history } }),
        )
    }

    /// `edit_controls` as X answers them, the window closing `minutes` from now.
    fn controls(id: &str, minutes: i64, remaining: u32) -> ResponseTemplate {
        let until = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(minutes);
        ResponseTemplate::new(200).set_body_json(json!({ "data": {
            "id": id, "text": "…", "edit_history_tweet_ids": [id],
            "edit_controls": {
                "is_edit_eligible": true,
                "editable_until": until.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
                "edits_remaining": remaining,
            }
        } }))
    }

    /// The first post, then (a post with `edit_options`) its edit under a new id.
    async fn mount_posts(server: &MockServer) {
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .and(|r: &Request| !body(r).contains("edit_options"))
            .respond_with(created(FIRST, &[FIRST]))
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .and(|r: &Request| body(r).contains("edit_options"))
            .respond_with(created(EDITED, &[FIRST, EDITED]))
            .mount(server)
            .await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_edit_reads_edit_controls_then_posts_the_new_version_whose_id_a_later_delete_names()
    {
        let server = MockServer::start().await;
        mount_posts(&server).await;
        Mock::given(method("GET"))
            .and(path(format!("/2/tweets/{FIRST}")))
            .respond_with(controls(FIRST, 20, 5))
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path_regex(r"^/2/tweets/\d+$"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({ "data": { "deleted": true } })),
            )
            .mount(&server)
            .await;
        let repo = repo(&server, "edit = true\n");
        announce(&repo, "x", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = server.received_requests().await.unwrap().len();

        announce(&repo, "x", "", "Kontsert on laupäeval.");
        assert_eq!(
            dry_requests(&repo, T2),
            [(
                format!("POST {}/2/tweets", server.uri()),
                json!({ "edit_options": { "previous_post_id": FIRST }, "text": "Tom & Jerry\n\nKontsert on laupäeval." })
            )]
        );
        let report = publish(&repo, T2, &ENV).assert_code(0).json();
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [
                format!("GET /2/tweets/{FIRST}?tweet.fields=edit_controls"),
                "POST /2/tweets".into()
            ]
        );
        for r in &sent {
            assert_signed(r);
        }
        assert_eq!(
            body(&sent[1]),
            format!(
                r#"{{"edit_options":{{"previous_post_id":"{FIRST}"}},"text":"Tom & Jerry\n\nKontsert on laupäeval."}}"#
            )
        );
        // The edited post has a new id, and the ledger knows it.
        assert!(
            actions(&repo).contains(&("posted".into(), "edit".into(), Some(EDITED.into()))),
            "{:?}",
            actions(&repo)
        );
        assert!(
            report
                .to_string()
                .contains(&format!("https://x.com/i/web/status/{EDITED}")),
            "{report:#}"
        );

        // A retraction deletes the post as it is now: the edit's id.
        let before = server.received_requests().await.unwrap().len();
        announce(
            &repo,
            "x",
            "retract: \"vale kuupäev\"\n",
            "Kontsert on laupäeval.",
        );
        publish(&repo, T3, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [format!("DELETE /2/tweets/{EDITED}")]
        );
        assert_signed(&sent[0]);
        assert!(sent[0].body.is_empty());
        for secret in [
            crate::x::CONSUMER_SECRET,
            crate::x::TOKEN,
            crate::x::TOKEN_SECRET,
        ] {
            assert!(!repo.read("state/ledger.jsonl").contains(secret));
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_post_past_its_edit_window_is_reported_and_not_edited() {
        let server = MockServer::start().await;
        mount_posts(&server).await;
        Mock::given(method("GET"))
            .and(path(format!("/2/tweets/{FIRST}")))
            .respond_with(controls(FIRST, -5, 5))
            .mount(&server)
            .await;
        let repo = repo(&server, "edit = true\n");
        announce(&repo, "x", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = server.received_requests().await.unwrap().len();

        announce(&repo, "x", "", "Kontsert on laupäeval.");
        let run = publish(&repo, T2, &ENV);
        assert_ne!(run.code, 0, "{}", run.stdout);
        assert!(
            run.stdout.contains(
                "X allows edits for 30 minutes after posting, 5 times; this post can no longer be edited (its edit window closed at"
            ),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("correction"), "{}", run.stdout);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [format!("GET /2/tweets/{FIRST}?tweet.fields=edit_controls")],
            "nothing is posted"
        );
        assert!(
            !actions(&repo)
                .iter()
                .any(|(event, action, _)| event == "posted" && action == "edit"),
            "{:?}",
            actions(&repo)
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_post_already_deleted_on_x_is_deleted() {
        let server = MockServer::start().await;
        mount_posts(&server).await;
        Mock::given(method("DELETE"))
            .and(path(format!("/2/tweets/{FIRST}")))
            .respond_with(ResponseTemplate::new(404).set_body_raw(
                json!({ "title": "Not Found Error", "detail": format!("Could not find tweet with id: [{FIRST}]."), "type": "https://api.x.com/2/problems/resource-not-found", "status": 404 }).to_string(),
                "application/problem+json",
            ))
            .mount(&server)
            .await;
        let repo = repo(&server, "");
        announce(&repo, "x", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        announce(
            &repo,
            "x",
            "retract: \"vale kuupäev\"\n",
            "Kontsert on reedel.",
        );
        publish(&repo, T2, &ENV).assert_code(0);
        assert!(actions(&repo).contains(&("posted".into(), "delete".into(), Some(FIRST.into()))));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_edit_in_doubt_is_looked_up_like_a_post_and_never_made_twice() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .and(|r: &Request| !body(r).contains("edit_options"))
            .respond_with(created(FIRST, &[FIRST]))
            .mount(&server)
            .await;
        // The edit goes through, but its answer comes after Herald stopped waiting.
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .and(|r: &Request| body(r).contains("edit_options"))
            .respond_with(
                created(EDITED, &[FIRST, EDITED]).set_delay(std::time::Duration::from_secs(3)),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/2/tweets/{FIRST}")))
            .respond_with(controls(FIRST, 20, 5))
            .mount(&server)
            .await;
        let repo = repo(&server, "edit = true\n");
        announce(&repo, "x", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        announce(&repo, "x", "", "Kontsert on laupäeval.");
        let report = publish(&repo, T2, &ENV).assert_code(1).json();
        assert_eq!(report["rows"][0]["result"], "in_doubt", "{report:#}");

        // The next run finds the edited post among the account's posts, as X gives them.
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
                    { "id": EDITED, "text": "Tom &amp; Jerry\n\nKontsert on laupäeval.", "edit_history_tweet_ids": [FIRST, EDITED] }
                ],
                "meta": { "result_count": 1, "newest_id": EDITED, "oldest_id": EDITED }
            })))
            .mount(&server)
            .await;
        let report = publish(&repo, T3, &ENV).assert_code(0).json();
        assert_eq!(report["rows"][0]["result"], "corrected", "{report:#}");
        let all = server.received_requests().await.unwrap();
        let edits = all
            .iter()
            .filter(|r| r.url.path() == "/2/tweets" && body(r).contains("edit_options"))
            .count();
        assert_eq!(edits, 1, "edited twice");
        for r in all.iter().filter(|r| r.url.path().starts_with("/2/users/")) {
            assert_signed(r);
        }
        assert!(
            actions(&repo).contains(&("posted".into(), "edit".into(), Some(EDITED.into()))),
            "{:?}",
            actions(&repo)
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn without_edit_a_correction_is_a_notice_replying_to_the_post() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .and(|r: &Request| !body(r).contains("in_reply_to_tweet_id"))
            .respond_with(created(FIRST, &[FIRST]))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .and(|r: &Request| body(r).contains("in_reply_to_tweet_id"))
            .respond_with(created("1880000000000000003", &["1880000000000000003"]))
            .mount(&server)
            .await;
        let repo = repo(&server, "");
        announce(&repo, "x", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = server.received_requests().await.unwrap().len();
        announce(&repo, "x", "", "Kontsert on laupäeval.");
        publish(&repo, T2, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        // No edit_controls read and no edit: the post is answered.
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            ["POST /2/tweets"]
        );
        assert_signed(&sent[0]);
        let notice: Value = serde_json::from_slice(&sent[0].body).unwrap();
        assert_eq!(notice["reply"], json!({ "in_reply_to_tweet_id": FIRST }));
        assert!(notice.get("edit_options").is_none());
        assert!(
            actions(&repo).contains(&(
                "posted".into(),
                "notice".into(),
                Some("1880000000000000003".into())
            )),
            "{:?}",
            actions(&repo)
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn doctor_says_what_edit_true_asks_of_the_account() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/2/users/me"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({ "data": { "id": "2244994945", "name": "Tartu", "username": "tartu" } }),
            ))
            .mount(&server)
            .await;
        let doctor = |repo: &Repo| {
            repo.run_env(&["doctor", "--channel", "x", "--format", "json"], &ENV)
                .assert_code(0)
                .json()[0]["findings"]
                .clone()
        };
        let findings = doctor(&repo(&server, "edit = true\n"));
        assert_eq!(findings[1]["level"], "info", "{findings:#}");
        assert_eq!(
            findings[1]["message"],
            "corrections are edited in place (`edit = true`): X allows that to X Premium accounts only, for 30 minutes after posting and 5 times; after that a correction follows the channel's `correction` policy (`reply` unless it sets another)"
        );
        let findings = doctor(&repo(&server, ""));
        assert_eq!(findings.as_array().unwrap().len(), 1, "{findings:#}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_edit_of_a_post_with_an_image_names_the_image_again() {
        let server = MockServer::start().await;
        mount_posts(&server).await;
        Mock::given(method("POST"))
            .and(path("/2/media/upload"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": { "id": "1146654567674912769", "media_key": "3_1146654567674912769" }
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
        Mock::given(method("GET"))
            .and(path(format!("/2/tweets/{FIRST}")))
            .respond_with(controls(FIRST, 20, 4))
            .mount(&server)
            .await;
        let repo = repo(&server, "edit = true\n");
        std::fs::write(
            repo.path().join("announcements/pic.png"),
            crate::harness::TINY_PNG,
        )
        .unwrap();
        let image = "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n";
        announce(&repo, "x", image, "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = server.received_requests().await.unwrap().len();
        announce(&repo, "x", image, "Kontsert on laupäeval.");
        publish(&repo, T2, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        // An edit is a new version of the post: without its media it would lose them.
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [
                format!("GET /2/tweets/{FIRST}?tweet.fields=edit_controls"),
                "POST /2/media/upload".into(),
                "POST /2/media/metadata".into(),
                "POST /2/tweets".into()
            ]
        );
        sent.iter().for_each(assert_signed);
        assert_eq!(
            body(&sent[3]),
            format!(
                r#"{{"edit_options":{{"previous_post_id":"{FIRST}"}},"media":{{"media_ids":["1146654567674912769"]}},"text":"Tom & Jerry\n\nKontsert on laupäeval."}}"#
            )
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn an_edit_x_refuses_says_that_editing_needs_premium() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .and(|r: &Request| !body(r).contains("edit_options"))
            .respond_with(created(FIRST, &[FIRST]))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .and(|r: &Request| body(r).contains("edit_options"))
            .respond_with(ResponseTemplate::new(403).set_body_raw(
                json!({ "title": "Forbidden", "detail": "You are not permitted to perform this action.", "type": "about:blank", "status": 403 }).to_string(),
                "application/problem+json",
            ))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("/2/tweets/{FIRST}")))
            .respond_with(controls(FIRST, 20, 5))
            .mount(&server)
            .await;
        let repo = repo(&server, "edit = true\n");
        announce(&repo, "x", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        announce(&repo, "x", "", "Kontsert on laupäeval.");
        let report = publish(&repo, T2, &ENV).assert_code(1).json();
        assert_eq!(report["rows"][0]["result"], "failed", "{report:#}");
        assert_eq!(
            report["rows"][0]["detail"],
            format!(
                "edit the post ({FIRST}): X refused to edit https://x.com/i/web/status/{FIRST} (403: You are not permitted to perform this action.); only X Premium accounts can edit, within 30 minutes of posting: without Premium, set `edit = false` and a `correction` policy on the channel"
            )
        );
        // Permanent: the next run does not try again.
        let count = server.received_requests().await.unwrap().len();
        publish(&repo, T3, &ENV).assert_code(1);
        assert_eq!(server.received_requests().await.unwrap().len(), count);
    }
}
