"""Spill: every article's full row goes to the run's staging folder as soon as it is tagged and
signed; only its small ItemKey travels on to dedup.

A DirectRunner keeps every shuffle in memory, so rows that travel through dedup's joins cost
memory in proportion to the whole input. Spilled, a row is written once (an Arrow IPC file per
flush, one record batch per partition, at most ``FLUSH_ROWS`` rows buffered) and read once, by
the writer of its partition (:mod:`.parquet`), which applies dedup's decisions to it. What
moves through the shuffles is the key (about 0.7 KB with its signature) and, per partition,
where its rows are.
"""
from __future__ import annotations

import secrets
from typing import NamedTuple

import apache_beam as beam
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.windowed_value import WindowedValue

from newsbeam.transforms.dedup.keys import ItemKey, item_of
from newsbeam.transforms.isolation import ItemFn
from newsbeam.transforms.names import ARTICLES, ERRORS, STAGE_WRITE
from newsbeam.transforms.records import Article, RunContext
from newsbeam.transforms.write.partition import conform, partition_of
from newsbeam.transforms.write.schema import ARTICLES as ARTICLE_SCHEMA
from newsbeam.transforms.write.storage import staging_dir

FLUSH_ROWS = 2_000
SPILL = "_spill"
SCHEMA = ARTICLE_SCHEMA.append(pa.field("item", pa.int64(), nullable=False))
KEYS, REFS = "keys", "refs"


class SpillRef(NamedTuple):
    """Where some of a partition's rows are: a spill file and the record batch in it."""
    path: str
    batch: int


class _ConformFn(ItemFn):
    """An article that its table's file could not hold becomes its item's error row here."""
    STAGE = STAGE_WRITE

    def __init__(self, run: RunContext):
        super().__init__()
        self._run = run

    def handle(self, article: Article):
        yield partition_of(ARTICLES, article, self._run), conform(ARTICLES, article)


class _SpillFn(beam.DoFn):
    """(partition, article) in; the ItemKey of each article, and (partition, SpillRef) for every
    record batch written, out."""

    def __init__(self, output: str, run_id: str):
        self._folder = FileSystems.join(staging_dir(output, run_id), SPILL)

    def start_bundle(self):
        self._buffer: dict[str, list] = {}
        self._count = 0

    def process(self, keyed):
        partition, article = keyed
        self._buffer.setdefault(partition, []).append(article)
        self._count += 1
        yield ItemKey.of(article, partition)
        if self._count >= FLUSH_ROWS:
            yield from self._flush()

    def finish_bundle(self):
        for output in self._flush():
            yield beam.pvalue.TaggedOutput(output.tag, WindowedValue(
                output.value, GlobalWindow().max_timestamp(), [GlobalWindow()]))

    def _flush(self):
        if not self._buffer:
            return
        path = FileSystems.join(self._folder, f"{secrets.token_hex(8)}.arrow")
        partitions = sorted(self._buffer)
        with FileSystems.create(path) as handle:
            with pa.ipc.new_file(handle, SCHEMA) as writer:
                for partition in partitions:
                    writer.write_table(_table(self._buffer[partition]))
        self._buffer, self._count = {}, 0
        for number, partition in enumerate(partitions):
            yield beam.pvalue.TaggedOutput(REFS, (partition, SpillRef(path, number)))


def _table(articles: list) -> pa.Table:
    columns = {name: [getattr(article, name) for article in articles] for name in ARTICLE_SCHEMA.names}
    columns["item"] = [item_of(article.source, article.locator) for article in articles]
    return pa.Table.from_pydict(columns, schema=SCHEMA)


def read_spilled(ref: SpillRef) -> pa.Table:
    """The rows of one record batch of a spill file."""
    with FileSystems.open(ref.path) as handle:
        return pa.Table.from_batches([pa.ipc.open_file(handle).get_batch(ref.batch)])


class SpillArticles(beam.PTransform):
    """Articles in; ``keys`` (ItemKey per article), ``refs`` ((partition, SpillRef) per batch
    spilled) and ``errors`` (articles their table could not hold) out."""

    def __init__(self, output: str, run: RunContext):
        super().__init__()
        self._output = output
        self._run = run

    def expand(self, articles):
        conformed = articles | "Conform" >> beam.ParDo(_ConformFn(self._run)).with_outputs(ERRORS, main="rows")
        spilled = conformed["rows"] | "Spill" >> beam.ParDo(_SpillFn(self._output, self._run.run_id)).with_outputs(
            REFS, main=KEYS)
        return {KEYS: spilled[KEYS], REFS: spilled[REFS], ERRORS: conformed[ERRORS]}
