//! Messages: the announcement's letters per language, personalised per subscriber and
//! built into standards-compliant email (lettre), signed with DKIM when a key is set.
//!
//! The caller renders the templates once per language ([`Letter::new`]), with markers
//! where the subscriber's name and unsubscribe link go, twice: once with a name and once
//! without (so `{{#if recipient.name}}` works). Each message then only fills in the
//! markers, which keeps sending to 100,000 subscribers cheap.

use super::Config;
use super::identity::Keyring;
use super::subscribers::Subscriber;
use crate::platform::text::one_line;
use lettre::Message;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use secrecy::{ExposeSecret, SecretString};

const NAME_MARK: &str = "\u{E000}herald-name\u{E001}";
const UNSUBSCRIBE_MARK: &str = "\u{E000}herald-unsubscribe\u{E001}";

/// Text with holes for the name and the unsubscribe link.
#[derive(Debug, Clone)]
struct Holed(Vec<Piece>);

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Name,
    Unsubscribe,
}

impl Holed {
    fn parse(text: &str) -> Holed {
        let mut pieces = Vec::new();
        let mut rest = text;
        loop {
            let next = [
                (NAME_MARK, Piece::Name),
                (UNSUBSCRIBE_MARK, Piece::Unsubscribe),
            ]
            .into_iter()
            .filter_map(|(mark, piece)| rest.find(mark).map(|i| (i, mark.len(), piece)))
            .min_by_key(|(i, _, _)| *i);
            match next {
                Some((i, len, piece)) => {
                    if i > 0 {
                        pieces.push(Piece::Text(rest[..i].to_owned()));
                    }
                    pieces.push(piece);
                    rest = &rest[i + len..];
                }
                None => {
                    if !rest.is_empty() {
                        pieces.push(Piece::Text(rest.to_owned()));
                    }
                    return Holed(pieces);
                }
            }
        }
    }

