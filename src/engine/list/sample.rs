//! A list as the dry run and `--test-to` show it, without sending to the list: the
//! recipients per language (counts only), the whole message for a sample subscriber, and
//! one test copy of each variant to a reviewer.

use super::{Context, ListSend};
use crate::announcement::Variant;
use crate::channel::Channel;
use crate::channel::scrub::Scrubber;
use crate::channel::send::secret;
use crate::email::message::Composer;
use crate::email::subscribers::{self, Line, Subscriber, Suppression};
use crate::email::{Config, Keyring, send};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::time::Duration;

/// A stand-in subscriber for the dry run and `--test-to`.
fn sample(address: &str, keys: &Keyring) -> Subscriber {
    let address: lettre::Address = address.parse().expect("a valid address");
    Subscriber {
        id: keys.id(address.as_ref()),
        address,
        name: String::new(),
        lang: String::new(),
        line: 0,
    }
}

/// The keyring for previews: the real one when its secret is set.
fn preview_keys(config: &Config, env: &BTreeMap<String, String>) -> Keyring {
    let secret = secret(env, &config.secret_env, "list secret")
        .unwrap_or_else(|_| SecretString::from("not-the-list-secret"));
    Keyring::new(secret, &config.list_id)
}

/// The recipients per language, from the subscriber file (counts only).
pub fn count(list: &ListSend<'_>, ctx: &Context<'_>) -> Result<BTreeMap<String, u64>, String> {
    let config = list.config();
    let letters = list.letters(ctx)?;
    let keys = preview_keys(config, ctx.env);
    let path = secret(ctx.env, &config.subscribers_env, "subscriber list path")
        .map(|p| std::path::PathBuf::from(secrecy::ExposeSecret::expose_secret(&p)))?;
    let suppression = match config.suppression_env.as_ref().and_then(|n| ctx.env.get(n)) {
        Some(p) => {
            let p = std::path::Path::new(p);
            Suppression::read(p, &subscribers::shown_name(p), &keys)?.0
        }
        None => Suppression::default(),
    };
    let mut reader = subscribers::Reader::open(&path, &keys, &suppression)?;
    let mut counts: BTreeMap<String, u64> = letters
        .letters
        .iter()
        .map(|l| (l.lang.clone(), 0))
        .collect();
    while let Some(next) = reader.next_line() {
        if let (_, Line::Subscriber(s)) = next? {
            let lang = &letters.letters[letters.pick(&s.lang)].lang;
            *counts.entry(lang.clone()).or_default() += 1;
        }
    }
    Ok(counts)
}

/// The message of `lang` exactly as a subscriber without a name would get it, for the
/// dry run: headers, then the plain text, then the HTML.
pub fn render_sample(list: &ListSend<'_>, ctx: &Context<'_>, lang: &str) -> Result<String, String> {
    let config = list.config();
    let letters = list.letters(ctx)?;
    let keys = preview_keys(config, ctx.env);
    let dkim = match (&config.dkim_key_env, &config.dkim_selector) {
        (Some(env), Some(sel)) => secret(ctx.env, env, "DKIM key")
            .ok()
            .and_then(|k| crate::email::message::dkim(&k, sel, &config.dkim_domain()).ok()),
        _ => None,
    };
    let signed = dkim.is_some();
    let composer = Composer::new(config, keys, dkim);
    let sub = sample("subscriber@example.invalid", &composer.keys);
    let index = letters
        .letters
        .iter()
        .position(|l| l.lang == lang)
        .ok_or_else(|| format!("no `{lang}` variant"))?;
    let letter = &letters.letters[index];
    let message = composer.compose(&letters.id, letters.answers.as_deref(), letter, &sub)?;
    let h = message.headers();
    let mut out = String::new();
    for name in [
        "From",
        "Reply-To",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
        "Content-Language",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Auto-Submitted",
        "Precedence",
    ] {
        if let Some(v) = h.get_raw(name) {
            out.push_str(&format!("{name}: {v}\n"));
        }
    }
    if signed {
        out.push_str(&format!(
            "DKIM-Signature: d={}; s={}; (signed over From, To, Subject, List-Unsubscribe, List-Unsubscribe-Post, …)\n",
            config.dkim_domain(),
            config.dkim_selector.as_deref().unwrap_or_default()
        ));
    }
    let filled = letter.fill("", &composer.unsubscribe_url(&sub));
    out.push_str("\n--- text/plain\n");
    out.push_str(&filled.text);
    out.push_str("\n--- text/html\n");
    out.push_str(&filled.html);
    Ok(out)
}

