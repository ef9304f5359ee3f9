//! Corrections and retractions on the `feed` kind, end to end: an approved change to a
//! posted announcement rewrites its entry (same id and publication date, `updated` and
//! `date_modified` moved to the correction), a retraction removes it (and leaves an Atom
//! `at:deleted-entry`, RFC 6721); after each the files pass the feed validators
//! (`tests/feeds/validate.py`) and are the expected bytes.

use crate::feed::validate;
use crate::harness::Repo;
use jiff::Timestamp;
use serde_json::Value;

const DIR: &str = "public/feed/en";
const CONFIG: &str = r#"
[channels.site]
kind = "feed"
lang = "en"
title = "City news"
site_url = "https://example.org/news/"
"#;
const OPENING: &str = "tag:example.org,2026-06-30:news/en/opening";
const MARKET: &str = "tag:example.org,2026-07-02:news/en/market";

fn announcement(title: &str, at: &str, body: &str, extra: &str) -> String {
    format!("---\ntitle: \"{title}\"\npublish_at: {at}\nchannels: [site]\n{extra}---\n{body}\n")
}

fn publish(repo: &Repo, at: &str) -> Value {
    repo.run(&["publish", "--format", "json", "--at", at])
        .assert_code(0)
        .json()
}

/// Two announcements posted on the feed: the opening on 30 June, the market on 2 July.
fn posted() -> Repo {
    let repo = Repo::with_config(CONFIG);
    repo.write(
        "announcements/opening.en.md",
        &announcement(
            "The library opens",
            "2026-06-30 10:00",
            "Doors open at 9:00 on Monday.",
            "",
        ),
    );
    repo.write(
        "announcements/market.en.md",
        &announcement(
            "Market day",
            "2026-07-02 10:00",
            "The market is on the square.",
            "",
        ),
    );
    repo.approve("announcements/opening.en.md");
    repo.approve("announcements/market.en.md");
    let run = publish(&repo, "2026-06-30 10:05");
    assert_eq!(run["rows"][0]["result"], "posted", "{run:#}");
    let run = publish(&repo, "2026-07-02 10:05");
    assert_eq!(run["rows"][0]["result"], "posted", "{run:#}");
    repo
}

