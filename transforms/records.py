"""The records that travel between stages, and the one way to build an error row.

Rows that reach Parquet are plain dicts (their columns are defined once, in
``pipeline/schema.py``); intermediate records are frozen dataclasses so a
newcomer can see at a glance what a stage hands to the next.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Optional

from newsbeam.transforms.redact import redact_text

# Stages that can produce error rows, in data-flow order.
STAGE_READ = "read"
STAGE_FETCH = "fetch"
STAGE_DECODE = "decode"
STAGE_PARSE = "parse"
STAGE_EXTRACT = "extract"
STAGE_DEDUP = "dedup"
STAGE_TAG = "tag"
STAGE_WRITE = "write"
STAGES = (STAGE_READ, STAGE_FETCH, STAGE_DECODE, STAGE_PARSE, STAGE_EXTRACT, STAGE_DEDUP, STAGE_TAG, STAGE_WRITE)

# Counted once where each input item is born (a file, a JSONL line, a feed entry, or a
# file or feed that yields no item); the manifest's ``input_items``.
ITEMS_COUNTER = "input.items"

EXCERPT_CHARS = 300
MESSAGE_CHARS = 2000
METRICS_NAMESPACE = "newsbeam"

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace_surrogate(match: re.Match) -> str:
    code = ord(match.group())
    # U+DC80..U+DCFF stand for the raw bytes of a file name that is not UTF-8 (surrogateescape)
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def scrub_surrogates(text: str) -> str:
    """``text`` made encodable as UTF-8, which Parquet, hashing and language detection
    need: a lone surrogate from a JSON escape or a numeric character reference
    becomes U+FFFD, a byte of a non-UTF-8 file name is shown as ``\\xNN``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(_replace_surrogate, text)
    return text



@dataclasses.dataclass(frozen=True)
class RunContext:
    """What every stage may know about the run: its id and its single ingestion time."""
    run_id: str
    ingested_at: dt.datetime  # timezone-aware UTC

    @property
    def ingest_date(self) -> str:
        return self.ingested_at.date().isoformat()


@dataclasses.dataclass(frozen=True)
class InputFile:
    """One matched input file, with the hints its folder's sidecar gave it."""
    path: str
    size: int
    hints: tuple = ()  # sorted (key, value) pairs from _meta.yaml, hashable and picklable


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """The raw bytes of one input file, already decompressed, and its format."""
    path: str
    fmt: str  # txt | html | jsonl | feed
    data: bytes
    hints: tuple = ()


@dataclasses.dataclass(frozen=True)
class Document:
    """One input item (a text dump, a page, a JSONL line, a feed entry) before extraction.

    ``body`` is plain text when ``body_format`` is ``text`` and markup when it is ``html``;
    ``text_source`` says what it is (``file``, ``page``, ``feed_content``, ``feed_summary``),
    and ``alternatives`` holds (text_source, body_format, body) to fall back on, in order,
    when no text can be extracted from ``body``.
    """
    source: str
    source_type: str
    locator: str  # where inside the source: '' for whole files, 'line 3', 'entry 2'
    body: str
    body_format: str  # text | html
    url: Optional[str] = None
    title: Optional[str] = None
    author: Optional[str] = None
    published_at: Optional[dt.datetime] = None
    outlet: Optional[str] = None
    language: Optional[str] = None
    text_source: str = "file"
    alternatives: tuple = ()

    def __post_init__(self):
        # Every string of a Document can be encoded as UTF-8, however it was built: the rows
        # made from it are encoded by Beam's coders and by Parquet, outside any stage's reach.
        for field in ("source", "locator", "body", "url", "title", "author", "outlet", "language"):
            value = getattr(self, field)
            if isinstance(value, str):
                object.__setattr__(self, field, scrub_surrogates(value))
        if self.alternatives:
            object.__setattr__(self, "alternatives", tuple(
                (kind, fmt, scrub_surrogates(body) if isinstance(body, str) else body)
                for kind, fmt, body in self.alternatives))


def error_row(source: str, stage: str, error_type: str, message: str,
              excerpt: object = "", locator: str = "") -> dict:
    """An errors-table row: where it came from, which stage refused it, and why.

    Whatever the item held, the row itself can always be written: its strings
    are valid UTF-8, its message and excerpt are bounded, and credentials in a
    source URL or a message are masked.
    """
    if isinstance(excerpt, bytes):
        excerpt = excerpt[:EXCERPT_CHARS].decode("utf-8", errors="replace")
    elif not isinstance(excerpt, str):
        excerpt = ""
    return {
        "source": scrub_surrogates(redact_text(str(source))),
        "locator": scrub_surrogates(str(locator or "")),
        "stage": stage,
        "error_type": error_type,
        "message": scrub_surrogates(redact_text(str(message)[:MESSAGE_CHARS])),
        "excerpt": scrub_surrogates(excerpt[:EXCERPT_CHARS].replace("\x00", "")),
    }
