//! Mastodon (and compatible servers): `POST /api/v1/statuses`.

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef};
use crate::render::{Counter, Post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// The instance, e.g. `https://mastodon.social`.
    base_url: String,
    token_env: String,
    #[serde(default)]
    visibility: Visibility,
    /// The instance's `configuration.statuses.max_characters` when it is not 500.
    max_characters: Option<usize>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Visibility {
    #[default]
    Public,
    Unlisted,
    Private,
    Direct,
}

pub struct Mastodon {
    base: Base,
    settings: Settings,
}

impl Mastodon {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        if let Err(why) = crate::announcement::check_url(&settings.base_url) {
            return Err(vec![ConfigProblem::at(
                "base_url",
                format!("`base_url` {why}"),
            )]);
        }
        Ok(Box::new(Mastodon { base, settings }))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.settings.base_url.trim_end_matches('/'))
    }
}

impl Channel for Mastodon {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Mastodon
    }
    fn rules(&self) -> Rules {
        Rules {
            alt_limit: Some(1500),
            ..super::text_rules(
                Counter::Mastodon,
                self.settings.max_characters.unwrap_or(500),
                true,
                4,
            )
        }
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "access token",
            env: &self.settings.token_env,
        }]
    }
    fn requests(&self, post: &Post) -> Vec<Request> {
        let mut out = Vec::new();
        for image in &post.variant.front.images {
            out.push(Request {
                action: format!("POST {}", self.url("/api/v2/media")),
                body: json!({ "file": image.path, "description": image.alt }),
            });
        }
        for (i, part) in post.parts.iter().enumerate() {
            let mut body = json!({
                "status": part.text,
                "language": iso639_1(&post.variant.lang),
                "visibility": self.settings.visibility,
            });
            if i == 0 && !post.variant.front.images.is_empty() {
                body["media_ids"] = post
                    .variant
                    .front
                    .images
                    .iter()
                    .map(|img| Value::String(super::upload_id(&img.path)))
                    .collect();
            }
            if i > 0 {
                body["in_reply_to_id"] = Value::String(super::earlier_part_id(i));
            }
            out.push(Request {
                action: format!("POST {}", self.url("/api/v1/statuses")),
                body,
            });
        }
        out
    }
}

/// Mastodon takes ISO 639-1 (`en`), not a full BCP 47 tag (`en-GB`).
fn iso639_1(lang: &str) -> &str {
    lang.split('-').next().unwrap_or(lang)
}
