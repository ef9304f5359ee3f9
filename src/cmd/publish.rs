//! `herald publish`: what is due now. The dry run prints exactly the requests each
//! channel would receive, recorded from the engine running the channels' own senders
//! ([`crate::dry_run`]); it writes no file and sends nothing (the only network calls are
//! read-only public lookups, such as resolving a Bluesky handle).

use super::output::{BOLD, DIM, ERROR, GOOD, WARNING};
use super::{Exit, Instance, Planned, UsageError};
use crate::channel::SendContext;
use crate::cli::{Format, Global};
use crate::diagnostic::Diagnostic;
use crate::engine::{self, ChannelRun, Clock, Outcome, Row, Shared};
use crate::ledger::{self, History};
use crate::plan::fate::{self, Fate};
use crate::plan::jobs::{self, broken_words, select, unreadable};
use crate::schedule::{Timing, timing};
use crate::time::friendly_duration;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

/// Why a variant (or post) does not go out now, in the dry run's words.
fn held_words(instance: &Instance, fate: &Fate) -> String {
    let tz = &instance.settings.tz;
    match fate {
        Fate::NotApproved { reason, .. } => reason.clone(),
        Fate::Broken { reason } => format!("not sent: {reason}"),
        Fate::Unscheduled => "no `publish_at`".into(),
        Fate::Scheduled { at } => format!("scheduled for {}", crate::time::human_in(*at, tz)),
        Fate::Missed { at, .. } => format!(
            "missed: {} is more than {} ago",
            crate::time::human_in(*at, tz),
            friendly_duration(instance.settings.publishing.max_delay)
        ),
        Fate::Expired => "expired".into(),
        Fate::Posted { .. } => "already posted".into(),
        Fate::Skipped => "skipped".into(),
        Fate::InDoubt { .. } => {
            "not sure it went out: an earlier run stopped before the network answered".into()
        }
        Fate::Blocked { reason } => format!("not sent: {reason}"),
        Fate::Failed { message, .. } => format!("failed earlier: {message}"),
        Fate::Waiting { langs } => fate::waiting_words(langs),
        Fate::Due => "due".into(),
        Fate::Change { change, .. } => crate::plan::change::change_words(change),
        Fate::ChangedAfterPosting { .. } => crate::plan::change::CHANGED_AFTER_POSTING.into(),
        Fate::Retracted { reason, left, .. } => crate::plan::change::retracted_words(reason, left),
    }
}

#[derive(Serialize)]
struct DryRun<'a> {
    at: String,
    due: Vec<DuePost<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    changes: Vec<DueChange<'a>>,
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
    /// What is sent differently from the parts above, and why (an unresolved mention).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
    /// Why sending would fail.
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<String>,
    ok: bool,
    /// Email lists: the recipients in this language and the whole message for a sample
    /// subscriber, as the text dry run shows them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    email: Vec<String>,
}

/// A correction or a retraction in the JSON dry run.
#[derive(Serialize)]
struct DueChange<'a> {
    id: &'a str,
    lang: &'a str,
    channel: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    retraction: Option<&'a str>,
    steps: Vec<DueStep<'a>>,
    /// The new text of each part (what edits and reposts send).
    parts: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notice: &'a [String],
    /// A correction message to a list: who gets it and the message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    email: Vec<String>,
    requests: Vec<crate::channel::Request>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<String>,
}

#[derive(Serialize)]
struct DueStep<'a> {
    action: &'static str,
    part: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<&'a str>,
    words: String,
}

#[derive(Serialize)]
struct Held<'a> {
    id: &'a str,
    lang: &'a str,
    /// Set when one post of a due variant is held (failed for good, in doubt with no way
    /// to check, an error in that channel's post); absent when the whole variant is.
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    reason: String,
}

/// What the dry run shows: the due variants with each post's fate, and the variants
/// held back with theirs. Decided by [`fate`]; printed by [`print_dry_json`] and
/// [`print_dry_text`].
struct DryPlan<'p, 'a> {
    /// Corrections and retractions of posts that went out, with what they would send.
    changes: Vec<(
        &'p crate::render::Post<'a>,
        crate::engine::change::ChangeJob,
        crate::dry_run::Recorded,
    )>,
    due: Vec<(&'p Planned<'a>, Vec<Fate>)>,
    held: Vec<(&'p Planned<'a>, Fate)>,
    /// What the engine, run on recording senders, would send for each post it sends
    /// ([`crate::dry_run`]); email lists show their own lines.
    recorded: BTreeMap<(String, String, String), crate::dry_run::Recorded>,
    /// For each (announcement, list) with a correction message due: the languages the
    /// announcement went to the list in (who gets the correction).
    sent: BTreeMap<(String, String), Vec<String>>,
}

