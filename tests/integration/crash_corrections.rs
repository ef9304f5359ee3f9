//! The crash test for corrections: `herald publish` applying approved changes is killed
//! with SIGKILL at seeded random instants and rerun until it finishes. Then, read from
//! the servers themselves: every edit, new reply part, delete, correction notice and
//! repost was made once, none was lost, and a further run sends nothing.
//!
//! Channels, so that every exactly-once path of a change is crossed: mastodon-mock (edit
//! in place; a thread that gains a part gets a new reply post, one that loses a part a
//! delete), the real Bluesky PDS with `correction = "reply"` (a notice is a new post) and
//! with `correction = "repost"` (delete, then create), and three `record` channels (edit
//! in place, reply, repost) whose files must come out byte for byte as in a run that was
//! never killed.

use crate::harness::{Repo, env_pairs, run_and_kill};
use crate::http::http;
use crate::mastodon_server::{Account as MastodonAccount, server, shown_text};
use crate::pds::Account as PdsAccount;
use crate::recording_proxy::Proxy;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const SEED: u64 = 18_2026;
/// Rounds with kills, after the round without any that proves the setup.
const ROUNDS: usize = 2;
/// Kills per round at most; a run that finishes before its kill ends the round's loop.
const KILLS_PER_ROUND: usize = 8;
const ORIGINALS_AT: &str = "2026-06-30 10:05";
const CORRECTION_AT: &str = "2026-06-30 12:00";
/// When the last round's finishing run starts: Mastodon has forgotten the keys of the
/// killed runs' requests by then, so what they left in doubt is looked up.
const AFTER_THE_HOUR_AT: &str = "2026-06-30 13:30";
const LATER_AT: &str = "2026-06-30 14:00";

/// The record channels' files, compared with the round that was never killed.
const RECORD_FILES: [&str; 3] = [
    "state/recorded.jsonl",
    "state/rec_reply.jsonl",
    "state/rec_repost.jsonl",
];

/// Long enough for a thread on every channel (two parts on Mastodon, three on Bluesky
/// and the 300-character record channels).
fn long(topic: &str) -> String {
    let sentence = format!(
        "Tartu linn kutsub kõiki elanikke ja külalisi raekoja platsile, kus räägime {topic}. "
    );
    format!("{}\n\n{}", sentence.repeat(4), sentence.repeat(3))
}

/// (original, corrected) bodies: an edit of one part, a thread that gains parts, one
/// that loses them, and one whose later part alone changes.
fn bodies() -> Vec<(String, String)> {
    vec![
        (
            "Kontsert algab kell 18.".into(),
            "Kontsert algab kell 19.".into(),
        ),
        (
            "Kohtumine raekoja platsil.".into(),
            long("linna tulevikust"),
        ),
        (long("linna minevikust"), "Kohtumine jääb ära.".into()),
        (
            long("linna tulevikust"),
            format!(
                "{}\n\n{}",
                long("linna tulevikust").split("\n\n").next().unwrap(),
                "Uus aeg on kell 17, sest saal on hommikul kinni. ".repeat(3)
            ),
        ),
    ]
}

/// The channels of announcement `n`: Mastodon and the record channels take every one;
/// each Bluesky account (the slowest server) two: on `reply` a notice answers a post and
/// (a notice of three parts) a thread's last part; on `repost` a thread grows and one
/// shrinks.
fn channels(n: usize) -> &'static str {
    match n {
        0 | 3 => "mastodon_et, bsky_reply, record_et, rec_reply, rec_repost",
        _ => "mastodon_et, bsky_repost, record_et, rec_reply, rec_repost",
    }
}

/// One round's servers: a fresh Mastodon account and two fresh Bluesky accounts, each
/// server behind a recording proxy (to see that a settled run sends nothing).
struct Peers {
    mastodon_base: String,
    mastodon: MastodonAccount,
    mastodon_proxy: Proxy,
    reply: PdsAccount,
    repost: PdsAccount,
    pds_proxy: Proxy,
}

