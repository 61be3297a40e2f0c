"""Per-item fault isolation: whatever one item does inside a stage, it ends as that item's error row.

Every stage's per-item work runs in an :class:`ItemFn`. Its outputs are held
until the item is done, so an item that fails part-way emits nothing but one
error row (stage, error type, message, excerpt) and the run goes on; a bug or
a hostile input costs that item, never the run and never the next run.

Where an item waits for work done elsewhere (a page extracted in another process),
:class:`DeferredItemFn` lets later items begin meanwhile, with the same promise.

The same class counts what the manifest's accounting needs: items are counted
where they are born (a stage that splits a file into items, or turns a feed into
entries), and every error row is counted by its stage.
"""
from __future__ import annotations

import itertools
import re
from typing import Generator, Iterable, NamedTuple, Optional

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from newsbeam.transforms.names import ERRORS, ITEMS, READ_SOURCES, counter, errors_metric
from newsbeam.transforms.progress import FOUND, SOURCES, Marks
from newsbeam.transforms.records import Article, Document, error_row

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def error_type_of(exc: BaseException) -> str:
    """``UnicodeEncodeError`` -> ``unicode_encode_error``: the error_type of an unexpected failure."""
    return _CAMEL.sub("_", type(exc).__name__).lower()


def _where(element) -> tuple[str, str, object]:
    """(source, locator, excerpt) of whatever element a stage was handling."""
    if isinstance(element, Article):
        return element.source, element.locator, element.text
    if isinstance(element, Document):
        return element.source, element.locator, element.body
    source = getattr(element, "path", None) or getattr(element, "url", None) or getattr(element, "source", None)
    if source is not None:
        return str(source), getattr(element, "locator", "") or "", getattr(element, "data", b"")
    return "", "", repr(element)[:300]


def failure_row(element, stage: str, exc: BaseException) -> dict:
    """The error row of an element whose handling raised ``exc``."""
    source, locator, excerpt = _where(element)
    return error_row(source, stage, error_type_of(exc), f"{type(exc).__name__}: {exc}", excerpt, locator)


def is_error(output) -> bool:
    return isinstance(output, beam.pvalue.TaggedOutput) and output.tag == ERRORS


class OutputCounter:
    """Counts one stage's outputs into the run's accounting: error rows by their stage, and,
    where the stage gives birth to input items, every Document and error row it emits.

    It also marks the run's live progress (``transforms.progress``): each Document born, and,
    where the stage names one, an event per item handled (``progress``)."""

    def __init__(self, births: bool, progress: Optional[str] = None):
        self._births = births
        self._items = counter(ITEMS)
        self._progress = progress
        self._marks = Marks()
        self._sources = counter(READ_SOURCES)

    def mark(self, kind: str, n: int = 1) -> None:
        """A progress event; sources done are a metric too, for runners that report metrics live."""
        self._marks.add(kind, n)
        if kind == SOURCES:
            self._sources.inc(n)

    def count(self, outputs: Iterable) -> None:
        if self._progress:
            self.mark(self._progress)
        for output in outputs:
            if is_error(output):
                counter(errors_metric(output.value.stage)).inc()
                if self._births:
                    self._items.inc()
            elif self._births and isinstance(output, Document):
                self._items.inc()
                self.mark(FOUND)


