"""Partition stage: where each row lands, as Hive-style ``key=value`` folders.

``date`` is the publication date in UTC, or the run's ingestion date where none
is known; ``outlet`` is a slug of the outlet name that nothing in an input can
turn into a path outside the output folder.
"""
from __future__ import annotations

import re
import unicodedata

import apache_beam as beam

from transforms.records import RunContext

SLUG_MAX = 64
UNKNOWN_OUTLET = "unknown"
_NOT_SLUG = re.compile(r"[^a-z0-9._-]+")
ARTICLES, DUPLICATES, ERRORS = "articles", "duplicates", "errors"
TABLES = (ARTICLES, DUPLICATES, ERRORS)


def outlet_slug(name: object) -> str:
    """Lowercase ``[a-z0-9._-]``, at most 64 characters, never empty, '.' or '..'."""
    text = unicodedata.normalize("NFKD", str(name or "")).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", text.lower()).strip("-._")
    slug = re.sub(r"-{2,}", "-", slug)[:SLUG_MAX].strip("-._")
    return slug or UNKNOWN_OUTLET


def partition_date(row: dict, run: RunContext) -> str:
    published = row.get("published_at")
    return published.date().isoformat() if published is not None else run.ingest_date


def partition_of(table: str, row: dict, run: RunContext) -> str:
    """The row's folder below ``OUTPUT/<table>/``."""
    if table == ERRORS:
        return f"date={run.ingest_date}"
    return f"date={partition_date(row, run)}/outlet={outlet_slug(row.get('outlet_name'))}"


class KeyByPartition(beam.PTransform):
    """Rows of one table in; ``((table, partition), row)`` out, ready to group into files."""

    def __init__(self, table: str, run: RunContext):
        super().__init__()
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        self._table = table
        self._run = run

    def expand(self, rows):
        table, run = self._table, self._run
        return rows | f"Key{table.title()}" >> beam.Map(lambda row: ((table, partition_of(table, row, run)), row))
