//! A list send is a job of the engine: `herald publish` killed partway through a list has
//! already written a `started` record for every variant of it (before the first message
//! left), naming the send log; the list is then not in doubt (status, resolve), and the
//! next run resumes it from the send log without asking anyone: nobody gets a second
//! copy, and everybody the send log does not hold in doubt gets exactly one. Messages that
//! were on their way when the run died are not sent again, and then the list is not
//! posted until a person decides about them (`email_doubt.rs`).

use crate::harness::{Repo, herald_command};
use crate::smtp_peer::Smtp;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::time::{Duration, Instant};

const SECRET: &str = "resume-secret";
const ID: &str = "uudis";
const AT: &str = "2026-06-30 10:05";
const LATER: &str = "2026-06-30 10:20";

/// One case: the list, its languages, and when the run is killed.
struct Case {
    subscribers: usize,
    langs: &'static [&'static str],
    concurrency: usize,
    /// Killed once the send log has this many lines (0: as soon as it exists).
    kill_at_lines: usize,
}

fn ledger(repo: &Repo) -> Vec<Value> {
    std::fs::read_to_string(repo.path().join("state/ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a whole ledger line"))
        .collect()
}

/// The last mark of each subscriber id in the send log.
fn marks(repo: &Repo) -> HashMap<String, String> {
    let log = std::fs::read_to_string(repo.path().join(format!("state/email/news/{ID}.log")))
        .unwrap_or_default();
    let mut last = HashMap::new();
    for line in log.lines() {
        let mut f = line.split(' ');
        if let (Some(mark), Some(id)) = (f.next(), f.next()) {
            last.insert(id.to_owned(), mark.to_owned());
        }
    }
    last
}

#[cfg(unix)]
#[test]
fn a_list_send_killed_partway_was_started_in_the_ledger_and_resumes_without_asking_anyone() {
    let smtp = Smtp::get();
    for case in [
        Case {
            subscribers: 30,
            langs: &["et"],
            concurrency: 1,
            kill_at_lines: 0,
        },
        Case {
            subscribers: 40,
            langs: &["et", "en"],
            concurrency: 2,
            kill_at_lines: 20,
        },
        Case {
            subscribers: 60,
            langs: &["en", "et", "ru"],
            concurrency: 4,
            kill_at_lines: 45,
        },
    ] {
        killed_then_resumed(&smtp, &case);
    }
}

