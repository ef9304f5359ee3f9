//! A list send inside `herald publish`: which announcements go to which list, the send
//! itself, and what the ledger and the report get. Also the dry run's view of a list and
//! `--test-to`.
//!
//! An email list gets every language of an announcement at once (each subscriber their
//! own), so a list send waits until every variant meant for the list can go out. The
//! ledger gets one `posted` (or `failed`) record per variant of the list send, carrying
//! the send's summary, so `status`, `audit` and the next run see it like any other post;
//! per-subscriber progress lives only in the send log.

use super::message::{Composer, Letters};
use super::send;
use super::subscribers::{self, Line, Subscriber, Suppression};
use super::{Config, Keyring, Progress, Secrets};
use crate::announcement::Variant;
use crate::channel::Channel;
use crate::channel::scrub::Scrubber;
use crate::channel::send::secret;
use crate::engine::{Outcome, Row, Shared};
use crate::ledger::{ErrorClass, Event, Key, Record};
use crate::render::Templates;
use crate::settings::Settings;
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// What a list send needs from the instance.
pub struct Context<'a> {
    pub env: &'a BTreeMap<String, String>,
    pub templates: &'a Templates,
    pub settings: &'a Settings,
    pub progress: Progress,
}

/// One announcement to one list: its variants with their approved hashes.
pub struct ListSend<'a> {
    pub id: String,
    pub channel: &'a dyn Channel,
    pub variants: Vec<(&'a Variant, String)>,
}

impl ListSend<'_> {
    fn langs(&self) -> String {
        let mut langs: Vec<&str> = self.variants.iter().map(|(v, _)| v.lang.as_str()).collect();
        langs.sort_unstable();
        langs.join("+")
    }

    fn row(&self, result: Outcome, detail: String) -> Row {
        Row {
            id: self.id.clone(),
            lang: self.langs(),
            channel: self.channel.name().to_owned(),
            result,
            detail,
            urls: vec![],
        }
    }

    fn letters(&self, ctx: &Context<'_>) -> Result<Letters, String> {
        let config = self.channel.email().expect("an email channel");
        let variants: Vec<&Variant> = self.variants.iter().map(|(v, _)| *v).collect();
        let s = ctx.settings;
        Letters::render(
            ctx.templates,
            &variants,
            self.channel,
            config
                .fallback_lang
                .as_deref()
                .unwrap_or(self.channel.lang()),
            &s.tz,
            &s.root,
        )
    }
}

