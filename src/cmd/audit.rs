//! `herald audit`: for every posted item, who approved it, when, the content hash, and
//! where it went out, from the repository alone (ledger + files + Git history).

use super::output::{BOLD, DIM, WARNING};
use super::{Exit, Instance};
use crate::cli::{Format, Global};
use crate::ledger::KeyState;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Serialize)]
struct Entry {
    id: String,
    lang: String,
    channel: String,
    posted_at: String,
    hash: String,
    approvals: Vec<ApprovalDoc>,
    urls: Vec<String>,
}

#[derive(Serialize)]
struct ApprovalDoc {
    by: String,
    at: Option<String>,
    /// For an approval by GitHub review: the pull request and the review's address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pull: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

/// What the ledger says went out for one (id, lang, channel): first posted, the content
/// hash, and the addresses in part order.
type Posted = (jiff::Timestamp, String, Vec<(u32, String)>);

pub fn run(instance: &Instance, global: &Global) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    let (_store, history) = super::state_and_ledger(s, crate::state::Fetch::BestEffort)?;
    let mut posted: BTreeMap<(String, String, String), Posted> = BTreeMap::new();
    for (key, state) in &history.states {
        if let KeyState::Posted { url, at, hash, .. } = state {
            let entry = posted
                .entry((key.id.clone(), key.lang.clone(), key.channel.clone()))
                .or_insert((*at, hash.clone(), Vec::new()));
            entry.0 = entry.0.min(*at);
            entry.2.extend(url.clone().map(|u| (key.part, u)));
        }
    }
    let names = s.channel_names();
    let fields = instance.field_context(&names);
    let entries: Vec<Entry> = posted
        .into_iter()
        .map(|((id, lang, channel), (at, hash, mut urls))| {
            urls.sort();
            let mut approvals: Vec<ApprovalDoc> = instance
                .variants()
                .find(|v| v.id == id && v.lang == lang)
                .map(|v| crate::approval::approvals_of(&s.root, v, &hash, &fields))
                .unwrap_or_default()
                .into_iter()
                .map(|a| ApprovalDoc {
                    by: a.by,
                    at: a.at.map(|t| crate::time::rfc3339_in(t, &s.tz)),
                    pull: None,
                    url: None,
                })
                .collect();
            // Approvals by GitHub review, as the run that sent it verified them.
            let reviews = history
                .reviews
                .get(&(id.clone(), lang.clone(), hash.clone()))
                .into_iter()
                .flatten();
            approvals.extend(reviews.map(|r| {
                ApprovalDoc {
                    by: r.by.clone().unwrap_or_default(),
                    at: r
                        .reviewed_at
                        .as_deref()
                        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                        .map(|t| crate::time::rfc3339_in(t, &s.tz)),
                    pull: r.pull,
                    url: r.url.clone(),
                }
            }));
            Entry {
                id,
                lang,
                channel,
                posted_at: crate::time::rfc3339_in(at, &s.tz),
                hash,
                approvals,
                urls: urls.into_iter().map(|(_, u)| u).collect(),
            }
        })
        .collect();
    let mut out = anstream::stdout().lock();
    if global.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "posted": entries }))?;
        writeln!(out)?;
        return Ok(Exit::Ok);
    }
    if entries.is_empty() {
        writeln!(out, "Nothing has been posted yet.")?;
    }
    for e in &entries {
        writeln!(
            out,
            "{BOLD}{}{BOLD:#} [{}] → {}  {DIM}{}{DIM:#}",
            e.id, e.lang, e.channel, e.posted_at
        )?;
        if e.approvals.is_empty() {
            writeln!(
                out,
                "  {WARNING}approval not found{WARNING:#} for {}",
                e.hash
            )?;
        }
        for a in &e.approvals {
            let at = a.at.as_deref().unwrap_or("?");
            match (a.by.strip_prefix("github:"), a.pull) {
                (Some(login), Some(pull)) => writeln!(
                    out,
                    "  approved by @{login} in #{pull} at {at}{}",
                    a.url
                        .as_deref()
                        .map(|u| format!("  {u}"))
                        .unwrap_or_default()
                )?,
                _ => writeln!(out, "  approved by {} at {at}", a.by)?,
            }
        }
        writeln!(out, "  {DIM}{}{DIM:#}", e.hash)?;
        for u in &e.urls {
            writeln!(out, "  {u}")?;
        }
    }
    Ok(Exit::Ok)
}
