//! An email list sent over SMTP. Each subscriber gets the variant in their language.
//! The settings and the sending live in [`crate::email`], the list send in
//! [`crate::engine::list`]; this is the channel face of it: its configuration, the dry
//! run's request and `herald doctor`.

use super::send::{BoxFuture, Finding, Outgoing, Receipt, SendError, Sender, secret};
use super::{Base, Channel, ConfigProblem, Kind, Request, SecretRef, SendContext};
use crate::email::{Config, Secrets, Tls, subscribers};
use crate::render::Post;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

pub struct Email {
    base: Base,
    config: Config,
}

impl Email {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let config: Config = super::settings(table)?;
        let problems: Vec<ConfigProblem> = config
            .validate()
            .into_iter()
            .map(|p| ConfigProblem::at(p.key, p.message))
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Email { base, config }))
    }
}

impl Channel for Email {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Email
    }
    fn email(&self) -> Option<&Config> {
        Some(&self.config)
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        let c = &self.config;
        let mut out = vec![
            SecretRef {
                what: "subscriber list path",
                env: &c.subscribers_env,
            },
            SecretRef {
                what: "list secret for subscriber ids and unsubscribe tokens",
                env: &c.secret_env,
            },
        ];
        let optional = [
            (&c.password_env, "SMTP password"),
            (&c.dkim_key_env, "DKIM private key"),
            (&c.suppression_env, "suppression list path"),
        ];
        for (env, what) in optional {
            if let Some(env) = env {
                out.push(SecretRef { what, env });
            }
        }
        out
    }
    fn connect(&self, ctx: &SendContext<'_>) -> Result<Box<dyn Sender>, String> {
        Ok(Box::new(Check::new(&self.config, ctx)))
    }
}

/// `herald doctor` for one list: the server (connect, EHLO, STARTTLS, AUTH), the
/// subscriber and suppression files (counts only), the DKIM key. Sends nothing.
struct Check {
    config: Config,
    env: BTreeMap<String, String>,
    root: PathBuf,
}

impl Check {
    fn new(config: &Config, ctx: &SendContext<'_>) -> Check {
        let mut wanted: Vec<&String> = vec![&config.subscribers_env, &config.secret_env];
        wanted.extend(
            [
                &config.password_env,
                &config.dkim_key_env,
                &config.suppression_env,
            ]
            .into_iter()
            .flatten(),
        );
        Check {
            config: config.clone(),
            env: wanted
                .into_iter()
                .filter_map(|k| ctx.env.get(k).map(|v| (k.clone(), v.clone())))
                .collect(),
            root: ctx.root.to_owned(),
        }
    }

    async fn run(&self) -> Vec<Finding> {
        let c = &self.config;
        let mut out = Vec::new();
        let secrets = match Secrets::read(c, |name, what| secret(&self.env, name, what)) {
            Ok(s) => s,
            Err(e) => return vec![Finding::error(e)],
        };
        if c.dkim_key_env.is_some() {
            out.push(Finding::ok(format!(
                "the DKIM key parses; publish its public key as TXT `{}._domainkey.{}`",
                c.dkim_selector.as_deref().unwrap_or_default(),
                c.dkim_domain()
            )));
        } else {
            out.push(Finding::warning(
                "no DKIM key (`dkim_key_env`, `dkim_selector`): Gmail and Yahoo expect bulk mail signed, and offer one-click unsubscribe only with a signature",
            ));
        }
        let suppression = match &secrets.suppression {
            Some(path) => {
                let shown = subscribers::shown_name(path);
                match subscribers::Suppression::read(path, &shown, &secrets.keys) {
                    Ok((s, problems)) => {
                        out.push(Finding::ok(format!(
                            "suppression list {shown}: {} entries",
                            s.len()
                        )));
                        for p in problems.into_iter().take(5) {
                            out.push(Finding::warning(p));
                        }
                        s
                    }
                    Err(e) => {
                        out.push(Finding::error(e));
                        subscribers::Suppression::default()
                    }
                }
            }
            None => subscribers::Suppression::default(),
        };
        out.extend(count_subscribers(&secrets, &suppression));
        let timeout = Duration::from_secs(20);
        match crate::email::transport(c, secrets.password.as_ref(), &self.root, timeout) {
            Err(e) => out.push(Finding::error(e)),
            Ok(t) => match t.test_connection().await {
                Ok(true) => out.push(Finding::ok(format!(
                    "{} accepts the connection{}",
                    c.server(),
                    match (&c.smtp_user, c.tls) {
                        (Some(_), Tls::None) => " and the login (unencrypted)",
                        (Some(_), _) => " over TLS and the login",
                        (None, Tls::None) => " (unencrypted, no login)",
                        (None, _) => " over TLS (no login configured)",
                    }
                ))),
                Ok(false) => out.push(Finding::error(format!(
                    "{}: connected, but the connection did not work",
                    c.server()
                ))),
                Err(e) => out.push(Finding::error(format!(
                    "{}: {}",
                    c.server(),
                    crate::email::send::connection_problem(&e)
                ))),
            },
        }
        out
    }
}

