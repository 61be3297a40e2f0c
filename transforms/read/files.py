"""Readers: input globs to matched files (on the driver), files to bytes (in the pipeline).

Matching happens before the pipeline starts so that a glob matching nothing
fails the run at once. Reading goes through Beam's FileSystems, so local,
``gs://`` and ``s3://`` paths work alike. An optional sidecar ``_meta.yaml``
in an input folder gives its files what a plain dump cannot say itself:

    "*":                          # every file in this folder
      outlet: Example Zeitung
    nato-artikel.txt:             # one file, overriding "*"
      url: https://www.example.de/politik/nato-artikel
      published: 2025-02-13T10:00:00+01:00
      language: de
"""
from __future__ import annotations

import fnmatch
import itertools
import os
import stat
import zlib
from typing import Iterable

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.bounded_yaml import YamlError, load_yaml
from newsbeam.transforms.isolation import ItemFn
from newsbeam.transforms.names import ERRORS, FILES, READ_BYTES, READ_FILES, STAGE_READ, counter
from newsbeam.transforms.parse.documents import STREAMED, detect_format
from newsbeam.transforms.progress import SOURCES
from newsbeam.transforms.read.streams import gunzip_capped, open_input
from newsbeam.transforms.records import InputFile, SourceFile, error_row

SIDECAR = "_meta.yaml"
SIDECAR_KEYS = ("outlet", "url", "published", "language", "title", "author")


class InputError(ValueError):
    """An input cannot be used; the message is for the person who gave it."""


def _has_glob(path: str) -> bool:
    return any(c in path for c in "*?[")


def _as_pattern(spec: str) -> str:
    """A folder means everything below it."""
    if spec.endswith("/") or (not _has_glob(spec) and "://" not in spec and os.path.isdir(spec)):
        return FileSystems.join(spec.rstrip("/") or "/", "**")
    return spec


def _globstar_variants(pattern: str) -> list[str]:
    """Patterns that together make each ``**/`` match zero or more folders, as in shells and
    Python's glob; Beam's FileSystems read ``**/`` as one or more folders only."""
    pieces = pattern.split("**/")
    variants = []
    for keep in itertools.product(("**/", ""), repeat=len(pieces) - 1):
        variants.append(pieces[0] + "".join(k + p for k, p in zip(keep, pieces[1:])))
    return variants


def _sidecar_hints(folder: str) -> dict:
    """The sidecar of ``folder`` as {file pattern: {key: value}}, or {} when there is none."""
    path = FileSystems.join(folder, SIDECAR)
    if not FileSystems.exists(path):
        return {}
    try:
        with FileSystems.open(path) as handle:
            data = load_yaml(handle.read(), path) or {}
    except (OSError, YamlError) as exc:
        raise InputError(f"cannot read sidecar {path}: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(f"sidecar {path}: expected a mapping of file name -> {{{', '.join(SIDECAR_KEYS)}}}")
    for pattern, hints in data.items():
        unknown = set(hints) - set(SIDECAR_KEYS)
        if unknown:
            raise InputError(f"sidecar {path}, entry {pattern!r}: unknown key(s) {sorted(unknown)}; "
                             f"known: {', '.join(SIDECAR_KEYS)}")
    return {str(k): {key: str(v) for key, v in hints.items() if v is not None} for k, hints in data.items()}


def _hints_for(name: str, sidecar: dict) -> tuple:
    hints = dict(sidecar.get("*", {}))
    for pattern, values in sidecar.items():
        if pattern != "*" and fnmatch.fnmatchcase(name, pattern):
            hints.update(values)
    return tuple(sorted(hints.items()))


def match_inputs(specs: Iterable[str], empty_ok: bool = False) -> list[InputFile]:
    """Every file the input globs name, sorted and without repeats; raises InputError for
    a glob that matches nothing unless ``empty_ok``."""
    found: dict[str, tuple[int, float]] = {}
    for spec in specs:
        patterns = _globstar_variants(_as_pattern(spec))
        try:
            results = FileSystems.match(patterns)
        except Exception as exc:  # noqa: BLE001 - FileSystems raises several kinds
            raise InputError(f"cannot list input {spec!r}: {exc}") from exc
        files = [m for result in results for m in result.metadata_list
                 if FileSystems.split(m.path)[1] != SIDECAR and not os.path.isdir(m.path)]
        if not files and not empty_ok:
            raise InputError(f"input {spec!r} matched no files")
        for meta in files:
            found[meta.path] = (meta.size_in_bytes, meta.last_updated_in_seconds or 0.0)
    sidecars: dict[str, dict] = {}
    inputs = []
    for path in sorted(found):
        folder, name = FileSystems.split(path)
        if folder not in sidecars:
            sidecars[folder] = _sidecar_hints(folder)
        size, mtime = found[path]
        inputs.append(InputFile(path=path, size=size, mtime=mtime, hints=_hints_for(name, sidecars[folder])))
    return inputs


def _read_capped(handle, limit: int) -> bytes | None:
    """At most ``limit`` bytes, or None when there are more."""
    data = handle.read(limit + 1)
    return None if len(data) > limit else data


def _not_a_regular_file(path: str) -> str | None:
    """Why a local path cannot be read as a file (a FIFO would block the read forever, a
    device never ends), else None. Object-store paths are always objects."""
    if "://" in path:
        return None
    mode = os.stat(path).st_mode
    if stat.S_ISREG(mode):
        return None
    kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a folder" if stat.S_ISDIR(mode) else
            "not a regular file")
    return f"{kind}, not a regular file"


