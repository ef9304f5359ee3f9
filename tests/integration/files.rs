//! What Herald reads must be a regular file (never a pipe, socket or device it could
//! block on), and what it writes must stay inside the repository however the path is
//! spelt or linked. Every run here has a deadline: a herald that blocks fails the test
//! instead of hanging it.

use crate::harness::{Repo, Run, TINY_PNG};
use std::io::Read;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Longer than any of these runs takes; reached only by a herald that blocks.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs `herald --root ROOT ARGS` like the harness does, killing it at [`DEADLINE`].
pub fn run_bounded(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = crate::harness::herald_command(root, args, env);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run herald");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("herald {args:?} was still running after {DEADLINE:?}: it blocked");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Something that is not a regular file.
#[derive(Debug, Clone, Copy)]
pub enum Odd {
    Fifo,
    Socket,
    /// A symbolic link to `/dev/zero`.
    Device,
}

pub const ODD: [Odd; 3] = [Odd::Fifo, Odd::Socket, Odd::Device];

impl Odd {
    /// Makes one at `path`; a socket lives as long as the listener returned.
    pub fn make(self, path: &Path) -> Option<UnixListener> {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        match self {
            Odd::Fifo => {
                let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
                // SAFETY: a valid C string; mkfifo only creates a file.
                assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
                None
            }
            Odd::Socket => Some(UnixListener::bind(path).expect("bind a socket")),
            Odd::Device => {
                std::os::unix::fs::symlink("/dev/zero", path).unwrap();
                None
            }
        }
    }

    /// How Herald must name it.
    pub fn said(self) -> &'static str {
        match self {
            Odd::Fifo => "is a named pipe, not a file",
            Odd::Socket => "is a socket, not a file",
            Odd::Device => "is a device, not a file",
        }
    }
}

#[track_caller]
fn assert_refused(run: &Run, odd: Odd, name: &str) {
    assert_refused_as(run, odd, name, odd.said());
}

/// Where links may not lead out of the repository, a link to a device is refused as that.
#[track_caller]
fn assert_refused_inside(run: &Run, odd: Odd, name: &str) {
    let said = match odd {
        Odd::Device => "outside the repository",
        _ => odd.said(),
    };
    assert_refused_as(run, odd, name, said);
}

#[track_caller]
fn assert_refused_as(run: &Run, odd: Odd, name: &str, said: &str) {
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.lines().any(|l| l.contains(said) && l.contains(name)),
        "{odd:?}: expected a line naming `{name}` and saying \"{said}\"\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout,
        run.stderr
    );
}

const SPRING: &str =
    "---\ntitle: Kevad\npublish_at: 2026-03-29 10:00\nchannels: [record_et]\n---\nTekst.\n";

#[test]
fn an_announcement_that_is_not_a_file_is_refused_at_once() {
    for odd in ODD {
        let repo = Repo::new();
        repo.write("announcements/spring.et.md", SPRING);
        let _keep = odd.make(&repo.path().join("announcements/summer.et.md"));
        let run = run_bounded(repo.path(), &["check"], &[]);
        run.assert_code(1);
        assert_refused(&run, odd, "summer.et.md");
    }
}

/// An announcement with one image, `announcements/images/a.png`.
const WITH_IMAGE: &str = "---\ntitle: Kevad\npublish_at: 2026-03-29 10:00\nchannels: [record_et]\nimages:\n  - path: announcements/images/a.png\n    alt: Punane ruut\n---\nTekst.\n";

#[test]
fn an_image_that_is_not_a_file_is_refused_at_once() {
    for odd in ODD {
        let repo = Repo::new();
        repo.write("announcements/spring.et.md", WITH_IMAGE);
        let _keep = odd.make(&repo.path().join("announcements/images/a.png"));
        let run = run_bounded(repo.path(), &["check"], &[]);
        run.assert_code(1);
        assert_refused_inside(&run, odd, "a.png");
        // The preview shows the problem in place, and does not block on the image.
        run_bounded(repo.path(), &["preview"], &[]).assert_code(1);
        let page = repo.read("preview/index.html");
        let said = match odd {
            Odd::Device => "outside the repository",
            _ => odd.said(),
        };
        assert!(
            page.contains(said),
            "{odd:?}: the page does not say {said:?}"
        );
    }
    // A real image still passes.
    let repo = Repo::new();
    repo.write("announcements/spring.et.md", WITH_IMAGE);
    std::fs::create_dir_all(repo.path().join("announcements/images")).unwrap();
    std::fs::write(repo.path().join("announcements/images/a.png"), TINY_PNG).unwrap();
    run_bounded(repo.path(), &["check"], &[]).assert_code(0);
}

