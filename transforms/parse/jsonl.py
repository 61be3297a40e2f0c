"""A JSONL file as numbered lines of text, read as a stream with a cap per line.

A file of any size is read one line at a time: memory holds one line of at most
``max_bytes`` bytes, and a longer line is never held whole: it is read on in
chunks, discarded, and reported with its first bytes. Lines end at ``\\n`` (a
``\\r`` before it is JSON whitespace), so U+2028 and other Unicode line breaks,
legal inside JSON strings, stay inside their record. Each line is decoded on its
own: UTF-8 (RFC 8259), with stray Windows-1252 bytes read as such; a file that
starts with a UTF-16 or UTF-32 byte-order mark is read in that encoding.
"""
from __future__ import annotations

import codecs
import io
import zlib
from typing import BinaryIO, Iterator, NamedTuple, Optional

from newsbeam.transforms.names import STAGE_DECODE, STAGE_PARSE, STAGE_READ
from newsbeam.transforms.parse.encoding import BOMS, decode_utf8_with_cp1252, looks_binary
from newsbeam.transforms.records import EXCERPT_CHARS

_CHUNK = 1 << 20
_WIDE_BOMS = tuple((bom, name) for bom, name in BOMS if name != "utf-8-sig")


class Line(NamedTuple):
    """A non-blank line (``text``), or what kept a line or the rest of the file from being
    read (``problem``: stage, error type, message; ``text`` is then None)."""
    number: int  # 1-based; 0 for a problem with the whole file
    text: Optional[str]
    problem: Optional[tuple] = None
    excerpt: bytes = b""


class _Transcoder(io.RawIOBase):
    """A UTF-16 or UTF-32 stream re-encoded as UTF-8, so that its lines split on ``\\n`` bytes."""

    def __init__(self, stream: BinaryIO, encoding: str):
        super().__init__()
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")
        self._output = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._output and not self._done:
            data = self._stream.read(_CHUNK)
            self._done = not data
            self._output = self._decoder.decode(data, final=self._done).encode("utf-8", "surrogatepass")
        size = min(len(buffer), len(self._output))
        buffer[:size] = self._output[:size]
        self._output = self._output[size:]
        return size


def _text_stream(stream: BinaryIO) -> tuple[BinaryIO, Optional[tuple]]:
    """(a stream of UTF-8-compatible bytes, or the problem that the file is not text)."""
    head = stream.peek(8192)[:8192] if hasattr(stream, "peek") else b""
    for bom, name in _WIDE_BOMS:
        if head.startswith(bom):
            return io.BufferedReader(_Transcoder(stream, name), _CHUNK), None
    if looks_binary(head):
        return stream, (STAGE_DECODE, "undecodable", "binary content (NUL or control bytes), not JSON lines")
    return stream, None


def decode_line(data: bytes) -> str:
    """A line's bytes as text: UTF-8, with any byte that is not part of UTF-8 read as Windows-1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_utf8_with_cp1252(data)


def numbered_lines(stream: BinaryIO, max_bytes: int) -> Iterator[Line]:
    """Every non-blank line of ``stream`` with its number; a line longer than ``max_bytes`` (its
    newline not counted) as a ``too_large`` problem; a read failure (a truncated gzip stream, a
    storage error) as a last ``unreadable`` problem, after the lines before it."""
    number = 0
    try:
        stream, problem = _text_stream(stream)
        if problem:
            yield Line(0, None, problem, stream.peek(EXCERPT_CHARS)[:EXCERPT_CHARS])
            return
        while True:
            chunk = stream.readline(max_bytes + 1)
            if not chunk:
                return
            number += 1
            if chunk.endswith(b"\n") or len(chunk) <= max_bytes:
                if number == 1 and chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[len(codecs.BOM_UTF8):]
                if chunk.strip():
                    yield Line(number, decode_line(chunk.rstrip(b"\r\n")))
                continue
            excerpt = chunk[:EXCERPT_CHARS]
            while not chunk.endswith(b"\n"):  # the rest of the long line, read and dropped
                chunk = stream.readline(_CHUNK)
                if not chunk:
                    break
            yield Line(number, None, (STAGE_PARSE, "too_large",
                                      f"line {number}: record larger than max_item_bytes={max_bytes}"), excerpt)
    except (OSError, EOFError, zlib.error) as exc:
        where = f"line {number + 1} and after: " if number else ""
        yield Line(number + 1 if number else 0, None,
                   (STAGE_READ, "unreadable", f"{where}{type(exc).__name__}: {exc}"))
