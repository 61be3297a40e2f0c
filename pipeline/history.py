"""What earlier runs wrote, read back from the output itself for cross-run dedup.

Read are the ``articles`` and ``duplicates`` partitions within ``window_days``
days before or after each date the current run's articles fall on: copies of
a story are published close together, and re-ingesting an old article finds
its earlier copy whatever its age. Those dates are only known once articles
are extracted, so the files are matched inside the pipeline
(``fileio.MatchAll``) and filtered by the dates.
Deriving the seen set from the committed files means it can never disagree
with them: a killed run's unrenamed files are simply not there.
"""
from __future__ import annotations

import datetime as dt

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from transforms.partition import partition_date
from transforms.records import METRICS_NAMESPACE, RunContext

COLUMNS = ("article_id", "url", "content_hash", "published_at", "outlet_name", "source", "locator", "minhash")


def window_dates(date: str, days: int) -> list[str]:
    """``date`` and the ``days`` days before and after it."""
    day = dt.date.fromisoformat(date)
    return [(day + dt.timedelta(days=n)).isoformat() for n in range(-days, days + 1)]


class _ReadRowsFn(beam.DoFn):
    def __init__(self):
        self._rows = Metrics.counter(METRICS_NAMESPACE, "history.rows")
        self._files = Metrics.counter(METRICS_NAMESPACE, "history.files")

    def process(self, readable):
        table = "duplicates" if "/duplicates/" in readable.metadata.path.replace("\\", "/") else "articles"
        with readable.open(compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            parquet = pq.ParquetFile(handle)
            columns = [c for c in COLUMNS if c in parquet.schema_arrow.names]
            data = parquet.read(columns=columns).to_pylist()
        self._files.inc()
        self._rows.inc(len(data))
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
        dates = beam.pvalue.AsSingleton(
            articles
            | "ArticleDates" >> beam.Map(lambda a: partition_date(a, run))
            | "EachArticleDate" >> beam.Distinct()
            | "WindowAround" >> beam.FlatMap(lambda d: window_dates(d, days))
            | "GatherDates" >> beam.combiners.ToList()
            | "AsDateSet" >> beam.Map(frozenset))
        # One listing per table, filtered by date: on object stores every match is a round of
        # client set-up and listing, so one glob per date would cost far more than it saves.
        globs = [FileSystems.join(output, table, "date=*", "*", "*.parquet") for table in ("articles", "duplicates")]
        return (articles.pipeline
                | "TableGlobs" >> beam.Create(globs)
                | "MatchWritten" >> fileio.MatchAll(fileio.EmptyMatchTreatment.ALLOW)
                | "InWindow" >> beam.Filter(lambda meta, wanted: _date_of(meta.path) in wanted, dates)
                | "OpenWritten" >> fileio.ReadMatches()
                | "ReadRows" >> beam.ParDo(_ReadRowsFn()))


def _date_of(path: str) -> str:
    """The partition date in a written file's path (``.../date=YYYY-MM-DD/...``)."""
    for part in path.replace("\\", "/").split("/"):
        if part.startswith("date="):
            return part[5:]
    return ""
