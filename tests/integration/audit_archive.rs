//! `herald audit` and `herald audit --archive DIR` (issue 18): an announcement published
//! on three `record` channels (one edits, one answers with a correction notice, one can
//! neither edit nor delete), corrected, then retracted. The audit's history in text and
//! JSON, and the archive's files, asserted exactly.

use crate::harness::{Repo, TINY_PNG};
use serde_json::{Value, json};

const CONFIG: &str = r#"timezone = "Europe/Tallinn"
approvers = ["editor@example.org", "chief@example.org"]

[defaults]
lang = "et"

[channels.record_et]
kind = "record"
lang = "et"
limit = 60

[channels.reply]
kind = "record"
lang = "et"
edits = false
correction = "reply"
file = "state/reply.jsonl"

[channels.fixed]
kind = "record"
lang = "et"
edits = false
deletes = false
correction = "none"
file = "state/fixed.jsonl"
"#;

const FIRST: &str =
    "Kontsert on 11. juunil Raekoja platsil. Tulge kõik kuulama, pilet maksab viis eurot.";
const FIXED: &str =
    "Kontsert on 11. juunil Raekoja platsil. Tulge kõik kuulama, pilet maksab kuus eurot.";
const PNG_SHA256: &str = "4ff6ab670a58c14270e034e2090d9a432caa263a14e0a25785386b0c12f880b5";

fn file(body: &str, extra: &str) -> String {
    format!(
        "---\ntitle: Kontsert\npublish_at: 2026-06-30 10:00\nchannels: [record_et, reply, fixed]\nimages:\n  - path: announcements/lava.png\n    alt: 'Lava <öösel> & \"valgus\"'\n{extra}---\n{body}\n"
    )
}

fn approve(repo: &Repo, by: &str, at: &str) {
    repo.run(&["approve", "announcements/a.et.md", "--by", by, "--at", at])
        .assert_code(0);
}

/// `text` with the seconds cut from every local time ("2026-06-30T14:00:01+03:00" →
/// "2026-06-30T14:00+03:00"): a run's clock starts at `--at` and goes on, so steps made
/// after the first may fall in the next second on a slow machine.
fn minutes(text: &str) -> String {
    let pieces: Vec<&str> = text.split("+03:00").collect();
    let last = pieces.len() - 1;
    pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| {
            let b = piece.as_bytes();
            let timed = i < last
                && b.len() >= 9
                && b[b.len() - 9] == b'T'
                && b[b.len() - 3] == b':'
                && b[b.len() - 6] == b':';
            if timed {
                format!("{}+03:00", &piece[..piece.len() - 3])
            } else if i < last {
                format!("{piece}+03:00")
            } else {
                piece.to_string()
            }
        })
        .collect()
}

/// [`minutes`] on every string in `doc`.
fn in_minutes(doc: &Value) -> Value {
    serde_json::from_str(&minutes(&doc.to_string())).unwrap()
}

/// The content hashes that went out, in the order the ledger first names them.
fn hashes(repo: &Repo) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for line in repo.read("state/ledger.jsonl").lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        let h = r["hash"].as_str().unwrap().to_owned();
        if !seen.contains(&h) {
            seen.push(h);
        }
    }
    seen
}

/// Published at 10:05, corrected at 12:00 (the ticket costs six euros, not five),
/// retracted at 14:00: returns the repository and the three content hashes.
fn corrected_and_retracted() -> (Repo, Vec<String>) {
    let repo = Repo::new();
    repo.write("config/herald.toml", CONFIG);
    std::fs::write(repo.path().join("announcements/lava.png"), TINY_PNG).unwrap();
    repo.write("announcements/a.et.md", &file(FIRST, ""));
    approve(&repo, "editor@example.org", "2026-06-30 09:00");
    repo.json(&["publish", "--at", "2026-06-30 10:05"], 0);
    repo.write("announcements/a.et.md", &file(FIXED, ""));
    approve(&repo, "chief@example.org", "2026-06-30 11:00");
    repo.json(&["publish", "--at", "2026-06-30 12:00"], 0);
    repo.write(
        "announcements/a.et.md",
        &file(FIXED, "retract: \"Kontsert jääb ära.\"\n"),
    );
    approve(&repo, "chief@example.org", "2026-06-30 13:00");
    // `fixed` cannot delete: the run fails so that a person acts.
    repo.json(&["publish", "--at", "2026-06-30 14:00"], 1);
    let hashes = hashes(&repo);
    assert_eq!(hashes.len(), 3, "{hashes:?}");
    (repo, hashes)
}

