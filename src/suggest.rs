//! "Did you mean …?" for misspelt names.

/// The closest candidate to `word`, when it is close enough to be a likely typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` (did you mean `x`?)` or nothing.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_typos_but_not_strangers() {
        let fields = ["title", "summary", "publish_at", "channels"];
        assert_eq!(super::closest("titel", fields), Some("title"));
        assert_eq!(super::closest("publish_on", fields), Some("publish_at"));
        assert_eq!(super::closest("colour", fields), None);
    }
}
