//! What happens to one post on one channel now: the one place that decides it.
//!
//! [`fate`] reads the plan (approval, the post's own problems, `overrides.NAME.skip`),
//! the schedule and the ledger, and returns a [`Fate`]. `status`, `preview`, the dry run
//! and the publish run print it (their words and colours come from the variant, never
//! from matching text) and the publish run hands the posts whose fate
//! [`goes_out`](Fate::goes_out) to the engine. [`variant_fate`] is the part that belongs
//! to a whole variant (approval and schedule), for variants without posts.

use super::{Instance, Planned};
use crate::approval::State;
use crate::ledger::{History, Key, KeyState};
use crate::render::Post;
use crate::schedule::{Timing, timing};
use jiff::Timestamp;

/// The fate of one post (or, from [`variant_fate`], of a whole variant), in the order
/// [`fate`] decides it.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Every part is in the ledger as posted.
    Posted { urls: Vec<String> },
    /// A part was started and no answer came: it may have been posted. `retry`: this
    /// run's engine reconciles it (it is due and approved); otherwise only a person can
    /// (`herald resolve`).
    InDoubt {
        since: Timestamp,
        urls: Vec<String>,
        retry: bool,
    },
    /// `overrides.NAME.skip` in the front matter.
    Skipped,
    /// Not approved as it is now. `due`: its time has come, so a run reports it.
    NotApproved {
        state: State,
        reason: String,
        due: bool,
    },
    /// Approved and due, but broken since (an error in the file, an image gone): it
    /// cannot go out, and the run fails until it is fixed and approved again.
    Broken { reason: String },
    /// No `publish_at`: never goes out.
    Unscheduled,
    /// `publish_at` is in the future.
    Scheduled { at: Timestamp },
    /// `expires_at` has passed.
    Expired,
    /// Approved, and due more than `max_delay` ago: not sent automatically. `noted`:
    /// when a run first reported it (that run failed; later runs do not).
    Missed {
        at: Timestamp,
        noted: Option<Timestamp>,
    },
    /// Approved and due, but this channel's post has an error: not sent.
    Blocked { reason: String },
    /// Due; an earlier attempt failed. `retry`: this run tries again (else the engine
    /// reports why it will not: a permanent refusal, or too many attempts).
    Failed {
        attempts: u32,
        message: String,
        urls: Vec<String>,
        retry: bool,
    },
    /// An email list's post that waits for the announcement's other languages (not
    /// approved or not due yet): a list gets every language at once, so that each
    /// subscriber gets their own. `langs`: the variants it waits for.
    Waiting { langs: Vec<String> },
    /// Went out; an approved correction or retraction is applied in this run.
    Change {
        change: super::change::Change,
        urls: Vec<String>,
    },
    /// Went out; its content changed since, and the change is not approved: the posts
    /// stay as they are until it is.
    ChangedAfterPosting { urls: Vec<String> },
    /// Withdrawn (`retract`): deleted wherever it went and could be, or never
    /// published. `left`: the addresses of the parts that could not be deleted.
    Retracted {
        reason: String,
        at: Option<Timestamp>,
        left: Vec<String>,
    },
    /// Goes out in this run.
    Due,
}

impl Fate {
    /// Whether this run sends something for the post: due, or a failure or a doubt that
    /// this run tries again. What the dry run shows as going out. A permanent failure,
    /// a doubt nobody can check, a post with an error: reported, not sent.
    pub fn sends(&self) -> bool {
        matches!(
            self,
            Fate::Due
                | Fate::Failed { retry: true, .. }
                | Fate::InDoubt { retry: true, .. }
                | Fate::Change { .. }
        )
    }

    /// Whether this run hands the post to the engine.
    pub fn goes_out(&self) -> bool {
        matches!(
            self,
            Fate::Due
                | Fate::Failed { .. }
                | Fate::InDoubt { retry: true, .. }
                | Fate::Change { .. }
        )
    }

