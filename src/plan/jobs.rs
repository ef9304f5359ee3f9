//! What a publish run hands the engine: each post whose [`fate`](super::fate) says it goes
//! out becomes a [`Job`]; email lists' jobs are grouped into list sends ([`gather`]); and
//! everything the run must report without sending becomes a [`Row`] (missed, not approved,
//! broken, blocked, in doubt and not due, waiting for a sibling language).

use super::fate::{self, Fate};
use super::{Instance, Planned};
use crate::engine::list::ListSend;
use crate::engine::{Job, Outcome, Row};
use crate::ledger::{History, Key};
use crate::time::friendly_duration;
use std::collections::BTreeMap;

/// What the run says about an approved, due variant that broke since.
pub fn broken_words(path: &std::path::Path, reason: &str) -> String {
    format!(
        "not sent: {} was approved and is due, but now has an error ({reason}); fix it and have it approved again",
        crate::diagnostic::display_path(path)
    )
}

/// Rows for files so broken that when they are due is unknown (the front matter could not
/// be read): silence would hide an announcement that may be meant to go out now.
pub fn unreadable(instance: &Instance, only: Option<&str>) -> Vec<Row> {
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

/// What a real run would do with the plan: the jobs per channel, and rows for what is
/// held back (not approved, with errors, missed).
pub struct Selection {
    pub runs: BTreeMap<String, Vec<Job>>,
    /// Corrections and retractions, per channel.
    pub changes: BTreeMap<String, Vec<crate::engine::change::ChangeJob>>,
    pub rows: Vec<Row>,
    /// Posts that missed their time and that no run has reported yet: reported now,
    /// they fail this run once, and are noted in the ledger so later runs do not.
    pub newly_missed: Vec<(Key, String)>,
}

/// The engine's job for `post`: its parts, images and what the announcement is (the one
/// builder the dry run uses too, [`crate::dry_run::job`]).
pub fn job(instance: &Instance, p: &Planned<'_>, post: &crate::render::Post<'_>) -> Job {
    let hash = p.verdict.hash.as_deref().unwrap_or_default();
    Job {
        by: approvers(p),
        approved_at: approved_at(p),
        ..crate::dry_run::job(post, &instance.settings.root, hash)
    }
}

/// When `p`'s content as it is now was last approved: its stamps' times and the GitHub
/// reviews' submission times.
pub fn approved_at(p: &Planned<'_>) -> Option<jiff::Timestamp> {
    let hash = p.verdict.hash.as_deref()?;
    let stamps = p
        .variant
        .front
        .approvals
        .iter()
        .filter(|a| a.hash == hash && !a.by.starts_with("github:"))
        .filter_map(|a| a.at);
    let reviews = p
        .verdict
        .reviews
        .iter()
        .filter_map(|r| r.at.as_deref()?.parse::<jiff::Timestamp>().ok());
    stamps.chain(reviews).max()
}

/// Who approved `p` as it is now: the stamps of its content hash and the GitHub reviews
/// that proved it ("kadri@tartu.ee, github:kadri-tamm"), for the ledger and the audit.
pub fn approvers(p: &Planned<'_>) -> Option<String> {
    let hash = p.verdict.hash.as_deref()?;
    let mut by: Vec<String> = p
        .variant
        .front
        .approvals
        .iter()
        .filter(|a| a.hash == hash && !a.by.starts_with("github:"))
        .map(|a| a.by.clone())
        .collect();
    by.extend(
        p.verdict
            .reviews
            .iter()
            .map(|r| format!("github:{}", r.login)),
    );
    by.dedup();
    (!by.is_empty()).then(|| by.join(", "))
}

/// Turns each post's fate into a job for the engine or a row of the report.
pub fn select(
    instance: &Instance,
    plan: &[Planned<'_>],
    history: &History,
    allow_late: bool,
) -> Selection {
    let tz = &instance.settings.tz;
    let mut runs: BTreeMap<String, Vec<Job>> = BTreeMap::new();
    let mut changes: BTreeMap<String, Vec<crate::engine::change::ChangeJob>> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut newly_missed = Vec::new();
    let row = |p: &Planned<'_>, channel: String, result, detail: String| Row {
        id: p.variant.id.clone(),
        lang: p.variant.lang.clone(),
        channel,
        result,
        detail,
        urls: vec![],
    };
    for p in plan {
        let v = p.variant;
        if let Fate::Broken { reason } = fate::variant_fate(instance, p, history, allow_late) {
            let channels: Vec<String> = instance
                .targets(v, None)
                .iter()
                .map(|c| c.name().to_owned())
                .collect();
            let channel = if channels.is_empty() {
                "-".into()
            } else {
                channels.join(", ")
            };
            rows.push(row(
                p,
                channel,
                Outcome::Failed,
                broken_words(&v.path, &reason),
            ));
            continue;
        }
        for post in &p.posts {
            let name = post.channel.name().to_owned();
            let fate = fate::fate(instance, plan, p, &name, Some(post), history, allow_late);
            match fate {
                Fate::Change { change, .. } => {
                    changes
                        .entry(name)
                        .or_default()
                        .push(crate::engine::change::ChangeJob {
                            job: job(instance, p, post),
                            change,
                        });
                }
                Fate::ChangedAfterPosting { .. } => rows.push(row(
                    p,
                    name,
                    Outcome::Skipped,
                    super::change::CHANGED_AFTER_POSTING.into(),
                )),
                _ if fate.goes_out() => {
                    runs.entry(name).or_default().push(job(instance, p, post));
                }
                Fate::Missed { at, noted } => {
                    let when = crate::time::human_in(at, tz);
                    let noted = match noted {
                        Some(at) => format!(
                            " (first reported {}; later runs do not fail for it)",
                            crate::time::human_in(at, tz)
                        ),
                        None => {
                            let key = Key {
                                id: v.id.clone(),
                                lang: v.lang.clone(),
                                channel: name.clone(),
                                part: 1,
                            };
                            newly_missed.push((key, p.verdict.hash.clone().unwrap_or_default()));
                            String::new()
                        }
                    };
                    let detail = format!(
                        "was due at {when}, more than {} ago; not sent automatically (`--allow-late` sends it){noted}",
                        friendly_duration(instance.settings.publishing.max_delay)
                    );
                    rows.push(row(p, name, Outcome::Missed, detail));
                }
                Fate::NotApproved {
                    reason, due: true, ..
                } => rows.push(row(p, name, Outcome::Skipped, reason)),
                Fate::Waiting { langs } => {
                    rows.push(row(p, name, Outcome::Deferred, fate::waiting_words(&langs)));
                }
                Fate::Blocked { reason } => {
                    rows.push(row(p, name, Outcome::Failed, format!("not sent: {reason}")));
                }
                Fate::InDoubt { since, .. } => rows.push(row(
                    p,
                    name.clone(),
                    Outcome::InDoubt,
                    format!(
                        "not sure it went out: a run stopped at {} before the network answered, and it is not due now, so Herald neither asks nor posts it again; check the account, then run {}",
                        crate::time::human_in(since, tz),
                        crate::ledger::settle_commands(&v.id, &name)
                    ),
                )),
                // Posted, skipped, not approved and not due, not due yet: nothing to say.
                _ => {}
            }
        }
    }
    Selection {
        runs,
        changes,
        rows,
        newly_missed,
    }
}

/// Takes the email channels' jobs out of `runs` and groups them into list sends, one per
/// (announcement, list). Whether a list waits for another language is the posts' fate
/// ([`Fate::Waiting`]), decided before: only posts that go out are here.
pub fn gather<'a>(
    instance: &'a Instance,
    plan: &[Planned<'a>],
    runs: &mut BTreeMap<String, Vec<Job>>,
) -> Vec<ListSend<'a>> {
    let s = &instance.settings;
    let names: Vec<String> = runs
        .keys()
        .filter(|n| s.channel(n).is_some_and(|c| c.email().is_some()))
        .cloned()
        .collect();
    let mut lists = Vec::new();
    for name in names {
        let jobs = runs.remove(&name).unwrap_or_default();
        let channel = s.channel(&name).expect("planned channels exist");
        let mut by_id: BTreeMap<String, Vec<Job>> = BTreeMap::new();
        for job in jobs {
            by_id.entry(job.id.clone()).or_default().push(job);
        }
        for (id, jobs) in by_id {
            let variants = jobs
                .iter()
                .filter_map(|j| {
                    plan.iter()
                        .find(|p| p.variant.id == id && p.variant.lang == j.lang)
                        .map(|p| (p.variant, j.hash.clone()))
                })
                .collect();
            let by = jobs
                .iter()
                .filter_map(|j| Some((j.lang.clone(), j.by.clone()?)))
                .collect();
            lists.push(ListSend {
                id,
                channel,
                variants,
                by,
                notice: None,
            });
        }
    }
    lists
}

