//! An email list send as a job of the engine: getting a list send ready ([`prepare`]: its
//! letters rendered from the templates, its secrets read), and the send with its ledger
//! records ([`run`]). Which announcements go to which list, and when a list waits for
//! another language, is the plan's ([`crate::plan::jobs::gather`], `Fate::Waiting`). The
//! dry run's view of a list and `--test-to` are in `sample.rs`; the sending itself is
//! [`crate::email`].
//!
//! An email list gets every language of an announcement at once (each subscriber their
//! own), so a list send waits until every variant meant for the list can go out. Like
//! every job of the engine, a list send writes a `started` record for each of its
//! variants (the key of part 1, with the approved hash) before the first message
//! leaves, and a `posted` or `failed` record carrying the send's summary at the end, so
//! `status`, `audit`, `resolve` and the next run see it like any other post.
//!
//! Progress in between lives in the send log alone: each message is marked there before
//! it leaves and after the server answers, batched per disk flush. A ledger record per
//! batch would repeat that in a file people read and commit, thousands of lines for a
//! large list, and no run would read it: resuming needs the send log's per-subscriber
//! marks anyway. So the `started` record names the send log instead, and a list found
//! started without an outcome is not in doubt (nobody needs to look at an account): the
//! next run resumes it from the send log, which sends nobody twice and skips nobody.
//!
//! A list send that ends with recipients in doubt (their message was on its way when a
//! run stopped) is not posted: it is recorded `failed` for good, and later runs hold it
//! back until a person decides about them ([`doubt`]).

pub mod doubt;
mod sample;

pub use sample::{count, dry_run_lines, notice_lines, render_sample, test_to};

use super::{Outcome, Row, Shared};
use crate::announcement::Variant;
use crate::channel::scrub::Scrubber;
use crate::channel::send::secret;
use crate::channel::{Channel, Kind, SecretRef};
use crate::email::message::{Composer, Letter, Letters, Rendered};
use crate::email::subscribers::{self, Suppression};
use crate::email::{Config, Progress, Secrets, send, sendlog};
use crate::ledger::{Action, ErrorClass, Event, Key, KeyState, Record};
use crate::render::{Prepared, RecipientView, Templates};
use crate::settings::Settings;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// What a list send needs from the instance.
pub struct Context<'a> {
    pub env: &'a BTreeMap<String, String>,
    pub templates: &'a Templates,
    pub settings: &'a Settings,
    pub progress: Progress,
    /// Where the send logs are, and the branch they are pushed to.
    pub store: Arc<crate::state::Store>,
}

/// One announcement to one list: its variants with their approved hashes.
pub struct ListSend<'a> {
    pub id: String,
    pub channel: &'a dyn Channel,
    pub variants: Vec<(&'a Variant, String)>,
    /// Who approved each variant's content, by language: its `started` records say so
    /// (the audit's "approved by", after the file has changed).
    pub by: BTreeMap<String, String>,
    /// For a correction message: what the announcement's own send was.
    pub notice: Option<NoticeOf>,
}

/// A correction message to a list (`correction = "notice"`): the one corrected variant
/// (its title already marked as a correction), to the subscribers who got that variant.
/// Its own send log, so the announcement's is never written again; its own ledger
/// records (action `notice`, the corrected content's hash), so it goes out once per
/// approved change.
pub struct NoticeOf {
    /// The languages the announcement went to the list in, as the ledger has them.
    pub sent: Vec<String>,
}

