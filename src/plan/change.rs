//! Corrections and retractions: what to do to the posts of a variant that went out, per
//! channel. The one place that decides it; the engine carries the steps out
//! ([`crate::engine::change`]) and every command prints them.
//!
//! A variant whose content (hash) is no longer the one its posts were last brought in
//! line with has changed after posting. Once the change is approved like any other:
//!
//! - **retraction** (`retract:` in the front matter): every part that went out is
//!   deleted, newest first; a part that cannot be deleted (the network allows no delete,
//!   or its window has passed) gets a note, and the run names its address so a person can
//!   act;
//! - **correction**, where the channel edits in place: each part whose text (or, on the
//!   first part, images and link) changed is edited, parts the thread lost are deleted,
//!   parts it gained are posted as replies to the part before. Where the edit cannot
//!   carry the change ([`crate::platform::Edits`]: Facebook and LinkedIn edit only the
//!   text, Telegram cannot change how many photos a message has, X edits only for 30
//!   minutes, 5 times), the channel's `correction` policy applies as below, except that
//!   `none` still edits what an edit can change and leaves a note saying what stayed as
//!   it was, and where;
//! - **correction** elsewhere, by the channel's `correction` policy: `reply` answers the
//!   post with a correction notice (the post's template with `correction` set), `repost`
//!   deletes every part and posts the new text, `none` leaves a note.
//!
//! Steps already done (in the ledger) stay in the list, marked done, so the engine can
//! chain replies to them; a change whose steps are all done is settled.

use super::Planned;
use crate::channel::{Channel, Correction};
use crate::engine::Job;
pub use crate::engine::change::{Change, LivePart, Step};
use crate::ledger::{Action, History, Key, KeyState};
use jiff::Timestamp;

/// Where a channel's posts of a variant stand, as far as changes go.
#[derive(Debug, Clone, PartialEq)]
pub enum Standing {
    /// Never went out, or went out with the content it has now and was never changed
    /// since: the ordinary fates apply (posted, or parts still to send).
    Original,
    /// Went out and is as it should be.
    Settled,
    /// Every part that went out was deleted.
    Withdrawn { at: Timestamp },
    /// Went out; the content changed since and the change is not approved.
    Unapproved { urls: Vec<String> },
    /// Went out; an approved change is to be applied (or was, partly).
    Change(Change),
}

/// Whether any part of `p` went out on `channel`.
pub fn went_out(history: &History, p: &Planned<'_>, channel: &str) -> bool {
    history.live.contains_key(&first_key(p, channel))
}

/// Whether some post of `p` went out with other content than `p` has now (a
/// correction or a retraction may be due, once approved).
pub fn changed_since_posting(p: &Planned<'_>, history: &History) -> bool {
    let hash = p.verdict.hash.as_deref().unwrap_or_default();
    p.posts.iter().any(|post| {
        history
            .live
            .get(&first_key(p, post.channel.name()))
            .is_some_and(|l| l.hash != hash)
    })
}

fn first_key(p: &Planned<'_>, channel: &str) -> Key {
    Key {
        id: p.variant.id.clone(),
        lang: p.variant.lang.clone(),
        channel: channel.to_owned(),
        part: 1,
    }
}

