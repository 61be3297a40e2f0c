"""Parse stage: an input file's bytes become one Document per input item.

A ``.txt`` dump or ``.html`` page is one item; a ``.jsonl`` file has one item
per non-blank line; a saved RSS/Atom/RDF feed one per entry. Whatever cannot
be decoded or parsed becomes an error row for exactly that item (a broken
JSONL line does not take its neighbours with it), and a file that yields no
item at all becomes one error row, so every input file is accounted for.
"""
from __future__ import annotations

import json
from typing import Iterator, Optional

import apache_beam as beam

from newsbeam.transforms.isolation import ItemFn, error_type_of
from newsbeam.transforms.names import DOCUMENTS, ERRORS, PARSE_DOCUMENTS, STAGE_DECODE, STAGE_PARSE, counter
from newsbeam.transforms.parse.encoding import DecodeError, decode_bytes
from newsbeam.transforms.parse.feeds import FeedError, parse_feed
from newsbeam.transforms.parse.fields import language_code, text_or_none
from newsbeam.transforms.parse.timestamps import parse_timestamp
from newsbeam.transforms.records import Document, SourceFile, error_row


# File name endings and the format each one is read as; ``.gz`` is peeled off first.
FORMATS = {
    ".txt": "txt", ".text": "txt",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".xml": "feed", ".rss": "feed", ".atom": "feed", ".rdf": "feed",
}
_JSONL_FIELDS = ("url", "title", "text", "html", "published", "outlet", "language", "author")


def detect_format(path: str) -> tuple[Optional[str], bool]:
    """(format or None, gzip-compressed?) from a file name."""
    name = path.rsplit("/", 1)[-1].lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    dot = name.rfind(".")
    return (FORMATS.get(name[dot:]) if dot >= 0 else None), compressed


class _ParseFn(ItemFn):
    """Each Document and each error row is one input item; a JSONL line that fails, for whatever
    reason, is that line's error row, and the file's other lines go on."""
    STAGE = STAGE_PARSE
    BIRTHS = True

    def __init__(self, max_item_bytes: int):
        super().__init__()
        self._max_item_bytes = max_item_bytes
        self._documents = counter(PARSE_DOCUMENTS)

    def handle(self, source: SourceFile) -> Iterator:
        hints = dict(source.hints)
        if source.fmt == "feed":
            items = self._feed(source, hints)  # feedparser reads the encoding from the XML itself
        else:
            try:
                text, _ = decode_bytes(source.data)
            except DecodeError as exc:
                yield beam.pvalue.TaggedOutput(ERRORS, error_row(
                    source.path, STAGE_DECODE, "undecodable", str(exc), source.data))
                return
            items = getattr(self, "_" + source.fmt)(source, text, hints)
        for item in items:
            if isinstance(item, Document):
                self._documents.inc()
                yield item
            else:
                yield beam.pvalue.TaggedOutput(ERRORS, item)

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

    def _jsonl(self, source, text, hints):
        seen_line = False
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            seen_line = True
            locator = f"line {number}"
            try:
                yield self._jsonl_record(source, hints, line, locator)
            except Exception as exc:  # noqa: BLE001 - this line's failure, not its neighbours'
                yield error_row(source.path, STAGE_PARSE, error_type_of(exc), f"{locator}: {type(exc).__name__}: "
                                f"{exc}", line, locator)
        if not seen_line:
            yield error_row(source.path, STAGE_PARSE, "empty", "JSONL file has no records", text)

    def _jsonl_record(self, source, hints, line: str, locator: str):
        """One JSONL line as a Document, or its error row."""
        cap = self._max_item_bytes
        if len(line) > cap or (len(line) * 4 > cap and len(line.encode("utf-8", "surrogatepass")) > cap):
            return error_row(source.path, STAGE_PARSE, "too_large",
                             f"{locator}: record larger than max_item_bytes={cap}", line, locator)
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
        return sources | "ParseByFormat" >> beam.ParDo(_ParseFn(self._max_item_bytes)).with_outputs(
            ERRORS, main=DOCUMENTS)
