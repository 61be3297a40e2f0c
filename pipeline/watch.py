"""`newsbeam watch`: the batch pipeline in cycles against one output, until stopped.

Each cycle is a normal run with its own run id and manifest, holding the output
lock for its own duration (so a nightly compact fits between cycles); a cycle
that finds the lock held, or an earlier commit it cannot complete, is skipped.
SIGINT or SIGTERM lets the running cycle finish, then stops; a second SIGINT (Ctrl-C pressed
again) stops the running cycle at once, as Ctrl-C stops a run.
"""
from __future__ import annotations

import dataclasses
import logging
import signal
import threading
import time
from typing import Optional

from newsbeam.pipeline.config import Config
from newsbeam.pipeline.lock import LockHeld
from newsbeam.pipeline.logs import configure_logging, tell
from newsbeam.pipeline.run import execute, new_run_id
from newsbeam.transforms.write.commit import CommitError


class _Stopper:
    """The signal handler of a watch: the first SIGINT or SIGTERM asks to stop after the running
    cycle (and says so at once); a second SIGINT during a cycle stops it now (``now`` is set and
    KeyboardInterrupt raised, as in a run)."""

    def __init__(self):
        self.stop, self.now = threading.Event(), threading.Event()
        self.cycle, self.running = 0, False

    def __call__(self, signum, frame):
        if signum == signal.SIGINT and self.stop.is_set() and self.running:
            self.now.set()
            logging.getLogger("apache_beam").setLevel(logging.CRITICAL + 1)  # no traceback of the stage
            raise KeyboardInterrupt
        first = not self.stop.is_set()
        self.stop.set()
        if first and self.running:
            tell(f"finishing cycle {self.cycle}; press Ctrl-C again to stop now" if signum == signal.SIGINT
                 else f"finishing cycle {self.cycle}, then stopping", logging.WARNING)


def watch(config: Config, beam_argv: list[str], interval: float, cycles: Optional[int] = None) -> int:
    """Cycles of a run until SIGINT/SIGTERM (or ``cycles``), one log line per cycle; returns how
    many ran. A failed cycle is logged and the next one runs. UsageError when the configuration
    cannot run at all; Interrupted when a second Ctrl-C stopped a cycle."""
    stopper = _Stopper()
    stop = stopper.stop
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stopper)
    configure_logging(config.log_level, config.log_format, "watch")
    log = logging.getLogger("newsbeam.watch")
    log.info("watching: a cycle every %.0f s; SIGINT or SIGTERM stops after the current cycle", interval)
    cycle = 0
    while not stop.is_set() and (cycles is None or cycle < cycles):
        cycle += 1
        started = time.monotonic()
        run_id = new_run_id()
        configure_logging(config.log_level, config.log_format, run_id)
        stopper.cycle, stopper.running = cycle, True
        try:
            report = execute(dataclasses.replace(config, run_id=run_id), beam_argv, command="watch",
                             interrupted=stopper.now)
        except (LockHeld, CommitError) as exc:  # another writer, or an earlier commit still unfinished
            log.warning("cycle %d skipped: %s", cycle, exc)
            report = None
        finally:
            stopper.running = False
        if report is not None:
            c = report.counts
            log.info(
                "cycle %d %s in %.1f s: %d items, %d articles, %d duplicates, %d errors, %d skipped%s",
                cycle, report.status, report.seconds, c["input_items"], c["articles"], c["duplicates"],
                c["errors"], c["skipped"], "; nothing new" if report.nothing_new else "")
        if cycles is not None and cycle >= cycles:
            break
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
    configure_logging(config.log_level, config.log_format, "watch")
    log.info("stopped after %d cycle(s)", cycle)
    return cycle
