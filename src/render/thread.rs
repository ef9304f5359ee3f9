//! Splitting a text that is too long into a numbered thread.
//!
//! Breaks fall between paragraphs where possible, then after sentences, then between
//! words; a word (a URL, say) is never cut unless it alone is over the limit. Every part,
//! with its ` 1/3` marker, is measured with the platform's own counter.

/// Splits `text` into parts that each measure at most `limit` with their marker.
/// `tags` keeps `<…>` markup in one piece (for HTML posts).
pub fn split(text: &str, limit: usize, measure: &dyn Fn(&str) -> usize, tags: bool) -> Vec<String> {
    // A counter may count a text of nothing but white space as nothing (Mastodon does);
    // a part always carries its marker, so such a piece is measured as at least one per
    // character, or it could grow without bound.
    let whole = measure;
    let measure = &|s: &str| {
        let n = whole(s);
        if s.chars().all(char::is_whitespace) {
            n.max(unicode_segmentation::UnicodeSegmentation::graphemes(s, true).count())
        } else {
            n
        }
    };
    let words = tokens(text, tags);
    let mut count_guess = 2;
    loop {
        let marker = measure(&format!(" {count_guess}/{count_guess}"));
        let budget = limit.saturating_sub(marker).max(1);
        let parts = fill_checked(&words, budget, measure);
        if parts.len().to_string().len() <= count_guess.to_string().len() || count_guess > 10_000 {
            let n = parts.len();
            return parts
                .into_iter()
                .enumerate()
                .map(|(i, p)| format!("{p} {}/{n}", i + 1))
                .collect();
        }
        count_guess = parts.len();
    }
}

/// A word and the separator before it (`""`, `" "`, `"\n"` or `"\n\n"`).
struct Token<'a> {
    sep: &'a str,
    word: &'a str,
}

fn tokens(text: &str, tags: bool) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let sep_start = i;
        while i < text.len() && (bytes[i] == b' ' || bytes[i] == b'\n' || bytes[i] == b'\t') {
            i += 1;
        }
        let sep = &text[sep_start..i];
        let sep = if sep.contains("\n\n") {
            "\n\n"
        } else if sep.contains('\n') {
            "\n"
        } else if sep.is_empty() {
            ""
        } else {
            " "
        };
        let word_start = i;
        let mut in_tag = false;
        while i < text.len() {
            let c = bytes[i];
            if tags && c == b'<' {
                in_tag = true;
            } else if tags && c == b'>' {
                in_tag = false;
            } else if !in_tag && (c == b' ' || c == b'\n' || c == b'\t') {
                break;
            }
            i += 1;
        }
        if i > word_start {
            out.push(Token {
                sep,
                word: &text[word_start..i],
            });
        }
    }
    out
}

