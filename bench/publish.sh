#!/usr/bin/env bash
# Benchmark `herald publish` with nothing due on the check benchmark's 20,000 files and
# a 100,000-line ledger, against the same run with an empty ledger and with a
# 10,000-line ledger (to see that it grows linearly), in one hyperfine run.
#
# Run bench/check.sh first: it generates the corpus in bench/out/site.
set -euo pipefail
cd "$(dirname "$0")/.."

SITE=bench/out/site
[ -d "$SITE/announcements" ] || { echo "run bench/check.sh first (it generates $SITE)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "install hyperfine (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --quiet
HERALD=$PWD/target/release/herald
OUT=$PWD/bench/out

# Three copies of the site that differ only in their ledger. Announcements are linked,
# not copied, so the only difference is the ledger's length.
for lines in 0 10000 100000; do
    dir=$OUT/publish-$lines
    rm -rf "$dir"
    mkdir -p "$dir/state"
    ln -s "$PWD/$SITE/announcements" "$dir/announcements"
    ln -s "$PWD/$SITE/config" "$dir/config"
    python3 - "$dir/state/ledger.jsonl" "$lines" <<'PY'
import json, sys
path, lines = sys.argv[1], int(sys.argv[2])
channels = ["mastodon_et", "bluesky_et", "telegram_et", "x_en", "linkedin_en", "discord_en"]
with open(path, "w") as f:
    n = 0
    i = 0
    while n < lines:
        ann, ch = divmod(i, len(channels))
        key = {"id": f"old-{ann:06d}", "lang": "et" if ch < 3 else "en", "channel": channels[ch], "part": 1}
        for event in ("started", "posted"):
            if n >= lines:
                break
            rec = {"event": event, **key, "hash": "sha256:" + "0" * 64, "at": "2026-01-01T10:00:00Z", "attempt": 1}
            if event == "posted":
                rec["remote_id"] = str(110000000000000000 + i)
                rec["url"] = f"https://mastodon.example/@city/{110000000000000000 + i}"
            f.write(json.dumps(rec, separators=(",", ":")) + "\n")
            n += 1
        i += 1
PY
done

# Every generated announcement is dated 2027: at this time nothing is due.
AT="2026-12-01 10:00"
hyperfine --warmup 1 --min-runs 5 \
    --export-json "$OUT/publish.json" --export-markdown "$OUT/publish.md" \
    -n "ledger 0" "$HERALD --root $OUT/publish-0 publish -q --at '$AT'" \
    -n "ledger 10k" "$HERALD --root $OUT/publish-10000 publish -q --at '$AT'" \
    -n "ledger 100k" "$HERALD --root $OUT/publish-100000 publish -q --at '$AT'" \
    -n "check" "$HERALD check -q --root $SITE"
