"""HTTP fetching as a production crawler does it: bounded, polite, retrying, and safe.

Built on ``requests`` (already pinned through Beam and trafilatura, mature, and
its streaming bodies let us stop reading at the size cap). Redirects are
followed by hand so that every hop is checked: only http and https, and no
host that resolves to a private, loopback, link-local, multicast or reserved
address unless the run allows the private network (or lists the host). One
``Fetcher`` lives in a DoFn (built in ``setup()``) and is shared by its threads.

The guard checks a URL exactly as it is connected to (server-side request
forgery): the URL is normalised once by requests' own parser, and spellings on
which parsers disagree (backslashes, control characters, several ``@``,
percent-encoded hosts, IPv6 zone ids, IPv4 written in decimal, octal or hex,
IPv4-mapped IPv6) are refused. The host is resolved once, every address is
checked, and the connection is pinned to the checked addresses (the Host
header, SNI and certificate check keep the name), so a DNS answer that changes
after the check (rebinding) is never used. Hand-written on requests/urllib3
rather than a wrapper library: the one for requests (advocate) was last
released in 2020 against urllib3 1.x internals.
"""
from __future__ import annotations

import collections
import dataclasses
import email.utils
import functools
import ipaddress
import random
import re
import socket
import threading
import time
from contextlib import contextmanager
from typing import Callable, Optional
from urllib import robotparser
from urllib.parse import urljoin

import requests
import requests.adapters
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.poolmanager import PoolKey, _default_key_normalizer
from urllib3.util import connection as urllib3_connection
from urllib3.util import parse_url

from newsbeam.transforms.redact import redact_text

REDIRECTS = (301, 302, 303, 307, 308)
RETRY_STATUSES = (429, 500, 502, 503, 504)
RETRY_KINDS = ("timeout", "refused", "connection")
DEFAULT_PORTS = {"http": 80, "https": 443}


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
    private_network_allowlist: tuple = ()  # hosts or host:port (names or addresses) reachable despite the guard


class FetchError(Exception):
    """A request that failed for good; ``kind`` becomes the error row's error_type.
    The message never carries a credential of the URL (it ends up in rows and logs)."""

    def __init__(self, kind: str, message: str, status: Optional[int] = None):
        super().__init__(redact_text(message))
        self.kind = kind
        self.status = status


@dataclasses.dataclass(frozen=True)
class Response:
    url: str            # after redirects
    status: int         # 200-class, or 304 for a conditional GET that found nothing new
    headers: dict       # lower-case names
    body: bytes
    attempts: int = 1


@dataclasses.dataclass(frozen=True)
class Target:
    """A URL as it is connected to: requests' normal form of it, and the addresses it was checked at."""
    url: str                  # what requests sends (its own normalisation, IDNA host)
    scheme: str
    host: str                 # host key: lower case, no brackets, no trailing dot, IPs in canonical form
    port: int
    addresses: tuple = ()     # the checked IP addresses the connection is pinned to


Resolver = Callable[[str, int], list]

