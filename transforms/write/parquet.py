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
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.dedup.index import index_table, write_index
from newsbeam.transforms.names import (ARTICLES, DUPLICATES, ERRORS, FILES, INDEX, ROWS, TABLES, WRITE_FILES,
                                       WRITE_NATO, WRITE_UKRAINE, counter, part_file, partition_folder,
                                       partition_glob, rows_metric)
from newsbeam.transforms.records import RunContext
from newsbeam.transforms.write.partition import UNKNOWN_OUTLET, KeyByPartition
from newsbeam.transforms.write.schema import SCHEMAS, SORT_KEYS
from newsbeam.transforms.write.spill import read_spilled
from newsbeam.transforms.write.storage import staging_dir


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


def _staged_record(output: str, run: RunContext, table: str, partition: str, data: pa.Table) -> dict:
    """Write one table's rows of one partition under the run's staging folder; its record for the commit."""
    relative = f"{table}/{partition}/{part_file(run.run_id)}"
    staged = FileSystems.join(staging_dir(output, run.run_id), relative)
    with FileSystems.create(staged) as handle:
        pq.write_table(data, handle, compression="zstd")
    return {"table": table, "partition": partition, "path": FileSystems.join(output, relative), "staged": staged,
            "rows": data.num_rows}


def has_files(output: str, table: str) -> bool:
    """Whether a table of the output has at least one committed data file (one listing, stopped at the first)."""
    return bool(FileSystems.match([FileSystems.join(output, partition_glob(table))], limits=[1])[0].metadata_list)


def stage_empty_tables(output: str, run: RunContext, staged: list[dict]) -> list[dict]:
    """An empty file, with its table's full schema, for every table that neither the output nor
    this run has a file of; their records for the commit.

    Readers refuse a glob that matches nothing (DuckDB, Polars) or a missing folder (pandas), so
    every table has a file from an output's first run on. It has zero rows in a valid partition
    (the run's ingestion day, outlet ``unknown``): no count, sum or list of values changes. It is
    committed with the run's files, once per table and output, as the first run's own file.
    """
    having = {record["table"] for record in staged}
    return [_staged_record(output, run, table, partition_folder(table, run.ingest_date, UNKNOWN_OUTLET),
                           SCHEMAS[table].empty_table())
            for table in TABLES if table not in having and not has_files(output, table)]


def _sorted(data: pa.Table, table: str) -> pa.Table:
    return data.sort_by([(key, "ascending") for key in SORT_KEYS[table]])


class _WriteErrorsFn(beam.DoFn):
    """One partition's error rows in; its staged file's record out."""

    def __init__(self, output: str, run: RunContext):
        self._output = output
        self._run = run
        self._files = counter(WRITE_FILES)
        self._rows = counter(rows_metric(ERRORS))

    def process(self, keyed):
        (_, partition), rows = keyed
        data = _sorted(table_of(ERRORS, list(rows), self._run), ERRORS)
        self._files.inc()
        self._rows.inc(data.num_rows)
        yield _staged_record(self._output, self._run, ERRORS, partition, data)


class _WriteStoriesFn(beam.DoFn):
    """One partition's spilled rows and dedup decisions in; its articles and duplicates files out.

    Rows are read back from the spill files and matched to their decisions by item: an item
    without a decision was skipped (an earlier run wrote it) and is not written."""

    def __init__(self, output: str, run: RunContext):
        self._output = output
        self._run = run
        self._files = counter(WRITE_FILES)
        self._rows = {table: counter(rows_metric(table)) for table in (ARTICLES, DUPLICATES)}
        self._mentioning = {"nato_mentions": counter(WRITE_NATO), "ukraine_mentions": counter(WRITE_UKRAINE)}

    def process(self, keyed):
        partition, grouped = keyed
        decisions = {decision.item: decision for decision in grouped["decisions"]}
        refs = sorted(set(grouped["refs"]))
        if not decisions or not refs:
            return
        rows = pa.concat_tables([read_spilled(ref) for ref in refs])
        items = rows["item"].to_pylist()
        chosen = [decisions.get(item) for item in items]
        for table, data in ((ARTICLES, _articles(rows, chosen)), (DUPLICATES, _duplicates(rows, chosen))):
            if data.num_rows:
                self._files.inc()
                self._rows[table].inc(data.num_rows)
                if table == ARTICLES:
                    for column, mentioning in self._mentioning.items():
                        mentioning.inc(pc.sum(pc.greater(data[column], 0)).as_py() or 0)
                yield _staged_record(self._output, self._run, table, partition, _sorted(data, table))


