//! The plan: everything the commands work from, built once per run. It loads the
//! settings, the announcements and the templates ([`Instance::load`]), renders each
//! variant for each of its channels with the checks that read what goes out (the
//! placeholders of `herald new`, the house rules; a file with errors is rendered for
//! its problems only) and decides its approval ([`Instance::plan`]), and
//! says what happens to each post now ([`fate`]). The commands only print a plan or hand
//! its due posts to the engine; nothing below the commands decides a post's fate.

pub mod change;
pub mod digest;
pub mod fate;
pub mod jobs;
pub mod review;

use crate::announcement::{Announcement, ChannelSelection, LoadContext, Variant};
use crate::approval::{self, State};
use crate::channel::Channel;
use crate::cli::Global;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::render::{self, Post, Prepared, Templates};
use crate::settings::Settings;
use jiff::Timestamp;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

pub use fate::Fate;

/// A usage or configuration error: printed, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub Vec<String>);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for UsageError {}

pub fn load_settings(
    global: &Global,
    root: &std::path::Path,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<Settings> {
    Settings::load(root, global.config.as_deref(), env).map_err(|diags| {
        // Each problem is printed in its own `path:line:col: error: …` form, not behind
        // the binary's `error:` prefix (which would say `error:` twice); the summary is.
        let mut err = std::io::stderr().lock();
        for d in diags.iter() {
            let _ = writeln!(err, "{d}");
        }
        UsageError(vec![format!(
            "the configuration has {} problem(s); fix them and run herald again",
            diags.error_count()
        )])
        .into()
    })
}

/// The instance as loaded: settings, announcements and templates, plus every problem
/// found on the way.
pub struct Instance {
    pub settings: Settings,
    pub announcements: Vec<Announcement>,
    pub templates: Templates,
    /// Problems that belong to no single variant (templates, duplicate files).
    pub diagnostics: Diagnostics,
    pub now: Timestamp,
    /// Whether the Git history that approvals need is whole.
    pub history: approval::History,
    /// Channel name → kind.
    channel_kinds: BTreeMap<String, &'static str>,
}

/// One variant with its state and its posts, one per target channel.
pub struct Planned<'a> {
    pub variant: &'a Variant,
    pub state: State,
    /// The state with its reason and the content hash.
    pub verdict: approval::Verdict,
    pub posts: Vec<Post<'a>>,
    /// The variant's own problems and those of its posts, sorted, without repeats.
    pub diagnostics: Vec<Diagnostic>,
}

impl Instance {
    pub fn load(
        global: &Global,
        root: PathBuf,
        env: &BTreeMap<String, String>,
        deepen_history: bool,
    ) -> anyhow::Result<Instance> {
        let settings = load_settings(global, &root, env)?;
        let now = match &global.at {
            None => Timestamp::now(),
            Some(text) => crate::time::parse_time(text, &settings.tz)
                .map_err(|e| UsageError(vec![format!("--at: {e}")]))?,
        };
        if let Some(name) = &global.channel
            && settings.channel(name).is_none()
        {
            let names = settings.channel_names();
            return Err(UsageError(vec![format!(
                "--channel: no channel `{name}` in {}{}",
                settings.config_path.display(),
                crate::suggest::did_you_mean(name, names.iter().map(String::as_str))
            )])
            .into());
        }
        let names = settings.channel_names();
        let ctx = LoadContext {
            root: &settings.root,
            dir: &settings.announcements_dir,
            tz: &settings.tz,
            default_lang: &settings.default_lang,
            channel_names: &names,
        };
        let (mut announcements, mut diagnostics) = crate::announcement::load_all(&ctx);
        if let Some(only) = &global.only {
            announcements.retain(|a| &a.id == only);
            if announcements.is_empty() {
                return Err(UsageError(vec![format!(
                    "--only: no announcement with the id `{only}`"
                )])
                .into());
            }
        }
        for a in &mut announcements {
            for v in &mut a.variants {
                check_languages(&settings, v);
                check_reach(&settings, v);
            }
        }
        let (templates, template_diags) = Templates::load(&settings.root, &settings.templates_dir);
        diagnostics.extend(template_diags);
        let history = approval::History::inspect(&settings.root, &settings.policy, deepen_history);
        let channel_kinds = settings
            .channels
            .iter()
            .map(|c| (c.name().to_owned(), c.kind().name()))
            .collect();
        Ok(Instance {
            settings,
            announcements,
            templates,
            diagnostics,
            now,
            history,
            channel_kinds,
        })
    }

