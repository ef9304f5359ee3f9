"""Validates the feed files Herald wrote in one folder, and prints what a reader sees.

usage: python validate.py DIR

DIR holds rss.xml, atom.xml and feed.json. Each is checked against its specification:
  - RSS 2.0 (rssboard.org/rss-specification) with lxml: structure, required elements,
    RFC 822 dates, guids;
  - Atom (RFC 4287) with lxml: the requirements of sections 3, 4.1.1 and 4.1.2 checked one
    by one (cardinalities, author, RFC 3339 dates, absolute ids, text and content types,
    entries after the feed's other children), and each removed entry's
    at:deleted-entry (RFC 6721 section 3: a child of the feed with an absolute `ref` and
    an RFC 3339 `when`, at most one at:by, at:comment and atom:source, no two alike);
  - JSON Feed 1.1 against jsonfeed-1.1.schema.json (next to this script) with jsonschema;
and RSS and Atom are read with feedparser, which must not flag them (bozo). feedparser's
releases (6.0.x) do not read JSON Feed, so feed.json is read with the json module into the
same shape, after the schema and the checks below have held. Every problem is listed
and the exit code is 1; else the exit code is 0 and stdout is a JSON document with what
feedparser read from each file, for the Rust test to compare with what it expects.
"""

import datetime
import email.utils
import json
import re
import sys
from pathlib import Path

import feedparser
import jsonschema
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}"
RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)
ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def parse_xml(path):
    # No recovery: a feed that is not well-formed XML fails here.
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    return etree.parse(str(path), parser).getroot()


def count(parent, tag):
    return len(parent.findall(tag))


def check_rss(path):
    root = parse_xml(path)
    if root.tag != "rss" or root.get("version") != "2.0":
        problem(path.name, f"root is <{root.tag} version={root.get('version')}>, not <rss version=\"2.0\">")
        return
    channels = root.findall("channel")
    if len(channels) != 1:
        problem(path.name, f"{len(channels)} <channel> elements, must be one")
        return
    channel = channels[0]
    for tag in ("title", "link", "description"):
        if count(channel, tag) != 1:
            problem(path.name, f"channel needs exactly one <{tag}>")
    for tag in ("language", "lastBuildDate", "pubDate"):
        if count(channel, tag) > 1:
            problem(path.name, f"channel has more than one <{tag}>")
    for tag in ("lastBuildDate", "pubDate"):
        for el in channel.findall(tag):
            check_rfc822(path.name, tag, el.text)
    selfs = [l for l in channel.findall(ATOM + "link") if l.get("rel") == "self"]
    if len(selfs) != 1 or not ABSOLUTE_IRI.match(selfs[0].get("href") or ""):
        problem(path.name, "channel needs one atom:link rel=\"self\" with an absolute href")
    guids = set()
    for i, item in enumerate(channel.findall("item")):
        where = f"{path.name} item {i + 1}"
        if count(item, "title") + count(item, "description") == 0:
            problem(where, "an item needs a <title> or a <description>")
        for tag in ("title", "link", "description", "guid", "pubDate"):
            if count(item, tag) > 1:
                problem(where, f"more than one <{tag}>")
        for el in item.findall("pubDate"):
            check_rfc822(where, "pubDate", el.text)
        for el in item.findall("guid"):
            if el.get("isPermaLink") not in (None, "true", "false"):
                problem(where, f"guid isPermaLink={el.get('isPermaLink')!r}")
            if el.text in guids:
                problem(where, f"guid {el.text} is not unique")
            guids.add(el.text)
        for el in item.findall("category"):
            if not (el.text or "").strip():
                problem(where, "an empty <category>")
        for el in item:
            if len(el) and el.tag in ("title", "description", "link", "guid"):
                problem(where, f"<{el.tag}> has child elements: markup was not escaped")


def check_rfc822(where, tag, text):
    try:
        parsed = email.utils.parsedate_to_datetime(text or "")
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        problem(where, f"<{tag}> {text!r} is not an RFC 822 date with a zone")


