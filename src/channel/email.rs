//! An email list sent over SMTP. Each subscriber gets the variant in their language.

use super::{Base, Channel, ConfigProblem, Kind, Request, Rules, SecretRef, Shape};
use crate::render::Post;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// `Name <address>`.
    from: String,
    reply_to: Option<String>,
    smtp_host: String,
    #[serde(default = "default_port")]
    smtp_port: u16,
    #[serde(default)]
    tls: Tls,
    smtp_user: Option<String>,
    password_env: Option<String>,
    /// The variable holding the path of the subscriber CSV (`email,name,lang`).
    subscribers_env: String,
    /// `List-Id`, e.g. `news.tartu.ee`.
    list_id: String,
    /// The personal unsubscribe link; `{token}` is replaced per subscriber.
    unsubscribe_url: String,
}

fn default_port() -> u16 {
    587
}

#[derive(Debug, Default, Clone, Copy, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
enum Tls {
    /// STARTTLS required (port 587).
    #[default]
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
}

pub struct Email {
    base: Base,
    settings: Settings,
}

impl Email {
    pub fn build(
        base: Base,
        table: Map<String, Value>,
    ) -> Result<Box<dyn Channel>, Vec<ConfigProblem>> {
        let settings: Settings = super::settings(table)?;
        let mut problems = Vec::new();
        if !settings.unsubscribe_url.contains("{token}") {
            problems.push(ConfigProblem::at(
                "unsubscribe_url",
                "`unsubscribe_url` must contain `{token}`, which becomes each subscriber's personal unsubscribe token",
            ));
        } else if let Err(why) =
            crate::announcement::check_url(&settings.unsubscribe_url.replace("{token}", "t"))
        {
            problems.push(ConfigProblem::at(
                "unsubscribe_url",
                format!("`unsubscribe_url` {why}"),
            ));
        }
        if settings.smtp_user.is_some() != settings.password_env.is_some() {
            problems.push(ConfigProblem::at(
                "smtp_user",
                "set both `smtp_user` and `password_env`, or neither",
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Box::new(Email { base, settings }))
    }
}

impl Channel for Email {
    fn base(&self) -> &Base {
        &self.base
    }
    fn kind(&self) -> Kind {
        Kind::Email
    }
    fn multilingual(&self) -> bool {
        true
    }
    fn rules(&self) -> Rules {
        super::unlimited_rules(Shape::Email, 20)
    }
    fn secrets(&self) -> Vec<SecretRef<'_>> {
        let mut out = vec![SecretRef {
            what: "subscriber list path",
            env: &self.settings.subscribers_env,
        }];
        if let Some(env) = &self.settings.password_env {
            out.push(SecretRef {
                what: "SMTP password",
                env,
            });
        }
        out
    }
    fn requests(&self, post: &Post) -> Vec<Request> {
        let s = &self.settings;
        let scheme = match s.tls {
            Tls::Starttls => "smtp",
            Tls::Tls => "smtps",
        };
        let mut headers = json!({
            "From": s.from,
            "To": format!("<each subscriber whose language is {}>", post.variant.lang),
            "Subject": post.subject.clone().unwrap_or_default(),
            "List-Id": format!("<{}>", s.list_id),
            "List-Unsubscribe": format!("<{}>", s.unsubscribe_url.replace("{token}", "<personal token>")),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        });
        if let Some(reply_to) = &s.reply_to {
            headers["Reply-To"] = Value::String(reply_to.clone());
        }
        vec![Request {
            action: format!("SEND {scheme}://{}:{}", s.smtp_host, s.smtp_port),
            body: json!({
                "headers": headers,
                "text": post.parts.first().map(|p| p.text.as_str()).unwrap_or(""),
                "html": post.html.clone().unwrap_or_default(),
            }),
        }]
    }
}
