"""The dedup index: the keys of every row an output holds, so that a run's cost follows its own
items, not the output's history.

Every commit adds one file, ``OUTPUT/_index/part-<run_id>.parquet``, committed with the run's
data files (the same journal), one row per ``articles`` or ``duplicates`` row the run wrote:
its ids, 64-bit hashes of its canonical URL, text and source position, its partition date,
and for articles its MinHash signature and LSH band keys. A run reads it column by column and
filters it with vectorized set lookups (pyarrow compute) against its own keys, so only the
rows that match ever leave the reader: exact keys against the whole history, band keys only
for articles dated within the window. Everything in it can be rebuilt from the tables
(:func:`rebuild_index`, ``newsbeam compact --rebuild-index``); ``newsbeam compact`` merges the
per-run files into one.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable, NamedTuple, Optional

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.dedup.keys import ItemKey, content_key, id_key, item_of, url_key
from newsbeam.transforms.dedup.minhash import band_array
from newsbeam.transforms.names import (ARTICLES, DAMAGED, HISTORY_DAMAGED_FILES, HISTORY_FILES, HISTORY_ROWS, INDEX,
                                       ROWS, counter, part_file, partition_glob, path_date)
from newsbeam.transforms.write.damage import UNREADABLE, DamagedFile, damage, open_parquet
from newsbeam.transforms.write.schema import TIMESTAMP

SCHEMA = pa.schema([
    pa.field("table", pa.string(), nullable=False),
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("kept_id", pa.string(), nullable=False),      # articles: their own id; duplicates: duplicate_of
    pa.field("id_key", pa.int64(), nullable=False),
    pa.field("url_key", pa.int64()),
    pa.field("content_key", pa.int64(), nullable=False),
    pa.field("source_key", pa.int64(), nullable=False),    # source and locator: the item (keys.item_of)
    pa.field("date", pa.string(), nullable=False),         # the row's partition date
    pa.field("published_at", TIMESTAMP),
    pa.field("reason", pa.string()),                       # duplicates: how they relate to kept_id
    pa.field("similarity", pa.float64()),
    pa.field("bands", pa.list_(pa.int64())),               # articles: LSH band keys
    pa.field("minhash", pa.binary()),                      # articles: the MinHash signature
])
EXACT_KINDS = ("url_key", "source_key", "content_key", "id_key")
DETAIL_COLUMNS = ("table", "article_id", "kept_id", "url_key", "content_key", "published_at", "reason",
                  "similarity", "minhash")


def index_dir(output: str) -> str:
    return FileSystems.join(output, INDEX)


def index_file(folder: str, run_id: str) -> str:
    return FileSystems.join(folder, part_file(run_id))


class RunKeys(NamedTuple):
    """A run's own keys, each kind a sorted int64 array, and the dates its near-duplicates may have.
    ``url_items`` are the run's (url_key, item) pairs, sorted, to name the items a URL match skips."""
    url_key: np.ndarray
    source_key: np.ndarray
    content_key: np.ndarray
    id_key: np.ndarray
    bands: np.ndarray
    window: frozenset
    url_items: np.ndarray = np.empty((0, 2), dtype=np.int64)

    def wants_nothing(self) -> bool:
        return not any(len(getattr(self, kind)) for kind in (*EXACT_KINDS, "bands"))

    def items_of_url(self, key: int) -> list[int]:
        """The run's items with this URL key."""
        keys = self.url_items[:, 0]
        return self.url_items[np.searchsorted(keys, key, "left"):np.searchsorted(keys, key, "right"), 1].tolist()


class HistoryRow(NamedTuple):
    """An index row a run's key matched: which key, and what the run needs to know of the row."""
    kind: str                 # url_key | source_key | content_key | id_key | band
    key: int                  # the matching key (a band key for kind 'band')
    table: str
    article_id: str
    kept_id: str
    url_key: Optional[int]
    content_key: int
    published_at: Optional[dt.datetime]
    reason: Optional[str]
    similarity: Optional[float]
    minhash: Optional[bytes]


class RunKeysFn(beam.CombineFn):
    """ItemKeys in; the run's RunKeys out (numpy arrays: a few bytes per key, not Python objects)."""

    def __init__(self, window_days: int, ingest_date: str):
        self._days = window_days
        self._ingest_date = ingest_date

    def create_accumulator(self):
        return {kind: [] for kind in (*EXACT_KINDS, "bands", "dates", "url_items")}

    def add_input(self, accumulator, key: ItemKey):
        accumulator["url_key"].append(url_key(key.url) or 0)
        if key.url:
            accumulator["url_items"].append((url_key(key.url), key.item))
        accumulator["source_key"].append(key.item)
        accumulator["content_key"].append(content_key(key.content_hash))
        accumulator["id_key"].append(id_key(key.article_id))
        accumulator["bands"].append(band_array(key.minhash))
        accumulator["dates"].append(path_date(key.partition))
        return accumulator

    def merge_accumulators(self, accumulators):
        merged = self.create_accumulator()
        for accumulator in accumulators:
            for kind, values in accumulator.items():
                merged[kind].extend(values)
        return merged

    def extract_output(self, accumulator) -> RunKeys:
        exact = {kind: np.unique(np.asarray(accumulator[kind], dtype=np.int64)) for kind in EXACT_KINDS}
        exact["url_key"] = exact["url_key"][exact["url_key"] != 0]
        bands = np.unique(np.concatenate(accumulator["bands"])) if accumulator["bands"] else np.empty(0, np.int64)
        url_items = np.asarray(sorted(accumulator["url_items"]), dtype=np.int64).reshape(-1, 2)
        return RunKeys(**exact, bands=bands, window=window_dates(set(accumulator["dates"]), self._days),
                       url_items=url_items)


