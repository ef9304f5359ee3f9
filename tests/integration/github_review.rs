//! Approval by pull-request review, tried the way it is deployed: a bare remote, a
//! writer's clone that opens pull requests (branches pushed to the remote, merged by
//! squash, merge commit or rebase), a depth-1 checkout of `main` as the publish runner,
//! and GitHub's API as a mock ([`MockGitHub`]) that serves the reviews and the reviewed
//! commits' files from that same remote.

use crate::harness::{Run, bare_remote, git_in, run_in};
use crate::mock_github::{MockGitHub, Pull, TOKEN};
use std::path::{Path, PathBuf};

const AT: &str = "2026-06-30T10:05:00+03:00";

const CONFIG: &str = r#"timezone = "Europe/Tallinn"
approvers = ["editor@example.org", "github:kadri-tamm", "github:Mart-Kask"]
APPROVALS

[defaults]
lang = "et"

[channels.record_et]
kind = "record"
lang = "et"
limit = 500
"#;

const NEWS: &str = "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [record_et]\n---\nTartu avab uue pargi.\n";
const NEWS_V2: &str = "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [record_et]\n---\nTartu avab uue pargi laupäeval.\n";
const FILE: &str = "announcements/news.et.md";

/// The remote, the writer's clone and the mock API.
struct Site {
    dir: tempfile::TempDir,
    remote: PathBuf,
    work: PathBuf,
    gh: MockGitHub,
    runners: std::cell::Cell<usize>,
}