/// Where `p`'s posts on `channel` stand. `job` is what would go out now (the rendered
/// post), `notice` the rendered correction notice's parts (for `reply`); `None` when
/// the post could not be rendered.
pub fn standing(
    history: &History,
    p: &Planned<'_>,
    channel: &dyn Channel,
    job: Option<&Job>,
    notice: &dyn Fn() -> Vec<String>,
    now: Timestamp,
) -> Standing {
    let name = channel.name();
    let first = first_key(p, name);
    let Some(head) = history.live.get(&first) else {
        return Standing::Original;
    };
    let key = |part: u32| Key {
        part,
        ..first.clone()
    };
    // Every part that ever went out, deleted or not, in order.
    let all: Vec<(u32, &crate::ledger::Live)> = (1..)
        .map_while(|n| history.live.get(&key(n)).map(|l| (n, l)))
        .collect();
    let live: Vec<LivePart> = all
        .iter()
        .filter(|(_, l)| l.deleted.is_none())
        .map(|(n, l)| LivePart {
            part: *n,
            remote_id: l.remote_id.clone(),
            url: l.url.clone(),
            posted_at: l.posted_at,
            media: l.attached.as_ref().map(|a| a.images.len()),
        })
        .collect();
    let urls: Vec<String> = live.iter().filter_map(|l| l.url.clone()).collect();
    let hash = p.verdict.hash.clone().unwrap_or_default();
    // Everything deleted: withdrawn, unless a repost was cut short between deleting the
    // old parts and posting the new ones (then it goes on below). A post once retracted
    // stays withdrawn, even if `retract` is taken out again.
    let retracted_once = history.firsts.iter().any(|((k, action, _), started)| {
        *action == Some(Action::Delete)
            && started.reason.is_some()
            && k.id == first.id
            && k.lang == first.lang
            && k.channel == name
    });
    // (A channel that edits reposts too, where an edit cannot carry the change.)
    let reposting = p.variant.front.retract.is_none()
        && !retracted_once
        && channel.correction() == Correction::Repost;
    if live.is_empty() && !reposting {
        let at = all.iter().filter_map(|(_, l)| l.deleted).max();
        return Standing::Withdrawn {
            at: at.unwrap_or(head.posted_at),
        };
    }
    // A notice leaves the post as it went out: its readers last read the notice. Content
    // that changes after a notice round (even back to what the post says) is told again.
    let noticed_since = history
        .rounds
        .get(&(first.id.clone(), first.lang.clone(), name.to_owned()))
        .and_then(|r| r.last())
        .filter(|h| **h != hash)
        .is_some_and(|h| {
            matches!(
                history.action(&first, Action::Notice, h),
                Some(KeyState::Posted { .. })
            )
        });
    // Posted as it is now and never touched since: nothing to compare.
    if !noticed_since
        && all.iter().all(|(n, l)| {
            l.deleted.is_none() && l.hash == hash && !history.touched(&key(*n), &hash)
        })
    {
        return Standing::Original;
    }
    let approved = p.state.publishable();
    let done = |part: u32, action: Action| {
        matches!(
            history.step(&key(part), action, &hash),
            Some(KeyState::Posted { .. })
        )
    };
    let step = |action: Action, part: u32, live: Option<&LivePart>, why: Option<String>| Step {
        action,
        part,
        live: live.cloned(),
        why,
        done: done(part, action),
        hash: None,
        kept: None,
    };
    let changes = channel.changes();
    let mut steps = Vec::new();
    let last_live = live.iter().map(|l| l.part).max().unwrap_or(0);
    let retraction = p.variant.front.retract.clone();
    if retraction.is_some() {
        if !approved {
            return Standing::Unapproved { urls };
        }
        // Correction notices are posts too: they go first (they are the newest).
        let mut notices: Vec<(u32, String, &KeyState)> = history
            .actions
            .iter()
            .filter(|((k, a, _), _)| {
                *a == Action::Notice
                    && k.id == first.id
                    && k.lang == first.lang
                    && k.channel == name
            })
            .map(|((k, _, h), state)| (k.part, h.clone(), state))
            .collect();
        notices.sort_by(|a, b| (&b.1, b.0).cmp(&(&a.1, a.0)));
        for (part, notice_hash, state) in notices {
            let KeyState::Posted {
                remote_id: Some(remote_id),
                url,
                at,
                ..
            } = state
            else {
                continue;
            };
            let l = LivePart {
                part,
                remote_id: Some(remote_id.clone()),
                url: url.clone(),
                posted_at: *at,
                media: None,
            };
            if cannot_delete(channel, &l, now).is_some() {
                continue;
            }
            let gone = matches!(
                history.action(&key(part), Action::DeleteNotice, &notice_hash),
                Some(KeyState::Posted { .. })
            );
            steps.push(Step {
                action: Action::DeleteNotice,
                part,
                live: Some(l),
                why: None,
                done: gone,
                hash: Some(notice_hash),
                kept: None,
            });
        }
        // An email cannot be taken back; with `notice`, its readers are told.
        let list = channel.kind() == crate::platform::Kind::Email;
        let tell = list && channel.correction() == Correction::Notice;
        for l in live.iter().rev() {
            match cannot_delete(channel, l, now) {
                None => steps.push(step(Action::Delete, l.part, Some(l), None)),
                Some(_) if tell => steps.push(step(Action::Notice, l.part, Some(l), None)),
                Some(why) => steps.push(step(Action::Leave, l.part, Some(l), Some(why))),
            }
        }
        return Standing::Change(Change {
            retraction,
            steps,
            notice: Vec::new(),
            parts: last_live,
            list,
        });
    }
    let Some(job) = job else {
        return Standing::Unapproved { urls };
    };
    let new_parts = job.parts.len() as u32;
    let attached = job.attached();
    let old_of = |n: u32| {
        all.iter()
            .find(|(m, l)| *m == n && l.deleted.is_none())
            .map(|(_, l)| *l)
    };
    // A part differs when what it says does, or (the first) what it carries: an edit
    // that could change only the text left its images and card as they were.
    let differs = |n: u32| {
        let old = old_of(n);
        old.and_then(|l| l.digest.as_deref()) != Some(job.part_digest(n as usize - 1).as_str())
            || (n == 1
                && old
                    .and_then(|l| l.attached.as_ref())
                    .is_some_and(|a| !same_attachments(a, &attached)))
    };
    let changed = noticed_since
        || (1..=new_parts.max(last_live)).any(|n| n > new_parts || n > last_live || differs(n));
    if !changed {
        return Standing::Settled;
    }
    if !approved {
        return Standing::Unapproved { urls };
    }
    if changes.edit {
        // What an edit cannot do of this change, per live part it reaches.
        let short: Vec<(u32, Shortfall)> = live
            .iter()
            .filter(|l| l.part <= new_parts && l.remote_id.is_some() && differs(l.part))
            .filter_map(|l| {
                shortfall(
                    channel,
                    history,
                    &key(l.part),
                    l,
                    old_of(l.part),
                    &attached,
                    now,
                )
                .map(|s| (l.part, s))
            })
            .collect();
        let policy = channel.correction();
        if !short.is_empty() {
            // The policy decides, as for a network that cannot edit.
            let undeletable = live.iter().find_map(|l| cannot_delete(channel, l, now));
            match policy {
                Correction::Repost if undeletable.is_none() => {
                    for l in live.iter().rev() {
                        steps.push(step(Action::Delete, l.part, Some(l), None));
                    }
                    for n in 1..=new_parts {
                        steps.push(step(Action::Repost, n, None, None));
                    }
                    return Standing::Change(Change {
                        retraction: None,
                        steps,
                        notice: Vec::new(),
                        parts: new_parts.max(last_live),
                        list: false,
                    });
                }
                Correction::Reply if changes.reply => {
                    let notice = notice();
                    if !notice.is_empty() {
                        let answered = live.last().expect("something is live");
                        for n in 1..=notice.len() as u32 {
                            steps.push(step(Action::Notice, n, Some(answered), None));
                        }
                        return Standing::Change(Change {
                            retraction: None,
                            steps,
                            notice,
                            parts: new_parts.max(last_live),
                            list: false,
                        });
                    }
                }
                _ => {}
            }
            // `none` (or a policy that cannot be followed here): edit what an edit can
            // change, and say what stays as it was.
            let repost_blocked = (policy == Correction::Repost)
                .then_some(undeletable)
                .flatten();
            for (n, s) in &short {
                let l = live.iter().find(|l| l.part == *n).expect("a live part");
                let why = shortfall_words(channel, l, s, repost_blocked.as_deref());
                if let Shortfall::Attached {
                    edit_text: true, ..
                } = s
                {
                    let old = old_of(*n).and_then(|o| o.attached.clone());
                    steps.push(Step {
                        kept: old.map(|o| crate::ledger::Attached {
                            text: attached.text.clone(),
                            ..o
                        }),
                        ..step(Action::Edit, *n, Some(l), None)
                    });
                }
                steps.push(step(Action::Leave, *n, Some(l), Some(why)));
            }
        }
        for n in 1..=new_parts.max(last_live) {
            if short.iter().any(|(m, _)| *m == n) {
                continue;
            }
            let old = live.iter().find(|l| l.part == n);
            match old {
                Some(l) if n > new_parts => match cannot_delete(channel, l, now) {
                    None => steps.push(step(Action::Delete, n, Some(l), None)),
                    Some(why) => steps.push(step(Action::Leave, n, Some(l), Some(why))),
                },
                Some(l) if l.remote_id.is_none() => {
                    steps.push(step(Action::Leave, n, Some(l), Some(no_id(l))))
                }
                Some(l) if differs(n) => steps.push(step(Action::Edit, n, Some(l), None)),
                Some(_) => {}
                None => steps.push(step(Action::Repost, n, None, None)),
            }
        }
        // Edits first, part by part (a part's note after its edit); deleting the parts a
        // thread lost goes last part first.
        steps.sort_by_key(|s| match s.action {
            Action::Edit => (0, s.part, 0),
            Action::Leave if s.part <= new_parts => (0, s.part, 1),
            Action::Delete | Action::Leave => (1, u32::MAX - s.part, 0),
            _ => (2, s.part, 0),
        });
        return Standing::Change(Change {
            retraction: None,
            steps,
            notice: Vec::new(),
            parts: new_parts.max(last_live),
            list: false,
        });
    }
    let notice = match channel.correction() {
        Correction::Reply | Correction::Notice => notice(),
        _ => Vec::new(),
    };
    match channel.correction() {
        Correction::Reply if !notice.is_empty() => {
            let answered = live.last().expect("something is live");
            for n in 1..=notice.len() as u32 {
                steps.push(step(Action::Notice, n, Some(answered), None));
            }
        }
        // A message to the list's subscribers who got this language (the engine's
        // list send picks them from the announcement's send log).
        Correction::Notice => {
            let sent = live.first().expect("something is live");
            steps.push(step(Action::Notice, 1, Some(sent), None));
        }
        Correction::Repost => {
            for l in live.iter().rev() {
                // A part this change already posted anew (a repost cut short after its
                // first new parts) is the corrected post, not the old one: it stays.
                if done(l.part, Action::Repost) {
                    continue;
                }
                match cannot_delete(channel, l, now) {
                    None => steps.push(step(Action::Delete, l.part, Some(l), None)),
                    Some(why) => steps.push(step(Action::Leave, l.part, Some(l), Some(why))),
                }
            }
            if steps.iter().all(|s| s.action == Action::Delete) {
                for n in 1..=new_parts {
                    steps.push(step(Action::Repost, n, None, None));
                }
            }
        }
        policy => {
            let l = live.first().expect("something is live");
            let why = format!(
                "`{name}` cannot edit a post that went out and its `correction` policy is `{}`: the post still says the old text{}",
                policy.name(),
                l.url
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default()
            );
            steps.push(step(Action::Leave, 1, Some(l), Some(why)));
        }
    }
    Standing::Change(Change {
        retraction: None,
        steps,
        notice,
        parts: new_parts.max(last_live),
        list: channel.kind() == crate::platform::Kind::Email,
    })
}

