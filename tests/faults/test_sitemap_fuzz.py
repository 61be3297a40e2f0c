"""Property: whatever sitemaps a site serves, a run succeeds and every page URL ends in one place.

Hypothesis builds urlsets and indexes from hostile entries (broken and non-http URLs,
dates in year 1 and 9999 or none at all, titles with any character), mutates the documents
(truncated, bit-flipped, entity declarations spliced in), gzips some, and serves them on
loopback; each goes through the real CLI. Examples are derandomized; NEWSBEAM_FUZZ_EXAMPLES
and NEWSBEAM_FUZZ_RANDOM search further, as in test_fuzz.py.
"""
from __future__ import annotations

import datetime as dt
import gzip
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import check_accounting, run_newsbeam
from tests.faults.test_fuzz import EXAMPLES, FUZZ, TEXT, mutated, texts
from tests.support.site import Site, article_page

NOW = dt.datetime.now(dt.timezone.utc)
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"

locs = st.one_of(st.just("PAGE"), st.just("PAGE?again"), texts,
                 st.sampled_from(["javascript:alert(1)", "http://[::1/", "ftp://a.example/x", "", "PAGE#&#55296;",
                                  "http://169.254.169.254/latest/meta-data/", "MISSING"]))
dates = st.one_of(st.none(), texts, st.sampled_from(
    ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "2020-01-01", "gestern", "",
     (NOW - dt.timedelta(hours=5)).isoformat(), (NOW - dt.timedelta(days=1)).date().isoformat()]))
entries = st.lists(st.fixed_dictionaries(
    {"loc": locs}, optional={"lastmod": dates, "published": dates, "title": texts}), max_size=6)


def urlset(site: Site, items: list[dict]) -> str:
    body = []
    for item in items:
        loc = item["loc"].replace("PAGE", site.url("/page.html")).replace("MISSING", site.url("/missing.html"))
        parts = [f"<loc>{escape(loc)}</loc>"]
        if "lastmod" in item and item["lastmod"] is not None:
            parts.append(f"<lastmod>{escape(item['lastmod'])}</lastmod>")
        if "published" in item or "title" in item:
            parts.append(f"<news:news><news:publication_date>{escape(item.get('published') or '')}"
                         f"</news:publication_date><news:title>{escape(item.get('title') or '')}</news:title>"
                         "</news:news>")
        body.append(f"<url>{''.join(parts)}</url>")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="{NEWS}">{"".join(body)}</urlset>')


@st.composite
def sitemaps(draw):
    """(entries, mutate?, gzip?) of each of two sitemaps, and whether an index lists them."""
    return [(draw(entries), draw(st.booleans()), draw(st.booleans())) for _ in range(2)], draw(st.booleans())


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))  # a CLI run each: a few seconds
@given(sitemaps(), st.data())
def test_any_sitemap_ends_as_rows_that_add_up(spec, data):
    maps, indexed = spec
    with tempfile.TemporaryDirectory() as tmp, Site() as site:
        site.add("/page.html", article_page("A page", [TEXT, "Second paragraph of the page."]))
        urls = []
        for n, (items, mutate, zipped) in enumerate(maps):
            document = urlset(site, items).encode("utf-8", errors="surrogatepass")
            if mutate:
                document = data.draw(mutated(document))
            path = f"/sitemap-{n}.xml" + (".gz" if zipped else "")
            urls.append(site.add(path, gzip.compress(document) if zipped else document))
        if indexed:  # an index listing both, and itself (a loop that must not be followed twice)
            listed = "".join(f"<sitemap><loc>{escape(url)}</loc></sitemap>" for url in [*urls, site.url("/index.xml")])
            urls = [site.add("/index.xml", f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                                           f"{listed}</sitemapindex>")]
        config = Path(tmp) / "sitemaps.yaml"
        config.write_text(yaml.safe_dump({"sitemaps": urls, "fetch": {
            "allow_private_network": True, "per_host_delay": 0.0, "retries": 0, "connect_timeout": 2.0,
            "read_timeout": 2.0, "respect_robots": False}}))
        output = Path(tmp) / "out"
        assert run_newsbeam("--config", config, "--output", output) == 0
        check_accounting(output)
