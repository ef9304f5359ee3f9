#!/usr/bin/env bash
# Benchmark `herald check` on 10,000 announcements x 2 languages (20,000 files),
# against two baselines measured in the same hyperfine run:
#   read  - merely reading the same files (find | xargs cat > /dev/null)
#   hugo  - Hugo rendering the same Markdown files to HTML
# and the peak memory of one `herald check` run (/usr/bin/time -v).
#
# Usage: bench/check.sh [--regen]        (run from anywhere; works in the repo root)
#   --regen   regenerate the corpus in bench/out even if it is up to date
# Environment:
#   HERALD_BENCH_COUNT  announcements per language (default 10000)
#   HERALD_BENCH_SEED   generator seed (default 20270115)
#   HERALD_BENCH_RUNS   hyperfine --min-runs (default 5, at least 5 is sensible)
#
# Everything it writes goes to bench/out/ (gitignored). See bench/README.md.
set -euo pipefail

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

REGEN=0
for arg in "$@"; do
    case "$arg" in
        --regen) REGEN=1 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "bench/check.sh: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

COUNT=${HERALD_BENCH_COUNT:-10000}
SEED=${HERALD_BENCH_SEED:-20270115}
MIN_RUNS=${HERALD_BENCH_RUNS:-5}

OUT=bench/out
SITE=$OUT/site
HUGO_SITE=$OUT/hugo
# Hugo resolves a relative -d against the site directory (-s), not the current
# directory, so the destination is given as an absolute path.
HUGO_PUBLIC=$ROOT/$OUT/hugo-public
HERALD=target/release/herald

