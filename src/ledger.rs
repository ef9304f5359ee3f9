//! The ledger: `state/ledger.jsonl`, the memory of what has been sent.
//!
//! Append-only JSON Lines, one event per line, each line written and fsynced before the
//! next step is taken: `started` before any network call, then `posted`, `failed` or (by a
//! person) `resolved`. Replaying the file gives the state of every (variant, channel,
//! part). A `started` with no outcome after it is *in doubt*: the process died or the
//! connection broke after the request left, and nobody knows whether it was posted. The
//! exception is an email list send's `started`, which names its send log: that log knows
//! who got the message, so the list is only *sending* and the next run resumes it. A list
//! send that ends with recipients in doubt (in its send log) is recorded `failed`,
//! permanent, until a person decides about them (`herald resolve --resend-in-doubt` or
//! `--drop-in-doubt`).
//!
//! A crash can leave a torn last line. It is reported and cut off before the next append;
//! every complete line before it is kept. A damaged line anywhere else is an error: the
//! ledger is not guessed at.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

pub const LEDGER_FILE: &str = "ledger.jsonl";

/// The commands by which a person settles a post that may or may not have gone out,
/// as every message that asks for them writes them.
pub fn settle_commands(id: &str, channel: &str) -> String {
    format!("`herald resolve {id} {channel} --posted URL` or `--not-posted`")
}
const LOCK_FILE: &str = ".publish.lock";

/// What one line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Started,
    Posted,
    Failed,
    Resolved,
    /// A note, not an attempt: the post missed its time and a run reported it (the
    /// first report fails the run; later ones do not).
    Missed,
    /// A note, not an attempt: the content (`hash`) of a variant (`channel` and `part`
    /// empty) was approved by a GitHub review (`by`, `url`, `pull`, `commit`,
    /// `reviewed_at`), as the run that sent it verified.
    Approved,
}

/// What a record after the first post does to a part that went out (a correction or a
/// retraction). Its `started`, `posted` and `failed` records follow the same rules as a
/// post's, per (part, action, content hash): one edit per new content, one delete, one
/// notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The part was changed in place to the new content.
    Edit,
    /// The part was deleted (a retraction, a thread that got shorter, or before a repost).
    Delete,
    /// A part posted anew: the thread got longer, or the whole post was deleted and
    /// posted again (`correction = "repost"`).
    Repost,
    /// A correction notice answered the post (`correction = "reply"`); the post stays.
    Notice,
    /// A note, not an attempt: nothing could be changed (the network allows no edit and
    /// the policy is `none`, or the post cannot be deleted); a person was told.
    Leave,
    /// A correction notice was deleted (the announcement was retracted). Its records
    /// carry the notice's own content hash.
    DeleteNotice,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::Repost => "repost",
            Action::Notice => "notice",
            Action::Leave => "leave",
            Action::DeleteNotice => "delete_notice",
        }
    }
}

/// Whether a failure may go away by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    Transient,
    Permanent,
}

/// What a person found out about an in-doubt post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Posted,
    NotPosted,
}

/// The identity of one thing sent: one part of one variant on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub id: String,
    pub lang: String,
    pub channel: String,
    /// 1-based thread part.
    pub part: u32,
}

impl Key {
    /// A stable string for idempotency keys and lookups: never reused for other content.
    pub fn token(&self, hash: &str) -> String {
        format!(
            "herald:{}:{}:{}:{}:{}",
            self.id, self.lang, self.channel, self.part, hash
        )
    }
}

/// One line of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "FlatRecord")]
pub struct Record {
    pub event: Event,
    #[serde(flatten)]
    pub key: Key,
    /// The approved content hash of the variant.
    #[serde(default)]
    pub hash: String,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// On `started`: the remote id chosen before sending (a Bluesky record key), so a
    /// repeat writes the same record instead of a second one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_id: Option<String>,
    /// On `started` of an email list send: its send log, relative to the state folder,
    /// where each message is marked before it leaves and after the server answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_log: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<ErrorClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// On `approved`: the pull request, the reviewed commit and when the review was
    /// submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<String>,
    /// For a correction or a retraction: what this record does to the part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// On `started`: the digest of what the part says (its text, and on the first part
    /// its images and link), to tell later whether a change reaches this part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// On `started` of a first part: what it carries besides its text, to tell later
    /// whether a change needs more than an edit of the text can do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attached: Option<Attached>,
    /// On `started` of a correction or retraction: the retraction's reason, or what
    /// changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// On a `delete_notice`: the content hash of the correction whose notice it deletes
    /// (the record's own `hash` is the retraction's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_of: Option<String>,
}

