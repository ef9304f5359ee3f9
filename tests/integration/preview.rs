//! `herald preview`: the Markdown summary (snapshot) and the page's basic promises.

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
fn the_markdown_summary_is_a_table_of_every_post() {
    let repo = fixture();
    let run = repo.run(&[
        "preview",
        "--format",
        "markdown",
        "--at",
        "2026-06-30 09:00",
    ]);
    run.assert_code(1);
    assert_eq!(
        run.stdout,
        "<!-- herald-preview -->\n## Herald preview\n\n\
         2 announcement files, 3 posts, **1 problem(s)**.\n\n\
         | Announcement | Lang | State | Channel | Length | Problems |\n\
         | --- | --- | --- | --- | --- | --- |\n\
         | kutse | et | approved | record_et | 40/500 | ✓ |\n\
         | kutse | et | approved | mastodon_et | 40/500 | ✓ |\n\
         | long | en | draft (not approved) | record_en | 605/500 | too long for `record_en`: 605 of 500 characters; shorten the text, add a `summary`, or set `thread: auto` |\n"
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
