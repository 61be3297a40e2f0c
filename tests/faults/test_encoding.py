"""Text that mixes UTF-8 with stray Windows-1252 bytes keeps both readings right, and a lone
surrogate (from a character reference such as &#55296;) never reaches a row: it becomes U+FFFD."""
from __future__ import annotations

from tests.conftest import check_accounting, rows, run_newsbeam
from newsbeam.transforms.parse.encoding import decode_bytes
from newsbeam.transforms.records import scrub_surrogates
from newsbeam.transforms.parse.feeds import parse_feed

TITLE = "Außenminister: „Wir stehen an der Seite der Ukraine“"
UTF8_PARAGRAPHS = [
    "Die Außenminister der NATO-Staaten haben in Brüssel über weitere Hilfe für die Ukraine beraten.",
    "Für das kommende Jahr sind „mindestens 40 Milliarden €“ an Militärhilfe im Gespräch, hieß es.",
    "Größere Lieferungen von Luftabwehrsystemen sollen noch vor dem Winter in Kiew ankommen.",
    "Die Gespräche über eine längerfristige Finanzierung werden im Frühjahr fortgesetzt.",
]
CP1252_PARAGRAPH = "Ergänzung der Redaktion: Österreich beteiligt sich mit 25 Mio. € – „humanitär“, wie es hieß."


def mixed_page() -> bytes:
    """A UTF-8 page whose title and one paragraph were pasted in from a Windows-1252 source."""
    head = '<html><head><meta charset="utf-8"><title>'.encode() + TITLE.encode("cp1252") + b"</title></head>"
    paragraphs = [p.encode("utf-8") for p in UTF8_PARAGRAPHS[:2]] + [CP1252_PARAGRAPH.encode("cp1252")] \
        + [p.encode("utf-8") for p in UTF8_PARAGRAPHS[2:]]
    body = b"<body><article><h1>" + TITLE.encode("utf-8") + b"</h1>" \
        + b"".join(b"<p>" + p + b"</p>" for p in paragraphs) + b"</article></body></html>"
    return head + body


def test_utf8_with_stray_cp1252_bytes_decodes_both_parts():
    text, encoding = decode_bytes(mixed_page())
    assert f"<title>{TITLE}</title>" in text and CP1252_PARAGRAPH in text
    assert all(p in text for p in UTF8_PARAGRAPHS) and encoding == "utf-8+cp1252"


def test_a_feed_mixing_utf8_and_cp1252_keeps_its_utf8():
    feed = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title><item><title>'
            ).encode() + TITLE.encode("cp1252") + b"</title><description>" \
        + " ".join(UTF8_PARAGRAPHS).encode("utf-8") + b"</description></item></channel></rss>"
    for content_type in (None, "text/xml", "application/rss+xml; charset=utf-8"):
        parsed = parse_feed(feed, "mixed", content_type=content_type)
        (doc,) = parsed.documents
        assert (doc.title, doc.body) == (TITLE, " ".join(UTF8_PARAGRAPHS)) and parsed.warning


def test_scrub_surrogates_replaces_only_lone_surrogates():
    assert scrub_surrogates("a\ud800b\udfffc \U0001F600 ü") == "a\ufffdb\ufffdc \U0001F600 ü"


def test_mixed_files_and_surrogate_references_end_as_right_rows(tmp_path):
    """Through the CLI: the mixed page's title and text, and a feed whose entry carries
    surrogate character references next to a good entry (the run used to crash)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "mixed.html").write_bytes(mixed_page())
    (inputs / "surrogates.rss").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        "<item><title>Kiew &#55296; meldet neue Angriffe</title><link>https://f.example/s</link>"
        "<description>Die Luftabwehr fing in der Nacht &#xDC00; die meisten Drohnen ab, teilte das Militär "
        "mit. Mehrere Gebäude wurden beschädigt, verletzt wurde niemand.</description></item>"
        "<item><title>NATO berät über Luftverteidigung</title><link>https://f.example/g</link>"
        "<description>Die Verteidigungsminister der Allianz wollen die Luftverteidigung der Ukraine "
        "weiter stärken, hieß es vor dem Treffen in Brüssel.</description></item>"
        "</channel></rss>", encoding="utf-8")
    output = tmp_path / "out"
    assert run_newsbeam("--input", inputs, "--output", output, "--min-text-chars", "50") == 0
    check_accounting(output)
    articles = {a["url"] or a["title"]: a for a in rows(output, "articles")}
    page = next(a for a in articles.values() if a["source"].endswith("mixed.html"))
    assert page["title"] == TITLE
    assert CP1252_PARAGRAPH in page["text"] and UTF8_PARAGRAPHS[1] in page["text"]
    assert articles["https://f.example/s"]["title"] == "Kiew \ufffd meldet neue Angriffe"
    assert "in der Nacht \ufffd die meisten Drohnen" in articles["https://f.example/s"]["text"]
    assert articles["https://f.example/g"]["title"] == "NATO berät über Luftverteidigung"
