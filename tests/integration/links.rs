//! Only `http`, `https` and `mailto` URLs become links in the HTML Herald writes: the
//! email, the feed entries and the preview page. Any other scheme, however it is written,
//! is shown as text.

use crate::harness::Repo;

/// Links that must not become links: other schemes in any letter case, with leading
/// spaces or control characters, entity-encoded, as autolinks, references and images.
const UNSAFE: [&str; 12] = [
    "[js1](javascript:alert(1))",
    "[js2](JaVaScRiPt:alert(2))",
    "[js3](&#106;avascript:alert(3))",
    "[js4](&#32;javascript:alert(4))",
    "[js5](java&#9;script:alert(5))",
    "[data6](data:text/html;base64,PHNjcmlwdD5hbGVydCg2KTwvc2NyaXB0Pg==)",
    "[vb7](VBScript:msgbox(7))",
    "[file8](file:///etc/passwd)",
    "<javascript:alert(9)>",
    "![img10](javascript:alert(10))",
    "[ref11][r]",
    "[rel12](/admin)",
];

const SAFE: [(&str, &str); 3] = [
    (
        "[web](https://tartu.ee/?a=1&b=2)",
        "href=\"https://tartu.ee/?a=1&amp;b=2\"",
    ),
    ("[WEB](HTTP://TARTU.EE/)", "href=\"HTTP://TARTU.EE/\""),
    (
        "[kiri](mailto:press@tartu.ee)",
        "href=\"mailto:press@tartu.ee\"",
    ),
];

fn repo() -> Repo {
    let repo = Repo::examples("");
    // The harness approves as editor@example.org.
    let config = repo.read("config/herald.toml").replacen(
        "approvers = [\"kadri.tamm@tartu.ee\", \"press@tartu.ee\"]",
        "approvers = [\"editor@example.org\"]",
        1,
    );
    repo.write("config/herald.toml", &config);
    let mut body: Vec<String> = UNSAFE.iter().map(|l| format!("- {l}")).collect();
    body.extend(SAFE.iter().map(|(l, _)| format!("- {l}")));
    body.push("\n[r]: javascript:alert(11)".into());
    repo.write(
        "announcements/links.en.md",
        &format!(
            "---\ntitle: Links\npublish_at: 2026-06-30 10:00\nchannels: [website_en, newsletter]\n---\n{}\n",
            body.join("\n")
        ),
    );
    repo.approve("announcements/links.en.md");
    repo
}

/// Every `href`/`src` in `html` (attribute values as written, `&quot;`-escaped or not).
fn targets(html: &str) -> Vec<String> {
    let html = html.replace("&quot;", "\"").replace("&amp;", "&");
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        for (i, _) in html.match_indices(attr) {
            let rest = &html[i + attr.len()..];
            out.push(rest[..rest.find('"').unwrap_or(rest.len())].to_owned());
        }
    }
    out
}

#[track_caller]
fn assert_only_safe_links(what: &str, html: &str) {
    for target in targets(html) {
        let lower = target.trim_start().to_ascii_lowercase();
        assert!(
            lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("mailto:")
                || lower.starts_with('#') && what == "preview page",
            // (The page links its own sections with `#…`.)
            "{what}: a link to {target:?}:\n{html}"
        );
    }
    for n in 1..=12 {
        assert!(!html.contains(&format!("alert({n})\"")), "{what}: {html}");
    }
    // The text of each refused link is still there, as text.
    for text in [
        "js1", "js2", "js3", "js4", "js5", "data6", "vb7", "file8", "img10", "ref11", "rel12",
    ] {
        assert!(html.contains(text), "{what}: {text} is missing:\n{html}");
    }
    assert!(html.contains("javascript:alert(9)"), "{what}: {html}");
}

#[test]
fn other_schemes_are_text_in_the_email_the_feed_and_the_preview() {
    let repo = repo();
    let at = ["--at", "2026-06-30 10:05"];
    // The email as it is sent (the dry run shows the message Herald builds).
    let dry = repo.json(&["publish", "--dry-run", at[0], at[1]], 0);
    let email = dry["due"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == "newsletter")
        .unwrap()["requests"][0]["body"]["html"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_only_safe_links("email", &email);
    for (_, href) in SAFE {
        assert!(email.contains(href), "email: {href}:\n{email}");
    }

    // The preview page, where the email and the feed entry are shown.
    let out = tempfile::tempdir().unwrap();
    repo.run(&[
        "preview",
        "--out",
        out.path().to_str().unwrap(),
        "--outside-root",
        at[0],
        at[1],
    ]);
    let page = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    // The cards of this announcement (the page shows Herald's own images as `data:`).
    let cards: Vec<&str> = page
        .split("<article ")
        .filter(|a| a.contains("data-id=\"links\""))
        .collect();
    assert_eq!(cards.len(), 2, "{page}");
    for card in cards {
        assert!(card.contains("srcdoc=\""), "{card}");
        assert_only_safe_links("preview page", card);
    }

    // The feed files, once published.
    repo.run(&["publish", "--channel", "website_en", at[0], at[1]])
        .assert_code(0);
    for file in ["rss.xml", "atom.xml", "feed.json"] {
        let text = repo.read(&format!("public/feed/en/{file}"));
        // RSS and Atom carry the HTML escaped; JSON Feed as a JSON string.
        let html = text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("\\\"", "\"")
            .replace("\\u0026", "&");
        assert_only_safe_links(file, &html);
        assert!(
            html.contains("href=\"mailto:press@tartu.ee\""),
            "{file}: {html}"
        );
    }
}
