"""An input file an earlier run read unchanged is recognised before it is opened (issue 13)."""
from __future__ import annotations

import json
import os
import shutil

from tests.conftest import SAMPLES, check_accounting, manifests, rows, run_newsbeam


def run(inputs, output, run_id, *flags) -> dict:
    assert run_newsbeam("--input", f"{inputs}/**", "--output", output, "--run-id", run_id, *flags) == 0
    (manifest,) = [m for m in manifests(output) if m["run_id"] == run_id]
    return check_accounting(output, manifest)


def test_unchanged_files_are_skipped_unread_and_changed_or_forced_ones_are_read(tmp_path):
    inputs, output = tmp_path / "in", tmp_path / "out"
    shutil.copytree(SAMPLES, inputs)
    first = run(inputs, output, "first")
    files = first["counts"]["files_matched"]
    # nothing new: every file is one skipped item, none is read, no pipeline is built, nothing written
    again = run(inputs, output, "again")
    assert (again["counts"]["files_unchanged"], again["counts"]["files_read"], again["files"]) == (files, 0, [])
    assert again["counts"]["input_items"] == again["counts"]["skipped"] == files
    # one file gains a record: only it is read again; its old records are skipped, the new one written
    jsonl = next(inputs.rglob("*.jsonl"))
    record = {"url": "https://new.example/one", "title": "Ein neuer Bericht",
              "text": "Die Nato und die Ukraine sprechen in Brüssel über neue Hilfe für die Luftverteidigung. " * 3}
    with open(jsonl, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
    changed = run(inputs, output, "changed")
    assert (changed["counts"]["files_unchanged"], changed["counts"]["files_read"]) == (files - 1, 1)
    assert changed["counts"]["articles"] == 1
    # the same size and content with a new modification time is read again, and writes nothing twice
    stat = jsonl.stat()
    os.utime(jsonl, (stat.st_atime, stat.st_mtime + 60))
    touched = run(inputs, output, "touched")
    assert (touched["counts"]["files_read"], touched["counts"]["articles"], touched["counts"]["duplicates"]) == (1, 0, 0)
    # --reprocess reads every file again; all their items were written before, so all are skipped
    forced = run(inputs, output, "forced", "--reprocess")
    assert (forced["counts"]["files_unchanged"], forced["counts"]["files_read"]) == (0, files)
    assert forced["counts"]["articles"] == forced["counts"]["duplicates"] == 0
    ids = [r["article_id"] for r in rows(output, "articles")]
    assert len(ids) == len(set(ids))
