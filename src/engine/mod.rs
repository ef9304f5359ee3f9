//! The publish engine: sends what is due, exactly once, recording every step.
//!
//! For each due (variant, channel) the parts are sent in order; before each network call a
//! `started` record is on disk, after it a `posted` or `failed` one. Channels run
//! concurrently; one failing never stops another. A part found *in doubt* (started, no
//! outcome) is reconciled before anything is re-sent: by sending it again under the same
//! idempotency key where the platform de-duplicates, else by looking it up among the
//! account's own posts, else it is reported and left for a person (`herald resolve`).
//!
//! The dry run runs this same engine on senders that record instead of sending, with a
//! ledger [`Sink`] that writes nothing ([`crate::dry_run`]).
//! An email list is a job too ([`list`]): one send per announcement and list, with the
//! same `started` and `posted`/`failed` records, while the send log keeps who got it.
//! How fast each kind of job goes and how it retries is [`crate::pacing`].

pub mod change;
pub mod list;

use crate::channel::send::{About, Lookup, Outgoing, Receipt, SendError, Sender};
use crate::ledger::{ErrorClass, Event, History, Key, KeyState, Record, Writer};
use crate::pacing::Retry;
use crate::settings::Publishing;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The start of the message when a ledger record cannot be written.
const LEDGER_FAILURE: &str = "cannot write the ledger";

/// One (variant, channel) to publish: its parts in order.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub lang: String,
    pub channel: String,
    /// The approved content hash.
    pub hash: String,
    pub parts: Vec<String>,
    /// Images that go with the first part: (absolute path, alt text).
    pub images: Vec<(std::path::PathBuf, String)>,
    pub about: std::sync::Arc<About>,
    /// Who approved this content ("kadri@tartu.ee, github:kadri-tamm"), for the ledger.
    pub by: Option<String>,
    /// When this content was approved (the latest approval of it): the time a correction
    /// notice or a reposted part is dated with where the network dates posts by their
    /// key (Bluesky), so that it does not appear back in time at the original's date.
    pub approved_at: Option<jiff::Timestamp>,
}

impl Job {
    /// The digest of what part `i` (0-based) says: its text and, on the first part, the
    /// bytes and alt text of each image and the link card. The ledger keeps it with each
    /// post, so a later change that leaves a part as it was changes nothing there.
    pub fn part_digest(&self, i: usize) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(self.parts.get(i).map_or("", String::as_str).as_bytes());
        if i == 0 {
            for (path, alt) in &self.images {
                match crate::limits::read_limited(path, crate::limits::IMAGE_BYTES, "image") {
                    Ok(bytes) => field(&Sha256::digest(&bytes)),
                    Err(_) => field(b"(unreadable)"),
                }
                field(alt.as_bytes());
            }
            let about = &self.about;
            for value in [&about.link, &Some(about.title.clone()), &about.summary] {
                field(value.as_deref().unwrap_or("").as_bytes());
            }
        }
        let hex: String = h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("sha256:{hex}")
    }

    /// What the first part carries besides its text, as the ledger keeps it (see
    /// [`crate::ledger::Attached`]): what tells whether a change needs more than an edit
    /// of the text.
    pub fn attached(&self) -> crate::ledger::Attached {
        use sha2::{Digest, Sha256};
        let digest = |fields: &[&[u8]]| {
            let mut h = Sha256::new();
            for bytes in fields {
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            }
            let hex: String = h.finalize()[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("sha256:{hex}")
        };
        let images = self
            .images
            .iter()
            .map(|(path, alt)| {
                match crate::limits::read_limited(path, crate::limits::IMAGE_BYTES, "image") {
                    Ok(bytes) => digest(&[&Sha256::digest(&bytes), alt.as_bytes()]),
                    Err(_) => digest(&[b"(unreadable)", alt.as_bytes()]),
                }
            })
            .collect();
        let about = &self.about;
        crate::ledger::Attached {
            text: Some(digest(&[self
                .parts
                .first()
                .map_or("", String::as_str)
                .as_bytes()])),
            images,
            link: about.link.as_deref().map(|l| digest(&[l.as_bytes()])),
            card: digest(&[
                about.title.as_bytes(),
                about.summary.as_deref().unwrap_or("").as_bytes(),
            ]),
        }
    }
}

