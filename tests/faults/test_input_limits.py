"""Inputs that used to exhaust memory or hang a run (issue 11, items 7, 8 and 12).

Each runs the real CLI in a child process with a deadline, so a regression
shows as a failed test, never as a hung suite; memory is the child's peak
resident size.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import check_accounting, only_manifest, rows, run_newsbeam
from tests.support.corpus import corpus

TEXT = ("Die Nato und die Ukraine beraten in Brüssel über den Beitritt. Die Außenminister der Allianz "
        "sprachen am Dienstag über Luftverteidigung, Munition und den Wiederaufbau des Stromnetzes. ")
BOMB = "\n".join([
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    *(f"{n}: &{n} [{', '.join(['*' + p] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi")),
])


def newsbeam(*args, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float, int]:
    """`newsbeam ARGS` in a child process: (result, seconds, peak RSS in MiB of the child and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "newsbeam.pipeline.cli", *map(str, args)], capture_output=True,
                            text=True, timeout=timeout)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return result, time.monotonic() - started, max(peak, before) // 1024


def test_a_46_mb_single_line_record_is_refused_alone_in_bounded_memory(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    huge = {"url": "https://a.example/huge", "title": "Huge", "text": TEXT * 250_000}  # ~47 MB on one line
    with open(inputs / "export.jsonl", "w", encoding="utf-8") as handle:
        handle.write(json.dumps({"url": "https://a.example/small", "title": "Small", "text": TEXT}) + "\n")
        handle.write(json.dumps(huge, ensure_ascii=False) + "\n")
    assert (inputs / "export.jsonl").stat().st_size > 46_000_000
    output = tmp_path / "out"
    result, seconds, peak_mib = newsbeam("run", "--input", inputs, "--output", output)
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = check_accounting(output)
    assert (manifest["counts"]["articles"], manifest["counts"]["errors"]) == (1, 1)
    (error,) = rows(output, "errors")
    assert (error["locator"], error["error_type"]) == ("line 2", "too_large")
    assert peak_mib < 1500, peak_mib  # it took 9 GB before: the whole record went through every stage


def test_a_large_record_under_the_cap_is_processed_in_bounded_memory(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    text = " ".join(f"{TEXT} Absatz {i}." for i in range(10_000))  # ~2 MB of text on one line
    (inputs / "big.jsonl").write_text(json.dumps({"url": "https://a.example/big", "title": "Big", "text": text}))
    output = tmp_path / "out"
    result, seconds, peak_mib = newsbeam("run", "--input", inputs, "--output", output)
    assert result.returncode == 0, result.stderr[-2000:]
    assert check_accounting(output)["counts"]["articles"] == 1
    assert peak_mib < 1500, peak_mib


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_yaml_alias_bomb_in_the_config_fails_fast_naming_the_file(tmp_path, command):
    config = tmp_path / "bomb.yaml"
    config.write_text(BOMB + "\ninput: *i\n")
    args = ["validate", "--config", config] if command == "validate" else [
        "run", "--config", config, "--output", tmp_path / "out"]
    result, seconds, peak_mib = newsbeam(*args, timeout=60)
    assert result.returncode == 2 and seconds < 30 and peak_mib < 1000
    assert f"{config}: more than 100,000 values" in result.stderr + result.stdout


def test_a_yaml_alias_bomb_in_a_sidecar_fails_fast_naming_it(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text(f"Titel\n{TEXT}\n")
    (inputs / "_meta.yaml").write_text(BOMB + "\n'*': {outlet: *i}\n")
    result, seconds, _ = newsbeam("run", "--input", inputs, "--output", tmp_path / "out", timeout=60)
    assert result.returncode == 2 and seconds < 30
    assert "_meta.yaml: more than 100,000 values" in result.stderr


def test_a_fifo_or_device_among_the_inputs_is_an_error_row_not_a_hang(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text(f"Titel\n{TEXT}\n")
    os.mkfifo(inputs / "pipe.txt")
    os.symlink("/dev/zero", inputs / "zero.html")
    output = tmp_path / "out"
    result, seconds, _ = newsbeam("run", "--input", inputs, "--output", output, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    assert check_accounting(output)["counts"]["articles"] == 1
    errors = {Path(e["source"]).name: (e["stage"], e["error_type"], e["message"]) for e in rows(output, "errors")}
    assert errors["pipe.txt"] == ("read", "not_a_file", "a named pipe, not a regular file")
    assert errors["zero.html"] == ("read", "not_a_file", "a device, not a regular file")


def test_globstar_matches_zero_or_more_folders_as_shells_do(tmp_path):
    (tmp_path / "in" / "sub" / "deeper").mkdir(parents=True)
    for i, (folder, body) in enumerate(zip(["in", "in/sub", "in/sub/deeper"], corpus(3, seed=9, paragraphs=1))):
        (tmp_path / folder / f"doc{i}.txt").write_text(f"Titel {i}\n{body}\n")
    (tmp_path / "in" / "skip.html").write_text("<p>not a .txt</p>")
    output = tmp_path / "out"
    assert run_newsbeam("--input", f"{tmp_path}/in/**/*.txt", "--output", output) == 0
    assert sorted(Path(a["source"]).name for a in rows(output, "articles")) == ["doc0.txt", "doc1.txt", "doc2.txt"]
    assert only_manifest(output)["counts"]["files_matched"] == 3


def test_config_values_that_would_fail_at_run_time_fail_validation_naming_the_key(tmp_path):
    cases = {
        "fetch: {concurrency: 0}": "'concurrency' must be a whole number >= 1",
        "feeds: ['https://example.org:99999/feed']": "key 'feeds' must be an http(s) URL",
        "pipeline_options: {runner: ../../x}": "'runner' must be a runner name",
    }
    for body, message in cases.items():
        config = tmp_path / "c.yaml"
        config.write_text(f"input: ['{tmp_path}']\noutput: {tmp_path / 'out'}\n{body}\n")
        result, _, _ = newsbeam("validate", "--config", config, timeout=60)
        assert result.returncode == 2 and message in result.stdout + result.stderr, (body, result)
        assert "Traceback" not in result.stderr
    result, _, _ = newsbeam("run", "--input", tmp_path, "--output", tmp_path / "out", "--runner", "../../x")
    assert result.returncode == 2 and "'runner' must be a runner name" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_oversized_item_is_refused_before_extraction_wherever_it_comes_from(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "page.html").write_text("<html><body>" + "<p>" + TEXT * 100 + "</p>" + "</body></html>")
    (inputs / "ok.txt").write_text(f"Titel\n{TEXT}\n")
    output = tmp_path / "out"
    assert run_newsbeam("--input", inputs, "--output", output, "--max-item-bytes", "10000") == 0
    check_accounting(output)
    (error,) = rows(output, "errors")
    assert (Path(error["source"]).name, error["stage"], error["error_type"]) == ("page.html", "extract", "too_large")
    for path in output.rglob("*.parquet"):  # no empty file but the one that makes a table without rows readable
        table = path.relative_to(output).parts[0]
        assert pq.read_metadata(path).num_rows > 0 or len(list((output / table).rglob("*.parquet"))) == 1
