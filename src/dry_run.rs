//! What a channel would receive, found by running the real thing with nothing sent: the
//! publish [`engine`](crate::engine) and each channel's own sender, on a recording
//! [`Transport`] and a ledger [`Sink`] that writes nothing.
//!
//! The dry run ([`record`]) uses it with handle lookups made for real; the approval
//! digest ([`record_offline`]) with nothing leaving the machine. The senders are
//! connected with placeholders for their secrets (`$TOKEN_ENV`), so they never hold a
//! real secret, a URL that carries one shows the variable's name, and a secret that is
//! not set is no reason to stop.

use crate::channel::send::About;
use crate::channel::transport::{self, Transport};
use crate::channel::{Channel, Request, SendContext};
use crate::engine::{self, ChannelRun, Clock, Job, Outcome, Shared, Sink};
use crate::ledger::{Action, History};
use crate::render::Post;
use crate::settings::{Publishing, Settings};
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// What one post's run recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recorded {
    /// The requests that would go out, in order.
    pub requests: Vec<Request>,
    /// What would be sent differently from the post as rendered, and why.
    pub notes: Vec<String>,
    /// Why sending would fail, if it would.
    pub failure: Option<String>,
}

/// The job that publishes `post` (the content `hash` goes into its idempotency keys).
pub fn job(post: &Post<'_>, root: &Path, hash: &str) -> Job {
    let v = post.variant;
    Job {
        id: v.id.clone(),
        lang: v.lang.clone(),
        channel: post.channel.name().to_owned(),
        hash: hash.to_owned(),
        parts: post.parts.iter().map(|part| part.text.clone()).collect(),
        images: v
            .front
            .images
            .iter()
            .map(|img| (root.join(&img.path), img.alt.clone()))
            .collect(),
        about: Arc::new(About {
            id: v.id.clone(),
            title: v.front.title.clone(),
            summary: v.front.summary.clone(),
            link: v.front.link.clone(),
            tags: v.front.tags.clone(),
            publish_at: v.front.publish_at,
        }),
        by: None,
        approved_at: None,
    }
}

/// `$NAME` for each of `channel`'s secret variables `NAME`: what its dry-run sender holds.
fn placeholder_env(channel: &dyn Channel) -> BTreeMap<String, String> {
    channel
        .secrets()
        .iter()
        .map(|s| (s.env.to_owned(), format!("${}", s.env)))
        .collect()
}

/// The dry-run sender of the channel `name`: placeholders for its secrets, recording on
/// `transport`, dated by `clock`.
fn dry_sender(
    settings: &Settings,
    name: &str,
    transport: &Transport,
    clock: Clock,
) -> Result<Box<dyn crate::channel::send::Sender>, String> {
    let root = &settings.root;
    let channel = settings
        .channel(name)
        .ok_or_else(|| format!("there is no channel `{name}`"))?;
    let env = placeholder_env(channel);
    channel.sender(&SendContext {
        env: &env,
        root,
        state_root: root,
        transport,
        now: Arc::new(move || clock.now()),
    })
}

/// What each of `n` posts records when the dry run cannot start.
fn not_started(n: usize, e: &std::io::Error) -> Vec<Recorded> {
    (0..n)
        .map(|_| Recorded {
            failure: Some(format!("cannot start the dry run: {e}")),
            ..Recorded::default()
        })
        .collect()
}

/// A run that waits for nothing and retries nothing: a recording transport never fails
/// in a way worth retrying, and pacing is the real run's business.
fn dry_config(real: &Publishing) -> Publishing {
    Publishing {
        max_posts_per_run: u32::MAX,
        min_spacing: SignedDuration::ZERO,
        max_attempts: 1,
        retries_per_run: 0,
        ..real.clone()
    }
}

fn shared(config: Publishing, now: Timestamp) -> Shared {
    Shared {
        history: History::default(),
        writer: Mutex::new(Sink::Nothing),
        config,
        clock: Clock::starting_at(now),
        ledger_failed: Default::default(),
        store: None,
        root: std::path::PathBuf::new(),
    }
}

fn recorded(transport: &Transport, result: Outcome, detail: String) -> Recorded {
    let posted = result == Outcome::Posted;
    Recorded {
        requests: transport.recorded(),
        notes: if posted && !detail.is_empty() {
            detail.split("; ").map(str::to_owned).collect()
        } else {
            Vec::new()
        },
        failure: (!posted).then_some(detail),
    }
}