die() { echo "bench/check.sh: error: $*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; }

# ----------------------------------------------------------------------------- tools
# Debian packages installed on demand (when missing and we are root).
ensure_packages() {
    local missing=() pair cmd pkg
    for pair in "$@"; do
        cmd=${pair%%:*} pkg=${pair#*:}
        if [[ $cmd == /* ]]; then [[ -x $cmd ]] && continue
        else command -v "$cmd" >/dev/null 2>&1 && continue
        fi
        missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "missing ${missing[*]} and apt-get is not available: install the packages '${missing[*]}' by hand"
    [[ $(id -u) -eq 0 ]] ||
        die "missing ${missing[*]}: run as root, or install them first: sudo apt-get install -y ${missing[*]}"
    step "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y "${missing[@]}" ||
        { apt-get update && apt-get install -y "${missing[@]}"; } ||
        die "apt-get install -y ${missing[*]} failed"
}

ensure_packages python3:python3 hyperfine:hyperfine hugo:hugo /usr/bin/time:time
command -v cargo >/dev/null 2>&1 || die "cargo not found (install a Rust toolchain, e.g. with rustup)"

# ----------------------------------------------------------------------------- 1. corpus
GEN_STAMP="count=$COUNT seed=$SEED gen=$(sha256sum bench/gen.py | cut -d' ' -f1)"
if ((REGEN)) || [[ ! -d $SITE/announcements || ! -d $HUGO_SITE/content ]] ||
    [[ "$(cat "$OUT/.gen-stamp" 2>/dev/null || true)" != "$GEN_STAMP" ]]; then
    step "generating $COUNT announcements x 2 languages (seed $SEED)"
    mkdir -p "$OUT"
    rm -f "$OUT/.gen-stamp"
    python3 bench/gen.py --site "$SITE" --hugo "$HUGO_SITE" --count "$COUNT" --seed "$SEED"
    echo "$GEN_STAMP" >"$OUT/.gen-stamp"
else
    step "corpus in $SITE is up to date (--regen to rebuild)"
fi
NFILES=$(find "$SITE/announcements" -name '*.md' | wc -l)
CORPUS_BYTES=$(find "$SITE/announcements" -name '*.md' -print0 | du -cb --files0-from=- | tail -n1 | cut -f1)
echo "$NFILES files, $((CORPUS_BYTES / 1024 / 1024)) MiB"

# Herald config: rewritten on every run so edits here take effect without --regen.
mkdir -p "$SITE/config"
cat >"$SITE/config/herald.toml" <<'EOF'
timezone = "Europe/Tallinn"
approvers = ["editor@example.org"]

[defaults]
lang = "et"
thread = "auto"

[channels.mastodon_et]
kind = "mastodon"
lang = "et"
base_url = "https://mastodon.example"
token_env = "MASTODON_TOKEN"

[channels.bluesky_et]
kind = "bluesky"
lang = "et"
service = "https://bsky.social"
identifier = "city.bsky.social"
password_env = "BLUESKY_APP_PASSWORD"

[channels.telegram_et]
kind = "telegram"
lang = "et"
chat_id = "@city"
token_env = "TELEGRAM_BOT_TOKEN"

[channels.x_en]
kind = "x"
lang = "en"
consumer_key_env = "X_CONSUMER_KEY"
consumer_secret_env = "X_CONSUMER_SECRET"
access_token_env = "X_ACCESS_TOKEN"
access_token_secret_env = "X_ACCESS_TOKEN_SECRET"

[channels.linkedin_en]
kind = "linkedin"
lang = "en"
organization = "urn:li:organization:12345"
token_env = "LINKEDIN_TOKEN"

[channels.discord_en]
kind = "discord"
lang = "en"
webhook_url_env = "DISCORD_WEBHOOK_URL"
EOF

# Minimal Hugo site over the same Markdown (content/announcements/<id>.<lang>.md;
# Hugo picks the language from the file name). Taxonomies, RSS and sitemap are off;
# buildFuture because every announcement is dated in 2027.
mkdir -p "$HUGO_SITE/layouts/_default"
cat >"$HUGO_SITE/hugo.toml" <<'EOF'
baseURL = "https://example.org/"
title = "Herald benchmark"
disableKinds = ["taxonomy", "term", "RSS", "sitemap"]
buildFuture = true
defaultContentLanguage = "et"

[languages.et]
weight = 1

[languages.en]
weight = 2
EOF
cat >"$HUGO_SITE/layouts/_default/single.html" <<'EOF'
<!doctype html><title>{{ .Title }}</title>{{ .Title }}{{ .Content }}
EOF
cat >"$HUGO_SITE/layouts/_default/list.html" <<'EOF'
<!doctype html><title>{{ .Title }}</title>{{ .Title }}
EOF

# ----------------------------------------------------------------------------- 2. build
step "cargo build --release"
cargo build --release
[[ -x $HERALD ]] || die "$HERALD was not built"

# ----------------------------------------------------------------------------- correctness runs
# Each command runs once untimed first: the benchmark is meaningless if one fails.
step "herald check --root $SITE (correctness run)"
set +e
"$HERALD" check --root "$SITE" >"$OUT/herald-check.log" 2>&1
rc=$?
set -e
if ((rc != 0)); then
    lines=$(wc -l <"$OUT/herald-check.log")
    if ((lines <= 60)); then
        cat "$OUT/herald-check.log" >&2
    else
        head -n 40 "$OUT/herald-check.log" >&2
        echo "... ($lines lines in all, full output in $OUT/herald-check.log) ..." >&2
        tail -n 10 "$OUT/herald-check.log" >&2
    fi
    die "herald check failed on the generated site (exit $rc); not benchmarking"
fi
tail -n 5 "$OUT/herald-check.log"
echo "herald check: exit 0"

step "hugo (correctness run)"
rm -rf "$HUGO_PUBLIC"
hugo --quiet -s "$HUGO_SITE" -d "$HUGO_PUBLIC" || die "hugo failed on $HUGO_SITE"
NPAGES=$(find "$HUGO_PUBLIC" -path '*/ann-*/index.html' | wc -l)
((NPAGES == NFILES)) || die "hugo rendered $NPAGES announcement pages, expected $NFILES"
echo "hugo rendered $NPAGES announcement pages"

# ----------------------------------------------------------------------------- 3. hyperfine
HERALD_CMD="$HERALD check -q --root $SITE"
READ_CMD="find $SITE/announcements -name '*.md' -print0 | xargs -0 cat > /dev/null"
HUGO_CMD="hugo --quiet -s $HUGO_SITE -d $(printf %q "$HUGO_PUBLIC")"
step "hyperfine (warmup 1, min $MIN_RUNS runs)"
hyperfine --warmup 1 --min-runs "$MIN_RUNS" \
    --export-json "$OUT/hyperfine.json" --export-markdown "$OUT/hyperfine.md" \
    -n herald "$HERALD_CMD" \
    -n read "$READ_CMD" \
    -n hugo "$HUGO_CMD"

# ----------------------------------------------------------------------------- peak memory
step "peak memory (/usr/bin/time -v, one run each)"
/usr/bin/time -v -o "$OUT/herald-time.txt" "$HERALD" check -q --root "$SITE" >/dev/null ||
    die "herald check failed under /usr/bin/time (see $OUT/herald-time.txt)"
/usr/bin/time -v -o "$OUT/hugo-time.txt" hugo --quiet -s "$HUGO_SITE" -d "$HUGO_PUBLIC" >/dev/null ||
    die "hugo failed under /usr/bin/time (see $OUT/hugo-time.txt)"

# ----------------------------------------------------------------------------- 4. summary
step "summary"
python3 - "$OUT" "$NFILES" "$CORPUS_BYTES" <<'EOF' | tee "$OUT/summary.txt"
import json, re, sys
out, nfiles, nbytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
res = {r["command"]: r for r in json.load(open(f"{out}/hyperfine.json"))["results"]}

def ms(s):
    return f"{s * 1000:9.1f} ms"

print(f"corpus: {nfiles} files, {nbytes / 2**20:.1f} MiB")
print(f"{'command':8} {'mean':>12} {'± stddev':>12} {'median':>12} {'min':>12} {'max':>12} {'runs':>5}")
for name in ("herald", "read", "hugo"):
    r = res[name]
    print(f"{name:8} {ms(r['mean']):>12} {ms(r['stddev'] or 0):>12} {ms(r['median']):>12}"
          f" {ms(r['min']):>12} {ms(r['max']):>12} {len(r['times']):5}")

h, rd, hg = (res[k]["mean"] for k in ("herald", "read", "hugo"))
print()
print(f"herald / read : {h / rd:6.2f}x  (time to check vs. time to merely read the files)")
print(f"herald / hugo : {h / hg:6.2f}x  (<1 means herald is faster; hugo is {hg / h:.2f}x herald)")
print(f"herald throughput: {nfiles / h:,.0f} files/s, {nbytes / 2**20 / h:,.1f} MiB/s")

def rss(path):
    text = open(path).read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return int(m.group(1)) if m else None

print()
for name in ("herald", "hugo"):
    kb = rss(f"{out}/{name}-time.txt")
    print(f"peak RSS {name:6}: " + (f"{kb / 1024:.1f} MiB" if kb is not None else "n/a"))
EOF
echo
echo "results: $OUT/hyperfine.json, $OUT/hyperfine.md, $OUT/summary.txt"
