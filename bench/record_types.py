"""Which record type articles travel in after extraction: what each candidate costs per article.

The candidates: a plain dict (what newsbeam used), a frozen dataclass with slots, and a
NamedTuple (newsbeam's ``Article`` now), all with the ``articles`` table's columns; the
NamedTuple's shuffle is also measured with Beam's schema coder (RowCoder), which needs
Beam's own field types (Timestamps for datetimes, a NamedTuple per mention). For each, the work the stages after extraction do
on one article, measured in the same run on the same realistic article (600 words,
seven mentions, a 512-byte signature):

- build: extraction creates the record;
- update: dedup adds the signature, clusters their columns, tagging five columns;
- shuffle: Beam encodes and decodes it at every GroupByKey (FastPrimitivesCoder, the
  coder Beam infers for these types);
- columns: the writer reads the schema's 26 columns.

Baseline is the dict; a ratio above 1 means slower than the dict.

    .venv/bin/python -m bench.record_types
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import time
import typing

from typing import Optional, Sequence

from apache_beam.coders import RowCoder, coders
from apache_beam.utils.timestamp import Timestamp

from newsbeam.transforms.records import Article
from newsbeam.transforms.write.schema import ARTICLES

REPEAT = 5_000
UTC = dt.timezone.utc
FIELDS = dict(
    article_id="a" * 32, url="https://eurowire.example/europe/nato-air-defence-fund", source="/in/wire.jsonl",
    locator="line 3", source_type="jsonl", text_source="file", outlet_name="EuroWire",
    title="NATO defence ministers agree new air-defence fund for Ukraine", author="EuroWire staff",
    published_at=dt.datetime(2025, 10, 16, 11, 30, tzinfo=UTC), date_source="published", language="en",
    text="word " * 600, word_count=600, content_hash="h" * 64, ingested_at=dt.datetime(2026, 1, 2, tzinfo=UTC),
    run_id="20260102T000000Z-abcdef")
LATER = dict(minhash=b"\0" * 512, cluster_id="a" * 32, duplicate_count=2, duplicate_outlets=("B", "C"),
             nato_mentions=3, ukraine_mentions=4, tags=("nato", "ukraine"),
             mentions=tuple({"entity": "nato", "surface": "NATO", "start": i, "end": i + 4} for i in range(7)),
             comention_sentences=("NATO and Ukraine.",))

DataArticle = dataclasses.make_dataclass(
    "DataArticle", [(name, typing.Any, dataclasses.field(default=Article._field_defaults[name]))
                    if name in Article._field_defaults else (name, typing.Any) for name in Article._fields],
    frozen=True, slots=True)
DataArticle.__module__ = __name__  # picklable by reference, as a module-level record type is


class Mention(typing.NamedTuple):
    entity: str
    surface: str
    start: int
    end: int


def _schema_type(hint):
    """The Beam schema type of an Article field's type."""
    if hint in (dt.datetime, Optional[dt.datetime]):
        return Optional[Timestamp]
    if hint is tuple:
        return Sequence[str]
    return hint


SchemaArticle = typing.NamedTuple("SchemaArticle", [
    (name, Sequence[Mention] if name == "mentions" else _schema_type(hint))
    for name, hint in typing.get_type_hints(Article).items()])
SchemaArticle.__module__ = __name__


def schema_shuffle():
    full = {**FIELDS, **LATER}
    row = SchemaArticle(**{**full, "published_at": Timestamp.of(full["published_at"].timestamp()),
                           "ingested_at": Timestamp.of(full["ingested_at"].timestamp()),
                           "mentions": [Mention(**m) for m in full["mentions"]]})
    coder = RowCoder.from_type_hint(SchemaArticle, None)
    return (lambda: coder.decode(coder.encode(row))), len(coder.encode(row))


def per_article_micros(work, rounds: int = 5) -> float:
    """The best of ``rounds`` timings of ``REPEAT`` calls (the least disturbed by other work)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(REPEAT):
            work()
        best = min(best, time.perf_counter() - started)
    return best / REPEAT * 1e6


def candidates() -> dict[str, dict]:
    coder = coders.FastPrimitivesCoder()
    full = {**FIELDS, **LATER}
    as_dict, as_dataclass, as_named = dict(full), DataArticle(**full), Article(**full)
    columns = ARTICLES.names
    return {
        "dict": {
            "build": lambda: dict(FIELDS),
            "update": lambda: {**{**{**as_dict, "minhash": b""}, "cluster_id": "x", "duplicate_count": 1},
                               "nato_mentions": 1, "ukraine_mentions": 1, "tags": (), "mentions": (),
                               "comention_sentences": ()},
            "shuffle": lambda: coder.decode(coder.encode(as_dict)),
            "columns": lambda: [as_dict.get(name) for name in columns],
        },
        "dataclass (slots, frozen)": {
            "build": lambda: DataArticle(**FIELDS),
            "update": lambda: dataclasses.replace(dataclasses.replace(dataclasses.replace(
                as_dataclass, minhash=b""), cluster_id="x", duplicate_count=1), nato_mentions=1,
                ukraine_mentions=1, tags=(), mentions=(), comention_sentences=()),
            "shuffle": lambda: coder.decode(coder.encode(as_dataclass)),
            "columns": lambda: [getattr(as_dataclass, name) for name in columns],
        },
        "NamedTuple (newsbeam's Article)": {
            "build": lambda: Article(**FIELDS),
            "update": lambda: as_named._replace(minhash=b"")._replace(cluster_id="x", duplicate_count=1)._replace(
                nato_mentions=1, ukraine_mentions=1, tags=(), mentions=(), comention_sentences=()),
            "shuffle": lambda: coder.decode(coder.encode(as_named)),
            "columns": lambda: [getattr(as_named, name) for name in columns],
        },
    }


def main() -> None:
    coder = coders.FastPrimitivesCoder()
    found = {name: {step: per_article_micros(work) for step, work in steps.items()}
             for name, steps in candidates().items()}
    sizes = {"dict": len(coder.encode({**FIELDS, **LATER})),
             "dataclass (slots, frozen)": len(coder.encode(DataArticle(**FIELDS, **LATER))),
             "NamedTuple (newsbeam's Article)": len(coder.encode(Article(**FIELDS, **LATER)))}
    baseline = sum(found["dict"].values())
    print(f"µs per article (best of 5 rounds of {REPEAT:,}); ratio: total against the dict, measured in this run")
    print(f"{'record type':<32}{'build':>8}{'update':>8}{'shuffle':>9}{'columns':>9}{'total':>8}{'ratio':>7}"
          f"{'bytes':>7}")
    for name, steps in found.items():
        total = sum(steps.values())
        print(f"{name:<32}{steps['build']:>8.2f}{steps['update']:>8.2f}{steps['shuffle']:>9.2f}"
              f"{steps['columns']:>9.2f}{total:>8.2f}{total / baseline:>7.2f}{sizes[name]:>7,}")
    shuffle, size = schema_shuffle()
    print(f"{'NamedTuple with RowCoder':<32}{'':>8}{'':>8}{per_article_micros(shuffle):>9.2f}{'':>9}{'':>8}{'':>7}"
          f"{size:>7,}  (shuffle only)")


if __name__ == "__main__":
    main()
