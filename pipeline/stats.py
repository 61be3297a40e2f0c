"""`newsbeam stats OUTPUT`: what an output folder holds, read back with DuckDB.

Articles per day and outlet, NATO and Ukraine mentions per day, the outlets
that cover them most, republished stories, duplicates and errors, and the
last runs from ``_runs/``; as tables for people or JSON for scripts.
"""
from __future__ import annotations

import glob
import json
import os

import duckdb

QUERIES = {
    "articles_per_day_and_outlet": """
        SELECT date, outlet, count(*) AS articles, sum(nato_mentions)::BIGINT AS nato_mentions,
               sum(ukraine_mentions)::BIGINT AS ukraine_mentions, string_agg(DISTINCT language, ',') AS languages
        FROM {articles} GROUP BY date, outlet ORDER BY date, outlet""",
    "mentions_per_day": """
        SELECT date, count(*) AS articles, sum(nato_mentions)::BIGINT AS nato_mentions,
               sum(ukraine_mentions)::BIGINT AS ukraine_mentions,
               count(*) FILTER (WHERE list_contains(tags, 'nato_ukraine_membership')) AS membership_articles
        FROM {articles} GROUP BY date ORDER BY date""",
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


def _table(output: str, name: str):
    pattern = os.path.join(output, name, "**", "*.parquet")
    if not glob.glob(pattern, recursive=True):
        return None
    return f"read_parquet('{pattern}', hive_partitioning=true)"


def last_runs(output: str, n: int = 5) -> list[dict]:
    runs = []
    for path in glob.glob(os.path.join(output, "_runs", "*.json")):
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
        counts = manifest.get("counts", {})
        runs.append({"run_id": manifest["run_id"], "status": manifest["status"], "started_at": manifest["started_at"],
                     "seconds": manifest.get("timings_seconds", {}).get("total"),
                     **{k: counts.get(k) for k in ("input_items", "articles", "duplicates", "errors", "skipped")}})
    return sorted(runs, key=lambda r: r["started_at"])[-n:]


def collect(output: str) -> dict[str, object]:
    """Each section as a DuckDB relation (or a list of rows for the runs); absent tables are left out."""
    con = duckdb.connect()
    tables = {name: _table(output, name) for name in ("articles", "duplicates", "errors")}
    sections: dict[str, object] = {}
    for name, query in QUERIES.items():
        needed = [t for t in tables if "{" + t + "}" in query]
        if all(tables[t] for t in needed):
            sections[name] = con.sql(query.format(**{t: tables[t] for t in needed}))
    sections["last_runs"] = last_runs(output)
    return sections


def render(output: str, fmt: str = "table") -> str:
    sections = collect(output)
    if fmt == "json":
        data = {name: (rows if isinstance(rows, list) else
                       [dict(zip(rows.columns, values)) for values in rows.fetchall()])
                for name, rows in sections.items()}
        return json.dumps(data, indent=1, default=str, ensure_ascii=False)
    parts = []
    for name, rows in sections.items():
        parts.append(name.replace("_", " ").capitalize())
        if isinstance(rows, list):
            parts += [f"  {r['run_id']}  {r['status']:<9} {r['input_items']} items = {r['articles']} articles + "
                      f"{r['duplicates']} duplicates + {r['errors']} errors + {r['skipped']} skipped "
                      f"({r['seconds']} s)" for r in rows]
        else:
            parts.append(str(rows))
    return "\n".join(parts) if sections.get("last_runs") or len(sections) > 1 else f"nothing written in {output}"
