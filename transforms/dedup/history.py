"""What earlier runs wrote, read back from the output itself for cross-run dedup.

Two reads of different reach, one pass over the files:

- the exact keys (``article_id``, ``url``, ``content_hash``) of every
  ``articles`` and ``duplicates`` row ever written, whatever its date: an item
  written once is never written again, however long ago that was (an undated
  item lands in its ingestion day's partition, so its later copy lands in a
  later day's partition, any number of days apart);
- the MinHash signatures, with what decides which copy a cluster keeps, of the
  ``articles`` within ``window_days`` days before or after each date the
  current run's articles fall on: copies of a story are published close
  together, and a signature is most of a row's bytes.

Those dates are only known once articles are extracted, so the files are
matched inside the pipeline (``fileio.MatchAll``) and each file's columns are
chosen by its partition date; only those columns are read.
Deriving the seen set from the committed files means it can never disagree
with them: a killed run's unrenamed files are simply not there. A damaged file
(see :mod:`newsbeam.transforms.write.damage`) is left out and named in this run's ``damaged``
run log, which the driver reads back into the manifest.
"""
from __future__ import annotations

import datetime as dt

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.names import (ARTICLES, DAMAGED, DUPLICATES, HISTORY_DAMAGED_FILES, HISTORY_FILES,
                                       HISTORY_ROWS, HISTORY_SIGNATURE_ROWS, ROWS, counter, partition_glob,
                                       path_date)
from newsbeam.transforms.records import RunContext
from newsbeam.transforms.write.damage import UNREADABLE, DamagedFile, damage, open_parquet
from newsbeam.transforms.write.parquet import WriteRunLog
from newsbeam.transforms.write.partition import partition_date

KEY_COLUMNS = ("article_id", "url", "content_hash")
SIGNATURE_COLUMNS = (*KEY_COLUMNS, "published_at", "outlet_name", "source", "locator", "minhash")


def window_dates(date: str, days: int) -> list[str]:
    """``date`` and the ``days`` days before and after it."""
    day = dt.date.fromisoformat(date)
    return [(day + dt.timedelta(days=n)).isoformat() for n in range(-days, days + 1)]


def read_columns(readable, table: str, columns: tuple) -> list[dict]:
    """Those of ``columns`` a written file has, as rows; raises for a damaged file."""
    with readable.open(compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        parquet = open_parquet(handle, table)
        present = [c for c in columns if c in parquet.schema_arrow.names]
        return parquet.read(columns=present).to_pylist()


class _ReadRowsFn(beam.DoFn):
    """A written file in; its rows out (keys only, or with signatures when its date is in
    the window), or its damage record on the ``damaged`` output."""

    def __init__(self):
        self._rows = counter(HISTORY_ROWS)
        self._signed = counter(HISTORY_SIGNATURE_ROWS)
        self._files = counter(HISTORY_FILES)
        self._damaged = counter(HISTORY_DAMAGED_FILES)

    def process(self, readable, window):
        path = readable.metadata.path
        table, date = _place(path)
        signed = table == ARTICLES and date in window
        try:
            data = read_columns(readable, table, SIGNATURE_COLUMNS if signed else KEY_COLUMNS)
        except (*UNREADABLE, DamagedFile) as exc:
            self._damaged.inc()
            yield beam.pvalue.TaggedOutput(DAMAGED, damage(path, exc))
            return
        self._files.inc()
        self._rows.inc(len(data))
        if signed:
            self._signed.inc(len(data))
        for row in data:
            row["table"] = table
            yield row


class ReadHistory(beam.PTransform):
    """Current articles in (for their dates); earlier runs' rows out."""

    def __init__(self, output: str, run: RunContext, window_days: int):
        super().__init__()
        self._output = output
        self._run = run
        self._window_days = window_days

    def expand(self, articles):
        run, output, days = self._run, self._output, self._window_days
        window = beam.pvalue.AsSingleton(
            articles
            | "ArticleDates" >> beam.Map(lambda a: partition_date(a, run))
            | "EachArticleDate" >> beam.Distinct()
            | "WindowAround" >> beam.FlatMap(lambda d: window_dates(d, days))
            | "GatherDates" >> beam.combiners.ToList()
            | "AsDateSet" >> beam.Map(frozenset))
        # One listing per table: on object stores every match is a round of client set-up
        # and listing, so one glob per date would cost far more than it saves.
        globs = [FileSystems.join(output, partition_glob(table)) for table in (ARTICLES, DUPLICATES)]
        read = (articles.pipeline
                | "TableGlobs" >> beam.Create(globs)
                | "MatchWritten" >> fileio.MatchAll(fileio.EmptyMatchTreatment.ALLOW)
                | "OpenWritten" >> fileio.ReadMatches()
                | "ReadRows" >> beam.ParDo(_ReadRowsFn(), window).with_outputs(DAMAGED, main=ROWS))
        _ = read[DAMAGED] | "DamagedLog" >> WriteRunLog(output, run.run_id, DAMAGED)
        return read[ROWS]


def _place(path: str) -> tuple[str, str]:
    """(table, partition date) of a written file, ``.../<table>/date=<date>/outlet=.../<file>``."""
    return path.replace("\\", "/").split("/")[-4], path_date(path)
