"""Writers: one zstd Parquet file per table and partition per run, committed at the end.

Every file is first written under ``OUTPUT/_staging/<run_id>/`` (readers skip
folders starting with ``_``) and only renamed into its partition after all of
them are written, by one commit step that creates the partition folders
itself. A run that fails before the commit leaves nothing in any partition;
each renamed file is complete. The commit writes the list of files it moved,
which the run manifest reports; a test checks that list against the disk.
"""
from __future__ import annotations

import json
import os

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.schema import SCHEMAS, SORT_KEYS
from transforms.records import METRICS_NAMESPACE, RunContext

STAGING = "_staging"
COMMITTED = "committed.json"


def staging_dir(output: str, run_id: str) -> str:
    return FileSystems.join(output, STAGING, run_id)


def file_name(run_id: str, n: int = 0) -> str:
    return f"part-{run_id}-{n}.parquet"


def ensure_dir(path: str) -> None:
    """Create a folder and its parents; a no-op on object stores and for existing folders."""
    if FileSystems.exists(path):
        return
    try:
        FileSystems.mkdirs(path)
    except IOError:
        if not FileSystems.exists(path):
            raise


def _sort_key(keys):
    return lambda row: tuple("" if row.get(k) is None else str(row.get(k)) for k in keys)


class _WritePartitionFn(beam.DoFn):
    def __init__(self, output: str, run: RunContext):
        self._output = output
        self._run = run
        self._files = Metrics.counter(METRICS_NAMESPACE, "write.files")
        self._rows = {table: Metrics.counter(METRICS_NAMESPACE, f"write.{table}_rows") for table in SCHEMAS}

    def process(self, keyed):
        (table, partition), rows = keyed
        stamp = {"run_id": self._run.run_id, "ingested_at": self._run.ingested_at}
        rows = sorted(({**row, **stamp} for row in rows), key=_sort_key(SORT_KEYS[table]))
        name = file_name(self._run.run_id)
        relative = f"{table}/{partition}/{name}"
        staged = FileSystems.join(staging_dir(self._output, self._run.run_id), relative)
        data = pa.Table.from_pylist(rows, schema=SCHEMAS[table])
        with FileSystems.create(staged) as handle:
            pq.write_table(data, handle, compression="zstd")
        self._files.inc()
        self._rows[table].inc(len(rows))
        yield {"table": table, "partition": partition, "path": FileSystems.join(self._output, relative),
               "staged": staged, "rows": len(rows)}


class _CommitFn(beam.DoFn):
    """All written files in (as one list); each renamed into its partition."""

    def __init__(self, output: str, run_id: str):
        self._output = output
        self._run_id = run_id

    def process(self, records: list):
        committed = []
        for record in sorted(records, key=lambda r: r["path"]):
            final, staged = record["path"], record["staged"]
            if FileSystems.exists(staged):
                ensure_dir(FileSystems.split(final)[0])
                FileSystems.rename([staged], [final])
            if not FileSystems.exists(final):  # a retried bundle may find the rename already done
                raise IOError(f"commit failed: {final} is missing after renaming {staged}")
            committed.append({k: record[k] for k in ("table", "partition", "path", "rows")})
        listing = FileSystems.join(staging_dir(self._output, self._run_id), COMMITTED)
        with FileSystems.create(listing) as handle:
            handle.write(json.dumps(committed, indent=1).encode("utf-8"))
        yield from committed


class WritePartitionedParquet(beam.PTransform):
    """``((table, partition), row)`` in; the committed files' records out."""

    def __init__(self, output: str, run: RunContext):
        super().__init__()
        self._output = output
        self._run = run

    def expand(self, keyed_rows):
        return (keyed_rows
                | "GroupByPartition" >> beam.GroupByKey()
                | "WriteStagedFiles" >> beam.ParDo(_WritePartitionFn(self._output, self._run))
                | "GatherFiles" >> beam.combiners.ToList()
                | "CommitFiles" >> beam.ParDo(_CommitFn(self._output, self._run.run_id)))


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


def read_committed(output: str, run_id: str) -> list[dict]:
    """The commit step's list of files, read back on the driver after the run."""
    with FileSystems.open(FileSystems.join(staging_dir(output, run_id), COMMITTED)) as handle:
        return json.loads(handle.read())


def delete_tree(path: str) -> None:
    """Delete a folder and everything below it; on object stores, every object under the prefix."""
    if "://" in path:
        found = FileSystems.match([FileSystems.join(path, "**")])[0].metadata_list
        if found:
            FileSystems.delete([m.path for m in found])
    elif FileSystems.exists(path):
        FileSystems.delete([path])


def remove_interrupted_staging(output: str) -> list[str]:
    """Delete what interrupted runs left under ``_staging/``; returns their run ids.

    Runs into one output never overlap (schedule them with flock or a
    ``Forbid`` concurrency policy), so any staging folder found before a run
    starts belongs to a run that died before its commit finished.
    """
    root = FileSystems.join(output, STAGING)
    prefix = root.rstrip("/") + "/"
    found = {meta.path[len(prefix):].split("/", 1)[0]
             for meta in FileSystems.match([FileSystems.join(root, "**")])[0].metadata_list}
    if os.path.isdir(root):
        found |= set(os.listdir(root))  # a local folder can be left with no file in it
    found = sorted(found)
    for run_id in found:
        delete_tree(FileSystems.join(root, run_id))
    if os.path.isdir(root) and not os.listdir(root):
        os.rmdir(root)
    return found


def remove_staging(output: str, run_id: str) -> None:
    """Delete this run's staging folder, and the staging root once no run uses it."""
    delete_tree(staging_dir(output, run_id))
    root = FileSystems.join(output, STAGING)
    if os.path.isdir(root) and not os.listdir(root):
        os.rmdir(root)  # local only: object stores have no empty folders to leave behind