#[test]
fn a_post_that_only_went_out_has_no_history_lines() {
    let repo = Repo::new();
    repo.write("config/herald.toml", CONFIG);
    std::fs::write(repo.path().join("announcements/lava.png"), TINY_PNG).unwrap();
    repo.write(
        "announcements/a.et.md",
        &file(FIRST, "").replace("[record_et, reply, fixed]", "[reply]"),
    );
    approve(&repo, "editor@example.org", "2026-06-30 09:00");
    repo.json(&["publish", "--at", "2026-06-30 10:05"], 0);
    let h = &hashes(&repo)[0];
    let audit = repo.run(&["audit"]);
    audit.assert_code(0);
    assert_eq!(
        minutes(&audit.stdout),
        format!(
            "a [et] → reply  2026-06-30T10:05+03:00\n  approved by editor@example.org at 2026-06-30T09:00+03:00\n  {h}\n  no address now\n"
        )
    );
    let doc = repo.json(&["audit"], 0);
    assert_eq!(
        in_minutes(&doc),
        json!({"posted": [{
            "id": "a", "lang": "et", "channel": "reply",
            "posted_at": "2026-06-30T10:05+03:00",
            "hash": h,
            "approvals": [{"by": "editor@example.org", "at": "2026-06-30T09:00+03:00"}],
            "urls": [],
            "retracted": false,
            "history": [{
                "what": "published", "at": "2026-06-30T10:05+03:00", "hash": h,
                "approved_by": ["editor@example.org"], "changes": [],
                "steps": [{"part": 1, "action": "post", "at": "2026-06-30T10:05+03:00"}]
            }]
        }]})
    );
}