#[test]
fn a_template_that_is_not_a_file_is_refused_not_replaced_by_the_built_in_one() {
    for odd in ODD {
        let repo = Repo::new();
        repo.write("announcements/spring.et.md", SPRING);
        let _keep = odd.make(&repo.path().join("templates/record/post.txt.hbs"));
        let run = run_bounded(repo.path(), &["check"], &[]);
        run.assert_code(1);
        assert_refused(&run, odd, "post.txt.hbs");
    }
}

#[test]
fn a_configuration_that_is_not_a_file_is_refused_at_once() {
    for odd in ODD {
        let repo = Repo::new();
        let _keep = odd.make(&repo.path().join("config/odd.toml"));
        let run = run_bounded(repo.path(), &["--config", "config/odd.toml", "check"], &[]);
        run.assert_code(2);
        assert_refused(&run, odd, "odd.toml");
    }
    // The device itself, as an absolute path.
    let repo = Repo::new();
    let run = run_bounded(repo.path(), &["--config", "/dev/zero", "check"], &[]);
    run.assert_code(2);
    assert_refused(&run, Odd::Device, "/dev/zero");
}

#[test]
fn a_ledger_that_is_not_a_file_is_refused_at_once() {
    for odd in ODD {
        let repo = Repo::new();
        repo.write("announcements/spring.et.md", SPRING);
        repo.approve("announcements/spring.et.md");
        let _keep = odd.make(&repo.path().join("state/ledger.jsonl"));
        for args in [
            &["status", "--at", "2026-03-29 10:05"][..],
            &["publish", "--at", "2026-03-29 10:05"],
        ] {
            let run = run_bounded(repo.path(), args, &[]);
            assert_ne!(run.code, 0, "{args:?}: {}{}", run.stdout, run.stderr);
            if args[0] == "publish" {
                assert_refused_inside(&run, odd, "ledger.jsonl");
            } else {
                assert_refused(&run, odd, "ledger.jsonl");
            }
        }
        assert!(
            !repo.path().join("state/recorded.jsonl").exists(),
            "nothing was sent"
        );
    }
}

/// An email list on a server that is not there: `doctor` reads the key, the suppression
/// list and the subscriber list before it tries to connect.
fn email_repo() -> Repo {
    Repo::with_config(
        r#"
[channels.newsletter]
kind = "email"
lang = "et"
from = "Tartu linn <uudised@tartu.example>"
smtp_host = "127.0.0.1"
smtp_port = 9
tls = "none"
subscribers_env = "TEST_SUBSCRIBERS"
suppression_env = "TEST_SUPPRESSION"
secret_env = "TEST_LIST_SECRET"
dkim_key_env = "TEST_DKIM_KEY"
dkim_selector = "herald"
list_id = "uudised.tartu.example"
unsubscribe_url = "https://tartu.example/loobu/{token}"
"#,
    )
}

#[test]
fn email_lists_and_keys_that_are_not_files_are_refused_at_once() {
    let key = include_str!("../email/dkim-test-key.pem");
    for odd in ODD {
        for which in ["TEST_SUBSCRIBERS", "TEST_SUPPRESSION", "TEST_DKIM_KEY"] {
            let repo = email_repo();
            let files = tempfile::tempdir().unwrap();
            let good = |name: &str, text: &str| {
                let p = files.path().join(name);
                std::fs::write(&p, text).unwrap();
                p.display().to_string()
            };
            let mut env = vec![
                (
                    "TEST_SUBSCRIBERS",
                    good("subscribers.csv", "email\na@example.org\n"),
                ),
                ("TEST_SUPPRESSION", good("suppressed.txt", "# none\n")),
                ("TEST_LIST_SECRET", "s3cret-list-key".to_owned()),
                ("TEST_DKIM_KEY", good("dkim.pem", key)),
            ];
            let odd_path = files.path().join(format!("odd-{}", which.to_lowercase()));
            let _keep = odd.make(&odd_path);
            for pair in &mut env {
                if pair.0 == which {
                    pair.1 = odd_path.display().to_string();
                }
            }
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let run = run_bounded(repo.path(), &["doctor", "--channel", "newsletter"], &env);
            assert_ne!(run.code, 0, "{which}: {}{}", run.stdout, run.stderr);
            let all = format!("{}{}", run.stdout, run.stderr);
            assert!(
                all.contains(odd.said()),
                "{odd:?} as {which}: expected \"{}\"\n{all}",
                odd.said()
            );
            if which == "TEST_DKIM_KEY" {
                // The variable's value is never shown, not even as a path.
                assert!(!all.contains(&*odd_path.display().to_string()), "{all}");
            } else {
                assert!(
                    all.contains(&format!("odd-{}", which.to_lowercase())),
                    "{all}"
                );
            }
        }
    }
}

