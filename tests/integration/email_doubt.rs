//! Recipients in doubt of an email list (their message was on its way when a run
//! stopped: an `S` alone in the send log, as a killed run leaves it) are never sent again
//! by Herald itself, and the list is not posted: the run says how many and which
//! commands decide, `status` shows the count, and `herald resolve ID CHANNEL
//! --resend-in-doubt` (the next run sends it to exactly them) or `--drop-in-doubt`
//! (nobody is sent anything, the list is posted) settles it. Counted at the real SMTP
//! server, by recipient.

use crate::harness::Repo;
use crate::smtp_peer::Smtp;
use serde_json::Value;
use std::collections::BTreeMap;

const SECRET: &str = "doubt-secret";
const ID: &str = "uudis";
const AT: &str = "2026-06-30 10:05";
const LOG: &str = "state/email/news/uudis.log";

/// The subscriber id of `address` as the send log writes it.
fn id(address: &str) -> String {
    crate::smtp_peer::subscriber_id(SECRET, address)
}

/// A repository with the list `news` on the test server (plus a `record` channel), the
/// announcement in `langs`, approved, and `subscribers` subscribers, the n-th in
/// `langs[n % langs.len()]`.
struct List {
    repo: Repo,
    _files: tempfile::TempDir,
    subscribers: String,
    domain: String,
    addresses: Vec<String>,
    langs: Vec<String>,
    pass: String,
}

impl List {
    fn new(smtp: &Smtp, test: &str, subscribers: usize, langs: &[&str]) -> List {
        let domain = smtp.domain(test);
        let files = tempfile::tempdir().unwrap();
        let path = files.path().join("subscribers.csv");
        let addresses: Vec<String> = (0..subscribers)
            .map(|n| format!("s{n:02}@{domain}"))
            .collect();
        let mut csv = String::from("email,name,lang\n");
        for (n, a) in addresses.iter().enumerate() {
            csv.push_str(&format!("{a},S {n},{}\n", langs[n % langs.len()]));
        }
        std::fs::write(&path, csv).unwrap();
        let repo = Repo::new();
        repo.write(
            "config/herald.toml",
            &format!(
                "timezone = \"Europe/Tallinn\"\napprovers = [\"editor@example.org\"]\n[defaults]\nlang = \"et\"\n[channels.record_et]\nkind = \"record\"\nlang = \"et\"\n{}",
                smtp.channel("news", "")
            ),
        );
        for lang in langs {
            let file = format!("announcements/{ID}.{lang}.md");
            repo.write(
                &file,
                &format!(
                    "---\ntitle: Uudis {lang}\npublish_at: 2026-06-30 10:00\nchannels: [news]\n---\nTekst {lang}.\n"
                ),
            );
            repo.approve(&file);
        }
        List {
            repo,
            _files: files,
            subscribers: path.display().to_string(),
            domain,
            addresses,
            langs: langs.iter().map(|l| (*l).to_owned()).collect(),
            pass: smtp.pass.clone(),
        }
    }

    fn env(&self) -> [(&str, &str); 3] {
        [
            ("TEST_SMTP_PASSWORD", self.pass.as_str()),
            ("TEST_SUBSCRIBERS", self.subscribers.as_str()),
            ("TEST_LIST_SECRET", SECRET),
        ]
    }

    fn publish(&self) -> crate::harness::Run {
        self.repo
            .run_env(&["publish", "--format", "json", "--at", AT], &self.env())
    }

    fn lang_of(&self, n: usize) -> &str {
        &self.langs[n % self.langs.len()]
    }

    fn langs_joined(&self) -> String {
        let mut langs = self.langs.clone();
        langs.sort();
        langs.join("+")
    }

