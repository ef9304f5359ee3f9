//! The one transliteration that turns a name as a person writes it (`Jõulutuli`,
//! `Őszi fesztivál`, `Straße fest`) into an announcement id: the id goes into file
//! names, web addresses (tag URIs, feed links), email headers (`Message-ID`) and
//! record keys, so it is written with `a`–`z`, `0`–`9` and `-` only.
//!
//! The rule, in order:
//! 1. Letters are decomposed (Unicode NFD) and their accents dropped: `õ ä ö ü š ž ő ű
//!    á é í ó ú å ā ē ī ū ą ę ė į ų č ģ ķ ļ ņ` become `o a o u s z o u a e i o u a …`.
//! 2. Letters that are not a letter plus an accent are spelt out: `ß`→`ss`, `æ`→`ae`,
//!    `œ`→`oe`, `ø`→`o`, `ł`→`l`, `đ`→`d`, `ð`→`d`, `þ`→`th`, `ı`→`i`.
//! 3. Capitals become small letters.
//! 4. White space (a run of it counts once) and `_` become `-`; white space at either end
//!    is dropped.
//! 5. Anything else (`/`, `.`, `!`, a letter of another alphabet) is refused, and named.
//!
//! Every way of writing an id meets this one function, so `herald new` and the check of
//! a hand-made file name agree on what the safe id is.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// An id made safe, and what had to change to get there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafeId {
    pub id: String,
    /// The letters written with an accent or spelt out (`õ`, `ß`), each once (a capital
    /// counts as its small letter), in the order they first appear.
    pub letters: Vec<char>,
    /// Capitals were made small.
    pub capitals: bool,
    /// White space or `_` became `-`.
    pub spaces: bool,
}

impl SafeId {
    /// Whether the id is the name exactly as written.
    pub fn unchanged(&self) -> bool {
        self.letters.is_empty() && !self.capitals && !self.spaces
    }

    /// Why the id differs from what was written, for staff: "ids are written without õ,
    /// ä because they go into web addresses and email headers". `None` when nothing
    /// changed.
    pub fn reason(&self) -> Option<String> {
        if self.unchanged() {
            return None;
        }
        let mut how = Vec::new();
        if self.capitals {
            how.push("in small letters".to_owned());
        }
        if !self.letters.is_empty() {
            let letters: Vec<String> = self.letters.iter().map(char::to_string).collect();
            how.push(format!("without {}", letters.join(", ")));
        }
        if self.spaces {
            how.push("with `-` between words".to_owned());
        }
        let how = match how.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        Some(format!(
            "ids are written {how} because they go into web addresses and email headers"
        ))
    }
}

/// The characters of a name that no id can hold, each once, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsafe(pub Vec<char>);

impl Unsafe {
    /// The characters as staff read them: "`/`, `!`".
    pub fn listed(&self) -> String {
        let shown: Vec<String> = self
            .0
            .iter()
            .map(|c| match c {
                '`' => "a backquote".to_owned(),
                ' ' => "a space".to_owned(),
                c if c.is_control() => format!("U+{:04X}", u32::from(*c)),
                c => format!("`{c}`"),
            })
            .collect();
        shown.join(", ")
    }
}

/// Letters that are not a base letter plus an accent, spelt as they are written in plain
/// Latin letters.
fn spelt_out(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'ø' | 'Ø' => "o",
        'ł' | 'Ł' => "l",
        'đ' | 'Đ' | 'ð' | 'Ð' => "d",
        'þ' | 'Þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// `written` as an id (see the module's rule), or the characters that cannot be one.
