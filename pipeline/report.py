"""`newsbeam report OUTPUT --html FILE`: what an output folder holds, as one page people open.

The figures are read back with DuckDB through :mod:`newsbeam.pipeline.stats` (file paths bound as
parameters, damaged files left out and named), the charts are Vega-Lite specs built with altair,
and :mod:`newsbeam.pipeline.report_page` lays them out in a page that needs no network.

An article whose publication date is unknown (``date_source`` ``ingested`` or ``out_of_range``)
sits in the partition of its ingestion day; the per-day charts leave such articles out and the
page says how many there are, so that a day's bar never counts what was merely collected that day.
The per-outlet figures, which have no date axis, count every article.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile

import altair as alt

from newsbeam.pipeline.report_page import render_page
from newsbeam.pipeline.stats import check_output, collect, undated
from newsbeam.transforms.names import STAGES

MEMBERSHIP_TAG = "nato_ukraine_membership"
TOP_OUTLETS = 25
TOP_STORIES = 20
RUNS_SHOWN = 10


_undated = undated
_UNDATED = _undated()
_MEMBERSHIP = f"list_contains(tags, '{MEMBERSHIP_TAG}')"

# Each query reads its tables' files once (opening thousands of small files is what costs): the
# articles once for their counts per day, outlet and datedness, once for the republished stories.
QUERIES = {
    "article_groups": f"""
        SELECT date, outlet, mode(outlet_name) AS outlet_name, {_UNDATED} AS undated, count(*) AS articles,
               sum(nato_mentions)::BIGINT AS nato_mentions, sum(ukraine_mentions)::BIGINT AS ukraine_mentions,
               count(*) FILTER (WHERE {_MEMBERSHIP}) AS membership_articles
        FROM {{articles}} GROUP BY ALL""",
    # The stories most copied, each with the duplicates rows that point at it: an article keeps the
    # duplicate_count of the run that wrote it, and later runs' copies only point at it.
    "stories": f"""
        WITH pointing AS (SELECT duplicate_of, count(*) AS copy_rows FROM {{duplicates}} GROUP BY duplicate_of),
        stories AS (
            SELECT a.article_id, a.date, NOT ({_undated("a.")}) AS dated, a.outlet_name, a.title, a.url,
                   greatest(a.duplicate_count, coalesce(p.copy_rows, 0)) AS copies
            FROM {{articles}} a LEFT JOIN pointing p ON p.duplicate_of = a.article_id
            WHERE a.duplicate_count > 0 OR p.copy_rows > 0
            ORDER BY copies DESC, a.date, a.article_id LIMIT {TOP_STORIES})
        SELECT s.*, d.outlet_name AS copy_outlet_name, d.title AS copy_title, d.url AS copy_url,
               d.reason AS copy_reason, d.similarity AS copy_similarity, d.date AS copy_date,
               NOT ({_undated("d.")}) AS copy_dated
        FROM stories s LEFT JOIN {{duplicates}} d ON d.duplicate_of = s.article_id
        ORDER BY s.copies DESC, s.date, s.article_id, d.date, d.outlet_name, d.article_id""",
    "duplicate_rows": "SELECT count(*) AS duplicates FROM {duplicates}",
    "errors": """
        SELECT stage, error_type AS reason, count(*) AS errors FROM {errors}
        GROUP BY ALL ORDER BY errors DESC, stage, reason""",
}

# Over the article groups above, in memory.
_TOP = f"""SELECT outlet FROM groups GROUP BY outlet
           ORDER BY sum(nato_mentions) + sum(ukraine_mentions) DESC, outlet LIMIT {TOP_OUTLETS}"""
FROM_GROUPS = {
    "totals": """
        SELECT coalesce(sum(articles), 0)::BIGINT AS articles, coalesce(sum(articles) FILTER (WHERE undated), 0)::BIGINT AS undated,
               coalesce(sum(nato_mentions) FILTER (WHERE undated), 0)::BIGINT AS undated_nato_mentions,
               coalesce(sum(ukraine_mentions) FILTER (WHERE undated), 0)::BIGINT AS undated_ukraine_mentions,
               coalesce(sum(membership_articles) FILTER (WHERE undated), 0)::BIGINT AS undated_membership_articles,
               min(date) FILTER (WHERE NOT undated) AS first_day, max(date) FILTER (WHERE NOT undated) AS last_day,
               count(DISTINCT outlet) AS outlets
        FROM groups""",
    "per_day": """
        SELECT date, sum(articles)::BIGINT AS articles, sum(nato_mentions)::BIGINT AS nato_mentions,
               sum(ukraine_mentions)::BIGINT AS ukraine_mentions,
               sum(membership_articles)::BIGINT AS membership_articles
        FROM groups WHERE NOT undated GROUP BY date ORDER BY date""",
    "per_outlet": f"""
        SELECT outlet, mode(outlet_name) AS outlet_name, sum(articles)::BIGINT AS articles,
               sum(nato_mentions)::BIGINT AS nato_mentions, sum(ukraine_mentions)::BIGINT AS ukraine_mentions
        FROM groups GROUP BY outlet
        ORDER BY sum(nato_mentions) + sum(ukraine_mentions) DESC, outlet LIMIT {TOP_OUTLETS}""",
    "per_outlet_day": f"""
        SELECT date, outlet, mode(outlet_name) AS outlet_name, sum(articles)::BIGINT AS articles,
               sum(nato_mentions)::BIGINT AS nato_mentions, sum(ukraine_mentions)::BIGINT AS ukraine_mentions
        FROM groups WHERE NOT undated AND outlet IN ({_TOP}) GROUP BY date, outlet ORDER BY date, outlet""",
}
_COPY = ("outlet_name", "title", "url", "reason", "similarity", "date", "dated")


@dataclasses.dataclass(frozen=True)
class Report:
    """What a written report shows, for the command's one-line summary."""
    path: str
    articles: int
    undated: int
    charts: int
    damaged: int