/// The same fields without `flatten`, which makes serde buffer every line; reading a
/// 100,000-line ledger is about twice as fast this way.
#[derive(Deserialize)]
struct FlatRecord {
    event: Event,
    id: String,
    lang: String,
    channel: String,
    part: u32,
    #[serde(default)]
    hash: String,
    at: Timestamp,
    attempt: Option<u32>,
    planned_id: Option<String>,
    send_log: Option<String>,
    remote_id: Option<String>,
    url: Option<String>,
    class: Option<ErrorClass>,
    message: Option<String>,
    resolution: Option<Resolution>,
    by: Option<String>,
    pull: Option<u64>,
    commit: Option<String>,
    reviewed_at: Option<String>,
    action: Option<Action>,
    digest: Option<String>,
    attached: Option<Attached>,
    reason: Option<String>,
    notice_of: Option<String>,
}

impl From<FlatRecord> for Record {
    fn from(f: FlatRecord) -> Record {
        Record {
            event: f.event,
            key: Key {
                id: f.id,
                lang: f.lang,
                channel: f.channel,
                part: f.part,
            },
            hash: f.hash,
            at: f.at,
            attempt: f.attempt,
            planned_id: f.planned_id,
            send_log: f.send_log,
            remote_id: f.remote_id,
            url: f.url,
            class: f.class,
            message: f.message,
            resolution: f.resolution,
            by: f.by,
            pull: f.pull,
            commit: f.commit,
            reviewed_at: f.reviewed_at,
            action: f.action,
            digest: f.digest,
            attached: f.attached,
            reason: f.reason,
            notice_of: f.notice_of,
        }
    }
}

impl Record {
    pub fn new(event: Event, key: Key, hash: &str, at: Timestamp) -> Record {
        Record {
            event,
            key,
            hash: hash.to_owned(),
            at,
            attempt: None,
            planned_id: None,
            send_log: None,
            remote_id: None,
            url: None,
            class: None,
            message: None,
            resolution: None,
            by: None,
            pull: None,
            commit: None,
            reviewed_at: None,
            action: None,
            digest: None,
            attached: None,
            reason: None,
            notice_of: None,
        }
    }
}

/// What a first part carries besides its text, as digests (`sha256:` and 32 hex digits
/// of what they are made of): each image with its alt text, in order, and the link card's
/// link and its title and summary; and the text alone, to tell whether an edit that can
/// change only the text has anything to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attached {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The title and summary of the announcement (what a LinkedIn article shows).
    #[serde(default)]
    pub card: String,
}

/// Where one key stands after replay.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyState {
    /// Sent and confirmed (or confirmed by a person).
    Posted {
        remote_id: Option<String>,
        url: Option<String>,
        at: Timestamp,
        /// The content hash that was posted (what was approved).
        hash: String,
    },
    /// Started, no outcome: may or may not have gone out. `failures` counts the
    /// attempts before it that failed (a run that died is not a failure).
    InDoubt {
        attempt: u32,
        since: Timestamp,
        failures: u32,
    },
    /// An email list send started, no outcome: the run stopped partway. Not in doubt:
    /// the send log knows who got the message, and the next run resumes from it.
    Sending {
        attempt: u32,
        since: Timestamp,
        failures: u32,
    },
    /// The last attempt (`attempts`) failed; `failures` of them have.
    Failed {
        attempts: u32,
        failures: u32,
        class: ErrorClass,
        message: String,
    },
    /// A person confirmed it did not go out; it may be sent again.
    NotPosted { attempts: u32 },
}

impl KeyState {
    /// The number of the last attempt, for numbering the next one.
    pub fn attempts(&self) -> u32 {
        match self {
            KeyState::Posted { .. } => 0,
            KeyState::InDoubt { attempt, .. } | KeyState::Sending { attempt, .. } => *attempt,
            KeyState::Failed { attempts, .. } | KeyState::NotPosted { attempts } => *attempts,
        }
    }

    /// How many attempts failed: what `max_attempts` limits. Attempts cut short by a
    /// crash are not failures; they are reconciled and, where safe, sent again.
    pub fn failures(&self) -> u32 {
        match self {
            KeyState::InDoubt { failures, .. }
            | KeyState::Sending { failures, .. }
            | KeyState::Failed { failures, .. } => *failures,
            KeyState::Posted { .. } | KeyState::NotPosted { .. } => 0,
        }
    }
}

