//! X (API v2): `POST /2/tweets`, user-context auth (OAuth 1.0a or an OAuth 2.0 user token).

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef};
use crate::render::{Counter, Post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    consumer_key_env: Option<String>,
    consumer_secret_env: Option<String>,
    access_token_env: Option<String>,
    access_token_secret_env: Option<String>,
    /// Alternative to OAuth 1.0a: an OAuth 2.0 user access token.
    oauth2_token_env: Option<String>,
}

pub struct X {
    base: Base,
    settings: Settings,
}

impl X {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        let oauth1 = [
            &settings.consumer_key_env,
            &settings.consumer_secret_env,
            &settings.access_token_env,
            &settings.access_token_secret_env,
        ];
        let complete = oauth1.iter().all(|s| s.is_some());
        let partial = oauth1.iter().any(|s| s.is_some()) && !complete;
        if partial || (!complete && settings.oauth2_token_env.is_none()) {
            return Err(vec![ConfigProblem {
                key: None,
                message: "name the environment variables of either all four OAuth 1.0a secrets \
                          (`consumer_key_env`, `consumer_secret_env`, `access_token_env`, \
                          `access_token_secret_env`) or an OAuth 2.0 user token (`oauth2_token_env`)"
                    .into(),
            }]);
        }
        Ok(Box::new(X { base, settings }))
    }
}

impl Channel for X {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::X
    }
    fn rules(&self) -> Rules {
        Rules {
            alt_limit: Some(1000),
            image_bytes: Some(5 * 1024 * 1024),
            image_formats: super::WEB_IMAGES,
            ..super::text_rules(Counter::XWeighted, 280, true, 4)
        }
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        let s = &self.settings;
        [
            ("consumer key", &s.consumer_key_env),
            ("consumer secret", &s.consumer_secret_env),
            ("access token", &s.access_token_env),
            ("access token secret", &s.access_token_secret_env),
            ("OAuth 2.0 user token", &s.oauth2_token_env),
        ]
        .into_iter()
        .filter_map(|(what, env)| env.as_deref().map(|env| SecretRef { what, env }))
        .collect()
    }
    fn requests(&self, post: &Post) -> Vec<Request> {
        let images = &post.variant.front.images;
        let mut out = Vec::new();
        for image in images {
            out.push(Request {
                action: "POST https://api.x.com/2/media/upload".into(),
                body: json!({ "media": image.path, "media_category": "tweet_image" }),
            });
            out.push(Request {
                action: "POST https://api.x.com/2/media/metadata".into(),
                body: json!({ "id": super::upload_id(&image.path), "metadata": { "alt_text": { "text": image.alt } } }),
            });
        }
        for (i, part) in post.parts.iter().enumerate() {
            let mut body = json!({ "text": part.text });
            if i == 0 && !images.is_empty() {
                body["media"] = json!({
                    "media_ids": images.iter().map(|img| super::upload_id(&img.path)).collect::<Vec<_>>()
                });
            }
            if i > 0 {
                body["reply"] = json!({ "in_reply_to_tweet_id": super::earlier_part_id(i) });
            }
            out.push(Request {
                action: "POST https://api.x.com/2/tweets".into(),
                body,
            });
        }
        out
    }
}
