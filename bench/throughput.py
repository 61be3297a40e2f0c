"""End-to-end throughput against the bare extraction loop; time per stage; peak memory by size.

Part 1, on the real HTML pages in ../shared/benchmarks (skipped without them),
in one run: (a) the bare baseline, ``trafilatura.extract`` in a plain loop
over the same files with the same options (``bench.bare_extract``); (b)
``newsbeam run`` in-process; (c) ``newsbeam run`` with
``--direct_running_mode=multi_processing --direct_num_workers=2``. Each is a
fresh process timed from start to exit, so interpreter start and imports
count for all three. Ratios are documents/s over the baseline's.

Part 2, on synthetic corpora (``bench.synthetic``) of 1k, 10k and 50k
articles: newsbeam with 2 worker processes (as at this scale one would run
it), with the peak resident memory of its whole process tree (runner, SDK
workers and their extraction children), sampled every 0.1 s.

Time per stage comes from the run's own manifest (Beam's execution-time
metrics per transform, summed over workers).

    .venv/bin/python -m bench.throughput [--sizes 1000 10000 50000] [--skip-real]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

from bench.common import SHARED, run_measured
from bench.synthetic import write_corpus

PAGES = SHARED / "benchmarks"
PAGES_GLOB = str(PAGES / "*" / "html" / "*.html.gz")
MULTI = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = int(open("/proc/meminfo", encoding="utf-8").readline().split()[1]) / 1024 / 1024
    except OSError:
        memory = 0.0
    return f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, Python {platform.python_version()}"


def newsbeam(inputs: str, output: Path, beam_args=()) -> dict:
    seconds, peak, _ = run_measured([sys.executable, "-m", "newsbeam.pipeline.cli", "run", "--input", inputs,
                                     "--output", str(output), "--log-level", "WARNING", *beam_args])
    (manifest_path,) = (output / "_runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    return {"seconds": seconds, "peak": peak, "items": manifest["counts"]["input_items"],
            "stages": manifest["timings_seconds"].get("stages", {}), "counts": manifest["counts"]}


def _stages(stages: dict) -> str:
    return "  ".join(f"{name} {seconds:.1f}" for name, seconds in stages.items())


def real_pages(work: Path) -> None:
    files = sorted(str(p) for p in PAGES.glob("*/html/*.html.gz"))
    listing = work / "pages.txt"
    listing.write_text("\n".join(files))
    seconds, peak, out = run_measured([sys.executable, "-m", "bench.bare_extract", "--list", str(listing)])
    loop = json.loads(out.strip().splitlines()[-1])
    runs = {"(b) newsbeam, in-process": newsbeam(PAGES_GLOB, work / "b"),
            "(c) newsbeam, multi_processing, 2 workers": newsbeam(PAGES_GLOB, work / "c", MULTI)}
    base_rate = len(files) / seconds
    print(f"\nthroughput on {len(files)} real pages ({PAGES}), extraction options: default")
    print(f"{'run':<44}{'docs':>6}{'seconds':>9}{'docs/s':>8}{'ratio':>7}{'peak MiB':>10}")
    print(f"{'(a) bare trafilatura.extract loop':<44}{len(files):>6}{seconds:>9.1f}{base_rate:>8.1f}"
          f"{1.0:>7.2f}{peak:>10.0f}")
    for name, run in runs.items():
        rate = run["items"] / run["seconds"]
        print(f"{name:<44}{run['items']:>6}{run['seconds']:>9.1f}{rate:>8.1f}{rate / base_rate:>7.2f}"
              f"{run['peak']:>10.0f}")
    print(f"  (a) loop alone, without interpreter start: {loop['documents'] / loop['seconds']:.1f} docs/s")
    for name, run in runs.items():
        print(f"  {name[:3]} worker seconds by stage: {_stages(run['stages'])}")
    print("  targets: b/a >= 0.9, c/a >= 1.7")


def synthetic(work: Path, sizes: list[int]) -> None:
    print("\nsynthetic corpora, newsbeam multi_processing, 2 workers (peak = all its processes)")
    print(f"{'articles':>9}{'seconds':>9}{'docs/s':>8}{'peak MiB':>10}{'MiB/1k docs':>13}  worker seconds by stage")
    for size in sizes:
        corpus = write_corpus(size, work / f"corpus-{size}")
        run = newsbeam(str(corpus), work / f"out-{size}", MULTI)
        assert run["items"] == size, run["counts"]
        print(f"{size:>9}{run['seconds']:>9.1f}{size / run['seconds']:>8.0f}{run['peak']:>10.0f}"
              f"{run['peak'] / size * 1000:>13.1f}  {_stages(run['stages'])}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 50000])
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.skip_real:
            pass
        elif any(PAGES.glob("*/html/*.html.gz")):
            real_pages(Path(tmp))
        else:
            print(f"\nreal pages skipped: {PAGES} is not present")
        if args.sizes:
            synthetic(Path(tmp), args.sizes)


if __name__ == "__main__":
    main()
