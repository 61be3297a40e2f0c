"""A committed file is never overwritten: a reused run id is refused, and the commit never renames over a file.

File names are ``part-<run_id>-N``; before, a second run under the same run id
(an Airflow retry of ``airflow-{{ ts_nodash }}``) replaced the first run's
files and manifest.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from newsbeam.pipeline.cli import EXIT_FAILED, EXIT_USAGE
from tests.conftest import check_accounting, manifests, run_newsbeam
from tests.faults.test_commit import small_input


def snapshot(output: Path) -> dict[str, bytes]:
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}


def test_a_run_id_the_output_already_has_is_refused_and_the_first_run_stays_intact(tmp_path, capsys):
    inputs = small_input(tmp_path / "in")
    output = tmp_path / "out"
    assert run_newsbeam("--input", inputs, "--output", output, "--run-id", "hourly-1") == 0
    before = snapshot(output)
    assert any(name.endswith("part-hourly-1-0.parquet") for name in before) and "_runs/hourly-1.json" in before
    capsys.readouterr()
    assert run_newsbeam("--input", inputs, "--output", output, "--run-id", "hourly-1") == EXIT_USAGE
    error = capsys.readouterr().err
    assert f"run id hourly-1 is already used in {output}" in error and "give a new --run-id" in error.lower()
    assert snapshot(output) == before  # every file, the manifest included, byte for byte
    check_accounting(output)


def test_a_staged_file_is_never_renamed_over_an_existing_one(tmp_path):
    """Even without a manifest to refuse the run id: the commit checks every final name first."""
    inputs = small_input(tmp_path / "in")
    output = tmp_path / "out"
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()  # error rows are filed under the run's date
    clash = output / "errors" / f"date={today}" / "part-again-0.parquet"
    clash.parent.mkdir(parents=True)
    clash.write_bytes(b"an earlier file")
    assert run_newsbeam("--input", inputs, "--output", output, "--run-id", "again") == EXIT_FAILED
    (manifest,) = manifests(output)
    assert manifest["status"] == "failed"
    assert f"refusing to overwrite {clash}, which an earlier run committed; nothing was committed" in manifest["error"]
    assert clash.read_bytes() == b"an earlier file"
    assert [p for p in output.rglob("*.parquet")] == [clash]  # none of the run's files went in
    assert not (output / "_staging").exists() and not (output / "_lock.json").exists()
