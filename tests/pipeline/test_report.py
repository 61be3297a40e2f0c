"""`newsbeam report`: the page opens in a real headless browser (Debian's chromium driven by
playwright), its charts draw the output's numbers, nothing is fetched, nothing is logged to the
console, and outputs with empty, missing or damaged parts still give a page."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsbeam.pipeline.cli import main
from tests.conftest import SAMPLES, rows, run_newsbeam

NEWSBEAM = str(Path(sys.executable).with_name("newsbeam"))
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
# The flags of a quiet, offline browser: no first-run work, no background requests, no updates.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
needs_browser = pytest.mark.skipif(CHROMIUM is None or importlib.util.find_spec("playwright") is None,
                                   reason="needs chromium (apt-get install chromium) and playwright")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A persistent chromium context (playwright launches it headless with our own profile folder)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1240, "height": 900})
        yield context
        context.close()


def open_report(browser, path: Path) -> tuple[object, dict]:
    """The page loaded and every chart drawn, with what it logged and requested."""
    page = browser.new_page()
    seen = {"console": [], "errors": [], "requests": []}
    page.on("console", lambda message: seen["console"].append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.goto(path.as_uri())  # returns after the load event: every chart's embedding has started
    page.evaluate("Promise.all(Object.values(window.newsbeamCharts)).then(() => true)")
    assert page.eval_on_selector_all(".chart:not([data-rendered])", "charts => charts.length") == 0
    return page, seen


def marks(page, chart: str, kind: str = "rect") -> list[str]:
    """The aria-labels of a chart's drawn marks: Vega writes each datum's fields into them."""
    return page.eval_on_selector_all(f"#chart-{chart} g.mark-{kind}.role-mark path",
                                     "paths => paths.map(p => p.getAttribute('aria-label'))")


def labelled(labels: list[str], field: str) -> list[str]:
    return [re.search(rf"(?:^|; ){re.escape(field)}: ([^;]*)", label).group(1) for label in labels]


def report(output: Path, html: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NEWSBEAM, "report", str(output), "--html", str(html)], capture_output=True, text=True)


def assert_quiet_and_offline(seen: dict, html: Path) -> None:
    assert seen["errors"] == [] and seen["console"] == [], seen
    assert seen["requests"] == [html.as_uri()], seen["requests"]  # the page itself, nothing else


@needs_browser
def test_report_draws_the_output_in_a_real_browser(browser, samples_output, tmp_path):
    html = tmp_path / "report.html"
    result = report(samples_output, html)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "13 articles (1 undated, not in the per-day charts)" in result.stdout
    articles = rows(samples_output, "articles")
    dated = [a for a in articles if a["date_source"] not in ("ingested", "out_of_range")]
    (undated,) = [a for a in articles if a not in dated]  # samples/txt/la-gazette-otan.txt has no date
    page, seen = open_report(browser, html)
    assert_quiet_and_offline(seen, html)
    assert "<script src" not in html.read_text() and "<link" not in html.read_text()

    per_day = marks(page, "per_day")  # one bar per dated day and entity
    days = {a["date"].strftime("%d %b %Y") for a in dated}
    assert set(labelled(per_day, "date (year-month-date)")) == days
    assert undated["date"].strftime("%d %b %Y") not in days  # its ingestion day is not charted
    nato = [int(m) for label, m in zip(per_day, labelled(per_day, "mentions")) if "entity: NATO" in label]
    ukraine = [int(m) for label, m in zip(per_day, labelled(per_day, "mentions")) if "entity: Ukraine" in label]
    assert (sum(nato), sum(ukraine)) == (sum(a["nato_mentions"] for a in dated),
                                         sum(a["ukraine_mentions"] for a in dated))
    note = page.inner_text("#undated-note")
    assert note.startswith("1 undated article") and f"{undated['nato_mentions']} NATO" in note

    per_outlet = marks(page, "per_outlet")  # every article, dated or not
    assert len(per_outlet) == 2 * len({a["outlet"] for a in articles})
    assert sum(map(int, labelled(per_outlet, "mentions"))) == sum(
        a["nato_mentions"] + a["ukraine_mentions"] for a in articles)
    assert len(marks(page, "per_outlet_day", "symbol")) == len({(a["date"], a["outlet"]) for a in dated})

    membership = [a for a in dated if "nato_ukraine_membership" in a["tags"]]
    bars = marks(page, "membership")
    assert len(bars) == len({a["date"] for a in membership}) > 0
    assert sum(map(int, labelled(bars, "membership articles"))) == len(membership)

    stories = page.eval_on_selector_all("#stories tr.story", "rs => rs.map(r => r.innerText)")
    copies = page.eval_on_selector_all("#stories tr.copy", "rs => rs.map(r => r.innerText)")
    assert len(stories) == sum(1 for a in articles if a["duplicate_count"]) == 4
    assert len(copies) == len(rows(samples_output, "duplicates")) == 4
    assert any("near_duplicate (0.9" in c for c in copies)

    (error_bar,) = marks(page, "errors")
    assert "stage: parse" in error_bar and "reason: invalid_json" in error_bar
    assert "samples-run" in page.inner_text("#runs") and "succeeded" in page.inner_text("#runs")
    page.close()


@needs_browser
def test_report_of_an_output_with_missing_empty_and_damaged_parts(browser, samples_output, tmp_path):
    # Only error rows: no articles folder, an empty duplicates folder.
    errors_only = tmp_path / "errors-only"
    shutil.copytree(samples_output, errors_only)
    shutil.rmtree(errors_only / "articles")
    shutil.rmtree(errors_only / "duplicates")
    (errors_only / "duplicates").mkdir()
    html = tmp_path / "errors-only.html"
    assert main(["report", str(errors_only), "--html", str(html)]) == 0
    page, seen = open_report(browser, html)
    assert_quiet_and_offline(seen, html)
    assert [c for c in ("per_day", "per_outlet", "membership") if page.query_selector(f"#chart-{c}")] == []
    assert "No articles yet" in page.inner_text("#mentions") and "No story" in page.inner_text("#stories")
    assert len(marks(page, "errors")) == 1
    page.close()

    # Articles only (no duplicates or errors folder), a damaged Parquet file and a damaged manifest.
    damaged = tmp_path / "damaged"
    shutil.copytree(samples_output, damaged)
    shutil.rmtree(damaged / "duplicates")
    shutil.rmtree(damaged / "errors")
    first = sorted((damaged / "articles").rglob("*.parquet"))[0]
    first.write_bytes(first.read_bytes()[:100])
    (damaged / "_runs" / "torn.json").write_text('{"run_id": "torn", "sta')
    html = tmp_path / "damaged.html"
    assert main(["report", str(damaged), "--html", str(html)]) == 0
    page, seen = open_report(browser, html)
    assert_quiet_and_offline(seen, html)
    assert str(first) in page.inner_text("#damaged") and "torn.json" in page.inner_text("#damaged")
    assert len(marks(page, "per_day")) > 0 and "No error rows" in page.inner_text("#errors")
    assert "No story was republished" in page.inner_text("#stories")  # no duplicates table: no copies known
    page.close()


@needs_browser
def test_untrusted_titles_outlets_and_urls_stay_text(browser, tmp_path):
    hostile = '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    text = "NATO foreign ministers met in Brussels to discuss support for Ukraine and its membership path. " * 3
    records = [{"url": "javascript:window.pwned=3", "title": hostile, "text": text, "outlet": hostile,
                "published": "2025-05-01T10:00:00Z"},
               {"url": "https://copy.example/a", "title": "copy " + hostile, "text": text, "outlet": hostile + " copy",
                "published": "2025-05-02T10:00:00Z"}]
    source = tmp_path / "in" / "hostile.jsonl"
    source.parent.mkdir()
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert run_newsbeam("--input", source, "--output", tmp_path / "out") == 0
    html = tmp_path / "report.html"
    assert main(["report", str(tmp_path / "out"), "--html", str(html)]) == 0
    page, seen = open_report(browser, html)
    page.hover("#chart-per_outlet g.mark-rect path")  # the tooltip shows the outlet name
    assert_quiet_and_offline(seen, html)
    assert page.evaluate("window.pwned") is None
    assert hostile in page.inner_text("#stories")
    assert page.eval_on_selector_all("#stories a", "links => links.map(a => a.href)") == ["https://copy.example/a"]
    assert hostile in marks(page, "per_outlet")[0]
    page.close()


def test_report_refuses_what_is_not_an_output(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    assert main(["report", str(tmp_path / "plain"), "--html", str(tmp_path / "r.html")]) == 2
    assert main(["report", str(tmp_path / "missing"), "--html", str(tmp_path / "r.html")]) == 2
    assert main(["report", str(SAMPLES.parent), "--html", str(tmp_path / "no" / "r.html")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("newsbeam: error: ") for line in lines)
    assert "is not a newsbeam output" in lines[0] and "is not a local folder" in lines[1]
    assert "does not exist" in lines[2]
    assert not (tmp_path / "r.html").exists()
