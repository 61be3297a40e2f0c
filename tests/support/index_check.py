"""Is an output's dedup index what its tables imply? (The index must never drift from them.)"""
from __future__ import annotations

import json

import pyarrow as pa

from newsbeam.transforms.dedup.index import read_index, rebuild_index

COMPARED = ["table", "article_id", "kept_id", "id_key", "url_key", "content_key", "source_key", "date", "reason",
            "similarity", "bands", "minhash"]


def same_rows(a: pa.Table, b: pa.Table) -> bool:
    def canonical(table):
        return sorted(json.dumps(row, sort_keys=True, default=str) for row in table.select(COMPARED).to_pylist())
    return canonical(a) == canonical(b)


def index_matches_tables(output) -> bool:
    """The index files as read by a run hold exactly the rows a rebuild from the tables gives."""
    index, damaged = read_index(str(output))
    rebuilt, _ = rebuild_index(str(output))
    return not damaged and same_rows(index, rebuilt)
