"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org) to one Document per item, as RSS entries are.

A JSON Feed is told apart by its content, not its name or media type: a JSON object whose
``version`` begins ``https://jsonfeed.org/version/1``. An item becomes a Document the way an
RSS item does: its ``url`` (else ``external_url``), ``title``, ``date_published`` (else
``date_modified``), ``content_html`` (else ``content_text``) as its text with its
``summary`` to fall back on, its ``authors`` (1.1) or ``author`` (1.0), else the feed's, and
its ``language`` (1.1), else the feed's. An item that cannot become a Document (not an
object, a field of the wrong type) is one EntryFailure; the feed's other items still come
out. A JSON document that is not a JSON Feed, or not JSON, is a FeedError that says so.

The document is at most the fetcher's or the file reader's cap; each item's text is capped
by ``max_item_bytes`` at extraction, as an RSS entry's is.
"""
from __future__ import annotations

import codecs
import json
from typing import Optional

from newsbeam.transforms.parse.encoding import decode_utf8_with_cp1252
from newsbeam.transforms.parse.feed_results import EntryFailure, FeedError, ParsedFeed, body_format, message
from newsbeam.transforms.parse.fields import language_code, text_or_none
from newsbeam.transforms.parse.html_text import title_to_text
from newsbeam.transforms.parse.timestamps import parse_timestamp
from newsbeam.transforms.records import EXCERPT_CHARS, Document, scrub_surrogates

VERSION_PREFIX = "https://jsonfeed.org/version/1"
_STRINGS = ("url", "external_url", "title", "content_html", "content_text", "summary", "date_published",
            "date_modified", "language")
_BLANK = b" \t\r\n"


def is_json(data: bytes) -> bool:
    """Whether ``data`` is (meant as) JSON rather than XML: its first character opens an object or array."""
    return data.removeprefix(codecs.BOM_UTF8).lstrip(_BLANK)[:1] in (b"{", b"[")


def parse_json_feed(data: bytes, source: str, source_type: str = "feed", outlet: Optional[str] = None,
                    language: Optional[str] = None) -> ParsedFeed:
    """Items of the JSON Feed in ``data``; raises FeedError when it is not one or has none."""
    feed = _load(data)
    version = feed.get("version")
    if not (isinstance(version, str) and version.startswith(VERSION_PREFIX)):
        raise FeedError("not_a_feed", message(
            f"a JSON document, not a JSON Feed: its version is {json.dumps(version)[:100]}, "
            f"not {VERSION_PREFIX}.x"))
    items = feed.get("items")
    if not isinstance(items, list):
        raise FeedError("not_a_feed", message(
            f"JSON Feed: 'items' is {'missing' if items is None else 'a ' + type(items).__name__}, not a list"))
    if not items:
        raise FeedError("no_entries", "JSON Feed: the feed has no items")
    feed_language = language_code(language or feed.get("language"))
    feed_author = _authors(feed)
    documents, failures = [], []
    for number, item in enumerate(items, 1):
        locator = f"item {number}"
        try:
            documents.append(_document(item, locator, source, source_type, outlet, language, feed_language,
                                       feed_author))
        except Exception as exc:  # noqa: BLE001 - one bad item must not take its feed with it
            failures.append(EntryFailure(locator, "invalid_entry", message(f"{locator}: {type(exc).__name__}: {exc}"),
                                         _excerpt(item)))
    title = title_to_text(feed.get("title"))
    return ParsedFeed(tuple(documents), None, title and scrub_surrogates(title), feed_language, tuple(failures))


def _load(data: bytes) -> dict:
    """The JSON object in ``data`` (UTF-8, as JSON Feed requires; stray bytes read as Windows-1252)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = decode_utf8_with_cp1252(data.removeprefix(codecs.BOM_UTF8))
    try:
        feed = json.loads(text)
    except (ValueError, RecursionError) as exc:  # not JSON, a number too long, nesting too deep
        raise FeedError("invalid_json", message(f"JSON Feed: not valid JSON: {type(exc).__name__}: {exc}")) from None
    if not isinstance(feed, dict):
        raise FeedError("not_a_feed", f"a JSON {type(feed).__name__}, not a JSON Feed")
    return feed


def _document(item, locator: str, source: str, source_type: str, outlet: Optional[str], language: Optional[str],
              feed_language: Optional[str], feed_author: Optional[str]) -> Document:
    if not isinstance(item, dict):
        raise ValueError(f"an item must be a JSON object, not {type(item).__name__}")
    wrong = [key for key in _STRINGS if item.get(key) is not None and not isinstance(item[key], str)]
    if wrong:
        raise ValueError(f"field(s) {wrong} must be strings")
    alternatives = []
    if text_or_none(item.get("content_html")):
        alternatives.append(("feed_content", "html", item["content_html"]))
    elif text_or_none(item.get("content_text")):
        alternatives.append(("feed_content", body_format("text/plain", item["content_text"]), item["content_text"]))
    if text_or_none(item.get("summary")):
        alternatives.append(("feed_summary", body_format("text/plain", item["summary"]), item["summary"]))
    text_source, fmt, body = alternatives[0] if alternatives else ("feed_summary", "html", "")
    return Document(
        source=source, source_type=source_type, locator=locator, body=body, body_format=fmt,
        text_source=text_source, alternatives=tuple(alternatives[1:]),
        url=text_or_none(item.get("url")) or text_or_none(item.get("external_url")),
        title=title_to_text(item.get("title")), author=_authors(item) or feed_author,
        published_at=parse_timestamp(text_or_none(item.get("date_published")) or item.get("date_modified")),
        outlet=outlet, language=language_code(language or item.get("language")) or feed_language)


def _authors(holder: dict) -> Optional[str]:
    """The names of 1.1's ``authors`` (else 1.0's ``author``), joined by commas."""
    authors = holder.get("authors")
    if not isinstance(authors, list):
        authors = [holder.get("author")]
    names = [title_to_text(author.get("name")) for author in authors if isinstance(author, dict)]
    return ", ".join(name for name in names if name) or None


def _excerpt(item) -> str:
    """What identifies a failed item to a reader: its JSON, cut short."""
    try:
        text = json.dumps(item, ensure_ascii=False)[:EXCERPT_CHARS]
    except (TypeError, ValueError):
        text = repr(item)[:EXCERPT_CHARS]
    return scrub_surrogates(text)