impl Site {
    fn new(required: usize) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let remote = bare_remote(dir.path());
        let work = dir.path().join("work");
        std::fs::create_dir_all(work.join("config")).unwrap();
        std::fs::create_dir_all(work.join("announcements")).unwrap();
        let approvals = if required > 1 {
            format!("approvals_required = {required}")
        } else {
            String::new()
        };
        std::fs::write(
            work.join("config/herald.toml"),
            CONFIG.replace("APPROVALS", &approvals),
        )
        .unwrap();
        std::fs::write(work.join("announcements/.keep"), "").unwrap();
        let w = "anu@tartu.ee";
        git_in(&work, w, &["init", "-q", "-b", "main"]);
        let url = format!("file://{}", remote.display());
        git_in(&work, w, &["remote", "add", "origin", &url]);
        git_in(&work, w, &["add", "-A"]);
        git_in(&work, w, &["commit", "-q", "-m", "Herald"]);
        git_in(&work, w, &["push", "-q", "origin", "main"]);
        let gh = MockGitHub::start(&remote);
        Site {
            dir,
            remote,
            work,
            gh,
            runners: std::cell::Cell::new(0),
        }
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(&self.work, "anu@tartu.ee", args)
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// Commits `files` on branch `pr-N` (made from `main` the first time) and pushes it,
    /// also as GitHub's `refs/pull/N/head`. Returns the new head commit.
    fn push_to_pull(&self, n: u64, files: &[(&str, &str)]) -> String {
        let branch = format!("pr-{n}");
        let exists = self.git(&["branch", "--list", &branch]).contains(&branch);
        if exists {
            self.git(&["checkout", "-q", &branch]);
        } else {
            self.git(&["checkout", "-q", "-b", &branch, "main"]);
        }
        for (path, text) in files {
            let full = self.work.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", &format!("change in #{n}")]);
        let head = self.head();
        self.git(&["push", "-q", "origin", &branch]);
        self.git(&[
            "push",
            "-q",
            "origin",
            &format!("{branch}:refs/pull/{n}/head"),
        ]);
        self.git(&["checkout", "-q", "main"]);
        head
    }

    /// Merges branch `pr-N` into `main` the way GitHub's button `how` does, pushes
    /// `main`, and returns the commits on `main` GitHub associates with the pull request.
    fn merge(&self, n: u64, how: &str) -> Vec<String> {
        let branch = format!("pr-{n}");
        let before = self.head();
        match how {
            "squash" => {
                self.git(&["merge", "-q", "--squash", &branch]);
                self.git(&["commit", "-q", "-m", &format!("Squashed #{n}")]);
            }
            "merge" => {
                self.git(&[
                    "merge",
                    "-q",
                    "--no-ff",
                    "-m",
                    &format!("Merge #{n}"),
                    &branch,
                ]);
            }
            "rebase" => {
                // Rebased copies of the branch's commits on top of main.
                let commits = self.git(&["rev-list", "--reverse", &format!("main..{branch}")]);
                for c in commits.lines() {
                    // GitHub rewrites the committer, so each copy is a new commit.
                    self.git(&["-c", "user.name=GitHub", "cherry-pick", "--allow-empty", c]);
                }
            }
            other => panic!("no merge method {other}"),
        }
        self.git(&["push", "-q", "origin", "main"]);
        let list = self.git(&["rev-list", &format!("{before}..HEAD")]);
        list.lines().map(str::to_owned).collect()
    }

    /// Pull request `n` bringing the announcement, merged `how` with `reviews` (login,
    /// state) of its newest commit, by `author`. Returns that commit.
    fn merged_pull(&self, n: u64, how: &str, author: &str, reviews: &[(&str, &str)]) -> String {
        let head = self.push_to_pull(n, &[(FILE, NEWS)]);
        let commits = self.merge(n, how);
        let reviews: Vec<(&str, &str, &str)> = reviews
            .iter()
            .map(|(l, s)| (*l, *s, head.as_str()))
            .collect();
        self.pull(n, author, &head, commits, &reviews);
        head
    }

    /// A pull request that was merged, with its reviews.
    fn pull(
        &self,
        n: u64,
        author: &str,
        head: &str,
        commits: Vec<String>,
        reviews: &[(&str, &str, &str)],
    ) {
        self.gh.add_pull(Pull {
            number: n,
            author: author.into(),
            merged: true,
            base: "main".into(),
            head_sha: head.into(),
            commits,
            reviews: reviews
                .iter()
                .map(|(l, s, c)| (l.to_string(), s.to_string(), c.to_string()))
                .collect(),
        });
    }

    /// An open pull request `n` at `head`, with its reviews.
    fn open_pull(&self, n: u64, head: &str, reviews: &[(&str, &str, &str)]) {
        self.gh.add_pull(Pull {
            number: n,
            author: "anu-writer".into(),
            merged: false,
            base: "main".into(),
            head_sha: head.into(),
            commits: Vec::new(),
            reviews: reviews
                .iter()
                .map(|(l, s, c)| (l.to_string(), s.to_string(), c.to_string()))
                .collect(),
        });
    }

    /// A runner checked out as `actions/checkout` checks out pull request `n` (its merge
    /// into `main`), and the event file of its run.
    fn pull_request_checkout(&self, n: u64, head: &str) -> (PathBuf, String) {
        let runner = self.runner();
        let w = "r@example.org";
        git_in(&runner, w, &["fetch", "-q", "origin", &format!("pr-{n}")]);
        git_in(
            &runner,
            w,
            &["merge", "-q", "--no-ff", "-m", "Merge", "FETCH_HEAD"],
        );
        let event = format!(
            r#"{{"pull_request": {{"number": {n}, "user": {{"login": "anu-writer"}},
                "head": {{"sha": "{head}", "repo": {{"full_name": "tartu/news"}}}},
                "base": {{"repo": {{"full_name": "tartu/news"}}}}}}}}"#
        );
        let path = self.event(&runner, &event);
        (runner, path)
    }

    /// From now on the remote refuses every push to `main`, as a protected branch does.
    fn protect_main(&self) {
        use std::os::unix::fs::PermissionsExt;
        let hook = self.remote.join("hooks/pre-receive");
        std::fs::write(
            &hook,
            "#!/bin/sh\nwhile read old new ref; do\n  if [ \"$ref\" = refs/heads/main ]; then\n    echo \"main is protected: changes come through pull requests\" >&2\n    exit 1\n  fi\ndone\n",
        )
        .unwrap();
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Commits straight onto `main` and pushes it.
    fn push_to_main(&self, files: &[(&str, &str)]) -> String {
        for (path, text) in files {
            let full = self.work.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "straight to main"]);
        self.git(&["push", "-q", "origin", "main"]);
        self.head()
    }

    /// A fresh depth-1 checkout of `main`, as `actions/checkout` makes by default.
    fn runner(&self) -> PathBuf {
        let n = self.runners.get() + 1;
        self.runners.set(n);
        let dir = self.dir.path().join(format!("runner-{n}"));
        let url = format!("file://{}", self.remote.display());
        git_in(
            self.dir.path(),
            "runner@example.org",
            &[
                "clone",
                "-q",
                "--depth",
                "1",
                "--branch",
                "main",
                &url,
                dir.to_str().unwrap(),
            ],
        );
        dir
    }

    fn event(&self, runner: &Path, json: &str) -> String {
        let path = runner.join("../event.json");
        std::fs::write(&path, json).unwrap();
        path.to_string_lossy().into_owned()
    }

    /// `herald ARGS` on `runner` in a scheduled publish run on GitHub.
    fn run(&self, runner: &Path, args: &[&str]) -> (Run, String) {
        let event = self.event(runner, r#"{"schedule": "*/15 * * * *"}"#);
        let summary = runner.join("../summary.md");
        let _ = std::fs::remove_file(&summary);
        let env = self.gh.env("schedule", &event, summary.to_str().unwrap());
        let env = pairs(&env);
        let mut all = args.to_vec();
        // `audit` does not read the time; every other command here takes `--at`.
        if args.first() != Some(&"audit") {
            all.extend(["--at", AT]);
        }
        let run = run_in(runner, &all, &env);
        let summary = std::fs::read_to_string(&summary).unwrap_or_default();
        (run, summary)
    }

    fn recorded(runner: &Path) -> String {
        std::fs::read_to_string(runner.join("state/recorded.jsonl")).unwrap_or_default()
    }
}

