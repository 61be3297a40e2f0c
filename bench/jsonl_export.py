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


def read_and_parse(path: str) -> None:
    """The read and parse stages alone over one export (Documents counted and dropped)."""
    import apache_beam as beam
    from apache_beam.io.filesystems import FileSystems
    from apache_beam.metrics.metric import MetricsFilter
    from apache_beam.options.pipeline_options import PipelineOptions

    from newsbeam.pipeline.runner import make_runner
    from newsbeam.transforms.parse.documents import ParseDocuments
    from newsbeam.transforms.read.files import ReadInputFiles
    from newsbeam.transforms.names import DOCUMENTS, FILES
    from newsbeam.transforms.records import InputFile

    meta = FileSystems.match([path])[0].metadata_list[0]
    started = time.perf_counter()
    options = PipelineOptions([])
    pipeline = beam.Pipeline(runner=make_runner(options), options=options)
    read = pipeline | "Read" >> ReadInputFiles([InputFile(path=path, size=meta.size_in_bytes)], 50 << 20)
    documents = (read[FILES] | "Parse" >> ParseDocuments())[DOCUMENTS]
    _ = documents | "Count" >> beam.combiners.Count.Globally() | "Report" >> beam.Map(
        lambda n: beam.metrics.Metrics.counter("bench", "documents").inc(n))
    result = pipeline.run()
    result.wait_until_finish()
    (counter,) = result.metrics().query(MetricsFilter().with_name("documents"))["counters"]
    print(json.dumps({"records": counter.committed, "seconds": time.perf_counter() - started}))


def _measured(code: str, path: Path) -> tuple[float, float, dict]:
    seconds, peak, out = run_measured([sys.executable, "-c", f"from bench.jsonl_export import {code}; "
                                       f"{code}({str(path)!r})"])
    return seconds, peak, json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--large-gib", type=float, default=1.0)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        lines = records(args.articles)
        export = tmp / "export" / "export.jsonl"
        export.parent.mkdir()
        n = write_export(export, lines)
        size = export.stat().st_size
        print(f"{'run':<52} {'records':>9} {'seconds':>8} {'records/s':>9} {'peak MiB':>9}")
        seconds, peak, bare = _measured("bare_loop", export)
        print(f"{'(a) bare loop over ' + f'{size / 2**20:.0f} MB, {n:,} records':<52} {bare['records']:>9,} "
              f"{seconds:>8.1f} {bare['records'] / seconds:>9.0f} {peak:>9,.0f}", flush=True)
        output = tmp / "out"
        seconds, peak, _ = run_measured([sys.executable, "-m", "newsbeam.pipeline.cli", "run", "--input",
                                         str(export.parent), "--output", str(output), "--log-level", "WARNING"])
        (manifest,) = (output / "_runs").glob("*.json")
        counts = json.loads(manifest.read_text())["counts"]
        print(f"{'(b) newsbeam run, in-process':<52} {counts['input_items']:>9,} {seconds:>8.1f} "
              f"{counts['input_items'] / seconds:>9.0f} {peak:>9,.0f}   {counts['articles']:,} articles, "
              f"{counts['duplicates']:,} duplicates, {counts['errors']} errors", flush=True)
        if args.skip_large:
            return
        large = tmp / "large.jsonl"
        n = write_export(large, lines, int(args.large_gib * 2**30))
        size = large.stat().st_size
        export.unlink()
        seconds, peak, bare = _measured("bare_loop", large)
        print(f"{'(a) bare loop over ' + f'{size / 2**30:.2f} GiB, {n:,} records':<52} {bare['records']:>9,} "
              f"{seconds:>8.1f} {bare['records'] / seconds:>9.0f} {peak:>9,.0f}", flush=True)
        seconds, peak, parsed = _measured("read_and_parse", large)
        print(f"{'(r) newsbeam read + parse stages, in-process':<52} {parsed['records']:>9,} {seconds:>8.1f} "
              f"{parsed['records'] / seconds:>9.0f} {peak:>9,.0f}", flush=True)


if __name__ == "__main__":
    main()
