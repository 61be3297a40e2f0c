"""Partition stage: where each row lands, as Hive-style ``key=value`` folders.

``date`` is the publication date in UTC, or the run's ingestion date where none
is known; ``outlet`` is a slug of the outlet name that nothing in an input can
turn into a path outside the output folder.
"""
from __future__ import annotations

import re
import unicodedata

import apache_beam as beam

from newsbeam.transforms.isolation import ItemFn
from newsbeam.transforms.names import ERRORS, ROWS, STAGE_WRITE, TABLES, partition_folder
from newsbeam.transforms.records import RunContext, scrub_surrogates
from newsbeam.transforms.write.schema import SCHEMAS

SLUG_MAX = 64
FILLED_BY_WRITER = ("ingested_at", "run_id", "cluster_id")  # the run's stamp, and the story dedup decides
UNKNOWN_OUTLET = "unknown"
_NOT_SLUG = re.compile(r"[^a-z0-9._-]+")


def outlet_slug(name: object) -> str:
    """Lowercase ``[a-z0-9._-]``, at most 64 characters, never empty, '.' or '..'."""
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", text.lower()).strip("-._")
    slug = re.sub(r"-{2,}", "-", slug)[:SLUG_MAX].strip("-._")
    return slug or UNKNOWN_OUTLET


def partition_date(row, run: RunContext) -> str:
    """The publication day of an Article or Duplicate, else the run's ingestion day."""
    published = row.published_at
    return published.date().isoformat() if published is not None else run.ingest_date


def partition_of(table: str, row, run: RunContext) -> str:
    """The row's folder below ``OUTPUT/<table>/``: errors by ingestion day, the rest by date and outlet."""
    if table == ERRORS:
        return partition_folder(table, run.ingest_date)
    return partition_folder(table, partition_date(row, run), outlet_slug(row.outlet_name))


def _scrubbed(value):
    if isinstance(value, str):
        return scrub_surrogates(value)
    if isinstance(value, (list, tuple)):
        return [_scrubbed(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    return value


def conform(table: str, row):
    """The row as its table's Parquet file can hold it: strings encodable as UTF-8, and every
    required column present (ValueError names a missing one)."""
    missing = [f.name for f in SCHEMAS[table] if not f.nullable and getattr(row, f.name, None) is None
               and f.name not in FILLED_BY_WRITER]
    if missing:
        raise ValueError(f"{table} row without {', '.join(missing)}")
    return row._replace(**{name: _scrubbed(value) for name, value in zip(row._fields, row)
                           if isinstance(value, (str, list, tuple, dict))})


class _KeyRowFn(ItemFn):
    """A row that its table's file could not hold becomes its item's error row, before it can
    fail the write of a whole partition."""
    STAGE = STAGE_WRITE

    def __init__(self, table: str, run: RunContext):
        super().__init__()
        self._table, self._run = table, run

    def handle(self, row):
        yield (self._table, partition_of(self._table, row, self._run)), conform(self._table, row)


class KeyByPartition(beam.PTransform):
    """Rows of one table in; ``rows``, ``((table, partition), row)`` ready to group into files, out.

    For articles and duplicates, a row that cannot be written goes to the ``errors`` output;
    error rows are always writable (see ``transforms.records.error_row``) and have no such output.
    """

    def __init__(self, table: str, run: RunContext):
        super().__init__()
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        self._table = table
        self._run = run

    def expand(self, rows):
        table, run = self._table, self._run
        if table == ERRORS:
            return {ROWS: rows | "KeyErrors" >> beam.Map(lambda row: ((table, partition_of(table, row, run)), row))}
        return rows | f"Key{table.title()}" >> beam.ParDo(_KeyRowFn(table, run)).with_outputs(ERRORS, main=ROWS)
