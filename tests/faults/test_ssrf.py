"""Server-side request forgery: hostile URLs never reach an address the guard did not approve.

Two real listeners on loopback: the approved site on 127.0.0.1 (allowed through
``private_network_allowlist`` as host:port) and a trap on 127.0.0.2 that nothing
may reach. Every hostile spelling is tried directly and through a redirect from
the approved site; the trap counts accepted sockets, so "refused" means no
connection at all, not merely no HTTP request.
"""
import time

import pytest

from newsbeam.transforms.read.fetcher import FetchError, Fetcher, FetchSettings
from tests.conftest import check_accounting, rows, run_newsbeam
from tests.support.site import Site, Trap, article_page, rss

# Each row: (name, URL template, error kind). {A}: the approved site's host:port,
# {T}: the trap's, {TP}: the trap's port alone.
HOSTILE = [
    ("backslash-userinfo", "http://{T}\\@{A}/page", "invalid_url"),
    ("backslash-path", "http://{A}\\@{T}/", "invalid_url"),
    ("userinfo-naming-the-approved-site", "http://{A}@{T}/", "blocked_address"),
    ("userinfo-with-password", "http://{A}:pw@{T}/", "blocked_address"),
    ("two-at-signs", "http://x@{A}@{T}/", "invalid_url"),
    ("percent-encoded-host", "http://%31%32%37.0.0.2:{TP}/", "invalid_url"),
    ("percent-encoded-octet", "http://127.0.0.%32:{TP}/", "invalid_url"),
    ("ipv6-zone-id", "http://[fe80::1%25lo]:{TP}/", "invalid_url"),
    ("ipv4-mapped-ipv6-zone-id", "http://[::ffff:127.0.0.2%25lo]:{TP}/", "invalid_url"),
    ("ipv4-mapped-ipv6", "http://[::ffff:127.0.0.2]:{TP}/", "invalid_url"),
    ("ipv4-mapped-ipv6-hex", "http://[::ffff:7f00:2]:{TP}/", "invalid_url"),
    ("decimal-ipv4", "http://2130706434:{TP}/", "invalid_url"),
    ("octal-ipv4", "http://0177.0.0.2:{TP}/", "invalid_url"),
    ("hex-ipv4", "http://0x7f.0.0.2:{TP}/", "invalid_url"),
    ("hex-ipv4-whole", "http://0x7f000002:{TP}/", "invalid_url"),
    ("short-ipv4", "http://127.2:{TP}/", "invalid_url"),
    ("trailing-dot", "http://127.0.0.2.:{TP}/", "blocked_address"),
    ("two-trailing-dots", "http://127.0.0.2..:{TP}/", "invalid_url"),
    ("tab-in-userinfo", "http://{T}\t@{A}/page", "invalid_url"),
    ("nul-in-userinfo", "http://{T}\x00@{A}/page", "invalid_url"),
]
HEADER_SAFE = [row for row in HOSTILE if "\x00" not in row[1]]  # a NUL cannot travel in a Location header


@pytest.fixture(scope="module")
def servers():
    with Site("127.0.0.1") as site, Trap("127.0.0.2") as trap:
        site.add("/page", article_page("Fine", ["An approved page."]))
        yield site, trap


def hostile_url(template: str, site: Site, trap: Trap) -> str:
    return template.format(A=site.netloc, T=trap.netloc, TP=trap.port)


def guarded(site: Site, resolver=None, **overrides) -> Fetcher:
    """A fetcher that may reach the approved site and nothing else on loopback."""
    settings = dict(allow_private_network=False, private_network_allowlist=(site.netloc,), per_host_delay=0.0,
                    retries=0, connect_timeout=2.0, read_timeout=2.0)
    return Fetcher(FetchSettings(**{**settings, **overrides}), **({"resolver": resolver} if resolver else {}))


@pytest.mark.parametrize("name, template, kind", HOSTILE, ids=[row[0] for row in HOSTILE])
def test_hostile_url_directly(servers, name, template, kind):
    site, trap = servers
    before = trap.connections
    with pytest.raises(FetchError) as refused:
        guarded(site).get(hostile_url(template, site, trap))
    assert refused.value.kind == kind, str(refused.value)
    assert trap.connections == before, "the unapproved listener accepted a connection"


@pytest.mark.parametrize("name, template, kind", HEADER_SAFE, ids=[row[0] for row in HEADER_SAFE])
def test_hostile_url_through_a_redirect(servers, name, template, kind):
    site, trap = servers
    site.add(f"/jump-{name}", "", status=302, headers={"Location": hostile_url(template, site, trap)})
    before = trap.connections
    with pytest.raises(FetchError) as refused:
        guarded(site).get(site.url(f"/jump-{name}"))
    assert refused.value.kind == kind, str(refused.value)
    assert trap.connections == before, "the unapproved listener accepted a connection"


def test_robots_txt_is_guarded_too(servers):
    site, trap = servers
    before = trap.connections
    with pytest.raises(FetchError) as refused:  # the page itself is checked before its robots.txt is asked
        guarded(site).allowed_by_robots(f"http://{trap.netloc}\\@{site.netloc}/page")
    assert refused.value.kind == "invalid_url"
    with Site("127.0.0.1") as other:  # a robots.txt that redirects to the trap counts as unreachable
        other.add("/robots.txt", "", status=302, headers={"Location": f"http://{trap.netloc}\\@{other.netloc}/"})
        assert guarded(other).allowed_by_robots(other.url("/page")) is False
    assert trap.connections == before


