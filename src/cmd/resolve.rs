//! `herald resolve`: a person records whether an in-doubt (or failed) post went out.
//!
//! Herald never guesses about a post it cannot check. Someone looks at the account and
//! says: it is there (`--posted URL`, never sent again) or it is not (`--not-posted`,
//! sent again by the next run).
//!
//! An email list send that ended with recipients in doubt (their message was on its way
//! when a run stopped) waits for the same kind of decision, made for all of them at once
//! ([`in_doubt`]): `--resend-in-doubt` marks them not sent in the send log (`F`) and
//! records the list as not posted, so the next run sends it to them and to nobody else;
//! `--drop-in-doubt` marks them decided (`X`, never sent again) and records the list as
//! posted.

use super::output::GOOD;
use super::{Exit, Instance, UsageError};
use crate::email::sendlog::{self, Mark};
use crate::engine::list::doubt;
use crate::ledger::{Event, Key, KeyState, Record, Resolution, Writer};
use std::io::Write;

pub struct Target {
    pub id: String,
    pub channel: String,
    pub lang: Option<String>,
    pub part: Option<u32>,
}

pub fn run(instance: &Instance, t: &Target, posted: Option<String>) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    let store = super::open_state(s, crate::state::Fetch::Required)?;
    let (mut writer, history) =
        Writer::open(store.files(), store.state_dir()).map_err(|e| UsageError(vec![e]))?;
    let mut open: Vec<_> = history
        .states
        .iter()
        .filter(|(k, state)| {
            k.id == t.id
                && k.channel == t.channel
                && t.lang.as_ref().is_none_or(|l| *l == k.lang)
                && t.part.is_none_or(|p| p == k.part)
                && matches!(state, KeyState::InDoubt { .. } | KeyState::Failed { .. })
        })
        .map(|(k, _)| k.clone())
        .collect();
    open.sort();
    if open.is_empty() {
        return Err(UsageError(vec![format!(
            "nothing of `{}` on `{}` is in doubt or failed; `herald status` shows where things stand",
            t.id, t.channel
        )])
        .into());
    }
    if posted.is_some() && open.len() > 1 {
        let parts: Vec<String> = open
            .iter()
            .map(|k| format!("--lang {} --part {}", k.lang, k.part))
            .collect();
        return Err(UsageError(vec![format!(
            "several parts are open ({}); resolve them one at a time",
            parts.join("; ")
        )])
        .into());
    }
    let resolution = if posted.is_some() {
        Resolution::Posted
    } else {
        Resolution::NotPosted
    };
    let by = std::env::var("USER").ok();
    let mut out = anstream::stdout().lock();
    for key in open {
        let hash = history_hash(instance, &key).unwrap_or_default();
        let record = Record {
            resolution: Some(resolution),
            url: posted.clone(),
            by: by.clone(),
            ..Record::new(Event::Resolved, key.clone(), &hash, jiff::Timestamp::now())
        };
        writer.append(&record).map_err(|e| UsageError(vec![e]))?;
        let what = match resolution {
            Resolution::Posted => "recorded as posted",
            Resolution::NotPosted => "recorded as not posted; the next run sends it",
        };
        writeln!(
            out,
            "{GOOD}{what}{GOOD:#}: {} [{}] → {} part {}",
            key.id, key.lang, key.channel, key.part
        )?;
    }
    push_decision(&store, &t.id, &t.channel)?;
    Ok(Exit::Ok)
}

/// What a person decided about an email list's recipients in doubt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it to them: the next run does.
    Resend,
    /// Leave them as they are: never sent again.
    Drop,
}

impl Decision {
    fn flag(self) -> &'static str {
        match self {
            Decision::Resend => "--resend-in-doubt",
            Decision::Drop => "--drop-in-doubt",
        }
    }
}

