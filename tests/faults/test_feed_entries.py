"""One feed entry that cannot become a Document costs that entry only: it comes back as an
EntryFailure (locator, error_type, message, excerpt) and the feed's other entries still come out."""
from __future__ import annotations

import pytest

from newsbeam.transforms.parse import feeds
from newsbeam.transforms.parse.feeds import EntryFailure, parse_feed


def feed(*items: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
            + "".join(f"<item>{item}</item>" for item in items) + "</channel></rss>").encode()


def entry(n: int, extra: str = "") -> str:
    return (f"<title>Meldung {n}</title><link>https://f.example/{n}</link>"
            f"<description>Text der Meldung {n}{extra}</description>")


def test_an_entry_that_fails_is_that_entrys_failure_only(monkeypatch):
    """Fault injection: building entry 2's publication date raises, as any per-entry step might."""
    real = feeds.parse_timestamp

    def fails_for_2013(value):
        if getattr(value, "tm_year", None) == 2013:
            raise RuntimeError("injected fault for one entry")
        return real(value)

    monkeypatch.setattr(feeds, "parse_timestamp", fails_for_2013)
    parsed = parse_feed(feed(entry(1), entry(2, "</description><pubDate>Tue, 05 Mar 2013 10:00:00 GMT</pubDate>"
                                                "<description>Text der Meldung 2"), entry(3)), "f")
    assert [d.locator for d in parsed.documents] == ["entry 1", "entry 3"]
    assert [d.title for d in parsed.documents] == ["Meldung 1", "Meldung 3"]
    (failure,) = parsed.failures
    assert isinstance(failure, EntryFailure)
    assert (failure.locator, failure.error_type) == ("entry 2", "invalid_entry")
    assert failure.message == "entry 2: RuntimeError: injected fault for one entry"
    assert failure.excerpt.startswith("Meldung 2 | https://f.example/2 | Tue, 05 Mar 2013")


@pytest.mark.parametrize("reference", [
    "&#55296;", "&#xDFFF;", "&#1114112;", "&#x110000;", "&#99999999999999999999;",
    pytest.param("&#" + "9" * 5000 + ";", id="5000-digits")])
def test_character_references_that_name_no_character_become_u_fffd(reference):
    """They crashed feedparser itself (UnicodeEncodeError, ValueError, OverflowError), taking
    the whole feed with them; now the entry comes out with U+FFFD and so do its neighbours."""
    parsed = parse_feed(feed(entry(1), entry(2, f" {reference} Ende"), entry(3)), "f")
    assert [d.body for d in parsed.documents] == ["Text der Meldung 1", "Text der Meldung 2 \ufffd Ende",
                                                  "Text der Meldung 3"]
    assert parsed.failures == ()


def test_valid_character_references_are_untouched():
    parsed = parse_feed(feed(entry(1, " &#8222;Zitat&#8220; &#x1F600; &#00000065; &#128512;")), "f")
    assert parsed.documents[0].body == "Text der Meldung 1 „Zitat“ \U0001F600 A \U0001F600"
