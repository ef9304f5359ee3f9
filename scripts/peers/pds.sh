#!/usr/bin/env bash
# Installs (once) and starts a real Bluesky PDS (@atproto/pds 0.4.217, the newest that
# runs on Node 20) with a local in-memory did:plc directory, on loopback.
# usage: scripts/peers/pds.sh STATE_DIR     prints the variables the tests read
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$1"
STATE="$(cd "$1" && pwd)"
PLC_PORT="${PLC_PORT:-2582}"
PDS_PORT="${PDS_PORT:-2583}"

if [ ! -f "$HERE/pds/node_modules/@atproto/pds/package.json" ]; then
    echo "installing @atproto/pds (npm ci; better-sqlite3 compiles, about 3 minutes)" >&2
    # No prebuilt better-sqlite3 binary is reachable from here: build it from source.
    npm_config_build_from_source=true npm ci --silent --no-audit --no-fund --prefix "$HERE/pds" >&2
fi

stop() {
    [ -f "$1" ] && kill "$(cat "$1")" 2>/dev/null || true
}
stop "$STATE/plc.pid"
stop "$STATE/pds.pid"
rm -rf "$STATE/data"
mkdir -p "$STATE/data/blobs"

# Started directly (no subshell), their output to logs and stdin from /dev/null: a
# caller reading this script's output through a pipe must not wait for the servers.
cd "$HERE/pds"
PLC_PORT=$PLC_PORT nohup node plc.js >"$STATE/plc.log" 2>&1 </dev/null &
echo $! >"$STATE/plc.pid"
# PDS_DID_PLC_URL must point at the local directory: unset, it is the public one.
env PDS_HOSTNAME=localhost PDS_PORT="$PDS_PORT" PDS_DEV_MODE=true \
    PDS_INVITE_REQUIRED=false PDS_DATA_DIRECTORY="$STATE/data" \
    PDS_BLOBSTORE_DISK_LOCATION="$STATE/data/blobs" \
    PDS_DID_PLC_URL="http://127.0.0.1:$PLC_PORT" PDS_CRAWLERS= \
    PDS_JWT_SECRET="$(openssl rand -hex 16)" PDS_ADMIN_PASSWORD=herald-test-admin \
    PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX="$(openssl rand -hex 32)" \
    nohup node pds.js >"$STATE/pds.log" 2>&1 </dev/null &
echo $! >"$STATE/pds.pid"
cd - >/dev/null

for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$PDS_PORT/xrpc/_health" >/dev/null && break
    sleep 0.1
done
if ! curl -sf "http://127.0.0.1:$PDS_PORT/xrpc/_health" >/dev/null; then
    echo "error: the Bluesky PDS did not start; its log:" >&2
    tail -20 "$STATE/pds.log" "$STATE/plc.log" >&2
    exit 1
fi
echo "HERALD_TEST_PDS=http://localhost:$PDS_PORT"