/// What an edit of a live part cannot do of a change.
#[derive(Debug, Clone, PartialEq)]
enum Shortfall {
    /// The part cannot be edited at all any more (its window closed, or it was edited
    /// as often as the network allows): why, in plain words.
    Closed(String),
    /// The edit can change the text but not what the first part carries besides it:
    /// what stays ("the image", "the number of photos"), why if it needs saying, and
    /// whether the text has changed too (else nothing is edited).
    Attached {
        what: String,
        plural: bool,
        detail: Option<String>,
        edit_text: bool,
    },
}

/// Whether two first parts carry the same images and link card (their text aside).
fn same_attachments(a: &crate::ledger::Attached, b: &crate::ledger::Attached) -> bool {
    a.images == b.images && a.link == b.link && a.card == b.card
}

/// What an edit of live part `l` (as the ledger has it: `old`) cannot do to bring it to
/// what the post carries now, on `channel` at `now`: `None` when the edit carries it all
/// (or the ledger does not know what went out: then it edits as always).
fn shortfall(
    channel: &dyn Channel,
    history: &History,
    key: &Key,
    l: &LivePart,
    old: Option<&crate::ledger::Live>,
    new: &crate::ledger::Attached,
    now: Timestamp,
) -> Option<Shortfall> {
    use crate::platform::{Card, ImageEdits};
    let edits = channel.changes().edits;
    let network = channel.kind().facts().display_name;
    if let Some(window) = edits.window
        && now.duration_since(l.posted_at) >= window
    {
        return Some(Shortfall::Closed(format!(
            "{network} allows edits for {} minutes after posting",
            window.as_mins()
        )));
    }
    if let Some(times) = edits.times {
        let made = history
            .changes
            .iter()
            .filter(|r| r.action == Some(Action::Edit) && r.key == *key)
            .count();
        if made >= times as usize {
            return Some(Shortfall::Closed(format!(
                "it was edited {made} times, as often as {network} allows"
            )));
        }
    }
    let old = old?.attached.as_ref()?;
    if l.part != 1 || same_attachments(old, new) {
        return None;
    }
    let (before, after) = (old.images.len(), new.images.len());
    let plural = before.max(after) > 1;
    let images = if plural { "the images" } else { "the image" };
    // What stays, each with whether it is plural.
    let mut what: Vec<(&str, bool)> = Vec::new();
    let mut detail = None;
    match edits.images {
        ImageEdits::Any => {}
        ImageEdits::Keep if old.images != new.images => what.push((images, plural)),
        ImageEdits::Keep => {}
        ImageEdits::Replace if before == after => {}
        ImageEdits::Replace => {
            let photos = if plural { "the photos" } else { "the photo" };
            let count = |n: usize, none: &str| match n {
                0 => none.to_owned(),
                1 => "one photo".to_owned(),
                n => format!("{n} photos"),
            };
            let was = match before {
                0 => "a text message".to_owned(),
                1 => "a message with one photo".to_owned(),
                n => format!("an album of {n} photos"),
            };
            let w = match (before, after) {
                (0, _) | (_, 0) => (photos, plural),
                _ => ("the number of photos", false),
            };
            let d = format!(
                "the post on {network} is {was} and the correction has {}; {network} cannot add photos to a message or an album, take them out, or turn a text message into a photo message or back",
                count(after, "no photo")
            );
            what.push(w);
            detail = Some(d);
        }
    }
    // The card the network shows apart from the text (only on a post without images).
    let card = |a: &crate::ledger::Attached| match channel.kind().card() {
        _ if !a.images.is_empty() || a.link.is_none() => None,
        Card::InText => None,
        Card::Link => Some((a.link.clone(), String::new())),
        Card::Article => Some((a.link.clone(), a.card.clone())),
    };
    if !edits.card && card(old) != card(new) {
        what.push(("the link card", false));
    }
    if what.is_empty() {
        return None;
    }
    Some(Shortfall::Attached {
        plural: what.len() > 1 || what[0].1,
        what: what
            .iter()
            .map(|(w, _)| *w)
            .collect::<Vec<_>>()
            .join(" and "),
        detail,
        edit_text: old.text.is_none() || old.text != new.text,
    })
}

