#!/usr/bin/env bash
# Installs (once) the feed validators the feed tests run, from PyPI into .tools/feed-venv:
# feedparser (reads RSS, Atom and JSON Feed as feed readers do), lxml (XML structure) and
# jsonschema (JSON Feed against tests/feeds/jsonfeed-1.1.schema.json).
# usage: scripts/peers/feed-tools.sh [STATE_DIR]    prints the variable the tests read
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PKGS="feedparser==6.0.14 lxml==6.1.3 jsonschema==4.26.0"
VENV="$ROOT/.tools/feed-venv"

if [ "$(cat "$VENV/.pkgs" 2>/dev/null)" != "$PKGS" ]; then
    echo "installing $PKGS from PyPI into .tools/feed-venv" >&2
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086 # one word per package
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check $PKGS >&2
    echo "$PKGS" >"$VENV/.pkgs"
fi
"$VENV/bin/python" -c "import feedparser, lxml, jsonschema" >&2
echo "HERALD_TEST_FEED_PYTHON=$VENV/bin/python"
