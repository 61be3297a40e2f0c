"""One writer per output: overlapping runs are refused (exit 4) or wait, and a dead run's lock is taken over.

Before, two runs started seconds apart into one output both succeeded and
wrote every article twice, and a run starting during another's commit deleted
its staged files.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from apache_beam.io.filesystems import FileSystems

from newsbeam.pipeline.cli import EXIT_LOCKED, main
from newsbeam.pipeline.lock import LockHeld, LockLost, OutputLock
from tests.conftest import ROOT, check_accounting, manifests, rows, run_newsbeam
from tests.faults.test_commit import serve_feed, small_input
from tests.support.s3 import wait_for
from tests.support.site import Route, Site

CLI = [sys.executable, "-m", "newsbeam.pipeline.cli"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def held_feed(site: Site, release: threading.Event) -> str:
    """A feed that answers at once but drips its body until ``release``: the run fetching it holds
    the output lock as long as the test needs, without a read timeout."""
    serve_feed(site)
    body = site.routes["/feed.xml"].body

    def drip(request):
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        sent = 0
        while not release.wait(0.5) and sent < 100:  # at most 50 s, within the fetcher's total timeout
            request.wfile.write(body[sent:sent + 1])
            request.wfile.flush()
            sent += 1
        request.wfile.write(body[sent:])

    site.routes["/feed.xml"] = Route(handler=drip)
    return site.url("/feed.xml")


def test_a_second_run_is_refused_or_waits_and_nothing_is_written_twice(tmp_path, capsys):
    """Three real CLI runs into one output: while the first holds the lock, the second (started
    seconds later) exits with status 4 naming the holder, a compaction is refused the same way,
    and the third, with --wait-for-lock, waits and then runs, writing nothing twice."""
    inputs = small_input(tmp_path / "in")
    output = tmp_path / "out"
    release = threading.Event()
    logs = {name: tmp_path / f"{name}.log" for name in ("first", "second", "third")}

    def start(name: str, *extra: str) -> subprocess.Popen:
        with logs[name].open("w") as log:
            return subprocess.Popen([*CLI, *args, "--run-id", name, *extra], env=ENV, stdout=subprocess.DEVNULL,
                                    stderr=log)

    with Site() as site:
        args = ["run", "--input", str(inputs), "--feed", held_feed(site, release), "--allow-private-network",
                "--no-fetch-pages", "--output", str(output)]
        first = start("first")
        try:
            wait_for(lambda: site.hits_of("/feed.xml"), what="the first run to fetch its feed")  # it holds the lock
            second, third = start("second"), start("third", "--wait-for-lock", "120")
            assert second.wait(120) == EXIT_LOCKED, logs["second"].read_text()[-2000:]
            holder = f"held by run first (pid {first.pid} on {socket.gethostname()}) since "
            assert holder in logs["second"].read_text() and "--wait-for-lock" in logs["second"].read_text()
            assert main(["compact", str(output)]) == EXIT_LOCKED  # compaction waits its turn as well
            assert holder in capsys.readouterr().err
            wait_for(lambda: "waiting up to 120 s for the output lock" in logs["third"].read_text(), what="the wait")
            assert first.poll() is None  # the first run is still working while the third waits
            release.set()
            assert first.wait(120) == 0, logs["first"].read_text()[-2000:]
            assert third.wait(120) == 0, logs["third"].read_text()[-2000:]
        finally:
            release.set()
            first.wait(120)
    found = {m["run_id"]: m for m in manifests(output)}
    assert set(found) == {"first", "third"}  # the refused run left nothing behind
    for manifest in found.values():
        check_accounting(output, manifest)
    assert found["first"]["counts"]["articles"] == 2 and found["third"]["counts"]["articles"] == 0
    # the feed's article, and the input file (its article and duplicate) recognised as unchanged
    assert (found["third"]["counts"]["skipped"], found["third"]["counts"]["files_unchanged"]) == (2, 1)
    ids = [r["article_id"] for r in rows(output, "articles")]
    assert len(ids) == len(set(ids)) == 2
    assert not (output / "_lock.json").exists()


KILL_IN_COMMIT = """
import os, signal, sys
from apache_beam.io.filesystems import FileSystems
real, done = FileSystems.rename, []
def rename(sources, destinations):  # killed after the journal and the articles file, before the rest
    if len(done) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    real(sources, destinations)
    done.append(sources)
