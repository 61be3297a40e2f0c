"""Near-duplicate quality: how often the dedup stage merges a copy with its original,
by the true shingle Jaccard of the pair.

Originals are real article text: the 181 article bodies of the Zyte benchmark's
ground truth and the five German seed articles (from ../shared; without it, a
synthetic corpus). Each copy is made the way republishers make them: other
page furniture around it, paragraphs dropped, words edited, the end cut off,
at random strengths. Every round runs the real Deduplicate transform over all
originals plus one copy of each, so a pair is judged on its own (no chaining
through a third copy). Targets: recall >= 0.95 for J >= 0.75, no merge below
0.5, and no two different originals merged.

    .venv/bin/python bench/near_dup_quality.py [--rounds 8]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import tempfile

import apache_beam as beam

from bench.common import SHARED, run_and_collect
from tests.support.corpus import article, corpus, variant
from newsbeam.transforms.extract.clean_text import clean_dump
from newsbeam.transforms.dedup import Deduplicate
from newsbeam.transforms.dedup.keys import ItemKey
from newsbeam.transforms.dedup.minhash import MinHasher
from newsbeam.transforms.dedup.minhash import jaccard, shingles

BUCKETS = [(0.0, 0.3), (0.3, 0.5), (0.5, 0.6), (0.6, 0.75), (0.75, 0.9), (0.9, 1.01)]
EARLY, LATE = dt.datetime(2025, 3, 1, 8, tzinfo=dt.timezone.utc), dt.datetime(2025, 3, 1, 9, tzinfo=dt.timezone.utc)


HASHER = MinHasher()


def originals() -> tuple[list[str], str]:
    texts, where = [], []
    truth = SHARED / "benchmarks" / "scrapinghub_aeb" / "ground-truth.json"
    if truth.exists():
        bodies = [v["articleBody"] for v in json.loads(truth.read_text()).values() if v.get("articleBody")]
        texts += [b for b in bodies if len(b.split()) >= 80]
        where.append(f"{len(texts)} Zyte article bodies")
    seeds = sorted((SHARED / "seeds").glob("*.txt"))
    texts += [clean_dump(p.read_text(encoding="utf-8")).text for p in seeds]
    if seeds:
        where.append(f"{len(seeds)} seed articles")
    if not texts:
        texts, where = corpus(150, seed=3), ["150 synthetic articles (../shared absent)"]
    return texts, " + ".join(where)


def copy_of(text: str, rng: random.Random) -> str:
    """Half light copies (a republished wire story), half heavy rewrites, to cover every bucket."""
    if rng.random() < 0.5:
        return variant(text, rng, drop=rng.choice([0, 0, 1]), edit=rng.uniform(0.0, 0.04),
                       truncate=rng.uniform(0.75, 1.0), boilerplate=rng.random() < 0.5)
    return variant(text, rng, drop=rng.choice([0, 1, 2, 3]), edit=rng.uniform(0.0, 0.25),
                   truncate=rng.uniform(0.4, 1.0), boilerplate=rng.random() < 0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    rounds = parser.parse_args().rounds
    texts, where = originals()
    rng = random.Random(2025)
    originals_rows = [article(t, f"https://original.example/{i}", EARLY, "original") for i, t in enumerate(texts)]
    original_ids = {row.article_id for row in originals_rows}
    results, cross_merges = [], 0
    for r in range(rounds):
        copies = []
        for i, text in enumerate(texts):
            copied = copy_of(text, rng)
            copies.append((i, jaccard(shingles(text), shingles(copied)),
                           article(copied, f"https://copy-{r}.example/{i}", LATE, "copy")))
        rows = originals_rows + [c[2] for c in copies]
        keys = [ItemKey.of(row._replace(minhash=HASHER.signature(row.text).tobytes()), "date=2025-03-01/outlet=o")
                for row in rows]
        ids = {key.item: key.article_id for key in keys}
        with tempfile.TemporaryDirectory() as empty:
            found, _ = run_and_collect(lambda p: {"decisions": (
                p | beam.Create(keys) | Deduplicate(empty, 30, "2025-03-01"))["decisions"]})
        copied = [d for d in found["decisions"] if d.duplicate_of is not None]
        pointing = {ids[d.item]: d.duplicate_of for d in copied}
        cross_merges += sum(1 for d in copied if ids[d.item] in original_ids)
        for i, similarity, row in copies:
            results.append((similarity, pointing.get(row.article_id) == originals_rows[i].article_id))
    print(f"near-duplicate quality: {len(texts)} originals ({where}), {rounds} rounds, {len(results)} pairs")
    print(f"{'shingle Jaccard':<18}{'pairs':>7}{'merged':>8}{'merge rate':>12}")
    for low, high in BUCKETS:
        bucket = [merged for similarity, merged in results if low <= similarity < high]
        rate = sum(bucket) / len(bucket) if bucket else float("nan")
        print(f"[{low:.2f}, {min(high, 1.0):.2f}{')' if high < 1 else ']':<9}{len(bucket):>7}{sum(bucket):>8}{rate:>12.3f}")
    high = [m for s, m in results if s >= 0.75]
    low = [m for s, m in results if s < 0.5]
    merged = [s for s, m in results if m]
    print(f"recall, J >= 0.75: {sum(high) / len(high):.3f} ({sum(high)}/{len(high)})")
    print(f"merges below J = 0.5: {sum(low)} of {len(low)} pairs")
    print(f"precision (merged pairs with J >= 0.5): {sum(1 for s in merged if s >= 0.5) / max(1, len(merged)):.3f}")
    print(f"different originals merged with each other: {cross_merges}")


if __name__ == "__main__":
    main()
