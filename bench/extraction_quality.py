"""Extraction quality and speed of trafilatura's options, on pages with ground truth.

Settings compared: newsbeam's four ``extraction`` modes (default, fast,
precision = favor_precision, recall = favor_recall), each with comments off
as newsbeam runs them, and default with comments on. Every setting extracts
every page with metadata on (the call the pipeline makes), in 2 processes.

- scrapinghub_aeb (181 pages, full article bodies): precision / recall over
  token 4-gram shingles per page, macro-averaged, F1 from the means (the
  upstream benchmark's metric; upstream trafilatura 2.0.0 output scored with
  the same code is printed as a check).
- trafilatura_eval (990 pages, segments): a ``with`` segment found is a true
  positive, missing a false negative; a ``without`` segment found a false
  positive (spacing normalized on both sides). Precision, recall, F1 over all segments.

"+ newsbeam cleaning" is the default extraction after what the extract stage
does to trafilatura's text (``tidy_extracted``); it must
never score lower than bare trafilatura. Speed is CPU milliseconds per page.

    .venv/bin/python -m bench.extraction_quality
"""
from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.common import SHARED
from newsbeam.transforms.extract.clean_text import tidy_extracted
from newsbeam.transforms.extract.articles import EXTRACTION_MODES
from newsbeam.transforms.extract.page_extractor import PageExtractor

ZYTE = SHARED / "benchmarks" / "scrapinghub_aeb"
EVAL = SHARED / "benchmarks" / "trafilatura_eval"
SETTINGS = {f"{mode}": (mode, False) for mode in EXTRACTION_MODES} | {"default + comments": ("default", True)}
_TOKEN = re.compile(r"\w+", re.UNICODE)


def available() -> bool:
    return (ZYTE / "ground-truth.json").is_file() and (EVAL / "ground_truth.jsonl").is_file()


def zyte_pages() -> list[tuple[str, Path, str]]:
    """(id, html.gz path, true article body) for every Zyte page."""
    truth = json.loads((ZYTE / "ground-truth.json").read_text(encoding="utf-8"))
    return [(key, ZYTE / "html" / f"{key}.html.gz", item["articleBody"]) for key, item in sorted(truth.items())]


def eval_pages() -> list[tuple[str, Path, list, list]]:
    """(id, html.gz path, must-have segments, must-not-have segments) for every trafilatura_eval page."""
    rows = [json.loads(line) for line in (EVAL / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines()]
    return [(r["id"], EVAL / r["html"], r.get("with", []), r.get("without", [])) for r in rows]


def _shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))) if tokens else Counter()


def page_scores(truth: str, predicted: str) -> tuple[float, float]:
    """(precision, recall) of one page over token 4-gram shingles; an empty side scores 1 or 0."""
    true, pred = _shingles(truth), _shingles(predicted)
    if not true and not pred:
        return 1.0, 1.0
    overlap = sum((true & pred).values())
    return (overlap / sum(pred.values()) if pred else 0.0, overlap / sum(true.values()) if true else 0.0)


def macro_f1(pairs: list[tuple[float, float]]) -> tuple[float, float, float]:
    precision = sum(p for p, _ in pairs) / len(pairs)
    recall = sum(r for _, r in pairs) / len(pairs)
    return precision, recall, _f1(precision, recall)


def _spaced(text: str) -> str:
    return " ".join((text or "").split())  # any run of whitespace, no-break spaces included, as one space


def segment_counts(text: str, with_: list, without: list) -> tuple[int, int, int]:
    """(true positives, false negatives, false positives) of one page's segments, whatever the spacing."""
    text = _spaced(text)
    found = sum(_spaced(segment) in text for segment in with_)
    return found, len(with_) - found, sum(_spaced(segment) in text for segment in without)


def _extract(task):
    """(trafilatura's text, newsbeam's text, CPU seconds, title) of one page with one setting,
    extracted by the pipeline's own call."""
    path, mode, comments = task
    pages = PageExtractor({**EXTRACTION_MODES[mode], "include_comments": comments}, time_limit=0)
    html = gzip.open(path).read().decode("utf-8", errors="replace")
    started = time.process_time()
    page = pages.extract(html, None)
    seconds = time.process_time() - started
    text, title = (page.text, page.title) if page is not None else ("", None)
    return text, tidy_extracted(text, title), seconds, title or ""