fn count_subscribers(secrets: &Secrets, suppression: &subscribers::Suppression) -> Vec<Finding> {
    let mut reader =
        match subscribers::Reader::open(&secrets.subscribers, &secrets.keys, suppression) {
            Ok(r) => r,
            Err(e) => return vec![Finding::error(e)],
        };
    let shown = subscribers::shown_name(&secrets.subscribers);
    let (mut valid, mut invalid, mut duplicates, mut suppressed) = (0u64, 0u64, 0u64, 0u64);
    let mut problems = Vec::new();
    while let Some(next) = reader.next_line() {
        match next {
            Err(e) => return vec![Finding::error(e)],
            Ok((_, subscribers::Line::Subscriber(_))) => valid += 1,
            Ok((_, subscribers::Line::Problem(p))) => {
                invalid += 1;
                if problems.len() < 5 {
                    problems.push(Finding::warning(p));
                }
            }
            Ok((_, subscribers::Line::Duplicate)) => duplicates += 1,
            Ok((_, subscribers::Line::Suppressed)) => suppressed += 1,
        }
    }
    let mut out = vec![Finding::ok(format!(
        "subscriber list {shown}: {valid} valid, {invalid} invalid, {duplicates} duplicate, {suppressed} suppressed"
    ))];
    if valid == 0 {
        out[0] = Finding::error(format!(
            "subscriber list {shown}: no valid subscriber ({invalid} invalid, {duplicates} duplicate, {suppressed} suppressed)"
        ));
    }
    out.extend(problems);
    out
}

/// Email lists are sent whole by [`crate::engine::list`]; as a [`Sender`] a list only
/// answers `herald doctor`.
impl Sender for Check {
    fn send<'a>(&'a self, _part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async {
            Err(SendError::permanent(
                "email lists are sent as a whole list, not part by part",
            ))
        })
    }

    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(self.run())
    }
}

/// The message a list would send in `post`'s language, as the dry run shows it (email
/// lists are sent by [`crate::email`], not by a per-part sender).
pub fn request(c: &Config, post: &Post) -> Request {
    let mut headers = json!({
        "From": c.from,
        "To": format!("<each subscriber whose language is {}>", post.variant.lang),
        "Subject": post.subject.clone().unwrap_or_default(),
        "List-Id": format!("<{}>", c.list_id),
        "List-Unsubscribe": format!("<{}>", c.unsubscribe_url.replace("{token}", "<personal token>")),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    });
    if let Some(reply_to) = &c.reply_to {
        headers["Reply-To"] = Value::String(reply_to.clone());
    }
    let action = match c.tls {
        Tls::None => format!("SEND {} (unencrypted, this machine only)", c.server()),
        _ => format!("SEND {}", c.server()),
    };
    Request {
        action,
        body: json!({
            "headers": headers,
            "text": post.parts.first().map(|p| p.text.as_str()).unwrap_or(""),
            "html": post.html.clone().unwrap_or_default(),
        }),
    }
}
