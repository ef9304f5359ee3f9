//! The audit's account of each post that went out, per (announcement, language,
//! channel): when it was published and with which content, who approved it, every
//! correction and the retraction (when, who approved it, what changed, why), the notes
//! that nothing could be changed, the addresses as they are now, and for the archive the
//! exact text of each version of each part. Built from the ledger (whether and where each
//! step went out), the archive's lines (what each version said) and what the caller knows
//! of approvals and retractions ([`Knows`]); it reads no file itself.

use super::{KeptImage, Line, Shelf};
use crate::ledger::{Action, History, Key, KeyState, Record};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use std::collections::BTreeMap;

/// One approval of a content, as the audit shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approval {
    pub by: String,
    pub at: Option<String>,
    /// For an approval by GitHub review: the pull request and the review's address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Not found in the files now: the run that sent the post recorded it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub from_ledger: bool,
}

/// What the caller knows beyond the ledger and the archive (the announcement files and
/// their Git history).
pub trait Knows {
    /// The stamps that approved content `hash` of (id, lang), with when (RFC 3339). The
    /// reviews the ledger keeps are added to them here.
    fn approvals(&self, id: &str, lang: &str, hash: &str) -> Vec<Approval>;
    /// The reason, when content `hash` of (id, lang) withdraws the announcement (its
    /// front matter says `retract`).
    fn retraction(&self, id: &str, lang: &str, hash: &str) -> Option<String>;
}

/// What one entry of a post's history is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum What {
    /// The post first went out.
    Published,
    /// An approved change was applied (edits, deletions, parts posted again, a notice).
    Corrected,
    /// The announcement was withdrawn: its parts were deleted.
    Retracted,
    /// An approved change could not be applied on this channel; a person was told.
    NotCorrected,
    /// The retraction could not delete the post on this channel; a person was told.
    NotRetracted,
}

impl What {
    /// The word the text audit prints.
    pub fn words(self) -> &'static str {
        match self {
            What::Published => "published",
            What::Corrected => "corrected",
            What::Retracted => "retracted",
            What::NotCorrected => "not corrected",
            What::NotRetracted => "not retracted",
        }
    }
}

/// One request (or note) in a history entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub part: u32,
    /// `post`, `edit`, `delete`, `repost`, `notice` or `leave`.
    pub action: &'static str,
    pub at: String,
    /// The address the platform gave (a post, an edited post, a notice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One entry of a post's history: everything done for one content hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Happening {
    pub what: What,
    /// When its first step went out.
    pub at: String,
    /// The approved content hash it brought the post in line with.
    pub hash: String,
    /// Who approved that content: as the run that sent it recorded, else the stamps
    /// and reviews found now.
    pub approved_by: Vec<String>,
    /// What changed, in words: "part 2 edited", "notice posted", "deleted".
    pub changes: Vec<String>,
    /// The steps for this content that have not gone out (yet): "part 1 delete in
    /// doubt", "part 2 edit failed: …". `herald status` says what happens next.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unfinished: Vec<String>,
    /// The retraction's reason (why nothing could be changed is each note's own
    /// `reason`, and in `changes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub steps: Vec<Step>,
}

/// One version of one part: the exact text that went out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Version {
    /// `post`, `edit` or `repost`.
    pub action: &'static str,
    pub at: String,
    pub hash: String,
    pub text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<KeptImage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The request was made and no answer came: it may or may not have gone out.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub in_doubt: bool,
}

/// One part of a post, as it stands now, with every version of its text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub part: u32,
    pub remote_id: Option<String>,
    pub url: Option<String>,
    /// When it was posted (or last posted again).
    pub posted_at: String,
    pub deleted_at: Option<String>,
    pub versions: Vec<Version>,
}

/// A correction notice that answered the post.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    pub at: String,
    pub hash: String,
    pub text: String,
    pub url: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub in_doubt: bool,
}