class ItemFn(beam.DoFn):
    """Base of every per-item DoFn: subclasses set ``STAGE`` (and ``BIRTHS`` where their outputs
    are new input items) and implement ``handle(element)``, yielding outputs or
    ``TaggedOutput(ERRORS, row)``. An exception from ``handle`` makes the element one error row."""

    STAGE = ""
    BIRTHS = False
    PROGRESS: Optional[str] = None  # the progress event of each item handled, if any

    def __init__(self):
        self._counter = OutputCounter(self.BIRTHS, self.PROGRESS)

    def handle(self, element, *args, **kwargs) -> Iterable:
        raise NotImplementedError

    def process(self, element, *args, **kwargs):
        try:
            outputs = list(self.handle(element, *args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the item's own failure, never the run's
            outputs = [beam.pvalue.TaggedOutput(ERRORS, failure_row(element, self.STAGE, exc))]
        self._counter.count(outputs)
        yield from outputs


class Await(NamedTuple):
    """Yielded by a :class:`DeferredItemFn`'s ``handle`` to have ``job`` done elsewhere without holding up
    the other items; the item resumes with the job's outcome as the value of the ``yield``."""
    job: object


class _Item(NamedTuple):
    element: object
    window: object
    timestamp: object
    steps: Generator  # handle(element), running
    outputs: list  # held until the item ends


class DeferredItemFn(ItemFn):
    """An ItemFn whose items can wait for work done elsewhere (a pool of processes) while later items
    begin, so that several items are under way at once.

    ``handle`` yields ``Await(job)`` where it needs such work; the job goes to ``submit(ticket, job)``, and
    the item resumes with the job's outcome once ``finished`` hands back (ticket, outcome). Items end in
    any order, in this ``process`` call, a later one or ``finish_bundle``, and each ends as with ItemFn: as
    its own outputs, in its own window, or as its one error row. While ``full()``, ``process`` waits for
    outcomes before it returns, which bounds the items held at once.
    """

    def submit(self, ticket: int, job) -> None:
        raise NotImplementedError

    def finished(self, wait: bool) -> Iterable[tuple[int, object]]:
        """(ticket, outcome) of the jobs done since the last call; with ``wait``, at least one unless
        none is under way."""
        raise NotImplementedError

    def full(self) -> bool:
        raise NotImplementedError

    def start_bundle(self):
        self._waiting: dict[int, _Item] = {}
        self._tickets = itertools.count()

    def process(self, element, window=beam.DoFn.WindowParam, timestamp=beam.DoFn.TimestampParam):
        yield from self._advance(_Item(element, window, timestamp, self._steps(element), []))
        while self._waiting and self.full():
            yield from self._collect(wait=True)
        yield from self._collect(wait=False)

    def finish_bundle(self):
        while self._waiting:
            yield from self._collect(wait=True)

    def _steps(self, element) -> Generator:
        return (yield from self.handle(element))

    def _collect(self, wait: bool):
        try:
            done, failed = list(self.finished(wait)), False
        except Exception as exc:  # noqa: BLE001 - the jobs' machinery failed: each item waiting on it hears so
            done, failed = [(ticket, exc) for ticket in self._waiting], True
        for ticket, outcome in done:
            item = self._waiting.pop(ticket, None)
            if item is not None:
                yield from self._advance(item, **{"throw" if failed else "send": outcome})

    def _advance(self, item: _Item, send=None, throw=None):
        """Run the item on until it waits for a job (nothing to emit yet) or ends (its outputs, windowed)."""
        try:
            while True:
                step = item.steps.throw(throw) if throw is not None else item.steps.send(send)
                send = throw = None
                if not isinstance(step, Await):
                    item.outputs.append(step)
                    continue
                ticket = next(self._tickets)
                try:
                    self.submit(ticket, step.job)
                except Exception as exc:  # noqa: BLE001 - the item hears of it, and decides
                    throw = exc
                    continue
                self._waiting[ticket] = item
                return
        except StopIteration:
            outputs = item.outputs
        except Exception as exc:  # noqa: BLE001 - the item's own failure, never the run's
            outputs = [beam.pvalue.TaggedOutput(ERRORS, failure_row(item.element, self.STAGE, exc))]
        self._counter.count(outputs)
        for output in outputs:
            tagged = isinstance(output, beam.pvalue.TaggedOutput)
            windowed = WindowedValue(output.value if tagged else output, item.timestamp, (item.window,))
            yield beam.pvalue.TaggedOutput(output.tag, windowed) if tagged else windowed
