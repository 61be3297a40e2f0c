"""Feed documents (RSS 0.9x/1.0/2.0, Atom, RDF, and JSON Feed through jsonfeed.py) to one
Document per entry.

Used for saved feed files and for feeds fetched over HTTP alike; JSON and XML are told
apart by the document's first character, whatever its name or media type. Titles and
text are read as a reader sees them (transforms/parse/html_text.py): character
references decoded and markup dropped also where a feed escaped them once more than it
declares, control characters removed.

A feed that feedparser flags as malformed but that still yields entries keeps
them, with the reason returned as a warning; one that yields no entry is an
error. An entry whose Document cannot be built becomes an EntryFailure, and the
feed's other entries still come out.

Untrusted XML: the document is decoded to UTF-8 once, by feedparser's own
rules, and that one text is both checked and parsed. The check reads the
prolog with defusedxml's expat parser set to refuse every entity declaration
(general or parameter, internal or external), and also reads the two forms
feedparser derives from the prolog (the DOCTYPE it rewrites for its strict
parser and the entities it keeps for its loose parser), so neither of
feedparser's parsers ever sees a declared entity. A DOCTYPE that only names
an external DTD (RSS 0.91's Netscape DOCTYPE) is accepted: no parser here
loads external DTDs or entities.

feedparser's HTML sanitizer and relative-URI resolver are off. newsbeam turns
entry HTML into text itself (transforms/parse/html_text.py drops scripts and styles),
and those sgmllib passes cost 3-100x the parse time and re-emitted the rest of
an entry at every malformed DOCTYPE inside it: 12 MB of feed became an 86 MB
body and a 2.8 GB run.
"""
from __future__ import annotations

import codecs
import io
import re
import xml.sax
import xml.sax.handler
from typing import Optional

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.expatreader import create_parser
from feedparser.encodings import RE_XML_DECLARATION, convert_to_utf8
from feedparser.exceptions import CharacterEncodingOverride
from feedparser.sanitizer import replace_doctype

from newsbeam.transforms.parse.feed_results import EntryFailure, FeedError, ParsedFeed, body_format
from newsbeam.transforms.parse.feed_results import message as _message
from newsbeam.transforms.parse.jsonfeed import is_json, parse_json_feed
from newsbeam.transforms.parse.encoding import BOMS, decode_utf8_with_cp1252, mostly_utf8
from newsbeam.transforms.parse.fields import language_code, text_or_none
from newsbeam.transforms.parse.html_text import title_to_text
from newsbeam.transforms.parse.timestamps import parse_timestamp
from newsbeam.transforms.records import EXCERPT_CHARS, Document, scrub_surrogates

_WIDE_BOMS = tuple((bom, codec) for bom, codec in BOMS if codec != "utf-8-sig")  # UTF-32 before UTF-16
_UTF8_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>"
_CHUNK = 1 << 16
# Character references to numbers that are not Unicode scalar values (surrogates,
# beyond U+10FFFF) crash feedparser's loose parser; only long ones can be such.
_LONG_CHARREF = re.compile(rb"&#([0-9]{5,}|[xX][0-9a-fA-F]{4,});")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def parse_feed(data: bytes, source: str, source_type: str = "feed", outlet: Optional[str] = None,
               language: Optional[str] = None, content_type: Optional[str] = None) -> ParsedFeed:
    """Entries of the feed in ``data`` (XML or JSON Feed, told apart by content); raises FeedError
    when there are none or it is unsafe."""
    if is_json(data):
        return parse_json_feed(data, source, source_type, outlet, language)
    parsed, warning = _read(data, content_type)
    if not parsed.entries:
        kind = "not_a_feed" if warning or not parsed.get("version") else "no_entries"
        raise FeedError(kind, f"feed: {warning or 'the document has no entries'}")
    feed = parsed.get("feed", {})
    feed_language = language_code(language or feed.get("language"))
    documents, failures = [], []
    for number, entry in enumerate(parsed.entries, 1):
        locator = f"entry {number}"
        try:
            documents.append(_document(entry, locator, source, source_type, outlet, feed_language))
        except Exception as exc:  # noqa: BLE001 - one bad entry must not take its feed with it
            failures.append(EntryFailure(locator, "invalid_entry", _message(f"{locator}: {type(exc).__name__}: {exc}"),
                                         _excerpt(entry)))
    title = _title(feed)
    return ParsedFeed(tuple(documents), warning, title and scrub_surrogates(title), feed_language, tuple(failures))


