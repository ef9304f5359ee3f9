//! Templates: repository overrides replace the built-ins; strict mode catches typos.

use crate::harness::{Repo, message_at};

const POST: &str = "---\ntitle: Hello Tartu\npublish_at: 2026-06-30 10:00\nchannels: [record_en]\nlink: https://example.org/news\ntags: [Tartu, News]\n---\nThe body text.\n";

fn first_text(doc: &serde_json::Value) -> String {
    doc["announcements"][0]["posts"][0]["parts"][0]["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_built_in_template_renders_title_text_link_and_hashtags() {
    let repo = Repo::new();
    repo.write("announcements/hello.en.md", POST);
    let doc = repo.json(&["check"], 0);
    assert_eq!(
        first_text(&doc),
        "Hello Tartu\n\nThe body text.\n\nhttps://example.org/news\n\n#Tartu #News"
    );
    assert_eq!(
        doc["announcements"][0]["posts"][0]["parts"][0]["length"],
        first_text(&doc).chars().count()
    );
}

#[test]
fn an_override_replaces_the_default_for_that_kind_only() {
    let repo = Repo::new();
    repo.write("announcements/hello.en.md", POST).write(
        "templates/record/post.txt.hbs",
        "NEWS: {{title}} <{{link}}> {{channel.name}}\n",
    );
    let doc = repo.json(&["check"], 0);
    // plain-text templates do not HTML-escape
    assert_eq!(
        first_text(&doc),
        "NEWS: Hello Tartu <https://example.org/news> record_en"
    );
}

#[test]
fn a_typo_in_a_template_fails_check_at_its_line() {
    let repo = Repo::new();
    repo.write("announcements/hello.en.md", POST)
        .write("templates/record/post.txt.hbs", "{{title}}\n\n{{titel}}\n");
    let run = repo.run(&["check", "--format", "json"]);
    run.assert_code(1);
    let doc = run.json();
    let msg = message_at(&doc, "templates/record/post.txt.hbs", 3, 1);
    assert!(msg.contains("unknown name `titel`"), "{msg}");
    assert_eq!(doc["announcements"][0]["posts"][0]["ok"], false);
}

#[test]
fn a_template_syntax_error_is_located_and_a_misnamed_file_is_reported() {
    let repo = Repo::new();
    repo.write("announcements/hello.en.md", POST)
        .write("templates/record/post.txt.hbs", "{{title}\n")
        .write("templates/mastodon/post.hbs", "{{title}}\n");
    let run = repo.run(&["check"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("templates/record/post.txt.hbs:1:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("templates/mastodon/post.hbs: warning: this template is never used: Herald reads post.txt.hbs"),
        "{}",
        run.stdout
    );
}

#[test]
fn html_outputs_escape_and_text_outputs_do_not() {
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &format!(
            "{}\n[channels.tg]\nkind = \"telegram\"\nlang = \"en\"\nchat_id = \"@city\"\ntoken_env = \"TG\"\n",
            crate::harness::BASE_CONFIG
        ),
    )
    .write("announcements/amp.en.md", "---\ntitle: Tom & Jerry <3\nchannels: all\n---\nBody.\n");
    let doc = repo.json(&["check"], 0);
    let posts = doc["announcements"][0]["posts"].as_array().unwrap();
    let text_of = |name: &str| {
        posts.iter().find(|p| p["channel"] == name).unwrap()["parts"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(text_of("record_en").starts_with("Tom & Jerry <3\n"));
    assert!(
        text_of("tg").starts_with("<b>Tom &amp; Jerry &lt;3</b>\n"),
        "{}",
        text_of("tg")
    );
    // Telegram counts what the reader sees, not the markup.
    let tg = posts.iter().find(|p| p["channel"] == "tg").unwrap();
    assert_eq!(tg["parts"][0]["length"], "Tom & Jerry <3\n\nBody.".len());
}

/// The texts of every part of the first announcement's post on `channel`.
fn parts_on(doc: &serde_json::Value, channel: &str) -> Vec<(String, u64)> {
    doc["announcements"][0]["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["channel"] == channel)
        .unwrap_or_else(|| panic!("a post on {channel}: {doc:#}"))["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["text"].as_str().unwrap().to_owned(),
                p["length"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_link_the_text_already_shows_is_not_appended_again() {
    // (the `link` field, the body, its plain text, whether the link is appended)
    let cases = [
        (
            "https://example.org/news",
            "Read it at https://example.org/news.",
            None,
            false,
        ),
        (
            "https://example.org/news",
            "Read it at https://example.org/news/ today.",
            None,
            false,
        ),
        (
            "https://example.org/blog/",
            "Read [the news](https://example.org/blog) today.",
            Some("Read the news (https://example.org/blog) today."),
            false,
        ),
        (
            "https://example.org/news",
            "(See <https://example.org/news>.)",
            Some("(See https://example.org/news.)"),
            false,
        ),
        (
            "https://example.org/news",
            "Read it at HTTPS://EXAMPLE.ORG/news!",
            None,
            false,
        ),
        (
            "https://näide.ee/uudis",
            "Loe https://xn--nide-loa.ee/uudis.",
            None,
            false,
        ),
        (
            "https://example.org/news",
            "Read it at http://example.org/news.",
            None,
            true,
        ),
        (
            "https://example.org/news",
            "Read it at https://www.example.org/news.",
            None,
            true,
        ),
        (
            "https://example.org/news",
            "Read it at example.org/news.",
            None,
            true,
        ),
        (
            "https://example.org/news",
            "Read it at https://example.org/news/2026.",
            None,
            true,
        ),
        (
            "https://example.org/news",
            "Read it at https://example.org/newsletter.",
            None,
            true,
        ),
        (
            "https://example.org/news",
            "Read it at https://example.org/news?utm_source=x.",
            None,
            true,
        ),
        (
            "https://example.org/news",
            "Read it at https://example.org/news#map.",
            None,
            true,
        ),
        (
            "https://example.org/news",
            "Read the [news](https://example.org/other).",
            Some("Read the news (https://example.org/other)."),
            true,
        ),
    ];
    for (link, body, plain, appended) in cases {
        let repo = Repo::new();
        repo.write(
            "announcements/hello.en.md",
            &format!(
                "---\ntitle: Hello Tartu\npublish_at: 2026-06-30 10:00\nchannels: [record_en]\nlink: {link}\ntags: [Tartu]\n---\n{body}\n"
            ),
        );
        let doc = repo.json(&["check"], 0);
        let plain = plain.unwrap_or(body);
        let expected = if appended {
            format!("Hello Tartu\n\n{plain}\n\n{link}\n\n#Tartu")
        } else {
            format!("Hello Tartu\n\n{plain}\n\n#Tartu")
        };
        assert_eq!(first_text(&doc), expected, "link {link:?}, body {body:?}");
    }
}

#[test]
fn a_link_in_the_title_is_not_appended_and_templates_can_still_show_it() {
    let repo = Repo::new();
    repo.write(
        "announcements/hello.en.md",
        "---\ntitle: New at https://example.org/news\npublish_at: 2026-06-30 10:00\nchannels: [record_en]\nlink: https://example.org/news\n---\nThe body text.\n",
    );
    let doc = repo.json(&["check"], 0);
    assert_eq!(
        first_text(&doc),
        "New at https://example.org/news\n\nThe body text."
    );
    repo.write(
        "templates/record/post.txt.hbs",
        "{{text}} [{{link}}|{{canonical_link}}|{{link_in_text}}]\n",
    );
    let doc = repo.json(&["check"], 0);
    assert_eq!(
        first_text(&doc),
        "The body text. [|https://example.org/news|true]"
    );
}

#[test]
fn email_keeps_its_read_more_link_when_the_body_links_the_page() {
    let repo = Repo::with_config(
        "[channels.list]\nkind = \"email\"\nlang = \"en\"\nfrom = \"City <news@example.org>\"\nsmtp_host = \"smtp.example.org\"\nsmtp_user = \"news@example.org\"\npassword_env = \"P\"\nsubscribers_env = \"LIST_CSV\"\nlist_id = \"news.example.org\"\nunsubscribe_url = \"https://example.org/u/{token}\"\nsecret_env = \"LIST_SECRET\"\n",
    );
    repo.write(
        "announcements/hello.en.md",
        "---\ntitle: Hello Tartu\npublish_at: 2026-06-30 10:00\nchannels: [list, record_en]\nlink: https://example.org/news\n---\nRead [the news](https://example.org/news).\n",
    );
    let doc = repo.json(&["check"], 0);
    let email = &parts_on(&doc, "list")[0].0;
    assert!(
        email.starts_with(
            "Hello Tartu\n\nRead the news (https://example.org/news).\n\nhttps://example.org/news\n\n--\n"
        ),
        "{email}"
    );
    assert_eq!(
        parts_on(&doc, "record_en")[0].0,
        "Hello Tartu\n\nRead the news (https://example.org/news)."
    );
}

/// A Mastodon thread whose link is in its second paragraph: the link is in part 2 once,
/// counted as 23 characters as Mastodon counts every URL, and not appended at the end.
#[test]
fn a_thread_with_the_link_in_part_two_shows_it_once_there() {
    let link = "https://www.tartu.ee/et/uudised/talvelaat-2026-raekoja-platsil";
    let first = "Raekoja platsil avatakse laupäeval talvelaat, kus kohalikud meistrid \
                 müüvad käsitööd, soojendavaid jooke ja piparkooke. Laat on avatud iga \
                 päev kella kümnest kuueni ning pühapäeviti laulab keskpäeval koor. \
                 Lastele on plats mänguväljakuga ja jõuluvana maja. Reedeti on platsil \
                 jõulukontsert ja laupäeviti käsitöö töötuba, kuhu on oodatud kõik huvilised.";
    let second = format!(
        "Kava, kaart ja kauplejate nimekiri on linna kodulehel {link} ning seal saab \
         ka registreeruda vabatahtlikuks. Tule ise ja too sõbrad kaasa!"
    );
    let repo = Repo::new();
    repo.write(
        "announcements/talvelaat.et.md",
        &format!(
            "---\ntitle: Talvelaat\npublish_at: 2026-06-30 10:00\nchannels: [mastodon_et]\nlink: {link}\ntags: [Tartu]\nthread: auto\n---\n{first}\n\n{second}\n"
        ),
    );
    let doc = repo.json(&["check"], 0);
    let parts = parts_on(&doc, "mastodon_et");
    let texts: Vec<&str> = parts.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        texts,
        [
            format!("Talvelaat\n\n{first} 1/2"),
            format!("{second}\n\n#Tartu 2/2")
        ]
    );
    let url_chars = link.chars().count();
    assert_eq!(
        parts[1].1 as usize,
        texts[1].chars().count() - url_chars + 23
    );
}

/// X weighs a URL as 23 whatever its length, so a text that carries the link is
/// measured with it once.
#[test]
fn x_counts_the_link_in_the_text_once_as_23() {
    let link = "https://www.interregeurope.eu/better/news/study-visit-tartu-2022/";
    let repo = Repo::with_config(
        "[channels.x_en]\nkind = \"x\"\nlang = \"en\"\nconsumer_key_env = \"X_CK\"\nconsumer_secret_env = \"X_CS\"\naccess_token_env = \"X_AT\"\naccess_token_secret_env = \"X_ATS\"\n",
    );
    repo.write(
        "announcements/visit.en.md",
        &format!(
            "---\ntitle: Study visit\npublish_at: 2026-06-30 10:00\nchannels: [x_en]\nlink: {link}\ntags: [BETTER]\n---\nPartners visit Tartu ([programme]({link})).\n"
        ),
    );
    let doc = repo.json(&["check"], 0);
    let parts = parts_on(&doc, "x_en");
    let text = format!("Study visit\n\nPartners visit Tartu (programme ({link})).\n\n#BETTER");
    assert_eq!(
        parts,
        [(
            text.clone(),
            (text.chars().count() - link.len() + 23) as u64
        )]
    );
}

/// A part of a thread ends where its last sentence ends, on every network's counter,
/// for the bundled examples with their whole body (no summary).
#[test]
fn the_bundled_examples_split_at_sentence_ends() {
    let config = "[channels.x_en]\nkind = \"x\"\nlang = \"en\"\nconsumer_key_env = \"X_CK\"\nconsumer_secret_env = \"X_CS\"\naccess_token_env = \"X_AT\"\naccess_token_secret_env = \"X_ATS\"\n\n[channels.bsky_et]\nkind = \"bluesky\"\nlang = \"et\"\nservice = \"https://pds.example\"\nidentifier = \"city.example\"\npassword_env = \"BSKY\"\n\n[channels.bsky_en]\nkind = \"bluesky\"\nlang = \"en\"\nservice = \"https://pds.example\"\nidentifier = \"city.example\"\npassword_env = \"BSKY\"\n\n[channels.mastodon_en]\nkind = \"mastodon\"\nlang = \"en\"\nbase_url = \"https://mastodon.example\"\ntoken_env = \"TEST_MASTODON_TOKEN\"\n";
    let repo = Repo::with_config(config);
    let examples = crate::harness::project_root().join("announcements");
    for (file, channels) in [
        (
            "2022-06-30-better-phase-1.en.md",
            "[x_en, bsky_en, mastodon_en]",
        ),
        ("2022-06-30-better-phase-1.et.md", "[bsky_et, mastodon_et]"),
        ("2022-09-14-better-study-visit.en.md", "[x_en, bsky_en]"),
    ] {
        let text = std::fs::read_to_string(examples.join(file)).unwrap();
        let body = text.splitn(3, "---\n").nth(2).unwrap();
        repo.write(
            &format!("announcements/{file}"),
            &format!(
                "---\ntitle: Example\npublish_at: 2026-06-30 10:00\nchannels: {channels}\nlink: https://www.interregeurope.eu/better/\nthread: auto\n---\n{body}"
            ),
        );
    }
    let doc = repo.json(&["check"], 0);
    let mut threads = 0;
    for variant in doc["announcements"].as_array().unwrap() {
        for post in variant["posts"].as_array().unwrap() {
            let parts = post["parts"].as_array().unwrap();
            let n = parts.len();
            threads += usize::from(n > 1);
            for (i, part) in parts.iter().enumerate().take(n - 1) {
                let text = part["text"].as_str().unwrap();
                let body = text.strip_suffix(&format!(" {}/{n}", i + 1)).unwrap();
                assert!(
                    body.ends_with(['.', '!', '?']),
                    "{} part {}: {text:?}",
                    post["channel"],
                    i + 1
                );
                assert!(part["length"].as_u64() <= part["limit"].as_u64(), "{part}");
            }
        }
    }
    assert!(threads >= 6, "every long post is a thread: {doc:#}");
    let ends = |id: &str, channel: &str| -> Vec<String> {
        let variant = doc["announcements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| {
                a["id"] == id
                    && a["posts"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["channel"] == channel)
            })
            .unwrap();
        let post = variant["posts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["channel"] == channel)
            .unwrap();
        post["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["text"].as_str().unwrap().to_owned())
            .collect()
    };
    let phase_1 = "2022-06-30-better-phase-1";
    let expect_ends = |parts: Vec<String>, wanted: &[&str]| {
        assert_eq!(parts.len(), wanted.len(), "{parts:#?}");
        for (part, end) in parts.iter().zip(wanted) {
            assert!(part.ends_with(end), "{part:?} should end with {end:?}");
        }
    };
    // The last part keeps its sentence whole (the break before it is earlier than
    // half-way, but the thread has seven parts either way).
    expect_ends(
        ends(phase_1, "bsky_en"),
        &[
            "and Tartu (Estonia). 1/7",
            "study visits and import workshops. 2/7",
            "kept flowing between the cities. 3/7",
            "the main result of phase one. 4/7",
            "their action plans into practice. 5/7",
            "discuss how to keep cooperating. 6/7",
            "and X (https://twitter.com/InterregB). 7/7",
        ],
    );
    // Estonian ordinals (`2019. aasta`) are not sentence ends; paragraphs stay whole.
    expect_ends(
        ends(phase_1, "mastodon_et"),
        &[
            "innovatsioonisidemeid veelgi tihendada. 1/4",
            "kogemuste vahetus sellest vaesemaks. 2/4",
            "arengukavas senisest selgemalt kirjas. 3/4",
            "ja X-is (https://twitter.com/InterregB). 4/4",
        ],
    );
}