/// Sends one announcement to one list and records the outcome in the ledger.
pub async fn publish(list: &ListSend<'_>, ctx: &Context<'_>, shared: &Shared) -> Row {
    let config = list.channel.email().expect("an email channel");
    let name = list.channel.name();
    let secrets = match Secrets::read(config, ctx.env) {
        Ok(s) => s,
        Err(e) => return list.row(Outcome::Failed, format!("cannot send to `{name}`: {e}")),
    };
    let letters = match list.letters(ctx) {
        Ok(l) => l,
        Err(e) => return list.row(Outcome::Failed, format!("not sent: {e}")),
    };
    let suppression = match &secrets.suppression {
        Some(path) => {
            match Suppression::read(path, &subscribers::shown_name(path), &secrets.keys) {
                Ok((s, _)) => s,
                Err(e) => return list.row(Outcome::Failed, format!("not sent: {e}")),
            }
        }
        None => Suppression::default(),
    };
    let p = &ctx.settings.publishing;
    let timeout = Duration::try_from(p.request_timeout).unwrap_or(Duration::from_secs(30));
    let params = match super::tls_parameters(config, &ctx.settings.root) {
        Ok(p) => p,
        Err(e) => return list.row(Outcome::Failed, format!("not sent: {e}")),
    };
    let connector = super::connector::Connector::new(
        config,
        params,
        super::credentials(config, secrets.password.as_ref()),
        timeout,
    );
    let state_dir = ctx.settings.root.join(&ctx.settings.state_dir);
    let job = send::Job {
        channel: name.to_owned(),
        letters: Arc::new(letters),
        composer: Arc::new(Composer::new(config, secrets.keys, secrets.dkim)),
        connector,
        timeout,
        subscribers: secrets.subscribers,
        suppression: Arc::new(suppression),
        log: super::sendlog::path(&state_dir, name, &list.id),
        root: ctx.settings.root.clone(),
        concurrency: config.concurrency,
        rate: config.rate,
        retry: crate::engine::retry(p),
        progress: ctx.progress,
    };
    let (outcome, detail, event) = match send::run(job).await {
        Err(e) => (
            Outcome::Failed,
            format!("nothing sent: {e}; the list goes out in the next run"),
            Event::Failed,
        ),
        Ok(report) => {
            let mut detail = report.summary();
            for p in &report.problems {
                detail.push_str(&format!("\n{p}"));
            }
            if report.more_problems > 0 {
                detail.push_str(&format!("\n… and {} more", report.more_problems));
            }
            if let Some(why) = &report.stopped {
                detail.push_str(&format!("\nstopped: {why}"));
            }
            if report.complete() {
                let outcome = if report.in_doubt + report.in_doubt_before > 0 {
                    Outcome::InDoubt
                } else {
                    Outcome::Posted
                };
                (outcome, detail, Event::Posted)
            } else {
                if report.stopped.is_none() {
                    detail.push_str("\nthe rest goes out in the next run");
                }
                (Outcome::Failed, detail, Event::Failed)
            }
        }
    };
    // Server replies are quoted in the detail: no secret of the list goes further.
    let scrubber = Scrubber::for_channel(&list.channel.secrets(), Some(config), ctx.env);
    let detail = scrubber.scrub(&detail).into_owned();
    let summary = detail.lines().next().unwrap_or_default().to_owned();
    for (v, hash) in &list.variants {
        let mut record = Record::new(
            event,
            Key {
                id: v.id.clone(),
                lang: v.lang.clone(),
                channel: name.to_owned(),
                part: 1,
            },
            hash,
            shared.clock.now(),
        );
        record.message = Some(summary.clone());
        if event == Event::Failed {
            record.class = Some(ErrorClass::Transient);
        }
        let written = shared
            .writer
            .lock()
            .expect("ledger lock poisoned")
            .append(&record);
        if let Err(e) = written {
            return list.row(
                Outcome::Failed,
                format!("{detail}\ncannot write the ledger: {e}"),
            );
        }
    }
    list.row(outcome, detail)
}

/// A stand-in subscriber for the dry run and `--test-to`.
fn sample(address: &str, keys: &Keyring) -> Subscriber {
    let address: lettre::Address = address.parse().expect("a valid address");
    Subscriber {
        id: keys.id(address.as_ref()),
        address,
        name: String::new(),
        lang: String::new(),
        line: 0,
    }
}

/// The keyring for previews: the real one when its secret is set.
fn preview_keys(config: &Config, env: &BTreeMap<String, String>) -> Keyring {
    let secret = secret(env, &config.secret_env, "list secret")
        .unwrap_or_else(|_| SecretString::from("not-the-list-secret"));
    Keyring::new(secret, &config.list_id)
}

/// The recipients per language, from the subscriber file (counts only).
pub fn count(list: &ListSend<'_>, ctx: &Context<'_>) -> Result<BTreeMap<String, u64>, String> {
    let config = list.channel.email().expect("an email channel");
    let letters = list.letters(ctx)?;
    let keys = preview_keys(config, ctx.env);
    let path = secret(ctx.env, &config.subscribers_env, "subscriber list path")
        .map(|p| std::path::PathBuf::from(secrecy::ExposeSecret::expose_secret(&p)))?;
    let suppression = match config.suppression_env.as_ref().and_then(|n| ctx.env.get(n)) {
        Some(p) => {
            let p = std::path::Path::new(p);
            Suppression::read(p, &subscribers::shown_name(p), &keys)?.0
        }
        None => Suppression::default(),
    };
    let mut reader = subscribers::Reader::open(&path, &keys, &suppression)?;
    let mut counts: BTreeMap<String, u64> = letters
        .letters
        .iter()
        .map(|l| (l.lang.clone(), 0))
        .collect();
    while let Some(next) = reader.next_line() {
        if let (_, Line::Subscriber(s)) = next? {
            let lang = &letters.letters[letters.pick(&s.lang)].lang;
            *counts.entry(lang.clone()).or_default() += 1;
        }
    }
    Ok(counts)
}

