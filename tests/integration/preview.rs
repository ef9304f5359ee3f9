//! `herald preview`: the Markdown summary (the pull-request comment) and the page's basic
//! promises.

use crate::harness::Repo;

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
    assert!(page.contains("605 / 500"));
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
