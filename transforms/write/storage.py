"""Small FileSystems helpers the writers and the driver share: run folders, whole trees,
and small JSON files replaced atomically. Everything goes through Beam's FileSystems, so
local paths, ``gs://`` and ``s3://`` behave alike."""
from __future__ import annotations

import json

from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.names import STAGING


def staging_dir(output: str, run_id: str) -> str:
    """Where a run writes its files before the commit (Hive-style readers skip ``_`` folders)."""
    return FileSystems.join(output, STAGING, run_id)


def ensure_dir(path: str) -> None:
    """Create a folder and its parents; a no-op on object stores and for existing folders."""
    if path.startswith(("s3://", "gs://")) or FileSystems.exists(path):
        return
    try:
        FileSystems.mkdirs(path)
    except IOError:
        if not FileSystems.exists(path):
            raise


def delete_tree(path: str) -> None:
    """Delete a folder and everything below it; on object stores, every object under the prefix."""
    if "://" in path:
        found = FileSystems.match([FileSystems.join(path, "**")])[0].metadata_list
        if found:
            FileSystems.delete([m.path for m in found])
    elif FileSystems.exists(path):
        FileSystems.delete([path])



def write_json_atomically(path: str, data, sort_keys: bool = False) -> None:
    """Replace a small JSON file whole: a temporary name beside it first, then a rename, so a
    reader never sees half of it."""
    folder, name = FileSystems.split(path)
    ensure_dir(folder)
    temporary = FileSystems.join(folder, f".{name}.tmp")
    with FileSystems.create(temporary) as handle:
        handle.write(json.dumps(data, indent=1, sort_keys=sort_keys, default=str).encode("utf-8"))
    FileSystems.rename([temporary], [path])