/// A part that went out, as it stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    pub remote_id: Option<String>,
    pub url: Option<String>,
    /// When it was first posted (or posted again).
    pub posted_at: Timestamp,
    /// The content hash its text was last brought in line with.
    pub hash: String,
    /// The digest of what it says now, when the ledger knows it.
    pub digest: Option<String>,
    /// What the first part carries now besides its text, when the ledger knows it.
    pub attached: Option<Attached>,
    /// When it was deleted.
    pub deleted: Option<Timestamp>,
}

impl Live {
    /// The part a `posted` record (a first post or a repost) made live.
    fn of(r: &Record, first: Option<&Record>) -> Live {
        Live {
            remote_id: r.remote_id.clone(),
            url: r.url.clone(),
            posted_at: r.at,
            hash: r.hash.clone(),
            digest: first.and_then(|s| s.digest.clone()),
            attached: first.and_then(|s| s.attached.clone()),
            deleted: None,
        }
    }
}

/// The post a key is a part of: (id, lang, channel).
fn post_of(key: &Key) -> (String, String, String) {
    (key.id.clone(), key.lang.clone(), key.channel.clone())
}

/// The replayed ledger.
#[derive(Debug, Default, Clone)]
pub struct History {
    pub states: HashMap<Key, KeyState>,
    /// When each channel last had something posted, for pacing.
    pub last_posted: HashMap<String, Timestamp>,
    /// The first remote id planned for each key, with the content hash it was planned
    /// for: every later attempt at the same content reuses it.
    pub plans: HashMap<Key, (String, String)>,
    /// Keys whose missed time a run has already reported, and when.
    pub missed: HashMap<Key, Timestamp>,
    /// The send log each email list key's last `started` record names (relative to the
    /// state folder): where its recipients in doubt are read.
    pub send_logs: HashMap<Key, String>,
    /// The GitHub reviews that approved each content, by (id, lang, content hash), as
    /// the runs that sent it verified.
    pub reviews: HashMap<(String, String, String), Vec<Record>>,
    /// Each part that went out, as it stands after every correction and deletion.
    pub live: HashMap<Key, Live>,
    /// Where each correction or retraction step stands, by (part, action, content hash):
    /// the same states as a post's.
    pub actions: HashMap<(Key, Action, String), KeyState>,
    /// The remote id planned for a reposted part or a notice, by (part, action, hash).
    pub action_plans: HashMap<(Key, Action, String), String>,
    /// The rounds of steps of each post, by (id, lang, channel): the content hash each
    /// round was made for, in ledger order. Content can come back (a correction undone,
    /// then made again): each return is a round of its own, whose steps are made anew;
    /// the steps of an earlier round at that hash stay in `actions` and `action_plans`
    /// under `HASH#n` (the n-th earlier round), so a retraction still finds its notices.
    pub rounds: HashMap<(String, String, String), Vec<String>>,
    /// Every correction and retraction step that was done (`posted` with an action), in
    /// ledger order: the audit's history.
    pub changes: Vec<Record>,
    /// The first `started` record of each post and step, with its digest and approvers:
    /// what the audit and the archive say was sent.
    pub firsts: HashMap<(Key, Option<Action>, String), Record>,
    /// Problems found while reading (a torn last line).
    pub warnings: Vec<String>,
    pub lines: usize,
}

impl History {
    pub fn state(&self, key: &Key) -> Option<&KeyState> {
        self.states.get(key)
    }

    /// The remote id planned earlier for `key` with this content, if any.
    pub fn planned_id(&self, key: &Key, hash: &str) -> Option<&str> {
        self.plans
            .get(key)
            .filter(|(h, _)| h == hash)
            .map(|(_, id)| id.as_str())
    }

    /// The state of a correction or retraction step at content `hash`, as last
    /// recorded (the audit's view).
    pub fn action(&self, key: &Key, action: Action, hash: &str) -> Option<&KeyState> {
        self.actions.get(&(key.clone(), action, hash.to_owned()))
    }

    /// The state of a step to be made for content `hash`: in the round at that hash
    /// now under way or to come ([`History::rounds`]), so content that came back is
    /// changed anew; a notice's deletion, kept under the notice's hash, whatever the
    /// round. What the plan and the engine go by.
    pub fn step(&self, key: &Key, action: Action, hash: &str) -> Option<&KeyState> {
        if action != Action::DeleteNotice && self.earlier_round(key, hash) {
            return None;
        }
        self.action(key, action, hash)
    }

    /// The remote id planned for a step, in the round at `hash` now under way.
    pub fn action_plan(&self, key: &Key, action: Action, hash: &str) -> Option<&str> {
        if self.earlier_round(key, hash) {
            return None;
        }
        self.action_plans
            .get(&(key.clone(), action, hash.to_owned()))
            .map(String::as_str)
    }

