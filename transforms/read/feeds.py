"""Live feeds: fetch each feed (conditionally), parse its entries, follow them to their pages.

Fetching is I/O-bound, so URLs are grouped by host (one host's URLs on one
worker, where the per-host limits hold), host groups are batched, and each
batch is fetched by a thread pool. Every feed that fails becomes one error row;
a page that cannot be fetched falls back to the entry's own content, then its
summary, and only an entry with neither becomes an error row. What happened to
each feed (fetched, not modified, failed, with its validators and any
malformed-feed warning) goes to the run log, from which the driver writes the
manifest and the conditional-GET state.

A feed URL that turns out to be a web page (a home page) is read through the feeds
the page announces (transforms/read/discover.py, at most ``MAX_FEEDS``): each is
fetched by the same guarded fetcher, with its own conditional-GET state, and logged
with ``discovered_from``; the page's own log record lists what it ``discovered``.
A discovered URL that is itself a page is not searched further.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Optional
from urllib.parse import urlsplit

import apache_beam as beam

from newsbeam.transforms.read.discover import discover_feeds
from newsbeam.transforms.read.feed_state import state_key
from newsbeam.transforms.read.fetcher import FetchError, Fetcher, FetchSettings
from newsbeam.transforms.parse.encoding import DecodeError, decode_bytes
from newsbeam.transforms.parse.feeds import FeedError, parse_feed
from newsbeam.transforms.parse.jsonfeed import is_json
from newsbeam.transforms.isolation import OutputCounter, error_type_of, failure_row
from newsbeam.transforms.progress import DROPPED, SOURCES
from newsbeam.transforms.names import (DOCUMENTS, ERRORS, FEEDS_DISCOVERED, FEEDS_ENTRIES, FEEDS_FAILED,
                                       FEEDS_FETCHED, FEEDS_MALFORMED,
                                       FEEDS_NOT_MODIFIED, LOG, PAGES_FAILED, PAGES_FALLBACKS, PAGES_FETCHED,
                                       STAGE_FETCH, STAGE_PARSE, counter)
from newsbeam.transforms.records import Document, error_row
from newsbeam.transforms.redact import redact_text, redact_url
HOST_BATCH = 32


@dataclasses.dataclass(frozen=True)
class FeedSpec:
    url: str
    outlet: Optional[str] = None
    language: Optional[str] = None


def _host(url: str) -> str:
    """The host to group a URL's requests by; '' for a URL too broken to have one (its
    request then fails as that item's error row)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


class FetchByHostFn(beam.DoFn):
    """Batches of (host, items) in; each item handled on a thread of a pool, outputs in order.

    A handler returns (outputs, counts); counters are incremented here, on the bundle's
    own thread, because Beam's metrics containers do not reach pool threads. Whatever a
    handler raises makes its item one error row (stage ``STAGE``); the others go on.
    """
    STAGE = STAGE_FETCH
    BIRTHS = False  # whether the outputs are new input items (a feed's entries are)
    PROGRESS: Optional[str] = None  # the progress event of each item handled (transforms.progress)

    def __init__(self, settings: FetchSettings):
        self._settings = settings
        self._counter = OutputCounter(self.BIRTHS, self.PROGRESS)

    def setup(self):
        self._fetcher = Fetcher(self._settings)
        self._pool = ThreadPoolExecutor(max_workers=self._settings.concurrency)

    def teardown(self):
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._fetcher.close()

    def process(self, batch):
        # Round-robin over hosts, so that the pool's threads spread across hosts instead of
        # queueing behind one host's per-host limit.
        groups = [sorted(group, key=self._order) for _, group in sorted(batch, key=lambda kv: kv[0])]
        items = [item for turn in itertools.zip_longest(*groups) for item in turn if item is not None]
        for outputs, counts in self._pool.map(self._isolated, items):
            for name, value in counts.items():
                counter(name).inc(value)
            self._counter.count(outputs)
            yield from outputs

    def _isolated(self, item) -> tuple[list, dict]:
        try:
            return self._handle(item)
        except Exception as exc:  # noqa: BLE001 - the item's own failure, never the run's
            return [beam.pvalue.TaggedOutput(ERRORS, failure_row(item, self.STAGE, exc))], {}

    @staticmethod
    def _order(item):
        return item.url if isinstance(item, FeedSpec) else (item.source, item.locator)

    def _handle(self, item) -> tuple[list, dict]:
        raise NotImplementedError