/// The message of `lang` exactly as a subscriber without a name would get it, for the
/// dry run: headers, then the plain text, then the HTML.
pub fn render_sample(list: &ListSend<'_>, ctx: &Context<'_>, lang: &str) -> Result<String, String> {
    let config = list.channel.email().expect("an email channel");
    let letters = list.letters(ctx)?;
    let keys = preview_keys(config, ctx.env);
    let dkim = match (&config.dkim_key_env, &config.dkim_selector) {
        (Some(env), Some(sel)) => secret(ctx.env, env, "DKIM key")
            .ok()
            .and_then(|k| super::message::dkim(&k, sel, &config.dkim_domain()).ok()),
        _ => None,
    };
    let signed = dkim.is_some();
    let composer = Composer::new(config, keys, dkim);
    let sub = sample("subscriber@example.invalid", &composer.keys);
    let index = letters
        .letters
        .iter()
        .position(|l| l.lang == lang)
        .ok_or_else(|| format!("no `{lang}` variant"))?;
    let letter = &letters.letters[index];
    let message = composer.compose(&letters.id, letter, &sub)?;
    let h = message.headers();
    let mut out = String::new();
    for name in [
        "From",
        "Reply-To",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "Content-Language",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Auto-Submitted",
        "Precedence",
    ] {
        if let Some(v) = h.get_raw(name) {
            out.push_str(&format!("{name}: {v}\n"));
        }
    }
    if signed {
        out.push_str(&format!(
            "DKIM-Signature: d={}; s={}; (signed over From, To, Subject, List-Unsubscribe, List-Unsubscribe-Post, …)\n",
            config.dkim_domain(),
            config.dkim_selector.as_deref().unwrap_or_default()
        ));
    }
    let filled = letter.fill("", &composer.unsubscribe_url(&sub));
    out.push_str("\n--- text/plain\n");
    out.push_str(&filled.text);
    out.push_str("\n--- text/html\n");
    out.push_str(&filled.html);
    Ok(out)
}

