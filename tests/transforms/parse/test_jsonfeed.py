"""JSON Feed 1.0 and 1.1: items become entries as RSS items do, saved as .json files or live."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import check_accounting, rows, run_newsbeam
from tests.transforms.read.test_feeds import BODY, run_feeds
from tests.support.site import Site, article_page
from newsbeam.transforms.parse.feeds import FeedError, parse_feed

STORY = ("NATO foreign ministers met in Brussels on Tuesday to discuss Ukraine's membership bid and the air defence "
         "package that the alliance promised in June.")


def feed(items: list, version: str = "https://jsonfeed.org/version/1.1", **fields) -> bytes:
    return json.dumps({"version": version, "title": "Loopback JSON", "items": items, **fields}).encode()


def test_items_become_entries_with_the_fields_rss_items_have():
    parsed = parse_feed(feed([
        {"id": "1", "url": "https://a.example/1", "external_url": "https://elsewhere.example/1",
         "title": "Kyiv&#8217;s bid", "content_html": "<p>Full</p>", "content_text": "Full as text",
         "summary": "Short", "date_published": "2025-06-01T10:00:00+02:00", "date_modified": "2025-06-03T10:00:00Z",
         "authors": [{"name": "Anna"}, {"name": "Ben"}], "language": "de-AT"},
        {"id": 2, "external_url": "https://b.example/2", "content_text": "Only text",
         "date_modified": "2025-06-02T10:00:00Z"},
    ], language="en", authors=[{"name": "The desk"}]), "https://a.example/feed.json")
    first, second = parsed.documents
    assert (first.url, first.title, first.author, first.language) == (
        "https://a.example/1", "Kyiv’s bid", "Anna, Ben", "de")
    assert (first.text_source, first.body_format, first.body) == ("feed_content", "html", "<p>Full</p>")
    assert first.alternatives == (("feed_summary", "text", "Short"),)
    assert first.published_at == dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.timezone.utc)
    assert (second.url, second.body_format, second.body, second.author, second.language) == (
        "https://b.example/2", "text", "Only text", "The desk", "en")
    assert second.published_at == dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.timezone.utc)
    assert (parsed.title, parsed.language, parsed.failures) == ("Loopback JSON", "en", ())


def test_version_1_0_author():
    (doc,) = parse_feed(feed([{"id": "1", "url": "https://a.example/1", "content_text": "x",
                               "author": {"name": "Old style"}}], version="https://jsonfeed.org/version/1"),
                        "f").documents
    assert doc.author == "Old style"


def test_a_malformed_item_is_one_failure_and_the_others_come_out():
    parsed = parse_feed(feed([{"id": "1", "url": "https://a.example/1", "content_text": "fine"}, "junk",
                              {"id": "3", "title": ["not", "a", "string"]}, None]), "f")
    assert [d.locator for d in parsed.documents] == ["item 1"]
    assert [(f.locator, f.error_type) for f in parsed.failures] == [
        ("item 2", "invalid_entry"), ("item 3", "invalid_entry"), ("item 4", "invalid_entry")]
    assert "title" in parsed.failures[1].message and "junk" in parsed.failures[0].excerpt


@pytest.mark.parametrize("data, kind, says", [
    (b'{"version": "https://example.org/other", "items": []}', "not_a_feed", "a JSON document, not a JSON Feed"),
    (b'[{"url": "x"}]', "not_a_feed", "a JSON list, not a JSON Feed"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": ', "invalid_json", "not valid JSON"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "not_a_feed", "'items' is a dict"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "no_entries", "no items"),
    (b'{"version": "https://jsonfeed.org/version/1", "items": [' + b"[" * 100000 + b"]" * 100000 + b"]}",
     "invalid_json", "RecursionError"),
])
def test_what_is_not_a_json_feed_says_so(data, kind, says):
    with pytest.raises(FeedError) as excinfo:
        parse_feed(data, "f")
    assert excinfo.value.kind == kind and says in str(excinfo.value)


def test_saved_json_feed_in_the_input_folder(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "wire.json").write_bytes(b"\xef\xbb\xbf" + feed([
        {"id": "1", "url": "https://wire.example/1", "title": "Ministers meet", "content_html": f"<p>{STORY}</p>",
         "date_published": "2025-06-24T10:00:00Z"},
        {"id": "2", "url": "https://wire.example/2", "title": 7},
        {"id": "3", "url": "https://wire.example/3", "content_text": "Too short."}]))
    (folder / "config.json").write_text('{"not": "a feed"}')
    output = tmp_path / "out"
    assert run_newsbeam("--input", folder, "--output", output) == 0
    manifest = check_accounting(output)
    counts = manifest["counts"]
    assert (counts["input_items"], counts["articles"], counts["errors"]) == (4, 1, 3)
    (article,) = rows(output, "articles")
    assert (article["url"], article["title"], str(article["published_at"])[:10]) == (
        "https://wire.example/1", "Ministers meet", "2025-06-24")
    errors = {(name_of(e["source"]), e["locator"], e["error_type"]) for e in rows(output, "errors")}
    assert errors == {("wire.json", "item 2", "invalid_entry"), ("wire.json", "item 3", "too_short"),
                      ("config.json", "", "not_a_feed")}


def name_of(source: str) -> str:
    return source.rsplit("/", 1)[-1]


def test_live_json_feed_pages_and_conditional_get(tmp_path):
    output = tmp_path / "out"
    with Site() as site:
        items = []
        for i in range(2):
            path = f"/j/{i}.html"
            site.add(path, article_page(f"JSON story {i}", [p.format(day=f"0{i + 1}") + f" (j-{i})" for p in BODY]))
            items.append({"id": str(i), "url": site.url(path), "title": f"JSON story {i}", "summary": "Teaser",
                          "date_published": f"2025-09-0{i + 1}T08:00:00Z"})
        site.add("/feed.json", feed(items), etag='"j1"', headers={"Content-Type": "application/feed+json"})
        first = run_feeds(tmp_path, output, [site.url("/feed.json")], "first")
        second = run_feeds(tmp_path, output, [site.url("/feed.json")], "second")
        assert site.hits_of("/feed.json")[1].headers["if-none-match"] == '"j1"'
    assert (first["counts"]["articles"], first["counts"]["feeds"]["fetched"], first["counts"]["pages"]["fetched"]) == \
        (2, 1, 2)
    assert second["counts"]["feeds"]["not_modified"] == 1 and second["counts"]["input_items"] == 0
    assert {a["text_source"] for a in rows(output, "articles")} == {"page"}
