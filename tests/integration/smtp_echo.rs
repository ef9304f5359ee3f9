//! An SMTP server that quotes the login back in its refusals: neither the password nor
//! the base64 forms AUTH sends it in may reach the report, the ledger or any file.

use crate::harness::Repo;
use base64::Engine as _;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const PASSWORD: &str = "smtp-pw-echo-31f7";
const USER: &str = "uudised@example.org";

/// How the server quotes what it was sent.
#[derive(Clone, Copy)]
enum Echo {
    /// Refuses the login, quoting the AUTH line.
    RefuseAuth,
    /// Takes the login, then refuses each recipient for good, quoting the login.
    RefuseRecipient,
    /// …or for now (4xx), quoting it too.
    DeferRecipient,
}

/// Starts the server; returns its port and the lines it received.
fn serve(echo: Echo) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut out = stream.try_clone().unwrap();
                let mut auth = String::new();
                let _ = out.write_all(b"220 echo.example ESMTP\r\n");
                let mut data = false;
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { return };
                    log.lock().unwrap().push(line.clone());
                    if data {
                        if line == "." {
                            data = false;
                            let _ = out.write_all(b"250 queued\r\n");
                        }
                        continue;
                    }
                    let upper = line.to_ascii_uppercase();
                    let reply = if upper.starts_with("EHLO") {
                        "250-echo.example\r\n250 AUTH PLAIN LOGIN".to_owned()
                    } else if upper.starts_with("AUTH") {
                        auth = line.clone();
                        match echo {
                            Echo::RefuseAuth => format!("535 5.7.8 bad credentials in `{line}`"),
                            _ => "235 2.7.0 ok".to_owned(),
                        }
                    } else if upper.starts_with("RCPT") {
                        match echo {
                            Echo::DeferRecipient => {
                                format!("451 4.3.0 try later ({auth}, {PASSWORD})")
                            }
                            _ => format!("550 5.7.1 not for you ({auth}, {PASSWORD})"),
                        }
                    } else if upper.starts_with("DATA") {
                        data = true;
                        "354 go ahead".to_owned()
                    } else if upper.starts_with("QUIT") {
                        let _ = out.write_all(b"221 bye\r\n");
                        return;
                    } else {
                        "250 ok".to_owned()
                    };
                    let _ = out.write_all(format!("{reply}\r\n").as_bytes());
                }
            });
        }
    });
    (port, seen)
}

#[test]
fn an_smtp_server_quoting_the_login_never_puts_it_in_any_output_or_file() {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let forms = [
        PASSWORD.to_owned(),
        b64(PASSWORD),
        b64(&format!("\0{USER}\0{PASSWORD}")),
    ];
    for echo in [
        Echo::RefuseAuth,
        Echo::RefuseRecipient,
        Echo::DeferRecipient,
    ] {
        let (port, seen) = serve(echo);
        let repo = Repo::with_config(&format!(
            "[channels.news]\nkind = \"email\"\nlang = \"et\"\nfrom = \"Linn <{USER}>\"\n\
             smtp_host = \"127.0.0.1\"\nsmtp_port = {port}\ntls = \"none\"\n\
             smtp_user = \"{USER}\"\npassword_env = \"ECHO_SMTP_PASSWORD\"\n\
             subscribers_env = \"ECHO_SUBSCRIBERS\"\nsecret_env = \"ECHO_LIST_SECRET\"\n\
             list_id = \"uudised.example.org\"\nunsubscribe_url = \"https://example.org/u/{{token}}\"\n\
             \n[publish]\nretry_base = \"10ms\"\nretries_per_run = 1\n"
        ));
        repo.write(
            "announcements/news.et.md",
            "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [news]\n---\nTekst.\n",
        );
        repo.approve("announcements/news.et.md");
        let list = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(list.path(), "email,name,lang\nmari@example.org,Mari,et\n").unwrap();
        let path = list.path().display().to_string();
        let env = [
            ("ECHO_SMTP_PASSWORD", PASSWORD),
            ("ECHO_SUBSCRIBERS", path.as_str()),
            ("ECHO_LIST_SECRET", "list-secret-echo"),
        ];
        let mut shown = String::new();
        for args in [
            &["publish", "--at", "2026-06-30 10:05"][..],
            &["publish", "--at", "2026-06-30 10:05", "--format", "json"],
            &["status"],
            &["doctor"],
            &["publish", "--test-to", "me@example.org", "--only", "news"],
        ] {
            let run = repo.run_env(args, &env);
            shown.push_str(&run.stdout);
            shown.push_str(&run.stderr);
        }
        // The server really was asked to log in and said it back.
        let received = seen.lock().unwrap().join("\n");
        assert!(
            received.contains(&format!("AUTH PLAIN {}", forms[2]))
                || received.contains("AUTH LOGIN"),
            "{received}"
        );
        assert!(
            shown.contains("$ECHO_SMTP_PASSWORD"),
            "the refusal is shown, scrubbed: {shown}"
        );
        let files = repo.written_text();
        for form in &forms {
            assert!(
                !shown.contains(form.as_str()),
                "{form} in the output: {shown}"
            );
            assert!(!files.contains(form.as_str()), "{form} in a file");
        }
    }
}
