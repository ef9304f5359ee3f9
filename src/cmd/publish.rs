//! `herald publish`: what is due now. The dry run prints exactly the requests each
//! channel would receive and touches neither network nor files.

use super::output::{BOLD, DIM, ERROR, GOOD, WARNING};
use super::{Exit, Instance, Planned, UsageError};
use crate::channel::SendContext;
use crate::channel::send::About;
use crate::cli::{Format, Global};
use crate::diagnostic::Diagnostic;
use crate::engine::{self, ChannelRun, Clock, Job, Outcome, Row, Shared};
use crate::ledger::{self, History, Key, KeyState};
use crate::schedule::{Timing, timing};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

/// Why a variant does not go out now.
fn hold_reason(instance: &Instance, p: &Planned<'_>, allow_late: bool) -> Option<String> {
    let tz = &instance.settings.tz;
    if !p.state.publishable() {
        return Some(p.verdict.describe());
    }
    match timing(
        &p.variant.front,
        instance.now,
        instance.settings.publishing.max_delay,
    ) {
        Timing::Due => None,
        Timing::Missed if allow_late => None,
        Timing::Unscheduled => Some("no `publish_at`".into()),
        Timing::Scheduled(t) => Some(format!("scheduled for {}", crate::time::human_in(t, tz))),
        Timing::Missed => Some(format!(
            "missed: {} is more than {} ago",
            crate::time::human_in(p.variant.front.publish_at.expect("missed has a time"), tz),
            friendly_duration(instance.settings.publishing.max_delay)
        )),
        Timing::Expired => Some("expired".into()),
    }
}

/// Rows for files so broken that when they are due is unknown (the front matter could not
/// be read): silence would hide an announcement that may be meant to go out now.
fn unreadable(instance: &Instance, only: Option<&str>) -> Vec<Row> {
    instance
        .variants()
        .filter(|v| !v.is_valid() && v.front.publish_at.is_none())
        .filter(|v| only.is_none_or(|id| id == v.id))
        .map(|v| {
            let first = v
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(|d| match (d.line, d.column) {
                    (Some(l), Some(c)) => format!(" (line {l}, column {c}: {})", d.message),
                    _ => format!(" ({})", d.message),
                })
                .unwrap_or_default();
            Row {
                id: v.id.clone(),
                lang: v.lang.clone(),
                channel: "-".into(),
                result: Outcome::Failed,
                detail: format!(
                    "not published: {} has errors, so when it is due is unknown{first}; `herald check` lists them",
                    crate::diagnostic::display_path(&v.path)
                ),
                urls: vec![],
            }
        })
        .collect()
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
    /// Email lists: the recipients in this language and the whole message for a sample
    /// subscriber, as the text dry run shows them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    email: Vec<String>,
}

#[derive(Serialize)]
struct Held<'a> {
    id: &'a str,
    lang: &'a str,
    reason: String,
}

/// Whether every part of `post` is recorded as posted in the ledger.
fn already_posted(history: &History, post: &crate::render::Post<'_>) -> bool {
    let v = post.variant;
    (1..=post.parts.len().max(1) as u32).all(|part| {
        let key = Key {
            id: v.id.clone(),
            lang: v.lang.clone(),
            channel: post.channel.name().to_owned(),
            part,
        };
        matches!(history.state(&key), Some(KeyState::Posted { .. }))
    })
}