fn feed_files(repo: &Repo) -> Vec<(String, String)> {
    let dir = repo.path().join(DIR);
    let mut out = Vec::new();
    for sub in ["", ".entries", ".deleted"] {
        let Ok(listing) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in listing.map(Result::unwrap) {
            if e.file_type().unwrap().is_file() {
                let name = format!("{sub}/{}", e.file_name().to_string_lossy());
                out.push((name, std::fs::read_to_string(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The feed files' text, by name.
fn file<'a>(files: &'a [(String, String)], name: &str) -> &'a str {
    &files.iter().find(|(n, _)| n == name).unwrap().1
}

/// A date the engine's clock gave during a run that started at `start`: to the second,
/// not before the start and within a minute of it.
fn clock_reading(text: &str, start: &str) -> Timestamp {
    let t: Timestamp = text.parse().unwrap();
    let start: Timestamp = start.parse().unwrap();
    let late = t.duration_since(start);
    assert!(
        late >= jiff::SignedDuration::ZERO && late < jiff::SignedDuration::from_secs(60),
        "{t} is not the clock of a run that started at {start}"
    );
    assert_eq!(
        t.subsec_nanosecond(),
        0,
        "{t}: feeds are dated to the second"
    );
    t
}

/// `t` as Atom (`+00:00`) and RSS (RFC 2822) write it.
fn atom_date(t: Timestamp) -> String {
    t.to_string().replace('Z', "+00:00")
}

fn rss_date(t: Timestamp) -> String {
    jiff::fmt::rfc2822::to_string(&t.to_zoned_datetime(jiff::tz::TimeZone::UTC)).unwrap()
}

fn entry_ids(seen: &Value, format: &str) -> Vec<String> {
    seen[format]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

const OPENING_FIXED: &str = "Doors open at 10:00 on Monday.";

#[test]
fn an_approved_correction_rewrites_the_entry_with_its_id_and_dates_the_change() {
    let repo = posted();
    let before = feed_files(&repo);
    repo.write(
        "announcements/opening.en.md",
        &announcement("The library opens", "2026-06-30 10:00", OPENING_FIXED, ""),
    );
    // Not approved: the feed stays as it is.
    let held = publish(&repo, "2026-07-03 08:00");
    assert_eq!(held["rows"][0]["result"], "skipped", "{held:#}");
    assert_eq!(feed_files(&repo), before);
    repo.approve("announcements/opening.en.md");
    // The dry run shows the rewrite as the request it makes, and writes nothing.
    let untouched = repo.snapshot();
    let dry = repo.json(&["publish", "--dry-run", "--at", "2026-07-03 09:00"], 0);
    assert_eq!(repo.snapshot(), untouched);
    let request = &dry["changes"][0]["requests"][0];
    assert_eq!(
        request["action"],
        "EDIT public/feed/en/.entries/opening.json (the same id, updated 2026-07-03T06:00:00Z), then public/feed/en/rss.xml, public/feed/en/atom.xml, public/feed/en/feed.json from every entry"
    );
    let shown = request["body"]["entry"].clone();
    assert_eq!(shown["tag"], OPENING);
    assert_eq!(shown["content_html"], format!("<p>{OPENING_FIXED}</p>"));

    let run = publish(&repo, "2026-07-03 09:00");
    assert_eq!(run["rows"][0]["result"], "corrected", "{run:#}");
    assert_eq!(
        run["rows"][0]["urls"][0],
        "https://example.org/news/#opening"
    );
    let after = feed_files(&repo);
    let snapshot: Value = serde_json::from_str(file(&after, ".entries/opening.json")).unwrap();
    let updated = clock_reading(
        snapshot["updated"].as_str().unwrap(),
        "2026-07-03T06:00:00Z",
    );
    // The entry written is the one the dry run showed, but for the clock's reading.
    let mut expected = shown.clone();
    expected["updated"] = updated.to_string().into();
    assert_eq!(snapshot, expected);
    // The other entry is untouched.
    assert_eq!(
        file(&after, ".entries/market.json"),
        file(&before, ".entries/market.json")
    );

    let seen = validate(&repo.path().join(DIR));
    for format in ["rss", "atom", "json"] {
        assert_eq!(
            entry_ids(&seen, format),
            [MARKET, OPENING],
            "{format}: ids unchanged, order by publication"
        );
        let entry = &seen[format]["entries"][1];
        assert_eq!(entry["published"], "2026-06-30T07:00:00Z", "{format}");
        let html = if format == "rss" {
            &entry["summary"]
        } else {
            &entry["content"][0]
        };
        assert_eq!(
            html.as_str().unwrap(),
            format!("<p>{OPENING_FIXED}</p>"),
            "{format}"
        );
    }
    // Atom `updated` and JSON Feed `date_modified` moved; RSS has no such date.
    assert_eq!(seen["atom"]["entries"][1]["updated"], updated.to_string());
    assert_eq!(seen["json"]["entries"][1]["updated"], updated.to_string());
    assert_eq!(
        seen["atom"]["entries"][0]["updated"],
        "2026-07-02T07:00:00Z"
    );
    assert_eq!(seen["json"]["entries"][0]["updated"], Value::Null);
    // The feed's own date follows its latest change.
    assert_eq!(seen["atom"]["updated"], updated.to_string());
    assert_eq!(seen["rss"]["updated"], updated.to_string());
    assert_eq!(seen["atom"]["deleted"], serde_json::json!([]));

    // The files, byte for byte: the corrected entry differs from before only in its
    // content and dates, and the feed only in its date.
    let u = atom_date(updated);
    let old_atom = file(&before, "/atom.xml");
    assert_eq!(
        file(&after, "/atom.xml"),
        old_atom
            .replace(
                "<updated>2026-07-02T07:00:00+00:00</updated>\n  <author>",
                &format!("<updated>{u}</updated>\n  <author>")
            )
            .replace(
                "<id>tag:example.org,2026-06-30:news/en/opening</id>\n    <updated>2026-06-30T07:00:00+00:00</updated>",
                &format!("<id>tag:example.org,2026-06-30:news/en/opening</id>\n    <updated>{u}</updated>")
            )
            .replace("Doors open at 9:00 on Monday.", OPENING_FIXED)
    );
    assert_eq!(
        file(&after, "/feed.json"),
        file(&before, "/feed.json")
            .replace(
                "\"date_published\": \"2026-06-30T07:00:00Z\"",
                &format!("\"date_published\": \"2026-06-30T07:00:00Z\",\n      \"date_modified\": \"{updated}\"")
            )
            .replace("Doors open at 9:00 on Monday.", OPENING_FIXED)
    );
    assert_eq!(
        file(&after, "/rss.xml"),
        file(&before, "/rss.xml")
            .replace(
                "<lastBuildDate>Thu, 2 Jul 2026 07:00:00 +0000</lastBuildDate>",
                &format!("<lastBuildDate>{}</lastBuildDate>", rss_date(updated))
            )
            .replace("Doors open at 9:00 on Monday.", OPENING_FIXED)
    );
    assert_ne!(file(&after, "/atom.xml"), old_atom);

    // Done once: later runs change nothing.
    let again = publish(&repo, "2026-07-03 10:00");
    assert_eq!(again["rows"], serde_json::json!([]), "{again:#}");
    assert_eq!(feed_files(&repo), after);
}

#[test]
fn a_retraction_removes_the_entry_and_marks_it_removed_in_the_atom_feed() {
    let repo = posted();
    let before = feed_files(&repo);
    repo.write(
        "announcements/market.en.md",
        &announcement(
            "Market day",
            "2026-07-02 10:00",
            "The market is on the square.",
            "retract: \"The market is cancelled\"\n",
        ),
    );
    repo.approve("announcements/market.en.md");
    let untouched = repo.snapshot();
    let dry = repo.json(&["publish", "--dry-run", "--at", "2026-07-04 09:00"], 0);
    assert_eq!(repo.snapshot(), untouched);
    let change = &dry["changes"][0];
    assert_eq!(change["retraction"], "The market is cancelled");
    assert_eq!(
        change["requests"][0]["action"],
        "DELETE public/feed/en/.entries/market.json, WRITE public/feed/en/.deleted/market.json, then public/feed/en/rss.xml, public/feed/en/atom.xml, public/feed/en/feed.json from every entry"
    );
    assert_eq!(
        change["requests"][0]["body"]["deleted_entry"],
        serde_json::json!({"ref": MARKET, "when": "2026-07-04T06:00:00Z"})
    );

    let run = publish(&repo, "2026-07-04 09:00");
    assert_eq!(run["rows"][0]["result"], "retracted", "{run:#}");
    let after = feed_files(&repo);
    assert!(
        after.iter().all(|(n, _)| n != ".entries/market.json"),
        "the snapshot is gone"
    );
    let mark: Value = serde_json::from_str(file(&after, ".deleted/market.json")).unwrap();
    assert_eq!(mark["ref"], MARKET);
    let when = clock_reading(mark["when"].as_str().unwrap(), "2026-07-04T06:00:00Z");

    let seen = validate(&repo.path().join(DIR));
    for format in ["rss", "atom", "json"] {
        assert_eq!(entry_ids(&seen, format), [OPENING], "{format}");
    }
    assert_eq!(
        seen["atom"]["deleted"],
        serde_json::json!([{"ref": MARKET, "when": when.to_string()}])
    );
    assert_eq!(seen["atom"]["updated"], when.to_string());
    assert_eq!(seen["rss"]["updated"], when.to_string());

    // Byte for byte: JSON Feed is the feed of the opening alone; RSS too, but for the
    // date it was last changed; Atom adds the mark.
    let alone = Repo::with_config(CONFIG);
    alone.write(
        "announcements/opening.en.md",
        &repo.read("announcements/opening.en.md"),
    );
    alone.approve("announcements/opening.en.md");
    publish(&alone, "2026-06-30 10:05");
    let only = feed_files(&alone);
    assert_eq!(file(&after, "/feed.json"), file(&only, "/feed.json"));
    assert_eq!(
        file(&after, "/rss.xml"),
        file(&only, "/rss.xml").replace(
            "<lastBuildDate>Tue, 30 Jun 2026 07:00:00 +0000</lastBuildDate>",
            &format!("<lastBuildDate>{}</lastBuildDate>", rss_date(when))
        )
    );
    let w = atom_date(when);
    assert_eq!(
        file(&after, "/atom.xml"),
        format!(
            r#"<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:at="http://purl.org/atompub/tombstones/1.0" xml:lang="en">
  <title>City news</title>
  <id>https://example.org/news/feed/en/atom.xml</id>
  <updated>{w}</updated>
  <author>
    <name>City news</name>
    <uri>https://example.org/news/</uri>
  </author>
  <link href="https://example.org/news/" rel="alternate" type="text/html"/>
  <link href="https://example.org/news/feed/en/atom.xml" rel="self" type="application/atom+xml"/>
  <subtitle>City news</subtitle>
  <at:deleted-entry ref="{MARKET}" when="{when}"/>
  <entry>
    <title>The library opens</title>
    <id>{OPENING}</id>
    <updated>2026-06-30T07:00:00+00:00</updated>
    <link href="https://example.org/news/#opening" rel="alternate" type="text/html"/>
    <published>2026-06-30T07:00:00+00:00</published>
    <content type="html">&lt;p&gt;Doors open at 9:00 on Monday.&lt;/p&gt;</content>
  </entry>
</feed>
"#
        )
    );
    assert_ne!(file(&before, "/atom.xml"), file(&after, "/atom.xml"));
    // Doctor counts the mark and finds the files in step with entries and marks.
    let doctor = repo.json(&["doctor", "--channel", "site"], 0);
    let findings: Vec<&str> = doctor[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        findings,
        [
            "public/feed/en can be written",
            "1 entry in public/feed/en/.entries",
            "1 removed entry marked in public/feed/en/.deleted",
            "the feed files match their entries",
        ]
    );

    // Done once, and never published again.
    let again = publish(&repo, "2026-07-04 10:00");
    assert_eq!(again["rows"], serde_json::json!([]), "{again:#}");
    assert_eq!(feed_files(&repo), after);
}

#[test]
fn a_correction_or_removal_cut_short_by_a_crash_is_finished_with_the_same_bytes() {
    for retract in [false, true] {
        let repo = posted();
        let (rel, title, at, body, extra, outcome) = if retract {
            (
                "market",
                "Market day",
                "2026-07-02 10:00",
                "The market is on the square.",
                "retract: \"Cancelled\"\n",
                "retracted",
            )
        } else {
            (
                "opening",
                "The library opens",
                "2026-06-30 10:00",
                OPENING_FIXED,
                "",
                "corrected",
            )
        };
        let path = format!("announcements/{rel}.en.md");
        repo.write(&path, &announcement(title, at, body, extra));
        repo.approve(&path);
        let snapshot = repo.read(&format!("{DIR}/.entries/{rel}.json"));
        let run = publish(&repo, "2026-07-04 09:00");
        assert_eq!(run["rows"][0]["result"], outcome, "{run:#}");
        let reference = feed_files(&repo);
        // The state a crash leaves after the step's first write: the ledger has the
        // step `started` without its outcome, and the feed files are the old ones (and,
        // for a removal, the snapshot is still there).
        let ledger = repo.read("state/ledger.jsonl");
        let lines: Vec<&str> = ledger.lines().collect();
        let (last, kept) = lines.split_last().unwrap();
        assert!(!last.contains("\"started\""), "{last}");
        assert!(kept.last().unwrap().contains("\"started\""), "{ledger}");
        repo.write("state/ledger.jsonl", &(kept.join("\n") + "\n"));
        for f in ["rss.xml", "atom.xml", "feed.json"] {
            std::fs::remove_file(repo.path().join(DIR).join(f)).unwrap();
        }
        if retract {
            repo.write(&format!("{DIR}/.entries/{rel}.json"), &snapshot);
        }
        // The feed's edit and delete may be made again: the next run finishes the step.
        let rerun = publish(&repo, "2026-07-04 09:30");
        assert_eq!(rerun["rows"][0]["result"], outcome, "{retract}: {rerun:#}");
        assert_eq!(
            feed_files(&repo),
            reference,
            "{retract}: the first date is kept"
        );
        validate(&repo.path().join(DIR));
    }
}
