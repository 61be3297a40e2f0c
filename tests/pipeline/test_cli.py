"""The command line: clear refusals before any work, documented exit codes."""
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, only_manifest, rows, run_newsbeam

NEWSBEAM = str(Path(sys.executable).with_name("newsbeam"))


def test_help_documents_the_command_and_beam_options():
    out = subprocess.run([NEWSBEAM, "run", "--help"], capture_output=True, text=True, check=True).stdout
    for word in ("--input", "--output", "--config", "--fail-on-errors", "--direct_num_workers", "Exit status"):
        assert word in out


@pytest.mark.parametrize("args, message", [
    (["--input", "{tmp}/nothing-*.txt", "--output", "{tmp}/out", "--fail-on-no-input"], "matched no files"),
    (["--input", "{samples}/txt/*.txt"], "no output"),
    (["--input", "{samples}/txt/*.txt", "--output", "{tmp}/out", "--runnr=DirectRunner"],
     "unknown option --runnr; did you mean --runner?"),
    (["--input", "{samples}/txt/*.txt", "--output", "{tmp}/file.txt/out"], "is not writable"),
    (["--input", "{samples}/txt/*.txt", "--output", "{tmp}/out", "--config", "{tmp}/bad.yaml"],
     "unknown key 'colour'"),
    (["--input", "{samples}/txt/*.txt", "--output", "{tmp}/out", "--lexicon", "{tmp}/bad.yaml"],
     "expected a mapping with an 'entities' mapping"),
    (["--input", "{samples}/txt/*.txt", "--output", "{tmp}/out", "stray"], "unexpected argument(s): stray"),
])
def test_bad_usage_exits_2_with_one_clear_line_and_writes_nothing(tmp_path, capsys, args, message):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "bad.yaml").write_text("colour: blue\n")
    args = [a.format(tmp=tmp_path, samples=SAMPLES) for a in args]
    assert run_newsbeam(*args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("newsbeam: error: ") and message in err[-1]
    assert not (tmp_path / "out" / "articles").exists()


def test_fail_on_errors_exits_3_after_writing_everything(tmp_path):
    # samples/jsonl/wire.jsonl has one broken line on purpose
    assert run_newsbeam("--input", f"{SAMPLES}/jsonl/*", "--output", tmp_path, "--fail-on-errors") == 3
    assert only_manifest(tmp_path)["status"] == "succeeded"
    assert len(rows(tmp_path, "errors")) == 1 and rows(tmp_path, "articles")


def test_config_file_drives_a_run_and_flags_override_it(tmp_path):
    config = tmp_path / "run.yaml"
    config.write_text(f"input: ['{SAMPLES}/txt/*.txt']\noutput: {tmp_path}/ignored\noutlet: Config Outlet\n"
                      "run_id: from-config\npipeline_options: {direct_num_workers: 1}\n")
    assert run_newsbeam("--config", config, "--output", tmp_path / "out", "--outlet", "Flag Outlet") == 0
    manifest = only_manifest(tmp_path / "out")
    assert manifest["run_id"] == "from-config" and manifest["config"]["pipeline_options"] == {"direct_num_workers": 1}
    assert {r["outlet_name"] for r in rows(tmp_path / "out", "articles")} == {"Flag Outlet"}
    assert not (tmp_path / "ignored").exists()
