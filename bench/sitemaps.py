"""Sitemaps: which parser, and how fast sitemaps and their pages are fetched politely.

1. Parsing one generated Google News sitemap of 50,000 URLs (16 MB, the protocol's largest):
   newsbeam's parser (defusedxml, streamed, DTDs refused), lxml's iterparse reading the
   same fields, and ultimate-sitemap-parser (Media Cloud's, when installed). Each runs in a
   fresh process reading the file; seconds, the growth of its peak resident memory over the
   bytes it read (lxml's C allocations included; a transient peak of the imports can hide
   a smaller growth) and the peak of Python's own allocations (tracemalloc) are printed, with
   ratios against a bare baseline measured in the same run: lxml iterparse counting
   <url> elements and reading nothing.
2. Fetching: a loopback host serving robots.txt, a sitemap index, two news sitemaps and
   40 pages, read by ReadSitemaps with the default politeness (per_host_delay 0.5 s: at
   most 2 requests started per second per host). Printed: requests and pages per second
   against that bound, and against a bare sequential requests loop over the same URLs.

    .venv/bin/python -m bench.sitemaps
"""
from __future__ import annotations

import datetime as dt
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc

from bench.common import ROOT, run_and_collect

URLS = 50_000
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


def news_sitemap(urls: int = URLS) -> bytes:
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             f'xmlns:news="{NEWS}">']
    for i in range(urls):
        day = f"2026-11-{1 + i % 28:02d}T10:{i % 60:02d}:00Z"
        parts.append(f"<url><loc>https://news.example/world/{i}-story.html</loc><lastmod>{day}</lastmod>"
                     f"<news:news><news:publication><news:name>Example News</news:name><news:language>en"
                     f"</news:language></news:publication><news:publication_date>{day}</news:publication_date>"
                     f"<news:title>Story {i} &amp; its title</news:title></news:news></url>")
    parts.append("</urlset>")
    return "".join(parts).encode()


def _bare(data: bytes) -> int:
    from lxml import etree
    count = 0
    for _, element in etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}url", resolve_entities=False,
                                      no_network=True, load_dtd=False):
        count += 1
        element.clear()
    return count


def _newsbeam(data: bytes) -> int:
    from newsbeam.transforms.parse.sitemap import parse_sitemap
    return len(parse_sitemap(data).entries)


def _lxml(data: bytes) -> int:
    """The same fields newsbeam reads, with lxml; DTDs would have to be refused by hand."""
    from lxml import etree
    from newsbeam.transforms.parse.timestamps import parse_timestamp
    entries = []
    for _, element in etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}url", resolve_entities=False,
                                      no_network=True, load_dtd=False):
        fields = {}
        for child in element.iter():
            name = etree.QName(child).localname
            if name in ("loc", "title", "language"):
                fields[name] = (child.text or "").strip()
            elif name in ("lastmod", "publication_date"):
                fields[name] = parse_timestamp(child.text)
        entries.append(fields)
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return len(entries)


def _usp(data: bytes) -> int:
    from usp.fetch_parse import SitemapStrParser
    return sum(1 for _ in SitemapStrParser(data.decode("utf-8")).sitemap().all_pages())


PARSERS = {"bare lxml iterparse (count only)": _bare, "newsbeam (defusedxml, streamed)": _newsbeam,
           "lxml iterparse (same fields)": _lxml, "ultimate-sitemap-parser 1.8.1": _usp}


def measure_one(name: str, path: str) -> None:
    """In a fresh process: parse the sitemap once, print seconds, URLs and peak memory growth."""
    with open(path, "rb") as handle:
        data = handle.read()
    PARSERS[name](news_sitemap(10))  # imports done before measuring
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    urls = PARSERS[name](data)
    seconds = time.perf_counter() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    tracemalloc.start()  # a second, traced parse: Python's own allocations (not lxml's C ones)
    PARSERS[name](data)
    traced = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"seconds": seconds, "urls": urls, "peak_mib": grown / 1024, "traced_mib": traced / 2**20}))


