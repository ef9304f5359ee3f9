//! A value of the wrong type in the configuration is reported where it is written, with
//! the type it must have in plain words, in the top level, in `[publish]`/`[defaults]`
//! and in channel tables.

use crate::harness::Repo;

const TOP: &str = "timezone = \"Europe/Tallinn\"\napprovers = [\"editor@example.org\"]\n";

#[test]
fn wrong_types_are_reported_at_their_place_in_plain_words() {
    let cases: &[(&str, &str)] = &[
        (
            "approvals_required = \"two\"\n",
            "config/herald.toml:3:22: error: `approvals_required` must be a whole number (0 or more), found the text \"two\"",
        ),
        (
            "[publish]\nmax_attempts = \"five\"\n",
            "config/herald.toml:4:16: error: `max_attempts` must be a whole number (0 or more), found the text \"five\"",
        ),
        (
            "[publish]\nmax_posts_per_run = 2.5\n",
            "config/herald.toml:4:21: error: `max_posts_per_run` must be a whole number (0 or more), found the number 2.5",
        ),
        (
            "[defaults]\nlang = true\n",
            "config/herald.toml:4:8: error: `lang` must be text in quotes, found true",
        ),
        (
            "state_dir = { path = \"state\" }\n",
            "config/herald.toml:3:13: error: `state_dir` must be text in quotes, found a table",
        ),
        (
            "require_signed_approval = \"yes\"\n",
            "config/herald.toml:3:27: error: `require_signed_approval` must be true or false, found the text \"yes\"",
        ),
        (
            "[channels.log]\nkind = 7\nlang = \"et\"\n",
            "config/herald.toml:4:1: error: channel `log`: `kind` must be text in quotes such as \"mastodon\", found the number 7",
        ),
        (
            "[channels.log]\nkind = \"record\"\nlang = \"et\"\nlimit = \"500\"\n",
            "config/herald.toml:6:1: error: channel `log`: `limit` must be a whole number (0 or more), found the text \"500\"",
        ),
        (
            "[channels.log]\nkind = \"record\"\nlang = \"et\"\nfile = [\"a\", \"b\"]\n",
            "config/herald.toml:6:1: error: channel `log`: `file` must be text in quotes, found a list",
        ),
    ];
    for (extra, expected) in cases {
        let repo = Repo::new();
        repo.write("config/herald.toml", &format!("{TOP}{extra}"));
        let run = repo.run(&["check"]);
        run.assert_code(2);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            // `error:` once: the problem in its own form, not behind a second `error:`.
            all.lines().any(|l| l == *expected),
            "expected the line\n{expected}\ngot:\n{all}"
        );
    }
}
