//! The Markdown summary for a CI job summary: one table row per post.

use crate::plan::Planned;
use std::fmt::Write;

/// `| announcement | lang | state | channel | length | problems |`.
pub fn markdown(plan: &[Planned<'_>]) -> String {
    let mut out = String::from("## Herald preview\n\n");
    let errors: usize = plan
        .iter()
        .map(|p| p.diagnostics.iter().filter(|d| d.is_error()).count())
        .sum();
    let _ = writeln!(
        out,
        "{} announcement files, {} posts, {}.\n",
        plan.len(),
        plan.iter()
            .map(|p| p.posts.iter().filter(|x| !x.skipped).count())
            .sum::<usize>(),
        if errors == 0 {
            "no problems".to_owned()
        } else {
            format!("**{errors} problem(s)**")
        }
    );
    out.push_str("| Announcement | Lang | State | Channel | Length | Problems |\n| --- | --- | --- | --- | --- | --- |\n");
    for p in plan {
        let v = p.variant;
        let state = cell(&p.verdict.describe());
        let variant_problems: Vec<String> = p
            .diagnostics
            .iter()
            .filter(|d| d.is_error() && !p.posts.iter().any(|post| post.diagnostics.contains(d)))
            .map(|d| cell(&d.message))
            .collect();
        if p.posts.is_empty() {
            let _ = writeln!(
                out,
                "| {} | {} | {state} | — | — | {} |",
                cell(&v.id),
                v.lang,
                variant_problems.join("<br>")
            );
        }
        for post in p.posts.iter().filter(|x| !x.skipped) {
            let lengths: Vec<String> = post
                .parts
                .iter()
                .map(|part| match part.limit {
                    Some(l) => format!("{}/{l}", part.length),
                    None => part.length.to_string(),
                })
                .collect();
            let mut problems: Vec<String> = post
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| cell(&d.message))
                .collect();
            problems.extend(variant_problems.iter().cloned());
            let _ = writeln!(
                out,
                "| {} | {} | {state} | {} | {} | {} |",
                cell(&v.id),
                v.lang,
                cell(post.channel.name()),
                lengths.join(", "),
                if problems.is_empty() {
                    "✓".to_owned()
                } else {
                    problems.join("<br>")
                }
            );
        }
    }
    out
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
