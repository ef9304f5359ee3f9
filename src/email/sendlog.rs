//! The send log: per list send, which subscribers have been sent to, so a crash or a
//! stop halfway through a list sends nobody twice and skips nobody.
//!
//! One file per (channel, announcement): `state/email/<channel>/<id>.log`, append-only
//! lines `<mark> <subscriber id>[ <reply code>]`, the id being the keyed hash of the
//! address (never the address):
//!
//! - `S`: about to send (on disk before the message leaves);
//! - `D`: the server accepted it; `R 550`: the server refused it for good;
//! - `F`: not sent (a temporary refusal, a connection that failed before the message
//!   left): may be sent again. Also what `herald resolve --resend-in-doubt` writes for
//!   every subscriber in doubt;
//! - `X`: a person decided (`herald resolve --drop-in-doubt`) that a message in doubt is
//!   not sent again: done, like `D`, but nobody knows whether it arrived.
//!
//! The last line of an id wins. An `S` with nothing after it is *in doubt*: the process
//! stopped while that message was on its way, and it may have arrived. Those are
//! reported and not sent again; the list is not posted until a person decides about them
//! ([`in_doubt`] lists them, [`mark_all`] writes the decision).
//!
//! Writes go through one thread that batches them: every `S` waits until it is written
//! and flushed to disk (`fdatasync`), together with whatever other lines arrived
//! meanwhile, so concurrent sends share one disk flush. A worker marks the next few
//! messages it will send at once (see [`super::send`]), which bounds how many can be in
//! doubt after a crash: at most `concurrency × BATCH`.

use super::identity::SubscriberId;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// What the log says about one subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    Delivered,
    Rejected(u16),
    InDoubt,
    /// In doubt, and a person decided it is not sent again (`X`).
    Dropped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Started,
    Delivered,
    Rejected(u16),
    NotSent,
    /// A person decided that a message in doubt is not sent again.
    Dropped,
}

/// The replayed log.
#[derive(Default)]
pub struct Replay {
    pub prior: HashMap<SubscriberId, Prior>,
    /// A torn last line was found (and cut off).
    pub torn: bool,
}

impl Replay {
    pub fn count(&self, what: Prior) -> usize {
        self.prior.values().filter(|p| **p == what).count()
    }

