//! `herald preview`: the Markdown summary (the pull-request comment) and the page's basic
//! promises.

use crate::harness::{Repo, TINY_PNG};

fn fixture() -> Repo {
    let repo = Repo::new();
    repo.write(
        "announcements/kutse.et.md",
        "---\ntitle: Kutse | linnapäevale\npublish_at: 2026-06-30 10:00\nchannels: [record_et, mastodon_et]\n---\nTule linnapäevale!\n",
    )
    .write("announcements/long.en.md", &format!("---\ntitle: Long\nthread: false\nchannels: [record_en]\n---\n{}\n", "word ".repeat(120)));
    repo.approve("announcements/kutse.et.md");
    repo
}

#[test]
fn the_markdown_summary_is_the_comment_with_every_post() {
    let repo = fixture();
    let run = repo.run(&[
        "preview",
        "--format",
        "markdown",
        "--at",
        "2026-06-30 09:00",
    ]);
    run.assert_code(1);
    let words = "word ".repeat(120);
    let words = words.trim_end();
    assert_eq!(
        run.stdout,
        format!(
            "<!-- herald-preview -->\n\
         ## Herald preview\n\
         \n\
         2 announcements in 2 language versions, with 3 posts: 2 will go out, 1 is held back, 0 already went out. **1 problem to fix**.\n\
         \n\
         The full preview page, with every post as it will look, is attached to this check's workflow run (under Artifacts).\n\
         \n\
         ### To fix before it can go out\n\
         \n\
         - `announcements/long.en.md`, line 6: too long for `record_en`: 605 of 500 characters; shorten the text, add a `summary`, or set `thread: auto`\n\
         \n\
         ### Kutse \\| linnapäevale · et\n\
         \n\
         - File: `announcements/kutse.et.md`\n\
         - Approval: approved\n\
         - Planned time: Tuesday 30 June 2026, 10:00 (Europe/Tallinn)\n\
         - Status: scheduled for Tuesday 30 June 2026, 10:00 (Europe/Tallinn)\n\
         \n\
         <details><summary><b>record_et</b> · 40 of 500 characters · ✓</summary>\n\
         \n\
         ```\n\
         Kutse | linnapäevale\n\
         \n\
         Tule linnapäevale!\n\
         ```\n\
         \n\
         </details>\n\
         \n\
         <details><summary><b>mastodon_et</b> · 40 of 500 characters · ✓</summary>\n\
         \n\
         ```\n\
         Kutse | linnapäevale\n\
         \n\
         Tule linnapäevale!\n\
         ```\n\
         \n\
         </details>\n\
         \n\
         ### Long · en\n\
         \n\
         - File: `announcements/long.en.md`\n\
         - Approval: draft (not approved)\n\
         - Planned time: none (`publish_at` is not set)\n\
         - Status: not going out: draft (not approved)\n\
         \n\
         <details><summary><b>record_en</b> · 605 of 500 characters, over the limit · ✗</summary>\n\
         \n\
         ```\n\
         Long\n\
         \n\
         {words}\n\
         ```\n\
         \n\
         - ✗ too long for `record_en`: 605 of 500 characters; shorten the text, add a `summary`, or set `thread: auto`\n\
         \n\
         </details>\n"
        )
    );
}

#[test]
fn the_page_is_self_contained_and_written_even_when_check_fails() {
    let repo = fixture();
    repo.write("announcements/pic.png", "not a real png");
    let out = tempfile::tempdir().unwrap();
    let run = repo.run(&[
        "preview",
        "--out",
        out.path().to_str().unwrap(),
        "--outside-root",
        "--at",
        "2026-06-30 09:00",
    ]);
    run.assert_code(1);
    let page = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(page.contains("<h1>What Herald will publish</h1>"));
    assert_eq!(page.matches("<article class=\"card").count(), 3);
    assert!(page.contains("Kutse | linnapäevale"));
    assert!(page.contains("605 of 500"));
    assert!(page.contains("scheduled for 2026-06-30 10:00 (+03:00)"));
    // Nothing is fetched from anywhere: no external URLs in src/href attributes.
    for attr in ["src=\"http", "href=\"http", "<script", "<link "] {
        assert!(!page.contains(attr), "the page loads something: {attr}");
    }
}

