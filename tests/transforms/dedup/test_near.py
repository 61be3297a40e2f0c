"""Dedup across runs and near-duplicates: one article per story, every copy pointing at it."""
import datetime as dt
import random

import apache_beam as beam
import pytest

from tests.support.corpus import article as corpus_article
from tests.support.corpus import corpus, variant
from newsbeam.transforms.dedup import Deduplicate
from newsbeam.transforms.dedup.minhash import MinHasher, jaccard, shingles

T = lambda hour: dt.datetime(2025, 3, 1, hour, tzinfo=dt.timezone.utc)  # noqa: E731


def article(text, url, hour, outlet="o"):
    return corpus_article(text, url, T(hour), outlet)


def history_row(text, url, hour):
    row = article(text, url, hour)
    return {"table": "articles", "minhash": MinHasher().signature(text).tobytes(),
            **{k: getattr(row, k) for k in ("article_id", "url", "content_hash", "published_at", "outlet_name")}}


@pytest.fixture
def dedup(run_transform):
    def run(articles, history=()):
        def build(p):
            out = {"articles": p | "A" >> beam.Create(articles),
                   "history": p | "H" >> beam.Create(list(history))} | Deduplicate()
            return {"articles": out["articles"], "duplicates": out["duplicates"]}
        found = run_transform(build)
        return ({a.article_id: a for a in found["articles"]}, {d.article_id: d for d in found["duplicates"]})
    return run


STORY, *OTHERS = corpus(8, seed=11)


def test_republished_copies_cluster_under_the_earliest(dedup):
    rng = random.Random(1)
    copies = [article(variant(STORY, rng, boilerplate=True), "https://b.example/1", 9, "B"),
              article(variant(STORY, rng, drop=1), "https://c.example/1", 7, "C"),   # the earliest
              article(variant(STORY, rng, edit=0.03), "https://d.example/1", 8, "D"),
              article(variant(STORY, rng, truncate=0.85), "https://e.example/1", 10, "E")]
    others = [article(text, f"https://x.example/{i}", 12) for i, text in enumerate(OTHERS)]
    kept, copies_out = dedup(copies + others)
    winner = copies[1].article_id
    assert set(kept) == {winner} | {o.article_id for o in others}
    assert {d.duplicate_of for d in copies_out.values()} == {winner}
    assert {d.reason for d in copies_out.values()} == {"near_duplicate"}
    assert all(0.65 <= d.similarity < 1.0 for d in copies_out.values())
    assert (kept[winner].duplicate_count, kept[winner].duplicate_outlets) == (3, ("B", "D", "E"))
    assert all(kept[o.article_id].duplicate_count == 0 and kept[o.article_id].cluster_id ==
               o.article_id for o in others)


def test_pairs_below_half_similarity_stay_apart(dedup):
    rng = random.Random(2)
    pairs = []
    for i, text in enumerate(corpus(12, seed=21)):
        other = variant(text, rng, edit=0.12)  # about J = 0.4 on 5-word shingles
        assert jaccard(shingles(text), shingles(other)) < 0.5
        pairs += [article(text, f"https://a.example/{i}", 1), article(other, f"https://b.example/{i}", 2)]
    kept, copies = dedup(pairs)
    assert copies == {} and len(kept) == len(pairs)


def test_earlier_runs_win_and_what_they_wrote_is_skipped(dedup):
    rng = random.Random(3)
    history = [history_row(STORY, "https://old.example/story", 1),
               history_row(OTHERS[0], "https://old.example/other", 1)]
    current = [article(variant(STORY, rng, drop=1), "https://new.example/copy", 0),  # published earlier, still loses
               article(OTHERS[0], "https://old.example/other?utm_source=x", 5),      # same content: skipped
               article(OTHERS[1], "https://old.example/story", 6),                   # same URL: skipped
               article(OTHERS[2], "https://new.example/fresh", 6)]
    kept, copies = dedup(current, history)
    assert set(kept) == {current[3].article_id}
    assert list(copies) == [current[0].article_id]
    assert copies[current[0].article_id].duplicate_of == history[0]["article_id"]


def test_exact_copies_follow_their_article_into_its_cluster(dedup):
    rng = random.Random(4)
    near = variant(STORY, rng, edit=0.02)
    rows = [article(STORY, "https://first.example/a", 1, "First"),
            article(near, "https://second.example/a", 2, "Second"),
            article(near, "https://third.example/a", 3, "Third")]   # exact copy of the second
    kept, copies = dedup(rows)
    winner = rows[0].article_id
    assert list(kept) == [winner] and kept[winner].duplicate_count == 2
    assert {d.duplicate_of for d in copies.values()} == {winner}
    assert sorted(d.reason for d in copies.values()) == ["near_duplicate", "same_content"]


def test_same_result_in_any_input_order(dedup):
    rng = random.Random(5)
    rows = [article(variant(STORY, rng, edit=0.02), f"https://v.example/{i}", i % 3) for i in range(6)]
    rows += [article(text, f"https://o.example/{i}", 4) for i, text in enumerate(OTHERS)]
    first = dedup(rows)
    random.Random(9).shuffle(rows)
    assert dedup(rows) == first


def test_oversized_buckets_are_cut_and_history_pairs_skipped():
    from newsbeam.transforms.dedup.near import _PairsFn

    refs = [(f"id{i}", i >= 3, ("", "t", f"id{i}", "", "")) for i in range(6)]  # id3..id5 from history
    pairs = list(_PairsFn(max_bucket=4).process(("band", refs)))
    assert [key for key, _ in pairs] == ["id0|id1", "id0|id2", "id0|id3", "id1|id2", "id1|id3", "id2|id3"]
    assert not list(_PairsFn(max_bucket=4).process(("band", refs[3:])))  # history alone: nothing to do
