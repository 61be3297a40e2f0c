"""Synthetic news text for tests and benchmarks: distinct articles of realistic length,
and near-duplicates of a text made the way republishers make them."""
from __future__ import annotations

import datetime as dt
import random

from newsbeam.transforms.extract.ids import article_id, content_hash
from newsbeam.transforms.records import Article

_SYLLABLES = ("ka ri to mo ne sa lu vi de ba ro mi ta ke su po la ni ve do gu fa zi he "
              "ar en ol ur is an et om ul ir").split()
BOILERPLATE = ["Teilen | Drucken | E-Mail", "Lesen Sie auch: Was die Woche bringt", "Advertisement",
               "Share this article", "nach oben", "Newsletter abonnieren", "© Agenturen 2025"]


def vocabulary(size: int = 3000, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def article_text(rng: random.Random, words: list[str], paragraphs: int = 6, per: int = 60) -> str:
    """Paragraphs of words drawn with a Zipf-like skew, so common words recur as in real text."""
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    out = []
    for _ in range(paragraphs):
        chosen = rng.choices(words, weights=weights, k=per)
        out.append(" ".join(chosen).capitalize() + ".")
    return "\n".join(out)


def corpus(n: int, seed: int = 1, paragraphs: int = 6) -> list[str]:
    rng, words = random.Random(seed), vocabulary()
    return [article_text(rng, words, paragraphs) for _ in range(n)]


def variant(text: str, rng: random.Random, drop: int = 0, edit: float = 0.0, truncate: float = 1.0,
            boilerplate: bool = False) -> str:
    """A republished copy: paragraphs dropped, a share of words replaced, the end cut off,
    other page furniture around it."""
    paragraphs = text.split("\n")
    for _ in range(min(drop, len(paragraphs) - 1)):
        paragraphs.pop(rng.randrange(len(paragraphs)))
    words = vocabulary()
    edited = []
    for paragraph in paragraphs:
        tokens = paragraph.split()
        for i in range(len(tokens)):
            if rng.random() < edit:
                tokens[i] = rng.choice(words)
        edited.append(" ".join(tokens))
    body = "\n".join(edited)
    body = body[:max(1, int(len(body) * truncate))]
    if boilerplate:
        body = "\n".join(rng.sample(BOILERPLATE, 2) + [body] + rng.sample(BOILERPLATE, 2))
    return body


def article(text: str, url: str, published: dt.datetime, outlet: str = "o", **fields) -> Article:
    """An extracted article, as the dedup stage receives it."""
    digest = content_hash(text)
    values = dict(article_id=article_id(url, digest), url=url, source=url, locator="", source_type="jsonl",
                  text_source="file", outlet_name=outlet, title=url, author=None, published_at=published,
                  date_source="published", language="en", text=text, word_count=len(text.split()),
                  content_hash=digest, ingested_at=published, run_id="test")
    return Article(**{**values, **fields})
