"""Per-page time limit: a page over it is stopped, and the next page still gets extracted."""
import time

import pytest

from tests.conftest import SAMPLES
from tests.support.pathological import binary_blob, deep_nesting, huge_markup
from newsbeam.transforms.extract.page_extractor import ExtractionTimeout, ExtractorCrashed, PageExtractor

SAMPLE_PAGE = (SAMPLES / "html" / "tagesblick-beitritt.html").read_text(encoding="utf-8")


@pytest.fixture
def extractor():
    made = []

    def make(time_limit, options=None):
        made.append(PageExtractor(options or {}, time_limit))
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
    began = time.monotonic()
    for html in (deep_nesting(10_000), binary_blob().decode("latin-1")):
        page = pages.extract(html, None)
        assert page is None or len(page.text) < 2000
    assert time.monotonic() - began < 10


def test_a_crashed_child_costs_only_its_page(extractor):
    pages = extractor(time_limit=30.0)
    pages.extract(SAMPLE_PAGE, None)
    pages._child.kill()  # as the kernel's OOM killer would
    with pytest.raises(ExtractorCrashed, match="died"):
        pages.extract(SAMPLE_PAGE, None)
    assert "Luftverteidigung" in pages.extract(SAMPLE_PAGE, None).text


def test_the_child_extracts_exactly_what_trafilatura_does_in_process(extractor):
    for options in ({}, {"favor_precision": True}):
        assert extractor(5.0, options).extract(SAMPLE_PAGE, "https://x.example/a") == \
            extractor(0, options).extract(SAMPLE_PAGE, "https://x.example/a")


def test_closing_ends_the_child(extractor):
    pages = extractor(time_limit=5.0)
    pages.extract(SAMPLE_PAGE, None)
    child = pages._child
    pages.close()
    assert child.poll() is not None
