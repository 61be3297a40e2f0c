"""HTTP fetching as a production crawler does it: bounded, polite, retrying, and safe.

Built on ``requests`` (already pinned through Beam and trafilatura, mature, and
its streaming bodies let us stop reading at the size cap). Redirects are
followed by hand so that every hop is checked: only http and https, and no
host that resolves to a private, loopback, link-local, multicast or reserved
address unless the run allows the private network (or lists the host). One
``Fetcher`` lives in a DoFn (built in ``setup()``) and is shared by its threads.
"""
from __future__ import annotations

import dataclasses
import email.utils
import ipaddress
import random
import socket
import threading
import time
from contextlib import contextmanager
from typing import Optional
from urllib import robotparser
from urllib.parse import urljoin, urlsplit

import requests

REDIRECTS = (301, 302, 303, 307, 308)
RETRY_STATUSES = (429, 500, 502, 503, 504)
RETRY_KINDS = ("timeout", "refused", "connection")


@dataclasses.dataclass(frozen=True)
class FetchSettings:
    """Every knob of the fetcher, with defaults fit for fetching news sites hourly."""
    user_agent: str = "newsbeam/0.1 (news ingestion; +https://pypi.org/project/newsbeam/)"
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0       # a slow drip of bytes cannot hold a request longer
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 3                  # attempts after the first, on connection errors, 429 and 5xx
    backoff_base: float = 0.5         # seconds; attempt n waits up to base * 2**n (full jitter)
    max_retry_after: float = 60.0     # a longer Retry-After gives up instead of waiting
    concurrency: int = 16             # requests in flight per worker
    per_host_concurrency: int = 2
    per_host_delay: float = 0.5       # seconds between the starts of two requests to one host
    respect_robots: bool = True
    fetch_pages: bool = True          # follow entries to their pages (else feed content only)
    allow_private_network: bool = False
    private_network_allowlist: tuple = ()  # hosts or host:port reachable despite the guard


class FetchError(Exception):
    """A request that failed for good; ``kind`` becomes the error row's error_type."""

    def __init__(self, kind: str, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.kind = kind
        self.status = status


@dataclasses.dataclass(frozen=True)
class Response:
    url: str            # after redirects
    status: int         # 200-class, or 304 for a conditional GET that found nothing new
    headers: dict       # lower-case names
    body: bytes
    attempts: int = 1


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified)


