"""Sign: every article gets its MinHash signature, the one thing near-duplicate detection needs of
its text, before the text is set aside (spilled) and dedup works on keys."""
from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.dedup.minhash import MinHasher
from newsbeam.transforms.isolation import ItemFn
from newsbeam.transforms.names import ARTICLES, ERRORS, STAGE_DEDUP
from newsbeam.transforms.records import Article


class _SignFn(ItemFn):
    STAGE = STAGE_DEDUP

    def setup(self):
        self._hasher = MinHasher()

    def handle(self, article: Article):
        yield article._replace(minhash=self._hasher.signature(article.text).tobytes())


class SignArticles(beam.PTransform):
    """Articles in; ``articles`` with their ``minhash`` (512 bytes) and ``errors`` out."""

    def expand(self, articles):
        return articles | "AddMinHash" >> beam.ParDo(_SignFn()).with_outputs(ERRORS, main=ARTICLES)
