"""The commit is all or nothing for the next run: cut between any two renames, the rerun completes it.

A run's files are renamed from ``_staging/`` into their partitions one by one.
Before, a kill or a full disk between two renames left some files in and some
not, and the rerun took the missing items for already seen. Here the commit of
one real run (articles, a duplicate, an error row and a feed's state) is cut
after every number of renames in turn, by a FileSystems.rename that finds the
disk full, and a real rerun must leave the output exactly as a clean run and
rerun do.
"""
from __future__ import annotations

import copy
import errno
import json
import os
import shutil
from pathlib import Path

import pytest
from apache_beam.io.filesystem import BeamIOError
from apache_beam.io.filesystems import FileSystems

import newsbeam.pipeline.run as run_module
from newsbeam.pipeline.lock import OutputLock
from newsbeam.transforms.write.commit import CommitError
from newsbeam.transforms.write.storage import staging_dir
from tests.conftest import SAMPLES, check_accounting, manifests, rows, run_newsbeam
from tests.support.site import Site, rss
from tests.support.index_check import index_matches_tables

TABLES = ("articles", "duplicates", "errors")
# An article (baltic-brief), its near-duplicate (nordlicht-news) and a line cut off mid-record (an error row).
WIRE_LINES = (1, 3, 4)
FEED_TEXT = ("NATO allies agreed on Tuesday to send more air-defence systems to Ukraine before winter, "
             "the alliance's secretary general said after the meeting in Brussels.")


REAL_RENAME = FileSystems.rename


class FailingRenames:
    """``FileSystems.rename`` that lets ``after`` renames through, then fails as a full disk does
    (or raises ``error``, e.g. KeyboardInterrupt for a Ctrl-C)."""

    def __init__(self, after: int, error: BaseException | None = None):
        self.after, self.error, self.done = after, error, 0

    def __call__(self, sources, destinations):
        if self.done >= self.after:
            if self.error is not None:
                raise self.error
            full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            raise BeamIOError("Rename operation failed", {(sources[0], destinations[0]): IOError(full)})
        REAL_RENAME(sources, destinations)
        self.done += 1


def small_input(folder: Path) -> Path:
    """A JSONL file with an article, its near-duplicate and a broken line."""
    lines = (SAMPLES / "jsonl" / "wire.jsonl").read_text(encoding="utf-8").splitlines()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "wire.jsonl"
    path.write_text("\n".join(lines[i] for i in WIRE_LINES) + "\n", encoding="utf-8")
    return path


def serve_feed(site: Site) -> str:
    """A feed with one article, answered conditionally (ETag), so its state matters to the rerun."""
    entry = {"title": "Allies pledge air defence", "link": "https://feed-outlet.example/story-1",
             "pubDate": "Tue, 02 Sep 2025 08:00:00 GMT", "description": FEED_TEXT}
    return site.add("/feed.xml", rss([entry]), etag='"feed-v1"')


def run_args(inputs: Path, feed: str, output: Path, *extra: str) -> list[str]:
    return ["--input", str(inputs), "--feed", feed, "--allow-private-network", "--no-fetch-pages",
            "--output", str(output), "--log-level", "WARNING", *extra]


def table_rows(output: Path) -> dict[str, list[str]]:
    """Every row of the three tables, without what legitimately differs between runs, sorted."""
    found = {}
    for table in TABLES:
        drop = {"run_id", "ingested_at"} | ({"date"} if table == "errors" else set())  # errors: the run's date
        found[table] = sorted(json.dumps({k: v for k, v in row.items() if k not in drop}, default=repr,
                                         sort_keys=True) for row in rows(output, table))
    return found


def check_all_runs(output: Path) -> list[dict]:
    """Every manifest says succeeded, adds up, and names files that are there."""
    found = manifests(output)
    for manifest in found:
        check_accounting(output, manifest)
    return found


