//! An approval pins what each channel receives: a change of template, channel setting,
//! configuration or the set of channels needs a new approval, and `check` says what
//! changed and why; formatting (re-indenting, CRLF) does not.

use crate::approval::{commit_all, git, state};
use crate::harness::Repo;

const NEWS: &str = "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: all\n---\nTekst, mis läheb välja.\n";

/// A Git repository with one Estonian announcement to every Estonian channel
/// (`record_et`, `mastodon_et`), the record channel's template overridden in the
/// repository, approved and committed by the editor.
fn approved(with_git: bool) -> Repo {
    let repo = Repo::new();
    repo.write("templates/record/post.txt.hbs", "{{title}}\n\n{{{text}}}\n");
    repo.write("announcements/news.et.md", NEWS);
    if with_git {
        git(&repo, "writer@example.org", &["init", "-q", "-b", "main"]);
        commit_all(&repo, "writer@example.org", "news");
    }
    repo.approve("announcements/news.et.md");
    if with_git {
        commit_all(&repo, "editor@example.org", "approve");
    }
    assert_eq!(state(&repo), ("approved".into(), String::new()));
    repo
}

/// Nothing reaches the record channel, and the publish report says why.
fn publish_holds_it(repo: &Repo, why: &str) {
    let report = repo.json(&["publish", "--at", "2026-06-30 10:05"], 0);
    let rows = report["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "{report:#}");
    for row in rows {
        assert_eq!(row["result"], "skipped", "{report:#}");
        let detail = row["detail"].as_str().unwrap();
        assert!(detail.contains(why), "{detail}");
    }
    assert!(!repo.path().join("state/recorded.jsonl").exists());
}

#[test]
fn a_change_in_what_a_channel_receives_needs_a_new_approval_and_is_named() {
    // (what is changed, the change, what `check` says)
    type Change = fn(&Repo);
    let cases: [(&str, Change, &str); 6] = [
        (
            "a template in the repository",
            |r| {
                r.write(
                    "templates/record/post.txt.hbs",
                    "{{title}}!\n\n{{{text}}}\n",
                );
            },
            "the post for `record_et` changed, because `templates/record/post.txt.hbs` changed",
        ),
        (
            "a new template overriding a built-in one",
            |r| {
                r.write("templates/mastodon/post.txt.hbs", "{{{text}}}\n\n#Tartu\n");
            },
            "the post for `mastodon_et` changed, because `templates/mastodon/post.txt.hbs` changed",
        ),
        (
            "a channel setting that reaches the request",
            |r| {
                let config = r.read("config/herald.toml");
                r.write(
                    "config/herald.toml",
                    &config.replace(
                        "token_env = \"TEST_MASTODON_TOKEN\"",
                        "token_env = \"TEST_MASTODON_TOKEN\"\nvisibility = \"unlisted\"",
                    ),
                );
            },
            "the post for `mastodon_et` changed, because `config/herald.toml` changed",
        ),
        (
            "a channel added to the configuration",
            |r| {
                let config = r.read("config/herald.toml");
                r.write(
                    "config/herald.toml",
                    &format!("{config}\n[channels.archive_et]\nkind = \"record\"\nlang = \"et\"\nfile = \"state/archive.jsonl\"\n"),
                );
            },
            "`archive_et` was added after approval, and nobody approved what it would receive",
        ),
        (
            "a channel removed from the configuration",
            |r| {
                let config = r.read("config/herald.toml");
                let cut = config.find("[channels.mastodon_et]").unwrap();
                r.write("config/herald.toml", &config[..cut]);
            },
            "`mastodon_et` was approved but no longer receives this announcement",
        ),
        (
            "two changes at once",
            |r| {
                r.write("templates/record/post.txt.hbs", "{{{text}}}\n");
                let config = r.read("config/herald.toml");
                r.write(
                    "config/herald.toml",
                    &config.replace(
                        "base_url = \"https://mastodon.example\"",
                        "base_url = \"https://mastodon.example\"\nvisibility = \"private\"",
                    ),
                );
            },
            "the post for `mastodon_et` changed, because `config/herald.toml` changed; the post for `record_et` changed, because `config/herald.toml` and `templates/record/post.txt.hbs` changed",
        ),
    ];
    for (what, change, said) in cases {
        for with_git in [true, false] {
            let repo = approved(with_git);
            change(&repo);
            let (st, detail) = state(&repo);
            assert_eq!(st, "changed", "{what}: {detail}");
            if with_git {
                assert_eq!(detail, said, "{what}");
            } else if said.starts_with("the post for") {
                // Without history Herald knows which post changed but not which file.
                let channel = said.split('`').nth(1).unwrap();
                assert_eq!(
                    detail.split("; ").next().unwrap(),
                    format!(
                        "the post for `{channel}` changed, because a template, the configuration or Herald itself changed since the approval"
                    ),
                    "{what}"
                );
            } else {
                assert_eq!(detail, said, "{what}");
            }
            let check = repo.run(&["check"]);
            assert!(
                check
                    .stdout
                    .contains(&format!("changed after approval ({detail})")),
                "{what}: {}",
                check.stdout
            );
            if repo
                .read("config/herald.toml")
                .contains("[channels.record_et]")
            {
                publish_holds_it(&repo, &detail);
            }
            // Approving again pins the new posts.
            repo.approve("announcements/news.et.md");
            assert_eq!(state(&repo).0, "approved", "{what}");
        }
    }
}

#[test]
fn an_approval_written_before_posts_were_pinned_asks_for_a_new_one() {
    let repo = approved(false);
    let text = repo.read("announcements/news.et.md");
    let cut = text.find("  posts:\n").unwrap();
    let end = text[cut..].find("---\n").unwrap() + cut;
    repo.write(
        "announcements/news.et.md",
        &format!("{}{}", &text[..cut], &text[end..]),
    );
    assert_eq!(
        state(&repo),
        (
            "changed".into(),
            "approved with an earlier Herald that did not pin the posts each channel receives; approve it again".into()
        )
    );
}

#[test]
fn a_pinned_digest_edited_by_hand_is_a_change_not_an_approval() {
    for edit in [
        |t: &str| t.replacen("    record_et: ", "    record_et: 0", 1),
        |t: &str| t.replacen("    mastodon_et: ", "    mastodon_en: ", 1),
        |t: &str| {
            t.replacen(
                "    record_et: ",
                "    extra_et: 00000000000000000000000000000000\n    record_et: ",
                1,
            )
        },
    ] {
        let repo = approved(false);
        let text = repo.read("announcements/news.et.md");
        let edited = edit(&text);
        assert_ne!(edited, text);
        repo.write("announcements/news.et.md", &edited);
        let (st, detail) = state(&repo);
        assert!(st == "changed" || st == "invalid", "{st}: {detail}");
        assert!(!repo.path().join("state/recorded.jsonl").exists());
        repo.run(&["publish", "--at", "2026-06-30 10:05"]);
        assert!(!repo.path().join("state/recorded.jsonl").exists());
    }
}

#[test]
fn re_indenting_and_crlf_line_endings_keep_the_approval() {
    type Change = fn(&Repo);
    let formatting: [(&str, Change); 4] = [
        ("CRLF in the announcement", |r| {
            let t = r.read("announcements/news.et.md").replace('\n', "\r\n");
            r.write("announcements/news.et.md", &t);
        }),
        ("CRLF in a text template", |r| {
            r.write(
                "templates/record/post.txt.hbs",
                "{{title}}\r\n\r\n{{{text}}}\r\n",
            );
        }),
        ("CRLF in the email and feed templates", |r| {
            for t in [
                "templates/feed/item.html.hbs",
                "templates/email/body.html.hbs",
            ] {
                let builtin =
                    std::fs::read_to_string(crate::harness::project_root().join(t)).unwrap();
                r.write(t, &builtin.replace('\n', "\r\n"));
            }
        }),
        ("the front matter re-indented", |r| {
            let t = r
                .read("announcements/news.et.md")
                .replace("title: Uudis", "title:   Uudis   # pealkiri")
                .replace("channels: all", "channels:    all");
            r.write("announcements/news.et.md", &t);
        }),
    ];
    for (what, change) in formatting {
        let repo = approved(true);
        // The feed and email templates matter only to a feed and a list.
        let config = repo.read("config/herald.toml");
        repo.write(
            "config/herald.toml",
            &format!(
                "{config}\n[channels.site]\nkind = \"feed\"\nlang = \"et\"\nout_dir = \"public/feed\"\n\
                 site_url = \"https://example.org\"\ntitle = \"Uudised\"\n\n\
                 [channels.news]\nkind = \"email\"\nlang = \"et\"\nfrom = \"Linn <uudised@example.org>\"\n\
                 smtp_host = \"127.0.0.1\"\nsmtp_user = \"uudised@example.org\"\npassword_env = \"P\"\n\
                 subscribers_env = \"S\"\nlist_id = \"uudised.example.org\"\n\
                 unsubscribe_url = \"https://example.org/u/{{token}}\"\nsecret_env = \"K\"\n"
            ),
        );
        repo.approve("announcements/news.et.md");
        commit_all(&repo, "editor@example.org", "feed");
        assert_eq!(state(&repo).0, "approved");
        change(&repo);
        assert_eq!(state(&repo), ("approved".into(), String::new()), "{what}");
    }
}