#[test]
fn the_page_is_written_outside_the_repository_only_when_asked() {
    let repo = fixture();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().to_str().unwrap();
    let run = repo.run(&["preview", "--out", target]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("is outside the repository") && run.stderr.contains("--outside-root"),
        "{}",
        run.stderr
    );
    assert!(!out.path().join("index.html").exists());
    // A folder inside that is a link to one outside is outside too.
    std::os::unix::fs::symlink(out.path(), repo.path().join("site")).unwrap();
    let inside = repo.path().join("site/preview");
    repo.run(&["preview", "--out", inside.to_str().unwrap()])
        .assert_code(2);
    assert!(!out.path().join("preview").exists());
}

/// The page's problem boxes (`<div class="diagnostics …">…</div>`), one a line.
fn problem_boxes(page: &str) -> Vec<&str> {
    page.lines()
        .filter(|l| l.starts_with("<div class=\"diagnostics"))
        .collect()
}

#[test]
fn the_page_says_each_problem_in_words_with_its_place_and_then_as_editors_write_it() {
    let repo = Repo::new();
    repo.write(
        "announcements/bad.en.md",
        &format!(
            "---\ntitle: Bad\ntitel: Typo\npublish_at: soon\nchannels: [record_en]\n---\n{}\n",
            "word ".repeat(120)
        ),
    );
    let out = tempfile::tempdir().unwrap();
    let run = repo.run(&[
        "preview",
        "--out",
        out.path().to_str().unwrap(),
        "--outside-root",
        "--at",
        "2026-06-30 09:00",
    ]);
    run.assert_code(1);
    let page = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert_eq!(
        problem_boxes(&page),
        [
            "<div class=\"diagnostics bad\"><h3>To fix before it can go out</h3><ul>\
          <li class=\"bad\"><span class=\"what\">Line 3 of <code>announcements/bad.en.md</code>: \
          unknown field <code>titel</code>; did you mean <code>title</code>?</span> \
          <span class=\"where\">announcements/bad.en.md:3:1</span></li>\
          <li class=\"bad\"><span class=\"what\">Line 4, column 13 of <code>announcements/bad.en.md</code>: \
          <code>publish_at</code>: <code>soon</code> is not a date and time Herald understands; \
          write local time as <code>2026-06-30 10:00</code> or a full time with offset as \
          <code>2026-06-30T10:00:00+03:00</code></span> \
          <span class=\"where\">announcements/bad.en.md:4:13</span></li></ul></div>"
        ]
    );
    assert!(!page.contains("bad.en.md:3:1: error"), "{page}");
}

/// Channels with the account's name and handle, and one without.
const NETWORKS: &str = r#"
[channels.x_en]
kind = "x"
lang = "en"
display_name = "City of Tartu"
handle = "tartu"
consumer_key_env = "X_CONSUMER_KEY"
consumer_secret_env = "X_CONSUMER_SECRET"
access_token_env = "X_ACCESS_TOKEN"
access_token_secret_env = "X_ACCESS_TOKEN_SECRET"

[channels.mastodon_en]
kind = "mastodon"
lang = "en"
display_name = "Tartu linn"
handle = "@herald@mastodon.social"
base_url = "https://mastodon.social"
token_env = "TEST_MASTODON_TOKEN"

[channels.bluesky_en]
kind = "bluesky"
lang = "en"
service = "https://bsky.social"
identifier = "city.bsky.social"
password_env = "BLUESKY_APP_PASSWORD"
"#;

/// The page `herald preview` writes for `repo` at `at`.
fn page_of(repo: &Repo, at: &str) -> String {
    let out = tempfile::tempdir().unwrap();
    repo.run(&[
        "preview",
        "--out",
        out.path().to_str().unwrap(),
        "--outside-root",
        "--at",
        at,
    ]);
    std::fs::read_to_string(out.path().join("index.html")).unwrap()
}

/// The card of `channel` on `page`, from `<article` to `</article>`.
fn card_of<'p>(page: &'p str, channel: &str) -> &'p str {
    let start = page
        .find(&format!("data-channel=\"{channel}\""))
        .and_then(|i| page[..i].rfind("<article"))
        .unwrap_or_else(|| panic!("no card for {channel}:\n{page}"));
    let end = start + page[start..].find("</article>").unwrap();
    &page[start..end]
}

