//! Email lists against a real SMTP server (aiosmtpd: STARTTLS, then AUTH, Maildir), every
//! received message parsed with Python's `email` package, DKIM checked with dkimpy.

use crate::harness::{Repo, project_root};
use crate::smtp_peer::{Smtp, header};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::BTreeMap;

const SECRET: &str = "list-secret-3f9a";
const DKIM_KEY: &str = include_str!("../email/dkim-test-key.pem");
const DKIM_PUBLIC: &str = include_str!("../email/dkim-test-key.pub.b64");

/// A repository holding the bundled example announcements and one email list.
fn examples_repo(smtp: &Smtp, extra: &str) -> Repo {
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &format!(
            "timezone = \"Europe/Tallinn\"\napprovers = [\"kadri.tamm@tartu.ee\"]\n\n[defaults]\nlang = \"et\"\n\n[publish]\nretry_base = \"20ms\"\n{}",
            smtp.channel("newsletter", extra)
        ),
    );
    crate::harness::copy_dir(
        &project_root().join("announcements"),
        &repo.path().join("announcements"),
    );
    repo.reapprove_examples();
    repo
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// The subscriber id and unsubscribe token as a website would compute them.
fn token(address: &str) -> String {
    let id = hmac(&format!("herald-subscriber:{}", address.to_lowercase()))[..32].to_owned();
    let tag = hmac(&format!("herald-unsubscribe:uudised.tartu.example:{id}"))[..32].to_owned();
    format!("{id}.{tag}")
}

struct Env {
    _files: tempfile::TempDir,
    pairs: Vec<(String, String)>,
}

impl Env {
    fn new(smtp: &Smtp, subscribers: &str) -> Env {
        let files = tempfile::tempdir().unwrap();
        let list = files.path().join("subscribers.csv");
        std::fs::write(&list, subscribers).unwrap();
        let pairs = vec![
            ("TEST_SMTP_PASSWORD".to_owned(), smtp.pass.clone()),
            ("TEST_SUBSCRIBERS".to_owned(), list.display().to_string()),
            ("TEST_LIST_SECRET".to_owned(), SECRET.to_owned()),
            ("TEST_DKIM_KEY".to_owned(), DKIM_KEY.to_owned()),
        ];
        Env {
            _files: files,
            pairs,
        }
    }

    fn with(mut self, k: &str, v: &str) -> Env {
        self.pairs.push((k.to_owned(), v.to_owned()));
        self
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self._files.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }

    fn run(&self, repo: &Repo, args: &[&str]) -> crate::harness::Run {
        let env: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        repo.run_env(args, &env)
    }
}

fn by_recipient(messages: &[Value]) -> BTreeMap<String, Vec<&Value>> {
    let mut out: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for m in messages {
        out.entry(m["envelope_to"].as_str().unwrap().to_owned())
            .or_default()
            .push(m);
    }
    out
}

fn assert_no_address(text: &str, domain: &str) {
    assert!(
        !text.contains(&format!("@{domain}")),
        "an address of the list appears in:\n{text}"
    );
}

