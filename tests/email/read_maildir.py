"""Reads every message in a Maildir with Python's `email` package and prints them as JSON
for Herald's email tests; verifies DKIM signatures with dkimpy against a given key.

usage: read_maildir.py MAILDIR [PUBLIC_KEY_BASE64]

Each message: envelope recipient (from the test server's X-Envelope-To), headers as
[name, decoded value] pairs in order, the MIME structure, each leaf part's type and
decoded text, and `dkim`: true/false (null without a key).
"""

import json
import mailbox
import sys
import email
import email.policy

maildir = sys.argv[1]
public_key = sys.argv[2] if len(sys.argv) > 2 else None
if public_key:
    import dkim


def structure(part):
    if part.is_multipart():
        return {"type": part.get_content_type(), "parts": [structure(p) for p in part.iter_parts()]}
    return {"type": part.get_content_type()}


out = []
box = mailbox.Maildir(maildir, factory=None, create=False)
for key in sorted(box.keys()):
    with box.get_file(key) as f:
        raw = f.read()
    m = email.message_from_bytes(raw, policy=email.policy.default)
    leaves = []
    for part in m.walk():
        if part.is_multipart():
            continue
        leaves.append(
            {
                "type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "text": part.get_content(),
            }
        )
    verified = None
    if public_key:
        record = ("v=DKIM1; k=rsa; p=" + public_key).encode()
        verified = bool(dkim.verify(raw, dnsfunc=lambda name, timeout=5: record))
    out.append(
        {
            "envelope_to": str(m["X-Envelope-To"]),
            "headers": [[k, str(v)] for k, v in m.items()],
            "structure": structure(m),
            "parts": leaves,
            "dkim": verified,
        }
    )
json.dump(out, sys.stdout, ensure_ascii=False)
