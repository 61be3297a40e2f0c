"""Writers: one complete zstd file per partition, committed only when every file is written."""
import datetime as dt

import apache_beam as beam
import pyarrow.parquet as pq
import pytest

from newsbeam.transforms.dedup.keys import Decision
from newsbeam.transforms.names import ERRORS, FILES, INDEX, STAGING
from newsbeam.transforms.records import Article, RunContext, error_row
from newsbeam.transforms.write.commit import apply_renames
from newsbeam.transforms.write.parquet import WriteTables, read_run_log
from newsbeam.transforms.write.spill import KEYS, REFS, SpillArticles
from tests.conftest import beam_test_pipeline

RUN = RunContext("w1", dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))


def article(n, outlet, day, **overrides):
    fields = dict(article_id=f"id{n}", url=None, source=f"s{n}", locator="", source_type="txt", text_source="file",
                  outlet_name=outlet, title="t", author=None,
                  published_at=dt.datetime(2025, 1, day, tzinfo=dt.timezone.utc), date_source="published",
                  language="de", text="text", word_count=1, content_hash="h", ingested_at=RUN.ingested_at,
                  run_id=RUN.run_id, nato_mentions=0, ukraine_mentions=1, tags=("ukraine",), cluster_id=f"id{n}",
                  minhash=b"\0" * 512, mentions=({"entity": "ukraine", "surface": "Ukraine", "start": 0, "end": 7},))
    return Article(**{**fields, **overrides})


def write(output, articles, errors=()):
    """The write stage on its own: every article spilled, decided to be an article, written."""
    with beam_test_pipeline() as p:
        spilled = p | "A" >> beam.Create(articles) | SpillArticles(str(output), RUN)
        decisions = spilled[KEYS] | beam.Map(lambda key: Decision(key.item, key.partition))
        _ = ({"refs": spilled[REFS], "decisions": decisions, INDEX: p | "I" >> beam.Create([]),
              ERRORS: (spilled[ERRORS], p | "E" >> beam.Create(list(errors))) | beam.Flatten()}
             | WriteTables(str(output), RUN))
    apply_renames(str(output), RUN.run_id, read_run_log(str(output), RUN.run_id, FILES))  # the driver's commit


def test_one_zstd_file_per_partition_without_partition_columns(tmp_path):
    articles = [article(i, "Der Standard" if i % 2 else "ORF", 1 + i % 3) for i in range(12)]
    errors = [error_row("bad.txt", "read", "empty", "m")]
    write(tmp_path, articles, errors)
    files = sorted((tmp_path / "articles").rglob("*.parquet"))
    folders = {f.parent.relative_to(tmp_path).as_posix() for f in files}
    assert len(files) == len(folders) == 6
    assert all(f.name == "part-w1-0.parquet" for f in files)
    assert "articles/date=2025-01-02/outlet=der-standard" in folders
    assert sum(pq.read_metadata(f).num_rows for f in files) == 12
    metadata = pq.read_metadata(files[0])
    assert metadata.row_group(0).column(0).compression == "ZSTD"
    assert {"date", "outlet"}.isdisjoint(metadata.schema.names)
    (error_file,) = (tmp_path / "errors").rglob("*.parquet")
    assert error_file.parent.name == "date=2026-01-02"
    assert pq.read_table(error_file).column("run_id").to_pylist() == ["w1"]


def test_a_failing_run_leaves_no_file_in_any_partition(tmp_path):
    good = [article(i, "ORF", 1) for i in range(3)]
    bad = article(99, "Kurier", 2, word_count="many")  # cannot be written as int32
    with pytest.raises(Exception, match="many"):  # pyarrow refuses the value, the run fails
        write(tmp_path, good + [bad])
    assert not (tmp_path / "articles").exists()
    # whatever was already written waits, invisible to readers, under _staging/
    assert all(STAGING in p.parts for p in tmp_path.rglob("*.parquet"))
