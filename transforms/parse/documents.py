"""Parse stage: an input file becomes one Document per input item.

A ``.txt`` dump or ``.html`` page is one item; a ``.jsonl`` file has one item
per non-blank line; a saved RSS/Atom/RDF feed or JSON Feed (``.json``) one per entry; a WARC or ARC file
one per HTTP 200 response with an HTML payload (its other records are counted by
reason, not items). Whatever cannot be decoded or parsed becomes an error row for
exactly that item (a broken JSONL line does not take its neighbours with it), and
a file that yields no item at all becomes one error row, so every input file is
accounted for.

JSONL and WARC/ARC files are streamed: read from storage one item at a time and
passed on as they are read, so that memory holds one item (capped by
``max_item_bytes``) whatever the file's size.
"""
from __future__ import annotations

import codecs
import io
import json
from contextlib import closing
from typing import Iterator, Optional

import apache_beam as beam

from newsbeam.transforms.isolation import ItemFn, error_type_of
from newsbeam.transforms.names import (DOCUMENTS, ERRORS, NOT_ITEMS, PARSE_DOCUMENTS, READ_BYTES, STAGE_DECODE,
                                       STAGE_PARSE, STAGE_READ, counter)
from newsbeam.transforms.parse.encoding import BOMS, DecodeError, decode_bytes
from newsbeam.transforms.parse.feeds import FeedError, parse_feed
from newsbeam.transforms.parse.fields import language_code, text_or_none
from newsbeam.transforms.parse.jsonl import numbered_lines
from newsbeam.transforms.parse.timestamps import parse_timestamp
from newsbeam.transforms.parse.warc import Capture, Failure, NotItem, read_records
from newsbeam.transforms.read.streams import open_input
from newsbeam.transforms.records import Document, SourceFile, error_row


# File name endings and the format each one is read as; ``.gz`` is peeled off first.
FORMATS = {
    ".txt": "txt", ".text": "txt",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".xml": "feed", ".rss": "feed", ".atom": "feed", ".rdf": "feed", ".json": "feed",  # JSON Feed
    ".warc": "warc", ".arc": "warc",
}
# Formats read item by item from storage rather than whole: no cap on the file, one per item.
STREAMED = frozenset({"jsonl", "warc"})
_JSONL_FIELDS = ("url", "title", "text", "html", "published", "outlet", "language", "author")


def detect_format(path: str) -> tuple[Optional[str], bool]:
    """(format or None, gzip-compressed?) from a file name."""
    name = path.rsplit("/", 1)[-1].lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    dot = name.rfind(".")
    return (FORMATS.get(name[dot:]) if dot >= 0 else None), compressed


def decode_page(payload: bytes, charset: Optional[str]) -> str:
    """A captured page's bytes as text: a byte-order mark, else UTF-8, else the charset its HTTP
    header names, else what :func:`decode_bytes` finds. Raises DecodeError for binary junk."""
    if charset and not any(payload.startswith(bom) for bom, _ in BOMS):
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            pass
        try:
            return payload.decode(codecs.lookup(charset).name)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(payload)[0]


