//! Corrections and retractions, carried out: the steps [`crate::plan::change`] decided
//! for one (variant, channel), each made exactly once with the ledger's rules. A step
//! has its own `started`, `posted` and `failed` records (with its `action`), per part and
//! content hash; `started` is on disk (and on the state branch) before the request.
//!
//! - an **edit** or a **delete** in doubt is made again: making the same edit twice
//!   leaves one edited post (X excepted: each of its edits is a new post, so an X edit in
//!   doubt is looked up like a post), and deleting a post that is gone is no error;
//! - a **repost** or a **notice** is a new post, with every rule of a post: its own
//!   idempotency key (sent again under it while the platform remembers it), an own-posts
//!   lookup when in doubt after that or where there is no key;
//! - a **note** (`leave`) sends nothing: it records that a person was told;
//! - a correction never deletes a part it posted anew itself (a repost cut short after
//!   its first new parts): only a retraction takes those down.

use super::{Outcome, Repeat, Row, Shared, append, attempt, dedups_forever, row};
use crate::channel::send::{self, Lookup, Outgoing, Receipt, SendError, Sender};
use crate::ledger::{Action, Event, Key, KeyState, Record};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};

/// One thing to do to one part.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub action: Action,
    /// The part it is about (1-based): the live part for an edit, a delete or a note, the
    /// new part for a repost, the notice's own part for a notice.
    pub part: u32,
    /// The part as it went out (edit, delete, note; for a notice, the part it answers).
    pub live: Option<LivePart>,
    /// For a note: what a person should know.
    pub why: Option<String>,
    /// Done already (the ledger has its outcome).
    pub done: bool,
    /// The content hash the step's records carry when it is not the change's (deleting a
    /// correction notice names the notice's own).
    pub hash: Option<String>,
    /// For an edit that can change only the text of the first part: what the part keeps
    /// (its images and link card as they went out). The edit sends no images, and the
    /// ledger records these as what the part carries.
    pub kept: Option<crate::ledger::Attached>,
}

/// A part that went out, with what the ledger knows of it.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePart {
    pub part: u32,
    pub remote_id: Option<String>,
    pub url: Option<String>,
    pub posted_at: Timestamp,
    /// How many images it carries (the first part), when the ledger knows.
    pub media: Option<usize>,
}

/// What a change to a posted variant means on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The retraction's reason, for a retraction.
    pub retraction: Option<String>,
    pub steps: Vec<Step>,
    /// The notice's parts, when a step posts one.
    pub notice: Vec<String>,
    /// How many parts the post has, as it went out or as it is now (the larger): whether
    /// steps say "part 2" or "the post".
    pub parts: u32,
    /// The channel is an email list: its notice is a message to those who got it.
    pub list: bool,
}

impl Change {
    /// Whether a step is still to be done.
    pub fn pending(&self) -> bool {
        self.steps.iter().any(|s| !s.done)
    }

    /// The steps still to be done.
    pub fn to_do(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| !s.done)
    }
}

/// One (variant, channel) to change: the post as it is now (`job`: the new parts) and
/// the steps.
#[derive(Debug, Clone)]
pub struct ChangeJob {
    pub job: super::Job,
    pub change: Change,
}

/// The words of a step of `change` for people: "edit part 2", "delete the post".
pub fn step_words(step: &Step, change: &Change) -> String {
    let part = if change.parts > 1 || step.part > 1 {
        format!("part {}", step.part)
    } else {
        "the post".into()
    };
    let id = step
        .live
        .as_ref()
        .and_then(|l| l.remote_id.as_deref())
        .map(|id| format!(" ({id})"))
        .unwrap_or_default();
    match step.action {
        Action::Edit => format!("edit {part}{id}"),
        Action::Delete => format!("delete {part}{id}"),
        Action::Repost => format!("post {part} anew"),
        Action::Notice if change.list && change.retraction.is_some() => {
            "tell the subscribers who got this language that it is withdrawn".into()
        }
        Action::Notice if change.list => {
            "send a correction to the subscribers who got this language".into()
        }
        Action::Notice => format!("reply with a correction{id}"),
        // A note beside an edit of the same part: what the edit cannot change stays.
        Action::Leave
            if change
                .steps
                .iter()
                .any(|e| e.action == Action::Edit && e.part == step.part) =>
        {
            format!("say what the edit of {part} cannot change")
        }
        Action::Leave => format!("leave {part} as it is"),
        Action::DeleteNotice => format!("delete the correction notice{id}"),
    }
}

