"""Progress on a terminal: sources read of the total, and items extracted of those found, each with
a rate and an ETA (tqdm).

Shown on stderr only when stderr is a terminal and logs are text: a scheduler's log (cron, a
container without a TTY, ``--log-format json``) gets only the end-of-run summary. A run on this
machine is followed live through the stages' progress marks (``transforms.progress``): the driver
names a fresh folder for them and counts them while the pipeline runs. A distributed runner's
workers write no marks; there the bar follows the runner's metrics as the runner reports them.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
from typing import Callable, Iterator, Optional

from newsbeam.transforms.progress import DROPPED, ENV, EXTRACTED, FOUND, SOURCES, tally


def wanted(log_format: str, stream=None) -> bool:
    """Whether to draw progress: a person is watching ``stream`` (stderr unless given)."""
    stream = sys.stderr if stream is None else stream
    return log_format == "text" and hasattr(stream, "isatty") and stream.isatty()


@contextlib.contextmanager
def marks(enabled: bool) -> Iterator[Optional[Callable[[], dict]]]:
    """While the block runs, the stages of a pipeline run in this process tree mark their progress
    in a fresh folder; yields the function that counts the marks (None when not ``enabled``)."""
    if not enabled:
        yield None
        return
    try:
        folder = tempfile.mkdtemp(prefix="newsbeam-progress-")
    except OSError:  # no writable temp folder (a read-only container): a bar is not worth a run
        yield None
        return
    before = os.environ.get(ENV)
    os.environ[ENV] = folder
    try:
        yield lambda: tally(folder)
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
        shutil.rmtree(folder, ignore_errors=True)


def _sized(stream) -> bool:
    try:
        return min(os.get_terminal_size(stream.fileno())) > 0
    except (OSError, ValueError, AttributeError):
        return False


class _Bars:
    """The two lines: sources (their total known before the run) and items (their total grows as
    sources are read, so their ETA holds once reading is done)."""

    def __init__(self, description: str, sources: int):
        from tqdm import tqdm  # only on a terminal: a scheduled run never imports it

        sized = _sized(sys.stderr)  # a terminal that has not said its size (0 x 0) is taken as 80 x 24
        common = dict(file=sys.stderr, dynamic_ncols=sized, ncols=None if sized else 80,
                      nrows=None if sized else 24, leave=False)
        self.sources = tqdm(total=sources, desc=description, unit="source", position=0, **common)
        self.items = tqdm(total=None, desc="items extracted", unit="item", position=1, **common)

    def show(self, counts: dict) -> None:
        read = min(counts.get(SOURCES, 0), self.sources.total)
        if read > self.sources.n:
            self.sources.update(read - self.sources.n)
        extracted = counts.get(EXTRACTED, 0)
        expected = max(counts.get(FOUND, 0) - counts.get(DROPPED, 0), extracted)
        if expected and expected != self.items.total:
            self.items.total = expected
        if extracted > self.items.n:
            self.items.update(extracted - self.items.n)
        self.sources.refresh()
        self.items.refresh()

    def close(self) -> None:
        self.items.close()
        self.sources.close()


@contextlib.contextmanager
def polled(enabled: bool, description: str, sources: int, counts: Callable[[], Optional[dict]],
           every: float = 0.5) -> Iterator[None]:
    """Progress bars while the block runs, set from ``counts()`` (events by kind of
    ``transforms.progress``; None: not known yet) every ``every`` seconds and once more when the
    block ends; nothing when not ``enabled``."""
    if not enabled:
        yield
        return
    bars = _Bars(description, sources)
    stop = threading.Event()

    def update() -> None:
        try:
            known = counts()
        except Exception:  # noqa: BLE001 - a runner that cannot say yet: the bars wait
            known = None
        if known is not None:
            bars.show(known)

    def poll() -> None:
        while not stop.wait(every):
            update()

    thread = threading.Thread(target=poll, name="newsbeam-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        update()
        bars.close()
