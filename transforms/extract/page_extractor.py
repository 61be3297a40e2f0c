"""trafilatura behind a time limit, in a pool of killable processes: no single page can stall a run,
and one worker extracts on as many cores as it is given.

Most pages take milliseconds; a pathological one (megabytes of markup, deep
nesting, a binary blob named .html) can take minutes, and a thread stuck in
lxml's C code cannot be interrupted. With a time limit, pages are therefore
extracted in child processes, and a child is killed when its page takes
longer: that page becomes an error row (``timeout``), the pages the other
children work on go on, and a fresh child takes the killed one's place. A
child also contains crashes: a page that kills the interpreter (a segfault,
the kernel's OOM killer) costs that page, not the worker or the other pages.

A :class:`PageExtractor` keeps ``processes`` children, each on one page at a
time. Pages go in with :meth:`~PageExtractor.submit` under a key the caller
chooses and come back with that key from :meth:`~PageExtractor.finished` as
they are done, so the caller can finish one page's article while the children
extract the next ones; :meth:`~PageExtractor.extract` does one page and waits
for it. With ``time_limit=0`` pages are extracted in the calling thread,
without a limit.

Run as ``python -m newsbeam.transforms.extract.page_extractor``, this module is
a child: it reads pickled (html, url) requests on stdin and answers each with
an :class:`Outcome` on stdout.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import subprocess
import sys
import time
from typing import Callable, Hashable, NamedTuple, Optional

# Light imports only: a child starts after every killed page, and Beam (newsbeam.transforms.names
# imports it) would triple its start-up time and memory.
from newsbeam.transforms.parse.fields import language_code
from newsbeam.transforms.parse.timestamps import parse_timestamp
from newsbeam.transforms.records import Extracted

STARTUP_SECONDS = 120.0  # a child that cannot import trafilatura in this long is broken


class ExtractionTimeout(Exception):
    """The page took longer than the time limit; its child was killed."""


class ExtractorCrashed(Exception):
    """The child died while extracting the page, or no child could be started for it."""


class Outcome(NamedTuple):
    """What became of one page: its extraction (None when it has no text), or why there is none."""
    value: Optional[Extracted] = None
    error: Optional[Exception] = None
    seconds: float = 0.0  # spent extracting it

    def result(self) -> Optional[Extracted]:
        """The extraction; raises ExtractionTimeout, ExtractorCrashed, or RuntimeError for
        trafilatura's own failure on the page."""
        if self.error is not None:
            raise self.error
        return self.value


def _quiet_trafilatura():
    import logging

    import trafilatura

    # A page without text becomes an error row; trafilatura's own ERROR lines about it are noise.
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    return trafilatura


