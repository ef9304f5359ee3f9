//! Entry points for the fuzz targets in `fuzz/`: each takes arbitrary bytes, runs one part
//! of Herald on them and panics when an invariant breaks. The same functions replay the
//! committed corpora and crash reproducers in the normal test run (see the tests below),
//! so a finding stays fixed.

use crate::announcement::{FieldContext, parse_front_matter, split_front_matter};
use crate::diagnostic::Diagnostics;
use crate::platform::text::{Counter, detect_facets};
use std::path::Path;
use unicode_segmentation::UnicodeSegmentation;

/// Front matter: splitting and reading every field never panics, and every diagnostic
/// points inside the text.
pub fn front_matter(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // As the loader reads files.
    let text = crate::announcement::normalize_newlines(text.to_owned());
    let lines = text.lines().count() + 1;
    let Ok(split) = split_front_matter(&text) else {
        return;
    };
    assert!(split.yaml_line <= split.body_line && split.body_line <= lines + 1);
    let tz = jiff::tz::TimeZone::UTC;
    let names = ["record_et".to_owned(), "record_en".to_owned()];
    let ctx = FieldContext {
        root: Path::new("/nonexistent-herald-fuzz-root"),
        tz: &tz,
        channel_names: &names,
    };
    let mut diags = Diagnostics::new();
    let _ = parse_front_matter(
        split.yaml,
        split.yaml_line,
        &ctx,
        Path::new("a.md"),
        &mut diags,
    );
    for d in diags.iter() {
        if let Some(line) = d.line {
            assert!(
                line >= 1 && line <= lines + 1,
                "line {line} of {lines}: {d:?}"
            );
        }
        assert!(!d.message.is_empty());
    }
}

/// Markdown: both renderings finish, and the plain text never contains markup that the
/// HTML escapes.
pub fn markdown(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let html = crate::announcement::markdown::to_html(text);
    let plain = crate::announcement::markdown::to_plain_text(text);
    // Output grows at most linearly (no blow-up from nesting or references).
    // One `>` opens and closes a `<blockquote>`: 27 bytes.
    assert!(
        html.len() <= 32 * text.len() + 64,
        "{} -> {}",
        text.len(),
        html.len()
    );
    // A two-byte list marker may become a line with capped indentation and a bullet.
    assert!(
        plain.len() <= 8 * text.len() + 64,
        "{} -> {}",
        text.len(),
        plain.len()
    );
    assert!(
        !html.contains("<script"),
        "raw HTML must be escaped: {html}"
    );
}

/// Counters: each agrees with a slow, obviously right count where one exists, and keeps
/// its bounds everywhere.
pub fn counters(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let chars = text.chars().count();
    let graphemes = text.graphemes(true).count();
    // UTF-16: one unit below U+10000, two above.
    let utf16: usize = text
        .chars()
        .map(|c| if (c as u32) < 0x10000 { 1 } else { 2 })
        .sum();
    assert_eq!(Counter::Utf16.count(text), utf16);
    assert_eq!(Counter::Graphemes.count(text), graphemes);
    assert!(graphemes <= chars);
    let urls = text.matches("http").count() + text.matches('.').count();
    let mastodon = Counter::Mastodon.count(text);
    assert!(
        mastodon <= graphemes + 23 * urls,
        "{mastodon} vs {graphemes}"
    );
    if !text.contains(['@', '.', ':']) && !text.chars().all(char::is_whitespace) {
        // No URL or mention can be recognised: every grapheme counts one (text that is
        // only white space counts nothing, as Mastodon strips it).
        assert_eq!(mastodon, graphemes);
    }
    let x = Counter::XWeighted.count(text);
    let nfc: usize = {
        use unicode_normalization::UnicodeNormalization;
        text.nfc().count()
    };
    assert!(x <= 2 * nfc + 23 * urls, "{x} vs {nfc}");
    if !text.contains(['@', '.', ':', '#', '$', '＃', '＠'])
        && text
            .chars()
            .all(|c| matches!(c as u32, 0x20..=0x7e | 0xa0..=0x2ff))
    {
        // Latin letters without combining marks or URLs: weight 1 per code point (NFC
        // leaves them alone). Twitter-text counts combining sequences its own way.
        assert_eq!(x, nfc, "{text:?}");
    }
}

/// Threads: every part fits its limit with its marker, and no word is lost or reordered.
pub fn thread(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let counters = [
        Counter::Mastodon,
        Counter::Graphemes,
        Counter::XWeighted,
        Counter::Utf16,
    ];
    let counter = counters[usize::from(first) % counters.len()];
    let limit = 20 + usize::from(first) * 2;
    // Telegram's HTML keeps `<…>` whole.
    let tags = first >= 128;
    let measure = |s: &str| counter.count(s);
    let parts = crate::render::thread::split(text, limit, &measure, tags);
    let mut words = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let marker = format!(" {}/{}", i + 1, parts.len());
        let body = part.strip_suffix(&marker).expect("every part is numbered");
        assert!(
            measure(part) <= limit || body.graphemes(true).count() == 1,
            "part {i} measures {} > {limit}: {part:?}",
            measure(part)
        );
        words.extend(body.split_whitespace().map(str::to_owned));
    }
    // A word cut because it alone was too long is rejoined by concatenation.
    let wanted: String = text.split_whitespace().collect();
    let got: String = words.concat();
    assert_eq!(got, wanted, "text lost or reordered");
}

