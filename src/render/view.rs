//! What templates see: a borrowed, serialise-only view of one variant for one channel.
//! Templates never see Herald's internal types, so those can change freely.
//!
//! The view also decides, once for every template, whether a post appends the
//! announcement's link: `link` is empty on the social kinds when the text already shows
//! it (see [`super::link`]).

use crate::announcement::{Image, Variant};
use crate::platform::media::{self, ImageInfo};
use crate::platform::{Shape, Target};
use serde::Serialize;

#[derive(Serialize)]
pub struct View<'a> {
    pub id: &'a str,
    pub lang: &'a str,
    pub title: &'a str,
    pub summary: Option<&'a str>,
    /// The body as plain text, or the summary when the body makes the post too long.
    pub text: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    /// The link to append after the text: the `link` field, or nothing where the kind
    /// appends it to a post (every kind but email and feed) and the title or `text`
    /// already shows it.
    pub link: Option<&'a str>,
    /// The `link` field as written, whether or not the text shows it.
    pub canonical_link: Option<&'a str>,
    /// The title or `text` already shows the `link` (as the same address).
    pub link_in_text: bool,
    pub tags: &'a [String],
    /// `#One #Two`.
    pub hashtags: String,
    pub images: &'a [Image],
    pub publish_at: Option<String>,
    pub publish_date: Option<String>,
    pub channel: ChannelView<'a>,
    /// Email only: the subscriber the message is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<RecipientView<'a>>,
}

/// Email only: who receives the message. `name` may be empty.
#[derive(Serialize, Clone, Copy)]
pub struct RecipientView<'a> {
    pub name: &'a str,
    pub unsubscribe_url: &'a str,
}

#[derive(Serialize)]
pub struct ChannelView<'a> {
    pub name: &'a str,
    pub kind: &'static str,
    pub lang: &'a str,
}

/// The parts of a view that do not depend on the channel, computed once per variant.
pub struct Prepared {
    pub body_text: String,
    pub body_html: String,
    pub hashtags: String,
    pub publish_at: Option<String>,
    pub publish_date: Option<String>,
    /// Format and size of each image (None when it cannot be read).
    pub images: Vec<Option<ImageInfo>>,
}

impl Prepared {
    pub fn new(variant: &Variant, tz: &jiff::tz::TimeZone, root: &std::path::Path) -> Prepared {
        use crate::announcement::markdown;
        let publish_at = variant.front.publish_at;
        Prepared {
            body_text: markdown::to_plain_text(&variant.body),
            body_html: markdown::to_html(&variant.body),
            hashtags: variant
                .front
                .tags
                .iter()
                .map(|t| format!("#{t}"))
                .collect::<Vec<_>>()
                .join(" "),
            publish_at: publish_at.map(|t| crate::time::rfc3339_in(t, tz)),
            images: variant
                .front
                .images
                .iter()
                .map(|img| media::inspect(&root.join(&img.path)).ok())
                .collect(),
            publish_date: publish_at.map(|t| {
                t.to_zoned_datetime(tz.clone())
                    .strftime("%Y-%m-%d")
                    .to_string()
            }),
        }
    }

    pub fn view<'a>(&'a self, v: &'a Variant, channel: Target<'a>, text: &'a str) -> View<'a> {
        let canonical_link = v.front.link.as_deref();
        let link_in_text = canonical_link
            .is_some_and(|l| super::link::shows(&v.front.title, l) || super::link::shows(text, l));
        // An email ends with its "read more" link even when the body links the page in
        // its words: a long letter is read to its end, and the HTML body shows the
        // words, not the address. A feed entry is the link itself.
        let appends = !matches!(channel.rules().shape, Shape::Email | Shape::Feed);
        View {
            id: &v.id,
            lang: &v.lang,
            title: &v.front.title,
            summary: v.front.summary.as_deref(),
            text,
            body_text: &self.body_text,
            body_html: &self.body_html,
            link: canonical_link.filter(|_| !(appends && link_in_text)),
            canonical_link,
            link_in_text,
            tags: &v.front.tags,
            hashtags: self.hashtags.clone(),
            images: &v.front.images,
            publish_at: self.publish_at.clone(),
            publish_date: self.publish_date.clone(),
            channel: ChannelView {
                name: channel.name(),
                kind: channel.kind().name(),
                lang: channel.lang(),
            },
            recipient: None,
        }
    }
}