impl Peers {
    fn new() -> Peers {
        let mastodon_base = server("HERALD_TEST_MASTODON");
        let mastodon = MastodonAccount::create(&mastodon_base);
        let reply = PdsAccount::create("fixreply");
        let repost = PdsAccount::create("fixrepost");
        Peers {
            mastodon_proxy: Proxy::start(&mastodon_base),
            pds_proxy: Proxy::start(&reply.pds),
            mastodon_base,
            mastodon,
            reply,
            repost,
        }
    }

    fn config(&self) -> String {
        format!(
            r#"timezone = "Europe/Tallinn"
approvers = ["editor@example.org"]

[defaults]
lang = "et"

[channels.mastodon_et]
kind = "mastodon"
lang = "et"
base_url = "{mastodon}"
token_env = "TEST_MASTODON_TOKEN"

[channels.bsky_reply]
kind = "bluesky"
lang = "et"
service = "{pds}"
identifier = "{reply}"
password_env = "BSKY_REPLY_PASSWORD"

[channels.bsky_repost]
kind = "bluesky"
lang = "et"
service = "{pds}"
identifier = "{repost}"
password_env = "BSKY_REPOST_PASSWORD"
correction = "repost"

[channels.record_et]
kind = "record"
lang = "et"
limit = 300

[channels.rec_reply]
kind = "record"
lang = "et"
limit = 300
edits = false
file = "state/rec_reply.jsonl"

[channels.rec_repost]
kind = "record"
lang = "et"
limit = 300
edits = false
correction = "repost"
file = "state/rec_repost.jsonl"
"#,
            mastodon = self.mastodon_proxy.url(),
            pds = self.pds_proxy.url(),
            reply = self.reply.handle,
            repost = self.repost.handle,
        )
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("TEST_MASTODON_TOKEN".into(), self.mastodon.token.clone()),
            (
                "BSKY_REPLY_PASSWORD".into(),
                self.reply.app_password.clone(),
            ),
            (
                "BSKY_REPOST_PASSWORD".into(),
                self.repost.app_password.clone(),
            ),
            ("HERALD_PUBLISH__MAX_POSTS_PER_RUN".into(), "100".into()),
            ("HERALD_PUBLISH__RETRY_BASE".into(), "10ms".into()),
        ]
    }

    /// Whether the status `id` is on the server (read there, not through the proxy).
    fn mastodon_has(&self, id: &str) -> bool {
        let answer = http()
            .get(format!("{}/api/v1/statuses/{id}", self.mastodon_base))
            .bearer(&self.mastodon.token)
            .send()
            .unwrap();
        match answer.status.as_u16() {
            404 => false,
            _ => {
                answer.error_for_status().unwrap();
                true
            }
        }
    }
}

fn rel(n: usize) -> String {
    format!("announcements/n{n}.et.md")
}

fn write_all(repo: &Repo, pick: impl Fn(&(String, String)) -> &String) {
    for (n, pair) in bodies().iter().enumerate() {
        repo.write(
            &rel(n),
            &format!(
                "---\ntitle: Uudis {n}\npublish_at: 2026-06-30 10:00\nchannels: [{}]\n---\n{}\n",
                channels(n),
                pick(pair)
            ),
        );
    }
    let files: Vec<String> = (0..bodies().len()).map(rel).collect();
    let mut args = vec!["approve", "--by", "editor@example.org"];
    args.extend(files.iter().map(String::as_str));
    repo.run(&args).assert_code(0);
}

fn publish(repo: &Repo, env: &[(String, String)], at: &str) -> Value {
    let run = repo.run_env(
        &["publish", "--format", "json", "--at", at],
        &env_pairs(env),
    );
    run.assert_code(0);
    run.json()
}

/// What the dry run says each change sends, by (announcement, channel): the new parts,
/// and the notice's parts where the channel answers with one.
struct Planned {
    parts: BTreeMap<(String, String), Vec<String>>,
    notices: BTreeMap<(String, String), Vec<String>>,
}

