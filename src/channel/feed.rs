//! Web feeds: RSS 2.0, Atom and JSON Feed 1.1 files of the announcements posted in one
//! language, for a website.
//!
//! Sending an entry writes its snapshot (`<out_dir>/<lang>/.entries/<id>.json`), then
//! rebuilds the three feed files from every snapshot there. Each file is replaced
//! atomically, and rebuilding gives the same bytes for the same snapshots, so sending an
//! entry again is harmless: after a crash the engine simply sends it again.
//!
//! A correction rewrites the snapshot with the new content, keeping its id and its
//! publication date and dating the change (Atom `updated`, JSON Feed `date_modified`).
//! A removal deletes the snapshot and leaves a mark in `.deleted/` (the Atom feed's
//! `at:deleted-entry`, RFC 6721). Both rebuild the files the same way, and both can be
//! made again after a crash with the same result.

mod entry;
mod files;

use super::send::{BoxFuture, Finding, Live, Outgoing, Receipt, SendError, Sender};
use super::transport::Transport;
use super::{Base, Channel, ConfigProblem, Kind, Now, Request, SecretRef, SendContext};
use entry::{Entry, Removed};
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
            now: ctx.now.clone(),
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
    /// The engine's clock: when a correction or a removal happens.
    now: Now,
}

/// A file that could not be written: permanent if the system refuses it, else worth
/// another try (and perhaps written).
fn io(what: String) -> impl FnOnce(std::io::Error) -> SendError {
    failed(format!("cannot write {what}"))
}

/// `doing` failed: permanent if the system refuses it, else worth another try (and
/// perhaps done).
fn failed(doing: String) -> impl FnOnce(std::io::Error) -> SendError {
    move |e: std::io::Error| {
        let message = format!("{doing}: {e}");
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            SendError::permanent(message)
        } else {
            SendError::Transient {
                message,
                retry_after: None,
                maybe_sent: true,
                unreached: None,
            }
        }
    }
}

impl FeedSender {
    /// The entry `part` makes, and its snapshot's file name.
    fn entry(&self, part: &Outgoing) -> Result<(Entry, String), SendError> {
        let entry = Entry::new(
            &part.about,
            &part.text,
            &self.meta.site_url,
            &self.meta.lang,
        )
        .map_err(SendError::permanent)?;
        let name = Entry::file_name(&part.about.id);
        Ok((entry, name))
    }