/// The note for what an edit of `l` leaves as it was, with what a person can do: change
/// it by hand, or set a policy the kind can follow. `repost_blocked`: why the channel's
/// `repost` cannot be followed (a part that cannot be deleted).
fn shortfall_words(
    channel: &dyn Channel,
    l: &LivePart,
    s: &Shortfall,
    repost_blocked: Option<&str>,
) -> String {
    let name = channel.name();
    let post = if l.part == 1 {
        "the post".to_owned()
    } else {
        format!("part {}", l.part)
    };
    let at = l
        .url
        .as_deref()
        .map(|u| format!(": {u}"))
        .unwrap_or_default();
    let policy = channel.correction();
    let others: Vec<String> = [Correction::Reply, Correction::Repost]
        .into_iter()
        .filter(|p| *p != policy && p.refused_by(channel.kind()).is_none())
        .filter(|p| *p != Correction::Repost || repost_blocked.is_none())
        .map(|p| format!("`correction = \"{}\"`", p.name()))
        .collect();
    let or_set = if others.is_empty() {
        String::new()
    } else {
        format!(", or set {}", others.join(" or "))
    };
    let blocked = repost_blocked
        .map(|why| format!(" (`repost` cannot be followed: {why})"))
        .unwrap_or_default();
    match s {
        Shortfall::Closed(why) => format!(
            "{post} on `{name}` can no longer be edited ({why}), so it still says the old text; correct it by hand{at}{or_set}{blocked}"
        ),
        Shortfall::Attached {
            what,
            plural,
            detail,
            edit_text,
        } => {
            let (it, stays) = if *plural {
                ("them", "they stay as they were")
            } else {
                ("it", "it stays as it was")
            };
            format!(
                "{what} of {post} on `{name}` cannot be changed by an edit{}, so {stays}{}; change {it} by hand{at}{or_set}{blocked}",
                detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default(),
                if *edit_text {
                    " (the text is edited)"
                } else {
                    ""
                },
            )
        }
    }
}