def test_a_commit_cut_between_any_two_renames_is_completed_by_the_next_run(tmp_path, monkeypatch, capsys):
    """One real run's commit, cut after 0, 1, 2, ... renames in turn (from the same staged files).

    The next run's first step completes (or, before the journal, discards) the
    cut commit; after it the output must be row for row the uncut commit's (or
    hold nothing of the run), with every manifest adding up. Since the rest of
    a run only reads what is then on disk, one cut (after the articles, before
    the duplicates and errors: the case that lost duplicates before) is
    followed by a whole real rerun, which must write nothing twice and nothing less.
    """
    inputs = small_input(tmp_path / "in")
    output, snapshot = tmp_path / "out", tmp_path / "snapshot"
    captured = {}
    real_commit = run_module.commit

    def capture(output_, lock, staged, manifest, feed_state):
        """The run's commit, recorded together with the output as it was just before it."""
        shutil.copytree(output_, snapshot, ignore=shutil.ignore_patterns("_lock.json"))  # its lock is ours
        captured.update(copy.deepcopy({"staged": staged, "manifest": manifest, "feed_state": feed_state}))
        return real_commit(output_, lock, staged, manifest, feed_state)

    with Site() as site:
        feed = serve_feed(site)
        # A real run whose disk fills up after its journal and one data file: exit 1, and why and where.
        monkeypatch.setattr(run_module, "commit", capture)
        monkeypatch.setattr(FileSystems, "rename", FailingRenames(after=2))
        assert run_newsbeam(*run_args(inputs, feed, output, "--run-id", "cut")) == 1
        out = capsys.readouterr().out
        assert "FAILED: commit failed: no space left on device while committing " + str(output) in out
        assert "the next run into this output completes the commit" in out
        assert (output / "_staging" / "cut" / "journal.json").is_file() and not (output / "_lock.json").exists()
        # The next run, while the disk is still full, cannot complete it: it stops, naming run and reason.
        monkeypatch.setattr(FileSystems, "rename", FailingRenames(after=0))
        assert run_newsbeam(*run_args(inputs, feed, output)) == 1
        error = capsys.readouterr().err
        assert "cannot complete the commit of earlier run cut: no space left on device while committing" in error
        assert (output / "_staging" / "cut" / "journal.json").is_file() and not (output / "_lock.json").exists()
        # Ctrl-C while the next run completes it: the lock is released, the journal kept.
        monkeypatch.setattr(FileSystems, "rename", FailingRenames(after=1, error=KeyboardInterrupt()))
        assert run_newsbeam(*run_args(inputs, feed, output)) == 130
        assert (output / "_staging" / "cut" / "journal.json").is_file() and not (output / "_lock.json").exists()
        monkeypatch.undo()

        def cut_commit(fault: FailingRenames) -> None:
            """The captured commit on the output as it was before it, cut by ``fault``."""
            shutil.rmtree(output)
            shutil.copytree(snapshot, output)
            with OutputLock(str(output), "cut") as lock:
                monkeypatch.setattr(FileSystems, "rename", fault)
                try:
                    run_module.commit(str(output), lock, **captured)
                except CommitError:
                    pass
                finally:
                    monkeypatch.undo()

        uncut = FailingRenames(after=10 ** 6)
        cut_commit(uncut)
        clean = table_rows(output)
        renames = uncut.done  # the journal, 4 data files, the dedup index, the file ledger, the manifest, the feed state
        assert renames == 9 and all(clean[t] for t in TABLES) and len(check_all_runs(output)) == 1
        for cut in range(renames):
            cut_commit(FailingRenames(after=cut))
            run_module.recover_output(str(output), "next-run")  # what the next run does first
            found = check_all_runs(output)
            if cut == 0:  # the journal was never written: nothing of the run is visible
                assert table_rows(output) == {t: [] for t in TABLES} and found == [], cut
            else:
                assert table_rows(output) == clean, f"commit cut after {cut} renames"
                assert [m["commit_completed_by"] for m in found] == ["next-run"]
                assert json.loads((output / "_state" / "feeds.json").read_text())[feed]["etag"] == '"feed-v1"'
            assert index_matches_tables(output), f"index after a commit cut after {cut} renames"
        # A whole rerun after the cut that lost duplicates before: it completes the commit first, then
        # skips all the run had written (the feed's article as not modified, thanks to the saved state).
        cut_commit(FailingRenames(after=3))
        site.hits.clear()
        assert run_newsbeam(*run_args(inputs, feed, output)) == 0
        (rerun,) = [m for m in check_all_runs(output) if m["run_id"] != "cut"]
        # The input file is recognised as ingested unchanged (so not even its bad line is read again).
        assert table_rows(output) == clean
        assert rerun["counts"]["files_unchanged"] == 1 and rerun["counts"]["feeds"]["not_modified"] == 1
        (hit,) = site.hits_of("/feed.xml")
        assert hit.headers.get("if-none-match") == '"feed-v1"'


def test_a_commit_cut_on_s3_is_completed_by_the_next_run(s3_output, monkeypatch):
    """On S3 a rename is a copy and a delete: cut after the journal and one file, and with the next file
    copied but its staged copy not yet deleted, the next run still completes the commit exactly."""
    output, options, s3 = s3_output
    FileSystems.set_options(options)
    staged = []
    for table, partition in (("articles", "date=2025-09-08/outlet=a"), ("duplicates", "date=2025-09-08/outlet=b"),
                             ("errors", "date=2025-09-08")):
        relative = f"{table}/{partition}/part-r1-0.parquet"
        staged.append({"table": table, "partition": partition, "path": f"{output}/{relative}",
                       "staged": f"{staging_dir(output, 'r1')}/{relative}", "rows": 1})
        s3.put_object(Bucket="news", Key=f"out/_staging/r1/{relative}", Body=table.encode())
    manifest = {"run_id": "r1", "status": "succeeded", "files": staged}
    with OutputLock(output, "r1", options=options) as lock, monkeypatch.context() as patch:
        patch.setattr(FileSystems, "rename", FailingRenames(after=2))  # the journal and the articles file
        with pytest.raises(CommitError, match="no space left on device while committing s3://news/out/dup"):
            run_module.commit(output, lock, staged, manifest, None)
    copied = "out/duplicates/date=2025-09-08/outlet=b/part-r1-0.parquet"  # copied, its staged copy not deleted:
    s3.copy_object(Bucket="news", Key=copied, CopySource={"Bucket": "news", "Key": f"out/_staging/r1/{copied[4:]}"})
    run_module.recover_output(output, "next")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="news")["Contents"]}
    assert keys == {f"out/{r['path'].split('/out/', 1)[1]}" for r in staged} | {"out/_runs/r1.json"}
    for record in staged:
        body = s3.get_object(Bucket="news", Key=f"out/{record['path'].split('/out/', 1)[1]}")["Body"].read()
        assert body == record["table"].encode()
    completed = json.loads(s3.get_object(Bucket="news", Key="out/_runs/r1.json")["Body"].read())
    assert completed["commit_completed_by"] == "next"
