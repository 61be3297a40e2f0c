"""The records that travel between stages, in data-flow order: InputFile -> SourceFile ->
Document -> Extracted -> Article, with Duplicate and ErrorRow beside it.

An Article has every column of the ``articles`` table from extraction on: later stages fill
their own columns with ``_replace``, so every stage after extraction reads and writes the
same documented type. Duplicate and ErrorRow are the rows of the other two tables. The
three table rows are NamedTuples: of a dict, a frozen dataclass and a NamedTuple, the
NamedTuple costs least for what the stages do to a row (build it, update it three times,
shuffle it, read its columns): ``python -m bench.record_types``. The records before
extraction are frozen dataclasses.

Every string a record holds can be encoded as UTF-8, however the record was built: Beam's
coders and Parquet encode them outside any stage's reach.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import NamedTuple, Optional

from newsbeam.transforms.redact import redact_text

EXCERPT_CHARS = 300
MESSAGE_CHARS = 2000

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
    mtime: float = 0.0  # seconds since the epoch, as the filesystem reports it


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """One input file and its format: its bytes, already decompressed; or, when ``streamed``
    (JSONL, WARC and ARC files, whatever their size), no bytes: the parse stage reads its
    items from ``path`` one at a time."""
    path: str
    fmt: str  # txt | html | jsonl | feed | warc
    data: bytes
    hints: tuple = ()
    streamed: bool = False


@dataclasses.dataclass(frozen=True)
class Document:
    """One input item (a text dump, a page, a JSONL line, a feed entry, a web archive's captured
    page) before extraction.

    ``body`` is plain text when ``body_format`` is ``text`` and markup when it is ``html``;
    ``text_source`` says what it is (``file``, ``page``, ``feed_content``, ``feed_summary``),
    and ``alternatives`` holds (text_source, body_format, body) to fall back on, in order,
    when no text can be extracted from ``body``.
    """
    source: str
    source_type: str
    locator: str  # where inside the source: '' for whole files, 'line 3', 'entry 2', 'offset 1234'
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
    crawl_date: Optional[dt.datetime] = None  # a web archive's capture time: the date when the page gives none

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


@dataclasses.dataclass(frozen=True)
class Extracted:
    """What extraction found in one body of a Document: ``text`` is never empty."""
    text: str
    title: Optional[str] = None
    author: Optional[str] = None
    published_at: Optional[dt.datetime] = None
    date_source: Optional[str] = None  # where published_at came from (names.DATE_*)
    url: Optional[str] = None
    language: Optional[str] = None
    sitename: Optional[str] = None
    text_source: str = "file"
    description: Optional[str] = None  # the page's lead or summary, as its metadata gives it
    categories: tuple = ()  # the page's sections or categories
    keywords: tuple = ()  # the page's own tags or keywords
    image_url: Optional[str] = None  # the page's main image
    modified_at: Optional[dt.datetime] = None  # when the page says it last changed, if after publication


class Article(NamedTuple):
    """One article, from extraction to its Parquet row: the columns of the ``articles`` table
    (see the README's output contract). Extraction sets identity, provenance, date and text;
    dedup sets ``minhash`` and the cluster columns; tagging the mention columns."""
    article_id: str
    url: Optional[str]
    source: str
    locator: str
    source_type: str
    text_source: str
    outlet_name: str
    title: Optional[str]
    author: Optional[str]
    published_at: Optional[dt.datetime]
    date_source: str
    language: Optional[str]
    text: str
    word_count: int
    content_hash: str
    ingested_at: dt.datetime
    run_id: str
    minhash: bytes = b""
    cluster_id: Optional[str] = None
    duplicate_count: int = 0
    duplicate_outlets: tuple = ()
    nato_mentions: int = 0
    ukraine_mentions: int = 0
    tags: tuple = ()
    mentions: tuple = ()  # {entity, surface, start, end} mappings, offsets into title + "\n\n" + text
    comention_sentences: tuple = ()
    comention_spans: tuple = ()  # {start, end} of each comention sentence, same offsets as mentions
    topic_evidence: tuple = ()  # {topic, sentence_start, sentence_end, word, word_start, word_end}
    # what the source's metadata gives (pages: trafilatura's); None or empty where it gives nothing
    description: Optional[str] = None
    site_name: Optional[str] = None
    hostname: Optional[str] = None  # the URL's host, without a leading www.
    categories: tuple = ()
    keywords: tuple = ()
    image_url: Optional[str] = None
    modified_at: Optional[dt.datetime] = None
    lexicon_hash: Optional[str] = None  # which lexicon set the tag columns (see transforms.tag.lexicon)


class Duplicate(NamedTuple):
    """A row of the ``duplicates`` table: an article that is a copy of the one ``duplicate_of``
    names, why (``reason``) and how similar they are."""
    article_id: str
    source: str
    locator: str
    url: Optional[str]
    outlet_name: str
    title: Optional[str]
    published_at: Optional[dt.datetime]
    date_source: Optional[str]
    content_hash: Optional[str]
    duplicate_of: str
    reason: str
    similarity: float
    ingested_at: Optional[dt.datetime] = None
    run_id: Optional[str] = None

    @classmethod
    def of(cls, article: Article, kept_id: str, reason: str, similarity: float = 1.0) -> "Duplicate":
        return cls(article.article_id, article.source, article.locator, article.url, article.outlet_name,
                   article.title, article.published_at, article.date_source, article.content_hash, kept_id,
                   reason, similarity, article.ingested_at, article.run_id)


class ErrorRow(NamedTuple):
    """A row of the ``errors`` table: where an item came from, which stage refused it, and why.
    Built by :func:`error_row`; the writer stamps the run's id and ingestion time."""
    source: str
    locator: str
    stage: str
    error_type: str
    message: str
    excerpt: str


def error_row(source: str, stage: str, error_type: str, message: str,
              excerpt: object = "", locator: str = "") -> ErrorRow:
    """The one way to build an error row. Whatever the item held, the row can always be
    written: its strings are valid UTF-8, its message and excerpt are bounded, and
    credentials in a source URL or a message are masked."""
    if isinstance(excerpt, bytes):
        excerpt = excerpt[:EXCERPT_CHARS].decode("utf-8", errors="replace")
    elif not isinstance(excerpt, str):
        excerpt = ""
    return ErrorRow(
        source=scrub_surrogates(redact_text(str(source))),
        locator=scrub_surrogates(str(locator or "")),
        stage=stage,
        error_type=error_type,
        message=scrub_surrogates(redact_text(str(message)[:MESSAGE_CHARS])),
        excerpt=scrub_surrogates(excerpt[:EXCERPT_CHARS].replace("\x00", "")),
    )
