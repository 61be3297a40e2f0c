"""Sitemaps (sitemaps.org urlset and sitemapindex, Google News extensions) to their entries.

A sitemap is untrusted XML of up to 50 MB (the protocol's own cap, more once gzipped). It
is read as a stream, gzip or not, through defusedxml's parser with DTDs and entities
forbidden (a sitemap never needs either), and each ``<url>`` or ``<sitemap>`` element is
dropped from the tree once read, so memory stays bounded by the entries kept, which are
capped too. Measured against lxml's iterparse and ultimate-sitemap-parser on the same
50,000-URL news sitemap (``bench/sitemaps.py``): lxml parses faster but would need its own
refusal of DTDs, and ultimate-sitemap-parser is the slowest, reads a whole decoded string
rather than a stream, and logs a parse error instead of raising it.

Whatever stops a sitemap part-way (broken XML, a cut-off gzip stream, too many URLs, too
many bytes) keeps the entries read until then: the failure is returned with them, and only
a sitemap that yields no entry at all raises.
"""
from __future__ import annotations

import dataclasses
import functools
import datetime as dt
import io
import zlib
from typing import Optional
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from newsbeam.transforms.parse.fields import language_code, text_or_none
from newsbeam.transforms.parse.timestamps import parse_timestamp
from newsbeam.transforms.read.streams import GunzipReader, TruncatedGzip
from newsbeam.transforms.records import scrub_surrogates

MAX_URLS = 50_000                 # the protocol's limit per sitemap
MAX_BYTES = 50 * 1024 * 1024      # the protocol's limit per sitemap, uncompressed
_GZIP_MAGIC = b"\x1f\x8b"
_NEWS = "sitemap-news"            # in the Google News namespace, http://www.google.com/schemas/sitemap-news/0.9
_MESSAGE_CHARS = 500


class SitemapError(ValueError):
    """A sitemap that yields nothing, or stopped part-way; ``kind`` is the error row's error_type."""

    def __init__(self, kind: str, message: str):
        super().__init__(scrub_surrogates(message[:_MESSAGE_CHARS]))
        self.kind = kind


@dataclasses.dataclass(frozen=True)
class SitemapEntry:
    """A ``<url>`` of a urlset (a page) or a ``<sitemap>`` of an index (a child sitemap)."""
    url: Optional[str]
    lastmod: Optional[dt.datetime] = None
    published_at: Optional[dt.datetime] = None  # news:publication_date
    title: Optional[str] = None                 # news:title
    language: Optional[str] = None              # news:publication/news:language

    @property
    def date(self) -> Optional[dt.datetime]:
        """The entry's date for the lookback window: its publication date, else its lastmod."""
        return self.published_at or self.lastmod


@dataclasses.dataclass(frozen=True)
class ParsedSitemap:
    index: bool                          # a sitemapindex: the entries are sitemaps, not pages
    entries: tuple[SitemapEntry, ...]
    failure: Optional[SitemapError] = None  # what stopped the reading before the end, if anything


class _Capped(io.RawIOBase):
    """A stream that raises SitemapError('too_large') past ``limit`` bytes."""

    def __init__(self, raw, limit: int):
        super().__init__()
        self._raw, self._left, self._limit = raw, limit, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = self._raw.readinto(buffer)
        self._left -= size or 0
        if self._left < 0:
            raise SitemapError("too_large", f"more than {self._limit} bytes uncompressed")
        return size


@functools.lru_cache(maxsize=256)  # a sitemap repeats a handful of tags; a hostile one cannot grow this
def _local(tag: str) -> tuple[str, str]:
    """'{namespace}name' -> (namespace, name)."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _stream(data: bytes, max_bytes: int):
    raw = io.BytesIO(data)
    source = GunzipReader(raw) if data[:2] == _GZIP_MAGIC else raw
    return _Capped(source, max_bytes)  # read by the parser 64 KiB at a time


def parse_sitemap(data: bytes, max_urls: int = MAX_URLS, max_bytes: int = MAX_BYTES) -> ParsedSitemap:
    """The entries of the sitemap (or gzipped sitemap) in ``data``, at most ``max_urls`` of them.

    Raises SitemapError when there is no entry to keep: unsafe XML (``unsafe_xml``), not a
    sitemap (``not_a_sitemap``), broken before its first entry (``malformed_sitemap``,
    ``bad_gzip``, ``too_large``)."""
    entries: list[SitemapEntry] = []
    root_kind: Optional[str] = None
    failure: Optional[SitemapError] = None
    root = None
    try:
        for event, element in iterparse(_stream(data, max_bytes), events=("start", "end"),
                                        forbid_dtd=True, forbid_entities=True, forbid_external=True):
            if root is None:
                root = element
                root_kind = _local(element.tag)[1]
                if root_kind not in ("urlset", "sitemapindex"):
                    raise SitemapError("not_a_sitemap", f"the root element is <{root_kind}>, not <urlset> or "
                                       "<sitemapindex> (an RSS or Atom feed is read with --feed)")
                continue
            if event != "end" or element not in root:  # a whole child of the root, read
                continue
            if _local(element.tag)[1] in ("url", "sitemap"):
                if len(entries) >= max_urls:
                    raise SitemapError("too_many_urls", f"more than {max_urls} entries: the first {max_urls} "
                                       "were read, the rest left out")
                entries.append(_entry(element))
            root.remove(element)
    except SitemapError as exc:
        failure = exc
    except DefusedXmlException as exc:
        failure = SitemapError("unsafe_xml", f"the sitemap declares a DTD or entities ({exc}); refused")
    except ParseError as exc:
        failure = SitemapError("malformed_sitemap", f"not well-formed XML: {exc}")
    except (TruncatedGzip, zlib.error, EOFError, OSError) as exc:
        failure = SitemapError("bad_gzip", f"gzip: {exc}")
    if root is None and failure is None:
        failure = SitemapError("malformed_sitemap", "no XML element")
    if not entries and failure is not None:
        raise failure
    return ParsedSitemap(root_kind == "sitemapindex", tuple(entries), failure)


def _entry(element) -> SitemapEntry:
    """One <url> or <sitemap> element: its loc and lastmod, and its news title, date and language."""
    fields: dict = {}
    for child in element:
        namespace, name = _local(child.tag)
        if _NEWS in namespace:
            for item in child.iter():
                text = text_or_none(item.text)
                name = _local(item.tag)[1]
                if text is None:
                    continue
                if name == "publication_date":
                    fields.setdefault("published_at", parse_timestamp(text))
                elif name == "title":
                    fields.setdefault("title", scrub_surrogates(" ".join(text.split())))
                elif name == "language":
                    fields.setdefault("language", language_code(text))
        elif name in ("loc", "lastmod") and name not in fields:
            fields[name] = text_or_none(child.text)
    url, lastmod = fields.pop("loc", None), fields.pop("lastmod", None)
    return SitemapEntry(url=url and scrub_surrogates(url), lastmod=lastmod and parse_timestamp(lastmod), **fields)
