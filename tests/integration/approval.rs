//! Approval: pinned to the content, checked against the approvers, provable from Git.

use crate::harness::{BASE_CONFIG, Repo};
use std::process::Command;

const NEWS: &str = "---
# Written by the press office; approved by the head of communications.
title: Linnavalitsus kutsub   # the headline
summary: \"Lühike tutvustus.\"
publish_at: 2026-06-30 10:00
channels: [record_et, mastodon_et]
link: https://example.org/uudised/1
tags: [Tartu, BETTER]
images:
  - path: announcements/pic.png
    alt: Raekoja plats hommikul
---
Esimene lõik, kus on [link](https://example.org/a).

Teine lõik.
";

pub(crate) fn state(repo: &Repo) -> (String, String) {
    let doc = repo.json(&["status"], 0);
    let a = &doc["announcements"][0];
    (
        a["state"].as_str().unwrap().to_owned(),
        a["detail"].as_str().unwrap_or("").to_owned(),
    )
}

fn approved_news() -> Repo {
    let repo = Repo::new();
    std::fs::write(
        repo.path().join("announcements/pic.png"),
        crate::harness::TINY_PNG,
    )
    .unwrap();
    repo.write("announcements/news.et.md", NEWS);
    repo.approve("announcements/news.et.md");
    assert_eq!(state(&repo).0, "approved");
    repo
}

/// Changes one thing that matters, chosen at random.
fn mutate(text: &str, image: &mut [u8], rng: &mut fastrand::Rng) -> (String, String) {
    let replace = |from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1)
    };
    match rng.u8(0..10) {
        0 => {
            // one character of the body
            let body_start = text.rfind("---\n").unwrap() + 4;
            let mut chars: Vec<char> = text[body_start..].chars().collect();
            let i = rng.usize(0..chars.len() - 1);
            chars[i] = if chars[i] == 'x' { 'y' } else { 'x' };
            (
                format!(
                    "{}{}",
                    &text[..body_start],
                    chars.into_iter().collect::<String>()
                ),
                "body character".into(),
            )
        }
        1 => (
            replace("Linnavalitsus kutsub", "Linnavalitsus kutsus"),
            "title".into(),
        ),
        2 => (
            replace("Lühike tutvustus.", "Lühike tutvustus!"),
            "summary".into(),
        ),
        3 => (
            replace("2026-06-30 10:00", "2026-06-30 10:01"),
            "publish_at".into(),
        ),
        4 => (
            replace("[record_et, mastodon_et]", "[record_et]"),
            "channel removed".into(),
        ),
        5 => (
            replace(
                "[record_et, mastodon_et]",
                "[record_et, mastodon_et, record_en]",
            ),
            "channel added".into(),
        ),
        6 => (replace("uudised/1", "uudised/2"), "link".into()),
        7 => (replace("[Tartu, BETTER]", "[Tartu]"), "tags".into()),
        8 => (
            replace("alt: Raekoja plats hommikul", "alt: Raekoja plats õhtul"),
            "alt text".into(),
        ),
        _ => {
            let i = rng.usize(0..image.len());
            image[i] ^= 1 << rng.u8(0..8);
            (text.to_owned(), "image byte".into())
        }
    }
}