    /// Copies received so far, per address of the list (0 for none).
    fn copies(&self, smtp: &Smtp) -> Vec<usize> {
        let mut by: BTreeMap<String, usize> = BTreeMap::new();
        for m in smtp.received(&self.domain, None) {
            *by.entry(m["envelope_to"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        assert!(
            by.keys().all(|a| self.addresses.contains(a)),
            "mail to someone not on the list: {by:?}"
        );
        self.addresses
            .iter()
            .map(|a| by.get(a).copied().unwrap_or(0))
            .collect()
    }

    /// The send log lines a killed run leaves for messages on their way: `S` alone.
    fn write_started(&self, who: &[usize]) {
        let mut log = String::new();
        for n in who {
            log.push_str(&format!("S {}\n", id(&self.addresses[*n])));
        }
        self.repo.write(LOG, &log);
    }

    fn log(&self) -> String {
        self.repo.read(LOG)
    }

    fn ledger(&self) -> Vec<Value> {
        std::fs::read_to_string(self.repo.path().join("state/ledger.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a whole ledger line"))
            .collect()
    }

    /// `sent N (lang n, …)` for the subscribers `who`, as the summary writes it.
    fn sent(&self, who: &[usize]) -> String {
        let mut per: BTreeMap<&str, usize> = BTreeMap::new();
        for n in who {
            *per.entry(self.lang_of(*n)).or_default() += 1;
        }
        if who.is_empty() {
            return "sent 0".into();
        }
        let langs: Vec<String> = per.iter().map(|(l, n)| format!("{l} {n}")).collect();
        format!("sent {} ({})", who.len(), langs.join(", "))
    }
}

/// What the report and `status` say about `n` recipients in doubt, word for word.
fn doubt_words(n: usize) -> String {
    format!(
        "{n} recipient(s) may or may not have received it (a run stopped while their message was on its way), so it is not sent to them again and the list is not posted until someone decides: `herald resolve {ID} news --resend-in-doubt` sends it to them, `herald resolve {ID} news --drop-in-doubt` leaves them as they are"
    )
}

fn only_row(run: &crate::harness::Run) -> Value {
    let report = run.json();
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{report:#}");
    rows[0].clone()
}

#[derive(Clone, Copy, Debug)]
enum Decide {
    Resend,
    Drop,
}

/// One situation: the list, who is in doubt before the run, and what the person decides.
struct Case<'a> {
    subscribers: usize,
    langs: &'a [&'a str],
    in_doubt: &'a [usize],
    decide: Decide,
}

#[cfg(unix)]
#[test]
fn recipients_in_doubt_keep_the_list_unposted_until_a_person_resends_or_drops_them() {
    let smtp = Smtp::get();
    let one: &[usize] = &[3];
    let several: &[usize] = &[0, 3, 4, 9];
    let all: &[usize] = &[0, 1, 2, 3, 4, 5, 6, 7];
    let cases = [
        (10, one, &["et"][..], Decide::Resend),
        (10, one, &["et"][..], Decide::Drop),
        (10, several, &["et", "en"][..], Decide::Resend),
        (10, several, &["et", "en"][..], Decide::Drop),
        (8, all, &["en", "et", "ru"][..], Decide::Resend),
        (8, all, &["et"][..], Decide::Drop),
    ];
    for (n, (subscribers, in_doubt, langs, decide)) in cases.into_iter().enumerate() {
        let case = Case {
            subscribers,
            langs,
            in_doubt,
            decide,
        };
        decided(&smtp, n, &case);
    }
}

fn decided(smtp: &Smtp, n: usize, case: &Case<'_>) {
    let what = format!(
        "{} of {} in doubt, {:?}, {:?}",
        case.in_doubt.len(),
        case.subscribers,
        case.langs,
        case.decide
    );
    let list = List::new(smtp, &format!("doubt{n}"), case.subscribers, case.langs);
    let k = case.in_doubt.len();
    let rest: Vec<usize> = (0..case.subscribers)
        .filter(|i| !case.in_doubt.contains(i))
        .collect();
    list.write_started(case.in_doubt);
    let approved: BTreeMap<String, String> =
        list.repo.json(&["status", "--at", AT], 0)["announcements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["lang"].as_str().unwrap().to_owned(),
                    a["approvals"][0]["hash"].as_str().unwrap().to_owned(),
                )
            })
            .collect();