#[test]
fn the_examples_reach_estonian_and_english_subscribers_signed_with_one_click_unsubscribe() {
    let smtp = Smtp::get();
    let d = smtp.domain("examples");
    let subscribers = format!(
        "email,name,lang\n\
         mari@{d},Mari Maasikas,et\n\
         john@{d},John Smith,en\n\
         anon@{d},,\n\
         hans@{d},Hans,de\n\
         kate@{d},Kate,en-GB\n\
         MARI@{d},Mari again,et\n\
         not an address,X,et\n\
         gone@{d},Gone,et\n\
         hashed@{d},Hashed,en\n"
    );
    let env = Env::new(&smtp, &subscribers);
    let hashed_id = token(&format!("hashed@{d}"))[..32].to_owned();
    let suppressed = env.file(
        "suppressed.txt",
        &format!("# unsubscribed\nGONE@{d}\n{hashed_id}\n"),
    );
    let env = env.with("TEST_SUPPRESSED", &suppressed);
    let repo = examples_repo(
        &smtp,
        "suppression_env = \"TEST_SUPPRESSED\"\ndkim_key_env = \"TEST_DKIM_KEY\"\ndkim_selector = \"test\"\n",
    );

    // The dry run: one whole message per language and the recipients per language, in
    // JSON as in text.
    let json = env
        .run(
            &repo,
            &[
                "publish",
                "--dry-run",
                "--format",
                "json",
                "--at",
                "2022-06-30 10:05",
            ],
        )
        .json();
    let et = json["due"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == "newsletter" && d["lang"] == "et")
        .unwrap();
    assert_eq!(
        et["email"][0],
        "Recipients in `et`: 3 (of 5 in all languages)"
    );
    assert!(
        et["email"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "│ Subject: BETTER: projekti esimene etapp on lõppenud")
    );
    let dry = env.run(&repo, &["publish", "--dry-run", "--at", "2022-06-30 10:05"]);
    dry.assert_code(0);
    assert!(
        dry.stdout
            .contains("Recipients in `et`: 3 (of 5 in all languages)"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("Recipients in `en`: 2 (of 5 in all languages)"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("│ Subject: BETTER: projekti esimene etapp on lõppenud"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("│ List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("│ --- text/html"), "{}", dry.stdout);
    assert_no_address(&dry.stdout, &d);
    assert!(smtp.received(&d, None).is_empty(), "the dry run sent mail");

    let run = env.run(&repo, &["publish", "-v", "--at", "2022-06-30 10:05"]);
    run.assert_code(0);
    assert!(run.stdout.contains("sent 5 (en 2, et 3)"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("2 suppressed; 1 duplicates skipped; 1 invalid lines skipped"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("subscribers.csv, line 8: the address is not valid"),
        "{}",
        run.stdout
    );
    assert_no_address(&run.stdout, &d);
    assert_no_address(&run.stderr, &d);

    let messages = smtp.received(&d, Some(DKIM_PUBLIC.trim()));
    let got = by_recipient(&messages);
    let want_lang = [
        (format!("anon@{d}"), "et"),
        (format!("hans@{d}"), "et"),
        (format!("john@{d}"), "en"),
        (format!("kate@{d}"), "en"),
        (format!("mari@{d}"), "et"),
    ];
    assert_eq!(
        got.keys().cloned().collect::<Vec<_>>(),
        want_lang.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>()
    );
    for (address, lang) in &want_lang {
        let m = got[address][0];
        assert_eq!(
            got[address].len(),
            1,
            "{address} got {} copies",
            got[address].len()
        );
        assert_eq!(header(m, "Content-Language"), Some(*lang), "{address}");
        assert_eq!(m["dkim"], true, "DKIM does not verify for {address}: {m:#}");
        let signature = header(m, "DKIM-Signature")
            .unwrap()
            .replace([' ', '\t', '\r', '\n'], "");
        let signed = signature
            .split("h=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_lowercase();
        for h in [
            "from",
            "to",
            "subject",
            "list-unsubscribe",
            "list-unsubscribe-post",
            "list-id",
            "message-id",
        ] {
            assert!(
                signed.split(':').any(|x| x == h),
                "{h} is not signed: {signature}"
            );
        }
        assert!(signature.contains("d=tartu.example"), "{signature}");
        assert_eq!(header(m, "X-TLS"), Some("yes"));
        assert_eq!(header(m, "X-Auth-User"), Some(smtp.user.as_str()));
        assert_eq!(
            header(m, "From"),
            Some("Tartu linn <uudised@tartu.example>")
        );
        assert_eq!(header(m, "Reply-To"), Some("press@tartu.example"));
        assert!(header(m, "To").unwrap().contains(address.as_str()));
        assert!(header(m, "Date").is_some());
        assert_eq!(header(m, "List-Id"), Some("<uudised.tartu.example>"));
        assert_eq!(
            header(m, "List-Unsubscribe-Post"),
            Some("List-Unsubscribe=One-Click")
        );
        assert_eq!(header(m, "Auto-Submitted"), Some("auto-generated"));
        let t = token(address);
        assert_eq!(
            header(m, "List-Unsubscribe"),
            Some(format!("<https://tartu.example/loobu/{t}>, <mailto:loobu@tartu.example?subject=unsubscribe%20{t}>").as_str())
        );
        let id = header(m, "Message-ID").unwrap();
        assert!(
            id.starts_with("<herald.2022-06-30-better-phase-1.") && id.ends_with("@tartu.example>"),
            "{id}"
        );
        assert_eq!(
            m["structure"],
            serde_json::json!({"type": "multipart/alternative", "parts": [{"type": "text/plain"}, {"type": "text/html"}]})
        );
        let text = m["parts"][0]["text"].as_str().unwrap();
        let html = m["parts"][1]["text"].as_str().unwrap();
        assert!(
            text.contains(&format!("https://tartu.example/loobu/{t}")),
            "{text}"
        );
        assert!(
            html.contains(&format!("href=\"https://tartu.example/loobu/{t}\"")),
            "{html}"
        );
        assert!(html.contains("max-width:600px") && html.contains("name=\"viewport\""));
        assert!(
            !html.contains("<img"),
            "the default template needs no images"
        );
    }
    let mari = got[&format!("mari@{d}")][0];
    assert_eq!(
        header(mari, "Subject"),
        Some("BETTER: projekti esimene etapp on lõppenud")
    );
    assert!(header(mari, "To").unwrap().starts_with("Mari Maasikas <"));
    assert!(
        mari["parts"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Tere, Mari Maasikas!")
    );
    let john = got[&format!("john@{d}")][0];
    assert_eq!(
        header(john, "Subject"),
        Some("BETTER: phase one of the project is complete")
    );
    assert!(
        john["parts"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Dear John Smith,")
    );
    let anon = got[&format!("anon@{d}")][0];
    assert!(
        anon["parts"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("BETTER: projekti")
    );

    // The ledger: one record per variant of the list send; no address anywhere on disk.
    let ledger = repo.read("state/ledger.jsonl");
    let posted: Vec<&str> = ledger
        .lines()
        .filter(|l| l.contains("\"posted\""))
        .collect();
    assert_eq!(posted.len(), 2, "{ledger}");
    for (path, bytes) in repo.snapshot() {
        assert_no_address(&String::from_utf8_lossy(&bytes), &d);
        let _ = path;
    }
    let log = repo.read("state/email/newsletter/2022-06-30-better-phase-1.log");
    assert_eq!(
        log.lines().filter(|l| l.starts_with("D ")).count(),
        5,
        "{log}"
    );

    // Sent is sent: the next run sends nothing.
    let again = env.run(&repo, &["publish", "--at", "2022-06-30 10:30"]);
    again.assert_code(0);
    assert_eq!(smtp.received(&d, None).len(), 5);
    let status = repo.json(&["status", "--at", "2022-06-30 10:30"], 0);
    let states: Vec<&str> = status["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["id"] == "2022-06-30-better-phase-1")
        .map(|a| a["channels"][0]["status"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["posted", "posted"]);

    // An English-only announcement: everyone gets English (there is no `et` variant).
    let study = env.run(&repo, &["publish", "--at", "2022-09-14 10:05"]);
    study.assert_code(0);
    let all = smtp.received(&d, None);
    let study: Vec<&Value> = all
        .iter()
        .filter(|m| header(m, "Message-ID").unwrap().contains("study-visit"))
        .collect();
    assert_eq!(study.len(), 5);
    assert!(
        study
            .iter()
            .all(|m| header(m, "Content-Language") == Some("en"))
    );
}

#[test]
fn doctor_checks_the_server_the_list_and_the_key_without_sending() {
    let smtp = Smtp::get();
    let d = smtp.domain("doctor");
    let env = Env::new(
        &smtp,
        &format!("email,name,lang\na@{d},A,et\nb@{d},B,en\nbroken,,\na@{d},A,et\n"),
    );
    let repo = examples_repo(
        &smtp,
        "dkim_key_env = \"TEST_DKIM_KEY\"\ndkim_selector = \"test\"\n",
    );
    let run = env.run(&repo, &["doctor"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("subscribers.csv: 2 valid, 1 invalid, 1 duplicate, 0 suppressed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("over TLS and the login"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("the DKIM key parses"), "{}", run.stdout);
    assert_no_address(&run.stdout, &d);
    assert!(smtp.received(&d, None).is_empty());

    let wrong = env.with("TEST_SMTP_PASSWORD", "wrong");
    let run = wrong.run(&repo, &["doctor"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains("the server refused the login"),
        "{}",
        run.stdout
    );
}

#[test]
fn test_to_sends_one_copy_of_each_variant_to_the_reviewer_only() {
    let smtp = Smtp::get();
    let d = smtp.domain("testto");
    let env = Env::new(&smtp, &format!("email,name,lang\nsubscriber@{d},S,et\n"));
    let repo = examples_repo(&smtp, "");
    let run = env.run(
        &repo,
        &[
            "publish",
            "--test-to",
            &format!("reviewer@{d}"),
            "--only",
            "2022-06-30-better-phase-1",
            "--at",
            "2022-06-01 10:00",
        ],
    );
    run.assert_code(0);
    let got = smtp.received(&d, None);
    let mut langs: Vec<&str> = got
        .iter()
        .map(|m| header(m, "Content-Language").unwrap())
        .collect();
    langs.sort();
    assert_eq!(langs, ["en", "et"]);
    assert!(
        got.iter()
            .all(|m| m["envelope_to"] == format!("reviewer@{d}"))
    );
    assert!(
        !repo.path().join("state").exists(),
        "a test send wrote state"
    );
}

#[test]
fn bad_lines_refusals_and_a_title_with_a_line_break_are_handled() {
    let smtp = Smtp::get();
    let d = smtp.domain("bad");
    let env = Env::new(
        &smtp,
        &format!(
            "email,name,lang\n\
             ok1@{d},One,et\n\
             bounce1@{d},Bounce,et\n\
             two@@{d},Two,et\n\
             greylist1@{d},Grey,et\n\
             tempfail1@{d},Temp,et\n\
             shutdown1@{d},Down,et\n\
             \"ok2@{d},Broken quote,et\n\
             ok3@{d}\",Three,et\n\
             ok4@{d},\"Four\",et\n\
             ok5@{d},Five\r\n"
        ),
    );
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &format!(
            "timezone = \"Europe/Tallinn\"\napprovers = [\"editor@example.org\"]\n[defaults]\nlang = \"et\"\n[publish]\nretry_base = \"20ms\"\nretries_per_run = 2\n{}",
            smtp.channel("news", "")
        ),
    );
    repo.write(
        "announcements/uudis.et.md",
        "---\ntitle: \"Tähtis\\r\\nBcc: victim@evil.example\\nX-Injected: yes\"\npublish_at: 2026-06-30 10:00\nchannels: [news]\n---\nTekst.\n",
    );
    repo.approve("announcements/uudis.et.md");
    let run = env.run(&repo, &["publish", "--at", "2026-06-30 10:05"]);
    run.assert_code(1);
    let out = &run.stdout;
    assert!(out.contains("failed"), "{out}");
    assert!(out.contains("1 refused by the server (550)"), "{out}");
    assert!(out.contains("2 not sent yet (temporary errors)"), "{out}");
    assert!(
        out.contains("subscribers.csv, line 4: the address is not valid"),
        "{out}"
    );
    assert!(
        out.contains("line 8: a quote (\") opens a field here and closes only 1 line(s) later"),
        "{out}"
    );
    assert_no_address(out, &d);
    assert_no_address(&run.stderr, &d);
    let got = smtp.received(&d, None);
    let mut to: Vec<&str> = got
        .iter()
        .map(|m| m["envelope_to"].as_str().unwrap())
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            format!("greylist1@{d}"),
            format!("ok1@{d}"),
            format!("ok4@{d}"),
            format!("ok5@{d}")
        ]
    );
    for m in &got {
        assert_eq!(
            header(m, "Subject"),
            Some("Tähtis Bcc: victim@evil.example X-Injected: yes")
        );
        assert!(header(m, "Bcc").is_none() && header(m, "X-Injected").is_none());
    }
    // The next run tries only those that were not refused for good.
    let again = env.run(&repo, &["publish", "--at", "2026-06-30 10:30"]);
    again.assert_code(1);
    assert!(
        again
            .stdout
            .contains("4 sent in earlier runs; 1 refused in earlier runs; 2 not sent yet"),
        "{}",
        again.stdout
    );
    assert_eq!(smtp.received(&d, None).len(), 4);
}

#[test]
fn an_unreachable_server_fails_the_list_and_sends_it_later() {
    let smtp = Smtp::get();
    let d = smtp.domain("down");
    let env = Env::new(&smtp, &format!("email,name,lang\na@{d},A,et\n"));
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &format!(
            "timezone = \"Europe/Tallinn\"\napprovers = [\"editor@example.org\"]\n[defaults]\nlang = \"et\"\n{}",
            smtp.channel("news", "").replace(&format!("smtp_port = {}", smtp.port), &format!("smtp_port = {port}"))
        ),
    );
    repo.write(
        "announcements/uudis.et.md",
        "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [news]\n---\nTekst.\n",
    );
    repo.approve("announcements/uudis.et.md");
    let run = env.run(&repo, &["publish", "--at", "2026-06-30 10:05"]);
    run.assert_code(1);
    assert!(
        run.stdout
            .contains("nothing sent: cannot connect: check `smtp_host`, `smtp_port` and `tls`"),
        "{}",
        run.stdout
    );
    assert!(repo.read("state/ledger.jsonl").contains("\"failed\""));
    // Once the server is back (the right port), the list goes out.
    repo.write(
        "config/herald.toml",
        &format!(
            "timezone = \"Europe/Tallinn\"\napprovers = [\"editor@example.org\"]\n[defaults]\nlang = \"et\"\n{}",
            smtp.channel("news", "")
        ),
    );
    env.run(&repo, &["publish", "--at", "2026-06-30 10:30"])
        .assert_code(0);
    assert_eq!(smtp.received(&d, None).len(), 1);
}

#[test]
fn a_subscriber_list_over_the_size_limit_is_refused_plainly() {
    let smtp = Smtp::get();
    let env = Env::new(&smtp, "email,name,lang\n");
    // A sparse file: 300 MB long, nothing on disk.
    let huge = env.file("huge.csv", "email,name,lang\n");
    std::fs::File::options()
        .write(true)
        .open(&huge)
        .unwrap()
        .set_len(300 * 1024 * 1024)
        .unwrap();
    let env = env.with("TEST_SUBSCRIBERS", &huge);
    let repo = examples_repo(&smtp, "");
    let run = env.run(&repo, &["doctor"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains(
            "the subscriber list huge.csv is larger than 256 MB; Herald reads lists up to that size"
        ),
        "{}",
        run.stdout
    );
}
