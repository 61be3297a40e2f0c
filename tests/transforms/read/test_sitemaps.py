"""Sitemaps end to end: `newsbeam run --sitemap` against a real server on loopback."""
from __future__ import annotations

import datetime as dt
import gzip

import pytest
import yaml

from newsbeam.pipeline.config import ConfigError, read_config_file
from newsbeam.transforms.read.fetcher import FetchSettings
from newsbeam.transforms.read.sitemaps import SitemapSettings, SitemapSpec, _WalkSitemapsFn
from tests.conftest import check_accounting, manifests, rows, run_newsbeam
from tests.support.site import Site, Trap, article_page
from tests.transforms.read.test_feeds import BODY, FAST_FETCH

NOW = dt.datetime.now(dt.timezone.utc)
URLSET = ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
          'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{}</urlset>')
INDEX = '<?xml version="1.0"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</sitemapindex>'
BOMB = ('<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">' +
        "".join(f'<!ENTITY {b} "&{a};&{a};&{a};&{a};&{a};&{a};&{a};&{a};&{a};&{a};">'
                for a, b in zip("abcdefgh", "bcdefghi")) +
        ']>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://x/&i;</loc></url></urlset>')


def ago(days: float) -> str:
    return (NOW - dt.timedelta(days=days)).isoformat(timespec="seconds")


def page(site: Site, path: str, n: int) -> str:
    return site.add(path, article_page(f"Page story {n}", [p.format(day=f"{n % 28 + 1:02d}") + f" ({path})"
                                                           for p in BODY]))


def plain(*entries: tuple[str, str | None]) -> str:
    """A urlset of (url, lastmod or None)."""
    return URLSET.format("".join(f"<url><loc>{url}</loc>{f'<lastmod>{day}</lastmod>' if day else ''}</url>"
                                 for url, day in entries))


def news(*entries: tuple[str, str, str]) -> str:
    """A Google News urlset of (url, publication date, title)."""
    return URLSET.format("".join(
        f"<url><loc>{url}</loc><news:news><news:publication><news:name>Loopback</news:name>"
        f"<news:language>de</news:language></news:publication><news:publication_date>{day}"
        f"</news:publication_date><news:title>{title}</news:title></news:news></url>" for url, day, title in entries))


def index(*entries: tuple[str, str | None]) -> str:
    return INDEX.format("".join(f"<sitemap><loc>{url}</loc>{f'<lastmod>{day}</lastmod>' if day else ''}</sitemap>"
                                for url, day in entries))


def run_sitemaps(tmp_path, output, sitemaps: list[str], run_id: str, fetch: dict = FAST_FETCH, **config) -> dict:
    path = tmp_path / f"{run_id}.yaml"
    path.write_text(yaml.safe_dump({"sitemaps": sitemaps, "fetch": fetch, **config}))
    assert run_newsbeam("--config", path, "--output", output, "--run-id", run_id) == 0
    (manifest,) = [m for m in manifests(output) if m["run_id"] == run_id]
    return check_accounting(output, manifest)


def paths(site: Site, part: str) -> list[str]:
    return sorted(hit.path for hit in site.hits if part in hit.path)


def test_news_sitemap_gives_title_and_date_and_only_the_window_is_fetched(tmp_path):
    with Site() as site:
        recent = [page(site, f"/news/{n}.html", n) for n in range(2)]
        old = page(site, "/news/old.html", 9)
        url = site.add("/news-sitemap.xml", news((recent[0], ago(0.5), "Erste Meldung"),
                                                 (recent[1], ago(2), "Zweite Meldung"),
                                                 (old, ago(10), "Alte Meldung")))
        manifest = run_sitemaps(tmp_path, tmp_path / "out", [url], "news")
        fetched = paths(site, "/news/")
    assert fetched == ["/news/0.html", "/news/1.html"]  # the server's own log: the old page was never asked for
    counts = manifest["counts"]
    assert (counts["input_items"], counts["articles"], counts["skipped"]) == (3, 2, 1)
    assert counts["sitemaps"] == {"fetched": 1, "failed": 0, "urls": 3, "skipped_outside_window": 1,
                                  "skipped_undated": 0}
    (record,) = manifest["sitemaps"]
    assert record | {"root": None} == {
        "root": None, "url": url, "parent": None, "depth": 0, "status": "fetched", "index": False, "urls": 3,
        "in_window": 2, "skipped_outside_window": 1, "skipped_undated": 0, "invalid": 0, "pages_requested": 2,
        "skipped": 0}
    articles = sorted(rows(tmp_path / "out", "articles"), key=lambda a: a["url"])
    assert [a["title"] for a in articles] == ["Erste Meldung", "Zweite Meldung"]
    assert [str(a["date"]) for a in articles] == [ago(0.5)[:10], ago(2)[:10]]
    assert {a["text_source"] for a in articles} == {"page"}


