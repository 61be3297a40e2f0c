"""`newsbeam stats OUTPUT`: what an output folder holds, read back with DuckDB.

Articles per day and outlet, NATO and Ukraine mentions per day, the outlets
that cover them most, republished stories, duplicates and errors, and the
last runs from ``_runs/``; as tables for people or JSON for scripts.
Damaged files (see :mod:`newsbeam.transforms.write.damage`) are left out and listed last. File
paths and filter values reach DuckDB only as bound parameters, never as SQL text.

An article whose publication date is unknown (``date_source`` ``ingested`` or ``out_of_range``)
sits in its ingestion day's partition: the per-day sections leave it out and ``undated_articles``
counts it per outlet, so that a day never counts what was merely collected that day.
"""
from __future__ import annotations

import glob
import json
import os

import duckdb

from newsbeam.transforms.write.damage import UNREADABLE, DamagedFile, damage, parquet_damage, read_manifest
from newsbeam.transforms.names import DATE_INGESTED, DATE_OUT_OF_RANGE, RUNS, TABLES


class NotAnOutput(ValueError):
    """The folder holds none of an output's tables and no run manifest."""


def check_output(output: str) -> None:
    """NotAnOutput unless ``output`` holds a table folder or ``_runs/`` (a mistyped path, a parent folder)."""
    if not any(os.path.isdir(os.path.join(output, name)) for name in (*TABLES, RUNS)):
        raise NotAnOutput(f"{output} is not a newsbeam output (it has none of {', '.join(TABLES)}, {RUNS}/)")


def undated(table: str = "") -> str:
    """SQL: the row's publication date is unknown (its partition date is its ingestion day)."""
    return f"coalesce({table}date_source, '') IN ('{DATE_INGESTED}', '{DATE_OUT_OF_RANGE}')"


QUERIES = {
    "articles_per_day_and_outlet": """
        SELECT date, outlet, count(*) AS articles, sum(nato_mentions)::BIGINT AS nato_mentions,
               sum(ukraine_mentions)::BIGINT AS ukraine_mentions, string_agg(DISTINCT language, ',') AS languages
        FROM {articles} WHERE NOT UNDATED GROUP BY date, outlet ORDER BY date, outlet""",
    "undated_articles": """
        SELECT outlet, count(*) AS articles, sum(nato_mentions)::BIGINT AS nato_mentions,
               sum(ukraine_mentions)::BIGINT AS ukraine_mentions
        FROM {articles} WHERE UNDATED GROUP BY outlet ORDER BY outlet""",
    "mentions_per_day": """
        SELECT date, count(*) AS articles, sum(nato_mentions)::BIGINT AS nato_mentions,
               sum(ukraine_mentions)::BIGINT AS ukraine_mentions,
               count(*) FILTER (WHERE list_contains(tags, 'nato_ukraine_membership')) AS membership_articles
        FROM {articles} WHERE NOT UNDATED GROUP BY date ORDER BY date""",
    "top_outlets": """
        SELECT outlet, count(*) AS articles, sum(nato_mentions)::BIGINT AS nato_mentions,
               sum(ukraine_mentions)::BIGINT AS ukraine_mentions
        FROM {articles} GROUP BY outlet
        ORDER BY sum(nato_mentions) + sum(ukraine_mentions) DESC, outlet LIMIT 10""",
    "republished_stories": """
        SELECT outlet, left(title, 45) AS title, duplicate_count AS copies, duplicate_outlets AS copied_by
        FROM {articles} WHERE duplicate_count > 0 ORDER BY duplicate_count DESC, title LIMIT 20""",
    "duplicates": """
        SELECT outlet, reason, round(similarity, 2) AS similarity, left(title, 40) AS title,
               left(duplicate_of, 12) AS duplicate_of
        FROM {duplicates} ORDER BY outlet, title LIMIT 50""",
    "errors_by_stage": """
        SELECT stage, error_type, count(*) AS errors FROM {errors} GROUP BY ALL ORDER BY stage, errors DESC""",
}
QUERIES = {name: sql.replace("UNDATED", undated()) for name, sql in QUERIES.items()}  # the one definition


# Where a query names a table, DuckDB reads the table's list of files, bound as a parameter.
SOURCE = "read_parquet(${table}, hive_partitioning=true, union_by_name=true)"
# The row filters of `stats --since/--date/--outlet`, their values bound as parameters of the same names.
FILTERS = {"since": "date >= $since::DATE", "date": "date = $date::DATE", "outlet": "outlet = $outlet"}


