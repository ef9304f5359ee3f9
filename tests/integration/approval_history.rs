//! Checks that need Git history, tried the way CI runs them: a depth-1 clone of a bare
//! remote, as `actions/checkout` makes by default. And the four-eyes count, and stamps
//! written atomically.

use crate::approval::state;
use crate::harness::{BASE_CONFIG, Repo, bare_remote, git_in};
use std::path::Path;

fn is_shallow(dir: &Path) -> bool {
    git_in(
        dir,
        "x@example.org",
        &["rev-parse", "--is-shallow-repository"],
    )
    .trim()
        == "true"
}

fn commit(dir: &Path, author: &str, message: &str) {
    git_in(dir, author, &["add", "-A"]);
    git_in(dir, author, &["commit", "-q", "-m", message]);
}

const NEWS: &str =
    "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [record_et]\n---\nTekst.\n";

/// A bare remote, and the writer's working clone of it (a [`Repo`]) with the
/// announcement committed by the writer.
struct Remote {
    _dir: tempfile::TempDir,
    bare: std::path::PathBuf,
    work: Repo,
}

impl Remote {
    fn new(policy: &str) -> Remote {
        let dir = tempfile::tempdir().unwrap();
        let bare = bare_remote(dir.path());
        let work = Repo::new();
        work.write(
            "config/herald.toml",
            &BASE_CONFIG.replace(
                "approvers = [\"editor@example.org\"]",
                &format!("approvers = [\"editor@example.org\", \"chief@example.org\", \"writer@example.org\"]\n{policy}"),
            ),
        );
        work.write("announcements/news.et.md", NEWS);
        git_in(
            work.path(),
            "writer@example.org",
            &["init", "-q", "-b", "main"],
        );
        let url = format!("file://{}", bare.display());
        git_in(
            work.path(),
            "writer@example.org",
            &["remote", "add", "origin", &url],
        );
        commit(work.path(), "writer@example.org", "news");
        Remote {
            _dir: dir,
            bare,
            work,
        }
    }

    fn push(&self) {
        git_in(
            self.work.path(),
            "writer@example.org",
            &["push", "-q", "origin", "main"],
        );
    }

    /// What `actions/checkout` gives the publish workflow: only the newest commit.
    fn ci_clone(&self) -> Repo {
        let ci = Repo::new();
        std::fs::remove_dir_all(ci.path().join("announcements")).unwrap();
        std::fs::remove_dir_all(ci.path().join("config")).unwrap();
        let url = format!("file://{}", self.bare.display());
        git_in(
            ci.path(),
            "x@example.org",
            &["clone", "-q", "--depth", "1", &url, "."],
        );
        assert!(is_shallow(ci.path()));
        ci
    }

    /// Someone else's commit on top, touching another file.
    fn unrelated_commit_by(&self, author: &str) {
        self.work
            .write(&format!("notes-{}.txt", author.len()), "märkmed\n");
        commit(self.work.path(), author, "notes");
    }
}

fn published(repo: &Repo) -> bool {
    repo.path().join("state/recorded.jsonl").exists()
}

/// The forgery the hardening issue found: a writer stamps the editor's name and commits
/// it; the editor then commits anything else; in a depth-1 clone the newest commit is the
/// editor's, so reading that clone alone "proves" the approval.
#[test]
fn a_forged_stamp_does_not_publish_from_a_shallow_clone() {
    // Each way the editor's later commit can look.
    for later in ["editor@example.org", "EDITOR@example.org"] {
        let remote = Remote::new("approval_provenance = \"author\"");
        remote
            .work
            .run(&[
                "approve",
                "announcements/news.et.md",
                "--by",
                "editor@example.org",
            ])
            .assert_code(0);
        commit(
            remote.work.path(),
            "writer@example.org",
            "approve (forged by the writer)",
        );
        remote.unrelated_commit_by(later);
        remote.push();

        let ci = remote.ci_clone();
        // `check` does not fetch: it says it cannot prove who approved, and why.
        let (st, detail) = state(&ci);
        assert_eq!(st, "unknown_approver", "{detail}");
        assert!(detail.contains("shallow clone"), "{detail}");
        assert!(detail.contains("fetch-depth: 0"), "{detail}");
        // `publish` fetches the history it needs, then sees who committed the stamp.
        let report = ci.json(&["publish", "--at", "2026-06-30 10:05"], 0);
        assert_eq!(report["rows"][0]["result"], "skipped", "{report:#}");
        let why = report["rows"][0]["detail"].as_str().unwrap();
        assert!(
            why.contains("the approval by editor@example.org was committed by writer@example.org"),
            "{why}"
        );
        assert!(!published(&ci));
        assert!(!is_shallow(ci.path()), "publish fetched the whole history");
    }
}

