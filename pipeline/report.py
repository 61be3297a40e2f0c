"""A quick look at an output folder, read back from the Parquet with DuckDB.

    python -m pipeline.report OUTPUT
"""
from __future__ import annotations

import glob
import json
import os
import sys

import duckdb


def _table(output: str, name: str) -> str | None:
    pattern = os.path.join(output, name, "**", "*.parquet")
    if not glob.glob(pattern, recursive=True):
        return None
    return f"read_parquet('{pattern}', hive_partitioning=true)"


def report(output: str) -> str:
    con = duckdb.connect()
    parts = []
    articles = _table(output, "articles")
    if articles:
        parts.append("Articles per date and outlet")
        parts.append(str(con.sql(f"""
            SELECT date, outlet, count(*) AS articles,
                   sum(nato_mentions)::BIGINT AS nato_mentions, sum(ukraine_mentions)::BIGINT AS ukraine_mentions,
                   string_agg(DISTINCT language, ',') AS languages
            FROM {articles} GROUP BY date, outlet ORDER BY date, outlet""")))
        parts.append(str(con.sql(f"""
            SELECT count(*) AS articles, sum(nato_mentions)::BIGINT AS nato_mentions,
                   sum(ukraine_mentions)::BIGINT AS ukraine_mentions,
                   count(*) FILTER (WHERE list_contains(tags, 'nato') AND list_contains(tags, 'ukraine'))
                       AS tagged_both
            FROM {articles}""")))
        parts.append("Stories republished (copies in this run)")
        parts.append(str(con.sql(f"""
            SELECT outlet, left(title, 45) AS title, duplicate_count AS copies, duplicate_outlets AS copied_by
            FROM {articles} WHERE duplicate_count > 0 ORDER BY duplicate_count DESC, title""")))
    duplicates = _table(output, "duplicates")
    if duplicates:
        parts.append("Duplicates")
        parts.append(str(con.sql(f"""
            SELECT outlet, reason, round(similarity, 2) AS similarity, left(title, 40) AS title,
                   left(duplicate_of, 12) AS duplicate_of
            FROM {duplicates} ORDER BY outlet, title""")))
    errors = _table(output, "errors")
    if errors:
        parts.append("Errors")
        parts.append(str(con.sql(f"""
            SELECT stage, error_type, source, locator, left(message, 50) AS message
            FROM {errors} ORDER BY stage, source, locator""")))
    runs = sorted(glob.glob(os.path.join(output, "_runs", "*.json")))
    if runs:
        with open(runs[-1], encoding="utf-8") as handle:
            counts = json.load(handle)["counts"]
        parts.append(f"Last run ({os.path.basename(runs[-1])}): {counts['input_items']} input items = "
                     f"{counts['articles']} articles + {counts['duplicates']} duplicates + "
                     f"{counts['errors']} errors + {counts['skipped']} skipped")
    return "\n".join(parts) if parts else f"nothing written in {output}"


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m pipeline.report OUTPUT", file=sys.stderr)
        return 2
    print(report(args[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
