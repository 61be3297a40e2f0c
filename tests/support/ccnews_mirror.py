"""A CC-NEWS mirror on loopback: monthly ``warc.paths.gz`` listings and the WARC files they name,
served by a real HTTP server (:class:`tests.support.site.Site`), with the answers that Common
Crawl's servers give under load (503 SlowDown with Retry-After, connections cut part-way)."""
from __future__ import annotations

import gzip
import threading
from typing import Optional

from tests.support.site import Site
from tests.support.warc_files import Warc, page

PREFIX = "/crawl-data/CC-NEWS"


def warc_path(stamp: str, serial: int = 0) -> str:
    """The path of a CC-NEWS WARC file whose crawl began at ``stamp`` (YYYYMMDDHHMMSS)."""
    return f"{PREFIX}/{stamp[:4]}/{stamp[4:6]}/CC-NEWS-{stamp}-{serial:05d}.warc.gz"


def news_warc(urls: list[str], published: str = "", title: str = "Story") -> bytes:
    """A CC-NEWS-like WARC: a warcinfo record, then request, response and metadata per page."""
    warc = Warc().warcinfo()
    for n, url in enumerate(urls):
        warc.request(url).response(url, page(f"{title} {n} at {url}", published)).metadata(url)
    return warc.data


class Mirror:
    """Listings and files added by path; ``base_url`` is what ``--cc-news-base-url`` takes."""

    def __init__(self, site: Site):
        self.site = site
        self._listed: dict[str, list[str]] = {}

    @property
    def base_url(self) -> str:
        return self.site.url("/")

    def add_warc(self, path: str, data: bytes, listed: bool = True, **route) -> str:
        self.site.add(path, data, **route)
        if listed:
            parts = path.split("/")
            self.list_lines(f"{parts[3]}/{parts[4]}", [path.lstrip("/")])
        return path

    def list_lines(self, month: str, lines: list[str]) -> None:
        """Append raw lines to the listing of ``month`` (YYYY/MM) and serve it again."""
        self._listed.setdefault(month, []).extend(lines)
        body = gzip.compress(("\n".join(self._listed[month]) + "\n").encode("utf-8", "surrogateescape"), mtime=0)
        self.site.add(f"{PREFIX}/{month}/warc.paths.gz", body)

    def downloads(self, path: str) -> int:
        return len(self.site.hits_of(path))


def cut_off_once(data: bytes, keep: int, hold: Optional[threading.Event] = None):
    """A route handler that, on its first request, declares all of ``data`` but sends ``keep`` bytes
    and hangs up (after waiting for ``hold``, if given); later requests get the whole file."""
    calls = []

    def handler(request):
        calls.append(1)
        request.send_response(200)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if len(calls) == 1:
            request.wfile.write(data[:keep])
            request.wfile.flush()
            if hold is not None:
                hold.wait(30)
            request.close_connection = True
            return
        request.wfile.write(data)
    return handler
