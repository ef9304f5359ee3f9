//! What the commands tell staff on GitHub: the preview as one pull-request comment
//! (updated, never repeated), and after publishing the posts' addresses on the pull
//! request that brought them plus the job summary (what was sent, held back and why).
//! The facts come from the plan and the engine's rows; this file only words them.

use super::Instance;
use super::Planned;
use crate::engine::{Outcome, Row};
use crate::github::{self, Client, Env};
use crate::plan::review::{Origin, Reviews};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The first line of a comment with a post's addresses.
const PUBLISHED_MARKER: &str = "<!-- herald-published -->";

/// Puts the preview `body` where the pull request's people see it: Herald's one comment
/// on the pull request (created the first time, updated after), or the job summary when
/// the run cannot write comments (a fork's pull request, no token). Returns what it did,
/// in words.
pub fn preview_comment(gh: &Env, body: &str) -> Result<String, String> {
    let summary = github::append_summary(Some(gh), body)?;
    let in_summary = if summary {
        "the preview is in the job summary"
    } else {
        "there is no job summary either"
    };
    let Some(path) = &gh.event_path else {
        return Ok(format!(
            "not a pull request's run (no GITHUB_EVENT_PATH), so no comment; {in_summary}"
        ));
    };
    let Some(event) = github::event::pull_request(path)? else {
        return Ok(format!(
            "this run is not about a pull request, so no comment; {in_summary}"
        ));
    };
    if event.from_fork() {
        return Ok(format!(
            "pull request #{} comes from a fork, whose runs get no write token, so no comment; {in_summary}",
            event.number
        ));
    }
    if gh.token.is_none() {
        return Ok(format!(
            "GITHUB_TOKEN is not set, so no comment on #{}; {in_summary}",
            event.number
        ));
    }
    let client = Client::new(gh)?;
    let comments = client.comments(event.number).map_err(|e| e.message)?;
    let mine = comments.iter().find(|c| {
        c.body
            .as_deref()
            .is_some_and(|b| b.starts_with(crate::preview::MARKER))
    });
    if let Some(c) = mine {
        match client.update_comment(c.id, body) {
            Ok(c) => {
                return Ok(format!(
                    "updated the preview comment on #{}{}",
                    event.number,
                    c.html_url.map(|u| format!(": {u}")).unwrap_or_default()
                ));
            }
            // Someone else's comment that starts with the marker: Herald may not edit it.
            Err(e) if matches!(e.status, Some(403 | 404)) => {}
            Err(e) => return Err(e.message),
        }
    }
    let c = client
        .create_comment(event.number, body)
        .map_err(|e| e.message)?;
    Ok(format!(
        "commented the preview on #{}{}",
        event.number,
        c.html_url.map(|u| format!(": {u}")).unwrap_or_default()
    ))
}

fn outcome_words(o: Outcome) -> &'static str {
    match o {
        Outcome::Posted => "sent",
        Outcome::Corrected => "corrected",
        Outcome::Retracted => "withdrawn",
        Outcome::Skipped => "skipped",
        Outcome::Deferred => "deferred to a later run",
        Outcome::Missed => "missed its time",
        Outcome::Failed => "failed",
        Outcome::InDoubt => "not sure it went out",
    }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

/// One row of the summary's tables: the announcement, language, channel and `last`.
fn row(out: &mut String, r: &Row, last: &str) {
    let _ = writeln!(
        out,
        "| {} | {} | {} | {last} |",
        cell(&r.id),
        r.lang,
        cell(&r.channel)
    );
}