def window_dates(dates: set, days: int) -> frozenset:
    """Every date within ``days`` of one of ``dates``."""
    found = set()
    for date in dates:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError:
            continue
        found.update((day + dt.timedelta(days=n)).isoformat() for n in range(-days, days + 1))
    return frozenset(found)


def _is_in(column: pa.ChunkedArray, wanted: np.ndarray) -> np.ndarray:
    if not len(wanted):
        return np.zeros(len(column), dtype=bool)
    return pc.is_in(column, value_set=pa.array(wanted)).to_numpy(zero_copy_only=False).astype(bool)


def match_file(parquet: pq.ParquetFile, wanted: RunKeys) -> Iterable[HistoryRow]:
    """The rows of one index file that match the run's keys: exact kinds on every row, band keys
    on the articles dated in the window (row groups whose dates cannot be there are not read)."""
    keys = parquet.read(columns=list(EXACT_KINDS))
    hits = {kind: _is_in(keys[kind], getattr(wanted, kind)) for kind in EXACT_KINDS}
    band_hits: list[tuple[int, int]] = []
    if len(wanted.bands) and wanted.window:
        band_hits = _band_hits(parquet, wanted)
    rows = sorted(set(np.flatnonzero(np.logical_or.reduce(list(hits.values()))).tolist())
                  | {row for row, _ in band_hits})
    if not rows:
        return
    details = parquet.read(columns=list(DETAIL_COLUMNS)).take(pa.array(rows)).to_pylist()
    at = {row: n for n, row in enumerate(rows)}
    for kind, mask in hits.items():
        values = keys[kind]
        for row in np.flatnonzero(mask).tolist():
            yield _history_row(kind, values[row].as_py(), details[at[row]])
    for row, band in band_hits:
        yield _history_row("band", band, details[at[row]])


def _band_hits(parquet: pq.ParquetFile, wanted: RunKeys) -> list[tuple[int, int]]:
    """(row, band key) of every article row in the window sharing a band with the run."""
    found, offset = [], 0
    metadata = parquet.metadata
    date_column = parquet.schema_arrow.get_field_index("date")
    for group in range(metadata.num_row_groups):
        rows = metadata.row_group(group).num_rows
        statistics = metadata.row_group(group).column(date_column).statistics
        if statistics is not None and statistics.has_min_max and not any(
                statistics.min <= date <= statistics.max for date in wanted.window):
            offset += rows
            continue
        part = parquet.read_row_group(group, columns=["table", "date", "bands"])
        in_window = pc.and_(pc.equal(part["table"], ARTICLES), pc.is_in(part["date"], value_set=pa.array(
            sorted(wanted.window)))).to_numpy(zero_copy_only=False)
        bands = part["bands"].combine_chunks()
        flat = pc.list_flatten(bands)
        parents = pc.list_parent_indices(bands).to_numpy()
        matching = _is_in(flat, wanted.bands)
        for position in np.flatnonzero(matching & in_window[parents]).tolist():
            found.append((offset + int(parents[position]), flat[position].as_py()))
        offset += rows
    return found


def _history_row(kind: str, key: int, row: dict) -> HistoryRow:
    return HistoryRow(kind, key, row["table"], row["article_id"], row["kept_id"], row["url_key"],
                      row["content_key"], row["published_at"], row["reason"], row["similarity"], row["minhash"])


class _MatchFileFn(beam.DoFn):
    """An index file in; the rows matching the run's keys out, or its damage record."""

    def __init__(self):
        self._files = counter(HISTORY_FILES)
        self._rows = counter(HISTORY_ROWS)
        self._damaged = counter(HISTORY_DAMAGED_FILES)

    def process(self, readable, wanted: RunKeys):
        if wanted.wants_nothing():
            return
        path = readable.metadata.path
        try:
            with readable.open(compression_type=CompressionTypes.UNCOMPRESSED) as handle:
                parquet = pq.ParquetFile(handle)
                self._rows.inc(parquet.metadata.num_rows)
                found = list(match_file(parquet, wanted))
        except UNREADABLE as exc:
            self._damaged.inc()
            yield beam.pvalue.TaggedOutput(DAMAGED, damage(path, exc))
            return
        self._files.inc()
        yield from found


