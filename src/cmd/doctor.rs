//! `herald doctor`: for each channel, whether publishing to it would work, checked
//! read-only against the platform (credentials, account, the platform's own limits).
//! Nothing is posted or changed; secrets are never printed.

use super::output::{BOLD, DIM, ERROR, GOOD, WARNING};
use super::{Exit, Instance};
use crate::channel::SendContext;
use crate::channel::send::{Finding, Level};
use crate::cli::{Format, Global};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Serialize)]
struct Report {
    channel: String,
    kind: String,
    findings: Vec<Finding>,
}

pub fn run(
    instance: &Instance,
    global: &Global,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<Exit> {
    let s = &instance.settings;
    let timeout = std::time::Duration::try_from(s.publishing.request_timeout)
        .unwrap_or(std::time::Duration::from_secs(30));
    let http = crate::channel::send::http_client(timeout);
    let transport = crate::channel::transport::Transport::Http(http);
    let ctx = SendContext {
        env,
        root: &s.root,
        state_root: &s.root,
        transport: &transport,
        now: std::sync::Arc::new(jiff::Timestamp::now),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let channels: Vec<_> = s
        .channels
        .iter()
        .filter(|c| global.channel.as_deref().is_none_or(|n| n == c.name()))
        .collect();
    // Every channel is checked at once: a slow platform does not hold up the others.
    let mut reports: Vec<Report> = channels
        .iter()
        .map(|c| Report {
            channel: c.name().to_owned(),
            kind: c.kind().to_string(),
            findings: Vec::new(),
        })
        .collect();
    // The state is checked with everything, not when one channel is asked about.
    let state = global.channel.is_none().then(|| state_report(s, env));
    let skip = usize::from(state.is_some());
    reports.splice(0..0, state);
    let mut set = tokio::task::JoinSet::new();
    for (i, c) in channels.iter().enumerate() {
        match c.sender(&ctx) {
            Ok(sender) => {
                set.spawn_on(async move { (i, sender.doctor().await) }, runtime.handle());
            }
            Err(why) => reports[i + skip].findings.push(Finding::error(why)),
        }
    }
    runtime.block_on(async {
        while let Some(done) = set.join_next().await {
            let (i, findings) = done.expect("a doctor check panicked");
            reports[i + skip].findings = findings;
        }
    });
    print(global, &reports)?;
    let bad = reports
        .iter()
        .flat_map(|r| &r.findings)
        .any(|f| f.level == Level::Error);
    Ok(if bad { Exit::Problems } else { Exit::Ok })
}

/// Where Herald's state is kept, and whether that survives this machine: in CI (the
/// `CI` variable that GitHub Actions and most CI systems set) a state kept only in the
/// runner's folder is lost with the runner, and the next run would send everything again.
fn state_report(s: &crate::settings::Settings, env: &BTreeMap<String, String>) -> Report {
    let in_ci = ["CI", "GITHUB_ACTIONS"]
        .iter()
        .any(|v| env.get(*v).is_some_and(|x| !x.is_empty() && x != "false"));
    let findings = match &s.state_branch {
        None if in_ci => vec![Finding {
            level: Level::Warning,
            message: format!(
                "Herald keeps what it sent only in `{}`, and this is a CI runner, whose folder is thrown away after the run: the next run would send everything again. Add `[state]` with `git_branch = \"herald-state\"` to {} so the state lives on that branch of the remote",
                s.state_dir.display(),
                s.config_path.display()
            ),
        }],
        None => vec![Finding {
            level: Level::Info,
            message: format!(
                "Herald keeps what it sent in `{}` on this machine; for CI, set `[state] git_branch`",
                s.state_dir.display()
            ),
        }],
        Some(b) => match crate::state::reach(s.state_place()) {
            Ok(true) => vec![Finding::ok(format!(
                "state on branch `{}` of `{}`, which answers",
                b.branch, b.remote
            ))],
            Ok(false) => vec![Finding::ok(format!(
                "state on branch `{}` of `{}`, which answers; the branch does not exist yet (the first publish creates it)",
                b.branch, b.remote
            ))],
            Err(e) => vec![Finding::error(e)],
        },
    };
    Report {
        channel: "state".into(),
        kind: "state".into(),
        findings,
    }
}

fn print(global: &Global, reports: &[Report]) -> anyhow::Result<()> {
    let mut out = anstream::stdout().lock();
    if global.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, reports)?;
        writeln!(out)?;
        return Ok(());
    }
    for r in reports {
        writeln!(out, "{BOLD}{}{BOLD:#} {DIM}({}){DIM:#}", r.channel, r.kind)?;
        for f in &r.findings {
            if global.quiet && matches!(f.level, Level::Ok | Level::Info) {
                continue;
            }
            let (style, word) = match f.level {
                Level::Ok => (GOOD, "ok"),
                Level::Info => (DIM, "info"),
                Level::Warning => (WARNING, "warning"),
                Level::Error => (ERROR, "error"),
            };
            writeln!(out, "  {style}{word}{style:#}: {}", f.message)?;
        }
    }
    Ok(())
}
