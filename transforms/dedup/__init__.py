"""Dedup stage: every story once in ``articles``, every copy traced in ``duplicates``.

Dedup decides on keys, never on text (:mod:`.keys`): the run's keys are matched against the
output's dedup index (:mod:`.index`); items an earlier run already wrote are skipped
(:mod:`.seen`); exact copies (:mod:`.exact`) and near-duplicates (:mod:`.minhash`,
:mod:`.near`), within the run and against earlier runs' articles, join into stories, and each
story keeps one article (:mod:`.clusters`). The outcome is one Decision per item and the index
rows this run adds.
"""
from __future__ import annotations

import apache_beam as beam
import numpy as np

from newsbeam.transforms.dedup.clusters import DecideStories
from newsbeam.transforms.dedup.exact import ExactEdges
from newsbeam.transforms.dedup.index import MatchIndex, RunKeys, RunKeysFn
from newsbeam.transforms.dedup.near import MAX_BUCKET, NearEdges
from newsbeam.transforms.dedup.seen import SeenItems
from newsbeam.transforms.dedup.keys import id_key
from newsbeam.transforms.names import ARTICLES, DAMAGED, DUPLICATES, INDEX, ROWS

__all__ = ["Deduplicate", "SeenItems", "ExactEdges", "NearEdges", "DecideStories", "MatchIndex"]


def _kept_of_copies(rows: list) -> RunKeys:
    """The keys to look up the articles that earlier duplicates rows matched by text point at."""
    ids = sorted({id_key(row.kept_id) for row in rows if row.table == DUPLICATES and row.kind == "content_key"})
    nothing = np.empty(0, dtype=np.int64)
    return RunKeys(url_key=nothing, source_key=nothing, content_key=nothing, id_key=np.asarray(ids, dtype=np.int64),
                   bands=nothing, window=frozenset())


class Deduplicate(beam.PTransform):
    """ItemKeys in; ``decisions`` (one per key not skipped), ``index`` rows and ``damaged`` index
    files out. Skipped items are counted (``dedup.skipped_seen``)."""

    def __init__(self, output: str, window_days: int, ingest_date: str, max_bucket: int = MAX_BUCKET):
        super().__init__()
        self._output = output
        self._window_days = window_days
        self._ingest_date = ingest_date
        self._max_bucket = max_bucket

    def expand(self, keys):
        wanted = keys | "RunKeys" >> beam.CombineGlobally(RunKeysFn(self._window_days, self._ingest_date))
        history = wanted | "MatchIndex" >> MatchIndex(self._output)
        # A text an earlier duplicates row holds points at the article that row names: look it up.
        copies_of = (history[ROWS] | "GatherContentRows" >> beam.combiners.ToList()
                     | "KeptOfCopies" >> beam.Map(_kept_of_copies))
        kept_of_copies = copies_of | "MatchKeptOfCopies" >> MatchIndex(self._output)
        seen = (history[ROWS], wanted) | "Seen" >> SeenItems()
        edges = ((keys, history[ROWS]) | "Exact" >> ExactEdges(),
                 (keys, history[ROWS]) | "Near" >> NearEdges(self._max_bucket)) | "AllEdges" >> beam.Flatten()
        kept_rows = ((history[ROWS], kept_of_copies[ROWS]) | "AllHistoryRows" >> beam.Flatten()
                     | "ArticleRows" >> beam.Filter(lambda row: row.table == ARTICLES))
        stories = (keys, edges, seen, kept_rows) | "Stories" >> DecideStories()
        damaged = (history[DAMAGED], kept_of_copies[DAMAGED]) | "AllDamaged" >> beam.Flatten()
        return {"decisions": stories["decisions"], INDEX: stories[INDEX], DAMAGED: damaged}