# Dates with their time and UTC offset where the page gives them (JSON-LD, meta tags), not cut to the day.
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def _date_params(trafilatura) -> dict:
    """trafilatura's own date search (original date, its extensive search setting, no date after
    today), asked for the time and offset too."""
    from trafilatura.settings import DEFAULT_CONFIG, set_date_params

    return {**set_date_params(DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH")),
            "outputformat": DATE_FORMAT}


def _modified(html: str, published) -> Optional[object]:
    """When the page says it was last changed, if later than its publication; else None."""
    import htmldate

    modified = parse_timestamp(htmldate.find_date(html, original_date=False, extensive_search=False,
                                                  outputformat=DATE_FORMAT))
    return modified if modified is not None and (published is None or modified > published) else None


def _names(values) -> tuple:
    """trafilatura's categories or tags (a page's comma-separated lists split), as a tuple of distinct
    non-empty names in page order."""
    if isinstance(values, str):
        values = [values]
    names = (name.strip() for value in values or () if isinstance(value, str) for name in value.split(","))
    return tuple(dict.fromkeys(name for name in names if name))


def _declared_sitename(result) -> Optional[str]:
    """The site name the page declares (meta tags, JSON-LD, its title); None where trafilatura only
    derived one from the URL (host and port), which the outlet rule does the same way for every source."""
    from trafilatura.metadata import META_URL

    match = META_URL.match(result.url) if result.sitename and result.url else None
    return None if match and match[1] == result.sitename else result.sitename or None


def _extract(trafilatura, html: str, url: Optional[str], options: dict) -> Optional[Extracted]:
    """What trafilatura finds on the page; None when it finds no text. Its date is the page's own
    (the caller labels where it came from)."""
    options = {"with_metadata": True, "include_comments": False, "date_extraction_params": _date_params(trafilatura),
               **options}
    result = trafilatura.bare_extraction(html, url=url, **options)
    if result is None or not result.text:
        return None
    published = parse_timestamp(result.date)
    return Extracted(text=result.text, title=result.title, author=result.author, published_at=published, url=result.url,
                     language=language_code(result.language), sitename=_declared_sitename(result), text_source="page",
                     description=result.description or None, categories=_names(result.categories),
                     keywords=_names(result.tags), image_url=result.image or None,
                     modified_at=_modified(html, published))


def _outcome(trafilatura, html: str, url: Optional[str], options: dict) -> Outcome:
    began = time.perf_counter()
    try:
        value, error = _extract(trafilatura, html, url, options), None
    except Exception as exc:  # noqa: BLE001 - trafilatura's failure on this page is the page's outcome
        value, error = None, RuntimeError(f"{type(exc).__name__}: {exc}")
    return Outcome(value, error, time.perf_counter() - began)


class _Child:
    """One extraction process: it loads trafilatura, says it is ready, then answers one page at a time."""

    def __init__(self, options: dict):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newsbeam.transforms.extract.page_extractor"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, close_fds=True)
        self.ready = False
        self.key: Optional[Hashable] = None  # of the page it works on
        self.sent_at = time.monotonic()
        self.deadline = self.sent_at + STARTUP_SECONDS
        self.send(options)

    @property
    def busy(self) -> bool:
        return self.key is not None

    def fileno(self) -> int:
        return self.process.stdout.fileno()

    def send(self, message) -> None:
        try:
            pickle.dump(message, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            code = self.kill()
            raise ExtractorCrashed(f"the extraction process died ({exc}; exit status {code})") from None

    def receive(self):
        try:
            return pickle.load(self.process.stdout)
        except (EOFError, pickle.UnpicklingError, OSError):
            code = self.kill()
            doing = "extracting" if self.ready else "starting"
            raise ExtractorCrashed(f"the extraction process died while {doing} (exit status {code})") from None

    def kill(self) -> Optional[int]:
        self.process.kill()
        code = self.process.wait()
        self._close_pipes()
        return code

    def close(self) -> None:
        try:
            self.process.stdin.close()  # the child exits at end of input
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class PageExtractor:
    """Extracts article text and metadata from HTML with trafilatura's ``options`` (on top of
    newsbeam's own: metadata on, comments off), in ``processes`` children, each page within
    ``time_limit`` seconds."""

    def __init__(self, options: dict, time_limit: float, processes: int = 1):
        self._options = dict(options)
        self._time_limit = time_limit
        self._slots: list[Optional[_Child]] = [None] * max(1, processes)  # None: to be started
        self._waiting: list[tuple] = []  # (key, html, url) not yet given to a child, oldest first
        self._finished: dict = {}  # key -> Outcome, not yet handed back
        self._trafilatura = None if time_limit > 0 else _quiet_trafilatura()

    def start(self) -> None:
        """Start a child (it loads trafilatura while the caller goes on); the others start when pages
        wait for them, so that a small run does not pay for processes it has no pages for."""
        if self._time_limit > 0 and not any(self._slots):
            self._start(0)

    def submit(self, key: Hashable, html: str, url: Optional[str]) -> None:
        """Hand in a page; its Outcome comes back from :meth:`finished` under ``key``."""
        if self._time_limit <= 0:
            self._finished[key] = _outcome(self._trafilatura, html, url, self._options)
            return
        self._waiting.append((key, html, url))
        self._pump(until=None)

    @property
    def full(self) -> bool:
        """Each child has a page and one more waits for it: take outcomes before handing in more."""
        return len(self._waiting) >= len(self._slots)

    def finished(self, wait: bool = False) -> list[tuple[Hashable, Outcome]]:
        """(key, Outcome) of every page done since the last call, in the order they were done; with
        ``wait``, blocks until there is one, unless no page is under way."""
        if self._time_limit > 0:
            self._pump(until=(lambda: bool(self._finished)) if wait else None)
        done = list(self._finished.items())
        self._finished.clear()
        return done

    def extract(self, html: str, url: Optional[str]) -> Optional[Extracted]:
        """One page's text and metadata, waiting for it; None when it has no article text.

        Raises ExtractionTimeout or ExtractorCrashed; RuntimeError is trafilatura's own failure on the page.
        """
        key = object()
        self.submit(key, html, url)
        self._pump(until=lambda: key in self._finished)
        return self._finished.pop(key).result()

    def close(self) -> None:
        """End the children; pages still waiting or under way are dropped."""
        children, self._slots = self._slots, [None] * len(self._slots)
        for child in children:
            if child is not None and (child.busy or not child.ready):
                child.kill()  # no need to wait for a page nobody will take
            elif child is not None:
                child.close()
        self._waiting.clear()

    def _under_way(self) -> bool:
        return bool(self._waiting) or any(child is not None and child.busy for child in self._slots)

    def _pump(self, until: Optional[Callable[[], bool]]) -> None:
        """Take the children's answers, stop those over their time, give waiting pages to idle children;
        once, or until ``until()`` holds (or no page is under way)."""
        while True:
            self._dispatch()
            blocking = until is not None and not until() and self._under_way()
            watched = [child for child in self._slots if child is not None and (child.busy or not child.ready)]
            if not watched:
                return
            timeout = max(0.0, min(child.deadline for child in watched) - time.monotonic()) if blocking else 0.0
            readable, _, _ = select.select(watched, [], [], timeout)
            for child in readable:
                self._answer(child)
            now = time.monotonic()
            for child in watched:
                if child not in readable and child.deadline <= now:
                    self._overdue(child, now)
            if not blocking:
                self._dispatch()
                return

    def _dispatch(self) -> None:
        for index, child in enumerate(self._slots):
            if not self._waiting:
                return
            if child is None:
                if len(self._waiting) <= sum(1 for other in self._slots if other is not None and not other.busy):
                    continue  # a child that is starting or idle will take them
                child = self._start(index)
            if child is None or not child.ready or child.busy:
                continue
            key, html, url = self._waiting.pop(0)
            try:
                child.send((html, url))
            except ExtractorCrashed as exc:
                self._finished[key] = Outcome(error=exc)
                self._start(index)
                continue
            child.key, child.sent_at = key, time.monotonic()
            child.deadline = child.sent_at + self._time_limit

    def _answer(self, child: _Child) -> None:
        key, index = child.key, self._slots.index(child)
        try:
            message = child.receive()
        except ExtractorCrashed as exc:
            self._fail(key, exc)
            self._start(index)
            return
        if not child.ready:
            child.ready = True  # its "ready"
            return
        child.key = None
        self._finished[key] = message

    def _overdue(self, child: _Child, now: float) -> None:
        """Kill a child over its time: its page timed out, or it did not start."""
        key = child.key
        child.kill()
        if key is None:
            self._fail(None, ExtractorCrashed(f"the extraction process did not start within {STARTUP_SECONDS:.0f} s"))
        else:
            self._finished[key] = Outcome(error=ExtractionTimeout(
                f"extraction took longer than {self._time_limit:g} s (stopped after {now - child.sent_at:.1f} s)"),
                seconds=now - child.sent_at)
        self._start(self._slots.index(child))

    def _start(self, index: int) -> Optional[_Child]:
        """A fresh child in slot ``index`` (it warms up while the others work); None if none can start."""
        self._slots[index] = None
        try:
            self._slots[index] = _Child(self._options)
        except (OSError, ExtractorCrashed) as exc:
            self._fail(None, ExtractorCrashed(f"could not start an extraction process: {exc}"))
        return self._slots[index]

    def _fail(self, key: Optional[Hashable], exc: ExtractorCrashed) -> None:
        """The page ``key`` failed with ``exc``; a child that failed before it had a page costs the oldest
        waiting page instead, so that a worker that cannot run children ends in error rows, not in a hang."""
        if key is None and self._waiting:
            key = self._waiting.pop(0)[0]
        if key is not None:
            self._finished[key] = Outcome(error=exc)


def _serve() -> None:
    """The child: options first, then one Outcome per (html, url) request until end of input."""
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
        pickle.dump(_outcome(trafilatura, html, url, options), answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    # Through the package name, so that the parent can unpickle the answers.
    from newsbeam.transforms.extract.page_extractor import _serve as serve
    serve()
