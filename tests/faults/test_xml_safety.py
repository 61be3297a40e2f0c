"""Hostile XML in feeds: every entity declaration is refused by a real parser, at once and
whatever hides it from a byte scan, and no external DTD or entity is ever read; ordinary
RSS 2.0, Atom, RDF and RSS 0.91 with its Netscape DOCTYPE still parse."""
from __future__ import annotations

import time

import pytest

from tests.support.site import Site
from newsbeam.transforms.parse.feeds import FeedError, parse_feed

ITEM = "<item><title>{title}</title><link>https://f.example/a</link><description>{body}</description></item>"


def laughs(separator: str) -> str:
    """The billion-laughs declarations: lol9 expands to 10^9 'lol's."""
    declarations = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return separator.join(declarations)


def rss_with_dtd(subset: str, *, own_lines: bool, before_doctype: str = "", body: str = "&lol9;",
                 declaration: str = '<?xml version="1.0"?>') -> str:
    """An RSS 2.0 feed whose DOCTYPE carries ``subset``. On their own lines the declarations are
    what feedparser's regex sees; on the XML declaration's line it misses them, so only a parser
    can refuse them."""
    newline = "\n" if own_lines else ""
    return (f"{declaration}{newline}{before_doctype}<!DOCTYPE rss [{newline}{subset}{newline}]>\n"
            f'<rss version="2.0"><channel><title>t</title>{ITEM.format(title=body, body=body)}</channel></rss>')


def encoded(text: str, codec: str) -> bytes:
    return text.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>').encode(codec)


