"""Near-duplicates: MinHash LSH candidates, verified, joined into one cluster per story.

Band keys are Beam keys: documents sharing a band meet in one GroupByKey
bucket, and only they are compared (never all pairs). A bucket larger than
``max_bucket`` keeps its first members (by id) and is counted as oversized.
Candidate pairs are verified against both signatures (two CoGroupByKey joins)
and the verified pairs are joined into connected components. Each component
keeps one article: an article an earlier run wrote, if there is one (it is
already published in the output), else the earliest published, ties to the
smallest id. The others become ``near_duplicate`` rows pointing at it.
"""
from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.dedup.minhash import THRESHOLD, MinHasher, band_keys, estimate
from newsbeam.transforms.isolation import ItemFn
from newsbeam.transforms.names import (ARTICLES, DUPLICATES, MOVED, NEAR_DUPLICATE, OVERSIZED_BUCKET_MEMBERS,
                                       OVERSIZED_BUCKETS, STAGE_DEDUP, counter, duplicates_metric)
from newsbeam.transforms.records import Article, Duplicate

MAX_BUCKET = 100


class AddMinHash(ItemFn):
    """Articles in; the same with their ``minhash`` signature (512 bytes) added."""
    STAGE = STAGE_DEDUP

    def setup(self):
        self._hasher = MinHasher()

    def handle(self, article: Article):
        yield article._replace(minhash=self._hasher.signature(article.text).tobytes())


def _ref(article_id: str, published, source: str, locator: str, history: bool) -> tuple:
    """What a bucket needs to know of a document: id, earlier run or not, keep order."""
    order = ("" if history else "~",  # an article already written wins its cluster
             "~" if published is None else published.isoformat(), article_id, source or "", locator or "")
    return article_id, history, order


def _current_ref(article: Article) -> tuple:
    return _ref(article.article_id, article.published_at, article.source, article.locator, False), article.minhash


def _history_ref(row: dict) -> tuple:
    """The same for a row an earlier run wrote (a dict of its columns, see ``.history``)."""
    return _ref(row["article_id"], row.get("published_at"), row.get("source"), row.get("locator"), True), \
        row["minhash"]


def _shared_bands(ref_signature, run_keys):
    """A history row with the bands it shares with this run, if any."""
    ref, signature = ref_signature
    shared = [key for key in band_keys(signature) if key in run_keys]
    if shared:
        yield (ref, signature), shared


class _PairsFn(beam.DoFn):
    def __init__(self, max_bucket: int):
        self._max_bucket = max_bucket
        self._oversized = counter(OVERSIZED_BUCKETS)
        self._dropped = counter(OVERSIZED_BUCKET_MEMBERS)

    def process(self, bucket):
        _, refs = bucket
        members = sorted(set(refs), key=lambda r: r[0])
        if len(members) > self._max_bucket:
            self._oversized.inc()
            self._dropped.inc(len(members) - self._max_bucket)
            members = members[:self._max_bucket]
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if not (a[1] and b[1]) and a[0] != b[0]:  # pairs within the history were settled before
                    yield f"{a[0]}|{b[0]}", (a, b)


def _attach_a(keyed):
    _, grouped = keyed
    signatures = list(grouped["signature"])
    for a, b in grouped["pairs"]:
        if signatures:
            yield b[0], (a, b, signatures[0])


def _verify(keyed):
    _, grouped = keyed
    signatures = list(grouped["signature"])
    for a, b, signature_a in grouped["pairs"]:
        if signatures:
            similarity = estimate(signature_a, signatures[0])
            if similarity >= THRESHOLD:
                yield {"a": a, "b": b, "similarity": similarity, "sig_a": signature_a, "sig_b": signatures[0]}


def _components(edges: list):
    """Union-find over the verified pairs; for every current article that is not the one its
    component keeps: (article_id, (kept_id, similarity to the kept article))."""
    parent, refs, signatures = {}, {}, {}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for edge in sorted(edges, key=lambda e: (e["a"][0], e["b"][0])):
        for ref, signature in ((edge["a"], edge["sig_a"]), (edge["b"], edge["sig_b"])):
            parent.setdefault(ref[0], ref[0])
            refs[ref[0]], signatures[ref[0]] = ref, signature
        root_a, root_b = find(edge["a"][0]), find(edge["b"][0])
        if root_a != root_b:
            parent[max(root_a, root_b)] = min(root_a, root_b)
    members: dict[str, list] = {}
    for node in parent:
        members.setdefault(find(node), []).append(refs[node])
    for group in members.values():
        kept = min(group, key=lambda r: r[2])
        for ref in group:
            if ref[0] != kept[0] and not ref[1]:
                yield ref[0], (kept[0], round(estimate(signatures[ref[0]], signatures[kept[0]]), 4))