    // The run sends to everyone else, says how many are in doubt and what decides, and
    // fails: the list is not posted.
    let run = list.publish();
    run.assert_code(1);
    let row = only_row(&run);
    assert_eq!(row["result"], "in_doubt", "{what}: {row}");
    assert_eq!(row["lang"], list.langs_joined(), "{what}: {row}");
    let summary = format!(
        "{}; {k} not sure it arrived (not sent again)",
        list.sent(&rest)
    );
    assert_eq!(
        row["detail"],
        format!("{summary}\n{}", doubt_words(k)),
        "{what}"
    );
    let copies = list.copies(smtp);
    for (i, c) in copies.iter().enumerate() {
        let expected = usize::from(!case.in_doubt.contains(&i));
        assert_eq!(*c, expected, "{what}: subscriber {i} got {c}");
    }
    // The ledger: started, then failed for good with the count and the two commands.
    let records = list.ledger();
    let langs = approved.len();
    assert_eq!(records.len(), 2 * langs, "{what}: {records:#?}");
    let message = format!(
        "{summary}; not posted: {k} recipient(s) in doubt wait for a decision (`herald resolve {ID} news --resend-in-doubt` or `--drop-in-doubt`)"
    );
    for (i, r) in records.iter().enumerate() {
        let lang = r["lang"].as_str().unwrap();
        assert_eq!(r["hash"], approved[lang].as_str(), "{what}: {r}");
        if i < langs {
            assert_eq!(r["event"], "started", "{what}: {r}");
            assert_eq!(r["send_log"], "email/news/uudis.log", "{what}: {r}");
        } else {
            assert_eq!(r["event"], "failed", "{what}: {r}");
            assert_eq!(r["class"], "permanent", "{what}: {r}");
            assert_eq!(r["message"], message.as_str(), "{what}: {r}");
        }
    }

    // `status`: failed, with the count from the send log and the commands.
    let status = list.repo.json(&["status", "--at", AT], 0);
    for a in status["announcements"].as_array().unwrap() {
        let c = &a["channels"][0];
        assert_eq!(c["status"], "failed", "{what}: {a}");
        assert_eq!(c["in_doubt_recipients"], k, "{what}: {a}");
    }
    let text = list.repo.run(&["status", "--at", AT]);
    text.assert_code(0);
    assert_eq!(
        text.stdout.matches(&doubt_words(k)).count(),
        langs,
        "{what}: {}",
        text.stdout
    );

    // The next run sends nobody anything and writes nothing: the list waits for a person.
    let ledger_before = list.repo.read("state/ledger.jsonl");
    let log_before = list.log();
    let again = list.publish();
    again.assert_code(1);
    let row = only_row(&again);
    assert_eq!(row["result"], "in_doubt", "{what}: {row}");
    assert_eq!(
        row["detail"],
        format!("not sent again: {}", doubt_words(k)),
        "{what}"
    );
    assert_eq!(list.copies(smtp), copies, "{what}");
    assert_eq!(
        list.repo.read("state/ledger.jsonl"),
        ledger_before,
        "{what}"
    );
    assert_eq!(list.log(), log_before, "{what}");

