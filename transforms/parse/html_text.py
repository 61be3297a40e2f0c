"""Plain text from an HTML fragment such as a feed entry's content or title, as a reader sees it.

trafilatura is built for whole pages and gives up on the short fragments feeds
carry; this keeps their paragraph breaks and drops scripts and styles.

Feeds escape their HTML once more or once less than they declare: a WordPress
excerpt arrives as ``Ukraine&#8217;s bid &amp; the ministers&#8217; dinner [&#8230;]``
(no markup, character references only), titles as ``&lt;b&gt;Breaking:&lt;/b&gt;``
inside a title declared as text, or escaped twice (``&amp;#8217;``). The text a
reader sees has none of that: character references are decoded (one level more
than declared, where one is left over), markup is dropped, and control characters
are removed, so that a copy of a story from such a feed has the same text and
content hash as a clean copy.
"""
from __future__ import annotations

import html
import re
from typing import Optional

import lxml.html
from lxml import etree
from lxml.html import defs

from newsbeam.transforms.parse.fields import line_or_none, without_controls

_BLOCKS = ("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
           "blockquote", "pre", "table", "tr", "section", "article", "figure", "figcaption", "hr")
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "svg", "form")
# A character reference: decimal, hexadecimal or named, with its semicolon.
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# An HTML start or end tag (of an element HTML has) or a comment.
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>|<!--")


def _is_tag(match: re.Match) -> bool:
    return match.group(1) is None or match.group(1).lower() in defs.tags


def has_markup(text: str) -> bool:
    """Whether ``text`` holds an HTML tag or a character reference, i.e. needs decoding to be read."""
    return bool(_REFERENCE.search(text)) or any(_is_tag(m) for m in _TAG.finditer(text))


def _has_tags(text: str) -> bool:
    return "<" in text and any(_is_tag(m) for m in _TAG.finditer(text))


def _leftover_references(text: str) -> str:
    """Character references still in decoded text (the fragment was escaped twice), decoded."""
    return _REFERENCE.sub(lambda m: html.unescape(m.group(0)), text) if "&" in text else text


def fragment_to_text(fragment: str) -> str:
    """Text of ``fragment``, one line per block element, character references decoded."""
    if "<" not in fragment:
        unescaped = html.unescape(fragment)  # no markup, but character references still mean characters
        if not _has_tags(unescaped):
            return without_controls(_leftover_references(unescaped)).strip()
        fragment = unescaped  # markup escaped once more than declared (&lt;p&gt;...)
    try:
        root = lxml.html.fragment_fromstring(without_controls(fragment), create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    for element in list(root.iter(*_DROP)):
        element.drop_tree()
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
        if element.tag in ("br", "hr"):
            continue
        element.text = "\n" + (element.text or "")
    lines = (" ".join(line.split()) for line in _leftover_references(root.text_content()).splitlines())
    return "\n".join(line for line in lines if line)


def title_to_text(title: object, markup: bool = False) -> Optional[str]:
    """A title (or an author's name) on one line as a reader sees it: markup dropped and character
    references decoded when it is declared HTML (``markup``) or holds them anyway, control
    characters removed; None when nothing is left."""
    if not isinstance(title, str):
        return None
    if markup or has_markup(title):
        title = fragment_to_text(title)
    return line_or_none(title)
