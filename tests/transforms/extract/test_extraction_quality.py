"""What the extract stage does to trafilatura's text never makes it worse, on pages with ground truth."""
from concurrent.futures import ProcessPoolExecutor

import pytest

from bench.extraction_quality import (available, eval_pages, extract_all, lost_segments, lowered_pages,
                                      zyte_pages)

pytestmark = pytest.mark.skipif(not available(), reason="../shared/benchmarks is not present")


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(2) as executor:
        yield executor


def test_pipeline_text_scores_at_least_bare_trafilatura_on_every_article_page(pool):
    pages = zyte_pages()
    extracted = extract_all([path for _, path, _ in pages], "default", False, pool)
    assert sum(bool(ours) for _, ours, *_ in extracted) >= 175  # the check ran on real text
    assert lowered_pages(pages, extracted) == []


def test_pipeline_rows_keep_every_segment_bare_trafilatura_finds(pool):
    pages = eval_pages()
    extracted = extract_all([path for _, path, _, _ in pages], "default", False, pool)
    assert lost_segments(pages, extracted) == []
