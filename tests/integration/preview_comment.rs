//! The preview as a pull-request comment (`herald preview --format markdown`, issue 17):
//! the whole body of a small repository as a snapshot (`tests/snapshots/preview_comment.md`,
//! rewritten with `HERALD_UPDATE_SNAPSHOTS=1`), and the promises a comment of any size
//! keeps: user text cannot break out of its fence or its line, done announcements take
//! one line, and the body stays under GitHub's limit.

use crate::harness::{Repo, TINY_PNG, project_root};

const MARKER: &str = "<!-- herald-preview -->";
const AT: &str = "2026-06-01 09:00";

/// An X channel and an email list beside the harness's record and Mastodon channels.
const CHANNELS: &str = r#"
[channels.x_en]
kind = "x"
lang = "en"
consumer_key_env = "T_X_KEY"
consumer_secret_env = "T_X_SECRET"
access_token_env = "T_X_TOKEN"
access_token_secret_env = "T_X_TOKEN_SECRET"

[channels.newsletter]
kind = "email"
lang = "et"
from = "Tartu linn <uudised@tartu.example>"
smtp_host = "127.0.0.1"
smtp_port = 9
tls = "none"
subscribers_env = "T_SUBSCRIBERS"
secret_env = "T_LIST_SECRET"
list_id = "uudised.tartu.example"
unsubscribe_url = "https://tartu.example/loobu/{token}"
"#;

/// `herald preview --format markdown --at AT`, its exit code checked.
fn comment(repo: &Repo, code: i32) -> String {
    let run = repo.run(&["preview", "--format", "markdown", "--at", AT]);
    run.assert_code(code);
    assert!(
        run.stdout.starts_with(&format!("{MARKER}\n")),
        "{}",
        run.stdout
    );
    run.stdout
}

/// A ledger line saying part 1 of `id`/`lang` went out on `channel` at `url`.
/// A ledger line saying the approved content of `announcements/ID.LANG.md` went out.
fn posted(repo: &Repo, id: &str, lang: &str, channel: &str, url: &str) -> String {
    let file = repo.read(&format!("announcements/{id}.{lang}.md"));
    let hash = file
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("hash: "))
        .expect("approved");
    format!(
        "{{\"event\":\"posted\",\"id\":\"{id}\",\"lang\":\"{lang}\",\"channel\":\"{channel}\",\"part\":1,\"hash\":\"{hash}\",\"at\":\"2026-05-01T07:00:00Z\",\"url\":\"{url}\"}}\n"
    )
}

