"""Sitemaps as a source: walk each sitemap (and the sitemaps its index lists), keep the page
URLs of the lookback window, and fetch those pages the way feed entries' pages are fetched.

A ``--sitemap`` URL is a sitemap, a sitemap index, or a site's home page (a URL with no
path): for a home page, the ``Sitemap:`` lines of its robots.txt are followed, else
``/sitemap.xml``. Every request, sitemaps and robots.txt included, goes through the guarded
fetcher (address guard, per-host delay, size cap, retries), and robots.txt rules are
checked for sitemaps as for pages.

Every page URL a sitemap lists is one input item. Its date is its news:publication_date,
else its lastmod; a URL dated before the window, or with no date (or an implausible one),
is counted as skipped (``sitemaps.skipped_outside_window``, ``sitemaps.skipped_undated``)
and never fetched: without a date, a site's whole archive would be fetched every run. An
index entry whose lastmod is before the window is not fetched either (no page of it can be
newer), and is logged. A URL an earlier run already wrote is dropped by ``unfetched`` and
counted as skipped there. The rest are fetched as pages and extracted like feed entries.

Limits, each hit becoming one error row while the rest is still read: index nesting
deeper than ``max_depth`` (``sitemap_too_deep``), more sitemaps under one root than
``max_sitemaps`` (``too_many_sitemaps``), more entries in one sitemap than ``max_urls``
(``too_many_urls``, the first ``max_urls`` kept), more than ``max_bytes`` uncompressed,
more page URLs of the window under one root than ``max_pages`` (``too_many_pages``, the
walk stops there: a root's pages are held until its walk ends).
Each sitemap visited is one record of the run log (``sitemaps`` in the manifest).
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from typing import Optional
from urllib import robotparser
from urllib.parse import urljoin, urlsplit

import apache_beam as beam

from newsbeam.transforms.names import (DOCUMENTS, ERRORS, ITEMS, LOG, SITEMAPS_FAILED, SITEMAPS_FETCHED,
                                       SITEMAPS_SKIPPED_OUTSIDE, SITEMAPS_SKIPPED_UNDATED, SITEMAPS_URLS,
                                       STAGE_FETCH, STAGE_PARSE)
from newsbeam.transforms.parse.sitemap import MAX_BYTES, MAX_URLS, SitemapError, parse_sitemap
from newsbeam.transforms.parse.timestamps import plausible
from newsbeam.transforms.progress import SOURCES
# The feed reader's host-batched, isolated fetching and its page fetch are reused as they are.
from newsbeam.transforms.read.domains import KeepDomains
from newsbeam.transforms.read.feeds import FetchByHostFn, FetchPagesFn, by_host
from newsbeam.transforms.read.fetcher import FetchError, FetchSettings
from newsbeam.transforms.records import Document, error_row
from newsbeam.transforms.redact import redact_url

SOURCE_TYPE = "sitemap"


@dataclasses.dataclass(frozen=True)
class SitemapSpec:
    url: str


@dataclasses.dataclass(frozen=True)
class SitemapSettings:
    """How far back, and how much, a run reads from sitemaps."""
    lookback_days: float = 3
    max_depth: int = 3            # index -> index -> index -> sitemap; the root is depth 0
    max_sitemaps: int = 1000      # sitemaps fetched under one --sitemap URL
    max_urls: int = MAX_URLS      # entries read from one sitemap (the protocol's own limit)
    max_pages: int = 50_000       # page URLs of the window taken under one --sitemap URL (held until its walk ends)
    max_bytes: int = MAX_BYTES    # one sitemap, uncompressed


def is_home(url: str) -> bool:
    """A site's home URL (no path, no query): its sitemaps are found through robots.txt."""
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def robots_sitemaps(text: str) -> list[str]:
    """The ``Sitemap:`` URLs of a robots.txt, in order, once each."""
    rules = robotparser.RobotFileParser()
    rules.parse(text.splitlines())
    return list(dict.fromkeys(rules.site_maps() or []))


class _Walk:
    """One root's walk: the outputs, counts and log records it produced so far."""

    def __init__(self, root: str):
        self.root = root
        self.outputs: list = []
        self.counts: collections.Counter = collections.Counter()
        self.pages = 0      # Documents out so far
        self.full = False   # max_pages reached: the walk stops

    def error(self, source: str, stage: str, kind: str, message: str, excerpt=b"", locator: str = "") -> None:
        self.outputs.append(beam.pvalue.TaggedOutput(ERRORS, error_row(source, stage, kind, message, excerpt,
                                                                       locator)))

    def log(self, **record) -> None:
        self.outputs.append(beam.pvalue.TaggedOutput(LOG, {"root": redact_url(self.root), **record}))


