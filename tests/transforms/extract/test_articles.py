"""Extract stage: clean text, title, date and where it came from, outlet, language, identity."""
import datetime as dt

import apache_beam as beam
import pytest

from tests.conftest import SAMPLES
from newsbeam.transforms.extract.articles import ExtractArticles, ExtractSettings
from newsbeam.transforms.records import Document, RunContext

RUN = RunContext("r1", dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))


@pytest.fixture
def extract(run_transform):
    """Run ExtractArticles over Documents; returns (articles, errors)."""
    def run(*docs, settings=ExtractSettings()):
        def build(p):
            result = p | beam.Create(list(docs)) | ExtractArticles(RUN, settings)
            return {"articles": result.articles, "errors": result.errors}
        found = run_transform(build)
        return found["articles"], found["errors"]
    return run


def test_html_page_gives_metadata_and_body_without_comments(extract):
    html = (SAMPLES / "html" / "tagesblick-beitritt.html").read_text(encoding="utf-8")
    (article,), errors = extract(Document("p.html", "html", "", html, "html"))
    assert errors == []
    assert article.title == "Selenskyj wirbt in Berlin für Nato-Beitritt der Ukraine"
    assert article.author == "Jana Berger"
    assert article.url == "https://www.tagesblick.example/politik/selenskyj-berlin-nato-beitritt"
    assert article.outlet_name == "Tagesblick"
    assert article.language == "de"
    assert (article.published_at.date(), article.date_source) == (dt.date(2025, 5, 12), "published")
    assert "Zusagen für die Luftverteidigung" in article.text
    for furniture in ("Leser123", "Kommentare", "Startseite", "Cookies", "Impressum", "Mehr zum Thema"):
        assert furniture not in article.text


def test_text_dump_date_sources_and_fallbacks(extract):
    marker = Document("a.txt", "txt", "", "date 2025-02-13\nTitel hier\n" + "Die NATO und die Ukraine. " * 5, "text")
    dateline = Document("b.txt", "txt", "", "Titel dort\nAug 20, 2025, 4:20 PM\n" + "Body text here. " * 5, "text")
    nothing = Document("c.txt", "txt", "", "Titel ohne Datum\n" + "Ein Absatz ohne Datum. " * 5, "text")
    articles, _ = extract(marker, dateline, nothing)
    found = {a.source: (a.published_at, a.date_source) for a in articles}
    assert found == {
        "a.txt": (dt.datetime(2025, 2, 13, tzinfo=dt.timezone.utc), "date_hint"),
        "b.txt": (dt.datetime(2025, 8, 20, 16, 20, tzinfo=dt.timezone.utc), "text"),
        "c.txt": (None, "ingested"),
    }


def test_outlet_order_and_identity(extract):
    body = "Ein ausreichend langer Absatz über die Ukraine und die NATO. " * 3
    forced = ExtractSettings(outlet="Forced Outlet")
    (a,), _ = extract(Document("x.jsonl", "jsonl", "line 1", body, "text", url="https://www.x.example/a?utm_source=y",
                                title="T"))
    (b,), _ = extract(Document("x.jsonl", "jsonl", "line 1", body, "text", url="https://www.x.example/a",
                                title="T", outlet="Given"), settings=forced)
    assert a.outlet_name == "x.example" and b.outlet_name == "Forced Outlet"
    assert a.url == b.url == "https://www.x.example/a" and a.article_id == b.article_id
    assert a.word_count == len(body.split()) and a.language == "de"


def test_empty_and_too_short_pages_are_errors(extract):
    _, errors = extract(
        Document("empty.html", "html", "", "<html><body></body></html>", "html"),
        Document("short.txt", "txt", "", "Titel\nZu kurz.", "text"),
        Document("nothing.txt", "txt", "", "Teilen\nnach oben\n...", "text"),
    )
    assert sorted((e.source, e.stage, e.error_type) for e in errors) == [
        ("empty.html", "extract", "no_text"), ("nothing.txt", "extract", "no_text"),
        ("short.txt", "extract", "too_short")]


def test_falls_back_from_page_to_feed_content_to_summary(extract):
    summary = ("feed_summary", "html", "<p>" + "Die Zusammenfassung des Eintrags über die Ukraine. " * 3 + "</p>")
    content = ("feed_content", "html", "<p>" + "Der volle Inhalt des Eintrags über die NATO. " * 3 + "</p>")
    empty_page = "<html><body><nav>Menü</nav></body></html>"
    docs = [
        Document("f", "feed", "entry 1", empty_page, "html", title="T", text_source="page",
                 alternatives=(content, summary)),
        Document("f", "feed", "entry 2", empty_page, "html", title="T", text_source="page",
                 alternatives=(("feed_content", "html", "<p>kurz</p>"), summary)),
        Document("f", "feed", "entry 3", empty_page, "html", title="T", text_source="page"),
    ]
    articles, errors = extract(*docs)
    assert sorted((a.locator, a.text_source) for a in articles) == [
        ("entry 1", "feed_content"), ("entry 2", "feed_summary")]
    # the page gives only its menu word, which is far too short to be an article
    assert [(e.locator, e.error_type) for e in errors] == [("entry 3", "too_short")]


def test_a_pool_of_extraction_processes_gives_the_same_rows_and_stops_only_the_slow_page(extract):
    """Two processes and a 1 s limit: a page that takes seconds is one timeout row; every other document
    (pages, dumps, feed entries with fallbacks) ends as exactly the row it gets in-thread."""
    from tests.support.pathological import huge_markup

    pages = [Document(path.name, "html", "", path.read_text(encoding="utf-8"), "html")
             for path in sorted((SAMPLES / "html").glob("*.html"))]
    dumps = [Document(path.name, "txt", "", path.read_bytes().decode("utf-8", "replace"), "text")
             for path in sorted((SAMPLES / "txt").glob("*.txt"))]
    entry = Document("f", "feed", "entry 1", "<html><body><nav>Menü</nav></body></html>", "html", title="T",
                     text_source="page", alternatives=(("feed_content", "html", "<p>" + "Der Inhalt. " * 9 + "</p>"),))
    docs = [*pages, Document("huge.html", "html", "", huge_markup(2), "html"), *dumps, entry]
    articles, errors = extract(*docs, settings=ExtractSettings(timeout_seconds=1.0, processes=2))
    in_thread, _ = extract(*pages, *dumps, entry, settings=ExtractSettings(timeout_seconds=0))
    assert [(e.source, e.error_type) for e in errors] == [("huge.html", "timeout")]
    assert sorted(articles) == sorted(in_thread) and len(in_thread) == len(pages) + len(dumps) + 1


def test_extraction_processes_default_to_the_cores_shared_among_local_workers():
    import os

    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.portability.portable_runner import PortableRunner

    from newsbeam.pipeline.runner import make_runner
    from newsbeam.transforms.extract.articles import default_processes

    cores = len(os.sched_getaffinity(0))
    for argv, expected in (([], cores), (["--direct_num_workers=2", "--direct_running_mode=multi_processing"],
                                         max(1, cores // 2)), (["--direct_num_workers=0"], 1)):
        options = PipelineOptions(argv)
        assert default_processes(beam.Pipeline(runner=make_runner(options), options=options)) == expected, argv
    assert default_processes(beam.Pipeline(runner=PortableRunner(), options=PipelineOptions([]))) == 1
