"""`newsbeam compact OUTPUT [--date D ...]`: merge each partition's per-run files into one.

Hourly runs leave one small file per partition per run; readers prefer few
large ones. A partition is rewritten as one zstd file (rows sorted as a run
writes them) in ``_staging/``, then swapped with the partition folder in one
atomic step (Linux ``renameat2(RENAME_EXCHANGE)``): a reader sees either all
the old files or the one new file, never both and never neither. The row count
is checked before the swap, and a file a run committed meanwhile is moved
into the new folder, so no row is lost or duplicated. Local outputs only:
object stores have no atomic folder swap. A partition holding a damaged file
(see :mod:`newsbeam.transforms.write.damage`) is left as it is and reported with the file.

The dedup index's per-run files, and the per-run lists of input files read, are merged into
one file each too (or the index rebuilt from the tables, on request or when one of its files
does not read), so that a run's reading of them stays a few files however many runs there were.
"""
from __future__ import annotations

import ctypes
import datetime as dt
import os
import secrets
import shutil
from pathlib import Path
from typing import Callable

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.dedup.index import index_files, read_index, read_index_footer, rebuild_index, replace_index
from newsbeam.transforms.names import STAGING, TABLES, partition_glob, path_date
from newsbeam.transforms.read.ledger import ledger_dir, ledger_file, merge_ledger, write_ledger
from newsbeam.transforms.write.damage import UNREADABLE, DamagedFile, damage, damage_of, open_parquet
from newsbeam.transforms.write.schema import SORT_KEYS

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class CompactError(RuntimeError):
    pass


def _exchange(a: Path, b: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        raise CompactError("this system has no atomic folder exchange (renameat2); compaction needs Linux")
    if libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        raise CompactError(f"cannot exchange {a} and {b}: {os.strerror(ctypes.get_errno())}")


def partitions(output: Path, dates: list[str] | None = None):
    """(table, partition folder) of every partition, optionally only the given dates."""
    for table in TABLES:
        for folder in sorted({path.parent for path in output.glob(partition_glob(table))}):
            if not dates or path_date(folder.as_posix()) in dates:
                yield table, folder


def read_files(table: str, files: list[Path]) -> tuple[list[pa.Table], list[dict]]:
    """Each file's rows, and damage records of the files that do not read as ``table``."""
    tables, damaged = [], []
    for path in files:
        try:
            with open(path, "rb") as handle:
                tables.append(open_parquet(handle, table).read())
        except (*UNREADABLE, DamagedFile) as exc:
            damaged.append(damage(str(path), exc))
    return tables, damaged


def compact_partition(output: Path, table: str, folder: Path,
                      rewrite: Callable[[pa.Table], pa.Table | None] | None = None) -> dict | None:
    """What compacting one partition did: None when it holds fewer than two files; with
    ``damaged`` (and nothing changed) when one of them does not read.

    With ``rewrite``, the partition's rows (merged, however many files) are replaced by what it
    returns for them, with the same atomic swap (``newsbeam retag``); None from it leaves the
    partition as it is."""
    files = sorted(folder.glob("*.parquet"))
    if len(files) < (2 if rewrite is None else 1):
        return None
    tables, damaged = read_files(table, files)
    partition = folder.relative_to(output / table).as_posix()
    if damaged:
        return {"table": table, "partition": partition, "files": len(files), "damaged": damaged}
    merged = pa.concat_tables(tables, promote_options="default")
    keys = [(k, "ascending") for k in SORT_KEYS[table] if k in merged.column_names]
    merged = merged.sort_by(keys)
    if rewrite is not None:
        merged = rewrite(merged)
        if merged is None:
            return None
    token = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    kind = "compacted" if rewrite is None else "rewritten"
    work = output / STAGING / f"compact-{token}"
    fresh = work / folder.name
    fresh.mkdir(parents=True)
    target = fresh / f"part-{kind}-{token}-0.parquet"
    pq.write_table(merged, target, compression="zstd")
    if pq.read_metadata(target).num_rows != sum(pq.read_metadata(f).num_rows for f in files):
        shutil.rmtree(work)
        raise CompactError(f"{folder}: row counts differ after merging; partition left as it was")
    _exchange(fresh, folder)  # the partition folder now holds the merged file; `fresh` the old files
    merged_names = {f.name for f in files}
    for late in fresh.glob("*.parquet"):  # a file a run committed while we merged goes back in
        if late.name not in merged_names:
            os.rename(late, folder / late.name)
    shutil.rmtree(work)
    return {"table": table, "partition": partition, "files": len(files), "rows": merged.num_rows}


def compact_index(output: str, rebuild: bool = False) -> dict | None:
    """Merge the per-run dedup index files into one (and the per-run lists of files read); with
    ``rebuild``, or when an index file does not read, rebuild the index from the tables."""
    files = index_files(output)
    damaged = [record for record in (damage_of(read_index_footer, path) for path in files) if record]
    if rebuild or damaged:
        table, _ = rebuild_index(output)
        replace_index(output, table, "rebuilt")
        result = {"table": "_index", "files": len(files), "rows": table.num_rows, "rebuilt": True,
                  "damaged": damaged}
    elif len(files) > 1:
        table, _ = read_index(output)
        replace_index(output, table, "compacted")
        result = {"table": "_index", "files": len(files), "rows": table.num_rows}
    else:
        result = None
    ledger, merged = merge_ledger(output)
    if len(merged) > 1:
        final = ledger_file(ledger_dir(output), f"compacted-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%f}")
        temporary = FileSystems.join(ledger_dir(output), "." + FileSystems.split(final)[1] + ".tmp")
        write_ledger(ledger, temporary)
        FileSystems.rename([temporary], [final])
        FileSystems.delete(merged)
    return result


def compact(output: str, dates: list[str] | None = None) -> list[dict]:
    root = Path(output)
    if "://" in output:
        raise CompactError("compact works on local outputs only (object stores have no atomic folder swap)")
    if not root.is_dir():
        raise CompactError(f"{output} is not a folder")
    done = []
    for table, folder in partitions(root, dates):
        result = compact_partition(root, table, folder)
        if result:
            done.append(result)
    staging = root / STAGING
    if staging.is_dir() and not any(staging.iterdir()):
        staging.rmdir()
    return done