class _FetchFeedsFn(FetchByHostFn):
    BIRTHS = True
    PROGRESS = SOURCES

    def __init__(self, settings: FetchSettings, state: dict):
        super().__init__(settings)
        self._state = state

    def _handle(self, spec: FeedSpec) -> tuple[list, dict]:
        outputs, counts, page = self._feed(spec.url, spec)
        if page is None:
            return outputs, counts
        # Not a feed but a web page: read the feeds it announces instead (one level, at most MAX_FEEDS).
        source, found = redact_url(spec.url), discover_feeds(page.body, page.url)
        log = {"url": source, "fetched_at": dt.datetime.now(dt.timezone.utc).isoformat(), "http_status": page.status}
        if not found:
            return self._failed_feed(source, log, STAGE_PARSE, "not_a_feed", (
                f"{source} is neither a feed nor a page that announces one (no <link rel=\"alternate\"> to an RSS, "
                "Atom or JSON feed in its head)"), page.body)
        outputs = [beam.pvalue.TaggedOutput(LOG, {**log, "status": "discovered",
                                                  "discovered": [redact_url(url) for url in found]})]
        counts = {FEEDS_DISCOVERED: len(found)}
        for url in found:
            more, more_counts, _ = self._feed(url, spec, discovered_from=source)
            outputs += more
            for name, value in more_counts.items():
                counts[name] = counts.get(name, 0) + value
        return outputs, counts

    def _feed(self, url: str, spec: FeedSpec, discovered_from: Optional[str] = None):
        """(outputs, counts, page) of one feed URL; ``page`` is the response when the URL is a page
        that is not a feed and may announce feeds (only for a configured URL, not a discovered one)."""
        # rows, logs and the state name the feed without its credentials; only the fetch uses them
        source, key = redact_url(url), state_key(url)
        known = self._state.get(key, {})
        headers = {}
        if known.get("etag"):
            headers["If-None-Match"] = known["etag"]
        if known.get("last_modified"):
            headers["If-Modified-Since"] = known["last_modified"]
        log = {"url": source, "fetched_at": dt.datetime.now(dt.timezone.utc).isoformat(),
               **({"state_key": key} if key != source else {}),
               **({"discovered_from": discovered_from} if discovered_from else {})}
        try:
            response = self._fetcher.get(url, headers)
        except FetchError as exc:
            return (*self._failed_feed(source, log, STAGE_FETCH, exc.kind, str(exc), b""), None)
        if response.status == 304:
            return ([beam.pvalue.TaggedOutput(LOG, {**log, "status": "not_modified", "http_status": 304})],
                    {FEEDS_NOT_MODIFIED: 1}, None)
        try:
            parsed = parse_feed(response.body, source, outlet=spec.outlet, language=spec.language,
                                content_type=response.headers.get("content-type"))
        except FeedError as exc:
            if exc.kind == "not_a_feed" and not discovered_from and not is_json(response.body):
                return [], {}, response  # perhaps a page that announces feeds
            return (*self._failed_feed(source, log, STAGE_PARSE, exc.kind, str(exc), response.body), None)
        failed = [beam.pvalue.TaggedOutput(ERRORS, error_row(source, STAGE_PARSE, f.error_type, f.message, f.excerpt,
                                                             f.locator))
                  for f in parsed.failures]
        entries = len(parsed.documents) + len(failed)
        log.update(status="fetched", http_status=response.status, entries=entries,
                   warning=parsed.warning, etag=response.headers.get("etag"),
                   last_modified=response.headers.get("last-modified"), attempts=response.attempts)
        counts = {FEEDS_FETCHED: 1, FEEDS_ENTRIES: entries, FEEDS_MALFORMED: 1 if parsed.warning else 0}
        return [*parsed.documents, *failed, beam.pvalue.TaggedOutput(LOG, log)], counts, None

    @staticmethod
    def _failed_feed(source, log, stage, kind, message, excerpt) -> tuple[list, dict]:
        # a feed that yields nothing is one input item, ending as one error row
        counts = {FEEDS_FAILED: 1}
        message = redact_text(message)
        return ([beam.pvalue.TaggedOutput(ERRORS, error_row(source, stage, kind, message, excerpt)),
                 beam.pvalue.TaggedOutput(LOG, {**log, "status": "failed", "stage": stage, "error": kind,
                                                "message": message})], counts)