def check_atom(path):
    root = parse_xml(path)
    if root.tag != ATOM + "feed":
        problem(path.name, f"root is {root.tag}, not atom:feed")
        return
    check_atom_common(path.name, root, feed=True)
    # 4.1.1: "metadata elements followed by zero or more atom:entry child elements".
    children = [el for el in root if isinstance(el.tag, str)]
    first_entry = next((i for i, el in enumerate(children) if el.tag == ATOM + "entry"), None)
    if first_entry is not None:
        for el in children[first_entry:]:
            if el.tag != ATOM + "entry":
                problem(path.name, f"{el.tag} after the first atom:entry")
    check_tombstones(path.name, root)
    feed_has_author = count(root, ATOM + "author") > 0
    ids = set()
    for i, entry in enumerate(root.findall(ATOM + "entry")):
        where = f"{path.name} entry {i + 1}"
        check_atom_common(where, entry, feed=False)
        # 4.1.2: an entry has an author unless its feed (or its source) has one.
        if not feed_has_author and count(entry, ATOM + "author") == 0:
            problem(where, "no atom:author in the entry nor in the feed")
        for tag in ("content", "published", "source", "summary"):
            if count(entry, ATOM + tag) > 1:
                problem(where, f"more than one atom:{tag}")
        contents = entry.findall(ATOM + "content")
        if not contents and not any(
            l.get("rel", "alternate") == "alternate" for l in entry.findall(ATOM + "link")
        ):
            problem(where, "no atom:content, so it needs a link rel=\"alternate\"")
        for content in contents:
            kind = content.get("type", "text")
            if kind in ("text", "html") and len(content):
                problem(where, f"atom:content type={kind} has child elements: markup was not escaped")
            if content.get("src") is not None and count(entry, ATOM + "summary") == 0:
                problem(where, "atom:content with src needs an atom:summary")
        for el in entry.findall(ATOM + "published"):
            check_date(where, el)
        entry_id = entry.findtext(ATOM + "id")
        if entry_id in ids:
            problem(where, f"atom:id {entry_id} is not unique")
        ids.add(entry_id)


def check_tombstones(where, root):
    """RFC 6721 section 3, for each at:deleted-entry of the feed."""
    for el in root.iter(TOMBSTONES + "deleted-entry"):
        if el.getparent() is not root:
            problem(where, f"at:deleted-entry inside {el.getparent().tag}, not the feed")
    seen = set()
    entry_ids = {e.findtext(ATOM + "id") for e in root.findall(ATOM + "entry")}
    for i, el in enumerate(root.findall(TOMBSTONES + "deleted-entry")):
        at = f"{where} at:deleted-entry {i + 1}"
        ref, when = el.get("ref"), el.get("when")
        if not ABSOLUTE_IRI.match(ref or ""):
            problem(at, f"ref {ref!r} is not an absolute IRI")
        if not RFC3339.match(when or ""):
            problem(at, f"when {when!r} is not an RFC 3339 date-time")
        if (ref, when) in seen:
            problem(at, f"a second at:deleted-entry with ref {ref} and when {when}")
        seen.add((ref, when))
        # Herald's own rule: an entry is listed or removed, never both.
        if ref in entry_ids:
            problem(at, f"ref {ref} is also an atom:entry of the feed")
        for tag in (TOMBSTONES + "by", TOMBSTONES + "comment", ATOM + "source"):
            if count(el, tag) > 1:
                problem(at, f"more than one {tag}")
        for person in el.findall(TOMBSTONES + "by"):
            if count(person, ATOM + "name") != 1:
                problem(at, "at:by needs exactly one atom:name")


def tombstones(path):
    """The at:deleted-entry elements of an Atom feed, as `ref` and `when`."""
    root = parse_xml(path)
    return [
        {"ref": el.get("ref"), "when": el.get("when")}
        for el in root.findall(TOMBSTONES + "deleted-entry")
    ]


def check_atom_common(where, el, feed):
    """What sections 3 and 4.1.1/4.1.2 ask of both atom:feed and atom:entry."""
    for tag in ("id", "title", "updated"):
        if count(el, ATOM + tag) != 1:
            problem(where, f"needs exactly one atom:{tag}")
    for tag in ("rights",) + (("generator", "icon", "logo", "subtitle") if feed else ()):
        if count(el, ATOM + tag) > 1:
            problem(where, f"more than one atom:{tag}")
    for id_el in el.findall(ATOM + "id"):
        if not ABSOLUTE_IRI.match((id_el.text or "").strip()):
            problem(where, f"atom:id {id_el.text!r} is not an absolute IRI")
    for date_el in el.findall(ATOM + "updated"):
        check_date(where, date_el)
    for tag in ("title", "subtitle", "summary", "rights"):
        for text_el in el.findall(ATOM + tag):
            kind = text_el.get("type", "text")
            if kind not in ("text", "html", "xhtml"):
                problem(where, f"atom:{tag} type={kind!r}")
            if kind in ("text", "html") and len(text_el):
                problem(where, f"atom:{tag} has child elements: markup was not escaped")
    alternates = set()
    for link in el.findall(ATOM + "link"):
        if not link.get("href"):
            problem(where, "atom:link without href")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type"), link.get("hreflang"))
            if key in alternates:
                problem(where, f"two links rel=alternate with type/hreflang {key}")
            alternates.add(key)
    for cat in el.findall(ATOM + "category"):
        if not cat.get("term"):
            problem(where, "atom:category without term")
    for person in el.findall(ATOM + "author"):
        if count(person, ATOM + "name") != 1:
            problem(where, "atom:author needs exactly one atom:name")
    if feed and not any(l.get("rel") == "self" for l in el.findall(ATOM + "link")):
        problem(where, "no link rel=\"self\" (RFC 4287 says a feed SHOULD have one)")


