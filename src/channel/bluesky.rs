//! Bluesky (AT Protocol): `com.atproto.repo.createRecord` of `app.bsky.feed.post`.

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef, Shape};
use crate::render::{Counter, ImageFormat, Post, facets};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The PDS, e.g. `https://bsky.social`.
    #[serde(default = "default_service")]
    service: String,
    /// Handle or email of the account.
    identifier: String,
    /// An app password, never the account password.
    password_env: String,
}

fn default_service() -> String {
    "https://bsky.social".into()
}

pub struct Bluesky {
    base: Base,
    settings: Settings,
}

impl Bluesky {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        if let Err(why) = crate::announcement::check_url(&settings.service) {
            return Err(vec![ConfigProblem::at(
                "service",
                format!("`service` {why}"),
            )]);
        }
        Ok(Box::new(Bluesky { base, settings }))
    }
}

impl Channel for Bluesky {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Bluesky
    }
    fn rules(&self) -> Rules {
        Rules {
            counter: Counter::Graphemes,
            limit: Some(300),
            byte_limit: Some(3000),
            caption_limit: None,
            threads: true,
            max_images: 4,
            alt_limit: None,
            // The lexicon allows 2 MB since 2026-04; 1 MB is what every PDS accepts.
            image_bytes: Some(1_000_000),
            image_formats: &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Webp],
            // Longer tags are not linked (the facet lexicon allows 64 graphemes).
            tag_limit: Some(64),
            shape: Shape::Text,
        }
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "app password",
            env: &self.settings.password_env,
        }]
    }
    fn requests(&self, post: &Post) -> Vec<Request> {
        let xrpc = |method: &str| {
            format!(
                "POST {}/xrpc/{method}",
                self.settings.service.trim_end_matches('/')
            )
        };
        let front = &post.variant.front;
        let mut out = Vec::new();
        for image in &front.images {
            out.push(Request {
                action: xrpc("com.atproto.repo.uploadBlob"),
                body: json!({ "file": image.path }),
            });
        }
        for (i, part) in post.parts.iter().enumerate() {
            let mut record = json!({
                "$type": "app.bsky.feed.post",
                "text": part.text,
                "createdAt": "<time of sending>",
                "langs": [post.variant.lang],
            });
            let facets = facets(&part.text);
            if !facets.is_empty() {
                record["facets"] = Value::Array(facets);
            }
            if i == 0 && !front.images.is_empty() {
                record["embed"] = json!({
                    "$type": "app.bsky.embed.images",
                    "images": front.images.iter().map(|img| json!({
                        "image": super::upload_id(&img.path),
                        "alt": img.alt,
                    })).collect::<Vec<_>>(),
                });
            } else if i == 0
                && let Some(link) = &front.link
            {
                record["embed"] = json!({
                    "$type": "app.bsky.embed.external",
                    "external": {
                        "uri": link,
                        "title": front.title,
                        "description": front.summary.clone().unwrap_or_default(),
                    },
                });
            }
            if i > 0 {
                record["reply"] = json!({
                    "root": super::earlier_part_id(1),
                    "parent": super::earlier_part_id(i),
                });
            }
            out.push(Request {
                action: xrpc("com.atproto.repo.createRecord"),
                body: json!({
                    "repo": self.settings.identifier,
                    "collection": "app.bsky.feed.post",
                    "record": record,
                }),
            });
        }
        out
    }
}
