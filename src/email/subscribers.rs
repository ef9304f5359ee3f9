//! The subscriber list: a UTF-8 CSV file with a header row naming the columns `email`,
//! `name` and `lang` (in any order; only `email` is required; other columns are ignored).
//!
//! The file is streamed: memory holds one line at a time plus the ids seen so far (16
//! bytes each), never the list. A bad line is reported with its line number and skipped;
//! the rest of the list still goes out. Addresses are compared case-insensitively, and
//! a later line with an address seen before is a duplicate, skipped. No message ever
//! contains an address: a line is named by its number.

use super::identity::{Keyring, SubscriberId};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// One subscriber to send to.
#[derive(Clone)]
pub struct Subscriber {
    pub address: lettre::Address,
    /// Control characters removed; may be empty.
    pub name: String,
    /// As written, lowercased; empty when the line has none.
    pub lang: String,
    pub id: SubscriberId,
    pub line: u64,
}

// Never print an address, not even in a debug dump.
impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Subscriber(line {}, id {})", self.line, self.id)
    }
}

/// What one line of the file turned out to be.
pub enum Line {
    Subscriber(Subscriber),
    /// Invalid: skipped, with the reason (no address in it).
    Problem(String),
    /// The same address as an earlier line.
    Duplicate,
    /// On the suppression list.
    Suppressed,
}

/// Ids that are never sent to: unsubscribed, bounced, complained.
#[derive(Default)]
pub struct Suppression {
    ids: HashSet<SubscriberId>,
}

impl Suppression {
    /// Reads a suppression file: one address or subscriber id (32 hex digits) per line;
    /// blank lines and lines starting with `#` are ignored. A line that is neither is
    /// reported (by number) and ignored.
    pub fn read(
        path: &Path,
        shown: &str,
        keys: &Keyring,
    ) -> Result<(Suppression, Vec<String>), String> {
        let file = open_limited(path, shown, "suppression list")?;
        let mut s = Suppression::default();
        let mut problems = Vec::new();
        for (n, line) in BufReader::new(file).split(b'\n').enumerate() {
            let line =
                line.map_err(|e| format!("cannot read the suppression list {shown}: {e}"))?;
            let Ok(text) = std::str::from_utf8(&line) else {
                problems.push(format!("{shown}, line {}: not UTF-8; ignored", n + 1));
                continue;
            };
            let text = text.trim().trim_start_matches('\u{feff}');
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            if let Some(id) = SubscriberId::parse(text) {
                s.ids.insert(id);
            } else if text.contains('@') && !text.contains(char::is_whitespace) {
                s.ids.insert(keys.id(text));
            } else {
                problems.push(format!(
                    "{shown}, line {}: neither an address nor a subscriber id (32 hex digits); ignored",
                    n + 1
                ));
            }
        }
        Ok((s, problems))
    }

    pub fn contains(&self, id: SubscriberId) -> bool {
        self.ids.contains(&id)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Reads the list line by line.
pub struct Reader<'k, R: Read> {
    csv: csv::Reader<R>,
    shown: String,
    keys: &'k Keyring,
    suppression: &'k Suppression,
    seen: HashSet<SubscriberId>,
    columns: Columns,
    record: csv::ByteRecord,
}

struct Columns {
    email: usize,
    name: Option<usize>,
    lang: Option<usize>,
}

impl<'k> Reader<'k, std::fs::File> {
    /// Opens the file at `path`; `shown` names it in messages (its file name).
    pub fn open(
        path: &Path,
        keys: &'k Keyring,
        suppression: &'k Suppression,
    ) -> Result<Self, String> {
        let shown = shown_name(path);
        let file = open_limited(path, &shown, "subscriber list")?;
        Reader::new(file, &shown, keys, suppression)
    }
}

/// Opens a list, refusing one larger than [`crate::limits::LIST_BYTES`]: reading streams,
/// but one absurd line (an unclosed quote) could still fill memory.
fn open_limited(path: &Path, shown: &str, what: &str) -> Result<std::fs::File, String> {
    // Only a regular file: a named pipe or a device is refused at once, never waited on.
    let file = crate::limits::open_file(path).map_err(|e| {
        format!("cannot open the {what} {shown}: {e}; check the path in its environment variable")
    })?;
    let meta = file
        .metadata()
        .map_err(|e| format!("cannot read the {what} {shown}: {e}"))?;
    if meta.len() > crate::limits::LIST_BYTES {
        return Err(format!(
            "the {what} {shown} is larger than {} MB; Herald reads lists up to that size (about four million addresses)",
            crate::limits::LIST_BYTES / (1024 * 1024)
        ));
    }
    Ok(file)
}

/// The file name of `path`, for messages.
pub fn shown_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

impl<'k, R: Read> Reader<'k, R> {
    pub fn new(
        input: R,
        shown: &str,
        keys: &'k Keyring,
        suppression: &'k Suppression,
    ) -> Result<Self, String> {
        let mut csv = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let headers = csv
            .byte_headers()
            .map_err(|e| format!("cannot read the header row of {shown}: {e}"))?
            .clone();
        let find = |want: &str| {
            headers.iter().position(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .eq_ignore_ascii_case(want)
            })
        };
        let Some(email) = find("email") else {
            return Err(format!(
                "{shown}, line 1: the header row has no `email` column; the first line must name the columns, e.g. `email,name,lang`"
            ));
        };
        let columns = Columns {
            email,
            name: find("name"),
            lang: find("lang"),
        };
        Ok(Reader {
            csv,
            shown: shown.to_owned(),
            keys,
            suppression,
            seen: HashSet::new(),
            columns,
            record: csv::ByteRecord::new(),
        })
    }