#[test]
fn a_real_approval_publishes_from_a_shallow_clone_once_its_history_is_fetched() {
    let remote = Remote::new("approval_provenance = \"author\"");
    remote.work.approve("announcements/news.et.md");
    commit(remote.work.path(), "editor@example.org", "approve");
    remote.unrelated_commit_by("writer@example.org");
    remote.push();
    let ci = remote.ci_clone();
    assert_eq!(state(&ci).0, "unknown_approver");
    // The dry run fetches too: it shows what the real run will do.
    let dry = ci.run(&["publish", "--dry-run", "--at", "2026-06-30 10:05"]);
    assert!(dry.stdout.contains("record_et"), "{}", dry.stdout);
    assert!(!dry.stdout.contains("cannot prove"), "{}", dry.stdout);
    let report = ci.json(&["publish", "--at", "2026-06-30 10:05"], 0);
    assert_eq!(report["rows"][0]["result"], "posted", "{report:#}");
    assert!(published(&ci));
}

#[test]
fn history_that_cannot_be_fetched_is_never_taken_as_proof() {
    // (policy, the state it leaves, what the reason says)
    let cases = [
        (
            "approval_provenance = \"author\"",
            "unknown_approver",
            "cannot prove who approved",
        ),
        (
            "approvals_required = 2",
            "draft",
            "cannot tell who wrote the content",
        ),
    ];
    for (policy, expected, says) in cases {
        let remote = Remote::new(policy);
        for by in ["editor@example.org", "chief@example.org"] {
            remote
                .work
                .run(&["approve", "announcements/news.et.md", "--by", by])
                .assert_code(0);
            commit(remote.work.path(), by, "approve");
        }
        remote.push();
        let ci = remote.ci_clone();
        // The remote goes away (renamed), as when the network or the token fails.
        std::fs::rename(&remote.bare, remote.bare.with_extension("gone")).unwrap();
        let report = ci.json(&["publish", "--at", "2026-06-30 10:05"], 0);
        let row = &report["rows"][0];
        assert_eq!(row["result"], "skipped", "{policy}: {report:#}");
        let why = row["detail"].as_str().unwrap();
        assert!(why.contains(says), "{policy}: {why}");
        assert!(
            why.contains("fetching the rest of the history failed"),
            "{policy}: {why}"
        );
        assert!(!published(&ci), "{policy}");
        let doc = ci.json(&["status"], 0);
        assert_eq!(doc["announcements"][0]["state"], expected, "{policy}");
    }
}

/// The approval block with the given stamps (copies of the editor's real stamp fields,
/// `by` replaced).
fn with_stamps(approved: &str, bys: &[&str]) -> String {
    let start = approved.find("approval:\n").unwrap();
    let end = start + approved[start..].find("---\n").unwrap();
    let fields: Vec<&str> = approved[start..end].lines().skip(1).collect();
    let mut block = String::from("approval:\n");
    for by in bys {
        for (i, line) in fields.iter().enumerate() {
            let line = line.strip_prefix("  ").unwrap_or(line);
            let line = if line.starts_with("by: ") {
                format!("by: {by}")
            } else {
                line.to_owned()
            };
            let lead = if i == 0 { "  - " } else { "    " };
            block.push_str(&format!("{lead}{line}\n"));
        }
    }
    format!("{}{block}{}", &approved[..start], &approved[end..])
}

#[test]
fn four_eyes_counts_each_approver_once_however_often_the_stamp_is_copied() {
    let remote = Remote::new("approvals_required = 2");
    let repo = &remote.work;
    repo.approve("announcements/news.et.md");
    let approved = repo.read("announcements/news.et.md");
    let one = "needs 2 approvals by different approvers other than the author (writer@example.org); has editor@example.org";
    let cases: [(&[&str], &str); 5] = [
        (&["editor@example.org", "editor@example.org"], one),
        (
            &[
                "editor@example.org",
                "writer@example.org",
                "editor@example.org",
            ],
            one,
        ),
        (&["editor@example.org", "Editor@Example.org"], one),
        (
            &[
                "editor@example.org",
                "writer@example.org",
                "EDITOR@example.org",
                "editor@example.org",
            ],
            one,
        ),
        (&["editor@example.org", "chief@example.org"], ""),
    ];
    for (bys, detail) in cases {
        repo.write("announcements/news.et.md", &with_stamps(&approved, bys));
        let (st, got) = state(repo);
        let want = if detail.is_empty() {
            "approved"
        } else {
            "draft"
        };
        assert_eq!((st.as_str(), got.as_str()), (want, detail), "{bys:?}");
    }
}

#[test]
fn approve_replaces_the_file_atomically() {
    let repo = Repo::new();
    repo.write("announcements/news.et.md", NEWS);
    let path = repo.path().join("announcements/news.et.md");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, stop) = (path.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut seen = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.starts_with("---\ntitle: Uudis\n") && text.ends_with("---\nTekst.\n"),
                    "a reader saw half a file: {text:?}"
                );
                seen += 1;
            }
            seen
        })
    };
    for i in 0..30 {
        let by = ["editor@example.org", "writer@example.org"][i % 2];
        repo.write(
            "config/herald.toml",
            &BASE_CONFIG.replace(
                "approvers = [\"editor@example.org\"]",
                "approvers = [\"editor@example.org\", \"writer@example.org\"]",
            ),
        );
        repo.run(&["approve", "announcements/news.et.md", "--by", by])
            .assert_code(0);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    let names: Vec<String> = std::fs::read_dir(repo.path().join("announcements"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["news.et.md"], "nothing is left beside the file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "the file keeps its permissions");
    }
    assert_eq!(state(&repo).0, "approved");
}
