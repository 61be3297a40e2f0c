"""Extract stage: every Document becomes one clean article row, or one error row.

Pages go through trafilatura (title, author, date, body, language; comments
excluded) under a per-page time limit, in a pool of extraction processes
(:mod:`.page_extractor`), plain-text dumps through :mod:`.clean_text`, feed
entries through a fragment-to-text conversion. Here each article also gets its
stable identity (canonical URL, content hash, id), its publication date with
where that date came from, its outlet and its language.

While a page is extracted, its document waits (a :class:`DeferredItemFn` item)
and the worker goes on with the next documents and with the articles of pages
already extracted, so the pool's processes and the worker all stay busy.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import os
import time
from typing import Optional

import apache_beam as beam

from newsbeam.transforms.extract.clean_text import clean_dump, clean_lines, tidy_extracted
from newsbeam.transforms.extract.ids import article_id, canonical_url, content_hash, url_domain
from newsbeam.transforms.extract.language import LanguageDetector
from newsbeam.transforms.extract.page_extractor import ExtractionTimeout, ExtractorCrashed, Outcome, PageExtractor
from newsbeam.transforms.isolation import Await, DeferredItemFn
from newsbeam.transforms.names import (ARTICLES, DATE_HINT, DATE_INGESTED, DATE_OUT_OF_RANGE, DATE_PUBLISHED,
                                       DATE_TEXT, ERRORS, EXTRACT_ARTICLES, EXTRACT_MICROS, EXTRACT_TIMEOUTS,
                                       STAGE_EXTRACT, DATE_CRAWLED, counter, distribution)
from newsbeam.transforms.parse.fields import line_or_none
from newsbeam.transforms.parse.html_text import fragment_to_text
from newsbeam.transforms.parse.timestamps import plausible
from newsbeam.transforms.progress import EXTRACTED
from newsbeam.transforms.records import Article, Document, Extracted, RunContext, error_row
from newsbeam.transforms.runners import runs_locally

PROGRESS_EVERY_SECONDS = 10.0
DETECT_MIN_CHARS = 200  # below this, a source's declared language is more reliable than detection
_LOG = logging.getLogger("newsbeam.extract")

# trafilatura's precision/recall trade-off, chosen with the ``extraction`` setting.
EXTRACTION_MODES = {
    "default": {},
    "fast": {"fast": True},
    "precision": {"favor_precision": True},
    "recall": {"favor_recall": True},
}


@dataclasses.dataclass(frozen=True)
class ExtractSettings:
    min_text_chars: int = 50
    extraction: str = "default"
    outlet: Optional[str] = None  # forces the outlet of every article
    timeout_seconds: float = 10.0  # per page; 0 extracts in-thread without a limit
    max_item_bytes: int = 10 * 1024 * 1024  # a larger body is refused before any work on it
    processes: int = 0  # extraction processes per worker; 0: see default_processes


def default_processes(pipeline: beam.Pipeline) -> int:
    """Extraction processes per worker when the configuration leaves it open: on a local runner, this
    machine's cores shared among the runner's workers (all of them in-process, one each with
    ``--direct_num_workers=2`` on 2 cores), so that they never outnumber the cores; on a distributed
    runner, 1, since it already runs a worker per core."""
    from apache_beam.options.pipeline_options import DirectOptions

    if not runs_locally(pipeline):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = pipeline.options.view_as(DirectOptions).direct_num_workers or cores  # 0: one per core
    return max(1, cores // workers)


class _Stopwatch:
    """The time one document costs: the worker's own work on it and its page's extraction, not the
    time it waits while other documents are worked on."""

    def __init__(self):
        self.seconds = 0.0
        self._since = time.monotonic()

    def pause(self) -> None:
        self.seconds += time.monotonic() - self._since

    def resume(self, extra_seconds: float) -> None:
        self.seconds += extra_seconds
        self._since = time.monotonic()


class _ExtractFn(DeferredItemFn):
    STAGE = STAGE_EXTRACT
    PROGRESS = EXTRACTED

    def __init__(self, run: RunContext, settings: ExtractSettings):
        super().__init__()
        self._run = run
        self._settings = settings
        self._articles = counter(EXTRACT_ARTICLES)
        self._timeouts = counter(EXTRACT_TIMEOUTS)
        self._micros = distribution(EXTRACT_MICROS)

    def setup(self):
        self._pages = PageExtractor(EXTRACTION_MODES[self._settings.extraction], self._settings.timeout_seconds,
                                    max(1, self._settings.processes))
        self._pages.start()
        # The language model takes about a second to load (mostly LZMA, which frees the GIL); documents
        # go on to the extraction processes meanwhile, and the first article waits for it if need be.
        self._loader = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="newsbeam-language-model")
        self._language = self._loader.submit(LanguageDetector)
        self._done = 0
        self._started = self._last_report = time.monotonic()

    def submit(self, ticket: int, job) -> None:
        self._pages.submit(ticket, *job)

    def finished(self, wait: bool):
        return self._pages.finished(wait)

    def full(self) -> bool:
        return self._pages.full

    def handle(self, doc: Document):
        clock = _Stopwatch()
        extracted, problem = yield from self._first_usable(doc, clock)
        clock.pause()
        self._micros.update(int(clock.seconds * 1_000_000))
        self._report_progress()
        if extracted is None:
            error_type, message, excerpt = problem
            yield beam.pvalue.TaggedOutput(ERRORS, error_row(
                doc.source, STAGE_EXTRACT, error_type, message, excerpt, doc.locator))
            return
        article = self._article(doc, extracted)
        self._articles.inc()
        yield article

    def _first_usable(self, doc: Document, clock: _Stopwatch):
        """The first of the document's bodies (its own, then its fallbacks) that gives enough text;
        else None and the (error_type, message, excerpt) of the last attempt."""
        problem = ("no_text", "no article text found", doc.body)
        minimum, cap = self._settings.min_text_chars, self._settings.max_item_bytes
        for text_source, body_format, body in ((doc.text_source, doc.body_format, doc.body), *doc.alternatives):
            if len(body) > cap or (len(body) * 4 > cap and len(body.encode("utf-8", "surrogatepass")) > cap):
                problem = ("too_large", f"{text_source} body larger than max_item_bytes={cap}", body)
                continue
            try:
                extracted = yield from self._extract(doc, text_source, body_format, body, clock)
            except ExtractionTimeout as exc:
                self._timeouts.inc()
                problem = ("timeout", f"{exc}; raise extract_timeout_seconds to allow slower pages", body)
                continue
            except ExtractorCrashed as exc:
                problem = ("extractor_crashed", str(exc), body)
                continue
            except Exception as exc:  # noqa: BLE001 - one bad page must not end the run
                problem = ("no_text", f"extractor failed: {type(exc).__name__}: {exc}", body)
                continue
            if extracted is None or not extracted.text:
                problem = ("no_text", "no article text found", body)
            elif len(extracted.text) < minimum:
                problem = ("too_short", f"{len(extracted.text)} characters of text, fewer than "
                                        f"min_text_chars={minimum}", extracted.text)
            else:
                return extracted, None
        return None, problem

    def _extract(self, doc: Document, text_source: str, body_format: str, body: str, clock: _Stopwatch):
        """The body's Extracted (None: no text); a page waits for the extraction processes meanwhile."""
        if body_format == "text":
            if doc.source_type in ("txt", "jsonl"):
                cleaned = clean_dump(body, title=doc.title)
                source = {"marker": DATE_HINT, "dateline": DATE_TEXT}.get(cleaned.date_hint_kind)
                return Extracted(cleaned.text, cleaned.title, published_at=cleaned.date_hint, date_source=source,
                                 text_source=text_source)
            return Extracted(clean_lines(body.splitlines(), doc.title).text, doc.title, text_source=text_source)
        if text_source in ("feed_content", "feed_summary"):
            cleaned = clean_lines(fragment_to_text(body).splitlines(), doc.title)
            return Extracted(cleaned.text, doc.title, text_source=text_source)
        clock.pause()
        outcome: Outcome = yield Await((body, doc.url))
        clock.resume(outcome.seconds)
        page = outcome.result()
        if page is None:
            return None
        title = doc.title or page.title
        # A page's own site name names the outlet of a page read from a file; for feed
        # entries the feed's configured name or the domain does.
        # A page names its own outlet (its declared site name) the same way whether it was read from a
        # file or fetched; a feed's configured name or a sidecar's still wins (see _article).
        return dataclasses.replace(page, title=title, text=tidy_extracted(page.text, title), text_source=text_source,
                                   date_source=DATE_PUBLISHED if page.published_at else None)

    def _article(self, doc: Document, found: Extracted) -> Article:
        url = canonical_url(doc.url) or canonical_url(found.url)
        text_hash = content_hash(found.text)
        published, date_source = self._date(doc, found)
        # The run's forced outlet, the item's own (sidecar, JSONL field, feed setting), a page's
        # declared site name, the URL's domain, else 'unknown'.
        outlet = (self._settings.outlet or doc.outlet or found.sitename or url_domain(url) or "unknown")
        return Article(
            article_id=article_id(url, text_hash), url=url, source=doc.source, locator=doc.locator,
            source_type=doc.source_type, text_source=found.text_source, outlet_name=outlet,
            title=line_or_none(found.title),  # whatever the source: one line, no control characters
            author=doc.author or found.author, published_at=published, date_source=date_source,
            language=self._language_of(doc, found), text=found.text, word_count=len(found.text.split()),
            content_hash=text_hash, ingested_at=self._run.ingested_at, run_id=self._run.run_id,
            description=found.description, site_name=found.sitename, hostname=url_domain(url),
            categories=found.categories, keywords=found.keywords, image_url=found.image_url,
            modified_at=found.modified_at if plausible(found.modified_at, self._run.ingested_at) else None)

    def _date(self, doc: Document, found: Extracted) -> tuple:
        """(published_at, date_source): the source's own date, else the one found in the text,
        else a web archive's capture date; a date outside the plausible range counts as unknown,
        and says so."""
        candidates = ((doc.published_at, DATE_PUBLISHED), (found.published_at, found.date_source),
                      (doc.crawl_date, DATE_CRAWLED))
        for published, source in candidates:
            if plausible(published, self._run.ingested_at):
                return published, source
        if any(published is not None for published, _ in candidates):
            return None, DATE_OUT_OF_RANGE
        return None, DATE_INGESTED

    def _language_of(self, doc: Document, found: Extracted):
        """Detected from the text when there is enough of it; else what the source declares."""
        language = self._language.result()
        detected = language.detect(found.text) if len(found.text) >= DETECT_MIN_CHARS else None
        return detected or doc.language or found.language or language.detect(found.text)

    def teardown(self):
        self._pages.close()
        self._loader.shutdown(wait=False)

    def _report_progress(self):
        self._done += 1
        now = time.monotonic()
        if now - self._last_report >= PROGRESS_EVERY_SECONDS:
            self._last_report = now
            _LOG.info("progress: %d documents extracted by this worker (%.1f docs/s)",
                      self._done, self._done / (now - self._started))


class ExtractArticles(beam.PTransform):
    """Documents in; ``articles`` and ``errors`` out."""

    def __init__(self, run: RunContext, settings: ExtractSettings):
        super().__init__()
        self._run = run
        self._settings = settings

    def expand(self, documents):
        settings = self._settings
        if settings.processes <= 0:
            settings = dataclasses.replace(settings, processes=default_processes(documents.pipeline))
        return documents | "ExtractText" >> beam.ParDo(
            _ExtractFn(self._run, settings)).with_outputs(ERRORS, main=ARTICLES)
