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

Prints records/s of each (records = HTML pages) and the ratio newsbeam / bare.

    .venv/bin/python -m bench.ccnews [--pages 1000] [--files 2] [--pages-from DIR] [--extra-args ...]
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


def bare(urls: list[str]) -> tuple[int, float]:
    """(pages extracted, seconds): the loop a person would write without a pipeline."""
    import requests
    import trafilatura
    from warcio.archiveiterator import ArchiveIterator

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    started, pages = time.perf_counter(), 0
    with requests.Session() as session:
        for url in urls:
            with session.get(url, stream=True) as response:
                for record in ArchiveIterator(response.raw):
                    if record.rec_type != "response" or record.http_headers.get_statuscode() != "200":
                        continue
                    if "html" not in (record.http_headers.get_header("Content-Type") or ""):
                        continue
                    html = record.content_stream().read()
                    trafilatura.extract(html, with_metadata=True, include_comments=False)
                    pages += 1
    return pages, time.perf_counter() - started


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--pages-from", type=Path, metavar="DIR",
                        help="real pages instead of synthetic ones, e.g. ../shared/benchmarks/trafilatura_eval/html")
    parser.add_argument("--extra-args", nargs=argparse.REMAINDER, default=[],
                        help="more newsbeam flags, e.g. --direct_num_workers=2 --direct_running_mode=multi_processing")
    args = parser.parse_args(argv)
    warcs = write_warcs(args.pages, args.files, args.pages_from)
    with Site() as site, tempfile.TemporaryDirectory() as tmp:
        mirror = Mirror(site)
        urls = [site.url(mirror.add_warc(warc_path(f"202506011{n:05d}", n), data)) for n, data in enumerate(warcs)]
        pages, bare_seconds = bare(urls)
        output = Path(tmp) / "out"
        seconds, peak_mib, _ = run_measured([sys.executable, "-m", "newsbeam.pipeline.cli", "run", "--cc-news",
                                             "2025-06-01", "--cc-news-base-url", mirror.base_url, "--output",
                                             str(output), "--allow-private-network", *args.extra_args])
        manifest = json.loads(next((output / "_runs").glob("*.json")).read_text())
    counts = manifest["counts"]
    result = {
        "pages": pages, "files": args.files, "mebibytes": round(sum(map(len, warcs)) / 2**20, 1),
        "bare_seconds": round(bare_seconds, 2), "bare_pages_per_s": round(pages / bare_seconds, 1),
        "newsbeam_seconds": round(seconds, 2), "newsbeam_pages_per_s": round(counts["input_items"] / seconds, 1),
        "newsbeam_pipeline_seconds": manifest["timings_seconds"]["pipeline"],
        "newsbeam_peak_mib": round(peak_mib), "newsbeam_stage_seconds": manifest["timings_seconds"]["stages"],
        "articles": counts["articles"], "duplicates": counts["duplicates"], "errors": counts["errors"],
    }
    result["ratio_newsbeam_to_bare"] = round(result["newsbeam_pages_per_s"] / result["bare_pages_per_s"], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
