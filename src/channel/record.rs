//! A channel that records what it would send, one JSON line per post, in a file under
//! the state folder. For trying Herald without accounts, and for tests.

use super::send::{BoxFuture, Lookup, Outgoing, Receipt, SendError, Sender};
use super::transport::Transport;
use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef, SendContext};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Mutex;

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
            index: Mutex::new(Index::default()),
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
    /// The file's lines as far as this sender has read them.
    index: Mutex<Index>,
}

/// The fields a line is found by (the file's idempotency).
const FIELDS: [&str; 3] = ["key", "edit", "delete"];

/// What the record file holds, read once and then only the lines added since: the
/// first line that holds each `key`, `edit` and `delete` value, and how many lines
/// there are. So each post reads only what was written since the last one (another
/// process may append too), not the whole file again.
#[derive(Default)]
struct Index {
    /// The bytes read: whole lines only.
    len: u64,
    lines: usize,
    /// (field, the value as JSON) → the 1-based number of the first line with it.
    at: HashMap<(&'static str, String), usize>,
}

#[derive(Deserialize)]
struct Fields {
    key: Option<Value>,
    edit: Option<Value>,
    delete: Option<Value>,
}

impl Index {
    /// Notes line number `n`'s values (the first line with a value keeps it).
    fn note(&mut self, n: usize, fields: [Option<&Value>; 3]) {
        for (field, value) in FIELDS.into_iter().zip(fields) {
            if let Some(v) = value.filter(|v| !v.is_null()) {
                self.at.entry((field, v.to_string())).or_insert(n);
            }
        }
    }

    /// Reads the whole lines added to `path` since the last call; starts again when
    /// the file got shorter (a torn line cut, or the file replaced).
    fn catch_up(&mut self, path: &std::path::Path) -> std::io::Result<()> {
        let mut f = match crate::limits::open_file(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                *self = Index::default();
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let len = f.metadata()?.len();
        if len < self.len {
            *self = Index::default();
        }
        if len == self.len {
            return Ok(());
        }
        f.seek(SeekFrom::Start(self.len))?;
        let mut bytes = Vec::with_capacity((len - self.len) as usize);
        f.take(len - self.len).read_to_end(&mut bytes)?;
        let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        for line in bytes[..whole].split_inclusive(|&b| b == b'\n') {
            self.lines += 1;
            if let Ok(f) = serde_json::from_slice::<Fields>(line) {
                self.note(
                    self.lines,
                    [f.key.as_ref(), f.edit.as_ref(), f.delete.as_ref()],
                );
            }
        }
        self.len += whole as u64;
        Ok(())
    }

    fn find(&self, field: &'static str, value: &Value) -> Option<Receipt> {
        self.at.get(&(field, value.to_string())).map(|n| Receipt {
            remote_id: n.to_string(),
            url: None,
        })
    }
}

impl RecordSender {
    /// Appends `line` unless a line with the same `field` value is there (the record
    /// file's idempotency), and returns the number of the line that holds it. The dry run
    /// records `APPEND file` with the line instead.
    fn append(
        &self,
        field: &'static str,
        line: Value,
        placeholder: Receipt,
    ) -> Result<Receipt, SendError> {
        let request = Request {
            action: format!("APPEND {}", self.shown),
            body: line.clone(),
        };
        let value = line[field].clone();
        self.transport.write(request, placeholder, || {
            let unreadable = |e: std::io::Error| {
                SendError::permanent(format!(
                    "cannot read the record file {}: {e}",
                    self.file.display()
                ))
            };
            let mut index = self.index.lock().expect("record index lock poisoned");
            // Whatever another process appended counts too.
            index.catch_up(&self.path).map_err(unreadable)?;
            if let Some(earlier) = index.find(field, &value) {
                return Ok(earlier);
            }
            let text = format!("{line}\n");
            let write = || -> std::io::Result<()> {
                let mut f =
                    crate::paths::open_inside(&self.root, &self.file, crate::paths::Mode::Append)
                        .map_err(std::io::Error::other)?;
                // A run killed mid-write leaves a torn line; the next line must not join it.
                crate::ledger::cut_torn_tail(&mut f)?;
                f.write_all(text.as_bytes())?;
                f.sync_data()
            };
            write()
                .map_err(|e| SendError::permanent(format!("cannot write the record file: {e}")))?;
            // The new line and anything appended just before it, in order.
            index.catch_up(&self.path).map_err(unreadable)?;
            index.find(field, &value).ok_or_else(|| {
                SendError::permanent(format!(
                    "the line just written is not in the record file {}",
                    self.file.display()
                ))
            })
        })
    }

    fn find(&self, key: &str) -> Result<Option<Receipt>, SendError> {
        let mut index = self.index.lock().expect("record index lock poisoned");
        index.catch_up(&self.path).map_err(|e| {
            SendError::permanent(format!(
                "cannot read the record file {}: {e}",
                self.file.display()
            ))
        })?;
        Ok(index.find("key", &Value::String(key.to_owned())))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn append(path: &std::path::Path, text: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn at(index: &Index, field: &'static str, value: &str) -> Option<String> {
        index
            .find(field, &Value::String(value.into()))
            .map(|r| r.remote_id)
    }

    #[test]
    fn the_index_reads_only_new_whole_lines_and_starts_again_when_the_file_shrinks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recorded.jsonl");
        let mut index = Index::default();
        // No file yet: nothing.
        index.catch_up(&path).unwrap();
        assert_eq!((index.lines, at(&index, "key", "a")), (0, None));

        append(
            &path,
            "{\"key\":\"a\",\"text\":\"1\"}\n{\"edit\":\"1:a\"}\n",
        );
        index.catch_up(&path).unwrap();
        assert_eq!(index.lines, 2);
        assert_eq!(at(&index, "key", "a").as_deref(), Some("1"));
        assert_eq!(at(&index, "edit", "1:a").as_deref(), Some("2"));
        assert_eq!(at(&index, "key", "1:a"), None, "fields are kept apart");

        // Another writer's lines, a line that is not JSON, a repeated key (the first
        // line keeps it) and a torn last line, which is not read until it is whole.
        append(
            &path,
            "not json\n{\"key\":\"b\"}\n{\"key\":\"a\"}\n{\"delete\":\"1\"}\n{\"key\":\"c\"",
        );
        index.catch_up(&path).unwrap();
        assert_eq!(index.lines, 6);
        assert_eq!(at(&index, "key", "b").as_deref(), Some("4"));
        assert_eq!(at(&index, "key", "a").as_deref(), Some("1"));
        assert_eq!(at(&index, "delete", "1").as_deref(), Some("6"));
        assert_eq!(at(&index, "key", "c"), None);
        append(&path, ",\"text\":\"x\"}\n");
        index.catch_up(&path).unwrap();
        assert_eq!(at(&index, "key", "c").as_deref(), Some("7"));

        // Replaced by a shorter file: read again from the start.
        std::fs::write(&path, "{\"key\":\"z\"}\n").unwrap();
        index.catch_up(&path).unwrap();
        assert_eq!(index.lines, 1);
        assert_eq!(at(&index, "key", "z").as_deref(), Some("1"));
        assert_eq!(at(&index, "key", "a"), None);
        // Removed: empty.
        std::fs::remove_file(&path).unwrap();
        index.catch_up(&path).unwrap();
        assert_eq!((index.lines, at(&index, "key", "z")), (0, None));
    }
}
