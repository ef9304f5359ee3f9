#!/usr/bin/env bash
# Installs (once) and starts mastodon-mock (PyPI, a third-party stateful Mastodon API
# server: statuses, media, Idempotency-Key, fault injection) on loopback: one instance
# for ordinary tests and one whose faults tests may switch on without disturbing others.
# usage: scripts/peers/mastodon.sh STATE_DIR      prints the variables the tests read
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE="$1"
PKG="mastodon-mock==0.6.1"
VENV="$ROOT/.tools/mastodon-mock"
PORT="${MASTODON_PORT:-3000}"
FAULTS_PORT="${MASTODON_FAULTS_PORT:-3001}"
mkdir -p "$STATE"

if [ "$(cat "$VENV/.pkg" 2>/dev/null)" != "$PKG" ]; then
    echo "installing $PKG from PyPI into .tools/mastodon-mock" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$PKG" >&2
    echo "$PKG" >"$VENV/.pkg"
fi

start() { # name port
    local pid="$STATE/$1.pid"
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
    nohup "$VENV/bin/mastodon_mock" serve --in-memory --host 127.0.0.1 --port "$2" \
        --domain "127.0.0.1:$2" --log-level warning >"$STATE/$1.log" 2>&1 </dev/null &
    echo $! >"$pid"
}
start mastodon "$PORT"
start mastodon-faults "$FAULTS_PORT"

for port in "$PORT" "$FAULTS_PORT"; do
    # Up to 60 s: Python starts slowly on a loaded 2-core machine.
    for _ in $(seq 600); do
        curl -sf "http://127.0.0.1:$port/api/v1/instance" >/dev/null && break
        sleep 0.1
    done
    if ! curl -sf "http://127.0.0.1:$port/api/v1/instance" >/dev/null; then
        echo "error: mastodon-mock did not start on port $port; its log:" >&2
        tail -n 20 "$STATE"/mastodon*.log >&2
        exit 1
    fi
done
echo "HERALD_TEST_MASTODON=http://127.0.0.1:$PORT"
echo "HERALD_TEST_MASTODON_FAULTS=http://127.0.0.1:$FAULTS_PORT"