    /// The next line, with its number; `None` at the end. An unreadable file ends the
    /// list with an error.
    pub fn next_line(&mut self) -> Option<Result<(u64, Line), String>> {
        match self.csv.read_byte_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                Some(Ok((line, self.judge(line))))
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                match e.kind() {
                    csv::ErrorKind::Io(io) => Some(Err(format!(
                        "cannot read the subscriber list {}: {io}",
                        self.shown
                    ))),
                    _ => Some(Ok((
                        line,
                        Line::Problem(format!(
                            "{}, line {line}: not a valid CSV line; skipped",
                            self.shown
                        )),
                    ))),
                }
            }
        }
    }

    fn field(&self, i: Option<usize>) -> Result<&str, ()> {
        match i.and_then(|i| self.record.get(i)) {
            Some(bytes) => std::str::from_utf8(bytes).map(str::trim).map_err(|_| ()),
            None => Ok(""),
        }
    }

    fn judge(&mut self, line: u64) -> Line {
        let shown = &self.shown;
        let problem = |why: &str| Line::Problem(format!("{shown}, line {line}: {why}; skipped"));
        if self
            .record
            .iter()
            .all(|f| f.iter().all(u8::is_ascii_whitespace))
        {
            return problem("the line is empty");
        }
        let (Ok(email), Ok(name), Ok(lang)) = (
            self.field(Some(self.columns.email)),
            self.field(self.columns.name),
            self.field(self.columns.lang),
        ) else {
            return problem("the line is not UTF-8 text; save the file as UTF-8");
        };
        if email.contains('\n') {
            let lines = email.matches('\n').count();
            return problem(&format!(
                "a quote (\") opens a field here and closes only {lines} line(s) later, so those lines were read as one; fix the quotes"
            ));
        }
        if email.is_empty() {
            return problem("the `email` column is empty");
        }
        let address = match sendable(email, name) {
            Ok(a) => a,
            Err(why) => return problem(&why),
        };
        let lang = lang.to_ascii_lowercase();
        if !lang.is_empty() && !crate::announcement::is_language_tag(&lang) {
            return problem(
                "the `lang` column is not a language code such as `et` or `en`; fix it or leave it empty for the list's fallback language",
            );
        }
        let id = self.keys.id(email);
        let name = clean_name(name);
        if !self.seen.insert(id) {
            return Line::Duplicate;
        }
        if self.suppression.contains(id) {
            return Line::Suppressed;
        }
        Line::Subscriber(Subscriber {
            address,
            name,
            lang,
            id,
            line,
        })
    }
}

/// The address of `email` as it will be sent, if lettre can send it, or why not (never
/// quoting the address). The rule: whatever this accepts, a message to it can be built
/// and its envelope names exactly this address, in ASCII, so no server extension is
/// needed. A non-ASCII domain is sent in its ASCII (`xn--`) form; a non-ASCII local part
/// would need SMTPUTF8, which many servers lack, so it is refused here instead of failing
/// at every send. Quoted local parts, comments and the like that lettre parses but
/// cannot put in a header and read back are refused too.
pub fn sendable(email: &str, name: &str) -> Result<lettre::Address, String> {
    let address: lettre::Address = email
        .parse()
        .map_err(|e| format!("the address is not valid ({})", address_problem(&e)))?;
    if !address.user().is_ascii() {
        return Err("the part before the @ has letters outside ASCII; mail servers without SMTPUTF8 cannot take such an address, so Herald does not send to it".into());
    }
    let address = if address.domain().is_ascii() {
        address
    } else {
        let domain = idna::domain_to_ascii(address.domain())
            .map_err(|_| "the domain after the @ is not valid".to_owned())?;
        lettre::Address::new(address.user(), domain)
            .map_err(|e| format!("the address is not valid ({})", address_problem(&e)))?
    };
    // Build a message to it as the composer does: the envelope comes from the `To`
    // header read back, so an address that does not survive that cannot be sent.
    let to = lettre::message::Mailbox::new(
        (!name.is_empty()).then(|| clean_name(name)),
        address.clone(),
    );
    let from: lettre::Address = "herald@example.org".parse().expect("a valid address");
    let built = lettre::Message::builder()
        .from(lettre::message::Mailbox::new(None, from))
        .to(to)
        .body(String::new());
    match built {
        Ok(m) if m.envelope().to() == std::slice::from_ref(&address) => Ok(address),
        _ => Err("the address is valid but cannot be written into a message as it is (quoted or unusual forms such as spaces, comments or very long parts); write it in plain form".into()),
    }
}