/// Two languages of one announcement, due (one approved with an image and posted on one
/// channel, one a draft with a link card), a scheduled post that becomes a thread, a
/// file with an error on line 4, and one announcement already posted.
fn fixture() -> Repo {
    let repo = Repo::with_config(CHANNELS);
    std::fs::create_dir_all(repo.path().join("announcements/images")).unwrap();
    std::fs::write(repo.path().join("announcements/images/plats.png"), TINY_PNG).unwrap();
    let image = "images:\n  - path: announcements/images/plats.png\n    alt: Raekoja plats õhtul, laternad põlevad\n";
    repo.write(
        "announcements/kutse.et.md",
        &format!(
            "---\ntitle: Kutse linnapäevale\nsummary: Kontserdid ja laat raekoja platsil.\npublish_at: 2026-06-01 08:30\nchannels: [record_et, mastodon_et, newsletter]\nlink: https://tartu.example/linnapaev\n{image}---\nTule linnapäevale! Laupäeval on raekoja platsil kontserdid ja laat.\n"
        ),
    )
    .write(
        "announcements/kutse.en.md",
        "---\ntitle: Invitation to the town day\npublish_at: 2026-06-01 08:30\nchannels: [record_en, x_en, newsletter]\nlink: https://tartu.example/townday\n---\nCome to the town day! Concerts and a fair on the Town Hall Square on Saturday.\n",
    )
    .write(
        "announcements/teetood.en.md",
        &format!(
            "---\ntitle: Road works on Riia street\npublish_at: 2026-06-03 09:00\nchannels: [record_en]\n---\n{}\n",
            (1..=30)
                .map(|i| format!("Lane {i} of Riia street is closed from 7:00 to 19:00."))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    )
    .write(
        "announcements/vigane.et.md",
        "---\ntitle: Vigane\npublish_at: 2026-06-05 10:00\nchannels: [record_et, mastodn_et]\n---\nTekst.\n",
    )
    .write(
        "announcements/vana.et.md",
        "---\ntitle: Vana uudis\npublish_at: 2026-05-01 10:00\nchannels: [mastodon_et]\n---\nVana tekst.\n",
    );
    // The English version is a draft: the list, which gets both at once, waits for it.
    for file in ["kutse.et.md", "teetood.en.md", "vana.et.md"] {
        repo.approve(&format!("announcements/{file}"));
    }
    // The Estonian version went out on Mastodon already (a run stopped half way).
    repo.write(
        "state/ledger.jsonl",
        &[
            posted(
                &repo,
                "vana",
                "et",
                "mastodon_et",
                "https://mastodon.example/@tartu/111",
            ),
            posted(
                &repo,
                "kutse",
                "et",
                "mastodon_et",
                "https://mastodon.example/@tartu/112",
            ),
        ]
        .concat(),
    );
    repo
}

#[test]
fn the_comment_body_is_as_recorded() {
    let body = comment(&fixture(), 1);
    let path = project_root().join("tests/snapshots/preview_comment.md");
    if std::env::var_os("HERALD_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &body).unwrap();
    }
    let recorded = std::fs::read_to_string(&path)
        .expect("tests/snapshots/preview_comment.md (create it with HERALD_UPDATE_SNAPSHOTS=1)");
    if recorded != body {
        let first = recorded
            .lines()
            .zip(body.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(recorded.lines().count().min(body.lines().count()));
        panic!(
            "the comment changed; first difference at line {}:\n  recorded: {:?}\n  now:      {:?}\n(rerun with HERALD_UPDATE_SNAPSHOTS=1 if the change is intended)",
            first + 1,
            recorded.lines().nth(first),
            body.lines().nth(first)
        );
    }
}

/// The lines of `body` between the first line that starts with `start` and the next
/// line that is exactly `end`.
fn block<'b>(body: &'b str, start: &str, end: &str) -> Vec<&'b str> {
    body.lines()
        .skip_while(|l| !l.starts_with(start))
        .skip(1)
        .take_while(|l| *l != end)
        .collect()
}

#[test]
fn text_with_backtick_fences_gets_a_longer_fence() {
    let repo = Repo::new();
    let text = "Code:\n```\nlet a = 1;\n```\nand\n````\nfour\n````\nend";
    // Overridden, so the text goes out as written (rendering would read the fences).
    let yaml: String = text.lines().map(|l| format!("      {l}\n")).collect();
    repo.write(
        "announcements/koodi.et.md",
        &format!(
            "---\ntitle: Koodi\npublish_at: 2026-06-02 10:00\nchannels: [record_et]\noverrides:\n  record_et:\n    text: |-\n{yaml}---\nTekst.\n"
        ),
    );
    let body = comment(&repo, 0);
    // The whole text, fenced by five backticks, and nothing else inside the fence.
    let inside = block(&body, "<details><summary><b>record_et</b>", "</details>");
    assert_eq!(inside[0], "", "{body}");
    assert_eq!(inside[1], "`````", "{body}");
    let fenced: Vec<&str> = inside[2..]
        .iter()
        .take_while(|l| **l != "`````")
        .copied()
        .collect();
    assert_eq!(fenced.join("\n"), text, "{body}");
}