/// The variant as its correction notice says it: the title marked `Parandus:`,
/// `Correction:`, … in its language, the rest as it is now. For a retraction (a
/// message to an email list): the title marked `Tagasi võetud:`, `Withdrawn:`, … and
/// the reason as the text.
pub fn notice_variant(o: &crate::announcement::Variant) -> crate::announcement::Variant {
    let mut front = o.front.clone();
    let (word, body) = match &o.front.retract {
        Some(reason) => (withdrawn_word(&o.lang), format!("{reason}\n")),
        None => (correction_word(&o.lang), o.body.clone()),
    };
    front.title = format!("{word}: {}", front.title);
    crate::announcement::Variant {
        id: o.id.clone(),
        lang: o.lang.clone(),
        path: o.path.clone(),
        front,
        body,
        body_line: o.body_line,
        x_invalid_chars: o.x_invalid_chars.clone(),
        diagnostics: crate::diagnostic::Diagnostics::new(),
        readable: o.readable,
    }
}

/// A correction message due to an email list (`correction = "notice"`), taken out of
/// the changes: the engine sends it as a list send of its own.
pub struct ListNotice {
    pub channel: String,
    /// The corrected variant, its title marked as a correction.
    pub variant: crate::announcement::Variant,
    /// The corrected content's hash (the notice's records carry it).
    pub hash: String,
    /// The languages the announcement went to the list in.
    pub sent: Vec<String>,
    /// Who approved the change.
    pub by: Option<String>,
}

