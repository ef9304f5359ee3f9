//! Shared printing: styles (colour only on a terminal, `NO_COLOR` honoured by anstream),
//! diagnostics, and the JSON document of `check`.

use crate::diagnostic::{Diagnostic, Severity};
use anstyle::{AnsiColor, Style};
use serde::Serialize;
use std::io::Write;

pub const ERROR: Style = AnsiColor::Red.on_default().bold();
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
pub const GOOD: Style = AnsiColor::Green.on_default();
pub const DIM: Style = Style::new().dimmed();
pub const BOLD: Style = Style::new().bold();

/// Prints diagnostics as `path:line:column: error: message`.
pub fn print_diagnostics<'a>(
    out: &mut impl Write,
    diags: impl IntoIterator<Item = &'a Diagnostic>,
) -> std::io::Result<()> {
    for d in diags {
        let (style, word) = match d.severity {
            Severity::Error => (ERROR, "error"),
            Severity::Warning => (WARNING, "warning"),
        };
        let mut place = d.path.clone();
        if let Some(l) = d.line {
            place.push_str(&format!(":{l}"));
            if let Some(c) = d.column {
                place.push_str(&format!(":{c}"));
            }
        }
        writeln!(
            out,
            "{BOLD}{place}{BOLD:#}: {style}{word}{style:#}: {}",
            d.message
        )?;
    }
    Ok(())
}

/// "2 errors, 1 warning".
pub fn counts(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// SPEC §5: `check --format json`.
#[derive(Serialize)]
pub struct CheckDocument<'a> {
    pub announcements: Vec<VariantDoc<'a>>,
    /// Problems that belong to no announcement (configuration, templates).
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Serialize)]
pub struct VariantDoc<'a> {
    pub id: &'a str,
    pub lang: &'a str,
    pub path: String,
    pub state: &'static str,
    pub publish_at: Option<String>,
    pub posts: Vec<PostDoc<'a>>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Serialize)]
pub struct PostDoc<'a> {
    pub channel: &'a str,
    pub kind: &'static str,
    pub parts: &'a [crate::render::Part],
    pub ok: bool,
}
