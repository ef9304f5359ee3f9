//! An email list sent over SMTP. Each subscriber gets the variant in their language.
//! The settings and the sending live in [`crate::email`]; this is the channel face of it.

use super::send::{BoxFuture, Finding, Outgoing, Receipt, SendError, Sender};
use super::{Base, Channel, ConfigProblem, Kind, Request, SecretRef, SendContext};
use crate::email::{Config, Tls};
use crate::render::Post;
use serde_json::{Map, Value, json};

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
        let problems = config.validate();
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
        Ok(Box::new(ListDoctor {
            check: crate::email::Check::new(&self.base, &self.config, ctx),
        }))
    }
}

/// Email lists are sent whole by [`crate::email`]; as a [`Sender`] a list only answers
/// `herald doctor`.
struct ListDoctor {
    check: crate::email::Check,
}

impl Sender for ListDoctor {
    fn send<'a>(&'a self, _part: &'a Outgoing) -> BoxFuture<'a, Result<Receipt, SendError>> {
        Box::pin(async {
            Err(SendError::permanent(
                "email lists are sent as a whole list, not part by part",
            ))
        })
    }

    fn doctor(&self) -> BoxFuture<'_, Vec<Finding>> {
        Box::pin(self.check.run())
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
