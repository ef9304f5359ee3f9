//! Platform facts: what Herald knows about each kind of network, without any channel.
//!
//! The kinds are listed once, in the `kinds!` table below: each row gives the kind's
//! configuration name, its template [`Shape`], its name for people, whether it builds a
//! link card, whether one channel takes every language, and its default [`Rules`] (how it
//! counts, its limits, what images it takes). Everything else that varies by kind reads
//! this table: the built-in templates (from the shape), rendering and checks (the rules),
//! the preview (names, link cards, shapes), and the channels, whose instances may adjust
//! the rules from their configuration (a Mastodon server's `max_characters`).
//!
//! A [`Target`] is one configured channel as plain facts (name, kind, language, rules),
//! which is all rendering needs; how a channel sends lives in [`crate::channel`].
//!
//! How each network counts and reads text is in [`text`], what images it takes in
//! [`media`]. This module imports neither rendering nor channels: both build on it.

pub mod media;
pub mod text;

use media::ImageFormat;
use serde::Serialize;
use std::fmt;
use text::Counter;

/// The list of kinds: one row per kind, in the order `Kind::ALL` and `herald check`
/// list them. A row is `Kind "name" Shape "Display name" link_card multilingual =>
/// rules`, where the rules' `shape` is filled in from the row's shape.
macro_rules! kinds {
    ($(
        $(#[$doc:meta])*
        $kind:ident $name:literal $shape:ident $display:literal
            link_card: $card:literal, multilingual: $multi:literal => $rules:expr;
    )*) => {
        /// The kinds of SPEC §4, plus `record`, a channel that writes what it would send
        /// to a file (for trying Herald out and for tests).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum Kind {
            $($(#[$doc])* $kind,)*
        }

        impl Kind {
            pub const ALL: [Kind; [$($name),*].len()] = [$(Kind::$kind),*];

            /// The name in the configuration (`kind = "mastodon"`) and the template folder.
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$kind => $name,)*
                }
            }

            /// What Herald knows about this kind before any channel's configuration.
            pub fn facts(self) -> Facts {
                match self {
                    $(Kind::$kind => Facts {
                        display_name: $display,
                        link_card: $card,
                        multilingual: $multi,
                        rules: Rules {
                            shape: Shape::$shape,
                            ..$rules
                        },
                    },)*
                }
            }
        }

        /// Calls `$callback! { Kind "name" Shape ... }` with every row of the table, for
        /// code that needs the kinds at compile time (the built-in templates).
        macro_rules! for_each_kind {
            ($callback:ident) => {
                $callback! { $($kind $name $shape)* }
            };
        }
        pub(crate) use for_each_kind;
    };
}

kinds! {
    Mastodon "mastodon" Text "Mastodon" link_card: true, multilingual: false => Rules {
        alt_limit: Some(1500),
        image_bytes: Some(16 * 1024 * 1024),
        image_formats: &[
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::Gif,
            ImageFormat::Webp,
            ImageFormat::Heic,
            ImageFormat::Avif,
        ],
        // A server may allow more (`max_characters` of the channel).
        ..text_rules(Counter::Mastodon, 500, true, 4)
    };
    Bluesky "bluesky" Text "Bluesky" link_card: true, multilingual: false => Rules {
        byte_limit: Some(3000),
        // The lexicon allows 2 MB since 2026-04; 1 MB is what every PDS accepts.
        image_bytes: Some(1_000_000),
        image_formats: &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Webp],
        // Longer tags are not linked (the facet lexicon allows 64 graphemes).
        tag_limit: Some(64),
        ..text_rules(Counter::Graphemes, 300, true, 4)
    };
    X "x" Text "X" link_card: true, multilingual: false => Rules {
        alt_limit: Some(1000),
        image_bytes: Some(5 * 1024 * 1024),
        image_formats: WEB_IMAGES,
        ..text_rules(Counter::XWeighted, 280, true, 4)
    };
    Facebook "facebook" Text "Facebook Page" link_card: true, multilingual: false => Rules {
        image_bytes: Some(4 * 1024 * 1024),
        image_formats: &[
            ImageFormat::Jpeg,
            ImageFormat::Png,
            ImageFormat::Gif,
            ImageFormat::Bmp,
            ImageFormat::Tiff,
        ],
        // 63,206 is the limit Facebook's composer enforces; the API's own is unpublished.
        // Threads (as comments) only with the channel's `thread_as_comments`.
        ..text_rules(Counter::Utf16, 63_206, false, 10)
    };
    Linkedin "linkedin" Text "LinkedIn" link_card: true, multilingual: false => Rules {
        alt_limit: Some(4086),
        image_formats: &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif],
        ..text_rules(Counter::Utf16, 3000, false, 20)
    };
    Telegram "telegram" Html "Telegram" link_card: true, multilingual: false => Rules {
        caption_limit: Some(1024),
        image_bytes: Some(10 * 1024 * 1024),
        image_formats: &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Webp],
        // An album (`sendMediaGroup`) holds 2–10 photos.
        ..text_rules(Counter::Utf16, 4096, true, 10)
    };
    Discord "discord" Text "Discord" link_card: true, multilingual: false => Rules {
        alt_limit: Some(1024),
        image_bytes: Some(10 * 1024 * 1024),
        image_formats: WEB_IMAGES,
        ..text_rules(Counter::Utf16, 2000, true, 10)
    };
    // Slack truncates message text after 40,000 characters; webhooks take no files.
    Slack "slack" Text "Slack" link_card: false, multilingual: false =>
        text_rules(Counter::Utf16, 40_000, true, 0);
    Email "email" Email "Email list" link_card: false, multilingual: true =>
        unlimited_rules(Shape::Email, 20);
    Feed "feed" Feed "Web feed" link_card: false, multilingual: false =>
        unlimited_rules(Shape::Feed, 20);
    // The limit is the channel's `limit`.
    Record "record" Text "Record (test)" link_card: false, multilingual: false =>
        text_rules(Counter::Graphemes, 500, true, 4);
}