class AddressGuard:
    """Refuses URLs whose host is not on the public internet (server-side request forgery)."""

    def __init__(self, allow_private: bool, allowlist=()):
        self._allow_private = allow_private
        self._allowlist = {h.lower() for h in allowlist}

    def check(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError("disallowed_scheme", f"only http and https are fetched, not {parts.scheme or 'none'}")
        host = (parts.hostname or "").lower()
        if not host:
            raise FetchError("invalid_url", f"no host in {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if self._allow_private or host in self._allowlist or f"{host}:{port}" in self._allowlist:
            return
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise FetchError("dns", f"cannot resolve {host}: {exc}") from None
        for info in infos:
            if _blocked(info[4][0]):
                raise FetchError("blocked_address", f"{host} resolves to {info[4][0]}, a non-public address "
                                 "(use --allow-private-network to fetch from it)")


class HostGate:
    """Per-host politeness shared by a worker's threads: at most N requests in flight to a
    host, and a minimum delay between the starts of two of them."""

    def __init__(self, concurrency: int, delay: float, clock=time.monotonic, sleep=time.sleep):
        self._concurrency = max(1, concurrency)
        self._delay = delay
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextmanager
    def slot(self, host: str):
        with self._lock:
            semaphore = self._slots.setdefault(host, threading.BoundedSemaphore(self._concurrency))
        with semaphore:
            with self._lock:
                now = self._clock()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self._delay
            if start > now:
                self._sleep(start - now)
            yield


def retry_after_seconds(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """A Retry-After header (seconds or an HTTP date) in seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Fetcher:
    def __init__(self, settings: FetchSettings, sleep=time.sleep, seed: Optional[int] = None):
        self.settings = settings
        self._sleep = sleep
        self._random = random.Random(seed)
        self._guard = AddressGuard(settings.allow_private_network, settings.private_network_allowlist)
        self.gate = HostGate(settings.per_host_concurrency, settings.per_host_delay, sleep=sleep)
        self._session = requests.Session()
        self._session.headers.update({"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"})
        self._robots: dict[str, robotparser.RobotFileParser] = {}
        self._robots_lock = threading.Lock()

    def close(self) -> None:
        self._session.close()

    def get(self, url: str, headers: Optional[dict] = None) -> Response:
        """GET with retries; a 2xx or 304 Response, or FetchError."""
        attempt = 0
        while True:
            try:
                response = self._follow(url, headers or {})
            except FetchError as exc:
                retryable, wait = exc.kind in RETRY_KINDS or exc.status in RETRY_STATUSES, None
                if exc.status == 429 or (exc.status or 0) >= 500:
                    wait = getattr(exc, "retry_after", None)
                if not retryable or attempt >= self.settings.retries:
                    if attempt:
                        exc.args = (f"{exc.args[0]} (after {attempt + 1} attempts)",)
                    raise
                if wait is not None and wait > self.settings.max_retry_after:
                    raise FetchError(exc.kind, f"{exc.args[0]}; Retry-After {wait:.0f} s exceeds "
                                     f"max_retry_after={self.settings.max_retry_after:.0f}", exc.status) from None
                backoff = self._random.uniform(0, self.settings.backoff_base * 2 ** attempt)
                self._sleep(max(wait or 0.0, backoff))
                attempt += 1
                continue
            return dataclasses.replace(response, attempts=attempt + 1)

    def _follow(self, url: str, headers: dict) -> Response:
        seen = []
        while True:
            self._guard.check(url)
            if url in seen:
                raise FetchError("too_many_redirects", f"redirect loop: {' -> '.join(seen + [url])}")
            seen.append(url)
            if len(seen) > self.settings.max_redirects + 1:
                raise FetchError("too_many_redirects", f"more than max_redirects={self.settings.max_redirects}")
            host = urlsplit(url).hostname or ""
            with self.gate.slot(host):
                status, response_headers, body = self._request(url, headers)
            if status in REDIRECTS and response_headers.get("location"):
                url = urljoin(url, response_headers["location"])
                continue
            if status == 304 or 200 <= status < 300:
                return Response(url, status, response_headers, body)
            error = FetchError(f"http_{status}", f"HTTP {status} from {url}", status)
            error.retry_after = retry_after_seconds(response_headers.get("retry-after"))
            raise error

    def _request(self, url: str, headers: dict) -> tuple[int, dict, bytes]:
        s = self.settings
        started = time.monotonic()
        try:
            with self._session.get(url, headers=headers, allow_redirects=False, stream=True,
                                   timeout=(s.connect_timeout, s.read_timeout)) as response:
                response_headers = {k.lower(): v for k, v in response.headers.items()}
                declared = response_headers.get("content-length", "")
                if declared.isdigit() and int(declared) > s.max_bytes:
                    raise FetchError("too_large", f"{declared} bytes declared, more than max_bytes={s.max_bytes}")
                chunks, total = [], 0
                for chunk in response.iter_content(65536):
                    total += len(chunk)
                    if total > s.max_bytes:
                        raise FetchError("too_large", f"more than max_bytes={s.max_bytes} bytes")
                    if time.monotonic() - started > s.total_timeout:
                        raise FetchError("timeout", f"still reading after total_timeout={s.total_timeout} s")
                    chunks.append(chunk)
                return response.status_code, response_headers, b"".join(chunks)
        except FetchError:
            raise
        except requests.exceptions.SSLError as exc:
            raise FetchError("tls", f"TLS error: {exc}") from None
        except (requests.exceptions.Timeout, socket.timeout) as exc:
            raise FetchError("timeout", f"timed out: {exc}") from None
        except requests.exceptions.ConnectionError as exc:
            text = str(exc)
            kind = "refused" if "refused" in text.lower() else (
                "dns" if "resolve" in text.lower() or "name or service" in text.lower() else "connection")
            if "Read timed out" in text:
                kind = "timeout"
            raise FetchError(kind, f"{kind}: {text[:300]}") from None
        except requests.exceptions.RequestException as exc:
            raise FetchError("connection", f"{type(exc).__name__}: {str(exc)[:300]}") from None

    def allowed_by_robots(self, url: str) -> bool:
        """robots.txt of the URL's site allows our user agent to fetch it (RFC 9309:
        a 4xx robots.txt allows everything; an unreachable one allows nothing)."""
        if not self.settings.respect_robots:
            return True
        parts = urlsplit(url)
        site = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:
            rules = self._robots.get(site)
        if rules is None:
            rules = robotparser.RobotFileParser(site + "/robots.txt")
            try:
                response = self.get(site + "/robots.txt")
                rules.parse(response.body.decode("utf-8", errors="replace").splitlines())
            except FetchError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    rules.allow_all = True
                else:
                    rules.disallow_all = True
            with self._robots_lock:
                self._robots[site] = rules
        return rules.can_fetch(self.settings.user_agent, url)
