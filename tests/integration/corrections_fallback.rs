//! Corrections that an edit cannot carry, on Facebook, LinkedIn and X: a Facebook or
//! LinkedIn edit changes only the text (its photos and link card stay), an X edit only
//! within 30 minutes of posting. Where the change needs more, the channel's
//! `correction` policy applies: `none` edits the text and leaves a note saying what
//! stayed and where, `repost` deletes the post and posts it again, `reply` answers it
//! with a correction notice. Requests are asserted byte for byte, and the dry run
//! plans the same steps.

use crate::harness::{Repo, Run, TINY_PNG};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const FILE: &str = "announcements/a.et.md";
const T1: &str = "2026-06-30 10:05";
const T2: &str = "2026-06-30 10:15";
const T3: &str = "2026-06-30 10:25";

/// Another valid 1×1 PNG (blue), for a photo that changes.
const BLUE_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x60, 0xf8, 0x0f,
    0x00, 0x01, 0x03, 0x01, 0x00, 0x08, 0x89, 0xc2, 0xec, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

const PIC: &str = "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n";
const BLUE: &str = "images:\n  - path: announcements/blue.png\n    alt: Raekoda\n";

fn with_images(repo: Repo) -> Repo {
    std::fs::write(repo.path().join("announcements/pic.png"), TINY_PNG).unwrap();
    std::fs::write(repo.path().join("announcements/blue.png"), BLUE_PNG).unwrap();
    repo
}

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
    String::from_utf8_lossy(&r.body).into_owned()
}

fn line(r: &Request) -> String {
    match r.url.query() {
        Some(q) => format!("{} {}?{q}", r.method, r.url.path()),
        None => format!("{} {}", r.method, r.url.path()),
    }
}

async fn requests_after(server: &MockServer, skip: usize) -> Vec<Request> {
    server.received_requests().await.unwrap()[skip..].to_vec()
}

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// A planned step: `(action, why)`.
type Planned = (String, Option<String>);

/// The one change the dry run plans at `at`: its steps as `(action, why)` and its
/// requests as `(action, body)`.
fn dry_change(repo: &Repo, at: &str) -> (Vec<Planned>, Vec<(String, Value)>) {
    let plan = repo.json(&["publish", "--dry-run", "--at", at], 0);
    let changes = plan["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{plan:#}");
    let steps = changes[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap().to_owned(),
                s["why"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let requests = changes[0]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["action"].as_str().unwrap().to_owned(), r["body"].clone()))
        .collect();
    (steps, requests)
}

/// Nothing is left to do: the dry run plans no change.
#[track_caller]
fn settled(repo: &Repo, at: &str) {
    let plan = repo.json(&["publish", "--dry-run", "--at", at], 0);
    assert_eq!(
        plan["changes"].as_array().map_or(0, Vec::len),
        0,
        "{plan:#}"
    );
}

fn step(action: &str, why: Option<&str>) -> Planned {
    (action.to_owned(), why.map(str::to_owned))
}

mod facebook {
    use super::*;

    const TOKEN: &str = "EAAB-facebook-test-page-token";
    const PAGE: &str = "102726124444893";
    const POST: &str = "102726124444893_900000000000001";
    const REPOSTED: &str = "102726124444893_900000000000002";
    const ENV: [(&str, &str); 1] = [("FB_TOKEN", TOKEN)];

    fn repo(server: &MockServer, extra: &str) -> Repo {
        with_images(Repo::with_config(&format!(
            "\n[publish]\nrequest_timeout = \"1s\"\nretry_base = \"10ms\"\nretries_per_run = 1\n\n\
             [channels.fb]\nkind = \"facebook\"\nlang = \"et\"\npage_id = \"{PAGE}\"\n\
             token_env = \"FB_TOKEN\"\napi_url = \"{}\"\n{extra}",
            server.uri()
        )))
    }

    fn permalink(id: &str) -> String {
        format!("https://www.facebook.com/{PAGE}/posts/{id}")
    }