FileSystems.rename = rename
from newsbeam.pipeline.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_run_killed_in_its_commit_leaves_a_stale_lock_that_the_next_run_takes_over(tmp_path, capsys):
    """SIGKILL between two renames of the commit: its process is gone, so its lock is stale at once,
    and the next run takes it over, completes the commit and writes nothing twice."""
    inputs = small_input(tmp_path / "in")
    output = tmp_path / "out"
    killed = subprocess.Popen([sys.executable, "-c", KILL_IN_COMMIT, "run", "--input", str(inputs), "--output",
                               str(output), "--run-id", "killed"], env=ENV, stderr=subprocess.PIPE, text=True)
    _, stderr = killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL, stderr[-2000:]
    lock = json.loads((output / "_lock.json").read_text())
    assert (lock["run_id"], lock["pid"], lock["host"]) == ("killed", killed.pid, socket.gethostname())
    assert list((output / "articles").rglob("*.parquet")) and not list((output / "duplicates").rglob("*.parquet"))
    assert run_newsbeam("--input", inputs, "--output", output, "--run-id", "next") == 0
    log = capsys.readouterr().err
    assert f"took over the stale output lock {output / '_lock.json'} (its process {lock['pid']} on this host is " \
           "gone): run killed" in log
    assert "completing the commit of run killed" in log
    found = {m["run_id"]: m for m in manifests(output)}
    for manifest in found.values():
        check_accounting(output, manifest)
    assert found["killed"]["commit_completed_by"] == "next"
    # the next run skips the killed run's input file as unchanged (its article and duplicate are written)
    assert (found["killed"]["counts"]["duplicates"], found["next"]["counts"]["files_unchanged"]) == (1, 1)
    assert len(rows(output, "duplicates")) == 1 and len(rows(output, "articles")) == 1
    assert not (output / "_lock.json").exists()


def write_lock(output: Path, age_seconds: float, host: str = "elsewhere", pid: int = 1) -> None:
    """Another process's lock, written whole (a rename), as a lock holder's heartbeat writes it."""
    beat = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=age_seconds)).isoformat()
    (output / "other.tmp").write_text(json.dumps({
        "run_id": "other", "command": "run", "host": host, "pid": pid, "started_at": beat,
        "heartbeat_at": beat, "token": "t0"}))
    os.replace(output / "other.tmp", output / "_lock.json")


def lost(lock: OutputLock) -> bool:
    try:
        lock.check()
    except LockLost:
        return True
    return False


def test_lock_holder_staleness_waiting_and_heartbeat(tmp_path, caplog):
    write_lock(tmp_path, age_seconds=5)  # alive on another host
    started = time.monotonic()
    with pytest.raises(LockHeld, match=r"after waiting 1 s: .* held by run other \(pid 1 on elsewhere\) since "):
        OutputLock(str(tmp_path), "mine", wait_seconds=1.0).acquire()
    assert 1.0 <= time.monotonic() - started < 30
    write_lock(tmp_path, age_seconds=600)  # its heartbeat stopped ten minutes ago
    with caplog.at_level(logging.WARNING, logger="newsbeam.lock"):
        with OutputLock(str(tmp_path), "mine", heartbeat_seconds=0.05) as lock:
            first = json.loads((tmp_path / "_lock.json").read_text())
            assert (first["run_id"], first["pid"], first["host"]) == ("mine", os.getpid(), socket.gethostname())
            wait_for(lambda: json.loads((tmp_path / "_lock.json").read_text())["heartbeat_at"] > first["heartbeat_at"],
                     30, "a heartbeat")
        assert not (tmp_path / "_lock.json").exists()  # released
    with OutputLock(str(tmp_path), "mine", heartbeat_seconds=0.3) as lock:
        write_lock(tmp_path, age_seconds=0)  # someone took it over (as if ours had gone stale)
        wait_for(lambda: lost(lock), 30, "the heartbeat to notice")
        with pytest.raises(LockLost, match="taken over by run other"):
            lock.check()
    assert re.search(r"took over the stale output lock .* \(its last heartbeat is 6\d\d s old \(limit 120 s\)\): "
                     r"run other \(pid 1 on elsewhere\)", caplog.text)
    assert json.loads((tmp_path / "_lock.json").read_text())["run_id"] == "other"  # not ours to delete
    (tmp_path / "_lock.json").write_text("")  # a holder that died between creating and filling it
    with pytest.raises(LockHeld, match="unreadable lock file"):
        OutputLock(str(tmp_path), "mine").acquire()
    os.utime(tmp_path / "_lock.json", (time.time() - 600, time.time() - 600))
    with OutputLock(str(tmp_path), "mine"):
        assert json.loads((tmp_path / "_lock.json").read_text())["run_id"] == "mine"
    assert not (tmp_path / "_lock.json").exists()


def test_the_lock_on_s3_is_a_conditional_create(s3_output, caplog):
    output, options, _ = s3_output
    FileSystems.set_options(options)
    with OutputLock(output, "first", options=options):
        with pytest.raises(LockHeld, match=r"held by run first \(pid"):
            OutputLock(output, "second", options=options).acquire()
    assert not FileSystems.exists(f"{output}/_lock.json")  # released
    beat = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=600)).isoformat()
    with FileSystems.create(f"{output}/_lock.json") as handle:
        handle.write(json.dumps({"run_id": "gone", "host": "elsewhere", "pid": 1, "started_at": beat,
                                 "heartbeat_at": beat, "token": "t0"}).encode())
    with caplog.at_level(logging.WARNING, logger="newsbeam.lock"):
        with OutputLock(output, "third", options=options):
            with FileSystems.open(f"{output}/_lock.json") as handle:
                assert json.loads(handle.read())["run_id"] == "third"
    assert "took over the stale output lock" in caplog.text and "run gone" in caplog.text
    assert not FileSystems.exists(f"{output}/_lock.json")
