"""The items an earlier run already wrote: the same canonical URL, or the same source and place.

The seen set is the output's own dedup index (:mod:`.index`), matched against this run's keys
there, so only matching keys ever reach this step, as the numbers of the items they skip. A
copy of an earlier article from elsewhere (another URL, another source) is not skipped: it
becomes a duplicates row pointing at that article (see :mod:`.clusters`), whichever run it
arrives in.
"""
from __future__ import annotations

import apache_beam as beam
import numpy as np

from newsbeam.transforms.dedup.index import HistoryRow, MatchIndex, RunKeys
from newsbeam.transforms.dedup.keys import url_key
from newsbeam.transforms.extract.ids import canonical_url
from newsbeam.transforms.names import ROWS, SKIPPED, counter
from newsbeam.transforms.progress import DROPPED, Marks


def skipped_items(row: HistoryRow, wanted: RunKeys) -> list[int]:
    """The run's items an index row matched by URL or by source and place."""
    if row.kind == "source_key":
        return [row.key]
    if row.kind == "url_key":
        return wanted.items_of_url(row.key)
    return []


class SeenItems(beam.PTransform):
    """``(history rows, run keys)`` in; the numbers of the run's items an earlier run wrote out, once each."""

    def expand(self, inputs):
        history, wanted = inputs
        return (history
                | "SkippedItems" >> beam.FlatMap(skipped_items, beam.pvalue.AsSingleton(wanted))
                | "OncePerItem" >> beam.Distinct())


class _UrlKeysFn(beam.CombineFn):
    """URL keys in; a RunKeys asking the index for those URLs only."""

    def create_accumulator(self):
        return []

    def add_input(self, accumulator, key):
        accumulator.append(key)
        return accumulator

    def merge_accumulators(self, accumulators):
        return [key for accumulator in accumulators for key in accumulator]

    def extract_output(self, accumulator) -> RunKeys:
        nothing = np.empty(0, dtype=np.int64)
        return RunKeys(url_key=np.unique(np.asarray(accumulator, dtype=np.int64)), source_key=nothing,
                       content_key=nothing, id_key=nothing, bands=nothing, window=frozenset())


class _KeepUnwrittenFn(beam.DoFn):
    def __init__(self):
        self._skipped = counter(SKIPPED)
        self._marks = Marks()

    def process(self, keyed):
        _, grouped = keyed
        documents = list(grouped["document"])
        if list(grouped["written"]):
            self._skipped.inc(len(documents))
            self._marks.add(DROPPED, len(documents))
            return
        yield from documents


class SkipWrittenUrls(beam.PTransform):
    """Documents with a URL in (feed entries, before their pages are fetched); those whose
    canonical URL no earlier run wrote out. The others are counted as skipped, never fetched."""

    def __init__(self, output: str):
        super().__init__()
        self._output = output

    def expand(self, documents):
        keyed = documents | "KeyByUrl" >> beam.Map(lambda doc: (url_key(canonical_url(doc.url)) or 0, doc))
        wanted = keyed | "Keys" >> beam.Keys() | "UrlKeys" >> beam.CombineGlobally(_UrlKeysFn())
        written = ((wanted | "MatchIndex" >> MatchIndex(self._output))[ROWS]
                   | "WrittenUrls" >> beam.FlatMap(lambda row: [(row.key, True)] if row.kind == "url_key" else []))
        return ({"document": keyed, "written": written}
                | "JoinWritten" >> beam.CoGroupByKey()
                | "KeepUnwritten" >> beam.ParDo(_KeepUnwrittenFn()))
