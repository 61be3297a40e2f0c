"""End-to-end throughput against the bare extraction loop; the fixed cost of a run; peak memory by size.

Part 1, the fixed cost: ``newsbeam run`` over one small page, timed from
process start to exit, and where those seconds go (a probe run of the same
command that times Beam's and newsbeam's phases from inside).

Part 2, on the real HTML pages in ../shared/benchmarks (skipped without
them): the 990 trafilatura_eval pages (the issue's row; ``--pages all`` adds
the 181 scrapinghub_aeb pages, 1,171 in all). In one run: (a) the bare
baseline, ``trafilatura.extract`` in a plain loop over the same files with
the same options (``bench.bare_extract``); (b) ``newsbeam run`` in-process,
with its default pool of extraction processes (one per core); (b1) the same
with ``--extract-processes 1``, one extraction process as before the pool;
(c) ``newsbeam run --direct_running_mode=multi_processing
--direct_num_workers=2`` (one extraction process per SDK worker by default).
Each is a fresh process timed from start to exit, so interpreter start and
imports count for all. Ratios are documents/s over the baseline's; peak is
the resident memory of the whole process tree. Every newsbeam variant's rows
are compared with (b1)'s (DuckDB, all columns but the run id and ingestion
time): the pool must not change what is written.

Part 3, on synthetic corpora (``bench.synthetic``) of 1k, 10k and 50k
articles: newsbeam with 2 worker processes, with the peak resident memory of
its whole process tree (runner, SDK workers and their extraction children),
sampled every 0.1 s.

Time per stage comes from the run's own manifest (Beam's execution-time
metrics per transform, summed over workers).

    .venv/bin/python -m bench.throughput [--pages eval all] [--sizes 1000 10000 50000] [--skip-real]
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

import duckdb

from bench.common import ROOT, SHARED, run_measured
from bench.synthetic import write_corpus

PAGES = SHARED / "benchmarks"
PAGE_SETS = {"eval": ("trafilatura_eval",), "all": ("trafilatura_eval", "scrapinghub_aeb")}
MULTI = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
SMALL_FILE = ROOT / "samples" / "html" / "tagesblick-beitritt.html"
VOLATILE = ("run_id", "ingested_at", "date")  # differ between runs by design (date: undated rows' ingestion day)


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


def load() -> str:
    """The machine's load average: other processes share the cores the runs measure."""
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def newsbeam(inputs: list[str], output: Path, args=()) -> dict:
    flags = [flag for spec in inputs for flag in ("--input", spec)]
    seconds, peak, _ = run_measured([sys.executable, "-m", "newsbeam.pipeline.cli", "run", *flags,
                                     "--output", str(output), "--log-level", "WARNING", *args])
    (manifest_path,) = (output / "_runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    return {"seconds": seconds, "peak": peak, "items": manifest["counts"]["input_items"], "output": output,
            "stages": manifest["timings_seconds"].get("stages", {}), "counts": manifest["counts"]}


def _stages(stages: dict) -> str:
    return "  ".join(f"{name} {seconds:.1f}" for name, seconds in stages.items())


def different_rows(first: Path, second: Path) -> dict:
    """{table: rows in one output and not the other (both ways)}, over every column but VOLATILE."""
    found = {}
    for table in ("articles", "duplicates", "errors"):
        files = [list((root / table).rglob("*.parquet")) for root in (first, second)]
        if not any(files):
            continue
        if not all(files):
            found[table] = sum(map(len, files))
            continue
        relations = [f"read_parquet('{root}/{table}/**/*.parquet', hive_partitioning=true)" for root in (first, second)]
        columns = ", ".join(f'"{c}"' for c in duckdb.sql(f"SELECT * FROM {relations[0]} LIMIT 0").columns
                            if c not in VOLATILE)
        one, other = (f"SELECT {columns} FROM {relation}" for relation in relations)
        found[table] = duckdb.sql(f"SELECT (SELECT count(*) FROM ({one} EXCEPT ALL {other})) + "
                                  f"(SELECT count(*) FROM ({other} EXCEPT ALL {one}))").fetchall()[0][0]
    return {table: n for table, n in found.items() if n}