#[test]
fn any_change_of_content_unpublishes_and_formatting_does_not() {
    let repo = approved_news();
    let approved = repo.read("announcements/news.et.md");
    let image = std::fs::read(repo.path().join("announcements/pic.png")).unwrap();
    let mut rng = fastrand::Rng::with_seed(5);
    for round in 0..30 {
        let mut img = image.clone();
        let (text, what) = mutate(&approved, &mut img, &mut rng);
        repo.write("announcements/news.et.md", &text);
        std::fs::write(repo.path().join("announcements/pic.png"), &img).unwrap();
        let (st, _) = state(&repo);
        // Adding a channel of the wrong language also makes the file invalid.
        assert!(
            st == "changed" || st == "invalid",
            "round {round}: after changing the {what}, the state is {st}"
        );
        // An approved, due announcement that now has an error fails the dry run as it
        // fails the real one.
        let code = if st == "invalid" { 1 } else { 0 };
        let dry = repo.json(&["publish", "--dry-run", "--at", "2026-06-30 10:05"], code);
        assert!(
            dry["due"].as_array().unwrap().is_empty(),
            "round {round}: {what} changed but it would be sent"
        );
    }
    std::fs::write(repo.path().join("announcements/pic.png"), &image).unwrap();

    // Formatting only: other indentation and list style, reordered fields, quoting,
    // CRLF line endings. The parsed values are the same, so the approval holds.
    let reformatted = approved
        .replace(
            "tags: [Tartu, BETTER]",
            "tags:\n    - Tartu\n    - \"BETTER\"",
        )
        .replace("summary: \"Lühike tutvustus.\"\n", "")
        .replace(
            "link: https://example.org/uudised/1\n",
            "link: 'https://example.org/uudised/1'\nsummary: Lühike tutvustus.\n",
        )
        .replace(
            "channels: [record_et, mastodon_et]",
            "channels:\n- record_et\n- mastodon_et",
        );
    assert_ne!(reformatted, approved);
    repo.write("announcements/news.et.md", &reformatted);
    assert_eq!(
        state(&repo).0,
        "approved",
        "reformatting broke the approval"
    );
    repo.write(
        "announcements/news.et.md",
        &reformatted.replace('\n', "\r\n"),
    );
    assert_eq!(
        state(&repo).0,
        "approved",
        "CRLF line endings broke the approval"
    );
}

#[test]
fn approve_keeps_comments_and_refuses_invalid_files_and_strangers() {
    let repo = approved_news();
    let after = repo.read("announcements/news.et.md");
    let original_lines: Vec<&str> = NEWS.lines().collect();
    let kept: Vec<&str> = after
        .lines()
        .filter(|l| original_lines.contains(l))
        .collect();
    assert_eq!(
        kept, original_lines,
        "approve changed lines other than the approval"
    );

    repo.write(
        "announcements/bad.et.md",
        "---\ntitle: Halb\ntitel: typo\n---\nTekst.\n",
    );
    let run = repo.run(&[
        "approve",
        "announcements/bad.et.md",
        "--by",
        "editor@example.org",
    ]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("unknown field `titel`"),
        "{}",
        run.stdout
    );
    assert!(!repo.read("announcements/bad.et.md").contains("approval:"));

    let run = repo.run(&[
        "approve",
        "announcements/news.et.md",
        "--by",
        "someone@example.org",
    ]);
    run.assert_code(2);
}

