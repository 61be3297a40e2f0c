"""What parsing a feed gives, whatever its format (RSS, Atom, RDF, JSON Feed): its entries as
Documents and the entries that could not become one, or why it is no feed at all."""
from __future__ import annotations

import dataclasses
from typing import Optional

from newsbeam.transforms.parse.html_text import has_markup
from newsbeam.transforms.records import Document, scrub_surrogates

_MESSAGE_CHARS = 500


class FeedError(ValueError):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclasses.dataclass(frozen=True)
class EntryFailure:
    """One entry of a feed that could not become a Document, and why."""
    locator: str  # 'entry 7'
    error_type: str
    message: str
    excerpt: str


@dataclasses.dataclass(frozen=True)
class ParsedFeed:
    documents: tuple[Document, ...]
    warning: Optional[str]  # why the feed counts as malformed (feedparser's flag), if it does
    title: Optional[str]
    language: Optional[str]
    failures: tuple[EntryFailure, ...] = ()  # entries that could not become Documents


def message(text: str) -> str:
    """An error message short enough for a row and free of lone surrogates."""
    return scrub_surrogates(text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "…")


def body_format(mime: Optional[str], value: str) -> str:
    """'text' for plain text, else 'html': text declared plain that holds tags or character
    references was escaped once more than declared, and is read as HTML."""
    return "text" if mime == "text/plain" and not has_markup(value) else "html"
