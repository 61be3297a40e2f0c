"""Input files as byte streams, so that no file has to fit in memory.

Files are opened through Beam's FileSystems (local, ``gs://``, ``s3://`` alike) and
gunzipped as they are read. Beam's own gzip reader is not used: it ends quietly
where a cut-off file ends, and a truncated export must be told from a complete one.
"""
from __future__ import annotations

import io
import zlib
from typing import BinaryIO

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

CHUNK = 1 << 20


class TruncatedGzip(EOFError):
    """The gzip stream ends inside a member: the file was cut off."""


class GunzipReader(io.RawIOBase):
    """The decompressed bytes of a gzip stream, read as they are needed: every member in
    turn (NUL padding between members is allowed, as gzip(1) allows it). A stream that ends
    inside a member raises :class:`TruncatedGzip`, one that is not gzip ``zlib.error``."""

    def __init__(self, raw: BinaryIO):
        super().__init__()
        self._raw = raw
        self._inflater = None  # the member being decompressed; None between members
        self._input = b""      # compressed bytes read but not yet decompressed
        self._output = b""     # decompressed bytes not yet returned

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._output:
            if not self._input:
                self._input = self._raw.read(CHUNK)
                if not self._input:
                    if self._inflater is not None:
                        raise TruncatedGzip("truncated gzip stream: the file ends inside a compressed member")
                    return 0
            if self._inflater is None:
                self._input = self._input.lstrip(b"\x00")
                if not self._input:
                    continue
                self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            self._output = self._inflater.decompress(self._input, CHUNK)
            if self._inflater.eof:
                self._input, self._inflater = self._inflater.unused_data, None
            else:
                self._input = self._inflater.unconsumed_tail
        size = min(len(buffer), len(self._output))
        buffer[:size] = self._output[:size]
        self._output = self._output[size:]
        return size

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _Counted(io.RawIOBase):
    """A storage handle that counts the bytes read from it."""

    def __init__(self, raw: BinaryIO):
        super().__init__()
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        buffer[:len(data)] = data
        self.count += len(data)
        return len(data)

    def seekable(self) -> bool:
        return self._raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class InputStream(io.BufferedReader):
    """A buffered stream of an input file's bytes, decompressed as they are read when the file
    is gzipped; ``stored_bytes`` says how many bytes it took from storage."""

    def __init__(self, raw: BinaryIO, gunzip: bool = False):
        self._counted = _Counted(raw)
        super().__init__(GunzipReader(self._counted) if gunzip else self._counted, CHUNK)

    @property
    def stored_bytes(self) -> int:
        return self._counted.count


def open_input(path: str, gunzip: bool = False) -> InputStream:
    """A file's bytes as a stream through Beam's FileSystems (local, gs://, s3://), gunzipped as
    they are read when ``gunzip``; close it after use."""
    return InputStream(FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED), gunzip)


def gunzip_capped(data: bytes, limit: int) -> bytes | None:
    """Every member of gzip ``data`` decompressed; None when the output would pass ``limit``
    (a gzip bomb stops there)."""
    with io.BufferedReader(GunzipReader(io.BytesIO(data)), CHUNK) as stream:
        out = stream.read(limit + 1)
    return None if len(out) > limit else out
