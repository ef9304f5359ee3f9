#!/usr/bin/env bash
# The SMTP server the email tests send to: aiosmtpd (PyPI) requiring STARTTLS, then AUTH,
# storing to Maildirs below .tools/smtp/maildir, with a self-signed certificate.
# Also installs dkimpy, which the tests use to verify DKIM signatures.
#
# Source it (`. scripts/peers/smtp.sh`): it (re)starts the server and exports
#   HERALD_TEST_SMTP_PORT     the port on 127.0.0.1 (2587)
#   HERALD_TEST_SMTP_USER     the AUTH user
#   HERALD_TEST_SMTP_PASS     the AUTH password
#   HERALD_TEST_SMTP_CA       the CA that signed the server's certificate (PEM), to trust
#   HERALD_TEST_SMTP_MAILDIR  the folder holding one Maildir per recipient domain
#   HERALD_TEST_PYTHON        a Python with dkimpy, for tests/email/read_maildir.py
# Run directly, it starts the server and prints those variables.

_herald_smtp() {
    local root dir venv port pkgs
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    dir="$root/.tools/smtp"
    venv="$root/.tools/smtp-venv"
    port="${HERALD_TEST_SMTP_PORT:-2587}"
    pkgs="aiosmtpd==1.4.6 dkimpy==1.1.8"
    mkdir -p "$dir"
    if [ "$(cat "$venv/.pkgs" 2>/dev/null)" != "$pkgs" ]; then
        echo "installing $pkgs from PyPI into .tools/smtp-venv"
        rm -rf "$venv"
        python3 -m venv "$venv"
        # shellcheck disable=SC2086
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $pkgs
        printf '%s\n' "$pkgs" >"$venv/.pkgs"
    fi
    # A private CA and a server certificate it signs (rustls refuses a self-signed
    # certificate that is its own CA).
    if [ ! -s "$dir/cert.pem" ] || [ ! -s "$dir/ca.pem" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" \
            -days 3650 -subj "/CN=Herald test CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.csr" \
            -subj /CN=localhost 2>/dev/null
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$dir/cert.ext"
        openssl x509 -req -in "$dir/cert.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
            -CAcreateserial -days 3650 -extfile "$dir/cert.ext" -out "$dir/cert.pem" 2>/dev/null
    fi
    # A server this script started earlier is replaced, so it always runs this version.
    if [ -s "$dir/smtpd.pid" ]; then
        kill "$(cat "$dir/smtpd.pid")" 2>/dev/null || true
        for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$dir/maildir"
    mkdir -p "$dir/maildir"
    SMTP_PORT="$port" SMTP_USER=herald SMTP_PASS=test-password SMTP_MAILDIR="$dir/maildir" \
        SMTP_CERT="$dir/cert.pem" SMTP_KEY="$dir/key.pem" \
        nohup "$venv/bin/python" "$root/scripts/peers/smtpd.py" </dev/null >"$dir/smtpd.log" 2>&1 &
    echo $! >"$dir/smtpd.pid"
    local up=""
    # Ready when this server says it listens (the port alone could be another server's).
    for _ in $(seq 100); do
        if grep -q "smtp listening" "$dir/smtpd.log" 2>/dev/null; then up=1; break; fi
        kill -0 "$(cat "$dir/smtpd.pid")" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$up" ]; then
        echo "error: the SMTP test server did not start on port $port (is it taken?); its log:" >&2
        cat "$dir/smtpd.log" >&2
        return 1
    fi

    export HERALD_TEST_SMTP_PORT="$port"
    export HERALD_TEST_SMTP_USER=herald
    export HERALD_TEST_SMTP_PASS=test-password
    export HERALD_TEST_SMTP_CA="$dir/ca.pem"
    export HERALD_TEST_SMTP_MAILDIR="$dir/maildir"
    export HERALD_TEST_PYTHON="$venv/bin/python"
    echo "SMTP test server on 127.0.0.1:$port (pid $(cat "$dir/smtpd.pid")), Maildirs in $dir/maildir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    _herald_smtp
    env | grep '^HERALD_TEST_' | sed 's/^/export /'
else
    _herald_smtp
fi