/// What happened to one (variant, channel) in this run.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: String,
    pub lang: String,
    pub channel: String,
    pub result: Outcome,
    pub detail: String,
    pub urls: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Posted,
    /// A post that went out was brought in line with an approved change.
    Corrected,
    /// A post that went out was deleted everywhere it could be (`retract`).
    Retracted,
    Skipped,
    Deferred,
    Missed,
    Failed,
    InDoubt,
}

impl Outcome {
    /// Whether this outcome makes the run fail (exit 1).
    pub fn is_problem(self) -> bool {
        matches!(self, Outcome::Failed | Outcome::InDoubt)
    }
}

/// The clock of a run: starts at `--at` (or now) and runs at real speed.
#[derive(Clone, Copy)]
pub struct Clock {
    start: Timestamp,
    real: Instant,
}

impl Clock {
    pub fn starting_at(start: Timestamp) -> Clock {
        Clock {
            start,
            real: Instant::now(),
        }
    }

    pub fn now(&self) -> Timestamp {
        let elapsed = SignedDuration::try_from(self.real.elapsed()).unwrap_or(SignedDuration::ZERO);
        self.start.checked_add(elapsed).unwrap_or(self.start)
    }
}

/// Everything one channel's task needs; owned, so tasks can run concurrently.
pub struct ChannelRun {
    pub channel: String,
    pub sender: Result<Box<dyn Sender>, String>,
    pub jobs: Vec<Job>,
    /// Corrections and retractions of posts that went out: made before new posts, and
    /// not held back by pacing (a wrong post should not stay up for the sake of spacing).
    pub changes: Vec<change::ChangeJob>,
}

pub struct Shared {
    pub history: History,
    pub writer: Mutex<Sink>,
    pub config: Publishing,
    pub clock: Clock,
    /// Set when a ledger record could not be written: then nothing more may be sent,
    /// since the next run could not know about it.
    pub ledger_failed: std::sync::atomic::AtomicBool,
    /// Where the ledger is pushed before a request goes out ([`crate::state`]); `None`
    /// in the dry run.
    pub store: Option<Arc<crate::state::Store>>,
    /// The repository (image paths in the archive are relative to it).
    pub root: std::path::PathBuf,
}

/// Where the ledger records go: the ledger, or nowhere (the dry run, which runs this
/// engine on senders that record instead of sending).
pub enum Sink {
    Ledger(Writer),
    Nothing,
}

impl Sink {
    pub fn append(&mut self, record: &Record) -> Result<(), String> {
        match self {
            Sink::Ledger(writer) => writer.append(record),
            Sink::Nothing => Ok(()),
        }
    }
}

/// Runs every channel and the email lists concurrently and returns the rows of all of
/// them.
pub async fn run(
    runs: Vec<ChannelRun>,
    lists: Vec<list::ListJob>,
    shared: Arc<Shared>,
) -> Vec<Row> {
    let mut set = tokio::task::JoinSet::new();
    for run in runs {
        let shared = shared.clone();
        set.spawn(async move { run_channel(run, &shared).await });
    }
    if !lists.is_empty() {
        let shared = shared.clone();
        set.spawn(async move { list::run(lists, &shared).await });
    }
    let mut rows = Vec::new();
    while let Some(result) = set.join_next().await {
        rows.extend(result.expect("a channel task panicked"));
    }
    rows.sort_by(|a, b| (&a.id, &a.lang, &a.channel).cmp(&(&b.id, &b.lang, &b.channel)));
    rows
}

pub(crate) fn row(job: &Job, result: Outcome, detail: impl Into<String>, urls: Vec<String>) -> Row {
    Row {
        id: job.id.clone(),
        lang: job.lang.clone(),
        channel: job.channel.clone(),
        result,
        detail: detail.into(),
        urls,
    }
}

pub(crate) fn key(job: &Job, part: usize) -> Key {
    Key {
        id: job.id.clone(),
        lang: job.lang.clone(),
        channel: job.channel.clone(),
        part: part as u32 + 1,
    }
}

