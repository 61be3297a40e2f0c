"""Property: whatever pages a run holds (articles, markup that takes seconds, deep nesting, binary junk,
empty or random bodies), each ends as exactly one article, duplicate or error row, with a pool of
extraction processes under a time limit, through the real CLI.

Examples are derandomized so CI is repeatable; NEWSBEAM_FUZZ_EXAMPLES and NEWSBEAM_FUZZ_RANDOM search
further, as in tests/faults/test_fuzz.py.
"""
from __future__ import annotations

import collections
import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import check_accounting, rows, run_newsbeam
from tests.faults.test_fuzz import FUZZ, TEXT, texts
from tests.support.pathological import binary_blob, deep_nesting, huge_markup
from tests.support.site import article_page

SLOW_PAGE = huge_markup(1.5).encode()  # seconds of work for trafilatura: over the 1 s limit below

pages = st.one_of(
    st.lists(texts.map(lambda t: TEXT + t), min_size=1, max_size=4).map(
        lambda paragraphs: article_page("Nato und Ukraine", paragraphs).encode("utf-8", "surrogatepass")),
    st.just(SLOW_PAGE),
    st.integers(10, 20_000).map(lambda depth: deep_nesting(depth).encode()),
    st.integers(1, 300_000).map(lambda size: binary_blob(size, seed=size)),
    texts.map(lambda t: f"<html><body><p>{t}</p></body></html>".encode("utf-8", "surrogatepass")),
    st.binary(max_size=500))


@settings(FUZZ, max_examples=int(os.environ.get("NEWSBEAM_FUZZ_EXAMPLES", "3")))
@given(st.lists(pages, min_size=1, max_size=8))
def test_every_page_ends_as_exactly_one_row(pages):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for n, page in enumerate(pages):
            (folder / f"page-{n:02d}.html").write_bytes(page)
        output = Path(tmp) / "out"
        assert run_newsbeam("--input", folder, "--output", output, "--extract-timeout", "1",
                            "--extract-processes", "2") == 0
        check_accounting(output)
        ended = collections.Counter(Path(row["source"]).name for table in ("articles", "duplicates", "errors")
                                    for row in rows(output, table))
        assert ended == collections.Counter(f"page-{n:02d}.html" for n in range(len(pages)))
