//! Command-line arguments, as typed: no validation beyond what clap does. Settings are
//! validated once, in [`crate::settings`]. Each command takes only the flags it uses (so
//! its `--help` lists only those); `--root` and `--config` go with every command.
//! [`Cli::global`] gathers them into the one [`Global`] the commands read.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "herald",
    version,
    about = "Publish approved announcements from a Git folder to social networks and email lists",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub repository: Repository,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the instance is: every command reads it, so these two are given before or
/// after the command's name.
#[derive(Debug, Args)]
pub struct Repository {
    /// The repository folder (default: the current folder or the nearest one above it
    /// with `config/herald.toml`).
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The configuration file, relative to the root (default: config/herald.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The flags every command reads, gathered once from where each was given (the
/// repository before or after the command, the rest on the commands that take them);
/// a flag a command does not take is its default here.
#[derive(Debug, Clone)]
pub struct Global {
    pub root: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub at: Option<String>,
    pub only: Option<String>,
    pub channel: Option<String>,
    pub format: Format,
    pub quiet: bool,
    pub verbose: bool,
}

/// `--at TIME`.
#[derive(Debug, Clone, Default, Args)]
pub struct AtArg {
    /// Pretend the time is TIME (`2026-06-30 10:00` local, or RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// `--only ID`.
#[derive(Debug, Clone, Default, Args)]
pub struct OnlyArg {
    /// Only this announcement (its id, the file name without `.<lang>.md`).
    #[arg(long, value_name = "ID")]
    pub only: Option<String>,
}

/// `--channel NAME`.
#[derive(Debug, Clone, Default, Args)]
pub struct ChannelArg {
    /// Only this channel.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
}

/// `--format`.
#[derive(Debug, Clone, Args)]
pub struct FormatArg {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `-q`.
#[derive(Debug, Clone, Default, Args)]
pub struct QuietArg {
    /// Print only problems.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `-v`.
#[derive(Debug, Clone, Default, Args)]
pub struct VerboseArg {
    /// Print more detail (the request bodies in a dry run).
    #[arg(short, long)]
    pub verbose: bool,
}

impl Cli {
    /// The flags as the commands read them (see [`Global`]).
    pub fn global(&self) -> Global {
        let none = (
            &AtArg::default(),
            &OnlyArg::default(),
            &ChannelArg::default(),
            None,
            &QuietArg::default(),
            &VerboseArg::default(),
        );
        let (at, only, channel, format, quiet, verbose) = match &self.command {
            Command::Check {
                at,
                only,
                channel,
                format,
                quiet,
            } => (at, only, channel, Some(format), quiet, none.5),
            Command::Publish {
                at,
                only,
                channel,
                format,
                quiet,
                verbose,
                ..
            } => (at, only, channel, Some(format), quiet, verbose),
            Command::Preview {
                at,
                only,
                channel,
                format,
                ..
            } => (at, only, channel, Some(format), none.4, none.5),
            Command::Doctor {
                channel,
                format,
                quiet,
            } => (none.0, none.1, channel, Some(format), quiet, none.5),
            Command::Status {
                at,
                only,
                channel,
                format,
            } => (at, only, channel, Some(format), none.4, none.5),
            Command::Audit {
                only,
                channel,
                format,
                quiet,
                ..
            } => (none.0, only, channel, Some(format), quiet, none.5),
            Command::New { at, .. } => (at, none.1, none.2, none.3, none.4, none.5),
            Command::Resolve { .. } => none,
            Command::Approve {
                at, only, quiet, ..
            } => (at, only, none.2, none.3, quiet, none.5),
        };
        Global {
            root: self.repository.root.clone(),
            config: self.repository.config.clone(),
            at: at.at.clone(),
            only: only.only.clone(),
            channel: channel.channel.clone(),
            format: format.map_or(Format::Text, |f| f.format),
            quiet: quiet.quiet,
            verbose: verbose.verbose,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    /// `preview`: a summary table for a CI job summary (other commands print text).
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every announcement, template and the configuration; render every post.
    Check {
        #[command(flatten)]
        at: AtArg,
        #[command(flatten)]
        only: OnlyArg,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        format: FormatArg,
        #[command(flatten)]
        quiet: QuietArg,
    },
    /// Publish what is due; with --dry-run, print exactly what would be sent.
    Publish {
        /// Print what would be sent; send nothing and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also send what is more than `max_delay` late (normally reported as missed).
        #[arg(long)]
        allow_late: bool,
        /// Send one copy of each variant to this reviewer instead of the email lists;
        /// everything else is a dry run. With --only ID, also before it is due or approved.
        #[arg(long, value_name = "ADDRESS")]
        test_to: Option<String>,
        #[command(flatten)]
        at: AtArg,
        #[command(flatten)]
        only: OnlyArg,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        format: FormatArg,
        #[command(flatten)]
        quiet: QuietArg,
        #[command(flatten)]
        verbose: VerboseArg,
    },
    /// Check, then write a page showing every post as it will look (or a Markdown summary).
    Preview {
        /// Where to write `index.html` (default: `preview/` in the repository).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Allow `--out` to name a folder outside the repository.
        #[arg(long)]
        outside_root: bool,
        /// With `--format markdown` in a pull request's workflow run: post the preview as
        /// Herald's one comment on the pull request (updated on every push), or put it in
        /// the job summary when the run may not comment (a fork).
        #[arg(long)]
        comment: bool,
        /// The address of the full preview page, linked from the comment.
        #[arg(long, value_name = "URL")]
        page_url: Option<String>,
        #[command(flatten)]
        at: AtArg,
        #[command(flatten)]
        only: OnlyArg,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Check each channel against its platform, read-only: credentials, account, limits.
    Doctor {
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        format: FormatArg,
        #[command(flatten)]
        quiet: QuietArg,
    },
    /// Show, per announcement and channel, what has happened and what will.
    Status {
        #[command(flatten)]
        at: AtArg,
        #[command(flatten)]
        only: OnlyArg,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        format: FormatArg,
    },
    /// For every post that went out: its history (published, corrected, retracted), who
    /// approved each step, the content hashes, and its addresses as they are now.
    Audit {
        /// Write each announcement's record for an archivist into DIR (created if
        /// missing): `<id>.json` and a readable `<id>.html` with the exact texts.
        #[arg(long, value_name = "DIR")]
        archive: Option<PathBuf>,
        #[command(flatten)]
        only: OnlyArg,
        #[command(flatten)]
        channel: ChannelArg,
        #[command(flatten)]
        format: FormatArg,
        #[command(flatten)]
        quiet: QuietArg,
    },
    /// Create a new announcement file (one per language).
    New {
        /// A short name for the file, e.g. `summer-festival`.
        slug: String,
        /// Languages to create variants for (default: the configured default language).
        #[arg(long, value_delimiter = ',')]
        lang: Vec<String>,
        #[command(flatten)]
        at: AtArg,
    },
    /// Record what a person found out about a post that is in doubt or failed.
    #[command(group(clap::ArgGroup::new("outcome").required(true).args(["posted", "not_posted", "resend_in_doubt", "drop_in_doubt"])))]
    Resolve {
        /// The announcement id.
        id: String,
        /// The channel name.
        channel: String,
        /// It did go out: its public address.
        #[arg(long, value_name = "URL")]
        posted: Option<String>,
        /// It did not go out: Herald may send it again.
        #[arg(long)]
        not_posted: bool,
        /// An email list's recipients in doubt get the message: the next run sends it to
        /// them (and to nobody who got it).
        #[arg(long, conflicts_with_all = ["lang", "part"])]
        resend_in_doubt: bool,
        /// An email list's recipients in doubt are left as they are (never sent again),
        /// and the list is recorded as posted.
        #[arg(long, conflicts_with_all = ["lang", "part"])]
        drop_in_doubt: bool,
        /// The language variant, when the announcement has several.
        #[arg(long)]
        lang: Option<String>,
        /// The thread part, when several parts are in doubt.
        #[arg(long)]
        part: Option<u32>,
    },
    /// Stamp announcement files as approved by you.
    Approve {
        /// The announcement files to approve.
        #[arg(required_unless_present = "all_pending")]
        files: Vec<PathBuf>,
        /// Approve every variant that is new or changed, after showing them.
        #[arg(long, conflicts_with = "files")]
        all_pending: bool,
        /// Do not ask for confirmation (for scripts).
        #[arg(long)]
        yes: bool,
        /// Your email address as listed in `approvers` (default: git config user.email).
        #[arg(long, value_name = "EMAIL")]
        by: Option<String>,
        #[command(flatten)]
        at: AtArg,
        #[command(flatten)]
        only: OnlyArg,
        #[command(flatten)]
        quiet: QuietArg,
    },
}
