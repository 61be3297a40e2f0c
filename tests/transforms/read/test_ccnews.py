"""CC-NEWS backfill: listings, WARC files streamed from a loopback mirror, retries, the ledger, filters."""
from __future__ import annotations

import gzip
import os
import tempfile
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsbeam.pipeline.cli import main
from newsbeam.transforms.parse.warc import Capture, read_records
from newsbeam.transforms.read.ccnews import DateRange, StreamingFetcher, paths_in
from newsbeam.transforms.read.domains import in_domains
from newsbeam.transforms.read.fetcher import FetchSettings
from tests.conftest import check_accounting, manifests, only_manifest, rows, run_newsbeam
from tests.support.ccnews_mirror import Mirror, news_warc, warc_path
from tests.support.site import Site, article_page
from tests.support.warc_files import TEXT, Warc

FAST_RETRIES = {"fetch": {"retries": 1, "backoff_base": 0.01, "per_host_delay": 0.0}}


def _run(mirror: Mirror, output: Path, days: str, *extra, config: dict | None = None, tmp: Path | None = None):
    args = ["--cc-news", days, "--cc-news-base-url", mirror.base_url, "--output", output, "--allow-private-network",
            *extra]
    if config:
        path = (tmp or output.parent) / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        args += ["--config", path]
    return run_newsbeam(*args)


def test_a_range_reads_the_listings_of_the_months_it_touches_and_keeps_the_files_named_in_it():
    listing = "\n".join([
        "crawl-data/CC-NEWS/2025/06/CC-NEWS-20250630235959-00001.warc.gz",
        "crawl-data/CC-NEWS/2025/06/CC-NEWS-20250629235959-00002.warc.gz",   # before the range
        "crawl-data/CC-NEWS/2025/07/CC-NEWS-20250630000000-00003.warc.gz",   # its folder is another month
        "crawl-data/CC-NEWS/2025/06/../../../../etc/CC-NEWS-20250630000000-00004.warc.gz",
        "https://evil.example/crawl-data/CC-NEWS/2025/06/CC-NEWS-20250630000000-00005.warc.gz",
        "crawl-data/CC-NEWS/2025/06/CC-NEWS-20250631000000-00006.warc.gz",   # no such day
        "  crawl-data/CC-NEWS/2025/06/CC-NEWS-20250630235959-00001.warc.gz  ",  # again
        "", "\x00garbage"])
    days = DateRange.parse("2025-06-30..2025-07-02")
    assert paths_in(listing, days) == ["crawl-data/CC-NEWS/2025/06/CC-NEWS-20250630235959-00001.warc.gz"]
    assert days.months() == [(2025, 6), (2025, 7)]
    assert DateRange.parse("2024-12-31..2025-01-01").months() == [(2024, 12), (2025, 1)]
    assert DateRange.parse("2025-06-01").months() == [(2025, 6)]
    for bad in ("2025-06-07..2025-06-01", "2025-13-01", "June", "2025-06-01..", ""):
        with pytest.raises(ValueError):
            DateRange.parse(bad)


def test_a_backfill_streams_the_files_in_range_waits_out_slowdown_and_never_downloads_a_finished_file_again(tmp_path):
    with Site() as site:
        mirror = Mirror(site)
        first = mirror.add_warc(warc_path("20250630120000", 1),
                                news_warc([f"https://www.example.com/{n}" for n in range(3)], "2025-06-30"))
        slow = mirror.add_warc(warc_path("20250701000000", 2),
                               news_warc([f"https://news.example.org/{n}" for n in range(2)], "2025-07-01"),
                               sequence=[(503, {"Retry-After": "1"}, b"<Error><Code>SlowDown</Code></Error>")])
        down = mirror.add_warc(warc_path("20250701010000", 3), news_warc(["https://down.example/"]),
                               status=503, headers={"Retry-After": "0"})
        later = mirror.add_warc(warc_path("20250702000000", 4), news_warc(["https://later.example/"]))
        mirror.list_lines("2025/07", ["not a path", "crawl-data/CC-NEWS/2025/07/CC-NEWS-bad.warc.gz"])
        output = tmp_path / "out"

        assert _run(mirror, output, "2025-06-30..2025-07-01", config=FAST_RETRIES, tmp=tmp_path) == 0
        run1 = check_accounting(output)
        assert mirror.downloads(later) == 0
        hits = site.hits_of(slow)
        assert len(hits) == 2 and hits[1].started - hits[0].started >= 0.95  # Retry-After: 1 honoured
        assert mirror.downloads(down) == 2  # the first attempt and one retry
        urls = sorted(r["url"] for r in rows(output, "articles"))
        assert urls == [f"https://news.example.org/{n}" for n in range(2)] + [f"https://www.example.com/{n}"
                                                                               for n in range(3)]
        [error] = rows(output, "errors")
        assert (error["stage"], error["error_type"], error["source"]) == ("fetch", "http_503", site.url(down))
        assert run1["counts"]["files_matched"] == 3 and run1["counts"]["files_read"] == 2
        assert run1["counts"]["cc_news"] == {"files_done": 2, "files_failed": 1, "items": 5}

        assert _run(mirror, output, "2025-06-30..2025-07-01", config=FAST_RETRIES, tmp=tmp_path) == 0
        run2 = check_accounting(output, manifests(output)[-1])
        assert (mirror.downloads(first), mirror.downloads(slow), mirror.downloads(down)) == (1, 2, 4)
        assert run2["counts"]["files_unchanged"] == 2 and run2["counts"]["articles"] == 0
        assert run2["counts"]["skipped_by_reason"]["unchanged_files"] == 2 == run2["counts"]["skipped"]
        assert run2["counts"]["errors"] == 1  # the file that failed is tried again, and fails again


