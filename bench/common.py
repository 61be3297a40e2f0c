"""Helpers shared by the benchmarks: running a transform on the local runner, article rows,
running a command while measuring its time and peak memory."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
sys.path.insert(0, str(ROOT))

from newsbeam.pipeline.runner import make_runner  # noqa: E402
from tests.support.procfs import processes  # noqa: E402


def _save(items, path):
    with open(path, "wb") as handle:
        pickle.dump(list(items), handle)


def run_and_collect(build, argv=()) -> tuple[dict, float]:
    """Run ``build(p) -> {name: PCollection}`` on the local runner; returns ({name: elements}, seconds)."""
    options = PipelineOptions(list(argv))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        with beam.Pipeline(runner=make_runner(options), options=options) as p:
            for name, pcoll in build(p).items():
                _ = (pcoll | f"Gather_{name}" >> beam.combiners.ToList()
                     | f"Save_{name}" >> beam.Map(_save, f"{tmp}/{name}.pickle"))
        seconds = time.perf_counter() - started
        found = {}
        for path in Path(tmp).glob("*.pickle"):
            with open(path, "rb") as handle:
                found[path.stem] = pickle.load(handle)
    return found, seconds


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for process in processes():
        rss[process.pid] = process.rss_pages * PAGE_KB
        children.setdefault(process.parent, []).append(process.pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run_measured(argv: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run a command; (wall seconds, peak resident memory of its whole process tree in MiB, stdout)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT,
                                   env={**os.environ, **(env or {})})
        peak = 0
        while process.poll() is None:
            peak = max(peak, _tree_rss_kb(process.pid))
            time.sleep(0.1)
        seconds = time.perf_counter() - started
        out.seek(0)
        stdout = out.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {process.returncode}:\n{stdout[-2000:]}")
    return seconds, peak / 1024, stdout
