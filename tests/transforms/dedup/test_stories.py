"""Dedup decides stories on keys: one article per story, every copy pointing at it with the reason and
similarity of its own relation to it, earlier runs' articles (from the index) first."""
from __future__ import annotations

import datetime as dt
import random

import apache_beam as beam
import pytest

from newsbeam.transforms.dedup import Deduplicate
from newsbeam.transforms.dedup.index import index_file, index_table, row_of, write_index
from newsbeam.transforms.dedup.keys import ItemKey, item_of
from newsbeam.transforms.dedup.minhash import MinHasher, jaccard, shingles
from newsbeam.transforms.dedup.near import _PairsFn
from newsbeam.transforms.extract.ids import article_id, canonical_url, content_hash
from newsbeam.transforms.names import ARTICLES, INDEX
from tests.support.corpus import corpus, variant

T = lambda hour: dt.datetime(2025, 3, 1, hour, tzinfo=dt.timezone.utc)  # noqa: E731
HASHER = MinHasher()
STORY, *OTHERS = corpus(8, seed=11)


def key(text: str, url: str | None, hour: int | None, outlet: str = "o", source: str = "") -> ItemKey:
    url = canonical_url(url)
    digest = content_hash(text)
    published = T(hour) if hour is not None else None
    return ItemKey(item_of(source or f"{outlet}|{url}|{hour}", ""), article_id(url, digest), url, digest, published, outlet,
                   f"date=2025-03-01/outlet={outlet}", HASHER.signature(text).tobytes())


@pytest.fixture
def dedup(run_transform, tmp_path):
    """Run Deduplicate on keys against an output whose index holds ``history``; returns
    ({item: decision of an article}, {item: decision of a duplicate}, index rows)."""
    def run(keys, history=()):
        output = tmp_path / "out"
        if history:
            (output / "_index").mkdir(parents=True)
            write_index(index_table([row_of(k, ARTICLES, k.article_id) for k in history]),
                        index_file(str(output / "_index"), "earlier"))

        def build(p):
            out = p | beam.Create(list(keys)) | Deduplicate(str(output), 30, "2025-03-01")
            return {"decisions": out["decisions"], "index": out[INDEX]}
        found = run_transform(build)
        articles = {d.item: d for d in found["decisions"] if d.duplicate_of is None}
        copies = {d.item: d for d in found["decisions"] if d.duplicate_of is not None}
        return articles, copies, found["index"]
    return run


def test_republished_copies_cluster_under_the_earliest(dedup):
    rng = random.Random(1)
    copies = [key(variant(STORY, rng, boilerplate=True), "https://b.example/1", 9, "B"),
              key(variant(STORY, rng, drop=1), "https://c.example/1", 7, "C"),   # the earliest
              key(variant(STORY, rng, edit=0.03), "https://d.example/1", 8, "D"),
              key(variant(STORY, rng, truncate=0.85), "https://e.example/1", 10, "E")]
    others = [key(text, f"https://x.example/{i}", 12) for i, text in enumerate(OTHERS)]
    kept, copies_out, index = dedup(copies + others)
    winner = copies[1]
    assert set(kept) == {winner.item} | {o.item for o in others}
    assert {d.duplicate_of for d in copies_out.values()} == {winner.article_id}
    assert {d.reason for d in copies_out.values()} == {"near_duplicate"}
    assert all(0.65 <= d.similarity < 1.0 for d in copies_out.values())
    assert (kept[winner.item].duplicate_count, kept[winner.item].duplicate_outlets) == (3, ("B", "D", "E"))
    assert all(kept[o.item].duplicate_count == 0 for o in others)
    assert sorted(row["table"] for row in index) == ["articles"] * 8 + ["duplicates"] * 3


def test_pairs_below_half_similarity_stay_apart(dedup):
    rng = random.Random(2)
    pairs = []
    for i, text in enumerate(corpus(12, seed=21)):
        other = variant(text, rng, edit=0.12)  # about J = 0.4 on 5-word shingles
        assert jaccard(shingles(text), shingles(other)) < 0.5
        pairs += [key(text, f"https://a.example/{i}", 1), key(other, f"https://b.example/{i}", 2)]
    kept, copies, _ = dedup(pairs)
    assert copies == {} and len(kept) == len(pairs)


def test_each_copy_says_how_it_relates_to_the_article_kept(dedup):
    """C is an exact copy of B, B a near-duplicate of A (the earliest): C points at A as a near-duplicate
    with its own similarity to A, not as a same-content copy with similarity 1.0."""
    b_text = variant(STORY, random.Random(4), edit=0.03)
    a = key(STORY, "https://a.example/x", 1, "A")
    b = key(b_text, "https://b.example/x", 2, "B")
    c = key(b_text, "https://c.example/x", 3, "C")
    d = key(OTHERS[0], "https://b.example/x", 4, "D")  # B's URL with other text: the same page, rewritten
    kept, copies, _ = dedup([a, b, c, d])
    assert list(kept) == [a.item] and kept[a.item].duplicate_count == 3
    assert {copies[k.item].duplicate_of for k in (b, c, d)} == {a.article_id}
    assert copies[b.item].reason == copies[c.item].reason == "near_duplicate"
    assert copies[b.item].similarity == copies[c.item].similarity < 1.0
    # D joined the story through B's URL only: its own text is unrelated to A's
    assert (copies[d.item].reason, copies[d.item].similarity < 0.3) == ("same_story", True)


def test_earlier_runs_win_what_they_wrote_is_skipped_and_copies_from_elsewhere_point_at_them(dedup):
    rng = random.Random(3)
    history = [key(STORY, "https://old.example/story", 1), key(OTHERS[0], "https://old.example/other", 1)]
    current = [key(variant(STORY, rng, drop=1), "https://new.example/copy", 0),  # published earlier, still loses
               key(OTHERS[0], "https://wire.example/other", 5),                  # same text elsewhere: a copy
               key(OTHERS[1], "https://old.example/story?utm_source=x", 6),      # same URL: skipped
               key(OTHERS[2], "https://new.example/fresh", 6)]
    kept, copies, index = dedup(current, history)
    assert set(kept) == {current[3].item}
    assert copies[current[0].item].duplicate_of == history[0].article_id
    assert copies[current[0].item].reason == "near_duplicate"
    assert (copies[current[1].item].duplicate_of, copies[current[1].item].reason) == (
        history[1].article_id, "same_content")
    assert current[2].item not in kept and current[2].item not in copies
    assert sorted(row["table"] for row in index) == ["articles", "duplicates", "duplicates"]


def test_same_result_in_any_input_order(dedup):
    rng = random.Random(5)
    rows = [key(variant(STORY, rng, edit=0.02), f"https://v.example/{i}", i % 3) for i in range(6)]
    rows += [key(text, f"https://o.example/{i}", 4) for i, text in enumerate(OTHERS)]
    first = dedup(rows)[:2]
    random.Random(9).shuffle(rows)
    assert dedup(rows)[:2] == first


def test_oversized_buckets_are_cut_and_history_pairs_skipped():
    refs = [("item", i) for i in range(3)] + [("kept", f"id{i}") for i in range(3, 6)]
    pairs = list(_PairsFn(max_bucket=4).process(("band", refs)))
    assert pairs == [(("item", 0), ("item", 1)), (("item", 0), ("item", 2)), (("item", 0), ("kept", "id3")),
                     (("item", 1), ("item", 2)), (("item", 1), ("kept", "id3")), (("item", 2), ("kept", "id3"))]
    assert not list(_PairsFn(max_bucket=4).process(("band", refs[3:])))  # history alone: nothing to do
