"""JSONL files as numbered lines: streamed, one line in memory, a cap per line, decoded per line."""
import codecs
import gzip
import io
import json

from newsbeam.transforms.parse.jsonl import numbered_lines
from newsbeam.transforms.read.streams import InputStream


def lines(data: bytes, cap: int = 1000, gunzip: bool = False):
    return list(numbered_lines(InputStream(io.BytesIO(data), gunzip), cap))


def test_a_line_over_the_cap_mid_file_is_one_problem_and_the_next_lines_are_read():
    data = b'{"a": 1}\n\n{"b": "' + b"x" * 5000 + b'"}\r\n{"c": 3}\r\n' + b"y" * 1000 + b"\n" + b"z" * 1000
    found = lines(data, cap=1000)
    assert [(line.number, line.text, line.problem and line.problem[:2]) for line in found] == [
        (1, '{"a": 1}', None), (3, None, ("parse", "too_large")), (4, '{"c": 3}', None),
        (5, "y" * 1000, None), (6, "z" * 1000, None)]  # exactly the cap, with or without a newline, is fine
    assert found[1].excerpt == (b'{"b": "' + b"x" * 5000)[:300] and "line 3" in found[1].problem[2]


def test_unicode_line_breaks_inside_strings_stay_in_their_record():
    record = {"title": "Zwei\u2028Zeilen", "text": "Absatz\u2029Absatz\x85Ende\x0c"}
    data = (json.dumps(record, ensure_ascii=False) + "\n" + json.dumps({"n": 2}) + "\n").encode()
    assert [(line.number, json.loads(line.text)) for line in lines(data)] == [(1, record), (2, {"n": 2})]


def test_each_line_is_utf8_with_stray_windows_1252_bytes_read_as_such():
    data = codecs.BOM_UTF8 + '{"t": "Grüße"}\n'.encode() + '{"t": "Köln – Kiew"}\n'.encode("cp1252") + \
        '{"t": "€ 5 für Müller'.encode() + b"\x96" + b'"}\n'
    assert [line.text for line in lines(data)] == ['{"t": "Grüße"}', '{"t": "Köln – Kiew"}',
                                                   '{"t": "€ 5 für Müller–"}']


def test_a_utf16_file_with_a_byte_order_mark_is_read_in_utf16():
    text = '{"t": "Grüße"}\r\n{"t": "Київ"}\r\n'
    for encoding in ("utf-16", "utf-32"):
        assert [line.text for line in lines(text.encode(encoding))] == ['{"t": "Grüße"}', '{"t": "Київ"}']


def test_binary_content_is_one_problem_for_the_whole_file():
    (line,) = lines(bytes(range(256)) * 40)
    assert (line.number, line.problem[:2]) == (0, ("decode", "undecodable"))


def test_gzip_streams_and_a_cut_off_gzip_stream_keeps_the_lines_before_it():
    data = gzip.compress(b"".join(b'{"n": %d, "pad": "%s"}\n' % (n, b"p" * 200) for n in range(2000)))
    assert len(lines(data, gunzip=True)) == 2000
    found = lines(data[:len(data) // 2], gunzip=True)
    *good, last = found
    assert [line.number for line in good] == list(range(1, len(good) + 1)) and len(good) > 100
    assert (last.number, last.problem[:2]) == (len(good) + 1, ("read", "unreadable"))
    assert "TruncatedGzip" in last.problem[2]
    (only,) = lines(b"not gzip at all\n", gunzip=True)
    assert (only.number, only.problem[:2]) == (0, ("read", "unreadable"))
