//! A channel that records what it would send, one JSON line per post, in a file under
//! the state folder. For trying Herald without accounts, and for tests.

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef};
use crate::render::{Counter, Post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Relative to the root.
    #[serde(default = "default_file")]
    file: String,
    /// The text limit to check against.
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_file() -> String {
    "state/recorded.jsonl".into()
}
fn default_limit() -> usize {
    500
}

pub struct Record {
    base: Base,
    settings: Settings,
}

impl Record {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        if let Err(why) = crate::announcement::check_relative(&settings.file) {
            return Err(vec![ConfigProblem::at("file", format!("`file` {why}"))]);
        }
        Ok(Box::new(Record { base, settings }))
    }
}

impl Channel for Record {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Record
    }
    fn rules(&self) -> Rules {
        super::text_rules(Counter::Graphemes, self.settings.limit, true, 4)
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        Vec::new()
    }
    fn requests(&self, post: &Post) -> Vec<Request> {
        post.parts
            .iter()
            .enumerate()
            .map(|(i, part)| Request {
                action: format!("APPEND {}", self.settings.file),
                body: json!({
                    "channel": self.base.name,
                    "id": post.variant.id,
                    "lang": post.variant.lang,
                    "part": i + 1,
                    "text": part.text,
                }),
            })
            .collect()
    }
}
