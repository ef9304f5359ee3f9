//! `herald status`: per announcement variant and channel, where things stand.

use super::output::{BOLD, DIM, ERROR, GOOD, WARNING};
use super::{Exit, Instance};
use crate::cli::{Format, Global};
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
    publish_at: Option<String>,
    channels: Vec<ChannelStatus<'a>>,
}

#[derive(Serialize)]
struct ChannelStatus<'a> {
    channel: &'a str,
    kind: &'static str,
    /// draft, changed, unknown_approver, invalid, skipped, unscheduled, scheduled, due,
    /// missed, expired.
    status: &'static str,
}

pub fn run(instance: &Instance, global: &Global) -> anyhow::Result<Exit> {
    let tz = &instance.settings.tz;
    let plan = instance.plan(global.channel.as_deref());
    let rows: Vec<VariantStatus<'_>> = plan
        .iter()
        .map(|p| {
            let v = p.variant;
            let t = timing(&v.front, instance.now, instance.settings.max_delay);
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
                    }
                })
                .collect();
            VariantStatus {
                id: &v.id,
                lang: &v.lang,
                path: crate::diagnostic::display_path(&v.path),
                state: p.state.name(),
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
            p.state.describe()
        )?;
        if row.channels.is_empty() {
            writeln!(out, "  {DIM}(no channels){DIM:#}")?;
        }
        for c in &row.channels {
            let style = match c.status {
                "due" | "scheduled" => GOOD,
                "invalid" | "missed" | "changed" | "unknown_approver" => ERROR,
                _ => WARNING,
            };
            writeln!(out, "  {:<16} {style}{}{style:#}", c.channel, c.status)?;
        }
    }
    Ok(Exit::Ok)
}
