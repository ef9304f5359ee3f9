//! `herald publish`: what is due now. The dry run prints exactly the requests each
//! channel would receive and touches neither network nor files.

use super::output::{BOLD, DIM, ERROR, GOOD, WARNING};
use super::{Exit, Instance, Planned};
use crate::cli::{Format, Global};
use crate::diagnostic::Diagnostic;
use crate::schedule::{Timing, timing};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// Why a variant does not go out now.
fn hold_reason(instance: &Instance, p: &Planned<'_>) -> Option<String> {
    let tz = &instance.settings.tz;
    if !p.state.publishable() {
        return Some(p.state.describe().to_owned());
    }
    match timing(&p.variant.front, instance.now, instance.settings.max_delay) {
        Timing::Due => None,
        Timing::Unscheduled => Some("no `publish_at`".into()),
        Timing::Scheduled(t) => Some(format!("scheduled for {}", crate::time::human_in(t, tz))),
        Timing::Missed => Some(format!(
            "missed: {} is more than {} ago",
            crate::time::human_in(p.variant.front.publish_at.expect("missed has a time"), tz),
            friendly_duration(instance.settings.max_delay)
        )),
        Timing::Expired => Some("expired".into()),
    }
}

fn friendly_duration(d: jiff::SignedDuration) -> String {
    let hours = d.as_secs() / 3600;
    if hours * 3600 == d.as_secs() {
        format!("{hours} hours")
    } else {
        format!("{} minutes", d.as_secs() / 60)
    }
}

#[derive(Serialize)]
struct DryRun<'a> {
    at: String,
    due: Vec<DuePost<'a>>,
    held: Vec<Held<'a>>,
}

#[derive(Serialize)]
struct DuePost<'a> {
    id: &'a str,
    lang: &'a str,
    channel: &'a str,
    kind: &'static str,
    parts: &'a [crate::render::Part],
    requests: Vec<crate::channel::Request>,
    ok: bool,
}

#[derive(Serialize)]
struct Held<'a> {
    id: &'a str,
    lang: &'a str,
    reason: String,
}

pub fn dry_run(instance: &Instance, global: &Global) -> anyhow::Result<Exit> {
    let plan = instance.plan(global.channel.as_deref());
    let tz = &instance.settings.tz;
    let mut due = Vec::new();
    let mut held = Vec::new();
    for p in &plan {
        match hold_reason(instance, p) {
            Some(reason) => held.push((p, reason)),
            None => due.push(p),
        }
    }
    let problems = due
        .iter()
        .any(|p| p.diagnostics.iter().any(Diagnostic::is_error));
    let mut out = anstream::stdout().lock();
    if global.format == Format::Json {
        let doc = DryRun {
            at: crate::time::rfc3339_in(instance.now, tz),
            due: due
                .iter()
                .flat_map(|p| p.posts.iter().filter(|post| !post.skipped))
                .map(|post| DuePost {
                    id: &post.variant.id,
                    lang: &post.variant.lang,
                    channel: post.channel.name(),
                    kind: post.channel.kind().name(),
                    parts: &post.parts,
                    requests: post.channel.requests(post),
                    ok: post.ok(),
                })
                .collect(),
            held: held
                .iter()
                .map(|(p, reason)| Held {
                    id: &p.variant.id,
                    lang: &p.variant.lang,
                    reason: reason.clone(),
                })
                .collect(),
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(if problems { Exit::Problems } else { Exit::Ok });
    }

    writeln!(
        out,
        "{BOLD}Dry run at {}{BOLD:#}: nothing is sent and nothing is written.\n",
        crate::time::human_in(instance.now, tz)
    )?;
    if due.is_empty() {
        writeln!(out, "Nothing is due.\n")?;
    }
    for p in &due {
        let v = p.variant;
        let since = v
            .front
            .publish_at
            .map(|t| crate::time::human_in(t, tz))
            .unwrap_or_default();
        writeln!(
            out,
            "{BOLD}{}{BOLD:#} [{}] {GOOD}due{GOOD:#} since {since}",
            v.id, v.lang
        )?;
        for d in p.diagnostics.iter().filter(|d| d.is_error()) {
            writeln!(out, "  {ERROR}error{ERROR:#}: {}", d.message)?;
        }
        for post in &p.posts {
            let c = post.channel;
            if post.skipped {
                writeln!(
                    out,
                    "  → {} {DIM}skipped (overrides.{}.skip){DIM:#}",
                    c.name(),
                    c.name()
                )?;
                continue;
            }
            let unit = c.rules().counter.unit();
            writeln!(
                out,
                "  → {BOLD}{}{BOLD:#} ({}, {})",
                c.name(),
                c.kind(),
                c.lang()
            )?;
            if let Some(subject) = &post.subject {
                writeln!(out, "    Subject: {subject}")?;
            }
            for (i, part) in post.parts.iter().enumerate() {
                let length = match part.limit {
                    Some(l) => format!("{}/{l} {unit}", part.length),
                    None => format!("{} {unit}", part.length),
                };
                let label = if post.parts.len() > 1 {
                    format!("part {} of {}, {length}", i + 1, post.parts.len())
                } else {
                    length
                };
                let style = if part.limit.is_some_and(|l| part.length > l) {
                    ERROR
                } else {
                    DIM
                };
                writeln!(out, "    {style}┌ {label}{style:#}")?;
                for line in part.text.lines() {
                    writeln!(out, "    {DIM}│{DIM:#} {line}")?;
                }
                writeln!(out, "    {DIM}└{DIM:#}")?;
            }
            for request in c.requests(post) {
                writeln!(out, "    {DIM}{}{DIM:#}", request.action)?;
                if global.verbose {
                    for line in serde_json::to_string_pretty(&request.body)?.lines() {
                        writeln!(out, "      {line}")?;
                    }
                }
            }
        }
        writeln!(out)?;
    }
    if !held.is_empty() && !global.quiet {
        writeln!(out, "{BOLD}Not going out now{BOLD:#}")?;
        for (p, reason) in &held {
            writeln!(
                out,
                "  {} [{}] {WARNING}{reason}{WARNING:#}",
                p.variant.id, p.variant.lang
            )?;
        }
        writeln!(out)?;
    }
    let posts: usize = due
        .iter()
        .map(|p| p.posts.iter().filter(|x| !x.skipped).count())
        .sum();
    let hint = if global.verbose {
        ""
    } else {
        " (-v shows each request body)"
    };
    writeln!(
        out,
        "{posts} post(s) would be sent{hint}; run without --dry-run to publish."
    )?;
    Ok(if problems { Exit::Problems } else { Exit::Ok })
}

/// Publishing for real. The network clients and the ledger arrive with the publish
/// engine; until then this refuses clearly instead of pretending.
pub fn run(
    instance: &Instance,
    global: &Global,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<Exit> {
    let mut err = anstream::stderr().lock();
    let missing = instance.missing_secrets(env);
    for d in &missing {
        writeln!(err, "{ERROR}error{ERROR:#}: {}", d.message)?;
    }
    let _ = global;
    writeln!(
        err,
        "{ERROR}error{ERROR:#}: this version of herald can only preview: use `herald publish --dry-run`; \
         sending to the platforms comes with the publish engine"
    )?;
    Ok(Exit::Problems)
}
