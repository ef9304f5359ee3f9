//! The commands: each loads the instance once ([`Instance::load`]), takes its plan
//! ([`Instance::plan`]) with each post's [`Fate`](crate::plan::Fate), and either prints
//! it or hands what is due to the engine. Commands decide nothing about a post's fate;
//! they print what the plan says. Only `main.rs` uses this module.

mod approve;
mod audit;
mod check;
mod doctor;
mod github;
mod new;
mod output;
mod preview;
mod publish;
mod resolve;
mod status;

use crate::cli::{Cli, Command};
use crate::plan::load_settings;
pub use crate::plan::{Instance, Planned, UsageError};
use crate::settings::Settings;
use crate::state::{Fetch, Store};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a command ended, mapped to the exit code by `main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: all good (warnings allowed).
    Ok,
    /// 1: something failed or is invalid.
    Problems,
    /// 2: usage or configuration error.
    Usage,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Problems => 1,
            Exit::Usage => 2,
        }
    }
}

/// The instance's state ([`crate::state`]), fetched from its branch as `fetch` says;
/// its warnings go to stderr.
fn open_state(settings: &Settings, fetch: Fetch) -> anyhow::Result<Store> {
    let store = Store::open(settings.state_place(), fetch).map_err(|e| UsageError(vec![e]))?;
    let mut err = anstream::stderr().lock();
    for w in &store.warnings {
        writeln!(err, "{}warning{:#}: {w}", output::WARNING, output::WARNING)?;
    }
    Ok(store)
}

/// The replayed ledger of `store`; its warnings (a damaged or cut-off line) go to stderr.
fn read_ledger(store: &Store) -> anyhow::Result<crate::ledger::History> {
    let history = crate::ledger::read(&store.dir()).map_err(|e| UsageError(vec![e]))?;
    let mut err = anstream::stderr().lock();
    for w in &history.warnings {
        writeln!(err, "{}warning{:#}: {w}", output::WARNING, output::WARNING)?;
    }
    Ok(history)
}

/// Opens the state as `fetch` says and replays its ledger.
fn state_and_ledger(
    settings: &Settings,
    fetch: Fetch,
) -> anyhow::Result<(Store, crate::ledger::History)> {
    let store = open_state(settings, fetch)?;
    let history = read_ledger(&store)?;
    Ok((store, history))
}

/// The repository folder when `--root` is not given: the current folder or the nearest
/// folder above it that holds the configuration (`config/herald.toml`, or `--config`), as
/// Git finds its repository from any folder inside one.
fn find_root(cwd: &Path, config: Option<&Path>) -> anyhow::Result<PathBuf> {
    let wanted = config.unwrap_or(Path::new("config/herald.toml"));
    if wanted.is_absolute() || cwd.join(wanted).is_file() {
        // As before: the current folder, spelt as it always was.
        return Ok(PathBuf::from("."));
    }
    if let Some(found) = cwd.ancestors().find(|dir| dir.join(wanted).is_file()) {
        return Ok(found.to_path_buf());
    }
    Err(UsageError(vec![format!(
        "no Herald repository here: looked for {} in {} and every folder above it; \
         run herald inside the repository or pass `--root DIR`",
        crate::diagnostic::display_path(wanted),
        cwd.display()
    )])
    .into())
}

/// Runs the command `cli` names.
pub fn run(cli: Cli, env: &BTreeMap<String, String>) -> anyhow::Result<Exit> {
    let global = cli.global();
    let root = match &global.root {
        Some(root) => root.clone(),
        None => find_root(&std::env::current_dir()?, global.config.as_deref())?,
    };
    if let Command::New { slug, lang, .. } = &cli.command {
        let settings = load_settings(&global, &root, env)?;
        return new::run(&settings, slug, lang, &global);
    }
    // Publishing (and its dry run, which must see what the real run sees) fetches the
    // history that proving an approval needs; other commands stay off the network.
    let deepen = matches!(cli.command, Command::Publish { .. });
    let instance = Instance::load(&global, root, env, deepen)?;
    match cli.command {
        Command::Check { .. } => check::run(&instance, &global, env),
        Command::Publish {
            test_to: Some(address),
            allow_late,
            ..
        } => publish::test_to(&instance, &global, env, allow_late, &address),
        Command::Publish {
            dry_run: true,
            allow_late,
            test_to: None,
            ..
        } => publish::dry_run(&instance, &global, env, allow_late),
        Command::Publish {
            dry_run: false,
            allow_late,
            test_to: None,
            ..
        } => publish::run(&instance, &global, env, allow_late),
        Command::Status { .. } => status::run(&instance, &global, env),
        Command::Doctor { .. } => doctor::run(&instance, &global, env),
        Command::Audit { archive, .. } => audit::run(&instance, &global, archive.as_deref()),
        Command::Preview {
            out,
            outside_root,
            comment,
            page_url,
            ..
        } => preview::run(
            &instance,
            &global,
            &preview::Options {
                out_dir: out.as_deref(),
                outside_root,
                comment,
                page_url: page_url.as_deref(),
            },
            env,
        ),
        Command::Approve {
            files,
            by,
            all_pending,
            yes,
            ..
        } => {
            let request = approve::Request {
                files: &files,
                by: by.as_deref(),
                all_pending,
                yes,
            };
            approve::run(&instance, &request, &global)
        }
        Command::Resolve {
            id,
            channel,
            resend_in_doubt,
            drop_in_doubt,
            ..
        } if resend_in_doubt || drop_in_doubt => resolve::in_doubt(
            &instance,
            &id,
            &channel,
            if resend_in_doubt {
                resolve::Decision::Resend
            } else {
                resolve::Decision::Drop
            },
        ),
        Command::Resolve {
            id,
            channel,
            posted,
            lang,
            part,
            ..
        } => resolve::run(
            &instance,
            &resolve::Target {
                id,
                channel,
                lang,
                part,
            },
            posted,
        ),
        Command::New { .. } => unreachable!("handled above"),
    }
}
