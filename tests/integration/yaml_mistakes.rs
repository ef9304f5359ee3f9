//! The YAML mistakes people make by hand are reported in plain words with the fix, at the
//! character that is wrong, with the parser's own words after the plain sentence.

use crate::harness::Repo;

/// Writes each `(file, text)` into a fresh repository, runs `check` and asserts that each
/// expected line is in the text report, exactly.
fn reports(files: &[(&str, &str)], expected: &[&str]) {
    let repo = Repo::new();
    for (name, text) in files {
        repo.write(&format!("announcements/{name}"), text);
    }
    let run = repo.run(&["check"]);
    run.assert_code(1);
    for line in expected {
        assert!(
            run.stdout.lines().any(|l| l == *line),
            "missing:\n{line}\nin:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains(&format!("{} errors", files.len())),
        "{}",
        run.stdout
    );
}

#[test]
fn a_colon_in_a_value_asks_for_quotes() {
    reports(
        &[
            (
                "title.en.md",
                "---\ntitle: Concert: tonight\nchannels: all\n---\nBody.\n",
            ),
            (
                "summary.en.md",
                "---\ntitle: A\nsummary: Tartu: the \"big\" day\nchannels: all\n---\nBody.\n",
            ),
        ],
        &[
            "announcements/title.en.md:2:15: error: the `title` has a colon followed by a space, which YAML reads as a new field; put the title in quotes: `title: \"Concert: tonight\"` (this is not valid YAML: mapping values are not allowed in this context)",
            "announcements/summary.en.md:3:15: error: the `summary` has a colon followed by a space, which YAML reads as a new field; put the summary in quotes: `summary: \"Tartu: the \\\"big\\\" day\"` (this is not valid YAML: mapping values are not allowed in this context)",
        ],
    );
}

#[test]
fn a_hash_in_tags_asks_for_tags_without_it() {
    reports(
        &[
            (
                "flow.en.md",
                "---\ntitle: A\ntags: [#Viljandi]\nchannels: all\n---\nBody.\n",
            ),
            (
                "second.en.md",
                "---\ntitle: A\ntags: [Tartu, #Viljandi]\n---\nBody.\n",
            ),
            (
                "block.en.md",
                "---\ntitle: A\ntags:\n  - Tartu\n  - #Viljandi\nchannels: all\n---\nBody.\n",
            ),
        ],
        &[
            "announcements/flow.en.md:3:8: error: write tags without `#` (Herald adds it); in YAML a `#` starts a comment (this is not valid YAML: comments must be separated from other tokens by whitespace)",
            "announcements/second.en.md:3:15: error: write tags without `#` (Herald adds it); in YAML a `#` after a space starts a comment, which hides the rest of the line (this is not valid YAML: while parsing a node, did not find expected node content)",
            "announcements/block.en.md:5:5: error: this tag is empty: write tags without `#` (Herald adds it), as `- Viljandi`; in YAML a `#` starts a comment",
        ],
    );
}

#[test]
fn a_tab_asks_for_spaces_where_the_tab_is() {
    reports(
        &[
            (
                "indent.en.md",
                "---\ntitle: A\ntags:\n\t- x\nchannels: all\n---\nBody.\n",
            ),
            (
                "later.en.md",
                "---\ntitle: A\nimages:\n  - path: a.png\n\t  alt: x\n---\nBody.\n",
            ),
            (
                "after_key.en.md",
                "---\ntitle: A\nsummary:\tx\nchannels: all\n---\nBody.\n",
            ),
        ],
        &[
            "announcements/indent.en.md:4:1: error: this line is indented with a tab; YAML needs spaces: indent with spaces (this is not valid YAML: tabs disallowed within this context (block indentation))",
            "announcements/later.en.md:5:1: error: this line is indented with a tab; YAML needs spaces: indent with spaces (this is not valid YAML: while scanning a plain scalar, found a tab)",
            "announcements/after_key.en.md:3:9: error: there is a tab here; use a space instead (YAML does not allow tabs here) (this is not valid YAML: ':' must be followed by a valid YAML whitespace)",
        ],
    );
}

#[test]
fn an_unclosed_quote_is_reported_where_it_opened() {
    reports(
        &[
            (
                "double.en.md",
                "---\ntitle: \"Concert tonight\nchannels: all\n---\nBody.\n",
            ),
            (
                "single.en.md",
                "---\ntitle: A\nsummary: 'Concert tonight\nchannels: all\n---\nBody.\n",
            ),
            ("last.en.md", "---\ntitle: 'Concert tonight\n---\nBody.\n"),
        ],
        &[
            "announcements/double.en.md:2:8: error: this quote is never closed; add the closing `\"` at the end of the title (this is not valid YAML: invalid indentation in quoted scalar)",
            "announcements/single.en.md:3:10: error: this quote is never closed; add the closing `'` at the end of the summary (this is not valid YAML: invalid indentation in quoted scalar)",
            "announcements/last.en.md:2:8: error: this quote is never closed; add the closing `'` at the end of the title (this is not valid YAML: while scanning a quoted scalar, found unexpected end of stream)",
        ],
    );
}
