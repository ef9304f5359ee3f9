//! A channel that records what it would send, one JSON line per post, in a file under
//! the state folder. For trying Herald without accounts, and for tests.

use super::send::{BoxFuture, Lookup, Outgoing, Receipt, SendError, Sender};
use super::transport::Transport;
use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef, SendContext};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Relative to the root.
    #[serde(default = "default_file")]
    file: String,
    /// The text limit to check against (the kind's own when not set).
    limit: Option<usize>,
    /// Whether posts can be changed in place (`false`: behave like a network that cannot
    /// edit, e.g. to try the `correction` policies).
    #[serde(default = "yes")]
    edits: bool,
    /// Whether posts can be deleted.
    #[serde(default = "yes")]
    deletes: bool,
}

fn yes() -> bool {
    true
}

fn default_file() -> String {
    "state/recorded.jsonl".into()
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
        let rules = Kind::Record.rules();
        Rules {
            limit: self.settings.limit.or(rules.limit),
            ..rules
        }
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        Vec::new()
    }
    fn changes(&self) -> crate::platform::Changes {
        let kind = Kind::Record.changes();
        crate::platform::Changes {
            edit: self.settings.edits,
            delete: if self.settings.deletes {
                kind.delete
            } else {
                crate::platform::Deletable::Never
            },
            ..kind
        }
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        let file = PathBuf::from(&self.settings.file);
        // Where the file is, is the real run's business (the dry run writes nothing).
        if !ctx.transport.is_recording() {
            crate::paths::check_inside(ctx.state_root, &file)
                .map_err(|why| format!("`file`: {why}"))?;
        }
        Ok(Box::new(RecordSender {
            transport: ctx.transport.clone(),
            shown: self.settings.file.clone(),
            path: ctx.state_root.join(&file),
            root: ctx.state_root.to_path_buf(),
            file,
            channel: self.base.name.clone(),
        }))
    }
}

/// Appends each part as a JSON line `{key, channel, lang, reply_to, text}` and fsyncs it.
/// A key already in the file is not written again, like a platform's idempotency key.
struct RecordSender {
    /// Writes the line, or records it for the dry run (`APPEND file`).
    transport: Transport,
    /// `file` as configured, for the dry run.
    shown: String,
    path: PathBuf,
    /// The repository, and `file` relative to it: written only inside it.
    root: PathBuf,
    file: PathBuf,
    channel: String,
}

impl RecordSender {
    /// Appends `line` unless a line with the same `field` value is there (the record
    /// file's idempotency), and returns the number of the line that holds it. The dry run
    /// records `APPEND file` with the line instead.
    fn append(&self, field: &str, line: Value, placeholder: Receipt) -> Result<Receipt, SendError> {
        let request = Request {
            action: format!("APPEND {}", self.shown),
            body: line.clone(),
        };
        let value = line[field].clone();
        self.transport.write(request, placeholder, || {
            if let Some(earlier) = self.find_by(field, &value)? {
                return Ok(earlier);
            }
            let write = || -> std::io::Result<usize> {
                let mut f =
                    crate::paths::open_inside(&self.root, &self.file, crate::paths::Mode::Append)
                        .map_err(std::io::Error::other)?;
                // A run killed mid-write leaves a torn line; the next line must not join it.
                crate::ledger::cut_torn_tail(&mut f)?;
                let before = read_text(&self.path).map_or(0, |t| t.lines().count());
                f.write_all(format!("{line}\n").as_bytes())?;
                f.sync_data()?;
                Ok(before + 1)
            };
            let n = write()
                .map_err(|e| SendError::permanent(format!("cannot write the record file: {e}")))?;
            Ok(Receipt {
                remote_id: n.to_string(),
                url: None,
            })
        })
    }

    fn find(&self, key: &str) -> Result<Option<Receipt>, SendError> {
        self.find_by("key", &Value::String(key.to_owned()))
    }

    fn find_by(&self, field: &str, value: &Value) -> Result<Option<Receipt>, SendError> {
        let text = match read_text(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(SendError::permanent(format!(
                    "cannot read the record file {}: {e}",
                    self.file.display()
                )));
            }
        };
        Ok(text.lines().enumerate().find_map(|(n, line)| {
            let v: Value = serde_json::from_str(line).ok()?;
            (v[field] == *value).then(|| Receipt {
                remote_id: format!("{}", n + 1),
                url: None,
            })
        }))
    }
}

impl Sender for RecordSender {
    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let line = json!({
                "key": part.key,
                "channel": self.channel,
                "lang": part.lang,
                "reply_to": part.reply_to,
                "text": part.text,
            });
            // Reading and writing the file is what sending is; the dry run records the line.
            let placeholder = Receipt {
                remote_id: super::earlier_part_id(part.part as usize),
                url: None,
            };
            self.append("key", line, placeholder)
        })
    }

    fn edit<'a>(
        &'a self,
        live: &'a super::send::Live,
        part: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move {
            let line = json!({
                "edit": format!("{}:{}", live.remote_id, part.key),
                "channel": self.channel,
                "lang": part.lang,
                "text": part.text,
            });
            let placeholder = Receipt {
                remote_id: live.remote_id.clone(),
                url: live.url.clone(),
            };
            self.append("edit", line, placeholder.clone())?;
            Ok(placeholder)
        })
    }

    fn delete<'a>(&'a self, live: &'a super::send::Live) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let line = json!({ "delete": live.remote_id, "channel": self.channel });
            let placeholder = Receipt {
                remote_id: live.remote_id.clone(),
                url: None,
            };
            self.append("delete", line, placeholder).map(|_| ())
        })
    }

    fn idempotent(&self) -> bool {
        true
    }

    fn lookup<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Lookup, SendError>> {
        Box::pin(async move {
            Ok(match self.find(&part.key)? {
                Some(r) => Lookup::Found(r),
                None => Lookup::NotFound,
            })
        })
    }
}

/// The record file's text; only a regular file is read (nothing blocks on a pipe).
fn read_text(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    crate::limits::open_file(path)?.read_to_string(&mut text)?;
    Ok(text)
}