def _rows(relation) -> list[dict]:
    return [dict(zip(relation.columns, values)) for values in relation.fetchall()]


def gather(output: str) -> dict[str, list[dict]]:
    """Every section as a list of rows; sections over absent or empty tables are empty lists."""
    check_output(output)
    sections = collect(output, QUERIES, runs=RUNS_SHOWN)
    data = {name: rel if isinstance(rel, list) else _rows(rel) for name, rel in sections.items()}
    if "article_groups" in sections:
        for name, sql in FROM_GROUPS.items():
            data[name] = _rows(sections["article_groups"].query("groups", sql))
    data["stories"] = _stories(data.get("stories", []))
    for name in (*QUERIES, *FROM_GROUPS, "last_runs", "damaged_files"):
        data.setdefault(name, [])
    return data


def _stories(rows: list[dict]) -> list[dict]:
    """One entry per story, its copies (the duplicates rows pointing at it) in ``copy_rows``."""
    stories: dict[str, dict] = {}
    for row in rows:
        story = stories.setdefault(row["article_id"], {
            **{k: v for k, v in row.items() if not k.startswith("copy_")}, "copy_rows": []})
        if row["copy_reason"] is not None:
            story["copy_rows"].append({k: row[f"copy_{k}"] for k in _COPY})
    return list(stories.values())


def _json_ready(rows: list[dict], *keep: str) -> list[dict]:
    """Rows as Vega-Lite data: dates as ISO strings, only the named columns."""
    return [{k: (r[k].isoformat() if isinstance(r[k], (dt.date, dt.datetime)) else r[k]) for k in keep}
            for r in rows]


def _height(bands: int, step: int) -> int:
    """A chart's height in pixels for ``bands`` rows of ``step`` pixels (a fixed height, unlike a
    Vega-Lite step, lets the width follow the page)."""
    return max(40, bands * step)


