//! LinkedIn organization posts: `POST /rest/posts`.

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef};
use crate::render::{Counter, ImageFormat, Post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The `Linkedin-Version` header used when the configuration does not name one.
pub const DEFAULT_API_VERSION: &str = "202601";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// `urn:li:organization:<id>`.
    organization: String,
    token_env: String,
    #[serde(default = "default_version")]
    api_version: String,
}

fn default_version() -> String {
    DEFAULT_API_VERSION.into()
}

pub struct Linkedin {
    base: Base,
    settings: Settings,
}

impl Linkedin {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        if !settings.organization.starts_with("urn:li:organization:") {
            return Err(vec![ConfigProblem::at(
                "organization",
                format!(
                    "`organization` must look like \"urn:li:organization:12345\", found \"{}\"",
                    settings.organization
                ),
            )]);
        }
        Ok(Box::new(Linkedin { base, settings }))
    }
}

/// LinkedIn's "little" text format: these characters must be escaped with `\` even when
/// they are not meant as markup, or the post is cut short at them.
pub fn escape_commentary(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '|' | '{'
                | '}'
                | '@'
                | '['
                | ']'
                | '('
                | ')'
                | '<'
                | '>'
                | '#'
                | '\\'
                | '*'
                | '_'
                | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Channel for Linkedin {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Linkedin
    }
    fn rules(&self) -> Rules {
        Rules {
            alt_limit: Some(4086),
            image_formats: &[ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::Gif],
            ..super::text_rules(Counter::Utf16, 3000, false, 20)
        }
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        vec![SecretRef {
            what: "access token",
            env: &self.settings.token_env,
        }]
    }
    fn requests(&self, post: &Post) -> Vec<Request> {
        let front = &post.variant.front;
        let org = &self.settings.organization;
        let mut out = Vec::new();
        for _ in &front.images {
            out.push(Request {
                action: format!(
                    "POST https://api.linkedin.com/rest/images?action=initializeUpload (Linkedin-Version: {})",
                    self.settings.api_version
                ),
                body: json!({ "initializeUploadRequest": { "owner": org } }),
            });
        }
        let text = post.parts.first().map(|p| p.text.as_str()).unwrap_or("");
        let mut body = json!({
            "author": org,
            "commentary": escape_commentary(text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": false,
        });
        if let [image] = front.images.as_slice() {
            body["content"] =
                json!({ "media": { "id": super::upload_id(&image.path), "altText": image.alt } });
        } else if front.images.len() > 1 {
            body["content"] = json!({ "multiImage": { "images": front.images.iter().map(|img| json!({
                "id": super::upload_id(&img.path), "altText": img.alt })).collect::<Vec<_>>() } });
        } else if let Some(link) = &front.link {
            body["content"] = json!({ "article": {
                "source": link,
                "title": front.title,
                "description": front.summary.clone().unwrap_or_default(),
            } });
        }
        out.push(Request {
            action: format!(
                "POST https://api.linkedin.com/rest/posts (Linkedin-Version: {})",
                self.settings.api_version
            ),
            body,
        });
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_characters_are_escaped() {
        assert_eq!(
            super::escape_commentary("BETTER (phase 1) #Tartu @city_hall"),
            "BETTER \\(phase 1\\) \\#Tartu \\@city\\_hall"
        );
    }
}