impl<'p, 'a> DryPlan<'p, 'a> {
    fn new(
        instance: &Instance,
        plan: &'p [Planned<'a>],
        history: &History,
        allow_late: bool,
    ) -> Self {
        let mut due = Vec::new();
        let mut held = Vec::new();
        let mut changes = Vec::new();
        for p in plan {
            let mut changing = false;
            for post in &p.posts {
                let name = post.channel.name();
                if let Fate::Change { change, .. } =
                    fate::fate(instance, plan, p, name, Some(post), history, allow_late)
                {
                    changing = true;
                    let cj = crate::engine::change::ChangeJob {
                        job: jobs::job(instance, p, post),
                        change,
                    };
                    changes.push((post, cj));
                }
            }
            let whole = fate::variant_fate(instance, p, history, allow_late);
            if changing && whole != Fate::Due {
                continue;
            }
            match whole {
                Fate::Due => {
                    let fates = p
                        .posts
                        .iter()
                        .map(|post| {
                            let name = post.channel.name();
                            fate::fate(instance, plan, p, name, Some(post), history, allow_late)
                        })
                        .collect();
                    due.push((p, fates));
                }
                other => held.push((p, other)),
            }
        }
        let jobs: Vec<crate::engine::change::ChangeJob> =
            changes.iter().map(|(_, cj)| cj.clone()).collect();
        let recorded =
            crate::dry_run::record_changes(&instance.settings, &jobs, history, instance.now);
        let changes: Vec<_> = changes
            .into_iter()
            .zip(recorded)
            .map(|((post, cj), r)| (post, cj, r))
            .collect();
        let sent = changes
            .iter()
            .filter(|(_, cj, _)| cj.change.list)
            .map(|(_, cj, _)| {
                let key = (cj.job.id.clone(), cj.job.channel.clone());
                let langs = jobs::sent_langs(history, &cj.job.id, &cj.job.channel);
                (key, langs)
            })
            .collect();
        let mut dry = DryPlan {
            changes,
            due,
            held,
            recorded: BTreeMap::new(),
            sent,
        };
        let posts: Vec<(&crate::render::Post<'_>, &str)> = dry
            .sent()
            .filter(|(_, post)| instance.channel_of(post).email().is_none())
            .map(|(p, post)| (post, p.verdict.hash.as_deref().unwrap_or_default()))
            .collect();
        let recorded = crate::dry_run::record(&instance.settings, &posts, instance.now);
        dry.recorded = posts
            .iter()
            .map(|(post, _)| post_key(post))
            .zip(recorded)
            .collect();
        dry
    }

    /// A correction message's lines for the dry run ([`crate::engine::list::notice_lines`]);
    /// empty when `cj` sends none.
    fn notice_lines(
        &self,
        instance: &Instance,
        ctx: &crate::engine::list::Context<'_>,
        post: &crate::render::Post<'_>,
        cj: &crate::engine::change::ChangeJob,
    ) -> Vec<String> {
        use crate::ledger::Action;
        if !cj.change.list || !cj.change.to_do().any(|s| s.action == Action::Notice) {
            return Vec::new();
        }
        let sent = self
            .sent
            .get(&(cj.job.id.clone(), cj.job.channel.clone()))
            .cloned()
            .unwrap_or_default();
        let corrected = jobs::notice_variant(post.variant);
        let c = instance.channel_of(post);
        crate::engine::list::notice_lines(c, (&corrected, &cj.job.hash), sent, ctx)
    }

    /// What `post` would send: the recorded requests, or an email list's message.
    fn recorded(
        &self,
        instance: &Instance,
        post: &crate::render::Post<'_>,
    ) -> crate::dry_run::Recorded {
        match instance.channel_of(post).email() {
            Some(config) => crate::dry_run::Recorded {
                requests: vec![crate::channel::email_request(config, post)],
                ..Default::default()
            },
            None => self
                .recorded
                .get(&post_key(post))
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// What the real run would fail for, the dry run fails for too.
    fn problems(&self) -> bool {
        self.held
            .iter()
            .any(|(_, f)| matches!(f, Fate::Broken { .. }))
            || self
                .due
                .iter()
                .any(|(p, _)| p.diagnostics.iter().any(Diagnostic::is_error))
    }

    /// The due posts that would be sent (with their variant's plan): neither posted
    /// already, skipped, nor waiting for another language.
    fn sent(&self) -> impl Iterator<Item = (&'p Planned<'a>, &'p crate::render::Post<'a>)> + '_ {
        self.due.iter().flat_map(|(p, fates)| {
            p.posts
                .iter()
                .zip(fates)
                .filter(|(_, f)| f.sends() && !matches!(f, Fate::Change { .. }))
                .map(|(post, _)| (*p, post))
        })
    }

    /// The posts of due variants that this run reports without sending, with their fate.
    fn held_posts(&self) -> impl Iterator<Item = (&'p crate::render::Post<'a>, &Fate)> + '_ {
        self.due.iter().flat_map(|(p, fates)| {
            p.posts.iter().zip(fates).filter(|(_, f)| {
                !f.sends()
                    && !matches!(
                        f,
                        Fate::Posted { .. } | Fate::Skipped | Fate::Waiting { .. }
                    )
            })
        })
    }

    fn due_variants(&self) -> Vec<&'p Planned<'a>> {
        self.due.iter().map(|(p, _)| *p).collect()
    }
}

