//! Merging two writers' copies of a state file (a person's `herald resolve` and a
//! running publish both append to the ledger): the ledger and the send logs only ever
//! grow, so the merge is the union of their lines; nothing either side wrote is lost.

use std::collections::HashMap;

/// Whether a file in the state is append-only (merged by union of lines) rather than
/// replaced as a whole (a feed file, merged by taking the side that changed it).
pub fn append_only(path: &str) -> bool {
    path.ends_with(".jsonl") || path.ends_with(".log")
}

/// `text` up to and including its last newline: a line still being written (or cut by
/// a crash) is not part of the state yet.
pub fn complete_lines(text: &[u8]) -> &[u8] {
    match text.iter().rposition(|&b| b == b'\n') {
        Some(i) => &text[..=i],
        None => &[],
    }
}

/// The union of the lines of `theirs` (what the remote holds) and `ours` (this run's
/// copy): `theirs` as it is, then every line of `ours` it lacks, in our order. Lines are
/// counted, not only compared: a send log may hold the same mark twice (a message
/// retried), and both count. When one side only added lines to the other, that side
/// is the answer as it is. For a ledger, the lines added after the common part are put
/// in order of their `at` time, so that replaying it sees each post's events in the
/// order they happened.
pub fn union(theirs: &[u8], ours: &[u8], by_time: bool) -> Vec<u8> {
    if ours.starts_with(theirs) {
        return ours.to_vec();
    }
    if theirs.starts_with(ours) {
        return theirs.to_vec();
    }
    let mut have: HashMap<&[u8], usize> = HashMap::new();
    for line in lines(theirs) {
        *have.entry(line).or_default() += 1;
    }
    let mut extra: Vec<&[u8]> = Vec::new();
    for line in lines(ours) {
        match have.get_mut(line) {
            Some(n) if *n > 0 => *n -= 1,
            _ => extra.push(line),
        }
    }
    let common = common_prefix_lines(theirs, ours);
    let mut tail: Vec<&[u8]> = lines(&theirs[common..]).collect();
    tail.extend(extra);
    if by_time {
        // Stable: lines without a readable time keep their place relative to each other.
        tail.sort_by_cached_key(|line| at(line));
    }
    let mut out = theirs[..common].to_vec();
    for line in tail {
        out.extend_from_slice(line);
        if line.last() != Some(&b'\n') {
            out.push(b'\n');
        }
    }
    out
}

/// The lines of `theirs` that `ours` lacks (counted as in [`union`]): what the other
/// writer added, to be added to our copy too.
pub fn missing_from(ours: &[u8], theirs: &[u8]) -> Vec<u8> {
    if ours.starts_with(theirs) {
        return Vec::new();
    }
    let mut have: HashMap<&[u8], usize> = HashMap::new();
    for line in lines(ours) {
        *have.entry(line).or_default() += 1;
    }
    let mut out = Vec::new();
    for line in lines(theirs) {
        match have.get_mut(line) {
            Some(n) if *n > 0 => *n -= 1,
            _ => {
                out.extend_from_slice(line);
                if line.last() != Some(&b'\n') {
                    out.push(b'\n');
                }
            }
        }
    }
    out
}

fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
}

/// The length of the longest run of whole lines both start with.
fn common_prefix_lines(a: &[u8], b: &[u8]) -> usize {
    let mut end = 0;
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            break;
        }
        if *x == b'\n' {
            end = i + 1;
        }
    }
    end
}

/// The `at` field of a ledger line, as text (RFC 3339 in UTC sorts as text).
fn at(line: &[u8]) -> Option<jiff::Timestamp> {
    #[derive(serde::Deserialize)]
    struct At {
        at: jiff::Timestamp,
    }
    serde_json::from_slice::<At>(line).ok().map(|a| a.at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(event: &str, at: &str) -> String {
        format!(r#"{{"event":"{event}","id":"a","lang":"et","channel":"m","part":1,"at":"{at}"}}"#)
            + "\n"
    }

    #[test]
    fn one_side_ahead_is_taken_as_it_is() {
        let base = rec("started", "2026-06-30T07:00:00Z");
        let more = format!("{base}{}", rec("posted", "2026-06-30T07:00:01Z"));
        for by_time in [true, false] {
            assert_eq!(
                union(base.as_bytes(), more.as_bytes(), by_time),
                more.as_bytes()
            );
            assert_eq!(
                union(more.as_bytes(), base.as_bytes(), by_time),
                more.as_bytes()
            );
            assert_eq!(union(b"", more.as_bytes(), by_time), more.as_bytes());
            assert_eq!(union(more.as_bytes(), b"", by_time), more.as_bytes());
        }
    }

    #[test]
    fn both_sides_added_lines_keep_all_of_them_in_time_order() {
        let base = rec("started", "2026-06-30T07:00:00Z");
        let resolve = rec("resolved", "2026-06-30T07:00:05Z");
        let posted = rec("posted", "2026-06-30T07:00:02Z");
        let later = rec("started", "2026-06-30T07:00:09Z");
        let theirs = format!("{base}{resolve}");
        let ours = format!("{base}{posted}{later}");
        let merged = union(theirs.as_bytes(), ours.as_bytes(), true);
        assert_eq!(
            String::from_utf8(merged).unwrap(),
            format!("{base}{posted}{resolve}{later}")
        );
        // Merging again with the merged copy adds nothing.
        let merged = union(theirs.as_bytes(), ours.as_bytes(), true);
        assert_eq!(union(&merged, ours.as_bytes(), true), merged);
        assert_eq!(union(&merged, theirs.as_bytes(), true), merged);
    }

    #[test]
    fn repeated_lines_count_as_many_times_as_they_occur() {
        // A send log: S, F, S for one subscriber (retried, then the run died).
        let theirs = "S 01\nF 01\nD 02\n";
        let ours = "S 01\nF 01\nS 01\n";
        let merged = String::from_utf8(union(theirs.as_bytes(), ours.as_bytes(), false)).unwrap();
        assert_eq!(merged, "S 01\nF 01\nD 02\nS 01\n");
        assert_eq!(missing_from(ours.as_bytes(), theirs.as_bytes()), b"D 02\n");
        assert_eq!(missing_from(merged.as_bytes(), theirs.as_bytes()), b"");
    }

    #[test]
    fn a_line_still_being_written_is_not_part_of_the_state() {
        assert_eq!(complete_lines(b"S 01\nS 0"), b"S 01\n");
        assert_eq!(complete_lines(b"S 0"), b"");
        assert_eq!(complete_lines(b"S 01\n"), b"S 01\n");
        assert!(append_only("state/ledger.jsonl"));
        assert!(append_only("state/email/news/a.log"));
        assert!(!append_only("public/feed/en/feed.xml"));
    }
}