fn fully_posted(job: &Job, history: &History) -> bool {
    (0..job.parts.len())
        .all(|i| matches!(history.state(&key(job, i)), Some(KeyState::Posted { .. })))
}

async fn run_channel(run: ChannelRun, shared: &Shared) -> Vec<Row> {
    let mut rows = Vec::new();
    for cj in &run.changes {
        let sender = run
            .sender
            .as_ref()
            .map(|s| s.as_ref())
            .map_err(String::as_str);
        rows.push(change::run_change(cj, sender, shared).await);
        if shared
            .ledger_failed
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return rows;
        }
    }
    rows.extend(run_posts(run, shared).await);
    rows
}

async fn run_posts(run: ChannelRun, shared: &Shared) -> Vec<Row> {
    let pending: Vec<&Job> = run
        .jobs
        .iter()
        .filter(|j| !fully_posted(j, &shared.history))
        .collect();
    let sender = match &run.sender {
        Ok(s) => s.as_ref(),
        Err(why) => {
            return pending
                .iter()
                .map(|j| {
                    row(
                        j,
                        Outcome::Failed,
                        format!("cannot post to `{}`: {why}", run.channel),
                        vec![],
                    )
                })
                .collect();
        }
    };
    let config = &shared.config;
    let mut rows = Vec::new();
    let mut posts = 0;
    let mut last_posted = shared.history.last_posted.get(&run.channel).copied();
    for job in pending {
        if posts >= config.max_posts_per_run {
            rows.push(row(
                job,
                Outcome::Deferred,
                format!(
                    "`max_posts_per_run` ({}) reached; goes out in a later run",
                    config.max_posts_per_run
                ),
                vec![],
            ));
            continue;
        }
        if let Some(last) = last_posted
            && !config.min_spacing.is_zero()
            && shared.clock.now() < last.saturating_add(config.min_spacing).unwrap_or(last)
        {
            rows.push(row(job, Outcome::Deferred, "`min_spacing` since the last post on this channel has not passed; goes out in a later run", vec![]));
            continue;
        }
        let result = publish_job(job, sender, shared).await;
        if result.result == Outcome::Posted {
            posts += 1;
            last_posted = Some(shared.clock.now());
        }
        // Without a ledger nothing more may be sent: the next run could not know about it.
        let stop = shared
            .ledger_failed
            .load(std::sync::atomic::Ordering::SeqCst);
        rows.push(result);
        if stop {
            break;
        }
    }
    rows
}

/// What the ledger's record of one part means for this run ([`before_sending`]).
enum Earlier {
    /// Posted already (or found among the account's posts): its id and address.
    Posted {
        remote_id: Option<String>,
        url: Option<String>,
    },
    /// Send it: the number of the last attempt, and how many failed.
    Send { attempts: u32, failures: u32 },
    /// Do not send: what the row says.
    Stop(Outcome, String),
}

/// The part `i` of `job` as the sender gets it, replying to `reply_to` in a thread whose
/// first part is `thread_root`.
fn outgoing(
    job: &Job,
    i: usize,
    reply_to: &Option<String>,
    thread_root: &Option<String>,
    sender: &dyn Sender,
    shared: &Shared,
) -> Outgoing {
    let k = key(job, i);
    let mut outgoing = Outgoing {
        key: k.token(&job.hash),
        part: k.part,
        text: job.parts[i].clone(),
        lang: job.lang.clone(),
        reply_to: reply_to.clone(),
        thread_root: thread_root.clone(),
        images: if i == 0 {
            job.images.clone()
        } else {
            Vec::new()
        },
        about: job.about.clone(),
        planned_id: shared.history.planned_id(&k, &job.hash).map(str::to_owned),
    };
    if outgoing.planned_id.is_none() {
        outgoing.planned_id = sender.plan(&outgoing);
    }
    outgoing
}

