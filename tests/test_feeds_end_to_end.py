"""Live feeds at the scale of a real schedule, and every feedparser test feed over HTTP."""
from __future__ import annotations

import json
import random

import pytest

from tests.conftest import SHARED, rows
from tests.transforms.read.test_feeds import run_feeds
from tests.support.site import Site, article_page, rss

CORPUS = SHARED / "feeds" / "feedparser_tests"
VOCABULARY = ("alliance border budget capital ceasefire coalition command convoy corridor council defence delegation "
              "drone energy envoy exercise frontier garrison grid harbour industry intelligence logistics minister "
              "mission munitions negotiation observer parliament partner patrol pipeline radar railway reform "
              "refugee region reserve sanction satellite security shelter summit supply tank training treaty "
              "veteran volunteer warship winter airfield bridge cabinet cyber diplomat embassy factory").split()


def publish(site: Site, outlets: int, stories: int, version: int) -> list[dict]:
    """``outlets`` feeds of ``stories`` entries each, every story its own page and text."""
    feeds = []
    for f in range(outlets):
        entries = []
        for a in range(stories):
            path = f"/outlet-{f}/story-{a}.html"
            words = random.Random(f * 100 + a).sample(VOCABULARY, 36)  # every story its own text
            paragraphs = [f"Story {a} of outlet {f}: NATO and Ukraine, " + " ".join(words[:12]) + ".",
                          "The second paragraph: " + " ".join(words[12:24]) + ".",
                          "Officials said: " + " ".join(words[24:]) + "."]
            site.add(path, article_page(f"Outlet {f} story {a}", paragraphs))
            entries.append({"title": f"Outlet {f} story {a}", "link": site.url(path),
                            "pubDate": f"Tue, {a % 28 + 1:02d} Sep 2025 {f:02d}:00:00 GMT",
                            "description": f"Short teaser {f}-{a}."})
        feeds.append({"url": site.add(f"/outlet-{f}/feed.xml", rss(entries), etag=f'"feed-{f}-v{version}"'),
                      "outlet": f"Outlet {f}"})
    return feeds


def test_twenty_feeds_of_twenty_articles_then_nothing_new_then_only_new_pages_fetched(tmp_path):
    output = tmp_path / "out"
    with Site() as site:
        feeds = publish(site, 20, 20, 1)
        first = run_feeds(tmp_path, output, feeds, "first", concurrency=16, per_host_concurrency=8)
        second = run_feeds(tmp_path, output, feeds, "second", concurrency=16, per_host_concurrency=8)
        publish(site, 20, 22, 2)  # every feed gains two entries
        site.hits.clear()
        third = run_feeds(tmp_path, output, feeds, "third", concurrency=16, per_host_concurrency=8)
        page_requests = [hit.path for hit in site.hits if "/story-" in hit.path]
    assert first["counts"]["articles"] == 400 and first["counts"]["pages"]["fetched"] == 400
    assert second["counts"]["feeds"]["not_modified"] == 20 and second["counts"]["input_items"] == 0
    assert second["files"] == []
    # the server's own log: only the 40 new entries' pages were fetched; the 400 known ones were not
    assert len(page_requests) == len(set(page_requests)) == 40
    assert all(path.endswith(("story-20.html", "story-21.html")) for path in page_requests)
    assert (third["counts"]["articles"], third["counts"]["skipped"], third["counts"]["pages"]["fetched"]) == \
        (40, 400, 40)
    articles = rows(tmp_path / "out", "articles")
    assert len(articles) == 440
    assert {a["text_source"] for a in articles} == {"page"} and {a["date_source"] for a in articles} == {"published"}
    assert all(a["text"].count("\n") == 2 and "second paragraph" in a["text"] for a in articles)
    sample = next(a for a in articles if a["title"] == "Outlet 7 story 4")
    assert (str(sample["date"]), sample["outlet"], sample["published_at"].hour) == ("2025-09-05", "outlet-7", 7)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/feeds/feedparser_tests is not present")
def test_every_feedparser_test_feed_ends_as_rows(tmp_path):
    cases = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines() if line.strip()]
    with Site() as site:
        feeds = []
        for case in cases:
            headers = {"Content-Type": "text/xml", **case["http_headers"]} if case["served_over_http"] else {}
            feeds.append(site.add("/" + case["path"], (CORPUS / case["path"]).read_bytes(), headers=headers))
        manifest = run_feeds(tmp_path, tmp_path / "out", feeds, "corpus", fetch_pages=False, concurrency=16,
                             per_host_concurrency=16, retries=0)
    log = manifest["feeds"]
    assert len(log) == len(cases) == len(set(f["url"] for f in log))
    assert {f["status"] for f in log} <= {"fetched", "failed"}
    failed = [f for f in log if f["status"] == "failed"]
    assert manifest["counts"]["input_items"] == sum(f.get("entries", 0) for f in log) + len(failed)
    assert manifest["counts"]["articles"] > 0
    # every failed feed is an error row naming it
    assert {e["source"] for e in rows(tmp_path / "out", "errors", "locator = ''")} >= {f["url"] for f in failed}
