"""Finish dedup: every duplicate points at the article finally kept, and every kept
article says how often and where its story was republished in this run."""
from __future__ import annotations

from typing import Iterable

import apache_beam as beam

from newsbeam.transforms.dedup.exact import repoint
from newsbeam.transforms.names import ARTICLES, DUPLICATES, MOVED
from newsbeam.transforms.records import Article


def _annotate(keyed) -> Iterable[Article]:
    # Annotated: Beam's own inference of this generator guesses ints, and picks the wrong coder.
    _, grouped = keyed
    copies = list(grouped[DUPLICATES])
    outlets = tuple(sorted({d.outlet_name for d in copies if d.outlet_name}))
    for article in grouped[ARTICLES]:
        yield article._replace(cluster_id=article.article_id, duplicate_count=len(copies), duplicate_outlets=outlets)


class AnnotateClusters(beam.PTransform):
    """``{"articles", "duplicates", "moved"}`` in; ``articles`` with ``cluster_id``,
    ``duplicate_count`` and ``duplicate_outlets``, and ``duplicates`` repointed, out.
    ``moved`` maps an article that lost its cluster to the one kept."""

    def expand(self, inputs):
        duplicates = (
            {"kept": inputs[MOVED],
             "duplicates": inputs[DUPLICATES] | "KeyByKept" >> beam.Map(lambda d: (d.duplicate_of, d))}
            | "JoinMoved" >> beam.CoGroupByKey()
            | "Repoint" >> beam.FlatMap(repoint))
        articles = (
            {ARTICLES: inputs[ARTICLES] | "ArticleById" >> beam.Map(lambda a: (a.article_id, a)),
             DUPLICATES: duplicates | "KeyByFinalKept" >> beam.Map(lambda d: (d.duplicate_of, d))}
            | "JoinCopies" >> beam.CoGroupByKey()
            | "Annotate" >> beam.FlatMap(_annotate))
        return {ARTICLES: articles, DUPLICATES: duplicates}
