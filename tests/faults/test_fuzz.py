"""Property: whatever the inputs hold, a run succeeds and every item ends in exactly one place.

Hypothesis builds input folders from random and mutated JSONL records, text
dumps, HTML pages, saved feeds and file names (lone surrogates, undecodable
bytes, dates in year 1 and 9999, broken URLs, truncated and bit-flipped
documents), and live feeds served on loopback with hostile entries; each goes
through the real CLI. Examples are derandomized so CI is repeatable; set
NEWSBEAM_FUZZ_EXAMPLES=200 (and NEWSBEAM_FUZZ_RANDOM=1) to search further.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES, check_accounting, run_newsbeam
from tests.support.site import Site, article_page, rss

EXAMPLES = int(os.environ.get("NEWSBEAM_FUZZ_EXAMPLES", "6"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("NEWSBEAM_FUZZ_RANDOM"),
                suppress_health_check=list(HealthCheck), database=None)

TEXT = ("NATO foreign ministers met in Brussels to discuss Ukraine's membership bid and air defence. "
        "Die Nato und die Ukraine beraten über den Beitritt. ")
SAMPLE_DOCUMENTS = {path.suffix: path.read_bytes() for path in
                    [SAMPLES / "feeds" / "eurowire.rss", SAMPLES / "html" / "tagesblick-beitritt.html",
                     SAMPLES / "txt" / "la-gazette-otan.txt", SAMPLES / "jsonl" / "wire.jsonl"]}

# any character, lone surrogates included
texts = st.text(st.characters(categories=["L", "N", "P", "S", "Z", "C", "Cs", "Co"]), max_size=60)
dates = st.one_of(
    st.none(), st.integers(-2**63, 2**63), st.floats(allow_nan=True), texts,
    st.sampled_from(["0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "Mon, 01 Jan 0001 00:00:00 +0000",
                     "2025-02-30", "1899-12-31", "2025-06-24T10:00:00Z", "2999-01-01", "", "-1", "1e400"]))
urls = st.one_of(
    st.none(), texts,
    st.sampled_from(["http://host:99999/", "http://[::1/", "https://example.org/a?utm_source=x&b=%ZZ",
                     "javascript:alert(1)", "http://169.254.169.254\\@example.com/", "http://user:pw@a.example/x",
                     "https://a.example/" + "x" * 3000, "//no-scheme.example/a", "https://ÿ.example/ü"]),
    st.builds(lambda a, b: f"https://{a}.example/{b}", st.from_regex(r"[a-z]{1,8}", fullmatch=True), texts))
values = st.one_of(texts, st.integers(), st.floats(), st.booleans(), st.none(), st.lists(st.integers(), max_size=3),
                   st.dictionaries(texts, st.integers(), max_size=2))
records = st.fixed_dictionaries(
    {}, optional={"url": urls, "title": st.one_of(texts, values), "text": st.one_of(texts.map(lambda t: TEXT + t), values),
                  "html": st.one_of(texts.map(lambda t: f"<p>{TEXT}{t}</p>"), values), "published": dates,
                  "outlet": st.one_of(texts, values), "language": st.one_of(texts, values),
                  "author": st.one_of(texts, values)})
jsonl_lines = st.one_of(records.map(lambda r: json.dumps(r, ensure_ascii=True)), texts,
                        st.just('{"url": "https://cut.example/a", "text": "cut off'), st.just("[1, 2]"))


@st.composite
def mutated(draw, document: bytes) -> bytes:
    """A real document, truncated, bit-flipped or with foreign bytes spliced in."""
    data = bytearray(document)
    for _ in range(draw(st.integers(0, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "splice"]))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut":
            del data[at:]
        else:
            data[at:at] = draw(st.sampled_from([b"\x00", b"\xff\xfe", b"&#55296;", b"<!ENTITY x 'y'>", b"]]>",
                                                b"\xed\xa0\x80", "0001-01-01".encode(), b"<item>", b"\r\n\r\n"]))
    return bytes(data)


names = st.one_of(
    st.from_regex(r"[a-zA-Z0-9 ._-]{1,20}", fullmatch=True),
    texts.filter(lambda t: t and "/" not in t and "\x00" not in t),
    st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\x00" not in b).map(os.fsdecode))
extensions = st.sampled_from([".txt", ".html", ".jsonl", ".rss", ".xml", ".atom", ".gz", ".txt.gz", ".pdf", ""])
documents = st.one_of(
    st.lists(jsonl_lines, max_size=6).map(lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")),
    *(mutated(document) for document in SAMPLE_DOCUMENTS.values()),
    st.binary(max_size=300),
    texts.map(lambda t: (TEXT + t).encode("utf-8", "surrogatepass")))
files = st.lists(st.tuples(names, extensions, documents), min_size=1, max_size=8)


def safe_name(name: str, extension: str, taken: set) -> str:
    name = name.replace(os.sep, "_")
    if name in (".", "..") or name.startswith("_meta"):
        name = "x" + name
    candidate, n = name + extension, 0
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}{extension}"
    taken.add(candidate)
    return candidate


@FUZZ
@given(files)
def test_any_input_folder_ends_as_rows_that_add_up(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder, taken = Path(tmp) / "in", set()
        folder.mkdir()
        for name, extension, data in files:
            path = os.path.join(os.fsencode(folder), os.fsencode(safe_name(name, extension, taken)))
            with open(path, "wb") as handle:
                handle.write(data)
        output = Path(tmp) / "out"
        assert run_newsbeam("--input", folder, "--output", output) == 0
        manifest = check_accounting(output)
        assert manifest["counts"]["input_items"] >= 1


entries = st.lists(st.fixed_dictionaries({
    "title": texts.map(lambda t: t.encode("ascii", "xmlcharrefreplace").decode().replace("<", "&lt;")),
    "link": st.sampled_from(["PAGE", "http://host:99999/", "http://[::1/", "http://0x7f.1/x",
                             "https://ÿ.example/", "ftp://a.example/", "", "PAGE?&#55296;"]),
    "pubDate": st.sampled_from(["Mon, 01 Jan 0001 00:00:00 +0000", "Fri, 31 Dec 9999 23:59:59 +0000",
                                "Tue, 24 Jun 2025 08:00:00 GMT", "gestern", ""]),
    "description": texts.map(lambda t: (TEXT + t).encode("ascii", "xmlcharrefreplace").decode()
                             .replace("<", "&lt;").replace("&#", "&amp;#") if t else TEXT + "&#55296;")}),
    min_size=1, max_size=5)


@FUZZ
@given(entries, entries)
def test_any_live_feed_ends_as_rows_that_add_up(first, second):
    with tempfile.TemporaryDirectory() as tmp, Site() as site:
        site.add("/page.html", article_page("A page", [TEXT, "Second paragraph of the page."]))
        for n, feed in enumerate((first, second)):
            for entry in feed:
                entry["link"] = (entry["link"].replace("PAGE", site.url("/page.html")) + f"#{n}")
            site.add(f"/feed-{n}.xml", rss(feed))
        config = Path(tmp) / "feeds.yaml"
        config.write_text(yaml.safe_dump({"feeds": [site.url("/feed-0.xml"), site.url("/feed-1.xml")], "fetch": {
            "allow_private_network": True, "per_host_delay": 0.0, "retries": 0, "connect_timeout": 2.0,
            "read_timeout": 2.0, "respect_robots": False}}))
        output = Path(tmp) / "out"
        assert run_newsbeam("--config", config, "--output", output) == 0
        check_accounting(output)
