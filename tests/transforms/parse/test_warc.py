"""WARC and ARC files read record by record: pages are items, other records are counted by
reason, and damage costs the damaged record only."""
import datetime as dt
import gzip
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsbeam.transforms.parse.warc import Capture, Failure, NotItem, read_records
from tests.support.warc_files import Warc, arc, http_response, page


def outcomes(data: bytes, max_bytes: int = 1 << 20, stream=None):
    return list(read_records(stream or io.BytesIO(data), max_bytes))


def summary(found):
    """(kind, offset, url or reason or error type) of each outcome."""
    return [("page", o.offset, o.url) if isinstance(o, Capture) else
            ("not", o.offset, o.reason) if isinstance(o, NotItem) else ("error", o.offset, o.error_type)
            for o in found]


def mixed(compress: bool) -> Warc:
    return (Warc(compress).warcinfo().request("https://a.example/1").response("https://a.example/1", page("One"))
            .metadata("https://a.example/1").response("https://a.example/logo.png", b"\x89PNG", content_type="image/png")
            .response("https://a.example/gone", page("Gone"), status="404 Not Found")
            .response("https://a.example/moved", b"", status="301 Moved Permanently")
            .revisit("https://a.example/1").resource("https://a.example/r", page("Resource"))
            .response("https://a.example/2", page("Two"), content_type=None)  # no type: sniffed as HTML
            .response("https://a.example/data", b"id;value\n1;2\n", content_type=None)
            .response("https://a.example/3", page("Three"), content_type="application/xhtml+xml; charset=utf-8"))


@pytest.mark.parametrize("compress", [True, False], ids=["gzip per record", "uncompressed"])
def test_only_http_200_html_responses_are_items_the_rest_is_counted_by_reason(compress):
    warc = mixed(compress)
    found = outcomes(warc.data)
    o = warc.offsets
    assert summary(found) == [
        ("not", o[0], "warcinfo"), ("not", o[1], "request"), ("page", o[2], "https://a.example/1"),
        ("not", o[3], "metadata"), ("not", o[4], "not_html"), ("not", o[5], "http_404"), ("not", o[6], "http_301"),
        ("not", o[7], "revisit"), ("not", o[8], "resource"), ("page", o[9], "https://a.example/2"),
        ("not", o[10], "not_html"), ("page", o[11], "https://a.example/3")]
    first = found[2]
    assert first.date == dt.datetime(2025, 6, 1, 10, tzinfo=dt.timezone.utc)
    assert first.payload == page("One") and found[11].charset == "utf-8"


@pytest.mark.parametrize("compress", [True, False], ids=["gzip per record", "uncompressed"])
def test_a_truncated_last_record_is_one_error_and_the_records_before_are_kept(compress):
    warc = Warc(compress).warcinfo()
    for n in range(4):
        warc.response(f"https://a.example/{n}", page(f"Page {n}", paragraphs=20))
    cut = warc.offsets[-1] + (len(warc.data) - warc.offsets[-1]) // 2
    found = outcomes(warc.data[:cut])
    assert summary(found) == [("not", 0, "warcinfo"), *(("page", warc.offsets[n + 1], f"https://a.example/{n}")
                                                         for n in range(3)), ("error", warc.offsets[-1], "damaged_record")]
    assert found[-1].stage == "read" and "to the end of the file" in found[-1].message


@pytest.mark.parametrize("compress", [True, False], ids=["gzip per record", "uncompressed"])
def test_a_corrupted_middle_record_is_one_error_and_the_rest_of_the_file_is_read(compress):
    warc = Warc(compress).warcinfo()
    for n in range(5):
        warc.response(f"https://a.example/{n}", page(f"Page {n}", paragraphs=20))
    data = bytearray(warc.data)
    o = warc.offsets
    if compress:  # bytes in the middle of the third page's gzip member
        middle = (o[3] + o[4]) // 2
        data[middle:middle + 16] = bytes(b ^ 0x5A for b in data[middle:middle + 16])
    else:  # a Content-Length that runs into the next record: its first digit made a 9
        digit = data.index(b"Content-Length: ", o[3]) + len(b"Content-Length: ")
        data[digit:digit + 1] = b"9"
    found = outcomes(bytes(data))
    assert summary(found) == [("not", 0, "warcinfo"), ("page", o[1], "https://a.example/0"),
                              ("page", o[2], "https://a.example/1"), ("error", o[3], "damaged_record"),
                              ("page", o[4], "https://a.example/3"), ("page", o[5], "https://a.example/4")]
    assert f"bytes {o[3]} to {o[4]} skipped" in found[3].message


def test_garbage_and_an_empty_stream():
    found = outcomes(b"<html>not an archive</html>\n" * 10)
    assert summary(found) == [("error", 0, "damaged_record")]
    assert outcomes(b"") == []


class ForwardOnly(io.RawIOBase):
    """An HTTP body: read() only."""

    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._data.read(min(len(buffer), 1000))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def test_a_stream_that_cannot_seek_is_read_and_resynchronised_forward():
    warc = Warc(True).warcinfo()
    for n in range(40):
        warc.response(f"https://a.example/{n}", page(f"Page {n}", paragraphs=20))
    data = bytearray(warc.data)
    middle = (warc.offsets[10] + warc.offsets[11]) // 2
    data[middle:middle + 16] = bytes(16)
    found = outcomes(b"", stream=ForwardOnly(bytes(data)))
    pages = [o.url for o in found if isinstance(o, Capture)]
    errors = [o for o in found if isinstance(o, Failure)]
    assert len(errors) == 1 and errors[0].offset == warc.offsets[10]
    assert pages[:9] == [f"https://a.example/{n}" for n in range(9)]
    assert pages[-20:] == [f"https://a.example/{n}" for n in range(20, 40)]  # reading went on