# ---- Part 1: the fixed cost -------------------------------------------------------------------------------

PHASES = [  # (label, what the probe times)
    ("imports (Beam, newsbeam)", "imports"),
    ("building the graph (IngestNews.expand)", "expand"),
    ("translating and fusing it (to_runner_api, stages)", "translate"),
    ("running the bundles (run_stages)", "run_stages"),
    ("  of which the extract stage's setup", "extract_setup"),
    ("driver before and after (config, lock, commit, manifest)", "driver"),
]


def probe(argv: list[str]) -> None:
    """``newsbeam run ARGV`` with its phases timed from inside, wall and CPU seconds of this process;
    prints them as one JSON line. Runs as the whole program of a fresh interpreter (see fixed_cost),
    so that its imports are the run's own."""
    import json
    import time

    def now():
        return time.perf_counter(), time.process_time()

    began = now()
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    from newsbeam.pipeline import assemble, run  # noqa: F401 - imported here to be timed
    from newsbeam.pipeline.cli import main
    from newsbeam.transforms.extract import articles

    marks = {"imports": [a - b for a, b in zip(now(), began)]}

    def timed(owner, name, label):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = now()
            try:
                return original(*args, **kwargs)
            finally:
                spent = marks.setdefault(label, [0.0, 0.0])
                for i, (a, b) in enumerate(zip(now(), start)):
                    spent[i] += a - b
        setattr(owner, name, wrapper)

    timed(assemble.IngestNews, "expand", "expand")
    timed(beam.Pipeline, "run", "pipeline_run")
    timed(fn_runner.FnApiRunner, "run_stages", "run_stages")
    timed(articles._ExtractFn, "setup", "extract_setup")
    start = now()
    status = main(["run", *argv])
    marks["cli"] = [a - b for a, b in zip(now(), start)]
    marks["translate"] = [a - b for a, b in zip(marks["pipeline_run"], marks["run_stages"])]
    marks["driver"] = [a - b - c for a, b, c in zip(marks["cli"], marks["pipeline_run"], marks["expand"])]
    print(json.dumps({"status": status, **marks}))


def fixed_cost(work: Path) -> None:
    bare_seconds, _, _ = run_measured([sys.executable, "-c", "pass"])
    run = newsbeam([str(SMALL_FILE)], work / "fixed")
    program = f"import sys\n{inspect.getsource(probe)}\nprobe(sys.argv[1:])\n"
    seconds, _, out = run_measured([sys.executable, "-c", program, "--input", str(SMALL_FILE),
                                    "--output", str(work / "fixed-probe"), "--log-level", "WARNING"])
    marks = json.loads(out.strip().splitlines()[-1])
    print(f"\nfixed cost: newsbeam run over one small page ({SMALL_FILE.name}), in-process: {run['seconds']:.1f} s "
          f"start to exit; {load()}")
    print(f"  where the seconds go (a probe run of the same command, {seconds:.1f} s; wall, and CPU of the "
          "main process):")
    print(f"    {'interpreter start (python -c pass)':<58}{bare_seconds:>6.2f} s")
    for label, key in PHASES:
        wall, cpu = marks[key]
        print(f"    {label:<58}{wall:>6.2f} s{cpu:>6.2f} s CPU")
    rest = seconds - bare_seconds - marks["imports"][0] - marks["cli"][0]
    print(f"    {'exit (children and threads ending, interpreter teardown)':<58}{rest:>6.2f} s")


# ---- Part 2: real pages ---------------------------------------------------------------------------------