    /// What re-reading front matter (an older version from Git) needs.
    pub fn field_context<'a>(
        &'a self,
        names: &'a [String],
    ) -> crate::announcement::FieldContext<'a> {
        crate::announcement::FieldContext {
            root: &self.settings.root,
            tz: &self.settings.tz,
            channel_names: names,
        }
    }

    /// What deciding an approval needs besides the variant.
    fn approval_context<'a>(
        &'a self,
        fields: &'a crate::announcement::FieldContext<'a>,
    ) -> approval::Context<'a> {
        approval::Context {
            fields,
            history: &self.history,
            config_path: &self.settings.config_path,
            templates_dir: &self.settings.templates_dir,
            channel_kinds: &self.channel_kinds,
        }
    }

    /// The commits that may have brought `v`'s current content (`hash`) to the branch,
    /// newest first ([`approval::content_commits`]).
    pub fn content_commits(&self, v: &Variant, hash: &str) -> Result<Vec<String>, String> {
        let names = self.settings.channel_names();
        let fields = self.field_context(&names);
        approval::content_commits(&self.approval_context(&fields), v, hash)
    }

    pub fn variants(&self) -> impl Iterator<Item = &Variant> {
        self.announcements.iter().flat_map(|a| a.variants.iter())
    }

    /// The channels `v` goes to (before skips), honouring `--channel`.
    pub fn targets<'a>(&'a self, v: &Variant, only: Option<&str>) -> Vec<&'a dyn Channel> {
        let s = &self.settings;
        let chosen: Vec<&dyn Channel> = match &v.front.channels {
            ChannelSelection::None => Vec::new(),
            ChannelSelection::All => s
                .channels
                .iter()
                .filter(|c| c.multilingual() || c.lang() == v.lang)
                .map(|c| c.as_ref())
                .collect(),
            ChannelSelection::Named(names) => names.iter().filter_map(|n| s.channel(n)).collect(),
        };
        chosen
            .into_iter()
            .filter(|c| only.is_none_or(|o| c.name() == o))
            .collect()
    }

    /// The configured channel `post` was rendered for.
    pub fn channel_of(&self, post: &Post<'_>) -> &dyn Channel {
        self.settings
            .channel(post.channel.name())
            .expect("posts are rendered for configured channels")
    }

    /// Renders every variant for each of its channels.
    pub fn plan(&self, only_channel: Option<&str>) -> Vec<Planned<'_>> {
        self.plan_where(only_channel, |_| true)
    }

    /// Renders the variants `wanted` picks, for each of their channels.
    pub fn plan_where(
        &self,
        only_channel: Option<&str>,
        wanted: impl Fn(&Variant) -> bool,
    ) -> Vec<Planned<'_>> {
        let s = &self.settings;
        let names = s.channel_names();
        let chosen: Vec<&Variant> = self.variants().filter(|v| wanted(v)).collect();
        crate::parallel::map(&chosen, |&v| {
            let mut diagnostics: Vec<Diagnostic> = v.diagnostics.iter().cloned().collect();
            let shown = crate::diagnostic::display_path(&v.path);
            diagnostics.extend(self.diagnostics.iter().filter(|d| d.path == shown).cloned());
            // Every channel's post is rendered, whatever `--channel` picks: the approval
            // pins them all.
            let all: Vec<Post<'_>> = if v.is_valid() {
                self.render_all(v)
            } else {
                Vec::new()
            };
            if !v.is_valid() && v.readable {
                // One error must not hide another: a file with errors is still rendered
                // for its posts' own problems (too long, an image a network refuses),
                // though none of its posts is shown, pinned or sent.
                for post in self.render_all(v) {
                    if only_channel.is_none_or(|o| post.channel.name() == o) {
                        diagnostics.extend(post.diagnostics);
                    }
                }
            }
            let digests: approval::PostDigests = all
                .iter()
                .filter_map(|p| {
                    Some((
                        p.channel.name().to_owned(),
                        digest::post_digest(p, self.channel_of(p), &s.root)?,
                    ))
                })
                .collect();
            let fields = self.field_context(&names);
            let ctx = self.approval_context(&fields);
            let verdict = approval::verdict(&ctx, v, &s.policy, &digests);
            let state = verdict.state;
            let posts: Vec<Post<'_>> = all
                .into_iter()
                .filter(|p| only_channel.is_none_or(|o| p.channel.name() == o))
                .collect();
            for p in &posts {
                diagnostics.extend(p.diagnostics.iter().cloned());
            }
            if v.readable {
                // Also where no post is rendered (no channels, or a file with errors).
                diagnostics.extend(crate::announcement::placeholder::find(v));
            }
            if v.is_valid() && v.front.channels == ChannelSelection::None {
                diagnostics.push(Diagnostic::warning(
                    &v.path,
                    Some(crate::diagnostic::Pos::new(2, 1)),
                    "no `channels`: this goes nowhere; add `channels: all` or a list of channels",
                ));
            }
            diagnostics.sort_by(|a, b| {
                (&a.path, a.line, a.column, &a.message)
                    .cmp(&(&b.path, b.line, b.column, &b.message))
            });
            diagnostics.dedup();
            Planned {
                variant: v,
                state,
                verdict,
                posts,
                diagnostics,
            }
        })
    }

    /// `v` rendered for each of its channels (before `--channel`), with the checks that
    /// read the rendered text. A variant with errors goes only to the channels of its
    /// own language (a wrong one named in `channels` is reported already).
    fn render_all<'a>(&'a self, v: &'a Variant) -> Vec<Post<'a>> {
        let s = &self.settings;
        let prepared = Prepared::new(v, &s.tz, &s.root);
        // A placeholder left in the file blocks every post of it.
        let placeholders = crate::announcement::placeholder::find(v);
        self.targets(v, None)
            .into_iter()
            .filter(|c| v.is_valid() || c.multilingual() || c.lang() == v.lang)
            .map(|c| {
                let mut post =
                    render::render(&self.templates, &prepared, v, c.target(), s.default_thread);
                if !post.skipped {
                    post.diagnostics.extend(placeholders.iter().cloned());
                    post.diagnostics
                        .extend(crate::rules::check(&s.rules, &post, &s.root));
                }
                post
            })
            .collect()
    }

    /// Problems that belong to no variant: shown once at the top.
    pub fn loose_diagnostics(&self) -> Vec<Diagnostic> {
        let paths: Vec<String> = self
            .variants()
            .map(|v| crate::diagnostic::display_path(&v.path))
            .collect();
        self.diagnostics
            .iter()
            .filter(|d| !paths.contains(&d.path))
            .cloned()
            .collect()
    }

    /// Warnings for secrets whose environment variable is not set, one per channel.
    pub fn missing_secrets(&self, env: &BTreeMap<String, String>) -> Vec<Diagnostic> {
        let s = &self.settings;
        s.channels
            .iter()
            .filter_map(|c| {
                let missing: Vec<String> = c
                    .secrets()
                    .into_iter()
                    .filter(|r| env.get(r.env).is_none_or(|v| v.is_empty()))
                    .map(|r| format!("`{}` ({})", r.env, r.what))
                    .collect();
                (!missing.is_empty()).then(|| {
                    Diagnostic::warning(
                        &s.config_path,
                        s.channel_positions.get(c.name()).copied(),
                        format!(
                            "channel `{}`: {} not set; publishing to it will fail until {}",
                            c.name(),
                            missing.join(", "),
                            if missing.len() == 1 {
                                "it is"
                            } else {
                                "they are"
                            }
                        ),
                    )
                })
            })
            .collect()
    }
}

