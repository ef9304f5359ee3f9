//! Facebook Page (Graph API): `POST /{page-id}/feed`.

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef};
use crate::render::{Counter, ImageFormat, Post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The Graph API version used when the configuration does not name one.
pub const DEFAULT_GRAPH_VERSION: &str = "v24.0";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    page_id: String,
    /// A Page access token.
    token_env: String,
    #[serde(default = "default_version")]
    graph_version: String,
    /// Post the rest of a long text as comments under the post. Off by default: a
    /// text over the limit is then an error at `check`.
    #[serde(default)]
    thread_as_comments: bool,
}

fn default_version() -> String {
    DEFAULT_GRAPH_VERSION.into()
}

pub struct Facebook {
    base: Base,
    settings: Settings,
}

impl Facebook {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        Ok(Box::new(Facebook { base, settings }))
    }

    fn graph(&self, path: &str) -> String {
        format!(
            "POST https://graph.facebook.com/{}/{path}",
            self.settings.graph_version
        )
    }
}

impl Channel for Facebook {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Facebook
    }
    fn rules(&self) -> Rules {
        // 63,206 is the limit Facebook's composer enforces; the API's own is unpublished.
        Rules {
            image_bytes: Some(4 * 1024 * 1024),
            image_formats: &[
                ImageFormat::Jpeg,
                ImageFormat::Png,
                ImageFormat::Gif,
                ImageFormat::Bmp,
                ImageFormat::Tiff,
            ],
            ..super::text_rules(Counter::Utf16, 63_206, self.settings.thread_as_comments, 10)
        }
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "Page access token",
            env: &self.settings.token_env,
        }]
    }
    fn requests(&self, post: &Post) -> Vec<Request> {
        let front = &post.variant.front;
        let page = &self.settings.page_id;
        let mut out = Vec::new();
        for image in &front.images {
            out.push(Request {
                action: self.graph(&format!("{page}/photos")),
                body: json!({ "source": image.path, "alt_text_custom": image.alt, "published": false }),
            });
        }
        for (i, part) in post.parts.iter().enumerate() {
            if i == 0 {
                let mut body = json!({ "message": part.text });
                if let Some(link) = &front.link
                    && front.images.is_empty()
                {
                    body["link"] = Value::String(link.clone());
                }
                if !front.images.is_empty() {
                    body["attached_media"] = front
                        .images
                        .iter()
                        .map(|img| json!({ "media_fbid": super::upload_id(&img.path) }))
                        .collect();
                }
                out.push(Request {
                    action: self.graph(&format!("{page}/feed")),
                    body,
                });
            } else {
                out.push(Request {
                    action: self.graph(&format!("{}/comments", super::earlier_part_id(1))),
                    body: json!({ "message": part.text }),
                });
            }
        }
        out
    }
}
