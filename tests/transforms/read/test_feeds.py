"""Live feeds end to end: `newsbeam run --feed` against a real server on loopback."""
from __future__ import annotations

import json
import time
from pathlib import Path

import yaml

from tests.conftest import check_accounting, manifests, rows, run_newsbeam
from tests.support.site import Site, article_page, rss

FAST_FETCH = {"allow_private_network": True, "per_host_delay": 0.0, "backoff_base": 0.01,
              "connect_timeout": 2.0, "read_timeout": 2.0, "retries": 1}
BODY = ["The alliance's foreign ministers met in Brussels on {day} to discuss support for Ukraine.",
        "Officials said the talks covered air defence, ammunition and the reconstruction of the power grid.",
        "A final statement is expected after the second day of the meeting, diplomats said."]


def run_feeds(tmp_path: Path, output: Path, feeds: list, run_id: str, **fetch) -> dict:
    config = tmp_path / f"{run_id}.yaml"
    config.write_text(yaml.safe_dump({"feeds": feeds, "fetch": {**FAST_FETCH, **fetch}}))
    assert run_newsbeam("--config", config, "--output", output, "--run-id", run_id) == 0
    (manifest,) = [m for m in manifests(output) if m["run_id"] == run_id]
    return check_accounting(output, manifest)


def add_articles(site: Site, prefix: str, n: int) -> list[dict]:
    entries = []
    for i in range(n):
        day = f"{i + 1:02d}"
        path = f"/{prefix}/article-{i}.html"
        site.add(path, article_page(f"{prefix} story {i}", [p.format(day=day) + f" ({prefix}-{i})" for p in BODY]))
        entries.append({"title": f"{prefix} story {i}", "link": site.url(path) + "?utm_source=rss&amp;utm_medium=feed",
                        "pubDate": f"Mon, {day} Sep 2025 08:00:00 GMT", "description": f"Teaser {prefix} {i}"})
    return entries


def test_second_run_gets_304s_and_writes_nothing(tmp_path):
    output = tmp_path / "out"
    with Site() as site:
        site.add("/etag.xml", rss(add_articles(site, "e", 2)), etag='"v1"')
        site.add("/lm.xml", rss(add_articles(site, "l", 2)), last_modified="Mon, 01 Sep 2025 08:00:00 GMT")
        feeds = [site.url("/etag.xml"), {"url": site.url("/lm.xml"), "outlet": "Loopback Daily"}]
        first = run_feeds(tmp_path, output, feeds, "first")
        second = run_feeds(tmp_path, output, feeds, "second")
        assert site.hits_of("/etag.xml")[1].headers["if-none-match"] == '"v1"'
        assert site.hits_of("/lm.xml")[1].headers["if-modified-since"] == "Mon, 01 Sep 2025 08:00:00 GMT"
        assert len(site.hits_of("/e/article-0.html")) == 1  # pages are not fetched again either
    assert first["counts"]["articles"] == 4 and first["counts"]["feeds"]["fetched"] == 2
    assert second["counts"]["feeds"] == {"fetched": 0, "not_modified": 2, "failed": 0, "malformed": 0, "entries": 0,
                                          "discovered": 0}
    assert second["counts"]["input_items"] == 0 and second["files"] == []
    assert sorted(f["status"] for f in second["feeds"]) == ["not_modified", "not_modified"]
    articles = rows(output, "articles")
    assert len(articles) == 4 and {a["text_source"] for a in articles} == {"page"}
    assert {a["date_source"] for a in articles} == {"published"}
    assert sorted(str(a["date"]) for a in articles) == ["2025-09-01", "2025-09-01", "2025-09-02", "2025-09-02"]
    assert {a["outlet_name"] for a in articles if "/l/" in a["url"]} == {"Loopback Daily"}
    assert {a["outlet_name"] for a in articles if "/e/" in a["url"]} == {"127.0.0.1"}
    assert all("(e-" in a["text"] or "(l-" in a["text"] for a in articles)
    assert all("utm_" not in a["url"] and a["url"].endswith(".html") for a in articles)  # canonical URLs
    state = json.loads((output / "_state" / "feeds.json").read_text())
    assert state[feeds[0]]["etag"] == '"v1"' and "last_modified" in state[site.url("/lm.xml")]


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<rss version="2.0"><channel><title>&f;</title><item><title>&f;</title><link>http://x/</link></item></channel></rss>"""


