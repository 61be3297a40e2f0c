"""Per-item fault isolation: whatever one item does inside a stage, it ends as that item's error row.

Every stage's per-item work runs in an :class:`ItemFn`. Its outputs are held
until the item is done, so an item that fails part-way emits nothing but one
error row (stage, error type, message, excerpt) and the run goes on; a bug or
a hostile input costs that item, never the run and never the next run.

The same class counts what the manifest's accounting needs: items are counted
where they are born (a stage that splits a file into items, or turns a feed into
entries), and every error row is counted by its stage.
"""
from __future__ import annotations

import re
from typing import Iterable

import apache_beam as beam

from newsbeam.transforms.names import ERRORS, ITEMS, counter, errors_metric
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
    where the stage gives birth to input items, every Document and error row it emits."""

    def __init__(self, births: bool):
        self._births = births
        self._items = counter(ITEMS)

    def count(self, outputs: Iterable) -> None:
        for output in outputs:
            if is_error(output):
                counter(errors_metric(output.value.stage)).inc()
                if self._births:
                    self._items.inc()
            elif self._births and isinstance(output, Document):
                self._items.inc()


class ItemFn(beam.DoFn):
    """Base of every per-item DoFn: subclasses set ``STAGE`` (and ``BIRTHS`` where their outputs
    are new input items) and implement ``handle(element)``, yielding outputs or
    ``TaggedOutput(ERRORS, row)``. An exception from ``handle`` makes the element one error row."""

    STAGE = ""
    BIRTHS = False

    def __init__(self):
        self._counter = OutputCounter(self.BIRTHS)

    def handle(self, element, *args, **kwargs) -> Iterable:
        raise NotImplementedError

    def process(self, element, *args, **kwargs):
        try:
            outputs = list(self.handle(element, *args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the item's own failure, never the run's
            outputs = [beam.pvalue.TaggedOutput(ERRORS, failure_row(element, self.STAGE, exc))]
        self._counter.count(outputs)
        yield from outputs
