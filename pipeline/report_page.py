"""The report's HTML: one file holding its styles, its data, its chart specs and the Vega
libraries that draw them, so that it opens offline, from a mail attachment or a file share.

Text from articles (titles, outlet names, URLs, error reasons) is untrusted: the template
escapes it, chart specs travel as JSON with ``<``, ``>`` and ``&`` escaped inside their script
elements, only http(s) URLs become links, and a Content-Security-Policy forbids the page any
network access and any script it does not carry itself.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from urllib.parse import urlsplit

import altair as alt
import jinja2
import vl_convert
from markupsafe import Markup

from newsbeam.pipeline import __version__

# vl-convert ships the bundle of vega, vega-lite and vega-embed for the Vega-Lite version altair writes.
VL_VERSION = "_".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])

CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
       "base-uri 'none'; form-action 'none'")

EMBED_OPTIONS = {"renderer": "svg", "ast": True,  # ast: Vega's interpreter, no eval (the CSP forbids it)
                 "actions": {"export": True, "source": False, "compiled": False, "editor": False}}

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="newsbeam {{ version }}">
<title>newsbeam report: {{ output }}</title>
<style>
  :root { --ink: #1d2330; --muted: #5d6678; --line: #dde2ea; --paper: #f6f7f9; --accent: #1f4e9c; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
         color: var(--ink); background: var(--paper); }
  header { background: var(--ink); color: #fff; padding: 18px 28px; }
  header h1 { margin: 0; font-size: 22px; font-weight: 600; }
  header p { margin: 4px 0 0; color: #c8cfdb; font-size: 13px; }
  main { max-width: 1180px; margin: 0 auto; padding: 18px 28px 40px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
            margin: 16px 0; }
  h2 { font-size: 17px; margin: 0 0 10px; }
  .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 0; padding: 0; list-style: none; }
  .cards li { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px;
              min-width: 140px; }
  .cards b { display: block; font-size: 22px; font-variant-numeric: tabular-nums; }
  .cards span { color: var(--muted); font-size: 13px; }
  .chart { width: 100%; margin: 8px 0 14px; }
  .note { color: var(--muted); font-size: 13px; margin: 4px 0 12px; }
  .empty { color: var(--muted); font-style: italic; }
  .warn { border-color: #e0b252; background: #fff8e6; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  tr.copy td { color: var(--muted); border-bottom-color: #eef1f5; }
  tr.copy td:first-child { padding-left: 22px; }
  a { color: var(--accent); text-decoration: none; }
  a:hover { text-decoration: underline; }
  .status-succeeded { color: #217a3c; } .status-failed { color: #b3261e; }
  code { font-size: 12px; }
</style>
<script>
{{ bundle }}
</script>
</head>
<body>
<header>
  <h1>newsbeam report</h1>
  <p>{{ output }} · generated {{ generated }} · newsbeam {{ version }}</p>
</header>
<main>
<ul class="cards" id="summary">
  <li><b>{{ "{:,}".format(totals.articles) }}</b><span>articles</span></li>
  <li><b>{{ "{:,}".format(totals.undated) }}</b><span>of them undated</span></li>
  <li><b>{{ "{:,}".format(duplicates) }}</b><span>duplicates</span></li>
  <li><b>{{ "{:,}".format(error_rows) }}</b><span>error rows</span></li>
  <li><b>{{ "{:,}".format(totals.outlets) }}</b><span>outlets</span></li>
  <li><b>{{ totals.first_day or "–" }}{% if totals.last_day and totals.last_day != totals.first_day %}
      – {{ totals.last_day }}{% endif %}</b><span>publication days</span></li>
</ul>

{% if damaged %}
<section class="warn" id="damaged">
  <h2>Damaged files, left out</h2>
  <ul>{% for d in damaged %}<li><code>{{ d.path }}</code>: {{ d.error }}</li>{% endfor %}</ul>
  <p class="note">Run <code>newsbeam validate --output</code> for details.</p>
</section>
{% endif %}

<section id="mentions">
  <h2>NATO and Ukraine mentions</h2>
  {% if totals.articles == 0 %}<p class="empty">No articles yet.</p>{% endif %}
  {{ chart("per_day") }}
  {% if totals.undated %}
  <p class="note" id="undated-note">{{ totals.undated }} undated article{{ "s" if totals.undated != 1 }}
    ({{ totals.undated_nato_mentions }} NATO and {{ totals.undated_ukraine_mentions }} Ukraine mentions) have no known
    publication date and are left out of the per-day charts; the per-outlet chart counts them.</p>
  {% endif %}
  {{ chart("per_outlet") }}
  {% if "per_outlet" in charts and outlets_total > outlets_shown %}
  <p class="note">The {{ outlets_shown }} outlets with the most mentions of {{ outlets_total }}.</p>
  {% endif %}
  {{ chart("per_outlet_day") }}
</section>

<section id="membership">
  <h2>Ukraine's NATO membership</h2>
  {% if "membership" in charts %}{{ chart("membership") }}
  <p class="note">{{ membership_dated }} dated article{{ "s" if membership_dated != 1 }} tagged
    <code>nato_ukraine_membership</code>{% if totals.undated_membership_articles %}; {{
    totals.undated_membership_articles }} more undated, not charted{% endif %}.</p>
  {% else %}<p class="empty">No dated article is tagged <code>nato_ukraine_membership</code>{% if
    totals.undated_membership_articles %} ({{ totals.undated_membership_articles }} undated){% endif %}.</p>{% endif %}
</section>

<section id="stories">
  <h2>Most republished stories</h2>
  {% if stories %}
  <table>
    <thead><tr><th class="n">copies</th><th>title</th><th>outlet</th><th>day</th><th>how copied</th></tr></thead>
    <tbody>
    {% for story in stories %}
    <tr class="story"><td class="n"><b>{{ story.copies }}</b></td><td>{{ link(story.title, story.url) }}</td>
      <td>{{ story.outlet_name }}</td><td>{{ day(story) }}</td><td></td></tr>
      {% for copy in story.copy_rows[:copies_shown] %}
      <tr class="copy"><td></td><td>{{ link(copy.title, copy.url) }}</td><td>{{ copy.outlet_name }}</td>
        <td>{{ day(copy) }}</td><td>{{ copy.reason }}{% if copy.reason == "near_duplicate" %}
        ({{ "%.2f"|format(copy.similarity) }}){% endif %}</td></tr>
      {% endfor %}
      {% if story.copy_rows|length > copies_shown %}
      <tr class="copy"><td></td><td colspan="4">and {{ story.copy_rows|length - copies_shown }} more</td></tr>
      {% endif %}
    {% endfor %}
    </tbody>
  </table>
  {% else %}<p class="empty">No story was republished.</p>{% endif %}
</section>

<section id="errors">
  <h2>Errors by stage and reason</h2>
  {% if errors %}
  {{ chart("errors") }}
  <table>
    <thead><tr><th>stage</th><th>reason</th><th class="n">error rows</th></tr></thead>
    <tbody>{% for e in errors %}<tr><td>{{ e.stage }}</td><td>{{ e.reason }}</td><td class="n">{{ e.errors }}</td>
    </tr>{% endfor %}</tbody>
  </table>
  {% else %}<p class="empty">No error rows.</p>{% endif %}
</section>

<section id="runs">
  <h2>Last runs</h2>
  {% if runs %}
  <table>
    <thead><tr><th>run</th><th>status</th><th>started (UTC)</th><th class="n">seconds</th>
      <th class="n">input items</th><th class="n">articles</th><th class="n">duplicates</th><th class="n">errors</th>
      <th class="n">skipped</th></tr></thead>
    <tbody>
    {% for r in runs|reverse %}
    <tr><td><code>{{ r.run_id }}</code></td><td class="status-{{ r.status }}">{{ r.status }}</td>
      <td>{{ r.started_at[:19]|replace("T", " ") }}</td>
      <td class="n">{{ r.seconds if r.seconds is not none else "" }}</td>
      {% for key in ("input_items", "articles", "duplicates", "errors", "skipped") %}
      <td class="n">{{ r[key] if r[key] is not none else "" }}</td>{% endfor %}</tr>
    {% endfor %}
    </tbody>
  </table>
  {% else %}<p class="empty">No run manifests in _runs/.</p>{% endif %}
</section>
<p class="note">Charts: Vega-Lite {{ vega_lite }} (altair {{ altair }}), drawn in this page by Vega {{ vega }};
  everything this page shows is inside this file.</p>
</main>
{% for name, spec in charts.items() %}
<script type="application/json" data-chart="{{ name }}">{{ spec }}</script>
{% endfor %}
<script>
  window.newsbeamCharts = {};
  for (const el of document.querySelectorAll("script[data-chart]")) {
    const name = el.dataset.chart, target = document.getElementById("chart-" + name);
    window.newsbeamCharts[name] = vegaEmbed(target, JSON.parse(el.textContent), {{ embed_options }})
      .then((result) => { target.dataset.rendered = "true"; return result; })
      .catch((error) => console.error("chart " + name + ": " + error));
  }
</script>
</body>
</html>
"""


