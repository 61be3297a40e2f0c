"""What reading the whole history costs a run: ReadHistory alone, and with the Deduplicate stage.

Exact keys (URL, content hash, article id) are read from every file the
output holds, signatures only from the dedup window; so the cost grows with
the history's rows and, more, with its files. A synthetic output of ROWS
article rows in FILES files spread over DAYS days (random signatures) is
written, then 200 current documents dated on its last day are deduplicated
against it and against an empty output; the difference is the history's cost.
CPU seconds of this process (the DirectRunner runs in-process), best of three,
so that other load on the machine counts less than wall time would.

    .venv/bin/python -m bench.history_cost [ROWS FILES DAYS]   (default 300000 1000 365)

Below some 50,000 rows the history's cost is within the run-to-run noise.
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.common import run_and_collect
from bench.dedup_scaling import DAY, make_doc
from newsbeam.transforms.dedup.history import ReadHistory
from newsbeam.transforms.write.schema import TIMESTAMP
from newsbeam.transforms.dedup import Deduplicate
from newsbeam.transforms.dedup.minhash import NUM_PERM
from newsbeam.transforms.records import RunContext

DOCS = 200


def write_history(folder: Path, rows: int, files: int, days: int) -> None:
    rng = np.random.default_rng(7)
    per = rows // files
    for f in range(files):
        day = (DAY - dt.timedelta(days=f * days // files)).date().isoformat()
        ids = [f"{f:05d}{i:027x}" for i in range(per)]
        signatures = rng.integers(0, 2**32, size=(per, NUM_PERM), dtype=np.uint32)
        table = pa.table({
            "article_id": ids, "url": [f"https://old.example/{x}" for x in ids], "content_hash": [x * 2 for x in ids],
            "published_at": pa.array([DAY] * per, TIMESTAMP), "outlet_name": ["old"] * per, "source": ["old"] * per,
            "locator": [""] * per, "minhash": pa.array([s.tobytes() for s in signatures], pa.binary())})
        target = folder / "articles" / f"date={day}" / f"outlet=o{f}"
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target / f"part-h{f}-0.parquet", compression="zstd")


def cpu_seconds(history: Path, dedup: bool) -> tuple[float, dict]:
    run = RunContext("bench", DAY)

    def build(p):
        docs = p | "Ids" >> beam.Create(range(DOCS)) | "Generate" >> beam.Map(make_doc)
        rows = docs | "History" >> ReadHistory(str(history), run, 30)
        if not dedup:
            return {"history_rows": rows | "Count" >> beam.combiners.Count.Globally()}
        out = {"articles": docs, "history": rows} | Deduplicate()
        return {"articles": out["articles"] | "CountA" >> beam.combiners.Count.Globally()}

    best, found = float("inf"), {}
    for _ in range(3):
        started = time.process_time()
        found, _seconds = run_and_collect(build)
        best = min(best, time.process_time() - started)
    return best, found


def main() -> None:
    rows, files, days = (int(a) for a in sys.argv[1:4]) if len(sys.argv) > 3 else (300_000, 1000, 365)
    with tempfile.TemporaryDirectory() as tmp:
        full, empty = Path(tmp) / "full", Path(tmp) / "empty"
        write_history(full, rows, files, days)
        empty.mkdir()
        print(f"history: {rows:,} rows in {files} files over {days} days; {DOCS} current documents")
        for label, dedup in (("ReadHistory", False), ("ReadHistory + Deduplicate", True)):
            base, _ = cpu_seconds(empty, dedup)
            cost, found = cpu_seconds(full, dedup)
            extra = cost - base
            print(f"{label:<28} {base:6.2f} CPU s empty, {cost:6.2f} with history: +{extra:.2f} s, "
                  f"{rows / extra:,.0f} history rows/s  {found}")


if __name__ == "__main__":
    main()