/// The dry run's reason for a held variant.
fn held_reason(instance: &Instance, p: &Planned<'_>, fate: &Fate) -> String {
    match fate {
        Fate::Broken { reason } => broken_words(&p.variant.path, reason),
        other => held_words(instance, other),
    }
}

pub fn dry_run(
    instance: &Instance,
    global: &Global,
    env: &BTreeMap<String, String>,
    allow_late: bool,
) -> anyhow::Result<Exit> {
    // Read without the lock: a dry run changes nothing (and pushes nothing).
    let (_store, history) =
        super::state_and_ledger(&instance.settings, crate::state::Fetch::BestEffort)?;
    dry_run_with(instance, global, env, allow_late, &history)
}

fn dry_run_with(
    instance: &Instance,
    global: &Global,
    env: &BTreeMap<String, String>,
    allow_late: bool,
    history: &History,
) -> anyhow::Result<Exit> {
    let mut plan = instance.plan(global.channel.as_deref());
    let reviews = crate::plan::review::Reviews::from_env(global, env);
    instance.settle_reviews(&mut plan, &reviews, |p| {
        crate::plan::review::due_and_pending(instance, p, history, allow_late)
    });
    let dry = DryPlan::new(instance, &plan, history, allow_late);
    if global.format == Format::Json {
        print_dry_json(instance, global, env, &dry)?;
    } else {
        print_dry_text(instance, global, env, &dry)?;
    }
    Ok(if dry.problems() {
        Exit::Problems
    } else {
        Exit::Ok
    })
}

fn print_dry_json(
    instance: &Instance,
    global: &Global,
    env: &BTreeMap<String, String>,
    dry: &DryPlan<'_, '_>,
) -> anyhow::Result<()> {
    let due = dry.due_variants();
    let email = email_context(instance, global, env, local_store(instance));
    let doc = DryRun {
        at: crate::time::rfc3339_in(instance.now, &instance.settings.tz),
        due: dry
            .sent()
            .map(|(_, post)| (post, dry.recorded(instance, post)))
            .map(|(post, recorded)| DuePost {
                id: &post.variant.id,
                lang: &post.variant.lang,
                channel: post.channel.name(),
                kind: post.channel.kind().name(),
                parts: &post.parts,
                requests: recorded.requests,
                notes: recorded.notes,
                failure: recorded.failure,
                ok: post.ok(),
                email: if instance.channel_of(post).email().is_some() {
                    let c = instance.channel_of(post);
                    let siblings = email_siblings(&due, post.variant, c);
                    crate::engine::list::dry_run_lines(c, post.variant, &siblings, &email)
                } else {
                    Vec::new()
                },
            })
            .collect(),
        changes: dry
            .changes
            .iter()
            .map(|(post, cj, recorded)| DueChange {
                id: &post.variant.id,
                lang: &post.variant.lang,
                channel: post.channel.name(),
                kind: post.channel.kind().name(),
                retraction: cj.change.retraction.as_deref(),
                steps: cj
                    .change
                    .to_do()
                    .map(|s| DueStep {
                        action: s.action.name(),
                        part: s.part,
                        remote_id: s.live.as_ref().and_then(|l| l.remote_id.as_deref()),
                        url: s.live.as_ref().and_then(|l| l.url.as_deref()),
                        why: s.why.as_deref(),
                        words: crate::engine::change::step_words(s, &cj.change),
                    })
                    .collect(),
                parts: &cj.job.parts,
                notice: &cj.change.notice,
                email: dry.notice_lines(instance, &email, post, cj),
                requests: recorded.requests.clone(),
                failure: recorded.failure.clone(),
            })
            .collect(),
        held: dry
            .held
            .iter()
            .map(|(p, fate)| Held {
                id: &p.variant.id,
                lang: &p.variant.lang,
                channel: None,
                reason: held_reason(instance, p, fate),
            })
            .chain(dry.held_posts().map(|(post, fate)| Held {
                id: &post.variant.id,
                lang: &post.variant.lang,
                channel: Some(post.channel.name()),
                reason: held_words(instance, fate),
            }))
            .collect(),
    };
    let mut out = anstream::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &doc)?;
    writeln!(out)?;
    Ok(())
}