/// Fills parts word by word, first with lengths kept as running sums (linear), then
/// checks every part with the real count. A running sum can be off only for text the
/// counter sees across pieces (a word cut inside a URL); then the parts are made again
/// measuring every step, which is exact but quadratic in a part's length.
fn fill_checked(
    words: &[Token<'_>],
    budget: usize,
    measure: &dyn Fn(&str) -> usize,
) -> Vec<String> {
    use unicode_segmentation::UnicodeSegmentation;
    let fast = fill(words, budget, measure, false);
    let fits = |p: &String| measure(p) <= budget || p.graphemes(true).nth(1).is_none();
    if fast.iter().all(fits) {
        fast
    } else {
        fill(words, budget, measure, true)
    }
}

/// `exact`: measure each candidate whole; else add each word's own length to a running
/// sum, measuring the whole only when the sum is over the budget.
fn fill(
    words: &[Token<'_>],
    budget: usize,
    measure: &dyn Fn(&str) -> usize,
    exact: bool,
) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut current_len = 0;
    for (i, t) in words.iter().enumerate() {
        if current.is_empty() {
            push_word(&mut parts, &mut current, t.word, budget, measure, exact);
            current_len = measure(&current);
            continue;
        }
        let mut candidate_len = current_len + measure(&format!("{}{}", t.sep, t.word));
        if exact || candidate_len > budget {
            candidate_len = measure(&format!("{current}{}{}", t.sep, t.word));
        }
        // At a paragraph break or after a sentence, start a new part when the current one
        // is at least half full and the next paragraph (or sentence) would not fit whole.
        let next_unit = if t.sep == "\n\n" {
            Some(unit_from(words, i, false))
        } else if ends_sentence(&current) && !t.sep.is_empty() {
            Some(unit_from(words, i, true))
        } else {
            None
        };
        let break_here = candidate_len > budget
            || next_unit.is_some_and(|unit| {
                current_len * 2 >= budget
                    && current_len + measure(&format!("{}{unit}", t.sep)) > budget
                    && measure(&format!("{current}{}{unit}", t.sep)) > budget
            });
        if break_here {
            parts.push(std::mem::take(&mut current));
            push_word(&mut parts, &mut current, t.word, budget, measure, exact);
            current_len = measure(&current);
        } else {
            current.push_str(t.sep);
            current.push_str(t.word);
            current_len = candidate_len;
        }
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// Starts `current` with `word`, cutting the word itself only when it alone is too long.
fn push_word(
    parts: &mut Vec<String>,
    current: &mut String,
    word: &str,
    budget: usize,
    measure: &dyn Fn(&str) -> usize,
    exact: bool,
) {
    if measure(word) <= budget {
        current.push_str(word);
        return;
    }
    use unicode_segmentation::UnicodeSegmentation;
    let mut len = measure(current);
    for g in word.graphemes(true) {
        let mut next = len + measure(g);
        if (exact || next > budget) && !current.is_empty() {
            next = measure(&format!("{current}{g}"));
            if next > budget {
                parts.push(std::mem::take(current));
                next = measure(g);
            }
        }
        current.push_str(g);
        len = next;
    }
}

/// The words from `start` to the end of the paragraph, or of the sentence.
fn unit_from(words: &[Token<'_>], start: usize, sentence: bool) -> String {
    let mut s = String::new();
    for (n, t) in words[start..].iter().enumerate() {
        if n > 0 && (t.sep == "\n\n" || (sentence && ends_sentence(&s))) {
            break;
        }
        if n > 0 {
            s.push_str(t.sep);
        }
        s.push_str(t.word);
    }
    s
}

fn ends_sentence(s: &str) -> bool {
    s.ends_with(['.', '!', '?', '…', ':'])
}

#[cfg(test)]
mod tests {
    use super::split;

    fn chars(s: &str) -> usize {
        s.chars().count()
    }

    #[test]
    fn every_part_fits_and_is_numbered() {
        let text = "One two three four five six seven eight nine ten. ".repeat(20);
        let parts = split(text.trim(), 100, &chars, false);
        assert!(parts.len() > 5);
        for (i, p) in parts.iter().enumerate() {
            assert!(chars(p) <= 100, "{p:?}");
            assert!(p.ends_with(&format!(" {}/{}", i + 1, parts.len())));
        }
    }

    #[test]
    fn prefers_paragraph_breaks_and_keeps_urls_whole() {
        let text = "First paragraph is here and it is fairly long indeed.\n\nSecond one https://example.org/a/long/url ends.";
        let parts = split(text, 70, &chars, false);
        assert_eq!(
            parts[0],
            "First paragraph is here and it is fairly long indeed. 1/2"
        );
        assert!(parts[1].contains("https://example.org/a/long/url"));
    }

    #[test]
    fn html_tags_stay_whole() {
        let text = format!("{} <a href=\"https://x.org\">link</a>", "word ".repeat(30));
        let parts = split(&text, 60, &chars, true);
        assert!(
            parts
                .iter()
                .any(|p| p.contains("<a href=\"https://x.org\">link</a>"))
        );
    }
}

#[cfg(test)]
mod properties {
    use super::split;
    use crate::platform::text::Counter;

    /// Random announcement-like text: words, URLs, hashtags, emoji, Estonian, CJK,
    /// sentence ends and paragraph breaks.
    fn random_text(rng: &mut fastrand::Rng) -> String {
        const WORDS: &[&str] = &[
            "Tartu",
            "linn",
            "kõik",
            "elanikud",
            "BETTER",
            "projekt",
            "Nyíregyháza",
            "Gävle",
            "https://www.interregeurope.eu/better/",
            "https://example.org/a/very/long/path/that/keeps/going/on",
            "#Tartu",
            "#InterregEurope",
            "👨‍👩‍👧",
            "👍🏽",
            "🇪🇪",
            "東京",
            "e\u{301}",
            "and",
            "the",
            "ühine",
        ];
        let mut out = String::new();
        for _ in 0..rng.usize(1..400) {
            if !out.is_empty() {
                out.push_str(match rng.u8(0..20) {
                    0 => "\n\n",
                    1 => "\n",
                    2 => ". ",
                    _ => " ",
                });
            }
            out.push_str(WORDS[rng.usize(0..WORDS.len())]);
        }
        out
    }

    /// The words of `text`, for checking nothing was lost or reordered.
    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    #[test]
    fn every_part_fits_and_no_text_is_lost() {
        let mut rng = fastrand::Rng::with_seed(2022);
        for case in 0..300 {
            let text = random_text(&mut rng);
            let (counter, limit) = match case % 3 {
                0 => (Counter::XWeighted, 280),
                1 => (Counter::Graphemes, 300),
                _ => (Counter::Mastodon, 500),
            };
            let measure = move |t: &str| counter.count(t);
            let parts = split(&text, limit, &measure, false);
            let n = parts.len();
            let mut rejoined = Vec::new();
            for (i, part) in parts.iter().enumerate() {
                assert!(
                    measure(part) <= limit,
                    "case {case}: part {i} is {} > {limit}: {part:?}",
                    measure(part)
                );
                let marker = format!(" {}/{n}", i + 1);
                let body = part
                    .strip_suffix(&marker)
                    .unwrap_or_else(|| panic!("case {case}: no marker in {part:?}"));
                rejoined.extend(words(body));
            }
            assert_eq!(
                rejoined,
                words(&text),
                "case {case}: words lost or reordered"
            );
        }
    }
}
