"""Near-duplicates: MinHash LSH candidates, verified on their signatures.

Band keys are Beam keys: items sharing a band meet in one GroupByKey bucket, and only they are
compared (never all pairs); articles of earlier runs dated within the window take part through
the index rows that share a band with this run. A bucket larger than ``max_bucket`` keeps its
first members and is counted as oversized. What the buckets move is a band key and an item
number; each candidate pair then meets both signatures in one join and is verified (estimated
Jaccard at or above the threshold). Verified pairs are edges of the story graph (:mod:`.clusters`).
"""
from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.dedup.exact import history_node, node
from newsbeam.transforms.dedup.minhash import THRESHOLD, band_keys, estimate
from newsbeam.transforms.names import OVERSIZED_BUCKET_MEMBERS, OVERSIZED_BUCKETS, counter

MAX_BUCKET = 100


class _PairsFn(beam.DoFn):
    """One band's bucket in; its candidate pairs of references out (never two articles of earlier
    runs: their pairs were settled when the later of them was written)."""

    def __init__(self, max_bucket: int):
        self._max_bucket = max_bucket
        self._oversized = counter(OVERSIZED_BUCKETS)
        self._dropped = counter(OVERSIZED_BUCKET_MEMBERS)

    def process(self, bucket):
        _, refs = bucket
        members = sorted(set(refs))
        if len(members) > self._max_bucket:
            self._oversized.inc()
            self._dropped.inc(len(members) - self._max_bucket)
            members = members[:self._max_bucket]
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if a[0] == "item" or b[0] == "item":
                    yield a, b


def _with_signatures(keyed):
    """One reference's signature and node, and the pairs it is in; each pair with them out."""
    _, grouped = keyed
    signed = list(grouped["signature"])
    if not signed:
        return
    for pair in grouped["pairs"]:
        yield pair, signed[0]


def _verify(keyed):
    """A pair with both (node, signature): an edge when the signatures agree enough."""
    _, both = keyed
    both = list(both)
    if len(both) == 2 and estimate(both[0][1], both[1][1]) >= THRESHOLD:
        yield both[0][0], both[1][0]


class NearEdges(beam.PTransform):
    """``(keys, history rows)`` in; edges between verified near-duplicates out."""

    def __init__(self, max_bucket: int = MAX_BUCKET):
        super().__init__()
        self._max_bucket = max_bucket

    def expand(self, inputs):
        keys, history = inputs
        window = history | "WindowArticles" >> beam.Filter(lambda row: row.kind == "band")
        bands = ((keys | "CurrentBands" >> beam.FlatMap(
                      lambda k: [(band, ("item", k.item)) for band in band_keys(k.minhash)]),
                  window | "HistoryBands" >> beam.Map(lambda row: (row.key, ("kept", row.kept_id))))
                 | "AllBands" >> beam.Flatten())
        pairs = (bands
                 | "GroupByBand" >> beam.GroupByKey()
                 | "CandidatePairs" >> beam.ParDo(_PairsFn(self._max_bucket))
                 | "OnePerPair" >> beam.Distinct())
        signatures = ((keys | "CurrentSignatures" >> beam.Map(lambda k: (("item", k.item), (node(k), k.minhash))),
                       window | "HistorySignatures" >> beam.Map(
                           lambda row: (("kept", row.kept_id), (history_node(row), row.minhash))))
                      | "AllSignatures" >> beam.Flatten())
        return ({"signature": signatures,
                 "pairs": pairs | "PairsBySide" >> beam.FlatMap(lambda pair: [(pair[0], pair), (pair[1], pair)])}
                | "JoinSignatures" >> beam.CoGroupByKey()
                | "PairSides" >> beam.FlatMap(_with_signatures)
                | "GroupPairSides" >> beam.GroupByKey()
                | "Verify" >> beam.FlatMap(_verify))
