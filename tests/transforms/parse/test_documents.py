"""Parse stage: one document per item; a bad item is one error row, its neighbours go on."""
import gzip
import json

import apache_beam as beam
import pytest

from newsbeam.transforms.parse.documents import ParseDocuments, detect_format
from newsbeam.transforms.records import SourceFile


@pytest.fixture
def parse(run_transform):
    """Run ParseDocuments over SourceFiles; returns (documents, errors)."""
    def run(*sources):
        def build(p):
            result = p | beam.Create(list(sources)) | ParseDocuments()
            return {"documents": result.documents, "errors": result.errors}
        found = run_transform(build)
        return sorted(found["documents"], key=lambda d: (d.source, d.locator)), found["errors"]
    return run


def test_detect_format():
    assert detect_format("gs://b/x/page.HTML") == ("html", False)
    assert detect_format("/a/feed.rss.gz") == ("feed", True)
    assert detect_format("/a/data.jsonl") == ("jsonl", False)
    assert detect_format("/a/image.png") == (None, False)
    assert detect_format("/a/README") == (None, False)


def test_jsonl_bad_line_is_one_error_and_the_others_proceed(parse):
    lines = [json.dumps({"url": "https://a.example/1", "title": "Eins", "text": "Text eins."}),
             '{"url": "https://a.example/2", "title": "cut off',
             json.dumps(["not", "an", "object"]),
             json.dumps({"title": 5, "text": "x"}),
             "",
             json.dumps({"html": "<p>Zwei</p>", "published": "2025-02-13T10:00:00+01:00", "language": "de-AT"})]
    docs, errors = parse(SourceFile("/in/a.jsonl", "jsonl", "\n".join(lines).encode()))
    assert [d.locator for d in docs] == ["line 1", "line 6"]
    assert docs[1].body_format == "html" and docs[1].language == "de"
    assert docs[1].published_at.isoformat() == "2025-02-13T09:00:00+00:00"
    assert sorted((e.locator, e.stage, e.error_type) for e in errors) == [
        ("line 2", "parse", "invalid_json"), ("line 3", "parse", "invalid_record"),
        ("line 4", "parse", "invalid_record")]


RSS = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0"><channel><title>T</title><link>https://feed.example/</link>
<item><title>Gr\xfc\xdfe aus der Ukraine</title><link>https://feed.example/a</link>
<pubDate>Thu, 13 Feb 2025 10:00:00 +0100</pubDate><description>&lt;p&gt;K\xf6ln und Kiew&lt;/p&gt;</description></item>
<item><title>Zwei</title><link>https://feed.example/b</link><description>Nur Text</description></item>
</channel></rss>"""


def test_saved_feed_gives_one_document_per_entry_with_its_encoding(parse):
    docs, errors = parse(SourceFile("/in/f.rss", "feed", b"\n\n   " + RSS))  # whitespace before <?xml
    assert errors == []
    first = sorted(docs, key=lambda d: d.locator)[0]
    assert first.title == "Grüße aus der Ukraine" and "Köln und Kiew" in first.body
    assert first.published_at.isoformat() == "2025-02-13T09:00:00+00:00"
    assert first.url == "https://feed.example/a"


def test_things_that_are_not_feeds_or_not_text_become_errors(parse):
    docs, errors = parse(
        SourceFile("/in/page.xml", "feed", b"<html><body><p>Just a page</p></body></html>"),
        SourceFile("/in/broken.rss", "feed", b"this is { not XML at all"),
        SourceFile("/in/junk.txt", "txt", bytes(range(256)) * 4),
        SourceFile("/in/empty.jsonl", "jsonl", b"\n\n"),
    )
    assert docs == []
    assert sorted((e.source, e.stage, e.error_type) for e in errors) == [
        ("/in/broken.rss", "parse", "not_a_feed"),
        ("/in/empty.jsonl", "read", "empty"),
        ("/in/junk.txt", "decode", "undecodable"),
        ("/in/page.xml", "parse", "not_a_feed"),
    ]


def test_sidecar_hints_fill_what_the_file_does_not_say(parse):
    hints = (("outlet", "Rheinblatt"), ("published", "2025-03-04T08:15:00+01:00"), ("url", "https://r.example/a"))
    docs, _ = parse(SourceFile("/in/a.txt", "txt", "Titel\nText über die Ukraine.".encode("cp1252"), hints))
    (doc,) = docs
    assert (doc.outlet, doc.url, doc.published_at.isoformat()) == (
        "Rheinblatt", "https://r.example/a", "2025-03-04T07:15:00+00:00")


def test_gzip_is_handled_by_the_reader_not_here(parse):
    # ParseDocuments receives decompressed bytes; a still-compressed payload is not text.
    docs, errors = parse(SourceFile("/in/a.txt", "txt", gzip.compress(b"x" * 100)))
    assert docs == [] and errors[0].stage == "decode"


def test_malformed_feed_keeps_the_entries_it_still_yields(parse):
    truncated = b"<rss><channel><item><title>Ukraine</title><link>https://f.example/a</link>" \
                b"<description>Text</description></item><item><title>cut"
    docs, errors = parse(SourceFile("/in/cut.rss", "feed", truncated))
    assert errors == [] and docs[0].title == "Ukraine" and docs[0].body == "Text"
