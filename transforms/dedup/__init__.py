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
from newsbeam.transforms.dedup.seen import SkipSeen
from newsbeam.transforms.names import ARTICLES, DUPLICATES, ERRORS, MOVED

__all__ = ["Deduplicate", "ExactDedup", "SkipSeen", "NearDuplicates", "AnnotateClusters"]


class Deduplicate(beam.PTransform):
    """``{"articles", "history"}`` in; ``{"articles", "duplicates", "errors"}`` out.

    ``history`` holds rows earlier runs wrote (see :mod:`.history`): ``table`` and the exact
    keys ``article_id``, ``url``, ``content_hash`` of every row, and for articles dated within
    the window also ``published_at``, ``outlet_name``, ``source``, ``locator`` and ``minhash``.
    """

    def __init__(self, max_bucket: int = MAX_BUCKET):
        super().__init__()
        self._max_bucket = max_bucket

    def expand(self, inputs):
        history = inputs["history"]
        unseen = {ARTICLES: inputs[ARTICLES], "history": history} | "SkipSeen" >> SkipSeen()
        exact = unseen | "Exact" >> ExactDedup()
        signed = exact[ARTICLES] | "MinHash" >> beam.ParDo(AddMinHash()).with_outputs(ERRORS, main=ARTICLES)
        near = {ARTICLES: signed[ARTICLES], "history": history} | "Near" >> NearDuplicates(self._max_bucket)
        copies = (exact[DUPLICATES], near[DUPLICATES]) | "AllCopies" >> beam.Flatten()
        clustered = ({ARTICLES: near[ARTICLES], DUPLICATES: copies, MOVED: near[MOVED]}
                     | "Clusters" >> AnnotateClusters())
        return {**clustered, ERRORS: signed[ERRORS]}
