"""Feed discovery: `--feed` naming a home page reads the feeds the page announces."""
from __future__ import annotations

import json

from tests.conftest import rows
from tests.transforms.read.test_feeds import add_articles, run_feeds
from tests.support.site import Site, Trap, rss
from newsbeam.transforms.read.discover import MAX_PAGE_BYTES, discover_feeds


def home(links: list[tuple[str, str]], rel: str = "alternate", base: str = "") -> str:
    tags = "".join(f'<link rel="{rel}" type="{mime}" href="{href}">' for mime, href in links)
    base_tag = f'<base href="{base}">' if base else ""
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{base_tag}<title>Outlet</title>"
            f'<link rel="stylesheet" href="/s.css">{tags}</head><body><h1>Outlet</h1></body></html>')


def test_discovery_resolves_filters_and_caps():
    page = home([("application/rss+xml", "/feed/"), ("application/atom+xml; charset=utf-8", "atom.xml"),
                 ("application/feed+json", "https://cdn.example/feed.json"), ("application/json", "/feed/"),
                 ("text/html", "/amp/"), ("application/rss+xml", "javascript:alert(1)"),
                 ("application/rss+xml", "ftp://outlet.example/feed"), ("application/rss+xml", "")]).encode()
    assert discover_feeds(page, "https://outlet.example/news/") == [
        "https://outlet.example/feed/", "https://outlet.example/news/atom.xml", "https://cdn.example/feed.json"]
    many = home([("application/rss+xml", f"/feed-{i}.xml") for i in range(9)]).encode()
    assert len(discover_feeds(many, "https://outlet.example/")) == 5
    assert discover_feeds(home([("application/rss+xml", "feed.xml")], base="https://base.example/x/").encode(),
                          "https://outlet.example/") == ["https://base.example/x/feed.xml"]
    assert discover_feeds(home([("application/rss+xml", "/f")], rel="Alternate feed").encode(),
                          "https://o.example/") == ["https://o.example/f"]
    assert discover_feeds(home([("application/rss+xml", "/f")], rel="stylesheet").encode(), "https://o.example/") == []


def test_discovery_reads_a_bounded_prefix_of_the_page():
    late = (b"<html><body>" + b"<p>filler</p>" * (MAX_PAGE_BYTES // 13 + 1)
            + b'<link rel="alternate" type="application/rss+xml" href="/late.xml"></body></html>')
    assert discover_feeds(late, "https://o.example/") == []
    for junk in (b"", b"\x00\xff" * 1000, b"<html><head><link rel=alternate type=application/rss+xml href=/f>",
                 b"not html at all"):
        assert discover_feeds(junk, "https://o.example/") in ([], ["https://o.example/f"])


def test_a_home_page_is_read_through_the_feeds_it_announces(tmp_path):
    """Discovered feeds are fetched through the address guard, keep conditional-GET state, and are
    named in the manifest; a page without feeds and a JSON document that is no JSON Feed are one
    error each that says so."""
    output = tmp_path / "out"
    with Site() as site, Trap("127.0.0.2") as trap:
        site.add("/feed/", rss(add_articles(site, "r", 2)), etag='"rss-1"')
        site.add("/feed.json", json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
            {"id": str(e["title"]), "url": e["link"], "title": e["title"], "summary": e["description"]}
            for e in add_articles(site, "j", 2)]}), etag='"json-1"')
        site.add("/", home([("application/rss+xml", "/feed/"), ("application/feed+json", "feed.json"),
                            ("application/atom+xml", "/missing.atom"),
                            ("application/rss+xml", f"http://{trap.netloc}/feed.xml")]))
        site.add("/bare", home([]))
        site.add("/api", '{"data": [1, 2]}', headers={"Content-Type": "application/json"})
        feeds = [{"url": site.url("/"), "outlet": "Home Outlet"}, site.url("/bare"), site.url("/api")]
        guard = {"allow_private_network": False, "private_network_allowlist": [site.netloc]}
        first = run_feeds(tmp_path, output, feeds, "first", **guard)
        second = run_feeds(tmp_path, output, feeds, "second", **guard)
        assert site.hits_of("/feed/")[1].headers["if-none-match"] == '"rss-1"'
    assert trap.connections == 0
    counts = first["counts"]
    assert (counts["articles"], counts["errors"], counts["feeds"]["discovered"], counts["feeds"]["fetched"],
            counts["feeds"]["failed"]) == (4, 4, 4, 2, 4)
    (page,) = [f for f in first["feeds"] if f["status"] == "discovered"]
    assert page["url"] == site.url("/") and page["discovered"] == [
        site.url("/feed/"), site.url("/feed.json"), site.url("/missing.atom"), f"http://{trap.netloc}/feed.xml"]
    assert {(f["url"], f["status"]) for f in first["feeds"] if f.get("discovered_from") == site.url("/")} == {
        (site.url("/feed/"), "fetched"), (site.url("/feed.json"), "fetched"), (site.url("/missing.atom"), "failed"),
        (f"http://{trap.netloc}/feed.xml", "failed")}
    articles = rows(output, "articles")
    assert {a["outlet_name"] for a in articles} == {"Home Outlet"}
    assert {a["source"] for a in articles} == {site.url("/feed/"), site.url("/feed.json")}
    errors = {row["source"]: row for row in rows(output, "errors", "run_id = 'first'")}
    assert {source: (row["stage"], row["error_type"]) for source, row in errors.items()} == {
        site.url("/missing.atom"): ("fetch", "http_404"),
        f"http://{trap.netloc}/feed.xml": ("fetch", "blocked_address"),
        site.url("/bare"): ("parse", "not_a_feed"), site.url("/api"): ("parse", "not_a_feed")}
    assert "announces" in errors[site.url("/bare")]["message"]
    assert "a JSON document, not a JSON Feed" in errors[site.url("/api")]["message"]
    assert second["counts"]["feeds"]["not_modified"] == 2 and second["counts"]["articles"] == 0
    state = json.loads((output / "_state" / "feeds.json").read_text())
    assert set(state) == {site.url("/feed/"), site.url("/feed.json")}
