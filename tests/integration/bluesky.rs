//! Publishing to a real Bluesky PDS (`@atproto/pds` with a local did:plc directory), then
//! reading every record back through `com.atproto.repo.*` and `sync.getBlob`.

use crate::harness::{Repo, TINY_PNG, in_flight, posted_lines, publish_on};
use crate::pds::Account;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// A `[channels.NAME]` table posting to `account`.
fn channel(name: &str, lang: &str, account: &Account, password_env: &str) -> String {
    format!(
        "\n[channels.{name}]\nkind = \"bluesky\"\nlang = \"{lang}\"\nservice = \"{}\"\nidentifier = \"{}\"\npassword_env = \"{password_env}\"\n",
        account.pds, account.handle
    )
}

/// The `putRecord` bodies of a dry run, per announcement id, in order.
fn planned_records(dry: &Value) -> BTreeMap<String, Vec<Value>> {
    let mut out = BTreeMap::new();
    for item in dry["due"].as_array().unwrap() {
        let records = item["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"].as_str().unwrap().ends_with("putRecord"))
            .map(|r| r["body"]["record"].clone())
            .collect();
        out.insert(item["id"].as_str().unwrap().to_owned(), records);
    }
    out
}

/// `https://bsky.app/profile/DID/post/RKEY` → `at://DID/app.bsky.feed.post/RKEY`.
fn at_uri(url: &str) -> String {
    let rest = url.strip_prefix("https://bsky.app/profile/").unwrap();
    let (did, rkey) = rest.split_once("/post/").unwrap();
    format!("at://{did}/app.bsky.feed.post/{rkey}")
}

/// Asserts that `stored` (read back from the PDS) is `planned` (the dry run's record) with
/// only the values known at sending filled in: the time, uploaded blobs, reply refs.
fn assert_same_post(
    planned: &Value,
    stored: &Value,
    account: &Account,
    images: &[&Path],
    thread: &[Value],
    publish_at: jiff::Timestamp,
) {
    let mut expected = planned.clone();
    // `createdAt` is the record key's time: the announcement's `publish_at`, a millisecond
    // per thread part, and less than a millisecond of offset.
    let created = stored["createdAt"].as_str().unwrap();
    let created_at: jiff::Timestamp = created.parse().unwrap();
    let after = created_at.duration_since(publish_at);
    assert!(
        after >= jiff::SignedDuration::ZERO && after < jiff::SignedDuration::from_millis(50),
        "createdAt {created}, publish_at {publish_at}"
    );
    assert!(created.ends_with('Z') && created.len() == 24, "{created}");
    expected["createdAt"] = Value::String(created.to_owned());
    if let Some(list) = expected
        .pointer_mut("/embed/images")
        .and_then(Value::as_array_mut)
    {
        for (i, image) in list.iter_mut().enumerate() {
            let blob = &stored["embed"]["images"][i]["image"];
            assert_eq!(blob["$type"], "blob");
            assert_eq!(blob["mimeType"], "image/png");
            let cid = blob["ref"]["$link"].as_str().unwrap();
            let bytes = std::fs::read(images[i]).unwrap();
            assert_eq!(account.blob(cid), bytes, "the stored image is the file");
            assert_eq!(blob["size"], bytes.len());
            image["image"] = blob.clone();
            let size = imagesize::blob_size(&bytes).unwrap();
            image["aspectRatio"] =
                serde_json::json!({ "width": size.width, "height": size.height });
        }
    }
    if expected.get("reply").is_some() {
        let root = &thread[0];
        let parent = thread.last().unwrap();
        expected["reply"] = serde_json::json!({
            "root": { "uri": root["uri"], "cid": root["cid"] },
            "parent": { "uri": parent["uri"], "cid": parent["cid"] },
        });
    }
    assert_eq!(stored, &expected);
}

