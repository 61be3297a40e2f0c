"""Live progress marks of a run on this machine, for the driver's progress bar.

Beam's in-process runner hands its metrics back only when the pipeline is done, so a local run
could not say how far it is. When the driver wants a live bar it names an empty local folder in
the environment (``NEWSBEAM_PROGRESS_DIR``) before it runs the pipeline; the stages then append
one byte per event to a file of their own process in that folder, and the driver sums the file
sizes. Without the variable (a scheduled run, a distributed runner's workers) nothing is written,
and a mark never fails a run: it is a view, not a record, and nothing else reads it.

Events, each counted where it happens:

- ``SOURCES``: an input file, feed, sitemap or CC-NEWS file finished reading;
- ``FOUND``: an input item born on its way to extraction (a Document);
- ``DROPPED``: a found item that leaves before extraction (already written, another domain, its
  page not fetched), so that ``FOUND - DROPPED`` is what extraction will see;
- ``EXTRACTED``: an item through extraction, as an article or an error row.
"""
from __future__ import annotations

import os
import threading

ENV = "NEWSBEAM_PROGRESS_DIR"
SOURCES, FOUND, DROPPED, EXTRACTED = "sources", "found", "dropped", "extracted"
KINDS = (SOURCES, FOUND, DROPPED, EXTRACTED)


class Marks:
    """A stage's writer of progress marks (safe from a stage's thread pool); pickles to a fresh
    one, and opens its files on first use."""

    def __init__(self):
        self._files: dict[str, int] = {}
        self._opening = threading.Lock()

    def __reduce__(self):
        return (Marks, ())

    def add(self, kind: str, n: int = 1) -> None:
        if n <= 0:
            return
        try:
            handle = self._files.get(kind)
            if handle is None:
                folder = os.environ.get(ENV)
                if not folder:
                    return
                with self._opening:
                    handle = self._files.get(kind)
                    if handle is None:
                        name = os.path.join(folder, f"{kind}.{os.getpid()}.{id(self):x}")
                        handle = self._files[kind] = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.write(handle, b"." * n)
        except OSError:  # the driver has gone on (folder removed): a mark is never worth a failure
            pass

    def __del__(self):
        for handle in self._files.values():
            try:
                os.close(handle)
            except OSError:
                pass


def tally(folder: str) -> dict[str, int]:
    """The events marked so far in ``folder``, by kind."""
    counts = dict.fromkeys(KINDS, 0)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return counts
    for entry in entries:
        kind = entry.name.split(".", 1)[0]
        if kind in counts:
            try:
                counts[kind] += entry.stat().st_size
            except OSError:
                pass
    return counts