#[test]
fn titles_and_summaries_cannot_become_markup() {
    let repo = Repo::new();
    repo.write(
        "announcements/x.et.md",
        "---\ntitle: \"<script>alert(1)</script> | *bold* [a](b)\"\nsummary: \"a <b>b</b> | c_d\"\nlink: https://x.example/uudis\npublish_at: 2026-06-02 10:00\nchannels: [mastodon_et]\n---\nTekst.\n",
    );
    let body = comment(&repo, 0);
    let heading = body
        .lines()
        .find(|l| l.starts_with("### "))
        .expect("a heading");
    assert_eq!(
        heading,
        "### &lt;script&gt;alert(1)&lt;/script&gt; \\| \\*bold\\* \\[a\\](b) · et"
    );
    assert!(
        body.contains("\n- Link card: **&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*bold\\* \\[a\\](b)** — a &lt;b&gt;b&lt;/b&gt; \\| c\\_d (x.example)\n"),
        "{body}"
    );
    // Outside the fenced post text, no tag of the user's survives.
    let outside: String = body
        .split("\n```\n")
        .step_by(2)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(body.matches("\n```\n").count(), 2, "{body}");
    assert!(
        !outside.contains("<script") && !outside.contains("<b>b"),
        "{body}"
    );
}

#[test]
fn an_announcement_already_sent_is_one_line() {
    let repo = Repo::new();
    repo.write(
        "announcements/vana.et.md",
        "---\ntitle: Vana uudis\npublish_at: 2026-05-01 10:00\nchannels: [record_et, mastodon_et]\n---\nVana tekst.\n",
    )
    .write(
        "announcements/vana.en.md",
        "---\ntitle: Old news\npublish_at: 2026-05-01 10:00\nchannels: [record_en]\n---\nOld text.\n",
    );
    repo.approve("announcements/vana.et.md")
        .approve("announcements/vana.en.md");
    repo.write(
        "state/ledger.jsonl",
        &[
            posted(&repo, "vana", "et", "record_et", "https://a.example/1"),
            posted(&repo, "vana", "et", "mastodon_et", "https://a.example/2"),
            posted(&repo, "vana", "en", "record_en", "https://a.example/3"),
        ]
        .concat(),
    );
    let body = comment(&repo, 0);
    assert_eq!(
        body.split_once("\n### ").map(|(_, rest)| rest),
        Some("Already sent\n\n- Old news (`vana`, en + et): 3 went out\n"),
        "{body}"
    );
    assert!(!body.contains("<details>"), "{body}");
}

#[test]
fn two_hundred_announcements_stay_under_the_limit_and_say_how_many_are_left_out() {
    let repo = Repo::new();
    let text = "Tekst, mis on piisavalt pikk, et kommentaar kasvaks. ".repeat(9);
    for i in 0..200 {
        repo.write(
            &format!("announcements/uudis-{i:03}.et.md"),
            &format!(
                "---\ntitle: Uudis {i}\npublish_at: 2026-06-02 10:00\nchannels: [record_et, mastodon_et]\n---\n{text}\n"
            ),
        );
    }
    let body = comment(&repo, 0);
    assert!(body.len() < 60_000, "{} bytes", body.len());
    let shown = body.matches("\n### Uudis ").count();
    assert!(shown > 10, "only {shown} shown");
    let cut = 200 - shown;
    assert!(cut > 0, "nothing was left out: {} bytes", body.len());
    assert!(
        body.ends_with(&format!(
            "\n**{cut} more announcements are on the full preview page**: this comment has room for no more.\n"
        )),
        "{}",
        &body[body.len() - 300..]
    );
    // Whole sections are left out from the end: the first ones are all there, in order.
    for i in 0..shown {
        assert!(
            body.contains(&format!("\n### Uudis {i} · et\n")),
            "Uudis {i}"
        );
    }
    // The overall state counts everything, shown or not.
    assert!(
        body.contains("200 announcements in 200 language versions, with 400 posts: 0 will go out, 400 are held back"),
        "{}",
        &body[..400]
    );
}
