"""Feed parsing shared by saved and live feeds."""
import time

import pytest

from tests.transforms.read.test_feeds import BOMB
from tests.transforms.parse.test_documents import RSS
from newsbeam.transforms.parse.feeds import FeedError, parse_feed


def test_whitespace_before_the_xml_declaration_is_not_a_malformed_feed():
    parsed = parse_feed(b"\r\n\n   " + RSS, "https://feed.example/rss")
    assert parsed.warning is None and len(parsed.documents) == 2


def test_entity_bomb_is_refused_at_once():
    started = time.monotonic()
    with pytest.raises(FeedError) as excinfo:
        parse_feed(BOMB, "bomb")
    assert excinfo.value.kind == "unsafe_xml" and time.monotonic() - started < 1


def test_entry_text_sources_in_order():
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><title>a</title><link href="https://f.example/a"/><content type="html">&lt;p&gt;Full&lt;/p&gt;</content>
      <summary>Short</summary></entry>
      <entry><title>b</title><link href="https://f.example/b"/><summary>Only a summary</summary></entry></feed>"""
    first, second = parse_feed(atom, "atom").documents
    assert (first.text_source, first.body) == ("feed_content", "<p>Full</p>")
    assert [(a[0], a[2]) for a in first.alternatives] == [("feed_summary", "Short")]
    assert (second.text_source, second.body, second.alternatives) == ("feed_summary", "Only a summary", ())