/// `(name, value)` pairs as the harness takes them.
fn pairs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// What `status --format json` says of the announcement: its state and the reason.
fn status_of(site: &Site, runner: &Path) -> (String, String) {
    let (run, _) = site.run(runner, &["status", "--format", "json"]);
    let doc = run.json();
    let v = &doc["announcements"][0];
    let text = v.to_string();
    (v["state"].as_str().unwrap_or_default().to_owned(), text)
}

#[test]
fn an_approve_review_by_a_listed_login_publishes_once_and_is_recorded_shown_and_commented() {
    for how in ["squash", "merge", "rebase"] {
        let site = Site::new(1);
        let head = site.push_to_pull(12, &[(FILE, NEWS)]);
        let commits = site.merge(12, how);
        if how != "merge" {
            assert!(!commits.contains(&head), "{how}: main has new commits");
        }
        site.pull(
            12,
            "anu-writer",
            &head,
            commits,
            &[("kadri-tamm", "APPROVED", &head)],
        );
        let runner = site.runner();
        let (run, summary) = site.run(&runner, &["publish"]);
        run.assert_code(0);
        let recorded = Site::recorded(&runner);
        assert_eq!(
            recorded.lines().count(),
            1,
            "{how}: one post\n{}\n{}",
            run.stdout,
            run.stderr
        );
        assert!(
            recorded.contains("Tartu avab uue pargi."),
            "{how}: {recorded}"
        );
        // The review is in the ledger and in the audit.
        let ledger = std::fs::read_to_string(runner.join("state/ledger.jsonl")).unwrap();
        let approved: Vec<serde_json::Value> = ledger
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|r: &serde_json::Value| r["event"] == "approved")
            .collect();
        assert_eq!(approved.len(), 1, "{how}: {ledger}");
        assert_eq!(approved[0]["by"], "github:kadri-tamm");
        assert_eq!(approved[0]["pull"], 12);
        assert_eq!(approved[0]["commit"], head.as_str());
        assert!(
            approved[0]["url"]
                .as_str()
                .unwrap()
                .starts_with("https://github.example/tartu/news/pull/12#pullrequestreview-")
        );
        let (audit, _) = site.run(&runner, &["audit"]);
        assert!(
            audit
                .stdout
                .contains("approved by @kadri-tamm in #12 at 2026-05-31T11:00:00+03:00"),
            "{how}: {}",
            audit.stdout
        );
        // The addresses are commented on the pull request, and the summary says what went out.
        let comments = site.gh.comments(12);
        assert_eq!(comments.len(), 1, "{how}: {comments:?}");
        assert!(
            comments[0].1.contains("**record_et** (et)"),
            "{}",
            comments[0].1
        );
        assert!(
            comments[0]
                .1
                .contains("https://github.example/tartu/news/actions/runs/4242")
        );
        assert!(
            summary.contains("**Sent: 1** · **held back: 0**"),
            "{summary}"
        );
        assert!(summary.contains("| news | et | record_et |"), "{summary}");
        // The reviewed commit's own files were read to render what was reviewed.
        let targets: Vec<String> = site
            .gh
            .requests()
            .iter()
            .map(|r| r.target.clone())
            .collect();
        for want in [
            format!("/repos/tartu/news/contents/config/herald.toml?ref={head}"),
            format!("/repos/tartu/news/contents/announcements/news.et.md?ref={head}"),
            "/repos/tartu/news/pulls/12/reviews?per_page=100".to_owned(),
        ] {
            assert!(targets.contains(&want), "{how}: no {want} in {targets:#?}");
        }
        // Every request carried GitHub's headers; the token never left for another host.
        for r in site.gh.requests() {
            assert_eq!(r.headers["authorization"], format!("Bearer {TOKEN}"));
            assert_eq!(r.headers["x-github-api-version"], "2022-11-28");
            assert!(r.headers["user-agent"].starts_with("herald/"));
            assert!(r.headers["accept"].starts_with("application/vnd.github"));
        }
        // A second run sends nothing again and comments nothing again.
        let (again, _) = site.run(&runner, &["publish"]);
        again.assert_code(0);
        assert_eq!(Site::recorded(&runner).lines().count(), 1);
        assert_eq!(site.gh.comments(12).len(), 1);
    }
}