def _source(table: str, filters: dict) -> str:
    """The SQL that reads ``table``'s files (bound as ``$table``), filtered by the given ``filters``
    (their values bound as parameters of the same names)."""
    where = [FILTERS[name] for name in filters]
    if not where:
        return SOURCE.format(table=table)
    return f"(SELECT * FROM {SOURCE.format(table=table)} WHERE {' AND '.join(where)})"


def table_files(output: str, table: str) -> list[str]:
    return sorted(glob.glob(os.path.join(glob.escape(output), table, "**", "*.parquet"), recursive=True))


def sound_files(files: dict[str, list[str]], deep: bool = False) -> tuple[dict[str, list[str]], list[dict]]:
    """({table: its files that read}, damage records of the others); ``deep`` decodes every page
    too, the slow check for when a query found a damaged one."""
    kept, damaged = {}, []
    for table, paths in files.items():
        kept[table] = []
        for path in paths:
            problem = parquet_damage(path, table, deep)
            if problem:
                damaged.append(problem)
            else:
                kept[table].append(path)
    return kept, damaged


def query_sections(files: dict[str, list[str]], queries: dict[str, str] = QUERIES,
                   filters: dict | None = None) -> dict[str, object]:
    """Each query (``stats``' own unless given) over the tables it needs, as a DuckDB relation over
    its materialized result (so a damaged page fails here, not while printing); queries over absent
    tables, and, when filtering by outlet, over the errors table (which has none), are left out."""
    filters = {name: value for name, value in (filters or {}).items() if value is not None}
    con = duckdb.connect()
    sections: dict[str, object] = {}
    for name, query in queries.items():
        needed = [t for t in TABLES if "{" + t + "}" in query]
        if all(files[t] for t in needed) and not ("outlet" in filters and "errors" in needed):
            sql = query.format(**{t: _source(t, filters) for t in needed})
            params = {**{t: files[t] for t in needed}, **filters}
            sections[name] = con.from_arrow(con.sql(sql, params=params).to_arrow_table())
    return sections


def last_runs(output: str, n: int = 5) -> tuple[list[dict], list[dict]]:
    """The last ``n`` runs' summaries, and damage records of the manifests that are not ones."""
    runs, damaged = [], []
    for path in sorted(glob.glob(os.path.join(glob.escape(output), RUNS, "*.json"))):
        try:
            manifest = read_manifest(path)
        except (*UNREADABLE, DamagedFile) as exc:
            damaged.append(damage(path, exc))
            continue
        counts = manifest.get("counts", {})
        runs.append({"run_id": manifest["run_id"], "status": manifest["status"], "started_at": manifest["started_at"],
                     "seconds": manifest.get("timings_seconds", {}).get("total"),
                     **{k: counts.get(k) for k in ("input_items", "articles", "duplicates", "errors", "skipped")}})
    return sorted(runs, key=lambda r: r["started_at"])[-n:], damaged


def collect(output: str, queries: dict[str, str] = QUERIES, runs: int = 5,
            filters: dict | None = None) -> dict[str, object]:
    """Each section (one per query, ``stats``' own unless given) as a DuckDB relation, or a list of
    rows for the last ``runs`` runs and the damaged files (only when there are any); absent tables
    are left out. ``filters`` (since, date: 'YYYY-MM-DD'; outlet: a slug) select the rows read."""
    files, damaged = sound_files({table: table_files(output, table) for table in TABLES})
    try:
        sections = query_sections(files, queries, filters)
    except duckdb.Error:  # a page that does not decode: find its file, leave it out, ask again
        files, undecoded = sound_files(files, deep=True)
        damaged += undecoded
        sections = query_sections(files, queries, filters)
    sections["last_runs"], bad_manifests = last_runs(output, runs)
    damaged += bad_manifests
    if damaged:
        sections["damaged_files"] = damaged
    return sections


def render(output: str, fmt: str = "table", filters: dict | None = None) -> str:
    sections = collect(output, filters=filters)
    if fmt == "json":
        data = {name: (rows if isinstance(rows, list) else
                       [dict(zip(rows.columns, values)) for values in rows.fetchall()])
                for name, rows in sections.items()}
        return json.dumps(data, indent=1, default=str, ensure_ascii=False)
    parts = []
    for name, rows in sections.items():
        parts.append(name.replace("_", " ").capitalize())
        if name == "damaged_files":
            parts += [f"  {d['path']}: {d['error']}" for d in rows]
        elif isinstance(rows, list):
            parts += [f"  {r['run_id']}  {r['status']:<9} {r['input_items']} items = {r['articles']} articles + "
                      f"{r['duplicates']} duplicates + {r['errors']} errors + {r['skipped']} skipped "
                      f"({r['seconds']} s)" for r in rows]
        else:
            parts.append(str(rows))
    return "\n".join(parts) if sections.get("last_runs") or len(sections) > 1 else f"nothing written in {output}"