    /// The word `status` shows (and its JSON carries).
    pub fn word(&self) -> &'static str {
        match self {
            Fate::Posted { .. } => "posted",
            Fate::InDoubt { .. } => "in_doubt",
            Fate::Skipped => "skipped",
            Fate::NotApproved { state, .. } => state.name(),
            Fate::Broken { .. } => State::Invalid.name(),
            Fate::Unscheduled => "unscheduled",
            Fate::Scheduled { .. } => "scheduled",
            Fate::Expired => "expired",
            Fate::Missed { .. } => "missed",
            Fate::Blocked { .. } => "blocked",
            Fate::Failed { .. } => "failed",
            Fate::Waiting { .. } => "waiting",
            Fate::Change { change, .. } if change.retraction.is_some() => "retracting",
            Fate::Change { .. } => "correcting",
            Fate::ChangedAfterPosting { .. } => "changed_after_posting",
            Fate::Retracted { .. } => "retracted",
            Fate::Due => "due",
        }
    }

    /// The words `status` shows people: [`Fate::word`] in plain words, without the
    /// internal terms the JSON keeps (`in_doubt` is "not sure it went out").
    pub fn label(&self) -> String {
        match self {
            Fate::InDoubt { .. } => "not sure it went out".into(),
            Fate::NotApproved { state, .. } if *state == State::UnknownApprover => {
                "approved by someone not on the approvers list".into()
            }
            Fate::NotApproved { state, .. } if *state == State::Changed => {
                "changed since it was approved".into()
            }
            Fate::Broken { .. } => "has a problem".into(),
            Fate::Unscheduled => "no publish_at".into(),
            Fate::Blocked { .. } => "not going out: it has problems".into(),
            Fate::Waiting { .. } => "waiting for the other languages".into(),
            other => other.word().replace('_', " "),
        }
    }

    /// The URLs of the parts already posted.
    pub fn urls(&self) -> &[String] {
        match self {
            Fate::Posted { urls }
            | Fate::InDoubt { urls, .. }
            | Fate::Failed { urls, .. }
            | Fate::Change { urls, .. }
            | Fate::ChangedAfterPosting { urls }
            | Fate::Retracted { left: urls, .. } => urls,
            _ => &[],
        }
    }
}

/// What a list waiting for other languages says, wherever it is shown.
pub fn waiting_words(langs: &[String]) -> String {
    let langs: Vec<String> = langs.iter().map(|l| format!("`{l}`")).collect();
    format!(
        "waiting for the {} version (not approved or not due yet): an email list gets every language at once, so each subscriber gets their own",
        langs.join(", ")
    )
}

/// The ledger's keys of `post`'s parts (one at least).
fn part_keys<'a>(
    p: &'a Planned<'_>,
    channel: &'a str,
    parts: usize,
) -> impl Iterator<Item = Key> + 'a {
    (1..=parts.max(1) as u32).map(move |part| Key {
        id: p.variant.id.clone(),
        lang: p.variant.lang.clone(),
        channel: channel.to_owned(),
        part,
    })
}

/// Whether every target channel of `p` has its first part posted.
fn everywhere_posted(instance: &Instance, p: &Planned<'_>, history: &History) -> bool {
    let channels = instance.targets(p.variant, None);
    !channels.is_empty()
        && channels.iter().all(|c| {
            part_keys(p, c.name(), 1)
                .all(|k| matches!(history.state(&k), Some(KeyState::Posted { .. })))
        })
}