/// Each way a review does not approve what goes out: not sent, and `status` says why.
#[test]
fn reviews_that_do_not_approve_what_goes_out_send_nothing_and_say_why() {
    type Case = (&'static str, fn(&Site), &'static str, &'static str);
    let cases: &[Case] = &[
        (
            "an unlisted login",
            |site| {
                site.merged_pull(12, "squash", "anu-writer", &[("mallory", "APPROVED")]);
            },
            "unknown_approver",
            "approved by @mallory, who is not in `approvers`",
        ),
        (
            "a review of an earlier push",
            |site| {
                let first = site.push_to_pull(12, &[(FILE, NEWS)]);
                let head = site.push_to_pull(12, &[(FILE, NEWS_V2)]);
                let c = site.merge(12, "squash");
                site.pull(
                    12,
                    "anu-writer",
                    &head,
                    c,
                    &[("kadri-tamm", "APPROVED", &first)],
                );
            },
            "changed",
            "the announcement changed after it",
        ),
        (
            "a dismissed review",
            |site| {
                site.merged_pull(12, "squash", "anu-writer", &[("kadri-tamm", "DISMISSED")]);
            },
            "draft",
            "was dismissed",
        ),
        (
            "approval taken back by a request for changes",
            |site| {
                site.merged_pull(
                    12,
                    "merge",
                    "anu-writer",
                    &[
                        ("kadri-tamm", "APPROVED"),
                        ("kadri-tamm", "CHANGES_REQUESTED"),
                    ],
                );
            },
            "draft",
            "asked for changes",
        ),
        (
            "merged without a review",
            |site| {
                site.merged_pull(12, "squash", "anu-writer", &[("mart-kask", "COMMENTED")]);
            },
            "draft",
            "pull request #12 was merged without an Approve review",
        ),
        (
            "a direct push to main",
            |site| {
                site.push_to_main(&[(FILE, NEWS)]);
            },
            "draft",
            "reached the branch without a reviewed pull request",
        ),
        (
            "a template changed after the review",
            |site| {
                site.merged_pull(12, "squash", "anu-writer", &[("kadri-tamm", "APPROVED")]);
                site.push_to_main(&[("templates/record/post.txt.hbs", "{{title}}! {{body}}")]);
            },
            "changed",
            "what goes out to `record_et` changed after it",
        ),
        (
            "a stamp written by hand for a GitHub login",
            |site| {
                let forged = NEWS.replace(
                    "channels: [record_et]\n",
                    "channels: [record_et]\napproval:\n  by: github:kadri-tamm\n  at: 2026-06-01T10:00:00Z\n  hash: sha256:0000\n",
                );
                site.push_to_main(&[(FILE, &forged)]);
            },
            "draft",
            "reached the branch without a reviewed pull request",
        ),
    ];
    for (name, arrange, state, why) in cases {
        let site = Site::new(1);
        arrange(&site);
        let runner = site.runner();
        let (run, summary) = site.run(&runner, &["publish"]);
        assert_eq!(
            Site::recorded(&runner),
            "",
            "{name}: nothing may go out\n{}\n{}",
            run.stdout,
            run.stderr
        );
        // Not approved is not a failure of the run: the post waits, and the report says why.
        run.assert_code(0);
        assert!(
            run.stdout.contains("skipped   news [et] → record_et"),
            "{name}: {}",
            run.stdout
        );
        assert!(run.stdout.contains(why), "{name}: {}", run.stdout);
        assert!(summary.contains("held back"), "{name}: {summary}");
        let (got, text) = status_of(&site, &runner);
        assert_eq!(&got, state, "{name}: {text}");
        assert!(text.contains(why), "{name}: expected {why:?} in {text}");
        assert!(site.gh.comments(12).is_empty(), "{name}");
    }
}

#[test]
fn a_stamp_can_never_stand_for_a_github_login() {
    // Even with the right content hash: approvals by GitHub accounts are reviews.
    let site = Site::new(1);
    site.push_to_main(&[(FILE, NEWS)]);
    let runner = site.runner();
    for by in ["github:kadri-tamm", "github:Mart-Kask", "github:nobody"] {
        let approve = run_in(&runner, &["approve", "--by", by, FILE], &[]);
        approve.assert_code(2);
        assert!(
            approve.stderr.contains("approves with an Approve review"),
            "{}",
            approve.stderr
        );
    }
    // A stamp by a listed e-mail approver, then its name changed by hand to a login.
    run_in(
        &runner,
        &["approve", "--by", "editor@example.org", FILE],
        &[],
    )
    .assert_code(0);
    let text = std::fs::read_to_string(runner.join(FILE)).unwrap();
    std::fs::write(
        runner.join(FILE),
        text.replace("by: editor@example.org", "by: github:kadri-tamm"),
    )
    .unwrap();
    let (got, text) = status_of(&site, &runner);
    assert_eq!(got, "draft", "{text}");
    assert!(
        text.contains("`github:kadri-tamm` approves with an Approve review on the pull request, not with a stamp in the file"),
        "{text}"
    );
    let (run, _) = site.run(&runner, &["publish"]);
    assert_eq!(
        Site::recorded(&runner),
        "",
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    run.assert_code(0);
    assert!(
        run.stdout.contains("skipped   news [et] → record_et"),
        "{}",
        run.stdout
    );
}

#[test]
fn two_approvals_need_two_listed_reviewers_other_than_the_author() {
    let site = Site::new(2);
    // The author's own approval does not count.
    site.merged_pull(
        12,
        "squash",
        "kadri-tamm",
        &[("kadri-tamm", "APPROVED"), ("Mart-Kask", "APPROVED")],
    );
    let runner = site.runner();
    let (run, _) = site.run(&runner, &["publish"]);
    run.assert_code(0);
    assert_eq!(Site::recorded(&runner), "");
    let (got, text) = status_of(&site, &runner);
    assert_eq!(got, "draft", "{text}");
    assert!(text.contains("needs 2 Approve reviews"), "{text}");
    assert!(text.contains("(@kadri-tamm)"), "{text}");

    let site = Site::new(2);
    site.merged_pull(
        14,
        "rebase",
        "anu-writer",
        &[("kadri-tamm", "APPROVED"), ("mart-kask", "APPROVED")],
    );
    let runner = site.runner();
    let (run, _) = site.run(&runner, &["publish"]);
    run.assert_code(0);
    assert_eq!(Site::recorded(&runner).lines().count(), 1);
    let (audit, _) = site.run(&runner, &["audit"]);
    assert!(
        audit.stdout.contains("approved by @kadri-tamm in #14"),
        "{}",
        audit.stdout
    );
    assert!(
        audit.stdout.contains("approved by @mart-kask in #14"),
        "{}",
        audit.stdout
    );
}

#[test]
fn reviews_are_read_across_pages() {
    let site = Site::new(1);
    site.gh.set_page_size(2);
    site.merged_pull(
        12,
        "squash",
        "anu-writer",
        &[
            ("mart-kask", "COMMENTED"),
            ("someone", "COMMENTED"),
            ("someone-else", "COMMENTED"),
            ("mallory", "APPROVED"),
            ("kadri-tamm", "APPROVED"),
        ],
    );
    let runner = site.runner();
    let (run, _) = site.run(&runner, &["publish"]);
    run.assert_code(0);
    assert_eq!(Site::recorded(&runner).lines().count(), 1);
    let pages: Vec<String> = site
        .gh
        .requests()
        .iter()
        .filter(|r| r.target.contains("/pulls/12/reviews"))
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages[2].ends_with("page=3"), "{pages:?}");
}

#[test]
fn an_api_that_refuses_or_echoes_the_token_sends_nothing_and_never_shows_the_token() {
    let site = Site::new(1);
    site.merged_pull(12, "squash", "anu-writer", &[("kadri-tamm", "APPROVED")]);
    site.gh.refuse_with(&format!(
        "Resource not accessible by integration (token {TOKEN})"
    ));
    let runner = site.runner();
    let (run, summary) = site.run(&runner, &["publish"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("cannot check its review"),
        "{}",
        run.stdout
    );
    assert_eq!(Site::recorded(&runner), "");
    let (status, _) = site.run(&runner, &["status"]);
    for text in [
        &run.stdout,
        &run.stderr,
        &summary,
        &status.stdout,
        &status.stderr,
    ] {
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
    }
    assert!(
        status.stdout.contains("pull-requests: write"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains("[GITHUB_TOKEN]") || status.stdout.contains("GITHUB_TOKEN"));
}

#[test]
fn publishing_refuses_to_run_for_a_pull_request() {
    let site = Site::new(1);
    site.merged_pull(12, "squash", "anu-writer", &[("kadri-tamm", "APPROVED")]);
    let runner = site.runner();
    for event in ["pull_request", "pull_request_target", "pull_request_review"] {
        let path = site.event(&runner, r#"{"pull_request": {"number": 12}}"#);
        let env = site.gh.env(event, &path, "/dev/null");
        let env = pairs(&env);
        let run = run_in(&runner, &["publish", "--at", AT], &env);
        run.assert_code(2);
        assert!(
            run.stderr.contains("does not run in a pull request"),
            "{}",
            run.stderr
        );
        assert_eq!(Site::recorded(&runner), "");
    }
}

#[test]
fn a_stamped_announcement_pushed_to_main_gets_its_addresses_on_the_commit() {
    let site = Site::new(1);
    std::fs::write(site.work.join(FILE), NEWS).unwrap();
    let stamp = run_in(
        &site.work,
        &[
            "approve",
            "--by",
            "editor@example.org",
            "--at",
            "2026-06-01T10:00:00+03:00",
            FILE,
        ],
        &[],
    );
    stamp.assert_code(0);
    let sha = site.push_to_main(&[]);
    let runner = site.runner();
    let (run, summary) = site.run(&runner, &["publish"]);
    run.assert_code(0);
    assert_eq!(Site::recorded(&runner).lines().count(), 1, "{}", run.stdout);
    let on_commits = site.gh.commit_comments();
    assert_eq!(on_commits.len(), 1, "{on_commits:?}");
    assert_eq!(on_commits[0].0, sha);
    assert!(
        on_commits[0].1.contains("**record_et** (et)"),
        "{}",
        on_commits[0].1
    );
    assert!(summary.contains("**Sent: 1**"), "{summary}");
}

/// The environment of a `pull_request` run for pull request 12, from `head_repo`.
fn pull_request_env(site: &Site, runner: &Path, head_repo: &str) -> Vec<(String, String)> {
    let event = format!(
        r#"{{"action": "synchronize", "number": 12, "pull_request": {{"number": 12,
            "head": {{"sha": "abc", "repo": {{"full_name": "{head_repo}"}}}},
            "base": {{"ref": "main", "repo": {{"full_name": "tartu/news"}}}}}}}}"#
    );
    let path = site.event(runner, &event);
    let summary = runner.join("../summary.md");
    let _ = std::fs::remove_file(&summary);
    site.gh
        .env("pull_request", &path, summary.to_str().unwrap())
}