fn planned(repo: &Repo, env: &[(String, String)]) -> Planned {
    let run = repo.run_env(
        &[
            "publish",
            "--dry-run",
            "--format",
            "json",
            "--at",
            CORRECTION_AT,
        ],
        &env_pairs(env),
    );
    run.assert_code(0);
    let dry = run.json();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    };
    let mut out = Planned {
        parts: BTreeMap::new(),
        notices: BTreeMap::new(),
    };
    let changes = dry["changes"].as_array().expect("changes are due");
    for c in changes {
        assert!(c["failure"].is_null(), "{c:#}");
        let key = (
            c["id"].as_str().unwrap().to_owned(),
            c["channel"].as_str().unwrap().to_owned(),
        );
        out.parts.insert(key.clone(), strings(&c["parts"]));
        let notice = strings(&c["notice"]);
        if !notice.is_empty() {
            out.notices.insert(key, notice);
        }
    }
    let posts: usize = (0..bodies().len())
        .map(|n| channels(n).split(", ").count())
        .sum();
    assert_eq!(changes.len(), posts, "every post changes: {dry:#}");
    let answering = out
        .notices
        .keys()
        .filter(|(_, c)| c == "bsky_reply" || c == "rec_reply")
        .count();
    assert_eq!(
        answering,
        out.notices.len(),
        "only the reply channels answer"
    );
    assert_eq!(out.notices.len(), bodies().len() + 2);
    let thread = &out.notices[&("n3".to_owned(), "bsky_reply".to_owned())];
    assert!(thread.len() > 1, "a notice of several parts: {thread:#?}");
    out
}

/// The ledger's steps whose last record is `started`: cut short by the kill.
fn in_flight(repo: &Repo) -> usize {
    let ledger = std::fs::read_to_string(repo.path().join("state/ledger.jsonl")).unwrap();
    let mut last = BTreeMap::new();
    for line in ledger.lines() {
        let Ok(r) = serde_json::from_str::<Value>(line) else {
            continue; // a line cut short by the kill
        };
        let key = [
            "id",
            "lang",
            "channel",
            "part",
            "hash",
            "action",
            "notice_of",
        ]
        .map(|f| r[f].to_string());
        last.insert(key, r["event"].clone());
    }
    last.values().filter(|e| *e == "started").count()
}

// ---- What the servers hold ----------------------------------------------------------------

/// The Mastodon account's threads, each as its statuses' (id, text) from the first;
/// asserts that no status has two replies.
fn mastodon_threads(peers: &Peers) -> Vec<Vec<(String, String)>> {
    let statuses = peers.mastodon.statuses();
    let mut replies: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for s in &statuses {
        if let Some(parent) = s["in_reply_to_id"].as_str() {
            replies.entry(parent.to_owned()).or_default().push(s);
        }
    }
    let mut threads = Vec::new();
    for root in statuses.iter().filter(|s| s["in_reply_to_id"].is_null()) {
        let mut thread = Vec::new();
        let mut at = root;
        loop {
            let id = at["id"].as_str().unwrap().to_owned();
            thread.push((id.clone(), shown_text(at)));
            match replies.get(&id).map(Vec::as_slice) {
                None | Some([]) => break,
                Some([next]) => at = next,
                Some(more) => panic!("status {id} has {} replies: {more:#?}", more.len()),
            }
        }
        threads.push(thread);
    }
    let counted: usize = threads.iter().map(Vec::len).sum();
    assert_eq!(
        counted,
        statuses.len(),
        "a reply outside any thread: {statuses:#?}"
    );
    threads
}

/// A Bluesky account's records by `at://` address: (text, parent address, root address).
type Records = BTreeMap<String, (String, Option<String>, Option<String>)>;

fn bluesky_records(account: &PdsAccount) -> Records {
    account
        .posts()
        .into_iter()
        .map(|r| {
            let v = &r["value"];
            let reply = |which: &str| v["reply"][which]["uri"].as_str().map(str::to_owned);
            (
                r["uri"].as_str().unwrap().to_owned(),
                (
                    v["text"].as_str().unwrap().to_owned(),
                    reply("parent"),
                    reply("root"),
                ),
            )
        })
        .collect()
}

