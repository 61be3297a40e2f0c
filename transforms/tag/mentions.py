"""Tag stage: mentions of NATO, Ukraine and related entities, with offsets, co-mentions and topics.

The tagged string is ``title + "\\n\\n" + text`` (just ``text`` when there is
no title); every offset in ``mentions`` points into it. A mention is one
whole-word match of an entity's aliases (``configs/lexicon.yaml``), so counts
cover title and body. ``comention_sentences`` are the sentences (the title is
one) that mention both NATO and Ukraine, and ``comention_spans`` where each
one is, in the same order. A topic tag such as ``nato_ukraine_membership`` is
added when one sentence mentions all of the topic's entities together with one
of its words (Beitritt, membership, adhésion, вступ, ...); ``topic_evidence``
names every such sentence and the first topic word in it, so a reader can see
why an article carries the tag.
"""
from __future__ import annotations

import bisect
import re
from typing import NamedTuple, Optional

import apache_beam as beam

from newsbeam.transforms.isolation import ItemFn
from newsbeam.transforms.names import (ARTICLES, ERRORS, STAGE_TAG, TAG_ARTICLES, TAG_MEMBERSHIP, TAG_NATO, TAG_UKRAINE,
                                       counter)
from newsbeam.transforms.records import Article
from newsbeam.transforms.tag.lexicon import alias_regex, lexicon_hash, words_regex
from newsbeam.transforms.tag.prefixes import WordMatcher

# A sentence ends at . ! ? or … (and any closing quotes) followed by white space, or at a line break.
_SENTENCE_BREAK = re.compile(r"[.!?…][\"'“”»«)]*\s+|\n+")
_ENDINGS = ".!?…\"'“”»«)"


class Mention(NamedTuple):
    entity: str
    surface: str
    start: int
    end: int


def tagged_string(title: Optional[str], text: str) -> str:
    """The string mention offsets refer to."""
    return f"{title}\n\n{text}" if title else text


def _strip(string: str, start: int, end: int) -> tuple[int, int]:
    """The span of ``string[start:end].strip()``."""
    while start < end and string[start].isspace():
        start += 1
    while end > start and string[end - 1].isspace():
        end -= 1
    return start, end


class Tagger:
    """A compiled lexicon; built once per worker, then cheap to call."""

    def __init__(self, lexicon: dict):
        entities = sorted(lexicon["entities"].items())
        self.lexicon_hash = lexicon_hash(lexicon)
        self._names = [name for name, _ in entities]
        self._tags = {name: spec["tag"] for name, spec in entities}
        self._entities = WordMatcher([(name, [alias_regex(a) for a in spec["aliases"]]) for name, spec in entities])
        self._topics = [(name, frozenset(spec["all_of"]), WordMatcher([(name, [words_regex(spec["words"])])]))
                        for name, spec in sorted(lexicon.get("topics", {}).items())]

    def mentions(self, text: str, lower: Optional[str] = None) -> list[Mention]:
        return [Mention(*found) for found in self._entities.finditer(text, lower=lower)]

    def count(self, mentions: list[Mention]) -> dict[str, int]:
        """Mentions per entity name."""
        counts = dict.fromkeys(self._names, 0)
        for mention in mentions:
            counts[mention.entity] += 1
        return counts

    def tag(self, title: Optional[str], text: str) -> dict:
        """The tag columns of one article."""
        string = tagged_string(title, text)
        lower = string.lower()
        mentions = self.mentions(string, lower)
        counts = self.count(mentions)
        tags = {self._tags[name] for name, n in counts.items() if n}
        comentions, spans, evidence = [], [], []
        # where each topic's words occur, found in one pass over the whole string
        topic_words = []
        for topic, needed, words in self._topics:
            if needed <= tags:
                found = words.finditer(string, lower=lower)
                topic_words.append((topic, needed, [f[2] for f in found], found))
        for start, end, named in self._sentences_with_mentions(string, mentions):
            start, end = _strip(string, start, end)
            if {"nato", "ukraine"} <= named:
                comentions.append(string[start:end])
                spans.append({"start": start, "end": end})
            for topic, needed, positions, found in topic_words:
                i = bisect.bisect_left(positions, start)
                if needed <= named and i < len(positions) and positions[i] < end:
                    tags.add(topic)
                    _, word, word_start, word_end = found[i]
                    evidence.append({"topic": topic, "sentence_start": start, "sentence_end": end,
                                     "word": word, "word_start": word_start, "word_end": word_end})
        return {"nato_mentions": counts["nato"], "ukraine_mentions": counts["ukraine"], "tags": sorted(tags),
                "mentions": [{"entity": m[0], "surface": m[1], "start": m[2], "end": m[3]} for m in mentions],
                "comention_sentences": comentions, "comention_spans": spans, "topic_evidence": evidence,
                "lexicon_hash": self.lexicon_hash}

    @staticmethod
    def _sentences_with_mentions(string: str, mentions: list[Mention]):
        """(start, end, entities named) of each sentence holding a mention, in order."""
        if not mentions:
            return
        breaks = [m.span() for m in _SENTENCE_BREAK.finditer(string, 0, mentions[-1].end + 1)]
        break_starts = [b[0] for b in breaks]
        named: dict[int, set] = {}
        for mention in mentions:
            named.setdefault(bisect.bisect_right(break_starts, mention.start), set()).add(mention.entity)
        for index, entities in named.items():  # insertion order: sentence order
            start = breaks[index - 1][1] if index else 0
            if index < len(breaks):
                end = breaks[index][0] + (string[breaks[index][0]] in _ENDINGS)
            else:
                found = _SENTENCE_BREAK.search(string, mentions[-1].end)
                end = len(string) if found is None else found.start() + (string[found.start()] in _ENDINGS)
            yield start, end, entities


class _TagFn(ItemFn):
    STAGE = STAGE_TAG

    def __init__(self, lexicon: dict):
        super().__init__()
        self._lexicon = lexicon
        self._tagged = counter(TAG_ARTICLES)
        self._nato = counter(TAG_NATO)
        self._ukraine = counter(TAG_UKRAINE)
        self._membership = counter(TAG_MEMBERSHIP)

    def setup(self):
        self._tagger = Tagger(self._lexicon)

    def handle(self, article: Article):
        columns = self._tagger.tag(article.title, article.text)
        self._tagged.inc()
        if columns["nato_mentions"]:
            self._nato.inc()
        if columns["ukraine_mentions"]:
            self._ukraine.inc()
        if "nato_ukraine_membership" in columns["tags"]:
            self._membership.inc()
        yield article._replace(**columns)


class TagMentions(beam.PTransform):
    """Articles in; ``articles`` with the tag columns (see the module docstring) and ``errors`` out."""

    def __init__(self, lexicon: dict):
        super().__init__()
        self._lexicon = lexicon

    def expand(self, articles):
        return articles | "CountMentions" >> beam.ParDo(_TagFn(self._lexicon)).with_outputs(ERRORS, main=ARTICLES)
