//! Email lists: one approved announcement to every subscriber of a list, each in their
//! own language, exactly once even across crashes (SPEC §7).
//!
//! A library: it knows SMTP, subscribers and the send log, and nothing of channels, the
//! engine, commands or settings; what it needs comes in as plain values.
//! [`subscribers`] streams and checks the CSV, [`message`] builds each subscriber's
//! message from the letters the caller rendered, [`send`] sends them over a few SMTP
//! connections ([`connector`]) while [`sendlog`] records each one before and after.
//! `crate::engine::list` makes a list send a job of `herald publish`; the channel face
//! (`herald doctor`, the dry run's requests) is `crate::channel`'s `email` kind.

mod config;
pub mod connector;
pub(crate) mod identity;
pub mod message;
mod progress;
pub mod send;
pub mod sendlog;
pub mod subscribers;

pub use config::{Config, Problem, Tls};
pub use identity::{Keyring, SubscriberId};
pub use progress::Progress;

use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls as LettreTls, TlsParameters};
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Puts the send log where it must be before a batch is sent (the state branch's
/// remote, [`crate::state`]); called by the send log's writer after each flush that a
/// batch waits for. An error stops the send: nothing leaves without its mark there.
pub type Push = std::sync::Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// What a list needs from the environment, read and checked.
pub struct Secrets {
    pub keys: Keyring,
    pub password: Option<SecretString>,
    pub dkim: Option<lettre::message::dkim::DkimConfig>,
    pub subscribers: PathBuf,
    pub suppression: Option<PathBuf>,
}

impl Secrets {
    /// Reads every variable `config` names with `secret(variable, what it holds)`; the
    /// first problem is the error.
    pub fn read(
        config: &Config,
        secret: impl Fn(&str, &str) -> Result<SecretString, String>,
    ) -> Result<Secrets, String> {
        let keys = Keyring::new(secret(&config.secret_env, "list secret")?, &config.list_id);
        let password = match &config.password_env {
            Some(name) => Some(secret(name, "SMTP password")?),
            None => None,
        };
        let dkim = match (&config.dkim_key_env, &config.dkim_selector) {
            (Some(name), Some(selector)) => {
                let key = secret(name, "DKIM key")?;
                Some(
                    message::dkim(&key, selector, &config.dkim_domain())
                        .map_err(|e| format!("`{name}`: {e}"))?,
                )
            }
            _ => None,
        };
        let path = |name: &str, what: &str| -> Result<PathBuf, String> {
            secret(name, what).map(|v| PathBuf::from(v.expose_secret()))
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
