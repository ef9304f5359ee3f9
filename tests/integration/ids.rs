//! Ids written as staff write them (issue 19): `herald new jõulutuli` makes a safe id by
//! the one transliteration and says what it chose; that id is what every place the id
//! goes carries (Message-ID, record key, tag URI); a hand-made file name with such
//! letters is a check error that names the safe name.

use crate::harness::Repo;

const CONFIG: &str = r#"
[channels.site]
kind = "feed"
lang = "et"
title = "City news"
site_url = "https://example.org/news/"

[channels.newsletter]
kind = "email"
lang = "et"
from = "Tartu linn <uudised@tartu.example>"
smtp_host = "127.0.0.1"
smtp_port = 1
tls = "none"
subscribers_env = "TEST_SUBSCRIBERS"
secret_env = "TEST_LIST_SECRET"
list_id = "uudised.tartu.example"
unsubscribe_url = "https://tartu.example/loobu/{token}"
"#;

const NEXT: &str = "next: edit the text, set publish_at and channels, run `herald check`, then ask an approver to run `herald approve`\n";

#[test]
fn new_with_estonian_letters_says_the_id_it_chose() {
    let repo = Repo::new();
    let run = repo.run(&[
        "new",
        "jõulutuli",
        "--lang",
        "et,en",
        "--at",
        "2026-12-01 12:00",
    ]);
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        format!(
            "the id is `2026-12-02-joulutuli`: ids are written without õ because they go into \
             web addresses and email headers\n\
             created announcements/2026-12-02-joulutuli.et.md\n\
             created announcements/2026-12-02-joulutuli.en.md\n{NEXT}"
        )
    );
    // A name that needs no change is not commented on.
    let plain = repo.run(&["new", "summer-festival", "--at", "2026-12-01 12:00"]);
    plain.assert_code(0);
    assert_eq!(
        plain.stdout,
        format!("created announcements/2026-12-02-summer-festival.et.md\n{NEXT}")
    );
}

#[test]
fn new_takes_words_of_every_language_with_capitals_and_spaces() {
    let repo = Repo::new();
    for (written, file, why) in [
        (
            "Pärnu Ööjooks",
            "parnu-oojooks",
            "in small letters, without ä, ö and with `-` between words",
        ),
        (
            "Hämeenlinnan yö",
            "hameenlinnan-yo",
            "in small letters, without ä, ö and with `-` between words",
        ),
        (
            "Nyíregyháza őszi_fesztivál",
            "nyiregyhaza-oszi-fesztival",
            "in small letters, without í, á, ő and with `-` between words",
        ),
        (
            "Gävle Åsen",
            "gavle-asen",
            "in small letters, without ä, å and with `-` between words",
        ),
        (
            "Straße der Grüße",
            "strasse-der-grusse",
            "in small letters, without ß, ü and with `-` between words",
        ),
        (
            "Rīgas Šiaulių",
            "rigas-siauliu",
            "in small letters, without ī, š, ų and with `-` between words",
        ),
        (
            "Łódź smørbrød",
            "lodz-smorbrod",
            "in small letters, without ł, ó, ź, ø and with `-` between words",
        ),
    ] {
        let run = repo.run(&["new", written, "--at", "2026-12-01 12:00"]);
        run.assert_code(0);
        assert_eq!(
            run.stdout,
            format!(
                "the id is `2026-12-02-{file}`: ids are written {why} because they go into web \
                 addresses and email headers\n\
                 created announcements/2026-12-02-{file}.et.md\n{NEXT}"
            ),
            "{written}"
        );
    }
}

#[test]
fn new_refuses_what_no_id_can_hold_and_names_it() {
    let repo = Repo::new();
    let run = repo.run(&["new", "jõulu/tuli.et", "--at", "2026-12-01 12:00"]);
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "error: the name `jõulu/tuli.et` has `/`, `.`, which an id cannot hold: ids go into web \
         addresses and email headers, so use letters, digits, spaces and `-`, e.g. \
         `summer-festival`\n"
    );
    let run = repo.run(&["new", "ёлка", "--at", "2026-12-01 12:00"]);
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "error: the name `ёлка` has `ё`, `л`, `к`, `а`, which an id cannot hold: ids go into \
         web addresses and email headers, so use letters, digits, spaces and `-`, e.g. \
         `summer-festival`\n"
    );
    let files = std::fs::read_dir(repo.path().join("announcements")).unwrap();
    assert_eq!(files.count(), 0, "a refused name made a file");
}

