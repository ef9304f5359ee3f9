//! `herald audit --archive DIR`: one `<id>.json` and one `<id>.html` per announcement
//! that went out, for an archivist to keep. The JSON has every post's parts with the
//! exact text of each version, the images' hashes, the addresses, the times and the whole
//! history with its approvers and the retraction's reason; the HTML page says the same
//! for people: self-contained, every text escaped, no scripts (its content security
//! policy forbids them), no request of any kind.
//!
//! Both are deterministic: the same ledger and archive give the same bytes. Each file
//! carries a mark (the JSON's first key, the page's `generator`); a file already in DIR
//! without it is not Herald's and is never overwritten.

use super::story::{Happening, Notice, Part, Post};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The JSON's first key, with the version of its layout: what marks the file as Herald's.
const JSON_MARK: &str = "{\n  \"herald_archive\": ";
/// The page's mark.
const HTML_MARK: &str = "<meta name=\"generator\" content=\"herald audit --archive\">";
/// The layout of the JSON files; a change that removes or renames a field raises it.
const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    herald_archive: u32,
    id: &'a str,
    posts: Vec<PostRecord<'a>>,
}

#[derive(Serialize)]
struct PostRecord<'a> {
    #[serde(flatten)]
    post: &'a Post,
    parts: &'a [Part],
    notices: &'a [Notice],
}

/// Writes the files for `posts` (sorted by id, as [`super::story::posts`] gives them)
/// into `dir`, which is created if missing. Nothing is written if any file there is in
/// the way (not Herald's, or not a file). Returns the files written, in order.
pub fn write(dir: &Path, posts: &[Post]) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for group in posts.chunk_by(|a, b| a.id == b.id) {
        let id = &group[0].id;
        let doc = Document {
            herald_archive: VERSION,
            id,
            posts: group
                .iter()
                .map(|post| PostRecord {
                    post,
                    parts: &post.parts,
                    notices: &post.notices,
                })
                .collect(),
        };
        let mut json = serde_json::to_string_pretty(&doc).expect("the archive serialises");
        json.push('\n');
        files.push((dir.join(format!("{id}.json")), json));
        files.push((dir.join(format!("{id}.html")), page(id, group)));
    }
    for (path, _) in &files {
        in_the_way(path)?;
    }
    for (path, text) in &files {
        let mut file = crate::paths::open_anywhere(path, crate::paths::Mode::Replace)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

/// Refuses a file at `path` that Herald did not write.
fn in_the_way(path: &Path) -> Result<(), String> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot look at {}: {e}", path.display())),
    };
    if !meta.is_file() {
        return Err(format!(
            "{} is {}, not an archive file Herald wrote; nothing was written. Move it away or choose another folder",
            path.display(),
            crate::limits::kind_of(meta.file_type())
        ));
    }
    let mut head = Vec::new();
    crate::limits::open_file(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 1024), &mut head))
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let head = String::from_utf8_lossy(&head);
    let ours = if path.extension().is_some_and(|x| x == "json") {
        head.starts_with(JSON_MARK)
    } else {
        head.contains(HTML_MARK)
    };
    if ours {
        Ok(())
    } else {
        Err(format!(
            "{} is already there and Herald did not write it (it is not from `herald audit --archive`), so it is not overwritten; nothing was written. Move it away or choose another folder",
            path.display()
        ))
    }
}

use crate::html::esc;

/// An address as a link when it is a web address, else as text.
fn address(url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        format!("<a href=\"{0}\">{0}</a>", esc(url))
    } else {
        esc(url)
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.45}\
h2{border-top:2px solid #999;padding-top:1rem;margin-top:2.5rem}\
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#eee}code{font-size:.9em;overflow-wrap:anywhere}\
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;border:1px solid #ccc;padding:.6rem;font-family:inherit}\
.when{white-space:nowrap}.retracted{color:#9b1c1c;font-weight:bold}.meta{color:#555;margin:.8rem 0 .2rem}\
@media print{a{color:inherit}}";

/// The page for one announcement's posts.
fn page(id: &str, posts: &[Post]) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str(HTML_MARK);
    h.push_str("\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    h.push_str(&format!(
        "<title>{} — published record</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        esc(id)
    ));
    h.push_str(&format!(
        "<h1>Published record of <code>{}</code></h1>\n<p>What Herald published for this announcement, on each channel: the exact text of every version, the images' SHA-256 hashes, the addresses, the times, who approved each change, and the reason for a retraction. The same is in <code>{}.json</code>.</p>\n",
        esc(id),
        esc(id)
    ));
    for post in posts {
        post_section(&mut h, post);
    }
    h.push_str("</body>\n</html>\n");
    h
}

