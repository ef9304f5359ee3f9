//! `herald check`: validate everything, render every post, touch nothing.

use super::output::{self, BOLD, CheckDocument, DIM, ERROR, GOOD, PostDoc, VariantDoc, WARNING};
use super::{Exit, Instance};
use crate::cli::{Format, Global};
use crate::diagnostic::Diagnostic;
use std::collections::BTreeMap;
use std::io::Write;

pub fn run(
    instance: &Instance,
    global: &Global,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<Exit> {
    let mut plan = instance.plan(global.channel.as_deref());
    let (_store, history) = super::state_and_ledger(&instance.settings, crate::state::Fetch::No)?;
    for p in &mut plan {
        if let Some(d) = past_and_not_sent(instance, p, &history) {
            p.diagnostics.push(d);
        }
    }
    let mut loose = instance.loose_diagnostics();
    loose.extend(instance.missing_secrets(env));
    let errors = loose.iter().filter(|d| d.is_error()).count()
        + plan
            .iter()
            .flat_map(|p| &p.diagnostics)
            .filter(|d| d.is_error())
            .count();
    let warnings = loose.len() + plan.iter().map(|p| p.diagnostics.len()).sum::<usize>() - errors;
    let mut out = anstream::stdout().lock();

    match global.format {
        Format::Json => {
            let doc = CheckDocument {
                announcements: plan
                    .iter()
                    .map(|p| VariantDoc {
                        id: &p.variant.id,
                        lang: &p.variant.lang,
                        path: crate::diagnostic::display_path(&p.variant.path),
                        state: p.state.name(),
                        publish_at: p
                            .variant
                            .front
                            .publish_at
                            .map(|t| crate::time::rfc3339_in(t, &instance.settings.tz)),
                        posts: p
                            .posts
                            .iter()
                            .filter(|post| !post.skipped)
                            .map(|post| PostDoc {
                                channel: post.channel.name(),
                                kind: post.channel.kind().name(),
                                parts: &post.parts,
                                ok: post.ok(),
                            })
                            .collect(),
                        diagnostics: p.diagnostics.clone(),
                    })
                    .collect(),
                diagnostics: loose,
            };
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        Format::Text | Format::Markdown => {
            let all: Vec<&Diagnostic> = loose
                .iter()
                .chain(plan.iter().flat_map(|p| &p.diagnostics))
                .collect();
            output::print_diagnostics(&mut out, all)?;
            if !global.quiet {
                if errors + warnings > 0 {
                    writeln!(out)?;
                }
                for p in &plan {
                    let v = p.variant;
                    let style = if p.state.publishable() {
                        GOOD
                    } else if p.diagnostics.iter().any(Diagnostic::is_error) {
                        ERROR
                    } else {
                        WARNING
                    };
                    writeln!(
                        out,
                        "{BOLD}{}{BOLD:#} [{}] {style}{}{style:#} {DIM}{}{DIM:#}",
                        v.id,
                        v.lang,
                        p.verdict.describe(),
                        crate::diagnostic::display_path(&v.path)
                    )?;
                    for post in &p.posts {
                        let name = post.channel.name();
                        if post.skipped {
                            writeln!(out, "  {name:<16} {DIM}skipped (overrides){DIM:#}")?;
                            continue;
                        }
                        let counter = post.channel.rules().counter;
                        let mark = if post.ok() {
                            format!("{GOOD}ok{GOOD:#}")
                        } else {
                            format!("{ERROR}problem{ERROR:#}")
                        };
                        // "155 of 500 characters"; a thread: "thread of 2 parts: 270 of
                        // 280, 96 of 280 characters as X counts them".
                        let shape = match &post.parts[..] {
                            [one] => counter.of(one.length, one.limit),
                            parts => {
                                let lengths: Vec<String> = parts
                                    .iter()
                                    .map(|part| match part.limit {
                                        Some(l) => format!("{} of {l}", part.length),
                                        None => part.length.to_string(),
                                    })
                                    .collect();
                                format!(
                                    "thread of {} parts: {} {}",
                                    parts.len(),
                                    lengths.join(", "),
                                    counter.unit()
                                )
                            }
                        };
                        writeln!(out, "  {name:<16} {mark}  {shape}")?;
                    }
                }
                writeln!(out)?;
            }
            let files = instance.variants().count();
            let summary = format!(
                "checked {files} announcement {}: {}",
                if files == 1 { "file" } else { "files" },
                output::counts(errors, warnings)
            );
            if errors > 0 {
                writeln!(out, "{ERROR}{summary}{ERROR:#}")?;
            } else if !global.quiet {
                writeln!(out, "{GOOD}{summary}{GOOD:#}")?;
            }
        }
    }
    Ok(if errors > 0 { Exit::Problems } else { Exit::Ok })
}

/// A warning for a variant whose `publish_at` has passed while some of its posts have not
/// gone out: it goes out late at the next run, or is missed, and the writer should know.
fn past_and_not_sent(
    instance: &Instance,
    p: &super::Planned<'_>,
    history: &crate::ledger::History,
) -> Option<Diagnostic> {
    let v = p.variant;
    let at = v.front.publish_at.filter(|&t| t <= instance.now)?;
    if v.front.expires_at.is_some_and(|e| e <= instance.now) {
        return None;
    }
    let waiting: Vec<String> = p
        .posts
        .iter()
        .filter(|post| !post.skipped)
        .filter(|post| {
            let key = crate::ledger::Key {
                id: v.id.clone(),
                lang: v.lang.clone(),
                channel: post.channel.name().to_owned(),
                part: 1,
            };
            !matches!(
                history.state(&key),
                Some(crate::ledger::KeyState::Posted { .. })
            )
        })
        .map(|post| format!("`{}`", post.channel.name()))
        .collect();
    if waiting.is_empty() {
        return None;
    }
    let s = &instance.settings;
    let max_delay = s.publishing.max_delay;
    let late = instance.now.duration_since(at) > max_delay;
    let what = if late {
        "it is too late to go out by itself (more than `max_delay` ago): set a new `publish_at`, or publish it with `--allow-late`"
    } else {
        "it goes out late at the next publish run once approved; set a new `publish_at` if that is not what you want"
    };
    Some(Diagnostic::warning(
        &v.path,
        v.front.publish_at_position,
        format!(
            "`publish_at` ({}) has already passed and this has not gone out to {}; {what}",
            crate::time::human_in(at, &s.tz),
            waiting.join(", ")
        ),
    ))
}
