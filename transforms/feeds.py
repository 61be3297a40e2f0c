"""Feed documents (RSS 0.9x/1.0/2.0, Atom, RDF) to one Document per entry.

Used for saved feed files and for feeds fetched over HTTP alike. A feed that
feedparser flags as malformed but that still yields entries keeps them, with
the reason returned as a warning; one that yields no entry is an error. XML
that declares its own entities is refused before parsing: an entity-expansion
bomb must cost neither unbounded memory nor time, and real feeds never need it.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Optional

from transforms.records import Document

_ENTITY_DECLARATION = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.IGNORECASE | re.DOTALL)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class FeedError(ValueError):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclasses.dataclass(frozen=True)
class ParsedFeed:
    documents: tuple[Document, ...]
    warning: Optional[str]  # why feedparser flagged the feed malformed, if it did
    title: Optional[str]
    language: Optional[str]


def _text(value) -> Optional[str]:
    return value.strip() or None if isinstance(value, str) else None


def parse_feed(data: bytes, source: str, source_type: str = "feed", outlet: Optional[str] = None,
               language: Optional[str] = None, content_type: Optional[str] = None) -> ParsedFeed:
    """Entries of the feed in ``data``; raises FeedError when there are none or it is unsafe."""
    import feedparser

    if _ENTITY_DECLARATION.search(data[:65536]):
        raise FeedError("unsafe_xml", "the document declares XML entities (possible entity-expansion bomb)")
    if not data.startswith(_BOMS):
        data = data.lstrip()  # whitespace before <?xml is common and harmless
    headers = {"content-type": content_type} if content_type else None
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    warning = str(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not parsed.entries:
        kind = "not_a_feed" if warning or not parsed.get("version") else "no_entries"
        raise FeedError(kind, f"feed: {warning or 'the document has no entries'}")
    feed = parsed.get("feed", {})
    feed_language = language or feed.get("language")
    documents = []
    for number, entry in enumerate(parsed.entries, 1):
        alternatives = []
        for item in entry.get("content") or []:
            if item.get("value"):
                alternatives.append(("feed_content", _format(item.get("type")), item["value"]))
                break
        if entry.get("summary"):
            alternatives.append(("feed_summary", _format(entry.get("summary_detail", {}).get("type")),
                                 entry["summary"]))
        text_source, body_format, body = alternatives[0] if alternatives else ("feed_summary", "html", "")
        documents.append(Document(
            source=source, source_type=source_type, locator=f"entry {number}", body=body,
            body_format=body_format, text_source=text_source, alternatives=tuple(alternatives[1:]),
            url=_text(entry.get("link")), title=_text(entry.get("title")), author=_text(entry.get("author")),
            published_at=_published(entry), outlet=outlet, language=_language(feed_language)))
    return ParsedFeed(tuple(documents), warning, _text(feed.get("title")), _language(feed_language))


def _format(mime: Optional[str]) -> str:
    return "text" if mime == "text/plain" else "html"


def _published(entry):
    from transforms.timestamps import parse_timestamp

    return parse_timestamp(entry.get("published_parsed") or entry.get("updated_parsed"))


def _language(value) -> Optional[str]:
    from transforms.parse import language_code

    return language_code(value)
