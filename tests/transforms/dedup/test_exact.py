"""Exact dedup: one article per URL or content, the earliest kept, the same result in any order."""
import datetime as dt
import random

import apache_beam as beam
import pytest

from newsbeam.transforms.dedup.exact import ExactDedup
from tests.support.corpus import article as corpus_article

T = lambda day: dt.datetime(2025, 1, day, tzinfo=dt.timezone.utc)  # noqa: E731


def article(aid, url, content, published, source="s", locator=""):
    return corpus_article("text", url, published, article_id=aid, content_hash=content, source=source,
                          locator=locator, title=aid)


ARTICLES = [
    article("u1", "https://a/1", "h1", T(3), "s1"),
    article("u1", "https://a/1", "h9", T(2), "s2"),     # same URL, earlier: wins the URL group
    article("u2", "https://a/2", "h9", T(1), "s3"),     # same content as the URL winner, earliest of all
    article("c1", None, "h5", None, "s4"),
    article("c1", None, "h5", T(5), "s5"),              # same content: the dated one wins
    article("z9", "https://a/9", "h7", T(4), "s6"),
]


@pytest.fixture
def dedup(run_transform):
    """Run ExactDedup; returns (kept articles, duplicate rows)."""
    def run(items):
        found = run_transform(lambda p: p | beam.Create(items) | ExactDedup())
        return found["articles"], found["duplicates"]
    return run


def test_groups_keep_the_earliest_and_point_every_copy_at_the_final_winner(dedup):
    kept, dups = dedup(ARTICLES)
    assert sorted((a.article_id, a.source) for a in kept) == [("c1", "s5"), ("u2", "s3"), ("z9", "s6")]
    assert sorted((d.source, d.reason, d.duplicate_of) for d in dups) == [
        ("s1", "same_url", "u2"),        # its URL winner lost on content, so it points at u2
        ("s2", "same_content", "u2"),
        ("s4", "same_content", "c1"),
    ]
    assert all(d.similarity == 1.0 for d in dups)
    assert len(kept) + len(dups) == len(ARTICLES)


def test_result_does_not_depend_on_input_order(dedup):
    expected = dedup(ARTICLES)
    shuffled = ARTICLES[:]
    random.Random(7).shuffle(shuffled)
    kept, dups = dedup(shuffled)
    key = lambda r: (r.article_id, r.source)  # noqa: E731
    assert sorted(kept, key=key) == sorted(expected[0], key=key)
    assert sorted(dups, key=key) == sorted(expected[1], key=key)