# Refused anywhere in a URL: parsers disagree on them (a backslash is a '/' to browsers and
# WHATWG, part of the userinfo to urllib.parse, and the path's start to urllib3).
_AMBIGUOUS_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?P<authority>[^/?#]*)")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")


def resolve(host: str, port: int) -> list:
    """The addresses the system resolver gives for ``host`` (the one DNS lookup of a request)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def host_key(host: str) -> str:
    """One spelling per host: lower case, without IPv6 brackets or a trailing dot, IPs canonical."""
    host = host.lower().strip("[]")
    host = host[:-1] if host.endswith(".") else host
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # IPv6 that a translator turns into the IPv4 it embeds


def _blocked(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    elif ip in _NAT64:
        ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return (not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
            or ip.is_reserved or ip.is_unspecified)


def _invalid(url: str, why: str) -> FetchError:
    return FetchError("invalid_url", f"refused {url!r}: {why}")


def normalise(url: str) -> Target:
    """The URL in requests' normal form with its host and port, or FetchError
    (``invalid_url``, ``disallowed_scheme``) for a URL that parsers could read differently."""
    if not isinstance(url, str):
        raise _invalid(repr(url), "not a string")
    raw = url.strip()
    if _AMBIGUOUS_CHARS.search(raw):
        raise _invalid(url, "control character or backslash")
    prepared = requests.models.PreparedRequest()
    try:
        prepared.prepare_url(raw, None)
        parsed = parse_url(prepared.url)
    except (requests.exceptions.RequestException, ValueError) as exc:
        raise _invalid(url, str(exc)) from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in DEFAULT_PORTS:
        raise FetchError("disallowed_scheme", f"only http and https are fetched, not {scheme or 'none'}")
    authority = _AUTHORITY.match(raw)
    if not authority or not parsed.host:
        raise _invalid(url, "no host")
    authority = authority["authority"]
    if authority.count("@") > 1:
        raise _invalid(url, "more than one '@' (userinfo must percent-encode it)")
    if "%" in authority.rpartition("@")[2]:
        raise _invalid(url, "percent-encoded host or IPv6 zone id")
    return Target(prepared.url, scheme, _checked_host(url, parsed.host.lower()),
                  parsed.port or DEFAULT_PORTS[scheme])


def _checked_host(url: str, host: str) -> str:
    """The host key of a host that has one reading only: a name, a dotted-quad IPv4 address,
    or an IPv6 address that is not an IPv4 one in disguise."""
    if host.startswith("["):
        ip = ipaddress.IPv6Address(host.strip("[]"))  # parse_url has validated it
        if ip.ipv4_mapped:
            raise _invalid(url, "an IPv4 address written as IPv6")
        return str(ip)
    name = host[:-1] if host.endswith(".") else host
    if _NUMERIC_LABEL.fullmatch(name.rpartition(".")[2]):  # an IP address to resolvers and browsers
        try:
            if str(ipaddress.IPv4Address(name)) == name:
                return name
        except ValueError:
            pass
        raise _invalid(url, "an IPv4 address not in dotted-decimal form")
    if not _NAME.fullmatch(name):
        raise _invalid(url, "not a valid host name")
    return name


class AddressGuard:
    """Refuses URLs whose host is not on the public internet (server-side request forgery),
    and says where the checked ones may be connected to."""

    def __init__(self, allow_private: bool, allowlist=(), resolver: Resolver = resolve):
        self._allow_private = allow_private
        self._allowlist = {_allow_entry(entry) for entry in allowlist}
        self._resolver = resolver

    def check(self, url: str) -> Target:
        """The URL's Target with the addresses to connect to, or FetchError."""
        target = normalise(url)
        addresses = self._addresses(target)
        if not (self._allow_private or self._listed(target.host, target.port)):
            for address in addresses:
                if _blocked(address) and not self._listed(host_key(address), target.port):
                    where = target.host if address == target.host else f"{target.host} resolves to {address},"
                    raise FetchError("blocked_address", f"{where} a non-public address "
                                     "(use --allow-private-network to fetch from it)")
        return dataclasses.replace(target, addresses=addresses)

    def _addresses(self, target: Target) -> tuple:
        try:
            return (ipaddress.ip_address(target.host).compressed,)
        except ValueError:
            pass
        name = parse_url(target.url).host  # as written, a trailing dot included (it is part of a lookup)
        try:
            found = tuple(dict.fromkeys(self._resolver(name, target.port)))
        except (OSError, UnicodeError) as exc:
            raise FetchError("dns", f"cannot resolve {target.host}: {exc}") from None
        if not found:
            raise FetchError("dns", f"cannot resolve {target.host}: no address")
        return found

    def _listed(self, host: str, port: int) -> bool:
        return (host, None) in self._allowlist or (host, port) in self._allowlist


def _allow_entry(entry: str) -> tuple:
    """An allowlist entry (``host``, ``host:port``, ``[v6]:port`` or a bare IPv6) as (host key, port or None)."""
    entry = entry.strip()
    if entry.startswith("["):
        host, _, port = entry[1:].partition("]")
        port = port[1:]
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    else:
        host, port = entry, ""
    return host_key(host), int(port) if port.isdigit() else None


class _PinnedConnectionMixin:
    """A connection that opens its socket to the checked addresses only, never resolving
    its host again; the host stays the name for the Host header, SNI and the certificate."""

    def __init__(self, *args, pinned: tuple = (), **kwargs):
        super().__init__(*args, **kwargs)
        self._pinned = tuple(pinned)

    def _new_conn(self) -> socket.socket:
        error: Exception = NewConnectionError(self, "Failed to establish a new connection: no checked address")
        for address in self._pinned:
            try:
                return urllib3_connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except socket.timeout:
                error = ConnectTimeoutError(self, f"Connection to {self.host} ({address}) timed out. "
                                                  f"(connect timeout={self.timeout})")
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to establish a new connection to {address}: {exc}")
        raise error


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


# Pools are keyed by their pinned addresses too: a connection kept alive for one answer
# is never reused for another.
_PinnedPoolKey = collections.namedtuple("_PinnedPoolKey", PoolKey._fields + ("key_pinned",))


class PinnedAdapter(requests.adapters.HTTPAdapter):
    """Sends a request only over a connection to the addresses its Target was checked at.

    A request arrives with its Target (``send(..., target=...)``); one without a Target, or
    whose URL names another host than its Target, is refused before any socket is opened.
    Proxies are never used: a proxy would resolve the host itself.
    """

    def __init__(self, *args, **kwargs):
        self._sending = threading.local()  # the Target of the request this thread is sending
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, *args, **kwargs):
        # Every pool this adapter makes is a pinned one; a connection with no pin cannot connect.
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PinnedHTTPPool, "https": _PinnedHTTPSPool}
        self.poolmanager.key_fn_by_scheme = {scheme: functools.partial(_default_key_normalizer, _PinnedPoolKey)
                                             for scheme in DEFAULT_PORTS}

    def send(self, request, target: Optional[Target] = None, **kwargs):
        self._sending.target = target
        try:
            return super().send(request, **kwargs)
        finally:
            self._sending.target = None

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        target: Optional[Target] = getattr(self._sending, "target", None)
        try:
            host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        except ValueError as exc:
            raise requests.exceptions.InvalidURL(exc, request=request) from None
        scheme, host = host_params["scheme"], host_params["host"] or ""
        if (target is None or scheme != target.scheme or host_key(host) != target.host
                or (host_params["port"] or DEFAULT_PORTS.get(scheme)) != target.port or not target.addresses):
            raise requests.exceptions.InvalidURL(f"{redact_text(request.url)} was not checked by the address guard")
        return self.poolmanager.connection_from_host(**host_params,
                                                     pool_kwargs={**pool_kwargs, "pinned": target.addresses})


