#!/usr/bin/env bash
# Benchmark: `herald publish` sending one announcement to 100,000 generated subscribers
# through postfix's smtp-sink on loopback, against postfix's smtp-source sending as many
# messages of the same size to the same sink in the same run; peak memory of herald at
# 10,000 and 100,000 subscribers (/usr/bin/time -v). Not a test: it prints figures.
#
#   bench/email.sh                       # N=100000, SESSIONS=8
#   N=20000 SESSIONS=4 bench/email.sh
#
# Installs postfix (Debian) when smtp-sink is missing; the postfix daemon is never
# started. Everything goes to bench/out/email/.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
SMALL=${SMALL:-10000}
SESSIONS=${SESSIONS:-8}
PORT=${PORT:-2525}
OUT=$PWD/bench/out/email
rm -rf "$OUT"
mkdir -p "$OUT"

if ! command -v smtp-sink >/dev/null || ! command -v smtp-source >/dev/null; then
    echo "installing postfix (for smtp-sink and smtp-source; the daemon is not started)"
    made_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postfix >/dev/null
    [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
[ -x /usr/bin/time ] || { echo "install GNU time (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet
HERALD=$PWD/target/release/herald

# The Herald repository: one approved announcement (the Estonian example's text) to a
# list on the sink, without TLS (allowed only for a server on this machine).
REPO=$OUT/repo
mkdir -p "$REPO/config" "$REPO/announcements"
cat >"$REPO/config/herald.toml" <<TOML
timezone = "Europe/Tallinn"
approvers = ["bench@example.org"]
[defaults]
lang = "et"
[channels.news]
kind = "email"
lang = "et"
from = "Tartu linn <uudised@tartu.example>"
smtp_host = "127.0.0.1"
smtp_port = $PORT
tls = "none"
subscribers_env = "BENCH_SUBSCRIBERS"
secret_env = "BENCH_SECRET"
list_id = "uudised.tartu.example"
unsubscribe_url = "https://tartu.example/loobu/{token}"
concurrency = $SESSIONS
TOML
sed -e '/^approval:/,/^  hash:/d' announcements/2022-06-30-better-phase-1.et.md \
    >"$REPO/announcements/uudis.et.md"
sed -e '/^approval:/,/^  hash:/d' announcements/2022-06-30-better-phase-1.en.md \
    >"$REPO/announcements/uudis.en.md"
"$HERALD" --root "$REPO" approve announcements/uudis.et.md announcements/uudis.en.md \
    --by bench@example.org --yes >/dev/null

gen() { # gen N FILE: N subscribers, a third of them English
    python3 - "$1" "$2" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("email,name,lang\n")
    for i in range(n):
        f.write(f"subscriber{i:06d}@example.net,Subscriber {i},{'en' if i % 3 == 0 else 'et'}\n")
PY
}
gen "$N" "$OUT/subscribers-$N.csv"
gen "$SMALL" "$OUT/subscribers-$SMALL.csv"
gen 20 "$OUT/subscribers-20.csv"

SINK_PID=""
start_sink() { # start_sink [extra smtp-sink options]
    smtp-sink -c -u nobody "$@" "127.0.0.1:$PORT" 1024 >"$OUT/sink.out" 2>&1 &
    SINK_PID=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return; sleep 0.05; done
    echo "smtp-sink did not start" >&2; exit 1
}
stop_sink() { kill "$SINK_PID" 2>/dev/null || true; wait "$SINK_PID" 2>/dev/null || true; }
trap stop_sink EXIT

publish() { # publish N: one fresh list send; prints elapsed seconds, peak RSS in kB
    rm -rf "$REPO/state"
    BENCH_SUBSCRIBERS="$OUT/subscribers-$1.csv" BENCH_SECRET=bench-secret \
        /usr/bin/time -v -o "$OUT/time-$1.txt" \
        "$HERALD" --root "$REPO" publish -q --at "2022-06-30 10:05" >"$OUT/publish-$1.txt" 2>&1 \
        || { cat "$OUT/publish-$1.txt" >&2; exit 1; }
    grep -q "sent $1 " "$OUT/publish-$1.txt" 2>/dev/null || "$HERALD" --root "$REPO" status >/dev/null
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$OUT/time-$1.txt" \
        | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time-$1.txt")
    echo "$wall $rss"
}

# The size of herald's messages: dump a few from a small send.
mkdir -p "$OUT/dump"
chmod 777 "$OUT/dump" # smtp-sink writes as nobody
start_sink -d "$OUT/dump/%H%M%S."
publish 20 >/dev/null
stop_sink
SIZE=$(find "$OUT/dump" -type f -printf '%s\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "herald's message size (median of 20, as dumped by smtp-sink): $SIZE bytes"

start_sink
read -r HERALD_S HERALD_RSS < <(publish "$N")
read -r SMALL_S SMALL_RSS < <(publish "$SMALL")
t0=$(date +%s.%N)
smtp-source -d -s "$SESSIONS" -l "$SIZE" -m "$N" -f uudised@tartu.example -t subscriber@example.net \
    "127.0.0.1:$PORT"
t1=$(date +%s.%N)
stop_sink
SOURCE_S=$(echo "$t1 - $t0" | bc)

{
    echo "email benchmark: $N subscribers, $SESSIONS connections, messages of $SIZE bytes, smtp-sink on loopback"
    printf 'herald publish   %8.2f s  %8.0f msg/s  (peak RSS %s kB)\n' "$HERALD_S" "$(echo "$N / $HERALD_S" | bc -l)" "$HERALD_RSS"
    printf 'smtp-source -d   %8.2f s  %8.0f msg/s\n' "$SOURCE_S" "$(echo "$N / $SOURCE_S" | bc -l)"
    printf 'ratio herald/smtp-source: %.2f\n' "$(echo "$SOURCE_S / $HERALD_S" | bc -l)"
    printf 'peak RSS: %s kB at %s subscribers, %s kB at %s subscribers\n' "$SMALL_RSS" "$SMALL" "$HERALD_RSS" "$N"
} | tee "$OUT/summary.txt"
