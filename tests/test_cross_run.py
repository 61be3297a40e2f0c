"""Runs into the same output: never the same article twice, even after a killed run."""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import SAMPLES, check_accounting, manifests, rows, run_newsbeam
from tests.support.corpus import corpus, variant


def articles_ids(output: Path) -> list[str]:
    return [r["article_id"] for r in rows(output, "articles")]


def test_same_input_twice_adds_no_rows(tmp_path):
    assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", tmp_path, "--run-id", "one") == 0
    assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", tmp_path, "--run-id", "two") == 0
    assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", tmp_path, "--run-id", "three", "--reprocess") == 0
    first, second, third = sorted(manifests(tmp_path), key=lambda m: ["one", "two", "three"].index(m["run_id"]))
    for manifest in (first, second, third):
        check_accounting(tmp_path, manifest)
    # unchanged files are recognised before they are read: each one item, skipped
    assert (second["counts"]["files_read"], second["counts"]["files_unchanged"]) == (0, 10)
    assert (second["counts"]["input_items"], second["counts"]["skipped"], second["files"]) == (10, 10, [])
    # read again on request: everything but the broken JSONL line (an error row each run) was written before
    assert (third["counts"]["articles"], third["counts"]["duplicates"]) == (0, 0)
    assert third["counts"]["skipped"] == first["counts"]["articles"] + first["counts"]["duplicates"] == 17
    ids = articles_ids(tmp_path)
    assert len(ids) == len(set(ids)) == 13


def write_docs(folder: Path, texts: list[str], start: int = 0, day: str = "2025-03-01") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    meta = {}
    for i, text in enumerate(texts, start):
        (folder / f"doc-{i:04d}.txt").write_text(f"Headline number {i}\n{text}\n", encoding="utf-8")
        meta[f"doc-{i:04d}.txt"] = {"url": f"https://wire-{i % 7}.example/story/{i}", "published": f"{day}T08:00:00Z"}
    (folder / "_meta.yaml").write_text(json.dumps(meta))


def test_a_later_copy_of_an_earlier_article_points_at_it(tmp_path):
    story, other = corpus(2, seed=31)
    write_docs(tmp_path / "day1", [story, other])
    write_docs(tmp_path / "day2", [variant(story, random.Random(1), drop=1, boilerplate=True)], start=10,
               day="2025-03-02")
    output = tmp_path / "out"
    assert run_newsbeam("--input", tmp_path / "day1", "--output", output, "--run-id", "day1") == 0
    assert run_newsbeam("--input", tmp_path / "day2", "--output", output, "--run-id", "day2") == 0
    (copy,) = rows(output, "duplicates")
    (original,) = rows(output, "articles", "title = 'Headline number 0'")
    assert (copy["reason"], copy["duplicate_of"], copy["run_id"]) == ("near_duplicate", original["article_id"], "day2")
    assert len(rows(output, "articles")) == 2


def test_killed_run_leaves_no_visible_partial_file_and_the_next_run_completes(tmp_path):
    write_docs(tmp_path / "in", corpus(600, seed=41, paragraphs=3))
    output = tmp_path / "out"
    command = [sys.executable, "-m", "newsbeam.pipeline.cli", "run", "--input", str(tmp_path / "in"), "--output", str(output),
               "--log-level", "WARNING"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while process.poll() is None and time.monotonic() < deadline:
        if list((output / "_staging").glob("*/articles/*/*/*.parquet")):
            break  # the run is writing its files: kill it now, before or during its commit
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # whatever became visible is complete and readable; the rest waits under _staging
    for path in (output / "articles").rglob("*.parquet") if (output / "articles").exists() else []:
        assert pq.read_metadata(path).num_rows > 0
    assert run_newsbeam("--input", tmp_path / "in", "--output", output, "--run-id", "after-kill") == 0
    (manifest,) = [m for m in manifests(output) if m["run_id"] == "after-kill"]
    check_accounting(output, manifest)
    ids = articles_ids(output)
    assert len(ids) == len(set(ids)) == 600