/// The chain of records that starts at `first` and follows the replies; asserts that no
/// record has two replies.
fn chain(records: &Records, first: &str) -> Vec<String> {
    let mut out = vec![first.to_owned()];
    loop {
        let last = out.last().unwrap().clone();
        let next: Vec<&String> = records
            .iter()
            .filter(|(_, (_, parent, _))| parent.as_deref() == Some(last.as_str()))
            .map(|(uri, _)| uri)
            .collect();
        match next.as_slice() {
            [] => return out,
            [one] => out.push((*one).clone()),
            more => panic!("{last} has {} replies: {more:#?}", more.len()),
        }
    }
}

/// The texts of the records at `uris`.
fn texts(records: &Records, uris: &[String]) -> Vec<String> {
    uris.iter().map(|u| records[u].0.clone()).collect()
}

/// What went out before the correction, per announcement: the Mastodon thread (ids),
/// and the Bluesky threads (addresses) on both accounts.
struct Originals {
    mastodon: BTreeMap<String, Vec<String>>,
    reply: BTreeMap<String, Vec<String>>,
    repost: BTreeMap<String, Vec<String>>,
    reply_records: Records,
}

fn id_of(text: &str) -> String {
    let n = text
        .strip_prefix("Uudis ")
        .and_then(|t| t.split('\n').next())
        .unwrap_or_else(|| panic!("not one of the test's posts: {text}"));
    format!("n{n}")
}

fn originals(peers: &Peers) -> Originals {
    let mastodon = mastodon_threads(peers)
        .into_iter()
        .map(|t| (id_of(&t[0].1), t.into_iter().map(|(id, _)| id).collect()))
        .collect();
    let threads = |records: &Records| -> BTreeMap<String, Vec<String>> {
        records
            .iter()
            .filter(|(_, (_, parent, _))| parent.is_none())
            .map(|(uri, (text, _, _))| (id_of(text), chain(records, uri)))
            .collect()
    };
    let reply_records = bluesky_records(&peers.reply);
    Originals {
        mastodon,
        reply: threads(&reply_records),
        repost: threads(&bluesky_records(&peers.repost)),
        reply_records,
    }
}

/// Asserts from the servers that every change was made exactly once.
fn assert_corrected(round: usize, peers: &Peers, before: &Originals, plan: &Planned) {
    let parts = |id: &str, channel: &str| plan.parts[&(id.to_owned(), channel.to_owned())].clone();

    // Mastodon: each thread kept its first status, edited to the new text; a part the
    // thread lost is gone, one it gained answers the part before; nothing else.
    let threads = mastodon_threads(peers);
    assert_eq!(
        threads.len(),
        before.mastodon.len(),
        "round {round}: {threads:#?}"
    );
    for (id, old) in &before.mastodon {
        let want = parts(id, "mastodon_et");
        let thread = threads
            .iter()
            .find(|t| t[0].0 == old[0])
            .unwrap_or_else(|| panic!("round {round}: {id}'s first status is gone: {threads:#?}"));
        let got: Vec<&str> = thread.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(got, want, "round {round}: {id} on Mastodon");
        for (n, old_id) in old.iter().enumerate() {
            let kept = n < want.len();
            assert_eq!(
                thread.get(n).map(|(i, _)| i) == Some(old_id),
                kept,
                "round {round}: {id} part {} on Mastodon was {}",
                n + 1,
                if kept {
                    "replaced, not edited"
                } else {
                    "not deleted"
                }
            );
            assert_eq!(peers.mastodon_has(old_id), kept, "round {round}: {old_id}");
        }
    }

    // Bluesky, `reply`: the posts as they were, each answered by one notice thread.
    let records = bluesky_records(&peers.reply);
    let mut counted = 0;
    for (id, old) in &before.reply {
        for uri in old {
            assert_eq!(
                records.get(uri),
                before.reply_records.get(uri),
                "round {round}: {id}'s post on Bluesky changed"
            );
        }
        let answers: Vec<&String> = records
            .iter()
            .filter(|(_, (_, parent, _))| parent.as_ref() == old.last())
            .map(|(uri, _)| uri)
            .collect();
        let [first] = answers.as_slice() else {
            panic!("round {round}: {id}'s last part has replies {answers:#?}, not one notice");
        };
        let notice = chain(&records, first);
        assert_eq!(
            texts(&records, &notice),
            plan.notices[&(id.clone(), "bsky_reply".to_owned())],
            "round {round}: {id}'s notice on Bluesky"
        );
        for uri in &notice {
            assert_eq!(records[uri].2.as_ref(), Some(&old[0]), "root of {uri}");
        }
        counted += old.len() + notice.len();
    }
    assert_eq!(
        counted,
        records.len(),
        "round {round}: records on the reply account: {records:#?}"
    );

    // Bluesky, `repost`: none of the old records; one live record per new part.
    let records = bluesky_records(&peers.repost);
    let mut counted = 0;
    for (id, old) in &before.repost {
        for uri in old {
            assert!(
                !records.contains_key(uri),
                "round {round}: {uri} is still up"
            );
        }
        let want = parts(id, "bsky_repost");
        let first = records
            .iter()
            .find(|(_, (text, parent, _))| parent.is_none() && *text == want[0])
            .map(|(uri, _)| uri.clone())
            .unwrap_or_else(|| panic!("round {round}: {id} was not posted anew: {records:#?}"));
        let thread = chain(&records, &first);
        assert_eq!(
            texts(&records, &thread),
            want,
            "round {round}: {id} reposted"
        );
        counted += thread.len();
    }
    assert_eq!(
        counted,
        records.len(),
        "round {round}: records on the repost account: {records:#?}"
    );
}