def test_a_page_over_the_cap_is_an_error_row_and_the_next_record_is_read():
    warc = (Warc(True).response("https://a.example/big", page("Big", paragraphs=200))
            .response("https://a.example/small", page("Small")))
    found = outcomes(warc.data, max_bytes=5_000)
    assert summary(found) == [("error", 0, "too_large"), ("page", warc.offsets[1], "https://a.example/small")]
    assert found[0].stage == "parse" and found[0].url == "https://a.example/big"


def test_content_encoding_and_chunked_transfer_are_decoded_with_the_cap_on_the_decoded_bytes():
    body = page("Encoded", paragraphs=5)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 100]), body[i:i + 100]) for i in range(0, len(body), 100))
    warc = (Warc(True).response("https://a.example/gz", gzip.compress(body), headers=(("Content-Encoding", "gzip"),))
            .response("https://a.example/chunked", chunked + b"0\r\n\r\n", headers=(("Transfer-Encoding", "chunked"),))
            .response("https://a.example/bomb", gzip.compress(b"<html>" + b" " * 3_000_000),
                      headers=(("Content-Encoding", "gzip"),)))
    found = outcomes(warc.data, max_bytes=1_000_000)
    assert [o.payload for o in found[:2]] == [body, body]
    assert (found[2].error_type, len(found[2].excerpt)) == ("too_large", 300)


@pytest.mark.parametrize("compress", [True, False], ids=["arc.gz", "arc"])
def test_arc_files_are_read_with_the_url_and_date_of_their_headers(compress):
    data = arc([("http://a.example/1", http_response(page("Arc one"))),
                ("http://a.example/x.png", http_response(b"\x89PNG", content_type="image/png")),
                ("http://a.example/404", http_response(page("Gone"), status="404 Not Found")),
                ("dns:a.example", b"192.0.2.1")], compress)
    found = outcomes(data)
    assert [s[0::2] for s in summary(found)] == [("not", "warcinfo"), ("page", "http://a.example/1"),
                                                 ("not", "not_html"), ("not", "http_404"), ("not", "not_http")]
    assert found[1].date == dt.datetime(2025, 6, 1, 10, tzinfo=dt.timezone.utc)
    assert found[1].payload == page("Arc one")


@st.composite
def damaged_archives(draw):
    """(bytes, the (offset, url) of every page record the damage left whole, whether ARC)."""
    kind, compress = draw(st.sampled_from(["warc", "arc"])), draw(st.booleans())
    sizes = draw(st.lists(st.integers(1, 8), min_size=2, max_size=6))
    urls = [f"https://a.example/{i}" for i in range(len(sizes))]
    if kind == "warc":
        warc = Warc(compress).warcinfo()
        for url, size in zip(urls, sizes):
            warc.response(url, page(url, paragraphs=size))
        data, starts = warc.data, warc.offsets + [len(warc.data)]
    else:
        records = [(url, http_response(page(url, paragraphs=size))) for url, size in zip(urls, sizes)]
        data = arc(records, compress)
        starts = [0] + [len(arc(records[:n], compress)) for n in range(len(records) + 1)]
    at = draw(st.integers(0, len(data) - 1))
    action = draw(st.sampled_from(["flip", "cut", "delete", "insert", "zero"]))
    size = draw(st.integers(1, 30))
    if action == "flip":
        changed = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1:]
        size = 1
    elif action == "cut":
        changed, size = data[:at], len(data)
    elif action == "delete":
        changed = data[:at] + data[at + size:]
    elif action == "insert":
        changed = data[:at] + draw(st.binary(min_size=size, max_size=size)) + data[at:]
    else:
        changed = data[:at] + bytes(len(data[at:at + size])) + data[at + size:]
    shift = {"delete": -size, "insert": size}.get(action, 0)
    whole = set()
    for url, start, end in zip(urls, starts[1:], starts[2:]):
        if end + 4 < at:  # before the damage (4: the blank lines after a record)
            whole.add((start, url))
        elif action != "cut" and start > at + size + 4:
            whole.add((start + shift, url))
    return changed, whole, kind == "arc"


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(damaged_archives())
def test_damage_costs_only_the_records_it_touches(example):
    data, whole, is_arc = example
    found = list(read_records(io.BytesIO(data), 1 << 20, is_arc))
    assert whole <= {(o.offset, o.url) for o in found if isinstance(o, Capture)}
    offsets = [o.offset for o in found]
    assert offsets == sorted(offsets)
    # a stream that cannot seek never fails either, and keeps what came before the damage
    damaged = min([o.offset for o in found if isinstance(o, Failure)] or [len(data)])
    forward = list(read_records(ForwardOnly(data), 1 << 20, is_arc))
    assert {(o.offset, o.url) for o in found if isinstance(o, Capture) and o.offset < damaged} <= \
        {(o.offset, o.url) for o in forward if isinstance(o, Capture)}
