//! The email crash test: `herald publish` sending to 2,000 subscribers is killed with
//! SIGKILL at seeded random instants and rerun until it finishes. From the Maildir:
//! nobody got two copies, and everybody not reported in doubt got exactly one.

use crate::harness::{Repo, env_pairs, spawn_herald};
use crate::smtp_peer::Smtp;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

const SUBSCRIBERS: usize = 2_000;
const KILLS: usize = 10;
/// Kills in one round before a run is let finish.
const KILLS_PER_ROUND: usize = 4;
const SEED: u64 = 7_2026;
const SECRET: &str = "crash-secret";

fn id(address: &str) -> String {
    crate::smtp_peer::subscriber_id(SECRET, address)
}

#[cfg(unix)]
#[test]
fn sigkill_while_sending_to_2000_never_sends_twice_and_skips_nobody() {
    let smtp = Smtp::get();
    let mut rng = fastrand::Rng::with_seed(SEED);
    let began = Instant::now();
    let (mut kills, mut rounds, mut in_doubt) = (0, 0, 0);
    // Rounds of: a fresh list, killed at random instants until a run finishes by itself.
    while kills < KILLS {
        rounds += 1;
        let (k, d) = round(&smtp, &mut rng, rounds);
        kills += k;
        in_doubt += d;
    }
    eprintln!(
        "{kills} kills in {rounds} rounds, {in_doubt} in doubt, {:?}",
        began.elapsed()
    );
}

/// One list of 2,000 sent to the end under random kills; returns (kills, in doubt).
fn round(smtp: &Smtp, rng: &mut fastrand::Rng, n: usize) -> (usize, usize) {
    let d = smtp.domain(&format!("crash{n}"));
    let files = tempfile::tempdir().unwrap();
    let list = files.path().join("subscribers.csv");
    let addresses: Vec<String> = (0..SUBSCRIBERS).map(|n| format!("s{n:04}@{d}")).collect();
    let mut csv = String::from("email,name,lang\n");
    for (n, a) in addresses.iter().enumerate() {
        csv.push_str(&format!(
            "{a},Subscriber {n},{}\n",
            if n % 3 == 0 { "en" } else { "et" }
        ));
    }
    std::fs::write(&list, csv).unwrap();
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &format!(
            "timezone = \"Europe/Tallinn\"\napprovers = [\"editor@example.org\"]\n[defaults]\nlang = \"et\"\n{}",
            smtp.channel("news", "concurrency = 4")
        ),
    );
    repo.write(
        "announcements/uudis.et.md",
        "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [news]\n---\nTekst.\n",
    );
    repo.write(
        "announcements/uudis.en.md",
        "---\ntitle: News\npublish_at: 2026-06-30 10:00\nchannels: [news]\n---\nText.\n",
    );
    repo.approve("announcements/uudis.et.md");
    repo.approve("announcements/uudis.en.md");
    let env = [
        ("TEST_SMTP_PASSWORD".to_owned(), smtp.pass.clone()),
        ("TEST_SUBSCRIBERS".to_owned(), list.display().to_string()),
        ("TEST_LIST_SECRET".to_owned(), SECRET.to_owned()),
    ];
    let mut kills = 0;
    let began = Instant::now();
    loop {
        let mut child = spawn_herald(
            repo.path(),
            &["publish", "-q", "--at", "2026-06-30 10:05"],
            &env_pairs(&env),
        );
        let deadline = Instant::now() + Duration::from_millis(rng.u64(100..=700));
        let mut finished = false;
        // After a few kills a run is let finish: on a loaded machine a run may not even
        // start sending within 0.7 s.
        while kills >= KILLS_PER_ROUND || Instant::now() < deadline {
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
        // Done when a run finished the list: posted, or (with recipients in doubt)
        // failed for good until a person decides.
        if finished && repo.read("state/ledger.jsonl").lines().any(finished_list) {
            break;
        }
        // A guard against a loop that never ends (a run that finishes without finishing
        // the list), not a speed test.
        assert!(
            began.elapsed() < Duration::from_secs(300),
            "round {n} never finished"
        );
    }
    // The ledger has the list send's summary; the send log who is in doubt.
    let ledger = repo.read("state/ledger.jsonl");
    let summary = ledger
        .lines()
        .rfind(|l| finished_list(l))
        .unwrap()
        .to_owned();
    let log = repo.read("state/email/news/uudis.log");
    let mut last: HashMap<&str, &str> = HashMap::new();
    for line in log.lines() {
        let mut f = line.split(' ');
        let mark = f.next().unwrap();
        last.insert(f.next().unwrap(), mark);
    }
    let received = smtp.received(&d, None);
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for m in &received {
        *copies
            .entry(m["envelope_to"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let mut in_doubt = 0;
    for a in &addresses {
        let n = copies.get(a).copied().unwrap_or(0);
        assert!(n <= 1, "round {n}: {a} got {n} copies");
        match last.get(id(a).as_str()) {
            Some(&"S") => in_doubt += 1,
            Some(&"D") => assert_eq!(n, 1, "{a} is marked delivered but got {n}"),
            other => panic!("{a} ended as {other:?} in the send log, with {n} copies"),
        }
    }
    if in_doubt > 0 {
        assert!(
            summary.contains(&format!("{in_doubt} not sure it arrived")),
            "{summary}"
        );
    }
    assert_eq!(
        summary.contains("\"permanent\""),
        in_doubt > 0,
        "a list is posted only with nobody in doubt: {summary}"
    );
    (kills, in_doubt)
}

/// A ledger line that ends a list send for good: posted, or failed for good (recipients
/// in doubt wait for a person).
fn finished_list(line: &str) -> bool {
    line.contains("\"posted\"") || line.contains("\"permanent\"")
}
