"""Common Crawl's CC-NEWS archive as an input: the WARC files of a date range, streamed over HTTP.

Common Crawl publishes one listing a month, ``crawl-data/CC-NEWS/YYYY/MM/warc.paths.gz`` (one
path per line, gzipped), of files named ``CC-NEWS-YYYYMMDDHHMMSS-NNNNN.warc.gz`` by the time
their crawl began. The driver reads the listings of the months a range touches and keeps the
files whose names fall in the range (:func:`list_warcs`); in the pipeline each file is one
unit of work, its body read record by record as it arrives (:class:`ReadCcNews`), so memory
holds one record, never a 1 GB file. Listing lines are untrusted: only a plain CC-NEWS path
is used, so a line cannot point the run at another host or folder.

Requests go through the guarded fetcher (address checks, pinned connections, redirects checked
hop by hop, retries with backoff that honour ``Retry-After``, as S3 asks with its 503
"SlowDown"); a file that still fails is one ``fetch`` error row and the run goes on. A file
read to its last byte is logged for the driver, which records it in the output's file ledger
with the run's commit: a later run never downloads it again. A file cut off part-way is not
recorded, and is read again whole by the next run, where the dedup index skips the records
the first run already wrote.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import re
import time
from typing import Optional

import apache_beam as beam
import requests

from newsbeam.transforms.isolation import error_type_of
from newsbeam.transforms.names import (CCNEWS_FILES_DONE, CCNEWS_FILES_FAILED, CCNEWS_RECORDS, DOCUMENTS, ERRORS,
                                       LOG, READ_FILES, STAGE_FETCH, counter)
from newsbeam.transforms.parse.documents import ParseFn
from newsbeam.transforms.progress import SOURCES
from newsbeam.transforms.read.domains import KeepDomains
from newsbeam.transforms.read.fetcher import FetchError, Fetcher, FetchSettings, Target
from newsbeam.transforms.read.streams import CHUNK, gunzip_capped
from newsbeam.transforms.records import InputFile, SourceFile, error_row
from newsbeam.transforms.runners import runs_locally

DEFAULT_BASE_URL = "https://data.commoncrawl.org/"
LISTING = "crawl-data/CC-NEWS/{year:04d}/{month:02d}/warc.paths.gz"
MAX_LISTING_BYTES = 16 * 1024 * 1024  # a month's listing is some tens of kilobytes unpacked
_PATH = re.compile(r"crawl-data/CC-NEWS/(\d{4})/(\d{2})/CC-NEWS-(\d{8})\d{6}-\d{5}\.warc\.gz")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?")
_LOG = logging.getLogger("newsbeam.ccnews")


class ListingError(ValueError):
    """A listing cannot be read; the message is for the person who asked for the range."""


@dataclasses.dataclass(frozen=True)
class DateRange:
    """Days from ``first`` to ``last``, both included."""
    first: dt.date
    last: dt.date

    @classmethod
    def parse(cls, text: str) -> "DateRange":
        """``YYYY-MM-DD..YYYY-MM-DD`` or one day ``YYYY-MM-DD``; ValueError says what is wrong."""
        match = _RANGE.fullmatch(text.strip()) if isinstance(text, str) else None
        if not match:
            raise ValueError(f"a date range YYYY-MM-DD..YYYY-MM-DD (or one day YYYY-MM-DD), not {text!r}")
        try:
            first = dt.date.fromisoformat(match[1])
            last = dt.date.fromisoformat(match[2] or match[1])
        except ValueError as exc:
            raise ValueError(f"a date range of real dates: {exc}") from None
        if last < first:
            raise ValueError(f"a date range whose end is not before its start, not {text!r}")
        return cls(first, last)

    def months(self) -> list[tuple[int, int]]:
        months, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def __contains__(self, day: dt.date) -> bool:
        return self.first <= day <= self.last


def join_url(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path


def paths_in(listing: str, days: DateRange) -> list[str]:
    """The CC-NEWS WARC paths of a listing whose names fall in ``days``, sorted, once each;
    other lines (blank, damaged, not a CC-NEWS WARC path) are left out."""
    found = set()
    for line in listing.splitlines():
        match = _PATH.fullmatch(line.strip())
        if not match:
            continue
        try:
            day = dt.datetime.strptime(match[3], "%Y%m%d").date()
        except ValueError:
            continue
        if day in days and (day.year, day.month) == (int(match[1]), int(match[2])):
            found.add(match[0])
    return sorted(found)


def list_warcs(fetcher: Fetcher, base_url: str, days: DateRange) -> list[InputFile]:
    """The WARC files of ``days`` as input files named by URL (size and mtime 0: a published
    CC-NEWS file never changes, and the listing gives neither); ListingError when a month's
    listing cannot be fetched or unpacked."""
    urls = []
    for year, month in days.months():
        url = join_url(base_url, LISTING.format(year=year, month=month))
        try:
            body = fetcher.get(url).body
        except FetchError as exc:
            raise ListingError(f"cannot fetch the CC-NEWS listing {url}: {exc}") from None
        try:
            text = gunzip_capped(body, MAX_LISTING_BYTES) if body[:2] == b"\x1f\x8b" else body
        except Exception as exc:  # noqa: BLE001 - zlib.error, a cut-off member (EOFError), ...
            raise ListingError(f"cannot unpack the CC-NEWS listing {url}: {type(exc).__name__}: {exc}") from None
        if text is None:
            raise ListingError(f"the CC-NEWS listing {url} unpacks to more than {MAX_LISTING_BYTES} bytes")
        urls += [join_url(base_url, path) for path in paths_in(text.decode("utf-8", "replace"), days)]
    return [InputFile(path=url, size=0, mtime=0.0) for url in urls]


class HttpBody(io.RawIOBase):
    """A response body as it arrives, undecoded; ``complete`` once it has been read to its end
    and its length matches the Content-Length. A connection that breaks part-way ends the body
    there (``error`` says why): the bytes that did arrive are read, and the record they cut
    off is the WARC reader's damaged record."""

    def __init__(self, response: requests.Response):
        super().__init__()
        self._response = response
        length = response.headers.get("Content-Length", "")
        self.size = int(length) if length.isdigit() else None
        self.count = 0
        self.complete = False
        self.error: Optional[str] = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.error:
            return 0
        try:
            data = self._response.raw.read1(len(buffer), decode_content=False)
        except Exception as exc:  # noqa: BLE001 - urllib3 and socket errors alike end the body here
            self.error = f"{type(exc).__name__}: {exc}"[:300]
            return 0
        if not data:
            self.complete = self.size is None or self.count == self.size
            return 0
        buffer[:len(data)] = data
        self.count += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