fn print_dry_text(
    instance: &Instance,
    global: &Global,
    env: &BTreeMap<String, String>,
    dry: &DryPlan<'_, '_>,
) -> anyhow::Result<()> {
    let tz = &instance.settings.tz;
    let due = dry.due_variants();
    let email = email_context(instance, global, env, local_store(instance));
    let mut out = anstream::stdout().lock();
    writeln!(
        out,
        "{BOLD}Dry run at {}{BOLD:#}: nothing is sent and nothing is written.\n",
        crate::time::human_in(instance.now, tz)
    )?;
    if dry.due.is_empty() && dry.changes.is_empty() {
        writeln!(out, "Nothing is due.\n")?;
    }
    for (p, fates) in &dry.due {
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
        for (post, fate) in p.posts.iter().zip(fates) {
            let c = instance.channel_of(post);
            match fate {
                Fate::Posted { .. } => {
                    writeln!(out, "  → {} {DIM}already posted{DIM:#}", c.name())?;
                    continue;
                }
                Fate::Skipped => {
                    writeln!(
                        out,
                        "  → {} {DIM}skipped (overrides.{}.skip){DIM:#}",
                        c.name(),
                        c.name()
                    )?;
                    continue;
                }
                Fate::Waiting { langs } => {
                    let why = fate::waiting_words(langs);
                    writeln!(out, "  → {} {WARNING}{why}{WARNING:#}", c.name())?;
                    continue;
                }
                Fate::Change { change, .. } => {
                    let why = crate::plan::change::change_words(change);
                    writeln!(out, "  → {} {GOOD}{why}{GOOD:#} (below)", c.name())?;
                    continue;
                }
                // What the real run reports and does not send (failed for good, in doubt
                // with no way to check, an error in this channel's post).
                other if !other.sends() => {
                    let why = held_words(instance, other);
                    writeln!(out, "  → {} {ERROR}{why}{ERROR:#}", c.name())?;
                    continue;
                }
                _ => {}
            }
            writeln!(
                out,
                "  → {BOLD}{}{BOLD:#} ({}, {})",
                c.name(),
                c.kind(),
                c.lang()
            )?;
            if c.email().is_some() {
                // An email list: recipients per language and the whole message.
                let siblings = email_siblings(&due, v, c);
                for line in crate::engine::list::dry_run_lines(c, v, &siblings, &email) {
                    writeln!(out, "    {line}")?;
                }
                continue;
            }
            print_post(&mut out, global, c, post, &dry.recorded(instance, post))?;
        }
        writeln!(out)?;
    }
    if !dry.changes.is_empty() {
        writeln!(out, "{BOLD}Corrections and retractions{BOLD:#}")?;
        for (post, cj, recorded) in &dry.changes {
            let lines = dry.notice_lines(instance, &email, post, cj);
            print_change(
                &mut out,
                global,
                instance.channel_of(post),
                (post, cj),
                recorded,
                &lines,
            )?;
        }
        writeln!(out)?;
    }
    if !dry.held.is_empty() && !global.quiet {
        writeln!(out, "{BOLD}Not going out now{BOLD:#}")?;
        for (p, fate) in &dry.held {
            writeln!(
                out,
                "  {} [{}] {WARNING}{}{WARNING:#}",
                p.variant.id,
                p.variant.lang,
                held_reason(instance, p, fate)
            )?;
        }
        writeln!(out)?;
    }
    let posts = dry.sent().count();
    let hint = if global.verbose {
        ""
    } else {
        " (-v shows each request body)"
    };
    let changes = if dry.changes.is_empty() {
        String::new()
    } else {
        format!(", {} post(s) corrected or withdrawn", dry.changes.len())
    };
    writeln!(
        out,
        "{posts} post(s) would be sent{changes}{hint}; run without --dry-run to publish."
    )?;
    Ok(())
}

