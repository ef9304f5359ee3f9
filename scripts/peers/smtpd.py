"""Herald's SMTP test server: aiosmtpd requiring STARTTLS before AUTH (PLAIN/LOGIN),
storing each message in a Maildir per recipient domain, with faults chosen by the
recipient's local part so tests can provoke them:

  bounce...@    550 5.1.1 for that recipient (permanent)
  tempfail...@  451 4.3.0 every time (transient)
  greylist...@  451 4.7.1 the first time, accepted when tried again
  shutdown...@  421 4.3.2 (transient, service shutting down)

Environment: SMTP_PORT, SMTP_USER, SMTP_PASS, SMTP_MAILDIR (root; one Maildir per
recipient domain below it), SMTP_CERT, SMTP_KEY, SMTP_LIFETIME (seconds; the server
stops by itself after that long, default 3 hours).
"""

import mailbox
import os
import re
import signal
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

PORT = int(os.environ.get("SMTP_PORT", "2587"))
USER = os.environ.get("SMTP_USER", "herald").encode()
PASS = os.environ.get("SMTP_PASS", "test-password").encode()
ROOT = os.environ.get("SMTP_MAILDIR", "./maildir")
LIFETIME = float(os.environ.get("SMTP_LIFETIME", str(3 * 3600)))
SAFE = re.compile(r"[^a-z0-9.-]")


class Handler:
    def __init__(self):
        self.lock = threading.Lock()
        self.count = 0
        self.greylisted = set()
        self.boxes = {}

    def box(self, domain):
        name = SAFE.sub("_", domain.lower()) or "_"
        with self.lock:
            if name not in self.boxes:
                self.boxes[name] = mailbox.Maildir(os.path.join(ROOT, name), create=True)
            return self.boxes[name]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("bounce"):
            return "550 5.1.1 <%s>: no such user here" % address
        if local.startswith("tempfail"):
            return "451 4.3.0 temporary failure, try again later"
        if local.startswith("shutdown"):
            return "421 4.3.2 service shutting down, try again later"
        if local.startswith("greylist"):
            with self.lock:
                first = address.lower() not in self.greylisted
                self.greylisted.add(address.lower())
            if first:
                return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        login = getattr(session.auth_data, "login", None) or b"-"
        for rcpt in envelope.rcpt_tos:
            head = b"X-Envelope-From: %s\r\nX-Envelope-To: %s\r\nX-Auth-User: %s\r\nX-TLS: %s\r\n" % (
                envelope.mail_from.encode(),
                rcpt.encode(),
                login,
                b"yes" if session.ssl else b"no",
            )
            self.box(rcpt.rsplit("@", 1)[-1]).add(head + data)
        with self.lock:
            self.count += 1
            n = self.count
        return "250 2.0.0 OK queued as %d" % n


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER and auth_data.password == PASS
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(os.environ["SMTP_CERT"], os.environ["SMTP_KEY"])
handler = Handler()
controller = Controller(
    handler,
    hostname="127.0.0.1",
    port=PORT,
    tls_context=ctx,
    require_starttls=True,
    authenticator=authenticator,
    auth_required=True,
    auth_require_tls=True,
    data_size_limit=50 * 1024 * 1024,
)
controller.start()
print(f"smtp listening on 127.0.0.1:{PORT} maildirs below {ROOT}", flush=True)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: stop.set())
signal.signal(signal.SIGINT, lambda *a: stop.set())
stop.wait(LIFETIME)
controller.stop()
print(f"received {handler.count} messages", flush=True)
