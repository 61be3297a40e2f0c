"""Exact dedup within one run: each article once, every copy traced.

Two articles are the same when their canonical URLs are equal (``same_url``)
or their normalized texts are (``same_content``). Of each group the earliest
published is kept, ties going to the smallest ``article_id`` and then the
smallest source; the others become duplicate rows whose ``duplicate_of``
names the kept article. The rule depends on nothing but the rows, so the
result is the same whatever the runner, worker count or input order.
"""
from __future__ import annotations

import datetime as dt

import apache_beam as beam
from apache_beam.metrics import Metrics

from newsbeam.transforms.records import METRICS_NAMESPACE

DUPLICATES = "duplicates"
_LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc)

DUPLICATE_FIELDS = ("article_id", "source", "locator", "url", "outlet_name", "title", "published_at",
                    "date_source", "content_hash", "ingested_at", "run_id")


def keep_order(article: dict) -> tuple:
    """Sort key: the first article in this order is the one a group keeps."""
    published = article.get("published_at")
    return (published is None, published or _LATEST, article["article_id"], article["source"],
            article.get("locator", ""))


def duplicate_row(article: dict, kept_id: str, reason: str) -> dict:
    row = {field: article.get(field) for field in DUPLICATE_FIELDS}
    row.update(duplicate_of=kept_id, reason=reason, similarity=1.0)
    return row


class _KeepFirstFn(beam.DoFn):
    """One group in; its first article out as kept, the others as duplicates."""

    def __init__(self, reason: str):
        self._reason = reason
        self._duplicates = Metrics.counter(METRICS_NAMESPACE, f"dedup.{reason}")

    def process(self, keyed):
        _, group = keyed
        ranked = sorted(group, key=keep_order)
        kept = ranked[0]
        yield kept
        for other in ranked[1:]:
            self._duplicates.inc()
            yield beam.pvalue.TaggedOutput(DUPLICATES, duplicate_row(other, kept["article_id"], self._reason))


def _url_key(article: dict) -> str:
    # Articles without a URL are each their own group here; content catches their copies.
    if article.get("url"):
        return "url:" + article["url"]
    return "none:" + "\x1f".join((article["article_id"], article["source"], article.get("locator", "")))


def _repoint(keyed):
    """Duplicates of an article that itself lost the content round point at its winner."""
    _, grouped = keyed
    winners = list(grouped["winner"])
    for duplicate in grouped["duplicates"]:
        if winners:
            duplicate = {**duplicate, "duplicate_of": winners[0]}
        yield duplicate


class ExactDedup(beam.PTransform):
    """Articles in; ``articles`` (kept) and ``duplicates`` out."""

    def expand(self, articles):
        by_url = (articles
                  | "KeyByUrl" >> beam.Map(lambda a: (_url_key(a), a))
                  | "GroupByUrl" >> beam.GroupByKey()
                  | "KeepFirstOfUrl" >> beam.ParDo(_KeepFirstFn("same_url")).with_outputs(DUPLICATES, main="kept"))
        by_content = (by_url.kept
                      | "KeyByContent" >> beam.Map(lambda a: (a["content_hash"], a))
                      | "GroupByContent" >> beam.GroupByKey()
                      | "KeepFirstOfContent" >> beam.ParDo(_KeepFirstFn("same_content")).with_outputs(
                          DUPLICATES, main="kept"))
        # A same_url duplicate must name the article finally kept, not one that lost on content.
        moved = (by_content.duplicates
                 | "LoserToWinner" >> beam.Map(lambda d: (d["article_id"], d["duplicate_of"]))
                 | "OnePerLoser" >> beam.Distinct())
        url_duplicates = (
            {"winner": moved,
             "duplicates": by_url.duplicates | "KeyByKept" >> beam.Map(lambda d: (d["duplicate_of"], d))}
            | "JoinKeptWinner" >> beam.CoGroupByKey()
            | "Repoint" >> beam.FlatMap(_repoint))
        duplicates = (url_duplicates, by_content.duplicates) | "AllDuplicates" >> beam.Flatten()
        return {"articles": by_content.kept, DUPLICATES: duplicates}