/// Decides from the ledger what to do with one part before sending it: skip it (posted),
/// stop (failed for good, or in doubt with no way to check), or send it. A part in doubt
/// is looked up among the account's posts first, unless the platform de-duplicates by key.
async fn before_sending(
    job: &Job,
    k: &Key,
    outgoing: &Outgoing,
    part: &str,
    sender: &dyn Sender,
    shared: &Shared,
) -> Earlier {
    match shared.history.state(k) {
        Some(KeyState::Posted { remote_id, url, .. }) => Earlier::Posted {
            remote_id: remote_id.clone(),
            url: url.clone(),
        },
        Some(KeyState::Failed {
            class: ErrorClass::Permanent,
            message,
            ..
        }) => Earlier::Stop(
            Outcome::Failed,
            format!(
                "{part}failed earlier and will not be retried: {message}; after fixing the cause, run `herald resolve {} {} --not-posted` to send it again",
                job.id, job.channel
            ),
        ),
        Some(KeyState::Failed {
            failures, message, ..
        }) if *failures >= shared.config.max_attempts => Earlier::Stop(
            Outcome::Failed,
            format!("{part}gave up after {failures} failed attempts: {message}"),
        ),
        Some(KeyState::InDoubt {
            since,
            attempt,
            failures,
        }) => {
            let fresh = shared.clock.now().duration_since(*since) < sender.keeps_keys_for();
            if sender.idempotent() && fresh {
                // Sent again under the same key: the platform returns the first one.
                return Earlier::Send {
                    attempts: *attempt,
                    failures: *failures,
                };
            }
            match sender.lookup(outgoing).await {
                Ok(Lookup::Found(receipt)) => {
                    match record_posted(shared, k, &job.hash, &receipt, Some(*attempt)) {
                        Ok(()) => Earlier::Posted {
                            remote_id: Some(receipt.remote_id),
                            url: receipt.url,
                        },
                        Err(e) => Earlier::Stop(Outcome::Failed, e),
                    }
                }
                Ok(Lookup::NotFound) => Earlier::Send {
                    attempts: *attempt,
                    failures: *failures,
                },
                Ok(Lookup::Unsupported) => Earlier::Stop(
                    Outcome::InDoubt,
                    format!(
                        "{part}an earlier run may have posted this (it stopped before the answer came) and `{}` offers no way to check; look at the account, then run {}",
                        job.channel,
                        crate::ledger::settle_commands(&job.id, &job.channel)
                    ),
                ),
                Err(e) => Earlier::Stop(
                    Outcome::InDoubt,
                    format!("{part}still not sure it went out: asking the network failed: {e}"),
                ),
            }
        }
        Some(other) => Earlier::Send {
            attempts: other.attempts(),
            failures: other.failures(),
        },
        None => Earlier::Send {
            attempts: 0,
            failures: 0,
        },
    }
}

/// Sends the parts of one job that are not posted yet, in order.
pub async fn publish_job(job: &Job, sender: &dyn Sender, shared: &Shared) -> Row {
    let mut reply_to: Option<String> = None;
    let mut thread_root: Option<String> = None;
    let mut urls = Vec::new();
    // What the sender said it sent instead of what was planned (an unresolved mention).
    let mut notes: Vec<String> = Vec::new();
    for i in 0..job.parts.len() {
        let k = key(job, i);
        if i == 1 {
            thread_root = reply_to.clone();
        }
        let outgoing = outgoing(job, i, &reply_to, &thread_root, sender, shared);
        let part = if job.parts.len() > 1 {
            format!("part {} of {}: ", i + 1, job.parts.len())
        } else {
            String::new()
        };
        let (attempts, failures) =
            match before_sending(job, &k, &outgoing, &part, sender, shared).await {
                Earlier::Posted { remote_id, url } => {
                    reply_to = remote_id;
                    urls.extend(url);
                    continue;
                }
                Earlier::Stop(outcome, detail) => return row(job, outcome, detail, urls),
                Earlier::Send { attempts, failures } => (attempts, failures),
            };
        match send_with_retries(job, &k, &outgoing, (attempts, failures), sender, shared).await {
            Ok(receipt) => {
                notes.extend(
                    sender
                        .take_notes()
                        .into_iter()
                        .map(|n| format!("{part}{n}")),
                );
                urls.extend(receipt.url.clone());
                reply_to = Some(receipt.remote_id);
            }
            Err((outcome, detail)) => return row(job, outcome, format!("{part}{detail}"), urls),
        }
    }
    row(job, Outcome::Posted, notes.join("; "), urls)
}