def parse_benchmark() -> None:
    data = news_sitemap()
    print(f"Parsing one news sitemap of {URLS} URLs ({len(data) / 1e6:.1f} MB), a fresh process each")
    results = {}
    with tempfile.NamedTemporaryFile(suffix=".xml") as sitemap:
        sitemap.write(data)
        sitemap.flush()
        for name in PARSERS:
            results[name] = subprocess.run([sys.executable, "-m", "bench.sitemaps", "--one", name, sitemap.name],
                                           cwd=ROOT, capture_output=True, text=True)
    for name, done in list(results.items()):
        if done.returncode:
            print(f"  {name:36} not run: {done.stderr.strip().splitlines()[-1]}")
            del results[name]
            continue
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
    bare = results.get(next(iter(PARSERS)))
    for name, r in results.items():
        ratio = f"{r['seconds'] / bare['seconds']:.2f}x bare" if bare else ""
        print(f"  {name:36} {r['seconds']:6.2f} s  {URLS / r['seconds']:8.0f} URLs/s  {ratio:>11}  "
              f"peak RSS +{r['peak_mib']:.0f} MiB, Python heap peak {r['traced_mib']:.0f} MiB  ({r['urls']} URLs)")


def fetch_benchmark() -> None:
    import requests

    from newsbeam.transforms.names import DOCUMENTS
    from newsbeam.transforms.read.fetcher import FetchSettings
    from newsbeam.transforms.read.sitemaps import ReadSitemaps, SitemapSettings, SitemapSpec
    from tests.support.site import Site, article_page

    now = dt.datetime.now(dt.timezone.utc)
    with Site() as site:
        children, urls = [], []
        for m in range(2):
            entries = []
            for p in range(20):
                url = site.add(f"/{m}/{p}.html", article_page(f"Story {m}-{p}", [f"Story {m}-{p} text."] * 3))
                urls.append(url)
                entries.append(f"<url><loc>{url}</loc><news:news><news:publication_date>{now.isoformat()}"
                               f"</news:publication_date><news:title>Story</news:title></news:news></url>")
            children.append(site.add(f"/news-{m}.xml", f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                                                       f'xmlns:news="{NEWS}">{"".join(entries)}</urlset>'))
        index = site.add("/sitemap_index.xml", '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                         + "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children) + "</sitemapindex>")
        site.add("/robots.txt", f"User-agent: *\nAllow: /\nSitemap: {index}\n")
        all_urls = [site.url("/robots.txt"), index, *children, *urls]

        session = requests.Session()
        started = time.perf_counter()
        for url in all_urls:
            session.get(url, timeout=10).raise_for_status()
        bare = len(all_urls) / (time.perf_counter() - started)

        settings = FetchSettings(allow_private_network=True)  # the default politeness otherwise
        site.hits.clear()
        read = ReadSitemaps([SitemapSpec(site.url("/"))], settings, SitemapSettings(), now)
        found, seconds = run_and_collect(lambda p: {"pages": (p | read)[DOCUMENTS]})
        hits = sorted(h.started for h in site.hits)
        robots = len(site.hits_of("/robots.txt"))
    pages = len(found["pages"])
    span = hits[-1] - hits[0]
    bound = 1 / settings.per_host_delay
    print(f"Fetching robots.txt, an index, 2 sitemaps and {len(urls)} pages from one loopback host "
          f"(per_host_delay {settings.per_host_delay} s: at most {bound:.1f} requests/s per host)")
    print(f"  bare sequential requests loop: {bare:8.1f} requests/s")
    print(f"  newsbeam ReadSitemaps: {len(hits)} requests ({robots} of them robots.txt: discovery, then once per "
          f"fetcher) in {span:.1f} s from first to last = "
          f"{(len(hits) - 1) / span:.2f} requests/s ({(len(hits) - 1) / span / bound:.0%} of the bound), "
          f"{pages} pages in {seconds:.1f} s with pipeline start = {pages / seconds:.2f} pages/s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        measure_one(sys.argv[2], sys.argv[3])
    else:
        parse_benchmark()
        fetch_benchmark()
