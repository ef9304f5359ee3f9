//! The email crash test: `herald publish` sending to 2,000 subscribers is killed with
//! SIGKILL at seeded random instants and rerun until it finishes. From the Maildir:
//! nobody got two copies, and everybody not reported in doubt got exactly one.

use crate::harness::Repo;
use crate::smtp_peer::Smtp;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::{BTreeMap, HashMap};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SUBSCRIBERS: usize = 2_000;
const KILLS: usize = 10;
const SEED: u64 = 7_2026;
const SECRET: &str = "crash-secret";

fn id(address: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("herald-subscriber:{}", address.to_lowercase()).as_bytes());
    mac.finalize().into_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(unix)]
#[test]
fn sigkill_while_sending_to_2000_never_sends_twice_and_skips_nobody() {
    let smtp = Smtp::get();
    let d = smtp.domain("crash");
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
        ("TEST_SMTP_PASSWORD", smtp.pass.clone()),
        ("TEST_SUBSCRIBERS", list.display().to_string()),
        ("TEST_LIST_SECRET", SECRET.to_owned()),
    ];
    let start = |quiet: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_herald"));
        cmd.arg("--root")
            .arg(repo.path())
            .args(["publish", "--at", "2026-06-30 10:05", "--format", "json"])
            .env_clear()
            .env("NO_COLOR", "1")
            .stdout(if quiet { Stdio::null() } else { Stdio::piped() })
            .stderr(Stdio::null());
        for (k, v) in &env {
            cmd.env(k, v);
        }
        cmd.spawn().expect("start herald")
    };
    let mut rng = fastrand::Rng::with_seed(SEED);
    let began = Instant::now();
    let mut kills = 0;
    let mut rounds = 0;
    while kills < KILLS {
        rounds += 1;
        let mut child = start(true);
        std::thread::sleep(Duration::from_millis(rng.u64(150..=1_500)));
        if child.try_wait().unwrap().is_none() {
            child.kill().expect("SIGKILL herald");
            kills += 1;
        }
        child.wait().unwrap();
        if rounds > 3 * KILLS {
            break;
        }
    }
    // Finish: rerun until a run ends by itself.
    let report = loop {
        let out = start(false).wait_with_output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if doc["rows"][0]["result"] != "failed" {
            break doc;
        }
        assert!(
            began.elapsed() < Duration::from_secs(240),
            "the list never finished: {doc:#}"
        );
    };
    let row = &report["rows"][0];
    assert!(
        row["result"] == "posted" || row["result"] == "in_doubt",
        "{report:#}"
    );
    // Who is in doubt: an `S` as the last mark in the send log.
    let log = repo.read("state/email/news/uudis.log");
    let mut last: HashMap<&str, &str> = HashMap::new();
    for line in log.lines() {
        let mut f = line.split(' ');
        last.insert(f.nth(1).unwrap(), line.split(' ').next().unwrap());
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
        assert!(n <= 1, "{a} got {n} copies");
        match last.get(id(a).as_str()) {
            Some(&"S") => in_doubt += 1,
            Some(&"D") => assert_eq!(n, 1, "{a} is marked delivered but got {n}"),
            other => panic!("{a} ended as {other:?} in the send log, with {n} copies"),
        }
    }
    let detail = row["detail"].as_str().unwrap();
    if in_doubt > 0 {
        assert!(detail.contains(&format!("{in_doubt} in doubt")), "{detail}");
    }
    assert!(
        kills >= KILLS / 2,
        "only {kills} kills hit a running publish"
    );
    eprintln!(
        "{kills} kills in {rounds} rounds, {in_doubt} in doubt, {} received, {:?}",
        received.len(),
        began.elapsed()
    );
}