def real_pages(work: Path, name: str) -> None:
    folders = PAGE_SETS[name]
    files = sorted(str(p) for folder in folders for p in (PAGES / folder / "html").glob("*.html.gz"))
    if not files:
        print(f"\nreal pages ({name}) skipped: {PAGES} has none")
        return
    listing = work / f"pages-{name}.txt"
    listing.write_text("\n".join(files))
    inputs = [str(PAGES / folder / "html" / "*.html.gz") for folder in folders]
    loads = [load()]
    seconds, peak, out = run_measured([sys.executable, "-m", "bench.bare_extract", "--list", str(listing)])
    loop = json.loads(out.strip().splitlines()[-1])
    runs = {}
    for label, args in (("(b) newsbeam, in-process, default pool", []),
                        ("(b1) newsbeam, in-process, 1 extraction process", ["--extract-processes", "1"]),
                        ("(c) newsbeam, multi_processing, 2 workers", MULTI)):
        runs[label] = newsbeam(inputs, work / f"{name}-{label[1:label.index(')')]}", args)
        loads.append(load())
    base_rate = len(files) / seconds
    print(f"\nthroughput on {len(files)} real pages ({', '.join(folders)}), extraction options: default, "
          f"{os.cpu_count()} cores")
    print(f"{'run':<52}{'docs':>6}{'seconds':>9}{'docs/s':>8}{'ratio':>7}{'peak MiB':>10}")
    print(f"{'(a) bare trafilatura.extract loop':<52}{len(files):>6}{seconds:>9.1f}{base_rate:>8.1f}"
          f"{1.0:>7.2f}{peak:>10.0f}")
    for label, run in runs.items():
        rate = run["items"] / run["seconds"]
        print(f"{label:<52}{run['items']:>6}{run['seconds']:>9.1f}{rate:>8.1f}{rate / base_rate:>7.2f}"
              f"{run['peak']:>10.0f}")
    print(f"  (a) loop alone, without interpreter start: {loop['documents'] / loop['seconds']:.1f} docs/s")
    for label, run in runs.items():
        print(f"  {label[:label.index(')') + 1]} worker seconds by stage: {_stages(run['stages'])}")
    reference = runs["(b1) newsbeam, in-process, 1 extraction process"]["output"]
    for label, run in runs.items():
        if run["output"] != reference:
            differences = different_rows(reference, run["output"])
            print(f"  {label[:label.index(')') + 1]} rows against (b1)'s: "
                  f"{'identical' if not differences else differences}")
    print(f"  {'; '.join(loads)} (before (a), then after each run)")
    print("  targets: b/a >= 0.9 in-process; on 2 cores >= 1.7")


# ---- Part 3: synthetic corpora --------------------------------------------------------------------------

def synthetic(work: Path, sizes: list[int]) -> None:
    print("\nsynthetic corpora, newsbeam multi_processing, 2 workers (peak = all its processes)")
    print(f"{'articles':>9}{'seconds':>9}{'docs/s':>8}{'peak MiB':>10}{'MiB/1k docs':>13}  worker seconds by stage")
    for size in sizes:
        corpus = write_corpus(size, work / f"corpus-{size}")
        run = newsbeam([str(corpus)], work / f"out-{size}", MULTI)
        assert run["items"] == size, run["counts"]
        print(f"{size:>9}{run['seconds']:>9.1f}{size / run['seconds']:>8.0f}{run['peak']:>10.0f}"
              f"{run['peak'] / size * 1000:>13.1f}  {_stages(run['stages'])}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", nargs="*", choices=sorted(PAGE_SETS), default=["eval"])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 50000])
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-fixed", action="store_true")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_fixed:
            fixed_cost(Path(tmp))
        if args.skip_real:
            pass
        elif PAGES.is_dir():
            for name in args.pages:
                real_pages(Path(tmp), name)
        else:
            print(f"\nreal pages skipped: {PAGES} is not present")
        if args.sizes:
            synthetic(Path(tmp), args.sizes)


if __name__ == "__main__":
    main()
