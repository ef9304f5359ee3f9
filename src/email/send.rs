//! Sending one list: subscribers streamed from the CSV to a few concurrent workers, each
//! with its own SMTP connection (see [`super::connector`]), paced to the configured rate;
//! every message marked in the send log before it leaves and after the server answers.
//!
//! - Accepted (2xx): `D`. Refused for good (5xx): `R code`, not sent again.
//! - Refused for now (4xx, 421), no connection, or refused by the client before sending
//!   (an address the server cannot take): `F`, tried again after a backoff, and
//!   left for the next run when the retries are used up.
//! - Anything else after the message started (a broken connection, a timeout): it may
//!   have arrived, so it stays in doubt (`S` alone) and is not sent again unless a
//!   person says so (`herald resolve --resend-in-doubt` writes `F`; `--drop-in-doubt`
//!   writes `X`, skipped like `D`).
//!
//! A run of refusals with no acceptance in between means the problem is the sender, not
//! the subscribers: sending stops, the refusals of that run are undone in the log (so
//! those subscribers get the message later), and the list resumes on the next run.

use super::message::{Composer, Letters};
use super::progress::Progress;
use super::sendlog::{self, Mark, Prior};
use super::subscribers::{Line, Reader, Subscriber, Suppression};
use crate::pacing::{Rate, Retry};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Refusals (or failed retries) in a row, with no acceptance between, that stop a send.
const STREAK_LIMIT: usize = 10;
/// Messages a worker marks as started with one disk flush before sending them one by
/// one. A disk flush takes milliseconds; marking one message per flush would cap a list
/// at a few thousand messages a second. After a crash at most `concurrency × BATCH`
/// messages are in doubt.
const BATCH: usize = 8;
/// The most messages a worker marks at once when each batch's marks are pushed to a
/// remote: the bound on what a lost runner leaves in doubt, per connection.
const MAX_BATCH: usize = 1000;
/// A batch is made long enough that pushing its marks takes at most this share of the
/// time it takes to send it (with a margin: the push before it may take longer).
const PUSH_SHARE: f64 = 0.08;
/// Line problems kept word for word; the rest are counted.
const PROBLEMS_KEPT: usize = 50;

/// Everything one list send needs.
pub struct Job {
    pub channel: String,
    pub letters: Arc<Letters>,
    pub composer: Arc<Composer>,
    pub connector: super::connector::Connector,
    /// How long one message may take before it counts as timed out (in doubt).
    pub timeout: Duration,
    pub subscribers: PathBuf,
    pub suppression: Arc<Suppression>,
    pub log: PathBuf,
    /// The repository: the send log must be inside it.
    pub root: PathBuf,
    /// Puts the send log on the state branch before each batch ([`super::Push`]).
    pub push: Option<super::Push>,
    pub concurrency: usize,
    /// Messages per second at most.
    pub rate: Option<f64>,
    /// How refusals for now (4xx) are retried within the run.
    pub retry: Retry,
    pub progress: Progress,
    /// For a correction: only who got the corrected language; `None` for a list send.
    pub audience: Option<Audience>,
}

/// Who a correction goes to: the subscribers the announcement was delivered to (its send
/// log), who got the corrected language. Still on the list and not suppressed, like
/// anyone sent to.
pub struct Audience {
    /// Delivered to, in the announcement's own send log.
    pub got: std::collections::HashSet<crate::email::SubscriberId>,
    /// The languages the announcement went out in, as the list chose them.
    pub chose: super::message::Choice,
    /// The corrected language (the notice's one letter).
    pub lang: String,
}

impl Audience {
    /// Reads who got announcement's message from its send log at `log`.
    pub fn read(
        log: &std::path::Path,
        chose: super::message::Choice,
        lang: &str,
    ) -> Result<Audience, String> {
        let got = sendlog::read(log)?
            .prior
            .into_iter()
            .filter(|(_, p)| *p == Prior::Delivered)
            .map(|(id, _)| id)
            .collect();
        Ok(Audience {
            got,
            chose,
            lang: lang.to_owned(),
        })
    }

    /// Whether `sub` gets the correction.
    pub fn includes(&self, sub: &Subscriber) -> bool {
        self.got.contains(&sub.id) && self.chose.lang_for(&sub.lang) == self.lang
    }
}