def _read(data: bytes, content_type: Optional[str]):
    """feedparser's result for a document that declares no entity, and the warning to report."""
    if not data.startswith(tuple(bom for bom, _ in BOMS)):
        data = data.lstrip()  # whitespace before <?xml is common and harmless
    document, warning = _utf8_document(data, content_type)
    _refuse_entities(document)
    try:
        # a file object: feedparser reads a bytes or str argument as a path or URL when it can
        parsed = feedparser.parse(io.BytesIO(document), sanitize_html=False, resolve_relative_uris=False)
    except Exception as exc:  # noqa: BLE001 - a feed that breaks the parser is that feed's error only
        raise FeedError("parser_crashed", _message(f"feedparser failed: {type(exc).__name__}: {exc}")) from None
    if parsed.get("bozo"):
        warning = _message(str(parsed.get("bozo_exception")))
    return parsed, warning


def _utf8_document(data: bytes, content_type: Optional[str]) -> tuple[bytes, Optional[str]]:
    """The document in UTF-8 (its XML declaration saying so), and feedparser's complaint
    about its encoding or media type, if any.

    It is decoded the way feedparser decodes (RFC 3023: HTTP charset, byte-order mark,
    XML declaration, then UTF-8 and Windows-1252), with two exceptions. A UTF-16 or
    UTF-32 byte-order mark settles the encoding: feedparser lets a declaration without
    an encoding override it, and reads the document as UTF-8 full of NUL characters.
    And a document that is UTF-8 but for a few stray bytes keeps its UTF-8, with only
    the strays read as Windows-1252, where feedparser reads it all as Windows-1252."""
    codec = next((codec for bom, codec in _WIDE_BOMS if data.startswith(bom)), None)
    if codec:
        document, warning = _declared_utf8(data.decode(codec, errors="replace")), None
    else:
        result: dict = {}
        document = convert_to_utf8({"content-type": content_type} if content_type else {}, data, result)
        exception = result.get("bozo_exception")
        warning = _message(str(exception)) if result.get("bozo") else None
        # feedparser falls back to Windows-1252 only after UTF-8 failed
        if result.get("encoding") == "windows-1252" and isinstance(exception, CharacterEncodingOverride) \
                and mostly_utf8(data):
            document = _declared_utf8(decode_utf8_with_cp1252(data.removeprefix(codecs.BOM_UTF8)))
            warning = "not valid UTF-8: the few bytes that are not were read as Windows-1252"
    return _LONG_CHARREF.sub(_scalar_charref, document), warning


def _declared_utf8(text: str) -> bytes:
    """``text`` as UTF-8 bytes whose XML declaration says UTF-8, as feedparser writes them."""
    text = text.lstrip("\ufeff").lstrip()
    if RE_XML_DECLARATION.search(text):
        return RE_XML_DECLARATION.sub(_UTF8_DECLARATION, text, count=1).encode("utf-8")
    return f"{_UTF8_DECLARATION}\n{text}".encode("utf-8")


def _scalar_charref(match: re.Match) -> bytes:
    """The character reference unchanged when it names a Unicode scalar value, else U+FFFD's."""
    digits = match.group(1)
    hexadecimal = digits[:1] in (b"x", b"X")
    digits = (digits[1:] if hexadecimal else digits).lstrip(b"0") or b"0"
    if len(digits) <= 7:
        value = int(digits, 16 if hexadecimal else 10)
        if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
            return match.group(0)
    return b"&#xFFFD;"


def _refuse_entities(document: bytes) -> None:
    """FeedError('unsafe_xml') when the document declares XML entities.

    feedparser's strict parser reads the document with its DOCTYPE rewritten, and its
    loose parser expands the entity declarations it kept: all three are checked."""
    _, rewritten, kept = replace_doctype(document)
    if kept:
        raise FeedError("unsafe_xml", _message(
            f"the document declares XML entities ({', '.join(sorted(kept))}); refused, as entity expansion "
            "can cost unbounded memory and time"))
    _check_prolog(document)
    if rewritten != document:
        _check_prolog(rewritten)