/// One post as the text dry run shows it: subject, each part with its length, and the
/// requests (their bodies with `-v`).
fn print_post(
    out: &mut impl Write,
    global: &Global,
    c: &dyn crate::channel::Channel,
    post: &crate::render::Post<'_>,
    recorded: &crate::dry_run::Recorded,
) -> anyhow::Result<()> {
    let counter = c.rules().counter;
    if let Some(subject) = &post.subject {
        writeln!(out, "    Subject: {subject}")?;
    }
    for (i, part) in post.parts.iter().enumerate() {
        let length = counter.of(part.length, part.limit);
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
    for request in &recorded.requests {
        writeln!(out, "    {DIM}{}{DIM:#}", request.action)?;
        if global.verbose {
            for line in serde_json::to_string_pretty(&request.body)?.lines() {
                writeln!(out, "      {line}")?;
            }
        }
    }
    for note in &recorded.notes {
        writeln!(out, "    {WARNING}note{WARNING:#}: {note}")?;
    }
    if let Some(why) = &recorded.failure {
        writeln!(out, "    {ERROR}would fail{ERROR:#}: {why}")?;
    }
    Ok(())
}

/// One correction or retraction as the text dry run shows it: each step in words, the
/// new text of what is edited or posted, and the requests.
fn print_change(
    out: &mut impl Write,
    global: &Global,
    c: &dyn crate::channel::Channel,
    (post, cj): (&crate::render::Post<'_>, &crate::engine::change::ChangeJob),
    recorded: &crate::dry_run::Recorded,
    email: &[String],
) -> anyhow::Result<()> {
    use crate::ledger::Action;
    let v = post.variant;
    let what = match &cj.change.retraction {
        Some(reason) => format!("withdraw ({reason})"),
        None => "correct".into(),
    };
    writeln!(
        out,
        "{BOLD}{}{BOLD:#} [{}] → {BOLD}{}{BOLD:#} ({}): {what}",
        v.id,
        v.lang,
        c.name(),
        c.kind()
    )?;
    for step in cj.change.to_do() {
        let words = crate::engine::change::step_words(step, &cj.change);
        let at = step
            .live
            .as_ref()
            .and_then(|l| l.url.as_deref())
            .map(|u| format!("  {DIM}{u}{DIM:#}"))
            .unwrap_or_default();
        writeln!(out, "  {words}{at}")?;
        let text = match step.action {
            Action::Edit | Action::Repost => cj.job.parts.get(step.part as usize - 1),
            Action::Notice if !email.is_empty() => {
                for line in email {
                    writeln!(out, "    {line}")?;
                }
                None
            }
            Action::Notice => cj.change.notice.get(step.part as usize - 1),
            Action::Leave => {
                if let Some(why) = &step.why {
                    writeln!(out, "    {WARNING}{why}{WARNING:#}")?;
                }
                None
            }
            Action::Delete | Action::DeleteNotice => None,
        };
        if let Some(text) = text {
            writeln!(out, "    {DIM}┌ new text{DIM:#}")?;
            for line in text.lines() {
                writeln!(out, "    {DIM}│{DIM:#} {line}")?;
            }
            writeln!(out, "    {DIM}└{DIM:#}")?;
        }
    }
    for request in &recorded.requests {
        writeln!(out, "    {DIM}{}{DIM:#}", request.action)?;
        if global.verbose {
            for line in serde_json::to_string_pretty(&request.body)?.lines() {
                writeln!(out, "      {line}")?;
            }
        }
    }
    if let Some(why) = &recorded.failure {
        writeln!(out, "    {ERROR}would fail{ERROR:#}: {why}")?;
    }
    Ok(())
}

/// `(id, lang, channel)` of a post.
fn post_key(post: &crate::render::Post<'_>) -> (String, String, String) {
    (
        post.variant.id.clone(),
        post.variant.lang.clone(),
        post.channel.name().to_owned(),
    )
}

#[derive(Serialize)]
struct RunReport<'a> {
    at: String,
    rows: &'a [Row],
    summary: BTreeMap<&'static str, usize>,
}

/// Publishes what is due: the engine, then the report.
pub fn run(
    instance: &Instance,
    global: &Global,
    env: &BTreeMap<String, String>,
    allow_late: bool,
) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    let gh = crate::github::Env::from_env(env);
    if let Some(gh) = &gh
        && gh.is_pull_request()
    {
        return Err(UsageError(vec![format!(
            "herald publish does not run in a pull request's workflow run (event `{}`): only the \
             publish workflow on the main branch publishes; use `herald publish --dry-run` or \
             `herald preview` here",
            gh.event_name.as_deref().unwrap_or("pull_request")
        )])
        .into());
    }
    // With a state branch: fetched now, every `started` pushed before its request, the
    // rest pushed at the end.
    let store = Arc::new(super::open_state(s, crate::state::Fetch::Required)?);
    let (writer, history) =
        ledger::Writer::open(store.files(), store.state_dir()).map_err(|e| UsageError(vec![e]))?;
    {
        // Scoped: the channel tasks must never wait on a held stderr lock.
        let mut err = anstream::stderr().lock();
        for w in &history.warnings {
            writeln!(err, "{WARNING}warning{WARNING:#}: {w}")?;
        }
    }
    // Only what is due or missed is rendered: a run with nothing due stays cheap however
    // many announcements the repository holds.
    let max_delay = s.publishing.max_delay;
    // And what went out with other content than the file has now, which a correction or
    // a retraction may change (its content hash is cheap next to rendering every post).
    let mut went_out: std::collections::HashMap<(&str, &str), Vec<&str>> =
        std::collections::HashMap::new();
    for (k, live) in &history.live {
        went_out
            .entry((k.id.as_str(), k.lang.as_str()))
            .or_default()
            .push(live.hash.as_str());
    }
    // Once corrected, always looked at: a correction may be half done.
    let touched: std::collections::HashSet<(&str, &str)> = history
        .actions
        .keys()
        .map(|(k, _, _)| (k.id.as_str(), k.lang.as_str()))
        .collect();
    let changed = |v: &crate::announcement::Variant| {
        let key = (v.id.as_str(), v.lang.as_str());
        touched.contains(&key)
            || went_out.get(&key).is_some_and(|hashes| {
                crate::approval::content_hash(&s.root, v)
                    .map_or(true, |now| hashes.iter().any(|h| *h != now))
            })
    };
    let mut plan = instance.plan_where(global.channel.as_deref(), |v| {
        matches!(
            timing(&v.front, instance.now, max_delay),
            Timing::Due | Timing::Missed
        ) || changed(v)
    });
    // Approvals by pull-request review, proven with GitHub's API for what is due.
    let reviews = crate::plan::review::Reviews::from_env(global, env);
    instance.settle_reviews(&mut plan, &reviews, |p| {
        crate::plan::review::due_and_pending(instance, p, &history, allow_late)
    });
    let mut writer = writer;
    record_reviews(instance, &plan, &history, &mut writer)?;
    let mut selection = select(instance, &plan, &history, allow_late);
    let newly_missed = std::mem::take(&mut selection.newly_missed);
    // Email lists go out whole (one list send per announcement and list), not per part.
    let lists = jobs::gather(instance, &plan, &mut selection.runs);
    let timeout = std::time::Duration::try_from(s.publishing.request_timeout)
        .unwrap_or(std::time::Duration::from_secs(30));
    let http = crate::channel::send::http_client(timeout);
    let transport = crate::channel::transport::Transport::Http(http);
    let clock = Clock::starting_at(instance.now);
    let ctx = SendContext {
        env,
        root: &s.root,
        state_root: store.files(),
        transport: &transport,
        now: Arc::new(move || clock.now()),
    };
    let mut changes = std::mem::take(&mut selection.changes);
    // Correction messages to email lists go out as list sends of their own.
    let notices = jobs::take_notices(instance, &plan, &history, &mut changes);
    let mut names: Vec<String> = selection.runs.keys().cloned().collect();
    names.extend(
        changes
            .keys()
            .filter(|n| !selection.runs.contains_key(*n))
            .cloned(),
    );
    names.sort();
    let runs: Vec<ChannelRun> = names
        .into_iter()
        .map(|name| ChannelRun {
            changes: changes.remove(&name).unwrap_or_default(),
            jobs: selection.runs.remove(&name).unwrap_or_default(),
            sender: s
                .channel(&name)
                .expect("planned channels exist")
                .sender(&ctx),
            channel: name,
        })
        .collect();
    let shared = Arc::new(Shared {
        history,
        writer: std::sync::Mutex::new(engine::Sink::Ledger(writer)),
        config: s.publishing.clone(),
        clock,
        ledger_failed: Default::default(),
        store: Some(store.clone()),
        root: s.root.clone(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let email = email_context(instance, global, env, store.clone());
    let mut lists = crate::engine::list::prepare(&lists, &email);
    let notices: Vec<crate::engine::list::ListSend<'_>> = notices
        .iter()
        .map(|n| crate::engine::list::ListSend {
            id: n.variant.id.clone(),
            channel: s.channel(&n.channel).expect("planned channels exist"),
            variants: vec![(&n.variant, n.hash.clone())],
            by: n
                .by
                .iter()
                .map(|by| (n.variant.lang.clone(), by.clone()))
                .collect(),
            notice: Some(crate::engine::list::NoticeOf {
                sent: n.sent.clone(),
            }),
        })
        .collect();
    lists.extend(crate::engine::list::prepare(&notices, &email));
    let mut rows = runtime.block_on(engine::run(runs, lists, shared.clone()));
    rows.extend(selection.rows);
    rows.extend(unreadable(instance, global.only.as_deref()));
    rows.sort_by(|a, b| (&a.id, &a.lang, &a.channel).cmp(&(&b.id, &b.lang, &b.channel)));
    print_report(instance, global, &rows)?;
    if let Some(gh) = &gh {
        let mut err = anstream::stderr().lock();
        if gh.token.is_none() && rows.iter().any(|r| r.result == Outcome::Posted) {
            writeln!(
                err,
                "{WARNING}warning{WARNING:#}: GITHUB_TOKEN is not set, so the addresses are not \
                 commented on the pull request; pass it to this step with \
                 `env: GITHUB_TOKEN: ${{{{ github.token }}}}`"
            )?;
        }
        for w in super::github::comment_posts(instance, &plan, &rows, &reviews, gh) {
            writeln!(err, "{WARNING}warning{WARNING:#}: {w}")?;
        }
        if let Err(w) = crate::github::append_summary(
            Some(gh),
            &super::github::publish_summary(instance, &rows, false),
        ) {
            writeln!(err, "{WARNING}warning{WARNING:#}: {w}")?;
        }
    }
    // A missed post fails the run that first reports it; the note keeps later runs green.
    {
        let mut writer = shared
            .writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (key, hash) in &newly_missed {
            let note = ledger::Record::new(ledger::Event::Missed, key.clone(), hash, instance.now);
            writer.append(&note).map_err(|e| UsageError(vec![e]))?;
        }
    }
    // What went out is on the remote before the run ends, or the run fails saying so.
    let saved = store.push("herald publish: outcomes");
    print_state_cost(global.quiet, &store, saved.as_ref().err())?;
    if saved.is_err() {
        return Ok(Exit::Problems);
    }
    Ok(
        if !newly_missed.is_empty() || rows.iter().any(|r| r.result.is_problem()) {
            Exit::Problems
        } else {
            Exit::Ok
        },
    )
}

/// Writes into the ledger each GitHub review that approved what this run may send (once
/// per reviewer, pull request and content), so `audit` can say who approved it and where.
fn record_reviews(
    instance: &Instance,
    plan: &[Planned<'_>],
    history: &History,
    writer: &mut ledger::Writer,
) -> anyhow::Result<()> {
    for p in plan.iter().filter(|p| !p.verdict.reviews.is_empty()) {
        for r in &p.verdict.reviews {
            let key = ledger::Key {
                id: p.variant.id.clone(),
                lang: p.variant.lang.clone(),
                channel: String::new(),
                part: 0,
            };
            let hash = p.verdict.hash.as_deref().unwrap_or_default();
            let by = format!("github:{}", r.login);
            let known = history
                .reviews
                .get(&(key.id.clone(), key.lang.clone(), hash.to_owned()))
                .is_some_and(|l| {
                    l.iter()
                        .any(|x| x.by.as_deref() == Some(&by) && x.pull == Some(r.pull))
                });
            if known {
                continue;
            }
            let note = ledger::Record {
                by: Some(by),
                url: r.url.clone(),
                pull: Some(r.pull),
                commit: Some(r.commit.clone()),
                reviewed_at: r.at.clone(),
                ..ledger::Record::new(ledger::Event::Approved, key, hash, instance.now)
            };
            writer.append(&note).map_err(|e| UsageError(vec![e]))?;
        }
    }
    Ok(())
}

fn print_report(instance: &Instance, global: &Global, rows: &[Row]) -> anyhow::Result<()> {
    let mut summary: BTreeMap<&'static str, usize> = BTreeMap::new();
    for kind in [
        "posted", "skipped", "deferred", "missed", "failed", "in_doubt",
    ] {
        summary.insert(kind, 0);
    }
    for r in rows {
        *summary.entry(outcome_name(r.result)).or_default() += 1;
    }
    let mut out = anstream::stdout().lock();
    let at = crate::time::rfc3339_in(instance.now, &instance.settings.tz);
    if global.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &RunReport { at, rows, summary })?;
        writeln!(out)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(out, "Nothing to publish.")?;
        return Ok(());
    }
    for r in rows {
        if global.quiet && !r.result.is_problem() {
            continue;
        }
        let (style, word) = match r.result {
            Outcome::Posted => (GOOD, "posted"),
            Outcome::Corrected => (GOOD, "corrected"),
            Outcome::Retracted => (GOOD, "withdrawn"),
            Outcome::Skipped => (WARNING, "skipped"),
            Outcome::Deferred => (DIM, "deferred"),
            Outcome::Missed => (WARNING, "missed"),
            Outcome::Failed => (ERROR, "failed"),
            Outcome::InDoubt => (ERROR, "not sure"),
        };
        write!(
            out,
            "{style}{word:<9}{style:#} {BOLD}{}{BOLD:#} [{}] → {}",
            r.id, r.lang, r.channel
        )?;
        for url in &r.urls {
            write!(out, " {url}")?;
        }
        writeln!(out)?;
        if !r.detail.is_empty() {
            writeln!(out, "          {}", r.detail)?;
        }
    }
    let parts: Vec<String> = summary
        .iter()
        // The JSON's `in_doubt`, in the words of the rows above.
        .map(|(k, n)| match *k {
            "in_doubt" => format!("{n} not sure"),
            k => format!("{n} {k}"),
        })
        .collect();
    writeln!(out, "\n{}", parts.join(", "))?;
    Ok(())
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Posted => "posted",
        Outcome::Corrected => "corrected",
        Outcome::Retracted => "retracted",
        Outcome::Skipped => "skipped",
        Outcome::Deferred => "deferred",
        Outcome::Missed => "missed",
        Outcome::Failed => "failed",
        Outcome::InDoubt => "in_doubt",
    }
}

/// The due variants of `v`'s announcement that go to the email channel `c`.
fn email_siblings<'a>(
    due: &[&'a Planned<'a>],
    v: &crate::announcement::Variant,
    c: &dyn crate::channel::Channel,
) -> Vec<&'a crate::announcement::Variant> {
    due.iter()
        .filter(|d| d.variant.id == v.id)
        .filter(|d| {
            d.posts
                .iter()
                .any(|x| x.channel.name() == c.name() && !x.skipped)
        })
        .map(|d| d.variant)
        .collect()
}