/// What a network lets Herald do to a post after it went out (see
/// `docs/platform-edits.md` for the sources). A channel may narrow it from its
/// configuration (X edits only for accounts that say they can, `edit = true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    /// The text can be changed in place ([`Changes::edits`]: what else, and how long).
    pub edit: bool,
    /// What an edit can change besides the text, and until when.
    pub edits: Edits,
    /// Whether and until when a post can be deleted.
    pub delete: Deletable,
    /// A new post can answer an earlier one (what a correction notice is).
    pub reply: bool,
}

/// What Herald's edit of a post can change besides its text (what the channel's sender
/// really sends), and until when. A change that needs more follows the channel's
/// `correction` policy ([`crate::plan::change`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edits {
    /// What an edit can do to the first part's images.
    pub images: ImageEdits,
    /// Whether an edit can change the link card the network shows apart from the text
    /// ([`Kind::card`]).
    pub card: bool,
    /// How long after posting a post can be edited (X: 30 minutes); `None`: no limit.
    pub window: Option<jiff::SignedDuration>,
    /// How many times a post can be edited (X: 5); `None`: no limit.
    pub times: Option<u32>,
}

impl Edits {
    /// An edit that changes everything, whenever: text, images, the card.
    pub const ANY: Edits = Edits {
        images: ImageEdits::Any,
        card: true,
        window: None,
        times: None,
    };
}

/// What an edit can do to a post's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageEdits {
    /// Nothing: they stay as they went out (Facebook, LinkedIn edit only the text).
    Keep,
    /// Each photo can be replaced by another, but none added or taken away, and a text
    /// message cannot become a photo message or back (Telegram: `editMessageMedia`
    /// replaces the one photo of one message).
    Replace,
    /// Anything: added, taken away, replaced (the edit sends the whole list).
    Any,
}

/// What a network shows as the link card when Herald sends the link apart from the
/// text (only on a post without images): what an edit of the text alone leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    /// No card apart from the text: the network builds one from a link in the text, or
    /// none.
    InText,
    /// The link (`link`): the network reads the page's title and picture (Facebook).
    Link,
    /// The link with the title and summary Herald supplies (LinkedIn's article).
    Article,
}

/// Whether and until when a post can be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletable {
    Never,
    Always,
    /// Only this long after it was posted (Telegram: 48 hours).
    Within(jiff::SignedDuration),
}

impl Deletable {
    /// Whether a post made at `posted` can still be deleted at `now`.
    pub fn at(self, posted: jiff::Timestamp, now: jiff::Timestamp) -> bool {
        match self {
            Deletable::Never => false,
            Deletable::Always => true,
            Deletable::Within(d) => now.duration_since(posted) < d,
        }
    }
}