/// `--test-to`: one copy of each variant to `address`, through the list's server. Nothing
/// is recorded; the list is not read.
pub async fn test_to(list: &ListSend<'_>, ctx: &Context<'_>, address: &str) -> Vec<String> {
    let config = list.channel.email().expect("an email channel");
    let name = list.channel.name();
    let fail = |e: String| vec![format!("{} → {name}: test copy not sent: {e}", list.id)];
    let keys = match secret(ctx.env, &config.secret_env, "list secret") {
        Ok(s) => Keyring::new(s, &config.list_id),
        Err(e) => return fail(e),
    };
    let password = match &config.password_env {
        Some(env) => match secret(ctx.env, env, "SMTP password") {
            Ok(p) => Some(p),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let dkim = match (&config.dkim_key_env, &config.dkim_selector) {
        (Some(env), Some(sel)) => {
            match secret(ctx.env, env, "DKIM key")
                .and_then(|k| super::message::dkim(&k, sel, &config.dkim_domain()))
            {
                Ok(d) => Some(d),
                Err(e) => return fail(e),
            }
        }
        _ => None,
    };
    let letters = match list.letters(ctx) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let timeout = Duration::try_from(ctx.settings.publishing.request_timeout)
        .unwrap_or(Duration::from_secs(30));
    let transport = match super::transport(config, password.as_ref(), &ctx.settings.root, timeout) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let composer = Composer::new(config, keys, dkim);
    let sub = sample(address, &composer.keys);
    let mut out = Vec::new();
    for letter in &letters.letters {
        let sent = match composer.compose(&letters.id, letter, &sub) {
            Ok(m) => {
                use lettre::AsyncTransport;
                transport
                    .send(m)
                    .await
                    .map(|_| ())
                    .map_err(|e| send::connection_problem(&e))
            }
            Err(e) => Err(e),
        };
        out.push(match sent {
            Ok(()) => format!(
                "{} [{}] → {name}: test copy sent to the --test-to address",
                list.id, letter.lang
            ),
            Err(e) => format!(
                "{} [{}] → {name}: test copy not sent: {e}",
                list.id, letter.lang
            ),
        });
    }
    let scrubber = Scrubber::for_channel(&list.channel.secrets(), Some(config), ctx.env);
    out.iter()
        .map(|line| scrubber.scrub(line).into_owned())
        .collect()
}

/// Takes the email channels' jobs out of `runs` and groups them into list sends, one per
/// (announcement, list). A list send whose announcement has a variant for the list that
/// cannot go out yet waits for it (rows say so), so nobody gets a fallback language
/// only because a translation was approved later.
pub fn gather<'a>(
    instance: &'a crate::cmd::Instance,
    plan: &[crate::cmd::Planned<'a>],
    runs: &mut BTreeMap<String, Vec<crate::engine::Job>>,
    history: &crate::ledger::History,
) -> (Vec<ListSend<'a>>, Vec<Row>) {
    let s = &instance.settings;
    let names: Vec<String> = runs
        .keys()
        .filter(|n| s.channel(n).is_some_and(|c| c.email().is_some()))
        .cloned()
        .collect();
    let mut lists = Vec::new();
    let mut rows = Vec::new();
    for name in names {
        let jobs = runs.remove(&name).unwrap_or_default();
        let channel = s.channel(&name).expect("planned channels exist");
        let mut by_id: BTreeMap<String, Vec<crate::engine::Job>> = BTreeMap::new();
        for job in jobs {
            by_id.entry(job.id.clone()).or_default().push(job);
        }
        for (id, jobs) in by_id {
            let missing: Vec<String> = instance
                .variants()
                .filter(|v| v.id == id && !jobs.iter().any(|j| j.lang == v.lang))
                .filter(|v| !v.front.overrides.get(&name).is_some_and(|o| o.skip))
                .filter(|v| !instance.targets(v, Some(&name)).is_empty())
                .filter(|v| {
                    !matches!(
                        history.state(&Key {
                            id: id.clone(),
                            lang: v.lang.clone(),
                            channel: name.clone(),
                            part: 1,
                        }),
                        Some(crate::ledger::KeyState::Posted { .. })
                    )
                })
                .map(|v| format!("`{}`", v.lang))
                .collect();
            if !missing.is_empty() {
                for job in &jobs {
                    rows.push(Row {
                        id: id.clone(),
                        lang: job.lang.clone(),
                        channel: name.clone(),
                        result: Outcome::Deferred,
                        detail: format!(
                            "waiting for the {} variant (not approved or not due yet): an email list gets every language at once, so each subscriber gets their own",
                            missing.join(", ")
                        ),
                        urls: vec![],
                    });
                }
                continue;
            }
            let variants = jobs
                .iter()
                .filter_map(|j| {
                    plan.iter()
                        .find(|p| p.variant.id == id && p.variant.lang == j.lang)
                        .map(|p| (p.variant, j.hash.clone()))
                })
                .collect();
            lists.push(ListSend {
                id,
                channel,
                variants,
            });
        }
    }
    (lists, rows)
}

/// Sends every list, one after another (each list already sends in parallel).
pub async fn publish_all(lists: &[ListSend<'_>], ctx: &Context<'_>, shared: &Shared) -> Vec<Row> {
    let mut rows = Vec::new();
    for list in lists {
        rows.push(publish(list, ctx, shared).await);
    }
    rows
}

/// The dry run's lines for one email post: the recipients in its language and the whole
/// message for a sample subscriber. `siblings` are the due variants of the announcement.
pub fn dry_run_lines(
    channel: &dyn Channel,
    variant: &Variant,
    siblings: &[&Variant],
    ctx: &Context<'_>,
) -> Vec<String> {
    let config = channel.email().expect("an email channel");
    let list = ListSend {
        id: variant.id.clone(),
        channel,
        variants: siblings.iter().map(|v| (*v, String::new())).collect(),
    };
    let mut out = Vec::new();
    if ctx
        .env
        .get(&config.subscribers_env)
        .is_some_and(|v| !v.is_empty())
    {
        match count(&list, ctx) {
            Ok(counts) => out.push(format!(
                "Recipients in `{}`: {} (of {} in all languages)",
                variant.lang,
                counts.get(&variant.lang).copied().unwrap_or(0),
                counts.values().sum::<u64>()
            )),
            Err(e) => out.push(format!("Recipients: cannot count them: {e}")),
        }
    } else {
        out.push(format!(
            "Recipients: set `{}` to the subscriber list's path to count them",
            config.subscribers_env
        ));
    }
    match render_sample(&list, ctx, &variant.lang) {
        Ok(text) => {
            out.push(format!(
                "┌ the `{}` message, for a sample subscriber without a name",
                variant.lang
            ));
            out.extend(text.lines().map(|l| format!("│ {l}")));
            out.push("└".into());
        }
        Err(e) => out.push(format!("cannot render the message: {e}")),
    }
    out
}