    // The decision: one mark per subscriber in doubt, in id order, then the ledger.
    let flag = match case.decide {
        Decide::Resend => "--resend-in-doubt",
        Decide::Drop => "--drop-in-doubt",
    };
    let resolve = list.repo.run(&["resolve", ID, "news", flag]);
    resolve.assert_code(0);
    let mut ids: Vec<String> = case
        .in_doubt
        .iter()
        .map(|i| id(&list.addresses[*i]))
        .collect();
    ids.sort();
    let mark = match case.decide {
        Decide::Resend => "F",
        Decide::Drop => "X",
    };
    let marks: String = ids.iter().map(|i| format!("{mark} {i}\n")).collect();
    assert_eq!(list.log(), format!("{log_before}{marks}"), "{what}");
    let (word, resolution) = match case.decide {
        Decide::Resend => (
            format!(
                "{k} recipient(s) in doubt marked as not sent: the next `herald publish` sends `{ID}` to them on `news`, and to nobody who got it"
            ),
            "not_posted",
        ),
        Decide::Drop => (
            format!(
                "{k} recipient(s) in doubt left as they are: `{ID}` is never sent to them again on `news`"
            ),
            "posted",
        ),
    };
    let mut sorted_langs: Vec<&String> = approved.keys().collect();
    sorted_langs.sort();
    let mut expected_out: String = sorted_langs
        .iter()
        .map(|l| {
            let recorded = if resolution == "posted" {
                "recorded as posted"
            } else {
                "recorded as not posted"
            };
            format!("{recorded}: {ID} [{l}] → news part 1\n")
        })
        .collect();
    expected_out.push_str(&format!("{word}\n"));
    assert_eq!(resolve.stdout, expected_out, "{what}");
    let records = list.ledger();
    assert_eq!(records.len(), 3 * langs, "{what}: {records:#?}");
    for r in &records[2 * langs..] {
        assert_eq!(r["event"], "resolved", "{what}: {r}");
        assert_eq!(r["resolution"], resolution, "{what}: {r}");
        assert_eq!(
            r["hash"],
            approved[r["lang"].as_str().unwrap()].as_str(),
            "{what}: {r}"
        );
    }
    // Decided: a second decision is refused.
    let twice = list.repo.run(&["resolve", ID, "news", flag]);
    twice.assert_code(2);

    let after = list.publish();
    match case.decide {
        Decide::Resend => {
            // Exactly the recipients in doubt get it, once; nobody else again.
            after.assert_code(0);
            let row = only_row(&after);
            assert_eq!(row["result"], "posted", "{what}: {row}");
            let mut summary = list.sent(case.in_doubt);
            if !rest.is_empty() {
                summary.push_str(&format!("; {} sent in earlier runs", rest.len()));
            }
            assert_eq!(row["detail"], summary, "{what}");
            assert_eq!(
                list.copies(smtp),
                vec![1; case.subscribers],
                "{what}: everyone exactly once"
            );
            assert!(
                twice.stderr.contains(&format!(
                    "`{ID}` on `news` is recorded as not posted: the next `herald publish` resumes the list; nothing waits for a decision"
                )),
                "{what}: {}",
                twice.stderr
            );
        }
        Decide::Drop => {
            // Nothing is sent: the list is posted.
            after.assert_code(0);
            assert_eq!(after.json()["rows"], Value::Array(vec![]), "{what}");
            assert_eq!(list.copies(smtp), copies, "{what}");
            assert!(
                twice.stderr.contains(&format!(
                    "`{ID}` on `news` is recorded as posted; nothing waits for a decision"
                )),
                "{what}: {}",
                twice.stderr
            );
        }
    }
    let status = list.repo.json(&["status", "--at", AT], 0);
    for a in status["announcements"].as_array().unwrap() {
        let c = &a["channels"][0];
        assert_eq!(c["status"], "posted", "{what}: {a}");
        assert!(c.get("in_doubt_recipients").is_none(), "{what}: {a}");
    }
    // And stays so: a later run sends nothing.
    let last = list.publish();
    last.assert_code(0);
    assert_eq!(last.json()["rows"], Value::Array(vec![]), "{what}");
    assert_eq!(
        list.copies(smtp),
        match case.decide {
            Decide::Resend => vec![1; case.subscribers],
            Decide::Drop => copies,
        },
        "{what}"
    );
}