/// One post (announcement, language, channel) that went out. The first seven fields are
/// what `herald audit --format json` has always printed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Post {
    pub id: String,
    pub lang: String,
    pub channel: String,
    /// When it first went out.
    pub posted_at: String,
    /// The content hash that first went out.
    pub hash: String,
    /// Who approved that content: the stamps (and reviews) found now, else those the
    /// run that sent it recorded (without `at`).
    pub approvals: Vec<Approval>,
    /// The addresses of its parts as they are now, in part order (a deleted part has
    /// none).
    pub urls: Vec<String>,
    /// Whether the announcement was withdrawn here (its parts deleted).
    pub retracted: bool,
    /// In time order.
    pub history: Vec<Happening>,
    /// For the archive: each part with the exact text of each version.
    #[serde(skip)]
    pub parts: Vec<Part>,
    #[serde(skip)]
    pub notices: Vec<Notice>,
}

/// Every post that went out, sorted by (id, lang, channel). `keep` says which
/// (id, channel) to include.
pub fn posts(
    history: &History,
    shelf: &Shelf,
    knows: &dyn Knows,
    tz: &TimeZone,
    keep: &dyn Fn(&str, &str) -> bool,
) -> Vec<Post> {
    // The first post of each part: (id, lang, channel) → part → (when, hash, url).
    let mut firsts: BTreeMap<(String, String, String), BTreeMap<u32, FirstPost>> = BTreeMap::new();
    for (key, state) in &history.states {
        if let KeyState::Posted { url, at, hash, .. } = state
            && keep(&key.id, &key.channel)
        {
            firsts
                .entry((key.id.clone(), key.lang.clone(), key.channel.clone()))
                .or_default()
                .insert(
                    key.part,
                    FirstPost {
                        at: *at,
                        hash: hash.clone(),
                        url: url.clone(),
                    },
                );
        }
    }
    let ctx = Ctx { history, knows, tz };
    firsts
        .into_iter()
        .map(|((id, lang, channel), parts)| ctx.post(&id, &lang, &channel, &parts, shelf))
        .collect()
}

struct FirstPost {
    at: Timestamp,
    hash: String,
    url: Option<String>,
}

struct Ctx<'a> {
    history: &'a History,
    knows: &'a dyn Knows,
    tz: &'a TimeZone,
}