class _ReadFileFn(ItemFn):
    """A file that cannot be read is one input item, ending as one error row. A file of a
    streamed format (JSONL, WARC, ARC) is passed on unread, whatever its size: the parse
    stage reads it item by item, with a cap per item instead of one per file."""
    STAGE = STAGE_READ
    BIRTHS = True
    PROGRESS = SOURCES

    def __init__(self, max_bytes: int):
        super().__init__()
        self._max_bytes = max_bytes
        self._files = counter(READ_FILES)
        self._bytes = counter(READ_BYTES)

    def handle(self, item: InputFile):
        fmt, compressed = detect_format(item.path)
        problem = self._check(item, fmt)
        if problem is None and fmt in STREAMED:
            self._files.inc()
            yield SourceFile(path=item.path, fmt=fmt, data=b"", hints=item.hints, streamed=True)
            return
        data = None
        if problem is None:
            try:
                with open_input(item.path) as handle:
                    data = _read_capped(handle, self._max_bytes)
                if data is not None and compressed:
                    data = gunzip_capped(data, self._max_bytes)
            except (OSError, zlib.error, EOFError) as exc:
                problem = ("unreadable", f"{type(exc).__name__}: {exc}")
            if problem is None and data is None:
                problem = ("too_large", f"more than max_input_bytes={self._max_bytes} bytes"
                                        + (" after decompression" if compressed else ""))
            elif problem is None and not data.strip():
                problem = ("empty", "the file has no content")
        if problem is not None:
            yield beam.pvalue.TaggedOutput(ERRORS, error_row(item.path, STAGE_READ, *problem, data or b""))
            return
        self._files.inc()
        self._bytes.inc(len(data))
        yield SourceFile(path=item.path, fmt=fmt, data=data, hints=item.hints)

    def _check(self, item: InputFile, fmt):
        if fmt is None:
            return ("unsupported_format", "not a supported file type (.txt, .html/.htm, .jsonl/.ndjson, "
                                          ".xml/.rss/.atom/.rdf, .json (JSON Feed), .warc/.arc, or any of these .gz)")
        if item.size > self._max_bytes and fmt not in STREAMED:
            return ("too_large", f"{item.size} bytes, more than max_input_bytes={self._max_bytes}")
        special = _not_a_regular_file(item.path)
        if special:
            return ("not_a_file", special)
        return None


class ReadInputFiles(beam.PTransform):
    """Matched InputFiles in; ``files`` (SourceFile) and ``errors`` out."""

    def __init__(self, inputs: list[InputFile], max_bytes: int):
        super().__init__()
        self._inputs = inputs
        self._max_bytes = max_bytes

    def expand(self, pbegin):
        return (pbegin
                | "ListInputs" >> beam.Create(self._inputs)
                | "SpreadFiles" >> beam.Reshuffle()
                | "ReadBytes" >> beam.ParDo(_ReadFileFn(self._max_bytes)).with_outputs(ERRORS, main=FILES))
