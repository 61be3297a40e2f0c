"""`newsbeam retag OUTPUT [--lexicon FILE]`: the tag columns of already-written articles, recomputed
for a changed lexicon, without fetching or extracting anything again.

Mentions, their counts, tags and topics, co-mention sentences and spans, and topic evidence
come from the title and text each row already holds, so they are what a new run with that
lexicon would write; ``lexicon_hash`` records which lexicon it was. Every other column, every
row and every article id stays as it was, and the duplicates and errors tables and the dedup
index (which hold no tag column) are not touched. Each articles partition whose rows were not
all tagged by this lexicon is rewritten as one file and swapped in atomically, exactly as
``newsbeam compact`` swaps a partition (:func:`newsbeam.pipeline.compact.compact_partition`),
so a reader sees either the old tags or the new, never a mix within a partition. Holds the
output lock; local outputs only, like compaction.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pyarrow as pa
import pyarrow.compute as pc

from newsbeam.pipeline.compact import CompactError, compact_partition, partitions
from newsbeam.transforms.names import ARTICLES, STAGING
from newsbeam.transforms.tag.mentions import Tagger
from newsbeam.transforms.write.schema import SCHEMAS

# The columns the tag stage sets: what a retag replaces.
TAG_COLUMNS = ("nato_mentions", "ukraine_mentions", "tags", "mentions", "comention_sentences", "comention_spans",
               "topic_evidence", "lexicon_hash")


def retagged(rows: pa.Table, tagger: Tagger) -> Optional[pa.Table]:
    """``rows`` with their tag columns recomputed by ``tagger``; None when every row was
    already tagged by its lexicon (nothing to rewrite)."""
    if "lexicon_hash" in rows.column_names and pc.all(
            pc.equal(rows["lexicon_hash"], tagger.lexicon_hash)).as_py() is not False:
        return None
    found = [tagger.tag(title, text) for title, text in zip(rows["title"].to_pylist(), rows["text"].to_pylist())]
    for name in TAG_COLUMNS:
        field = SCHEMAS[ARTICLES].field(name)
        values = pa.array([columns[name] for columns in found], field.type)
        if name in rows.column_names:
            rows = rows.set_column(rows.column_names.index(name), field, values)
        else:
            rows = rows.append_column(field, values)
    return rows


def _counts(rows: pa.Table) -> dict:
    """How many of ``rows`` mention NATO, Ukraine, and carry each tag."""
    tags: dict[str, int] = {}
    for row_tags in rows["tags"].to_pylist():
        for tag in row_tags:
            tags[tag] = tags.get(tag, 0) + 1
    return {"nato": pc.sum(pc.greater(rows["nato_mentions"], 0)).as_py() or 0,
            "ukraine": pc.sum(pc.greater(rows["ukraine_mentions"], 0)).as_py() or 0, "tags": tags}


def retag(output: str, lexicon: dict, dates: list[str] | None = None) -> list[dict]:
    """Retag every articles partition (optionally only the given dates) that was not tagged by
    ``lexicon``; what was done to each: rows, and articles mentioning NATO and Ukraine and
    carrying each tag before and after (or ``damaged``, and the partition left as it was)."""
    root = Path(output)
    if "://" in output:
        raise CompactError("retag works on local outputs only (object stores have no atomic folder swap)")
    if not root.is_dir():
        raise CompactError(f"{output} is not a folder")
    tagger = Tagger(lexicon)
    done = []
    for table, folder in partitions(root, dates):
        if table != ARTICLES:
            continue
        seen: dict = {}

        def rewrite(rows: pa.Table) -> Optional[pa.Table]:
            new = retagged(rows, tagger)
            if new is not None:
                seen.update(before=_counts(rows), after=_counts(new))
            return new

        result = compact_partition(root, table, folder, rewrite)
        if result:
            done.append({**result, **seen})
    staging = root / STAGING
    if staging.is_dir() and not any(staging.iterdir()):
        staging.rmdir()
    return done