fn post_section(h: &mut String, post: &Post) {
    h.push_str(&format!(
        "<section lang=\"{}\">\n<h2>{} ({})</h2>\n",
        esc(&post.lang),
        esc(&post.channel),
        esc(&post.lang)
    ));
    if post.retracted {
        h.push_str("<p class=\"retracted\">Retracted.</p>\n");
    }
    h.push_str("<table>\n");
    let row = |h: &mut String, name: &str, value: String| {
        h.push_str(&format!("<tr><th>{name}</th><td>{value}</td></tr>\n"));
    };
    row(h, "First published", esc(&post.posted_at));
    row(
        h,
        "Content hash",
        format!("<code>{}</code>", esc(&post.hash)),
    );
    let approvals: Vec<String> = post
        .approvals
        .iter()
        .map(|a| {
            let mut s = esc(&a.by);
            if let Some(pull) = a.pull {
                s.push_str(&format!(" in pull request #{pull}"));
            }
            if let Some(at) = &a.at {
                s.push_str(&format!(" at {}", esc(at)));
            }
            if a.from_ledger {
                s.push_str(" (as recorded when it went out)");
            }
            s
        })
        .collect();
    row(
        h,
        "Approved by",
        if approvals.is_empty() {
            "not found".to_owned()
        } else {
            approvals.join("<br>")
        },
    );
    let urls: Vec<String> = post.urls.iter().map(|u| address(u)).collect();
    row(
        h,
        "Addresses now",
        if urls.is_empty() {
            "none".to_owned()
        } else {
            urls.join("<br>")
        },
    );
    h.push_str("</table>\n<h3>History</h3>\n<table>\n<tr><th>When</th><th>What</th><th>Approved by</th><th>Details</th></tr>\n");
    for e in &post.history {
        history_row(h, e);
    }
    h.push_str("</table>\n<h3>Texts</h3>\n");
    for part in &post.parts {
        h.push_str(&format!("<h4>Part {}</h4>\n<p>", part.part));
        match &part.url {
            Some(url) => h.push_str(&format!("Address: {}", address(url))),
            None => h.push_str("No address"),
        }
        if let Some(id) = &part.remote_id {
            h.push_str(&format!(" (id <code>{}</code>)", esc(id)));
        }
        h.push_str(&format!("; posted {}", esc(&part.posted_at)));
        if let Some(at) = &part.deleted_at {
            h.push_str(&format!(
                "; <span class=\"retracted\">deleted {}</span>",
                esc(at)
            ));
        }
        h.push_str(".</p>\n");
        if part.versions.is_empty() {
            h.push_str("<p>The archive has no text of this part (it went out before Herald kept texts).</p>\n");
        }
        for v in &part.versions {
            let what = match v.action {
                "edit" => "Edited",
                "repost" => "Posted again",
                _ => "Posted",
            };
            h.push_str(&format!(
                "<p class=\"meta\">{what} {} · content <code>{}</code>{}{}</p>\n<pre>{}</pre>\n",
                esc(&v.at),
                esc(&v.hash),
                v.url
                    .as_deref()
                    .map(|u| format!(" · {}", address(u)))
                    .unwrap_or_default(),
                if v.in_doubt {
                    " · <strong>in doubt</strong>: the request was made and no answer came"
                } else {
                    ""
                },
                esc(&v.text)
            ));
            if !v.images.is_empty() {
                h.push_str("<ul>\n");
                for i in &v.images {
                    h.push_str(&format!(
                        "<li>Image <code>{}</code>, SHA-256 <code>{}</code>, alt text: “{}”</li>\n",
                        esc(&i.path),
                        esc(&i.sha256),
                        esc(&i.alt)
                    ));
                }
                h.push_str("</ul>\n");
            }
        }
    }
    if !post.notices.is_empty() {
        h.push_str("<h3>Correction notices</h3>\n");
        for n in &post.notices {
            h.push_str(&format!(
                "<p class=\"meta\">Posted {} · content <code>{}</code>{}{}</p>\n<pre>{}</pre>\n",
                esc(&n.at),
                esc(&n.hash),
                n.url
                    .as_deref()
                    .map(|u| format!(" · {}", address(u)))
                    .unwrap_or_default(),
                if n.in_doubt {
                    " · <strong>in doubt</strong>: the request was made and no answer came"
                } else {
                    ""
                },
                esc(&n.text)
            ));
        }
    }
    h.push_str("</section>\n");
}