    /// The subscribers in doubt, in id order.
    pub fn in_doubt(&self) -> Vec<SubscriberId> {
        let mut ids: Vec<SubscriberId> = self
            .prior
            .iter()
            .filter(|(_, p)| **p == Prior::InDoubt)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// The send log of announcement `id` to list `channel`, relative to the state folder
/// (as the ledger names it).
pub fn relative(channel: &str, id: &str) -> String {
    format!("email/{channel}/{id}.log")
}

pub fn path(state_dir: &Path, channel: &str, id: &str) -> PathBuf {
    state_dir.join(relative(channel, id))
}

/// Reads the log at `path` (a missing file is an empty log).
pub fn read(path: &Path) -> Result<Replay, String> {
    let mut replay = Replay::default();
    let file = match crate::limits::open_file(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(replay),
        Err(e) => return Err(format!("cannot read the send log {}: {e}", path.display())),
    };
    for line in BufReader::new(file).split(b'\n') {
        let line = line.map_err(|e| format!("cannot read the send log {}: {e}", path.display()))?;
        let text = String::from_utf8_lossy(&line);
        let mut fields = text.split(' ');
        let (Some(mark), Some(id)) = (fields.next(), fields.next().and_then(SubscriberId::parse))
        else {
            // Only the last line can be torn (cut by a crash); it is cut off on open.
            replay.torn = true;
            continue;
        };
        match mark {
            "S" => {
                replay.prior.insert(id, Prior::InDoubt);
            }
            "D" => {
                replay.prior.insert(id, Prior::Delivered);
            }
            "R" => {
                let code = fields.next().and_then(|c| c.parse().ok()).unwrap_or(0);
                replay.prior.insert(id, Prior::Rejected(code));
            }
            "F" => {
                replay.prior.remove(&id);
            }
            "X" => {
                replay.prior.insert(id, Prior::Dropped);
            }
            _ => replay.torn = true,
        }
    }
    Ok(replay)
}

struct Request {
    line: String,
    ack: Option<oneshot::Sender<Result<(), String>>>,
}

/// The log open for appending, written by its own thread.
pub struct Writer {
    tx: Option<mpsc::Sender<Request>>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
    /// How long the last push took, in microseconds (0: none yet); `None` without one.
    push_cost: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl Writer {
    /// Opens the log at `path` for appending; it (and its folder) must be inside the
    /// repository `root` once links are followed.
    pub fn open(root: &Path, path: &Path) -> Result<Writer, String> {
        Writer::open_pushing(root, path, None)
    }

    /// [`Writer::open`], and after every flush that a mark waits for, `push` puts the log
    /// where it must be before the batch goes out; the marks' wait ends when it has.
    pub fn open_pushing(
        root: &Path,
        path: &Path,
        push: Option<super::Push>,
    ) -> Result<Writer, String> {
        let mut file = crate::paths::open_inside(root, path, crate::paths::Mode::Append)
            .map_err(|e| format!("cannot open the send log: {e}"))?;
        crate::ledger::cut_torn_tail(&mut file)
            .map_err(|e| format!("cannot repair the send log {}: {e}", path.display()))?;
        let (tx, rx) = mpsc::channel::<Request>();
        let shown = path.display().to_string();
        let push_cost = push
            .as_ref()
            .map(|_| std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)));
        let pusher = push.zip(push_cost.clone());
        let thread = std::thread::spawn(move || write_loop(file, rx, &shown, pusher));
        Ok(Writer {
            tx: Some(tx),
            thread: Some(thread),
            push_cost,
        })
    }

    /// How long pushing a batch takes (the last push), when the log is pushed at all.
    pub fn push_cost(&self) -> Option<std::time::Duration> {
        self.push_cost
            .as_ref()
            .map(|c| std::time::Duration::from_micros(c.load(std::sync::atomic::Ordering::Relaxed)))
    }

    fn line(mark: Mark, id: SubscriberId) -> String {
        match mark {
            Mark::Started => format!("S {id}\n"),
            Mark::Delivered => format!("D {id}\n"),
            Mark::Rejected(code) => format!("R {id} {code}\n"),
            Mark::NotSent => format!("F {id}\n"),
            Mark::Dropped => format!("X {id}\n"),
        }
    }

    /// Writes `mark` and waits until it is on disk.
    pub async fn durable(&self, mark: Mark, id: SubscriberId) -> Result<(), String> {
        let (ack, done) = oneshot::channel();
        self.send(Request {
            line: Writer::line(mark, id),
            ack: Some(ack),
        })?;
        done.await
            .map_err(|_| "the send log writer stopped".to_owned())?
    }

    /// Writes `mark` for every id in one line group and waits until all are on disk.
    pub async fn durable_all(&self, mark: Mark, ids: &[SubscriberId]) -> Result<(), String> {
        let (ack, done) = oneshot::channel();
        self.send(Request {
            line: ids.iter().map(|id| Writer::line(mark, *id)).collect(),
            ack: Some(ack),
        })?;
        done.await
            .map_err(|_| "the send log writer stopped".to_owned())?
    }

    /// Writes `mark` without waiting; it reaches the disk with the next flush.
    pub fn record(&self, mark: Mark, id: SubscriberId) -> Result<(), String> {
        self.send(Request {
            line: Writer::line(mark, id),
            ack: None,
        })
    }

    fn send(&self, r: Request) -> Result<(), String> {
        self.tx
            .as_ref()
            .expect("open until closed")
            .send(r)
            .map_err(|_| "the send log writer stopped".to_owned())
    }

    /// Writes everything queued, flushes it to disk and closes the log.
    pub fn close(mut self) -> Result<(), String> {
        drop(self.tx.take());
        self.thread
            .take()
            .expect("open until closed")
            .join()
            .unwrap_or_else(|_| Err("the send log writer panicked".into()))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Appends `mark` for every id in `ids` to the log at `path` (inside the repository
/// `root`) and waits until it is on disk: a person's decision about the subscribers in
/// doubt.
pub fn mark_all(root: &Path, path: &Path, mark: Mark, ids: &[SubscriberId]) -> Result<(), String> {
    let writer = Writer::open(root, path)?;
    for id in ids {
        writer.record(mark, *id)?;
    }
    writer.close()
}

type Pusher = (super::Push, std::sync::Arc<std::sync::atomic::AtomicU64>);

fn write_loop(
    mut file: File,
    rx: mpsc::Receiver<Request>,
    shown: &str,
    push: Option<Pusher>,
) -> Result<(), String> {
    let mut buf = String::new();
    let mut acks = Vec::new();
    let mut failed: Option<String> = None;
    while let Ok(first) = rx.recv() {
        buf.clear();
        let mut take = |r: Request, buf: &mut String| {
            buf.push_str(&r.line);
            acks.extend(r.ack);
        };
        take(first, &mut buf);
        while let Ok(more) = rx.try_recv() {
            take(more, &mut buf);
        }
        let result = match &failed {
            Some(e) => Err(e.clone()),
            None => {
                let written = file.write_all(buf.as_bytes());
                let synced = written.and_then(|()| {
                    if acks.is_empty() {
                        Ok(())
                    } else {
                        file.sync_data()
                    }
                });
                let written = synced.map_err(|e| format!("cannot write the send log {shown}: {e}"));
                match (&push, written) {
                    (Some((push, cost)), Ok(())) if !acks.is_empty() => {
                        let started = std::time::Instant::now();
                        let pushed = push();
                        let took = started.elapsed().as_micros().max(1);
                        cost.store(
                            u64::try_from(took).unwrap_or(u64::MAX),
                            std::sync::atomic::Ordering::Relaxed,
                        );
                        pushed
                    }
                    (_, written) => written,
                }
            }
        };
        if let Err(e) = &result {
            failed = Some(e.clone());
        }
        for ack in acks.drain(..) {
            let _ = ack.send(result.clone());
        }
    }
    match failed {
        Some(e) => Err(e),
        None => file
            .sync_data()
            .map_err(|e| format!("cannot write the send log {shown}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_last_mark_wins_and_a_torn_line_is_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("email/news/a.log");
        let (a, b, c, d) = (
            SubscriberId(1),
            SubscriberId(2),
            SubscriberId(3),
            SubscriberId(4),
        );
        let w = Writer::open(dir.path(), &path).unwrap();
        for (mark, id) in [
            (Mark::Started, a),
            (Mark::Delivered, a),
            (Mark::Started, b),
            (Mark::Started, c),
            (Mark::Rejected(550), c),
            (Mark::Started, d),
            (Mark::NotSent, d),
        ] {
            w.durable(mark, id).await.unwrap();
        }
        w.close().unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"D 0000")
            .unwrap();
        let r = read(&path).unwrap();
        assert!(r.torn);
        assert_eq!(r.prior.get(&a), Some(&Prior::Delivered));
        assert_eq!(r.prior.get(&b), Some(&Prior::InDoubt));
        assert_eq!(r.prior.get(&c), Some(&Prior::Rejected(550)));
        assert_eq!(r.prior.get(&d), None);
        let w = Writer::open(dir.path(), &path).unwrap();
        w.record(Mark::Started, d).unwrap();
        w.close().unwrap();
        let r = read(&path).unwrap();
        assert!(!r.torn);
        assert_eq!(r.prior.get(&d), Some(&Prior::InDoubt));
    }

    #[tokio::test]
    async fn a_person_s_decision_settles_the_subscribers_in_doubt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("email/news/a.log");
        let ids: Vec<SubscriberId> = (1..=5).map(SubscriberId).collect();
        let w = Writer::open(dir.path(), &path).unwrap();
        w.durable_all(Mark::Started, &ids).await.unwrap();
        w.durable(Mark::Delivered, ids[0]).await.unwrap();
        w.close().unwrap();
        let r = read(&path).unwrap();
        assert_eq!(r.in_doubt(), ids[1..].to_vec());
        assert_eq!(r.count(Prior::InDoubt), 4);

        // Dropped: done, never in doubt again, and the last mark still wins.
        mark_all(dir.path(), &path, Mark::Dropped, &ids[1..3]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.ends_with(&format!("X {}\nX {}\n", ids[1], ids[2])),
            "{text}"
        );
        let r = read(&path).unwrap();
        assert!(!r.torn);
        assert_eq!(r.prior.get(&ids[1]), Some(&Prior::Dropped));
        assert_eq!(r.prior.get(&ids[2]), Some(&Prior::Dropped));
        assert_eq!(r.count(Prior::Dropped), 2);
        assert_eq!(r.in_doubt(), ids[3..].to_vec());
        assert_eq!(r.prior.get(&ids[0]), Some(&Prior::Delivered));

        // Resent: `F` makes them sendable again; nobody is left in doubt.
        mark_all(dir.path(), &path, Mark::NotSent, &ids[3..]).unwrap();
        let r = read(&path).unwrap();
        assert!(r.in_doubt().is_empty());
        assert_eq!(r.prior.get(&ids[3]), None);
        assert_eq!(r.prior.get(&ids[4]), None);
        assert_eq!(r.prior.len(), 3);

        // A torn last line is cut before the decision is written after it.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"S 00")
            .unwrap();
        mark_all(dir.path(), &path, Mark::Dropped, &ids[4..]).unwrap();
        let r = read(&path).unwrap();
        assert!(!r.torn);
        assert_eq!(r.prior.get(&ids[4]), Some(&Prior::Dropped));
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .ends_with(&format!("F {}\nX {}\n", ids[4], ids[4]))
        );
    }

    #[test]
    fn an_unknown_mark_is_a_damaged_line_not_a_decision() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let id = SubscriberId(7);
        std::fs::write(&path, format!("S {id}\nY {id}\n")).unwrap();
        let r = read(&path).unwrap();
        assert!(r.torn);
        assert_eq!(r.in_doubt(), vec![id]);
    }

    #[test]
    #[cfg(unix)]
    fn a_log_whose_folder_links_out_of_the_repository_is_not_opened() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir(r.join("state")).unwrap();
        std::os::unix::fs::symlink(outside.path(), r.join("state/email")).unwrap();
        let err = Writer::open(r, &r.join("state/email/news/a.log"))
            .err()
            .unwrap();
        assert!(err.contains("is outside the repository"), "{err}");
        // A dangling link as the log itself.
        std::fs::create_dir_all(r.join("state/mail/news")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("a.log"),
            r.join("state/mail/news/a.log"),
        )
        .unwrap();
        let err = Writer::open(r, &r.join("state/mail/news/a.log"))
            .err()
            .unwrap();
        assert!(err.contains("is outside the repository"), "{err}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
