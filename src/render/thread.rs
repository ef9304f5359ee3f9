//! Splitting a text that is too long into a numbered thread.
//!
//! Each part takes as many words as fit, then ends at the best place in it: a paragraph
//! break in its second half, else a sentence end (or line break) in its second half,
//! else a clause end (`;`, `:`, `,`) in its last third, else between words. Where the
//! rest of the text after a paragraph or sentence in the part's last two thirds fits in
//! one last part, the part ends there rather than inside a sentence. A word (a
//! URL, say) is never cut unless it alone is over the limit. Every part, with its ` 1/3`
//! marker at its end, is measured with the platform's own counter.

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
///
/// A part is filled with as many words as fit; when the next word does not, the part
/// ends at the best place in it ([`best_end`]) and the words after that place start the
/// next part.
fn fill(
    words: &[Token<'_>],
    budget: usize,
    measure: &dyn Fn(&str) -> usize,
    exact: bool,
) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    // The bytes of the text from each word on (a cheap bound before measuring a rest).
    let mut rest_bytes = vec![0; words.len() + 1];
    for (i, t) in words.iter().enumerate().rev() {
        rest_bytes[i] = rest_bytes[i + 1] + t.sep.len() + t.word.len();
    }
    // For each word in `current`: the bytes and the length of the part up to its end.
    let mut ends: Vec<(usize, usize)> = Vec::new();
    let mut first = 0;
    let mut i = 0;
    while i < words.len() {
        let t = &words[i];
        if current.is_empty() {
            push_word(&mut parts, &mut current, t.word, budget, measure, exact);
            ends.clear();
            ends.push((current.len(), measure(&current)));
            first = i;
            i += 1;
            continue;
        }
        let current_len = ends.last().map_or(0, |e| e.1);
        let mut candidate_len = current_len + measure(&format!("{}{}", t.sep, t.word));
        if exact || candidate_len > budget {
            candidate_len = measure(&format!("{current}{}{}", t.sep, t.word));
        }
        if candidate_len <= budget {
            current.push_str(t.sep);
            current.push_str(t.word);
            ends.push((current.len(), candidate_len));
            i += 1;
            continue;
        }
        let keep = best_end(
            &words[first..],
            &ends,
            budget,
            measure,
            &rest_bytes[first..],
        );
        current.truncate(ends[keep - 1].0);
        parts.push(std::mem::take(&mut current));
        i = first + keep;
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// How many of a full part's words to keep when `words[ends.len()]` no longer fits.
/// `words` runs from the part's first word to the end of the text, `ends[k]` is the
/// part's length up to `words[k]`, and `rest_bytes[k]` the bytes from `words[k]` on.
///
/// The part ends at its last paragraph break if that is at least half-way; else, when
/// the rest of the text after a paragraph break (or else a sentence end) from a third of
/// the way on fits in one part, there: the thread has as many parts either way, and its
/// last paragraph or sentence stays whole; else at its last sentence end or line break
/// if that is at least half-way, else at its last clause end (`;`, `:`, `,`) in its last
/// third, else before the word that does not fit.
fn best_end(
    words: &[Token<'_>],
    ends: &[(usize, usize)],
    budget: usize,
    measure: &dyn Fn(&str) -> usize,
    rest_bytes: &[usize],
) -> usize {
    // Keeping `k` words ends the part after `words[k - 1]`, before `words[k]`.
    let last = |at_least: (usize, usize), good: &dyn Fn(usize) -> bool| {
        (1..=ends.len())
            .rev()
            .take_while(|&k| ends[k - 1].1 * at_least.1 >= budget * at_least.0)
            .find(|&k| good(k))
    };
    let paragraph = |k: usize| words[k].sep == "\n\n";
    let sentence =
        |k: usize| words[k].sep == "\n" || ends_sentence(words[k - 1].word, words[k].word);
    let clause = |k: usize| ends_clause(words[k - 1].word);
    // Bytes bound what a counter can count only loosely (a short URL counts 23 on
    // Mastodon), so this only skips measuring rests that are far too long.
    let rest_fits = |k: usize| {
        rest_bytes[k] <= budget.saturating_mul(4) && {
            let mut rest = words[k].word.to_owned();
            for t in &words[k + 1..] {
                rest.push_str(t.sep);
                rest.push_str(t.word);
            }
            measure(&rest) <= budget
        }
    };
    last((1, 2), &paragraph)
        .or_else(|| last((1, 3), &|k| paragraph(k) && rest_fits(k)))
        .or_else(|| last((1, 3), &|k| sentence(k) && rest_fits(k)))
        .or_else(|| last((1, 2), &sentence))
        .or_else(|| last((2, 3), &clause))
        .unwrap_or(ends.len())
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

/// Whether a sentence ends after `word` when `next` follows: `word` ends with `.`, `!`,
/// `?` or `…` (perhaps then a closing quote or bracket), it is not an abbreviation
/// (`e.g.`, `nt.`, `Dr.`, an initial), and `next` does not go on in lower case (as after
/// an Estonian ordinal, `2019. aasta`). A decimal (`3.5`) is one word, never an end.
fn ends_sentence(word: &str, next: &str) -> bool {
    let core = strip_closers(word);
    let Some(last) = core.chars().next_back() else {
        return false;
    };
    if !matches!(last, '.' | '!' | '?' | '…') {
        return false;
    }
    if starts_lowercase(next) {
        return false;
    }
    !(last == '.' && !core.ends_with("..") && is_abbreviation(&core[..core.len() - 1]))
}

/// Whether a clause ends after `word`: it ends with `;`, `:` or `,` (perhaps then a
/// closing quote or bracket).
fn ends_clause(word: &str) -> bool {
    strip_closers(word).ends_with([';', ':', ','])
}

/// `word` without the quotes, brackets, HTML end tags and escaped quotes that close it.
fn strip_closers(word: &str) -> &str {
    let mut w = word;
    loop {
        let before = w.len();
        w = w.trim_end_matches(['"', '\'', '”', '’', '»', '›', ')', ']', '}', '*', '_']);
        for entity in ["&quot;", "&#x27;", "&#39;"] {
            w = w.strip_suffix(entity).unwrap_or(w);
        }
        if w.ends_with('>')
            && let Some(open) = w.rfind("</")
        {
            w = &w[..open];
        }
        if w.len() == before {
            return w;
        }
    }
}

/// Whether `word` begins, after any opening quote or bracket, with a lower-case letter.
fn starts_lowercase(word: &str) -> bool {
    let mut w =
        word.trim_start_matches(['"', '\'', '“', '„', '‘', '«', '‹', '(', '[', '{', '*', '_']);
    for entity in ["&quot;", "&#x27;", "&#39;"] {
        w = w.strip_prefix(entity).unwrap_or(w);
    }
    w.chars().next().is_some_and(char::is_lowercase)
}

/// Abbreviations a full stop follows without ending a sentence, compared without case:
/// titles that stand before a name and Estonian and English shorthand that does not end
/// a sentence. Those that often do end one (`etc.`, `jne.`, `jms.`) are not listed: the
/// next word decides.
const ABBREVIATIONS: &[&str] = &[
    // English
    "approx", "ca", "cf", "dept", "dr", "eg", "ie", "incl", "jr", "mr", "mrs", "ms", "mt", "no",
    "nos", "prof", "rev", "sr", "st", "vs", "viz", // Estonian
    "hr", "jm", "jt", "kl", "lk", "mh", "nn", "nr", "nt", "pr", "sh", "tel", "u", "vrd", "vt",
];

/// `stem` (a word without its final `.`) is an abbreviation: listed, one letter (an
/// initial), or letters between full stops (`e.g`, `U.S`, `k.a`).
fn is_abbreviation(stem: &str) -> bool {
    let stem = stem.trim_start_matches(['"', '\'', '“', '„', '‘', '«', '‹', '(', '[']);
    let lower = stem.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    let mut pieces = stem.split('.');
    let all_short_letters = pieces.all(|p| {
        let n = p.chars().count();
        (1..=2).contains(&n) && p.chars().all(char::is_alphabetic)
    });
    all_short_letters && (stem.contains('.') || stem.chars().count() == 1)
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

    /// The part bodies, without their markers.
    fn bodies(parts: &[String]) -> Vec<&str> {
        let n = parts.len();
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| p.strip_suffix(&format!(" {}/{n}", i + 1)).unwrap())
            .collect()
    }

    #[test]
    fn a_sentence_end_in_the_second_half_beats_a_colon_near_the_end() {
        // Issue 19: `…snowfall: 1/2` in the middle of a sentence.
        let text = "The winter market opens on Saturday morning in the old town square. Bring \
                    warm clothes and boots for the snowfall: ten centimetres are expected by \
                    noon.";
        let parts = split(text, 120, &chars, false);
        assert_eq!(
            parts,
            [
                "The winter market opens on Saturday morning in the old town square. 1/2",
                "Bring warm clothes and boots for the snowfall: ten centimetres are expected by noon. 2/2"
            ]
        );
    }

    #[test]
    fn a_clause_end_in_the_last_third_beats_a_word_break() {
        let text = "No sentence ends anywhere near here but a long clause runs on and on; \
                    then another one follows it without a stop";
        let parts = split(text, 90, &chars, false);
        assert_eq!(
            bodies(&parts),
            [
                "No sentence ends anywhere near here but a long clause runs on and on;",
                "then another one follows it without a stop"
            ]
        );
    }

    #[test]
    fn abbreviations_ordinals_and_decimals_are_not_sentence_ends() {
        for (text, limit, not_after) in [
            (
                "We plan several events for the city, e.g. concerts in the square and talks in \
              the library for everyone",
                70,
                "e.g.",
            ),
            (
                "Partner cities, e.g. Tartu and Gävle, share their plans with the others in the \
              network",
                40,
                "e.g.",
            ),
            (
                "Linnas toimub mitu üritust, nt. kontserdid Raekoja platsil ja loengud \
              raamatukogus kõigile huvilistele",
                70,
                "nt.",
            ),
            (
                "Partnerlinnad, nt. Tartu ja Gävle, jagavad oma kavasid teiste võrgustiku \
              liikmetega",
                40,
                "nt.",
            ),
            (
                "Projekti esimene etapp kestis 2019. aasta augustist kuni 2022. aasta juulini \
              ja selle jooksul toimus palju",
                70,
                "2019.",
            ),
            (
                "The meeting is chaired by Dr. Mari Tamm and Prof. Jaan Kask from the \
              university of the city",
                70,
                "Dr.",
            ),
        ] {
            let parts = split(text, limit, &chars, false);
            for body in bodies(&parts) {
                assert!(!body.ends_with(not_after), "{text:?} → {parts:?}");
            }
        }
        // A decimal is one word: the break is between words, not inside `3.5`.
        let parts = split(
            "The new cycle path is 3.5 kilometres long and it joins the old town to the \
             river harbour",
            60,
            &chars,
            false,
        );
        assert!(
            parts
                .iter()
                .all(|p| !p.contains("3. ") && !p.contains(" .5"))
        );
        assert!(parts.iter().any(|p| p.contains("3.5")), "{parts:?}");
    }

    #[test]
    fn a_closing_quote_or_bracket_after_the_stop_still_ends_the_sentence() {
        let text = "The mayor opened the market and said it was \"the best one yet.\" \
                    Stalls stay open until eight in the evening every day";
        let parts = split(text, 90, &chars, false);
        assert_eq!(
            bodies(&parts)[0],
            "The mayor opened the market and said it was \"the best one yet.\""
        );
        let text = "Everyone is welcome at the opening in the main hall (free entry!) \
                    Stalls stay open until eight in the evening";
        let parts = split(text, 90, &chars, false);
        assert_eq!(
            bodies(&parts)[0],
            "Everyone is welcome at the opening in the main hall (free entry!)"
        );
    }

    #[test]
    fn a_text_without_sentence_ends_breaks_between_words_as_late_as_it_can() {
        let text = "word ".repeat(40);
        let parts = split(text.trim(), 50, &chars, false);
        for p in &parts[..parts.len() - 1] {
            // 9 words and the marker: a tenth would not fit.
            assert_eq!(p.split(' ').count(), 10, "{p:?}");
        }
    }

    #[test]
    fn a_sentence_end_in_the_first_half_is_too_early() {
        let text = "Short one. Then a much longer sentence that goes on and on without any \
                    stop at all for a while";
        let parts = split(text, 80, &chars, false);
        assert_ne!(bodies(&parts)[0], "Short one.");
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
                out.push_str(match rng.u8(0..28) {
                    0 => "\n\n",
                    1 => "\n",
                    2 => ". ",
                    3 => ", ",
                    4 => ": ",
                    5 => "; ",
                    6 => "! ",
                    7 => ".\" ",
                    8 => "… ",
                    9 => " e.g. ",
                    10 => " nt. ",
                    11 => " 3.5 ",
                    _ => " ",
                });
            }
            out.push_str(WORDS[rng.usize(0..WORDS.len())]);
        }
        out
    }

    #[test]
    fn a_part_ends_inside_a_sentence_only_when_none_ends_in_its_second_half() {
        let mut rng = fastrand::Rng::with_seed(19);
        let chars = |t: &str| t.chars().count();
        for case in 0..300 {
            let text = random_text(&mut rng).replace('\n', " ");
            let limit = 80 + rng.usize(0..220);
            let parts = split(&text, limit, &chars, false);
            let n = parts.len();
            let budget = limit - chars(&format!(" {n}/{n}"));
            let bodies: Vec<Vec<&str>> = parts
                .iter()
                .enumerate()
                .map(|(i, p)| words(p.strip_suffix(&format!(" {}/{n}", i + 1)).unwrap()))
                .collect();
            for i in 0..n.saturating_sub(1) {
                let (body, next) = (&bodies[i], bodies[i + 1][0]);
                if super::ends_sentence(body[body.len() - 1], next) {
                    continue;
                }
                for k in 1..body.len() {
                    let prefix = chars(&body[..k].join(" "));
                    assert!(
                        prefix * 2 < budget || !super::ends_sentence(body[k - 1], body[k]),
                        "case {case}: part {i} passes a sentence end after {prefix} of \
                         {budget}: {:?}",
                        parts[i]
                    );
                }
            }
        }
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
