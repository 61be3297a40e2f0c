"""The dedup index stays what the tables imply: after runs, a cut commit, and compaction."""
from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq

from newsbeam.pipeline.cli import main
from newsbeam.transforms.dedup.index import index_files, match_file, read_index, rebuild_index, window_dates
from newsbeam.transforms.dedup.index import RunKeys
from tests.conftest import SAMPLES, manifests, rows, run_newsbeam
from tests.support.corpus import corpus
from tests.support.index_check import index_matches_tables, same_rows


def write_jsonl(path, texts, prefix):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"url": f"https://{prefix}.example/{i}", "title": f"T {i}", "text": text,
                                        "published": "2025-06-01T08:00:00Z"}) + "\n" for i, text in enumerate(texts)))


def test_the_index_is_what_the_tables_imply_after_runs_and_after_compact(tmp_path):
    output = tmp_path / "out"
    texts = corpus(12, seed=71, paragraphs=2)
    write_jsonl(tmp_path / "a" / "a.jsonl", texts[:8], "a")
    write_jsonl(tmp_path / "b" / "b.jsonl", texts[4:], "b")  # four copies of the first run's texts
    assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", output) == 0
    assert run_newsbeam("--input", tmp_path / "a", "--output", output) == 0
    assert run_newsbeam("--input", tmp_path / "b", "--output", output) == 0
    assert len(index_files(str(output))) == 3
    assert index_matches_tables(output)
    index, _ = read_index(str(output))
    rebuilt, _ = rebuild_index(str(output))
    assert index.num_rows == len(rows(output, "articles")) + len(rows(output, "duplicates"))
    assert main(["compact", str(output)]) == 0
    (merged,) = index_files(str(output))
    assert same_rows(pq.read_table(merged), rebuilt)
    # a run after compaction still finds every earlier key
    assert run_newsbeam("--input", tmp_path / "b", "--output", output, "--reprocess", "--run-id", "again") == 0
    (again,) = [m for m in manifests(output) if m["run_id"] == "again"]
    assert (again["counts"]["skipped"], again["counts"]["articles"]) == (8, 0)


def test_a_missing_or_damaged_index_is_rebuilt_from_the_tables(tmp_path):
    output = tmp_path / "out"
    assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", output, "--run-id", "first") == 0
    shutil.rmtree(output / "_index")  # an output written before there was an index
    assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", output, "--run-id", "second") == 0
    (second,) = [m for m in manifests(output) if m["run_id"] == "second"]
    assert (second["counts"]["articles"], second["counts"]["duplicates"], second["counts"]["skipped"]) == (0, 0, 17)
    (index_file,) = [p for p in index_files(str(output)) if "rebuilt" in p]
    open(index_file, "wb").write(b"not parquet")
    assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", output, "--run-id", "third", "--reprocess") == 0
    (third,) = [m for m in manifests(output) if m["run_id"] == "third"]
    assert third["counts"]["skipped"] == 17 and index_file in [d["path"] for d in third["damaged_files"]]


def test_exact_keys_match_everywhere_bands_only_in_the_window():
    rows = [{"table": "articles", "article_id": f"a{i}", "kept_id": f"a{i}", "id_key": i, "url_key": 100 + i,
             "content_key": 200 + i, "source_key": 300 + i, "date": date, "published_at": None, "reason": None,
             "similarity": None, "bands": [1000 + i], "minhash": b"\x00" * 512}
            for i, date in enumerate(["2020-01-01", "2025-06-01"])]
    from newsbeam.transforms.dedup.index import SCHEMA, index_table

    buffer = pa.BufferOutputStream()
    pq.write_table(index_table(pa.Table.from_pylist(rows, schema=SCHEMA)), buffer)
    parquet = pq.ParquetFile(pa.BufferReader(buffer.getvalue()))
    wanted = RunKeys(url_key=pa.array([100]).to_numpy(), source_key=pa.array([301]).to_numpy(),
                     content_key=pa.array([], pa.int64()).to_numpy(), id_key=pa.array([], pa.int64()).to_numpy(),
                     bands=pa.array([1000, 1001]).to_numpy(), window=window_dates({"2025-06-10"}, 30))
    found = sorted((row.kind, row.article_id) for row in match_file(parquet, wanted))
    assert found == [("band", "a1"), ("source_key", "a1"), ("url_key", "a0")]
