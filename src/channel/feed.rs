//! Web feeds: RSS 2.0, Atom and JSON Feed 1.1 files of the announcements posted in one
//! language, for a website.
//!
//! Sending an entry writes its snapshot (`<out_dir>/<lang>/.entries/<id>.json`), then
//! rebuilds the three feed files from every snapshot there. Each file is replaced
//! atomically, and rebuilding gives the same bytes for the same snapshots, so sending an
//! entry again is harmless: after a crash the engine simply sends it again.

mod entry;
mod files;

use super::send::{BoxFuture, Finding, Outgoing, Receipt, SendError, Sender};
use super::transport::Transport;
use super::{Base, Channel, ConfigProblem, Kind, Request, SecretRef, SendContext};
use entry::Entry;
use files::Meta;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Where the feed files are written, relative to the root; each language gets a
    /// folder inside.
    #[serde(default = "default_out")]
    out_dir: String,
    title: String,
    /// The website the feed belongs to.
    site_url: String,
    /// The public address at which `out_dir` is served (default: `site_url` plus the last
    /// folder of `out_dir`, e.g. `https://example.org/feed/` for `public/feed`).
    feed_url: Option<String>,
    /// RSS requires a channel description (default: the title).
    description: Option<String>,
    /// The feed's author, required by Atom (default: the title).
    author: Option<String>,
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
        let mut problems = Vec::new();
        if let Err(why) = crate::announcement::check_url(&settings.site_url) {
            problems.push(ConfigProblem::at("site_url", format!("`site_url` {why}")));
        }
        if let Some(Err(why)) = settings
            .feed_url
            .as_deref()
            .map(crate::announcement::check_url)
        {
            problems.push(ConfigProblem::at("feed_url", format!("`feed_url` {why}")));
        }
        if let Err(why) = crate::announcement::check_relative(&settings.out_dir) {
            problems.push(ConfigProblem::at("out_dir", format!("`out_dir` {why}")));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Feed { base, settings }))
    }

    fn meta(&self) -> Meta {
        let s = &self.settings;
        let slash = |u: &str| format!("{}/", u.trim_end_matches('/'));
        let folder = match &s.feed_url {
            Some(url) => slash(url),
            None => {
                let last = s
                    .out_dir
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("feed");
                format!("{}{last}/", slash(&s.site_url))
            }
        };
        Meta {
            title: s.title.clone(),
            description: s.description.clone().unwrap_or_else(|| s.title.clone()),
            author: s.author.clone().unwrap_or_else(|| s.title.clone()),
            site_url: s.site_url.clone(),
            lang: self.base.lang.clone(),
            base_url: format!("{folder}{}/", self.base.lang),
        }
    }

    /// The language's folder, relative to the root.
    fn folder(&self) -> String {
        format!(
            "{}/{}",
            self.settings.out_dir.trim_end_matches('/'),
            self.base.lang
        )
    }
}

impl Channel for Feed {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Feed
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        Vec::new()
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(FeedSender {
            transport: ctx.transport.clone(),
            root: ctx.state_root.to_path_buf(),
            dir: ctx.state_root.join(self.folder()),
            shown: self.folder(),
            meta: self.meta(),
        }))
    }
}

/// Writes the files. Idempotent without limit in time: sending an entry again rewrites
/// the same bytes.
struct FeedSender {
    /// Writes the files, or records what would be written (the dry run).
    transport: Transport,
    root: PathBuf,
    dir: PathBuf,
    /// The folder as configured, for messages.
    shown: String,
    meta: Meta,
}