    /// The Page: photos go up (a new id each), the first post is `POST`, a second one
    /// `REPOSTED`; permalinks, edits and deletes as the Graph API answers them.
    async fn mount(server: &MockServer) {
        let photos = std::sync::atomic::AtomicU64::new(500000000000001);
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{PAGE}/photos")))
            .respond_with(move |_: &Request| {
                let id = photos.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                ResponseTemplate::new(200).set_body_json(json!({ "id": id.to_string() }))
            })
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{PAGE}/feed")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": POST })))
            .up_to_n_times(1)
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/v26.0/{PAGE}/feed")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": REPOSTED })))
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
        for verb in ["POST", "DELETE"] {
            Mock::given(method(verb))
                .and(path(format!("/v26.0/{POST}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "success": true })))
                .mount(server)
                .await;
        }
    }

    fn note(what: &str, stays: &str, edited: bool) -> String {
        note_about(what, stays, edited)
    }

    fn note_about(what: &str, stays: &str, edited: bool) -> String {
        let (it, stay) = match stays {
            "it" => ("it", "it stays as it was"),
            _ => ("them", "they stay as they were"),
        };
        format!(
            "{what} of the post on `fb` cannot be changed by an edit, so {stay}{}; change {it} by hand: {}, or set `correction = \"repost\"`",
            if edited { " (the text is edited)" } else { "" },
            permalink(POST)
        )
    }

    /// A photo that changes with the text: the text alone is edited (no photo goes up),
    /// the note names the photo and the post's address; done once.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_new_photo_is_not_sent_the_text_is_edited_and_a_note_says_where() {
        let server = MockServer::start().await;
        mount(&server).await;
        let repo = repo(&server, "");
        announce(&repo, "fb", PIC, "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = count(&server).await;

        announce(&repo, "fb", BLUE, "Kontsert on laupäeval.");
        let note = note("the image", "it", true);
        let edit = format!("POST {}/v26.0/{POST}", server.uri());
        assert_eq!(
            dry_change(&repo, T2),
            (
                vec![step("edit", None), step("leave", Some(&note))],
                vec![(
                    edit,
                    json!({ "message": "Tom & Jerry\n\nKontsert on laupäeval." })
                )]
            )
        );
        assert_eq!(count(&server).await, before, "the dry run sends nothing");
        let report = publish(&repo, T2, &ENV).assert_code(0).json();
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [format!("POST /v26.0/{POST}")]
        );
        assert_eq!(
            body(&sent[0]),
            r#"{"message":"Tom & Jerry\n\nKontsert on laupäeval."}"#
        );
        assert_eq!(report["rows"][0]["result"], "corrected", "{report:#}");
        assert_eq!(
            report["rows"][0]["detail"],
            format!("edit the post ({POST}); {note}")
        );
        let ledger = repo.read("state/ledger.jsonl");
        assert!(!ledger.contains(TOKEN));
        let count = count(&server).await;
        publish(&repo, T3, &ENV).assert_code(0);
        assert_eq!(super::count(&server).await, count, "done once");
        settled(&repo, T3);
    }

    /// A photo changed alone (or its alt text, or one added): nothing to edit, so
    /// nothing is sent; the note says what stayed.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_photo_changed_alone_sends_nothing_and_leaves_a_note() {
        for (first, then, what, stays) in [
            (PIC, BLUE, "the image", "it"),
            (
                PIC,
                "images:\n  - path: announcements/pic.png\n    alt: Raekoda öösel\n",
                "the image",
                "it",
            ),
            (
                PIC,
                "images:\n  - path: announcements/pic.png\n    alt: Raekoda\n  - path: announcements/blue.png\n    alt: Taevas\n",
                "the images",
                "them",
            ),
        ] {
            let server = MockServer::start().await;
            mount(&server).await;
            let repo = repo(&server, "");
            announce(&repo, "fb", first, "Kontsert on reedel.");
            publish(&repo, T1, &ENV).assert_code(0);
            let before = count(&server).await;
            announce(&repo, "fb", then, "Kontsert on reedel.");
            let note = note(what, stays, false);
            assert_eq!(
                dry_change(&repo, T2),
                (vec![step("leave", Some(&note))], Vec::new())
            );
            let report = publish(&repo, T2, &ENV).assert_code(0).json();
            assert_eq!(count(&server).await, before, "{then}: nothing is sent");
            assert_eq!(report["rows"][0]["detail"], note, "{report:#}");
            settled(&repo, T3);
        }
    }

    /// A link that changes: the message (which shows the link) is edited, but the card
    /// Facebook built from the old link stays.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_changed_link_edits_the_message_and_says_the_link_card_stays() {
        let server = MockServer::start().await;
        mount(&server).await;
        let repo = repo(&server, "");
        announce(&repo, "fb", "link: https://tartu.ee/a\n", "Kontsert.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = count(&server).await;
        announce(&repo, "fb", "link: https://tartu.ee/b\n", "Kontsert.");
        let note = note("the link card", "it", true);
        let (steps, _) = dry_change(&repo, T2);
        assert_eq!(steps, [step("edit", None), step("leave", Some(&note))]);
        publish(&repo, T2, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [format!("POST /v26.0/{POST}")]
        );
        assert_eq!(
            body(&sent[0]),
            r#"{"message":"Tom & Jerry\n\nKontsert.\n\nhttps://tartu.ee/b"}"#
        );
        // A summary alone changes nothing Facebook shows, but the card still shows the
        // old link: nothing is sent, and the note says so again.
        let before = count(&server).await;
        announce(
            &repo,
            "fb",
            "link: https://tartu.ee/b\nsummary: Uus kokkuvõte.\n",
            "Kontsert.",
        );
        let report = publish(&repo, T3, &ENV).assert_code(0).json();
        assert_eq!(count(&server).await, before, "nothing is sent");
        assert_eq!(
            report["rows"][0]["detail"],
            note_about("the link card", "it", false),
            "{report:#}"
        );
    }

    /// With `correction = "repost"`: the post is deleted and posted again with the new
    /// photo, as the dry run shows.
    #[tokio::test(flavor = "multi_thread")]
    async fn with_repost_a_new_photo_deletes_the_post_and_posts_it_again() {
        let server = MockServer::start().await;
        mount(&server).await;
        let repo = repo(&server, "correction = \"repost\"\n");
        announce(&repo, "fb", PIC, "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = count(&server).await;
        announce(&repo, "fb", BLUE, "Kontsert on laupäeval.");
        let (steps, requests) = dry_change(&repo, T2);
        assert_eq!(steps, [step("delete", None), step("repost", None)]);
        let report = publish(&repo, T2, &ENV).assert_code(0).json();
        let sent = requests_after(&server, before).await;
        let lines: Vec<String> = sent.iter().map(line).collect();
        assert_eq!(
            lines[..3],
            [
                format!("DELETE /v26.0/{POST}"),
                format!("POST /v26.0/{PAGE}/photos"),
                format!("POST /v26.0/{PAGE}/feed"),
            ],
            "{lines:?}"
        );
        assert_eq!(
            body(&sent[2]),
            r#"{"attached_media":[{"media_fbid":"500000000000002"}],"message":"Tom & Jerry\n\nKontsert on laupäeval."}"#
        );
        let planned: Vec<&str> = requests.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            planned,
            [
                format!("DELETE {}/v26.0/{POST}", server.uri()),
                format!("POST {}/v26.0/{PAGE}/photos (multipart)", server.uri()),
                format!("POST {}/v26.0/{PAGE}/feed", server.uri()),
            ]
        );
        assert!(
            report.to_string().contains(&permalink(REPOSTED)),
            "{report:#}"
        );
        let count = count(&server).await;
        publish(&repo, T3, &ENV).assert_code(0);
        assert_eq!(super::count(&server).await, count, "reposted once");
        settled(&repo, T3);
    }
}

