"""A CC-NEWS file cut off part-way, or a run killed in the middle of one, is redone safely.

The file is read again whole by the next run (it is in the file ledger only once read to its
end); what the first run already committed is skipped by the dedup index, so the articles of
the two runs together are, row for row, those of one clean run.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, check_accounting, manifests, rows, run_newsbeam
from tests.support.ccnews_mirror import Mirror, cut_off_once, warc_path
from tests.support.site import Site
from tests.support.warc_files import Warc, page

URLS = [f"https://www.example.com/story-{n}" for n in range(5)]
COLUMNS = ("article_id", "url", "title", "text", "published_at", "content_hash", "source", "locator")
CLI = [sys.executable, "-m", "newsbeam.pipeline.cli"]


def _warc() -> tuple[bytes, int]:
    """Five pages; and a byte in the middle of the third page's response record."""
    warc = Warc().warcinfo()
    starts = []
    for n, url in enumerate(URLS):
        warc.request(url)
        starts.append(len(warc.offsets))
        warc.response(url, page(f"Story {n}", "2025-06-01")).metadata(url)
    third = warc.offsets[starts[2]]
    return warc.data, third + (warc.offsets[starts[2] + 1] - third) // 2


DATA, MIDDLE = _warc()
PATH = warc_path("20250601000000")


def _args(mirror: Mirror, output: Path) -> list[str]:
    return ["--cc-news", "2025-06-01", "--cc-news-base-url", mirror.base_url, "--output", str(output),
            "--allow-private-network"]


def _articles(output: Path) -> list[tuple]:
    """Every article row's columns (the source without the mirror's port, which each test picks anew)."""
    return sorted(tuple(str(row[c]).rpartition("/crawl-data/")[2] for c in COLUMNS) for row in rows(output, "articles"))


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> list[tuple]:
    output = tmp_path_factory.mktemp("clean") / "out"
    with Site() as site:
        mirror = Mirror(site)
        mirror.add_warc(PATH, DATA)
        assert run_newsbeam(*_args(mirror, output)) == 0
    check_accounting(output)
    found = _articles(output)
    assert len(found) == len(URLS)
    return found


def test_a_file_cut_off_midway_is_read_again_whole_and_nothing_is_written_twice(tmp_path, clean):
    output = tmp_path / "out"
    with Site() as site:
        mirror = Mirror(site)
        mirror.add_warc(PATH, DATA, handler=cut_off_once(DATA, MIDDLE))
        assert run_newsbeam(*_args(mirror, output)) == 0
        first = check_accounting(output)
        assert 0 < first["counts"]["articles"] < len(URLS)
        assert [row["error_type"] for row in rows(output, "errors")] == ["damaged_record"]
        assert run_newsbeam(*_args(mirror, output)) == 0  # downloads it again: it was not finished
        second = check_accounting(output, manifests(output)[-1])
        assert mirror.downloads(PATH) == 2
    assert second["counts"]["skipped"] == first["counts"]["articles"]
    assert _articles(output) == clean
    assert rows(output, "duplicates") == []


def test_a_run_killed_in_the_middle_of_a_file_commits_nothing_and_the_next_run_equals_a_clean_one(tmp_path, clean):
    output = tmp_path / "out"
    hold = threading.Event()
    with Site() as site:
        mirror = Mirror(site)
        mirror.add_warc(PATH, DATA, handler=cut_off_once(DATA, MIDDLE, hold))
        log = (tmp_path / "killed.log").open("w")
        killed = subprocess.Popen([*CLI, "run", *_args(mirror, output)], stdout=subprocess.DEVNULL, stderr=log,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            deadline = time.monotonic() + 90
            while not mirror.downloads(PATH) and time.monotonic() < deadline and killed.poll() is None:
                time.sleep(0.1)
            assert mirror.downloads(PATH) == 1, (tmp_path / "killed.log").read_text()[-2000:]
            time.sleep(0.5)  # the first half of the file is in the worker
            killed.send_signal(signal.SIGKILL)
            killed.wait(30)
        finally:
            hold.set()
            if killed.poll() is None:
                killed.kill()
        assert manifests(output) == []
        assert run_newsbeam(*_args(mirror, output)) == 0
        assert mirror.downloads(PATH) == 2
    check_accounting(output)
    assert _articles(output) == clean
