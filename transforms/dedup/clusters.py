"""Finish dedup: every duplicate points at the article finally kept, and every kept
article says how often and where its story was republished in this run."""
from __future__ import annotations

import apache_beam as beam


def _repoint(keyed):
    _, grouped = keyed
    winners = list(grouped["moved"])
    for duplicate in grouped["duplicates"]:
        yield {**duplicate, "duplicate_of": winners[0]} if winners else duplicate


def _annotate(keyed):
    _, grouped = keyed
    copies = list(grouped["duplicates"])
    outlets = sorted({d["outlet_name"] for d in copies if d.get("outlet_name")})
    for article in grouped["articles"]:
        yield {**article, "cluster_id": article["article_id"], "duplicate_count": len(copies),
               "duplicate_outlets": outlets}


class AnnotateClusters(beam.PTransform):
    """``{"articles", "duplicates", "moved"}`` in; ``articles`` with ``cluster_id``,
    ``duplicate_count`` and ``duplicate_outlets``, and ``duplicates`` repointed, out.
    ``moved`` maps an article that lost its cluster to the one kept."""

    def expand(self, inputs):
        duplicates = (
            {"moved": inputs["moved"],
             "duplicates": inputs["duplicates"] | "KeyByKept" >> beam.Map(lambda d: (d["duplicate_of"], d))}
            | "JoinMoved" >> beam.CoGroupByKey()
            | "Repoint" >> beam.FlatMap(_repoint))
        articles = (
            {"articles": inputs["articles"] | "ArticleById" >> beam.Map(lambda a: (a["article_id"], a)),
             "duplicates": duplicates | "KeyByFinalKept" >> beam.Map(lambda d: (d["duplicate_of"], d))}
            | "JoinCopies" >> beam.CoGroupByKey()
            | "Annotate" >> beam.FlatMap(_annotate))
        return {"articles": articles, "duplicates": duplicates}