class _RootReached(Exception):
    """The prolog is over: no DTD, and so no entity declaration, can follow."""


class _ParameterEntityReference(Exception):
    """The DTD refers to a parameter entity it does not declare (one declared is refused
    already). No parser here loads it, but after it expat ignores every later declaration,
    so this check could not see them."""


class _UntilRoot(xml.sax.handler.ContentHandler):
    def startElement(self, name, attrs):
        raise _RootReached

    def startElementNS(self, name, qname, attrs):
        raise _RootReached

    def skippedEntity(self, name):
        if name.startswith("%"):
            raise _ParameterEntityReference(name)


def _check_prolog(document: bytes) -> None:
    """Read the prolog (everything before the root element) with a parser that refuses
    entity declarations; raise FeedError('unsafe_xml') if it declares any."""
    parser = create_parser(forbid_dtd=False, forbid_entities=True, forbid_external=False)
    parser.setFeature(xml.sax.handler.feature_namespaces, True)  # as feedparser's strict parser
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setFeature(xml.sax.handler.feature_external_pes, False)
    parser.setContentHandler(_UntilRoot())
    try:
        for start in range(0, len(document), _CHUNK):
            parser.feed(document[start:start + _CHUNK])
        parser.close()
    except _RootReached:
        pass
    except DefusedXmlException as exc:
        raise FeedError("unsafe_xml", _message(
            f"the document declares XML entities ({exc}); refused, as entity expansion "
            "can cost unbounded memory and time")) from None
    except _ParameterEntityReference as exc:
        raise FeedError("unsafe_xml", _message(
            f"the document's DTD refers to the undeclared parameter entity {exc}")) from None
    except xml.sax.SAXException:
        # Not well-formed before its root. feedparser's strict parser reads the rewritten
        # document (also checked here: its conversion of our UTF-8 is the identity, for
        # all 2,233 feeds of its own test corpus) and stops where this check stopped; its
        # loose parser expands only the entities replace_doctype kept, which are refused.
        pass


def _document(entry, locator: str, source: str, source_type: str, outlet: Optional[str],
              language: Optional[str]) -> Document:
    """The entry as a Document: its content, else its summary, with the other as a fallback."""
    alternatives = []
    content = next((item for item in entry.get("content") or [] if item.get("value")), None)
    if content:
        alternatives.append(("feed_content", body_format(content.get("type"), content["value"]), content["value"]))
    summary = entry.get("summary")
    # feedparser copies the content into a missing summary: no second try with the same text
    if summary and not (content and summary == content["value"]):
        alternatives.append(("feed_summary", body_format(entry.get("summary_detail", {}).get("type"), summary),
                             summary))
    text_source, fmt, body = alternatives[0] if alternatives else ("feed_summary", "html", "")
    return Document(
        source=source, source_type=source_type, locator=locator, body=body, body_format=fmt,
        text_source=text_source, alternatives=tuple(alternatives[1:]), url=text_or_none(entry.get("link")),
        title=_title(entry), author=title_to_text(entry.get("author")), published_at=_published(entry),
        outlet=outlet, language=language)


def _title(entry) -> Optional[str]:
    """The entry's (or feed's) title as plain text on one line: markup, scripts and control
    characters dropped, character references decoded, also where it is declared plain text
    but escaped once more than that (``&lt;b&gt;Breaking:&lt;/b&gt;``)."""
    return title_to_text(entry.get("title"), entry.get("title_detail", {}).get("type") in _HTML_TYPES)


def _published(entry):
    return parse_timestamp(entry.get("published_parsed") or entry.get("updated_parsed"))


def _excerpt(entry) -> str:
    """What identifies a failed entry to a reader: title, link, date and the start of its text."""
    fields = [entry.get(key) for key in ("title", "link", "published", "updated", "summary")]
    return scrub_surrogates(" | ".join(str(f) for f in fields if f)[:EXCERPT_CHARS])
