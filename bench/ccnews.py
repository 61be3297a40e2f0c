"""CC-NEWS backfill rate: `newsbeam run --cc-news` end to end against a bare warcio + trafilatura loop.

A CC-NEWS-like mirror is served on loopback (tests/support/site.py): one month's listing and
FILES WARC files holding N synthetic news pages between them (bench/synthetic.py's articles,
as HTML pages with navigation and footer; or real pages, ``--pages-from DIR``), each page as CC-NEWS stores it (request, response
and metadata records, gzipped per record). Two measurements over the same files, in the same
run:

- newsbeam: the whole `newsbeam run --cc-news ... --allow-private-network` process (listing,
  streaming, parse, extraction, dedup, tagging, Parquet, commit), wall seconds;
- bare: one process loop, streaming each file over HTTP with requests, reading its records with
  warcio and extracting every HTML 200 response with trafilatura (newsbeam's options).

With ``--local``, the same WARC files are written to a temporary folder instead, and newsbeam
reads them with ``--input`` (the bare loop opens them with ``open``): the web-archive part alone,
without HTTP and the CC-NEWS listing.

Prints records/s of each (records = HTML pages), the ratio newsbeam / bare, and newsbeam's
fixed cost: the wall time of the same measurement over a one-page file (interpreter start,
imports, planning, the runner, the commit), and its share of the run. Keep the run large enough
that this share is small (the default 4,000 synthetic pages: about a tenth), or the ratio
measures the fixed cost rather than the rate.

    .venv/bin/python -m bench.ccnews [--pages 4000] [--files 2] [--pages-from DIR] [--local] [--extra-args ...]
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

from bench.common import run_measured
from bench.synthetic import _page, articles
from tests.support.ccnews_mirror import Mirror, warc_path
from tests.support.site import Site
from tests.support.warc_files import Warc


def _pages(pages: int, folder: Path | None):
    """(url, HTML bytes): synthetic pages, or those of a folder of (gzipped) HTML files."""
    if folder is None:
        for i, language, outlet, url, published, title, text in articles(pages):
            yield url, _page(language, outlet, url, published, title, text).encode("utf-8")
        return
    for n, path in enumerate(sorted(folder.iterdir())[:pages]):
        data = path.read_bytes()
        yield f"https://outlet{n % 50}.example/{path.name.split('.')[0]}", (
            gzip.decompress(data) if path.name.endswith(".gz") else data)


def write_warcs(pages: int, files: int, folder: Path | None = None) -> list[bytes]:
    warcs = [Warc().warcinfo() for _ in range(files)]
    for i, (url, body) in enumerate(_pages(pages, folder)):
        warcs[i % files].request(url).response(url, body, content_type="text/html; charset=utf-8").metadata(url)
    return [warc.data for warc in warcs]


def _extract_all(stream) -> int:
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator

    pages = 0
    for record in ArchiveIterator(stream):
        if record.rec_type != "response" or record.http_headers.get_statuscode() != "200":
            continue
        if "html" not in (record.http_headers.get_header("Content-Type") or ""):
            continue
        html = record.content_stream().read()
        trafilatura.extract(html, with_metadata=True, include_comments=False)
        pages += 1
    return pages


def bare(urls: list[str]) -> tuple[int, float]:
    """(pages extracted, seconds): the loop a person would write without a pipeline."""
    import requests

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    started, pages = time.perf_counter(), 0
    with requests.Session() as session:
        for url in urls:
            with session.get(url, stream=True) as response:
                pages += _extract_all(response.raw)
    return pages, time.perf_counter() - started


def bare_local(paths: list[Path]) -> tuple[int, float]:
    """The same loop over local files."""
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    started, pages = time.perf_counter(), 0
    for path in paths:
        with open(path, "rb") as handle:
            pages += _extract_all(handle)
    return pages, time.perf_counter() - started


def measure(warcs: list[bytes], local: bool, extra_args: list[str]) -> dict:
    """The bare loop, then newsbeam, over the same files: the pages, the bare loop's seconds, and
    newsbeam's wall seconds, peak MiB and manifest."""
    with Site() as site, tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "out"
        if local:
            paths = [Path(tmp) / f"CC-NEWS-202506011{n:05d}.warc.gz" for n in range(len(warcs))]
            for path, data in zip(paths, warcs):
                path.write_bytes(data)
            pages, bare_seconds = bare_local(paths)
            source = [arg for path in paths for arg in ("--input", str(path))]
        else:
            mirror = Mirror(site)
            urls = [site.url(mirror.add_warc(warc_path(f"202506011{n:05d}", n), data))
                    for n, data in enumerate(warcs)]
            pages, bare_seconds = bare(urls)
            source = ["--cc-news", "2025-06-01", "--cc-news-base-url", mirror.base_url, "--allow-private-network"]
        seconds, peak_mib, _ = run_measured([sys.executable, "-m", "newsbeam.pipeline.cli", "run", *source,
                                             "--output", str(output), *extra_args])
        manifest = json.loads(next((output / "_runs").glob("*.json")).read_text())
    return {"pages": pages, "bare_seconds": bare_seconds, "seconds": seconds, "peak_mib": peak_mib,
            "manifest": manifest}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=4000,
                        help="HTML pages in all (default 4000: enough that the fixed cost is under 15%% of the run)")
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--pages-from", type=Path, metavar="DIR",
                        help="real pages instead of synthetic ones, e.g. ../shared/benchmarks/trafilatura_eval/html")
    parser.add_argument("--local", action="store_true",
                        help="local .warc.gz files read with --input, instead of the CC-NEWS mirror over HTTP")
    parser.add_argument("--extra-args", nargs=argparse.REMAINDER, default=[],
                        help="more newsbeam flags, e.g. --direct_num_workers=2 --direct_running_mode=multi_processing")
    args = parser.parse_args(argv)
    fixed = measure(write_warcs(1, 1, args.pages_from), args.local, args.extra_args)
    warcs = write_warcs(args.pages, args.files, args.pages_from)
    run = measure(warcs, args.local, args.extra_args)
    manifest, seconds, pages, bare_seconds = run["manifest"], run["seconds"], run["pages"], run["bare_seconds"]
    counts = manifest["counts"]
    result = {
        "input": "local files" if args.local else "CC-NEWS mirror over HTTP", "pages": pages, "files": args.files,
        "mebibytes": round(sum(map(len, warcs)) / 2**20, 1),
        "bare_seconds": round(bare_seconds, 2), "bare_pages_per_s": round(pages / bare_seconds, 1),
        "newsbeam_seconds": round(seconds, 2), "newsbeam_pages_per_s": round(counts["input_items"] / seconds, 1),
        "newsbeam_pipeline_seconds": manifest["timings_seconds"]["pipeline"],
        "newsbeam_fixed_seconds": round(fixed["seconds"], 2), "fixed_share": round(fixed["seconds"] / seconds, 2),
        "newsbeam_peak_mib": round(run["peak_mib"]), "newsbeam_stage_seconds": manifest["timings_seconds"]["stages"],
        "articles": counts["articles"], "duplicates": counts["duplicates"], "errors": counts["errors"],
    }
    result["ratio_newsbeam_to_bare"] = round(result["newsbeam_pages_per_s"] / result["bare_pages_per_s"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
