"""Stories: connected components of the exact and near-duplicate edges, one kept article each.

Each component keeps one article: an article an earlier run wrote, if there is one (it is
already published in the output), else the earliest published, ties to the smallest id. Every
other item of this run in it becomes a duplicates row pointing at that article, with the
reason and similarity of its own relation to it (:func:`.keys.relation`), whatever chain of
copies joined it to the story. The kept article says how often, and where, its story was
republished in this run. The components are formed by a union-find over the edges on one
worker: the edges are the duplicates only, a small share of the data.
"""
from __future__ import annotations

from typing import Iterable

import apache_beam as beam

from newsbeam.transforms.dedup.index import row_of
from newsbeam.transforms.dedup.keys import Decision, Kept, relation
from newsbeam.transforms.names import ARTICLES, DUPLICATES, INDEX, SKIPPED, counter, duplicates_metric

MEMBERS = "members"


def components(edges: list) -> Iterable[tuple]:
    """Union-find over the edges; for every item of this run in a story: (item, (story, kept))
    where ``kept`` is the reference of the node the story keeps."""
    parent: dict = {}
    order: dict = {}

    def find(ref):
        while parent[ref] != ref:
            parent[ref] = parent[parent[ref]]
            ref = parent[ref]
        return ref

    for a, b in sorted(edges):
        for node_order, ref in (a, b):
            parent.setdefault(ref, ref)
            order[ref] = min(order.get(ref, node_order), node_order)
        root_a, root_b = find(a[1]), find(b[1])
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    stories: dict = {}
    for ref in parent:
        stories.setdefault(find(ref), []).append(ref)
    for members in stories.values():
        kept = min(members, key=lambda ref: (order[ref], ref))
        story = f"{kept[0]}:{kept[1]}"
        for ref in members:
            if ref[0] == "item":
                yield ref[1], (story, kept)


class _DecideFn(beam.DoFn):
    """One story's items of this run in; each one's Decision and index row out."""

    def __init__(self):
        self._counters = {}

    def process(self, keyed, history_kept: dict):
        _, members = keyed
        members = sorted(members, key=lambda pair: pair[0].item)
        kept_ref = members[0][1]
        keys = [key for key, _ in members]
        if kept_ref[0] == "item":
            (kept_key,) = [key for key in keys if key.item == kept_ref[1]]
            kept = Kept.of(kept_key)
        else:
            kept_key, kept = None, history_kept[kept_ref[1]]
        copies = [key for key in keys if key is not kept_key]
        for key in copies:
            reason, similarity = relation(key, kept)
            self._count(reason)
            yield Decision(key.item, key.partition, kept.article_id, reason, similarity)
            yield beam.pvalue.TaggedOutput(INDEX, row_of(key, DUPLICATES, kept.article_id, reason, similarity))
        if kept_key is not None:
            outlets = tuple(sorted({key.outlet_name for key in copies if key.outlet_name}))
            yield Decision(kept_key.item, kept_key.partition, duplicate_count=len(copies), duplicate_outlets=outlets)
            yield beam.pvalue.TaggedOutput(INDEX, row_of(kept_key, ARTICLES, kept_key.article_id))

    def _count(self, reason: str) -> None:
        if reason not in self._counters:
            self._counters[reason] = counter(duplicates_metric(reason))
        self._counters[reason].inc()


class _PlaceFn(beam.DoFn):
    """One item's key, its story (if it is in one) and whether an earlier run wrote it, in: an
    item skipped is counted; an item alone is an article; a story's member goes to its story."""

    def __init__(self):
        self._skipped = counter(SKIPPED)

    def process(self, keyed):
        _, grouped = keyed
        keys, stories = list(grouped["key"]), list(grouped["story"])
        if not keys:
            return
        if list(grouped["seen"]):
            self._skipped.inc(len(keys))
            return
        for key in keys:
            if stories:
                story, kept = stories[0]
                yield beam.pvalue.TaggedOutput(MEMBERS, (story, (key, kept)))
            else:
                yield Decision(key.item, key.partition)
                yield beam.pvalue.TaggedOutput(INDEX, row_of(key, ARTICLES, key.article_id))


class DecideStories(beam.PTransform):
    """``(keys, edges, seen items, history article rows)`` in; ``decisions`` (one per key not
    seen before) and ``index`` rows out; skipped items counted."""

    def expand(self, inputs):
        keys, edges, seen, kept_rows = inputs
        stories = (edges
                   | "DropSeen" >> beam.Filter(
                       lambda edge, skip: not {ref[1] for ref in (edge[0][1], edge[1][1]) if ref[0] == "item"} & skip,
                       beam.pvalue.AsSingleton(seen | "GatherSeen" >> beam.combiners.ToSet()))
                   | "GatherEdges" >> beam.combiners.ToList()
                   | "Components" >> beam.FlatMap(components))
        placed = ({"key": keys | "KeyByItem" >> beam.Map(lambda key: (key.item, key)), "story": stories,
                   "seen": seen | "SeenByItem" >> beam.Map(lambda item: (item, True))}
                  | "JoinByItem" >> beam.CoGroupByKey()
                  | "Place" >> beam.ParDo(_PlaceFn()).with_outputs(MEMBERS, INDEX, main="decisions"))
        history_kept = beam.pvalue.AsDict(kept_rows | "KeptInfo" >> beam.Map(
            lambda row: (row.article_id, Kept(row.article_id, row.url_key, row.content_key, row.minhash))))
        decided = (placed[MEMBERS]
                   | "GroupByStory" >> beam.GroupByKey()
                   | "Decide" >> beam.ParDo(_DecideFn(), history_kept).with_outputs(INDEX, main="decisions"))
        decisions = (placed["decisions"], decided["decisions"]) | "AllDecisions" >> beam.Flatten()
        index = (placed[INDEX], decided[INDEX]) | "AllIndexRows" >> beam.Flatten()
        return {"decisions": decisions, INDEX: index}
