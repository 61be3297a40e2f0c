"""Feed discovery: the feeds a web page announces, for a ``--feed`` that names a home page.

A site names its feeds in its pages' heads, ``<link rel="alternate"
type="application/rss+xml" href="/feed/">`` (RSS, Atom, RDF, JSON Feed). This reads
those links from a page already fetched: parsed with lxml's HTML parser, at most the
first ``MAX_PAGE_BYTES`` (the links are in the head; the rest of a large page is never
parsed), hrefs resolved against the page's URL (or its ``<base href>``), only http(s)
URLs, each once, in the page's order, at most ``limit`` of them. Fetching them is the
caller's: through the same guarded fetcher as every other URL.
"""
from __future__ import annotations

from typing import Optional
from urllib.parse import urljoin, urlsplit

from lxml import etree

MAX_PAGE_BYTES = 1024 * 1024
MAX_FEEDS = 5
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                        "application/feed+json", "application/json"})


def discover_feeds(page: bytes, page_url: str, limit: int = MAX_FEEDS) -> list[str]:
    """The feed URLs ``page`` (fetched from ``page_url``) announces, at most ``limit``."""
    head = page[:MAX_PAGE_BYTES]
    end = head.lower().find(b"</head>")
    head = head[:end + 7] if end >= 0 else head
    parser = etree.HTMLParser(no_network=True, recover=True, huge_tree=False, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(head, parser)
    except (etree.LxmlError, ValueError):
        return []
    if root is None:
        return []
    base = page_url
    for element in root.iter("base"):
        base = _joined(page_url, element.get("href")) or page_url
        break
    found: list[str] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        mime = (link.get("type") or "").split(";")[0].strip().lower()
        if "alternate" not in rel or mime not in FEED_TYPES:
            continue
        url = _joined(base, link.get("href"))
        if url and url not in found and url != page_url:
            found.append(url)
            if len(found) >= limit:
                break
    return found


def _joined(base: str, href: Optional[str]) -> Optional[str]:
    """``href`` resolved against ``base``; None unless that is an http(s) URL."""
    if not href or not href.strip():
        return None
    try:
        url = urljoin(base, href.strip())
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url.split("#", 1)[0] if scheme in ("http", "https") else None