def test_index_of_plain_and_gzipped_sitemaps_skips_stale_children_and_counts_undated_urls(tmp_path):
    with Site() as site:
        a, b, c, undated = (page(site, f"/p/{name}.html", n) for n, name in enumerate("abcu"))
        plain_url = site.add("/sitemap-1.xml", plain((a, ago(1)), (undated, None)))
        gz_url = site.add("/sitemap-2.xml.gz", gzip.compress(plain((b, ago(1)), (c, ago(30))).encode()))
        stale = site.add("/sitemap-2020.xml", plain((site.url("/p/ancient.html"), "2020-01-01")))
        root = site.add("/sitemap_index.xml", index((plain_url, ago(1)), (gz_url, None), (stale, "2020-01-31")))
        manifest = run_sitemaps(tmp_path, tmp_path / "out", [root], "index")
        fetched = paths(site, "/p/") + paths(site, "/sitemap-2020")
    assert fetched == ["/p/a.html", "/p/b.html"]  # neither the stale child, nor the old or undated page
    counts = manifest["counts"]
    assert (counts["input_items"], counts["articles"], counts["skipped"], counts["errors"]) == (4, 2, 2, 0)
    assert (counts["sitemaps"]["skipped_outside_window"], counts["sitemaps"]["skipped_undated"]) == (1, 1)
    records = {r["url"]: r for r in manifest["sitemaps"]}
    assert records[root]["followed"] == 2 and records[root]["skipped_outside_window"] == 1
    assert (records[gz_url]["urls"], records[gz_url]["in_window"], records[gz_url]["depth"]) == (2, 1, 1)
    assert stale not in records


def test_home_url_follows_robots_sitemap_lines_else_sitemap_xml(tmp_path):
    with Site() as listing, Site() as bare:
        listed = listing.add("/feeds/listed.xml", news((page(listing, "/story.html", 1), ago(1), "Listed")))
        listing.add("/robots.txt", f"User-agent: *\nAllow: /\nSitemap: {listed}\n")
        conventional = bare.add("/sitemap.xml", news((page(bare, "/other-story.html", 12), ago(1), "Conventional")))
        manifest = run_sitemaps(tmp_path, tmp_path / "out", [listing.url("/"), bare.url("/")], "home")
    assert manifest["counts"]["articles"] == 2
    assert sorted(r["url"] for r in manifest["sitemaps"] if r["status"] == "fetched") == sorted([listed, conventional])
    robots = {r["url"]: r["sitemaps"] for r in manifest["sitemaps"] if r["status"] == "robots"}
    assert robots == {listing.url("/robots.txt"): 1, bare.url("/robots.txt"): 0}


def test_a_second_run_never_fetches_the_pages_already_written(tmp_path):
    with Site() as site:
        first_pages = [page(site, f"/s/{n}.html", n) for n in range(3)]
        entries = [(url, ago(1), f"Story {n}") for n, url in enumerate(first_pages)]
        url = site.add("/news.xml", news(*entries))
        first = run_sitemaps(tmp_path, tmp_path / "out", [url], "first")
        new = page(site, "/s/new.html", 7)
        site.add("/news.xml", news(*entries, (new, ago(0.1), "New")))
        site.hits.clear()
        second = run_sitemaps(tmp_path, tmp_path / "out", [url], "second")
        fetched = paths(site, "/s/")
    assert first["counts"]["articles"] == 3
    assert fetched == ["/s/new.html"]
    assert (second["counts"]["input_items"], second["counts"]["articles"], second["counts"]["skipped"]) == (4, 1, 3)
    (record,) = second["sitemaps"]
    assert (record["in_window"], record["pages_requested"], record["skipped"]) == (4, 1, 3)