/// The lines of `card` that start with `prefix`.
fn lines<'c>(card: &'c str, prefix: &str) -> Vec<&'c str> {
    card.lines().filter(|l| l.starts_with(prefix)).collect()
}

#[test]
fn a_card_looks_like_the_networks_post() {
    let repo = Repo::with_config(NETWORKS);
    repo.write(
        "announcements/fair.en.md",
        "---\ntitle: Fair\npublish_at: 2026-06-30 10:00\nchannels: [x_en, mastodon_en, bluesky_en]\n\
         link: https://www.tartu.ee/en/news/city-fair-2026-programme-and-map\n---\n\
         Come to the #CityFair with @kadri and @herald@mastodon.social!\n",
    );
    repo.approve("announcements/fair.en.md");
    let page = page_of(&repo, "2026-06-30 09:00");

    // X: the display name, the handle with its `@`, the link as X shows it.
    let x = card_of(&page, "x_en");
    assert_eq!(
        lines(x, "<header>"),
        [
            "<header><span class=\"avatar\" aria-hidden=\"true\">C</span><span class=\"who\">\
          <strong class=\"name\">City of Tartu</strong> <span class=\"handle\">@tartu</span></span></header>"
        ]
    );
    // The status says which channel it is, since the header now says the account.
    assert_eq!(
        lines(x, "<p class=\"status\">"),
        [
            "<p class=\"status\"><span class=\"state scheduled\">scheduled for 2026-06-30 10:00 (+03:00)</span> \
          <span class=\"channel\">x_en · X</span></p>"
        ]
    );
    let text = |card: &str| {
        let start = card.find("<p class=\"text\">").unwrap();
        card[start..start + card[start..].find("</p>").unwrap() + 4].to_owned()
    };
    let tagged = "<p class=\"text\">Fair<br><br>Come to the <span class=\"tag\">#CityFair</span> with \
                  <span class=\"mention\">@kadri</span> and <span class=\"mention\">@herald@mastodon.social</span>!<br><br>";
    let long = "https://www.tartu.ee/en/news/city-fair-2026-programme-and-map";
    assert_eq!(
        text(x),
        format!(
            "{tagged}<span class=\"link\" title=\"{long}\">tartu.ee/en/news/city-f…</span></p>"
        )
    );
    // The count is what X counts (a link is 23), whatever the link looks like.
    assert!(x.contains("<span>93 of 280</span>"), "{x}");
    let mastodon = card_of(&page, "mastodon_en");
    assert_eq!(
        lines(mastodon, "<header>"),
        [
            "<header><span class=\"avatar\" aria-hidden=\"true\">T</span><span class=\"who\">\
          <strong class=\"name\">Tartu linn</strong> <span class=\"handle\">@herald@mastodon.social</span></span></header>"
        ]
    );
    assert_eq!(
        text(mastodon),
        format!(
            "{tagged}<span class=\"link\" title=\"{long}\">tartu.ee/en/news/city-fair-202…</span></p>"
        )
    );
    // Without a name and handle: the channel's name and the network's; links whole.
    let bluesky = card_of(&page, "bluesky_en");
    assert_eq!(
        lines(bluesky, "<header>"),
        [
            "<header><span class=\"avatar\" aria-hidden=\"true\">B</span><span class=\"who\">\
          <strong class=\"name\">bluesky_en</strong> <span class=\"handle\">Bluesky</span></span></header>"
        ]
    );
    assert_eq!(
        lines(bluesky, "<p class=\"status\">"),
        [
            "<p class=\"status\"><span class=\"state scheduled\">scheduled for 2026-06-30 10:00 (+03:00)</span></p>"
        ]
    );
    assert_eq!(
        text(bluesky),
        format!("{tagged}<span class=\"link\">{long}</span></p>")
    );
    // What is sent is the whole link.
    let dry = repo.run(&["publish", "--dry-run", "--at", "2026-06-30 10:00"]);
    assert_eq!(dry.stdout.matches(long).count(), 3, "{}", dry.stdout);
    assert!(!dry.stdout.contains('…'), "{}", dry.stdout);
}

