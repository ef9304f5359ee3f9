//! `herald status`: per announcement variant and channel, where things stand.

use super::output::{BOLD, DIM, ERROR, GOOD, WARNING};
use super::{Exit, Instance};
use crate::cli::{Format, Global};
use crate::ledger::{History, Key, KeyState};
use crate::schedule::{Timing, timing};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct StatusDoc<'a> {
    at: String,
    announcements: Vec<VariantStatus<'a>>,
}

#[derive(Serialize)]
struct VariantStatus<'a> {
    id: &'a str,
    lang: &'a str,
    path: String,
    state: &'static str,
    /// Why, for states that need one (what changed, who is missing).
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    publish_at: Option<String>,
    /// The approval stamps as written: who, when, which content hash.
    approvals: Vec<serde_json::Value>,
    channels: Vec<ChannelStatus<'a>>,
}

#[derive(Serialize)]
struct ChannelStatus<'a> {
    channel: &'a str,
    kind: &'static str,
    /// posted, in_doubt, failed (from the ledger), else draft, changed,
    /// unknown_approver, invalid, skipped, unscheduled, scheduled, due, missed, expired.
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// What the ledger says about `channel` for this variant, if anything decisive.
fn from_ledger(
    history: &History,
    v: &crate::announcement::Variant,
    channel: &str,
    parts: usize,
) -> Option<(&'static str, Vec<String>, Option<String>)> {
    let states: Vec<Option<&KeyState>> = (1..=parts.max(1) as u32)
        .map(|part| {
            history.state(&Key {
                id: v.id.clone(),
                lang: v.lang.clone(),
                channel: channel.to_owned(),
                part,
            })
        })
        .collect();
    let urls: Vec<String> = states
        .iter()
        .filter_map(|s| match s {
            Some(KeyState::Posted { url, .. }) => url.clone(),
            _ => None,
        })
        .collect();
    if states
        .iter()
        .all(|s| matches!(s, Some(KeyState::Posted { .. })))
    {
        return Some(("posted", urls, None));
    }
    for s in states.iter().flatten() {
        if let KeyState::InDoubt { since, .. } = s {
            return Some((
                "in_doubt",
                urls,
                Some(format!(
                    "started {since} without an answer; `herald resolve` records what happened"
                )),
            ));
        }
    }
    for s in states.iter().flatten() {
        if let KeyState::Failed {
            attempts, message, ..
        } = s
        {
            return Some((
                "failed",
                urls,
                Some(format!("{message} ({attempts} attempt(s))")),
            ));
        }
    }
    None
}

pub fn run(instance: &Instance, global: &Global) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    let history = super::read_ledger(s)?;
    let tz = &instance.settings.tz;
    let plan = instance.plan(global.channel.as_deref());
    let rows: Vec<VariantStatus<'_>> = plan
        .iter()
        .map(|p| {
            let v = p.variant;
            let t = timing(
                &v.front,
                instance.now,
                instance.settings.publishing.max_delay,
            );
            let timing_word = match t {
                Timing::Unscheduled => "unscheduled",
                Timing::Scheduled(_) => "scheduled",
                Timing::Due => "due",
                Timing::Missed => "missed",
                Timing::Expired => "expired",
            };
            let channels = instance
                .targets(v, global.channel.as_deref())
                .into_iter()
                .map(|c| {
                    let parts = p
                        .posts
                        .iter()
                        .find(|post| post.channel.name() == c.name())
                        .map_or(1, |post| post.parts.len());
                    if let Some((status, urls, detail)) = from_ledger(&history, v, c.name(), parts)
                    {
                        return ChannelStatus {
                            channel: c.name(),
                            kind: c.kind().name(),
                            status,
                            urls,
                            detail,
                        };
                    }
                    let skipped = v.front.overrides.get(c.name()).is_some_and(|o| o.skip);
                    let status = if skipped {
                        "skipped"
                    } else if p.state.publishable() {
                        timing_word
                    } else {
                        p.state.name()
                    };
                    ChannelStatus {
                        channel: c.name(),
                        kind: c.kind().name(),
                        status,
                        urls: Vec::new(),
                        detail: None,
                    }
                })
                .collect();
            VariantStatus {
                id: &v.id,
                lang: &v.lang,
                path: crate::diagnostic::display_path(&v.path),
                state: p.state.name(),
                detail: p.verdict.detail.clone(),
                approvals: v
                    .front
                    .approvals
                    .iter()
                    .map(|a| {
                        serde_json::json!({
                            "by": a.by,
                            "at": a.at.map(|t| crate::time::rfc3339_in(t, tz)),
                            "hash": a.hash,
                        })
                    })
                    .collect(),
                publish_at: v.front.publish_at.map(|t| crate::time::rfc3339_in(t, tz)),
                channels,
            }
        })
        .collect();
    let mut out = anstream::stdout().lock();
    if global.format == Format::Json {
        let doc = StatusDoc {
            at: crate::time::rfc3339_in(instance.now, tz),
            announcements: rows,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(Exit::Ok);
    }
    writeln!(
        out,
        "{BOLD}Status at {}{BOLD:#}\n",
        crate::time::human_in(instance.now, tz)
    )?;
    for (row, p) in rows.iter().zip(&plan) {
        let when = p
            .variant
            .front
            .publish_at
            .map(|t| crate::time::human_in(t, tz))
            .unwrap_or_else(|| "no publish_at".into());
        writeln!(
            out,
            "{BOLD}{}{BOLD:#} [{}] {}  {DIM}{when}{DIM:#}",
            row.id,
            row.lang,
            p.verdict.describe()
        )?;
        if row.channels.is_empty() {
            writeln!(out, "  {DIM}(no channels){DIM:#}")?;
        }
        for c in &row.channels {
            let style = match c.status {
                "due" | "scheduled" | "posted" => GOOD,
                "invalid" | "missed" | "changed" | "unknown_approver" | "failed" | "in_doubt" => {
                    ERROR
                }
                _ => WARNING,
            };
            let status = c.status.replace('_', " ");
            writeln!(
                out,
                "  {:<16} {style}{status}{style:#} {}",
                c.channel,
                c.urls.join(" ")
            )?;
            if let Some(detail) = &c.detail {
                writeln!(out, "  {:<16} {DIM}{detail}{DIM:#}", "")?;
            }
        }
    }
    Ok(Exit::Ok)
}