fn preview_comment(site: &Site, runner: &Path, env: &[(String, String)]) -> Run {
    let _ = site;
    let env = pairs(env);
    let args = [
        "preview",
        "--at",
        AT,
        "--format",
        "markdown",
        "--comment",
        "--page-url",
        "https://github.example/page",
    ];
    let run = run_in(runner, &args, &env);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("[Open the full preview page](<https://github.example/page>)"),
        "{}",
        run.stdout
    );
    run
}

#[test]
fn the_preview_is_one_comment_on_the_pull_request_updated_on_every_push() {
    let site = Site::new(1);
    site.push_to_pull(12, &[(FILE, NEWS)]);
    site.gh.add_pull(Pull {
        number: 12,
        author: "anu-writer".into(),
        merged: false,
        base: "main".into(),
        head_sha: String::new(),
        commits: Vec::new(),
        reviews: Vec::new(),
    });
    // Someone else's comment, which Herald leaves alone.
    site.gh.add_comment(12, "Looks good, but check the date.");
    let runner = site.runner();
    git_in(
        &runner,
        "r@example.org",
        &["fetch", "-q", "origin", "pr-12"],
    );
    git_in(&runner, "r@example.org", &["checkout", "-q", "FETCH_HEAD"]);
    let env = pull_request_env(&site, &runner, "tartu/news");
    let first = preview_comment(&site, &runner, &env);
    let comments = site.gh.comments(12);
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert_eq!(comments[0].1, "Looks good, but check the date.");
    assert_eq!(
        comments[1].1, first.stdout,
        "the comment is the preview's body"
    );
    assert!(comments[1].1.starts_with("<!-- herald-preview -->"));
    // The next push changes the text: the same comment is updated.
    std::fs::write(runner.join(FILE), NEWS_V2).unwrap();
    let second = preview_comment(&site, &runner, &env);
    assert_ne!(first.stdout, second.stdout);
    let comments = site.gh.comments(12);
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert_eq!(comments[0].1, "Looks good, but check the date.");
    assert_eq!(comments[1].1, second.stdout);
    let writes: Vec<String> = site
        .gh
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert_eq!(
        writes,
        [
            "POST /repos/tartu/news/issues/12/comments".to_owned(),
            format!("PATCH /repos/tartu/news/issues/comments/{}", comments[1].0),
        ]
    );
    // The job summary has the preview too.
    let summary = std::fs::read_to_string(runner.join("../summary.md")).unwrap();
    assert!(summary.contains("<!-- herald-preview -->"), "{summary}");
}

