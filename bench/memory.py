"""Peak memory of whole runs as the input grows: is it flat?

Synthetic corpora (``bench/synthetic.py``: 70% RSS entries, 20% JSONL, 10% HTML pages, with
exact and near copies) of increasing size, each run with `newsbeam run` in-process (the
DirectRunner's default) in a fresh process; peak resident memory of the whole process tree
(the runner and its extraction children), sampled every 0.1 s. The baseline is the smallest
corpus, measured in the same run: the ratio 20k / 5k should stay <= 1.3, and a 200k-article run
finish under 4 GiB.

    .venv/bin/python -m bench.memory [--sizes 5000 20000 50000 200000]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.common import run_measured
from bench.synthetic import write_corpus


def measure(n: int, tmp: Path) -> tuple[float, float, dict]:
    corpus = write_corpus(n, tmp / f"corpus-{n}")
    output = tmp / f"out-{n}"
    seconds, peak, _ = run_measured([sys.executable, "-m", "newsbeam.pipeline.cli", "run", "--input", str(corpus),
                                     "--output", str(output), "--log-level", "WARNING"])
    (manifest,) = (output / "_runs").glob("*.json")
    return seconds, peak, json.loads(manifest.read_text())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 20_000, 50_000])
    args = parser.parse_args(argv)
    print(f"{'articles':>9} {'seconds':>8} {'articles/s':>10} {'peak MiB':>9} {'vs smallest':>11}  written")
    baseline = None
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            seconds, peak, manifest = measure(n, Path(tmp))
            baseline = baseline or peak
            counts = manifest["counts"]
            print(f"{n:>9,} {seconds:>8.1f} {n / seconds:>10.0f} {peak:>9,.0f} {peak / baseline:>11.2f}  "
                  f"{counts['articles']} articles, {counts['duplicates']} duplicates, {counts['errors']} errors",
                  flush=True)


if __name__ == "__main__":
    main()
