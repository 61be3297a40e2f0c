"""Dedup stage: every story once in ``articles``, every copy traced in ``duplicates``.

In order: items an earlier run already wrote are skipped (:mod:`.seen`); exact
copies within the run collapse (:mod:`.exact`); near-duplicates, within the run
and against earlier runs' articles, cluster (:mod:`.minhash`, :mod:`.near`);
and the kept articles are annotated with their cluster (:mod:`.clusters`).
"""
from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.dedup.clusters import AnnotateClusters
from newsbeam.transforms.dedup.exact import ExactDedup
from newsbeam.transforms.dedup.near import MAX_BUCKET, AddMinHash, NearDuplicates
from newsbeam.transforms.dedup.seen import SKIPPED_COUNTER, SkipSeen
from newsbeam.transforms.isolation import ERRORS

DUPLICATES = "duplicates"

__all__ = ["Deduplicate", "ExactDedup", "SkipSeen", "NearDuplicates", "AnnotateClusters", "SKIPPED_COUNTER",
           "DUPLICATES"]


class Deduplicate(beam.PTransform):
    """``{"articles", "history"}`` in; ``{"articles", "duplicates", "errors"}`` out.

    ``history`` holds rows earlier runs wrote (see ``pipeline/history.py``):
    ``table``, ``article_id``, ``url``, ``content_hash``, ``published_at``,
    ``outlet_name`` and, for articles, ``minhash``.
    """

    def __init__(self, max_bucket: int = MAX_BUCKET):
        super().__init__()
        self._max_bucket = max_bucket

    def expand(self, inputs):
        history = inputs["history"]
        unseen = {"articles": inputs["articles"], "history": history} | "SkipSeen" >> SkipSeen()
        exact = unseen | "Exact" >> ExactDedup()
        signed = exact["articles"] | "MinHash" >> beam.ParDo(AddMinHash()).with_outputs(ERRORS, main="articles")
        near = {"articles": signed.articles, "history": history} | "Near" >> NearDuplicates(self._max_bucket)
        copies = (exact[DUPLICATES], near[DUPLICATES]) | "AllCopies" >> beam.Flatten()
        clustered = ({"articles": near["articles"], "duplicates": copies, "moved": near["moved"]}
                     | "Clusters" >> AnnotateClusters())
        return {**clustered, ERRORS: signed[ERRORS]}
