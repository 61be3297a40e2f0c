"""Fetch throughput: pages/s against servers that take 200 ms per response.

Eight loopback hosts (127.0.0.1 to 127.0.0.8), one feed each with 25 entries,
every response delayed 200 ms. The bare baseline, measured in the same run, is
a plain sequential ``requests.get`` loop over the same pages; newsbeam runs the
whole pipeline (fetch feeds, fetch pages, extract, dedup, tag, write) twice:
with the polite defaults (2 requests in flight per host, 0.5 s between request
starts to a host) and with 4 per host and no delay. The ratio is newsbeam's
pages/s over the baseline's.

    .venv/bin/python -m bench.fetch_throughput
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsbeam.pipeline.cli import main  # noqa: E402
from tests.support.site import Site, article_page, rss  # noqa: E402

HOSTS, PER_FEED, DELAY, BASELINE_PAGES = 8, 25, 0.2, 20


def build_sites(stack):
    sites, feeds, pages = [], [], []
    for h in range(HOSTS):
        site = stack(Site(host=f"127.0.0.{h + 1}"))
        entries = []
        for a in range(PER_FEED):
            path = f"/story-{a}.html"
            text = [f"Host {h} story {a}: NATO ministers discussed support for Ukraine in detail.",
                    f"Second paragraph of story {a} on host {h}, with more about the meeting."]
            site.add(path, article_page(f"Host {h} story {a}", text), delay=DELAY)
            entries.append({"title": f"Host {h} story {a}", "link": site.url(path),
                            "pubDate": "Tue, 02 Sep 2025 08:00:00 GMT", "description": "teaser"})
            pages.append(site.url(path))
        feeds.append(site.add("/feed.xml", rss(entries), delay=DELAY))
        sites.append(site)
    return sites, feeds, pages


def baseline(pages):
    session = requests.Session()
    started = time.perf_counter()
    for url in pages[:BASELINE_PAGES]:
        session.get(url, timeout=10).raise_for_status()
    return BASELINE_PAGES / (time.perf_counter() - started)


def newsbeam(feeds, fetch, work):
    config = work / "bench.yaml"
    config.write_text(yaml.safe_dump({"feeds": feeds, "log_level": "WARNING",
                                      "fetch": {"allow_private_network": True, "concurrency": 32, **fetch}}))
    output = work / f"out-{time.monotonic_ns()}"
    started = time.perf_counter()
    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            assert main(["run", "--config", str(config), "--output", str(output)]) == 0
        finally:
            sys.stdout = stdout
    seconds = time.perf_counter() - started
    (manifest_path,) = (output / "_runs").glob("*.json")
    pages = json.loads(manifest_path.read_text())["counts"]["pages"]["fetched"]
    return pages / seconds, pages, seconds


def run():
    from contextlib import ExitStack

    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        _, feeds, pages = build_sites(stack.enter_context)
        base = baseline(pages)
        polite = newsbeam(feeds, {}, Path(tmp))
        eager = newsbeam(feeds, {"per_host_concurrency": 4, "per_host_delay": 0.0}, Path(tmp))
    print(f"fetch throughput, {HOSTS} hosts x {PER_FEED} pages, {DELAY * 1000:.0f} ms per response, "
          f"{os.cpu_count()} cores")
    print(f"{'configuration':<44}{'pages':>7}{'seconds':>9}{'pages/s':>9}{'ratio':>7}")
    print(f"{'baseline: sequential requests.get loop':<44}{BASELINE_PAGES:>7}{BASELINE_PAGES / base:>9.1f}"
          f"{base:>9.1f}{1.0:>7.1f}")
    for name, (rate, n, seconds) in (("newsbeam, polite defaults (2/host, 0.5 s)", polite),
                                     ("newsbeam, 4/host, no delay", eager)):
        print(f"{name:<44}{n:>7}{seconds:>9.1f}{rate:>9.1f}{rate / base:>7.1f}")


if __name__ == "__main__":
    run()