impl ListSend<'_> {
    fn langs(&self) -> String {
        let mut langs: Vec<&str> = self.variants.iter().map(|(v, _)| v.lang.as_str()).collect();
        langs.sort_unstable();
        langs.join("+")
    }

    pub(super) fn config(&self) -> &Config {
        self.channel.email().expect("an email channel")
    }

    /// The letters, one per variant, rendered from the email templates.
    pub(super) fn letters(&self, ctx: &Context<'_>) -> Result<Letters, String> {
        let s = ctx.settings;
        let mut letters = Vec::new();
        for (v, _) in &self.variants {
            let prepared = Prepared::new(v, &s.tz, &s.root);
            let letter = Letter::new(&v.lang, |name, unsubscribe_url| {
                let mut view = prepared.view(v, self.channel.target(), &prepared.body_text);
                view.recipient = Some(RecipientView {
                    name,
                    unsubscribe_url,
                });
                let render = |file: &str| {
                    ctx.templates
                        .render(Kind::Email, file, &view)
                        .map_err(|p| p.0.to_string())
                };
                Ok(Rendered {
                    subject: render("subject.txt.hbs")?,
                    text: crate::render::tidy(&render("body.txt.hbs")?),
                    html: render("body.html.hbs")?,
                })
            })?;
            letters.push(letter);
        }
        let mut letters = Letters::new(&self.id, letters, &self.fallbacks());
        if self.notice.is_some() {
            letters.id = self.notice_id();
            letters.answers = Some(self.id.clone());
        }
        Ok(letters)
    }

    /// The languages, first found first, of subscribers whose own has no letter.
    fn fallbacks(&self) -> [&str; 2] {
        let lang = self.channel.lang();
        [self.config().fallback_lang.as_deref().unwrap_or(lang), lang]
    }

    /// A correction's name for its send log and its messages' Message-IDs: the
    /// announcement, the language and the corrected content (`<id>.<lang>.correction-<hash>`,
    /// or `withdrawal-<hash>` for a retraction).
    fn notice_id(&self) -> String {
        let (v, hash) = &self.variants[0];
        let short: String = hash
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect();
        let what = match v.front.retract {
            Some(_) => "withdrawal",
            None => "correction",
        };
        format!("{}.{}.{what}-{short}", self.id, v.lang)
    }

    /// Who a correction goes to: whom the announcement's own send log has as delivered,
    /// among those who got the corrected language.
    fn audience(&self, state_dir: &std::path::Path) -> Result<Option<send::Audience>, String> {
        let Some(notice) = &self.notice else {
            return Ok(None);
        };
        let chose = crate::email::message::Choice::new(notice.sent.clone(), &self.fallbacks());
        let log = sendlog::path(state_dir, self.channel.name(), &self.id);
        send::Audience::read(&log, chose, &self.variants[0].0.lang).map(Some)
    }
}

/// A list send ready to go, owned so that the engine runs it beside the channels.
pub struct ListJob {
    books: Bookkeeping,
    /// The send, or why it cannot start (then nothing is recorded).
    ready: Result<send::Job, String>,
}

/// What the ledger and the report need of a list send.
struct Bookkeeping {
    id: String,
    channel: String,
    langs: String,
    /// Each variant's ledger key (part 1) with its approved hash.
    keys: Vec<(Key, String)>,
    /// The send log, relative to the state folder, named by the `started` records.
    log: String,
    /// `Some(Action::Notice)` for a correction message: its records carry it.
    action: Option<Action>,
    /// Who approved each variant, by language.
    by: BTreeMap<String, String>,
    /// The message tells of a withdrawal, not a correction.
    withdrawal: bool,
    /// Server replies are quoted in the report: no secret of the list goes further.
    secrets: Vec<(&'static str, String)>,
    config: Config,
    env: BTreeMap<String, String>,
    /// The repository and the state folder, where the send log is read.
    root: std::path::PathBuf,
    state_dir: std::path::PathBuf,
    /// Built when first needed: compiling a pattern per secret takes long enough to
    /// hold up the first message.
    scrubber: OnceLock<Scrubber>,
}

impl Bookkeeping {
    fn scrubber(&self) -> &Scrubber {
        self.scrubber.get_or_init(|| {
            let refs: Vec<SecretRef<'_>> = self
                .secrets
                .iter()
                .map(|(what, env)| SecretRef { what, env })
                .collect();
            Scrubber::for_channel(&refs, Some(&self.config), &self.env)
        })
    }