def _articles(rows: pa.Table, chosen: list) -> pa.Table:
    """The rows decided to be articles, with their story's columns."""
    at = [n for n, decision in enumerate(chosen) if decision is not None and decision.duplicate_of is None]
    data = rows.take(pa.array(at, type=pa.int64()))
    kept = [chosen[n] for n in at]
    story = {"cluster_id": data["article_id"],
             "duplicate_count": pa.array([d.duplicate_count for d in kept], pa.int32()),
             "duplicate_outlets": pa.array([list(d.duplicate_outlets) for d in kept], pa.list_(pa.string()))}
    return pa.table({name: story.get(name, data[name] if name in data.column_names else None)
                     for name in SCHEMAS[ARTICLES].names}, schema=SCHEMAS[ARTICLES])


def _duplicates(rows: pa.Table, chosen: list) -> pa.Table:
    """The rows decided to be duplicates, as duplicates rows."""
    at = [n for n, decision in enumerate(chosen) if decision is not None and decision.duplicate_of is not None]
    data = rows.take(pa.array(at, type=pa.int64()))
    copies = [chosen[n] for n in at]
    decided = {"duplicate_of": pa.array([d.duplicate_of for d in copies], pa.string()),
               "reason": pa.array([d.reason for d in copies], pa.string()),
               "similarity": pa.array([d.similarity for d in copies], pa.float64())}
    return pa.table({name: decided.get(name, data[name] if name in data.column_names else None)
                     for name in SCHEMAS[DUPLICATES].names}, schema=SCHEMAS[DUPLICATES])


class _WriteIndexFn(beam.DoFn):
    """All of the run's index rows in (one list); the run's index file's record out."""

    def __init__(self, output: str, run: RunContext):
        self._output = output
        self._run = run

    def process(self, rows: list):
        if not rows:
            return
        relative = FileSystems.join(INDEX, part_file(self._run.run_id))
        staged = FileSystems.join(staging_dir(self._output, self._run.run_id), relative)
        write_index(index_table(rows), staged)
        yield {"table": INDEX, "partition": "", "path": FileSystems.join(self._output, relative),
               "staged": staged, "rows": len(rows)}


class WriteTables(beam.PTransform):
    """``{"refs", "decisions", "index", "errors"}`` in; the staged files' records out.

    ``refs`` are (partition, SpillRef) of the spilled article rows, ``decisions`` the dedup
    Decision of every item not skipped, ``index`` the run's dedup-index rows and ``errors``
    every stage's error rows. The records are also listed in this run's staging folder
    (``files.json``): the driver commits them once the pipeline has finished (:mod:`.commit`).
    """

    def __init__(self, output: str, run: RunContext):
        super().__init__()
        self._output = output
        self._run = run

    def expand(self, inputs):
        output, run = self._output, self._run
        stories = ({"refs": inputs["refs"],
                    "decisions": inputs["decisions"] | "DecisionsByPartition" >> beam.Map(lambda d: (d.partition, d))}
                   | "JoinPartitions" >> beam.CoGroupByKey()
                   | "WriteStories" >> beam.ParDo(_WriteStoriesFn(output, run)))
        errors = ((inputs[ERRORS] | "PartitionErrors" >> KeyByPartition(ERRORS, run))[ROWS]
                  | "GroupErrors" >> beam.GroupByKey()
                  | "WriteErrors" >> beam.ParDo(_WriteErrorsFn(output, run)))
        index = (inputs[INDEX]
                 | "GatherIndexRows" >> beam.combiners.ToList()
                 | "WriteIndex" >> beam.ParDo(_WriteIndexFn(output, run)))
        staged = (stories, errors, index) | "AllStagedFiles" >> beam.Flatten()
        _ = staged | "ListStagedFiles" >> WriteRunLog(output, run.run_id, FILES)
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