#[test]
fn the_audit_shows_each_posts_correction_and_retraction_with_approvers_and_reasons() {
    let (repo, h) = corrected_and_retracted();
    let (h1, h2, h3) = (&h[0], &h[1], &h[2]);
    let audit = repo.run(&["audit"]);
    audit.assert_code(0);
    // The stamps of what first went out were replaced by the later approvals (and there
    // is no Git history here): the ledger's record of who approved it is shown.
    let head = |channel: &str| {
        format!(
            "a [et] → {channel}  2026-06-30T10:05+03:00\n  approved by editor@example.org (as recorded when it went out)\n  {h1}\n  no address now\n  2026-06-30T10:05+03:00  published  {h1}  approved by editor@example.org\n"
        )
    };
    let expected = [
        head("fixed"),
        format!(
            "  2026-06-30T12:00+03:00  not corrected  {h2}  approved by chief@example.org: not changed: `fixed` cannot edit a post that went out and its `correction` policy is `none`: the post still says the old text\n"
        ),
        format!(
            "  2026-06-30T14:00+03:00  not retracted  {h3}  approved by chief@example.org: not deleted: the post cannot be deleted by Herald on `fixed`; remove it by hand; reason: Kontsert jääb ära.\n"
        ),
        head("record_et"),
        format!(
            "  2026-06-30T12:00+03:00  corrected  {h2}  approved by chief@example.org: part 2 edited\n"
        ),
        format!(
            "  2026-06-30T14:00+03:00  retracted  {h3}  approved by chief@example.org: part 2 deleted, part 1 deleted; reason: Kontsert jääb ära.\n"
        ),
        head("reply"),
        format!(
            "  2026-06-30T12:00+03:00  corrected  {h2}  approved by chief@example.org: notice posted\n"
        ),
        format!(
            "  2026-06-30T14:00+03:00  retracted  {h3}  approved by chief@example.org: notice deleted, deleted; reason: Kontsert jääb ära.\n"
        ),
    ]
    .concat();
    assert_eq!(minutes(&audit.stdout), expected);

    let doc = in_minutes(&repo.json(&["audit"], 0));
    let posted = doc["posted"].as_array().unwrap();
    assert_eq!(posted.len(), 3);
    let published = |parts: &[u32]| {
        json!({
            "what": "published", "at": "2026-06-30T10:05+03:00", "hash": h1,
            "approved_by": ["editor@example.org"], "changes": [],
            "steps": parts.iter().map(|p| json!({"part": p, "action": "post", "at": "2026-06-30T10:05+03:00"})).collect::<Vec<_>>()
        })
    };
    let post = |channel: &str, retracted: bool, history: Vec<Value>| {
        json!({
            "id": "a", "lang": "et", "channel": channel,
            "posted_at": "2026-06-30T10:05+03:00",
            "hash": h1,
            "approvals": [{"by": "editor@example.org", "at": null, "from_ledger": true}],
            "urls": [],
            "retracted": retracted,
            "history": history
        })
    };
    let fixed_edit = "`fixed` cannot edit a post that went out and its `correction` policy is `none`: the post still says the old text";
    let fixed_delete = "the post cannot be deleted by Herald on `fixed`; remove it by hand";
    assert_eq!(
        posted[0],
        post(
            "fixed",
            false,
            vec![
                published(&[1]),
                json!({
                    "what": "not_corrected", "at": "2026-06-30T12:00+03:00", "hash": h2,
                    "approved_by": ["chief@example.org"],
                    "changes": [format!("not changed: {fixed_edit}")],
                    "steps": [{"part": 1, "action": "leave", "at": "2026-06-30T12:00+03:00", "reason": fixed_edit}]
                }),
                json!({
                    "what": "not_retracted", "at": "2026-06-30T14:00+03:00", "hash": h3,
                    "approved_by": ["chief@example.org"],
                    "changes": [format!("not deleted: {fixed_delete}")],
                    "reason": "Kontsert jääb ära.",
                    "steps": [{"part": 1, "action": "leave", "at": "2026-06-30T14:00+03:00", "reason": fixed_delete}]
                }),
            ]
        )
    );
    assert_eq!(
        posted[1],
        post(
            "record_et",
            true,
            vec![
                published(&[1, 2]),
                json!({
                    "what": "corrected", "at": "2026-06-30T12:00+03:00", "hash": h2,
                    "approved_by": ["chief@example.org"],
                    "changes": ["part 2 edited"],
                    "steps": [{"part": 2, "action": "edit", "at": "2026-06-30T12:00+03:00"}]
                }),
                json!({
                    "what": "retracted", "at": "2026-06-30T14:00+03:00", "hash": h3,
                    "approved_by": ["chief@example.org"],
                    "changes": ["part 2 deleted", "part 1 deleted"],
                    "reason": "Kontsert jääb ära.",
                    "steps": [
                        {"part": 2, "action": "delete", "at": "2026-06-30T14:00+03:00"},
                        {"part": 1, "action": "delete", "at": "2026-06-30T14:00+03:00"}
                    ]
                }),
            ]
        )
    );
    assert_eq!(
        posted[2],
        post(
            "reply",
            true,
            vec![
                published(&[1]),
                json!({
                    "what": "corrected", "at": "2026-06-30T12:00+03:00", "hash": h2,
                    "approved_by": ["chief@example.org"],
                    "changes": ["notice posted"],
                    "steps": [{"part": 1, "action": "notice", "at": "2026-06-30T12:00+03:00"}]
                }),
                json!({
                    "what": "retracted", "at": "2026-06-30T14:00+03:00", "hash": h3,
                    "approved_by": ["chief@example.org"],
                    // The correction notice goes too.
                    "changes": ["notice deleted", "deleted"],
                    "reason": "Kontsert jääb ära.",
                    "steps": [
                        {"part": 1, "action": "delete_notice", "at": "2026-06-30T14:00+03:00"},
                        {"part": 1, "action": "delete", "at": "2026-06-30T14:00+03:00"}
                    ]
                }),
            ]
        )
    );
    // `--only` and `--channel` narrow the list.
    let one = repo.json(&["audit", "--only", "a", "--channel", "reply"], 0);
    assert_eq!(one["posted"].as_array().unwrap().len(), 1);
    assert_eq!(in_minutes(&one["posted"][0]), posted[2]);
}