    /// Whether the steps kept at `hash` for `key`'s post belong to a round that is over
    /// (another content's round came after it): then a change back to `hash` is a new
    /// round.
    fn earlier_round(&self, key: &Key, hash: &str) -> bool {
        self.rounds
            .get(&post_of(key))
            .is_some_and(|r| r.last().is_some_and(|h| h != hash) && r.iter().any(|h| h == hash))
    }

    /// Which return to content `hash` the round of steps at it now under way (or to
    /// come) is for `key`'s post: 0 the first time. Later rounds send under keys of
    /// their own (a platform would take a repeated key for the earlier round's post).
    pub fn round(&self, key: &Key, hash: &str) -> usize {
        let Some(r) = self.rounds.get(&post_of(key)) else {
            return 0;
        };
        let seen = r.iter().filter(|h| *h == hash).count();
        match r.last() {
            Some(h) if h == hash => seen - 1,
            _ => seen,
        }
    }

    /// Starts a new round of steps when `r` is the first record at its content since
    /// another content's round; the steps of an earlier round at the same content are
    /// moved under `HASH#n`.
    fn enter_round(&mut self, r: &Record) {
        let post = post_of(&r.key);
        let rounds = self.rounds.entry(post.clone()).or_default();
        if rounds.last() == Some(&r.hash) {
            return;
        }
        let earlier = rounds.iter().filter(|h| **h == r.hash).count();
        rounds.push(r.hash.clone());
        if earlier == 0 {
            return;
        }
        let retired = format!("{}#{}", r.hash, earlier - 1);
        let stale = |(k, a, h): &(Key, Action, String)| {
            *a != Action::DeleteNotice && *h == r.hash && post_of(k) == post
        };
        let old: Vec<(Key, Action, String)> =
            self.actions.keys().filter(|k| stale(k)).cloned().collect();
        for k in old {
            if let Some(state) = self.actions.remove(&k) {
                self.actions.insert((k.0, k.1, retired.clone()), state);
            }
        }
        let old: Vec<(Key, Action, String)> = self
            .action_plans
            .keys()
            .filter(|k| stale(k))
            .cloned()
            .collect();
        for k in old {
            if let Some(id) = self.action_plans.remove(&k) {
                self.action_plans.insert((k.0, k.1, retired.clone()), id);
            }
        }
    }

    /// Whether any correction or retraction step was recorded for `key` with content
    /// `hash`.
    pub fn touched(&self, key: &Key, hash: &str) -> bool {
        const ALL: [Action; 6] = [
            Action::Edit,
            Action::Delete,
            Action::Repost,
            Action::Notice,
            Action::Leave,
            Action::DeleteNotice,
        ];
        ALL.iter().any(|a| {
            self.actions
                .contains_key(&(key.clone(), *a, hash.to_owned()))
        })
    }

    /// The live parts of (id, lang, channel), in part order.
    pub fn live_parts(&self, id: &str, lang: &str, channel: &str) -> Vec<(u32, &Live)> {
        let mut parts: Vec<(u32, &Live)> = (1..)
            .map(|part| Key {
                id: id.to_owned(),
                lang: lang.to_owned(),
                channel: channel.to_owned(),
                part,
            })
            .map_while(|k| {
                let part = k.part;
                self.live.get(&k).map(|l| (part, l))
            })
            .collect();
        parts.retain(|(_, l)| l.deleted.is_none());
        parts
    }

    /// Replays a record with an action: its own state machine, then what it did to the
    /// live part.
    fn apply_action(&mut self, r: Record, action: Action) {
        self.enter_round(&r);
        // A notice's deletion is once per notice, whichever retraction makes it.
        let state_hash = match (action, &r.notice_of) {
            (Action::DeleteNotice, Some(h)) => h.clone(),
            _ => r.hash.clone(),
        };
        let akey = (r.key.clone(), action, state_hash);
        if let Some(id) = &r.planned_id {
            self.action_plans.entry(akey.clone()).or_insert(id.clone());
        }
        if r.event == Event::Started && (r.digest.is_some() || r.by.is_some() || r.reason.is_some())
        {
            self.firsts
                .entry((r.key.clone(), Some(action), r.hash.clone()))
                .or_insert_with(|| r.clone());
        }
        let previous = self.actions.get(&akey);
        if matches!(previous, Some(KeyState::Posted { .. })) {
            return;
        }
        let attempts = previous.map_or(0, KeyState::attempts);
        let failures = previous.map_or(0, KeyState::failures);
        let next = match r.event {
            Event::Started => KeyState::InDoubt {
                attempt: r.attempt.unwrap_or(attempts + 1),
                since: r.at,
                failures,
            },
            Event::Failed => KeyState::Failed {
                attempts: r.attempt.unwrap_or(attempts),
                failures: failures + 1,
                class: r.class.unwrap_or(ErrorClass::Transient),
                message: r.message.clone().unwrap_or_default(),
            },
            Event::Resolved if r.resolution != Some(Resolution::Posted) => {
                KeyState::NotPosted { attempts: 0 }
            }
            Event::Posted | Event::Resolved => {
                self.done(&r, action);
                KeyState::Posted {
                    remote_id: r.remote_id.clone(),
                    url: r.url.clone(),
                    at: r.at,
                    hash: r.hash.clone(),
                }
            }
            Event::Missed | Event::Approved => return,
        };
        self.actions.insert(akey, next);
    }

