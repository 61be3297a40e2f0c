"""A run costs what it brings: reruns, new items into a large output, and a large history.

Each case is timed against its own baseline measured in the same run (whole `newsbeam run`
processes, in-process DirectRunner, wall seconds):

1. the 990 trafilatura_eval pages (from ../shared), run once, then again over the unchanged
   folder (target: the rerun <= 0.15 x the first run, writing nothing);
2. 1k new JSONL articles into an output holding 20k articles of the same 60 days, against the
   same 1k into an empty output (target <= 1.3 x);
3. 10k new articles into an output whose dedup index holds 1M rows, against the same 10k into
   an empty output (target <= 2 x); the 1M index rows are synthesized (random keys and
   signatures over 60 days), as a long-running output's index would hold;
4. what recognising an unchanged file costs: listing it (path, size, mtime) against reading
   and hashing its bytes, on local disk and on S3 (moto's server on loopback, when installed).

    .venv/bin/python -m bench.incremental [--skip-pages] [--history-rows 1000000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from bench.common import SHARED, run_measured
from bench.synthetic import articles
from newsbeam.transforms.dedup.index import SCHEMA, index_dir, index_file, index_table, write_index

PAGES = SHARED / "benchmarks" / "trafilatura_eval" / "html"


def newsbeam(*args) -> tuple[float, dict]:
    """One `newsbeam run`: (seconds, its manifest)."""
    output = Path(args[args.index("--output") + 1])
    seconds, _, _ = run_measured([sys.executable, "-m", "newsbeam.pipeline.cli", "run", *map(str, args),
                                  "--log-level", "WARNING"])
    manifest = max((output / "_runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return seconds, json.loads(manifest.read_text())


def write_jsonl(folder: Path, n: int, seed: int, days: int = 60, per_file: int = 1000) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    start = dt.datetime(2025, 3, 1, tzinfo=dt.timezone.utc)
    lines = []
    for i, _, outlet, url, _, title, text in articles(n, seed):
        published = start + dt.timedelta(minutes=(i * 86_413) % (days * 24 * 60))
        lines.append(json.dumps({"url": url.replace("https://", f"https://s{seed}."), "title": title, "text": text,
                                 "outlet": outlet, "published": published.isoformat()}, ensure_ascii=False))
    for start_line in range(0, n, per_file):
        (folder / f"part-{start_line // per_file:05d}.jsonl").write_text(
            "\n".join(lines[start_line:start_line + per_file]) + "\n", encoding="utf-8")
    return folder


def synthetic_index(output: Path, rows: int, days: int = 60) -> None:
    """``rows`` index rows of articles with random keys and signatures over ``days`` days."""
    rng = np.random.default_rng(7)
    folder = Path(index_dir(str(output)))
    folder.mkdir(parents=True, exist_ok=True)
    dates = [(dt.date(2025, 3, 1) + dt.timedelta(days=d)).isoformat() for d in range(days)]
    chunk = 250_000
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        ids = [f"{x:032x}" for x in rng.integers(0, 2**63, n)]
        keys = {name: rng.integers(-2**63, 2**63 - 1, n, dtype=np.int64) for name in
                ("id_key", "url_key", "content_key", "source_key")}
        bands = rng.integers(0, 2**61, (n, 32), dtype=np.int64) | (np.arange(32, dtype=np.int64) << 56)
        table = pa.table({
            "table": pa.array(["articles"] * n), "article_id": ids, "kept_id": ids, **keys,
            "date": pa.array([dates[i % days] for i in range(n)]), "published_at": pa.nulls(n, SCHEMA.field(
                "published_at").type), "reason": pa.nulls(n, pa.string()), "similarity": pa.nulls(n, pa.float64()),
            "bands": pa.array(list(bands), pa.list_(pa.int64())),
            "minhash": pa.array([rng.bytes(512) for _ in range(n)], pa.binary())}, schema=SCHEMA)
        write_index(index_table(table), index_file(str(folder), f"synthetic-{start // chunk}"))


def ratio_line(name: str, measured: float, baseline: float, target: float) -> str:
    ratio = measured / baseline
    return (f"{name:<58} {measured:8.1f} s vs {baseline:6.1f} s baseline  ratio {ratio:5.2f}  "
            f"target <= {target}  {'met' if ratio <= target else 'NOT met'}")


def reruns(tmp: Path) -> list[str]:
    if not PAGES.is_dir():
        return ["rerun over the 990 pages: skipped (../shared is not present)"]
    out = tmp / "pages-out"
    first, manifest = newsbeam("--input", PAGES, "--output", out)
    again, second = newsbeam("--input", PAGES, "--output", out)
    assert second["counts"]["articles"] == second["counts"]["duplicates"] == 0 and not second["files"]
    return [ratio_line(f"rerun over the same {manifest['counts']['files_matched']} pages (wrote nothing)", again,
                       first, 0.15)]


def new_into_history(tmp: Path) -> list[str]:
    history = write_jsonl(tmp / "history-20k", 20_000, seed=1)
    new = write_jsonl(tmp / "new-1k", 1_000, seed=2)
    full, empty = tmp / "full-out", tmp / "empty-out"
    newsbeam("--input", history, "--output", full)
    into_full, manifest = newsbeam("--input", new, "--output", full)
    into_empty, _ = newsbeam("--input", new, "--output", empty)
    assert manifest["counts"]["articles"] + manifest["counts"]["duplicates"] == 1_000
    return [ratio_line("1k new JSONL articles into 20k of the same 60 days", into_full, into_empty, 1.3)]


def new_against_index(tmp: Path, rows: int) -> list[str]:
    new = write_jsonl(tmp / "new-10k", 10_000, seed=3)
    large, empty = tmp / "large-out", tmp / "empty-10k-out"
    synthetic_index(large, rows)
    against_large, manifest = newsbeam("--input", new, "--output", large)
    into_empty, _ = newsbeam("--input", new, "--output", empty)
    assert manifest["counts"]["dedup"]["history_rows"] >= rows
    return [ratio_line(f"10k new articles against {rows:,} index rows", against_large, into_empty, 2.0)]


def recognising_unchanged(tmp: Path) -> list[str]:
    """Listing (what newsbeam does) against hashing every file's bytes."""
    from apache_beam.io.filesystems import FileSystems

    folder = PAGES if PAGES.is_dir() else write_jsonl(tmp / "files", 2_000, seed=4, per_file=1)
    paths = sorted(str(p) for p in folder.iterdir())
    started = time.perf_counter()
    listed = FileSystems.match([str(folder) + "/*"])[0].metadata_list
    listing = time.perf_counter() - started
    started = time.perf_counter()
    for path in paths:
        hashlib.sha256(Path(path).read_bytes()).hexdigest()
    hashing = time.perf_counter() - started
    lines = [f"recognise {len(listed)} unchanged local files: listing {listing * 1000:.0f} ms, "
             f"hashing their bytes {hashing * 1000:.0f} ms ({hashing / max(listing, 1e-9):.0f}x)"]
    lines += _on_s3(paths[:200])
    return lines