/// Every facet's byte range lands exactly on what it links: the URL, or `#tag`.
fn assert_facets_on_target(record: &Value) {
    let text = record["text"].as_str().unwrap();
    for facet in record["facets"].as_array().into_iter().flatten() {
        let start = facet["index"]["byteStart"].as_u64().unwrap() as usize;
        let end = facet["index"]["byteEnd"].as_u64().unwrap() as usize;
        let covered = text.get(start..end).expect("facet on UTF-8 boundaries");
        let feature = &facet["features"][0];
        match feature["$type"].as_str().unwrap() {
            "app.bsky.richtext.facet#link" => assert_eq!(covered, feature["uri"]),
            "app.bsky.richtext.facet#tag" => {
                assert_eq!(covered, format!("#{}", feature["tag"].as_str().unwrap()))
            }
            "app.bsky.richtext.facet#mention" => assert!(covered.starts_with('@')),
            other => panic!("unexpected facet {other}"),
        }
    }
}

#[test]
fn the_bundled_examples_read_back_from_a_real_pds_exactly_as_the_dry_run_showed() {
    let et = Account::create("tartu-et");
    let en = Account::create("tartu-en");
    let repo = Repo::examples(&channel("bluesky_en", "en", &en, "BLUESKY_EN_APP_PASSWORD"));
    let env = vec![
        (
            "HERALD_CHANNELS__BLUESKY_ET__SERVICE".to_owned(),
            et.pds.clone(),
        ),
        (
            "HERALD_CHANNELS__BLUESKY_ET__IDENTIFIER".to_owned(),
            et.handle.clone(),
        ),
        (
            "BLUESKY_ET_APP_PASSWORD".to_owned(),
            et.app_password.clone(),
        ),
        (
            "BLUESKY_EN_APP_PASSWORD".to_owned(),
            en.app_password.clone(),
        ),
    ];
    // The handle reaches the records (as their repository), so the approver approves
    // with the account the posts go to.
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    repo.reapprove_examples_with(&pairs);
    let runs = [
        ("bluesky_et", &et, "2022-06-30 10:30"),
        ("bluesky_en", &en, "2022-06-30 10:30"),
        ("bluesky_en", &en, "2022-09-14 10:30"),
    ];
    for (name, account, at) in runs {
        let dry = publish_on(&repo, &env, name, at, true)
            .assert_code(0)
            .json();
        let planned = planned_records(&dry);
        assert_eq!(planned.len(), 1, "one example is due at {at}: {dry:#}");
        let before = account.posts().len();
        let report = publish_on(&repo, &env, name, at, false)
            .assert_code(0)
            .json();
        let rows = report["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1, "{report:#}");
        assert_eq!(rows[0]["result"], "posted", "{report:#}");
        let id = rows[0]["id"].as_str().unwrap();
        let images: Vec<_> = repo
            .read(&format!("announcements/{id}.{}.md", &name[8..]))
            .lines()
            .filter_map(|l| l.trim().strip_prefix("- path: "))
            .map(|p| repo.path().join(p))
            .collect();
        let image_paths: Vec<&Path> = images.iter().map(|p| p.as_path()).collect();
        let mut thread = Vec::new();
        for (url, planned) in rows[0]["urls"].as_array().unwrap().iter().zip(&planned[id]) {
            let uri = at_uri(url.as_str().unwrap());
            assert!(uri.starts_with(&format!("at://{}/", account.did)));
            let stored = account.record(&uri);
            let publish_at = if at.starts_with("2022-06-30") {
                "2022-06-30T07:00:00Z"
            } else {
                "2022-09-14T07:00:00Z"
            };
            assert_same_post(
                planned,
                &stored["value"],
                account,
                &image_paths,
                &thread,
                publish_at.parse().unwrap(),
            );
            assert_facets_on_target(&stored["value"]);
            thread.push(stored);
        }
        assert_eq!(thread.len(), planned[id].len(), "every part was posted");
        assert_eq!(
            account.posts().len(),
            before + thread.len(),
            "nothing else was posted"
        );
    }
    // The study visit carries its image and alt text; the phase-one posts their link card.
    let en_posts = en.posts();
    assert_eq!(
        en_posts[0]["value"]["embed"]["$type"],
        "app.bsky.embed.external"
    );
    let with_image = en_posts
        .iter()
        .find(|p| p["value"]["embed"]["$type"] == "app.bsky.embed.images")
        .expect("the study visit's image");
    let image = &with_image["value"]["embed"]["images"][0];
    assert!(
        image["alt"]
            .as_str()
            .unwrap()
            .starts_with("Five coloured circles")
    );
    // A second run sends nothing again.
    for (name, account, at) in runs {
        let before = account.posts().len();
        let report = publish_on(&repo, &env, name, at, false)
            .assert_code(0)
            .json();
        assert_eq!(report["summary"]["posted"], 0, "{report:#}");
        assert_eq!(account.posts().len(), before);
    }
}

/// A long Estonian announcement with a link, hashtags, a mention and an image.
fn thread_repo(account: &Account, mention: &Account) -> (Repo, Vec<(String, String)>) {
    let repo = Repo::with_config(&channel("bsky", "et", account, "BSKY_PASSWORD"));
    std::fs::write(repo.path().join("announcements/raekoda.png"), TINY_PNG).unwrap();
    let sentence = "Tartu linn kutsub kõiki elanikke ja külalisi osalema avatud uste päeval, kus räägime innovatsioonist, ülikoolist ja ettevõtetest. ";
    let body = format!(
        "{}Loe lähemalt https://www.tartu.ee/et/uudised?id=42&lang=et ja küsi @{} käest. #Tartu #BETTER\n\n{}",
        sentence.repeat(3),
        mention.handle,
        sentence.repeat(2)
    );
    repo.write(
        "announcements/avatud-uksed.et.md",
        &format!(
            "---\ntitle: Avatud uste päev\npublish_at: 2026-06-30 10:00\nchannels: [bsky]\nimages:\n  - path: announcements/raekoda.png\n    alt: Tartu raekoda õhtuvalguses\n---\n{body}\n"
        ),
    );
    repo.approve("announcements/avatud-uksed.et.md");
    (
        repo,
        vec![("BSKY_PASSWORD".to_owned(), account.app_password.clone())],
    )
}

#[test]
fn a_long_post_becomes_a_thread_with_reply_refs_facets_mentions_and_the_image() {
    let account = Account::create("thread");
    let mention = Account::create("fr");
    let (repo, env) = thread_repo(&account, &mention);
    let at = "2026-06-30 10:05";
    let dry = publish_on(&repo, &env, "bsky", at, true)
        .assert_code(0)
        .json();
    let planned = planned_records(&dry).remove("avatud-uksed").unwrap();
    assert!(planned.len() >= 3, "a thread: {dry:#}");
    let report = publish_on(&repo, &env, "bsky", at, false)
        .assert_code(0)
        .json();
    let urls = report["rows"][0]["urls"].as_array().unwrap();
    assert_eq!(urls.len(), planned.len());
    let png = repo.path().join("announcements/raekoda.png");
    let mut thread = Vec::new();
    for (url, planned) in urls.iter().zip(&planned) {
        let stored = account.record(&at_uri(url.as_str().unwrap()));
        let value = &stored["value"];
        assert_eq!(value["langs"], serde_json::json!(["et"]));
        assert_facets_on_target(value);
        // The dry run cannot know the mentioned account's DID; the PDS resolved it.
        let mut planned = planned.clone();
        let facets = planned.get_mut("facets").and_then(Value::as_array_mut);
        for facet in facets.into_iter().flatten() {
            if facet["features"][0]["$type"] == "app.bsky.richtext.facet#mention" {
                facet["features"][0]["did"] = Value::String(mention.did.clone());
            }
        }
        assert_same_post(
            &planned,
            value,
            &account,
            &[png.as_path()],
            &thread,
            "2026-06-30T07:00:00Z".parse().unwrap(),
        );
        thread.push(stored);
    }
    let all: Vec<&Value> = thread.iter().map(|r| &r["value"]).collect();
    assert_eq!(
        all[0]["embed"]["images"][0]["alt"],
        "Tartu raekoda õhtuvalguses"
    );
    assert_eq!(
        all[0]["embed"]["images"][0]["aspectRatio"],
        serde_json::json!({ "width": 1, "height": 1 })
    );
    let facets: Vec<&Value> = all
        .iter()
        .flat_map(|v| v["facets"].as_array().into_iter().flatten())
        .collect();
    let kinds: Vec<&str> = facets
        .iter()
        .map(|f| f["features"][0]["$type"].as_str().unwrap())
        .collect();
    for kind in ["link", "tag", "mention"] {
        assert!(
            kinds.iter().any(|k| k.ends_with(kind)),
            "a {kind} facet: {kinds:?}"
        );
    }
    for (i, part) in all.iter().enumerate().skip(1) {
        assert_eq!(part["reply"]["root"]["uri"], thread[0]["uri"]);
        assert_eq!(part["reply"]["parent"]["cid"], thread[i - 1]["cid"]);
    }
}

/// Issue 19: a link the body already shows is not appended again. In a thread it is
/// where the text has it (part 2 here), a link facet exactly on it; the link card stays
/// on the first part, as the dry run says.
#[test]
fn a_link_in_the_second_part_of_a_thread_is_faceted_there_once_with_the_card_on_the_first() {
    let account = Account::create("linkpart");
    let repo = Repo::with_config(&channel("bsky", "et", &account, "BSKY_PASSWORD"));
    let link = "https://www.tartu.ee/et/uudised/talvelaat";
    let first = "Raekoja platsil avatakse laupäeval talvelaat, kus kohalikud meistrid \
                 müüvad käsitööd ja piparkooke. Laat on avatud iga päev kella kümnest \
                 kuueni ning pühapäeviti laulab keskpäeval koor.";
    let second =
        format!("Kava ja kaart on linna kodulehel {link} ning seal saab ka registreeruda.");
    repo.write(
        "announcements/talvelaat.et.md",
        &format!(
            "---\ntitle: Talvelaat\npublish_at: 2026-06-30 10:00\nchannels: [bsky]\nlink: {link}\nthread: auto\n---\n{first}\n\n{second}\n"
        ),
    );
    repo.approve("announcements/talvelaat.et.md");
    let env = vec![("BSKY_PASSWORD".to_owned(), account.app_password.clone())];
    let at = "2026-06-30 10:05";
    let dry = publish_on(&repo, &env, "bsky", at, true)
        .assert_code(0)
        .json();
    let planned = planned_records(&dry).remove("talvelaat").unwrap();
    let texts: Vec<&str> = planned
        .iter()
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [format!("Talvelaat\n\n{first} 1/2"), format!("{second} 2/2")]
    );
    let start = second.find(link).unwrap();
    assert_eq!(
        planned[1]["facets"],
        serde_json::json!([{
            "index": { "byteStart": start, "byteEnd": start + link.len() },
            "features": [{ "$type": "app.bsky.richtext.facet#link", "uri": link }]
        }])
    );
    assert_eq!(planned[0]["embed"]["$type"], "app.bsky.embed.external");
    assert_eq!(planned[0]["embed"]["external"]["uri"], link);
    assert!(planned[1].get("embed").is_none(), "{:#}", planned[1]);
    let report = publish_on(&repo, &env, "bsky", at, false)
        .assert_code(0)
        .json();
    let urls = report["rows"][0]["urls"].as_array().unwrap();
    let mut thread = Vec::new();
    for (url, planned) in urls.iter().zip(&planned) {
        let stored = account.record(&at_uri(url.as_str().unwrap()));
        assert_facets_on_target(&stored["value"]);
        assert_same_post(
            planned,
            &stored["value"],
            &account,
            &[],
            &thread,
            "2026-06-30T07:00:00Z".parse().unwrap(),
        );
        thread.push(stored);
    }
    assert_eq!(thread.len(), 2);
}

#[test]
fn a_mention_that_does_not_resolve_goes_out_as_plain_text_exactly_as_the_dry_run_said() {
    let account = Account::create("unres");
    let known = Account::create("known");
    let repo = Repo::with_config(&channel("bsky", "et", &account, "BSKY_PASSWORD"));
    let missing = format!("nobody-{}.test", std::process::id());
    repo.write(
        "announcements/kysi.et.md",
        &format!(
            "---\ntitle: Küsi\npublish_at: 2026-06-30 10:00\nchannels: [bsky]\n---\nKüsi @{} või @{missing} käest.\n",
            known.handle
        ),
    );
    repo.approve("announcements/kysi.et.md");
    let env = vec![("BSKY_PASSWORD".to_owned(), account.app_password.clone())];
    let at = "2026-06-30 10:05";
    let dry = publish_on(&repo, &env, "bsky", at, true)
        .assert_code(0)
        .json();
    // The dry run resolved what it could and says what goes out instead of the rest.
    let notes = dry["due"][0]["notes"].as_array().expect("notes");
    assert_eq!(notes.len(), 1, "{dry:#}");
    let note = notes[0].as_str().unwrap();
    assert!(
        note.starts_with(&format!("@{missing} could not be resolved (")),
        "{note}"
    );
    assert!(
        note.ends_with("it is sent as plain text, without its mention link"),
        "{note}"
    );
    let planned = planned_records(&dry).remove("kysi").unwrap();
    assert_eq!(planned.len(), 1);
    let mentions: Vec<&Value> = planned[0]["facets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["features"][0])
        .filter(|f| f["$type"] == "app.bsky.richtext.facet#mention")
        .collect();
    assert_eq!(
        mentions,
        [&serde_json::json!({ "$type": "app.bsky.richtext.facet#mention", "did": known.did })]
    );
    // The text dry run says it too.
    let envs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let text = repo.run_env(
        &["publish", "--channel", "bsky", "--dry-run", "--at", at],
        &envs,
    );
    assert!(
        text.stdout.contains(&format!("note: {note}")),
        "{}",
        text.stdout
    );
    // Publishing says the same, and the PDS holds exactly what the dry run showed.
    let report = publish_on(&repo, &env, "bsky", at, false)
        .assert_code(0)
        .json();
    let row = &report["rows"][0];
    assert_eq!(row["result"], "posted", "{report:#}");
    assert_eq!(row["detail"], notes[0]);
    let stored = account.record(&at_uri(row["urls"][0].as_str().unwrap()));
    assert_same_post(
        &planned[0],
        &stored["value"],
        &account,
        &[],
        &[],
        "2026-06-30T07:00:00Z".parse().unwrap(),
    );
}

fn run_and_kill(repo: &Repo, env: &[(String, String)], delay: Duration) {
    crate::harness::run_and_kill(
        repo,
        &["publish", "--channel", "bsky", "--at", "2026-06-30 10:05"],
        env,
        delay,
    );
}

#[test]
fn a_run_that_died_after_the_pds_wrote_the_post_is_reconciled_without_a_second_record() {
    let account = Account::create("lost");
    let mention = Account::create("lf");
    let (repo, env) = thread_repo(&account, &mention);
    let first = publish_on(&repo, &env, "bsky", "2026-06-30 10:05", false)
        .assert_code(0)
        .json();
    let urls = first["rows"][0]["urls"].clone();
    let records = account.posts();
    // As if the run had died after each write but before recording it: every part is
    // `started` with its record key and no outcome.
    let ledger = repo.read("state/ledger.jsonl");
    let kept: String = ledger
        .lines()
        .filter(|l| !l.contains("\"event\":\"posted\""))
        .map(|l| format!("{l}\n"))
        .collect();
    repo.write("state/ledger.jsonl", &kept);
    assert_eq!(in_flight(&repo).len(), records.len());
    let again = publish_on(&repo, &env, "bsky", "2026-06-30 10:05", false)
        .assert_code(0)
        .json();
    assert_eq!(again["rows"][0]["result"], "posted", "{again:#}");
    assert_eq!(
        again["rows"][0]["urls"], urls,
        "the same posts, found again"
    );
    assert_eq!(account.posts(), records, "no record was added or changed");
}

#[test]
fn a_rerun_that_lost_the_whole_ledger_writes_the_same_records_not_new_ones() {
    let account = Account::create("gone");
    let mention = Account::create("gf");
    let (repo, env) = thread_repo(&account, &mention);
    let first = publish_on(&repo, &env, "bsky", "2026-06-30 10:05", false)
        .assert_code(0)
        .json();
    let records = account.posts();
    // The CI runner died before the ledger was committed: no trace of the first run.
    std::fs::remove_file(repo.path().join("state/ledger.jsonl")).unwrap();
    let again = publish_on(&repo, &env, "bsky", "2026-06-30 10:20", false)
        .assert_code(0)
        .json();
    assert_eq!(again["rows"][0]["urls"], first["rows"][0]["urls"]);
    assert_eq!(account.posts(), records, "the same records, none added");
}

/// Eight threads, so a run lasts long enough to be killed in the middle of one.
fn crash_repo(account: &Account, mention: &Account) -> (Repo, Vec<(String, String)>) {
    let (repo, env) = thread_repo(account, mention);
    let text = repo.read("announcements/avatud-uksed.et.md");
    for n in 2..=8 {
        let rel = format!("announcements/avatud-uksed-{n}.et.md");
        repo.write(
            &rel,
            &text.replace("Avatud uste päev", &format!("Avatud uste päev {n}")),
        );
        repo.approve(&rel);
    }
    (repo, env)
}

#[test]
fn sigkill_at_random_points_and_rerun_never_duplicates_a_record() {
    // How long one uninterrupted run takes here, on an account of its own.
    let timing = Account::create("timing");
    let tf = Account::create("tif");
    let (repo, env) = crash_repo(&timing, &tf);
    let started = std::time::Instant::now();
    publish_on(&repo, &env, "bsky", "2026-06-30 10:05", false).assert_code(0);
    let full = started.elapsed();

    let account = Account::create("crash");
    let mention = Account::create("cf");
    let (repo, env) = crash_repo(&account, &mention);
    let dry = publish_on(&repo, &env, "bsky", "2026-06-30 10:05", true).json();
    let mut wanted: Vec<String> = planned_records(&dry)
        .values()
        .flatten()
        .map(|r| r["text"].as_str().unwrap().to_owned())
        .collect();
    wanted.sort();
    let mut rng = fastrand::Rng::with_seed(0xB5C7);
    let (mut kills, mut mid_flight) = (0, 0);
    while mid_flight < 15 && kills < 100 {
        // Short enough that most kills land before the run ends, wherever it restarts.
        let delay = full.mul_f64(rng.f64() * 0.35);
        run_and_kill(&repo, &env, delay);
        kills += 1;
        if !in_flight(&repo).is_empty() {
            mid_flight += 1;
        }
        if posted_lines(&repo).len() == wanted.len() {
            break;
        }
    }
    assert!(
        mid_flight > 0,
        "no kill hit a post in flight ({kills} kills over {full:?})"
    );
    publish_on(&repo, &env, "bsky", "2026-06-30 10:05", false).assert_code(0);
    let mut texts: Vec<String> = account
        .posts()
        .iter()
        .map(|p| p["value"]["text"].as_str().unwrap().to_owned())
        .collect();
    texts.sort();
    assert_eq!(texts, wanted, "each part exactly once");
    assert_eq!(posted_lines(&repo).len(), wanted.len());
    eprintln!(
        "bluesky crash test: {kills} kills ({mid_flight} with a post in flight), {} records, zero duplicates",
        texts.len()
    );
}