impl Ctx<'_> {
    fn time(&self, t: Timestamp) -> String {
        crate::time::rfc3339_in(t, self.tz)
    }

    fn post(
        &self,
        id: &str,
        lang: &str,
        channel: &str,
        firsts: &BTreeMap<u32, FirstPost>,
        shelf: &Shelf,
    ) -> Post {
        let key = |part: u32| Key {
            id: id.to_owned(),
            lang: lang.to_owned(),
            channel: channel.to_owned(),
            part,
        };
        let (first_part, first) = firsts.iter().next().expect("a post has a part");
        let posted_at = firsts.values().map(|f| f.at).min().unwrap_or(first.at);
        let hash = first.hash.clone();
        let recorded = self.recorded_by(&key(*first_part), None, &hash);
        let mut approvals = self.approvals(id, lang, &hash);
        // The files no longer say (the stamps were replaced, and Git history is not at
        // hand): the run that sent it recorded who had approved it.
        if approvals.is_empty()
            && let Some(by) = &recorded
        {
            approvals = by
                .iter()
                .map(|b| Approval {
                    by: b.clone(),
                    at: None,
                    pull: None,
                    url: None,
                    from_ledger: true,
                })
                .collect();
        }
        let changes: Vec<&Record> = self
            .history
            .changes
            .iter()
            .filter(|r| r.key.id == id && r.key.lang == lang && r.key.channel == channel)
            .collect();
        // A notice's parts are its own, not the post's.
        let most_parts = firsts
            .keys()
            .chain(
                changes
                    .iter()
                    .filter(|r| r.action != Some(Action::Notice))
                    .map(|r| &r.key.part),
            )
            .max()
            .copied()
            .unwrap_or(1);
        let mut history = vec![Happening {
            what: What::Published,
            at: self.time(posted_at),
            hash: hash.clone(),
            approved_by: recorded.unwrap_or_else(|| names(&approvals)),
            changes: Vec::new(),
            unfinished: Vec::new(),
            reason: None,
            steps: firsts
                .iter()
                .map(|(part, f)| Step {
                    part: *part,
                    action: "post",
                    at: self.time(f.at),
                    url: f.url.clone(),
                    reason: None,
                })
                .collect(),
        }];
        // Every step done for one content hash is one entry, in the order they first
        // appear in the ledger.
        let mut groups: Vec<(String, Vec<&Record>)> = Vec::new();
        for r in changes {
            match groups.iter_mut().find(|(h, _)| *h == r.hash) {
                Some((_, steps)) => steps.push(r),
                None => groups.push((r.hash.clone(), vec![r])),
            }
        }
        let mut later: Vec<(Timestamp, Happening)> = groups
            .iter()
            .map(|(hash, steps)| {
                let at = steps
                    .iter()
                    .map(|r| r.at)
                    .min()
                    .expect("a group has a step");
                let mut happening = self.happening(id, lang, hash, at, steps, most_parts > 1);
                happening.unfinished = self.unfinished(id, lang, channel, hash, most_parts > 1);
                (at, happening)
            })
            .collect();
        // By time (not by the printed time: its offset changes with summer time).
        later.sort_by_key(|(at, _)| *at);
        history.extend(later.into_iter().map(|(_, h)| h));
        let live: BTreeMap<u32, &crate::ledger::Live> = self
            .history
            .live
            .iter()
            .filter(|(k, _)| k.id == id && k.lang == lang && k.channel == channel)
            .map(|(k, l)| (k.part, l))
            .collect();
        let urls = live
            .values()
            .filter(|l| l.deleted.is_none())
            .filter_map(|l| l.url.clone())
            .collect();
        // Withdrawn only when nothing of it is left up (a delete in doubt or failed
        // leaves a part live).
        let retracted = history.last().is_some_and(|h| h.what == What::Retracted)
            && live.values().all(|l| l.deleted.is_some());
        let lines: Vec<&Line> = shelf
            .of(id)
            .iter()
            .filter(|l| l.lang == lang && l.channel == channel)
            .collect();
        let parts = live
            .iter()
            .map(|(part, l)| Part {
                part: *part,
                remote_id: l.remote_id.clone(),
                url: l.url.clone(),
                posted_at: self.time(l.posted_at),
                deleted_at: l.deleted.map(|t| self.time(t)),
                versions: lines
                    .iter()
                    .filter(|line| line.part == *part && line.action != Some(Action::Notice))
                    .filter_map(|line| self.version(&key(*part), line))
                    .collect(),
            })
            .collect();
        let notices = lines
            .iter()
            .filter(|line| line.action == Some(Action::Notice))
            .filter_map(|line| {
                let (url, in_doubt) =
                    self.went_out(&key(line.part), Some(Action::Notice), &line.hash)?;
                Some(Notice {
                    at: self.time(line.at),
                    hash: line.hash.clone(),
                    text: line.text.clone(),
                    url,
                    in_doubt,
                })
            })
            .collect();
        Post {
            id: id.to_owned(),
            lang: lang.to_owned(),
            channel: channel.to_owned(),
            posted_at: self.time(posted_at),
            hash,
            approvals,
            urls,
            retracted,
            history,
            parts,
            notices,
        }
    }

    /// The steps for content `hash` of the post that were started and have not gone
    /// out, in part and action order.
    fn unfinished(
        &self,
        id: &str,
        lang: &str,
        channel: &str,
        hash: &str,
        threaded: bool,
    ) -> Vec<String> {
        let mut open: Vec<(u32, Action, String)> = self
            .history
            .actions
            .iter()
            .filter(|((k, _, h), _)| {
                k.id == id && k.lang == lang && k.channel == channel && h == hash
            })
            .filter_map(|((k, action, _), state)| {
                let how = match state {
                    KeyState::Posted { .. } | KeyState::NotPosted { .. } => return None,
                    KeyState::InDoubt { .. } | KeyState::Sending { .. } => "in doubt".to_owned(),
                    KeyState::Failed { message, .. } => format!("failed: {message}"),
                };
                Some((k.part, *action, how))
            })
            .collect();
        open.sort();
        open.into_iter()
            .map(|(part, action, how)| {
                let what = if action == Action::Notice {
                    "notice".to_owned()
                } else if threaded {
                    format!("part {part} {}", action.name())
                } else {
                    action.name().to_owned()
                };
                format!("{what} {how}")
            })
            .collect()
    }

    /// The stamps and reviews that approved content `hash` of (id, lang).
    fn approvals(&self, id: &str, lang: &str, hash: &str) -> Vec<Approval> {
        let mut approvals = self.knows.approvals(id, lang, hash);
        // Approvals by GitHub review, as the run that sent it verified them.
        let reviews = self
            .history
            .reviews
            .get(&(id.to_owned(), lang.to_owned(), hash.to_owned()))
            .into_iter()
            .flatten();
        approvals.extend(reviews.map(|r| {
            Approval {
                by: r.by.clone().unwrap_or_default(),
                at: r
                    .reviewed_at
                    .as_deref()
                    .and_then(|t| t.parse::<Timestamp>().ok())
                    .map(|t| self.time(t)),
                pull: r.pull,
                url: r.url.clone(),
                from_ledger: false,
            }
        }));
        approvals
    }

    /// Who approved the step, as its `started` record names them.
    fn recorded_by(&self, key: &Key, action: Option<Action>, hash: &str) -> Option<Vec<String>> {
        let by = self
            .history
            .firsts
            .get(&(key.clone(), action, hash.to_owned()))?
            .by
            .as_deref()?;
        Some(split_by(by))
    }

    /// Whether the version `line` says went out: its address, and whether it is in doubt.
    fn version(&self, key: &Key, line: &Line) -> Option<Version> {
        let (url, in_doubt) = self.went_out(key, line.action, &line.hash)?;
        Some(Version {
            action: line.action.map_or("post", Action::name),
            at: self.time(line.at),
            hash: line.hash.clone(),
            text: line.text.clone(),
            images: line.images.clone(),
            url,
            in_doubt,
        })
    }

    /// Whether (key, action, hash) went out, with its address and whether that is only
    /// possibly (in doubt); `None` when it did not (it failed, or other content went out).
    fn went_out(
        &self,
        key: &Key,
        action: Option<Action>,
        hash: &str,
    ) -> Option<(Option<String>, bool)> {
        let state = match action {
            None => self.history.states.get(key),
            Some(a) => self.history.action(key, a, hash),
        }?;
        match state {
            KeyState::Posted { hash: h, url, .. } if h == hash => Some((url.clone(), false)),
            KeyState::InDoubt { .. } | KeyState::Sending { .. } => Some((None, true)),
            _ => None,
        }
    }

    fn happening(
        &self,
        id: &str,
        lang: &str,
        hash: &str,
        at: Timestamp,
        steps: &[&Record],
        threaded: bool,
    ) -> Happening {
        let started = |r: &Record| {
            self.history
                .firsts
                .get(&(r.key.clone(), r.action, r.hash.clone()))
        };
        // Only a retraction's requests carry a reason (the retraction's); a note carries
        // what a person should know.
        let note = |r: &Record| r.reason.clone().filter(|_| r.action == Some(Action::Leave));
        let recorded = steps
            .iter()
            .filter(|r| r.action != Some(Action::Leave))
            .find_map(|r| started(r).and_then(|s| s.reason.clone()));
        let known = self.knows.retraction(id, lang, hash);
        let retraction = recorded.or(known);
        let only_notes = steps.iter().all(|r| r.action == Some(Action::Leave));
        let what = match (retraction.is_some(), only_notes) {
            (true, false) => What::Retracted,
            (true, true) => What::NotRetracted,
            (false, false) => What::Corrected,
            (false, true) => What::NotCorrected,
        };
        let approved_by = steps
            .iter()
            .find_map(|r| {
                r.by.as_deref()
                    .or_else(|| started(r).and_then(|s| s.by.as_deref()))
            })
            .map(split_by)
            .unwrap_or_else(|| names(&self.approvals(id, lang, hash)));
        Happening {
            what,
            at: self.time(at),
            hash: hash.to_owned(),
            approved_by,
            changes: changes(steps, threaded, retraction.is_some(), &note),
            unfinished: Vec::new(),
            reason: retraction,
            steps: steps
                .iter()
                .map(|r| Step {
                    part: r.key.part,
                    action: r.action.map_or("post", Action::name),
                    at: self.time(r.at),
                    url: r.url.clone(),
                    reason: note(r),
                })
                .collect(),
        }
    }
}

