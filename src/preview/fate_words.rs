//! What the previews (the page and the pull-request comment) say about a post's fate:
//! one status class and one phrase per [`Fate`], so both show the same decision in the
//! same words. The decision itself is [`crate::plan::fate`]'s.

use crate::approval::Verdict;
use crate::plan::fate::{self, Fate};
use jiff::Timestamp;

/// The status class (`posted`, `due`, `scheduled`, `held`, `problem`) and the words for
/// `fate`; `verdict` is the variant's approval, `when` writes a time for people.
pub fn words(
    fate: &Fate,
    verdict: &Verdict,
    when: impl Fn(Timestamp) -> String,
) -> (&'static str, String) {
    match fate {
        Fate::Posted { .. } => ("posted", "posted".into()),
        Fate::InDoubt { .. } => (
            "problem",
            "not sure it went out: check the account, then tell Herald (`herald status` says how)"
                .into(),
        ),
        Fate::Skipped => ("held", "skipped for this channel (overrides)".into()),
        Fate::NotApproved { .. } | Fate::Broken { .. } => {
            ("held", format!("not going out: {}", verdict.describe()))
        }
        Fate::Blocked { .. } => ("problem", "not going out: it has problems".into()),
        Fate::Failed { message, .. } => (
            "problem",
            format!("an earlier attempt failed ({message}); tried again when due"),
        ),
        Fate::Waiting { langs } => ("held", fate::waiting_words(langs)),
        Fate::Due => ("due", "due now".into()),
        Fate::Scheduled { at } => ("scheduled", format!("scheduled for {}", when(*at))),
        Fate::Missed { .. } => ("problem", "missed: more than `max_delay` late".into()),
        Fate::Expired => ("held", "expired".into()),
        Fate::Unscheduled => ("held", "no publish_at".into()),
        Fate::Change { change, .. } => ("due", crate::plan::change::change_words(change)),
        Fate::ChangedAfterPosting { .. } => {
            ("problem", crate::plan::change::CHANGED_AFTER_POSTING.into())
        }
        Fate::Retracted { reason, left, .. } => (
            if left.is_empty() { "held" } else { "problem" },
            crate::plan::change::retracted_words(reason, left),
        ),
    }
}