#[test]
fn the_archive_keeps_every_text_that_went_out_with_its_history() {
    let (repo, h) = corrected_and_retracted();
    let (h1, h2) = (&h[0], &h[1]);
    let run = repo.run(&["audit", "--archive", "records"]);
    run.assert_code(0);
    assert_eq!(run.stdout, "wrote records/a.json\nwrote records/a.html\n");
    let text = repo.read("records/a.json");
    assert!(text.starts_with("{\n  \"herald_archive\": 1,\n  \"id\": \"a\",\n"));
    let doc: Value = in_minutes(&serde_json::from_str(&text).unwrap());
    // Each post is the audit's, with its parts and notices added.
    let audit = in_minutes(&repo.json(&["audit"], 0));
    for (i, post) in doc["posts"].as_array().unwrap().iter().enumerate() {
        let mut without = post.clone();
        let map = without.as_object_mut().unwrap();
        map.remove("parts");
        map.remove("notices");
        assert_eq!(without, audit["posted"][i]);
    }
    let image = json!([{
        "path": "announcements/lava.png",
        "sha256": PNG_SHA256,
        "alt": "Lava <öösel> & \"valgus\""
    }]);
    let first_text = format!("Kontsert\n\n{FIRST}");
    let fixed_text = format!("Kontsert\n\n{FIXED}");
    let version = |action: &str, at: &str, hash: &str, text: &str, images: &Value| {
        let mut v = json!({"action": action, "at": at, "hash": hash, "text": text});
        if images != &json!([]) {
            v["images"] = images.clone();
        }
        v
    };
    // `fixed` keeps the text it first had: nothing else went out there.
    assert_eq!(
        doc["posts"][0]["parts"],
        json!([{
            "part": 1, "remote_id": "1", "url": null,
            "posted_at": "2026-06-30T10:05+03:00", "deleted_at": null,
            "versions": [version("post", "2026-06-30T10:05+03:00", h1, &first_text, &image)]
        }])
    );
    assert_eq!(doc["posts"][0]["notices"], json!([]));
    // `record_et`: a thread of two parts, the second edited, both deleted.
    assert_eq!(
        doc["posts"][1]["parts"],
        json!([
            {
                "part": 1, "remote_id": "1", "url": null,
                "posted_at": "2026-06-30T10:05+03:00",
                "deleted_at": "2026-06-30T14:00+03:00",
                "versions": [version("post", "2026-06-30T10:05+03:00", h1, "Kontsert\n\nKontsert on 11. juunil Raekoja platsil. 1/2", &image)]
            },
            {
                "part": 2, "remote_id": "2", "url": null,
                "posted_at": "2026-06-30T10:05+03:00",
                "deleted_at": "2026-06-30T14:00+03:00",
                "versions": [
                    version("post", "2026-06-30T10:05+03:00", h1, "Tulge kõik kuulama, pilet maksab viis eurot. 2/2", &json!([])),
                    version("edit", "2026-06-30T12:00+03:00", h2, "Tulge kõik kuulama, pilet maksab kuus eurot. 2/2", &json!([]))
                ]
            }
        ])
    );
    // `reply`: the original stays as it was; the notice says the new text.
    assert_eq!(
        doc["posts"][2]["parts"][0]["versions"],
        json!([version(
            "post",
            "2026-06-30T10:05+03:00",
            h1,
            &first_text,
            &image
        )])
    );
    assert_eq!(
        doc["posts"][2]["notices"],
        json!([{
            "at": "2026-06-30T12:00+03:00", "hash": h2,
            "text": format!("Parandus: {fixed_text}"),
            "url": null
        }])
    );

    let html = repo.read("records/a.html");
    let page = minutes(&html);
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"generator\" content=\"herald audit --archive\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"), "{page}");
    assert!(!page.contains("<script"), "{page}");
    for shown in [
        "<h2>record_et (et)</h2>\n<p class=\"retracted\">Retracted.</p>\n",
        &format!(
            "<tr><td class=\"when\">2026-06-30T14:00+03:00</td><td>retracted</td><td>chief@example.org</td><td>part 2 deleted<br>part 1 deleted<br>Reason: Kontsert jääb ära.<br>Content <code>{}</code></td></tr>\n",
            h[2]
        ),
        &format!(
            "<p class=\"meta\">Edited 2026-06-30T12:00+03:00 · content <code>{h2}</code></p>\n<pre>Tulge kõik kuulama, pilet maksab kuus eurot. 2/2</pre>\n"
        ),
        &format!(
            "<li>Image <code>announcements/lava.png</code>, SHA-256 <code>{PNG_SHA256}</code>, alt text: “Lava &lt;öösel&gt; &amp; &quot;valgus&quot;”</li>\n"
        ),
        &format!(
            "<h3>Correction notices</h3>\n<p class=\"meta\">Posted 2026-06-30T12:00+03:00 · content <code>{h2}</code></p>\n<pre>Parandus: Kontsert\n\n{FIXED}</pre>\n"
        ),
    ] {
        assert!(page.contains(shown), "{shown}\n---\n{page}");
    }
    // The same state gives the same bytes.
    repo.run(&["audit", "--archive", "records"]).assert_code(0);
    assert_eq!(repo.read("records/a.json"), text);
    assert_eq!(repo.read("records/a.html"), html);
}