/// Whether anything at all was written below `dir`.
fn empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

fn link(target: &Path, at: &Path) {
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, at).unwrap();
}

#[test]
fn the_state_folder_must_be_inside_the_repository_however_it_is_spelt_or_linked() {
    let outside = tempfile::tempdir().unwrap();
    let out = outside.path().display().to_string();
    for (value, linked) in [
        (out.as_str(), false),
        ("../state-elsewhere", false),
        ("state/../../state-elsewhere", false),
        ("state", true),
        ("state/inner", true),
    ] {
        let repo = Repo::new();
        repo.write(
            "config/herald.toml",
            &format!("state_dir = \"{value}\"\n{}", crate::harness::BASE_CONFIG),
        );
        repo.write("announcements/spring.et.md", SPRING);
        if linked {
            link(outside.path(), &repo.path().join("state"));
        }
        let run = run_bounded(repo.path(), &["check"], &[]);
        run.assert_code(2);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            all.contains("config/herald.toml:1:1: error: `state_dir`:")
                && all.contains("is outside the repository"),
            "{value}: {all}"
        );
        let run = run_bounded(repo.path(), &["publish", "--at", "2026-03-29 10:05"], &[]);
        run.assert_code(2);
        assert!(
            empty(outside.path()),
            "{value}: something was written outside"
        );
    }
}

#[test]
fn ledger_lock_and_record_files_that_link_out_are_not_written() {
    for file in [
        "state/ledger.jsonl",
        "state/.publish.lock",
        "state/recorded.jsonl",
    ] {
        for dangling in [true, false] {
            let outside = tempfile::tempdir().unwrap();
            let target = outside.path().join("target");
            if !dangling {
                std::fs::write(&target, "").unwrap();
            }
            let repo = Repo::new();
            repo.write("announcements/spring.et.md", SPRING);
            repo.approve("announcements/spring.et.md");
            link(&target, &repo.path().join(file));
            let run = run_bounded(repo.path(), &["publish", "--at", "2026-03-29 10:05"], &[]);
            assert_ne!(run.code, 0, "{file}: {}{}", run.stdout, run.stderr);
            let all = format!("{}{}", run.stdout, run.stderr);
            assert!(
                all.contains(&format!("{file}` leads to `"))
                    && all.contains("which is outside the repository"),
                "{file}: {all}"
            );
            if dangling {
                assert!(empty(outside.path()), "{file}: created outside");
            } else {
                assert_eq!(
                    std::fs::read(&target).unwrap(),
                    b"",
                    "{file}: written outside"
                );
            }
        }
    }
    // Links that stay inside are followed: a dangling one creates the file where it leads.
    {
        let repo = Repo::new();
        repo.write("announcements/spring.et.md", SPRING);
        repo.approve("announcements/spring.et.md");
        // A dangling link to a place inside: the file is created where it leads.
        link(
            Path::new("../records/all.jsonl"),
            &repo.path().join("state/recorded.jsonl"),
        );
        std::fs::create_dir_all(repo.path().join("records")).unwrap();
        run_bounded(repo.path(), &["publish", "--at", "2026-03-29 10:05"], &[]).assert_code(0);
        assert!(
            repo.read("records/all.jsonl")
                .contains("\"text\":\"Kevad\\n\\nTekst.\"")
        );
    }
}

#[test]
fn a_record_file_below_a_folder_that_links_out_is_not_written() {
    let outside = tempfile::tempdir().unwrap();
    let repo = Repo::with_config(
        "[channels.record_out]\nkind = \"record\"\nlang = \"et\"\nfile = \"out/deeper/rec.jsonl\"\n",
    );
    repo.write(
        "announcements/spring.et.md",
        "---\ntitle: Kevad\npublish_at: 2026-03-29 10:00\nchannels: [record_out]\n---\nTekst.\n",
    );
    repo.approve("announcements/spring.et.md");
    link(outside.path(), &repo.path().join("out"));
    let run = run_bounded(repo.path(), &["publish", "--at", "2026-03-29 10:05"], &[]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("is outside the repository"),
        "{}",
        run.stdout
    );
    assert!(empty(outside.path()), "a folder was created outside");
    // The folder real, the file a dangling link out.
    std::fs::remove_file(repo.path().join("out")).unwrap();
    link(
        &outside.path().join("rec.jsonl"),
        &repo.path().join("out/deeper/rec.jsonl"),
    );
    let run = run_bounded(repo.path(), &["publish", "--at", "2026-03-29 10:05"], &[]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("is outside the repository"),
        "{}",
        run.stdout
    );
    assert!(empty(outside.path()), "the record file was created outside");
}