mod linkedin {
    use super::*;

    const TOKEN: &str = "AQV-linkedin-test-token";
    const ORG: &str = "urn:li:organization:10452716";
    const SHARE: &str = "urn:li:share:7000000000000000001";
    const SHARE_PATH: &str = "/rest/posts/urn%3Ali%3Ashare%3A7000000000000000001";
    const ENV: [(&str, &str); 1] = [("LI_TOKEN", TOKEN)];
    const IMAGE: &str = "urn:li:image:C4E10AQFoyyAjHPMQuQ";

    fn repo(server: &MockServer) -> Repo {
        with_images(Repo::with_config(&format!(
            "\n[publish]\nrequest_timeout = \"1s\"\nretry_base = \"10ms\"\nretries_per_run = 1\n\n\
             [channels.li]\nkind = \"linkedin\"\nlang = \"et\"\norganization = \"{ORG}\"\n\
             token_env = \"LI_TOKEN\"\napi_url = \"{}\"\n",
            server.uri()
        )))
    }

    /// The post, images that go up and are at once `AVAILABLE`, the partial update and
    /// the read-back (which shows `shown`).
    async fn mount(server: &MockServer, shown: &str) {
        Mock::given(method("POST"))
            .and(path("/rest/images"))
            .and(query_param("action", "initializeUpload"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "value": {
                "uploadUrlExpiresAt": 1_650_567_510_704_u64,
                "uploadUrl": format!("{}/dms-uploads/0", server.uri()),
                "image": IMAGE,
            } })))
            .mount(server)
            .await;
        Mock::given(method("PUT"))
            .and(path("/dms-uploads/0"))
            .respond_with(ResponseTemplate::new(201))
            .mount(server)
            .await;
        Mock::given(method("GET"))
            .and(path("/rest/images/urn%3Ali%3Aimage%3AC4E10AQFoyyAjHPMQuQ"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({ "owner": ORG, "status": "AVAILABLE", "id": IMAGE })),
            )
            .mount(server)
            .await;
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
    }

    fn note(what: &str, edited: bool) -> String {
        format!(
            "{what} of the post on `li` cannot be changed by an edit, so it stays as it was{}; change it by hand: https://www.linkedin.com/feed/update/{SHARE}/, or set `correction = \"repost\"`",
            if edited { " (the text is edited)" } else { "" },
        )
    }

    /// A new image: the commentary alone is updated (no image goes up), with a note.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_new_image_is_not_sent_the_commentary_is_updated_and_a_note_says_where() {
        let server = MockServer::start().await;
        mount(&server, "Tom & Jerry\n\nKontsert on laupäeval.").await;
        let repo = repo(&server);
        announce(&repo, "li", PIC, "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = count(&server).await;
        announce(&repo, "li", BLUE, "Kontsert on laupäeval.");
        let note = note("the image", true);
        let (steps, requests) = dry_change(&repo, T2);
        assert_eq!(steps, [step("edit", None), step("leave", Some(&note))]);
        publish(&repo, T2, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [format!("POST {SHARE_PATH}"), format!("GET {SHARE_PATH}")]
        );
        let update = r#"{"patch":{"$set":{"commentary":"Tom & Jerry\n\nKontsert on laupäeval."}}}"#;
        assert_eq!(body(&sent[0]), update);
        assert_eq!(requests[0].1.to_string(), update);
        settled(&repo, T3);
    }

    /// The summary changes (the article card shows it, the text does not): nothing can
    /// be edited, so nothing is sent; the note names the link card.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_new_summary_of_the_article_card_sends_nothing_and_leaves_a_note() {
        let server = MockServer::start().await;
        mount(&server, "").await;
        let repo = repo(&server);
        announce(
            &repo,
            "li",
            "link: https://tartu.ee/a\nsummary: Vana.\n",
            "Kontsert.",
        );
        publish(&repo, T1, &ENV).assert_code(0);
        let before = count(&server).await;
        announce(
            &repo,
            "li",
            "link: https://tartu.ee/a\nsummary: Uus.\n",
            "Kontsert.",
        );
        let note = note("the link card", false);
        assert_eq!(
            dry_change(&repo, T2),
            (vec![step("leave", Some(&note))], Vec::new())
        );
        publish(&repo, T2, &ENV).assert_code(0);
        assert_eq!(count(&server).await, before, "nothing is sent");
        settled(&repo, T3);
    }
}

