"""Extraction processes: a page over the time limit is stopped, a crash costs its page only, and in a
pool of processes every page comes back once, under its own key, whatever happens to the others."""
import os
import signal
import sys
import time

import pytest

from tests.conftest import SAMPLES
from tests.support.pathological import binary_blob, deep_nesting, huge_markup
from tests.support.procfs import processes
from tests.support.site import article_page
from newsbeam.transforms.extract.page_extractor import ExtractionTimeout, ExtractorCrashed, PageExtractor

SAMPLE_PAGE = (SAMPLES / "html" / "tagesblick-beitritt.html").read_text(encoding="utf-8")
PAGES = {f"page-{n}": article_page(f"Meldung {n}", [f"Absatz {n}.{k}: Die Nato und die Ukraine beraten über "
                                                     f"Luftverteidigung, Munition und den Wiederaufbau." * 3
                                                     for k in range(4)]) for n in range(6)}


def extraction_children() -> dict[int, str]:
    """{pid: state} of this process's extraction children, read from /proc as an operator would."""
    return {p.pid: p.state for p in processes() if p.parent == os.getpid() and b"page_extractor" in p.command}


def collect(pages: PageExtractor, keys) -> dict:
    """Every outcome, waiting for them; fails on a key that comes back twice or was never handed in."""
    found = {}
    while len(found) < len(keys):
        for key, outcome in pages.finished(wait=True):
            assert key in keys and key not in found, key
            found[key] = outcome
    return found


@pytest.fixture
def extractor():
    made = []

    def make(time_limit, options=None, processes=1):
        made.append(PageExtractor(options or {}, time_limit, processes))
        return made[-1]
    yield make
    for each in made:
        each.close()


def test_a_page_over_the_limit_is_stopped_and_the_next_page_still_extracts(extractor):
    pages = extractor(time_limit=1.0)
    assert "Luftverteidigung" in pages.extract(SAMPLE_PAGE, None).text  # child started and warm
    began = time.monotonic()
    with pytest.raises(ExtractionTimeout, match="longer than 1 s"):
        pages.extract(huge_markup(5), None)
    assert time.monotonic() - began < 5  # the limit, not the page's 10+ seconds
    assert "Luftverteidigung" in pages.extract(SAMPLE_PAGE, None).text


def test_deep_nesting_and_binary_junk_finish_within_the_limit(extractor):
    pages = extractor(time_limit=10.0)
    for html in (deep_nesting(10_000), binary_blob().decode("latin-1")):
        page = pages.extract(html, None)  # ExtractionTimeout if over the limit
        assert page is None or len(page.text) < 2000


def test_the_child_extracts_exactly_what_trafilatura_does_in_process(extractor):
    for options in ({}, {"favor_precision": True}):
        assert extractor(5.0, options).extract(SAMPLE_PAGE, "https://x.example/a") == \
            extractor(0, options).extract(SAMPLE_PAGE, "https://x.example/a")


def test_a_timeout_in_one_process_loses_and_repeats_none_of_the_other_pages(extractor):
    """A pool of two, a page that takes 10+ s among six normal ones: it alone times out, every other page
    comes back once, with its own extraction, and never more children run than asked for."""
    in_thread = extractor(0)
    expected = {key: in_thread.extract(html, None) for key, html in PAGES.items()}
    pages = extractor(time_limit=2.0, processes=2)
    jobs = dict(list(PAGES.items())[:2]) | {"huge": huge_markup(5)} | dict(list(PAGES.items())[2:])
    for key, html in jobs.items():
        pages.submit(key, html, None)
        assert len(extraction_children()) <= 2
    found = collect(pages, set(jobs))
    with pytest.raises(ExtractionTimeout, match="longer than 2 s"):
        found.pop("huge").result()
    assert {key: outcome.result() for key, outcome in found.items()} == expected
    assert len(extraction_children()) == 2  # the killed child was replaced


def test_a_crashed_process_costs_only_its_page_and_is_replaced(extractor):
    """A child killed mid-page (as the OOM killer would): that page is an extractor_crashed outcome; the
    other child's page and the pages still waiting are extracted; a fresh child takes the dead one's place."""
    pages = extractor(time_limit=60.0, processes=2)
    slow = {"slow-a": huge_markup(0.3), "slow-b": huge_markup(0.3) + "<p>b</p>"}
    for key, html in [*slow.items(), *PAGES.items()]:
        pages.submit(key, html, None)
    found, deadline = {}, time.monotonic() + 60
    while time.monotonic() < deadline:  # until both children work on their slow page
        found.update(pages.finished(wait=False))  # hands the pages to the children as they become ready
        running = [pid for pid, state in extraction_children().items() if state == "R"]
        if len(running) == 2:
            break
        time.sleep(0.01)
    assert len(running) == 2 and not found, "both children should be extracting a slow page"
    before = set(extraction_children())
    os.kill(running[0], signal.SIGKILL)
    found = collect(pages, set(slow) | set(PAGES))
    crashed = [key for key, outcome in found.items() if isinstance(outcome.error, ExtractorCrashed)]
    assert len(crashed) == 1 and crashed[0] in slow, crashed
    assert all(outcome.error is None for key, outcome in found.items() if key not in crashed)
    assert all("Luftverteidigung" in found[key].result().text for key in PAGES)
    after = set(extraction_children())
    assert len(after) == 2 and running[0] not in after and after - before


def test_a_crash_while_idle_costs_at_most_the_next_page(extractor):
    pages = extractor(time_limit=30.0)
    pages.extract(SAMPLE_PAGE, None)
    (child,) = extraction_children()
    os.kill(child, signal.SIGKILL)
    while extraction_children().get(child, "Z") != "Z":
        time.sleep(0.01)
    with pytest.raises(ExtractorCrashed, match="died"):
        pages.extract(SAMPLE_PAGE, None)
    assert "Luftverteidigung" in pages.extract(SAMPLE_PAGE, None).text


def test_processes_that_cannot_start_end_as_crashed_pages_not_a_hang(extractor, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/bin/false")  # a broken interpreter: every child exits at once
    pages = extractor(time_limit=5.0, processes=2)
    for key, html in PAGES.items():
        pages.submit(key, html, None)
    found = collect(pages, set(PAGES))
    assert all(isinstance(outcome.error, ExtractorCrashed) for outcome in found.values())


def test_children_start_as_pages_need_them_and_closing_ends_them(extractor):
    pages = extractor(time_limit=5.0, processes=3)
    pages.extract(SAMPLE_PAGE, None)
    assert len(extraction_children()) == 1  # one page needs one child
    for key, html in PAGES.items():
        pages.submit(key, html, None)
    collect(pages, set(PAGES))
    assert 1 < len(extraction_children()) <= 3
    pages.close()
    assert extraction_children() == {}


def test_an_extraction_process_does_not_load_beam():
    """A child starts after every killed page: it loads trafilatura and newsbeam's records, never Beam,
    which would triple its start-up time and memory."""
    import subprocess

    loaded = subprocess.run([sys.executable, "-c", "import sys, newsbeam.transforms.extract.page_extractor as p; "
                             "p._quiet_trafilatura(); print(sorted(sys.modules))"],
                            capture_output=True, text=True, check=True).stdout
    assert "trafilatura" in loaded and "apache_beam" not in loaded
