"""Skip what an earlier run already wrote: same canonical URL, same content or same id.

The seen set is the output itself: the keys of every articles and duplicates
row ever written, whatever its date (see :mod:`.history`). It streams
past the run's own keys (a side input the size of the run) once, and only the
history keys that match one are joined with the articles (CoGroupByKey): the
cost per history row is a set lookup, and no worker holds the history.
"""
from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.names import ARTICLES, SKIPPED, counter
from newsbeam.transforms.records import Article
# An article id is derived from the URL or the content, so it repeats what the first two
# keys say; it is checked too because it is what must never be written twice.
SEEN_KEYS = ("url", "content_hash", "article_id")


def _unseen(keyed, counter):
    _, grouped = keyed
    if list(grouped["seen"]):
        for _ in grouped["current"]:
            counter.inc()
        return
    yield from grouped["current"]


class _KeepUnseenFn(beam.DoFn):
    def __init__(self):
        self._skipped = counter(SKIPPED)

    def process(self, keyed):
        yield from _unseen(keyed, self._skipped)


def _keys(row: dict) -> list[tuple[str, str]]:
    """(field, value) of each key a written row has."""
    return [(field, row[field]) for field in SEEN_KEYS if row.get(field)]


def _article_keys(article: Article) -> list[tuple[str, str]]:
    """(field, value) of each key an article has."""
    return [(field, getattr(article, field)) for field in SEEN_KEYS if getattr(article, field)]


def _key(article: Article, field: str) -> str:
    """The article's key of that field, or a key of its own that no history row has."""
    return getattr(article, field) or "\x1f".join(("none", article.article_id, article.source, article.locator))


class SkipSeen(beam.PTransform):
    """``{"articles", "history"}`` in; the articles whose URL, content and id no history row has."""

    def expand(self, inputs):
        articles, history = inputs[ARTICLES], inputs["history"]
        run_keys = beam.pvalue.AsSingleton(
            articles | "RunKeys" >> beam.FlatMap(_article_keys)
            | "GatherRunKeys" >> beam.combiners.ToList() | "AsKeySet" >> beam.Map(frozenset))
        matching = history | "MatchingKeys" >> beam.FlatMap(
            lambda row, wanted: [key for key in _keys(row) if key in wanted], run_keys)
        unseen = articles
        for field in SEEN_KEYS:
            label = field.title().replace("_", "")
            seen_keys = matching | f"HistoryBy{label}" >> beam.FlatMap(
                lambda key, f=field: [(key[1], None)] if key[0] == f else [])
            current = unseen | f"CurrentBy{label}" >> beam.Map(lambda a, f=field: (_key(a, f), a))
            unseen = ({"current": current, "seen": seen_keys}
                      | f"JoinSeen{label}" >> beam.CoGroupByKey()
                      | f"KeepUnseen{label}" >> beam.ParDo(_KeepUnseenFn()))
        return unseen