class _HandRedirectSession(requests.Session):
    """A session that never looks at a redirect: the Fetcher follows them by hand, checking every
    hop. (requests would otherwise read a redirect's whole body first, past ``max_bytes``.)"""

    def get_redirect_target(self, resp):
        return None


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


def _redirect_target(url: str, location: str) -> str:
    """Where a redirect leads; checked before joining, since urljoin silently drops tabs and newlines."""
    if _AMBIGUOUS_CHARS.search(location.strip()):
        raise _invalid(location, "control character or backslash in the redirect")
    return urljoin(url, location)


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
    """``resolver`` answers the one DNS lookup of each request (the system's by default)."""

    def __init__(self, settings: FetchSettings, sleep=time.sleep, seed: Optional[int] = None,
                 resolver: Resolver = resolve):
        self.settings = settings
        self._sleep = sleep
        self._random = random.Random(seed)
        self._guard = AddressGuard(settings.allow_private_network, settings.private_network_allowlist, resolver)
        self.gate = HostGate(settings.per_host_concurrency, settings.per_host_delay, sleep=sleep)
        self._session = _HandRedirectSession()
        self._session.trust_env = False  # no proxies from the environment: they would resolve hosts themselves
        for prefix in ("http://", "https://"):
            self._session.mount(prefix, PinnedAdapter())
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
            target = self._guard.check(url)
            if url in seen:
                raise FetchError("too_many_redirects", f"redirect loop: {' -> '.join(seen + [url])}")
            seen.append(url)
            if len(seen) > self.settings.max_redirects + 1:
                raise FetchError("too_many_redirects", f"more than max_redirects={self.settings.max_redirects}")
            with self.gate.slot(target.host):
                status, response_headers, body = self._request(target, headers)
            if status in REDIRECTS and response_headers.get("location"):
                url = _redirect_target(url, response_headers["location"])
                continue
            if status == 304 or 200 <= status < 300:
                return Response(url, status, response_headers, body)
            error = FetchError(f"http_{status}", f"HTTP {status} from {url}", status)
            error.retry_after = retry_after_seconds(response_headers.get("retry-after"))
            raise error

    def _request(self, target: Target, headers: dict) -> tuple[int, dict, bytes]:
        s = self.settings
        started = time.monotonic()
        try:
            prepared = self._session.prepare_request(requests.Request("GET", target.url, headers=headers))
            with self._session.send(prepared, target=target, allow_redirects=False, stream=True,
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
        # the page's own URL is checked first: a refused one fails as itself, not as robots_disallowed
        site = urljoin(self._guard.check(url).url, "/").rstrip("/")
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
