//! Email lists: one approved announcement to every subscriber of a list, each in their
//! own language, exactly once even across crashes (SPEC §7).
//!
//! The pipeline: [`subscribers`] streams and checks the CSV, [`message`] renders the
//! letters and builds each subscriber's message, [`send`] sends them over a few SMTP
//! connections ([`connector`]) while [`sendlog`] records each one before and after, and [`list`] ties a
//! list send into `herald publish` (one ledger record per variant of the list send),
//! the dry run, `--test-to` and `herald doctor`.

mod config;
pub mod connector;
pub(crate) mod identity;
pub mod list;
pub mod message;
mod progress;
pub mod send;
pub mod sendlog;
pub mod subscribers;

pub use config::{Config, Tls};
pub use identity::{Keyring, SubscriberId};
pub use progress::Progress;

use crate::channel::send::{Finding, secret};
use crate::channel::{Base, SendContext};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a list needs from the environment, read and checked.
pub struct Secrets {
    pub keys: Keyring,
    pub password: Option<SecretString>,
    pub dkim: Option<lettre::message::dkim::DkimConfig>,
    pub subscribers: PathBuf,
    pub suppression: Option<PathBuf>,
}

impl Secrets {
    /// Reads every variable `config` names; the first problem is the error.
    pub fn read(config: &Config, env: &BTreeMap<String, String>) -> Result<Secrets, String> {
        let keys = Keyring::new(
            secret(env, &config.secret_env, "list secret")?,
            &config.list_id,
        );
        let password = match &config.password_env {
            Some(name) => Some(secret(env, name, "SMTP password")?),
            None => None,
        };
        let dkim = match (&config.dkim_key_env, &config.dkim_selector) {
            (Some(name), Some(selector)) => {
                let key = secret(env, name, "DKIM key")?;
                Some(
                    message::dkim(&key, selector, &config.dkim_domain())
                        .map_err(|e| format!("`{name}`: {e}"))?,
                )
            }
            _ => None,
        };
        let path = |name: &str, what: &str| -> Result<PathBuf, String> {
            secret(env, name, what).map(|v| PathBuf::from(v.expose_secret()))
        };
        Ok(Secrets {
            keys,
            password,
            dkim,
            subscribers: path(&config.subscribers_env, "subscriber list path")?,
            suppression: match &config.suppression_env {
                Some(name) => Some(path(name, "suppression list path")?),
                None => None,
            },
        })
    }
}

/// The TLS settings for `config` (`None` without TLS).
pub fn tls_parameters(config: &Config, root: &Path) -> Result<Option<TlsParameters>, String> {
    if config.tls == Tls::None {
        return Ok(None);
    }
    let mut params = TlsParameters::builder(config.smtp_host.clone());
    if let Some(ca) = &config.ca_file {
        let path = root.join(ca);
        let pem =
            crate::limits::read_limited(&path, crate::limits::CONFIG_BYTES, "certificate file")
                .map_err(|e| format!("cannot read `ca_file` {}: {e}", path.display()))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| format!("`ca_file` {} is not a PEM certificate: {e}", path.display()))?;
        params = params.add_root_certificate(cert);
    }
    params
        .build_rustls()
        .map(Some)
        .map_err(|e| format!("cannot set up TLS: {e}"))
}

/// The login, when `config` has one.
pub fn credentials(config: &Config, password: Option<&SecretString>) -> Option<Credentials> {
    match (&config.smtp_user, password) {
        (Some(user), Some(password)) => Some(Credentials::new(
            user.clone(),
            password.expose_secret().to_owned(),
        )),
        _ => None,
    }
}

/// lettre's pooled SMTP transport for `config` (doctor and `--test-to`).
pub fn transport(
    config: &Config,
    password: Option<&SecretString>,
    root: &Path,
    timeout: Duration,
) -> Result<send::Transport, String> {
    let tls = match (config.tls, tls_parameters(config, root)?) {
        (Tls::Tls, Some(p)) => LettreTls::Wrapper(p),
        (_, Some(p)) => LettreTls::Required(p),
        (_, None) => LettreTls::None,
    };
    let mut builder = send::Transport::builder_dangerous(config.smtp_host.clone())
        .port(config.port())
        .tls(tls)
        .timeout(Some(timeout))
        .pool_config(PoolConfig::new().min_idle(0).max_size(2));
    if let Some(c) = credentials(config, password) {
        builder = builder.credentials(c);
    }
    Ok(builder.build())
}

/// `herald doctor` for one list: the server (connect, EHLO, STARTTLS, AUTH), the
/// subscriber and suppression files (counts only), the DKIM key. Sends nothing.
pub struct Check {
    config: Config,
    env: BTreeMap<String, String>,
    root: PathBuf,
}

impl Check {
    pub fn new(base: &Base, config: &Config, ctx: &SendContext<'_>) -> Check {
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
        let _ = base;
        Check {
            config: config.clone(),
            env: wanted
                .into_iter()
                .filter_map(|k| ctx.env.get(k).map(|v| (k.clone(), v.clone())))
                .collect(),
            root: ctx.root.to_owned(),
        }
    }

    pub async fn run(&self) -> Vec<Finding> {
        let c = &self.config;
        let mut out = Vec::new();
        let secrets = match Secrets::read(c, &self.env) {
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
        match transport(c, secrets.password.as_ref(), &self.root, timeout) {
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
                    send::connection_problem(&e)
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