/// An empty name (or only white space) is refused with no characters named.
pub fn safe_id(written: &str) -> Result<SafeId, Unsafe> {
    let mut out = SafeId {
        id: String::new(),
        letters: Vec::new(),
        capitals: false,
        spaces: false,
    };
    let mut bad = Vec::new();
    let mut in_space = false;
    for c in written.trim().chars() {
        if c.is_whitespace() {
            if !in_space {
                out.id.push('-');
            }
            in_space = true;
            out.spaces = true;
            continue;
        }
        in_space = false;
        if c == '_' {
            out.id.push('-');
            out.spaces = true;
            continue;
        }
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
            out.id.push(c);
            continue;
        }
        if c.is_ascii_uppercase() {
            out.id.push(c.to_ascii_lowercase());
            out.capitals = true;
            continue;
        }
        let plain: String = match spelt_out(c) {
            Some(s) => s.to_owned(),
            None => c.nfd().filter(|m| !is_combining_mark(*m)).collect(),
        };
        if plain.is_empty() || !plain.chars().all(|p| p.is_ascii_alphabetic()) {
            if !bad.contains(&c) {
                bad.push(c);
            }
            continue;
        }
        if c.is_uppercase() || plain.chars().any(|p| p.is_ascii_uppercase()) {
            out.capitals = true;
        }
        out.id.push_str(&plain.to_ascii_lowercase());
        let small = c.to_lowercase().next().unwrap_or(c);
        if !out.letters.contains(&small) {
            out.letters.push(small);
        }
    }
    if !bad.is_empty() || out.id.is_empty() {
        return Err(Unsafe(bad));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> String {
        safe_id(s).unwrap().id
    }

    #[test]
    fn words_of_each_language_become_plain_ids() {
        for (written, want) in [
            // Estonian
            ("jõulutuli", "joulutuli"),
            ("Tartu Ülikool", "tartu-ulikool"),
            ("šokolaadi-öö", "sokolaadi-oo"),
            ("žürii", "zurii"),
            ("Pärnu rand", "parnu-rand"),
            // Finnish
            ("Hämeenlinna", "hameenlinna"),
            ("yö", "yo"),
            ("Åbo", "abo"),
            // Hungarian
            ("Nyíregyháza", "nyiregyhaza"),
            ("őszi fesztivál", "oszi-fesztival"),
            ("tűzijáték", "tuzijatek"),
            ("ÁRVÍZTŰRŐ tükörfúrógép", "arvizturo-tukorfurogep"),
            // Swedish, Danish, Norwegian
            ("Gävle", "gavle"),
            ("Malmö_höst", "malmo-host"),
            ("Ærø", "aero"),
            ("smørbrød", "smorbrod"),
            // German
            ("Straße", "strasse"),
            ("Grüße aus Köln", "grusse-aus-koln"),
            // Latvian, Lithuanian
            ("Rīga", "riga"),
            ("Ķegums Ļaudona", "kegums-laudona"),
            ("Šiaulių šventė", "siauliu-svente"),
            ("ąžuolas", "azuolas"),
            // Polish, Icelandic, Croatian
            ("Łódź", "lodz"),
            ("Þórshöfn", "thorshofn"),
            ("Đakovo", "dakovo"),
        ] {
            assert_eq!(id(written), want, "{written}");
        }
    }

    #[test]
    fn what_changed_is_said() {
        let s = safe_id("jõulutuli").unwrap();
        assert_eq!(s.letters, ['õ']);
        assert_eq!(
            s.reason().unwrap(),
            "ids are written without õ because they go into web addresses and email headers"
        );
        let s = safe_id("Öö  ja_päev").unwrap();
        assert_eq!(s.id, "oo-ja-paev");
        assert_eq!(
            s.reason().unwrap(),
            "ids are written in small letters, without ö, ä and with `-` between words \
             because they go into web addresses and email headers"
        );
        assert_eq!(safe_id("summer-festival").unwrap().reason(), None);
    }

    #[test]
    fn anything_else_is_refused_and_named() {
        assert_eq!(safe_id("jõulu/tuli.et"), Err(Unsafe(vec!['/', '.'])));
        assert_eq!(safe_id("ёлка"), Err(Unsafe(vec!['ё', 'л', 'к', 'а'])));
        assert_eq!(safe_id("  "), Err(Unsafe(vec![])));
        assert_eq!(Unsafe(vec!['/', '`']).listed(), "`/`, a backquote");
    }
}
