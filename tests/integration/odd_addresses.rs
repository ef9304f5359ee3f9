//! Subscriber addresses that are valid but odd (quoted local parts, IP-literal domains,
//! very long or non-ASCII parts, comments) are judged when the list is read: skipped with
//! their line number, or sent, against the real SMTP test server; never a temporary
//! failure that keeps the list from finishing.

use crate::harness::Repo;
use crate::smtp_peer::Smtp;

#[test]
fn odd_addresses_are_skipped_by_line_or_sent_and_the_list_finishes() {
    let smtp = Smtp::get();
    let d = smtp.domain("odd");
    let long = "a".repeat(64);
    let too_long = "b".repeat(65);
    let list = format!(
        "email,name,lang\n\
         ok1@{d},One,et\n\
         \"\"\"quoted\"\"@{d}\",Quoted,et\n\
         user@[127.0.0.1],Literal,et\n\
         user@[IPv6:::1],Literal6,et\n\
         mäe@{d},Mäe,et\n\
         juri@ü.{d},Jüri,et\n\
         {long}@{d},Long,et\n\
         {too_long}@{d},Too long,et\n\
         john(comment)@{d},Comment,et\n\
         ok2@{d},Two,et\n"
    );
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("subscribers.csv");
    std::fs::write(&path, list).unwrap();
    let path = path.display().to_string();
    let env = [
        ("TEST_SMTP_PASSWORD", smtp.pass.as_str()),
        ("TEST_SUBSCRIBERS", path.as_str()),
        ("TEST_LIST_SECRET", "list-secret-odd"),
    ];
    let repo = Repo::new();
    repo.write(
        "config/herald.toml",
        &format!(
            "timezone = \"Europe/Tallinn\"\napprovers = [\"editor@example.org\"]\n[defaults]\nlang = \"et\"\n[publish]\nretry_base = \"20ms\"\nretries_per_run = 1\n{}",
            smtp.channel("news", "")
        ),
    );
    repo.write(
        "announcements/uudis.et.md",
        "---\ntitle: Uudis\npublish_at: 2026-06-30 10:00\nchannels: [news]\n---\nTekst.\n",
    );
    repo.approve("announcements/uudis.et.md");
    let run = repo.run_env(&["publish", "--at", "2026-06-30 10:05"], &env);
    let out = &run.stdout;
    assert!(!out.contains("not sent yet"), "{out}\n{}", run.stderr);
    for n in [3, 4, 5, 6, 9, 10] {
        assert!(
            out.contains(&format!("subscribers.csv, line {n}: ")),
            "line {n}: {out}"
        );
    }
    for hidden in [
        "\"quoted\"",
        "127.0.0.1",
        "mäe@",
        &too_long,
        "john(comment)",
    ] {
        assert!(
            !out.contains(hidden) && !run.stderr.contains(hidden),
            "{hidden}: {out}"
        );
    }
    run.assert_code(0);
    let mut to: Vec<String> = smtp
        .received(&d, None)
        .iter()
        .map(|m| m["envelope_to"].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            format!("{long}@{d}"),
            format!("ok1@{d}"),
            format!("ok2@{d}")
        ]
    );
    let ascii = idna::domain_to_ascii(&format!("ü.{d}")).unwrap();
    let got = smtp.received(&ascii, None);
    assert_eq!(
        got.len(),
        1,
        "the non-ASCII domain is sent in its xn-- form"
    );
    assert_eq!(got[0]["envelope_to"], format!("juri@{ascii}"));
    // The list is finished: the next run sends nothing and fails nothing.
    let again = repo.run_env(&["publish", "--at", "2026-06-30 10:30"], &env);
    again.assert_code(0);
    assert!(!again.stdout.contains("not sent yet"), "{}", again.stdout);
    assert_eq!(smtp.received(&d, None).len(), 3);
}
