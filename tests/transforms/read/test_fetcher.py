"""The fetcher against a real server on loopback: status codes, retries, limits, guard, politeness."""
import time

import pytest

from newsbeam.transforms.read.fetcher import AddressGuard, FetchError, Fetcher, FetchSettings, retry_after_seconds
from tests.support.site import Site

FAST = dict(allow_private_network=True, per_host_delay=0.0, backoff_base=0.01, connect_timeout=2.0,
            read_timeout=2.0, retries=2)


@pytest.fixture
def site():
    with Site() as s:
        yield s


def fetcher(**overrides) -> Fetcher:
    return Fetcher(FetchSettings(**{**FAST, **overrides}))


def test_ok_gzip_and_chunked_bodies(site):
    site.add("/plain", "Grüße", headers={"Content-Type": "text/plain; charset=utf-8"})
    site.add("/gz", b"x" * 10_000, gzip=True)
    site.add("/chunked", b"y" * 200_000, chunked=True)
    f = fetcher()
    assert f.get(site.url("/plain")).body.decode() == "Grüße"
    assert f.get(site.url("/gz")).body == b"x" * 10_000
    assert f.get(site.url("/chunked")).body == b"y" * 200_000
    assert site.hits_of("/plain")[0].headers["user-agent"].startswith("newsbeam/")


def test_404_is_final_without_retry(site):
    with pytest.raises(FetchError) as excinfo:
        fetcher().get(site.url("/missing"))
    assert (excinfo.value.kind, excinfo.value.status) == ("http_404", 404)
    assert len(site.hits_of("/missing")) == 1


def test_500_then_200_is_retried(site):
    site.add("/flaky", "ok", sequence=[(500, {}, b"oops")])
    response = fetcher().get(site.url("/flaky"))
    assert (response.body, response.attempts) == (b"ok", 2)


def test_persistent_503_gives_up_after_the_retries(site):
    site.add("/down", "", status=503)
    with pytest.raises(FetchError, match="after 3 attempts") as excinfo:
        fetcher().get(site.url("/down"))
    assert excinfo.value.kind == "http_503" and len(site.hits_of("/down")) == 3


def test_429_honours_retry_after(site):
    site.add("/busy", "ok", sequence=[(429, {"Retry-After": "1"}, b"")])
    assert fetcher().get(site.url("/busy")).body == b"ok"
    first, second = site.hits_of("/busy")
    assert second.started - first.started >= 0.95


def test_429_asking_for_too_long_is_given_up_at_once(site):
    site.add("/later", "", status=429, headers={"Retry-After": "3600"})
    started = time.monotonic()
    with pytest.raises(FetchError, match="exceeds max_retry_after"):
        fetcher(max_retry_after=5).get(site.url("/later"))
    assert time.monotonic() - started < 2 and len(site.hits_of("/later")) == 1


def test_slow_response_times_out(site):
    site.add("/slow", "late", delay=1.5)
    with pytest.raises(FetchError) as excinfo:
        fetcher(read_timeout=0.3, retries=0).get(site.url("/slow"))
    assert excinfo.value.kind == "timeout"


def test_redirects_followed_and_loops_refused(site):
    site.add("/old", "", status=301, headers={"Location": "/new"})
    site.add("/new", "here")
    response = fetcher().get(site.url("/old"))
    assert (response.url, response.body) == (site.url("/new"), b"here")
    site.add("/a", "", status=302, headers={"Location": "/b"})
    site.add("/b", "", status=302, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="redirect loop") as excinfo:
        fetcher().get(site.url("/a"))
    assert excinfo.value.kind == "too_many_redirects"


def test_guard_refuses_private_addresses_on_every_hop(site):
    guarded = dict(allow_private_network=False, private_network_allowlist=(site.netloc,))
    for target in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]:9/",
                   "http://192.168.1.1/admin"):
        site.add("/jump", "", status=302, headers={"Location": target})
        with pytest.raises(FetchError) as excinfo:
            fetcher(**guarded).get(site.url("/jump"))
        assert excinfo.value.kind == "blocked_address", target
    with pytest.raises(FetchError) as excinfo:  # the loopback server itself, once it is not allowlisted
        fetcher(allow_private_network=False).get(site.url("/jump"))
    assert excinfo.value.kind == "blocked_address"
    site.add("/file", "", status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(FetchError) as excinfo:
        fetcher().get(site.url("/file"))
    assert excinfo.value.kind == "disallowed_scheme"


def test_oversized_bodies_are_cut_off(site):
    site.add("/big", b"z" * 300_000)
    site.add("/big-chunked", b"z" * 300_000, chunked=True)
    site.add("/bomb", b"\0" * 5_000_000, gzip=True)  # 5 MB from a few KB on the wire
    for path in ("/big", "/big-chunked", "/bomb"):
        with pytest.raises(FetchError) as excinfo:
            fetcher(max_bytes=100_000).get(site.url(path))
        assert excinfo.value.kind == "too_large", path


def test_per_host_limits_hold_under_concurrency(site):
    from concurrent.futures import ThreadPoolExecutor

    site.add("/p", "x", delay=0.05)
    f = fetcher(per_host_concurrency=2, per_host_delay=0.1)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: f.get(site.url("/p")), range(6)))
    starts = sorted(h.started for h in site.hits_of("/p"))
    assert site.max_in_flight <= 2
    assert all(b - a >= 0.09 for a, b in zip(starts, starts[1:]))


def test_robots_txt(site):
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n")
    f = fetcher()
    assert f.allowed_by_robots(site.url("/news/1")) and not f.allowed_by_robots(site.url("/private/1"))
    assert fetcher(respect_robots=False).allowed_by_robots(site.url("/private/1"))
    with Site() as other:  # no robots.txt at all (404): everything allowed
        assert fetcher().allowed_by_robots(other.url("/private/1"))


def test_retry_after_parsing():
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None


def test_guard_allows_public_addresses_by_literal():
    AddressGuard(False).check("http://93.184.215.14/")  # a public address literal: no DNS, no connection


def test_refused_connection(site):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError) as excinfo:
        fetcher(retries=0).get(f"http://127.0.0.1:{port}/feed.xml")
    assert excinfo.value.kind == "refused"


def _self_signed(tmp_path):
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    return str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")


def test_untrusted_certificate_is_a_tls_error(tmp_path):
    tls = Site()
    tls.serve_tls(*_self_signed(tmp_path))
    with tls:
        tls.add("/feed.xml", "never delivered")
        with pytest.raises(FetchError) as excinfo:
            fetcher(retries=0).get(f"https://{tls.netloc}/feed.xml")
    assert excinfo.value.kind == "tls"