fn killed_then_resumed(smtp: &Smtp, case: &Case) {
    let what = format!(
        "{} subscribers in {:?}, {} connections, killed at {} send log lines",
        case.subscribers, case.langs, case.concurrency, case.kill_at_lines
    );
    let d = smtp.domain("resume");
    let files = tempfile::tempdir().unwrap();
    let list = files.path().join("subscribers.csv");
    let addresses: Vec<String> = (0..case.subscribers)
        .map(|n| format!("s{n:03}@{d}"))
        .collect();
    let mut csv = String::from("email,name,lang\n");
    for (n, a) in addresses.iter().enumerate() {
        csv.push_str(&format!("{a},S {n},{}\n", case.langs[n % case.langs.len()]));
    }
    std::fs::write(&list, csv).unwrap();
    let repo = Repo::new();
    // Paced, so that the run is still sending when it is killed.
    repo.write(
        "config/herald.toml",
        &format!(
            "timezone = \"Europe/Tallinn\"\napprovers = [\"editor@example.org\"]\n[defaults]\nlang = \"et\"\n{}",
            smtp.channel(
                "news",
                &format!("concurrency = {}\nrate = 25", case.concurrency)
            )
        ),
    );
    for lang in case.langs {
        let file = format!("announcements/{ID}.{lang}.md");
        repo.write(
            &file,
            &format!(
                "---\ntitle: Uudis {lang}\npublish_at: 2026-06-30 10:00\nchannels: [news]\n---\nTekst {lang}.\n"
            ),
        );
        repo.approve(&file);
    }
    let subscribers = list.display().to_string();
    let env = [
        ("TEST_SMTP_PASSWORD", smtp.pass.as_str()),
        ("TEST_SUBSCRIBERS", subscribers.as_str()),
        ("TEST_LIST_SECRET", SECRET),
    ];
    let status = repo.json(&["status", "--at", AT], 0);
    let approved: BTreeMap<String, String> = status["announcements"]
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
    assert_eq!(approved.len(), case.langs.len(), "{what}");

    // The run, killed partway through the list.
    let mut child = herald_command(repo.path(), &["publish", "-q", "--at", AT], &env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start herald");
    let log = repo.path().join(format!("state/email/news/{ID}.log"));
    let began = Instant::now();
    loop {
        let lines = std::fs::read_to_string(&log).map(|t| t.lines().count());
        if lines.is_ok_and(|n| n >= case.kill_at_lines) {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "{what}: the run ended before it could be killed"
        );
        assert!(
            began.elapsed() < Duration::from_secs(60),
            "{what}: no send log"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL herald");
    child.wait().unwrap();
    let before = smtp.received(&d, None).len();
    assert!(
        before < case.subscribers,
        "{what}: the list was done before the kill"
    );

    // The ledger: a `started` record per variant, with the approved hash and the send
    // log, and nothing after it.
    let records = ledger(&repo);
    let mut started: Vec<(String, String)> = records
        .iter()
        .map(|r| {
            assert_eq!(r["event"], "started", "{what}: {r}");
            assert_eq!(
                (&r["id"], &r["channel"], &r["part"], &r["attempt"]),
                (
                    &Value::from(ID),
                    &Value::from("news"),
                    &Value::from(1),
                    &Value::from(1)
                ),
                "{what}: {r}"
            );
            assert_eq!(r["send_log"], format!("email/news/{ID}.log"), "{what}: {r}");
            (
                r["lang"].as_str().unwrap().to_owned(),
                r["hash"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    started.sort();
    assert_eq!(
        started,
        approved.clone().into_iter().collect::<Vec<_>>(),
        "{what}"
    );

    // Not in doubt: nobody is asked to look (status), nothing to resolve.
    let status = repo.json(&["status", "--at", LATER], 0);
    for a in status["announcements"].as_array().unwrap() {
        assert_eq!(a["channels"][0]["status"], "due", "{what}: {a}");
    }
    let resolve = repo.run(&["resolve", ID, "news", "--not-posted"]);
    resolve.assert_code(2);
    assert!(
        resolve.stderr.contains(&format!(
            "nothing of `{ID}` on `news` is in doubt or failed"
        )),
        "{what}: {}",
        resolve.stderr
    );

    // The next run resumes the list from the send log.
    let count = |mark: &str| marks(&repo).values().filter(|m| *m == mark).count();
    let (in_doubt, delivered) = (count("S"), count("D"));
    let again = repo.run_env(&["publish", "--format", "json", "--at", LATER], &env);
    let report = again.json();
    // Nobody is asked to look, unless recipients are in doubt: then a person decides.
    assert_eq!(
        again.stdout.contains("herald resolve"),
        in_doubt > 0,
        "{what}: {}",
        again.stdout
    );
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{what}: {report}");
    let row = &rows[0];
    assert_eq!(row["lang"], case.langs_joined(), "{what}: {row}");
    let detail = row["detail"].as_str().unwrap();
    if in_doubt == 0 {
        again.assert_code(0);
        assert_eq!(row["result"], "posted", "{what}: {row}");
    } else {
        // Messages marked as leaving when the run died may have arrived: not sent again.
        again.assert_code(1);
        assert_eq!(row["result"], "in_doubt", "{what}: {row}");
        assert!(
            detail.contains(&format!("{in_doubt} not sure it arrived (not sent again)")),
            "{what}: {detail}"
        );
        assert!(
            detail.contains(&format!(
                "`herald resolve {ID} news --resend-in-doubt` sends it to them, `herald resolve {ID} news --drop-in-doubt` leaves them as they are"
            )),
            "{what}: {detail}"
        );
    }
    let received = smtp.received(&d, None);
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for m in &received {
        *copies
            .entry(m["envelope_to"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let last = marks(&repo);
    let mut doubted = 0;
    for a in &addresses {
        let n = copies.get(a).copied().unwrap_or(0);
        assert!(n <= 1, "{what}: {a} got {n} copies");
        match last.get(id(a).as_str()).map(String::as_str) {
            Some("D") => assert_eq!(n, 1, "{what}: {a} is marked delivered but got {n}"),
            Some("S") => doubted += 1,
            other => panic!("{what}: {a} ended as {other:?} in the send log, with {n} copies"),
        }
    }
    assert_eq!(doubted, in_doubt, "{what}");
    let resent = count("D") - delivered;
    let first = detail.split(';').next().unwrap();
    assert!(
        first == format!("sent {resent}") || first.starts_with(&format!("sent {resent} (")),
        "{what}: {detail}"
    );
    if delivered > 0 {
        assert!(
            detail.contains(&format!("; {delivered} sent in earlier runs")),
            "{what}: {detail}"
        );
    }

    // The ledger: the rerun started again (attempt 2) and ended it, per variant: posted,
    // or, with recipients in doubt, failed until a person decides.
    let records = ledger(&repo);
    let after: Vec<&Value> = records.iter().skip(approved.len()).collect();
    assert_eq!(after.len(), 2 * approved.len(), "{what}: {records:#?}");
    let ended = if in_doubt == 0 { "posted" } else { "failed" };
    for (r, event) in after.iter().zip(
        std::iter::repeat_n("started", approved.len())
            .chain(std::iter::repeat_n(ended, approved.len())),
    ) {
        assert_eq!(r["event"], event, "{what}: {r}");
        assert_eq!(r["attempt"], 2, "{what}: {r}");
        assert_eq!(
            approved[r["lang"].as_str().unwrap()],
            r["hash"].as_str().unwrap(),
            "{what}: {r}"
        );
    }
    if in_doubt > 0 {
        // They may have arrived (the kill came while they were on their way), so the
        // person here leaves them as they are; the list is then posted.
        repo.run(&["resolve", ID, "news", "--drop-in-doubt"])
            .assert_code(0);
        assert_eq!(smtp.received(&d, None).len(), received.len(), "{what}");
    }
    let status = repo.json(&["status", "--at", LATER], 0);
    for a in status["announcements"].as_array().unwrap() {
        assert_eq!(a["channels"][0]["status"], "posted", "{what}: {a}");
    }
}

impl Case {
    fn langs_joined(&self) -> String {
        let mut langs = self.langs.to_vec();
        langs.sort_unstable();
        langs.join("+")
    }
}

/// The subscriber id of `address` as the send log writes it.
fn id(address: &str) -> String {
    crate::smtp_peer::subscriber_id(SECRET, address)
}
