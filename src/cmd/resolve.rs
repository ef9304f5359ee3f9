//! `herald resolve`: a person records whether an in-doubt (or failed) post went out.
//!
//! Herald never guesses about a post it cannot check. Someone looks at the account and
//! says: it is there (`--posted URL`, never sent again) or it is not (`--not-posted`,
//! sent again by the next run).

use super::output::GOOD;
use super::{Exit, Instance, UsageError};
use crate::ledger::{Event, KeyState, Record, Resolution, Writer};
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
    // On the remote before the command ends: a publish run that starts later sees it.
    store
        .push(&format!("herald resolve {} {}", t.id, t.channel))
        .map_err(|e| {
            UsageError(vec![format!(
                "recorded here, but not saved to {}: {e}; run the same command again once the remote can be reached",
                store.describe()
            )])
        })?;
    Ok(Exit::Ok)
}

/// The approved hash of the variant now, for the record.
fn history_hash(instance: &Instance, key: &crate::ledger::Key) -> Option<String> {
    instance
        .variants()
        .find(|v| v.id == key.id && v.lang == key.lang)
        .and_then(|v| crate::approval::content_hash(&instance.settings.root, v).ok())
}
