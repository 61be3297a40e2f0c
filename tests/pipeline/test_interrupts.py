"""Ctrl-C and SIGTERM, with real processes and real signals."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import SAMPLES, only_manifest
from tests.support.site import Site, rss

NEWSBEAM = str(Path(sys.executable).with_name("newsbeam"))


def start(*argv: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([NEWSBEAM, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def wait_for_hit(site: Site, path: str, process: subprocess.Popen, seconds: float = 60) -> None:
    """Until the run is fetching ``path`` (it is inside its pipeline, holding the lock)."""
    deadline = time.monotonic() + seconds
    while not site.hits_of(path):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)


def slow_feed(site: Site, delay: float) -> str:
    return site.add("/slow.xml", rss([{"title": "t", "link": "https://x.example/a", "description": "d"}]),
                    delay=delay)


def test_ctrl_c_stops_a_run_at_once_with_one_line_and_status_130(tmp_path):
    with Site() as site:
        process = start("run", "--feed", slow_feed(site, 60), "--output", str(tmp_path), "--allow-private-network")
        wait_for_hit(site, "/slow.xml", process)
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        stopped = time.monotonic() - sent
    assert process.returncode == 130 and stopped < 10  # not the 60 s the feed takes
    assert err.strip().splitlines()[-1] == "interrupted: nothing committed; rerun to resume"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err and out == ""
    assert "item/s" not in err and "\r" not in err  # stderr is no terminal: no progress line
    assert not (tmp_path / "_lock.json").exists()  # released: the next run starts at once
    assert not list(tmp_path.glob("_runs/*.json")) and not (tmp_path / "articles").exists()  # nothing committed
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and "_runs" not in p.parts]  # no staged files left


def test_watch_acknowledges_the_first_ctrl_c_and_stops_on_the_second(tmp_path):
    with Site() as site:
        process = start("watch", "--interval", "1h", "--feed", slow_feed(site, 60), "--output", str(tmp_path),
                        "--allow-private-network")
        wait_for_hit(site, "/slow.xml", process)
        process.send_signal(signal.SIGINT)
        line = ""
        while "finishing cycle" not in line:  # said at once, while the cycle goes on
            line = process.stderr.readline()
            assert line, process.communicate()
        assert line.strip() == "finishing cycle 1; press Ctrl-C again to stop now" and process.poll() is None
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err[-2000:]
    assert err.strip().splitlines()[-1] == "interrupted: nothing committed; rerun to resume"
    assert "Traceback" not in err and not (tmp_path / "_lock.json").exists()


def test_one_ctrl_c_lets_the_watch_cycle_finish(tmp_path):
    with Site() as site:
        process = start("watch", "--interval", "1h", "--feed", slow_feed(site, 2), "--output", str(tmp_path),
                        "--allow-private-network")
        wait_for_hit(site, "/slow.xml", process)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-2000:]
    assert "finishing cycle 1; press Ctrl-C again to stop now" in err and "stopped after 1 cycle(s)" in err
    assert only_manifest(tmp_path)["status"] == "succeeded"


def test_ctrl_c_during_the_commit_is_completed_by_the_next_run(tmp_path, monkeypatch, capsys):
    """Fault injection: Ctrl-C arrives while the first staged file is being moved, after the journal."""
    from newsbeam.pipeline import run
    from newsbeam.pipeline.cli import main

    def interrupted(*args):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(run, "apply_renames", interrupted)
        assert main(["run", "--input", f"{SAMPLES}/txt/*.txt", "--output", str(tmp_path), "--run-id", "cut"]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "interrupted while committing: the next run into this output completes the commit")
    assert not (tmp_path / "_lock.json").exists() and not (tmp_path / "_runs" / "cut.json").exists()
    assert main(["run", "--input", f"{SAMPLES}/txt/*.txt", "--output", str(tmp_path), "--run-id", "next"]) == 0
    completed = json.loads((tmp_path / "_runs" / "cut.json").read_text())
    assert completed["status"] == "succeeded" and completed["commit_completed_by"] == "next"
    assert completed["counts"]["articles"] > 0