impl FeedSender {
    fn write(&self, part: &Outgoing) -> Result<Receipt, SendError> {
        let io = |what: String| {
            move |e: std::io::Error| {
                let message = format!("cannot write {what}: {e}");
                if e.kind() == std::io::ErrorKind::PermissionDenied {
                    SendError::permanent(message)
                } else {
                    SendError::Transient {
                        message,
                        retry_after: None,
                        maybe_sent: true,
                    }
                }
            }
        };
        let entries_dir = self.dir.join(files::ENTRIES);
        let about = &part.about;
        let mut entry = Entry::new(about, &part.text, &self.meta.site_url, &self.meta.lang)
            .map_err(SendError::permanent)?;
        let name = Entry::file_name(&about.id);
        // An entry's id never changes once written, even if `site_url` did since.
        if let Ok(bytes) = files::read(&entries_dir.join(&name))
            && let Ok(old) = serde_json::from_slice::<Entry>(&bytes)
        {
            entry.tag = old.tag;
        }
        let receipt = Receipt {
            remote_id: entry.tag.clone(),
            url: Some(entry.url.clone()),
        };
        let dir = &self.shown;
        let meta = &self.meta;
        let request = Request {
            action: format!(
                "WRITE {dir}/{}/{name}, then {dir}/{}, {dir}/{}, {dir}/{} from every entry",
                files::ENTRIES,
                files::RSS,
                files::ATOM,
                files::JSON
            ),
            body: json!({
                "feed": {
                    "title": meta.title,
                    "home_page_url": meta.site_url,
                    "language": meta.lang,
                    "rss": meta.url_of(files::RSS),
                    "atom": meta.url_of(files::ATOM),
                    "json": meta.url_of(files::JSON),
                },
                "entry": serde_json::to_value(&entry).expect("an entry serialises"),
            }),
        };
        self.transport.write(request, receipt.clone(), || {
            // `out_dir` is relative without `..` (checked with the configuration), but a
            // folder on the way may be a link that leads out of the repository.
            crate::paths::check_inside(&self.root, &self.dir).map_err(|why| {
                SendError::permanent(format!(
                    "`out_dir` {why}; feeds are written only inside the repository"
                ))
            })?;
            files::write_atomic(&self.root, &entries_dir, &name, &entry.to_bytes())
                .map_err(io(format!("{}/{}/{name}", self.shown, files::ENTRIES)))?;
            let all = files::read_entries(&self.dir).map_err(SendError::permanent)?;
            for (file, bytes) in files::build(&self.meta, &all) {
                files::write_atomic(&self.root, &self.dir, file, &bytes)
                    .map_err(io(format!("{}/{file}", self.shown)))?;
            }
            Ok(receipt)
        })
    }
}

impl Sender for FeedSender {
    fn send<'a>(&'a self, part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move { self.write(part) })
    }

    fn idempotent(&self) -> bool {
        true
    }

    fn keeps_keys_for(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::MAX
    }

    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(async move { self.check() })
    }
}

impl FeedSender {
    /// Whether the folder can be written (a probe file, removed at once), how many
    /// entries there are, and whether the feed files are what those entries give.
    fn check(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let mut probe_dir = self.dir.as_path();
        while !probe_dir.exists() {
            match probe_dir.parent() {
                Some(p) => probe_dir = p,
                None => break,
            }
        }
        let probe = probe_dir.join(format!(".herald-doctor-{:016x}", fastrand::u64(..)));
        // Written the way the feed files are: only inside the repository.
        match crate::paths::open_inside(&self.root, &probe, crate::paths::Mode::Replace) {
            Ok(_) => {
                let _ = std::fs::remove_file(&probe);
                out.push(Finding::ok(format!("{} can be written", self.shown)));
            }
            Err(e) => out.push(Finding::error(format!(
                "{} cannot be written ({}): {e}",
                self.shown,
                probe_dir.display()
            ))),
        }
        let entries = match files::read_entries(&self.dir) {
            Ok(entries) => entries,
            Err(e) => {
                out.push(Finding::error(e));
                return out;
            }
        };
        out.push(Finding::info(format!(
            "{} entr{} in {}/{}",
            entries.len(),
            if entries.len() == 1 { "y" } else { "ies" },
            self.shown,
            files::ENTRIES
        )));
        if entries.is_empty() {
            return out;
        }
        let stale: Vec<&str> = files::build(&self.meta, &entries)
            .into_iter()
            .filter(|(file, bytes)| files::read(&self.dir.join(file)).ok().as_ref() != Some(bytes))
            .map(|(file, _)| file)
            .collect();
        if stale.is_empty() {
            out.push(Finding::ok("the feed files match their entries"));
        } else {
            out.push(Finding::warning(format!(
                "{} missing or not what the entries give (edited by hand, or the settings changed); they are rewritten when the next entry is published",
                stale.join(", ")
            )));
        }
        out
    }
}
