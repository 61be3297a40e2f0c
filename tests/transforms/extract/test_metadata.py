"""Page metadata analysts expect: lead, sections, keywords, image, modified time, host, site name,
and the publication time with its time of day; the same outlet for a page fetched or read from a file."""
from __future__ import annotations

import datetime as dt
import json

from newsbeam.transforms.records import Document
from tests.conftest import check_accounting, rows, run_newsbeam
from tests.support.site import Site, rss
from tests.transforms.extract.test_articles import extract  # noqa: F401 - the fixture

UTC = dt.timezone.utc
BODY = ("NATO defence ministers met in Brussels on Tuesday to agree on air defence for Ukraine. " * 3,
        "The second paragraph says more about the plan and what it costs the allies this year. " * 3)


def page(path: str = "/world/nato-air-defence") -> str:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Allies agree on air defence",
          "datePublished": "2025-06-24T09:30:00+02:00", "dateModified": "2025-06-24T15:45:00+02:00",
          "author": {"@type": "Person", "name": "Ada Reporter"}}
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY)
    return f"""<html lang="en"><head><title>Allies agree on air defence | Vox</title>
<meta property="og:site_name" content="Vox">
<meta property="og:description" content="Ministers agree to send more air defence systems.">
<meta property="og:image" content="https://www.vox.example/images/lead.jpg">
<meta property="article:section" content="World">
<meta name="keywords" content="NATO, air defence, Ukraine">
<link rel="canonical" href="https://www.vox.example{path}">
<script type="application/ld+json">{json.dumps(ld)}</script>
</head><body><article><h1>Allies agree on air defence</h1>{paragraphs}</article></body></html>"""


def test_page_metadata_and_publication_time_with_its_zone(extract):  # noqa: F811 - the fixture
    (article,), errors = extract(Document("p.html", "html", "", page(), "html"))
    assert errors == []
    assert article.published_at == dt.datetime(2025, 6, 24, 7, 30, tzinfo=UTC)  # not cut to midnight
    assert article.modified_at == dt.datetime(2025, 6, 24, 13, 45, tzinfo=UTC)
    assert article.description == "Ministers agree to send more air defence systems."
    assert article.image_url == "https://www.vox.example/images/lead.jpg"
    assert article.categories == ("World",)
    assert set(article.keywords) == {"NATO", "air defence", "Ukraine"}
    assert (article.site_name, article.hostname, article.outlet_name) == ("Vox", "vox.example", "Vox")


def test_text_sources_have_no_page_metadata(extract):  # noqa: F811 - the fixture
    doc = Document("a.jsonl", "jsonl", "line 1", " ".join(BODY), "text", url="https://www.wire.example/a")
    (article,), _ = extract(doc)
    assert (article.description, article.site_name, article.image_url, article.modified_at) == (None,) * 4
    assert (article.categories, article.keywords, article.hostname) == ((), (), "wire.example")


def test_a_page_has_the_same_outlet_and_metadata_fetched_or_read_from_a_file(tmp_path):
    saved = tmp_path / "in" / "page.html"
    saved.parent.mkdir()
    saved.write_text(page())
    columns = ("outlet_name", "site_name", "published_at", "modified_at", "description",
               "categories", "keywords", "image_url", "title", "text", "outlet")
    assert run_newsbeam("--input", saved, "--output", tmp_path / "from-file") == 0
    with Site() as site:
        link = site.add("/world/nato-air-defence", page())
        feed = site.add("/feed.xml", rss([{"title": "Allies agree on air defence", "link": link,
                                           "description": "A teaser."}]))
        assert run_newsbeam("--feed", feed, "--output", tmp_path / "fetched", "--allow-private-network") == 0
    (from_file,) = rows(tmp_path / "from-file", "articles")
    (fetched,) = rows(tmp_path / "fetched", "articles")
    check_accounting(tmp_path / "fetched")
    assert fetched["text_source"] == "page"
    assert {c: from_file[c] for c in columns} == {c: fetched[c] for c in columns}
    assert from_file["outlet_name"] == "Vox" and from_file["lexicon_hash"]
    # the host of the URL each was read from: the page's canonical link, or where it was fetched
    assert (from_file["hostname"], fetched["hostname"]) == ("vox.example", "127.0.0.1")
