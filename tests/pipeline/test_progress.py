"""The progress bars a person sees at a terminal: live while a local run works, for files, feeds
and archive records, drawn with the real CLI on a real pseudo-terminal."""
import os
import re

from tests.conftest import SAMPLES, only_manifest
from tests.support.site import Site, article_page, rss
from tests.support.terminal import run_on_a_terminal
from tests.support.warc_files import Warc, page

SOURCES = re.compile(r"(\d+) (?:files|feeds)[^:\r\n]*:\s+\d+%\|[^|\r\n]*\| (\d+)/(\d+) \[")
ITEMS = re.compile(r"items extracted:\s+\d+%\|[^|\r\n]*\| (\d+)/(\d+) \[")


def frames(pattern: re.Pattern, drawn: str) -> list[tuple[int, int]]:
    """(done, total) of every state of one bar that was drawn, in order."""
    return [(int(match[-2]), int(match[-1])) for match in pattern.findall(drawn)]


def test_feeds_are_followed_live_while_the_run_works(tmp_path):
    """Before, Beam's in-process runner gave the bar its metrics only at the end: 0/4, then 4/4."""
    feeds, pages = 4, 2
    with Site() as site:
        urls = []
        for f in range(feeds):
            entries = []
            for p in range(pages):
                link = site.add(f"/{f}/{p}.html", article_page(f"Story {f}.{p}", [
                    f"Die Nato und die Ukraine beraten über Nachricht {f}.{p} und die Lage im Osten."] * 4))
                entries.append({"title": f"Story {f}.{p}", "link": link, "description": "d"})
            urls.append(site.add(f"/feed{f}.xml", rss(entries), delay=1.0))  # one feed a second per connection
        status, drawn = run_on_a_terminal("run", *[arg for url in urls for arg in ("--feed", url)],
                                          "--output", str(tmp_path / "out"), "--allow-private-network")
    assert status == 0, drawn[-2000:]
    read = frames(SOURCES, drawn)
    assert any(0 < done < feeds for done, _ in read), read  # seen part-way, not only at the ends
    assert read[-1] == (feeds, feeds)
    extracted = frames(ITEMS, drawn)
    assert extracted[-1] == (feeds * pages, feeds * pages), extracted
    assert only_manifest(tmp_path / "out")["counts"]["articles"] == feeds * pages


def test_files_and_their_items_are_counted(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    status, drawn = run_on_a_terminal("run", "--input", f"{SAMPLES}/txt/*.txt", "--output", str(tmp_path / "out"),
                                      env={**os.environ, "TMPDIR": str(scratch)})
    files = len(list((SAMPLES / "txt").glob("*.txt")))
    assert status == 0, drawn[-2000:]
    assert f"{files} files:" in drawn and frames(SOURCES, drawn)[0] == (0, files)
    assert frames(SOURCES, drawn)[-1] == (files, files)
    counts = only_manifest(tmp_path / "out")["counts"]
    assert frames(ITEMS, drawn)[-1] == (counts["input_items"], counts["input_items"])
    assert "item/s" in drawn and "source/s" in drawn  # the rates
    assert list(scratch.iterdir()) == []  # the run's progress marks are gone with it


def test_archive_records_are_counted_as_items(tmp_path):
    warc = Warc()
    for i in range(30):
        warc.request(f"https://a.example/{i}").response(f"https://a.example/{i}", page(f"Meldung {i}"))
    (tmp_path / "crawl.warc.gz").write_bytes(warc.data)
    status, drawn = run_on_a_terminal("run", "--input", str(tmp_path / "crawl.warc.gz"),
                                      "--output", str(tmp_path / "out"))
    assert status == 0, drawn[-2000:]
    assert frames(SOURCES, drawn)[-1] == (1, 1)
    assert frames(ITEMS, drawn)[-1] == (30, 30)  # the file's pages, not its requests
