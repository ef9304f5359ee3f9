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