/// A name fit for a header and a greeting: control characters become spaces, runs of
/// space become one.
fn clean_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn address_problem(e: &lettre::address::AddressError) -> &'static str {
    use lettre::address::AddressError as E;
    match e {
        E::MissingParts => "it needs one @ with a name before it and a domain after it",
        E::Unbalanced => "it has an unbalanced < or >",
        E::InvalidUser => "the part before the @ has characters an address cannot have",
        E::InvalidDomain => "the domain after the @ is not valid",
        E::InvalidInput => "it has characters an address cannot have",
        _ => "it is not an email address",
    }
}

/// Counts the lines of a file quickly, for progress estimates.
pub fn count_lines(path: &Path) -> u64 {
    let Ok(file) = crate::limits::open_file(path) else {
        return 0;
    };
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut n = 0;
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(b) => b,
        };
        n += buf.iter().filter(|&&b| b == b'\n').count() as u64;
        let len = buf.len();
        reader.consume(len);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    fn lines(csv: &str, suppressed: &[&str]) -> Vec<(u64, String)> {
        let keys = Keyring::new(SecretString::from("k"), "l.example.org");
        let mut s = Suppression::default();
        for a in suppressed {
            s.ids.insert(keys.id(a));
        }
        let mut r = Reader::new(csv.as_bytes(), "subs.csv", &keys, &s).unwrap();
        let mut out = Vec::new();
        while let Some(next) = r.next_line() {
            let (n, line) = next.unwrap();
            out.push((
                n,
                match line {
                    Line::Subscriber(s) => format!("ok {} [{}] {}", s.name, s.lang, s.address),
                    Line::Problem(p) => p,
                    Line::Duplicate => "duplicate".into(),
                    Line::Suppressed => "suppressed".into(),
                },
            ));
        }
        out
    }

    #[test]
    fn good_bad_duplicate_and_suppressed_lines() {
        let got = lines(
            "\u{feff}Email,Name,Lang\nmari@example.org,Mari Maasikas,et\nnot-an-address,X,et\nMARI@example.org,Mari,et\njohn@example.org,\"Smith, John\",EN\nbad@example.org,B,Estonian!\ngone@example.org,G,et\n\n",
            &["gone@example.org"],
        );
        assert_eq!(
            got,
            vec![
                (2, "ok Mari Maasikas [et] mari@example.org".to_owned()),
                (
                    3,
                    "subs.csv, line 3: the address is not valid (it needs one @ with a name before it and a domain after it); skipped".to_owned()
                ),
                (4, "duplicate".to_owned()),
                (5, "ok Smith, John [en] john@example.org".to_owned()),
                (
                    6,
                    "subs.csv, line 6: the `lang` column is not a language code such as `et` or `en`; fix it or leave it empty for the list's fallback language; skipped".to_owned()
                ),
                (7, "suppressed".to_owned()),
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_is_reported_at_its_line() {
        let got = lines(
            "email,name\n\"a@example.org,A\nb@example.org,B\nc@example.org,\"C\"\nd@example.org,D\n",
            &[],
        );
        assert!(got[0].1.contains("line 2: a quote"), "{got:?}");
        assert_eq!(got.last().unwrap().1, "ok D [] d@example.org");
    }

    #[test]
    fn a_missing_email_column_is_an_error() {
        let keys = Keyring::new(SecretString::from("k"), "l.example.org");
        let s = Suppression::default();
        let err = Reader::new("mail,name\n".as_bytes(), "subs.csv", &keys, &s)
            .err()
            .unwrap();
        assert!(err.contains("no `email` column"), "{err}");
    }

    #[test]
    fn names_lose_control_characters() {
        let got = lines("email,name\na@example.org,\"Line\r\nBreak\tTab\"\n", &[]);
        assert_eq!(got[0].1, "ok Line Break Tab [] a@example.org");
    }

    /// Odd but valid addresses, and their neighbours: quoted local parts, IP-literal
    /// domains, very long and non-ASCII parts, comments, dots and escapes.
    fn odd_address(rng: &mut fastrand::Rng) -> String {
        const LOCAL: &[&str] = &[
            "john",
            "j.doe",
            "\"john doe\"",
            "\"john\\\"doe\"",
            "\"a@b\"",
            "john(comment)",
            "(c)john",
            "mäe",
            "jüri.tamm",
            "x+tag",
            "o'brien",
            "a..b",
            ".a",
            "a.",
            "_",
            "!#$%&'*+-/=?^`{|}~",
            "\"\"",
            "\" \"",
            "a b",
            "\"a\\\\b\"",
            "é",
        ];
        const DOMAIN: &[&str] = &[
            "example.org",
            "[192.0.2.1]",
            "[IPv6:2001:db8::1]",
            "192.0.2.1",
            "[300.1.1.1]",
            "tänav.ee",
            "xn--tnav-loa.ee",
            "localhost",
            "ex_ample.org",
            "example.org.",
            "-example.org",
            "e.x",
            "(c)example.org",
            "example.org(c)",
        ];
        let mut local = LOCAL[rng.usize(..LOCAL.len())].to_owned();
        match rng.u8(..6) {
            0 => local = "a".repeat(rng.usize(60..70)),
            1 => local.push_str(LOCAL[rng.usize(..LOCAL.len())]),
            _ => {}
        }
        let mut domain = DOMAIN[rng.usize(..DOMAIN.len())].to_owned();
        if rng.u8(..8) == 0 {
            domain = format!("{}.example.org", "d".repeat(rng.usize(60..66)));
        }
        format!("{local}@{domain}")
    }

    #[test]
    fn every_address_the_reader_accepts_can_be_sent() {
        let keys = Keyring::new(SecretString::from("k"), "l.example.org");
        let suppression = Suppression::default();
        let mut rng = fastrand::Rng::with_seed(14);
        let names = ["", "Mari", "Smith, John", "\"Quoted\"", "Jüri (IT)", "a<b>"];
        let (mut accepted, mut refused) = (0, 0);
        for round in 0..3000 {
            let address = odd_address(&mut rng);
            let name = names[round % names.len()];
            let mut csv = csv::Writer::from_writer(Vec::new());
            csv.write_record(["email", "name"]).unwrap();
            csv.write_record([address.as_str(), name]).unwrap();
            let text = csv.into_inner().unwrap();
            let mut reader = Reader::new(text.as_slice(), "subs.csv", &keys, &suppression).unwrap();
            match reader.next_line().unwrap().unwrap() {
                (_, Line::Subscriber(sub)) => {
                    accepted += 1;
                    // What the composer builds: the envelope names this address, in ASCII.
                    let to = lettre::message::Mailbox::new(
                        (!sub.name.is_empty()).then(|| sub.name.clone()),
                        sub.address.clone(),
                    );
                    let message = lettre::Message::builder()
                        .from("Tartu <uudised@tartu.example>".parse().unwrap())
                        .to(to)
                        .subject("s")
                        .body("b".to_owned())
                        .unwrap_or_else(|e| panic!("{address:?}: {e}"));
                    assert_eq!(
                        message.envelope().to(),
                        std::slice::from_ref(&sub.address),
                        "{address:?}"
                    );
                    assert!(sub.address.to_string().is_ascii(), "{address:?}");
                }
                (n, Line::Problem(p)) => {
                    refused += 1;
                    assert!(p.starts_with(&format!("subs.csv, line {n}: ")), "{p}");
                    assert!(!p.contains(&address), "{p} quotes the address");
                }
                (_, _) => {}
            }
        }
        // Both sides of the rule were exercised.
        assert!(
            accepted > 300 && refused > 300,
            "{accepted} accepted, {refused} refused"
        );
    }

    #[test]
    fn odd_addresses_are_judged_by_line_when_read() {
        let got = lines(
            "email\n\"john doe\"@example.org\njohn(comment)@example.org\nmäe@example.org\nuser@[192.0.2.1]\njüri@tänav.ee\njuri@tänav.ee\n\"\"\"john\"\"@example.org\"\n",
            &[],
        );
        let why = |n: u64| got.iter().find(|(l, _)| *l == n).unwrap().1.clone();
        for n in 2..=6 {
            assert!(
                why(n).starts_with(&format!("subs.csv, line {n}: ")),
                "{got:?}"
            );
            assert!(why(n).ends_with("; skipped"), "{got:?}");
        }
        assert!(why(4).contains("letters outside ASCII"), "{got:?}");
        assert!(
            why(5).contains("cannot be written into a message"),
            "{got:?}"
        );
        assert!(why(6).contains("letters outside ASCII"), "{got:?}");
        assert!(
            why(8).contains("cannot be written into a message"),
            "{got:?}"
        );
        assert_eq!(why(7), "ok  [] juri@xn--tnav-loa.ee");
    }
}