#[test]
fn feed_files_that_link_out_are_not_written() {
    for name in ["rss.xml", "atom.xml", "feed.json", ".entries"] {
        let outside = tempfile::tempdir().unwrap();
        let repo = Repo::examples("");
        let target = outside.path().join("target");
        link(&target, &repo.path().join("public/feed/en").join(name));
        let run = run_bounded(
            repo.path(),
            &[
                "publish",
                "--channel",
                "website_en",
                "--at",
                "2022-06-30 10:30",
            ],
            &[],
        );
        run.assert_code(1);
        assert!(
            run.stdout.contains("is outside the repository"),
            "{name}: {}",
            run.stdout
        );
        assert!(empty(outside.path()), "{name}: written outside");
    }
}

#[test]
fn the_preview_page_is_written_only_inside_unless_asked() {
    for (at, target_is_dir) in [("preview", true), ("preview/index.html", false)] {
        let outside = tempfile::tempdir().unwrap();
        let repo = Repo::new();
        repo.write("announcements/spring.et.md", SPRING);
        let target = if target_is_dir {
            outside.path().to_path_buf()
        } else {
            outside.path().join("index.html")
        };
        link(&target, &repo.path().join(at));
        let run = run_bounded(repo.path(), &["preview"], &[]);
        run.assert_code(2);
        assert!(
            run.stderr.contains("is outside the repository")
                && run.stderr.contains("pass --outside-root as well"),
            "{at}: {}",
            run.stderr
        );
        assert!(empty(outside.path()), "{at}: written outside");
        // The explicit exception.
        run_bounded(repo.path(), &["preview", "--outside-root"], &[]).assert_code(0);
        assert!(outside.path().join("index.html").is_file(), "{at}");
    }
    // `--out` outside, and a pipe where the page goes.
    let outside = tempfile::tempdir().unwrap();
    let repo = Repo::new();
    let out = outside.path().display().to_string();
    run_bounded(repo.path(), &["preview", "--out", &out], &[]).assert_code(2);
    assert!(empty(outside.path()));
    let _keep = Odd::Fifo.make(&repo.path().join("preview/index.html"));
    let run = run_bounded(repo.path(), &["preview"], &[]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("is a named pipe, not a file"),
        "{}",
        run.stderr
    );
}

/// The commands that write announcements (`new`, `approve`) and doctor's write probe
/// stay inside the repository as the publish run's writers do.
#[test]
fn new_approve_and_doctor_write_nothing_through_a_link_out() {
    // `herald new` into an announcements folder that is a link out.
    let outside = tempfile::tempdir().unwrap();
    let repo = Repo::new();
    std::fs::remove_dir_all(repo.path().join("announcements")).unwrap();
    link(outside.path(), &repo.path().join("announcements"));
    let run = run_bounded(repo.path(), &["new", "spring", "--lang", "et"], &[]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stderr.contains("outside the repository"),
        "{}",
        run.stderr
    );
    assert!(empty(outside.path()), "`new` wrote outside");

    // `herald approve` of an announcement that is a link to a file outside.
    let outside = tempfile::tempdir().unwrap();
    let repo = Repo::new();
    let target = outside.path().join("spring.et.md");
    std::fs::write(&target, SPRING).unwrap();
    link(&target, &repo.path().join("announcements/spring.et.md"));
    for args in [
        &[
            "approve",
            "announcements/spring.et.md",
            "--by",
            "editor@example.org",
        ][..],
        &[
            "approve",
            "--all-pending",
            "--yes",
            "--by",
            "editor@example.org",
        ],
    ] {
        let run = run_bounded(repo.path(), args, &[]);
        assert_ne!(run.code, 0, "{args:?}: {}", run.stdout);
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(
            said.contains("outside the repository")
                || said.contains("not an announcement file of this repository"),
            "{args:?}: {said}"
        );
        let text = std::fs::read_to_string(&target).unwrap();
        assert_eq!(text, SPRING, "{args:?}: approve wrote outside");
        let names: Vec<_> = std::fs::read_dir(outside.path()).unwrap().collect();
        assert_eq!(
            names.len(),
            1,
            "{args:?}: nothing is left beside the file outside"
        );
    }

    // `herald doctor`'s probe of a feed folder that is a link out.
    let outside = tempfile::tempdir().unwrap();
    let repo = Repo::examples("");
    std::fs::create_dir_all(repo.path().join("public")).unwrap();
    link(outside.path(), &repo.path().join("public/feed"));
    let run = run_bounded(repo.path(), &["doctor", "--channel", "website_en"], &[]);
    assert!(
        run.stdout.contains("outside the repository"),
        "{}",
        run.stdout
    );
    assert!(empty(outside.path()), "doctor wrote outside");
}