HOSTILE = {
    "billion-laughs": lambda own: rss_with_dtd(laughs("\n" if own else ""), own_lines=own).encode(),
    "comment-over-64KiB-before-doctype": lambda own: rss_with_dtd(
        laughs("\n" if own else ""), own_lines=own, before_doctype="<!--" + "x" * 70_000 + "-->").encode(),
    "bracket-in-a-dtd-comment": lambda own: rss_with_dtd(
        "<!-- ] -->" + laughs("\n" if own else ""), own_lines=own).encode(),
    "utf-16-with-bom": lambda own: rss_with_dtd(laughs("\n" if own else ""), own_lines=own).encode("utf-16"),
    "utf-16le-without-bom": lambda own: encoded(rss_with_dtd(laughs("\n" if own else ""), own_lines=own),
                                                "utf-16-le"),
    "utf-16be-without-bom": lambda own: encoded(rss_with_dtd(laughs("\n" if own else ""), own_lines=own),
                                                "utf-16-be"),
    "external-entity": lambda own: rss_with_dtd(
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">', own_lines=own, body="&xxe;").encode(),
    "parameter-entity": lambda own: rss_with_dtd(
        '<!ENTITY % pe SYSTEM "http://127.0.0.1:9/evil.dtd"> %pe;', own_lines=own, body="x").encode(),
    "one-large-entity-many-references": lambda own: rss_with_dtd(
        f'<!ENTITY big "{"A" * 50_000}">', own_lines=own, body="&big;" * 20_000).encode(),
    # after a parameter entity it does not read, expat ignores every later declaration
    "declaration-behind-an-undeclared-parameter-entity": lambda own: rss_with_dtd(
        f'%undeclared; <!ENTITY big "{"A" * 50_000}">', own_lines=own, body="&big;" * 20_000).encode(),
}
# feedparser keeps a declaration its regex finds, even inside a comment, and expands it
IN_A_COMMENT = ('<?xml version="1.0"?>\n<!DOCTYPE rss>\n<!--\n<!ENTITY big "' + "A" * 50_000 + '">\n-->\n'
                '<rss version="2.0"><channel><title>t</title>'
                + ITEM.format(title="t", body="&big;" * 20_000) + "</channel></rss>").encode()


@pytest.mark.parametrize("document", [
    pytest.param(make(own_lines), id=f"{name}-{'own-lines' if own_lines else 'one-line'}")
    for name, make in HOSTILE.items() for own_lines in (True, False)]
    + [pytest.param(IN_A_COMMENT, id="declaration-in-a-comment-after-a-plain-doctype")])
def test_entity_declarations_are_refused_at_once(document):
    started = time.monotonic()
    with pytest.raises(FeedError) as refused:
        parse_feed(document, "hostile")
    assert refused.value.kind == "unsafe_xml"
    assert time.monotonic() - started < 1  # refused before anything was expanded


def test_an_external_dtd_is_never_read(tmp_path):
    """A plain DOCTYPE may name an external DTD (RSS 0.91 does); nothing loads it, so the
    entities it would define stay undefined and their text appears nowhere."""
    dtd = '<!ENTITY secret "TOP-SECRET-FROM-THE-DTD">'
    local = tmp_path / "evil.dtd"
    local.write_text(dtd)
    with Site() as site:
        served = site.add("/evil.dtd", dtd)
        for system_id in (served, local.as_uri()):
            feed = (f'<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "{system_id}">\n<rss version="2.0"><channel>'
                    f'<title>t &secret;</title>{ITEM.format(title="a &secret; b", body="c &secret; d")}'
                    "</channel></rss>").encode()
            parsed = parse_feed(feed, "external-dtd")
            (doc,) = parsed.documents
            assert "TOP-SECRET" not in repr((doc, parsed.title))
        assert site.hits_of("/evil.dtd") == []


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><id>urn:x</id>
<entry><title>Atom entry</title><link href="https://f.example/atom"/><id>urn:x:1</id>
<updated>2025-09-02T10:00:00Z</updated><content type="html">&lt;p&gt;Atom body&lt;/p&gt;</content></entry></feed>"""
RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://f.example/"><title>RDF</title><link>https://f.example/</link></channel>
<item rdf:about="https://f.example/rdf"><title>RDF entry</title><link>https://f.example/rdf</link>
<description>RDF body</description></item></rdf:RDF>"""
RSS091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
 "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Netscape</title><link>https://f.example/</link><language>de</language>
<item><title>RSS 0.91 entry</title><link>https://f.example/091</link><description>Gr\xfc\xdfe</description></item>
</channel></rss>"""
RSS20 = b"""<?xml version="1.0" encoding="utf-8"?><!DOCTYPE rss [<!-- a DTD with only a comment -->]>
<rss version="2.0"><channel><title>RSS</title><link>https://f.example/</link>
<item><title>RSS 2.0 entry</title><link>https://f.example/20</link><description>RSS body</description></item>
</channel></rss>"""


@pytest.mark.parametrize("document, title, body", [
    (RSS20, "RSS 2.0 entry", "RSS body"),
    (ATOM, "Atom entry", "<p>Atom body</p>"),
    (RDF, "RDF entry", "RDF body"),
    (RSS091, "RSS 0.91 entry", "Grüße"),
    (RSS091.replace(b"ISO-8859-1", b"UTF-16").decode("latin-1").encode("utf-16"), "RSS 0.91 entry", "Grüße"),
], ids=["rss20-with-comment-only-dtd", "atom", "rdf", "rss091-netscape-doctype", "rss091-utf16"])
def test_ordinary_feeds_still_parse(document, title, body):
    (doc,) = parse_feed(document, "ordinary").documents
    assert (doc.title, doc.body) == (title, body)


def test_a_body_that_names_a_local_file_is_not_read(tmp_path):
    """feedparser opens its argument as a file when it can: a feed answering with a path
    made newsbeam read that file from the worker's disk."""
    secret = tmp_path / "secret.xml"
    secret.write_text('<rss version="2.0"><channel><title>SECRET</title>'
                      + ITEM.format(title="SECRET-ENTRY", body="read from the local disk") + "</channel></rss>")
    with pytest.raises(FeedError) as refused:
        parse_feed(str(secret).encode(), "https://evil.example/feed.xml")
    assert refused.value.kind == "not_a_feed" and "SECRET" not in str(refused.value)