pub fn dry_run(
    instance: &Instance,
    global: &Global,
    env: &BTreeMap<String, String>,
    allow_late: bool,
) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    // Read without the lock: a dry run changes nothing.
    let history = super::read_ledger(s)?;
    let plan = instance.plan(global.channel.as_deref());
    let tz = &instance.settings.tz;
    let mut due = Vec::new();
    let mut held = Vec::new();
    // What the real run would fail for, the dry run fails for too.
    let mut broken = false;
    for p in &plan {
        match hold_reason(instance, p, allow_late) {
            Some(reason) => {
                let t = timing(
                    &p.variant.front,
                    instance.now,
                    instance.settings.publishing.max_delay,
                );
                let is_due = t == Timing::Due || (t == Timing::Missed && allow_late);
                let row = (is_due && broken_after_approval(p))
                    .then(|| broken_row(instance, p, &history))
                    .flatten();
                broken |= row.is_some();
                held.push((p, row.map_or(reason, |r| r.detail)));
            }
            None => due.push(p),
        }
    }
    let problems = broken
        || due
            .iter()
            .any(|p| p.diagnostics.iter().any(Diagnostic::is_error));
    let mut out = anstream::stdout().lock();
    if global.format == Format::Json {
        let doc = DryRun {
            at: crate::time::rfc3339_in(instance.now, tz),
            due: due
                .iter()
                .flat_map(|p| {
                    p.posts
                        .iter()
                        .filter(|post| !post.skipped && !already_posted(&history, post))
                })
                .map(|post| DuePost {
                    id: &post.variant.id,
                    lang: &post.variant.lang,
                    channel: post.channel.name(),
                    kind: post.channel.kind().name(),
                    parts: &post.parts,
                    requests: post.channel.requests(post),
                    ok: post.ok(),
                    email: if post.channel.email().is_some() {
                        let siblings = email_siblings(&due, post.variant, post.channel);
                        let ctx = email_context(instance, global, env);
                        crate::engine::list::dry_run_lines(
                            post.channel,
                            post.variant,
                            &siblings,
                            &ctx,
                        )
                    } else {
                        Vec::new()
                    },
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
            if already_posted(&history, post) {
                writeln!(out, "  → {} {DIM}already posted{DIM:#}", c.name())?;
                continue;
            }
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
            if c.email().is_some() {
                // An email list: recipients per language and the whole message.
                let siblings = email_siblings(&due, v, c);
                let ctx = email_context(instance, global, env);
                for line in crate::engine::list::dry_run_lines(c, v, &siblings, &ctx) {
                    writeln!(out, "    {line}")?;
                }
                continue;
            }
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
        .map(|p| {
            p.posts
                .iter()
                .filter(|x| !x.skipped && !already_posted(&history, x))
                .count()
        })
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

/// What a real run would do with the plan: the jobs per channel, and rows for what is
/// held back (not approved, with errors, missed).
struct Selection {
    runs: BTreeMap<String, Vec<Job>>,
    rows: Vec<Row>,
    /// Posts that missed their time and that no run has reported yet: reported now,
    /// they fail this run once, and are noted in the ledger so later runs do not.
    newly_missed: Vec<(Key, String)>,
}

/// Whether `p` was approved and has broken since (an error in the file, an image gone):
/// it cannot go out, and a run must say so rather than stay quiet.
fn broken_after_approval(p: &Planned<'_>) -> bool {
    p.state == crate::approval::State::Invalid && !p.variant.front.approvals.is_empty()
}

/// The failed row for an approved, due variant that broke (see
/// [`broken_after_approval`]), unless every channel already has it.
fn broken_row(instance: &Instance, p: &Planned<'_>, history: &History) -> Option<Row> {
    let v = p.variant;
    let channels: Vec<String> = instance
        .targets(v, None)
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let all_posted = !channels.is_empty()
        && channels.iter().all(|c| {
            let key = Key {
                id: v.id.clone(),
                lang: v.lang.clone(),
                channel: c.clone(),
                part: 1,
            };
            matches!(history.state(&key), Some(KeyState::Posted { .. }))
        });
    (!all_posted).then(|| Row {
        id: v.id.clone(),
        lang: v.lang.clone(),
        channel: if channels.is_empty() {
            "-".into()
        } else {
            channels.join(", ")
        },
        result: Outcome::Failed,
        detail: format!(
            "not sent: {} was approved and is due, but now has an error ({}); fix it and have it approved again",
            crate::diagnostic::display_path(&v.path),
            first_problem(p)
        ),
        urls: vec![],
    })
}

/// The first problem of a broken variant, for its row: "line 3, column 8: …".
fn first_problem(p: &Planned<'_>) -> String {
    if let Some(d) = p.diagnostics.iter().find(|d| d.is_error()) {
        return match (d.line, d.column) {
            (Some(l), Some(c)) => format!("line {l}, column {c}: {}", d.message),
            _ => d.message.clone(),
        };
    }
    p.verdict
        .detail
        .clone()
        .unwrap_or_else(|| "it has errors".into())
}

fn select(
    instance: &Instance,
    plan: &[Planned<'_>],
    history: &History,
    allow_late: bool,
) -> Selection {
    let tz = &instance.settings.tz;
    let mut runs: BTreeMap<String, Vec<Job>> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut newly_missed = Vec::new();
    for p in plan {
        let v = p.variant;
        let t = timing(
            &v.front,
            instance.now,
            instance.settings.publishing.max_delay,
        );
        let due = t == Timing::Due || (t == Timing::Missed && allow_late);
        if !due && t != Timing::Missed {
            continue;
        }
        if due && broken_after_approval(p) {
            if let Some(row) = broken_row(instance, p, history) {
                rows.push(row);
            }
            continue;
        }
        for post in p.posts.iter().filter(|post| !post.skipped) {
            let job = Job {
                id: v.id.clone(),
                lang: v.lang.clone(),
                channel: post.channel.name().to_owned(),
                hash: p.verdict.hash.clone().unwrap_or_default(),
                parts: post.parts.iter().map(|part| part.text.clone()).collect(),
                images: v
                    .front
                    .images
                    .iter()
                    .map(|img| (instance.settings.root.join(&img.path), img.alt.clone()))
                    .collect(),
                about: Arc::new(About {
                    id: v.id.clone(),
                    title: v.front.title.clone(),
                    summary: v.front.summary.clone(),
                    link: v.front.link.clone(),
                    tags: v.front.tags.clone(),
                    publish_at: v.front.publish_at,
                }),
            };
            if already_posted(history, post) {
                continue;
            }
            let held = |result, detail: String| Row {
                id: job.id.clone(),
                lang: job.lang.clone(),
                channel: job.channel.clone(),
                result,
                detail,
                urls: vec![],
            };
            if !due && !p.state.publishable() {
                // An old draft is not news; only approved posts that missed their time are.
                continue;
            } else if !due {
                let when =
                    crate::time::human_in(v.front.publish_at.expect("missed has a time"), tz);
                let key = Key {
                    id: v.id.clone(),
                    lang: v.lang.clone(),
                    channel: post.channel.name().to_owned(),
                    part: 1,
                };
                let noted = match history.missed.get(&key) {
                    Some(at) => format!(
                        " (first reported {}; later runs do not fail for it)",
                        crate::time::human_in(*at, tz)
                    ),
                    None => {
                        newly_missed.push((key, job.hash.clone()));
                        String::new()
                    }
                };
                rows.push(held(Outcome::Missed, format!("was due at {when}, more than {} ago; not sent automatically (`--allow-late` sends it){noted}", friendly_duration(instance.settings.publishing.max_delay))));
            } else if !p.state.publishable() {
                rows.push(held(Outcome::Skipped, p.verdict.describe()));
            } else if !post.ok() {
                let why = post
                    .diagnostics
                    .iter()
                    .find(|d| d.is_error())
                    .map_or("it has problems".into(), |d| d.message.clone());
                rows.push(held(Outcome::Failed, format!("not sent: {why}")));
            } else {
                runs.entry(job.channel.clone()).or_default().push(job);
            }
        }
    }
    Selection {
        runs,
        rows,
        newly_missed,
    }
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
    let state_dir = s.root.join(&s.state_dir);
    let (writer, history) =
        ledger::Writer::open(&s.root, &state_dir).map_err(|e| UsageError(vec![e]))?;
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
    let plan = instance.plan_where(global.channel.as_deref(), |v| {
        matches!(
            timing(&v.front, instance.now, max_delay),
            Timing::Due | Timing::Missed
        )
    });
    let mut selection = select(instance, &plan, &history, allow_late);
    let newly_missed = std::mem::take(&mut selection.newly_missed);
    // Email lists go out whole (one list send per announcement and list), not per part.
    let (lists, held) = crate::engine::list::gather(instance, &plan, &mut selection.runs, &history);
    selection.rows.extend(held);
    let timeout = std::time::Duration::try_from(s.publishing.request_timeout)
        .unwrap_or(std::time::Duration::from_secs(30));
    let http = crate::channel::send::http_client(timeout);
    let ctx = SendContext {
        env,
        root: &s.root,
        http: &http,
    };
    let runs: Vec<ChannelRun> = selection
        .runs
        .into_iter()
        .map(|(name, jobs)| ChannelRun {
            sender: s
                .channel(&name)
                .expect("planned channels exist")
                .sender(&ctx),
            channel: name,
            jobs,
        })
        .collect();
    let shared = Arc::new(Shared {
        history,
        writer: std::sync::Mutex::new(writer),
        config: s.publishing.clone(),
        clock: Clock::starting_at(instance.now),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let lists = crate::engine::list::prepare(&lists, &email_context(instance, global, env));
    let mut rows = runtime.block_on(engine::run(runs, lists, shared.clone()));
    rows.extend(selection.rows);
    rows.extend(unreadable(instance, global.only.as_deref()));
    rows.sort_by(|a, b| (&a.id, &a.lang, &a.channel).cmp(&(&b.id, &b.lang, &b.channel)));
    print_report(instance, global, &rows)?;
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
    Ok(
        if !newly_missed.is_empty() || rows.iter().any(|r| r.result.is_problem()) {
            Exit::Problems
        } else {
            Exit::Ok
        },
    )
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
            Outcome::Skipped => (WARNING, "skipped"),
            Outcome::Deferred => (DIM, "deferred"),
            Outcome::Missed => (WARNING, "missed"),
            Outcome::Failed => (ERROR, "failed"),
            Outcome::InDoubt => (ERROR, "in doubt"),
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
        .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
        .collect();
    writeln!(out, "\n{}", parts.join(", "))?;
    Ok(())
}

fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Posted => "posted",
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
) -> crate::engine::list::Context<'a> {
    crate::engine::list::Context {
        env,
        templates: &instance.templates,
        settings: &instance.settings,
        progress: crate::email::Progress::for_stderr(global.quiet || global.format == Format::Json),
    }
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
    let exit = dry_run(instance, global, env, allow_late)?;
    let plan = instance.plan(global.channel.as_deref());
    let picked: Vec<&Planned<'_>> = plan
        .iter()
        .filter(|p| global.only.is_some() || hold_reason(instance, p, allow_late).is_none())
        .filter(|p| p.variant.is_valid())
        .collect();
    let mut lists: BTreeMap<(String, String), crate::engine::list::ListSend<'_>> = BTreeMap::new();
    for p in &picked {
        for post in p
            .posts
            .iter()
            .filter(|x| !x.skipped && x.channel.email().is_some())
        {
            lists
                .entry((p.variant.id.clone(), post.channel.name().to_owned()))
                .or_insert_with(|| crate::engine::list::ListSend {
                    id: p.variant.id.clone(),
                    channel: post.channel,
                    variants: Vec::new(),
                })
                .variants
                .push((p.variant, String::new()));
        }
    }
    let ctx = email_context(instance, global, env);
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
        for line in runtime.block_on(crate::engine::list::test_to(list, &ctx, address)) {
            failed |= line.contains("not sent");
            writeln!(out, "{line}")?;
        }
    }
    Ok(if failed { Exit::Problems } else { exit })
}