def _on_s3(paths: list[str]) -> list[str]:
    import os

    import pytest

    from tests.support.s3 import s3_server

    try:
        with s3_server(os.environ.__setitem__) as (endpoint, client):
            from apache_beam.io.filesystems import FileSystems
            from apache_beam.options.pipeline_options import PipelineOptions

            FileSystems.set_options(PipelineOptions(["--s3_endpoint_url", endpoint, "--s3_region_name", "us-east-1"]))
            for path in paths:
                client.put_object(Bucket="news", Key=f"in/{Path(path).name}", Body=Path(path).read_bytes())
            started = time.perf_counter()
            listed = FileSystems.match(["s3://news/in/*"])[0].metadata_list
            listing = time.perf_counter() - started
            started = time.perf_counter()
            for meta in listed:
                with FileSystems.open(meta.path) as handle:
                    hashlib.sha256(handle.read()).hexdigest()
            hashing = time.perf_counter() - started
    except pytest.skip.Exception:
        return ["S3: skipped (moto_server is not installed)"]
    return [f"recognise {len(listed)} unchanged S3 objects (moto on loopback): listing {listing * 1000:.0f} ms, "
            f"reading and hashing them {hashing * 1000:.0f} ms ({hashing / max(listing, 1e-9):.0f}x)"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--history-rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    random.seed(1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lines = [] if args.skip_pages else reruns(tmp)
        lines += new_into_history(tmp)
        lines += new_against_index(tmp, args.history_rows)
        lines += recognising_unchanged(tmp)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
