"""Every table opens in every analysis tool from an output's first run on, even with no rows."""
from __future__ import annotations

import importlib.util
import json

import duckdb
import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pytest

from newsbeam.pipeline.cli import main
from newsbeam.pipeline.compact import compact
from newsbeam.transforms.write.schema import SCHEMAS
from tests.conftest import check_accounting, manifests, parquet_files, run_newsbeam

TABLES = ("articles", "duplicates", "errors")
TEXT = "NATO and Ukraine met in Brussels on Tuesday to talk about the membership plan. " * 4


def _counts(output, table: str) -> dict[str, int]:
    """The table's row count as DuckDB, pandas, Polars and pyarrow read it, in the README's way."""
    found = {
        "duckdb": duckdb.sql(f"SELECT count(*) FROM read_parquet('{output}/{table}/**/*.parquet', "
                             "hive_partitioning = true)").fetchall()[0][0],
        "pandas": len(pd.read_parquet(output / table)),
        "polars": pl.scan_parquet(f"{output}/{table}/**/*.parquet", hive_partitioning=True)
                    .select(pl.len()).collect().item(),
        "pyarrow": ds.dataset(output / table, format="parquet", partitioning="hive").count_rows(),
    }
    if importlib.util.find_spec("pyspark"):  # Spark only where it is installed
        from pyspark.sql import SparkSession
        spark = SparkSession.builder.master("local[1]").getOrCreate()
        found["spark"] = spark.read.parquet(str(output / table)).count()
    return found


def _columns(output, table: str) -> set[str]:
    return set(pl.scan_parquet(f"{output}/{table}/**/*.parquet", hive_partitioning=True).collect_schema().names())


@pytest.fixture
def one_article(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "one.txt").write_text(TEXT)
    return inputs


def test_tables_without_rows_open_in_every_tool_from_the_first_run(tmp_path, one_article):
    output = tmp_path / "out"
    assert run_newsbeam("--input", f"{one_article}/*.txt", "--output", output) == 0
    manifest = check_accounting(output)
    assert manifest["counts"]["articles"] == 1 and manifest["counts"]["duplicates"] == 0
    for table, expected in (("articles", 1), ("duplicates", 0), ("errors", 0)):
        assert set(_counts(output, table).values()) == {expected}, table
        assert set(SCHEMAS[table].names) | {"date"} <= _columns(output, table), table
    # validate and stats accept the empty files
    assert main(["validate", "--output", str(output)]) == 0
    assert main(["stats", str(output), "--format", "json"]) == 0


def test_a_run_without_articles_leaves_every_table_readable(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "short.txt").write_text("Too short.")
    output = tmp_path / "out"
    assert run_newsbeam("--input", f"{inputs}/*.txt", "--output", output) == 0
    counts = check_accounting(output)["counts"]
    assert counts["articles"] == counts["duplicates"] == 0
    for table in TABLES:
        assert set(_counts(output, table).values()) == {counts[table]}, table


def test_the_empty_file_is_written_once_and_later_runs_and_compact_keep_every_table_readable(tmp_path, one_article):
    output = tmp_path / "out"
    assert run_newsbeam("--input", f"{one_article}/*.txt", "--output", output) == 0
    first = parquet_files(output)
    assert {path.split("/")[0] for path in first} == set(TABLES)
    (one_article / "two.txt").write_text(TEXT.replace("Tuesday", "Friday") + " A second article.")
    (one_article / "three.txt").write_text(TEXT)  # an exact copy of the first: a duplicates row
    assert run_newsbeam("--input", f"{one_article}/*.txt", "--output", output) == 0
    second = manifests(output)[-1]
    check_accounting(output, second)
    written = {f["table"]: f["rows"] for f in second["files"]}
    assert "errors" not in written and all(rows > 0 for rows in written.values())  # no empty file again
    compact(str(output))
    for table in TABLES:
        counts = _counts(output, table)
        assert len(set(counts.values())) == 1, (table, counts)
    assert _counts(output, "articles")["duckdb"] == 2 and _counts(output, "duplicates")["duckdb"] == 1
    assert json.loads((output / "_runs" / f"{second['run_id']}.json").read_text())["accounting_ok"]