/// What the steps changed, in words, each once, in the order they were done: "part 2
/// edited", "part 3 deleted", "deleted and posted again", "notice posted", "part 1 not
/// deleted: …".
fn changes(
    steps: &[&Record],
    threaded: bool,
    retraction: bool,
    note: &dyn Fn(&Record) -> Option<String>,
) -> Vec<String> {
    let part = |n: u32, what: &str| {
        if threaded {
            format!("part {n} {what}")
        } else {
            what.to_owned()
        }
    };
    let deleted = |n: u32| {
        steps
            .iter()
            .any(|r| r.action == Some(Action::Delete) && r.key.part == n)
    };
    let reposted = |n: u32| {
        steps
            .iter()
            .any(|r| r.action == Some(Action::Repost) && r.key.part == n)
    };
    let mut words: Vec<String> = Vec::new();
    for r in steps {
        let n = r.key.part;
        let word = match r.action {
            Some(Action::Edit) => part(n, "edited"),
            // Said once, where it was posted again.
            Some(Action::Delete) if reposted(n) => continue,
            Some(Action::Delete) => part(n, "deleted"),
            Some(Action::Repost) if deleted(n) => part(n, "deleted and posted again"),
            Some(Action::Repost) => part(n, "added"),
            // A list's correction message: no post, a message to who got it.
            Some(Action::Notice) if r.remote_id.is_none() => {
                let what = if retraction {
                    "withdrawal message sent to its readers"
                } else {
                    "correction message sent to its readers"
                };
                match &r.message {
                    Some(m) => format!("{what} ({m})"),
                    None => what.to_owned(),
                }
            }
            Some(Action::Notice) => "notice posted".to_owned(),
            Some(Action::DeleteNotice) => "notice deleted".to_owned(),
            Some(Action::Leave) => {
                let left = part(
                    n,
                    if retraction {
                        "not deleted"
                    } else {
                        "not changed"
                    },
                );
                match note(r) {
                    Some(why) => format!("{left}: {why}"),
                    None => left,
                }
            }
            None => continue,
        };
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

/// "kadri@tartu.ee, github:kadri-tamm" → each approver.
fn split_by(by: &str) -> Vec<String> {
    by.split(", ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn names(approvals: &[Approval]) -> Vec<String> {
    let mut by: Vec<String> = Vec::new();
    for a in approvals {
        if !by.contains(&a.by) {
            by.push(a.by.clone());
        }
    }
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoFiles;

    /// What, when, hash, approvers, changes, reason.
    type Summary<'a> = (
        What,
        &'a str,
        &'a str,
        Vec<String>,
        Vec<String>,
        Option<&'a str>,
    );
    /// Part, its versions (action, when, text), when deleted.
    type Texts<'a> = (u32, Vec<(&'a str, &'a str, &'a str)>, Option<&'a str>);

    impl Knows for NoFiles {
        fn approvals(&self, _: &str, _: &str, hash: &str) -> Vec<Approval> {
            vec![Approval {
                by: format!("stamp-of-{hash}@example.org"),
                at: None,
                pull: None,
                url: None,
                from_ledger: false,
            }]
        }
        fn retraction(&self, _: &str, _: &str, _: &str) -> Option<String> {
            None
        }
    }

    fn ledger(lines: &[&str]) -> History {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        crate::ledger::replay(text.as_bytes(), std::path::Path::new("l")).unwrap()
    }

    fn rec(event: &str, part: u32, hash: &str, at: &str, extra: &str) -> String {
        format!(
            r#"{{"event":"{event}","id":"a","lang":"et","channel":"m","part":{part},"hash":"{hash}","at":"2026-06-30T{at}:00Z"{extra}}}"#
        )
    }

    fn shelf(lines: &[String]) -> Shelf {
        let mut shelf = Shelf::default();
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        super::super::parse(
            text.as_bytes(),
            std::path::Path::new("a.jsonl"),
            &mut shelf,
            &mut Default::default(),
        );
        for lines in shelf.lines.values_mut() {
            lines.sort_by(|a, b| super::super::order(a).cmp(&super::super::order(b)));
        }
        shelf
    }

    fn kept(part: u32, action: &str, hash: &str, at: &str, text: &str) -> String {
        let action = if action.is_empty() {
            String::new()
        } else {
            format!(r#","action":"{action}""#)
        };
        format!(
            r#"{{"id":"a","lang":"et","channel":"m","part":{part}{action},"hash":"{hash}","at":"2026-06-30T{at}:00Z","text":"{text}"}}"#
        )
    }

    fn tallinn() -> TimeZone {
        TimeZone::get("Europe/Tallinn").unwrap()
    }

    #[test]
    fn a_thread_published_corrected_and_retracted_has_that_history() {
        let by = r#","by":"editor@example.org, github:kadri""#;
        let posted = |n: u32| format!(r#","remote_id":"{n}","url":"https://x.example/{n}""#);
        let history = ledger(&[
            &rec(
                "started",
                1,
                "h1",
                "07:00",
                &format!("{by},\"digest\":\"d1\""),
            ),
            &rec("posted", 1, "h1", "07:00", &posted(1)),
            &rec(
                "started",
                2,
                "h1",
                "07:01",
                &format!("{by},\"digest\":\"d2\""),
            ),
            &rec("posted", 2, "h1", "07:01", &posted(2)),
            // The correction: part 2 edited, a notice answers part 1.
            &rec(
                "started",
                2,
                "h2",
                "09:00",
                r#","action":"edit","by":"chief@example.org""#,
            ),
            &rec(
                "posted",
                2,
                "h2",
                "09:00",
                r#","action":"edit","remote_id":"2""#,
            ),
            &rec(
                "started",
                1,
                "h2",
                "09:01",
                r#","action":"notice","by":"chief@example.org""#,
            ),
            &rec(
                "posted",
                1,
                "h2",
                "09:01",
                r#","action":"notice","remote_id":"3","url":"https://x.example/3""#,
            ),
            // The retraction: both parts deleted.
            &rec(
                "started",
                2,
                "h3",
                "11:00",
                r#","action":"delete","reason":"wrong day","by":"chief@example.org""#,
            ),
            &rec("posted", 2, "h3", "11:00", r#","action":"delete""#),
            &rec(
                "started",
                1,
                "h3",
                "11:01",
                r#","action":"delete","reason":"wrong day","by":"chief@example.org""#,
            ),
            &rec("posted", 1, "h3", "11:01", r#","action":"delete""#),
        ]);
        let shelf = shelf(&[
            kept(1, "", "h1", "07:00", "Esimene."),
            kept(2, "", "h1", "07:01", "Teine."),
            // A retried attempt repeats its line: kept once, at its first time.
            kept(2, "", "h1", "07:02", "Teine."),
            kept(2, "edit", "h2", "09:00", "Teine, parandatud."),
            kept(1, "notice", "h2", "09:01", "Parandus: teine osa."),
            // An edit that never went out (no such step in the ledger) is not archived.
            kept(1, "edit", "h9", "10:00", "Never."),
        ]);
        let posts = posts(&history, &shelf, &NoFiles, &tallinn(), &|_, _| true);
        assert_eq!(posts.len(), 1);
        let p = &posts[0];
        assert_eq!(
            (p.posted_at.as_str(), p.hash.as_str(), p.retracted),
            ("2026-06-30T10:00:00+03:00", "h1", true)
        );
        assert!(p.urls.is_empty(), "{:?}", p.urls);
        let summary: Vec<Summary<'_>> = p
            .history
            .iter()
            .map(|h| {
                (
                    h.what,
                    h.at.as_str(),
                    h.hash.as_str(),
                    h.approved_by.clone(),
                    h.changes.clone(),
                    h.reason.as_deref(),
                )
            })
            .collect();
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            summary,
            vec![
                (
                    What::Published,
                    "2026-06-30T10:00:00+03:00",
                    "h1",
                    s(&["editor@example.org", "github:kadri"]),
                    vec![],
                    None
                ),
                (
                    What::Corrected,
                    "2026-06-30T12:00:00+03:00",
                    "h2",
                    s(&["chief@example.org"]),
                    s(&["part 2 edited", "notice posted"]),
                    None
                ),
                (
                    What::Retracted,
                    "2026-06-30T14:00:00+03:00",
                    "h3",
                    s(&["chief@example.org"]),
                    s(&["part 2 deleted", "part 1 deleted"]),
                    Some("wrong day")
                ),
            ]
        );
        let texts: Vec<Texts<'_>> = p
            .parts
            .iter()
            .map(|part| {
                (
                    part.part,
                    part.versions
                        .iter()
                        .map(|v| (v.action, v.at.as_str(), v.text.as_str()))
                        .collect(),
                    part.deleted_at.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            texts,
            vec![
                (
                    1,
                    vec![("post", "2026-06-30T10:00:00+03:00", "Esimene.")],
                    Some("2026-06-30T14:01:00+03:00")
                ),
                (
                    2,
                    vec![
                        ("post", "2026-06-30T10:01:00+03:00", "Teine."),
                        ("edit", "2026-06-30T12:00:00+03:00", "Teine, parandatud.")
                    ],
                    Some("2026-06-30T14:00:00+03:00")
                ),
            ]
        );
        assert_eq!(
            p.notices
                .iter()
                .map(|n| (n.text.as_str(), n.url.as_deref()))
                .collect::<Vec<_>>(),
            vec![("Parandus: teine osa.", Some("https://x.example/3"))]
        );
    }

    #[test]
    fn a_retraction_with_a_part_still_up_is_not_retracted_and_says_what_is_not_done() {
        let retract = r#","action":"delete","reason":"wrong day","by":"chief@example.org""#;
        let history = ledger(&[
            &rec("started", 1, "h1", "07:00", ""),
            &rec("posted", 1, "h1", "07:00", ""),
            &rec("started", 2, "h1", "07:00", ""),
            &rec("posted", 2, "h1", "07:00", ""),
            &rec("started", 2, "h2", "08:00", retract),
            &rec("posted", 2, "h2", "08:00", r#","action":"delete""#),
            &rec("started", 1, "h2", "08:01", retract),
            &rec(
                "failed",
                1,
                "h2",
                "08:01",
                r#","action":"delete","class":"permanent","message":"boom""#,
            ),
        ]);
        let posts = posts(
            &history,
            &Shelf::default(),
            &NoFiles,
            &tallinn(),
            &|_, _| true,
        );
        let p = &posts[0];
        assert!(!p.retracted);
        let last = p.history.last().unwrap();
        assert_eq!(
            (
                last.what,
                last.changes.clone(),
                last.unfinished.clone(),
                last.reason.as_deref()
            ),
            (
                What::Retracted,
                vec!["part 2 deleted".to_owned()],
                vec!["part 1 delete failed: boom".to_owned()],
                Some("wrong day")
            )
        );
    }

    #[test]
    fn approvers_come_from_the_files_when_the_ledger_names_none() {
        let history = ledger(&[
            &rec("started", 1, "h1", "07:00", ""),
            &rec(
                "posted",
                1,
                "h1",
                "07:00",
                r#","url":"https://x.example/1""#,
            ),
            &rec("started", 1, "h2", "08:00", r#","action":"delete""#),
            &rec("posted", 1, "h2", "08:00", r#","action":"delete""#),
            &rec("started", 1, "h2", "08:01", r#","action":"repost""#),
            &rec(
                "posted",
                1,
                "h2",
                "08:01",
                r#","action":"repost","url":"https://x.example/2""#,
            ),
            &rec(
                "posted",
                1,
                "h3",
                "09:00",
                r#","action":"leave","reason":"the policy is none""#,
            ),
        ]);
        let posts = posts(
            &history,
            &Shelf::default(),
            &NoFiles,
            &tallinn(),
            &|_, _| true,
        );
        let p = &posts[0];
        assert_eq!(p.urls, vec!["https://x.example/2".to_owned()]);
        assert!(!p.retracted);
        let summary: Vec<(What, Vec<String>, Vec<String>)> = p
            .history
            .iter()
            .map(|h| (h.what, h.approved_by.clone(), h.changes.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    What::Published,
                    vec!["stamp-of-h1@example.org".to_owned()],
                    vec![]
                ),
                (
                    What::Corrected,
                    vec!["stamp-of-h2@example.org".to_owned()],
                    vec!["deleted and posted again".to_owned()]
                ),
                (
                    What::NotCorrected,
                    vec!["stamp-of-h3@example.org".to_owned()],
                    vec!["not changed: the policy is none".to_owned()]
                ),
            ]
        );
        assert_eq!(p.history[2].reason, None);
        assert_eq!(
            p.history[2].steps[0].reason.as_deref(),
            Some("the policy is none")
        );
    }
}
