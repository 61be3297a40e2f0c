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
    output = tmp_path / "out"
    with Site() as site:
        site.add("/feed/", rss(add_articles(site, "r", 2)), etag='"rss-1"')
        site.add("/feed.json", json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [
            {"id": str(e["title"]), "url": e["link"], "title": e["title"], "summary": e["description"]}
            for e in add_articles(site, "j", 2)]}), etag='"json-1"')
        site.add("/", home([("application/rss+xml", "/feed/"), ("application/feed+json", "feed.json"),
                            ("application/atom+xml", "/missing.atom")]))
        first = run_feeds(tmp_path, output, [{"url": site.url("/"), "outlet": "Home Outlet"}], "first")
        second = run_feeds(tmp_path, output, [{"url": site.url("/"), "outlet": "Home Outlet"}], "second")
        assert site.hits_of("/feed/")[1].headers["if-none-match"] == '"rss-1"'
    counts = first["counts"]
    assert (counts["articles"], counts["errors"], counts["feeds"]["discovered"], counts["feeds"]["fetched"],
            counts["feeds"]["failed"]) == (4, 1, 3, 2, 1)
    (page,) = [f for f in first["feeds"] if f["status"] == "discovered"]
    feeds = [f for f in first["feeds"] if f is not page]
    assert (page["url"], page["status"]) == (site.url("/"), "discovered")
    assert page["discovered"] == [site.url("/feed/"), site.url("/feed.json"), site.url("/missing.atom")]
    assert {(f["url"], f["status"], f["discovered_from"]) for f in feeds} == {
        (site.url("/feed/"), "fetched", site.url("/")), (site.url("/feed.json"), "fetched", site.url("/")),
        (site.url("/missing.atom"), "failed", site.url("/"))}
    articles = rows(output, "articles")
    assert {a["outlet_name"] for a in articles} == {"Home Outlet"}
    assert {a["source"] for a in articles} == {site.url("/feed/"), site.url("/feed.json")}
    (error,) = rows(output, "errors", "run_id = 'first'")
    assert (error["source"], error["stage"], error["error_type"]) == (site.url("/missing.atom"), "fetch", "http_404")
    assert second["counts"]["feeds"]["not_modified"] == 2 and second["counts"]["articles"] == 0
    state = json.loads((output / "_state" / "feeds.json").read_text())
    assert set(state) == {site.url("/feed/"), site.url("/feed.json")}


def test_a_page_without_feeds_and_a_json_api_are_one_error_each_that_says_so(tmp_path):
    output = tmp_path / "out"
    with Site() as site:
        site.add("/", home([]))
        site.add("/api", '{"data": [1, 2]}', headers={"Content-Type": "application/json"})
        manifest = run_feeds(tmp_path, output, [site.url("/"), site.url("/api")], "run")
    errors = {row["source"]: row for row in rows(output, "errors")}
    assert {(row["stage"], row["error_type"]) for row in errors.values()} == {("parse", "not_a_feed")}
    assert "announces" in errors[site.url("/")]["message"]
    assert "a JSON document, not a JSON Feed" in errors[site.url("/api")]["message"]
    assert [f["status"] for f in manifest["feeds"]] == ["failed", "failed"]


def test_discovered_urls_go_through_the_address_guard(tmp_path):
    output = tmp_path / "out"
    with Site() as site, Trap("127.0.0.2") as trap:
        site.add("/feed.xml", rss(add_articles(site, "g", 1)))
        site.add("/", home([("application/rss+xml", f"http://{trap.netloc}/feed.xml"),
                            ("application/rss+xml", "/feed.xml")]))
        manifest = run_feeds(tmp_path, output, [site.url("/")], "run", allow_private_network=False,
                             private_network_allowlist=[site.netloc])
    assert trap.connections == 0
    assert manifest["counts"]["articles"] == 1
    (error,) = rows(output, "errors")
    assert (error["stage"], error["error_type"]) == ("fetch", "blocked_address")