def check_date(where, el):
    # 3.3: an RFC 3339 date-time, with an uppercase T and Z.
    if not RFC3339.match((el.text or "").strip()):
        problem(where, f"{el.tag} {el.text!r} is not an RFC 3339 date-time")


def check_json(path):
    schema = json.loads((Path(__file__).parent / "jsonfeed-1.1.schema.json").read_text())
    doc = json.loads(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
        location = "/".join(str(p) for p in error.path) or "(root)"
        problem(path.name, f"{location}: {error.message}")
    ids = [item.get("id") for item in doc.get("items", [])]
    if len(ids) != len(set(ids)):
        problem(path.name, "item ids are not unique")
    # The spec's URLs are absolute here (a reader resolves nothing against a feed file).
    for key in ("home_page_url", "feed_url"):
        if not ABSOLUTE_IRI.match(doc.get(key, "")):
            problem(path.name, f"{key} {doc.get(key)!r} is not an absolute URL")
    for i, item in enumerate(doc.get("items", [])):
        for key in ("date_published", "date_modified"):
            if key in item:
                try:
                    datetime.datetime.fromisoformat(item[key].replace("Z", "+00:00"))
                except ValueError:
                    problem(path.name, f"items/{i}/{key} {item[key]!r} does not parse")


def read_json(path):
    """What a JSON Feed reader takes from feed.json, in the shape of read()'s answer."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {
        "version": doc.get("version"),
        "title": doc.get("title"),
        "link": doc.get("home_page_url"),
        "language": doc.get("language"),
        "author": (doc.get("authors") or [{}])[0].get("name"),
        # JSON Feed dates its items only.
        "updated": None,
        "entries": [
            {
                "id": item.get("id"),
                "title": item.get("title"),
                "title_type": "text/plain",
                "link": item.get("url"),
                "published": utc(item.get("date_published")),
                "updated": utc(item.get("date_modified")),
                "tags": item.get("tags", []),
                "summary": item.get("summary"),
                "content": [item.get("content_html")],
            }
            for item in doc.get("items", [])
        ],
    }


def utc(text):
    """A JSON Feed date as iso() writes it, or None."""
    if text is None:
        return None
    parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return iso(parsed.astimezone(datetime.timezone.utc).timetuple())


def read(path, expected_version):
    parsed = feedparser.parse(str(path))
    if parsed.bozo:
        problem(path.name, f"feedparser: {parsed.bozo_exception!r}")
    if parsed.version != expected_version:
        problem(path.name, f"feedparser reads it as {parsed.version!r}, not {expected_version!r}")
    feed = parsed.feed
    return {
        "version": parsed.version,
        "title": feed.get("title"),
        "link": feed.get("link"),
        "language": feed.get("language"),
        "author": feed.get("author"),
        "updated": iso(feed.get("updated_parsed")),
        "entries": [
            {
                "id": e.get("id"),
                "title": e.get("title"),
                "title_type": e.get("title_detail", {}).get("type"),
                "link": e.get("link"),
                "published": iso(e.get("published_parsed")),
                "updated": iso(e.get("updated_parsed")),
                "tags": [t.get("term") for t in e.get("tags", [])],
                "summary": e.get("summary"),
                "content": [c.get("value") for c in e.get("content", [])],
            }
            for e in parsed.entries
        ],
    }


def iso(parsed):
    if not parsed:
        return None
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(parsed[:6])


def main():
    folder = Path(sys.argv[1])
    check_rss(folder / "rss.xml")
    check_atom(folder / "atom.xml")
    check_json(folder / "feed.json")
    seen = {
        "rss": read(folder / "rss.xml", "rss20"),
        "atom": dict(read(folder / "atom.xml", "atom10"), deleted=tombstones(folder / "atom.xml")),
        "json": read_json(folder / "feed.json"),
    }
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    json.dump(seen, sys.stdout, indent=2, ensure_ascii=False, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