pub(crate) fn append(shared: &Shared, record: &Record) -> Result<(), String> {
    shared
        .writer
        .lock()
        .expect("ledger lock poisoned")
        .append(record)
        .map_err(|e| {
            shared
                .ledger_failed
                .store(true, std::sync::atomic::Ordering::SeqCst);
            format!("{LEDGER_FAILURE}: {e}")
        })
}

/// Whether the platform itself refuses a second copy of a part however long after the
/// first (Bluesky's record key, the feed's entry file, the record file's key): then a
/// `started` record that never reached the remote costs nothing, and its push can wait
/// for the next one. Every other channel's `started` is on the remote before the request.
pub(crate) fn dedups_forever(sender: &dyn Sender) -> bool {
    sender.idempotent() && sender.keeps_keys_for() == SignedDuration::MAX
}

/// Puts `started` (already in the local ledger) on the state branch before the request
/// it announces. When that fails nothing more is sent in this run: the part is recorded
/// as not sent, so that it is not in doubt, and the run stops. When the push brought in
/// another writer's record about the same part (another publish started it at the same
/// moment), it is not sent either, and nothing more is recorded: the other run's
/// outcome decides, and if that run was lost, the part is in doubt like any other.
pub(crate) fn push_started(shared: &Shared, started: &Record) -> Result<(), (Outcome, String)> {
    let Some(store) = shared.store.as_ref().filter(|s| s.is_remote()) else {
        return Ok(());
    };
    let k = &started.key;
    let why = format!(
        "started {} [{}] on {} part {}",
        k.id, k.lang, k.channel, k.part
    );
    // Git runs for a moment: other channels keep going meanwhile.
    let pushed = tokio::task::block_in_place(|| store.push(&why));
    let Err(e) = pushed else {
        if store.touched_by_another(k) {
            return Err((
                Outcome::Deferred,
                "not sent: another Herald run started this post at the same moment, and its outcome decides; `herald status` shows it once that run has finished".into(),
            ));
        }
        return Ok(());
    };
    shared
        .ledger_failed
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let message = format!("not sent: Herald could not save that it was about to send it: {e}");
    let failed = Record {
        attempt: started.attempt,
        class: Some(ErrorClass::Transient),
        message: Some(message.clone()),
        ..Record::new(Event::Failed, k.clone(), &started.hash, shared.clock.now())
    };
    let _ = append(shared, &failed);
    Err((
        Outcome::Failed,
        format!("{message}; nothing more is sent in this run"),
    ))
}

pub(crate) fn record_posted(
    shared: &Shared,
    k: &Key,
    hash: &str,
    r: &Receipt,
    attempt: Option<u32>,
) -> Result<(), String> {
    append(
        shared,
        &Record {
            attempt,
            remote_id: Some(r.remote_id.clone()),
            url: r.url.clone(),
            ..Record::new(Event::Posted, k.clone(), hash, shared.clock.now())
        },
    )
}

/// Sends one part, retrying transient errors within this run where that is safe.
/// `(attempts, failures)`: the number of the last attempt, and how many failed.
async fn send_with_retries(
    job: &Job,
    k: &Key,
    outgoing: &Outgoing,
    counts: (u32, u32),
    sender: &dyn Sender,
    shared: &Shared,
) -> Result<Receipt, (Outcome, String)> {
    let started = Record {
        planned_id: outgoing.planned_id.clone(),
        digest: Some(job.part_digest(k.part as usize - 1)),
        attached: (k.part == 1).then(|| job.attached()),
        by: job.by.clone(),
        ..Record::new(Event::Started, k.clone(), &job.hash, shared.clock.now())
    };
    let repeat = Repeat {
        safe: sender.idempotent(),
        push_first: !dedups_forever(sender),
    };
    if let Some(store) = &shared.store {
        crate::archive::keep(
            store.files(),
            store.state_dir(),
            &crate::archive::Kept {
                key: k,
                action: None,
                hash: &job.hash,
                at: shared.clock.now(),
                text: &outgoing.text,
                images: &outgoing.images,
                root: &shared.root,
            },
        )
        .map_err(|e| (Outcome::Failed, format!("not sent: {e}")))?;
    }
    attempt(&started, counts, repeat, || sender.send(outgoing), shared).await
}