/// `--test-to`: one copy of each variant to `address`, through the list's server. Nothing
/// is recorded; the list is not read.
/// One line per letter of `list`: whether its test copy went out (`true`), and what to print,
/// with the channel's secrets scrubbed out.
pub async fn test_to(list: &ListSend<'_>, ctx: &Context<'_>, address: &str) -> Vec<(bool, String)> {
    let config = list.config();
    let scrubber = Scrubber::for_channel(&list.channel.secrets(), Some(config), ctx.env);
    send_test_copies(list, ctx, address)
        .await
        .into_iter()
        .map(|(sent, line)| (sent, scrubber.scrub(&line).into_owned()))
        .collect()
}

async fn send_test_copies(
    list: &ListSend<'_>,
    ctx: &Context<'_>,
    address: &str,
) -> Vec<(bool, String)> {
    let config = list.config();
    let name = list.channel.name();
    let fail = |e: String| {
        vec![(
            false,
            format!("{} → {name}: test copy not sent: {e}", list.id),
        )]
    };
    let keys = match secret(ctx.env, &config.secret_env, "list secret") {
        Ok(s) => Keyring::new(s, &config.list_id),
        Err(e) => return fail(e),
    };
    let password = match &config.password_env {
        Some(env) => match secret(ctx.env, env, "SMTP password") {
            Ok(p) => Some(p),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let dkim = match (&config.dkim_key_env, &config.dkim_selector) {
        (Some(env), Some(sel)) => {
            match secret(ctx.env, env, "DKIM key")
                .and_then(|k| crate::email::message::dkim(&k, sel, &config.dkim_domain()))
            {
                Ok(d) => Some(d),
                Err(e) => return fail(e),
            }
        }
        _ => None,
    };
    let letters = match list.letters(ctx) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let timeout = Duration::try_from(ctx.settings.publishing.request_timeout)
        .unwrap_or(Duration::from_secs(30));
    let transport =
        match crate::email::transport(config, password.as_ref(), &ctx.settings.root, timeout) {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
    let composer = Composer::new(config, keys, dkim);
    let sub = sample(address, &composer.keys);
    let mut out = Vec::new();
    for letter in &letters.letters {
        let sent = match composer.compose(&letters.id, letters.answers.as_deref(), letter, &sub) {
            Ok(m) => {
                use lettre::AsyncTransport;
                transport
                    .send(m)
                    .await
                    .map(|_| ())
                    .map_err(|e| send::connection_problem(&e))
            }
            Err(e) => Err(e),
        };
        out.push(match sent {
            Ok(()) => (
                true,
                format!(
                    "{} [{}] → {name}: test copy sent to the --test-to address",
                    list.id, letter.lang
                ),
            ),
            Err(e) => (
                false,
                format!(
                    "{} [{}] → {name}: test copy not sent: {e}",
                    list.id, letter.lang
                ),
            ),
        });
    }
    out
}

/// The dry run's lines for one email post: the recipients in its language and the whole
/// message for a sample subscriber. `siblings` are the due variants of the announcement.
pub fn dry_run_lines(
    channel: &dyn Channel,
    variant: &Variant,
    siblings: &[&Variant],
    ctx: &Context<'_>,
) -> Vec<String> {
    let config = channel.email().expect("an email channel");
    let list = ListSend {
        id: variant.id.clone(),
        channel,
        variants: siblings.iter().map(|v| (*v, String::new())).collect(),
        by: BTreeMap::new(),
        notice: None,
    };
    let mut out = Vec::new();
    if ctx
        .env
        .get(&config.subscribers_env)
        .is_some_and(|v| !v.is_empty())
    {
        match count(&list, ctx) {
            Ok(counts) => out.push(format!(
                "Recipients in `{}`: {} (of {} in all languages)",
                variant.lang,
                counts.get(&variant.lang).copied().unwrap_or(0),
                counts.values().sum::<u64>()
            )),
            Err(e) => out.push(format!("Recipients: cannot count them: {e}")),
        }
    } else {
        out.push(format!(
            "Recipients: set `{}` to the subscriber list's path to count them",
            config.subscribers_env
        ));
    }
    match render_sample(&list, ctx, &variant.lang) {
        Ok(text) => {
            out.push(format!(
                "┌ the `{}` message, for a sample subscriber without a name",
                variant.lang
            ));
            out.extend(text.lines().map(|l| format!("│ {l}")));
            out.push("└".into());
        }
        Err(e) => out.push(format!("cannot render the message: {e}")),
    }
    out
}

/// The dry run's lines for a correction message to a list: how many subscribers get it
/// (those the announcement's send log has as delivered, who got this language) and the
/// whole message for a sample subscriber. `corrected` is the variant as the notice says
/// it (title marked) with its content hash, `sent` the languages the announcement went out in.
pub fn notice_lines(
    channel: &dyn Channel,
    (corrected, hash): (&Variant, &str),
    sent: Vec<String>,
    ctx: &Context<'_>,
) -> Vec<String> {
    let config = channel.email().expect("an email channel");
    let list = ListSend {
        id: corrected.id.clone(),
        channel,
        variants: vec![(corrected, hash.to_owned())],
        by: BTreeMap::new(),
        notice: Some(super::NoticeOf { sent }),
    };
    let lang = &corrected.lang;
    let (what, message) = match corrected.front.retract {
        Some(_) => ("Withdrawal message", "withdrawal message"),
        None => ("Correction", "correction"),
    };
    let mut out = Vec::new();
    if ctx
        .env
        .get(&config.subscribers_env)
        .is_some_and(|v| !v.is_empty())
    {
        match notice_count(&list, ctx) {
            Ok((to, all)) => out.push(format!(
                "{what} to the {to} subscribers who got `{lang}` (of {all} on the list now)"
            )),
            Err(e) => out.push(format!("Recipients: cannot count them: {e}")),
        }
    } else {
        out.push(format!(
            "Recipients: set `{}` to the subscriber list's path to count them",
            config.subscribers_env
        ));
    }
    match render_sample(&list, ctx, lang) {
        Ok(text) => {
            out.push(format!(
                "┌ the `{lang}` {message}, for a sample subscriber without a name"
            ));
            out.extend(text.lines().map(|l| format!("│ {l}")));
            out.push("└".into());
        }
        Err(e) => out.push(format!("cannot render the message: {e}")),
    }
    out
}

/// (who gets the correction, everyone on the list now).
fn notice_count(list: &ListSend<'_>, ctx: &Context<'_>) -> Result<(u64, u64), String> {
    let config = list.config();
    let audience = list
        .audience(&ctx.store.dir())?
        .expect("a correction has an audience");
    let keys = preview_keys(config, ctx.env);
    let path = secret(ctx.env, &config.subscribers_env, "subscriber list path")
        .map(|p| std::path::PathBuf::from(secrecy::ExposeSecret::expose_secret(&p)))?;
    let suppression = match config.suppression_env.as_ref().and_then(|n| ctx.env.get(n)) {
        Some(p) => {
            let p = std::path::Path::new(p);
            Suppression::read(p, &subscribers::shown_name(p), &keys)?.0
        }
        None => Suppression::default(),
    };
    let mut reader = subscribers::Reader::open(&path, &keys, &suppression)?;
    let (mut to, mut all) = (0, 0);
    while let Some(next) = reader.next_line() {
        if let (_, Line::Subscriber(s)) = next? {
            all += 1;
            if audience.includes(&s) {
                to += 1;
            }
        }
    }
    Ok((to, all))
}
