//! The `feed` kind: RSS 2.0, Atom and JSON Feed files, validated by real parsers and
//! schemas (`tests/feeds/validate.py`, run with the Python that
//! `scripts/peers/feed-tools.sh` installs), deterministic, and whole after a crash.

use crate::harness::{Repo, project_root};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const DIR: &str = "public/feed/en";
const FILES: [&str; 3] = ["rss.xml", "atom.xml", "feed.json"];
const PHASE_1: &str = "tag:www.interregeurope.eu,2022-06-30:better/en/2022-06-30-better-phase-1";
const STUDY_VISIT: &str =
    "tag:www.interregeurope.eu,2022-09-14:better/en/2022-09-14-better-study-visit";

/// Runs the validator on `dir`; fails the test with every problem it lists.
pub fn validate(dir: &Path) -> Value {
    let python = std::env::var("HERALD_TEST_FEED_PYTHON").unwrap_or_else(|_| {
        panic!(
            "HERALD_TEST_FEED_PYTHON is not set: run the tests with ./scripts/test, or set it to \
             what `scripts/peers/feed-tools.sh` prints"
        )
    });
    let out = Command::new(&python)
        .arg(project_root().join("tests/feeds/validate.py"))
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(
        out.status.success(),
        "the feeds in {} are not valid:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the validator prints JSON")
}

fn publish(repo: &Repo, at: &str, extra: &[&str]) -> Value {
    let mut args = vec!["publish", "--format", "json", "--at", at];
    args.extend(extra);
    repo.run(&args).assert_code(0).json()
}

/// The examples published at their own times on the feed channel only.
fn published_examples() -> Repo {
    let repo = Repo::examples("");
    let first = publish(&repo, "2022-06-30 10:30", &["--channel", "website_en"]);
    assert_eq!(first["rows"][0]["result"], "posted", "{first:#}");
    assert_eq!(
        first["rows"][0]["urls"][0],
        "https://www.interregeurope.eu/better/"
    );
    let second = publish(&repo, "2022-09-14 10:30", &["--channel", "website_en"]);
    assert_eq!(second["rows"][0]["result"], "posted", "{second:#}");
    repo
}

fn files(repo: &Repo) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = FILES.iter().map(|f| format!("{DIR}/{f}")).collect();
    names.extend([
        format!("{DIR}/.entries/2022-06-30-better-phase-1.json"),
        format!("{DIR}/.entries/2022-09-14-better-study-visit.json"),
    ]);
    names
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(repo.path().join(&n))
                .unwrap_or_else(|e| panic!("{n} was not written: {e}"));
            (n, bytes)
        })
        .collect()
}