#[test]
fn the_archive_goes_where_the_user_says_and_never_over_a_file_herald_did_not_write() {
    let (repo, _) = corrected_and_retracted();
    let elsewhere = tempfile::tempdir().unwrap();
    let dir = elsewhere.path().join("records/2026");
    let shown = dir.to_str().unwrap();
    // Outside the repository, in a folder that does not exist yet.
    let run = repo.run(&["audit", "--archive", shown]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        format!("wrote {shown}/a.json\nwrote {shown}/a.html\n")
    );
    let json = std::fs::read_to_string(dir.join("a.json")).unwrap();
    // Someone's own page where Herald would write: refused, and nothing is written.
    std::fs::remove_file(dir.join("a.json")).unwrap();
    std::fs::write(dir.join("a.html"), "<html>the office's own page</html>\n").unwrap();
    let refused = repo.run(&["audit", "--archive", shown]);
    refused.assert_code(2);
    assert_eq!(
        refused.stderr,
        format!(
            "error: --archive: {shown}/a.html is already there and Herald did not write it (it is not from `herald audit --archive`), so it is not overwritten; nothing was written. Move it away or choose another folder\n"
        )
    );
    assert!(!dir.join("a.json").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("a.html")).unwrap(),
        "<html>the office's own page</html>\n"
    );
    // Herald's own files are written again.
    std::fs::remove_file(dir.join("a.html")).unwrap();
    repo.run(&["audit", "--archive", shown]).assert_code(0);
    assert_eq!(std::fs::read_to_string(dir.join("a.json")).unwrap(), json);
    // One channel's posts are not an announcement's record.
    let partial = repo.run(&["audit", "--archive", shown, "--channel", "reply"]);
    partial.assert_code(2);
    assert_eq!(
        partial.stderr,
        "error: --archive writes each announcement's record with every channel it went out on; leave --channel out\n"
    );
}