class FetchPagesFn(FetchByHostFn):
    def _handle(self, doc: Document) -> tuple[list, dict]:
        try:
            if not self._fetcher.allowed_by_robots(doc.url):
                raise FetchError("robots_disallowed", f"robots.txt disallows {doc.url}")
            response = self._fetcher.get(doc.url)
            html, _ = decode_bytes(response.body)
        except Exception as exc:  # noqa: BLE001 - any failure to get the page: its feed text stands in
            kind = getattr(exc, "kind", None) or ("undecodable" if isinstance(exc, DecodeError) else error_type_of(exc))
            if doc.body:  # the entry's own content stands in for its page
                return [doc], {PAGES_FAILED + kind: 1, PAGES_FALLBACKS: 1}
            self._counter.mark(DROPPED)  # found with its feed, never reaches extraction
            return ([beam.pvalue.TaggedOutput(ERRORS, error_row(
                doc.source, STAGE_FETCH, kind, f"{doc.url}: {exc}", "", doc.locator))],
                {PAGES_FAILED + kind: 1})
        own = ((doc.text_source, doc.body_format, doc.body),) if doc.body else ()
        page = dataclasses.replace(doc, url=response.url, body=html, body_format="html", text_source="page",
                                   alternatives=own + doc.alternatives)
        return [page], {PAGES_FETCHED: 1}


def by_host(label: str):
    return (f"KeyByHost{label}" >> beam.Map(lambda item: (_host(item.url), item)),
            f"GroupByHost{label}" >> beam.GroupByKey(),
            # Fixed-size batches (the rest flushed at the end of a bundle): the adaptive default
            # starts at one host per batch, which would fetch hosts one after another.
            f"BatchHosts{label}" >> beam.BatchElements(min_batch_size=HOST_BATCH, max_batch_size=HOST_BATCH))


class ReadFeeds(beam.PTransform):
    """Feed specs in; ``documents``, ``errors`` and ``log`` (one record per feed) out.

    ``unfetched``, when given, is applied to the entries before their pages are fetched: a
    transform that keeps only the entries whose page is still wanted (the run passes one that
    drops, and counts as skipped, the entries whose canonical URL the output already has).
    ``--only-domains`` is applied after the fetch, to the page's final address: aggregators and
    outlets link entries through redirectors on other hosts."""

    def __init__(self, feeds: list[FeedSpec], settings: FetchSettings, state: dict,
                 unfetched: beam.PTransform | None = None):
        super().__init__()
        self._feeds = feeds
        self._settings = settings
        self._state = state
        self._unfetched = unfetched

    def expand(self, pbegin):
        key, group, batch = by_host("Feeds")
        feeds = (pbegin
                 | "ListFeeds" >> beam.Create(self._feeds)
                 | key | group | batch
                 | "FetchFeeds" >> beam.ParDo(_FetchFeedsFn(self._settings, self._state)).with_outputs(
                     ERRORS, LOG, main=DOCUMENTS))
        if not self._settings.fetch_pages:
            return {DOCUMENTS: feeds[DOCUMENTS], ERRORS: feeds[ERRORS], LOG: feeds[LOG]}
        linked = feeds[DOCUMENTS] | "HasPage" >> beam.Partition(lambda doc, _: 0 if doc.url else 1, 2)
        wanted = linked[0] | "NotYetWritten" >> self._unfetched if self._unfetched else linked[0]
        key, group, batch = by_host("Pages")
        pages = (wanted | key | group | batch
                 | "FetchPages" >> beam.ParDo(FetchPagesFn(self._settings)).with_outputs(ERRORS, main=DOCUMENTS))
        documents = (pages[DOCUMENTS], linked[1]) | "AllEntries" >> beam.Flatten()
        errors = (feeds[ERRORS], pages[ERRORS]) | "AllFetchErrors" >> beam.Flatten()
        return {DOCUMENTS: documents, ERRORS: errors, LOG: feeds[LOG]}
