//! Snapshots of every post of every bundled example on every channel: a change to
//! rendering shows up as a readable diff of `tests/snapshots/examples.txt`.
//! `HERALD_UPDATE_SNAPSHOTS=1 cargo test snapshots` rewrites the file after a change
//! that is meant.

use crate::harness::{project_root, run_in};
use std::fmt::Write;

#[test]
fn every_example_on_every_channel_renders_as_recorded() {
    let doc = run_in(&project_root(), &["check", "--format", "json"], &[])
        .assert_code(0)
        .json();
    let mut out = String::new();
    for a in doc["announcements"].as_array().unwrap() {
        for post in a["posts"].as_array().unwrap() {
            let _ = writeln!(
                out,
                "=== {} [{}] → {} ({}) ===",
                a["id"].as_str().unwrap(),
                a["lang"].as_str().unwrap(),
                post["channel"].as_str().unwrap(),
                post["kind"].as_str().unwrap()
            );
            let parts = post["parts"].as_array().unwrap();
            for (i, part) in parts.iter().enumerate() {
                let limit = part["limit"]
                    .as_u64()
                    .map_or(String::new(), |l| format!(" of {l}"));
                let _ = writeln!(
                    out,
                    "--- part {} of {}: length {}{limit}",
                    i + 1,
                    parts.len(),
                    part["length"]
                );
                let _ = writeln!(out, "{}", part["text"].as_str().unwrap());
            }
        }
    }
    let path = project_root().join("tests/snapshots/examples.txt");
    if std::env::var_os("HERALD_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &out).unwrap();
    }
    let recorded = std::fs::read_to_string(&path)
        .expect("tests/snapshots/examples.txt (create it with HERALD_UPDATE_SNAPSHOTS=1)");
    if recorded != out {
        let first = recorded
            .lines()
            .zip(out.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "rendering changed; first difference at line {}:\n  recorded: {:?}\n  now:      {:?}\n(rerun with HERALD_UPDATE_SNAPSHOTS=1 if the change is intended)",
            first + 1,
            recorded.lines().nth(first),
            out.lines().nth(first)
        );
    }
}