#[test]
fn a_thread_that_grows_is_edited_and_added_to_or_deleted_and_posted_again() {
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &format!(
            "{CONFIG}\n[channels.again]\nkind = \"record\"\nlang = \"et\"\nlimit = 60\nedits = false\ncorrection = \"repost\"\nfile = \"state/again.jsonl\"\n"
        ),
    );
    let file = |body: &str| {
        format!(
            "---\ntitle: Kontsert\npublish_at: 2026-06-30 10:00\nchannels: [record_et, again]\n---\n{body}\n"
        )
    };
    repo.write("announcements/a.et.md", &file(FIRST));
    approve(&repo, "editor@example.org", "2026-06-30 09:00");
    repo.json(&["publish", "--at", "2026-06-30 10:05"], 0);
    repo.write(
        "announcements/a.et.md",
        &file(&format!("{FIXED} Uksed avatakse tund aega enne algust.")),
    );
    approve(&repo, "chief@example.org", "2026-06-30 11:00");
    repo.json(&["publish", "--at", "2026-06-30 12:00"], 0);
    let h = hashes(&repo);
    let (h1, h2) = (&h[0], &h[1]);
    let audit = repo.run(&["audit"]);
    audit.assert_code(0);
    let head = |channel: &str| {
        format!(
            "a [et] → {channel}  2026-06-30T10:05+03:00\n  approved by editor@example.org (as recorded when it went out)\n  {h1}\n  no address now\n  2026-06-30T10:05+03:00  published  {h1}  approved by editor@example.org\n"
        )
    };
    assert_eq!(
        minutes(&audit.stdout),
        [
            head("again"),
            format!(
                "  2026-06-30T12:00+03:00  corrected  {h2}  approved by chief@example.org: part 1 deleted and posted again, part 2 deleted and posted again, part 3 added\n"
            ),
            head("record_et"),
            format!(
                "  2026-06-30T12:00+03:00  corrected  {h2}  approved by chief@example.org: part 1 edited, part 2 edited, part 3 added\n"
            ),
        ]
        .concat()
    );
    let run = repo.run(&["audit", "--archive", "records"]);
    run.assert_code(0);
    let doc = in_minutes(&serde_json::from_str(&repo.read("records/a.json")).unwrap());
    let versions = |post: usize| -> Vec<(u64, String, String, Option<String>)> {
        doc["posts"][post]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|part| {
                let deleted = part["deleted_at"].as_str().map(str::to_owned);
                part["versions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |v| {
                        (
                            part["part"].as_u64().unwrap(),
                            v["action"].as_str().unwrap().to_owned(),
                            v["text"].as_str().unwrap().to_owned(),
                            deleted.clone(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let v = |part: u64, action: &str, text: &str| (part, action.to_owned(), text.to_owned(), None);
    let old1 = "Kontsert\n\nKontsert on 11. juunil Raekoja platsil. 1/2";
    let old2 = "Tulge kõik kuulama, pilet maksab viis eurot. 2/2";
    let new1 = "Kontsert\n\nKontsert on 11. juunil Raekoja platsil. 1/3";
    let new2 = "Tulge kõik kuulama, pilet maksab kuus eurot. 2/3";
    let new3 = "Uksed avatakse tund aega enne algust. 3/3";
    // Posted again: the parts are live again (not deleted), each with both texts.
    assert_eq!(
        versions(0),
        vec![
            v(1, "post", old1),
            v(1, "repost", new1),
            v(2, "post", old2),
            v(2, "repost", new2),
            v(3, "repost", new3),
        ]
    );
    assert_eq!(
        versions(1),
        vec![
            v(1, "post", old1),
            v(1, "edit", new1),
            v(2, "post", old2),
            v(2, "edit", new2),
            v(3, "repost", new3),
        ]
    );
}