/// The record channels' files.
fn record_files(repo: &Repo) -> Vec<String> {
    RECORD_FILES.iter().map(|f| repo.read(f)).collect()
}

/// One round: the originals published, the corrections approved, the correction run
/// killed at up to `kills` random instants within `full`, then finished. Returns the
/// kills that hit a live run, how many of them cut a step short, the record files and
/// how long the correction took when it was not killed.
fn round(
    n: usize,
    peers: Peers,
    rng: &mut fastrand::Rng,
    kills: usize,
    full: Duration,
) -> (usize, usize, Vec<String>, Duration) {
    let t0 = Instant::now();
    let env = peers.env();
    let repo = Repo::new();
    repo.write("config/herald.toml", &peers.config());
    write_all(&repo, |(first, _)| first);
    let first = publish(&repo, &env, ORIGINALS_AT);
    for row in first["rows"].as_array().unwrap() {
        assert_eq!(row["result"], "posted", "round {n}: {row:#}");
    }
    let before = originals(&peers);
    for (channel, ids) in [
        ("mastodon_et", before.mastodon.keys()),
        ("bsky_reply", before.reply.keys()),
        ("bsky_repost", before.repost.keys()),
    ] {
        let want: Vec<String> = (0..bodies().len())
            .filter(|m| channels(*m).split(", ").any(|c| c == channel))
            .map(|m| format!("n{m}"))
            .collect();
        assert_eq!(
            ids.cloned().collect::<Vec<_>>(),
            want,
            "round {n}: {channel}"
        );
    }

    write_all(&repo, |(_, fixed)| fixed);
    let plan = planned(&repo, &env);
    let (mut hit, mut cut) = (0, 0);
    for _ in 0..kills {
        let delay = full.mul_f64(rng.f64() * 0.5);
        let args = ["publish", "-q", "--at", CORRECTION_AT];
        if !run_and_kill(&repo, &args, &env, delay) {
            break;
        }
        hit += 1;
        if in_flight(&repo) > 0 {
            cut += 1;
        }
    }
    // Let a run finish: nothing can be left in doubt on these channels (a new post is
    // sent again under Mastodon's key within the hour and looked up after it, Bluesky's
    // record key and the record file make it safe to repeat, and an edit or a delete is
    // made again).
    let at = if n == ROUNDS {
        AFTER_THE_HOUR_AT
    } else {
        CORRECTION_AT
    };
    let started = Instant::now();
    let finished = publish(&repo, &env, at);
    let took = started.elapsed();
    for row in finished["rows"].as_array().unwrap() {
        assert_eq!(row["result"], "corrected", "round {n}: {row:#}");
    }
    if kills == 0 {
        assert_eq!(
            finished["rows"].as_array().unwrap().len(),
            plan.parts.len(),
            "round {n}: {finished:#}"
        );
    }
    assert_corrected(n, &peers, &before, &plan);
    let files = record_files(&repo);

    // Settled: a further run sends nothing, to any server or file.
    peers.mastodon_proxy.clear();
    peers.pds_proxy.clear();
    let later = publish(&repo, &env, LATER_AT);
    assert_eq!(later["rows"], serde_json::json!([]), "round {n}: {later:#}");
    assert!(
        peers.mastodon_proxy.seen().is_empty() && peers.pds_proxy.seen().is_empty(),
        "round {n}: a settled run sent requests"
    );
    assert_eq!(record_files(&repo), files, "round {n}: a settled run wrote");
    eprintln!(
        "round {n}: {hit} kills ({cut} with a step in flight), the last run took {took:?}, the round {:?}",
        t0.elapsed()
    );
    (hit, cut, files, took)
}

