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

/// Every line of stderr that reports a problem says `error:` exactly once, whatever the
/// problem: a broken configuration (TOML, an unknown kind, a missing file), a bad `--at`,
/// an approver not listed, a missing file for `approve`.
#[test]
fn every_problem_says_error_once() {
    let broken = |config: &str| {
        let repo = Repo::new();
        repo.write("config/herald.toml", config);
        repo
    };
    let fine = Repo::new();
    fine.write("announcements/news.et.md", NEWS);
    // (repository, arguments, exit code)
    let cases: Vec<(Repo, Vec<&str>, i32)> = vec![
        (broken("x = [\n"), vec!["check"], 2),
        (
            broken(
                "timezone = \"Europe/Tallinn\"\n[channels.a]\nkind = \"mastodom\"\nlang = \"et\"\n",
            ),
            vec!["check"],
            2,
        ),
        (
            broken(""),
            vec!["check", "--config", "config/missing.toml"],
            2,
        ),
        (Repo::new(), vec!["check", "--at", "bogus"], 2),
        (
            Repo::new(),
            vec![
                "approve",
                "announcements/news.et.md",
                "--by",
                "x@example.org",
            ],
            2,
        ),
        (
            fine,
            vec![
                "approve",
                "announcements/missing.et.md",
                "--by",
                "editor@example.org",
            ],
            1,
        ),
    ];
    for (repo, args, code) in cases {
        let run = repo.run(&args);
        assert_eq!(run.code, code, "{args:?}\n{}\n{}", run.stdout, run.stderr);
        let all = format!("{}{}", run.stdout, run.stderr);
        let problems: Vec<&str> = all.lines().filter(|l| l.contains("error")).collect();
        assert!(!problems.is_empty(), "{args:?}: no error line\n{all}");
        for line in problems {
            assert_eq!(line.matches("error:").count(), 1, "{args:?}: {line}\n{all}");
        }
    }
}

/// `herald approve` ends with the next step, once, after what it approved; nothing is
/// suggested when nothing was approved.
#[test]
fn approve_ends_with_the_next_step() {
    let repo = Repo::new();
    repo.write("announcements/news.et.md", NEWS);
    let run = repo.run(&[
        "approve",
        "announcements/news.et.md",
        "--by",
        "editor@example.org",
    ]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        "approved news [et] as editor@example.org\n\
         Next: commit and push the change, or approve the pull request on GitHub.\n"
    );
    let none = repo.run(&[
        "approve",
        "announcements/missing.et.md",
        "--by",
        "editor@example.org",
    ]);
    none.assert_code(1);
    assert!(!none.stdout.contains("Next:"), "{}", none.stdout);
}

/// The flags a `--help` lists: each option line's long name (with its short one).
fn flags_in_help(help: &str) -> Vec<String> {
    help.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = match l.strip_prefix('-') {
                Some(rest) if !rest.starts_with('-') => l.split_once(", ")?.1,
                _ => l,
            };
            let name = l.strip_prefix("--")?.split([' ', '=', '[', '<']).next()?;
            Some(format!("--{name}"))
        })
        .collect()
}

/// Each command's `--help` lists only the flags that command uses (issue 19); `--root`
/// and `--config` go with every command.
#[test]
fn each_commands_help_lists_only_its_own_flags() {
    let repo = Repo::new();
    let every = ["--root", "--config", "--help", "--version"];
    let cases: [(&str, &[&str]); 9] = [
        (
            "check",
            &["--at", "--only", "--channel", "--format", "--quiet"],
        ),
        (
            "publish",
            &[
                "--dry-run",
                "--allow-late",
                "--test-to",
                "--at",
                "--only",
                "--channel",
                "--format",
                "--quiet",
                "--verbose",
            ],
        ),
        (
            "preview",
            &[
                "--out",
                "--outside-root",
                "--comment",
                "--page-url",
                "--at",
                "--only",
                "--channel",
                "--format",
            ],
        ),
        ("doctor", &["--channel", "--format", "--quiet"]),
        ("status", &["--at", "--only", "--channel", "--format"]),
        (
            "audit",
            &["--archive", "--only", "--channel", "--format", "--quiet"],
        ),
        ("new", &["--lang", "--at"]),
        (
            "resolve",
            &[
                "--posted",
                "--not-posted",
                "--resend-in-doubt",
                "--drop-in-doubt",
                "--lang",
                "--part",
            ],
        ),
        (
            "approve",
            &[
                "--all-pending",
                "--yes",
                "--by",
                "--at",
                "--only",
                "--quiet",
            ],
        ),
    ];
    for (command, own) in cases {
        let run = repo.run(&[command, "--help"]);
        run.assert_code(0);
        let mut listed = flags_in_help(&run.stdout);
        listed.sort();
        let mut want: Vec<String> = own.iter().chain(&every).map(|f| f.to_string()).collect();
        want.sort();
        assert_eq!(listed, want, "herald {command} --help:\n{}", run.stdout);
    }
    // A flag another command takes is refused, and said so.
    let run = repo.run(&["doctor", "--at", "2026-06-30 10:00"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .starts_with("error: unexpected argument '--at' found\n"),
        "{}",
        run.stderr
    );
    // `--root` and `--config` work before the command as after it.
    let root = repo.path().to_str().unwrap().to_owned();
    let outside = tempfile::tempdir().unwrap();
    for args in [
        vec!["--root", &root, "--config", "config/herald.toml", "check"],
        vec!["check", "--root", &root, "--config", "config/herald.toml"],
    ] {
        run_from(outside.path(), &args, &[]).assert_code(0);
    }
}