/// Whether an attempt that may have reached the platform can be made again, and whether
/// its `started` record must be on the remote first ([`push_started`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Repeat {
    pub safe: bool,
    pub push_first: bool,
}

/// Makes one request (`call`) with the ledger's rules: `started` (from `template`) on
/// disk and, where `repeat` says so, on the remote before it; `posted` or `failed`
/// after it; transient errors retried within this run where that is safe, a request
/// that may have taken effect and cannot be repeated left in doubt. `(attempts,
/// failures)`: the number of the last attempt, and how many failed.
pub(crate) async fn attempt<'a, F>(
    template: &Record,
    (mut attempts, mut failures): (u32, u32),
    repeat: Repeat,
    call: F,
    shared: &Shared,
) -> Result<Receipt, (Outcome, String)>
where
    F: Fn() -> crate::channel::send::BoxFuture<'a, Result<Receipt, SendError>>,
{
    let config = &shared.config;
    let k = &template.key;
    let hash = &template.hash;
    let mut retries = 0;
    loop {
        if failures >= config.max_attempts {
            return Err((
                Outcome::Failed,
                format!("gave up after {failures} failed attempts"),
            ));
        }
        attempts += 1;
        let started = Record {
            attempt: Some(attempts),
            at: shared.clock.now(),
            ..template.clone()
        };
        append(shared, &started).map_err(|e| (Outcome::Failed, e))?;
        if repeat.push_first {
            push_started(shared, &started)?;
        }
        let error = match call().await {
            Ok(receipt) => {
                append(
                    shared,
                    &Record {
                        attempt: Some(attempts),
                        remote_id: Some(receipt.remote_id.clone()),
                        url: receipt.url.clone(),
                        action: template.action,
                        notice_of: template.notice_of.clone(),
                        ..Record::new(Event::Posted, k.clone(), hash, shared.clock.now())
                    },
                )
                .map_err(|e| (Outcome::Failed, e))?;
                return Ok(receipt);
            }
            Err(e) => e,
        };
        let (class, retry_after, maybe_sent) = match &error {
            SendError::Permanent { .. } => (ErrorClass::Permanent, None, false),
            SendError::Transient {
                retry_after,
                maybe_sent,
                ..
            } => (ErrorClass::Transient, *retry_after, *maybe_sent),
        };
        if maybe_sent && !repeat.safe {
            // The request may have been processed; sending it again could post twice.
            // The `started` record stays without an outcome: in doubt.
            return Err((
                Outcome::InDoubt,
                format!(
                    "{error}; it may have been posted, so it is not sent again: check the account, then run {}",
                    crate::ledger::settle_commands(&k.id, &k.channel)
                ),
            ));
        }
        let failed = Record {
            attempt: Some(attempts),
            class: Some(class),
            message: Some(error.to_string()),
            action: template.action,
            notice_of: template.notice_of.clone(),
            ..Record::new(Event::Failed, k.clone(), hash, shared.clock.now())
        };
        append(shared, &failed).map_err(|e| (Outcome::Failed, e))?;
        failures += 1;
        if class == ErrorClass::Permanent {
            return Err((Outcome::Failed, error.to_string()));
        }
        retries += 1;
        match retry(config).wait(retries, retry_after) {
            Some(wait) if failures < config.max_attempts => tokio::time::sleep(wait).await,
            _ => {
                return Err((
                    Outcome::Failed,
                    format!(
                        "{error} (failed attempt {failures} of {}; tried again in the next run)",
                        config.max_attempts
                    ),
                ));
            }
        }
    }
}

/// The retry rules of `[publish]`, for posts and list messages alike.
pub fn retry(config: &Publishing) -> Retry {
    // A negative duration (`-2s`) waits 1 s between retries and retries nothing.
    Retry {
        retries: config.retries_per_run,
        base: Duration::try_from(config.retry_base).unwrap_or(Duration::from_secs(1)),
        max_wait: Duration::try_from(config.max_retry_wait).unwrap_or_default(),
    }
}
