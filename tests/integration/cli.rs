//! The command line a staffer meets: run from any folder of the repository, and every
//! problem said with `error:` once.

use crate::harness::{Repo, run_from};

const NEWS: &str = "---
title: Linnavalitsus kutsub
publish_at: 2026-06-30 10:00
channels: [record_et]
---
Esimene lõik.
";

/// Without `--root`, herald finds the repository upward from the current folder: from
/// `announcements/` and from a folder nested below it, it sees what `--root` sees, and a
/// file named relative to that folder is the one approved.
#[test]
fn herald_finds_the_repository_from_a_folder_inside_it() {
    let repo = Repo::new();
    repo.write("announcements/2026/june/news.et.md", NEWS);
    let nested = repo.path().join("announcements/2026/june");
    let at_root = repo.run(&["check", "--at", "2026-06-01 10:00"]);
    at_root.assert_code(0);
    for dir in [repo.path().join("announcements"), nested.clone()] {
        let run = run_from(&dir, &["check", "--at", "2026-06-01 10:00"], &[]);
        run.assert_code(0);
        assert_eq!(run.stdout, at_root.stdout, "from {}", dir.display());
        assert_eq!(run.stderr, at_root.stderr, "from {}", dir.display());
    }
    let status_root = repo.run(&["status", "--format", "json", "--at", "2026-06-01 10:00"]);
    let status_nested = run_from(
        &nested,
        &["status", "--format", "json", "--at", "2026-06-01 10:00"],
        &[],
    );
    assert_eq!(status_nested.json(), status_root.json());

    let approved = run_from(
        &nested,
        &["approve", "news.et.md", "--by", "editor@example.org"],
        &[],
    );
    approved.assert_code(0);
    let text = repo.read("announcements/2026/june/news.et.md");
    assert!(text.contains("by: editor@example.org"), "{text}");
}

/// `--root` keeps its meaning: from a nested folder, `--root` names the repository.
#[test]
fn root_flag_still_names_the_repository() {
    let repo = Repo::new();
    repo.write("announcements/news.et.md", NEWS);
    let outside = tempfile::tempdir().unwrap();
    let root = repo.path().to_str().unwrap();
    let run = run_from(outside.path(), &["--root", root, "check"], &[]);
    run.assert_code(0);
}

/// Outside any repository, herald says what it looked for and where, once.
#[test]
fn outside_a_repository_herald_says_what_it_looked_for() {
    let outside = tempfile::tempdir().unwrap();
    let nested = outside.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    let cwd = nested.canonicalize().unwrap();
    let run = run_from(&nested, &["check"], &[]);
    run.assert_code(2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!(
            "error: no Herald repository here: looked for config/herald.toml in {} and every \
             folder above it; run herald inside the repository or pass `--root DIR`\n",
            cwd.display()
        )
    );
}