#[cfg(unix)]
#[test]
fn sigkill_during_a_correction_never_duplicates_an_edit_a_notice_or_a_repost() {
    let began = Instant::now();
    let mut rng = fastrand::Rng::with_seed(SEED);
    // Each round's accounts are made while the round before it runs.
    let mut ahead = Some(std::thread::spawn(Peers::new));
    let mut accounts = |more: bool| {
        let peers = ahead.take().unwrap().join().expect("the test accounts");
        if more {
            ahead = Some(std::thread::spawn(Peers::new));
        }
        peers
    };
    // A round without kills proves the setup, and gives the record files to compare
    // with and the time an uninterrupted correction takes here (the kills fall within
    // its first half).
    let (_, _, reference, full) = round(0, accounts(true), &mut rng, 0, Duration::ZERO);
    let distinct: BTreeSet<&str> = reference
        .iter()
        .flat_map(|f| f.lines())
        .filter_map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            ["edit", "delete"].into_iter().find(|k| v.get(*k).is_some())
        })
        .collect();
    assert_eq!(
        distinct.len(),
        2,
        "the record channels both edit and delete"
    );
    let (mut kills, mut cut) = (0, 0);
    for n in 1..=ROUNDS {
        let (hit, c, files, _) = round(n, accounts(n < ROUNDS), &mut rng, KILLS_PER_ROUND, full);
        kills += hit;
        cut += c;
        for (name, (got, want)) in RECORD_FILES.iter().zip(files.iter().zip(&reference)) {
            assert_eq!(
                got, want,
                "round {n}: {name} differs from the run that was never killed"
            );
        }
    }
    assert!(cut > 0, "no kill cut a step short ({kills} kills)");
    eprintln!(
        "correction crash test: {kills} kills over {ROUNDS} rounds ({cut} with a step in flight), a correction takes {full:?}; zero duplicates, zero losses, {:?}",
        began.elapsed()
    );
}

