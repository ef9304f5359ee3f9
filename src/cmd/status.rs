//! `herald status`: per announcement variant and channel, where things stand.

use super::output::{BOLD, DIM, ERROR, GOOD, WARNING};
use super::{Exit, Instance, Planned};
use crate::approval::State;
use crate::cli::{Format, Global};
use crate::engine::list::doubt;
use crate::ledger::{History, Key};
use crate::plan::fate::{self, Fate};
use crate::state::Store;
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
    /// An email list not posted yet: how many recipients are in doubt (their message
    /// was on its way when a run stopped), from the list's send log; absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    in_doubt_recipients: Option<usize>,
    /// What the text says about them, and the commands that decide.
    #[serde(skip)]
    doubt: Option<String>,
    /// The fate in the words people read ([`Fate::label`]).
    #[serde(skip)]
    label: String,
    #[serde(skip)]
    fate: Fate,
}

/// For an email list not posted yet: the recipients in doubt (if any) and what to say
/// about them.
fn list_doubt(
    store: &Store,
    history: &History,
    id: &str,
    lang: &str,
    channel: &dyn crate::channel::Channel,
    fate: &Fate,
) -> (Option<usize>, Option<String>) {
    if channel.email().is_none() || matches!(fate, Fate::Posted { .. }) {
        return (None, None);
    }
    let name = channel.name();
    match doubt::recipients(store.files(), &store.dir(), history, id, name) {
        Ok(Some(d)) if !d.ids.is_empty() => {
            let key = Key {
                id: id.to_owned(),
                lang: lang.to_owned(),
                channel: name.to_owned(),
                part: 1,
            };
            let n = d.ids.len();
            let words = if doubt::waits_for_a_person(history, std::iter::once(&key)) {
                doubt::words(n, id, name)
            } else {
                doubt::unfinished_words(n)
            };
            (Some(n), Some(words))
        }
        Ok(_) => (None, None),
        Err(e) => (
            None,
            Some(format!("cannot count the recipients in doubt: {e}")),
        ),
    }
}

/// How a person tells Herald whether a post that may have gone out is there.
fn tell(id: &str, channel: &str) -> String {
    format!(
        "`herald resolve {id} {channel} --posted URL` if the post is there, `herald resolve {id} {channel} --not-posted` if it is not"
    )
}

/// The detail line `status` shows under a channel, from its fate.
fn detail(fate: &Fate, id: &str, channel: &str, tz: &jiff::tz::TimeZone) -> Option<String> {
    match fate {
        Fate::InDoubt {
            since, retry: true, ..
        } => Some(format!(
            "a run stopped at {} before the network answered. The next run asks the network, where the network lets it, and posts it only if it is not there; where it cannot ask, check the account, then tell Herald: {}",
            crate::time::human_in(*since, tz),
            tell(id, channel)
        )),
        Fate::InDoubt { since, .. } => Some(format!(
            "a run stopped at {} before the network answered, so Herald cannot tell whether it went out, and does not post it again. Check the account; then tell Herald: {}",
            crate::time::human_in(*since, tz),
            tell(id, channel)
        )),
        Fate::Failed {
            attempts, message, ..
        } => Some(format!("{message} ({attempts} attempt(s))")),
        Fate::Blocked { reason } => Some(format!("not sent: {reason}")),
        Fate::Waiting { langs } => Some(fate::waiting_words(langs)),
        Fate::Change { change, .. } => Some(crate::plan::change::change_words(change)),
        Fate::ChangedAfterPosting { .. } => Some(crate::plan::change::CHANGED_AFTER_POSTING.into()),
        Fate::Retracted { reason, left, .. } => {
            Some(crate::plan::change::retracted_words(reason, left))
        }
        _ => None,
    }
}

/// How a fate is coloured: fine, needs a look, or needs fixing.
fn style(fate: &Fate) -> anstyle::Style {
    match fate {
        Fate::Due | Fate::Scheduled { .. } | Fate::Posted { .. } | Fate::Change { .. } => GOOD,
        Fate::Retracted { left, .. } if left.is_empty() => WARNING,
        Fate::Retracted { .. } | Fate::ChangedAfterPosting { .. } => ERROR,
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

pub fn run(
    instance: &Instance,
    global: &Global,
    env: &std::collections::BTreeMap<String, String>,
) -> anyhow::Result<Exit> {
    let (store, history) =
        super::state_and_ledger(&instance.settings, crate::state::Fetch::BestEffort)?;
    let tz = &instance.settings.tz;
    let mut plan = instance.plan(global.channel.as_deref());
    // Approvals by review are checked (with GitHub's API) for what is due now.
    if instance.settings.policy.by_review() {
        let reviews = crate::plan::review::Reviews::from_env(global, env);
        instance.settle_reviews(&mut plan, &reviews, |p| {
            crate::plan::review::due_and_pending(instance, p, &history, false)
        });
    }
    let rows = variant_rows(instance, &store, global, &plan, &history);
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
    store: &Store,
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
                    let (in_doubt_recipients, doubt) =
                        list_doubt(store, history, &v.id, &v.lang, c, &fate);
                    ChannelStatus {
                        channel: c.name(),
                        kind: c.kind().name(),
                        status: fate.word(),
                        label: fate.label(),
                        urls: fate.urls().to_vec(),
                        detail: detail(&fate, &v.id, c.name(), tz),
                        in_doubt_recipients,
                        doubt,
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
            let status = &c.label;
            writeln!(
                out,
                "  {:<16} {style}{status}{style:#} {}",
                c.channel,
                c.urls.join(" ")
            )?;
            if let Some(detail) = &c.detail {
                writeln!(out, "  {:<16} {DIM}{detail}{DIM:#}", "")?;
            }
            if let Some(doubt) = &c.doubt {
                writeln!(out, "  {:<16} {style}{doubt}{style:#}", "")?;
            }
        }
    }
    Ok(())
}
