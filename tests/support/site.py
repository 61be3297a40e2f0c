"""A real HTTP server on loopback that tests script: what each path answers, and how.

Nothing is mocked: newsbeam's fetcher talks HTTP to this server over a socket.
"""
from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional
from urllib.parse import urlsplit


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    delay: float = 0.0
    sequence: list = field(default_factory=list)  # (status, headers, body) answered first, in order
    gzip: bool = False
    chunked: bool = False
    handler: Optional[Callable] = None


@dataclass
class Hit:
    path: str
    headers: dict
    started: float


class Site:
    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                site._serve(self)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # clients that hang up are expected
        self.host = host
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.netloc}{path}"

    def add(self, path: str, body=b"", **kwargs) -> str:
        self.routes[path] = Route(body=body.encode("utf-8") if isinstance(body, str) else body, **kwargs)
        return self.url(path)

    def serve_tls(self, certfile: str, keyfile: str) -> None:
        """Answer over TLS with this certificate (call before entering the context)."""
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)

    def hits_of(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        path = urlsplit(request.path).path  # routes ignore the query string
        with self._lock:
            self.hits.append(Hit(path, {k.lower(): v for k, v in request.headers.items()}, time.monotonic()))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            route = self.routes.get(path)
            if route is None:
                return self._send(request, 404, {}, b"not found")
            if route.delay:
                time.sleep(route.delay)
            if route.handler:
                return route.handler(request)
            if route.sequence:
                status, headers, body = route.sequence.pop(0)
                return self._send(request, status, headers, body)
            headers = dict(route.headers)
            if route.etag:
                headers["ETag"] = route.etag
                if request.headers.get("If-None-Match") == route.etag:
                    return self._send(request, 304, headers, b"")
            if route.last_modified:
                headers["Last-Modified"] = route.last_modified
                if request.headers.get("If-Modified-Since") == route.last_modified:
                    return self._send(request, 304, headers, b"")
            body = route.body
            if route.gzip:
                body = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
            self._send(request, route.status, headers, body, chunked=route.chunked)
        finally:
            with self._lock:
                self.in_flight -= 1

    @staticmethod
    def _send(request, status, headers, body, chunked=False):
        try:
            request.send_response(status)
            for name, value in headers.items():
                request.send_header(name, value)
            if chunked:
                request.send_header("Transfer-Encoding", "chunked")
                request.end_headers()
                for start in range(0, len(body), 65536):
                    piece = body[start:start + 65536]
                    request.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                request.wfile.write(b"0\r\n\r\n")
            else:
                request.send_header("Content-Length", str(len(body)))
                request.end_headers()
                request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a size cap or a timeout): that is what some tests want


def rss(entries: list[dict], title: str = "Test feed", encoding: str = "utf-8", link: str = "https://x.example/") -> bytes:
    """An RSS 2.0 document; each entry: title, link, description, pubDate (and content)."""
    items = []
    for e in entries:
        content = f"<content:encoded><![CDATA[{e['content']}]]></content:encoded>" if e.get("content") else ""
        description = f"<description>{e['description']}</description>" if e.get("description") else ""
        date = f"<pubDate>{e['pubDate']}</pubDate>" if e.get("pubDate") else ""
        items.append(f"<item><title>{e['title']}</title><link>{e['link']}</link>{date}{description}{content}</item>")
    xml = (f'<?xml version="1.0" encoding="{encoding}"?>\n'
           '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
           f"<channel><title>{title}</title><link>{link}</link>{''.join(items)}</channel></rss>")
    return xml.encode(encoding)


def article_page(title: str, paragraphs: list[str], published: str = "") -> str:
    meta = f'<meta property="article:published_time" content="{published}">' if published else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title>{meta}</head><body><nav>Home | World</nav>"
            f"<article><h1>{title}</h1>{body}</article><footer>© Test</footer></body></html>")


class Trap:
    """A listener that must never be reached: it counts every accepted socket (not only HTTP
    requests) and answers each with a short 200, so a fetch that got here would succeed."""

    def __init__(self, host: str = "127.0.0.2", port: int = 0):
        import socket

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(16)
        self._socket.settimeout(0.1)
        self.host, self.port = host, self._socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._socket.close()

    @property
    def netloc(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def _accept(self) -> None:
        import socket

        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except socket.timeout:
                continue
            self.connections += 1
            with connection:
                try:
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nreached")
                except OSError:
                    pass


class RecordingSite(Site):
    """A Site that also keeps every request's full target (query string included) and headers."""

    def __init__(self, host: str = "127.0.0.1"):
        super().__init__(host)
        self.requests: list[tuple[str, dict]] = []

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append((request.path, {k.lower(): v for k, v in request.headers.items()}))
        super()._serve(request)