#[test]
fn all_pending_shows_what_it_approves_and_asks_first() {
    let repo = Repo::new();
    repo.write(
        "announcements/a.et.md",
        "---\ntitle: Üks\nchannels: all\n---\nTekst.\n",
    )
    .write(
        "announcements/b.et.md",
        "---\ntitle: Kaks\nchannels: all\n---\nTekst.\n",
    )
    .write(
        "announcements/c.et.md",
        "---\ntitle: Kolm\nchannels: all\n---\nTekst.\n",
    );
    repo.approve("announcements/c.et.md");
    // Nobody to answer the question: refused, nothing written.
    let run = repo.run(&["approve", "--all-pending", "--by", "editor@example.org"]);
    run.assert_code(2);
    assert!(run.stderr.contains("add --yes"), "{}", run.stderr);
    assert!(!repo.read("announcements/a.et.md").contains("approval:"));
    let run = repo.run(&[
        "approve",
        "--all-pending",
        "--yes",
        "--by",
        "editor@example.org",
    ]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("a [et] announcements/a.et.md: draft (not approved)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("c [et]"), "{}", run.stdout);
    let doc = repo.json(&["check"], 0);
    assert!(
        doc["announcements"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["state"] == "approved")
    );
}

// --- Git ---------------------------------------------------------------------------

pub(crate) fn git(repo: &Repo, author: &str, args: &[&str]) {
    crate::harness::git_in(repo.path(), author, args);
}

pub(crate) fn commit_all(repo: &Repo, author: &str, message: &str) {
    git(repo, author, &["add", "-A"]);
    git(repo, author, &["commit", "-q", "-m", message]);
}

fn git_repo(extra_config: &str) -> Repo {
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &BASE_CONFIG.replace(
            "approvers = [\"editor@example.org\"]",
            &format!("approvers = [\"editor@example.org\", \"chief@example.org\", \"writer@example.org\"]\n{extra_config}"),
        ),
    );
    git(&repo, "writer@example.org", &["init", "-q", "-b", "main"]);
    repo.write(
        "announcements/news.et.md",
        "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [record_et]\n---\nTekst.\n",
    );
    commit_all(&repo, "writer@example.org", "news");
    repo
}

#[test]
fn what_changed_after_approval_is_named_from_git_history() {
    let repo = git_repo("");
    repo.approve("announcements/news.et.md");
    commit_all(&repo, "editor@example.org", "approve");
    let text = repo.read("announcements/news.et.md");
    repo.write(
        "announcements/news.et.md",
        &text
            .replace("title: Uudis", "title: Uus uudis")
            .replace("Tekst.", "Uus tekst."),
    );
    let (st, detail) = state(&repo);
    assert_eq!(st, "changed");
    assert_eq!(detail, "changed since approval: the body, `title`");
    let dry = repo.run(&["publish", "--dry-run", "--at", "2026-06-30 10:05"]);
    assert!(
        dry.stdout
            .contains("changed after approval (changed since approval: the body, `title`)"),
        "{}",
        dry.stdout
    );
    let report = repo.json(&["publish", "--at", "2026-06-30 10:05"], 0);
    assert_eq!(report["rows"][0]["result"], "skipped");
    assert!(
        report["rows"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("the body, `title`")
    );
    assert!(!repo.path().join("state/recorded.jsonl").exists());
}

#[test]
fn provenance_author_requires_approvers_to_commit_their_own_approvals() {
    let repo = git_repo("approval_provenance = \"author\"");
    repo.approve("announcements/news.et.md");
    // Not committed yet: cannot be proven.
    let (st, detail) = state(&repo);
    assert_eq!(
        (st.as_str(), detail.as_str()),
        (
            "unknown_approver",
            "the approval by editor@example.org is not committed yet; commit it to prove who approved"
        )
    );
    // Committed by someone else: refused, naming who did.
    commit_all(&repo, "writer@example.org", "approve (by the wrong person)");
    let (st, detail) = state(&repo);
    assert_eq!(st, "unknown_approver");
    assert!(
        detail
            .starts_with("the approval by editor@example.org was committed by writer@example.org"),
        "{detail}"
    );
    // Re-approved and committed by the approver: proven.
    repo.run(&[
        "approve",
        "announcements/news.et.md",
        "--by",
        "chief@example.org",
    ])
    .assert_code(0);
    commit_all(&repo, "chief@example.org", "approve");
    assert_eq!(state(&repo).0, "approved");
}

#[test]
fn provenance_without_git_history_is_an_error_not_a_pass() {
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &BASE_CONFIG.replace(
            "[defaults]",
            "approval_provenance = \"author\"\n\n[defaults]",
        ),
    );
    repo.write(
        "announcements/news.et.md",
        "---\ntitle: Uudis\nchannels: all\n---\nTekst.\n",
    );
    repo.approve("announcements/news.et.md");
    let (st, detail) = state(&repo);
    assert_eq!(st, "unknown_approver");
    assert_eq!(
        detail,
        "cannot prove who approved: the repository has no Git history"
    );
}

#[cfg(unix)]
#[test]
fn signed_provenance_needs_a_good_signature() {
    let repo = git_repo("require_signed_approval = true");
    let key = repo.path().join(".key");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "chief", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    repo.write(".allowed_signers", &format!("chief@example.org {public}"));
    repo.write(".gitignore", ".key\n.key.pub\n.allowed_signers\n");
    for (k, v) in [
        ("gpg.format", "ssh".to_owned()),
        (
            "user.signingkey",
            key.with_extension("pub").display().to_string(),
        ),
        (
            "gpg.ssh.allowedSignersFile",
            repo.path().join(".allowed_signers").display().to_string(),
        ),
    ] {
        git(&repo, "chief@example.org", &["config", k, &v]);
    }
    repo.run(&[
        "approve",
        "announcements/news.et.md",
        "--by",
        "chief@example.org",
    ])
    .assert_code(0);
    commit_all(&repo, "chief@example.org", "approve, unsigned");
    let (st, detail) = state(&repo);
    assert_eq!(st, "unknown_approver");
    assert!(detail.contains("has no good signature"), "{detail}");
    // Same approver, signed commit: accepted.
    let text = repo.read("announcements/news.et.md");
    repo.write(
        "announcements/news.et.md",
        &text.replace("  at: ", "  at:  "),
    );
    repo.run(&[
        "approve",
        "announcements/news.et.md",
        "--by",
        "chief@example.org",
        "--at",
        "2026-06-29 09:00",
    ])
    .assert_code(0);
    git(&repo, "chief@example.org", &["add", "-A"]);
    git(
        &repo,
        "chief@example.org",
        &["commit", "-q", "-S", "-m", "approve, signed"],
    );
    assert_eq!(state(&repo).0, "approved");
}

#[test]
fn four_eyes_needs_two_approvers_other_than_the_author() {
    let repo = git_repo("approvals_required = 2");
    // The author approving their own text does not count.
    repo.run(&[
        "approve",
        "announcements/news.et.md",
        "--by",
        "writer@example.org",
    ])
    .assert_code(0);
    repo.run(&[
        "approve",
        "announcements/news.et.md",
        "--by",
        "editor@example.org",
    ])
    .assert_code(0);
    let (st, detail) = state(&repo);
    assert_eq!(st, "draft");
    assert_eq!(
        detail,
        "needs 2 approvals by different approvers other than the author (writer@example.org); has editor@example.org"
    );
    repo.run(&[
        "approve",
        "announcements/news.et.md",
        "--by",
        "chief@example.org",
    ])
    .assert_code(0);
    assert_eq!(state(&repo).0, "approved");
    let text = repo.read("announcements/news.et.md");
    assert_eq!(text.matches("  - by: ").count(), 3, "{text}");
}

#[test]
fn audit_answers_who_approved_what_went_out_even_after_later_edits() {
    let repo = git_repo("");
    repo.approve("announcements/news.et.md");
    commit_all(&repo, "editor@example.org", "approve");
    let status = repo.json(&["status"], 0);
    let stamp = &status["announcements"][0]["approvals"][0];
    assert_eq!(stamp["by"], "editor@example.org");
    let posted_hash = stamp["hash"].as_str().unwrap().to_owned();
    repo.json(&["publish", "--at", "2026-06-30 10:05"], 0);
    // Later the text is edited and approved again by someone else.
    let text = repo.read("announcements/news.et.md");
    repo.write(
        "announcements/news.et.md",
        &text.replace("Tekst.", "Parandatud tekst."),
    );
    repo.run(&[
        "approve",
        "announcements/news.et.md",
        "--by",
        "chief@example.org",
    ])
    .assert_code(0);
    commit_all(&repo, "chief@example.org", "edit and approve");
    let audit = repo.json(&["audit"], 0);
    let item = &audit["posted"][0];
    assert_eq!(
        (item["id"].as_str(), item["channel"].as_str()),
        (Some("news"), Some("record_et"))
    );
    assert_eq!(item["hash"], posted_hash.as_str());
    assert_eq!(
        item["approvals"][0]["by"], "editor@example.org",
        "{audit:#}"
    );
    assert!(item["approvals"][0]["at"].is_string());
}
