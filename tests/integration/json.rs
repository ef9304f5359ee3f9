//! `check --format json` is exactly the document of SPEC §5.

use crate::harness::Repo;
use serde_json::Value;

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[test]
fn field_by_field() {
    let repo = Repo::new();
    repo.write(
        "announcements/news.et.md",
        "---\ntitle: Uudis\npublish_at: 2026-06-30T10:00:00+03:00\nchannels: [record_et, mastodon_et]\n---\nTekst.\n",
    )
    .write("announcements/news.en.md", "---\ntitle: News\nchannels: all\nsumary: oops\n---\nText.\n");
    repo.approve("announcements/news.et.md");
    let doc = repo.json(&["check"], 1);

    assert_eq!(keys(&doc), ["announcements", "diagnostics"]);
    let list = doc["announcements"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    for a in list {
        assert_eq!(
            keys(a),
            [
                "diagnostics",
                "id",
                "lang",
                "path",
                "posts",
                "publish_at",
                "state"
            ]
        );
    }
    let (en, et) = (&list[0], &list[1]);
    assert_eq!(et["id"], "news");
    assert_eq!(et["lang"], "et");
    assert_eq!(et["path"], "announcements/news.et.md");
    assert_eq!(et["state"], "approved");
    assert_eq!(et["publish_at"], "2026-06-30T10:00:00+03:00");
    let posts = et["posts"].as_array().unwrap();
    assert_eq!(posts.len(), 2);
    for p in posts {
        assert_eq!(keys(p), ["channel", "kind", "ok", "parts"]);
        for part in p["parts"].as_array().unwrap() {
            assert_eq!(keys(part), ["length", "limit", "text"]);
        }
    }
    assert_eq!(posts[0]["channel"], "record_et");
    assert_eq!(posts[0]["kind"], "record");
    assert_eq!(posts[0]["ok"], true);
    assert_eq!(posts[0]["parts"][0]["text"], "Uudis\n\nTekst.");
    assert_eq!(posts[0]["parts"][0]["limit"], 500);
    assert_eq!(posts[1]["kind"], "mastodon");

    assert_eq!(en["state"], "invalid");
    assert_eq!(en["publish_at"], Value::Null);
    let d = &en["diagnostics"][0];
    assert_eq!(keys(d), ["column", "line", "message", "path", "severity"]);
    assert_eq!(d["severity"], "error");
    assert_eq!(d["path"], "announcements/news.en.md");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(4), Some(1))
    );
}

#[test]
fn states_follow_the_content_and_the_approvers() {
    let repo = Repo::new();
    repo.write(
        "announcements/a.et.md",
        "---\ntitle: Üks\nchannels: all\n---\nTekst.\n",
    );
    let state = |repo: &Repo| {
        repo.run(&["check", "--format", "json"]).json()["announcements"][0]["state"].clone()
    };
    assert_eq!(state(&repo), "draft");
    repo.approve("announcements/a.et.md");
    assert_eq!(state(&repo), "approved");
    // Reindenting or reordering does not change the content; editing does.
    let approved = repo.read("announcements/a.et.md");
    repo.write(
        "announcements/a.et.md",
        &approved.replace(
            "title: Üks\nchannels: all\n",
            "channels:   all\ntitle:   Üks\n",
        ),
    );
    assert_eq!(state(&repo), "approved");
    repo.write(
        "announcements/a.et.md",
        &approved.replace("Tekst.", "Tekst!"),
    );
    assert_eq!(state(&repo), "changed");
    // An approver who is not (or no longer) listed.
    repo.write(
        "announcements/a.et.md",
        &approved.replace("by: editor@example.org", "by: intern@example.org"),
    );
    assert_eq!(state(&repo), "unknown_approver");
    // Someone not listed cannot approve.
    let run = repo.run(&[
        "approve",
        "announcements/a.et.md",
        "--by",
        "intern@example.org",
    ]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("`intern@example.org` is not in `approvers`"),
        "{}",
        run.stderr
    );
}