/// Why `l` cannot be deleted on `channel` now, if it cannot.
fn cannot_delete(channel: &dyn Channel, l: &LivePart, now: Timestamp) -> Option<String> {
    let shown = l
        .url
        .as_deref()
        .map(|u| format!(": {u}"))
        .unwrap_or_default();
    let part = format!("part {}", l.part);
    match channel.changes().delete {
        crate::platform::Deletable::Never if channel.kind() == crate::platform::Kind::Email => {
            Some(format!(
                "the email to `{}` went out and cannot be taken back; if the readers must know, send them a message by hand",
                channel.name()
            ))
        }
        crate::platform::Deletable::Never => Some(format!(
            "{} cannot be deleted by Herald on `{}`; remove it by hand{shown}",
            if l.part == 1 { "the post".into() } else { part },
            channel.name()
        )),
        d if !d.at(l.posted_at, now) => Some(format!(
            "{} is too old to be deleted on `{}` (Telegram deletes only within 48 hours); remove it by hand{shown}",
            if l.part == 1 { "the post".into() } else { part },
            channel.name()
        )),
        _ if l.remote_id.is_none() => Some(no_id(l)),
        _ => None,
    }
}

fn no_id(l: &LivePart) -> String {
    format!(
        "Herald does not know the id of part {} (it was confirmed by hand), so it cannot change it; change it by hand{}",
        l.part,
        l.url
            .as_deref()
            .map(|u| format!(": {u}"))
            .unwrap_or_default()
    )
}

/// What a change still to be made says, wherever it is shown: "correction due: edit the
/// post (1234)" or "retraction due (reason): delete part 2 (…); delete part 1 (…)".
pub fn change_words(change: &Change) -> String {
    let steps: Vec<String> = change
        .to_do()
        .map(|s| crate::engine::change::step_words(s, change))
        .collect();
    match &change.retraction {
        Some(reason) => format!("retraction due ({reason}): {}", steps.join("; ")),
        None => format!("correction due: {}", steps.join("; ")),
    }
}

/// What a post whose approved content changed after it went out says.
pub const CHANGED_AFTER_POSTING: &str = "changed after it was posted, and the change is not approved: the post stays as it went out until the change is approved (then Herald corrects it)";

/// What a withdrawn announcement says.
pub fn retracted_words(reason: &str, left: &[String]) -> String {
    if left.is_empty() {
        format!("withdrawn ({reason})")
    } else {
        format!(
            "withdrawn ({reason}), but these could not be deleted; remove them by hand: {}",
            left.join(", ")
        )
    }
}