def script_json(value) -> str:
    """JSON that cannot end the script element holding it or open markup inside it."""
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


COPIES_SHOWN = 10  # per story; the rest are counted


def _link(text, url) -> Markup | str:
    """A link for an http(s) URL (never ``javascript:`` or ``data:``), else the text alone."""
    label = text or url or "(untitled)"
    try:
        web = bool(url) and urlsplit(url).scheme in ("http", "https")
    except ValueError:  # not a URL at all
        web = False
    return Markup('<a href="{}" rel="noreferrer noopener">{}</a>').format(url, label) if web else label


def _day(row) -> str:
    return row["date"].isoformat() if row.get("dated") and row.get("date") else "undated"


@functools.cache
def _bundle() -> str:
    """vega, vega-lite and vega-embed as one script, safe inside a script element."""
    return vl_convert.javascript_bundle(vl_version=VL_VERSION).replace("</script", "<\\/script")


def render_page(output: str, data: dict[str, list[dict]], specs: dict[str, dict]) -> str:
    """The whole page for ``data`` (see :func:`newsbeam.pipeline.report.gather`) and its chart specs."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)

    def chart(name: str):
        return Markup(f'<div class="chart" id="chart-{name}"></div>') if name in specs else ""

    totals = data["totals"][0] if data["totals"] else {
        "articles": 0, "undated": 0, "outlets": 0, "first_day": None, "last_day": None,
        "undated_nato_mentions": 0, "undated_ukraine_mentions": 0, "undated_membership_articles": 0}
    return env.from_string(TEMPLATE).render(
        csp=CSP, version=__version__, output=output, bundle=Markup(_bundle()),
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        totals=totals, duplicates=data["duplicate_rows"][0]["duplicates"] if data["duplicate_rows"] else 0,
        error_rows=sum(e["errors"] for e in data["errors"]), errors=data["errors"], damaged=data["damaged_files"],
        charts={name: Markup(script_json(spec)) for name, spec in specs.items()}, chart=chart,
        outlets_total=totals["outlets"], outlets_shown=len(data["per_outlet"]),
        membership_dated=sum(r["membership_articles"] for r in data["per_day"]),
        stories=data["stories"], copies_shown=COPIES_SHOWN, link=_link, day=_day, runs=data["last_runs"],
        embed_options=Markup(script_json(EMBED_OPTIONS)),
        vega_lite=alt.SCHEMA_VERSION, altair=alt.__version__, vega=vl_convert.get_vega_version())