/// What a list send did, in numbers (no address anywhere).
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Accepted in this run, per language.
    pub sent: BTreeMap<String, u64>,
    /// Accepted in earlier runs (from the send log).
    pub sent_before: u64,
    /// Refused for good in this run, per reply code.
    pub rejected: BTreeMap<u16, u64>,
    pub rejected_before: u64,
    /// May have arrived: cut off in this run / in an earlier one.
    pub in_doubt: u64,
    pub in_doubt_before: u64,
    /// In doubt, and a person decided not to send them again (from the send log).
    pub dropped_before: u64,
    /// Not sent in this run (temporary refusals after the retries); sent in the next.
    pub failed: u64,
    pub invalid: u64,
    pub duplicates: u64,
    pub suppressed: u64,
    /// Invalid lines and other problems, by line number; at most [`PROBLEMS_KEPT`].
    pub problems: Vec<String>,
    pub more_problems: u64,
    /// Why the send stopped before the end of the list.
    pub stopped: Option<String>,
}

impl Report {
    pub fn sent_total(&self) -> u64 {
        self.sent.values().sum()
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// Whether the list is done (everyone sent, refused or in doubt).
    pub fn complete(&self) -> bool {
        self.stopped.is_none() && self.failed == 0
    }

    fn problem(&mut self, text: String) {
        if self.problems.len() < PROBLEMS_KEPT {
            self.problems.push(text);
        } else {
            self.more_problems += 1;
        }
    }

    /// One line for people and the ledger.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        let langs: Vec<String> = self
            .sent
            .iter()
            .map(|(lang, n)| format!("{lang} {n}"))
            .collect();
        if langs.is_empty() {
            parts.push("sent 0".to_owned());
        } else {
            parts.push(format!("sent {} ({})", self.sent_total(), langs.join(", ")));
        }
        for (code, n) in &self.rejected {
            parts.push(format!("{n} refused by the server ({code})"));
        }
        let mut add = |n: u64, what: &str| {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        };
        add(self.sent_before, "sent in earlier runs");
        add(self.rejected_before, "refused in earlier runs");
        add(
            self.in_doubt + self.in_doubt_before,
            "not sure it arrived (not sent again)",
        );
        add(
            self.dropped_before,
            "left as they were by a person's decision (not sent again)",
        );
        add(self.failed, "not sent yet (temporary errors)");
        add(self.suppressed, "suppressed");
        add(self.duplicates, "duplicates skipped");
        add(self.invalid, "invalid lines skipped");
        parts.join("; ")
    }
}

/// One subscriber on its way to a worker.
struct Work {
    sub: Subscriber,
    letter: usize,
}

struct Shared {
    job: Job,
    log: sendlog::Writer,
    rx: tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Work>>,
    stop: AtomicBool,
    report: Mutex<Report>,
    streak: Mutex<Streak>,
    rate: Rate,
    /// Lines handled, for the progress display.
    done: Arc<AtomicU64>,
    /// When sending began, and the messages sent since: the rate a batch is sized by
    /// when no `rate` is configured.
    began: std::time::Instant,
    sent: AtomicU64,
}

/// How many messages a worker marks with one flush (and, with a state branch, one push)
/// before sending them. Without pushes, [`BATCH`]. With them, enough that the push
/// takes at most [`PUSH_SHARE`] of the time the batch takes to send at this worker's
/// rate (the configured `rate` shared by the connections, else the rate measured so
/// far), between [`BATCH`] and [`MAX_BATCH`]: a lost runner leaves at most one batch
/// per connection in doubt.
fn batch_size(shared: &Shared) -> usize {
    let Some(push) = shared.log.push_cost() else {
        return BATCH;
    };
    let workers = shared.job.concurrency.max(1) as f64;
    let rate = match shared.job.rate {
        Some(rate) => rate / workers,
        None => {
            let secs = shared.began.elapsed().as_secs_f64();
            let sent = shared.sent.load(Ordering::Relaxed) as f64;
            if secs < 0.05 || sent < 1.0 {
                return BATCH;
            }
            sent / secs / workers
        }
    };
    let wanted = (push.as_secs_f64() / PUSH_SHARE * rate).ceil();
    if wanted.is_finite() {
        (wanted as usize).clamp(BATCH, MAX_BATCH)
    } else {
        MAX_BATCH
    }
}

#[derive(Default)]
struct Streak {
    /// Refused for good since the last acceptance.
    refused: Vec<(crate::email::SubscriberId, u16)>,
    /// Given up on (temporary errors) since the last acceptance.
    failed: usize,
    last_error: String,
}

