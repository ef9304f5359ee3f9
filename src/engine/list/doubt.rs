//! Recipients in doubt of a list send: the subscribers whose message was on its way when a
//! run stopped (an `S` alone in the send log), so it may or may not have arrived.
//!
//! Herald never sends them the message again by itself, and never calls such a list
//! posted either: a list send that ends with recipients in doubt is recorded `failed`
//! (permanent: no run retries it) until a person decides with `herald resolve ID CHANNEL
//! --resend-in-doubt` or `--drop-in-doubt` ([`crate::cmd`]'s `resolve`). This module
//! finds them (in the send log the ledger names), says so in the same words wherever it
//! is shown (the publish report, `status`), and tells whether a list waits for that
//! decision.

use crate::email::SubscriberId;
use crate::email::sendlog;
use crate::ledger::{ErrorClass, History, Key, KeyState};
use std::path::{Path, PathBuf};

/// The recipients in doubt of one list send.
pub struct Doubt {
    /// The send log they were read from.
    pub log: PathBuf,
    pub ids: Vec<SubscriberId>,
}

/// The send log that the ledger's `started` records of `id` on list `channel` name
/// (relative to the state folder), if a list send started.
pub fn send_log<'h>(history: &'h History, id: &str, channel: &str) -> Option<&'h str> {
    let mut named: Vec<(&Key, &String)> = history
        .send_logs
        .iter()
        .filter(|(k, _)| k.id == id && k.channel == channel)
        .collect();
    named.sort();
    named.first().map(|(_, log)| log.as_str())
}

/// The recipients in doubt of announcement `id` on list `channel`, read from the send
/// log the ledger names (inside the repository `root`; `state_dir` is the state folder).
/// `None` when no list send of it started.
pub fn recipients(
    root: &Path,
    state_dir: &Path,
    history: &History,
    id: &str,
    channel: &str,
) -> Result<Option<Doubt>, String> {
    let Some(relative) = send_log(history, id, channel) else {
        return Ok(None);
    };
    let log = state_dir.join(relative);
    crate::paths::check_inside(root, &log).map_err(|e| format!("cannot read the send log: {e}"))?;
    let ids = sendlog::read(&log)?.in_doubt();
    Ok(Some(Doubt { log, ids }))
}

/// Whether the list send with these ledger keys ended waiting for a person: recorded as
/// failed for good (the only way a list send ends so is with recipients in doubt).
pub fn waits_for_a_person<'k>(history: &History, mut keys: impl Iterator<Item = &'k Key>) -> bool {
    keys.any(|k| {
        matches!(
            history.state(k),
            Some(KeyState::Failed {
                class: ErrorClass::Permanent,
                ..
            })
        )
    })
}

/// What the report and `status` say about `n` recipients in doubt of `id` on `channel`.
pub fn words(n: usize, id: &str, channel: &str) -> String {
    format!(
        "{n} recipient(s) may or may not have received it (a run stopped while their message was on its way), so it is not sent to them again and the list is not posted until someone decides: `herald resolve {id} {channel} --resend-in-doubt` sends it to them, `herald resolve {id} {channel} --drop-in-doubt` leaves them as they are"
    )
}

/// What `status` says while a list that has recipients in doubt is still being sent.
pub fn unfinished_words(n: usize) -> String {
    format!(
        "{n} recipient(s) may or may not have received it so far (a run stopped while their message was on its way); the next run sends the rest of the list, not to them, and then waits for someone to decide about them"
    )
}

/// The ledger's message for a list send that ended with `n` recipients in doubt.
pub fn ledger_message(summary: &str, n: u64, id: &str, channel: &str) -> String {
    format!(
        "{summary}; not posted: {n} recipient(s) in doubt wait for a decision (`herald resolve {id} {channel} --resend-in-doubt` or `--drop-in-doubt`)"
    )
}
