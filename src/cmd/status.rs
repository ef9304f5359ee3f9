//! `herald status`: per announcement variant and channel, where things stand.

use super::output::{BOLD, DIM, ERROR, GOOD, WARNING};
use super::{Exit, Instance, Planned};
use crate::approval::State;
use crate::cli::{Format, Global};
use crate::ledger::History;
use crate::plan::fate::{self, Fate};
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
    /// The post's fate ([`Fate::word`]): posted, in_doubt, skipped, draft, changed,
    /// unknown_approver, invalid, unscheduled, scheduled, expired, missed, blocked,
    /// failed, due.
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip)]
    fate: Fate,
}

/// The detail line `status` shows under a channel, from its fate.
fn detail(fate: &Fate) -> Option<String> {
    match fate {
        Fate::InDoubt { since, .. } => Some(format!(
            "started {since} without an answer; `herald resolve` records what happened"
        )),
        Fate::Failed {
            attempts, message, ..
        } => Some(format!("{message} ({attempts} attempt(s))")),
        Fate::Blocked { reason } => Some(format!("not sent: {reason}")),
        Fate::Waiting { langs } => Some(fate::waiting_words(langs)),
        _ => None,
    }
}

/// How a fate is coloured: fine, needs a look, or needs fixing.
fn style(fate: &Fate) -> anstyle::Style {
    match fate {
        Fate::Due | Fate::Scheduled { .. } | Fate::Posted { .. } => GOOD,
        Fate::Broken { .. }
        | Fate::Missed { .. }
        | Fate::Failed { .. }
        | Fate::InDoubt { .. }
        | Fate::Blocked { .. } => ERROR,
        Fate::NotApproved { state, .. } => match state {
            State::Changed | State::UnknownApprover | State::Invalid => ERROR,
            State::Draft | State::Approved => WARNING,
        },
        Fate::Skipped | Fate::Unscheduled | Fate::Expired | Fate::Waiting { .. } => WARNING,
    }
}

pub fn run(instance: &Instance, global: &Global) -> anyhow::Result<Exit> {
    let (_store, history) =
        super::state_and_ledger(&instance.settings, crate::state::Fetch::BestEffort)?;
    let tz = &instance.settings.tz;
    let plan = instance.plan(global.channel.as_deref());
    let rows = variant_rows(instance, global, &plan, &history);
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
    print_text(&mut out, instance, &rows, &plan)?;
    Ok(Exit::Ok)
}

/// One row per variant, each with its channels' fates.
fn variant_rows<'a>(
    instance: &'a Instance,
    global: &Global,
    plan: &'a [Planned<'a>],
    history: &History,
) -> Vec<VariantStatus<'a>> {
    let tz = &instance.settings.tz;
    plan.iter()
        .map(|p| {
            let v = p.variant;
            let channels = instance
                .targets(v, global.channel.as_deref())
                .into_iter()
                .map(|c| {
                    let post = p.posts.iter().find(|post| post.channel.name() == c.name());
                    let fate = fate::fate(instance, plan, p, c.name(), post, history, false);
                    ChannelStatus {
                        channel: c.name(),
                        kind: c.kind().name(),
                        status: fate.word(),
                        urls: fate.urls().to_vec(),
                        detail: detail(&fate),
                        fate,
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
        .collect()
}

fn print_text(
    out: &mut impl Write,
    instance: &Instance,
    rows: &[VariantStatus<'_>],
    plan: &[Planned<'_>],
) -> anyhow::Result<()> {
    let tz = &instance.settings.tz;
    writeln!(
        out,
        "{BOLD}Status at {}{BOLD:#}\n",
        crate::time::human_in(instance.now, tz)
    )?;
    for (row, p) in rows.iter().zip(plan) {
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
            let style = style(&c.fate);
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
    Ok(())
}