/// Sends the list. `Err` when it could not start (nothing was sent).
pub async fn run(job: Job) -> Result<Report, String> {
    let replay = sendlog::read(&job.log)?;
    let mut report = Report {
        sent_before: replay.count(Prior::Delivered) as u64,
        dropped_before: replay.count(Prior::Dropped) as u64,
        ..Report::default()
    };
    // Check the server before touching the list: a wrong password is one error, not
    // 100,000.
    match job.connector.connect().await {
        Ok(mut conn) => {
            let _ = conn.quit().await;
        }
        Err(e) => return Err(e.explain()),
    }
    let log = sendlog::Writer::open_pushing(&job.root, &job.log, job.push.clone())?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Work>(2 * MAX_BATCH);
    let letters = job.letters.clone();
    let composer = job.composer.clone();
    let suppression = job.suppression.clone();
    let path = job.subscribers.clone();
    let rate = Rate::new(job.rate);
    let shared = Arc::new(Shared {
        job,
        log,
        rx: tokio::sync::Mutex::new(rx),
        stop: AtomicBool::new(false),
        report: Mutex::new(Report::default()),
        streak: Mutex::new(Streak::default()),
        rate,
        done: Arc::new(AtomicU64::new(0)),
        began: std::time::Instant::now(),
        sent: AtomicU64::new(0),
    });
    let progress = shared.job.progress.start(
        shared.job.channel.clone(),
        super::subscribers::count_lines(&shared.job.subscribers).saturating_sub(1),
        shared.done.clone(),
    );
    let reader_shared = shared.clone();
    let reader = tokio::task::spawn_blocking(move || {
        read_list(
            &path,
            &letters,
            &composer,
            &suppression,
            &replay.prior,
            &tx,
            &reader_shared,
        )
    });
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..shared.job.concurrency {
        let shared = shared.clone();
        workers.spawn(async move { worker(&shared).await });
    }
    while let Some(w) = workers.join_next().await {
        w.expect("an email worker panicked");
    }
    let read = reader.await.expect("the subscriber reader panicked");
    progress.finish();
    let shared = Arc::into_inner(shared).expect("all workers are done");
    let closed = shared.log.close();
    let sent = shared.report.into_inner().expect("report lock");
    let stopped = sent.stopped.clone();
    report.sent = sent.sent;
    report.rejected = sent.rejected;
    report.in_doubt = sent.in_doubt;
    report.failed = sent.failed;
    for p in sent.problems {
        report.problem(p);
    }
    report.more_problems += sent.more_problems;
    let read = read?;
    report.rejected_before = read.rejected_before;
    report.in_doubt_before = read.in_doubt_before;
    report.invalid = read.invalid;
    report.duplicates = read.duplicates;
    report.suppressed = read.suppressed;
    report.more_problems += read.problems.len().saturating_sub(PROBLEMS_KEPT) as u64;
    let mut problems = read.problems;
    problems.truncate(PROBLEMS_KEPT);
    problems.append(&mut report.problems);
    report.problems = problems;
    report.stopped = stopped.or(read.stopped);
    if let Err(e) = closed {
        report.stopped = Some(e);
    }
    Ok(report)
}

#[derive(Default)]
struct Read {
    rejected_before: u64,
    in_doubt_before: u64,
    invalid: u64,
    duplicates: u64,
    suppressed: u64,
    problems: Vec<String>,
    stopped: Option<String>,
}