/// The fate of a whole variant from its approval and schedule: `NotApproved`, `Broken`,
/// a timing (`Unscheduled`, `Scheduled`, `Expired`, `Missed`) or `Due`. With
/// `allow_late`, a missed variant is due.
pub fn variant_fate(
    instance: &Instance,
    p: &Planned<'_>,
    history: &History,
    allow_late: bool,
) -> Fate {
    let v = p.variant;
    let t = timing(
        &v.front,
        instance.now,
        instance.settings.publishing.max_delay,
    );
    let due = t == Timing::Due || (t == Timing::Missed && allow_late);
    // Withdrawn before it went out: never published, approved or not.
    if let Some(reason) = &v.front.retract {
        return Fate::Retracted {
            reason: reason.clone(),
            at: None,
            left: Vec::new(),
        };
    }
    if !p.state.publishable() {
        // Approved once and broken since: a due post that silently stays away would
        // hide the problem, so it is named (unless it went out everywhere already).
        let broken = p.state == State::Invalid && !p.variant.front.approvals.is_empty();
        if due && broken && !everywhere_posted(instance, p, history) {
            return Fate::Broken {
                reason: first_problem(p),
            };
        }
        return Fate::NotApproved {
            state: p.state,
            reason: p.verdict.describe(),
            due,
        };
    }
    match t {
        _ if due => Fate::Due,
        Timing::Unscheduled => Fate::Unscheduled,
        Timing::Scheduled(at) => Fate::Scheduled { at },
        Timing::Expired => Fate::Expired,
        Timing::Missed => Fate::Missed {
            at: v.front.publish_at.expect("missed has a time"),
            noted: None,
        },
        Timing::Due => Fate::Due,
    }
}

