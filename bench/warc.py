"""WARC reading speed: newsbeam's reader (warcio) against a bare warcio loop and FastWARC.

Writes one WARC file into a temporary folder (deleted after) with warcio's own writer,
gzipped per record as crawlers write them: a warcinfo record, then ``--records``
HTTP 200 HTML responses, each after its request record. The pages are ~10 KB of
words drawn from a fixed vocabulary with a fixed seed (the same file in every run).
Then, over that same file, each reader is timed reading every record and the whole
payload of every response:

(a) bare warcio: ``ArchiveIterator`` and ``content_stream().read()``, the baseline;
(a') warcio checking every record's block digest, as newsbeam does;
(b) FastWARC (resiliparse's reader, written in Cython): ``ArchiveIterator`` with HTTP
    parsing and ``reader.read()``, when the ``fastwarc`` package is installed;
(c) newsbeam: ``transforms.parse.warc.read_records`` (warcio, plus the checks that make
    one damaged record one error row: block digests, lengths, the resynchronisation).

Each reader runs ``--repeats`` times; the best time counts. Printed: records/s, MB/s of
the file, and each reader's time over the bare warcio loop's.

    .venv/bin/python -m bench.warc [--records 20000] [--repeats 3]

FastWARC is not a runtime dependency (it does not read ARC files); install it into the
venv for this bench only: ``.venv/bin/python -m pip install fastwarc``.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import os
import random
import tempfile
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbeam.transforms.parse.warc import Capture, read_records

_WORDS = ("NATO Ukraine ministers Brussels membership defence summit alliance Kyiv air the of and to in "
          "a for on with talks support security Russia war government president agreement bid").split()


def page(rng: random.Random, number: int, size: int) -> bytes:
    paragraphs, length = [], 0
    while length < size:
        paragraph = " ".join(rng.choice(_WORDS) for _ in range(80)) + "."
        paragraphs.append(f"<p>{paragraph}</p>")
        length += len(paragraph) + 7
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Article {number}</title></head>"
            f"<body><article><h1>Article {number}</h1>{''.join(paragraphs)}</article></body></html>").encode()


def write_warc(path: Path, records: int, page_bytes: int) -> int:
    """The test file: a warcinfo record, then a request and a response per page; the bytes of payload."""
    rng, payload = random.Random(14), 0
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warc_record("bench.warc.gz", "warcinfo",
                                                      payload=io.BytesIO(b"software: bench.warc\r\n"),
                                                      warc_content_type="application/warc-fields"))
        for number in range(records):
            url = f"https://news.example/{number}"
            request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "news.example")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b""),
                                                          http_headers=request))
            body = page(rng, number, page_bytes)
            payload += len(body)
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=http))
    return payload


def bare_warcio(path: Path) -> tuple[int, int]:
    records = payload = 0
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle):
            records += 1
            if record.rec_type == "response":
                payload += len(record.content_stream().read())
    return records, payload


def warcio_digests(path: Path) -> tuple[int, int]:
    records = payload = 0
    with open(path, "rb") as handle:
        for record in ArchiveIterator(handle, check_digests=True):
            records += 1
            if record.rec_type == "response":
                payload += len(record.content_stream().read())
    return records, payload


def fastwarc(path: Path) -> tuple[int, int]:
    from fastwarc.warc import ArchiveIterator as FastIterator, WarcRecordType
    records = payload = 0
    with open(path, "rb") as handle:
        for record in FastIterator(handle, parse_http=True):
            records += 1
            if record.record_type == WarcRecordType.response:
                payload += len(record.reader.read())
    return records, payload


def newsbeam(path: Path) -> tuple[int, int]:
    records = payload = 0
    with open(path, "rb") as handle:
        for outcome in read_records(handle, 10 * 1024 * 1024):
            records += 1
            if isinstance(outcome, Capture):
                payload += len(outcome.payload)
    return records, payload


def timed(reader, path: Path, repeats: int) -> tuple[float, tuple[int, int]]:
    best, result = float("inf"), (0, 0)
    for _ in range(repeats):
        started = time.perf_counter()
        result = reader(path)
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20000, help="HTML responses (each with a request record)")
    parser.add_argument("--page-bytes", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    readers = [("bare warcio (baseline)", bare_warcio), ("warcio, digests checked", warcio_digests),
               ("FastWARC", fastwarc), ("newsbeam read_records", newsbeam)]
    if importlib.util.find_spec("fastwarc") is None:
        print("fastwarc is not installed (.venv/bin/python -m pip install fastwarc): measuring warcio and newsbeam")
        readers = [reader for reader in readers if reader[1] is not fastwarc]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.warc.gz"
        payload = write_warc(path, args.records, args.page_bytes)
        size = os.path.getsize(path)
        print(f"{2 * args.records + 1} records ({args.records} HTML responses, {payload / 1e6:.0f} MB of pages), "
              f"{size / 1e6:.0f} MB gzipped per record; best of {args.repeats}")
        print(f"{'reader':<24} {'seconds':>8} {'records/s':>10} {'MB/s (file)':>12} {'vs bare warcio':>15}")
        baseline = None
        for name, reader in readers:
            seconds, (records, read) = timed(reader, path, args.repeats)
            baseline = baseline or seconds
            print(f"{name:<24} {seconds:>8.2f} {records / seconds:>10.0f} {size / 1e6 / seconds:>12.1f} "
                  f"{seconds / baseline:>15.2f}  ({records} records, {read / 1e6:.0f} MB of payload)")


if __name__ == "__main__":
    main()
