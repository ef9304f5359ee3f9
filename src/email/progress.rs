//! Progress of a list send on stderr: a line redrawn in place on a terminal, a log line
//! every so often otherwise (CI), nothing with `-q`. Counts only, never addresses.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Off,
    /// Redrawn in place every quarter second.
    Terminal,
    /// A line every `every`.
    Log(Duration),
}

impl Progress {
    /// The right kind for this process's stderr.
    pub fn for_stderr(quiet: bool) -> Progress {
        if quiet {
            Progress::Off
        } else if std::io::stderr().is_terminal() {
            Progress::Terminal
        } else {
            Progress::Log(Duration::from_secs(10))
        }
    }

    /// Starts reporting on `done` (lines handled) out of about `total`.
    pub fn start(self, channel: String, total: u64, done: Arc<AtomicU64>) -> Running {
        let finished = Arc::new(AtomicBool::new(false));
        let every = match self {
            Progress::Off => None,
            Progress::Terminal => Some(Duration::from_millis(250)),
            Progress::Log(d) => Some(d),
        };
        let task = every.map(|every| {
            let (done, finished) = (done.clone(), finished.clone());
            let terminal = self == Progress::Terminal;
            tokio::spawn(async move {
                let start = Instant::now();
                let mut tick = tokio::time::interval(every);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    if finished.load(Ordering::Relaxed) {
                        return;
                    }
                    let n = done.load(Ordering::Relaxed);
                    let line = describe(&channel, n, total, start.elapsed());
                    let mut err = std::io::stderr().lock();
                    if terminal {
                        let _ = write!(err, "\r\x1b[2K{line}");
                    } else {
                        let _ = writeln!(err, "{line}");
                    }
                    let _ = err.flush();
                }
            })
        });
        Running {
            finished,
            task,
            terminal: self == Progress::Terminal,
        }
    }
}

/// A progress report in flight.
pub struct Running {
    finished: Arc<AtomicBool>,
    task: Option<tokio::task::JoinHandle<()>>,
    terminal: bool,
}

impl Running {
    pub fn finish(self) {
        self.finished.store(true, Ordering::Relaxed);
        if let Some(t) = self.task {
            t.abort();
            if self.terminal {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K");
                let _ = err.flush();
            }
        }
    }
}

fn describe(channel: &str, n: u64, total: u64, elapsed: Duration) -> String {
    let rate = n as f64 / elapsed.as_secs_f64().max(0.001);
    let mut line = format!("{channel}: {n} of about {total} subscribers ({rate:.0}/s)");
    if total > n && rate > 0.0 {
        let left = ((total - n) as f64 / rate).round() as u64;
        line.push_str(&format!(", about {}:{:02} left", left / 60, left % 60));
    }
    line
}
