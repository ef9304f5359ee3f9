#!/usr/bin/env bash
# Benchmark: publishing many due posts to a `record` channel, per post, at two sizes in
# one hyperfine run, so that the two figures say whether the cost grows linearly with the
# number of posts (the same per post) or faster. Not a test: it prints figures.
#
#   bench/record.sh                 # SMALL=1000 LARGE=5000 RUNS=3
#
# Each run starts from an empty state folder (hyperfine --prepare), publishes every post
# in one `herald publish` (max_posts_per_run raised), and writes the record file, the
# ledger and the archive with their fsyncs as a real run does. Everything goes to
# bench/out/record/.
set -euo pipefail
cd "$(dirname "$0")/.."
SMALL=${SMALL:-1000}
LARGE=${LARGE:-5000}
RUNS=${RUNS:-3}
OUT=$PWD/bench/out/record
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --quiet
HERALD=$PWD/target/release/herald
AT="2026-06-30 10:05"
rm -rf "$OUT"
mkdir -p "$OUT"

# site N: N approved announcements due at 10:00 on one record channel.
site() {
    local dir=$OUT/site-$1
    mkdir -p "$dir/config" "$dir/announcements"
    cat >"$dir/config/herald.toml" <<TOML
timezone = "Europe/Tallinn"
approvers = ["bench@example.org"]
[defaults]
lang = "et"
[publish]
max_posts_per_run = $1
[channels.record_et]
kind = "record"
lang = "et"
TOML
    python3 - "$dir/announcements" "$1" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    with open(f"{d}/n{i:05d}.et.md", "w") as f:
        f.write(f"---\ntitle: Uudis {i}\npublish_at: 2026-06-30 10:00\nchannels: [record_et]\n---\n"
                f"Teade number {i}: linn kutsub kõiki elanikke laupäeval keskväljakule.\n")
PY
    "$HERALD" --root "$dir" approve --all-pending --by bench@example.org --yes >/dev/null
}
site "$SMALL"
site "$LARGE"

# BEFORE=path/to/an/older/herald adds the same two runs with that binary (the peer).
EXTRA=()
if [ -n "${BEFORE:-}" ]; then
    EXTRA=(--prepare "rm -rf $OUT/site-$SMALL/state" --prepare "rm -rf $OUT/site-$LARGE/state"
        -n "$SMALL posts, before" "$BEFORE --root $OUT/site-$SMALL publish -q --at '$AT'"
        -n "$LARGE posts, before" "$BEFORE --root $OUT/site-$LARGE publish -q --at '$AT'")
fi
hyperfine --style basic --runs "$RUNS" --export-json "$OUT/hyperfine.json" \
    --prepare "rm -rf $OUT/site-$SMALL/state" --prepare "rm -rf $OUT/site-$LARGE/state" \
    -n "$SMALL posts" "$HERALD --root $OUT/site-$SMALL publish -q --at '$AT'" \
    -n "$LARGE posts" "$HERALD --root $OUT/site-$LARGE publish -q --at '$AT'" \
    "${EXTRA[@]}"

# Every post went out once.
for n in "$SMALL" "$LARGE"; do
    got=$(wc -l <"$OUT/site-$n/state/recorded.jsonl")
    [ "$got" -eq "$n" ] || { echo "error: $got lines in the record file of site-$n, not $n" >&2; exit 1; }
done

python3 - "$OUT/hyperfine.json" "$SMALL" "$LARGE" <<'PY' | tee "$OUT/summary.txt"
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
small, large = int(sys.argv[2]), int(sys.argv[3])
for suffix in ("", ", before"):
    if f"{small} posts{suffix}" not in res:
        continue
    for n in (small, large):
        r = res[f"{n} posts{suffix}"]
        print(f"{n} posts{suffix}: {r['mean']:.2f} s, {r['mean'] / n * 1000:.2f} ms a post "
              f"(CPU {r['user'] / n * 1000:.2f} ms user + {r['system'] / n * 1000:.2f} ms system; "
              f"the rest is waiting for the disk's flushes)")
    a, b = res[f"{small} posts{suffix}"]["mean"], res[f"{large} posts{suffix}"]["mean"]
    print(f"per post{suffix}, {large} against {small}: {b / large / (a / small):.2f}x (1.0 is linear)")
if f"{large} posts, before" in res:
    now, before = res[f"{large} posts"], res[f"{large} posts, before"]
    print(f"{large} posts, before / now: {before['mean'] / now['mean']:.2f}x wall, "
          f"{(before['user'] + before['system']) / (now['user'] + now['system']):.2f}x CPU")
PY
