"""A large JSONL export end to end, against a bare loop that reads it line by line.

Two exports, written into a temporary folder and deleted after: 20k synthetic
articles in one file (``bench.synthetic``'s articles as JSONL records), and one of
about 1 GB, made of copies of those records whose words are renamed per copy (a
fixed random permutation of the vocabulary), so that every record stays a distinct
article for dedup. For each: (a) the bare baseline, a plain loop that reads the
file line by line and ``json.loads`` each line; (b) ``newsbeam run`` in-process;
(c) with ``--direct_running_mode=multi_processing --direct_num_workers=2``; and
for the 1 GB export also (r) the read and parse stages alone (ReadInputFiles and
ParseDocuments, each Document counted and dropped), which shows what streaming
costs in memory without the later stages. Every run is a fresh process, timed
from start to exit, with the peak resident memory of its whole process tree.
A run whose tree passes ``--max-rss-gib`` is stopped and reported as such.

    .venv/bin/python -m bench.jsonl_export [--articles 20000] [--large-gib 1.0] [--skip-large]
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from bench.common import run_measured
from bench.synthetic import articles

_WORD = re.compile(r"[^\W\d_]{3,}")


def records(n: int) -> list[str]:
    """The JSONL lines of ``n`` synthetic articles."""
    return [json.dumps({"url": url, "title": title, "text": text, "outlet": outlet,
                        "published": published.isoformat()}, ensure_ascii=False)
            for _, _, outlet, url, published, title, text in articles(n)]


def renamed(lines: list[str], copy: int) -> list[str]:
    """The same records with every word of three letters or more renamed by a permutation fixed
    for ``copy``, and their URLs moved: distinct articles of the same shape."""
    vocabulary = sorted({w for line in lines[:2000] for w in _WORD.findall(line)})
    shuffled = list(vocabulary)
    random.Random(copy).shuffle(shuffled)
    mapping = dict(zip(vocabulary, shuffled))
    out = []
    for line in lines:
        record = json.loads(line)
        record["text"] = _WORD.sub(lambda m: mapping.get(m.group(), m.group()), record["text"])
        record["title"] = _WORD.sub(lambda m: mapping.get(m.group(), m.group()), record["title"])
        record["url"] = f"{record['url']}-{copy}"
        out.append(json.dumps(record, ensure_ascii=False))
    return out


def write_export(path: Path, lines: list[str], size: int = 0) -> int:
    """Write ``lines`` (and, up to ``size`` bytes, renamed copies of them); returns the record count."""
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        copy = 0
        while True:
            batch = lines if copy == 0 else renamed(lines, copy)
            handle.write("\n".join(batch) + "\n")
            count += len(batch)
            copy += 1
            if handle.tell() >= size:
                return count


def bare_loop(path: str) -> None:
    """The baseline: read the file line by line, json.loads each line."""
    started, count = time.perf_counter(), 0
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip():
                json.loads(line)
                count += 1
    print(json.dumps({"records": count, "seconds": time.perf_counter() - started}))