class _WalkSitemapsFn(FetchByHostFn):
    """A --sitemap URL in; a Document per page URL of the window, error rows, log records out."""
    BIRTHS = True
    PROGRESS = SOURCES

    def __init__(self, settings: FetchSettings, sitemaps: SitemapSettings, now: dt.datetime):
        super().__init__(settings)
        self._sitemaps = sitemaps
        self._now = now
        self._start = now - dt.timedelta(days=sitemaps.lookback_days)

    @staticmethod
    def _order(item):
        return item.url

    def _handle(self, spec: SitemapSpec) -> tuple[list, dict]:
        walk = _Walk(spec.url)
        queue = collections.deque((url, 0, None) for url in self._roots(spec.url, walk))
        seen, fetched = set(), 0
        limit = self._sitemaps
        while queue and not walk.full:
            url, depth, parent = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            source = redact_url(url)
            if depth > limit.max_depth:
                walk.error(source, STAGE_FETCH, "sitemap_too_deep",
                           f"{source}: nested {depth} indexes deep, more than max_depth={limit.max_depth}; not fetched")
                walk.log(url=source, parent=parent, depth=depth, status="too_deep")
                continue
            if fetched >= limit.max_sitemaps:
                left = 1 + sum(1 for item in queue if item[0] not in seen)
                walk.error(redact_url(spec.url), STAGE_FETCH, "too_many_sitemaps",
                           f"more than max_sitemaps={limit.max_sitemaps} sitemaps under {redact_url(spec.url)}: "
                           f"{left} not fetched")
                break
            fetched += 1
            children = self._read(url, source, depth, parent, walk)
            queue.extend((child, depth + 1, source) for child in children)
        return walk.outputs, dict(walk.counts)

    def _roots(self, url: str, walk: _Walk) -> list[str]:
        """The sitemaps to start from: the URL itself, or a home page's advertised sitemaps."""
        if not is_home(url):
            return [url]
        robots = urljoin(url, "/robots.txt")
        try:
            found = robots_sitemaps(self._fetcher.get(robots).body.decode("utf-8", errors="replace"))
        except FetchError:  # no robots.txt (or none we may read): the conventional place
            found = []
        walk.log(url=redact_url(robots), status="robots", sitemaps=len(found))
        return found or [urljoin(url, "/sitemap.xml")]

    def _read(self, url: str, source: str, depth: int, parent: Optional[str], walk: _Walk) -> list[str]:
        """Fetch and parse one sitemap; its pages go out, its child sitemaps come back."""
        record = {"url": source, "parent": parent, "depth": depth}
        try:
            if not self._fetcher.allowed_by_robots(url):
                raise FetchError("robots_disallowed", f"robots.txt disallows {url}")
            response = self._fetcher.get(url)
        except FetchError as exc:
            walk.error(source, STAGE_FETCH, exc.kind, str(exc))
            walk.log(**record, status="failed", stage=STAGE_FETCH, error=exc.kind)
            walk.counts[SITEMAPS_FAILED] += 1
            return []
        try:
            parsed = parse_sitemap(response.body, self._sitemaps.max_urls, self._sitemaps.max_bytes)
        except SitemapError as exc:
            walk.error(source, STAGE_PARSE, exc.kind, f"{source}: {exc}", response.body)
            walk.log(**record, status="failed", stage=STAGE_PARSE, error=exc.kind)
            walk.counts[SITEMAPS_FAILED] += 1
            return []
        walk.counts[SITEMAPS_FETCHED] += 1
        if parsed.failure is not None:  # stopped part-way: what was read before still counts
            walk.error(source, STAGE_PARSE, parsed.failure.kind, f"{source}: {parsed.failure}", response.body)
            record.update(error=parsed.failure.kind)
        if parsed.index:
            children = [entry.url for entry in parsed.entries if entry.url and not self._before_window(entry.date)]
            walk.log(**record, status="fetched", index=True, sitemaps=len(parsed.entries), followed=len(children),
                     skipped_outside_window=sum(1 for e in parsed.entries if e.url and self._before_window(e.date)))
            return children
        tally = self._pages(parsed.entries, source, walk)
        walk.log(**record, status="fetched", index=False, **tally)
        return []

    def _before_window(self, date: Optional[dt.datetime]) -> bool:
        return date is not None and plausible(date, self._now) and date < self._start

    def _pages(self, entries, source: str, walk: _Walk) -> dict:
        """The page entries of one sitemap: the window's as Documents, the others counted as skipped."""
        tally = collections.Counter(urls=len(entries))
        for number, entry in enumerate(entries, 1):
            locator = f"url {number}"
            if not entry.url:
                walk.error(source, STAGE_PARSE, "invalid_entry", f"{source}: {locator} has no <loc>", "", locator)
                tally["invalid"] += 1
                continue
            date = entry.date if plausible(entry.date, self._now) else None
            reason = "undated" if date is None else "outside_window" if date < self._start else None
            if reason:
                tally[f"skipped_{reason}"] += 1
                continue
            if walk.pages >= self._sitemaps.max_pages:
                walk.full = True
                walk.error(source, STAGE_PARSE, "too_many_pages",
                           f"{source}: more than max_pages={self._sitemaps.max_pages} page URLs of the window under "
                           f"{redact_url(walk.root)}: {len(entries) - number + 1} of this sitemap and any sitemaps "
                           "not yet read were left out", "", locator)
                tally["urls"] = number - 1  # what was read: the rest is in the error row
                break
            walk.pages += 1
            tally["in_window"] += 1
            published = entry.published_at if plausible(entry.published_at, self._now) else None
            walk.outputs.append(Document(
                source=source, source_type=SOURCE_TYPE, locator=locator, body="", body_format="html",
                url=entry.url, title=entry.title, published_at=published, language=entry.language,
                text_source="page"))
        skipped = tally["skipped_outside_window"] + tally["skipped_undated"]
        walk.counts.update({SITEMAPS_URLS: tally["urls"], ITEMS: skipped,
                            SITEMAPS_SKIPPED_OUTSIDE: tally["skipped_outside_window"],
                            SITEMAPS_SKIPPED_UNDATED: tally["skipped_undated"]})
        return {key: tally[key] for key in ("urls", "in_window", "skipped_outside_window", "skipped_undated",
                                            "invalid")}