mod x {
    use super::*;
    use crate::x::{ENV, assert_signed};

    const FIRST: &str = "1880000000000000001";
    const NOTICE: &str = "1880000000000000009";

    fn repo(server: &MockServer, extra: &str) -> Repo {
        with_images(Repo::with_config(&format!(
            "\n[publish]\nrequest_timeout = \"1s\"\nretry_base = \"10ms\"\nretries_per_run = 1\n\n\
             [channels.x]\nkind = \"x\"\nlang = \"et\"\nconsumer_key_env = \"X_CK\"\n\
             consumer_secret_env = \"X_CS\"\naccess_token_env = \"X_AT\"\n\
             access_token_secret_env = \"X_ATS\"\napi_url = \"{}\"\nedit = true\n{extra}",
            server.uri()
        )))
    }

    /// The first post, then any other post (the notice); edits would be a post with
    /// `edit_options`, which no test here expects.
    async fn mount(server: &MockServer) {
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .respond_with(ResponseTemplate::new(201).set_body_json(
                json!({ "data": { "id": FIRST, "text": "…", "edit_history_tweet_ids": [FIRST] } }),
            ))
            .up_to_n_times(1)
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path("/2/tweets"))
            .respond_with(ResponseTemplate::new(201).set_body_json(
                json!({ "data": { "id": NOTICE, "text": "…", "edit_history_tweet_ids": [NOTICE] } }),
            ))
            .mount(server)
            .await;
    }

    /// Past X's 30 minutes, an account that edits (`edit = true`) answers the post with
    /// a correction notice, its default policy: nothing asks X for `edit_controls`.
    #[tokio::test(flavor = "multi_thread")]
    async fn past_the_window_the_default_is_a_notice_answering_the_post() {
        let server = MockServer::start().await;
        mount(&server).await;
        let repo = repo(&server, "");
        announce(&repo, "x", "", "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = count(&server).await;
        announce(&repo, "x", "", "Kontsert on laupäeval.");
        let late = "2026-06-30 10:36";
        let (steps, requests) = dry_change(&repo, late);
        assert_eq!(steps, [step("notice", None)]);
        publish(&repo, late, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            ["POST /2/tweets"]
        );
        assert_signed(&sent[0]);
        let notice: Value = serde_json::from_slice(&sent[0].body).unwrap();
        assert_eq!(notice["reply"], json!({ "in_reply_to_tweet_id": FIRST }));
        assert!(notice.get("edit_options").is_none(), "{notice}");
        assert_eq!(requests.len(), 1, "{requests:?}");
        assert_eq!(requests[0].1, notice);
        settled(&repo, "2026-06-30 10:50");
    }

    /// With `correction = "none"`, past the window: nothing is sent, the note says the
    /// post still says the old text and where it is.
    #[tokio::test(flavor = "multi_thread")]
    async fn past_the_window_with_none_nothing_is_sent_and_a_note_says_where() {
        let server = MockServer::start().await;
        mount(&server).await;
        let repo = repo(&server, "correction = \"none\"\n");
        announce(&repo, "x", PIC, "Kontsert on reedel.");
        Mock::given(method("POST"))
            .and(path("/2/media/upload"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": { "id": "1146654567674912769", "media_key": "3_1146654567674912769" }
            })))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/2/media/metadata"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": {} })))
            .mount(&server)
            .await;
        publish(&repo, T1, &ENV).assert_code(0);
        let before = count(&server).await;
        let note = format!(
            "the post on `x` can no longer be edited (X allows edits for 30 minutes after posting), so it still says the old text; correct it by hand: https://x.com/i/web/status/{FIRST}, or set `correction = \"reply\"` or `correction = \"repost\"`"
        );
        for (late, front, text) in [
            ("2026-06-30 10:36", PIC, "Kontsert on laupäeval."),
            ("2026-06-30 12:00", BLUE, "Kontsert on reedel."),
        ] {
            announce(&repo, "x", front, text);
            assert_eq!(
                dry_change(&repo, late),
                (vec![step("leave", Some(&note))], Vec::new())
            );
            let report = publish(&repo, late, &ENV).assert_code(0).json();
            assert_eq!(report["rows"][0]["detail"], note, "{report:#}");
            assert_eq!(count(&server).await, before, "nothing is sent");
        }
    }

    /// Upload and alt text for one image, answered as X does.
    async fn mount_media(server: &MockServer) {
        Mock::given(method("POST"))
            .and(path("/2/media/upload"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": { "id": "1146654567674912769", "media_key": "3_1146654567674912769" }
            })))
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(path("/2/media/metadata"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": {} })))
            .mount(server)
            .await;
    }

    /// `edit_controls` that allow an edit.
    async fn mount_controls(server: &MockServer) {
        let until = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(20);
        Mock::given(method("GET"))
            .and(path_regex(r"^/2/tweets/\d+$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": {
                "id": FIRST, "text": "…",
                "edit_controls": {
                    "is_edit_eligible": true,
                    "editable_until": until.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
                    "edits_remaining": 5,
                }
            } })))
            .mount(server)
            .await;
    }

    /// Within the window an X edit carries a new image: the edit names the new upload,
    /// with no note.
    #[tokio::test(flavor = "multi_thread")]
    async fn within_the_window_a_new_image_is_edited_in() {
        let server = MockServer::start().await;
        mount(&server).await;
        mount_media(&server).await;
        mount_controls(&server).await;
        let repo = repo(&server, "");
        announce(&repo, "x", PIC, "Kontsert on reedel.");
        publish(&repo, T1, &ENV).assert_code(0);
        let before = count(&server).await;
        announce(&repo, "x", BLUE, "Kontsert on reedel.");
        let (steps, _) = dry_change(&repo, T2);
        assert_eq!(steps, [step("edit", None)]);
        publish(&repo, T2, &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            [
                format!("GET /2/tweets/{FIRST}?tweet.fields=edit_controls"),
                "POST /2/media/upload".into(),
                "POST /2/media/metadata".into(),
                "POST /2/tweets".into()
            ]
        );
        assert!(
            sent[1].body.windows(BLUE_PNG.len()).any(|w| w == BLUE_PNG),
            "the new image goes up"
        );
        assert_eq!(
            body(&sent[3]),
            format!(
                r#"{{"edit_options":{{"previous_post_id":"{FIRST}"}},"media":{{"media_ids":["1146654567674912769"]}},"text":"Tom & Jerry\n\nKontsert on reedel."}}"#
            )
        );
    }

    /// X allows 5 edits: a sixth correction within the window follows the policy (here
    /// the default, a notice) without asking X.
    #[tokio::test(flavor = "multi_thread")]
    async fn after_five_edits_a_correction_is_a_notice() {
        let server = MockServer::start().await;
        mount(&server).await;
        mount_controls(&server).await;
        let repo = repo(&server, "");
        announce(&repo, "x", "", "Kontsert 0.");
        publish(&repo, T1, &ENV).assert_code(0);
        for n in 1..=5 {
            announce(&repo, "x", "", &format!("Kontsert {n}."));
            let at = format!("2026-06-30 10:{:02}", 5 + 2 * n);
            assert_eq!(dry_change(&repo, &at).0, [step("edit", None)], "edit {n}");
            publish(&repo, &at, &ENV).assert_code(0);
        }
        let before = count(&server).await;
        announce(&repo, "x", "", "Kontsert 6.");
        let (steps, requests) = dry_change(&repo, "2026-06-30 10:20");
        assert_eq!(steps, [step("notice", None)]);
        publish(&repo, "2026-06-30 10:20", &ENV).assert_code(0);
        let sent = requests_after(&server, before).await;
        assert_eq!(
            sent.iter().map(line).collect::<Vec<_>>(),
            ["POST /2/tweets"]
        );
        let notice: Value = serde_json::from_slice(&sent[0].body).unwrap();
        assert!(notice.get("edit_options").is_none(), "{notice}");
        assert_eq!(requests[0].1, notice);
    }
}