class MatchIndex(beam.PTransform):
    """The run's RunKeys (a singleton PCollection) in; ``rows``: the index rows matching them,
    and ``damaged``: index files that cannot be read, out."""

    def __init__(self, output: str):
        super().__init__()
        self._glob = FileSystems.join(index_dir(output), "*.parquet")

    def expand(self, wanted):
        return (wanted.pipeline
                | "IndexGlob" >> beam.Create([self._glob])
                | "MatchIndexFiles" >> fileio.MatchAll(fileio.EmptyMatchTreatment.ALLOW)
                | "OpenIndexFiles" >> fileio.ReadMatches()
                | "MatchingRows" >> beam.ParDo(_MatchFileFn(), beam.pvalue.AsSingleton(wanted)).with_outputs(
                    DAMAGED, main=ROWS))


def index_table(rows) -> pa.Table:
    """Index rows (dicts of SCHEMA's columns, or a table of them) as a table sorted by date, then id."""
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=SCHEMA)
    return table.sort_by([("date", "ascending"), ("article_id", "ascending"), ("source_key", "ascending")])


def row_of(key: ItemKey, table: str, kept_id: str, reason: Optional[str] = None,
           similarity: Optional[float] = None) -> dict:
    """The index row of an item written as an article or as a duplicate."""
    article = table == ARTICLES
    return {"table": table, "article_id": key.article_id, "kept_id": kept_id, "id_key": id_key(key.article_id),
            "url_key": url_key(key.url), "content_key": content_key(key.content_hash), "source_key": key.item,
            "date": path_date(key.partition), "published_at": key.published_at, "reason": reason,
            "similarity": similarity, "bands": band_array(key.minhash).tolist() if article else None,
            "minhash": key.minhash if article else None}


def write_index(table: pa.Table, path: str) -> None:
    with FileSystems.create(path) as handle:
        pq.write_table(table, handle, compression="zstd", row_group_size=65_536)




def rebuild_index(output: str) -> tuple[pa.Table, list[dict]]:
    """The index the output's tables imply, read from the tables themselves (only the columns
    needed), and the damage records of table files that could not be read."""
    rows, damaged = [], []
    for table, columns in ((ARTICLES, ("article_id", "url", "content_hash", "source", "locator", "published_at",
                                       "minhash")),
                           ("duplicates", ("article_id", "url", "content_hash", "source", "locator", "published_at",
                                           "duplicate_of", "reason", "similarity"))):
        pattern = FileSystems.join(output, partition_glob(table))
        for meta in FileSystems.match([pattern])[0].metadata_list:
            try:
                with FileSystems.open(meta.path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
                    data = open_parquet(handle, table).read(columns=list(columns)).to_pylist()
            except (*UNREADABLE, DamagedFile) as exc:
                damaged.append(damage(meta.path, exc))
                continue
            date = path_date(meta.path)
            for row in data:
                article = table == ARTICLES
                rows.append({"table": table, "article_id": row["article_id"],
                             "kept_id": row["article_id"] if article else row["duplicate_of"],
                             "id_key": id_key(row["article_id"]), "url_key": url_key(row["url"]),
                             "content_key": content_key(row["content_hash"] or ""),
                             "source_key": item_of(row["source"], row["locator"] or ""), "date": date,
                             "published_at": row["published_at"], "reason": None if article else row["reason"],
                             "similarity": None if article else row["similarity"],
                             "bands": band_array(row["minhash"]).tolist() if article and row["minhash"] else None,
                             "minhash": row["minhash"] if article else None})
    return index_table(rows), damaged


def index_files(output: str) -> list[str]:
    """The output's index files, sorted."""
    return sorted(meta.path for meta in FileSystems.match([FileSystems.join(index_dir(output), "*.parquet")])[0]
                  .metadata_list)


def read_index(output: str) -> tuple[pa.Table, list[dict]]:
    """All of the output's index rows, and the damage records of index files that cannot be read."""
    tables, damaged = [], []
    for path in index_files(output):
        try:
            with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
                tables.append(pq.read_table(handle, schema=SCHEMA))
        except UNREADABLE as exc:
            damaged.append(damage(path, exc))
    return index_table(pa.concat_tables(tables) if tables else SCHEMA.empty_table()), damaged


def read_index_footer(path: str) -> None:
    """Raises unless an index file's footer reads and its schema is the index's."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        schema = pq.ParquetFile(handle).schema_arrow
    if not schema.equals(SCHEMA):
        raise DamagedFile(f"not a dedup index file: its columns are {schema.names}")


def replace_index(output: str, table: pa.Table, name: str = "rebuilt") -> str:
    """Make ``table`` the output's whole index: written beside the old files first, then they go.
    A run cut short in between leaves rows twice, which matching tolerates (a key is a key)."""
    old = index_files(output)
    final = index_file(index_dir(output), f"{name}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%f}")
    temporary = FileSystems.join(index_dir(output), "." + FileSystems.split(final)[1] + ".tmp")
    write_index(table, temporary)
    FileSystems.rename([temporary], [final])
    if old:
        FileSystems.delete(old)
    return final