class HttpStream(io.BufferedReader):
    """A WARC file's bytes as they arrive over HTTP, with what the parse stage asks of a stream."""

    def __init__(self, body: HttpBody):
        self.body = body
        super().__init__(body, CHUNK)

    @property
    def stored_bytes(self) -> int:
        return self.body.count


class StreamingFetcher(Fetcher):
    """The guarded fetcher (same checks, redirects, retries and politeness) whose 2xx answers
    are not read: their ``body`` is an :class:`HttpStream` to read, then close. No total
    timeout applies to the body (a file can take minutes); each read has ``read_timeout``."""

    def _request(self, target: Target, headers: dict):
        s = self.settings
        prepared = self._session.prepare_request(requests.Request("GET", target.url, headers=headers))
        try:
            response = self._session.send(prepared, target=target, allow_redirects=False, stream=True,
                                          timeout=(s.connect_timeout, s.read_timeout))
        except requests.exceptions.Timeout as exc:
            raise FetchError("timeout", f"timed out: {exc}") from None
        except requests.exceptions.RequestException as exc:
            kind = "refused" if "refused" in str(exc).lower() else "connection"
            raise FetchError(kind, f"{kind}: {str(exc)[:300]}") from None
        response_headers = {k.lower(): v for k, v in response.headers.items()}
        if 200 <= response.status_code < 300:
            return response.status_code, response_headers, HttpStream(HttpBody(response))
        response.close()  # an error page or redirect: its body is not wanted
        return response.status_code, response_headers, b""