fn history_row(h: &mut String, e: &Happening) {
    let mut details: Vec<String> = e.changes.iter().map(|c| esc(c)).collect();
    if !e.unfinished.is_empty() {
        details.push(format!("Not done: {}", esc(&e.unfinished.join("; "))));
    }
    if let Some(reason) = &e.reason {
        details.push(format!("Reason: {}", esc(reason)));
    }
    details.push(format!("Content <code>{}</code>", esc(&e.hash)));
    h.push_str(&format!(
        "<tr><td class=\"when\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        esc(&e.at),
        esc(e.what.words()),
        if e.approved_by.is_empty() {
            "not found".to_owned()
        } else {
            e.approved_by
                .iter()
                .map(|b| esc(b))
                .collect::<Vec<_>>()
                .join("<br>")
        },
        details.join("<br>")
    ));
}

#[cfg(test)]
mod tests {
    use super::super::story::{Happening, Post, Version, What};
    use super::*;

    fn post(id: &str, text: &str) -> Post {
        Post {
            id: id.into(),
            lang: "et".into(),
            channel: "m".into(),
            posted_at: "2026-06-30T10:00:00+03:00".into(),
            hash: "h1".into(),
            approvals: vec![],
            urls: vec!["javascript:alert(1)".into()],
            retracted: false,
            history: vec![Happening {
                what: What::Published,
                at: "2026-06-30T10:00:00+03:00".into(),
                hash: "h1".into(),
                approved_by: vec!["<b>@example.org".into()],
                changes: vec![],
                unfinished: vec![],
                reason: None,
                steps: vec![],
            }],
            parts: vec![Part {
                part: 1,
                remote_id: Some("1".into()),
                url: Some("https://x.example/1?a=1&b=2".into()),
                posted_at: "2026-06-30T10:00:00+03:00".into(),
                deleted_at: None,
                versions: vec![Version {
                    action: "post",
                    at: "2026-06-30T10:00:00+03:00".into(),
                    hash: "h1".into(),
                    text: text.into(),
                    images: vec![],
                    url: None,
                    in_doubt: false,
                }],
            }],
            notices: vec![],
        }
    }

    #[test]
    fn pages_escape_everything_and_link_only_web_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(dir.path(), &[post("a", "<script>alert('x')</script> & co")]).unwrap();
        assert_eq!(
            written,
            vec![dir.path().join("a.json"), dir.path().join("a.html")]
        );
        let html = std::fs::read_to_string(dir.path().join("a.html")).unwrap();
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("<pre>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co</pre>"),
            "{html}"
        );
        assert!(html.contains("&lt;b&gt;@example.org"), "{html}");
        assert!(html.contains("<td>javascript:alert(1)</td>"), "{html}");
        assert!(
            html.contains(
                "<a href=\"https://x.example/1?a=1&amp;b=2\">https://x.example/1?a=1&amp;b=2</a>"
            ),
            "{html}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("a.json")).unwrap())
                .unwrap();
        assert_eq!(
            json["posts"][0]["parts"][0]["versions"][0]["text"],
            "<script>alert('x')</script> & co"
        );
    }

    #[test]
    fn herald_rewrites_its_own_files_the_same_and_refuses_anyone_elses() {
        let dir = tempfile::tempdir().unwrap();
        let posts = [post("a", "Tere."), post("b", "Head aega.")];
        write(dir.path(), &posts).unwrap();
        let before = std::fs::read(dir.path().join("a.html")).unwrap();
        write(dir.path(), &posts).unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.html")).unwrap(), before);
        std::fs::write(dir.path().join("b.json"), "{\"mine\": true}\n").unwrap();
        std::fs::remove_file(dir.path().join("a.json")).unwrap();
        let err = write(dir.path(), &posts).unwrap_err();
        assert_eq!(
            err,
            format!(
                "{} is already there and Herald did not write it (it is not from `herald audit --archive`), so it is not overwritten; nothing was written. Move it away or choose another folder",
                dir.path().join("b.json").display()
            )
        );
        // Nothing was written: the file removed above is still missing.
        assert!(!dir.path().join("a.json").exists());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.json")).unwrap(),
            "{\"mine\": true}\n"
        );
    }
}
