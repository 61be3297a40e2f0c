"""Feed titles and text as a reader sees them, in the shapes real feeds escape them."""
from __future__ import annotations

import json

import pytest

from tests.conftest import check_accounting, rows, run_newsbeam
from newsbeam.transforms.parse.feeds import parse_feed
from newsbeam.transforms.parse.html_text import fragment_to_text, title_to_text

EXCERPT = "Ukraine’s bid & the ministers’ dinner […]"
RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Wire &amp;amp; more</title><link>https://wire.example/</link>{items}</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom wire</title><id>urn:x</id>{entries}</feed>"""


def item(title: str, body: str = "<description>x</description>", link: str = "https://wire.example/1") -> str:
    return f"<item><title>{title}</title><link>{link}</link>{body}</item>"


def entry(title: str, body: str = "<summary>x</summary>", link: str = "https://wire.example/1") -> str:
    return f'<entry><id>{link}</id><title{title}</title><link href="{link}"/>{body}</entry>'


def documents(document: str):
    parsed = parse_feed(document.encode("utf-8"), "feed")
    assert not parsed.failures
    return parsed.documents


def text_of(doc) -> str:
    return fragment_to_text(doc.body) if doc.body_format == "html" else doc.body


@pytest.mark.parametrize("body", [
    # WordPress: a CDATA excerpt with numeric character references and no markup at all
    "<description><![CDATA[Ukraine&#8217;s bid &amp; the ministers&#8217; dinner [&#8230;]]]></description>",
    # the same escaped once more in plain XML
    "<description>Ukraine&amp;#8217;s bid &amp;amp; the ministers&amp;#8217; dinner [&amp;#8230;]</description>",
    # Dublin Core description, which feedparser declares plain text
    "<dc:description><![CDATA[Ukraine&#8217;s bid &amp; the ministers&#8217; dinner [&#8230;]]]></dc:description>",
    # content:encoded with markup
    "<content:encoded><![CDATA[<p>Ukraine&#8217;s bid &amp; the <em>ministers</em>&#8217; dinner [&#8230;]</p>]]>"
    "</content:encoded>",
    # markup escaped twice: the tags arrive as text
    "<description>&amp;lt;p&amp;gt;Ukraine&amp;#8217;s bid &amp;amp; the ministers&amp;#8217; dinner "
    "[&amp;#8230;]&amp;lt;/p&amp;gt;</description>",
])
def test_rss_excerpts_read_as_the_clean_text(body):
    (doc,) = documents(RSS.format(items=item("t", body)))
    assert text_of(doc) == EXCERPT


@pytest.mark.parametrize("body", [
    '<summary type="html">Ukraine&amp;#8217;s bid &amp;amp; the ministers&amp;#8217; dinner [&amp;#8230;]</summary>',
    '<summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Ukraine&#8217;s bid &amp; the '
    "<b>ministers</b>&#8217; dinner [&#8230;]</p></div></summary>",
    # declared plain text, but escaped as HTML by the CMS
    "<summary>Ukraine&amp;#8217;s bid &amp;amp; the ministers&amp;#8217; dinner [&amp;#8230;]</summary>",
    '<content type="html">&lt;p&gt;Ukraine&amp;#8217;s bid &amp;amp; the ministers&amp;#8217; dinner '
    "[&amp;#8230;]&lt;/p&gt;</content>",
])
def test_atom_summaries_and_content_read_as_the_clean_text(body):
    (doc,) = documents(ATOM.format(entries=entry(">t", body)))
    assert text_of(doc) == EXCERPT


@pytest.mark.parametrize("title", [
    "&lt;b&gt;Breaking:&lt;/b&gt; Rutte meets Zelensky",            # escaped markup in an RSS title
    "&amp;lt;b&amp;gt;Breaking:&amp;lt;/b&amp;gt; Rutte meets Zelensky",  # escaped twice
    "<![CDATA[<b>Breaking:</b> Rutte meets Zelensky]]>",
    "Breaking: Rutte\x08 meets\tZelensky\n",                        # control characters, tab and line break
])
def test_rss_titles_without_markup_or_control_characters(title):
    (doc,) = documents(RSS.format(items=item(title)))
    assert doc.title == "Breaking: Rutte meets Zelensky"


@pytest.mark.parametrize("title", [
    ' type="html">Ukraine &lt;em&gt;and&lt;/em&gt; NATO: what &amp;quot;irreversible&amp;quot; means',
    ' type="html">Ukraine &amp;lt;em&amp;gt;and&amp;lt;/em&amp;gt; NATO: what &amp;amp;quot;irreversible'
    "&amp;amp;quot; means",
    ' type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Ukraine <em>and</em> NATO: what '
    "&quot;irreversible&quot; means</div>",
    '>Ukraine &amp;lt;em&amp;gt;and&amp;lt;/em&amp;gt; NATO: what &amp;quot;irreversible&amp;quot; means',
])
def test_atom_titles_as_a_reader_sees_them(title):
    (doc,) = documents(ATOM.format(entries=entry(title)))
    assert doc.title == 'Ukraine and NATO: what "irreversible" means'


def test_plain_text_that_only_looks_odd_is_kept():
    assert title_to_text("AT&T and R&D: 3 < 5 > 2") == "AT&T and R&D: 3 < 5 > 2"
    assert fragment_to_text("Tom & Jerry <3 &unknownentity; x") == "Tom & Jerry <3 &unknownentity; x"
    (doc,) = documents(ATOM.format(entries=entry(">t", "<summary>if a &lt; b then c</summary>")))
    assert (doc.body_format, doc.body) == ("text", "if a < b then c")


def test_feed_title_is_clean_too():
    assert parse_feed(RSS.format(items=item("t")).encode(), "feed").title == "Wire & more"


STORY = ("NATO foreign ministers met in Brussels on Tuesday to discuss Ukraine’s membership bid & the air defence "
         "package; the ministers’ dinner ran late […]")


def test_an_escaped_excerpt_and_a_clean_copy_are_the_same_story(tmp_path):
    """A WordPress excerpt with numeric references dedups against a clean copy of the story, and the
    titles written are clean (a feed title, a JSONL title and a text dump's title)."""
    folder = tmp_path / "in"
    folder.mkdir()
    escaped = STORY.replace("’", "&#8217;").replace(" & ", " &amp; ").replace("…", "&#8230;")
    (folder / "wordpress.rss").write_text(RSS.format(items=item(
        "&lt;b&gt;Breaking:&lt;/b&gt; Rutte\x08 meets Zelensky", f"<description><![CDATA[{escaped}]]></description>",
        "https://wordpress.example/story")), encoding="utf-8")
    (folder / "clean.jsonl").write_text(json.dumps({"url": "https://clean.example/story", "title": "Clean\x08 copy\x1b",
                                                    "text": STORY}) + "\n", encoding="utf-8")
    (folder / "dump.txt").write_text("Dump\x08 title\n\n" + STORY.replace("Tuesday", "Wednesday") + "\n",
                                     encoding="utf-8")
    output = tmp_path / "out"
    assert run_newsbeam("--input", folder, "--output", output) == 0
    check_accounting(output)
    articles, duplicates = rows(output, "articles"), rows(output, "duplicates")
    titles = {row["title"] for row in articles + duplicates}
    assert "Breaking: Rutte meets Zelensky" in titles and "Clean copy" in titles
    assert all("\x08" not in title and "\x1b" not in title for title in titles)
    same = [row for row in duplicates if row["reason"] == "same_content"]
    assert len(same) == 1, duplicates
    assert "&#8217;" not in "".join(row["text"] for row in articles)