    /// What a finished step did to its part.
    fn done(&mut self, r: &Record, action: Action) {
        let first = self
            .firsts
            .get(&(r.key.clone(), Some(action), r.hash.clone()));
        let digest = first.and_then(|s| s.digest.clone());
        let attached = first.and_then(|s| s.attached.clone());
        match action {
            Action::Repost => {
                let live = Live::of(r, first);
                self.live.insert(r.key.clone(), live);
            }
            Action::Edit => {
                if let Some(live) = self.live.get_mut(&r.key) {
                    live.hash = r.hash.clone();
                    live.digest = digest;
                    // What an edit that could change only the text left: recorded with it.
                    if attached.is_some() {
                        live.attached = attached;
                    }
                    if r.remote_id.is_some() {
                        live.remote_id = r.remote_id.clone();
                    }
                    if r.url.is_some() {
                        live.url = r.url.clone();
                    }
                }
            }
            Action::Delete => {
                if let Some(live) = self.live.get_mut(&r.key) {
                    live.deleted.get_or_insert(r.at);
                }
            }
            // A notice answers the post and a note changes nothing: the part stays.
            Action::Notice | Action::Leave | Action::DeleteNotice => {}
        }
        self.changes.push(r.clone());
    }

    fn apply(&mut self, r: Record) {
        if let Some(action) = r.action {
            return self.apply_action(r, action);
        }
        if r.event == Event::Started && (r.digest.is_some() || r.by.is_some() || r.reason.is_some())
        {
            self.firsts
                .entry((r.key.clone(), None, r.hash.clone()))
                .or_insert_with(|| r.clone());
        }
        if r.event == Event::Missed {
            self.missed.entry(r.key).or_insert(r.at);
            return;
        }
        if r.event == Event::Approved {
            let list = self
                .reviews
                .entry((r.key.id.clone(), r.key.lang.clone(), r.hash.clone()))
                .or_default();
            if !list.iter().any(|x| x.by == r.by && x.pull == r.pull) {
                list.push(r);
            }
            return;
        }
        if let Some(id) = &r.planned_id
            && self.planned_id(&r.key, &r.hash).is_none()
        {
            self.plans
                .insert(r.key.clone(), (r.hash.clone(), id.clone()));
        }
        if let (Event::Started, Some(log)) = (r.event, &r.send_log) {
            self.send_logs.insert(r.key.clone(), log.clone());
        }
        let attempts = self.states.get(&r.key).map_or(0, KeyState::attempts);
        let failures = self.states.get(&r.key).map_or(0, KeyState::failures);
        let next = match r.event {
            Event::Started if r.send_log.is_some() => KeyState::Sending {
                attempt: r.attempt.unwrap_or(attempts + 1),
                since: r.at,
                failures,
            },
            Event::Started => KeyState::InDoubt {
                attempt: r.attempt.unwrap_or(attempts + 1),
                since: r.at,
                failures,
            },
            Event::Posted => {
                let last = self
                    .last_posted
                    .entry(r.key.channel.clone())
                    .or_insert(r.at);
                *last = (*last).max(r.at);
                self.went_out(&r);
                KeyState::Posted {
                    remote_id: r.remote_id,
                    url: r.url,
                    at: r.at,
                    hash: r.hash,
                }
            }
            Event::Failed => KeyState::Failed {
                attempts: r.attempt.unwrap_or(attempts),
                failures: failures + 1,
                class: r.class.unwrap_or(ErrorClass::Transient),
                message: r.message.unwrap_or_default(),
            },
            Event::Missed | Event::Approved => unreachable!("notes are applied above"),
            Event::Resolved => match r.resolution {
                Some(Resolution::Posted) => {
                    self.went_out(&r);
                    KeyState::Posted {
                        remote_id: r.remote_id,
                        url: r.url,
                        at: r.at,
                        hash: r.hash,
                    }
                }
                _ => KeyState::NotPosted { attempts: 0 },
            },
        };
        // A confirmed post is final: nothing later un-posts it.
        if !matches!(self.states.get(&r.key), Some(KeyState::Posted { .. })) {
            self.states.insert(r.key, next);
        }
    }
}

