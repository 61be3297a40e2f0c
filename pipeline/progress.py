"""A progress line on a terminal: items done of the total, with rate and ETA (tqdm).

Shown on stderr only when stderr is a terminal and logs are text: a scheduler's log (cron, a
container without a TTY, ``--log-format json``) gets only the end-of-run summary. The driver
reads how far the pipeline is from its Beam metrics, polled while it runs; a runner that reports
metrics only when it is done (Beam's in-process runner) shows the total and the time so far,
then the count at the end.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Callable, Iterator, Optional


def wanted(log_format: str, stream=None) -> bool:
    """Whether to draw progress: a person is watching ``stream`` (stderr unless given)."""
    stream = sys.stderr if stream is None else stream
    return log_format == "text" and hasattr(stream, "isatty") and stream.isatty()


def _sized(stream) -> bool:
    try:
        return min(os.get_terminal_size(stream.fileno())) > 0
    except (OSError, ValueError, AttributeError):
        return False


@contextlib.contextmanager
def polled(enabled: bool, description: str, total: int, unit: str,
           done: Callable[[], Optional[int]], every: float = 0.5) -> Iterator[None]:
    """A bar over ``total`` items while the block runs, set from ``done()`` every ``every``
    seconds (None: not known yet) and once more when the block ends; nothing when not ``enabled``."""
    if not enabled:
        yield
        return
    from tqdm import tqdm  # only on a terminal: a scheduled run never imports it

    sized = _sized(sys.stderr)  # a terminal that has not said its size (0 x 0) is taken as 80 x 24
    bar = tqdm(total=total, desc=description, unit=unit, file=sys.stderr, dynamic_ncols=sized,
               ncols=None if sized else 80, nrows=None if sized else 24, leave=False)
    stop = threading.Event()

    def update() -> None:
        try:
            count = done()
        except Exception:  # noqa: BLE001 - a runner that cannot say yet: the bar waits
            count = None
        if count is not None and count != bar.n:
            bar.n = min(count, total)
        bar.refresh()

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
        bar.close()
