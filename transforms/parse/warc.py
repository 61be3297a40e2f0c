"""WARC and ARC files as the web pages they captured, read one record at a time.

An HTTP 200 response whose payload is HTML is a :class:`Capture`, an input item.
Every other record is a :class:`NotItem` with its reason: ``warcinfo``,
``request``, ``metadata``, ``revisit``, ``resource``, ``conversion`` and
``continuation`` records by their type; responses that are not HTTP
(``not_http``, e.g. ``dns:``), not 200 (``http_404``, ``http_301``, ...) or not
HTML (``not_html``).

The reader is warcio, kept over FastWARC with data (``python -m bench.warc``: 20,000
gzipped HTML responses and their requests, 207 MB of pages, best of 3): FastWARC
reads 26,000 records/s, 4.2x a bare warcio loop (6,200/s); newsbeam's reader
2,300/s (2.7x the bare loop's time, of which checking block digests is 1.9x). That
is 0.9 ms per page against the ~35 ms its extraction takes, so FastWARC would save
about 2% of a run, and it does not read ARC. The reader works on any binary file
object with ``read``: a file opened through Beam's FileSystems, or an HTTP response
body. Memory holds one record's payload of at most ``max_bytes``;
a larger payload is a ``too_large`` :class:`Failure` and is read past, not kept.

A damaged record (a corrupt gzip member, a header that cannot be parsed, a
Content-Length that does not fit, a record cut off at the end of the file) is one
:class:`Failure` covering the bytes up to the next record that can be read: the
reader looks for the next record start (a gzip member, a ``WARC/1.x`` line or an
ARC header line) and goes on from there. On a stream that can seek, the search
starts just after the damaged record's first byte; on one that cannot (an HTTP
body), where the damage was found, which may pass over one good record.
"""
from __future__ import annotations

import datetime as dt
import re
import zlib
from typing import BinaryIO, Iterator, NamedTuple, Optional, Union

from warcio.archiveiterator import ARCIterator, WARCIterator

from newsbeam.transforms.names import STAGE_PARSE, STAGE_READ
from newsbeam.transforms.parse.timestamps import parse_timestamp

HTML_TYPES = ("text/html", "application/xhtml+xml")
RECORD_TYPES = ("warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion", "continuation")
_CHUNK = 1 << 20
_RECENT = 4096
_BLANK = b" \t\r\n\x00"
# Where a record can start: a gzip member, a WARC version line, an ARC header line
# (URL, IP address, 14-digit date, content type, length).
_RECORD_START = re.compile(rb"\x1f\x8b\x08|(?:^|\n)WARC/1\.[01]\r?\n"
                           rb"|\n(?:https?|dns|ftp|filedesc):\S* \S+ \d{14} \S+ \d+\r?\n")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)[\s>]",
                         re.IGNORECASE | re.DOTALL)


class Capture(NamedTuple):
    """An HTTP 200 response with an HTML payload."""
    offset: int
    url: Optional[str]
    date: Optional[dt.datetime]  # WARC-Date: when the page was captured
    payload: bytes               # content- and transfer-decoded, at most max_bytes
    charset: Optional[str]       # as the HTTP Content-Type names it


class NotItem(NamedTuple):
    """A record that is not an input item, and why."""
    offset: int
    reason: str


class Failure(NamedTuple):
    """A record (or a run of bytes) that cannot be used: an error row."""
    offset: int
    stage: str
    error_type: str
    message: str
    excerpt: bytes = b""
    url: Optional[str] = None


Outcome = Union[Capture, NotItem, Failure]


class _Damaged(Exception):
    """A record that warcio read but that does not fit its own headers."""