/// Runs the engine on each of `posts` (with the content hash of its variant) as
/// `publish` would at `now`, recording instead of sending. Public handle lookups are made
/// for real. One result per post, in order.
pub fn record(settings: &Settings, posts: &[(&Post<'_>, &str)], now: Timestamp) -> Vec<Recorded> {
    if posts.is_empty() {
        return Vec::new();
    }
    let timeout = std::time::Duration::try_from(settings.publishing.request_timeout)
        .unwrap_or(std::time::Duration::from_secs(30));
    let http = crate::channel::send::http_client(timeout);
    let root = &settings.root;
    let mut transports = Vec::new();
    let mut runs = Vec::new();
    // One run per post, each with its own recorder, so requests are told apart by post.
    for (post, hash) in posts {
        let name = post.channel.name();
        let transport = Transport::recording(root, Some(http.clone()));
        let sender = dry_sender(settings, name, &transport, Clock::starting_at(now));
        runs.push(ChannelRun {
            changes: Vec::new(),
            channel: name.to_owned(),
            sender,
            jobs: vec![job(post, root, hash)],
        });
        transports.push(transport);
    }
    let shared = Arc::new(shared(dry_config(&settings.publishing), now));
    let rows = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(engine::run(runs, Vec::new(), shared)),
        Err(e) => return not_started(posts.len(), &e),
    };
    posts
        .iter()
        .zip(&transports)
        .map(|((post, _), transport)| {
            let row = rows.iter().find(|r| {
                r.id == post.variant.id
                    && r.lang == post.variant.lang
                    && r.channel == post.channel.name()
            });
            match row {
                Some(r) => recorded(transport, r.result, r.detail.clone()),
                None => recorded(transport, Outcome::Posted, String::new()),
            }
        })
        .collect()
}

/// The requests that would publish `post` on `channel`, found offline: nothing leaves
/// the machine (a handle is not resolved; its placeholder DID stands in), no runtime is
/// started. For the approval digest, computed for every variant at `check` time.
pub fn record_offline(channel: &dyn Channel, post: &Post<'_>, root: &Path) -> Recorded {
    let transport = Transport::recording(root, None);
    let env = placeholder_env(channel);
    let now = post
        .variant
        .front
        .publish_at
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let sender = channel.sender(&SendContext {
        env: &env,
        root,
        state_root: root,
        transport: &transport,
        // Fixed, so the digest is the same at every check.
        now: Arc::new(move || now),
    });
    let sender = match sender {
        Ok(s) => s,
        Err(why) => {
            return Recorded {
                failure: Some(why),
                ..Recorded::default()
            };
        }
    };
    let config = Publishing {
        max_delay: SignedDuration::ZERO,
        min_spacing: SignedDuration::ZERO,
        max_posts_per_run: u32::MAX,
        max_attempts: 1,
        retries_per_run: 0,
        retry_base: SignedDuration::ZERO,
        max_retry_wait: SignedDuration::ZERO,
        request_timeout: SignedDuration::ZERO,
    };
    let shared = shared(config, now);
    // The approved hash is not known yet when the digest is computed (the digest is part
    // of the approval): the keys carry none.
    let job = job(post, root, "");
    match transport::finish_offline(engine::publish_job(&job, sender.as_ref(), &shared)) {
        Some(row) => recorded(&transport, row.result, row.detail),
        None => Recorded {
            failure: Some("the sending code waited for an answer offline".into()),
            ..Recorded::default()
        },
    }
}

/// Runs the engine on each correction or retraction of `changes` as `publish` would at
/// `now`, on the ledger as it is (`history`: the ids of what went out), recording
/// instead of sending. One result per change, in order.
pub fn record_changes(
    settings: &Settings,
    changes: &[crate::engine::change::ChangeJob],
    history: &History,
    now: Timestamp,
) -> Vec<Recorded> {
    let root = &settings.root;
    let mut shared = shared(dry_config(&settings.publishing), now);
    shared.history = history.clone();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return not_started(changes.len(), &e),
    };
    changes
        .iter()
        .map(|cj| {
            // A correction message to a list is a list send: the dry run shows it from
            // the list ([`crate::engine::list::notice_lines`]), not as requests.
            if cj.change.list && cj.change.to_do().any(|s| s.action == Action::Notice) {
                return Recorded::default();
            }
            let transport = Transport::recording(root, None);
            // The engine's clock of this dry run: the changes are dated as `publish` at
            // the same time would date them.
            let sender = dry_sender(settings, &cj.job.channel, &transport, shared.clock);
            let sender_ref = sender.as_ref().map(|s| s.as_ref()).map_err(String::as_str);
            let row = runtime.block_on(crate::engine::change::run_change(cj, sender_ref, &shared));
            let ok = matches!(
                row.result,
                Outcome::Corrected | Outcome::Retracted | Outcome::Skipped
            ) || (row.result == Outcome::Failed
                && cj.change.to_do().any(|s| s.why.is_some()));
            Recorded {
                requests: transport.recorded(),
                notes: Vec::new(),
                failure: (!ok).then_some(row.detail),
            }
        })
        .collect()
}
