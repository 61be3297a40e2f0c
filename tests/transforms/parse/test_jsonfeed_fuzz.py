"""Property: random and mutated JSON Feeds, saved as .json files, served live and announced by a
home page, end in rows that add up, through the real CLI (see tests/faults/test_fuzz.py)."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import check_accounting, run_newsbeam
from tests.faults.test_fuzz import EXAMPLES, FUZZ, TEXT, dates, mutated, texts, urls, values
from tests.support.site import Site, article_page
from newsbeam.transforms.parse.feeds import FeedError, parse_feed
from newsbeam.transforms.parse.jsonfeed import is_json

authors = st.one_of(values, st.lists(st.one_of(st.fixed_dictionaries({}, optional={"name": st.one_of(texts, values)}),
                                               values), max_size=3))
items = st.one_of(values, st.fixed_dictionaries({}, optional={
    "id": st.one_of(texts, st.integers()), "url": st.one_of(urls, st.just("PAGE"), values),
    "external_url": st.one_of(urls, values), "title": st.one_of(texts, values),
    "content_html": st.one_of(texts.map(lambda t: f"<p>{TEXT}{t}</p>"), values),
    "content_text": st.one_of(texts.map(lambda t: TEXT + t), values), "summary": st.one_of(texts, values),
    "date_published": dates, "date_modified": dates, "authors": authors, "author": authors,
    "language": st.one_of(texts, values)}))
feeds = st.fixed_dictionaries({
    "version": st.one_of(st.sampled_from(["https://jsonfeed.org/version/1", "https://jsonfeed.org/version/1.1"]),
                         values),
    "items": st.one_of(st.lists(items, max_size=4), values)}, optional={"title": texts, "language": texts,
                                                                        "authors": authors})


@st.composite
def documents(draw) -> bytes:
    data = json.dumps(draw(feeds), ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    return draw(st.one_of(st.just(data), mutated(data)))


@settings(FUZZ, max_examples=max(EXAMPLES // 3, 1))  # a run of the CLI each
@given(st.lists(documents(), min_size=1, max_size=3), documents())
def test_any_json_feed_ends_as_rows_that_add_up(saved, live):
    with tempfile.TemporaryDirectory() as tmp, Site() as site:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for n, data in enumerate(saved):
            (folder / f"feed-{n}.json").write_bytes(data)
        site.add("/page.html", article_page("A page", [TEXT, "Second paragraph of the page."]))
        site.add("/feed.json", live.replace(b'"PAGE"', json.dumps(site.url("/page.html")).encode()))
        site.add("/", '<html><head><link rel="alternate" type="application/feed+json" href="/feed.json"></head></html>')
        config = Path(tmp) / "config.yaml"
        config.write_text(yaml.safe_dump({"input": [str(folder)], "feeds": [site.url("/")], "fetch": {
            "allow_private_network": True, "per_host_delay": 0.0, "retries": 0, "connect_timeout": 2.0,
            "read_timeout": 2.0, "respect_robots": False}}))
        output = Path(tmp) / "out"
        assert run_newsbeam("--config", config, "--output", output) == 0
        manifest = check_accounting(output)
        assert manifest["counts"]["input_items"] >= len(saved)


@settings(FUZZ, max_examples=EXAMPLES * 50)
@given(documents())
def test_every_item_is_a_document_or_a_failure(data):
    """Without Beam, many more examples: parsing raises nothing but FeedError, and a JSON Feed
    whose items are a list gives one Document or one EntryFailure per item."""
    try:
        parsed = parse_feed(data, "f")
    except FeedError:
        return
    if not is_json(data):  # a mutation that made it XML: feedparser's to read
        return
    feed = json.loads(data.decode("utf-8-sig", "replace"))
    assert len(parsed.documents) + len(parsed.failures) == len(feed["items"])
