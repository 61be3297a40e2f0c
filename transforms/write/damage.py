"""Damaged output files: what counts as one, and how a reader of the output recognises it.

A file is damaged when it cannot be read back as what its place in the output
says it is: a Parquet file whose footer or pages do not decode, or whose
columns have other types than ``transforms/write/schema.py`` gives them; a manifest or
state file that is not the JSON object it should be. Every reader of the
output (a run's history, ``stats``, ``compact``, ``validate``) leaves such a
file out and names it, ``{"path": ..., "error": ...}``, instead of failing:
one damaged file must not wedge every later run.
"""
from __future__ import annotations

import json
import logging

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.write.schema import SCHEMAS, SORT_KEYS

# What pyarrow raises for a file that is not readable Parquet: ArrowInvalid for a missing or
# bad footer, OSError for a corrupt page (and for a file the filesystem cannot read).
UNREADABLE = (pa.ArrowException, OSError)
MESSAGE_CHARS = 300


class DamagedFile(ValueError):
    """A file that decodes but is not what the output contract says it is."""


def damage(path: str, error: object) -> dict:
    """The record naming one damaged file, as manifests, logs and commands show it."""
    text = str(error) if isinstance(error, (str, DamagedFile)) else f"{type(error).__name__}: {error}"
    return {"path": path, "error": text[:MESSAGE_CHARS]}


def log_damaged(logger: logging.Logger, records: list[dict], consequence: str) -> None:
    """One warning line per damaged file."""
    for record in records:
        logger.warning("damaged file %s (%s): %s", record["path"], record["error"], consequence)


def schema_problem(table: str, schema: pa.Schema) -> str | None:
    """Why a file's columns cannot be read as ``table``, or None. Columns are only ever added
    to the contract, so a file may lack newer ones; it must have the column that identifies
    its rows, and every column it shares with the contract must have the contract's type."""
    expected = SCHEMAS[table]
    missing = [name for name in SORT_KEYS[table][:1] if name not in schema.names]
    if missing:
        return f"not a {table} file: no column {', '.join(missing)}"
    wrong = [f"{field.name} is {field.type}, expected {expected.field(field.name).type}"
             for field in schema if field.name in expected.names
             and not field.type.equals(expected.field(field.name).type)]
    return f"schema differs from {table}: {'; '.join(wrong)}" if wrong else None


def open_parquet(handle, table: str) -> pq.ParquetFile:
    """The Parquet file behind an open handle, its footer read and its schema checked;
    raises one of UNREADABLE or DamagedFile."""
    parquet = pq.ParquetFile(handle)
    problem = schema_problem(table, parquet.schema_arrow)
    if problem:
        raise DamagedFile(problem)
    return parquet


def damage_of(read, path: str) -> dict | None:
    """The damage record of ``path`` when ``read(path)`` finds it damaged, or None."""
    try:
        read(path)
    except (*UNREADABLE, DamagedFile) as exc:
        return damage(path, exc)
    return None


def check_parquet(path: str, table: str, deep: bool = False) -> None:
    """Raises unless a file reads as Parquet of ``table``: footer and schema, and with
    ``deep`` every page."""
    with FileSystems.open(path) as handle:
        parquet = open_parquet(handle, table)
        if deep:
            parquet.read()


def parquet_damage(path: str, table: str, deep: bool = False) -> dict | None:
    """The damage record of a Parquet file of ``table``, or None when it reads."""
    return damage_of(lambda p: check_parquet(p, table, deep), path)


def read_json(path: str) -> object:
    """A JSON file's value; raises DamagedFile when it is not JSON in UTF-8."""
    try:
        with FileSystems.open(path) as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DamagedFile(f"not JSON: {exc}") from None


MANIFEST_KEYS = ("run_id", "status", "started_at")


def read_manifest(path: str) -> dict:
    """A run manifest (``_runs/*.json``); raises DamagedFile or OSError when the file is not one."""
    manifest = read_json(path)
    if not isinstance(manifest, dict):
        raise DamagedFile(f"not a run manifest: a JSON {type(manifest).__name__}, not an object")
    missing = [key for key in MANIFEST_KEYS if not isinstance(manifest.get(key), str)]
    missing += [key for key in ("counts", "timings_seconds") if not isinstance(manifest.get(key, {}), dict)]
    if missing:
        raise DamagedFile(f"not a run manifest: no {', '.join(missing)}")
    return manifest