#[test]
fn a_pull_request_from_a_fork_gets_the_preview_in_the_job_summary_only() {
    for head_repo in ["someone/news", "null"] {
        let site = Site::new(1);
        site.push_to_pull(12, &[(FILE, NEWS)]);
        let runner = site.runner();
        let mut env = pull_request_env(&site, &runner, head_repo);
        if head_repo == "null" {
            // A deleted fork: GitHub sends `"repo": null`.
            let path = site.event(
                &runner,
                r#"{"pull_request": {"number": 12, "head": {"repo": null}, "base": {"repo": {"full_name": "tartu/news"}}}}"#,
            );
            env.retain(|(k, _)| k != "GITHUB_EVENT_PATH");
            env.push(("GITHUB_EVENT_PATH".into(), path));
        }
        let env_ref = pairs(&env);
        let run = run_in(
            &runner,
            &["preview", "--at", AT, "--format", "markdown", "--comment"],
            &env_ref,
        );
        run.assert_code(0);
        assert!(run.stderr.contains("comes from a fork"), "{}", run.stderr);
        // It may read (its token is read-only), never write.
        assert!(
            site.gh.requests().iter().all(|r| r.method == "GET"),
            "a fork's run writes nothing: {:?}",
            site.gh.requests()
        );
        assert!(site.gh.comments(12).is_empty());
        let summary = std::fs::read_to_string(runner.join("../summary.md")).unwrap();
        assert_eq!(summary, run.stdout);
    }
}

#[test]
fn the_preview_shows_an_approval_of_the_pull_requests_newest_commit_and_only_that() {
    for (reviewed_newest, want) in [
        (true, "by @kadri-tamm on this pull request's newest commit"),
        (
            false,
            "waiting for an Approve review by @kadri-tamm or @Mart-Kask",
        ),
    ] {
        let site = Site::new(1);
        let first = site.push_to_pull(12, &[(FILE, NEWS)]);
        let head = site.push_to_pull(12, &[(FILE, NEWS_V2)]);
        let reviewed = if reviewed_newest { &head } else { &first };
        site.open_pull(12, &head, &[("kadri-tamm", "APPROVED", reviewed)]);
        // As actions/checkout checks out a pull request: its merge into the base.
        let (runner, path) = site.pull_request_checkout(12, &head);
        let env = site.gh.env("pull_request", &path, "/dev/null");
        let env = pairs(&env);
        let run = run_in(
            &runner,
            &[
                "preview",
                "--at",
                "2026-06-29 10:00",
                "--format",
                "markdown",
                "--comment",
            ],
            &env,
        );
        run.assert_code(0);
        let comments = site.gh.comments(12);
        assert_eq!(comments.len(), 1);
        // The comment mentions nobody: a word joiner follows each `@`.
        let text = comments[0].1.replace("@\u{2060}", "@");
        assert!(text.contains(want), "{reviewed_newest}: {text}");
        // Publishing is still the only place an approval counts.
        assert_eq!(Site::recorded(&runner), "");
    }
}

