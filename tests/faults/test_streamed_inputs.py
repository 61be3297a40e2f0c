"""Streamed inputs through the real CLI (issues 13 and 14): JSONL exports of any size read line
by line, WARC and ARC files read record by record, every item accounted for, damage costing
only what it touches, on local disk and on an object store."""
from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import check_accounting, rows, run_newsbeam
from tests.support.corpus import corpus
from tests.support.site import article_page
from tests.support.warc_files import Warc, arc, http_response

TEXTS = corpus(80, seed=14, paragraphs=3)
EXAMPLES = int(os.environ.get("NEWSBEAM_FUZZ_EXAMPLES", "3"))


def jsonl(start: int, count: int, **extra) -> bytes:
    return b"".join(json.dumps({"url": f"https://wire.example/{n}", "title": f"Story {n}", "text": TEXTS[n],
                                "published": "2025-06-01T08:00:00Z", **extra}, ensure_ascii=False).encode() + b"\n"
                    for n in range(start, start + count))


def html(n: int, published: str = "") -> bytes:
    return article_page(f"Page {n}", TEXTS[n].split("\n"), published).encode()


def test_jsonl_exports_and_web_archives_stream_with_caps_per_item(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    # larger than max_input_bytes, one line over max_item_bytes in the middle, U+2028 inside a string
    (inputs / "export.jsonl").write_bytes(jsonl(0, 10) + b'{"text": "' + b"x" * 9000 + b'"}\n'
                                          + jsonl(10, 10, title="Zwei\u2028Zeilen"))
    (inputs / "export.ndjson.gz").write_bytes(gzip.compress(jsonl(20, 10)))
    cut = gzip.compress(jsonl(30, 20))
    (inputs / "cut.jsonl.gz").write_bytes(cut[:len(cut) * 2 // 3])
    warc = (Warc(True).warcinfo().request("https://news.example/a").response("https://news.example/a", html(50))
            .metadata("https://news.example/a")
            .response("https://news.example/b", html(51, "2025-05-20T07:00:00Z"), date="2025-06-02T09:30:00Z")
            .revisit("https://news.example/a").response("https://news.example/gone", html(52), status="404 Not Found")
            .response("https://news.example/logo.png", b"\x89PNG", content_type="image/png")
            .response("https://news.example/damaged", html(53)).response("https://news.example/c", html(54))
            .response("https://news.example/cut", html(55)))
    data = bytearray(warc.data)
    middle = (warc.offsets[8] + warc.offsets[9]) // 2
    data[middle:middle + 8] = bytes(8)  # a corrupted record in the middle...
    (inputs / "crawl.warc.gz").write_bytes(data[:len(data) - 100])  # ...and a truncated last one
    (inputs / "old.arc").write_bytes(arc([("http://archive.example/x", http_response(html(56)))]))
    output = tmp_path / "out"

    assert run_newsbeam("--input", inputs, "--output", output, "--max-input-bytes", "4000",
                        "--max-item-bytes", "8000") == 0
    manifest = check_accounting(output)
    articles = {(Path(a["source"]).name, a["locator"]): a for a in rows(output, "articles")}
    errors = sorted((Path(e["source"]).name, e["locator"], e["stage"], e["error_type"])
                    for e in rows(output, "errors"))
    kept = sum(1 for name, _ in articles if name == "cut.jsonl.gz")
    assert 5 < kept < 20
    assert errors == sorted([("export.jsonl", "line 11", "parse", "too_large"),
                             ("cut.jsonl.gz", f"line {kept + 1}", "read", "unreadable"),
                             ("crawl.warc.gz", f"offset {warc.offsets[8]}", "read", "damaged_record"),
                             ("crawl.warc.gz", f"offset {warc.offsets[10]}", "read", "damaged_record")])
    assert sum(1 for name, _ in articles if name == "export.jsonl") == 20
    # U+2028 inside a JSON string does not end the record (line 12 is whole); in a title it is whitespace
    assert articles[("export.jsonl", "line 12")]["title"] == "Zwei Zeilen"
    assert sum(1 for name, _ in articles if name == "export.ndjson.gz") == 10
    page_a = articles[("crawl.warc.gz", f"offset {warc.offsets[2]}")]
    page_b = articles[("crawl.warc.gz", f"offset {warc.offsets[4]}")]
    assert (page_a["url"], page_a["source_type"], page_a["date_source"], str(page_a["published_at"])) == (
        "https://news.example/a", "warc", "crawled", "2025-06-01 10:00:00+00:00")
    assert (page_b["date_source"], str(page_b["published_at"])) == ("published", "2025-05-20 07:00:00+00:00")  # the page's time
    assert articles[("crawl.warc.gz", f"offset {warc.offsets[9]}")]["url"] == "https://news.example/c"
    assert articles[("old.arc", f"offset {len(arc([]))}")]["url"] == "http://archive.example/x"
    counts = manifest["counts"]
    assert counts["not_items"] == {"http_404": 1, "metadata": 1, "not_html": 1, "request": 1, "revisit": 1,
                                   "warcinfo": 2}
    assert counts["input_items"] == 20 + 1 + 10 + kept + 1 + 5 + 1  # + 1 ARC page


def test_streamed_inputs_on_an_object_store(tmp_path, s3_output):
    _, options, client = s3_output
    client.put_object(Bucket="news", Key="in/export.jsonl.gz", Body=gzip.compress(jsonl(60, 3)))
    client.put_object(Bucket="news", Key="in/crawl.warc.gz",
                      Body=Warc(True).warcinfo().response("https://news.example/s3", html(63)).data)
    endpoint = options.get_all_options()["s3_endpoint_url"]
    output = tmp_path / "out"
    assert run_newsbeam("--input", "s3://news/in/", "--output", output, "--s3_endpoint_url", endpoint,
                        "--s3_region_name", "us-east-1") == 0
    check_accounting(output)
    assert sorted(a["url"] for a in rows(output, "articles")) == [
        "https://news.example/s3", "https://wire.example/60", "https://wire.example/61", "https://wire.example/62"]


@st.composite
def archives(draw):
    """A WARC or ARC file of random records, perhaps damaged: (name, bytes)."""
    kind, compress = draw(st.sampled_from(["warc", "arc"])), draw(st.booleans())
    records = draw(st.lists(st.tuples(st.sampled_from(["page", "dated", "404", "png", "request", "metadata",
                                                       "revisit", "empty", "junk"]), st.integers(0, 79)),
                            min_size=0, max_size=6))
    if kind == "warc":
        warc = Warc(compress).warcinfo()
        for what, n in records:
            url = f"https://fuzz.example/{n}"
            {"page": lambda: warc.response(url, html(n)), "dated": lambda: warc.response(url, html(n, "2025-01-02")),
             "404": lambda: warc.response(url, html(n), status="404 Not Found"),
             "png": lambda: warc.response(url, b"\x89PNG", content_type="image/png"),
             "request": lambda: warc.request(url), "metadata": lambda: warc.metadata(url),
             "revisit": lambda: warc.revisit(url), "empty": lambda: warc.response(url, b""),
             "junk": lambda: warc.response(url, bytes(range(256)))}[what]()
        data = warc.data
    else:
        data = arc([(f"http://fuzz.example/{n}", http_response(html(n), status="404 Not Found" if what == "404"
                                                                else "200 OK")) for what, n in records], compress)
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 3))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "zero"]))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=40))
        else:
            data[at:at + 16] = bytes(len(data[at:at + 16]))
    return f"{kind}.{kind}" + (".gz" if compress else ""), bytes(data)


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("NEWSBEAM_FUZZ_RANDOM"),
          suppress_health_check=list(HealthCheck), database=None)
@given(st.lists(archives(), min_size=1, max_size=3))
def test_any_web_archive_ends_as_rows_that_add_up(files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        for n, (name, data) in enumerate(files):
            (folder / f"{n}-{name}").write_bytes(data)
        output = Path(tmp) / "out"
        assert run_newsbeam("--input", folder, "--output", output, "--extract-timeout", "0") == 0
        counts = check_accounting(output)["counts"]
        assert counts["input_items"] >= len(files) and counts["files_read"] == len(files)