    /// The snapshot called `name`, if there is one that reads.
    fn snapshot(&self, name: &str) -> Option<Entry> {
        let bytes = files::read(&self.dir.join(files::ENTRIES).join(name)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The engine's clock to the second: feed dates carry no fractions.
    fn now(&self) -> jiff::Timestamp {
        let now = (self.now)();
        jiff::Timestamp::from_second(now.as_second()).unwrap_or(now)
    }

    /// What the dry run shows: `action`, the feed, and `key` (the entry, or the mark).
    fn request(&self, action: String, key: &str, value: Value) -> Request {
        let meta = &self.meta;
        let mut body = json!({
            "feed": {
                "title": meta.title,
                "home_page_url": meta.site_url,
                "language": meta.lang,
                "rss": meta.url_of(files::RSS),
                "atom": meta.url_of(files::ATOM),
                "json": meta.url_of(files::JSON),
            },
        });
        body[key] = value;
        Request { action, body }
    }

    /// `then <dir>/rss.xml, <dir>/atom.xml, <dir>/feed.json from every entry`.
    fn then_rebuild(&self) -> String {
        let dir = &self.shown;
        format!(
            "then {dir}/{}, {dir}/{}, {dir}/{} from every entry",
            files::RSS,
            files::ATOM,
            files::JSON
        )
    }

    /// Refuses a folder that leads out of the repository. `out_dir` is relative without
    /// `..` (checked with the configuration), but a folder on the way may be a link.
    fn check_inside(&self) -> Result<(), SendError> {
        crate::paths::check_inside(&self.root, &self.dir).map_err(|why| {
            SendError::permanent(format!(
                "`out_dir` {why}; feeds are written only inside the repository"
            ))
        })
    }

    /// Writes the snapshot `name` of `entry`.
    fn write_entry(&self, name: &str, entry: &Entry) -> Result<(), SendError> {
        let entries_dir = self.dir.join(files::ENTRIES);
        files::write_atomic(&self.root, &entries_dir, name, &entry.to_bytes())
            .map_err(io(format!("{}/{}/{name}", self.shown, files::ENTRIES)))?;
        Ok(())
    }

    /// Rebuilds the three files from every snapshot and mark on disk.
    fn rebuild(&self) -> Result<(), SendError> {
        let all = files::read_entries(&self.dir).map_err(SendError::permanent)?;
        let removed = files::read_removed(&self.dir).map_err(SendError::permanent)?;
        for (file, bytes) in files::build(&self.meta, &all, &removed) {
            files::write_atomic(&self.root, &self.dir, file, &bytes)
                .map_err(io(format!("{}/{file}", self.shown)))?;
        }
        Ok(())
    }

    fn write(&self, part: &Outgoing) -> Result<Receipt, SendError> {
        let (mut entry, name) = self.entry(part)?;
        // An entry's id never changes once written, even if `site_url` did since.
        if let Some(old) = self.snapshot(&name) {
            entry.tag = old.tag;
        }
        let receipt = Receipt {
            remote_id: entry.tag.clone(),
            url: Some(entry.url.clone()),
        };
        let request = self.request(
            format!(
                "WRITE {}/{}/{name}, {}",
                self.shown,
                files::ENTRIES,
                self.then_rebuild()
            ),
            "entry",
            serde_json::to_value(&entry).expect("an entry serialises"),
        );
        self.transport.write(request, receipt.clone(), || {
            self.check_inside()?;
            self.write_entry(&name, &entry)?;
            self.rebuild()?;
            Ok(receipt)
        })
    }

    /// Rewrites the entry `live` names to say what `part` says: the same id and
    /// publication date, `updated` now (or when the same correction was first written).
    fn rewrite(&self, live: &Live, part: &Outgoing) -> Result<Receipt, SendError> {
        let (new, name) = self.entry(part)?;
        let entry = match self.snapshot(&name) {
            Some(old) => old.corrected(new, self.now()),
            // The snapshot is gone (removed by hand): written again as the post it is.
            None => Entry {
                tag: live.remote_id.clone(),
                updated: Some(self.now()),
                ..new
            },
        };
        let receipt = Receipt {
            remote_id: entry.tag.clone(),
            url: Some(entry.url.clone()),
        };
        let request = self.request(
            format!(
                "EDIT {}/{}/{name} (the same id, updated {}), {}",
                self.shown,
                files::ENTRIES,
                entry.changed(),
                self.then_rebuild()
            ),
            "entry",
            serde_json::to_value(&entry).expect("an entry serialises"),
        );
        self.transport.write(request, receipt.clone(), || {
            self.check_inside()?;
            self.write_entry(&name, &entry)?;
            self.rebuild()?;
            Ok(receipt)
        })
    }

    /// Removes the entry `live` names and marks it removed. An entry already gone is
    /// removed; its mark keeps the time of the first removal.
    fn remove(&self, live: &Live) -> Result<(), SendError> {
        let tag = &live.remote_id;
        // Snapshots are named by announcement id; the ledger knows the entry by its tag.
        let found = files::read_entries(&self.dir)
            .map_err(SendError::permanent)?
            .into_iter()
            .find(|e| &e.tag == tag)
            .map(|e| Entry::file_name(&e.id));
        let earlier = files::read_removed(&self.dir)
            .map_err(SendError::permanent)?
            .into_iter()
            .find(|m| &m.tag == tag);
        // The mark is named as its entry's snapshot was; one for an entry the feed no
        // longer had is named by its tag. An entry already removed is marked already.
        let mark_name = match (&found, &earlier) {
            (Some(name), _) => Some(name.clone()),
            (None, None) => Some(Removed::file_name(tag)),
            (None, Some(_)) => None,
        };
        let mark = earlier.unwrap_or_else(|| Removed {
            tag: tag.clone(),
            when: self.now(),
        });
        let removed_dir = self.dir.join(files::REMOVED);
        let dir = &self.shown;
        let mut action = match &found {
            Some(name) => format!("DELETE {dir}/{}/{name}", files::ENTRIES),
            None if mark_name.is_some() => format!("DELETE the entry {tag} (not in the feed)"),
            None => format!("DELETE the entry {tag} (already removed)"),
        };
        if let Some(name) = &mark_name {
            action.push_str(&format!(", WRITE {dir}/{}/{name}", files::REMOVED));
        }
        let request = self.request(
            format!("{action}, {}", self.then_rebuild()),
            "deleted_entry",
            serde_json::to_value(&mark).expect("a mark serialises"),
        );
        self.transport.write(request, (), || {
            self.check_inside()?;
            // The mark first: a crash after it leaves a removal that is made again with
            // the same time.
            if let Some(name) = &mark_name {
                files::write_atomic(&self.root, &removed_dir, name, &mark.to_bytes())
                    .map_err(io(format!("{dir}/{}/{name}", files::REMOVED)))?;
            }
            if let Some(name) = &found {
                let doing = format!("cannot remove {dir}/{}/{name}", files::ENTRIES);
                let entries_dir = crate::paths::inside(&self.root, &self.dir.join(files::ENTRIES))
                    .map_err(|why| SendError::permanent(format!("{doing}: {why}")))?;
                match std::fs::remove_file(entries_dir.join(name)) {
                    // The removal is durable only once the folder is.
                    Ok(()) => {
                        #[cfg(unix)]
                        std::fs::File::open(&entries_dir)
                            .and_then(|d| d.sync_all())
                            .map_err(failed(doing))?;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(failed(doing)(e)),
                }
            }
            self.rebuild()
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

    fn edit<'a>(
        &'a self,
        live: &'a Live,
        part: &'a Outgoing,
    ) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async move { self.rewrite(live, part) })
    }

    fn delete<'a>(&'a self, live: &'a Live) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move { self.remove(live) })
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
        let removed = match files::read_removed(&self.dir) {
            Ok(removed) => removed,
            Err(e) => {
                out.push(Finding::error(e));
                return out;
            }
        };
        if !removed.is_empty() {
            out.push(Finding::info(format!(
                "{} removed entr{} marked in {}/{}",
                removed.len(),
                if removed.len() == 1 { "y" } else { "ies" },
                self.shown,
                files::REMOVED
            )));
        }
        if entries.is_empty() && removed.is_empty() {
            return out;
        }
        let stale: Vec<&str> = files::build(&self.meta, &entries, &removed)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::send::About;
    use jiff::Timestamp;
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    const DIR: &str = "public/feed/en";

    /// A sender writing below `root`, whose clock reads `clock`.
    fn sender(root: &Path, transport: Transport, clock: &Arc<Mutex<Timestamp>>) -> FeedSender {
        let clock = clock.clone();
        FeedSender {
            transport,
            root: root.to_path_buf(),
            dir: root.join(DIR),
            shown: DIR.into(),
            meta: Meta {
                title: "News".into(),
                description: "News".into(),
                author: "Office".into(),
                site_url: "https://example.org/".into(),
                lang: "en".into(),
                base_url: "https://example.org/feed/en/".into(),
            },
            now: Arc::new(move || *clock.lock().unwrap()),
        }
    }

    /// The transport that writes (the feed sends nothing over HTTP; the client needs
    /// the TLS provider `main` installs).
    fn http() -> Transport {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Transport::Http(crate::channel::send::http_client(
            std::time::Duration::from_secs(1),
        ))
    }

    fn part(id: &str, text: &str) -> Outgoing {
        Outgoing {
            key: format!("{id}-{text}"),
            text: text.into(),
            lang: "en".into(),
            part: 1,
            reply_to: None,
            thread_root: None,
            images: vec![],
            about: Arc::new(About {
                id: id.into(),
                title: format!("About {id}"),
                summary: None,
                link: None,
                tags: vec![],
                publish_at: Some("2026-01-01T10:00:00Z".parse().unwrap()),
            }),
            planned_id: None,
        }
    }

    fn live(receipt: &Receipt) -> Live {
        Live {
            remote_id: receipt.remote_id.clone(),
            url: receipt.url.clone(),
            posted_at: "2026-01-01T10:00:00Z".parse().unwrap(),
            part: 1,
            media: None,
        }
    }

    /// Every file below `DIR`, with its bytes.
    fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for sub in ["", ".entries", ".deleted"] {
            let Ok(listing) = std::fs::read_dir(root.join(DIR).join(sub)) else {
                continue;
            };
            for e in listing.map(Result::unwrap) {
                if e.file_type().unwrap().is_file() {
                    let name = format!("{sub}/{}", e.file_name().to_string_lossy());
                    out.push((name, std::fs::read(e.path()).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    fn set(clock: &Arc<Mutex<Timestamp>>, at: &str) {
        *clock.lock().unwrap() = at.parse().unwrap();
    }

    #[test]
    fn a_correction_keeps_the_id_and_date_and_made_again_writes_the_same_bytes() {
        let root = tempfile::tempdir().unwrap();
        let clock = Arc::new(Mutex::new("2026-01-01T10:00:05Z".parse().unwrap()));
        let feed = sender(root.path(), http(), &clock);
        let posted = feed.write(&part("a", "<p>Old</p>")).unwrap();
        set(&clock, "2026-01-02T08:30:00.75Z");
        let edited = feed
            .rewrite(&live(&posted), &part("a", "<p>New</p>"))
            .unwrap();
        assert_eq!(edited, posted, "the same id and address");
        let snapshot: Entry = serde_json::from_slice(
            &std::fs::read(root.path().join(DIR).join(".entries/a.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(snapshot.content_html, "<p>New</p>");
        assert_eq!(snapshot.tag, posted.remote_id);
        assert_eq!(snapshot.published.to_string(), "2026-01-01T10:00:00Z");
        // To the second.
        assert_eq!(
            snapshot.updated.unwrap().to_string(),
            "2026-01-02T08:30:00Z"
        );
        let after = files(root.path());
        // After a crash the engine makes the same edit again, later.
        set(&clock, "2026-01-02T09:00:00Z");
        feed.rewrite(&live(&posted), &part("a", "<p>New</p>"))
            .unwrap();
        assert_eq!(files(root.path()), after);
    }

    #[test]
    fn a_removal_deletes_the_snapshot_leaves_a_mark_and_made_again_is_harmless() {
        let root = tempfile::tempdir().unwrap();
        let clock = Arc::new(Mutex::new("2026-01-01T10:00:05Z".parse().unwrap()));
        let feed = sender(root.path(), http(), &clock);
        let a = feed.write(&part("a", "<p>A</p>")).unwrap();
        feed.write(&part("b", "<p>B</p>")).unwrap();
        set(&clock, "2026-01-03T12:00:00Z");
        feed.remove(&live(&a)).unwrap();
        let dir = root.path().join(DIR);
        assert!(!dir.join(".entries/a.json").exists());
        assert!(dir.join(".entries/b.json").exists());
        let atom = std::fs::read_to_string(dir.join("atom.xml")).unwrap();
        assert!(atom.contains(&format!(
            r#"<at:deleted-entry ref="{}" when="2026-01-03T12:00:00Z"/>"#,
            a.remote_id
        )));
        assert!(!atom.contains("<title>About a</title>"));
        let after = files(root.path());
        // Already gone: Ok, and nothing changes, not even the mark's time.
        set(&clock, "2026-01-04T12:00:00Z");
        feed.remove(&live(&a)).unwrap();
        assert_eq!(files(root.path()), after);
        // A crash after the mark, before the snapshot went: the repeat finishes it.
        let b = feed.write(&part("b", "<p>B</p>")).unwrap();
        let mark = Removed {
            tag: b.remote_id.clone(),
            when: "2026-01-05T00:00:00Z".parse().unwrap(),
        };
        std::fs::write(dir.join(".deleted/b.json"), mark.to_bytes()).unwrap();
        feed.remove(&live(&b)).unwrap();
        let atom = std::fs::read_to_string(dir.join("atom.xml")).unwrap();
        assert!(atom.contains("when=\"2026-01-05T00:00:00Z\""), "{atom}");
        assert!(!dir.join(".entries/b.json").exists());
        // An entry whose snapshot was lost: marked by its tag, once.
        let lost = Live {
            remote_id: "tag:example.org,2025-01-01:en/lost".into(),
            ..live(&b)
        };
        feed.remove(&lost).unwrap();
        assert!(
            dir.join(".deleted/tag%3Aexample.org%2C2025-01-01%3Aen%2Flost.json")
                .exists()
        );
        let marked = files(root.path());
        set(&clock, "2026-01-06T00:00:00Z");
        feed.remove(&lost).unwrap();
        assert_eq!(files(root.path()), marked);
    }

    #[test]
    fn the_dry_run_shows_the_edit_and_the_removal_and_writes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let clock = Arc::new(Mutex::new("2026-01-01T10:00:05Z".parse().unwrap()));
        let posted = sender(root.path(), http(), &clock)
            .write(&part("a", "<p>Old</p>"))
            .unwrap();
        let before = files(root.path());
        let transport = Transport::recording(root.path(), None);
        let feed = sender(root.path(), transport.clone(), &clock);
        set(&clock, "2026-01-02T08:30:00Z");
        feed.rewrite(&live(&posted), &part("a", "<p>New</p>"))
            .unwrap();
        feed.remove(&live(&posted)).unwrap();
        assert_eq!(files(root.path()), before);
        let shown = transport.recorded();
        let then = "then public/feed/en/rss.xml, public/feed/en/atom.xml, public/feed/en/feed.json from every entry";
        assert_eq!(
            shown[0].action,
            format!(
                "EDIT public/feed/en/.entries/a.json (the same id, updated 2026-01-02T08:30:00Z), {then}"
            )
        );
        assert_eq!(shown[0].body["entry"]["content_html"], "<p>New</p>");
        assert_eq!(shown[0].body["entry"]["tag"], posted.remote_id.as_str());
        assert_eq!(
            shown[1].action,
            format!(
                "DELETE public/feed/en/.entries/a.json, WRITE public/feed/en/.deleted/a.json, {then}"
            )
        );
        assert_eq!(
            shown[1].body["deleted_entry"],
            serde_json::json!({"ref": posted.remote_id, "when": "2026-01-02T08:30:00Z"})
        );
    }
}