def test_limits_guard_and_robots_each_cost_an_error_row_and_the_rest_is_read(tmp_path):
    """Nesting past max_depth, an entity bomb, a sitemap robots.txt disallows, and a child sitemap
    and a page on an address the guard refuses: one error row each, never a request."""
    with Site() as site, Trap() as trap:
        levels = [site.url(f"/level-{d}.xml") for d in range(6)]
        for depth in range(5):
            story = page(site, f"/deep/{depth}.html", depth)
            site.add(f"/level-{depth}.xml", index((levels[depth + 1], None)) if depth % 2 == 0 else
                     index((levels[depth + 1], None), (site.url(f"/pages-{depth}.xml"), None)))
            site.add(f"/pages-{depth}.xml", news((story, ago(1), f"Depth {depth}")))
        bomb = site.add("/bomb.xml", BOMB)
        site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n")
        private = site.add("/private/sitemap.xml", news((page(site, "/private/p.html", 5), ago(1), "Private")))
        trapped = f"http://{trap.netloc}/sitemap.xml"
        guarded = site.add("/guarded.xml", index((trapped, None), (site.url("/trap-pages.xml"), None)))
        site.add("/trap-pages.xml", news((f"http://{trap.netloc}/page.html", ago(1), "Trap")))
        fetch = {**FAST_FETCH, "allow_private_network": False, "private_network_allowlist": [site.netloc]}
        manifest = run_sitemaps(tmp_path, tmp_path / "out", [levels[0], bomb, private, guarded], "limits", fetch)
        fetched = paths(site, "/level-") + paths(site, "/pages-") + paths(site, "/private/")
    # depth 0..3 read (pages-1 at depth 2; pages-3 at depth 4 is too deep), level-4 too deep
    assert fetched == ["/level-0.xml", "/level-1.xml", "/level-2.xml", "/level-3.xml", "/pages-1.xml"]
    assert trap.connections == 0
    errors = {(e["source"], e["stage"], e["error_type"]) for e in rows(tmp_path / "out", "errors")}
    assert errors == {(levels[4], "fetch", "sitemap_too_deep"), (site.url("/pages-3.xml"), "fetch", "sitemap_too_deep"),
                      (bomb, "parse", "unsafe_xml"), (private, "fetch", "robots_disallowed"),
                      (trapped, "fetch", "blocked_address"), (site.url("/trap-pages.xml"), "fetch", "blocked_address")}
    assert manifest["counts"]["articles"] == 1


def walk(url: str, limits: SitemapSettings) -> tuple[list, list]:
    """The Documents and error rows of one --sitemap URL, walked against the loopback server."""
    walker = _WalkSitemapsFn(FetchSettings(**FAST_FETCH), limits, NOW)
    walker.setup()
    try:
        outputs, _ = walker._handle(SitemapSpec(url))
    finally:
        walker.teardown()
    return ([o for o in outputs if not hasattr(o, "tag")],
            [(o.value.stage, o.value.error_type) for o in outputs if getattr(o, "tag", None) == "errors"])


def test_entries_past_the_url_and_page_limits_are_one_error_row_and_the_first_are_kept():
    with Site() as site:
        urls = [site.url(f"/m/{n}.html") for n in range(5)]
        many = site.add("/many.xml", plain(*[(url, ago(1)) for url in urls]))
        second = site.add("/second.xml", plain((site.url("/m/x.html"), ago(1))))
        root = site.add("/index.xml", index((many, None), (second, None)))
        documents, errors = walk(many, SitemapSettings(max_urls=3))
        assert [d.url for d in documents] == urls[:3] and errors == [("parse", "too_many_urls")]
        documents, errors = walk(root, SitemapSettings(max_pages=4))
        assert [d.url for d in documents] == urls[:4] and errors == [("parse", "too_many_pages")]
        assert not site.hits_of("/second.xml")  # the walk stopped at the cap
        documents, errors = walk(root, SitemapSettings(max_sitemaps=2))
        assert [d.url for d in documents] == urls and errors == [("fetch", "too_many_sitemaps")]


@pytest.mark.parametrize("key, value, expected", [
    ("sitemaps", ["ftp://example.com/sitemap.xml"], "key 'sitemaps' must be a list of sitemap"),
    ("sitemaps", {"url": "x"}, "key 'sitemaps' must be a list of sitemap"),
    ("sitemap_lookback_days", 0, "key 'sitemap_lookback_days' must be a number of days > 0"),
    ("sitemap_lookback_days", "3", "key 'sitemap_lookback_days' must be a number of days > 0"),
])
def test_bad_sitemap_config_names_the_key(tmp_path, key, value, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({key: value}))
    with pytest.raises(ConfigError, match=expected):
        read_config_file(str(path))


def test_a_page_on_a_domain_not_listed_is_a_counted_skip_and_never_requested(tmp_path):
    output, domains = tmp_path / "out", tmp_path / "outlets.txt"
    domains.write_text("127.0.0.1\n")
    with Site() as site:
        listed = page(site, "/in.html", 1)
        other = page(site, "/out.html", 2).replace("127.0.0.1", "localhost")  # same server, a name not listed
        site.add("/sitemap.xml", plain((listed, ago(0)), (other, ago(0))))
        config = tmp_path / "sitemaps.yaml"
        config.write_text(yaml.safe_dump({"sitemaps": [site.url("/sitemap.xml")], "fetch": FAST_FETCH}))
        assert run_newsbeam("--config", config, "--output", output, "--only-domains", domains) == 0
        assert len(site.hits_of("/in.html")) == 1 and site.hits_of("/out.html") == []
    manifest = check_accounting(output)
    assert manifest["counts"]["articles"] == 1 and manifest["counts"]["skipped_by_reason"]["other_domain"] == 1
    (record,) = manifest["sitemaps"]
    assert (record["in_window"], record["pages_requested"], record["skipped"]) == (2, 1, 1)