class _Source:
    """The stream as warcio reads it, with absolute positions, bytes pushed back after a search,
    and the last bytes read (to tell a cut-off record from blank padding at the end)."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._pushed = b""
        self._seekable = bool(getattr(raw, "seekable", lambda: False)())
        self._position = raw.tell() if self._seekable else 0
        self.recent = b""

    def read(self, size: int = -1) -> bytes:
        if self._pushed:
            data = self._pushed if size < 0 else self._pushed[:size]
            self._pushed = self._pushed[len(data):]
        else:
            data = self._raw.read(size)
        self._position += len(data)
        self.recent = (self.recent + data)[-_RECENT:]
        return data

    def tell(self) -> int:
        return self._position

    def seekable(self) -> bool:
        return self._seekable

    def seek(self, position: int) -> None:
        self._raw.seek(position)
        self._pushed, self._position, self.recent = b"", position, b""

    def unread(self, data: bytes) -> None:
        self._pushed = data + self._pushed
        self._position -= len(data)


def _next_start(source: _Source) -> Optional[int]:
    """Move to the next place a record can start, at or after the current position; None at the end."""
    window = b""
    while True:
        data = source.read(_CHUNK)
        if not data:
            return None
        window = window[-_RECENT:] + data
        match = _RECORD_START.search(window)
        if match:
            at = match.start() + (window[match.start():match.start() + 1] == b"\n")
            source.unread(window[at:])
            return source.tell()


def _is_arc(source: _Source) -> bool:
    """Whether the stream holds ARC records (its first record is an ARC file header) rather than
    WARC records. Each file is read as the one or the other, so that damaged bytes cannot pass
    for a record of the other format."""
    head = source.read(_RECENT)
    source.unread(head)
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64)
        except zlib.error:
            return False
    return head.lstrip().startswith(b"filedesc:")


def _mime_and_charset(content_type: str) -> tuple[str, Optional[str]]:
    match = _CHARSET.search(content_type)
    return content_type.split(";", 1)[0].strip().lower(), match.group(1) if match else None


def _outcome(record, max_bytes: int) -> Outcome:
    """What one record is; its offset is filled in by the caller."""
    if record.rec_type != "response":
        return NotItem(0, record.rec_type if record.rec_type in RECORD_TYPES else "unknown_type")
    http = record.http_headers
    if http is None or not http.protocol.upper().startswith("HTTP/"):
        return NotItem(0, "not_http")
    status = http.get_statuscode() or ""
    if status != "200":
        return NotItem(0, f"http_{status}" if status.isdigit() and len(status) == 3 else "http_invalid")
    mime, charset = _mime_and_charset(http.get_header("Content-Type") or "")
    if mime and mime not in HTML_TYPES:
        return NotItem(0, "not_html")
    payload = record.content_stream().read(max_bytes + 1)
    if not mime and not _HTML_START.match(payload[:4096]):
        return NotItem(0, "not_html")
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<> ") or None
    if len(payload) > max_bytes:
        return Failure(0, STAGE_PARSE, "too_large", f"page larger than max_item_bytes={max_bytes}", payload[:300], url)
    return Capture(0, url, parse_timestamp(record.rec_headers.get_header("WARC-Date")), payload, charset)


def _plausible_arc(record) -> bool:
    """ARC headers are one line of plain fields, which bytes of a damaged record can pass for:
    a record must name a URL without spaces and a date."""
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    return (record.rec_type == "warcinfo" or re.fullmatch(r"[a-z][a-z0-9+.-]*:\S+", uri, re.IGNORECASE) is not None) \
        and parse_timestamp(record.rec_headers.get_header("WARC-Date")) is not None


def _damage(start: int, end: Optional[int], reason: str) -> Failure:
    span = f"bytes {start} to {end}" if end is not None else f"bytes {start} to the end of the file"
    return Failure(start, STAGE_READ, "damaged_record",
                   f"offset {start}: {reason}; {span} skipped" + (", reading went on at the next record"
                                                                   if end is not None else ""))


def read_records(stream: BinaryIO, max_bytes: int, arc: Optional[bool] = None) -> Iterator[Outcome]:
    """Every record of a WARC or ARC stream (gzipped per record or not) as what it is, in order;
    ``arc`` says which format it is, else its first record does. A damaged stretch is one
    Failure, given when the next readable record (or the end) is found."""
    source = _Source(stream)
    arc = _is_arc(source) if arc is None else arc
    damage: Optional[tuple[int, str]] = None  # where unreadable bytes began, and why
    start = source.tell()
    while True:
        end = start  # the end of the last complete record and the blank lines after it
        records = ARCIterator(source, arc2warc=True) if arc else WARCIterator(source, check_digests=True)
        try:
            for record in records:
                outcome = _outcome(record, max_bytes)
                offset = records.get_record_offset()  # reads the record to its end, and blank lines after it
                if record.raw_stream.limit:
                    raise _Damaged(f"record cut off: {record.raw_stream.limit} of its {record.length} bytes missing")
                if records.err_count:
                    raise _Damaged("the record does not end where its Content-Length says")
                if any(problem.startswith("block digest failed") for problem in record.digest_checker.problems):
                    raise _Damaged("its bytes do not match its WARC-Block-Digest")
                if arc and not _plausible_arc(record):
                    raise _Damaged("not an ARC record header")
                if not end <= offset <= records.offset <= source.tell():
                    raise _Damaged("its length does not add up")
                if damage:
                    yield _damage(damage[0], offset, damage[1])
                    damage = None
                end = records.offset  # where the next record starts
                yield outcome._replace(offset=offset)
            leftover = source.tell() - end
            more = source.read(_CHUNK)
            if not more and (leftover <= 0 or (leftover <= len(source.recent)
                                               and not source.recent[-leftover:].strip(_BLANK))):
                break
            source.unread(more)
            raise _Damaged("a record cut off or unreadable after the last complete one")
        except Exception as exc:  # noqa: BLE001 - whatever the damage, the rest of the file is read
            damage = damage or (end, f"{type(exc).__name__}: {exc}"[:500])
            if source.seekable():
                source.seek(end + 1)
            start = _next_start(source)
            if start is None:
                break
    if damage:
        yield _damage(damage[0], None, damage[1])