impl Kind {
    /// What the network allows after posting, before any channel's configuration.
    pub fn changes(self) -> Changes {
        // Facebook's `POST /{post-id}` and LinkedIn's partial update send the text
        // alone: the photos and the link card stay as they went out.
        const TEXT_ONLY: Edits = Edits {
            images: ImageEdits::Keep,
            card: false,
            window: None,
            times: None,
        };
        let (edit, edits, delete, reply) = match self {
            Kind::Mastodon => (true, Edits::ANY, Deletable::Always, true),
            // Records can be overwritten, but the app shows the original and replies
            // point at its old version: not an edit (docs/platform-edits.md).
            Kind::Bluesky => (false, Edits::ANY, Deletable::Always, true),
            // Only X Premium accounts edit (`edit = true`), for 30 minutes after
            // posting, 5 times; the edit sends the text and the images.
            Kind::X => (
                false,
                Edits {
                    window: Some(jiff::SignedDuration::from_mins(30)),
                    times: Some(5),
                    ..Edits::ANY
                },
                Deletable::Always,
                true,
            ),
            Kind::Facebook => (true, TEXT_ONLY, Deletable::Always, false),
            Kind::Linkedin => (true, TEXT_ONLY, Deletable::Always, false),
            Kind::Telegram => (
                true,
                Edits {
                    images: ImageEdits::Replace,
                    ..Edits::ANY
                },
                Deletable::Within(jiff::SignedDuration::from_hours(48)),
                true,
            ),
            Kind::Discord => (true, Edits::ANY, Deletable::Always, false),
            // An incoming webhook returns no message id: nothing can be named later.
            Kind::Slack => (false, Edits::ANY, Deletable::Never, false),
            Kind::Email => (false, Edits::ANY, Deletable::Never, false),
            Kind::Feed => (true, Edits::ANY, Deletable::Always, false),
            Kind::Record => (true, Edits::ANY, Deletable::Always, true),
        };
        Changes {
            edit,
            edits,
            delete,
            reply,
        }
    }

    /// The link card this kind's posts carry apart from the text (see [`Card`]).
    pub fn card(self) -> Card {
        match self {
            Kind::Facebook => Card::Link,
            Kind::Linkedin => Card::Article,
            _ => Card::InText,
        }
    }
}

impl Kind {
    /// The kind named `s` in the configuration.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The kind's default rules (a channel may adjust them: [`Target::rules`]).
    pub fn rules(self) -> Rules {
        self.facts().rules
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What Herald knows about one kind of network, before any channel's configuration.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    /// What people call it, for the preview: "Mastodon", "Facebook Page", "Email list".
    pub display_name: &'static str,
    /// Whether the network builds a link card from the announcement's link by itself (the
    /// preview shows one when the post has no images).
    pub link_card: bool,
    /// Whether one channel takes the variants in every language (email lists, where each
    /// subscriber gets their own language) rather than only its own.
    pub multilingual: bool,
    pub rules: Rules,
}

/// Which templates a kind renders and how they are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `post.txt`: plain text, no escaping.
    Text,
    /// `post.html`: HTML-escaped (Telegram's HTML parse mode).
    Html,
    /// `subject.txt`, `body.txt`, `body.html`.
    Email,
    /// `item.html`: the feed entry's content.
    Feed,
}

/// The template files of each shape, for code that needs them at compile time: expands
/// to `$callback!(args… "file.hbs"…)`. [`Shape::templates`] gives the same lists.
macro_rules! shape_templates {
    (Text, $callback:ident!($($args:tt)*)) => { $callback!($($args)* "post.txt.hbs") };
    (Html, $callback:ident!($($args:tt)*)) => { $callback!($($args)* "post.html.hbs") };
    (Email, $callback:ident!($($args:tt)*)) => {
        $callback!($($args)* "subject.txt.hbs" "body.txt.hbs" "body.html.hbs")
    };
    (Feed, $callback:ident!($($args:tt)*)) => { $callback!($($args)* "item.html.hbs") };
}
pub(crate) use shape_templates;

impl Shape {
    /// The template files a kind of this shape renders, in the order they are rendered.
    pub fn templates(self) -> &'static [&'static str] {
        macro_rules! list {
            ($($file:literal)*) => { &[$($file),*] };
        }
        match self {
            Shape::Text => shape_templates!(Text, list!()),
            Shape::Html => shape_templates!(Html, list!()),
            Shape::Email => shape_templates!(Email, list!()),
            Shape::Feed => shape_templates!(Feed, list!()),
        }
    }
}