/// After `new`, the id as chosen is the one in the email's Message-ID, the record's key
/// and the feed entry's tag URI.
#[test]
fn the_id_new_chose_is_the_id_everywhere() {
    let repo = Repo::with_config(CONFIG);
    repo.run(&["new", "Jõulutuli", "--at", "2026-12-01 12:00"])
        .assert_code(0);
    let rel = "announcements/2026-12-02-joulutuli.et.md";
    repo.write(
        rel,
        "---\ntitle: \"Jõulutuli süttib\"\npublish_at: 2026-12-02 10:00\nchannels: all\n---\n\
         Raekoja platsil süttib jõulutuli.\n",
    );
    repo.approve(rel);
    let list = tempfile::tempdir().unwrap();
    let subscribers = list.path().join("subscribers.csv");
    std::fs::write(&subscribers, "email,name,lang\nmari@example.net,Mari,et\n").unwrap();
    let env = [
        ("TEST_SUBSCRIBERS", subscribers.to_str().unwrap()),
        ("TEST_LIST_SECRET", "list-secret"),
    ];
    let dry = repo.run_env(
        &["publish", "--dry-run", "-v", "--at", "2026-12-02 10:05"],
        &env,
    );
    dry.assert_code(0);
    let line = |start: &str| {
        dry.stdout
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line `{start}…` in\n{}", dry.stdout))
            .to_owned()
    };
    let message_id = line("│ Message-ID: ");
    assert!(
        message_id.starts_with("│ Message-ID: <herald.2026-12-02-joulutuli.")
            && message_id.ends_with("@tartu.example>"),
        "{message_id}"
    );
    let key = line("\"key\": ");
    assert!(
        key.starts_with("\"key\": \"herald:2026-12-02-joulutuli:et:record_et:1:sha256:"),
        "{key}"
    );
    assert_eq!(
        line("\"tag\": "),
        "\"tag\": \"tag:example.org,2026-12-02:news/et/2026-12-02-joulutuli\","
    );
    assert_eq!(line("\"id\": "), "\"id\": \"2026-12-02-joulutuli\",");
}

/// A file made by hand with such letters: the check names the name to rename it to.
#[test]
fn a_hand_made_file_name_with_accents_is_told_its_safe_name() {
    let repo = Repo::new();
    let text =
        "---\ntitle: Jõulutuli\npublish_at: 2026-12-02 10:00\nchannels: [record_et]\n---\nTekst.\n";
    repo.write("announcements/2026-12-02-jõulutuli.et.md", text);
    repo.write("announcements/Õhtu ÕUES.md", text);
    repo.write("announcements/ёлка.md", text);
    let doc = repo.json(&["check", "--at", "2026-12-01 10:00"], 1);
    let messages: Vec<(String, String)> = doc["announcements"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["diagnostics"].as_array().unwrap().iter())
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_owned(),
                d["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            (
                "announcements/2026-12-02-jõulutuli.et.md".to_owned(),
                "the file name `2026-12-02-jõulutuli.et.md` has `õ`, which an id cannot hold (ids \
                 go into web addresses and email headers): rename the file to \
                 `2026-12-02-joulutuli.et.md`"
                    .to_owned()
            ),
            (
                "announcements/Õhtu ÕUES.md".to_owned(),
                "the file name `Õhtu ÕUES.md` has `Õ`, a space, which an id cannot hold (ids go \
                 into web addresses and email headers): rename the file to `ohtu-oues.md`"
                    .to_owned()
            ),
            (
                "announcements/ёлка.md".to_owned(),
                "the file name `ёлка.md` has `ё`, `л`, `к`, `а`, which an id cannot hold (ids go \
                 into web addresses and email headers): name it `<id>.md` or `<id>.<lang>.md` \
                 with an id of letters, digits, `-` and `_` (e.g. `2026-06-30-city-news.et.md`)"
                    .to_owned()
            ),
        ]
    );
}