/// The job summary of a publish run: what was sent (with addresses), and what was held
/// back and why.
pub fn publish_summary(instance: &Instance, rows: &[Row], dry_run: bool) -> String {
    let at = crate::time::human_in(instance.now, &instance.settings.tz);
    let mut out = format!(
        "## Herald {}: {at}\n\n",
        if dry_run { "dry run" } else { "publish" }
    );
    let (sent, rest): (Vec<&Row>, Vec<&Row>) =
        rows.iter().partition(|r| r.result == Outcome::Posted);
    let (changed, held): (Vec<&Row>, Vec<&Row>) = rest
        .into_iter()
        .partition(|r| matches!(r.result, Outcome::Corrected | Outcome::Retracted));
    if rows.is_empty() {
        out.push_str("Nothing was due.\n");
        return out;
    }
    let changed_count = if changed.is_empty() {
        String::new()
    } else {
        format!(" · **corrected or withdrawn: {}**", changed.len())
    };
    let _ = writeln!(
        out,
        "**Sent: {}**{changed_count} · **held back: {}**\n",
        sent.len(),
        held.len()
    );
    if !changed.is_empty() {
        out.push_str(
            "| Announcement | Language | Channel | What was done |\n| --- | --- | --- | --- |\n",
        );
        for r in &changed {
            let what = format!("{}: {}", outcome_words(r.result), r.detail);
            row(&mut out, r, &cell(&what));
        }
        out.push('\n');
    }
    if !sent.is_empty() {
        out.push_str(
            "| Announcement | Language | Channel | Address |\n| --- | --- | --- | --- |\n",
        );
        for r in &sent {
            let urls = if r.urls.is_empty() {
                cell(&r.detail)
            } else {
                r.urls
                    .iter()
                    .map(|u| cell(u))
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            row(&mut out, r, &urls);
        }
        out.push('\n');
    }
    if !held.is_empty() {
        out.push_str("| Announcement | Language | Channel | What happened and why |\n| --- | --- | --- | --- |\n");
        for r in &held {
            let why = if r.detail.is_empty() {
                outcome_words(r.result).to_owned()
            } else {
                format!("{}: {}", outcome_words(r.result), r.detail)
            };
            row(&mut out, r, &cell(&why));
        }
    }
    out
}

/// After a publish run: comments the addresses of what went out on the pull request
/// that brought each announcement (or its commit). Returns warnings (a comment that
/// could not be written does not fail the run: the posts are out).
pub fn comment_posts(
    instance: &Instance,
    plan: &[Planned<'_>],
    rows: &[Row],
    reviews: &Reviews,
    gh: &Env,
) -> Vec<String> {
    let Some(reviewer) = reviews.reviewer() else {
        return Vec::new();
    };
    let mut by_id: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.result == Outcome::Posted) {
        by_id.entry(&r.id).or_default().push(r);
    }
    let mut warnings = Vec::new();
    for (id, sent) in by_id {
        let planned: Vec<&Planned<'_>> = plan.iter().filter(|p| p.variant.id == id).collect();
        let Some(first) = planned.first() else {
            continue;
        };
        let origin = planned
            .iter()
            .find_map(|p| reviewer.origin(instance, p))
            .or_else(|| gh.sha.clone().map(Origin::Commit));
        let Some(origin) = origin else {
            continue;
        };
        let title = &first.variant.front.title;
        let mut body = format!("{PUBLISHED_MARKER}\n**Sent: {}** (`{id}`)\n\n", cell(title));
        for r in &sent {
            let addresses = if r.urls.is_empty() {
                if r.detail.is_empty() {
                    "sent".to_owned()
                } else {
                    cell(&r.detail)
                }
            } else {
                r.urls.join(" · ")
            };
            let _ = writeln!(body, "- **{}** ({}): {addresses}", cell(&r.channel), r.lang);
        }
        if let Some(url) = gh.run_url() {
            let _ = write!(body, "\nFrom the publish run {url}.\n");
        }
        let client = reviewer.client();
        let done = match &origin {
            Origin::Pull(n) => client.create_comment(*n, &body).map(|_| ()),
            Origin::Commit(sha) => client.commit_comment(sha, &body),
        };
        if let Err(e) = done {
            let on = match &origin {
                Origin::Pull(n) => format!("pull request #{n}"),
                Origin::Commit(sha) => format!("commit {}", &sha[..sha.len().min(7)]),
            };
            warnings.push(format!(
                "could not comment the addresses of `{id}` on {on}: {}",
                e.message
            ));
        }
    }
    warnings
}
