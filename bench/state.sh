#!/usr/bin/env bash
# Benchmark: what keeping Herald's state on a Git branch costs. Not a test: it prints
# figures, measured in one run against the same work with the state kept in `state/`.
#
#   1. Posts: POSTS announcements to a record channel, published from a fresh depth-1
#      clone of a bare remote on this machine (`main` protected by a hook): pushes per
#      post, seconds per push, and the run's time against the same run without a branch.
#   2. An email list: N subscribers through postfix's smtp-sink on loopback, at the
#      configured RATE and without a rate, with the state branch and without: messages
#      per second, and the ratio.
#
#   bench/state.sh                          # POSTS=40 N=20000 RATE=200 SESSIONS=4
#   N=5000 RATE=100 bench/state.sh
#
# Needs smtp-sink (postfix; bench/email.sh installs it). Everything goes to bench/out/state/.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS=${POSTS:-40}
N=${N:-20000}
RATE=${RATE:-200}
SESSIONS=${SESSIONS:-4}
PORT=${PORT:-2526}
OUT=$PWD/bench/out/state
rm -rf "$OUT"
mkdir -p "$OUT"
command -v smtp-sink >/dev/null || { echo "smtp-sink is missing: run bench/email.sh once (it installs postfix)" >&2; exit 1; }
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
cargo build --release --quiet
HERALD=$PWD/target/release/herald
AT="2026-06-30 10:05"

# site NAME CONFIG_TABLES [announcement channels]: a content repository pushed to a bare
# remote whose `main` then refuses pushes; prints the remote's URL.
site() {
    local dir=$OUT/$1 channels=${3:-record_et}
    mkdir -p "$dir/content/config" "$dir/content/announcements"
    git init -q --bare -b main "$dir/remote.git"
    cat >"$dir/content/config/herald.toml" <<TOML
timezone = "Europe/Tallinn"
approvers = ["bench@example.org"]
[defaults]
lang = "et"
[channels.record_et]
kind = "record"
lang = "et"
$2
TOML
    for i in $(seq 1 "$POSTS"); do
        printf -- "---\ntitle: Uudis %s\npublish_at: 2026-06-30 10:00\nchannels: [%s]\n---\nTeade number %s.\n" \
            "$i" "$channels" "$i" >"$dir/content/announcements/n$i.et.md"
    done
    [ "$channels" = news ] && find "$dir/content/announcements" -name 'n*.md' ! -name n1.et.md -delete
    "$HERALD" --root "$dir/content" approve --all-pending --by bench@example.org --yes >/dev/null
    (cd "$dir/content" && git init -q -b main && git add -A &&
        git -c user.name=B -c user.email=bench@example.org commit -qm content &&
        git push -q "$dir/remote.git" main)
    printf '#!/bin/sh\nwhile read o n r; do [ "$r" = refs/heads/main ] && { echo "main is protected" >&2; exit 1; }; done; exit 0\n' \
        >"$dir/remote.git/hooks/pre-receive"
    chmod +x "$dir/remote.git/hooks/pre-receive"
    echo "file://$dir/remote.git"
}

# run URL ENV...: publish in a fresh depth-1 clone; prints wall seconds; stderr kept.
run() {
    local url=$1 log=$2
    shift 2
    local clone
    clone=$(mktemp -d "$OUT/runner.XXXX")
    git clone -q --depth 1 "$url" "$clone"
    local t0 t1
    t0=$(date +%s.%N)
    env "$@" "$HERALD" --root "$clone" publish --at "$AT" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    t1=$(date +%s.%N)
    rm -rf "$clone"
    echo "$t1 - $t0" | bc -l
}

STATE_TABLE='[state]
git_branch = "herald-state"'

echo "1. $POSTS posts to a record channel"
BRANCH_URL=$(site posts-branch "$STATE_TABLE")
LOCAL_URL=$(site posts-local "")
B=$(run "$BRANCH_URL" "$OUT/posts-branch.txt" HERALD_PUBLISH__MAX_POSTS_PER_RUN="$POSTS")
L=$(run "$LOCAL_URL" "$OUT/posts-local.txt" HERALD_PUBLISH__MAX_POSTS_PER_RUN="$POSTS")
PUSHES=$(sed -n 's/^state: \([0-9]*\) push(es).* in \([0-9.]*\) s.*/\1/p' "$OUT/posts-branch.txt")
PUSH_S=$(sed -n 's/^state: \([0-9]*\) push(es).* in \([0-9.]*\) s.*/\2/p' "$OUT/posts-branch.txt")

echo "2. an email list of $N"
python3 - "$N" "$OUT/subscribers.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("email,name,lang\n")
    for i in range(n):
        f.write(f"subscriber{i:06d}@example.net,Subscriber {i},et\n")
PY
smtp-sink -c -u nobody "127.0.0.1:$PORT" 1024 >"$OUT/sink.out" 2>&1 &
SINK=$!
trap 'kill $SINK 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
LIST="[channels.news]
kind = \"email\"
lang = \"et\"
from = \"Tartu linn <uudised@tartu.example>\"
smtp_host = \"127.0.0.1\"
smtp_port = $PORT
tls = \"none\"
subscribers_env = \"BENCH_SUBSCRIBERS\"
secret_env = \"BENCH_SECRET\"
list_id = \"uudised.tartu.example\"
unsubscribe_url = \"https://tartu.example/loobu/{token}\"
concurrency = $SESSIONS"
EMAIL_ENV=(BENCH_SUBSCRIBERS="$OUT/subscribers.csv" BENCH_SECRET=bench-secret)
declare -A T
for rate in "$RATE" none; do
    extra=""
    [ "$rate" != none ] && extra="rate = $rate"
    for where in branch local; do
        table=""
        [ "$where" = branch ] && table="$STATE_TABLE"
        url=$(site "email-$where-$rate" "$LIST
$extra
$table" news)
        T[$where-$rate]=$(run "$url" "$OUT/email-$where-$rate.txt" "${EMAIL_ENV[@]}")
        grep -q "sent $N" "$OUT/email-$where-$rate.txt" || { echo "the list was not sent in full:" >&2; cat "$OUT/email-$where-$rate.txt" >&2; exit 1; }
    done
done

{
    echo "state branch benchmark (local bare remote, one run each)"
    printf 'posts: %s posts, %s pushes (%.2f per post), %.3f s per push; run %.2f s with the branch, %.2f s without (%.2f×)\n' \
        "$POSTS" "$PUSHES" "$(echo "$PUSHES / $POSTS" | bc -l)" "$(echo "$PUSH_S / $PUSHES" | bc -l)" "$B" "$L" "$(echo "$B / $L" | bc -l)"
    for rate in "$RATE" none; do
        b=${T[branch-$rate]} l=${T[local-$rate]}
        printf 'email, %s subscribers, rate %s: %.0f msg/s with the branch, %.0f msg/s without: %.2f of the rate without (push cost %.1f%%)\n' \
            "$N" "$rate" "$(echo "$N / $b" | bc -l)" "$(echo "$N / $l" | bc -l)" "$(echo "$l / $b" | bc -l)" "$(echo "($b - $l) * 100 / $b" | bc -l)"
        sed -n 's/^state: /  state: /p' "$OUT/email-branch-$rate.txt"
    done
} | tee "$OUT/summary.txt"