struct Run<'a> {
    cj: &'a ChangeJob,
    shared: &'a Shared,
    /// What each (action, part) became in this run.
    receipts: BTreeMap<(Action, u32), Receipt>,
    deleted: BTreeSet<u32>,
}

impl Run<'_> {
    fn key(&self, part: u32) -> Key {
        Key {
            id: self.cj.job.id.clone(),
            lang: self.cj.job.lang.clone(),
            channel: self.cj.job.channel.clone(),
            part,
        }
    }

    /// The id part `n` of the post has now: made in this run, made by an earlier run at
    /// this content, or as it went out.
    fn current_id(&self, n: u32) -> Option<String> {
        let hash = &self.cj.job.hash;
        for action in [Action::Repost, Action::Edit] {
            if let Some(r) = self.receipts.get(&(action, n)) {
                return Some(r.remote_id.clone());
            }
            if let Some(KeyState::Posted {
                remote_id: Some(id),
                ..
            }) = self.shared.history.step(&self.key(n), action, hash)
            {
                return Some(id.clone());
            }
        }
        if self.deleted.contains(&n) {
            return None;
        }
        self.shared
            .history
            .live
            .get(&self.key(n))
            .filter(|l| l.deleted.is_none())
            .and_then(|l| l.remote_id.clone())
    }

    /// Whether `step` is a correction's delete of the post this same change put up at its
    /// part: a repost cut short after its first new parts leaves them live, and where
    /// the new thread is longer than the old one, no earlier delete of that part at this
    /// content is on record. Deleting it would take the corrected post down (and the
    /// next part would answer a post that is gone), so it is never made; a retraction
    /// still deletes every part.
    fn deletes_own_repost(&self, step: &Step) -> bool {
        if step.action != Action::Delete || self.cj.change.retraction.is_some() {
            return false;
        }
        let Some(target) = step.live.as_ref().and_then(|l| l.remote_id.as_deref()) else {
            return false;
        };
        matches!(
            self.shared.history.step(&self.key(step.part), Action::Repost, &self.cj.job.hash),
            Some(KeyState::Posted { remote_id: Some(id), .. }) if id == target
        )
    }

    /// What the sender gets for a step that sends text (edit, repost, notice).
    fn outgoing(&self, step: &Step, sender: &dyn Sender) -> Outgoing {
        let job = &self.cj.job;
        let k = self.key(step.part);
        let i = step.part as usize - 1;
        let (text, reply_to, thread_root) = match step.action {
            Action::Notice => {
                let answered = step.live.as_ref().and_then(|l| l.remote_id.clone());
                let reply_to = if step.part == 1 {
                    answered
                } else {
                    self.receipts
                        .get(&(Action::Notice, step.part - 1))
                        .map(|r| r.remote_id.clone())
                        .or_else(|| {
                            match self.shared.history.step(
                                &self.key(step.part - 1),
                                Action::Notice,
                                &job.hash,
                            ) {
                                Some(KeyState::Posted { remote_id, .. }) => remote_id.clone(),
                                _ => None,
                            }
                        })
                };
                (
                    self.cj.change.notice.get(i).cloned().unwrap_or_default(),
                    reply_to,
                    self.current_id(1),
                )
            }
            Action::Repost if step.part > 1 => (
                job.parts.get(i).cloned().unwrap_or_default(),
                self.current_id(step.part - 1),
                self.current_id(1),
            ),
            _ => (job.parts.get(i).cloned().unwrap_or_default(), None, None),
        };
        // Never the original's key: a part posted again with the content it first had
        // must not be taken for the deleted original by the platform's de-duplication.
        let mut token = match step.action {
            Action::Notice => format!("{}:notice", k.token(&job.hash)),
            Action::Repost => format!("{}:repost", k.token(&job.hash)),
            _ => k.token(&job.hash),
        };
        // Content that came back (a correction undone, then made again): a new round,
        // under keys of its own.
        let round = self.shared.history.round(&k, &job.hash);
        if round > 0 {
            token.push_str(&format!(":{round}"));
        }
        let mut outgoing = Outgoing {
            key: token,
            part: step.part,
            text,
            lang: job.lang.clone(),
            reply_to,
            thread_root,
            images: if step.part == 1 && step.action != Action::Notice && step.kept.is_none() {
                job.images.clone()
            } else {
                Vec::new()
            },
            about: match step.action {
                // A new post: dated when its content was approved, never back at the
                // original's time (Bluesky dates a record by its planned key).
                Action::Notice | Action::Repost => {
                    let at = job
                        .approved_at
                        .or_else(|| step.live.as_ref().map(|l| l.posted_at));
                    std::sync::Arc::new(send::About {
                        publish_at: at.or(job.about.publish_at),
                        ..(*job.about).clone()
                    })
                }
                _ => job.about.clone(),
            },
            planned_id: self
                .shared
                .history
                .action_plan(&k, step.action, &job.hash)
                .map(str::to_owned),
        };
        if outgoing.planned_id.is_none() && step.action != Action::Edit {
            outgoing.planned_id = sender.plan(&outgoing);
        }
        outgoing
    }

    /// Whether and how a step may go ahead, from the ledger: `(attempts, failures)`, or
    /// why it stops, or the receipt an earlier attempt turned out to have.
    async fn before(
        &self,
        step: &Step,
        outgoing: Option<&Outgoing>,
        sender: &dyn Sender,
        safe: bool,
    ) -> Result<Result<(u32, u32), Receipt>, (Outcome, String)> {
        let k = self.key(step.part);
        let hash = self.hash(step);
        let config = &self.shared.config;
        match self.shared.history.step(&k, step.action, hash) {
            None => Ok(Ok((0, 0))),
            Some(KeyState::Failed {
                class: crate::ledger::ErrorClass::Permanent,
                message,
                ..
            }) => Err((
                Outcome::Failed,
                format!("failed earlier and will not be tried again: {message}"),
            )),
            Some(KeyState::Failed {
                failures, message, ..
            }) if *failures >= config.max_attempts => Err((
                Outcome::Failed,
                format!("gave up after {failures} failed attempts: {message}"),
            )),
            Some(KeyState::InDoubt {
                attempt,
                failures,
                since,
            }) if !safe || self.key_forgotten(step, sender, *since) => {
                let Some(outgoing) = outgoing else {
                    return Ok(Ok((*attempt, *failures)));
                };
                match sender.lookup(outgoing).await {
                    Ok(Lookup::Found(receipt)) => {
                        self.posted(step, &receipt, Some(*attempt))?;
                        Ok(Err(receipt))
                    }
                    Ok(Lookup::NotFound) => Ok(Ok((*attempt, *failures))),
                    Ok(Lookup::Unsupported) => Err((
                        Outcome::InDoubt,
                        format!(
                            "an earlier run may have done it (it stopped before the answer came) and `{}` offers no way to check; look at the account",
                            self.cj.job.channel
                        ),
                    )),
                    Err(e) => Err((
                        Outcome::InDoubt,
                        format!("still not sure it went out: asking the network failed: {e}"),
                    )),
                }
            }
            Some(state) => Ok(Ok((state.attempts(), state.failures()))),
        }
    }

    /// Whether a new post (a repost or a notice) in doubt since `since` is past the time
    /// the platform remembers its idempotency key (Mastodon: an hour): sent again now, it
    /// would be a second post, so it is looked up like a post instead. An edit or a
    /// delete is safe to repeat however late.
    fn key_forgotten(&self, step: &Step, sender: &dyn Sender, since: Timestamp) -> bool {
        matches!(step.action, Action::Repost | Action::Notice)
            && self.shared.clock.now().duration_since(since) >= sender.keeps_keys_for()
    }

    /// The content hash `step`'s state is kept under in the ledger (a notice's deletion:
    /// the notice's own).
    fn hash<'s>(&'s self, step: &'s Step) -> &'s str {
        step.hash.as_deref().unwrap_or(&self.cj.job.hash)
    }

    fn posted(
        &self,
        step: &Step,
        receipt: &Receipt,
        attempt: Option<u32>,
    ) -> Result<(), (Outcome, String)> {
        append(
            self.shared,
            &Record {
                attempt,
                remote_id: Some(receipt.remote_id.clone()),
                url: receipt.url.clone(),
                action: Some(step.action),
                notice_of: step.hash.clone(),
                ..Record::new(
                    Event::Posted,
                    self.key(step.part),
                    &self.cj.job.hash,
                    self.shared.clock.now(),
                )
            },
        )
        .map_err(|e| (Outcome::Failed, e))
    }

    /// Keeps the text a step sends in the archive, before the request.
    fn keep(&self, step: &Step, outgoing: &Outgoing) -> Result<(), (Outcome, String)> {
        let Some(store) = &self.shared.store else {
            return Ok(());
        };
        crate::archive::keep(
            store.files(),
            store.state_dir(),
            &crate::archive::Kept {
                key: &self.key(step.part),
                action: Some(step.action),
                hash: &self.cj.job.hash,
                at: self.shared.clock.now(),
                text: &outgoing.text,
                images: &outgoing.images,
                root: &self.shared.root,
            },
        )
        .map_err(|e| (Outcome::Failed, format!("not sent: {e}")))
    }

    async fn step(&mut self, step: &Step, sender: &dyn Sender) -> Result<(), (Outcome, String)> {
        let job = &self.cj.job;
        let live = step.live.as_ref().map(|l| send::Live {
            remote_id: l.remote_id.clone().unwrap_or_default(),
            url: l.url.clone(),
            posted_at: l.posted_at,
            part: l.part,
            media: l.media,
        });
        let outgoing = match step.action {
            Action::Edit | Action::Repost | Action::Notice => Some(self.outgoing(step, sender)),
            _ => None,
        };
        let (safe, push_first) = match step.action {
            Action::Edit => (sender.edit_is_idempotent(), true),
            Action::Delete | Action::DeleteNotice => (true, true),
            _ => (sender.idempotent(), !dedups_forever(sender)),
        };
        let counts = match self.before(step, outgoing.as_ref(), sender, safe).await? {
            Ok(counts) => counts,
            Err(receipt) => {
                self.receipts.insert((step.action, step.part), receipt);
                return Ok(());
            }
        };
        if let Some(o) = &outgoing {
            self.keep(step, o)?;
        }
        let template = Record {
            planned_id: outgoing.as_ref().and_then(|o| o.planned_id.clone()),
            digest: match step.action {
                Action::Edit | Action::Repost => Some(job.part_digest(step.part as usize - 1)),
                _ => None,
            },
            attached: match step.action {
                Action::Edit | Action::Repost if step.part == 1 => {
                    Some(step.kept.clone().unwrap_or_else(|| job.attached()))
                }
                _ => None,
            },
            by: job.by.clone(),
            reason: self.cj.change.retraction.clone(),
            action: Some(step.action),
            notice_of: step.hash.clone(),
            ..Record::new(
                Event::Started,
                self.key(step.part),
                &job.hash,
                self.shared.clock.now(),
            )
        };
        let repeat = Repeat { safe, push_first };
        let receipt = match step.action {
            Action::Edit => {
                let (live, o) = (
                    live.as_ref().expect("an edit names its part"),
                    outgoing.as_ref().expect("an edit sends text"),
                );
                attempt(
                    &template,
                    counts,
                    repeat,
                    || sender.edit(live, o),
                    self.shared,
                )
                .await?
            }
            Action::Delete | Action::DeleteNotice => {
                let live = live.as_ref().expect("a delete names its part");
                let gone = Receipt {
                    remote_id: live.remote_id.clone(),
                    url: live.url.clone(),
                };
                let call = || -> send::BoxFuture<'_, Result<Receipt, SendError>> {
                    let gone = gone.clone();
                    Box::pin(async move { sender.delete(live).await.map(|()| gone) })
                };
                let r = attempt(&template, counts, repeat, call, self.shared).await?;
                if step.action == Action::Delete {
                    self.deleted.insert(step.part);
                }
                r
            }
            _ => {
                let o = outgoing.as_ref().expect("a new post sends text");
                attempt(&template, counts, repeat, || sender.send(o), self.shared).await?
            }
        };
        self.receipts.insert((step.action, step.part), receipt);
        Ok(())
    }

    /// Records a note: nothing is sent.
    fn leave(&self, step: &Step) -> Result<(), (Outcome, String)> {
        append(
            self.shared,
            &Record {
                reason: step.why.clone(),
                by: self.cj.job.by.clone(),
                action: Some(Action::Leave),
                ..Record::new(
                    Event::Posted,
                    self.key(step.part),
                    &self.cj.job.hash,
                    self.shared.clock.now(),
                )
            },
        )
        .map_err(|e| (Outcome::Failed, e))
    }
}

