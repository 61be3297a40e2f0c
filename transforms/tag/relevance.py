"""Relevance filter: with ``relevance`` configured, only articles about the configured entities or
topics are written; every other item is counted as an ``off_topic`` skip.

It sits right after tagging, before the rows are signed, spilled and deduplicated: an
off-topic item is never written, so it neither becomes a duplicates row nor enters the dedup
index (a later run with a wider filter writes it as new). An article is relevant when it
mentions one of the entities (by lexicon entity name) or carries one of the topic tags.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import apache_beam as beam

from newsbeam.transforms.isolation import ItemFn
from newsbeam.transforms.names import ARTICLES, ERRORS, OFF_TOPIC, STAGE_TAG, counter
from newsbeam.transforms.records import Article
from newsbeam.transforms.tag.lexicon import LexiconError


@dataclasses.dataclass(frozen=True)
class Relevance:
    """What makes an article relevant: a mention of one of ``entities`` or one of ``topics``."""
    entities: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    @classmethod
    def of(cls, setting: dict, only_relevant: bool, lexicon: dict) -> Optional["Relevance"]:
        """The filter a run applies, or None (keep all). ``setting`` names entities and topics of
        ``lexicon`` (LexiconError for any other name); ``only_relevant`` without any names keeps
        articles that mention any entity or carry any topic of the lexicon."""
        entities, topics = tuple(setting.get("entities", ())), tuple(setting.get("topics", ()))
        for kind, named, known in (("entity", entities, lexicon["entities"]), ("topic", topics, lexicon.get("topics", {}))):
            unknown = sorted(set(named) - set(known))
            if unknown:
                raise LexiconError(f"relevance: unknown {kind} {', '.join(map(repr, unknown))} "
                                 f"(the lexicon has {', '.join(sorted(known)) or 'none'})")
        if not (entities or topics):
            if not only_relevant:
                return None
            entities, topics = tuple(sorted(lexicon["entities"])), tuple(sorted(lexicon.get("topics", {})))
        return cls(tuple(sorted(set(entities))), tuple(sorted(set(topics))))

    def keeps(self, article: Article) -> bool:
        return (any(mention["entity"] in self.entities for mention in article.mentions)
                or any(tag in self.topics for tag in article.tags))


class _KeepRelevantFn(ItemFn):
    STAGE = STAGE_TAG

    def __init__(self, relevance: Relevance):
        super().__init__()
        self._relevance = relevance
        self._off_topic = counter(OFF_TOPIC)

    def handle(self, article: Article):
        if self._relevance.keeps(article):
            yield article
        else:
            self._off_topic.inc()


class KeepRelevant(beam.PTransform):
    """Tagged articles in; ``articles`` about the configured entities or topics, and ``errors``,
    out. The others are counted (``relevance.off_topic``), a skip in the run's accounting."""

    def __init__(self, relevance: Relevance):
        super().__init__()
        self._relevance = relevance

    def expand(self, articles):
        return articles | "KeepRelevant" >> beam.ParDo(_KeepRelevantFn(self._relevance)).with_outputs(
            ERRORS, main=ARTICLES)
