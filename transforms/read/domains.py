"""Which input items a run is about: those of a list of outlets' domains, published in a window.

``--only-domains FILE`` keeps the items whose URL's host is a listed domain or a subdomain of
one (``example.com`` keeps ``www.example.com`` and ``news.example.com``, not ``badexample.com``);
an item without a URL cannot be matched and is left out. ``--published-since`` and
``--published-until`` keep the articles published on those days or between them (UTC, both
included); an article whose date is unknown is left out, since it cannot be placed in the window.

Both run on every source alike (files, feeds, web archives). An item left out is a counted skip,
by reason (``skip.other_domain``, ``skip.published_outside_window``, ``skip.published_unknown``),
so the run's accounting still adds up. The domain check runs before extraction, and for a feed
entry before its page is fetched, where it saves the most; the window after extraction, where a
page's own date is known.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional
from urllib.parse import urlsplit

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.isolation import ItemFn
from newsbeam.transforms.names import (ARTICLES, DOCUMENTS, ERRORS, SKIP_NO_DATE, SKIP_OTHER_DOMAIN,
                                       SKIP_OUTSIDE_WINDOW, SKIPPED_BY, STAGE_EXTRACT, STAGE_PARSE, counter)
from newsbeam.transforms.progress import DROPPED

MAX_DOMAINS_BYTES = 16 * 1024 * 1024


class DomainsError(ValueError):
    """The domain list cannot be used; the message is for the person who gave it."""


def _domain(line: str) -> Optional[str]:
    """A list line as a domain: lower case, no trailing dot; a URL stands for its host."""
    line = line.split("#", 1)[0].strip()
    if not line:
        return None
    host = urlsplit(line).hostname if "://" in line else line.split("/", 1)[0]
    host = (host or "").strip().lower().rstrip(".")
    if not host or any(c.isspace() for c in host):
        return None
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def load_domains(path: str) -> frozenset:
    """The domains of a text file (one a line, ``#`` comments; local, gs:// or s3://)."""
    try:
        with FileSystems.open(path) as handle:
            data = handle.read(MAX_DOMAINS_BYTES + 1)
    except Exception as exc:  # noqa: BLE001 - missing file, permissions, bad scheme
        raise DomainsError(f"cannot read the domain list {path}: {exc}") from None
    if len(data) > MAX_DOMAINS_BYTES:
        raise DomainsError(f"the domain list {path} is larger than {MAX_DOMAINS_BYTES} bytes")
    domains = frozenset(filter(None, map(_domain, data.decode("utf-8", "replace").splitlines())))
    if not domains:
        raise DomainsError(f"the domain list {path} names no domain")
    return domains


def in_domains(url: Optional[str], domains: frozenset) -> bool:
    """Whether the URL's host is one of ``domains`` or below one."""
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        return False
    if not host:
        return False
    labels = host.rstrip(".").split(".")
    return any(".".join(labels[n:]) in domains for n in range(len(labels)))


class _KeepDomainsFn(ItemFn):
    STAGE = STAGE_PARSE

    def __init__(self, domains: frozenset):
        super().__init__()
        self._domains = domains
        self._skipped = counter(SKIPPED_BY + SKIP_OTHER_DOMAIN)

    def handle(self, document) -> Iterable:
        if in_domains(document.url, self._domains):
            yield document
        else:
            self._skipped.inc()
            self._counter.mark(DROPPED)


class _KeepWindowFn(ItemFn):
    STAGE = STAGE_EXTRACT

    def __init__(self, since: Optional[dt.date], until: Optional[dt.date]):
        super().__init__()
        self._since, self._until = since, until
        self._outside = counter(SKIPPED_BY + SKIP_OUTSIDE_WINDOW)
        self._unknown = counter(SKIPPED_BY + SKIP_NO_DATE)

    def handle(self, article) -> Iterable:
        published = article.published_at
        if published is None:
            self._unknown.inc()
            return
        day = (published.astimezone(dt.timezone.utc) if published.tzinfo else published).date()
        if (self._since and day < self._since) or (self._until and day > self._until):
            self._outside.inc()
            return
        yield article


class KeepDomains(beam.PTransform):
    """Documents in; those whose URL is in the listed domains (the others counted as skipped)."""

    def __init__(self, domains: frozenset):
        super().__init__()
        self._domains = frozenset(domains)

    def expand(self, documents):
        return documents | "KeepListedDomains" >> beam.ParDo(_KeepDomainsFn(self._domains)).with_outputs(
            ERRORS, main=DOCUMENTS)


class KeepPublishedWindow(beam.PTransform):
    """Articles in; those published in the window (the others counted as skipped)."""

    def __init__(self, since: Optional[dt.date], until: Optional[dt.date]):
        super().__init__()
        self._since, self._until = since, until

    def expand(self, articles):
        return articles | "KeepPublishedWindow" >> beam.ParDo(_KeepWindowFn(self._since, self._until)).with_outputs(
            ERRORS, main=ARTICLES)
