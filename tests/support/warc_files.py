"""WARC and ARC files that tests write themselves: warcio writes the WARC records, ARC
records are written by hand (warcio reads ARC but does not write it)."""
from __future__ import annotations

import gzip
import io

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.support.site import article_page

DATE = "2025-06-01T10:00:00Z"
TEXT = ("NATO foreign ministers met in Brussels to discuss Ukraine's membership bid and air defence. "
        "Die Nato und die Ukraine beraten über den Beitritt und die Luftverteidigung. ")


def page(title: str, published: str = "", paragraphs: int = 3) -> bytes:
    return article_page(title, [f"{TEXT} {title} {i}." for i in range(paragraphs)], published).encode()


class Warc:
    """Records appended one by one; ``offsets`` holds where each one starts in ``data``. The same
    calls always write the same bytes (record ids are numbered, dates given)."""

    def __init__(self, gzip: bool = True):
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=gzip)
        self.offsets: list[int] = []

    def _headers(self, date: str = DATE) -> dict:
        return {"WARC-Record-ID": f"<urn:uuid:00000000-0000-4000-8000-{len(self.offsets):012d}>", "WARC-Date": date}

    def _add(self, record) -> "Warc":
        self.offsets.append(self._buffer.tell())
        self._writer.write_record(record)
        return self

    def warcinfo(self) -> "Warc":
        return self._add(self._writer.create_warc_record("", "warcinfo", payload=io.BytesIO(b"software: tests\r\n"),
                                                         warc_content_type="application/warc-fields",
                                                         warc_headers_dict=self._headers()))

    def request(self, url: str) -> "Warc":
        headers = StatusAndHeaders("GET / HTTP/1.1", [("Host", "a.example")], is_http_request=True)
        return self._add(self._writer.create_warc_record(url, "request", payload=io.BytesIO(b""),
                                                         http_headers=headers, warc_headers_dict=self._headers()))

    def response(self, url: str, body: bytes, status: str = "200 OK", content_type: str | None = "text/html",
                 date: str = DATE, headers: tuple = ()) -> "Warc":
        fields = ([("Content-Type", content_type)] if content_type else []) + list(headers)
        http = StatusAndHeaders(status, fields, protocol="HTTP/1.1")
        return self._add(self._writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                                         warc_headers_dict=self._headers(date)))

    def metadata(self, url: str) -> "Warc":
        return self._add(self._writer.create_warc_record(url, "metadata", payload=io.BytesIO(b"fetchTimeMs: 12\n"),
                                                         warc_content_type="application/warc-fields",
                                                         warc_headers_dict=self._headers()))

    def revisit(self, url: str) -> "Warc":
        return self._add(self._writer.create_revisit_record(url, digest="sha1:AAAA", refers_to_uri=url,
                                                            refers_to_date="2025-05-01T00:00:00Z",
                                                            warc_headers_dict=self._headers()))

    def resource(self, url: str, body: bytes) -> "Warc":
        return self._add(self._writer.create_warc_record(url, "resource", payload=io.BytesIO(body),
                                                         warc_content_type="text/html", warc_headers_dict=self._headers()))

    @property
    def data(self) -> bytes:
        return self._buffer.getvalue()


def arc(records: list[tuple[str, bytes]], compress: bool = False, date: str = "20250601100000") -> bytes:
    """An ARC v1 file: its filedesc record, then one record per (url, HTTP response bytes)."""
    version = b"1 0 newsbeam\nURL IP-address Archive-date Content-type Archive-length\n"
    blocks = [f"filedesc://test.arc 0.0.0.0 {date} text/plain {len(version)}\n".encode() + version + b"\n"]
    for url, block in records:
        blocks.append(f"{url} 192.0.2.1 {date} text/html {len(block)}\n".encode() + block + b"\n")
    return b"".join(gzip.compress(b, mtime=0) for b in blocks) if compress else b"".join(blocks)


def http_response(body: bytes, status: str = "200 OK", content_type: str = "text/html") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n\r\n".encode() + body