impl History {
    /// The first `posted` of a part makes it live (a later one changes nothing: a
    /// confirmed post is final).
    fn went_out(&mut self, r: &Record) {
        if matches!(self.states.get(&r.key), Some(KeyState::Posted { .. })) {
            return;
        }
        let first = self.firsts.get(&(r.key.clone(), None, r.hash.clone()));
        let live = Live::of(r, first);
        self.live.insert(r.key.clone(), live);
    }
}

/// Reads the ledger in `state_dir` (a missing file is an empty ledger).
pub fn read(state_dir: &Path) -> Result<History, String> {
    let path = state_dir.join(LEDGER_FILE);
    // Only a regular file is read: a named pipe or device there is refused at once.
    let file = match crate::limits::open_file(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
        Err(e) => return Err(format!("cannot read the ledger {}: {e}", path.display())),
    };
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if meta.len() > crate::limits::LEDGER_BYTES {
        return Err(format!(
            "{} is larger than {} MB; Herald reads ledgers up to that size. Move it aside (keep it in Git history) only after checking that nothing is in doubt",
            path.display(),
            crate::limits::LEDGER_BYTES / (1024 * 1024)
        ));
    }
    replay(
        std::io::BufReader::new(file.take(crate::limits::LEDGER_BYTES)),
        &path,
    )
}

/// The longest ledger line Herald reads; real ones are a few hundred bytes.
const MAX_LINE: usize = 64 * 1024;

