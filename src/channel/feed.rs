//! Web feeds: Atom and JSON Feed files of published announcements, for a website.

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef, Shape};
use crate::render::Post;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Where the feed files are written, relative to the root.
    #[serde(default = "default_out")]
    out_dir: String,
    title: String,
    /// The website the feed belongs to.
    site_url: String,
}

fn default_out() -> String {
    "public/feed".into()
}

pub struct Feed {
    base: Base,
    settings: Settings,
}

impl Feed {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        if let Err(why) = crate::announcement::check_url(&settings.site_url) {
            return Err(vec![ConfigProblem::at(
                "site_url",
                format!("`site_url` {why}"),
            )]);
        }
        if let Err(why) = crate::announcement::check_relative(&settings.out_dir) {
            return Err(vec![ConfigProblem::at(
                "out_dir",
                format!("`out_dir` {why}"),
            )]);
        }
        Ok(Box::new(Feed { base, settings }))
    }
}

impl Channel for Feed {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Feed
    }
    fn rules(&self) -> Rules {
        super::unlimited_rules(Shape::Feed, 20)
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        Vec::new()
    }
    fn requests(&self, post: &Post) -> Vec<Request> {
        let v = post.variant;
        let dir = self.settings.out_dir.trim_end_matches('/');
        vec![Request {
            action: format!("WRITE {dir}/atom.xml, {dir}/feed.json"),
            body: json!({
                "feed": { "title": self.settings.title, "home_page_url": self.settings.site_url },
                "id": format!("{}/{}", self.settings.site_url.trim_end_matches('/'), v.id),
                "title": v.front.title,
                "url": v.front.link,
                "language": v.lang,
                "summary": v.front.summary,
                "content_html": post.html.clone().unwrap_or_default(),
                "tags": v.front.tags,
            }),
        }]
    }
}
