"""Which input files this output has already ingested, so that a run reads only what is new.

A file is known by its path, size and modification time, as the filesystem's listing reports
them: on local disks, ``gs://`` and ``s3://`` alike the listing that matches the inputs already
carries them, so recognising an unchanged file costs nothing more (hashing its bytes would
mean reading it; ``bench/incremental.py`` measures both). Every committed run adds one file,
``OUTPUT/_index/files/part-<run_id>.parquet``, with the files it read, committed in the same
journal as its data; ``newsbeam compact`` merges them. A file rewritten in place with the same
size within the same second is not noticed: ``--reprocess`` reads every file again.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.names import INDEX, part_file
from newsbeam.transforms.records import InputFile
from newsbeam.transforms.write.damage import UNREADABLE, damage

FILES = "files"
# Paths are kept as bytes: a file name that is not valid UTF-8 (read with surrogate escapes) is
# still one exact key.
SCHEMA = pa.schema([pa.field("path", pa.binary(), nullable=False), pa.field("size", pa.int64(), nullable=False),
                    pa.field("mtime", pa.float64(), nullable=False), pa.field("run_id", pa.string(), nullable=False)])


def path_key(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def ledger_dir(output: str) -> str:
    return FileSystems.join(output, INDEX, FILES)


def ledger_file(folder: str, run_id: str) -> str:
    return FileSystems.join(folder, part_file(run_id))


def ledger_table(inputs: list[InputFile], run_id: str) -> pa.Table:
    return pa.table({"path": [path_key(f.path) for f in inputs], "size": [f.size for f in inputs],
                     "mtime": [float(f.mtime) for f in inputs], "run_id": [run_id] * len(inputs)}, schema=SCHEMA)


def write_ledger(table: pa.Table, path: str) -> None:
    with FileSystems.create(path) as handle:
        pq.write_table(table, handle, compression="zstd")


def split_unchanged(output: str, inputs: list[InputFile]) -> tuple[list[InputFile], list[InputFile], list[dict]]:
    """(files to read, files an earlier run ingested exactly as they are now, damage records of
    ledger files that cannot be read: their files are simply read again)."""
    if not inputs:
        return inputs, [], []
    wanted = pa.array(sorted({path_key(f.path) for f in inputs}), pa.binary())
    known, damaged = set(), []
    for meta in FileSystems.match([FileSystems.join(ledger_dir(output), "*.parquet")])[0].metadata_list:
        try:
            with FileSystems.open(meta.path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
                table = pq.read_table(handle, columns=["path", "size", "mtime"])
            if table.schema.field("path").type != pa.binary():
                raise pa.ArrowInvalid(f"ledger path column is {table.schema.field('path').type}, not binary")
        except UNREADABLE as exc:
            damaged.append(damage(meta.path, exc))
            continue
        found = table.filter(pc.is_in(table["path"], value_set=wanted))
        known.update(zip(found["path"].to_pylist(), found["size"].to_pylist(), found["mtime"].to_pylist()))
    new = [f for f in inputs if (path_key(f.path), f.size, float(f.mtime)) not in known]
    return new, [f for f in inputs if (path_key(f.path), f.size, float(f.mtime)) in known], damaged


def merge_ledger(output: str) -> tuple[pa.Table, list[str]]:
    """Every ledger file's rows as one table, each (path, size, mtime) once, and the files merged."""
    paths = sorted(meta.path for meta in FileSystems.match([FileSystems.join(ledger_dir(output), "*.parquet")])[0]
                   .metadata_list)
    tables = []
    for path in paths:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            tables.append(pq.read_table(handle, schema=SCHEMA))
    if not tables:
        return SCHEMA.empty_table(), []
    merged = pa.concat_tables(tables).sort_by([("path", "ascending"), ("run_id", "ascending")])
    first, seen = [], set()
    for n, row in enumerate(zip(*(merged[c].to_pylist() for c in ("path", "size", "mtime")))):
        if row not in seen:
            seen.add(row)
            first.append(n)
    return merged.take(pa.array(first, pa.int64())), paths
