//! Corrections to email lists against the real SMTP server: `correction = "notice"` sends
//! a correction message once per approved change, only to the subscribers who got the
//! corrected language, as an answer to the message they got; the default (`none`) sends
//! nothing and says so.

use crate::harness::{Repo, env_pairs, spawn_herald};
use crate::smtp_peer::{Smtp, header, subscriber_id};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

const SECRET: &str = "list-secret-7c21";

struct List {
    smtp: Smtp,
    domain: String,
    files: tempfile::TempDir,
    repo: Repo,
}

impl List {
    /// A repository with `a` in Estonian and English, sent to `newsletter` (with
    /// `extra` keys) at 10:05 to `subscribers` (`name,lang` lines; the address is the
    /// name at this test's domain).
    fn posted(extra: &str, subscribers: &[(&str, &str)]) -> List {
        let smtp = Smtp::get();
        let domain = smtp.domain("correction");
        let repo = Repo::with_config(&smtp.channel("newsletter", extra));
        let list = List {
            smtp,
            domain,
            files: tempfile::tempdir().unwrap(),
            repo,
        };
        list.subscribers(subscribers);
        list.write("et", "Kontsert", "Kontsert on 11. juunil Raekoja platsil.");
        list.write(
            "en",
            "Concert",
            "The concert is on 11 June on Town Hall Square.",
        );
        let run = list.publish("2026-06-30 10:05");
        assert!(
            run["rows"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["result"] == "posted"),
            "{run:#}"
        );
        list
    }

    fn subscribers(&self, subs: &[(&str, &str)]) {
        let mut text = "email,name,lang\n".to_owned();
        for (name, lang) in subs {
            text.push_str(&format!("{name}@{},{name},{lang}\n", self.domain));
        }
        std::fs::write(self.files.path().join("subscribers.csv"), text).unwrap();
    }

    fn write(&self, lang: &str, title: &str, body: &str) {
        let rel = format!("announcements/a.{lang}.md");
        self.repo.write(
            &rel,
            &format!(
                "---\ntitle: {title}\npublish_at: 2026-06-30 10:00\nchannels: [newsletter]\n---\n{body}\n"
            ),
        );
        self.repo.approve(&rel);
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("TEST_SMTP_PASSWORD".into(), self.smtp.pass.clone()),
            (
                "TEST_SUBSCRIBERS".into(),
                self.files
                    .path()
                    .join("subscribers.csv")
                    .display()
                    .to_string(),
            ),
            ("TEST_LIST_SECRET".into(), SECRET.into()),
        ]
    }

    fn run(&self, args: &[&str]) -> crate::harness::Run {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.repo.run_env(args, &env)
    }

    fn publish(&self, at: &str) -> Value {
        self.run(&["publish", "--at", at, "--format", "json"])
            .assert_code(0)
            .json()
    }

    /// Every message received, by recipient name, oldest first.
    fn received(&self) -> BTreeMap<String, Vec<Value>> {
        let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for m in self.smtp.received(&self.domain, None) {
            let to = m["envelope_to"].as_str().unwrap();
            let name = to.split('@').next().unwrap().to_owned();
            out.entry(name).or_default().push(m);
        }
        // The Maildir's order is not the order of arrival within one second (its file
        // names sort so), so each person's original comes first by what it is: the one
        // message that answers none.
        for messages in out.values_mut() {
            messages.sort_by_key(|m| header(m, "In-Reply-To").is_some());
        }
        out
    }
}