/// Carries out one change. `sender`: the channel's, or why there is none (a change made
/// only of notes needs none).
pub async fn run_change(cj: &ChangeJob, sender: Result<&dyn Sender, &str>, shared: &Shared) -> Row {
    let job = &cj.job;
    let retraction = cj.change.retraction.is_some();
    let mut run = Run {
        cj,
        shared,
        receipts: BTreeMap::new(),
        deleted: BTreeSet::new(),
    };
    let mut done = Vec::new();
    let mut notes = Vec::new();
    for step in cj.change.to_do() {
        if run.deletes_own_repost(step) {
            continue;
        }
        if step.action == Action::Leave {
            if let Err((outcome, detail)) = run.leave(step) {
                return row(job, outcome, detail, Vec::new());
            }
            notes.extend(step.why.clone());
            continue;
        }
        let sender = match sender {
            Ok(s) => s,
            Err(why) => {
                return row(
                    job,
                    Outcome::Failed,
                    format!("cannot change the post on `{}`: {why}", job.channel),
                    Vec::new(),
                );
            }
        };
        if let Err((outcome, detail)) = run.step(step, sender).await {
            let so_far = if done.is_empty() {
                String::new()
            } else {
                format!(" (done before it: {})", done.join("; "))
            };
            return row(
                job,
                outcome,
                format!("{}: {detail}{so_far}", step_words(step, &cj.change)),
                Vec::new(),
            );
        }
        done.push(step_words(step, &cj.change));
    }
    let urls: Vec<String> = run
        .receipts
        .values()
        .filter_map(|r| r.url.clone())
        .collect();
    let mut detail = done.join("; ");
    if !notes.is_empty() {
        if !detail.is_empty() {
            detail.push_str("; ");
        }
        detail.push_str(&notes.join("; "));
    }
    let outcome = match (retraction, notes.is_empty(), done.is_empty()) {
        // Something could not be deleted: a person must act, and the run says so once.
        (true, false, _) => Outcome::Failed,
        (true, true, _) => Outcome::Retracted,
        (false, _, false) => Outcome::Corrected,
        (false, _, true) => Outcome::Skipped,
    };
    row(job, outcome, detail, urls)
}
