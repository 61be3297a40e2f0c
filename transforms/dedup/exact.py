"""Exact copies: the same canonical URL, or the same normalized text, within the run and, for
the text, against every article an earlier run wrote.

Each group of items sharing a key becomes edges of the story graph (:mod:`.clusters`); which
of them is kept, and how each copy relates to it, is decided there, from the rows alone, so the
result is the same whatever the runner, worker count or input order.
"""
from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.dedup.keys import ItemKey, content_key, keep_order

CURRENT, HISTORY = 1, 0  # an article already written comes first in every story: it is published


def node(key: ItemKey) -> tuple:
    """A current item in the story graph: (keep order, reference)."""
    return (CURRENT, *keep_order(key)), ("item", key.item)


def history_node(row) -> tuple:
    """An article an earlier run wrote, as the story graph knows it (see :mod:`.index`)."""
    return (HISTORY, row.published_at is None, row.published_at or "", row.kept_id), ("kept", row.kept_id)


def group_edges(keyed) -> list:
    """The members of one key's group as edges to its first member: connected, whatever their number."""
    _, members = keyed
    ordered = sorted(set(members))
    return [(ordered[0], other) for other in ordered[1:]]


class ExactEdges(beam.PTransform):
    """``(keys, history rows)`` in; edges between items with the same URL or text out."""

    def expand(self, inputs):
        keys, history = inputs
        by_url = (keys
                  | "KeyByUrl" >> beam.FlatMap(lambda k: [(k.url, node(k))] if k.url else [])
                  | "GroupByUrl" >> beam.GroupByKey()
                  | "UrlEdges" >> beam.FlatMap(group_edges))
        current = keys | "KeyByContent" >> beam.Map(lambda k: (content_key(k.content_hash), node(k)))
        earlier = history | "HistoryByContent" >> beam.FlatMap(
            lambda row: [(row.key, history_node(row))] if row.kind == "content_key" else [])
        by_content = ((current, earlier) | "AllContent" >> beam.Flatten()
                      | "GroupByContent" >> beam.GroupByKey()
                      | "ContentEdges" >> beam.FlatMap(group_edges))
        return (by_url, by_content) | "ExactEdges" >> beam.Flatten()