def test_the_address_guard_stays_on_for_the_mirror_unless_the_private_network_is_allowed(tmp_path, capsys):
    with Site() as site:
        mirror = Mirror(site)
        mirror.add_warc(warc_path("20250601000000"), news_warc(["https://a.example/"]))
        code = run_newsbeam("--cc-news", "2025-06-01", "--cc-news-base-url", mirror.base_url,
                            "--output", tmp_path / "out")
    assert code == 2
    assert "non-public address" in capsys.readouterr().err
    assert not site.hits


@pytest.mark.parametrize("key, value, expected", [
    ("cc_news", "2025-06-07..2025-06-01", "end is not before its start"),
    ("cc_news", "2025-02-30", "real dates"),
    ("cc_news_base_url", "ftp://mirror.example/", "http(s) URL"),
    ("published_since", "yesterday", "a date YYYY-MM-DD"),
])
def test_bad_cc_news_settings_are_refused_naming_the_key(tmp_path, capsys, key, value, expected):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({key: value, "cc_news": "2025-06-01", "output": str(tmp_path / "out")}
                                     if key != "cc_news" else {key: value, "output": str(tmp_path / "out")}))
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"key '{key}'" in err and expected in err


def test_only_domains_and_the_publication_window_apply_to_files_and_archives_as_counted_skips(tmp_path):
    domains = tmp_path / "outlets.txt"
    domains.write_text("# outlets\nexample.com\nhttps://www.zeitung.example/\n")
    jsonl = tmp_path / "in" / "wire.jsonl"
    jsonl.parent.mkdir()
    text = "NATO and Ukraine discussed air defence in Brussels on Tuesday, ministers said. " * 3
    jsonl.write_text("\n".join([
        f'{{"url": "https://news.example.com/j1", "text": "{text} j1", "published": "2025-06-02"}}',
        f'{{"url": "https://badexample.com/j2", "text": "{text} j2", "published": "2025-06-02"}}',
        f'{{"text": "{text} no url", "published": "2025-06-02"}}',
        f'{{"url": "https://news.example.com/j3", "text": "{text} j3 undated"}}']) + "\n")
    with Site() as site:
        mirror = Mirror(site)
        mirror.add_warc(warc_path("20250601000000"), news_warc(
            ["https://www.example.com/in", "https://zeitung.example/not-www", "https://www.zeitung.example/w",
             "https://other.org/x"], "2025-06-01T08:00:00Z"))
        mirror.add_warc(warc_path("20250602000000", 1), news_warc(
            ["https://example.com/late"], "2025-06-09T08:00:00Z", title="Late"))
        mirror.add_warc(warc_path("20250602000000", 2), news_warc(["https://example.com/undated"], title="Undated"))
        output = tmp_path / "out"
        assert _run(mirror, output, "2025-06-01..2025-06-02", "--input", jsonl, "--only-domains", domains,
                    "--published-since", "2025-06-01", "--published-until", "2025-06-07") == 0
    counts = check_accounting(output)["counts"]
    # a page without a date of its own is dated by its capture (WARC-Date 2025-06-01): kept
    assert sorted(r["url"] for r in rows(output, "articles")) == [
        "https://example.com/undated", "https://news.example.com/j1", "https://www.example.com/in",
        "https://www.zeitung.example/w"]
    assert counts["skipped_by_reason"] == {"other_domain": 4, "published_outside_window": 1,
                                           "published_unknown": 1, "already_written": 0, "unchanged_files": 0,
                                           "off_topic": 0, "sitemap_outside_window": 0, "sitemap_undated": 0}
    assert counts["skipped"] == 6


