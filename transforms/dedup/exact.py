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
from typing import Iterable

import apache_beam as beam

from newsbeam.transforms.names import ARTICLES, DUPLICATES, SAME_CONTENT, SAME_URL, counter, duplicates_metric
from newsbeam.transforms.records import Article, Duplicate

_LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def keep_order(article: Article) -> tuple:
    """Sort key: the first article in this order is the one a group keeps."""
    published = article.published_at
    return (published is None, published or _LATEST, article.article_id, article.source, article.locator)


def repoint(keyed) -> Iterable[Duplicate]:
    """(id, {"kept": [id kept instead], "duplicates": [...]}) in: the duplicates pointing at an
    article that itself lost its group now point at the article kept instead."""
    _, grouped = keyed
    kept = list(grouped["kept"])
    for duplicate in grouped["duplicates"]:
        yield duplicate._replace(duplicate_of=kept[0]) if kept else duplicate


class _KeepFirstFn(beam.DoFn):
    """One group in; its first article out as kept, the others as duplicates."""

    def __init__(self, reason: str):
        self._reason = reason
        self._duplicates = counter(duplicates_metric(reason))

    def process(self, keyed):
        _, group = keyed
        ranked = sorted(group, key=keep_order)
        kept = ranked[0]
        yield kept
        for other in ranked[1:]:
            self._duplicates.inc()
            yield beam.pvalue.TaggedOutput(DUPLICATES, Duplicate.of(other, kept.article_id, self._reason))


def _url_key(article: Article) -> str:
    # Articles without a URL are each their own group here; content catches their copies.
    if article.url:
        return "url:" + article.url
    return "none:" + "\x1f".join((article.article_id, article.source, article.locator))


class ExactDedup(beam.PTransform):
    """Articles in; ``articles`` (kept) and ``duplicates`` out."""

    def expand(self, articles):
        by_url = (articles
                  | "KeyByUrl" >> beam.Map(lambda a: (_url_key(a), a))
                  | "GroupByUrl" >> beam.GroupByKey()
                  | "KeepFirstOfUrl" >> beam.ParDo(_KeepFirstFn(SAME_URL)).with_outputs(DUPLICATES, main=ARTICLES))
        by_content = (by_url[ARTICLES]
                      | "KeyByContent" >> beam.Map(lambda a: (a.content_hash, a))
                      | "GroupByContent" >> beam.GroupByKey()
                      | "KeepFirstOfContent" >> beam.ParDo(_KeepFirstFn(SAME_CONTENT)).with_outputs(
                          DUPLICATES, main=ARTICLES))
        # A same_url duplicate must name the article finally kept, not one that lost on content.
        moved = (by_content[DUPLICATES]
                 | "LoserToWinner" >> beam.Map(lambda d: (d.article_id, d.duplicate_of))
                 | "OnePerLoser" >> beam.Distinct())
        url_duplicates = (
            {"kept": moved,
             "duplicates": by_url[DUPLICATES] | "KeyByKept" >> beam.Map(lambda d: (d.duplicate_of, d))}
            | "JoinKeptWinner" >> beam.CoGroupByKey()
            | "Repoint" >> beam.FlatMap(repoint))
        duplicates = (url_duplicates, by_content[DUPLICATES]) | "AllDuplicates" >> beam.Flatten()
        return {ARTICLES: by_content[ARTICLES], DUPLICATES: duplicates}
