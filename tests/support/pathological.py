"""Pages that are expensive or hostile to extract, for the time-limit tests and benchmarks."""
from __future__ import annotations

import random


def huge_markup(megabytes: float = 5.0) -> str:
    """Megabytes of link-and-span soup: trafilatura spends many seconds on it."""
    cell = "<div class='c'><span>word {0}</span> <a href='/x{0}'>link</a> text text text</div>\n"
    count = int(megabytes * 1_000_000 / 70)
    return "<html><body>" + "".join(cell.format(i) for i in range(count)) + "</body></html>"


def deep_nesting(depth: int = 10_000) -> str:
    return "<html><body>" + "<div>" * depth + "deep text " * 100 + "</div>" * depth + "</body></html>"


def binary_blob(size: int = 1_000_000, seed: int = 7) -> bytes:
    """Random bytes, as when an image or archive is saved under an .html name."""
    return random.Random(seed).randbytes(size)
