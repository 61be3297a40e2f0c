"""Helpers shared by the benchmarks: running a transform on the local runner, article rows."""
from __future__ import annotations

import pickle
import sys
import tempfile
import time
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from pipeline.runner import make_runner  # noqa: E402
from tests.support.corpus import article  # noqa: E402,F401  (re-exported for the benchmarks)


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