def test_a_warc_body_is_read_as_it_arrives_never_whole(tmp_path):
    blob = os.urandom(1 << 20)
    warc = Warc().warcinfo()
    for n in range(24):
        warc.resource(f"https://a.example/{n}.bin", blob)
    warc.response("https://a.example/last", b"<html><body><p>the last page</p></body></html>")
    data = warc.data
    with Site() as site:
        url = site.add("/big.warc.gz", data, chunked=True)
        fetcher = StreamingFetcher(FetchSettings(allow_private_network=True))
        tracemalloc.start()
        try:
            stream = fetcher.get(url).body
            with stream:
                outcomes = list(read_records(stream, 1 << 20))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            fetcher.close()
    assert len(data) > 24 << 20
    assert [o.url for o in outcomes if isinstance(o, Capture)] == ["https://a.example/last"]
    assert stream.body.complete and stream.stored_bytes == len(data)
    assert peak < 8 << 20, peak  # a few chunks and one record, not the 24 MB file


def _backfill_peak_bytes(tmp: Path, pages: int) -> int:
    """Peak Python memory of an in-process backfill of one WARC file of ``pages`` 1 MB pages."""
    padding = "<!-- " + "x" * (1 << 20) + " -->"
    warc = Warc().warcinfo()
    for n in range(pages):
        html = article_page(f"Story {n}", [f"{TEXT} {n} {i}." for i in range(3)])
        warc.response(f"https://a.example/{n}", html.replace("<body>", "<body>" + padding).encode())
    with Site() as site:
        mirror = Mirror(site)
        mirror.add_warc(warc_path("20250601100000"), warc.data)
        tracemalloc.start()
        try:
            assert _run(mirror, tmp / f"out{pages}", "2025-06-01") == 0
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    counts = only_manifest(tmp / f"out{pages}")["counts"]
    assert counts["articles"] + counts["duplicates"] == pages
    return peak


def test_a_backfill_on_the_local_runner_holds_records_in_flight_not_the_whole_archive(tmp_path):
    grown = _backfill_peak_bytes(tmp_path, 42) - _backfill_peak_bytes(tmp_path, 2)
    assert grown < 20 << 20, grown  # 40 MB more pages: ~10 MB; held whole between stages (a Reshuffle), ~90 MB


def test_a_host_is_in_a_domain_or_below_it_never_beside_it():
    domains = frozenset({"example.com", "zeitung.example"})
    assert in_domains("https://example.com/a", domains)
    assert in_domains("https://WWW.Example.com./a", domains)
    assert in_domains("http://a.b.zeitung.example:8080/", domains)
    assert not in_domains("https://badexample.com/", domains)
    assert not in_domains("https://example.com.evil.org/", domains)
    assert not in_domains(None, domains)
    assert not in_domains("http://[::1/", domains)


# Property: whatever the listing lines and WARC bytes the mirror serves, the run succeeds and adds up.
FUZZ = settings(max_examples=int(os.environ.get("NEWSBEAM_FUZZ_EXAMPLES", "3")), deadline=None,
                derandomize=not os.environ.get("NEWSBEAM_FUZZ_RANDOM"), suppress_health_check=list(HealthCheck),
                database=None)
GOOD = news_warc([f"https://www.example.com/{n}" for n in range(3)], "2025-06-01")


@st.composite
def mutated_warcs(draw) -> bytes:
    data = bytearray(GOOD)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "splice"]))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            data = data[:max(1, at)]
        else:
            data[at:at] = draw(st.binary(max_size=40))
    return bytes(data)


listing_lines = st.one_of(
    st.text(max_size=80),
    st.builds(lambda stamp, serial: f"crawl-data/CC-NEWS/2025/06/CC-NEWS-{stamp}-{serial:05d}.warc.gz",
              st.from_regex(r"2025060[0-3][0-9]{6}", fullmatch=True), st.integers(0, 99999)))


@FUZZ
@given(st.lists(mutated_warcs(), min_size=1, max_size=3), st.lists(listing_lines, max_size=5))
def test_any_listing_and_any_warc_bytes_end_in_rows_that_add_up(bodies, lines):
    with tempfile.TemporaryDirectory() as tmp, Site() as site:
        mirror = Mirror(site)
        for n, body in enumerate(bodies):
            mirror.add_warc(warc_path("20250601000000", n), body)
        mirror.list_lines("2025/06", lines)
        output = Path(tmp) / "out"
        assert _run(mirror, output, "2025-06-01..2025-06-02", config=FAST_RETRIES, tmp=Path(tmp)) == 0
        counts = check_accounting(output)["counts"]
        assert counts["input_items"] >= 1


def test_a_listing_that_is_not_gzip_or_missing_stops_the_run_before_it_starts(tmp_path, capsys):
    with Site() as site:
        mirror = Mirror(site)
        site.add("/crawl-data/CC-NEWS/2025/06/warc.paths.gz", gzip.compress(os.urandom(500))[:100])
        assert _run(mirror, tmp_path / "out", "2025-06-01", config=FAST_RETRIES, tmp=tmp_path) == 2
        assert "cannot unpack the CC-NEWS listing" in capsys.readouterr().err
        assert _run(mirror, tmp_path / "out", "2025-07-01", config=FAST_RETRIES, tmp=tmp_path) == 2
        assert "HTTP 404" in capsys.readouterr().err