def _count_axis(largest: int) -> alt.Axis:
    """An axis of whole numbers: small counts get a tick at each one (Vega would put one at 0.5)."""
    if largest <= 6:
        return alt.Axis(format="d", values=list(range(largest + 1)))
    return alt.Axis(format="d", tickMinStep=1)


def _days(span: tuple[dt.date, dt.date], **extra) -> alt.X:
    """The x axis of a per-day chart: every such chart spans the same days, so that they line up."""
    first, last = span[0], span[1] + dt.timedelta(days=1)  # a day's bar covers the whole day
    domain = [alt.DateTime(year=d.year, month=d.month, date=d.day, utc=True) for d in (first, last)]
    return alt.X("utcyearmonthdate(date):T", title=None, scale=alt.Scale(domain=domain),
                 axis=alt.Axis(format="%d %b %Y", labelAngle=-40), **extra)


_DAY_TIP = alt.Tooltip("utcyearmonthdate(date):T", title="day")
_TOP = alt.Legend(orient="top")  # legends above the plot: every chart gets the page's full width
_ENTITIES = alt.Color("entity:N", title=None, legend=_TOP,
                      scale=alt.Scale(domain=["NATO", "Ukraine"], range=["#1f4e9c", "#e3a21a"]))
_FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def _chart(rows: list[dict], title: str, *columns: str) -> alt.Chart:
    return alt.Chart(alt.InlineData(values=_json_ready(rows, *columns)), title=title)


def _by_entity(chart: alt.Chart) -> alt.Chart:
    """One row per entity (NATO, Ukraine) and its mentions."""
    return (chart.transform_calculate(NATO="datum.nato_mentions", Ukraine="datum.ukraine_mentions")
            .transform_fold(["NATO", "Ukraine"], as_=["entity", "mentions"]))


def mentions_per_day(rows: list[dict], span: tuple[dt.date, dt.date]) -> alt.Chart:
    largest = max(r["nato_mentions"] + r["ukraine_mentions"] for r in rows)
    chart = _chart(rows, "NATO and Ukraine mentions per day", "date", "articles", "nato_mentions", "ukraine_mentions")
    return (_by_entity(chart).mark_bar(minBandSize=3)
            .encode(x=_days(span), y=alt.Y("mentions:Q", title="mentions", axis=_count_axis(largest)), color=_ENTITIES,
                    tooltip=[_DAY_TIP, "entity:N", "mentions:Q", alt.Tooltip("articles:Q", title="articles that day")])
            .properties(width="container", height=220, autosize=_FIT_WIDTH))


def mentions_per_outlet(rows: list[dict]) -> alt.Chart:
    largest = max(max(r["nato_mentions"], r["ukraine_mentions"]) for r in rows)
    chart = _chart(rows, "NATO and Ukraine mentions per outlet (all articles, dated or not)",
                   "outlet_name", "articles", "nato_mentions", "ukraine_mentions")
    return (_by_entity(chart).mark_bar()
            .encode(y=alt.Y("outlet_name:N", title=None, sort=[r["outlet_name"] for r in rows]),
                    x=alt.X("mentions:Q", title="mentions", axis=_count_axis(largest)),
                    color=_ENTITIES, yOffset="entity:N",
                    tooltip=[alt.Tooltip("outlet_name:N", title="outlet"), "entity:N", "mentions:Q", "articles:Q"])
            .properties(width="container", height=_height(len(rows), 24), autosize=_FIT_WIDTH))