    fn fill(&self, name: &str, unsubscribe: &str, html: bool) -> String {
        let mut out = String::with_capacity(
            self.0
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => t.len(),
                    _ => 64,
                })
                .sum(),
        );
        for p in &self.0 {
            match (p, html) {
                (Piece::Text(t), _) => out.push_str(t),
                (Piece::Name, false) => out.push_str(name),
                (Piece::Unsubscribe, false) => out.push_str(unsubscribe),
                (Piece::Name, true) => out.push_str(&esc(name)),
                (Piece::Unsubscribe, true) => {
                    out.push_str(&esc(unsubscribe));
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
struct Texts {
    subject: Holed,
    text: Holed,
    html: Holed,
}

/// One language's message.
#[derive(Debug, Clone)]
pub struct Letter {
    pub lang: String,
    named: Texts,
    anonymous: Texts,
}

/// The filled-in texts of one message.
pub struct Filled {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// One language's message as the templates rendered it for one recipient.
pub struct Rendered {
    pub subject: String,
    /// The plain text, tidied.
    pub text: String,
    pub html: String,
}

impl Letter {
    /// The letter in `lang`. `render(name, unsubscribe_url)` renders the message for a
    /// recipient; it is called once with a name and once without (so that templates can
    /// leave out a greeting), each time with markers where the name and the link go.
    pub fn new(
        lang: &str,
        render: impl Fn(&str, &str) -> Result<Rendered, String>,
    ) -> Result<Letter, String> {
        let texts = |name: &str| -> Result<Texts, String> {
            let r = render(name, UNSUBSCRIBE_MARK)?;
            Ok(Texts {
                subject: Holed::parse(&one_line(&r.subject)),
                text: Holed::parse(&r.text),
                html: Holed::parse(&r.html),
            })
        };
        Ok(Letter {
            lang: lang.to_owned(),
            named: texts(NAME_MARK)?,
            anonymous: texts("")?,
        })
    }

    pub fn fill(&self, name: &str, unsubscribe: &str) -> Filled {
        let t = if name.is_empty() {
            &self.anonymous
        } else {
            &self.named
        };
        Filled {
            subject: one_line(&t.subject.fill(name, unsubscribe, false)),
            text: t.text.fill(name, unsubscribe, false),
            html: t.html.fill(name, unsubscribe, true),
        }
    }
}

/// The letters of one announcement, one per language variant.
#[derive(Debug, Clone)]
pub struct Letters {
    pub id: String,
    pub letters: Vec<Letter>,
    choice: Choice,
    /// For a correction: the announcement whose message this one answers (each
    /// recipient's message then names theirs in `In-Reply-To` and `References`).
    pub answers: Option<String>,
}

impl Letters {
    /// The letters of announcement `id`, in language order. `fallbacks` are the
    /// languages, first found first, of subscribers whose own language has no letter;
    /// when none has a letter either, the first letter is theirs.
    pub fn new(id: &str, mut letters: Vec<Letter>, fallbacks: &[&str]) -> Letters {
        letters.sort_by(|a, b| a.lang.cmp(&b.lang));
        let langs = letters.iter().map(|l| l.lang.clone()).collect();
        Letters {
            id: id.to_owned(),
            letters,
            choice: Choice::new(langs, fallbacks),
            answers: None,
        }
    }

    /// The letter for a subscriber's language ([`Choice::pick`]).
    pub fn pick(&self, lang: &str) -> usize {
        self.choice.pick(lang)
    }
}

/// Which of an announcement's languages each subscriber gets: one rule for the list
/// send and for a correction (which goes to those who got the corrected language).
#[derive(Debug, Clone)]
pub struct Choice {
    /// In language order.
    langs: Vec<String>,
    fallback: usize,
}

impl Choice {
    /// `langs` in any order; `fallbacks` as for [`Letters::new`].
    pub fn new(mut langs: Vec<String>, fallbacks: &[&str]) -> Choice {
        langs.sort();
        let fallback = fallbacks
            .iter()
            .find_map(|lang| langs.iter().position(|l| l.eq_ignore_ascii_case(lang)))
            .unwrap_or(0);
        Choice { langs, fallback }
    }

    /// The language for a subscriber's language: the same language, else the same
    /// primary language (`et` for `et-EE`), else the fallback. An index into the
    /// languages in order.
    pub fn pick(&self, lang: &str) -> usize {
        if lang.is_empty() {
            return self.fallback;
        }
        let primary = |l: &str| l.split('-').next().unwrap_or("").to_ascii_lowercase();
        self.langs
            .iter()
            .position(|l| l.eq_ignore_ascii_case(lang))
            .or_else(|| self.langs.iter().position(|l| primary(l) == primary(lang)))
            .unwrap_or(self.fallback)
    }

    /// The language a subscriber writing `lang` gets.
    pub fn lang_for(&self, lang: &str) -> &str {
        self.langs.get(self.pick(lang)).map_or("", String::as_str)
    }
}

/// Builds each subscriber's message.
pub struct Composer {
    from: Mailbox,
    reply_to: Option<Mailbox>,
    list_id: String,
    unsubscribe_url: String,
    unsubscribe_mailto: Option<String>,
    domain: String,
    pub keys: Keyring,
    dkim: Option<DkimConfig>,
}

impl Composer {
    pub fn new(config: &Config, keys: Keyring, dkim: Option<DkimConfig>) -> Composer {
        Composer {
            from: config.from_mailbox(),
            reply_to: config.reply_to.as_ref().and_then(|r| r.parse().ok()),
            list_id: config.list_id.clone(),
            unsubscribe_url: config.unsubscribe_url.clone(),
            unsubscribe_mailto: config.unsubscribe_mailto.clone(),
            domain: config.sending_domain(),
            keys,
            dkim,
        }
    }

    /// The personal unsubscribe link of `sub`.
    pub fn unsubscribe_url(&self, sub: &Subscriber) -> String {
        self.unsubscribe_url
            .replace("{token}", &self.keys.token(sub.id))
    }

    /// The Message-ID of announcement `announcement`'s message to `sub`: the same in
    /// every run, so a correction can name it.
    fn message_id(&self, announcement: &str, sub: &Subscriber) -> String {
        let safe_id: String = announcement
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("<herald.{safe_id}.{}@{}>", sub.id, self.domain)
    }

    /// The message for `sub` in `letter`'s language, as it goes on the wire; `answers`
    /// names the announcement whose message this one corrects.
    pub fn compose(
        &self,
        announcement: &str,
        answers: Option<&str>,
        letter: &Letter,
        sub: &Subscriber,
    ) -> Result<Message, String> {
        let url = self.unsubscribe_url(sub);
        let filled = letter.fill(&sub.name, &url);
        let to = Mailbox::new(
            (!sub.name.is_empty()).then(|| sub.name.clone()),
            sub.address.clone(),
        );
        let mut unsubscribe = format!("<{url}>");
        if let Some(mailto) = &self.unsubscribe_mailto {
            unsubscribe.push_str(&format!(
                ", <mailto:{mailto}?subject=unsubscribe%20{}>",
                self.keys.token(sub.id)
            ));
        }
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(filled.subject)
            .message_id(Some(self.message_id(announcement, sub)))
            .raw_header(raw("Content-Language", &letter.lang))
            .raw_header(raw("List-Id", &format!("<{}>", self.list_id)))
            .raw_header(raw("List-Unsubscribe", &unsubscribe))
            .raw_header(raw("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
            .raw_header(raw("Auto-Submitted", "auto-generated"))
            .raw_header(raw("Precedence", "bulk"));
        if let Some(r) = &self.reply_to {
            b = b.reply_to(r.clone());
        }
        if let Some(original) = answers {
            let id = self.message_id(original, sub);
            b = b.in_reply_to(id.clone()).references(id);
        }
        let mut message = b
            .multipart(MultiPart::alternative_plain_html(filled.text, filled.html))
            .map_err(|e| format!("cannot build the message: {e}"))?;
        if let Some(dkim) = &self.dkim {
            message.sign(dkim);
        }
        Ok(message)
    }
}

use crate::html::esc;

fn raw(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_owned())
}

/// The headers the DKIM signature covers: the ones a receiver shows or acts on,
/// including both one-click unsubscribe headers (RFC 8058 requires them signed).
const SIGNED: &[&str] = &[
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Content-Language",
    "MIME-Version",
];
// Not `Content-Type`: lettre signs it in a form that differs from what it sends (the
// multipart boundary parameter), so a signature over it never verifies.

/// The DKIM signer from a PEM key (PKCS#1 RSA) held in the variable, or in the file the
/// variable names.
pub fn dkim(key: &SecretString, selector: &str, domain: &str) -> Result<DkimConfig, String> {
    let value = key.expose_secret().trim();
    let pem = if value.starts_with("-----BEGIN") {
        SecretString::from(value.to_owned())
    } else {
        let path = std::path::Path::new(value);
        // Only a regular file is read: a named pipe or a device is refused, never waited on.
        match crate::limits::read_limited(path, crate::limits::CONFIG_BYTES, "DKIM key file")
            .and_then(|b| String::from_utf8(b).map_err(|_| std::io::Error::other("it is not text")))
        {
            Ok(text) => SecretString::from(text),
            Err(e) => {
                // The variable's value is not shown, even where it is only a path.
                return Err(format!(
                    "the DKIM key variable holds neither a PEM key nor the path of a readable file ({e})"
                ));
            }
        }
    };
    let pem = pem.expose_secret().trim();
    if pem.starts_with("-----BEGIN PRIVATE KEY") {
        return Err("the DKIM key is in PKCS#8 form (`BEGIN PRIVATE KEY`); Herald reads RSA keys in PKCS#1 form (`BEGIN RSA PRIVATE KEY`): convert it with `openssl rsa -in key.pem -traditional -out key-rsa.pem`".into());
    }
    let signing = DkimSigningKey::new(pem, DkimSigningAlgorithm::Rsa).map_err(|_| {
        "the DKIM key is not a valid RSA private key in PEM form (`BEGIN RSA PRIVATE KEY`)"
            .to_owned()
    })?;
    Ok(DkimConfig::new(
        selector.to_owned(),
        domain.to_owned(),
        signing,
        SIGNED
            .iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect(),
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holes_are_filled_and_escaped_in_html() {
        let h = Holed::parse(&format!(
            "Tere {NAME_MARK}! <a href=\"{UNSUBSCRIBE_MARK}\">x</a>"
        ));
        assert_eq!(
            h.fill("Tom & Jerry", "https://e.org/u?a=1&b=2", true),
            "Tere Tom &amp; Jerry! <a href=\"https://e.org/u?a=1&amp;b=2\">x</a>"
        );
        assert_eq!(h.fill("T", "U", false), "Tere T! <a href=\"U\">x</a>");
    }
}