def _requested(source_and_count) -> dict:
    source, count = source_and_count
    return {"url": source, "pages_requested": count}


class ReadSitemaps(beam.PTransform):
    """--sitemap URLs in; ``documents`` (pages fetched), ``errors`` and ``log`` out.

    ``unfetched`` and ``only_domains``, as for ReadFeeds, keep only the page URLs still wanted
    (the run passes one that drops, and counts as skipped, the URLs the output already has); the
    others are never requested."""

    def __init__(self, specs: list[SitemapSpec], settings: FetchSettings, sitemaps: SitemapSettings,
                 now: dt.datetime, unfetched: beam.PTransform | None = None, only_domains: frozenset = frozenset()):
        super().__init__()
        self._specs = specs
        self._settings = settings
        self._sitemaps = sitemaps
        self._now = now
        self._unfetched = unfetched
        self._domains = frozenset(only_domains)

    def expand(self, pbegin):
        key, group, batch = by_host("Sitemaps")
        walked = (pbegin
                  | "ListSitemaps" >> beam.Create(self._specs)
                  | key | group | batch
                  | "WalkSitemaps" >> beam.ParDo(_WalkSitemapsFn(self._settings, self._sitemaps, self._now))
                  .with_outputs(ERRORS, LOG, main=DOCUMENTS))
        wanted, skipped_errors = _still_wanted(walked[DOCUMENTS], self._domains, self._unfetched)
        requested = (wanted
                     | "BySitemap" >> beam.Map(lambda doc: (doc.source, 1))
                     | "CountBySitemap" >> beam.CombinePerKey(sum)
                     | "RequestedLog" >> beam.Map(_requested))
        key, group, batch = by_host("SitemapPages")
        pages = (wanted | key | group | batch
                 | "FetchSitemapPages" >> beam.ParDo(FetchPagesFn(self._settings)).with_outputs(ERRORS,
                                                                                                 main=DOCUMENTS))
        errors = (walked[ERRORS], *skipped_errors, pages[ERRORS]) | "SitemapErrors" >> beam.Flatten()
        log = (walked[LOG], requested) | "SitemapLog" >> beam.Flatten()
        return {DOCUMENTS: pages[DOCUMENTS], ERRORS: errors, LOG: log}


def _still_wanted(documents, domains: frozenset, unfetched: beam.PTransform | None):
    """(documents, [errors]): the page URLs still to be fetched: on a listed domain
    (``--only-domains``; a sitemap lists the pages' own addresses, so they are checked before the
    fetch), then those ``unfetched`` keeps; the others are counted skips, never requested."""
    errors = []
    if domains:
        kept = documents | "OnlyDomains" >> KeepDomains(domains)
        documents = kept[DOCUMENTS]
        errors.append(kept[ERRORS])
    if unfetched is not None:
        documents = documents | "NotYetWritten" >> unfetched
    return documents, errors


def sitemap_records(log: list[dict]) -> list[dict]:
    """The run log as the manifest shows it: one record per sitemap visited, with the number of
    its page URLs that were fetched (those of the window that the output did not have yet, on a
    listed domain) and of those skipped."""
    requested = {record["url"]: record["pages_requested"] for record in log if "pages_requested" in record}
    records = [record for record in log if "pages_requested" not in record]
    for record in records:
        if record.get("status") == "fetched" and not record.get("index"):
            record["pages_requested"] = requested.get(record["url"], 0)
            record["skipped"] = record["in_window"] - record["pages_requested"]  # written before, or another domain
    return sorted(records, key=lambda r: (r.get("root", ""), r.get("depth", -1), r["url"]))