def mentions_per_outlet_and_day(rows: list[dict], outlets: list[dict], span: tuple[dt.date, dt.date]) -> alt.Chart:
    shown = len({r["outlet"] for r in rows})
    chart = _chart(rows, "NATO and Ukraine mentions per outlet and day",
                   "date", "outlet_name", "articles", "nato_mentions", "ukraine_mentions")
    return (chart.transform_calculate(mentions="datum.nato_mentions + datum.ukraine_mentions")
            .mark_circle(opacity=0.8, color="#1f4e9c")
            .encode(x=_days(span, bandPosition=0.5),
                    y=alt.Y("outlet_name:N", title=None, sort=[r["outlet_name"] for r in outlets]),
                    size=alt.Size("mentions:Q", title="NATO + Ukraine mentions", legend=_TOP),
                    tooltip=[_DAY_TIP, alt.Tooltip("outlet_name:N", title="outlet"), "articles:Q",
                             alt.Tooltip("nato_mentions:Q", title="NATO"),
                             alt.Tooltip("ukraine_mentions:Q", title="Ukraine")])
            .properties(width="container", height=_height(shown, 20), autosize=_FIT_WIDTH))


def membership_timeline(rows: list[dict], span: tuple[dt.date, dt.date]) -> alt.Chart:
    """Only the days with membership articles are drawn: a bar of height 0 says nothing."""
    days = [r for r in rows if r["membership_articles"]]
    largest = max(r["membership_articles"] for r in days)
    chart = _chart(days, "Articles tagged nato_ukraine_membership per day", "date", "articles", "membership_articles")
    return (chart.mark_bar(color="#7a3e9d", minBandSize=3)
            .encode(x=_days(span), y=alt.Y("membership_articles:Q", title="articles", axis=_count_axis(largest)),
                    tooltip=[_DAY_TIP, alt.Tooltip("membership_articles:Q", title="membership articles"),
                             alt.Tooltip("articles:Q", title="all articles that day")])
            .properties(width="container", height=160, autosize=_FIT_WIDTH))


def errors_by_stage(rows: list[dict]) -> alt.Chart:
    per_stage: dict[str, int] = {}
    for r in rows:
        per_stage[r["stage"]] = per_stage.get(r["stage"], 0) + r["errors"]
    stages = sorted(per_stage, key=lambda s: (STAGES.index(s) if s in STAGES else len(STAGES), s))
    return (_chart(rows, "Error rows by stage and reason", "stage", "reason", "errors").mark_bar()
            .encode(y=alt.Y("stage:N", title=None, sort=stages),
                    x=alt.X("errors:Q", title="error rows", axis=_count_axis(max(per_stage.values()))),
                    color=alt.Color("reason:N", title="reason", legend=_TOP, scale=alt.Scale(scheme="tableau20")),
                    tooltip=["stage:N", "reason:N", "errors:Q"])
            .properties(width="container", height=_height(len(stages), 26), autosize=_FIT_WIDTH))


def charts(data: dict[str, list[dict]]) -> dict[str, dict]:
    """The Vega-Lite spec of every chart that has something to draw, by name."""
    made = {}
    span = (data["per_day"][0]["date"], data["per_day"][-1]["date"]) if data["per_day"] else None
    if data["per_day"]:
        made["per_day"] = mentions_per_day(data["per_day"], span)
    if any(r["membership_articles"] for r in data["per_day"]):
        made["membership"] = membership_timeline(data["per_day"], span)
    if data["per_outlet"]:
        made["per_outlet"] = mentions_per_outlet(data["per_outlet"])
    if data["per_outlet_day"]:
        made["per_outlet_day"] = mentions_per_outlet_and_day(data["per_outlet_day"], data["per_outlet"], span)
    if data["errors"]:
        made["errors"] = errors_by_stage(data["errors"])
    return {name: chart.to_dict() for name, chart in made.items()}


def write_report(output: str, html_path: str) -> Report:
    """Write the page for ``output`` to ``html_path``, replacing it whole (a reader never sees half)."""
    data = gather(output)
    specs = charts(data)
    page = render_page(output, data, specs)
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(html_path)), prefix=".report-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as tmp:
            tmp.write(page)
        os.chmod(temporary, 0o644)
        os.replace(temporary, html_path)
    except BaseException:
        os.unlink(temporary)
        raise
    totals = data["totals"][0] if data["totals"] else {"articles": 0, "undated": 0}
    return Report(html_path, totals["articles"], totals["undated"], len(specs), len(data["damaged_files"]))
