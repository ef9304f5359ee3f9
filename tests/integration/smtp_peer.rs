//! The SMTP test server that `./scripts/test` starts (scripts/peers/smtp.sh): aiosmtpd
//! requiring STARTTLS and AUTH, one Maildir per recipient domain. Tests that need it fail
//! with instructions when it is not running; they are never skipped.

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

pub struct Smtp {
    pub port: u16,
    pub user: String,
    pub pass: String,
    pub ca: String,
    maildirs: PathBuf,
    python: String,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the email tests need the SMTP test server. Run them with `./scripts/test`, \
             or start the server with `. scripts/peers/smtp.sh` in this shell and run the tests again"
        )
    })
}

impl Smtp {
    pub fn get() -> Smtp {
        let smtp = Smtp {
            port: var("HERALD_TEST_SMTP_PORT").parse().expect("a port number"),
            user: var("HERALD_TEST_SMTP_USER"),
            pass: var("HERALD_TEST_SMTP_PASS"),
            ca: var("HERALD_TEST_SMTP_CA"),
            maildirs: PathBuf::from(var("HERALD_TEST_SMTP_MAILDIR")),
            python: var("HERALD_TEST_PYTHON"),
        };
        if std::net::TcpStream::connect(("127.0.0.1", smtp.port)).is_err() {
            panic!(
                "the SMTP test server is not listening on 127.0.0.1:{}; start it with `. scripts/peers/smtp.sh` (./scripts/test does)",
                smtp.port
            );
        }
        smtp
    }

    /// A recipient domain no other test uses: its messages land in their own Maildir.
    pub fn domain(&self, test: &str) -> String {
        format!("{test}-{}-{}.test", std::process::id(), fastrand::u32(..))
    }

    /// The `[channels.NAME]` table for a list on this server; `extra` adds keys.
    pub fn channel(&self, name: &str, extra: &str) -> String {
        format!(
            r#"
[channels.{name}]
kind = "email"
lang = "et"
from = "Tartu linn <uudised@tartu.example>"
reply_to = "press@tartu.example"
smtp_host = "127.0.0.1"
smtp_port = {port}
tls = "starttls"
ca_file = "{ca}"
smtp_user = "{user}"
password_env = "TEST_SMTP_PASSWORD"
subscribers_env = "TEST_SUBSCRIBERS"
secret_env = "TEST_LIST_SECRET"
list_id = "uudised.tartu.example"
unsubscribe_url = "https://tartu.example/loobu/{{token}}"
unsubscribe_mailto = "loobu@tartu.example"
{extra}
"#,
            port = self.port,
            ca = self.ca,
            user = self.user,
        )
    }

    /// Every message received for `domain`, parsed by Python's `email` package; DKIM
    /// verified with dkimpy when `public_key` (base64 DER) is given.
    pub fn received(&self, domain: &str, public_key: Option<&str>) -> Vec<Value> {
        let dir = self.maildirs.join(domain);
        if !dir.exists() {
            return Vec::new();
        }
        let script = crate::harness::project_root().join("tests/email/read_maildir.py");
        let mut cmd = Command::new(&self.python);
        cmd.arg(script).arg(&dir);
        if let Some(k) = public_key {
            cmd.arg(k);
        }
        let out = cmd.output().expect("run tests/email/read_maildir.py");
        assert!(
            out.status.success(),
            "read_maildir.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        match serde_json::from_slice::<Value>(&out.stdout).expect("read_maildir.py prints JSON") {
            Value::Array(v) => v,
            other => panic!("expected a list, got {other}"),
        }
    }
}

/// The value of header `name` (first of that name) of a parsed message.
pub fn header<'a>(m: &'a Value, name: &str) -> Option<&'a str> {
    m["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| h[1].as_str().unwrap())
}

/// A subscriber's id as the send logs write it: the keyed hash of the address under the
/// list's `secret`.
pub fn subscriber_id(secret: &str, address: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("herald-subscriber:{}", address.to_lowercase()).as_bytes());
    mac.finalize().into_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