fn email_context<'a>(
    instance: &'a Instance,
    global: &Global,
    env: &'a BTreeMap<String, String>,
    store: Arc<crate::state::Store>,
) -> crate::engine::list::Context<'a> {
    crate::engine::list::Context {
        store,
        env,
        templates: &instance.templates,
        settings: &instance.settings,
        progress: crate::email::Progress::for_stderr(global.quiet || global.format == Format::Json),
    }
}

/// With a state branch: whether the run's state reached the remote, and what its pushes
/// cost (on stderr, beside the progress; the report on stdout stays the report).
pub(super) fn print_state_cost(
    quiet: bool,
    store: &crate::state::Store,
    failed: Option<&String>,
) -> anyhow::Result<()> {
    if !store.is_remote() {
        return Ok(());
    }
    let mut err = anstream::stderr().lock();
    if let Some(e) = failed {
        writeln!(
            err,
            "{ERROR}error{ERROR:#}: what this run sent could not be saved to {}: {e}. The next run finds what it started on the remote and does not send it again; fix the cause (`herald doctor`) before then",
            store.describe()
        )?;
    }
    let stats = store.stats();
    if !quiet && stats.pushes > 0 {
        writeln!(
            err,
            "state: {} push(es) to {} in {:.2} s{}",
            stats.pushes,
            store.describe(),
            stats.total.as_secs_f64(),
            if stats.merges > 0 {
                format!(", {} merged with another writer's", stats.merges)
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}

/// `--test-to ADDRESS`: the dry run, then one copy of each variant of every email list's
/// announcements to ADDRESS (with `--only`, whether or not it is due or approved).
pub fn test_to(
    instance: &Instance,
    global: &Global,
    env: &BTreeMap<String, String>,
    allow_late: bool,
    address: &str,
) -> anyhow::Result<Exit> {
    if address.parse::<lettre::Address>().is_err() {
        return Err(UsageError(vec![
            "--test-to: not an email address; write it as `name@example.org`".into(),
        ])
        .into());
    }
    let (_store, history) =
        super::state_and_ledger(&instance.settings, crate::state::Fetch::BestEffort)?;
    let exit = dry_run_with(instance, global, env, allow_late, &history)?;
    let plan = instance.plan(global.channel.as_deref());
    let picked: Vec<&Planned<'_>> = plan
        .iter()
        .filter(|p| {
            global.only.is_some()
                || fate::variant_fate(instance, p, &history, allow_late) == Fate::Due
        })
        .filter(|p| p.variant.is_valid())
        .collect();
    let mut lists: BTreeMap<(String, String), crate::engine::list::ListSend<'_>> = BTreeMap::new();
    for p in &picked {
        for post in p
            .posts
            .iter()
            .filter(|x| !x.skipped && instance.channel_of(x).email().is_some())
        {
            lists
                .entry((p.variant.id.clone(), post.channel.name().to_owned()))
                .or_insert_with(|| crate::engine::list::ListSend {
                    id: p.variant.id.clone(),
                    channel: instance.channel_of(post),
                    variants: Vec::new(),
                    by: BTreeMap::new(),
                    notice: None,
                })
                .variants
                .push((p.variant, String::new()));
        }
    }
    let ctx = email_context(instance, global, env, local_store(instance));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut failed = false;
    let mut out = anstream::stdout().lock();
    if lists.is_empty() {
        writeln!(out, "No email list has anything to send a test copy of.")?;
    }
    for list in lists.values() {
        for (sent, line) in runtime.block_on(crate::engine::list::test_to(list, &ctx, address)) {
            failed |= !sent;
            writeln!(out, "{line}")?;
        }
    }
    Ok(if failed { Exit::Problems } else { exit })
}

/// The dry run and `--test-to` write no state: a list's context for them.
fn local_store(instance: &Instance) -> Arc<crate::state::Store> {
    Arc::new(crate::state::Store::local(instance.settings.state_place()))
}
