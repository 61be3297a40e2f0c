"""Tag stage: count NATO and Ukraine mentions and add topic tags to each article.

A mention is one whole-word match of an entity's aliases (see
``configs/lexicon.yaml``) in the title and the body, read as
``title + "\\n\\n" + text``.
"""
from __future__ import annotations

import re

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.lexicon import entity_regex
from transforms.records import METRICS_NAMESPACE


class Tagger:
    """A compiled lexicon; cheap to call, built once per worker."""

    def __init__(self, lexicon: dict):
        self._entities = [
            (name, spec["tag"], re.compile(entity_regex(spec["aliases"])))
            for name, spec in sorted(lexicon["entities"].items())
        ]

    def count(self, text: str) -> dict[str, int]:
        """Mentions per entity name."""
        return {name: sum(1 for _ in regex.finditer(text)) for name, _, regex in self._entities}

    def tag(self, title: str | None, text: str) -> tuple[dict[str, int], list[str]]:
        counts = self.count(f"{title}\n\n{text}" if title else text)
        tags = sorted({tag for name, tag, _ in self._entities if counts[name]})
        return counts, tags


class _TagFn(beam.DoFn):
    def __init__(self, lexicon: dict):
        self._lexicon = lexicon
        self._tagger = None
        self._tagged = Metrics.counter(METRICS_NAMESPACE, "tag.articles")
        self._nato = Metrics.counter(METRICS_NAMESPACE, "tag.nato_articles")
        self._ukraine = Metrics.counter(METRICS_NAMESPACE, "tag.ukraine_articles")

    def setup(self):
        self._tagger = Tagger(self._lexicon)

    def process(self, article: dict):
        counts, tags = self._tagger.tag(article.get("title"), article["text"])
        self._tagged.inc()
        if counts["nato"]:
            self._nato.inc()
        if counts["ukraine"]:
            self._ukraine.inc()
        yield {**article, "nato_mentions": counts["nato"], "ukraine_mentions": counts["ukraine"],
               "tags": tags}


class TagMentions(beam.PTransform):
    """Articles in, the same articles with ``nato_mentions``, ``ukraine_mentions`` and ``tags``."""

    def __init__(self, lexicon: dict):
        super().__init__()
        self._lexicon = lexicon

    def expand(self, articles):
        return articles | "CountMentions" >> beam.ParDo(_TagFn(self._lexicon))