/// A variant that names a channel of another language is almost certainly a mistake.
fn check_languages(settings: &Settings, v: &mut Variant) {
    let ChannelSelection::Named(names) = &v.front.channels else {
        return;
    };
    for (i, name) in names.iter().enumerate() {
        if let Some(c) = settings.channel(name)
            && !c.multilingual()
            && c.lang() != v.lang
        {
            let pos = v.front.channel_positions.get(i).copied();
            v.diagnostics.push(Diagnostic::error(
                &v.path,
                pos,
                format!(
                    "channel `{name}` posts in `{}`, but this file is in `{}`; list the channel in the `{}` file instead",
                    c.lang(),
                    v.lang,
                    c.lang()
                ),
            ));
        }
    }
}

/// A variant for `channels: all` whose language no channel posts in, and no email list
/// takes, goes nowhere: say which languages the channels have, and the likely mistake.
fn check_reach(settings: &Settings, v: &mut Variant) {
    if !v.readable || v.front.channels != ChannelSelection::All {
        return;
    }
    let channels = &settings.channels;
    if channels
        .iter()
        .any(|c| c.multilingual() || c.lang() == v.lang)
    {
        return;
    }
    let mut by_lang: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in channels {
        by_lang
            .entry(c.lang())
            .or_default()
            .push(format!("`{}`", c.name()));
    }
    let have: Vec<String> = by_lang
        .iter()
        .map(|(lang, names)| format!("`{lang}` ({})", names.join(", ")))
        .collect();
    let have = if have.is_empty() {
        "there are no channels".to_owned()
    } else {
        format!("the channels post in {}", have.join("; "))
    };
    // A channel's code that is a misspelling of this one (`lang = "eng"` for `.en.md`
    // files), else this file's code as a misspelling of a channel's.
    let typo = channels
        .iter()
        .find(|c| crate::announcement::likely_language(c.lang()).as_deref() == Some(&v.lang))
        .map(|c| {
            format!(
                "; channel `{}` has `lang = \"{}\"`: did you mean `{}`?",
                c.name(),
                c.lang(),
                v.lang
            )
        })
        .or_else(|| {
            let primary = v.lang.split('-').next().unwrap_or("");
            let langs: Vec<&str> = by_lang.keys().copied().collect();
            let close = langs.iter().find(|l| **l == primary).copied().or_else(|| {
                // Two-letter codes are all close to each other: only a longer one
                // is a likely typo (`eng`, `ett`).
                (v.lang.len() > 2)
                    .then(|| crate::suggest::closest(&v.lang, langs.iter().copied()))
                    .flatten()
            })?;
            Some(format!(
                "; did you mean `{close}`? (then name the file `{}.{close}.md`)",
                v.id
            ))
        })
        .unwrap_or_default();
    let at = Some(
        v.front
            .lang_position
            .unwrap_or(crate::diagnostic::Pos::START),
    );
    v.diagnostics.push(Diagnostic::warning(
        &v.path,
        at,
        format!(
            "this file is in `{}`, but no channel posts in `{}` and no email list takes it, so it goes nowhere: {have}{typo}",
            v.lang, v.lang
        ),
    ));
}