def extract_all(paths: list[Path], mode: str, comments: bool, pool) -> list[tuple[str, str, float, str]]:
    return list(pool.map(_extract, [(p, mode, comments) for p in paths], chunksize=8))


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def lowered_pages(pages, extracted) -> list[str]:
    """Article pages whose F1 newsbeam's text lowers below trafilatura's own."""
    return [key for (key, _, body), (bare, ours, *_) in zip(pages, extracted)
            if _f1(*page_scores(body, ours)) < _f1(*page_scores(body, bare)) - 1e-9]


def lost_segments(pages, extracted) -> list[str]:
    """Segment pages where newsbeam's row (title and text) finds fewer must-haves or more
    must-nots than trafilatura's text with its title."""
    worse = []
    for (key, _, with_, without), (bare, ours, _, title) in zip(pages, extracted):
        tp_bare, _, fp_bare = segment_counts(f"{title}\n{bare}", with_, without)
        tp_ours, _, fp_ours = segment_counts(f"{title}\n{ours}", with_, without)
        if tp_ours < tp_bare or fp_ours > fp_bare:
            worse.append(key)
    return worse


def run() -> None:
    if not available():
        print(f"extraction quality skipped: {SHARED / 'benchmarks'} is not present")
        return
    zyte, evaluation = zyte_pages(), eval_pages()
    upstream = json.loads((ZYTE / "reference_outputs" / "trafilatura.json").read_text(encoding="utf-8"))["output"]
    check = macro_f1([page_scores(body, upstream.get(key, {}).get("articleBody", "")) for key, _, body in zyte])
    rows = {}
    with ProcessPoolExecutor(2) as pool:
        for name, (mode, comments) in SETTINGS.items():
            z = extract_all([p for _, p, _ in zyte], mode, comments, pool)
            e = extract_all([p for _, p, _, _ in evaluation], mode, comments, pool)
            rows[name] = (z, e)
            if name == "default":  # as stored: the text, and for segments the title column beside it
                rows["default + newsbeam cleaning"] = ([(c, c, s, t) for _, c, s, t in z],
                                                       [(f"{t}\n{c}", c, s, t) for _, c, s, t in e])
    print(f"\nextraction quality: {len(zyte)} scrapinghub_aeb pages (4-gram shingles, macro P/R), "
          f"{len(evaluation)} trafilatura_eval pages (segments)")
    print(f"{'setting':<30}{'aeb P':>7}{'aeb R':>7}{'aeb F1':>8}{'eval P':>8}{'eval R':>8}{'eval F1':>8}"
          f"{'mean F1':>8}{'ms/page':>9}")
    for name, (z, e) in rows.items():
        p, r, f1 = macro_f1([page_scores(body, text) for (_, _, body), (text, *_) in zip(zyte, z)])
        tp = fn = fp = 0
        for (_, _, with_, without), (text, *_) in zip(evaluation, e):
            a, b, c = segment_counts(text, with_, without)
            tp, fn, fp = tp + a, fn + b, fp + c
        ep, er = tp / (tp + fp), tp / (tp + fn)
        cpu = sum(row[2] for row in z + e) / (len(z) + len(e)) * 1000
        ef1 = _f1(ep, er)
        print(f"{name:<30}{p:>7.3f}{r:>7.3f}{f1:>8.3f}{ep:>8.3f}{er:>8.3f}{ef1:>8.3f}{(f1 + ef1) / 2:>8.4f}{cpu:>9.1f}")
    default_z, default_e = rows["default"]
    print(f"  newsbeam's text scored below bare trafilatura on {len(lowered_pages(zyte, default_z))} of {len(zyte)} "
          f"aeb pages; lost a segment on {len(lost_segments(evaluation, default_e))} of {len(evaluation)} eval pages")
    print(f"  check: upstream trafilatura 2.0.0 output, same scoring: P {check[0]:.3f} R {check[1]:.3f} "
          f"F1 {check[2]:.3f} (published: P 0.938 R 0.978 F1 0.958)")


if __name__ == "__main__":
    run()