class _ApplyFn(beam.DoFn):
    def __init__(self):
        self._near = counter(duplicates_metric(NEAR_DUPLICATE))

    def process(self, keyed):
        article_id, grouped = keyed
        assigned = list(grouped["assigned"])
        for article in grouped["articles"]:
            if assigned:
                kept_id, similarity = assigned[0]
                self._near.inc()
                yield beam.pvalue.TaggedOutput(DUPLICATES, Duplicate.of(article, kept_id, NEAR_DUPLICATE, similarity))
            else:
                yield article
        for kept_id, _ in assigned:
            yield beam.pvalue.TaggedOutput(MOVED, (article_id, kept_id))


class NearDuplicates(beam.PTransform):
    """``{"articles", "history"}`` in (both with ``minhash``); ``articles`` (kept),
    ``duplicates`` (near_duplicate rows) and ``moved`` (loser id, kept id) out."""

    def __init__(self, max_bucket: int = MAX_BUCKET):
        super().__init__()
        self._max_bucket = max_bucket

    def expand(self, inputs):
        articles = inputs[ARTICLES]
        history = inputs["history"] | "WrittenArticles" >> beam.Filter(
            lambda h: h.get("table") == ARTICLES and h.get("minhash"))
        current = articles | "CurrentRefs" >> beam.Map(_current_ref)
        current_bands = current | "CurrentBands" >> beam.FlatMap(lambda rs: [(k, rs[0]) for k in band_keys(rs[1])])
        # Only history that shares a band with this run's articles can match: filter it against
        # the run's band keys (a side input the size of the run) before anything is shuffled.
        run_keys = beam.pvalue.AsSingleton(
            current_bands | "RunKeys" >> beam.Map(lambda kv: kv[0])
            | "GatherRunKeys" >> beam.combiners.ToList() | "AsSet" >> beam.Map(frozenset))
        candidates = (history
                      | "HistoryRefs" >> beam.Map(_history_ref)
                      | "SharesABand" >> beam.FlatMap(_shared_bands, run_keys))
        history_bands = candidates | "HistoryBands" >> beam.FlatMap(lambda c: [(k, c[0][0]) for k in c[1]])
        signatures = ((current | "CurrentSignatures" >> beam.Map(lambda rs: (rs[0][0], rs[1])),
                       candidates | "HistorySignatures" >> beam.Map(lambda c: (c[0][0][0], c[0][1])))
                      | "AllSignatures" >> beam.Flatten())
        pairs = ((current_bands, history_bands) | "AllBands" >> beam.Flatten()
                 | "GroupByBand" >> beam.GroupByKey()
                 | "CandidatePairs" >> beam.ParDo(_PairsFn(self._max_bucket))
                 | "GroupPairs" >> beam.GroupByKey()
                 | "OnePerPair" >> beam.Map(lambda kv: next(iter(kv[1]))))
        with_a = ({"pairs": pairs | "KeyByA" >> beam.Map(lambda p: (p[0][0], p)), "signature": signatures}
                  | "JoinSignatureA" >> beam.CoGroupByKey()
                  | "AttachA" >> beam.FlatMap(_attach_a))
        edges = ({"pairs": with_a, "signature": signatures}
                 | "JoinSignatureB" >> beam.CoGroupByKey()
                 | "Verify" >> beam.FlatMap(_verify))
        assigned = (edges
                    | "GatherEdges" >> beam.combiners.ToList()
                    | "Components" >> beam.FlatMap(_components))
        applied = ({"articles": articles | "ArticleById" >> beam.Map(lambda a: (a.article_id, a)),
                    "assigned": assigned}
                   | "JoinAssigned" >> beam.CoGroupByKey()
                   | "Apply" >> beam.ParDo(_ApplyFn()).with_outputs(DUPLICATES, MOVED, main=ARTICLES))
        return {ARTICLES: applied[ARTICLES], DUPLICATES: applied[DUPLICATES], MOVED: applied[MOVED]}