#[cfg(unix)]
#[test]
fn a_killed_list_send_with_recipients_in_doubt_finishes_first_then_waits_for_a_person() {
    let smtp = Smtp::get();
    let list = List::new(&smtp, "doubtkilled", 6, &["et"]);
    let hash =
        list.repo.json(&["status", "--at", AT], 0)["announcements"][0]["approvals"][0]["hash"]
            .as_str()
            .unwrap()
            .to_owned();
    // What a run killed after marking two messages leaves: its `started` record naming
    // the send log, and two `S` alone.
    list.repo.write(
        "state/ledger.jsonl",
        &format!(
            "{{\"event\":\"started\",\"id\":\"{ID}\",\"lang\":\"et\",\"channel\":\"news\",\"part\":1,\"hash\":\"{hash}\",\"at\":\"2026-06-30T07:05:00Z\",\"attempt\":1,\"send_log\":\"email/news/uudis.log\"}}\n"
        ),
    );
    list.write_started(&[1, 4]);

    // Not finished: `status` counts them and says the run goes on; no decision yet.
    let status = list.repo.json(&["status", "--at", AT], 0);
    let c = &status["announcements"][0]["channels"][0];
    assert_eq!(c["status"], "due", "{c}");
    assert_eq!(c["in_doubt_recipients"], 2, "{c}");
    let text = list.repo.run(&["status", "--at", AT]);
    assert!(
        text.stdout.contains(
            "2 recipient(s) may or may not have received it so far (a run stopped while their message was on its way); the next run sends the rest of the list, not to them, and then waits for someone to decide about them"
        ),
        "{}",
        text.stdout
    );
    for flag in ["--resend-in-doubt", "--drop-in-doubt"] {
        let early = list.repo.run(&["resolve", ID, "news", flag]);
        early.assert_code(2);
        assert!(
            early.stderr.contains(
                "the list send of `uudis` to `news` is not finished: the next `herald publish` sends the rest (and not to recipients in doubt); decide about them when it has finished"
            ),
            "{}",
            early.stderr
        );
    }
    assert_eq!(list.log().lines().count(), 2);

    // The run finishes the list (attempt 2) and then waits.
    let run = list.publish();
    run.assert_code(1);
    let row = only_row(&run);
    assert_eq!(row["result"], "in_doubt", "{row}");
    assert_eq!(
        row["detail"],
        format!(
            "sent 4 (et 4); 2 not sure it arrived (not sent again)\n{}",
            doubt_words(2)
        )
    );
    assert_eq!(list.copies(&smtp), vec![1, 0, 1, 1, 0, 1]);
    let records = list.ledger();
    let events: Vec<(&str, u64)> = records
        .iter()
        .map(|r| (r["event"].as_str().unwrap(), r["attempt"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        events,
        [("started", 1), ("started", 2), ("failed", 2)],
        "{records:#?}"
    );
    list.repo
        .run(&["resolve", ID, "news", "--resend-in-doubt"])
        .assert_code(0);
    let last = list.publish();
    last.assert_code(0);
    assert_eq!(
        only_row(&last)["detail"],
        "sent 2 (et 2); 4 sent in earlier runs"
    );
    assert_eq!(list.copies(&smtp), vec![1; 6]);
}

#[cfg(unix)]
#[test]
fn deciding_about_recipients_in_doubt_says_what_is_wrong_and_what_to_do_instead() {
    let smtp = Smtp::get();
    let list = List::new(&smtp, "doubterrors", 3, &["et"]);
    let refused = |args: &[&str], words: &str| {
        let run = list.repo.run(args);
        run.assert_code(2);
        assert!(run.stderr.contains(words), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    };
    // Not an email list.
    refused(
        &["resolve", ID, "record_et", "--resend-in-doubt"],
        "--resend-in-doubt is for email lists, and `record_et` is a record channel; for a post in doubt there, look at the account, then run `herald resolve uudis record_et --posted URL` or `--not-posted`",
    );
    refused(
        &["resolve", ID, "record_et", "--drop-in-doubt"],
        "--drop-in-doubt is for email lists, and `record_et` is a record channel",
    );
    // No such channel.
    refused(
        &["resolve", ID, "nwes", "--drop-in-doubt"],
        "no channel `nwes` in config/herald.toml; did you mean `news`?",
    );
    // Not sent yet.
    refused(
        &["resolve", ID, "news", "--resend-in-doubt"],
        "`uudis` has not been sent to `news`, so no recipient is in doubt; `herald status` shows where it stands",
    );
    // A list is decided as a whole, and one decision at a time.
    refused(
        &["resolve", ID, "news", "--resend-in-doubt", "--lang", "et"],
        "cannot be used with",
    );
    refused(
        &[
            "resolve",
            ID,
            "news",
            "--resend-in-doubt",
            "--drop-in-doubt",
        ],
        "cannot be used with",
    );
    refused(
        &["resolve", ID, "news", "--drop-in-doubt", "--not-posted"],
        "cannot be used with",
    );
    // Nothing was written (taking the ledger's lock may leave it empty).
    assert_eq!(
        std::fs::read_to_string(list.repo.path().join("state/ledger.jsonl")).unwrap_or_default(),
        ""
    );
    assert!(!list.repo.path().join(LOG).exists());
    // Sent to everyone: nothing in doubt, nothing to decide.
    let run = list.publish();
    run.assert_code(0);
    assert_eq!(only_row(&run)["result"], "posted");
    let log = list.log();
    let ledger = list.repo.read("state/ledger.jsonl");
    for flag in ["--resend-in-doubt", "--drop-in-doubt"] {
        refused(
            &["resolve", ID, "news", flag],
            "`uudis` on `news` is recorded as posted; nothing waits for a decision",
        );
    }
    assert_eq!(list.log(), log);
    assert_eq!(list.repo.read("state/ledger.jsonl"), ledger);
    assert_eq!(list.copies(&smtp), vec![1; 3]);
}

#[cfg(unix)]
#[test]
fn a_list_waiting_for_a_decision_whose_recipients_are_no_longer_in_doubt_says_how_to_resume() {
    // A decision cut short after its send log marks and before its ledger line.
    let smtp = Smtp::get();
    let list = List::new(&smtp, "doubtcut", 4, &["et"]);
    list.write_started(&[2]);
    list.publish().assert_code(1);
    let mut log = list.log();
    log.push_str(&format!("F {}\n", id(&list.addresses[2])));
    list.repo.write(LOG, &log);
    let refused = list.repo.run(&["resolve", ID, "news", "--resend-in-doubt"]);
    refused.assert_code(2);
    assert!(
        refused.stderr.contains(
            "no recipient of `uudis` on `news` is in doubt any more (an earlier decision may have been cut short); `herald resolve uudis news --not-posted` lets the next run resume the list, which sends nobody a second copy"
        ),
        "{}",
        refused.stderr
    );
    let held = list.publish();
    held.assert_code(1);
    let row = only_row(&held);
    assert_eq!(row["result"], "failed");
    assert_eq!(
        row["detail"],
        "failed earlier and will not be retried, and no recipient is in doubt any more; `herald resolve uudis news --not-posted` lets the next run resume the list (nobody who got it gets it again)"
    );
    assert_eq!(list.copies(&smtp), vec![1, 1, 0, 1]);
    list.repo
        .run(&["resolve", ID, "news", "--not-posted"])
        .assert_code(0);
    let run = list.publish();
    run.assert_code(0);
    assert_eq!(
        only_row(&run)["detail"],
        "sent 1 (et 1); 3 sent in earlier runs"
    );
    assert_eq!(list.copies(&smtp), vec![1; 4]);
}
