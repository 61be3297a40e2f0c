"""trafilatura behind a time limit, so that no single page can stall a run.

Most pages take milliseconds; a pathological one (megabytes of markup, deep
nesting, a binary blob named .html) can take minutes, and a thread stuck in
lxml's C code cannot be interrupted. With a time limit, pages are therefore
extracted in a child process that is killed when one page takes longer; the
page becomes an error row (``timeout``) and the next page gets a fresh child.
The child also contains crashes: a page that kills the interpreter (a
segfault, the kernel's OOM killer) costs that page, not the worker.

Each extractor owns one child; the parent waits while it works, so the child
adds a process but not CPU. With ``time_limit=0`` pages are extracted in the
calling thread, without a limit.

Run as ``python -m newsbeam.transforms.extract.page_extractor``, this module is the child: it
reads pickled (html, url) requests on stdin and answers each on stdout.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import subprocess
import sys
import time
from typing import Optional

from newsbeam.transforms.names import DATE_PUBLISHED
from newsbeam.transforms.parse.fields import language_code
from newsbeam.transforms.parse.timestamps import parse_timestamp
from newsbeam.transforms.records import Extracted

STARTUP_SECONDS = 120.0  # a child that cannot import trafilatura in this long is broken


class ExtractionTimeout(Exception):
    """The page took longer than the time limit; its child was killed."""


class ExtractorCrashed(Exception):
    """The child died while extracting the page."""


def _quiet_trafilatura():
    import logging

    import trafilatura

    # A page without text becomes an error row; trafilatura's own ERROR lines about it are noise.
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    return trafilatura


def _extract(trafilatura, html: str, url: Optional[str], options: dict) -> Optional[Extracted]:
    """What trafilatura finds on the page; None when it finds no text."""
    options = {"with_metadata": True, "include_comments": False, **options}
    result = trafilatura.bare_extraction(html, url=url, **options)
    if result is None or not result.text:
        return None
    published = parse_timestamp(result.date)
    return Extracted(text=result.text, title=result.title, author=result.author, published_at=published,
                     date_source=DATE_PUBLISHED if published else None, url=result.url,
                     language=language_code(result.language), sitename=result.sitename, text_source="page")


class PageExtractor:
    """Extracts article text and metadata from HTML with trafilatura's ``options``
    (on top of newsbeam's own: metadata on, comments off)."""

    def __init__(self, options: dict, time_limit: float):
        self._options = dict(options)
        self._time_limit = time_limit
        self._child: Optional[subprocess.Popen] = None
        self._ready = False
        self._trafilatura = None if time_limit > 0 else _quiet_trafilatura()

    def start(self) -> None:
        """Start the child (it loads trafilatura while the caller goes on)."""
        if self._time_limit <= 0 or self._child is not None:
            return
        self._child = subprocess.Popen(
            [sys.executable, "-m", "newsbeam.transforms.extract.page_extractor"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, close_fds=True)
        self._ready = False
        self._send(self._options)

    def extract(self, html: str, url: Optional[str]) -> Optional[Extracted]:
        """The page's text and metadata; None when it has no article text.

        Raises ExtractionTimeout or ExtractorCrashed; any other exception is
        trafilatura's own failure on this page.
        """
        if self._time_limit <= 0:
            return _extract(self._trafilatura, html, url, self._options)
        self.start()
        if not self._ready:
            self._receive(STARTUP_SECONDS, "starting")
            self._ready = True
        self._send((html, url))
        status, value = self._receive(self._time_limit, "extracting")
        if status == "error":
            raise RuntimeError(value)
        return value

    def close(self) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        try:
            child.stdin.close()  # the child exits at end of input
            child.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            child.kill()
            child.wait()
        child.stdout.close()

    def _send(self, message) -> None:
        try:
            pickle.dump(message, self._child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._child.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            self._kill()
            raise ExtractorCrashed(f"the extraction process died ({exc})") from None

    def _receive(self, seconds: float, doing: str):
        began = time.monotonic()
        readable, _, _ = select.select([self._child.stdout], [], [], seconds)
        if not readable:
            self._kill()
            if doing == "starting":
                raise ExtractorCrashed(f"the extraction process did not start within {seconds:.0f} s")
            raise ExtractionTimeout(f"extraction took longer than {seconds:g} s "
                                    f"(stopped after {time.monotonic() - began:.1f} s)")
        try:
            return pickle.load(self._child.stdout)
        except (EOFError, pickle.UnpicklingError, OSError):
            code = self._kill()
            raise ExtractorCrashed(f"the extraction process died while {doing} (exit status {code})") from None

    def _kill(self) -> Optional[int]:
        child, self._child = self._child, None
        if child is None:
            return None
        child.kill()
        code = child.wait()
        for stream in (child.stdin, child.stdout):
            try:
                stream.close()
            except OSError:
                pass
        return code


def _serve() -> None:
    """The child: options first, then one answer per (html, url) request until end of input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    requests, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not corrupt the answers
    options = pickle.load(requests)
    trafilatura = _quiet_trafilatura()
    pickle.dump(("ready", None), answers)
    answers.flush()
    while True:
        try:
            html, url = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = ("ok", _extract(trafilatura, html, url, options))
        except Exception as exc:  # noqa: BLE001 - reported to the parent as this page's failure
            answer = ("error", f"{type(exc).__name__}: {exc}")
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    # Through the package name, so that the parent can unpickle the answers.
    from newsbeam.transforms.extract.page_extractor import _serve as serve
    serve()