    fn row(&self, result: Outcome, detail: &str) -> Row {
        Row {
            id: self.id.clone(),
            lang: self.langs.clone(),
            channel: self.channel.clone(),
            result,
            detail: self.scrubber().scrub(detail).into_owned(),
            urls: vec![],
        }
    }

    /// Appends one record per variant; `attempts` are the variants' attempt numbers.
    fn record(
        &self,
        shared: &Shared,
        event: Event,
        attempts: &[u32],
        with: impl Fn(Record) -> Record,
    ) -> Result<(), String> {
        for ((key, hash), attempt) in self.keys.iter().zip(attempts) {
            let record = Record {
                attempt: Some(*attempt),
                action: self.action,
                by: match event {
                    Event::Started => self.by.get(&key.lang).cloned(),
                    _ => None,
                },
                ..Record::new(event, key.clone(), hash, shared.clock.now())
            };
            super::append(shared, &with(record))?;
        }
        Ok(())
    }
}

/// Gets every list send ready: letters rendered, secrets and the suppression list read.
pub fn prepare(lists: &[ListSend<'_>], ctx: &Context<'_>) -> Vec<ListJob> {
    lists
        .iter()
        .map(|list| {
            let name = list.channel.name();
            let keys = list
                .variants
                .iter()
                .map(|(v, hash)| {
                    let key = Key {
                        id: v.id.clone(),
                        lang: v.lang.clone(),
                        channel: name.to_owned(),
                        part: 1,
                    };
                    (key, hash.clone())
                })
                .collect();
            let secrets: Vec<(&'static str, String)> = list
                .channel
                .secrets()
                .iter()
                .map(|s| (s.what, s.env.to_owned()))
                .collect();
            let books = Bookkeeping {
                id: list.id.clone(),
                channel: name.to_owned(),
                langs: list.langs(),
                keys,
                log: match list.notice {
                    Some(_) => sendlog::relative(name, &list.notice_id()),
                    None => sendlog::relative(name, &list.id),
                },
                action: list.notice.as_ref().map(|_| Action::Notice),
                by: list.by.clone(),
                withdrawal: list.notice.is_some()
                    && list.variants.iter().any(|(v, _)| v.front.retract.is_some()),
                env: secrets
                    .iter()
                    .filter_map(|(_, var)| ctx.env.get(var).map(|v| (var.clone(), v.clone())))
                    .collect(),
                secrets,
                config: list.config().clone(),
                root: ctx.store.files().to_owned(),
                state_dir: ctx.store.dir(),
                scrubber: OnceLock::new(),
            };
            ListJob {
                books,
                ready: ready(list, ctx),
            }
        })
        .collect()
}

/// What [`send::run`] needs for `list`.
fn ready(list: &ListSend<'_>, ctx: &Context<'_>) -> Result<send::Job, String> {
    let config = list.config();
    let name = list.channel.name();
    let secrets = Secrets::read(config, |var, what| secret(ctx.env, var, what))
        .map_err(|e| format!("cannot send to `{name}`: {e}"))?;
    let not_sent = |e: String| format!("not sent: {e}");
    let letters = list.letters(ctx).map_err(not_sent)?;
    let letters_id = letters.id.clone();
    let suppression = match &secrets.suppression {
        Some(path) => {
            Suppression::read(path, &subscribers::shown_name(path), &secrets.keys)
                .map_err(not_sent)?
                .0
        }
        None => Suppression::default(),
    };
    let p = &ctx.settings.publishing;
    let timeout = Duration::try_from(p.request_timeout).unwrap_or(Duration::from_secs(30));
    let params = crate::email::tls_parameters(config, &ctx.settings.root).map_err(not_sent)?;
    let connector = crate::email::connector::Connector::new(
        config,
        params,
        crate::email::credentials(config, secrets.password.as_ref()),
        timeout,
    );
    let state_dir = ctx.store.dir();
    let audience = list.audience(&state_dir).map_err(not_sent)?;
    // With a state branch, each batch's marks are on the remote before it is sent.
    let push: Option<crate::email::Push> = ctx.store.is_remote().then(|| {
        let store = ctx.store.clone();
        let why = format!("email {name}: {} next batch", list.id);
        Arc::new(move || store.push(&why)) as crate::email::Push
    });
    Ok(send::Job {
        channel: name.to_owned(),
        letters: Arc::new(letters),
        composer: Arc::new(Composer::new(config, secrets.keys, secrets.dkim)),
        connector,
        timeout,
        subscribers: secrets.subscribers,
        suppression: Arc::new(suppression),
        log: sendlog::path(&state_dir, name, &letters_id),
        root: ctx.store.files().to_owned(),
        push,
        concurrency: config.concurrency,
        rate: config.rate,
        retry: super::retry(p),
        progress: ctx.progress,
        audience,
    })
}

/// Sends every list, one after another (each list already sends in parallel).
pub async fn run(lists: Vec<ListJob>, shared: &Shared) -> Vec<Row> {
    let mut rows = Vec::new();
    for list in lists {
        rows.push(send_list(list, shared).await);
    }
    rows
}

/// Sends one list: a `started` record per variant, the send, then a `posted` or
/// `failed` record per variant with the send's summary.
async fn send_list(list: ListJob, shared: &Shared) -> Row {
    let ListJob { books, ready } = list;
    if books.action.is_none()
        && let Some(row) = held_for_a_person(&books, shared)
    {
        return row;
    }
    let job = match ready {
        Ok(job) => job,
        Err(why) => return books.row(Outcome::Failed, &why),
    };
    // An earlier start without an outcome is counted, not reconciled: the send log
    // resumes it.
    let attempts: Vec<u32> = books
        .keys
        .iter()
        .map(|(key, hash)| {
            let state = match books.action {
                Some(action) => shared.history.step(key, action, hash),
                None => shared.history.state(key),
            };
            state.map_or(0, KeyState::attempts) + 1
        })
        .collect();
    let started = books.record(shared, Event::Started, &attempts, |r| Record {
        send_log: Some(books.log.clone()),
        ..r
    });
    let started = started
        .map_err(|e| (Outcome::Failed, format!("nothing sent: {e}")))
        .and_then(|()| match books.keys.first() {
            Some((key, hash)) => super::push_started(
                shared,
                &Record {
                    attempt: attempts.first().copied(),
                    action: books.action,
                    ..Record::new(Event::Started, key.clone(), hash, shared.clock.now())
                },
            ),
            None => Ok(()),
        });
    if let Err((outcome, e)) = started {
        return books.row(outcome, &e);
    }
    let mut ending = outcome(send::run(job).await, &books.id, &books.channel);
    if books.action.is_some() {
        ending = correction_ending(ending, books.withdrawal);
    }
    let (outcome, event) = (ending.outcome, ending.event);
    let detail = books.scrubber().scrub(&ending.detail).into_owned();
    let summary = books.scrubber().scrub(&ending.message).into_owned();
    let ended = books.record(shared, event, &attempts, |r| Record {
        message: Some(summary.clone()),
        class: ending.class,
        ..r
    });
    match ended {
        Ok(()) => books.row(outcome, &detail),
        Err(e) => books.row(Outcome::Failed, &format!("{detail}\n{e}")),
    }
}

/// What a send came to.
struct Ending {
    outcome: Outcome,
    /// The report's words: the summary first, then the problems.
    detail: String,
    event: Event,
    /// On `failed`: permanent when only a person can take the list further.
    class: Option<ErrorClass>,
    /// The ledger's one line.
    message: String,
}

/// What a send came to: the row's outcome and detail, and the ledger's record. A list is
/// posted when everyone got it or was refused for good; with recipients in doubt (this
/// run's or earlier runs') it failed for good and waits for a person ([`doubt`]); else it
/// failed and the rest goes out in the next run.
fn outcome(sent: Result<send::Report, String>, id: &str, channel: &str) -> Ending {
    let failed = |detail: String| Ending {
        outcome: Outcome::Failed,
        message: detail.lines().next().unwrap_or_default().to_owned(),
        detail,
        event: Event::Failed,
        class: Some(ErrorClass::Transient),
    };
    let report = match sent {
        Ok(report) => report,
        Err(e) => {
            return failed(format!(
                "nothing sent: {e}; the list goes out in the next run"
            ));
        }
    };
    let summary = report.summary();
    let mut detail = summary.clone();
    for p in &report.problems {
        detail.push_str(&format!("\n{p}"));
    }
    if report.more_problems > 0 {
        detail.push_str(&format!("\n… and {} more", report.more_problems));
    }
    if let Some(why) = &report.stopped {
        detail.push_str(&format!("\nstopped: {why}"));
    }
    if !report.complete() {
        if report.stopped.is_none() {
            detail.push_str("\nthe rest goes out in the next run");
        }
        return failed(detail);
    }
    let in_doubt = report.in_doubt + report.in_doubt_before;
    if in_doubt > 0 {
        detail.push_str(&format!(
            "\n{}",
            doubt::words(in_doubt as usize, id, channel)
        ));
        return Ending {
            outcome: Outcome::InDoubt,
            detail,
            event: Event::Failed,
            class: Some(ErrorClass::Permanent),
            message: doubt::ledger_message(&summary, in_doubt, id, channel),
        };
    }
    Ending {
        outcome: Outcome::Posted,
        detail,
        event: Event::Posted,
        class: None,
        message: summary,
    }
}

/// What a correction message's send came to. Its recipients in doubt are not sent
/// again and nothing else waits for them: a second correction is worse than a missing
/// one, and the announcement itself went out. So the correction is done once every
/// recipient was tried; the row says how many are in doubt.
fn correction_ending(ending: Ending, withdrawal: bool) -> Ending {
    let (what, outcome) = match withdrawal {
        true => ("withdrawal message", Outcome::Retracted),
        false => ("correction", Outcome::Corrected),
    };
    match ending.outcome {
        Outcome::Posted | Outcome::InDoubt => Ending {
            outcome,
            detail: format!("{what} sent: {}", ending.detail),
            event: Event::Posted,
            class: None,
            message: ending.message,
        },
        _ => Ending {
            detail: format!("{what} not sent yet: {}", ending.detail),
            ..ending
        },
    }
}

/// A list send that ended waiting for a person is not sent again: the row says why and
/// what to do. `None` for any other list.
fn held_for_a_person(books: &Bookkeeping, shared: &Shared) -> Option<Row> {
    let history = &shared.history;
    if !doubt::waits_for_a_person(history, books.keys.iter().map(|(k, _)| k)) {
        return None;
    }
    let found = doubt::recipients(
        &books.root,
        &books.state_dir,
        history,
        &books.id,
        &books.channel,
    );
    let row = match found {
        Ok(Some(d)) if !d.ids.is_empty() => books.row(
            Outcome::InDoubt,
            &format!(
                "not sent again: {}",
                doubt::words(d.ids.len(), &books.id, &books.channel)
            ),
        ),
        Ok(_) => books.row(
            Outcome::Failed,
            &format!(
                "failed earlier and will not be retried, and no recipient is in doubt any more; `herald resolve {} {} --not-posted` lets the next run resume the list (nobody who got it gets it again)",
                books.id, books.channel
            ),
        ),
        Err(e) => books.row(Outcome::Failed, &format!("not sent: {e}")),
    };
    Some(row)
}