def test_a_trailing_dot_names_the_same_host(servers):
    site, _ = servers
    response = guarded(site).get(f"http://127.0.0.1.:{site.port}/page")
    assert response.status == 200 and b"approved page" in response.body


def test_the_connection_goes_to_the_checked_address_only(servers):
    """DNS rebinding: the name answers an approved address to the check and the trap's to
    anyone who asks again. The pinned connection never asks again."""
    site, _ = servers
    lookups = []

    def two_faced_dns(host, port):
        lookups.append(host)
        return ["127.0.0.1"] if len(lookups) == 1 else ["127.0.0.2"]

    with Trap("127.0.0.2", site.port) as same_port_trap:  # the rebound address, on the very same port
        fetcher = guarded(site, resolver=two_faced_dns, private_network_allowlist=(f"127.0.0.1:{site.port}",))
        response = fetcher.get(f"http://rebind.test:{site.port}/page")
        assert b"approved page" in response.body
        assert lookups == ["rebind.test"]  # resolved once, by the guard
        assert same_port_trap.connections == 0
        assert site.hits_of("/page")[-1].headers["host"] == f"rebind.test:{site.port}"  # the name is kept
        with pytest.raises(FetchError) as refused:  # the next request checks the new answer
            fetcher.get(f"http://rebind.test:{site.port}/page")
        assert refused.value.kind == "blocked_address"
        assert same_port_trap.connections == 0


def test_pinned_tls_keeps_the_name_for_sni(tmp_path):
    """Pinning changes where the socket goes, not whom TLS talks to: SNI carries the name."""
    import ssl

    from tests.transforms.read.test_fetcher import _self_signed

    names = []
    tls = Site("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path))
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    tls.server.socket = context.wrap_socket(tls.server.socket, server_side=True)
    with tls:
        fetcher = guarded(tls, resolver=lambda host, port: ["127.0.0.1"],
                          private_network_allowlist=(f"127.0.0.1:{tls.port}",))
        with pytest.raises(FetchError) as refused:  # self-signed: verification still happens, and fails
            fetcher.get(f"https://news.test:{tls.port}/feed.xml")
    assert refused.value.kind == "tls"
    assert names == ["news.test"]


def test_hostile_entry_links_end_as_error_rows_in_a_run(tmp_path, servers):
    """Through the CLI: a feed on the approved site links to the trap in hostile spellings;
    each entry without text of its own becomes an error row, one with text falls back to it,
    the run succeeds and its accounting holds."""
    site, trap = servers
    backslash = f"http://{trap.netloc}\\@{site.netloc}/page"
    site.add("/jump", "", status=302, headers={"Location": f"http://2130706434:{trap.port}/"})
    site.add("/article", article_page("Kept", ["A page on the approved site with enough words to keep it."]))
    site.add("/feed.xml", rss([
        {"title": "Backslash", "link": backslash},
        {"title": "Redirected", "link": site.url("/jump")},
        {"title": "Mapped", "link": f"http://[::ffff:127.0.0.2]:{trap.port}/x",
         "description": "The entry's own summary stands in for a page that may not be fetched."},
        {"title": "Kept", "link": site.url("/article")},
    ]))
    config = tmp_path / "config.yaml"
    config.write_text(f"fetch:\n  private_network_allowlist: ['{site.netloc}']\n  per_host_delay: 0\n"
                      "  retries: 0\n")
    before = trap.connections
    output = tmp_path / "out"
    assert run_newsbeam("--config", config, "--feed", site.url("/feed.xml"), "--output", output) == 0
    assert trap.connections == before
    manifest = check_accounting(output)
    assert manifest["counts"]["input_items"] == 4 and manifest["counts"]["articles"] == 2
    errors = rows(output, "errors")
    assert sorted((row["locator"], row["stage"], row["error_type"]) for row in errors) == [
        ("entry 1", "fetch", "invalid_url"), ("entry 2", "fetch", "invalid_url")]
    assert any(backslash in row["message"] for row in errors)
    assert manifest["counts"]["pages"]["failed"] == {"invalid_url": 3}
    assert manifest["counts"]["pages"]["fallbacks"] == 1


def test_a_redirect_body_is_read_no_further_than_the_cap(servers):
    """A redirect hop is a response like any other: its body counts against max_bytes."""
    site, _ = servers
    sent = []

    def endless_redirect(request):
        request.send_response(302)
        request.send_header("Location", "/page")
        request.send_header("Transfer-Encoding", "chunked")
        request.end_headers()
        chunk, total = b"z" * 65536, 0
        try:
            while total < 64 * 1024 * 1024:
                request.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                total += len(chunk)
        except OSError:
            pass
        sent.append(total)

    site.add("/endless-redirect", handler=endless_redirect)
    with pytest.raises(FetchError) as refused:
        guarded(site, max_bytes=100_000).get(site.url("/endless-redirect"))
    assert refused.value.kind == "too_large"
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sent and sent[0] < 16 * 1024 * 1024, sent
