"""Dedup stage cost: 10k and 100k synthetic documents, and 10k against 1M rows of history.

Documents are generated inside the pipeline (so no run pays for shipping them),
5% of them near-duplicate copies of others. Each size runs twice: a bare
pipeline that only generates (and signs) the documents' keys and counts them,
and the same pipeline with the Deduplicate stage; the stage's cost is the
difference. The history case puts 1M article rows (random keys and signatures)
in the output's dedup index, which Deduplicate matches as a real run does.
MinHash cost per document is compared with datasketch's ``update_batch`` on the
same shingles, in the same run.

    .venv/bin/python -m bench.dedup_scaling [--sizes 10000 100000] [--history 1000000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time
from pathlib import Path

import apache_beam as beam

from bench.common import run_and_collect
from bench.incremental import synthetic_index
from newsbeam.transforms.dedup import Deduplicate
from newsbeam.transforms.dedup.keys import ItemKey
from newsbeam.transforms.dedup.minhash import NUM_PERM, MinHasher, shingles
from tests.support.corpus import article, article_text, variant, vocabulary

DAY = dt.datetime(2025, 3, 15, 8, tzinfo=dt.timezone.utc)
WORDS = vocabulary()


def make_doc(i: int):
    """Document i; every 20th is a near-duplicate copy of an earlier one."""
    if i % 20 == 19:
        source = i - 19
        text = variant(article_text(random.Random(source), WORDS, 5), random.Random(i), edit=0.02)
    else:
        text = article_text(random.Random(i), WORDS, 5)
    return article(text, f"https://outlet-{i % 50}.example/story/{i}", DAY + dt.timedelta(minutes=i % 600),
                   f"outlet-{i % 50}")


class _KeyFn(beam.DoFn):
    """Document number in; its signed key out."""

    def setup(self):
        self._hasher = MinHasher()

    def process(self, i: int):
        doc = make_doc(i)
        yield ItemKey.of(doc._replace(minhash=self._hasher.signature(doc.text).tobytes()),
                         f"date={DAY.date()}/outlet={doc.outlet_name}")


def timed(n: int, dedup: bool, output: str) -> float:
    def build(p):
        keys = p | "Ids" >> beam.Create(range(n)) | "Spread" >> beam.Reshuffle() | "Keys" >> beam.ParDo(_KeyFn())
        if not dedup:
            return {"count": keys | "Count" >> beam.combiners.Count.Globally()}
        decisions = (keys | Deduplicate(output, 30, DAY.date().isoformat()))["decisions"]
        return {"decided": decisions | "CountDecided" >> beam.combiners.Count.Globally()}
    found, seconds = run_and_collect(build)
    if dedup:
        assert found["decided"][0] <= n
    return seconds


def minhash_cost(docs: int = 1000) -> tuple[float, float]:
    from datasketch import MinHash

    texts = [make_doc(i).text for i in range(docs)]
    hasher = MinHasher()
    started = time.perf_counter()
    for text in texts:
        hasher.signature(text)
    ours = (time.perf_counter() - started) / docs
    started = time.perf_counter()
    for text in texts:
        sketch = MinHash(num_perm=NUM_PERM)
        sketch.update_batch([s.encode("utf-8") for s in shingles(text)])
    theirs = (time.perf_counter() - started) / docs
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--history", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"dedup stage scaling on {os.cpu_count()} cores (DirectRunner, in-process)")
    print(f"{'case':<34}{'bare s':>9}{'with dedup s':>14}{'stage s':>9}{'ms/doc':>9}")
    stage = {}
    empty = tempfile.mkdtemp()
    for n in args.sizes:
        bare, full = timed(n, False, empty), timed(n, True, empty)
        stage[n] = full - bare
        print(f"{f'{n:,} documents':<34}{bare:>9.1f}{full:>14.1f}{stage[n]:>9.1f}{stage[n] / n * 1000:>9.2f}")
    if len(args.sizes) >= 2:
        small, large = args.sizes[0], args.sizes[-1]
        print(f"growth t({large:,})/t({small:,}) = {stage[large] / stage[small]:.1f} "
              f"for {large / small:.0f}x the documents")
    if args.history:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            synthetic_index(Path(tmp), args.history)
            print(f"(wrote {args.history:,} index rows in {time.perf_counter() - started:.0f} s)")
            n = args.sizes[0]
            bare, full = timed(n, False, tmp), timed(n, True, tmp)
            print(f"{f'{n:,} documents, {args.history:,} history':<34}{bare:>9.1f}{full:>14.1f}{full - bare:>9.1f}"
                  f"{(full - bare) / n * 1000:>9.2f}")
    ours, theirs = minhash_cost()
    print(f"MinHash per document ({NUM_PERM} permutations): newsbeam {ours * 1e6:.0f} us, "
          f"datasketch update_batch {theirs * 1e6:.0f} us, ratio {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
