"""Write stage: one zstd Parquet file per table and partition per run, staged for the commit.

Every file is written under ``OUTPUT/_staging/<run_id>/`` (readers skip folders
starting with ``_``) and listed in the run's ``files`` run log; after the
pipeline has finished, the driver commits them all or nothing (:mod:`.commit`).
Rows become columns of the table's schema (:mod:`.schema`), sorted, so a file's
content does not depend on the order in which workers delivered its rows.
"""
from __future__ import annotations

import json

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.names import FILES, WRITE_FILES, counter, part_file, rows_metric
from newsbeam.transforms.records import RunContext
from newsbeam.transforms.write.schema import SCHEMAS, SORT_KEYS
from newsbeam.transforms.write.storage import staging_dir


def _sort_key(keys):
    return lambda row: tuple("" if getattr(row, k) is None else str(getattr(row, k)) for k in keys)


def table_of(table: str, rows: list, run: RunContext) -> pa.Table:
    """Records of one table (Article, Duplicate or ErrorRow) as an Arrow table of its schema;
    the run's id and ingestion time stamped where a record has none."""
    schema = SCHEMAS[table]
    stamps = {"run_id": run.run_id, "ingested_at": run.ingested_at}
    columns = {}
    for name in schema.names:
        values = [getattr(row, name, None) for row in rows]
        if name in stamps:
            values = [stamps[name] if value is None else value for value in values]
        columns[name] = values
    return pa.Table.from_pydict(columns, schema=schema)


class _WritePartitionFn(beam.DoFn):
    def __init__(self, output: str, run: RunContext):
        self._output = output
        self._run = run
        self._files = counter(WRITE_FILES)
        self._rows = {table: counter(rows_metric(table)) for table in SCHEMAS}

    def process(self, keyed):
        (table, partition), rows = keyed
        rows = sorted(rows, key=_sort_key(SORT_KEYS[table]))
        relative = f"{table}/{partition}/{part_file(self._run.run_id)}"
        staged = FileSystems.join(staging_dir(self._output, self._run.run_id), relative)
        data = table_of(table, rows, self._run)
        with FileSystems.create(staged) as handle:
            pq.write_table(data, handle, compression="zstd")
        self._files.inc()
        self._rows[table].inc(len(rows))
        yield {"table": table, "partition": partition, "path": FileSystems.join(self._output, relative),
               "staged": staged, "rows": len(rows)}


class WritePartitionedParquet(beam.PTransform):
    """``((table, partition), row)`` in; the staged files' records out.

    The records are also listed in this run's staging folder (``files.json``):
    the driver commits them once the pipeline has finished (see :mod:`.commit`).
    """

    def __init__(self, output: str, run: RunContext):
        super().__init__()
        self._output = output
        self._run = run

    def expand(self, keyed_rows):
        staged = (keyed_rows
                  | "GroupByPartition" >> beam.GroupByKey()
                  | "WriteStagedFiles" >> beam.ParDo(_WritePartitionFn(self._output, self._run)))
        _ = staged | "ListStagedFiles" >> WriteRunLog(self._output, self._run.run_id, FILES)
        return staged


class _WriteLogFn(beam.DoFn):
    def __init__(self, path: str):
        self._path = path

    def process(self, records: list):
        ordered = sorted(records, key=lambda r: json.dumps(r, sort_keys=True, default=str))
        with FileSystems.create(self._path) as handle:
            handle.write(json.dumps(ordered, indent=1, default=str).encode("utf-8"))
        yield self._path


class WriteRunLog(beam.PTransform):
    """Small per-run records (one per feed, say) in; one JSON list in this run's staging
    folder out, for the driver to read back after the run."""

    def __init__(self, output: str, run_id: str, name: str):
        super().__init__()
        self._path = FileSystems.join(staging_dir(output, run_id), f"{name}.json")

    def expand(self, records):
        return (records
                | "GatherRecords" >> beam.combiners.ToList()
                | "WriteLog" >> beam.ParDo(_WriteLogFn(self._path)))


def read_run_log(output: str, run_id: str, name: str) -> list[dict]:
    path = FileSystems.join(staging_dir(output, run_id), f"{name}.json")
    if not FileSystems.exists(path):
        return []
    with FileSystems.open(path) as handle:
        return json.loads(handle.read())
