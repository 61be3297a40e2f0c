"""Shared helpers: where things are, how to run newsbeam, how to read what it wrote."""
from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import apache_beam as beam

import duckdb
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline

from newsbeam.pipeline.cli import main
from newsbeam.pipeline.runner import make_runner
from tests.support.s3 import s3_server

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"

requires_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not present")


def beam_test_pipeline() -> TestPipeline:
    """A TestPipeline on the same local runner as `newsbeam run` (never the Prism download)."""
    options = PipelineOptions([])
    return TestPipeline(runner=make_runner(options), options=options)


def run_newsbeam(*args: str) -> int:
    """`newsbeam run ARGS` in this process; returns the exit status."""
    return main(["run", *map(str, args)])


def manifests(output: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((output / "_runs").glob("*.json"))]


def only_manifest(output: Path) -> dict:
    found = manifests(output)
    assert len(found) == 1, found
    return found[0]


PART = re.compile(r"^(articles|duplicates)/date=\d{4}-\d{2}-\d{2}/outlet=[a-z0-9._-]{1,64}/part-[\w.-]+-\d+\.parquet$"
                  r"|^errors/date=\d{4}-\d{2}-\d{2}/part-[\w.-]+-\d+\.parquet$")


def parquet_files(output: Path) -> set[str]:
    """The data files of the three tables (``_`` folders: staging, index, are not tables)."""
    return {p.relative_to(output).as_posix() for p in output.rglob("*.parquet")
            if not any(part.startswith("_") for part in p.relative_to(output).parts)}


def check_accounting(output: Path, manifest: dict | None = None) -> dict:
    """What every run must satisfy: counts add up, and the files reported are on disk.
    Without ``manifest`` the output must hold exactly one run."""
    only_run = manifest is None
    manifest = manifest or only_manifest(output)
    counts = manifest["counts"]
    assert manifest["status"] == "succeeded" and manifest["accounting_ok"] is True
    assert counts["input_items"] == counts["articles"] + counts["duplicates"] + counts["errors"] + counts["skipped"]
    for table in ("articles", "duplicates", "errors"):
        assert len(rows(output, table, f"run_id = '{manifest['run_id']}'")) == counts[table], table
    reported = {Path(f["path"]).relative_to(output).as_posix() for f in manifest["files"]}
    on_disk = parquet_files(output)
    assert reported == on_disk if only_run else reported <= on_disk
    assert all(PART.match(path) for path in reported), reported
    for record in manifest["files"]:
        assert Path(record["path"]).is_file()
    assert not (output / "_staging").exists()
    return manifest


def rows(output: Path, table: str, where: str = "true") -> list[dict]:
    """A table read back with DuckDB, Hive partitions as columns; [] if it has no files."""
    if not list((output / table).rglob("*.parquet")):
        return []
    relation = duckdb.sql(
        f"SELECT * FROM read_parquet('{output}/{table}/**/*.parquet', hive_partitioning=true) WHERE {where}")
    return [dict(zip(relation.columns, values)) for values in relation.fetchall()]


@pytest.fixture
def s3_output(monkeypatch):
    """An output on a real S3-compatible server on loopback, and the options to reach it."""
    with s3_server(monkeypatch.setenv) as (endpoint, client):
        yield "s3://news/out", PipelineOptions(["--s3_endpoint_url", endpoint, "--s3_region_name", "us-east-1"]), client


@pytest.fixture(scope="session")
def samples_output(tmp_path_factory) -> Path:
    """One run over the bundled samples, shared by the tests that only read its output."""
    output = tmp_path_factory.mktemp("samples") / "out"
    assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", output, "--run-id", "samples-run") == 0
    return output


@pytest.fixture(scope="session")
def seeds_output(tmp_path_factory) -> Path:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not present")
    output = tmp_path_factory.mktemp("seeds") / "out"
    assert run_newsbeam("--input", f"{SEEDS}/*.txt", "--output", output) == 0
    return output


def _save(items, path):
    with open(path, "wb") as handle:
        pickle.dump(list(items), handle)


@pytest.fixture
def run_transform(tmp_path):
    """Run a pipeline built by ``build(p) -> {name: PCollection}``; returns {name: [elements]}.

    Elements are saved to files by the pipeline itself, so what a test sees is what
    the runner produced (assert_that matchers run on a pickled copy and cannot hand
    results back)."""
    def run(build):
        with beam_test_pipeline() as p:
            outputs = build(p)
            for name, pcoll in outputs.items():
                path = str(tmp_path / f"{name}.pickle")
                _ = (pcoll | f"Gather_{name}" >> beam.combiners.ToList()
                     | f"Save_{name}" >> beam.Map(_save, path))
        found = {}
        for name in outputs:
            with open(tmp_path / f"{name}.pickle", "rb") as handle:
                found[name] = pickle.load(handle)
        return found
    return run