/// `herald resolve ID CHANNEL --resend-in-doubt` / `--drop-in-doubt`: the decision about
/// every recipient in doubt of announcement `id` on the email list `channel`, written to
/// its send log (fsynced) and then to the ledger for each variant of the list.
pub fn in_doubt(
    instance: &Instance,
    id: &str,
    channel: &str,
    decision: Decision,
) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    let flag = decision.flag();
    let refuse = |why: String| -> anyhow::Result<Exit> { Err(UsageError(vec![why]).into()) };
    let Some(list) = s.channel(channel) else {
        let names = s.channel_names();
        return refuse(format!(
            "{flag}: no channel `{channel}` in {}{}",
            s.config_path.display(),
            crate::suggest::did_you_mean(channel, names.iter().map(String::as_str))
        ));
    };
    if list.email().is_none() {
        return refuse(format!(
            "{flag} is for email lists, and `{channel}` is a {} channel; for a post in doubt there, look at the account, then run {}",
            list.kind(),
            crate::ledger::settle_commands(id, channel)
        ));
    }
    let store = super::open_state(s, crate::state::Fetch::Required)?;
    let (mut writer, history) =
        Writer::open(store.files(), store.state_dir()).map_err(|e| UsageError(vec![e]))?;
    let mut keys: Vec<Key> = history
        .states
        .keys()
        .filter(|k| k.id == id && k.channel == channel)
        .cloned()
        .collect();
    keys.sort();
    if !doubt::waits_for_a_person(&history, keys.iter()) {
        let states: Vec<&KeyState> = keys.iter().filter_map(|k| history.state(k)).collect();
        let why = if states.is_empty() {
            format!(
                "`{id}` has not been sent to `{channel}`, so no recipient is in doubt; `herald status` shows where it stands"
            )
        } else if states
            .iter()
            .all(|st| matches!(st, KeyState::Posted { .. }))
        {
            format!("`{id}` on `{channel}` is recorded as posted; nothing waits for a decision")
        } else if states
            .iter()
            .all(|st| matches!(st, KeyState::NotPosted { .. }))
        {
            format!(
                "`{id}` on `{channel}` is recorded as not posted: the next `herald publish` resumes the list; nothing waits for a decision"
            )
        } else if states
            .iter()
            .any(|st| matches!(st, KeyState::Sending { .. } | KeyState::Failed { .. }))
        {
            format!(
                "the list send of `{id}` to `{channel}` is not finished: the next `herald publish` sends the rest (and not to recipients in doubt); decide about them when it has finished"
            )
        } else {
            format!(
                "`{id}` on `{channel}` does not wait for a decision about recipients in doubt; `herald status` shows where it stands"
            )
        };
        return refuse(why);
    }
    let found = doubt::recipients(store.files(), &store.dir(), &history, id, channel)
        .map_err(|e| UsageError(vec![e]))?;
    let Some(found) = found.filter(|d| !d.ids.is_empty()) else {
        return refuse(format!(
            "no recipient of `{id}` on `{channel}` is in doubt any more (an earlier decision may have been cut short); `herald resolve {id} {channel} --not-posted` lets the next run resume the list, which sends nobody a second copy"
        ));
    };
    let (mark, resolution) = match decision {
        Decision::Resend => (Mark::NotSent, Resolution::NotPosted),
        Decision::Drop => (Mark::Dropped, Resolution::Posted),
    };
    // The send log first: a decision cut short before the ledger line leaves the list
    // waiting, and says so.
    sendlog::mark_all(store.files(), &found.log, mark, &found.ids)
        .map_err(|e| UsageError(vec![e]))?;
    let by = std::env::var("USER").ok();
    let mut out = anstream::stdout().lock();
    let n = found.ids.len();
    let done = match decision {
        Decision::Resend => format!(
            "{n} recipient(s) in doubt marked as not sent: the next `herald publish` sends `{id}` to them on `{channel}`, and to nobody who got it"
        ),
        Decision::Drop => format!(
            "{n} recipient(s) in doubt left as they are: `{id}` is never sent to them again on `{channel}`"
        ),
    };
    for key in keys
        .iter()
        .filter(|k| !matches!(history.state(k), Some(KeyState::Posted { .. })))
    {
        let hash = history_hash(instance, key).unwrap_or_default();
        let record = Record {
            resolution: Some(resolution),
            by: by.clone(),
            ..Record::new(Event::Resolved, key.clone(), &hash, jiff::Timestamp::now())
        };
        writer.append(&record).map_err(|e| UsageError(vec![e]))?;
        let what = match resolution {
            Resolution::Posted => "recorded as posted",
            Resolution::NotPosted => "recorded as not posted",
        };
        writeln!(
            out,
            "{GOOD}{what}{GOOD:#}: {} [{}] → {} part {}",
            key.id, key.lang, key.channel, key.part
        )?;
    }
    writeln!(out, "{done}")?;
    push_decision(&store, id, channel)?;
    Ok(Exit::Ok)
}

/// Puts a person's decision on the state branch before the command ends, so that a
/// publish run that starts later sees it.
fn push_decision(store: &crate::state::Store, id: &str, channel: &str) -> anyhow::Result<()> {
    let pushed = store.push(&format!("herald resolve {id} {channel}"));
    if pushed.is_ok() {
        super::publish::print_state_cost(false, store, None)?;
    }
    pushed.map_err(|e| {
            UsageError(vec![format!(
                "recorded here, but not saved to {}: {e}; run the same command again once the remote can be reached",
                store.describe()
            )])
            .into()
        })
}

/// The approved hash of the variant now, for the record.
fn history_hash(instance: &Instance, key: &crate::ledger::Key) -> Option<String> {
    instance
        .variants()
        .find(|v| v.id == key.id && v.lang == key.lang)
        .and_then(|v| crate::approval::content_hash(&instance.settings.root, v).ok())
}