/// Streams the list into the workers' queue; runs on a blocking thread.
fn read_list(
    path: &std::path::Path,
    letters: &Letters,
    composer: &Composer,
    suppression: &Suppression,
    prior: &HashMap<crate::email::SubscriberId, Prior>,
    tx: &tokio::sync::mpsc::Sender<Work>,
    shared: &Shared,
) -> Result<Read, String> {
    let mut read = Read::default();
    let mut reader = Reader::open(path, &composer.keys, suppression)?;
    while let Some(next) = reader.next_line() {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        let (_, line) = match next {
            Ok(l) => l,
            Err(e) => {
                read.stopped = Some(e);
                shared.stop.store(true, Ordering::Relaxed);
                break;
            }
        };
        let sub = match line {
            Line::Subscriber(s) => s,
            Line::Problem(p) => {
                read.invalid += 1;
                if read.problems.len() <= PROBLEMS_KEPT {
                    read.problems.push(p);
                }
                shared.done.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Line::Duplicate => {
                read.duplicates += 1;
                shared.done.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Line::Suppressed => {
                read.suppressed += 1;
                shared.done.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        match prior.get(&sub.id) {
            Some(Prior::Delivered | Prior::Dropped) => {
                shared.done.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Some(Prior::Rejected(_)) => {
                read.rejected_before += 1;
                shared.done.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            Some(Prior::InDoubt) => {
                read.in_doubt_before += 1;
                shared.done.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            None => {}
        }
        if let Some(audience) = &shared.job.audience
            && !audience.includes(&sub)
        {
            shared.done.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let letter = letters.pick(&sub.lang);
        if tx.blocking_send(Work { sub, letter }).is_err() {
            break;
        }
    }
    Ok(read)
}

async fn worker(shared: &Shared) {
    let mut conn: Option<AsyncSmtpConnection> = None;
    let mut batch: Vec<Work> = Vec::with_capacity(BATCH);
    'run: loop {
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        {
            let mut rx = shared.rx.lock().await;
            let Some(first) = rx.recv().await else { break };
            batch.push(first);
            let size = batch_size(shared);
            while batch.len() < size {
                match rx.try_recv() {
                    Ok(w) => batch.push(w),
                    Err(_) => break,
                }
            }
        }
        let ids: Vec<_> = batch.iter().map(|w| w.sub.id).collect();
        if let Err(e) = shared.log.durable_all(Mark::Started, &ids).await {
            // Without the log nothing more may be sent: a rerun could not know about it.
            stop(shared, e);
            break;
        }
        let mut works = batch.drain(..);
        for work in works.by_ref() {
            if shared.stop.load(Ordering::Relaxed) {
                let _ = shared.log.record(Mark::NotSent, work.sub.id);
                for rest in works {
                    let _ = shared.log.record(Mark::NotSent, rest.sub.id);
                }
                break 'run;
            }
            shared.rate.wait().await;
            send_one(shared, &work, &mut conn).await;
            shared.done.fetch_add(1, Ordering::Relaxed);
            shared.sent.fetch_add(1, Ordering::Relaxed);
        }
    }
    if let Some(mut c) = conn {
        let _ = c.quit().await;
    }
}

/// What became of one SMTP transaction.
enum Attempt {
    Accepted,
    /// 5xx, with the code.
    Refused(u16, String),
    /// Nothing was sent (4xx, no connection): may be tried again.
    NotSent(String),
    /// It may have arrived.
    Unknown(String),
}

async fn attempt(
    shared: &Shared,
    conn: &mut Option<AsyncSmtpConnection>,
    envelope: &lettre::address::Envelope,
    bytes: &[u8],
) -> Attempt {
    if conn.as_ref().is_none_or(|c| c.has_broken()) {
        *conn = None;
        match shared.job.connector.connect().await {
            Ok(c) => *conn = Some(c),
            Err(e) => return Attempt::NotSent(e.to_string()),
        }
    }
    let c = conn.as_mut().expect("connected above");
    let result = tokio::time::timeout(shared.job.timeout, c.send(envelope, bytes)).await;
    let error = match result {
        Ok(Ok(_)) => return Attempt::Accepted,
        Ok(Err(e)) => e,
        Err(_) => {
            *conn = None;
            return Attempt::Unknown("no answer in time".into());
        }
    };
    if c.has_broken() {
        *conn = None;
    }
    let reply = redact(&error.to_string());
    if error.is_permanent() {
        let code = error
            .status()
            .and_then(|c| c.to_string().parse().ok())
            .unwrap_or(500);
        Attempt::Refused(code, reply)
    } else if error.is_transient() || error.is_client() {
        Attempt::NotSent(reply)
    } else {
        *conn = None;
        Attempt::Unknown(reply)
    }
}

fn stop(shared: &Shared, why: String) {
    let mut report = shared.report.lock().expect("report lock");
    if report.stopped.is_none() {
        report.stopped = Some(why);
    }
    shared.stop.store(true, Ordering::Relaxed);
}

async fn send_one(shared: &Shared, work: &Work, conn: &mut Option<AsyncSmtpConnection>) {
    let job = &shared.job;
    let letter = &job.letters.letters[work.letter];
    let id = work.sub.id;
    let message = match job.composer.compose(
        &job.letters.id,
        job.letters.answers.as_deref(),
        letter,
        &work.sub,
    ) {
        Ok(m) => m,
        Err(e) => {
            let _ = shared.log.record(Mark::NotSent, id);
            let mut r = shared.report.lock().expect("report lock");
            r.failed += 1;
            r.problem(format!("line {}: {e}", work.sub.line));
            return;
        }
    };
    let envelope = message.envelope().clone();
    let bytes = message.formatted();
    let mut retries = 0;
    loop {
        // The first attempt was marked with its batch; a retry is marked again.
        if retries > 0
            && let Err(e) = shared.log.durable(Mark::Started, id).await
        {
            // Without the log nothing more may be sent: a rerun could not know about it.
            stop(shared, e);
            return;
        }
        match attempt(shared, conn, &envelope, &bytes).await {
            Attempt::Accepted => {
                let _ = shared.log.record(Mark::Delivered, id);
                *shared.streak.lock().expect("streak lock") = Streak::default();
                *shared
                    .report
                    .lock()
                    .expect("report lock")
                    .sent
                    .entry(letter.lang.clone())
                    .or_default() += 1;
                return;
            }
            Attempt::Refused(code, reply) => {
                let _ = shared.log.record(Mark::Rejected(code), id);
                *shared
                    .report
                    .lock()
                    .expect("report lock")
                    .rejected
                    .entry(code)
                    .or_default() += 1;
                let mut streak = shared.streak.lock().expect("streak lock");
                streak.refused.push((id, code));
                streak.last_error = reply;
                if streak.refused.len() >= STREAK_LIMIT {
                    undo_refusals(shared, &mut streak);
                }
                return;
            }
            Attempt::NotSent(reply) => {
                let _ = shared.log.record(Mark::NotSent, id);
                retries += 1;
                let Some(wait) = job.retry.wait(retries, None) else {
                    shared.report.lock().expect("report lock").failed += 1;
                    let mut streak = shared.streak.lock().expect("streak lock");
                    streak.failed += 1;
                    if streak.failed >= STREAK_LIMIT {
                        stop(
                            shared,
                            format!(
                                "the server did not take {STREAK_LIMIT} messages in a row even after retries (last: {reply}); sending stopped and the rest goes out in the next run"
                            ),
                        );
                    }
                    return;
                };
                if shared.stop.load(Ordering::Relaxed) {
                    shared.report.lock().expect("report lock").failed += 1;
                    return;
                }
                tokio::time::sleep(wait).await;
            }
            Attempt::Unknown(reply) => {
                // The message may have reached the server: never sent again automatically.
                let mut r = shared.report.lock().expect("report lock");
                r.in_doubt += 1;
                r.problem(format!(
                    "line {}: the connection broke while sending ({reply}); the message may have arrived, so it is not sent again",
                    work.sub.line
                ));
                return;
            }
        }
    }
}

/// Too many refusals in a row: the sender is the problem. The refusals are taken back
/// (those subscribers get the message in a later run) and sending stops.
fn undo_refusals(shared: &Shared, streak: &mut Streak) {
    let mut report = shared.report.lock().expect("report lock");
    for (id, code) in streak.refused.drain(..) {
        let _ = shared.log.record(Mark::NotSent, id);
        if let Some(n) = report.rejected.get_mut(&code) {
            *n -= 1;
            if *n == 0 {
                report.rejected.remove(&code);
            }
        }
        report.failed += 1;
    }
    if report.stopped.is_none() {
        report.stopped = Some(format!(
            "the server refused {STREAK_LIMIT} messages in a row ({}); that points at the sender (account, `from` address, sending limits) rather than at the subscribers, so sending stopped; fix the cause and publish again: the list resumes where it stopped",
            streak.last_error
        ));
    }
    shared.stop.store(true, Ordering::Relaxed);
}

/// A message for people about a failed connection check.
pub fn connection_problem(e: &lettre::transport::smtp::Error) -> String {
    let detail = redact(&e.to_string());
    let hint = if e.is_permanent() && e.status().is_some_and(|c| c.to_string().starts_with("53")) {
        "the server refused the login: check `smtp_user` and the password variable"
    } else if e.is_permanent() || e.is_transient() {
        "the server refused the connection"
    } else if e.is_tls() || detail.contains("certificate") || detail.contains("tls") {
        "the TLS handshake failed: check `tls` (\"starttls\" on port 587, \"tls\" on 465) and the server's certificate"
    } else if e.is_timeout() {
        "the server did not answer in time: check `smtp_host`, `smtp_port` and the network"
    } else {
        "cannot connect: check `smtp_host`, `smtp_port` and `tls`"
    };
    format!("{hint} ({detail})")
}

/// Server replies quote addresses; they never reach logs or reports.
pub fn redact(text: &str) -> String {
    text.split(' ')
        .map(|w| if w.contains('@') { "<address>" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_hides_addresses_in_server_replies() {
        assert_eq!(
            super::redact("permanent error (550): 5.1.1 <bob@example.org>: no such user"),
            "permanent error (550): 5.1.1 <address> no such user"
        );
    }
}
