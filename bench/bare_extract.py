"""The bare baseline: ``trafilatura.extract`` in a plain loop, nothing else.

Reads each file (gunzipped when it ends in .gz) and extracts it with the
options newsbeam uses for the given mode (metadata on, comments off), as a
person would without a pipeline. Prints one JSON line: documents, seconds of
the loop, documents with text.

    .venv/bin/python -m bench.bare_extract [--mode default] FILE...
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import time

import trafilatura

from newsbeam.transforms.extract.articles import EXTRACTION_MODES


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", default="default", choices=sorted(EXTRACTION_MODES))
    parser.add_argument("--list", help="a file with one path per line")
    parser.add_argument("files", nargs="*")
    args = parser.parse_args(argv)
    files = args.files + (open(args.list, encoding="utf-8").read().split("\n") if args.list else [])
    files = [f for f in files if f]
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    started, found = time.perf_counter(), 0
    for path in files:
        with (gzip.open if path.endswith(".gz") else open)(path, "rb") as handle:
            html = handle.read()
        text = trafilatura.extract(html, with_metadata=True, include_comments=False, **EXTRACTION_MODES[args.mode])
        found += bool(text)
    print(json.dumps({"documents": len(files), "seconds": time.perf_counter() - started, "with_text": found}))


if __name__ == "__main__":
    main()