/// Takes the email lists' correction messages out of `changes` (they go out as list
/// sends, not through a channel's sender).
pub fn take_notices(
    instance: &Instance,
    plan: &[Planned<'_>],
    history: &History,
    changes: &mut BTreeMap<String, Vec<crate::engine::change::ChangeJob>>,
) -> Vec<ListNotice> {
    let mut out = Vec::new();
    for (name, jobs) in changes.iter_mut() {
        if instance
            .settings
            .channel(name)
            .and_then(|c| c.email())
            .is_none()
        {
            continue;
        }
        jobs.retain(|cj| {
            let notice = cj.change.list
                && cj
                    .change
                    .to_do()
                    .any(|s| s.action == crate::ledger::Action::Notice);
            let Some(p) = plan
                .iter()
                .find(|p| p.variant.id == cj.job.id && p.variant.lang == cj.job.lang)
                .filter(|_| notice)
            else {
                return true;
            };
            out.push(ListNotice {
                channel: name.clone(),
                variant: notice_variant(p.variant),
                hash: cj.job.hash.clone(),
                sent: sent_langs(history, &cj.job.id, name),
                by: cj.job.by.clone(),
            });
            false
        });
    }
    changes.retain(|_, jobs| !jobs.is_empty());
    out
}

/// The languages announcement `id` went to list `channel` in.
pub fn sent_langs(history: &History, id: &str, channel: &str) -> Vec<String> {
    let mut langs: Vec<String> = history
        .live
        .keys()
        .filter(|k| k.id == id && k.channel == channel && k.part == 1)
        .map(|k| k.lang.clone())
        .collect();
    langs.sort();
    langs
}

/// The word a correction notice starts with, in the variant's language (English for a
/// language Herald has no word for).
pub fn correction_word(lang: &str) -> &'static str {
    let base = lang.split(['-', '_']).next().unwrap_or(lang);
    match base.to_ascii_lowercase().as_str() {
        "et" => "Parandus",
        "fi" => "Korjaus",
        "lv" => "Labojums",
        "lt" => "Pataisymas",
        "sv" => "Rättelse",
        "de" => "Berichtigung",
        "hu" => "Helyesbítés",
        "fr" => "Rectificatif",
        "es" => "Corrección",
        "it" => "Rettifica",
        "pl" => "Sprostowanie",
        "nl" => "Rectificatie",
        "da" | "nb" | "no" => "Rettelse",
        "pt" => "Correção",
        "cs" => "Oprava",
        "ru" => "Исправление",
        "uk" => "Виправлення",
        _ => "Correction",
    }
}

/// The word a withdrawal message to a list starts with, in the variant's language
/// (English for a language Herald has no word for).
pub fn withdrawn_word(lang: &str) -> &'static str {
    let base = lang.split(['-', '_']).next().unwrap_or(lang);
    match base.to_ascii_lowercase().as_str() {
        "et" => "Tagasi võetud",
        "fi" => "Peruutettu",
        "lv" => "Atsaukts",
        "lt" => "Atšaukta",
        "sv" => "Återkallad",
        "de" => "Zurückgezogen",
        "hu" => "Visszavonva",
        "fr" => "Retiré",
        "es" => "Retirado",
        "it" => "Ritirato",
        "pl" => "Wycofano",
        "nl" => "Ingetrokken",
        "da" => "Trukket tilbage",
        "nb" | "no" => "Trukket tilbake",
        "pt" => "Retirado",
        "cs" => "Staženo",
        "ru" => "Отозвано",
        "uk" => "Відкликано",
        _ => "Withdrawn",
    }
}

/// The parts of the correction notice that answers `p`'s post on `channel` (its
/// `correction = "reply"`): the post as it is now, rendered with the channel's own
/// template, its title marked "Correction: …" in the variant's language. Empty when it
/// cannot be rendered.
pub fn notice(
    instance: &Instance,
    p: &Planned<'_>,
    channel: &dyn crate::channel::Channel,
) -> Vec<String> {
    let s = &instance.settings;
    let v = notice_variant(p.variant);
    let prepared = crate::render::Prepared::new(&v, &s.tz, &s.root);
    let post = crate::render::render(
        &instance.templates,
        &prepared,
        &v,
        channel.target(),
        s.default_thread,
    );
    if !post.ok() {
        return Vec::new();
    }
    post.parts.into_iter().map(|part| part.text).collect()
}