class ParseFn(ItemFn):
    """Each Document and each error row is one input item; a JSONL line that fails, for whatever
    reason, is that line's error row, and the file's other lines go on.

    A streamed file's items leave as they are read (an ItemFn would hold them all until the
    file is done): each is built whole, or is its own error row, before it is passed on, and a
    failure of the file itself (a cut-off gzip stream, a storage error) is one error row for
    the rest of it, after the items already read."""
    STAGE = STAGE_PARSE
    BIRTHS = True

    def __init__(self, max_item_bytes: int):
        super().__init__()
        self._max_item_bytes = max_item_bytes
        self._documents = counter(PARSE_DOCUMENTS)
        self._bytes = counter(READ_BYTES)
        self._not_items: dict = {}

    def process(self, source: SourceFile, *args, **kwargs):
        if not source.streamed:
            yield from super().process(source)
            return
        for item in self._streamed(source):
            output = self._output(item)
            self._counter.count([output])
            yield output

    def _output(self, item):
        if isinstance(item, Document):
            self._documents.inc()
            return item
        return beam.pvalue.TaggedOutput(ERRORS, item)

    def handle(self, source: SourceFile) -> Iterator:
        hints = dict(source.hints)
        if source.fmt == "feed":
            items = self._feed(source, hints)  # feedparser reads the encoding from the XML itself
        elif source.fmt in STREAMED:
            items = self._items_of(source, source.data)
        else:
            try:
                text, _ = decode_bytes(source.data)
            except DecodeError as exc:
                yield beam.pvalue.TaggedOutput(ERRORS, error_row(
                    source.path, STAGE_DECODE, "undecodable", str(exc), source.data))
                return
            items = getattr(self, "_" + source.fmt)(source, text, hints)
        for item in items:
            yield self._output(item)

    def _streamed(self, source: SourceFile) -> Iterator:
        """The items of a file read from storage as a stream; never raises."""
        locator = ""
        try:
            stream = self._open(source)
        except Exception as exc:  # noqa: BLE001 - the file's own failure, one error row
            yield error_row(source.path, STAGE_READ, "unreadable", f"{type(exc).__name__}: {exc}")
            return
        try:
            with closing(stream):
                for item in self._items_of(source, stream):
                    locator = item.locator
                    yield item
        except Exception as exc:  # noqa: BLE001 - a bug past the items already out: one row for the rest
            yield error_row(source.path, STAGE_PARSE, error_type_of(exc), f"after {locator or 'the start'}: "
                            f"{type(exc).__name__}: {exc}", locator=locator)
        finally:
            self._bytes.inc(stream.stored_bytes)

    def _open(self, source: SourceFile):
        """A streamed file's bytes, with ``stored_bytes``; a subclass may read them from elsewhere."""
        return open_input(source.path, gunzip=source.fmt == "jsonl" and detect_format(source.path)[1])

    def _items_of(self, source: SourceFile, data) -> Iterator:
        """A streamed format's items from ``data``, a binary stream or the file's bytes."""
        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        if source.fmt == "jsonl":
            return self._jsonl(source, stream, dict(source.hints))
        return self._warc(source, stream, dict(source.hints))

    @staticmethod
    def _document(source: SourceFile, hints: dict, body: str, body_format: str, **fields) -> Document:
        """A Document whose missing fields fall back to the sidecar's hints."""
        for key in ("url", "title", "author", "outlet", "language"):
            fields.setdefault(key, None)
            fields[key] = fields[key] or hints.get(key)
        fields["language"] = language_code(fields["language"])
        published = fields.pop("published", None) or hints.get("published")
        return Document(source=source.path, source_type=source.fmt, body=body, body_format=body_format,
                        published_at=parse_timestamp(published), locator=fields.pop("locator", ""), **fields)

    def _txt(self, source, text, hints):
        yield self._document(source, hints, text, "text")

    def _html(self, source, text, hints):
        yield self._document(source, hints, text, "html")

    def _jsonl(self, source, stream, hints):
        seen_line = False
        for line in numbered_lines(stream, self._max_item_bytes):
            seen_line = True
            locator = f"line {line.number}" if line.number else ""
            if line.problem:
                yield error_row(source.path, *line.problem, line.excerpt, locator)
                continue
            try:
                yield self._jsonl_record(source, hints, line.text, locator)
            except Exception as exc:  # noqa: BLE001 - this line's failure, not its neighbours'
                yield error_row(source.path, STAGE_PARSE, error_type_of(exc), f"{locator}: {type(exc).__name__}: "
                                f"{exc}", line.text, locator)
        if not seen_line:
            yield error_row(source.path, STAGE_READ, "empty", "the file has no content")

    def _jsonl_record(self, source, hints, line: str, locator: str):
        """One JSONL line as a Document, or its error row."""
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            return error_row(source.path, STAGE_PARSE, "invalid_json", f"{locator}: {exc}", line, locator)
        if not isinstance(record, dict):
            return error_row(source.path, STAGE_PARSE, "invalid_record",
                             f"{locator}: expected a JSON object, got {type(record).__name__}", line, locator)
        wrong = [k for k in _JSONL_FIELDS if record.get(k) is not None
                 and not isinstance(record[k], (str, int, float) if k == "published" else str)]
        if wrong:
            return error_row(source.path, STAGE_PARSE, "invalid_record",
                             f"{locator}: field(s) {wrong} must be strings", line, locator)
        body, body_format = (record.get("text"), "text") if record.get("text") else (record.get("html") or "", "html")
        return self._document(source, hints, body, body_format, locator=locator,
                              url=text_or_none(record.get("url")), title=text_or_none(record.get("title")),
                              author=text_or_none(record.get("author")), outlet=text_or_none(record.get("outlet")),
                              language=record.get("language"), published=record.get("published"))

    def _warc(self, source, stream, hints):
        """A WARC or ARC file's captured pages; its other records are counted by reason."""
        items, passed = 0, {}
        arc = source.path.lower().removesuffix(".gz").endswith(".arc")
        for outcome in read_records(stream, self._max_item_bytes, arc):
            if isinstance(outcome, NotItem):
                passed[outcome.reason] = passed.get(outcome.reason, 0) + 1
                self._not_item(outcome.reason).inc()
                continue
            items += 1
            locator = f"offset {outcome.offset}"
            if isinstance(outcome, Failure):
                yield error_row(source.path, outcome.stage, outcome.error_type, outcome.message,
                                outcome.excerpt, locator)
                continue
            try:
                yield self._capture(source, hints, outcome, locator)
            except Exception as exc:  # noqa: BLE001 - this record's failure, not its neighbours'
                yield error_row(source.path, STAGE_PARSE, error_type_of(exc), f"{locator}: {type(exc).__name__}: "
                                f"{exc}", outcome.payload, locator)
        if not items and not passed:
            yield error_row(source.path, STAGE_READ, "empty", "the file has no content")
        elif not items:
            reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(passed.items()))
            yield error_row(source.path, STAGE_PARSE, "no_pages",
                            f"no HTTP 200 response with an HTML page among its {sum(passed.values())} "
                            f"records ({reasons})")

    def _capture(self, source, hints, capture: Capture, locator: str):
        try:
            body = decode_page(capture.payload, capture.charset)
        except DecodeError as exc:
            return error_row(source.path, STAGE_DECODE, "undecodable", f"{locator}: {exc}", capture.payload, locator)
        return self._document(source, hints, body, "html", locator=locator, url=capture.url,
                              text_source="page", crawl_date=capture.date)

    def _not_item(self, reason: str):
        if reason not in self._not_items:
            self._not_items[reason] = counter(NOT_ITEMS + reason)
        return self._not_items[reason]

    def _feed(self, source, hints):
        try:
            parsed = parse_feed(source.data, source.path, outlet=hints.get("outlet"),
                                language=hints.get("language"))
        except FeedError as exc:
            yield error_row(source.path, STAGE_PARSE, exc.kind, str(exc), source.data)
            return
        yield from parsed.documents
        for failure in parsed.failures:
            yield error_row(source.path, STAGE_PARSE, failure.error_type, failure.message, failure.excerpt,
                            failure.locator)


class ParseDocuments(beam.PTransform):
    """SourceFiles in; a tuple-like result with ``documents`` and ``errors``."""

    def __init__(self, max_item_bytes: int = 10 * 1024 * 1024):
        super().__init__()
        self._max_item_bytes = max_item_bytes

    def expand(self, sources):
        return sources | "ParseByFormat" >> beam.ParDo(ParseFn(self._max_item_bytes)).with_outputs(
            ERRORS, main=DOCUMENTS)