/// What a platform allows and how it counts.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub counter: Counter,
    /// Text limit of one post (one thread part), if any.
    pub limit: Option<usize>,
    /// A second limit in UTF-8 bytes (Bluesky).
    pub byte_limit: Option<usize>,
    /// Limit of the first part when it carries images (Telegram captions).
    pub caption_limit: Option<usize>,
    /// Whether a long post can become a thread of replies.
    pub threads: bool,
    pub max_images: usize,
    pub alt_limit: Option<usize>,
    /// Largest image file the platform takes.
    pub image_bytes: Option<u64>,
    /// Image formats the platform takes (empty: any).
    pub image_formats: &'static [ImageFormat],
    /// Longest hashtag the platform links, in characters.
    pub tag_limit: Option<usize>,
    pub shape: Shape,
}

/// JPEG, PNG, GIF and WebP: what most platforms take.
pub const WEB_IMAGES: &[ImageFormat] = &[
    ImageFormat::Jpeg,
    ImageFormat::Png,
    ImageFormat::Gif,
    ImageFormat::Webp,
];

/// The usual text rules of a kind that posts plain text.
pub const fn text_rules(counter: Counter, limit: usize, threads: bool, max_images: usize) -> Rules {
    Rules {
        counter,
        limit: Some(limit),
        byte_limit: None,
        caption_limit: None,
        threads,
        max_images,
        alt_limit: None,
        image_bytes: None,
        image_formats: &[],
        tag_limit: None,
        shape: Shape::Text,
    }
}

/// Rules of a kind without a length limit (email, feeds).
pub const fn unlimited_rules(shape: Shape, max_images: usize) -> Rules {
    Rules {
        counter: Counter::Utf16,
        limit: None,
        byte_limit: None,
        caption_limit: None,
        threads: false,
        max_images,
        alt_limit: None,
        image_bytes: None,
        image_formats: &[],
        tag_limit: None,
        shape,
    }
}

/// The channel a post is rendered for, as plain facts: what rendering, checks and the
/// preview need of it, never its secrets or how it sends.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// The instance name, `NAME` of `[channels.NAME]`.
    pub name: &'a str,
    pub kind: Kind,
    /// The language of the variants it posts (email: the fallback language).
    pub lang: &'a str,
    /// The kind's rules as this channel's configuration adjusts them.
    pub rules: Rules,
    /// Email lists only: the unsubscribe URL, with `{token}` where each subscriber's
    /// token goes.
    pub unsubscribe_url: Option<&'a str>,
}

impl<'a> Target<'a> {
    pub fn name(&self) -> &'a str {
        self.name
    }
    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn lang(&self) -> &'a str {
        self.lang
    }
    pub fn rules(&self) -> Rules {
        self.rules
    }
    /// Whether it takes the variants in every language ([`Facts::multilingual`]).
    pub fn multilingual(&self) -> bool {
        self.kind.facts().multilingual
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_back_from_their_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.name()), Some(kind));
            assert_eq!(kind.to_string(), kind.name());
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::from(kind.name())
            );
        }
        assert_eq!(Kind::parse("Mastodon"), None);
    }

    #[test]
    fn what_an_edit_can_change_is_what_each_sender_sends() {
        // Facebook and LinkedIn send the text alone; their cards are sent apart.
        for kind in [Kind::Facebook, Kind::Linkedin] {
            let edits = kind.changes().edits;
            assert_eq!(edits.images, ImageEdits::Keep, "{kind}");
            assert!(!edits.card, "{kind}");
            assert_eq!((edits.window, edits.times), (None, None), "{kind}");
        }
        assert_eq!(
            (Kind::Facebook.card(), Kind::Linkedin.card()),
            (Card::Link, Card::Article)
        );
        assert_eq!(Kind::Telegram.changes().edits.images, ImageEdits::Replace);
        let x = Kind::X.changes().edits;
        assert_eq!(x.window, Some(jiff::SignedDuration::from_mins(30)));
        assert_eq!(x.times, Some(5));
        assert_eq!(x.images, ImageEdits::Any);
        for kind in [Kind::Mastodon, Kind::Discord, Kind::Feed, Kind::Record] {
            assert_eq!(kind.changes().edits, Edits::ANY, "{kind}");
            assert_eq!(kind.card(), Card::InText, "{kind}");
        }
    }

    #[test]
    fn every_kind_has_templates_and_a_name_for_people() {
        for kind in Kind::ALL {
            let facts = kind.facts();
            assert!(!facts.rules.shape.templates().is_empty(), "{kind}");
            assert!(!facts.display_name.is_empty(), "{kind}");
        }
        assert_eq!(Kind::Telegram.rules().shape, Shape::Html);
        assert_eq!(
            Shape::Email.templates(),
            ["subject.txt.hbs", "body.txt.hbs", "body.html.hbs"]
        );
    }
}