#[test]
fn publishing_the_examples_writes_rss_atom_and_json_feed_that_readers_accept() {
    let repo = published_examples();
    let seen = validate(&repo.path().join(DIR));
    for format in ["rss", "atom", "json"] {
        let feed = &seen[format];
        assert_eq!(feed["title"], "BETTER project news", "{format}");
        assert_eq!(
            feed["link"], "https://www.interregeurope.eu/better/",
            "{format}"
        );
        assert_eq!(feed["language"], "en", "{format}");
        let entries = feed["entries"].as_array().unwrap();
        // Newest first; ids that never change (RFC 4151 tags), the same in every format.
        let ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [STUDY_VISIT, PHASE_1], "{format}");
        let visit = &entries[0];
        assert_eq!(
            visit["title"],
            "BETTER partners visit Tartu: e-governance and local innovation ties"
        );
        assert_eq!(visit["title_type"], "text/plain", "{format}");
        assert_eq!(
            visit["link"],
            "https://www.interregeurope.eu/better/news/study-visit-tartu-2022/"
        );
        // 2022-09-14 10:00 in Tallinn.
        assert_eq!(visit["published"], "2022-09-14T07:00:00Z", "{format}");
        assert_eq!(entries[1]["published"], "2022-06-30T07:00:00Z", "{format}");
        assert_eq!(
            visit["tags"],
            serde_json::json!(["InterregEurope", "BETTER", "Tartu"])
        );
        let html = if format == "rss" {
            visit["summary"].as_str().unwrap()
        } else {
            visit["content"][0].as_str().unwrap()
        };
        assert!(
            html.starts_with("<p>As BETTER moves from planning to action"),
            "{format}: {html}"
        );
    }
    assert_eq!(seen["atom"]["author"], "BETTER project news");
    assert!(
        seen["atom"]["entries"][0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("On 5–6 October 2022")
    );
    let atom = repo.read(&format!("{DIR}/atom.xml"));
    assert!(atom.contains(
        r#"<link href="https://www.interregeurope.eu/better/feed/en/atom.xml" rel="self" type="application/atom+xml"/>"#
    ));
    assert!(atom.contains("<updated>2022-09-14T07:00:00+00:00</updated>\n  <author>"));
    let rss = repo.read(&format!("{DIR}/rss.xml"));
    assert!(rss.contains("<pubDate>Wed, 14 Sep 2022 07:00:00 +0000</pubDate>"));
    assert!(rss.contains(&format!(
        r#"<guid isPermaLink="false">{STUDY_VISIT}</guid>"#
    )));
    // The ledger records the entry id and its address, for `status`.
    let ledger = repo.read("state/ledger.jsonl");
    assert!(ledger.contains(&format!(r#""remote_id":"{PHASE_1}""#)));
}

#[test]
fn the_same_announcements_give_the_same_bytes_in_any_clone_and_any_order() {
    let one = published_examples();
    let reference = files(&one);
    // Publishing again changes nothing.
    let again = publish(&one, "2022-09-14 11:00", &["--channel", "website_en"]);
    assert_eq!(again["rows"], serde_json::json!([]));
    assert_eq!(files(&one), reference);
    // Another clone, the same runs.
    assert_eq!(files(&published_examples()), reference);
    // Both in one late run: the files depend on the entries, not on when they were written.
    let both = Repo::examples("");
    let run = publish(
        &both,
        "2022-09-14 10:30",
        &["--channel", "website_en", "--allow-late"],
    );
    assert_eq!(run["summary"]["posted"], 2, "{run:#}");
    assert_eq!(files(&both), reference);
}

#[test]
fn a_crash_between_the_entry_and_the_feed_files_is_repaired_by_the_next_run() {
    let reference = files(&published_examples());
    let repo = published_examples();
    // The state a crash right after writing the second snapshot leaves: the ledger has
    // `started` without `posted`, and the feed files are not (all) written.
    let ledger = repo.read("state/ledger.jsonl");
    let kept: Vec<&str> = ledger
        .lines()
        .filter(|l| !(l.contains(r#""event":"posted""#) && l.contains("study-visit")))
        .collect();
    assert_eq!(kept.len(), 3);
    repo.write("state/ledger.jsonl", &(kept.join("\n") + "\n"));
    for f in ["rss.xml", "atom.xml"] {
        std::fs::remove_file(repo.path().join(DIR).join(f)).unwrap();
    }
    let status = repo.json(&["status"], 0);
    assert!(status.to_string().contains("in_doubt"), "{status:#}");
    // The feed sender is idempotent: the engine writes the entry again instead of asking.
    let rerun = publish(&repo, "2022-09-15 09:00", &["--channel", "website_en"]);
    assert_eq!(rerun["rows"][0]["result"], "posted", "{rerun:#}");
    assert_eq!(files(&repo), reference);
    let seen = validate(&repo.path().join(DIR));
    assert_eq!(seen["atom"]["entries"].as_array().unwrap().len(), 2);
}

#[test]
fn markup_and_cdata_ends_in_titles_and_bodies_come_back_as_text() {
    let repo = Repo::with_config(
        "[channels.site]\nkind = \"feed\"\nlang = \"et\"\ntitle = \"Linn & <Uudised>\"\nsite_url = \"https://example.org/news/\"\nauthor = \"Press ]]> office\"\n",
    );
    // A template that puts a literal `]]>` into the content, which a CDATA section must
    // not end at.
    repo.write(
        "templates/feed/item.html.hbs",
        "{{{body_html}}}\n<p>raw ]]> end</p>\n",
    );
    let title = r#"<script>alert("x")</script> & ]]> done"#;
    repo.write(
        "announcements/a.et.md",
        &format!(
            "---\ntitle: '{title}'\nsummary: 'A & B <i>c</i> ]]>'\npublish_at: 2026-06-30 10:00\nchannels: [site]\n---\nBody <script>alert(1)</script> & ]]> here.\n"
        ),
    );
    repo.approve("announcements/a.et.md");
    let run = publish(&repo, "2026-06-30 10:05", &[]);
    assert_eq!(run["rows"][0]["result"], "posted", "{run:#}");
    assert_eq!(
        run["rows"][0]["urls"][0], "https://example.org/news/#a",
        "without a `link` the entry points into the site"
    );
    let seen = validate(&repo.path().join("public/feed/et"));
    for format in ["rss", "atom", "json"] {
        assert_eq!(seen[format]["title"], "Linn & <Uudised>", "{format}");
        let entry = &seen[format]["entries"][0];
        assert_eq!(entry["title"], title, "{format}");
        let html = if format == "rss" {
            entry["summary"].as_str().unwrap()
        } else {
            entry["content"][0].as_str().unwrap()
        };
        // The body's raw HTML is text, never markup; the template's `]]>` survives.
        assert!(
            html.contains("Body &lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt; here."),
            "{format}: {html}"
        );
        assert!(!html.contains("<script"), "{format}: {html}");
        // As written, or with `>` escaped: the same HTML either way.
        assert!(
            html.contains("<p>raw ]]> end</p>") || html.contains("<p>raw ]]&gt; end</p>"),
            "{format}: {html}"
        );
    }
    assert_eq!(seen["atom"]["author"], "Press ]]> office");
    assert_eq!(seen["atom"]["entries"][0]["summary"], "A & B <i>c</i> ]]>");
}

#[test]
fn the_dry_run_shows_the_files_and_the_entry_and_writes_nothing() {
    let repo = Repo::examples("");
    let before = repo.snapshot();
    let doc = repo
        .run(&[
            "publish",
            "--dry-run",
            "--format",
            "json",
            "--at",
            "2022-06-30 10:30",
            "--channel",
            "website_en",
        ])
        .assert_code(0)
        .json();
    let request = &doc["due"][0]["requests"][0];
    assert_eq!(
        request["action"],
        "WRITE public/feed/en/.entries/2022-06-30-better-phase-1.json, then public/feed/en/rss.xml, public/feed/en/atom.xml, public/feed/en/feed.json from every entry"
    );
    assert_eq!(request["body"]["entry"]["tag"], PHASE_1);
    assert_eq!(
        request["body"]["entry"]["published"],
        "2022-06-30T07:00:00Z"
    );
    assert_eq!(
        request["body"]["feed"]["atom"],
        "https://www.interregeurope.eu/better/feed/en/atom.xml"
    );
    assert_eq!(repo.snapshot(), before);
}

#[test]
fn the_entry_written_is_the_entry_the_dry_run_shows() {
    let repo = Repo::examples("");
    let at = "2022-06-30 10:30";
    let args = [
        "publish",
        "--format",
        "json",
        "--at",
        at,
        "--channel",
        "website_en",
    ];
    let dry = repo
        .run(&[&["publish", "--dry-run"], &args[1..]].concat())
        .assert_code(0)
        .json();
    let shown = dry["due"][0]["requests"][0]["body"]["entry"].clone();
    repo.run(&args).assert_code(0);
    let written: Value =
        serde_json::from_str(&repo.read(&format!("{DIR}/.entries/2022-06-30-better-phase-1.json")))
            .unwrap();
    assert_eq!(written, shown);
}

#[test]
fn doctor_counts_the_entries_and_notices_feed_files_out_of_step() {
    let repo = published_examples();
    let doctor = |code| {
        let doc = repo.json(&["doctor", "--channel", "website_en"], code);
        doc[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{}: {}",
                    f["level"].as_str().unwrap(),
                    f["message"].as_str().unwrap()
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        doctor(0),
        [
            "ok: public/feed/en can be written",
            "info: 2 entries in public/feed/en/.entries",
            "ok: the feed files match their entries",
        ]
    );
    std::fs::remove_file(repo.path().join(DIR).join("feed.json")).unwrap();
    assert!(doctor(0)[2].starts_with("warning: feed.json missing or not what the entries give"));
}

#[test]
fn a_feed_folder_that_links_out_of_the_repository_is_not_written() {
    let repo = Repo::examples("");
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("public")).unwrap();
    let run = repo.run(&[
        "publish",
        "--channel",
        "website_en",
        "--format",
        "json",
        "--at",
        "2022-06-30 10:30",
    ]);
    run.assert_code(1);
    let report = run.json();
    let detail = report["rows"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("is outside the repository"), "{detail}");
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "nothing was written outside"
    );
}