class _StreamWarcFn(ParseFn):
    """A CC-NEWS WARC URL in; its captured pages (Documents), error rows, and, for a file read to
    its end, one log record for the ledger. A file that cannot be fetched is one error row."""

    def __init__(self, max_item_bytes: int, settings: FetchSettings, total_files: int):
        super().__init__(max_item_bytes)
        self._settings = settings
        self._total = total_files
        self._files = counter(READ_FILES)
        self._done_files = counter(CCNEWS_FILES_DONE)
        self._failed_files = counter(CCNEWS_FILES_FAILED)
        self._records = counter(CCNEWS_RECORDS)

    def setup(self):
        self._fetcher = StreamingFetcher(self._settings)
        self._stream: Optional[HttpStream] = None
        self._done, self._seconds, self._records_done = 0, 0.0, 0

    def teardown(self):
        self._fetcher.close()

    def process(self, source: SourceFile, *args, **kwargs):
        started = time.monotonic()
        try:
            stream = self._fetcher.get(source.path, {"Accept-Encoding": "identity"}).body
            if not isinstance(stream, HttpStream):  # a 304 to a request that was not conditional
                raise FetchError("http_304", f"HTTP 304 from {source.path}", 304)
        except Exception as exc:  # noqa: BLE001 - the file's own failure, one error row
            kind = exc.kind if isinstance(exc, FetchError) else error_type_of(exc)
            row = error_row(source.path, STAGE_FETCH, kind, f"{type(exc).__name__}: {exc}")
            self._counter.count([beam.pvalue.TaggedOutput(ERRORS, row)])
            self._failed_files.inc()
            self._counter.mark(SOURCES)
            yield beam.pvalue.TaggedOutput(ERRORS, row)
            return
        self._stream, records = stream, 0
        self._files.inc()
        for output in super().process(source):
            records += 1
            yield output
        self._records.inc(records)
        if stream.body.complete:
            self._done_files.inc()
            yield beam.pvalue.TaggedOutput(LOG, {"path": source.path, "bytes": stream.stored_bytes,
                                                 "items": records})
        else:
            self._failed_files.inc()
        if stream.body.error:
            _LOG.warning("CC-NEWS %s: the connection broke after %d bytes (%s); the file is read again whole "
                         "by the next run", source.path, stream.stored_bytes, stream.body.error)
        self._progress(source.path, records, time.monotonic() - started, stream.body.complete)
        self._counter.mark(SOURCES)

    def _open(self, source: SourceFile):
        return self._stream

    def _progress(self, url: str, records: int, seconds: float, complete: bool) -> None:
        """One log line per file: this worker's files done of the run's, its rate and an ETA at that rate."""
        self._done += 1
        self._seconds += seconds
        self._records_done += records
        rate = self._records_done / self._seconds if self._seconds else 0.0
        left = max(0, self._total - self._done)
        eta = dt.timedelta(seconds=round(self._seconds / self._done * left))
        _LOG.info("CC-NEWS %s %s: %d items in %.1f s; this worker %d of %d files, %.0f items/s, ETA %s "
                  "(if it did the rest alone)", url.rsplit("/", 1)[-1], "done" if complete else "cut off",
                  records, seconds, self._done, self._total, rate, eta)


class ReadCcNews(beam.PTransform):
    """CC-NEWS WARC files (InputFiles named by URL) in; ``documents``, ``errors`` and ``log`` (the
    files read to their end) out. Files are spread over the workers, one file a unit of work; on
    a distributed runner their records are spread again, so that extraction is not held to the
    worker that read them."""

    def __init__(self, files: tuple, max_item_bytes: int, settings: FetchSettings,
                 only_domains: frozenset = frozenset()):
        super().__init__()
        self._files = tuple(files)
        self._max_item_bytes = max_item_bytes
        self._settings = settings
        self._domains = frozenset(only_domains)

    def expand(self, pbegin):
        sources = [SourceFile(path=f.path, fmt="warc", data=b"", hints=(), streamed=True) for f in self._files]
        read = (pbegin
                | "ListWarcFiles" >> beam.Create(sources)
                | "SpreadWarcFiles" >> beam.Reshuffle()
                | "StreamWarcRecords" >> beam.ParDo(_StreamWarcFn(self._max_item_bytes, self._settings,
                                                                  len(sources))).with_outputs(ERRORS, LOG,
                                                                                              main=DOCUMENTS))
        documents, errors = read[DOCUMENTS], [read[ERRORS]]
        if self._domains:  # before the records travel: most of an archive is other outlets'
            kept = documents | "OnlyDomains" >> KeepDomains(self._domains)
            documents = kept[DOCUMENTS]
            errors.append(kept[ERRORS])
        if not runs_locally(pbegin.pipeline):
            # A local runner would hold every record of every file in memory here, and extract none
            # before the last file is read; its workers already share the files among them.
            documents = documents | "SpreadRecords" >> beam.Reshuffle()
        return {DOCUMENTS: documents, ERRORS: errors | "AllErrors" >> beam.Flatten(), LOG: read[LOG]}