def test_every_bad_server_case_ends_as_the_right_row(tmp_path):
    output = tmp_path / "out"
    german = "Die Ukraine fordert „mehr Unterstützung“ – Grüße aus Köln, sagte der Außenminister am Montag."
    with Site() as site:
        good = add_articles(site, "g", 1)
        site.add("/f500.xml", rss(good), sequence=[(500, {}, b"oops")])
        site.add("/f429.xml", rss(add_articles(site, "r", 1)), sequence=[(429, {"Retry-After": "1"}, b"")])
        site.add("/slow.xml", rss(good), delay=2.5)
        site.add("/loop.xml", "", status=302, headers={"Location": "/loop2.xml"})
        site.add("/loop2.xml", "", status=302, headers={"Location": "/loop.xml"})
        site.add("/private.xml", "", status=302, headers={"Location": "http://10.1.2.3/feed.xml"})
        site.add("/big.xml", rss(good) + b" " * 300_000)
        site.add("/page.xml", article_page("Just a page", ["No feed here at all, only a web page."]),
                 headers={"Content-Type": "text/html"})
        site.add("/malformed.xml", rss(add_articles(site, "m", 1)).replace(b"Test feed", b"Tom & Jerry"))
        site.add("/latin1.xml", rss([{"title": "Grüße aus Köln", "link": site.url("/gone-1"),
                                      "description": "Grüße aus Köln: die Stadt schickt Generatoren und Decken "
                                                     "in die ukrainische Partnerstadt, teilte das Rathaus mit."}],
                                    encoding="iso-8859-1"))
        site.add("/cp1252.xml", rss([{"title": "„Zitat“ – Köln", "link": site.url("/gone-2"),
                                      "description": german}], encoding="windows-1252"))
        site.add("/bomb.xml", BOMB)
        site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n")
        site.add("/private/secret.html", article_page("Secret", ["Never fetched. " * 10]))
        site.add("/pages.xml", rss([
            {"title": "Page gone, summary stays", "link": site.url("/gone-3"),
             "description": "Summary only: the ministers agreed on a new training mission for Ukrainian pilots."},
            {"title": "Robots say no", "link": site.url("/private/secret.html"),
             "description": "Robots: the page is off limits, so this summary of the NATO summit stands in."},
            {"title": "Nothing at all", "link": site.url("/gone-4")},
        ]))
        names = ["/f404.xml", "/f500.xml", "/f429.xml", "/slow.xml", "/loop.xml", "/private.xml", "/big.xml",
                 "/page.xml", "/malformed.xml", "/latin1.xml", "/cp1252.xml", "/bomb.xml", "/pages.xml"]
        started = time.monotonic()
        manifest = run_feeds(tmp_path, output, [site.url(n) for n in names], "bad", allow_private_network=False,
                             private_network_allowlist=[site.netloc], read_timeout=0.5, max_bytes=200_000)
        assert time.monotonic() - started < 60
        assert len(site.hits_of("/private/secret.html")) == 0
    errors = {(e["source"].rsplit("/", 1)[1], e["locator"]): (e["stage"], e["error_type"])
              for e in rows(output, "errors")}
    assert errors == {
        ("f404.xml", ""): ("fetch", "http_404"),
        ("slow.xml", ""): ("fetch", "timeout"),
        ("loop.xml", ""): ("fetch", "too_many_redirects"),
        ("private.xml", ""): ("fetch", "blocked_address"),
        ("big.xml", ""): ("fetch", "too_large"),
        ("page.xml", ""): ("parse", "not_a_feed"),
        ("bomb.xml", ""): ("parse", "unsafe_xml"),
        ("pages.xml", "entry 3"): ("fetch", "http_404"),
    }
    articles = {a["title"]: a for a in rows(output, "articles")}
    assert articles["g story 0"]["text_source"] == "page"       # the feed answered 500, then 200
    assert articles["r story 0"]["text_source"] == "page"       # the feed answered 429, then 200
    assert articles["m story 0"]["text_source"] == "page"       # malformed feed, entry kept
    assert articles["Grüße aus Köln"]["text"].startswith("Grüße aus Köln: die Stadt schickt Generatoren")
    assert articles["„Zitat“ – Köln"]["text"] == german
    assert articles["Page gone, summary stays"]["text_source"] == "feed_summary"
    assert articles["Robots say no"]["text_source"] == "feed_summary"
    feeds = {f["url"].rsplit("/", 1)[1]: f for f in manifest["feeds"]}
    assert feeds["malformed.xml"]["status"] == "fetched" and feeds["malformed.xml"]["warning"]
    assert feeds["f500.xml"]["attempts"] == 2 and feeds["slow.xml"]["status"] == "failed"
    assert manifest["counts"]["pages"]["failed"] == {"http_404": 4, "robots_disallowed": 1}
    assert manifest["counts"]["pages"]["fallbacks"] == 4
    assert manifest["counts"]["errors_by_stage"]["fetch"] == 6


def test_only_domains_judges_an_entry_by_where_its_link_lands(tmp_path):
    """Aggregators and outlets link entries through redirectors on other hosts: an entry is kept or
    skipped by its page's final address, not by its link (the page is fetched either way)."""
    output, domains = tmp_path / "out", tmp_path / "outlets.txt"
    domains.write_text("127.0.0.1\n")
    with Site() as site:
        (listed,) = add_articles(site, "in", 1)
        (other,) = add_articles(site, "out", 1)
        landing = listed["link"].replace("&amp;", "&")
        site.add("/go/in", status=302, headers={"Location": landing})
        listed["link"] = site.url("/go/in").replace("127.0.0.1", "localhost")  # a redirector, not listed
        other["link"] = other["link"].replace("127.0.0.1", "localhost")  # lands on a host not listed
        site.add("/feed.xml", rss([listed, other]))
        config = tmp_path / "feeds.yaml"
        config.write_text(yaml.safe_dump({"feeds": [site.url("/feed.xml")], "fetch": FAST_FETCH}))
        assert run_newsbeam("--config", config, "--output", output, "--only-domains", domains) == 0
    counts = check_accounting(output)["counts"]
    assert counts["articles"] == 1 and counts["skipped_by_reason"]["other_domain"] == 1
    assert [row["url"] for row in rows(output, "articles")] == [landing.split("?")[0]]