/// Replays the ledger line by line, holding one line in memory at a time. A damaged line
/// is reported and skipped: the lines around it still count. (A post is never recorded
/// by one line alone: `started` comes first, so losing a `posted` line leaves the post
/// in doubt, to be reconciled, never silently sent again.) An unfinished last line is a
/// run that died while writing it.
pub fn replay(mut input: impl std::io::BufRead, path: &Path) -> Result<History, String> {
    let mut history = History::default();
    let mut line = Vec::new();
    let mut n = 0;
    loop {
        line.clear();
        let read = (&mut input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if read == 0 {
            break;
        }
        n += 1;
        if line.last() != Some(&b'\n') {
            if line.len() > MAX_LINE {
                // Skip the rest of an overlong line.
                let mut rest = Vec::new();
                loop {
                    rest.clear();
                    let more = (&mut input)
                        .take(MAX_LINE as u64)
                        .read_until(b'\n', &mut rest)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                    if more == 0 || rest.last() == Some(&b'\n') {
                        break;
                    }
                }
                history.warnings.push(format!(
                    "{}:{n}: this line is longer than any ledger record; it is ignored (restore the file from Git history to see what it was)",
                    path.display()
                ));
                continue;
            }
            history.warnings.push(format!(
                "{}:{n}: the last line was cut short (a run was interrupted while writing it); it is ignored",
                path.display()
            ));
            break;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Record>(&line) {
            Ok(record) => {
                history.lines += 1;
                history.apply(record);
            }
            Err(e) => history.warnings.push(format!(
                "{}:{n}: this ledger line is damaged ({e}) and is ignored; the other lines still count. Compare the file with its Git history",
                path.display()
            )),
        }
    }
    Ok(history)
}

/// The ledger open for appending, holding the publish lock.
pub struct Writer {
    file: File,
    _lock: File,
    path: PathBuf,
}

impl Writer {
    /// Takes the lock (failing if another `publish` holds it), reads the ledger under it,
    /// cuts off a torn last line, and opens the ledger for appending. `state_dir` (relative
    /// to `root`, or absolute) and both files must be inside the repository once links
    /// are followed ([`crate::paths::open_inside`]).
    pub fn open(root: &Path, state_dir: &Path) -> Result<(Writer, History), String> {
        crate::paths::create_dir_inside(root, state_dir)
            .map_err(|e| format!("cannot use the state folder: {e}"))?;
        let lock_path = state_dir.join(LOCK_FILE);
        let lock = crate::paths::open_inside(root, &lock_path, crate::paths::Mode::Append)
            .map_err(|e| format!("cannot take the publish lock: {e}"))?;
        lock.try_lock().map_err(|_| {
            format!(
                "another `herald publish` is running (it holds {}); wait for it to finish",
                lock_path.display()
            )
        })?;
        let path = state_dir.join(LEDGER_FILE);
        // Checked before it is read, so that a ledger linked from outside is not trusted.
        crate::paths::check_inside(root, &path)
            .map_err(|e| format!("cannot use the ledger: {e}"))?;
        // Read only under the lock: another run could be appending otherwise.
        let history = read(&root.join(state_dir))?;
        let mut file = crate::paths::open_inside(root, &path, crate::paths::Mode::Append)
            .map_err(|e| format!("cannot open the ledger: {e}"))?;
        cut_torn_tail(&mut file).map_err(|e| format!("cannot repair {}: {e}", path.display()))?;
        let writer = Writer {
            file,
            _lock: lock,
            path,
        };
        Ok((writer, history))
    }

    /// Appends one record and waits until it is on disk.
    pub fn append(&mut self, record: &Record) -> Result<(), String> {
        let mut line = serde_json::to_vec(record).expect("records serialise");
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}

/// Truncates the file after its last newline, so the next append starts a fresh line.
/// Any append-only JSON Lines file Herald writes goes through this after a crash.
pub(crate) fn cut_torn_tail(file: &mut File) -> std::io::Result<()> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(());
    }
    // The usual case, a whole last line, reads one byte (this runs before every post).
    let mut last = [0u8];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(());
    }
    // Torn lines are short; look back far enough for any single record.
    let back = len.min(1 << 20);
    file.seek(SeekFrom::Start(len - back))?;
    let mut tail = Vec::with_capacity(back as usize);
    file.read_to_end(&mut tail)?;
    if tail.last() == Some(&b'\n') {
        return Ok(());
    }
    let keep = match tail.iter().rposition(|&b| b == b'\n') {
        Some(i) => len - back + i as u64 + 1,
        None if back == len => 0,
        None => return Ok(()),
    };
    file.set_len(keep)?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(part: u32) -> Key {
        Key {
            id: "a".into(),
            lang: "et".into(),
            channel: "m".into(),
            part,
        }
    }

    fn at() -> Timestamp {
        "2026-06-30T07:00:00Z".parse().unwrap()
    }

    #[test]
    fn replay_gives_the_last_state_and_posted_is_final() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, _) = Writer::open(dir.path(), Path::new(".")).unwrap();
        w.append(&Record::new(Event::Started, key(1), "h", at()))
            .unwrap();
        w.append(&Record {
            remote_id: Some("9".into()),
            ..Record::new(Event::Posted, key(1), "h", at())
        })
        .unwrap();
        w.append(&Record::new(Event::Started, key(2), "h", at()))
            .unwrap();
        w.append(&Record::new(Event::Started, key(1), "h", at()))
            .unwrap();
        drop(w);
        let h = read(dir.path()).unwrap();
        assert!(matches!(h.state(&key(1)), Some(KeyState::Posted { .. })));
        assert!(matches!(
            h.state(&key(2)),
            Some(KeyState::InDoubt { attempt: 1, .. })
        ));
        assert_eq!(h.lines, 4);
    }

    #[test]
    fn runs_that_died_are_not_failures() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, _) = Writer::open(dir.path(), Path::new(".")).unwrap();
        for _ in 0..6 {
            w.append(&Record::new(Event::Started, key(1), "h", at()))
                .unwrap();
        }
        w.append(&Record::new(Event::Failed, key(1), "h", at()))
            .unwrap();
        drop(w);
        let h = read(dir.path()).unwrap();
        let state = h.state(&key(1)).unwrap();
        assert_eq!((state.attempts(), state.failures()), (6, 1));
    }

    #[test]
    fn cutting_a_torn_tail_keeps_every_whole_line() {
        // (the file, what is left after the cut)
        let long_torn = format!("{}\n{}", "a".repeat(10), "b".repeat(3 << 20));
        let cases: [(&str, &str); 6] = [
            ("", ""),
            ("one\n", "one\n"),
            ("one\ntwo\n", "one\ntwo\n"),
            ("one\ntw", "one\n"),
            ("torn", ""),
            ("\n\nx", "\n\n"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        for (text, left) in cases {
            std::fs::write(&path, text).unwrap();
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .append(true)
                .open(&path)
                .unwrap();
            cut_torn_tail(&mut f).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), left, "{text:?}");
        }
        // A torn tail longer than any record is left alone (it is not a torn record).
        std::fs::write(&path, &long_torn).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .unwrap();
        cut_torn_tail(&mut f).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap().len(),
            long_torn.len()
        );
    }

    #[test]
    fn a_torn_last_line_is_reported_then_cut_and_earlier_lines_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (mut w, _) = Writer::open(dir.path(), Path::new(".")).unwrap();
        w.append(&Record::new(Event::Started, key(1), "h", at()))
            .unwrap();
        drop(w);
        let path = dir.path().join(LEDGER_FILE);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(b"{\"event\":\"posted\",\"id\":\"a\",\"la")
            .unwrap();
        drop(f);
        let h = read(dir.path()).unwrap();
        assert_eq!(h.lines, 1);
        assert!(
            h.warnings[0].contains(":2: the last line was cut short"),
            "{:?}",
            h.warnings
        );
        let (mut w, _) = Writer::open(dir.path(), Path::new(".")).unwrap();
        w.append(&Record::new(Event::Failed, key(1), "h", at()))
            .unwrap();
        drop(w);
        let h = read(dir.path()).unwrap();
        assert!(h.warnings.is_empty());
        assert_eq!(h.lines, 2);
        assert!(matches!(h.state(&key(1)), Some(KeyState::Failed { .. })));
    }

    #[test]
    fn a_damaged_line_is_reported_and_every_other_line_still_counts() {
        let good = |part: u32, event: &str| {
            format!(
                r#"{{"event":"{event}","id":"a","lang":"et","channel":"m","part":{part},"hash":"h","at":"2026-06-30T07:00:00Z"}}"#
            )
        };
        let text = format!(
            "{}\n{{\"event\":\"posted\",\"id\n{}\n\n{}\n{}\n",
            good(1, "started"),
            good(1, "posted"),
            good(2, "started"),
            "x".repeat(MAX_LINE * 3)
        );
        let h = replay(text.as_bytes(), Path::new("l")).unwrap();
        assert_eq!(h.lines, 3);
        assert!(matches!(h.state(&key(1)), Some(KeyState::Posted { .. })));
        assert!(matches!(h.state(&key(2)), Some(KeyState::InDoubt { .. })));
        assert_eq!(h.warnings.len(), 2, "{:#?}", h.warnings);
        assert!(h.warnings[0].starts_with("l:2: this ledger line is damaged"));
        assert!(h.warnings[1].starts_with("l:6: this line is longer than any ledger record"));
    }

    #[test]
    fn a_ledger_that_is_not_a_regular_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(LEDGER_FILE)).unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(err.contains("is a folder, not a file"), "{err}");
    }

    #[test]
    fn the_lock_keeps_a_second_writer_out() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Writer::open(dir.path(), Path::new(".")).unwrap();
        let second = Writer::open(dir.path(), Path::new(".")).err().unwrap();
        assert!(
            second.contains("another `herald publish` is running"),
            "{second}"
        );
    }

    #[test]
    fn a_list_send_that_names_its_send_log_is_sending_not_in_doubt() {
        let list = |event: &str, log: bool| {
            let log = if log {
                r#","send_log":"email/m/a.log""#
            } else {
                ""
            };
            format!(
                r#"{{"event":"{event}","id":"a","lang":"et","channel":"m","part":1,"hash":"h","at":"2026-06-30T07:00:00Z"{log}}}"#
            )
        };
        let state = |lines: &[&str]| {
            replay(format!("{}\n", lines.join("\n")).as_bytes(), Path::new("l"))
                .unwrap()
                .state(&key(1))
                .cloned()
        };
        let started = list("started", true);
        let started = started.as_str();
        let sending = |attempt, failures| KeyState::Sending {
            attempt,
            since: at(),
            failures,
        };
        assert_eq!(state(&[started]), Some(sending(1, 0)));
        assert_eq!(state(&[started, started]), Some(sending(2, 0)));
        assert_eq!(
            state(&[started, list("failed", false).as_str(), started]),
            Some(sending(2, 1))
        );
        assert!(matches!(
            state(&[started, list("posted", false).as_str()]),
            Some(KeyState::Posted { .. })
        ));
        // Without a send log a start is in doubt, as for any post.
        assert_eq!(
            state(&[list("started", false).as_str()]),
            Some(KeyState::InDoubt {
                attempt: 1,
                since: at(),
                failures: 0
            })
        );
        // The history keeps the send log the key's start named.
        let h = replay(format!("{started}\n").as_bytes(), Path::new("l")).unwrap();
        assert_eq!(
            h.send_logs.get(&key(1)).map(String::as_str),
            Some("email/m/a.log")
        );
        // The record keeps the send log as written.
        let r: Record = serde_json::from_str(started).unwrap();
        assert_eq!(r.send_log.as_deref(), Some("email/m/a.log"));
        assert_eq!(serde_json::to_string(&r).unwrap(), started);
    }
}