/// A repost cut short after some of its new parts went out (the new thread longer than
/// the old one): the next run posts the rest and never deletes a part it posted anew.
#[test]
fn a_repost_cut_short_after_its_first_new_parts_never_deletes_them() {
    let repo = Repo::with_config(
        "[channels.again]\nkind = \"record\"\nlang = \"et\"\nlimit = 60\nedits = false\ncorrection = \"repost\"\nfile = \"state/again.jsonl\"\n",
    );
    let write = |body: &str| {
        repo.write(
            "announcements/a.et.md",
            &format!(
                "---\ntitle: Kontsert\npublish_at: 2026-06-30 10:00\nchannels: [again]\n---\n{body}\n"
            ),
        );
        repo.approve("announcements/a.et.md");
    };
    write("Lühike.");
    repo.json(&["publish", "--at", ORIGINALS_AT], 0);
    write(
        "Esimene lause on siin ja ta on pikk. Teine lause on ka siin ja pikk. Kolmas lause lõpetab jutu siin.",
    );
    repo.json(&["publish", "--at", CORRECTION_AT], 0);
    let whole = repo.read("state/again.jsonl");
    let lines: Vec<Value> = whole
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The post, its delete, and the new thread of three.
    assert_eq!(lines.len(), 5, "{whole}");
    assert_eq!(lines[1]["delete"], "1");
    assert_eq!(lines[3]["reply_to"], "3");
    assert_eq!(lines[4]["reply_to"], "4");
    // The run died right after the new part 2 was posted.
    let ledger = repo.read("state/ledger.jsonl");
    let records: Vec<&str> = ledger.lines().collect();
    let cut = records
        .iter()
        .position(|l| {
            let r: Value = serde_json::from_str(l).unwrap();
            r["action"] == "repost" && r["part"] == 2 && r["event"] == "posted"
        })
        .unwrap();
    repo.write("state/ledger.jsonl", &(records[..=cut].join("\n") + "\n"));
    let kept: Vec<&str> = whole.lines().take(4).collect();
    repo.write("state/again.jsonl", &(kept.join("\n") + "\n"));

    let run = repo.json(&["publish", "--at", CORRECTION_AT], 0);
    assert_eq!(run["rows"][0]["result"], "corrected", "{run:#}");
    assert_eq!(run["rows"][0]["detail"], "post part 3 anew", "{run:#}");
    assert_eq!(
        repo.read("state/again.jsonl"),
        whole,
        "part 3 answers the new part 2, which stays"
    );
    let later = repo.json(&["publish", "--at", LATER_AT], 0);
    assert_eq!(later["rows"], serde_json::json!([]), "{later:#}");
}

/// A part a Mastodon thread gained (a new reply post) in doubt for longer than the server
/// keeps its idempotency key (an hour) is looked up among the account's statuses, not
/// sent again: after the hour, the same key would make a second status.
#[test]
fn a_new_reply_part_in_doubt_past_the_hour_is_looked_up_not_sent_again() {
    let base = server("HERALD_TEST_MASTODON");
    let account = MastodonAccount::create(&base);
    let proxy = Proxy::start(&base);
    let repo = Repo::with_config("");
    let env = vec![
        (
            "HERALD_CHANNELS__MASTODON_ET__BASE_URL".to_owned(),
            proxy.url(),
        ),
        ("TEST_MASTODON_TOKEN".to_owned(), account.token.clone()),
    ];
    let write = |body: &str| {
        repo.write(
            "announcements/a.et.md",
            &format!(
                "---\ntitle: Teade\npublish_at: 2026-06-30 10:00\nchannels: [mastodon_et]\n---\n{body}\n"
            ),
        );
        repo.approve("announcements/a.et.md");
    };
    write("Kohtumine raekoja platsil.");
    publish(&repo, &env, ORIGINALS_AT);
    write(&long("linna tulevikust"));
    publish(&repo, &env, CORRECTION_AT);
    let statuses = account.statuses();
    assert_eq!(statuses.len(), 2, "part 1 edited, part 2 answers it");
    // The run died before the new part's answer was written down.
    let ledger = repo.read("state/ledger.jsonl");
    let kept: Vec<&str> = ledger
        .lines()
        .filter(|l| !(l.contains("\"action\":\"repost\"") && l.contains("\"posted\"")))
        .collect();
    assert_eq!(kept.len(), ledger.lines().count() - 1);
    repo.write("state/ledger.jsonl", &(kept.join("\n") + "\n"));

    proxy.clear();
    let run = publish(&repo, &env, "2026-06-30 14:30");
    assert_eq!(run["rows"][0]["result"], "corrected", "{run:#}");
    assert!(
        proxy.matching("POST", "/api/v1/statuses").is_empty(),
        "sent again with a key the server has forgotten: {:#?}",
        proxy.seen()
    );
    assert_eq!(
        proxy.matching("GET", "/statuses?").len(),
        1,
        "looked up among the account's statuses"
    );
    let found = crate::harness::posted_lines(&repo)
        .into_iter()
        .find(|r| r["action"] == "repost")
        .expect("the lookup found it");
    assert_eq!(found["remote_id"], statuses[1]["id"]);
    assert_eq!(account.statuses().len(), 2);
    let later = publish(&repo, &env, "2026-06-30 14:40");
    assert_eq!(later["rows"], serde_json::json!([]), "{later:#}");
}
