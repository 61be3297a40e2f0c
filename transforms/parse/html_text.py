"""Plain text from an HTML fragment such as a feed entry's content.

trafilatura is built for whole pages and gives up on the short fragments feeds
carry; this keeps their paragraph breaks and drops scripts and styles.
"""
from __future__ import annotations

import html

import lxml.html
from lxml import etree

_BLOCKS = ("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
           "blockquote", "pre", "table", "tr", "section", "article", "figure", "figcaption", "hr")
_DROP = ("script", "style", "noscript", "template", "iframe", "object", "svg", "form")


def fragment_to_text(fragment: str) -> str:
    """Text of ``fragment``, one line per block element."""
    if "<" not in fragment:
        return html.unescape(fragment).strip()  # no markup, but character references still mean characters
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    for element in list(root.iter(*_DROP)):
        element.drop_tree()
    for element in root.iter(*_BLOCKS):
        element.tail = "\n" + (element.tail or "")
        if element.tag in ("br", "hr"):
            continue
        element.text = "\n" + (element.text or "")
    lines = (" ".join(line.split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)