/// Bluesky facets: on UTF-8 boundaries, never empty; what goes into a record is in order
/// and never overlapping (the reference detection itself may overlap).
pub fn facets(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let detected = detect_facets(text);
    for f in &detected {
        assert!(
            f.byte_start < f.byte_end && f.byte_end <= text.len(),
            "{f:?}"
        );
        assert!(text.is_char_boundary(f.byte_start) && text.is_char_boundary(f.byte_end));
    }
    let mut end = 0;
    for f in crate::platform::text::non_overlapping(detected) {
        assert!(f.byte_start < f.byte_end, "{f:?}");
        assert!(f.byte_start >= end, "overlap: {f:?}");
        assert!(text.is_char_boundary(f.byte_start) && text.is_char_boundary(f.byte_end));
        assert!(f.byte_end <= text.len());
        end = f.byte_end;
    }
}

/// Ledger replay: any bytes give a history or an error, never a panic; every complete
/// line is either applied or reported.
pub fn ledger(data: &[u8]) {
    let history = crate::ledger::replay(data, Path::new("ledger.jsonl")).expect("in memory");
    let newlines = data.iter().filter(|&&b| b == b'\n').count();
    assert!(history.lines <= newlines);
    assert!(history.warnings.len() <= newlines + 1);
}

/// Configuration: any text gives settings or located problems, never a panic.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = std::collections::BTreeMap::new();
    match crate::settings::Settings::from_text(
        Path::new("/nonexistent-herald-fuzz-root"),
        Path::new("config/herald.toml"),
        text,
        &env,
    ) {
        Ok(_) => {}
        Err(diags) => assert!(diags.iter().count() > 0),
    }
}

/// Subscriber CSV: every line is a subscriber, a duplicate, or a problem named by its line
/// number; no message ever repeats an address.
pub fn subscribers(data: &[u8]) {
    use crate::email::subscribers::{Line, Reader, Suppression};
    let keys = crate::email::identity::Keyring::new(
        secrecy::SecretString::from("fuzz-secret"),
        "list.example.org",
    );
    let suppression = Suppression::default();
    // Everything in the input that could be an address.
    let text = String::from_utf8_lossy(data);
    let addresses: Vec<&str> = text
        .split([',', '\n', '\r', '"', ' ', '\t', ';'])
        .filter(|t| t.len() >= 3 && t.contains('@') && *t != "@")
        .collect();
    let Ok(mut reader) = Reader::new(data, "list.csv", &keys, &suppression) else {
        return;
    };
    let mut lines = 0;
    while let Some(item) = reader.next_line() {
        lines += 1;
        assert!(lines <= data.len() + 1, "more lines than bytes");
        match item {
            Ok((_, Line::Problem(message))) | Err(message) => {
                for a in &addresses {
                    assert!(!message.contains(a), "a message shows {a:?}: {message}");
                }
            }
            Ok((_, Line::Subscriber(s))) => {
                assert!(s.address.to_string().contains('@'));
                assert!(!s.name.chars().any(char::is_control), "{:?}", s.name);
            }
            Ok(_) => {}
        }
    }
}

/// A fuzz target: arbitrary bytes in, a panic when an invariant breaks.
pub type Target = fn(&[u8]);

/// Every fuzz target by name, for the replay tests.
pub const TARGETS: [(&str, Target); 8] = [
    ("front_matter", front_matter),
    ("markdown", markdown),
    ("counters", counters),
    ("thread", thread),
    ("facets", facets),
    ("ledger", ledger),
    ("config", config),
    ("subscribers", subscribers),
];

#[cfg(test)]
mod tests {
    /// Replays every committed corpus entry and crash reproducer (`fuzz/corpus/<target>/`,
    /// `fuzz/regressions/<target>/`) through its target.
    #[test]
    fn committed_corpora_and_reproducers_pass() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        let mut replayed = 0;
        for (name, target) in super::TARGETS {
            for kind in ["corpus", "regressions"] {
                let dir = root.join(kind).join(name);
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                for entry in entries.flatten() {
                    // A running fuzzer replaces corpus files as it goes.
                    let Ok(bytes) = std::fs::read(entry.path()) else {
                        continue;
                    };
                    let result = std::panic::catch_unwind(|| target(&bytes));
                    assert!(result.is_ok(), "{name} fails on {}", entry.path().display());
                    replayed += 1;
                }
            }
        }
        assert!(replayed > 0, "no corpus found under {}", root.display());
    }
}