/// The fate of `p`'s post on `channel` now; `post` is the rendered post (`None` for a
/// variant too broken to render), `plan` the whole plan it belongs to. The ledger's facts
/// come first (posted; in doubt, which only a look at the account can settle), then the
/// front matter's skip, then the variant's approval and schedule, then the post's own
/// problems and earlier failures; a post that would go out to an email list then waits
/// for the announcement's other languages that the list also gets.
pub fn fate(
    instance: &Instance,
    plan: &[Planned<'_>],
    p: &Planned<'_>,
    channel: &str,
    post: Option<&Post<'_>>,
    history: &History,
    allow_late: bool,
) -> Fate {
    let own = own_fate(instance, p, channel, post, history, allow_late);
    let is_list = instance
        .settings
        .channel(channel)
        .is_some_and(|c| c.email().is_some());
    if !own.goes_out() || !is_list {
        return own;
    }
    let v = p.variant;
    let langs: Vec<String> = instance
        .variants()
        .filter(|s| s.id == v.id && s.lang != v.lang)
        .filter(|s| !s.front.overrides.get(channel).is_some_and(|o| o.skip))
        .filter(|s| !instance.targets(s, Some(channel)).is_empty())
        .filter(|s| {
            let first = Key {
                id: s.id.clone(),
                lang: s.lang.clone(),
                channel: channel.to_owned(),
                part: 1,
            };
            !matches!(history.state(&first), Some(KeyState::Posted { .. }))
        })
        .filter(|s| {
            // Ready: in the plan, and going out in this run too.
            let ready = plan
                .iter()
                .find(|q| q.variant.id == s.id && q.variant.lang == s.lang)
                .is_some_and(|q| {
                    let post = q.posts.iter().find(|x| x.channel.name() == channel);
                    own_fate(instance, q, channel, post, history, allow_late).goes_out()
                });
            !ready
        })
        .map(|s| s.lang.clone())
        .collect();
    if langs.is_empty() {
        own
    } else {
        Fate::Waiting { langs }
    }
}

/// [`fate`] without looking at the other languages.
fn own_fate(
    instance: &Instance,
    p: &Planned<'_>,
    channel: &str,
    post: Option<&Post<'_>>,
    history: &History,
    allow_late: bool,
) -> Fate {
    let parts = post.map_or(1, |post| post.parts.len());
    let skipped = post.map_or_else(
        || {
            p.variant
                .front
                .overrides
                .get(channel)
                .is_some_and(|o| o.skip)
        },
        |post| post.skipped,
    );
    let ok = post.is_none_or(|post| post.ok());
    let states: Vec<Option<&KeyState>> = part_keys(p, channel, parts)
        .map(|k| history.state(&k))
        .collect();
    let urls: Vec<String> = states
        .iter()
        .filter_map(|s| match s {
            Some(KeyState::Posted { url, .. }) => url.clone(),
            _ => None,
        })
        .collect();
    if let Some(fate) = change_fate(instance, p, channel, post, history) {
        return fate;
    }
    if states
        .iter()
        .all(|s| matches!(s, Some(KeyState::Posted { .. })))
    {
        return Fate::Posted { urls };
    }
    let whole = variant_fate(instance, p, history, allow_late);
    let goes = whole == Fate::Due && !skipped && ok;
    if let Some(since) = states.iter().flatten().find_map(|s| match s {
        KeyState::InDoubt { since, .. } => Some(*since),
        _ => None,
    }) {
        return Fate::InDoubt {
            since,
            urls,
            retry: goes,
        };
    }
    if skipped {
        return Fate::Skipped;
    }
    match whole {
        Fate::Due => {}
        Fate::Missed { at, .. } => {
            let key = part_keys(p, channel, 1).next().expect("one key");
            return Fate::Missed {
                at,
                noted: history.missed.get(&key).copied(),
            };
        }
        other => return other,
    }
    if let Some(post) = post.filter(|post| !post.ok()) {
        let reason = post
            .diagnostics
            .iter()
            .find(|d| d.is_error())
            .map_or("it has problems".into(), |d| d.message.clone());
        return Fate::Blocked { reason };
    }
    if let Some((attempts, message, failures, permanent)) =
        states.iter().flatten().find_map(|s| match s {
            KeyState::Failed {
                attempts,
                failures,
                message,
                class,
                ..
            } => Some((
                *attempts,
                message.clone(),
                *failures,
                *class == crate::ledger::ErrorClass::Permanent,
            )),
            _ => None,
        })
    {
        let retry = !permanent && failures < instance.settings.publishing.max_attempts;
        return Fate::Failed {
            attempts,
            message,
            urls,
            retry,
        };
    }
    Fate::Due
}

/// The fate of a post that went out and changed since (or was withdrawn), from
/// [`super::change::standing`]; `None` when the ordinary fates apply.
fn change_fate(
    instance: &Instance,
    p: &Planned<'_>,
    channel: &str,
    post: Option<&Post<'_>>,
    history: &History,
) -> Option<Fate> {
    use super::change::Standing;
    if !super::change::went_out(history, p, channel) {
        return None;
    }
    let c = instance.settings.channel(channel)?;
    let job = post
        .filter(|post| post.ok() && !post.skipped)
        .map(|post| super::jobs::job(instance, p, post));
    let notice = || super::jobs::notice(instance, p, c);
    let standing = super::change::standing(history, p, c, job.as_ref(), &notice, instance.now);
    let live_urls = || -> Vec<String> {
        history
            .live_parts(&p.variant.id, &p.variant.lang, channel)
            .into_iter()
            .filter_map(|(_, l)| l.url.clone())
            .collect()
    };
    Some(match standing {
        Standing::Original => return None,
        Standing::Settled => Fate::Posted { urls: live_urls() },
        Standing::Withdrawn { at } => Fate::Retracted {
            reason: p.variant.front.retract.clone().unwrap_or_default(),
            at: Some(at),
            left: Vec::new(),
        },
        Standing::Unapproved { urls } => Fate::ChangedAfterPosting { urls },
        Standing::Change(change) if change.pending() => Fate::Change {
            change,
            urls: live_urls(),
        },
        Standing::Change(change) if change.retraction.is_some() => Fate::Retracted {
            reason: change.retraction.clone().unwrap_or_default(),
            at: None,
            left: live_urls(),
        },
        Standing::Change(_) => Fate::Posted { urls: live_urls() },
    })
}

/// The first problem of a broken variant: "line 3, column 8: …".
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