/// Runs a workflow step's own script with bash in `dir`, as a runner does: `env` plus
/// the step's `env:` values given in `step_env`, `target/release/herald` being the binary
/// under test.
fn run_workflow_step(
    workflow: &str,
    step: &str,
    dir: &Path,
    env: &[(String, String)],
    step_env: &[(&str, &str)],
) -> Run {
    let script = crate::workflow_steps::step_script(workflow, step);
    let bin = dir.join("target/release");
    std::fs::create_dir_all(&bin).unwrap();
    let _ = std::fs::remove_file(bin.join("herald"));
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_herald"), bin.join("herald")).unwrap();
    let mut cmd = std::process::Command::new("bash");
    cmd.args(["-e", "-c", &script]).current_dir(dir);
    crate::harness::clean_env(&mut cmd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    for (k, v) in step_env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn the_workflows_own_steps_comment_the_preview_then_publish_the_reviewed_post_and_comment_its_address()
 {
    let site = Site::new(1);
    // As the shipped configuration: the state on its own branch.
    let config = std::fs::read_to_string(site.work.join("config/herald.toml")).unwrap();
    site.push_to_main(&[(
        "config/herald.toml",
        &format!("{config}\n[state]\ngit_branch = \"herald-state\"\n"),
    )]);
    // The workflow's script runs herald without `--at`: due a minute ago, really.
    let due = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(1);
    let news = NEWS.replace(
        "2026-06-30 10:00",
        &due.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    );
    let head = site.push_to_pull(12, &[(FILE, &news)]);
    site.open_pull(12, &head, &[("kadri-tamm", "APPROVED", &head)]);
    // preview.yml on the pull request: its merge into main, as actions/checkout makes it.
    let (runner, path) = site.pull_request_checkout(12, &head);
    let summary = runner.join("../summary.md");
    let env = site
        .gh
        .env("pull_request", &path, summary.to_str().unwrap());
    let page = run_workflow_step("preview.yml", "Preview page", &runner, &env, &[]);
    page.assert_code(0);
    assert!(runner.join("preview-page/index.html").is_file());
    let url = "https://github.example/tartu/news/actions/runs/4242/artifacts/77";
    let comment = run_workflow_step(
        "preview.yml",
        "Preview comment",
        &runner,
        &env,
        &[("GITHUB_TOKEN", TOKEN), ("PAGE_URL", url)],
    );
    comment.assert_code(0);
    let comments = site.gh.comments(12);
    assert_eq!(comments.len(), 1, "{}", comment.stderr);
    let body = comments[0].1.replace("@\u{2060}", "@");
    assert!(
        body.contains(&format!("[Open the full preview page](<{url}>)")),
        "{body}"
    );
    assert!(
        body.contains("by @kadri-tamm on this pull request's newest commit"),
        "{body}"
    );
    run_workflow_step("preview.yml", "Check", &runner, &env, &[]).assert_code(0);

    // The button: squash and merge. Then publish.yml's Publish step on a fresh runner.
    let commits = site.merge(12, "squash");
    site.gh.add_pull(Pull {
        number: 12,
        author: "anu-writer".into(),
        merged: true,
        base: "main".into(),
        head_sha: head.clone(),
        commits,
        reviews: vec![("kadri-tamm".into(), "APPROVED".into(), head.clone())],
    });
    site.protect_main();
    let runner = site.runner();
    let event = site.event(&runner, r#"{"schedule": "*/15 * * * *"}"#);
    let summary = runner.join("../summary.md");
    let _ = std::fs::remove_file(&summary);
    let env = site.gh.env("schedule", &event, summary.to_str().unwrap());
    let env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| k != "GITHUB_TOKEN")
        .collect();
    let publish = run_workflow_step(
        "publish.yml",
        "Publish",
        &runner,
        &env,
        &[
            ("GITHUB_TOKEN", TOKEN),
            ("DRY_RUN", "false"),
            ("ALLOW_LATE", "false"),
        ],
    );
    let report = std::fs::read_to_string(runner.join("report.txt")).unwrap_or_default();
    assert_eq!(publish.code, 0, "{report}");
    // What was sent and the verified review are on the state branch; `main` is untouched.
    let on_branch = |path: &str| {
        git_in(
            &site.remote,
            "x@example.org",
            &["show", &format!("herald-state:{path}")],
        )
    };
    assert_eq!(
        on_branch("state/recorded.jsonl").lines().count(),
        1,
        "{report}"
    );
    assert!(
        on_branch("state/ledger.jsonl").contains(r#""event":"approved""#),
        "{report}"
    );
    let main = git_in(&site.remote, "x@example.org", &["rev-parse", "main"]);
    assert_eq!(main.trim(), site.head(), "main is never written");
    let comments = site.gh.comments(12);
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert!(
        comments[1].1.contains("**Sent: Uudis** (`news`)"),
        "{}",
        comments[1].1
    );
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(summary.contains("**Sent: 1**"), "{summary}");
}

#[test]
fn what_missed_its_time_costs_no_requests_unless_the_run_sends_late_posts() {
    let site = Site::new(1);
    site.merged_pull(12, "squash", "anu-writer", &[("kadri-tamm", "APPROVED")]);
    let runner = site.runner();
    let event = site.event(&runner, r#"{"schedule": "*/15 * * * *"}"#);
    let env = site.gh.env("schedule", &event, "/dev/null");
    let env = pairs(&env);
    // A month late: every run would otherwise ask GitHub again, forever.
    let late = "2026-07-30T10:00:00+03:00";
    for args in [
        vec!["publish"],
        vec!["status"],
        vec!["publish", "--dry-run"],
    ] {
        let mut all = args.clone();
        all.extend(["--at", late]);
        run_in(&runner, &all, &env);
        assert!(
            site.gh.requests().is_empty(),
            "{args:?}: {:?}",
            site.gh.requests()
        );
    }
    let run = run_in(&runner, &["publish", "--at", late, "--allow-late"], &env);
    run.assert_code(0);
    assert_eq!(Site::recorded(&runner).lines().count(), 1, "{}", run.stdout);
    assert!(!site.gh.requests().is_empty());
}

#[test]
fn a_reviewed_commit_with_a_file_too_big_to_read_approves_nothing_and_says_why() {
    let site = Site::new(1);
    let with_image = |path: &str| {
        NEWS.replace(
            "channels: [record_et]\n",
            &format!("channels: [record_et]\nimages:\n  - path: {path}\n    alt: Park\n"),
        )
    };
    // The reviewed push carries an image larger than any Herald reads (52 MB).
    let big = vec![0u8; 52 << 20];
    std::fs::create_dir_all(site.work.join("announcements/images")).unwrap();
    std::fs::write(site.work.join("announcements/images/park.png"), &big).unwrap();
    let reviewed = site.push_to_pull(12, &[(FILE, &with_image("announcements/images/park.png"))]);
    // The next push makes it small; the review stays on the big one.
    site.git(&["checkout", "-q", "pr-12"]);
    std::fs::write(
        site.work.join("announcements/images/park.png"),
        crate::harness::TINY_PNG,
    )
    .unwrap();
    site.git(&["commit", "-q", "-am", "smaller picture"]);
    let head = site.head();
    site.git(&["push", "-q", "origin", "pr-12"]);
    site.git(&["checkout", "-q", "main"]);
    let c = site.merge(12, "squash");
    site.pull(
        12,
        "anu-writer",
        &head,
        c,
        &[("kadri-tamm", "APPROVED", &reviewed)],
    );
    let runner = site.runner();
    let (run, _) = site.run(&runner, &["publish"]);
    run.assert_code(0);
    assert_eq!(Site::recorded(&runner), "", "{}", run.stdout);
    assert!(run.stdout.contains("larger than 51 MB"), "{}", run.stdout);
}

/// An Approve review cannot make a placeholder of `herald new` go out: the post is
/// blocked with the check's words, and nothing is sent (issue 19).
#[test]
fn a_reviewed_announcement_that_still_has_a_placeholder_is_blocked() {
    let site = Site::new(1);
    let text = NEWS.replace(
        "channels: [record_et]\n",
        "channels: [record_et]\nlink: https://example.org/news/uudis\n",
    );
    let head = site.push_to_pull(12, &[(FILE, &text)]);
    let commits = site.merge(12, "squash");
    site.pull(
        12,
        "anu-writer",
        &head,
        commits,
        &[("kadri-tamm", "APPROVED", &head)],
    );
    let runner = site.runner();
    let words = "the `link` is still the placeholder that `herald new` wrote; put the address of the full text on your website, or remove the line (a file with a placeholder cannot be approved or published)";
    let (dry, _) = site.run(&runner, &["publish", "--dry-run", "--format", "json"]);
    let dry = dry.json();
    assert_eq!(dry["due"], serde_json::json!([]), "{dry}");
    assert_eq!(
        dry["held"][0]["reason"],
        format!("not sent: {words}"),
        "{dry}"
    );
    let (run, _) = site.run(&runner, &["publish"]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert_eq!(Site::recorded(&runner), "", "nothing sent");
    let (status, text) = status_of(&site, &runner);
    assert_eq!(status, "approved", "{text}");
    assert!(text.contains("\"blocked\""), "{text}");
}