fn text_part(m: &Value) -> String {
    m["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "text/plain")
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn rows(run: &Value) -> Vec<(String, String, String)> {
    run["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["lang"].as_str().unwrap().to_owned(),
                r["result"].as_str().unwrap().to_owned(),
                r["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_notice_goes_once_to_who_got_the_corrected_language_as_an_answer_to_their_message() {
    // mari and anon get Estonian (anon by the list's language), john English, hans
    // (German) the fallback: Estonian.
    let list = List::posted(
        "correction = \"notice\"\n",
        &[("mari", "et"), ("john", "en"), ("hans", "de"), ("anon", "")],
    );
    let first = list.received();
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        ["anon", "hans", "john", "mari"]
    );
    // Someone who joins later never got the announcement: no correction for them.
    list.subscribers(&[
        ("mari", "et"),
        ("john", "en"),
        ("hans", "de"),
        ("anon", ""),
        ("uus", "et"),
    ]);
    list.write("et", "Kontsert", "Kontsert on 12. juunil Raekoja platsil.");

    // The dry run names the message and sends nothing.
    let dry = list.run(&[
        "publish",
        "--dry-run",
        "--at",
        "2026-07-01 09:00",
        "--format",
        "json",
    ]);
    let dry = dry.assert_code(0).json();
    let change = &dry["changes"][0];
    assert_eq!(change["channel"], "newsletter");
    assert_eq!(change["lang"], "et");
    assert_eq!(change["steps"][0]["action"], "notice");
    assert_eq!(
        change["steps"][0]["words"],
        "send a correction to the subscribers who got this language"
    );
    assert_eq!(
        change["email"][0],
        "Correction to the 3 subscribers who got `et` (of 5 on the list now)"
    );
    assert!(
        change["email"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "│ Subject: Parandus: Kontsert"),
        "{change:#}"
    );
    let text = list.run(&["publish", "--dry-run", "--at", "2026-07-01 09:00"]);
    text.assert_code(0);
    for line in [
        "a [et] → newsletter (email): correct\n  send a correction to the subscribers who got this language\n    Correction to the 3 subscribers who got `et` (of 5 on the list now)\n    ┌ the `et` correction, for a sample subscriber without a name\n",
        "    │ Subject: Parandus: Kontsert\n",
        "    │ Kontsert on 12. juunil Raekoja platsil.\n",
    ] {
        assert!(text.stdout.contains(line), "{line}\n{}", text.stdout);
    }
    let shown_id = text
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("    │ Message-ID: "))
        .unwrap()
        .to_owned();
    assert_eq!(list.received().values().map(Vec::len).sum::<usize>(), 4);

    let run = list.publish("2026-07-01 09:00");
    assert_eq!(
        rows(&run),
        [(
            "et".to_owned(),
            "corrected".to_owned(),
            "correction sent: sent 3 (et 3)".to_owned()
        )],
        "{run:#}"
    );
    let now = list.received();
    assert_eq!(now["john"].len(), 1, "the English readers got nothing");
    assert!(
        !now.contains_key("uus"),
        "a later subscriber got a correction"
    );
    for name in ["mari", "hans", "anon"] {
        let [original, notice] = &now[name][..] else {
            panic!("{name}: {:#?}", now[name]);
        };
        assert_eq!(header(notice, "Subject"), Some("Parandus: Kontsert"));
        let original_id = header(original, "Message-ID").unwrap();
        assert_eq!(header(notice, "In-Reply-To"), Some(original_id), "{name}");
        assert_eq!(header(notice, "References"), Some(original_id), "{name}");
        assert_ne!(header(notice, "Message-ID"), Some(original_id));
        let id = header(notice, "Message-ID").unwrap();
        assert_eq!(
            id.split('.').nth(1),
            shown_id.split('.').nth(1),
            "the dry run names the message as it is sent: {id} {shown_id}"
        );
        assert_eq!(header(notice, "Content-Language"), Some("et"));
        assert_eq!(
            header(notice, "List-Unsubscribe"),
            header(original, "List-Unsubscribe"),
            "the same personal unsubscribe link"
        );
        assert!(
            text_part(notice).contains("Kontsert on 12. juunil Raekoja platsil."),
            "{}",
            text_part(notice)
        );
    }

    // Once per approved change: later runs send nothing more, and status says posted.
    let again = list.publish("2026-07-01 10:00");
    assert!(rows(&again).is_empty(), "{again:#}");
    assert_eq!(list.received().values().map(Vec::len).sum::<usize>(), 7);
    let ledger = list.repo.read("state/ledger.jsonl");
    let notices: Vec<Value> = ledger
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["action"] == "notice")
        .collect();
    assert_eq!(notices.len(), 2, "started and posted: {notices:#?}");
    assert_eq!(notices[0]["event"], "started");
    assert!(
        notices[0]["send_log"]
            .as_str()
            .unwrap()
            .starts_with("email/newsletter/a.et.correction-"),
        "{:#}",
        notices[0]
    );
    assert_eq!(notices[1]["event"], "posted");
    assert_eq!(notices[1]["message"], "sent 3 (et 3)");
    // The audit tells the story, with who approved the message that first went out.
    let audit = list.run(&["audit"]);
    let et = audit.stdout.split("a [et] → newsletter").nth(1).unwrap();
    assert!(
        et.contains("  approved by editor@example.org (as recorded when it went out)\n"),
        "{}",
        audit.stdout
    );
    assert!(
        et.contains("  corrected  sha256:")
            && et.contains("approved by editor@example.org: correction message sent to its readers (sent 3 (et 3))\n"),
        "{}",
        audit.stdout
    );
    // The announcement's own send log is untouched.
    let own = list.repo.read("state/email/newsletter/a.log");
    assert_eq!(own.lines().count(), 8, "{own}");

    // A second change to the other language: its readers get their own correction.
    list.write(
        "en",
        "Concert",
        "The concert is on 12 June on Town Hall Square.",
    );
    let run = list.publish("2026-07-02 09:00");
    assert_eq!(
        rows(&run),
        [(
            "en".to_owned(),
            "corrected".to_owned(),
            "correction sent: sent 1 (en 1)".to_owned()
        )]
    );
    let now = list.received();
    assert_eq!(now["john"].len(), 2);
    assert_eq!(
        header(&now["john"][1], "Subject"),
        Some("Correction: Concert")
    );
    assert_eq!(now["mari"].len(), 2);
}

#[test]
fn a_retraction_tells_who_got_it_with_notice_and_names_it_for_a_person_without() {
    // With `notice`: a withdrawal message with the reason, once, in each language.
    let list = List::posted(
        "correction = \"notice\"\n",
        &[("mari", "et"), ("john", "en")],
    );
    for (lang, title, body) in [
        ("et", "Kontsert", "Kontsert on 11. juunil Raekoja platsil."),
        (
            "en",
            "Concert",
            "The concert is on 11 June on Town Hall Square.",
        ),
    ] {
        let rel = format!("announcements/a.{lang}.md");
        list.repo.write(
            &rel,
            &format!(
                "---\ntitle: {title}\npublish_at: 2026-06-30 10:00\nchannels: [newsletter]\nretract: \"{lang}: ära jäetud\"\n---\n{body}\n"
            ),
        );
        list.repo.approve(&rel);
    }
    let dry = list.run(&["publish", "--dry-run", "--at", "2026-07-01 09:00"]);
    assert!(
        dry.assert_code(0).stdout.contains(
            "a [et] → newsletter (email): withdraw (et: ära jäetud)\n  tell the subscribers who got this language that it is withdrawn\n    Withdrawal message to the 1 subscribers who got `et` (of 2 on the list now)\n"
        ),
        "{}",
        dry.stdout
    );
    let run = list.publish("2026-07-01 09:00");
    assert_eq!(
        rows(&run),
        [
            (
                "en".to_owned(),
                "retracted".to_owned(),
                "withdrawal message sent: sent 1 (en 1)".to_owned()
            ),
            (
                "et".to_owned(),
                "retracted".to_owned(),
                "withdrawal message sent: sent 1 (et 1)".to_owned()
            )
        ],
        "{run:#}"
    );
    let got = list.received();
    for (name, subject, text) in [
        ("mari", "Tagasi võetud: Kontsert", "et: ära jäetud"),
        ("john", "Withdrawn: Concert", "en: ära jäetud"),
    ] {
        let [original, notice] = &got[name][..] else {
            panic!("{name}: {:#?}", got[name]);
        };
        assert_eq!(header(notice, "Subject"), Some(subject));
        assert_eq!(
            header(notice, "In-Reply-To"),
            header(original, "Message-ID")
        );
        assert!(text_part(notice).contains(text), "{}", text_part(notice));
        for old in ["Raekoja", "Town Hall"] {
            assert!(!text_part(notice).contains(old), "{}", text_part(notice));
        }
    }
    let again = list.publish("2026-07-02 09:00");
    assert!(rows(&again).is_empty(), "{again:#}");
    let status = list.repo.json(&["status", "--at", "2026-07-02 09:00"], 0);
    let fates: Vec<&str> = status["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["channels"][0]["status"].as_str().unwrap())
        .collect();
    assert_eq!(fates, ["retracted", "retracted"], "{status:#}");

    // Without: nothing is sent and the run says what a person can do.
    let list = List::posted("", &[("mari", "et")]);
    list.repo.write(
        "announcements/a.et.md",
        "---\ntitle: Kontsert\npublish_at: 2026-06-30 10:00\nchannels: [newsletter]\nretract: \"ära jäetud\"\n---\nKontsert on 11. juunil.\n",
    );
    list.repo.approve("announcements/a.et.md");
    let run = list.run(&["publish", "--at", "2026-07-01 09:00", "--format", "json"]);
    let rows = rows(&run.json());
    let et = rows.iter().find(|r| r.0 == "et").unwrap();
    assert!(
        et.2.contains("the email to `newsletter` went out and cannot be taken back; if the readers must know, send them a message by hand"),
        "{et:?}"
    );
    assert_eq!(list.received()["mari"].len(), 1);
}

#[test]
fn without_a_notice_policy_a_list_sends_nothing_and_says_so() {
    for extra in ["", "correction = \"none\"\n"] {
        let list = List::posted(extra, &[("mari", "et"), ("john", "en")]);
        list.write("et", "Kontsert", "Kontsert on 12. juunil Raekoja platsil.");
        let run = list.run(&["publish", "--at", "2026-07-01 09:00", "--format", "json"]);
        let run = run.json();
        let rows = rows(&run);
        assert_eq!(rows.len(), 1, "{extra:?}: {rows:#?}");
        assert_eq!(rows[0].0, "et");
        assert!(
            rows[0]
                .2
                .contains("cannot edit a post that went out and its `correction` policy is `none`"),
            "{extra:?}: {}",
            rows[0].2
        );
        assert_eq!(
            list.received().values().map(Vec::len).sum::<usize>(),
            2,
            "{extra:?}: a correction was sent"
        );
    }
}

#[test]
fn notice_is_refused_for_a_channel_that_is_not_a_list_and_reply_for_a_list() {
    let smtp = Smtp::get();
    for (channel, want) in [
        (
            "[channels.m]\nkind = \"mastodon\"\nlang = \"et\"\nserver = \"https://m.example\"\ntoken_env = \"T\"\ncorrection = \"notice\"\n".to_owned(),
            "`notice` is for email lists",
        ),
        (
            smtp.channel("newsletter", "correction = \"reply\"\n"),
            "an email that went out cannot be answered or taken back: use `notice`",
        ),
        (
            smtp.channel("newsletter", "correction = \"repost\"\n"),
            "an email that went out cannot be answered or taken back: use `notice`",
        ),
    ] {
        let repo = Repo::with_config(&channel);
        let check = repo.run(&["check"]);
        check.assert_code(2);
        assert!(check.stderr.contains(want), "{}", check.stderr);
        assert!(check.stderr.contains("config/herald.toml:"), "{}", check.stderr);
    }
}

#[cfg(unix)]
#[test]
fn sigkill_while_sending_a_correction_sends_nobody_two_and_skips_nobody() {
    const SUBSCRIBERS: usize = 300;
    const KILLS: usize = 4;
    let subs: Vec<(String, &str)> = (0..SUBSCRIBERS)
        .map(|n| (format!("s{n:04}"), if n % 4 == 0 { "en" } else { "et" }))
        .collect();
    let named: Vec<(&str, &str)> = subs.iter().map(|(n, l)| (n.as_str(), *l)).collect();
    let list = List::posted("correction = \"notice\"\nconcurrency = 4\n", &named);
    list.write("et", "Kontsert", "Kontsert on 12. juunil Raekoja platsil.");
    let env = list.env();
    let mut rng = fastrand::Rng::with_seed(18_2026);
    let (mut kills, mut runs) = (0, 0);
    let began = Instant::now();
    loop {
        runs += 1;
        let mut child = spawn_herald(
            list.repo.path(),
            &["publish", "-q", "--at", "2026-07-01 09:00"],
            &env_pairs(&env),
        );
        // The first runs are killed; then one is let finish.
        let deadline = Instant::now() + Duration::from_millis(rng.u64(100..=500));
        let mut finished = false;
        while kills >= KILLS || Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                finished = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if !finished {
            child.kill().expect("SIGKILL herald");
            kills += 1;
        }
        child.wait().unwrap();
        if finished {
            break;
        }
        assert!(
            began.elapsed() < Duration::from_secs(240),
            "never finished: {kills} kills in {runs} runs"
        );
    }
    let ledger = list.repo.read("state/ledger.jsonl");
    assert!(
        ledger
            .lines()
            .any(|l| l.contains("\"notice\"") && l.contains("\"posted\"")),
        "the correction is not recorded as sent:\n{ledger}"
    );
    let log_name = ledger
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find_map(|r| {
            r["send_log"]
                .as_str()
                .filter(|p| p.contains("correction"))
                .map(str::to_owned)
        })
        .unwrap();
    let mut last: HashMap<String, String> = HashMap::new();
    for line in list.repo.read(&format!("state/{log_name}")).lines() {
        let mut f = line.split(' ');
        let mark = f.next().unwrap().to_owned();
        last.insert(f.next().unwrap().to_owned(), mark);
    }
    let got = list.received();
    let mut in_doubt = 0;
    for (name, lang) in &subs {
        let messages = &got[name.as_str()];
        let notices = messages
            .iter()
            .filter(|m| header(m, "Subject") == Some("Parandus: Kontsert"))
            .count();
        let address = format!("{name}@{}", list.domain);
        match (
            *lang,
            last.get(&subscriber_id(SECRET, &address))
                .map(String::as_str),
        ) {
            ("en", None) => assert_eq!(messages.len(), 1, "{name} (en) got a correction"),
            ("et", Some("D")) => assert_eq!(notices, 1, "{name} got {notices} corrections"),
            ("et", Some("S")) => {
                in_doubt += 1;
                assert!(notices <= 1, "{name} got {notices} corrections");
            }
            (lang, mark) => panic!("{name} ({lang}) ended as {mark:?}, with {notices} corrections"),
        }
    }
    // A later run sends nothing more.
    let before = got.values().map(Vec::len).sum::<usize>();
    let again = list.publish("2026-07-01 10:00");
    assert!(rows(&again).is_empty(), "{again:#}");
    assert_eq!(
        list.received().values().map(Vec::len).sum::<usize>(),
        before
    );
    eprintln!(
        "correction crash test: {kills} kills in {runs} runs, {in_doubt} in doubt, {:?}",
        began.elapsed()
    );
}