#[test]
fn a_thread_is_joined_and_the_link_card_is_on_the_part_the_network_shows_it_on() {
    let repo = Repo::with_config(NETWORKS);
    let body: Vec<String> = (1..16)
        .map(|i| format!("Sentence number {i} is here."))
        .collect();
    repo.write(
        "announcements/long.en.md",
        &format!(
            "---\ntitle: Long\npublish_at: 2026-06-30 10:00\nthread: auto\nchannels: [x_en, bluesky_en]\n\
             link: https://tartu.ee/long\n---\n{}\n\nMore: https://tartu.ee/long\n",
            body.join(" ")
        ),
    );
    let page = page_of(&repo, "2026-06-30 09:00");
    // The parts, and after which the card comes: X builds it from the link in part 2,
    // Herald sends Bluesky's with part 1.
    let shape = |card: &str| -> Vec<String> {
        card.split('<')
            .filter_map(|tag| {
                if tag.starts_with("div class=\"parts") {
                    Some(tag.split('>').next().unwrap().to_owned())
                } else if tag.starts_with("div class=\"part\"") {
                    Some("part".into())
                } else if tag.starts_with("div class=\"link-card\"") {
                    Some("card".into())
                } else {
                    None
                }
            })
            .collect()
    };
    assert_eq!(
        shape(card_of(&page, "x_en")),
        ["div class=\"parts thread\"", "part", "part", "card"]
    );
    assert_eq!(
        shape(card_of(&page, "bluesky_en")),
        ["div class=\"parts thread\"", "part", "card", "part"]
    );
}

#[test]
fn images_take_the_shape_and_crop_of_each_network() {
    let repo = Repo::with_config(NETWORKS);
    std::fs::create_dir_all(repo.path().join("announcements/images")).unwrap();
    std::fs::write(repo.path().join("announcements/images/a.png"), TINY_PNG).unwrap();
    std::fs::write(repo.path().join("announcements/images/b.png"), TINY_PNG).unwrap();
    let images = |n: usize| {
        (0..n)
            .map(|i| {
                format!(
                    "  - path: announcements/images/{}.png\n    alt: Dot {i}\n",
                    ["a", "b"][i]
                )
            })
            .collect::<String>()
    };
    for (id, n) in [("one", 1), ("two", 2)] {
        repo.write(
            &format!("announcements/{id}.en.md"),
            &format!(
                "---\ntitle: {id}\npublish_at: 2026-06-30 10:00\nchannels: [x_en, mastodon_en, bluesky_en]\nimages:\n{}---\nText.\n",
                images(n)
            ),
        );
    }
    let page = page_of(&repo, "2026-06-30 09:00");
    let media = |id: &str, channel: &str| -> String {
        let card = page
            .split("<article ")
            .find(|a| {
                a.contains(&format!("data-id=\"{id}\""))
                    && a.contains(&format!("data-channel=\"{channel}\""))
            })
            .unwrap_or_else(|| panic!("no card {id} {channel}"));
        let start = card.find("<div class=\"media").expect("media");
        card[start..start + card[start..].find('>').unwrap() + 1].to_owned()
    };
    // One square image: X cuts it to 16:9, Mastodon and Bluesky show it square.
    assert_eq!(
        media("one", "x_en"),
        "<div class=\"media fitted n-1\" style=\"aspect-ratio: 1.7778\">"
    );
    assert_eq!(
        media("one", "mastodon_en"),
        "<div class=\"media fitted n-1\" style=\"aspect-ratio: 1.0000\">"
    );
    assert_eq!(
        media("one", "bluesky_en"),
        "<div class=\"media fitted n-1\" style=\"aspect-ratio: 1.0000\">"
    );
    // Two: each network's grid.
    assert_eq!(
        media("two", "x_en"),
        "<div class=\"media fitted n-2\" style=\"aspect-ratio: 16 / 9\">"
    );
    assert_eq!(
        media("two", "mastodon_en"),
        "<div class=\"media fitted n-2\" style=\"aspect-ratio: 3 / 2\">"
    );
    assert_eq!(
        media("two", "bluesky_en"),
        "<div class=\"media fitted n-2\" style=\"aspect-ratio: 2 / 1\">"
    );
    assert!(page.contains("<li>Alt text: Dot 1</li>"), "{page}");
}
