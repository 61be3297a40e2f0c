"""One bad item never ends a run, nor wedges the runs after it (issue 11, item 1).

Each case here ended the whole run before (OverflowError, UnicodeEncodeError,
ValueError); now the item becomes an article or one error row, the other items
are written, the counts add up, and a rerun succeeds.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from tests.conftest import check_accounting, manifests, rows, run_newsbeam
from tests.support.corpus import corpus
from tests.support.site import Site, article_page, rss

TEXT = ("Die Nato und die Ukraine beraten in Brüssel über den Beitritt. Die Außenminister der Allianz "
        "sprachen am Dienstag über Luftverteidigung, Munition und den Wiederaufbau des Stromnetzes.")
BODIES = corpus(12, seed=5, paragraphs=1)


def story(n: int) -> str:
    """A distinct article text (no two of them are near-duplicates) that mentions NATO and Ukraine."""
    return f"{TEXT} {BODIES[n]}"
FAST_FETCH = {"allow_private_network": True, "per_host_delay": 0.0, "backoff_base": 0.01,
              "connect_timeout": 2.0, "read_timeout": 2.0, "retries": 0, "respect_robots": False}


def jsonl(records: list[dict]) -> str:
    return "\n".join(json.dumps(r) for r in records) + "\n"


def run_twice(*args) -> list[dict]:
    """The same run twice into one output: neither may fail, both must account for every item.

    The second run reads every file again (``--reprocess``), so the bad items meet the
    pipeline twice, the second time against what the first wrote."""
    output = Path(args[args.index("--output") + 1])
    assert run_newsbeam(*args, "--run-id", "first") == 0
    assert run_newsbeam(*args, "--run-id", "second", "--reprocess") == 0
    found = {m["run_id"]: m for m in manifests(output)}
    return [check_accounting(output, found[run_id]) for run_id in ("first", "second")]


def test_dates_in_year_1_and_9999_count_as_unknown_and_say_so(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "zero.jsonl").write_text(jsonl([
        {"url": "https://a.example/zero", "title": "Go zero time", "text": story(0),
         "published": "0001-01-01T00:00:00Z"},
        {"url": "https://a.example/far", "title": "Year 9999", "text": story(1), "published": "9999-12-31T23:59:59Z"},
        {"url": "https://a.example/ok", "title": "A real date", "text": story(2), "published": "2025-06-24T10:00:00Z"},
    ]))
    (inputs / "hugo.rss").write_bytes(rss([{"title": "Undated Hugo page", "link": "https://b.example/page",
                                            "pubDate": "Mon, 01 Jan 0001 00:00:00 +0000", "description": story(3)}]))
    (inputs / "dump.txt").write_text(f"Eine Meldung ohne Datum\nJan 1, 0001\n{story(4)}\n")
    first, second = run_twice("--input", inputs, "--output", tmp_path / "out")
    assert first["counts"]["articles"] == 5 and first["counts"]["errors"] == 0
    assert second["counts"]["skipped"] == 5  # the rerun is not wedged, and writes nothing twice
    by_title = {a["title"]: a for a in rows(tmp_path / "out", "articles")}
    ingest_day = first["started_at"][:10]
    for title in ("Go zero time", "Year 9999", "Undated Hugo page", "Eine Meldung ohne Datum"):
        article = by_title[title]
        assert (article["published_at"], article["date_source"]) == (None, "out_of_range"), title
        assert str(article["date"]) == ingest_day
    assert by_title["A real date"]["date_source"] == "published"


def test_lone_surrogates_and_file_names_that_are_not_utf8(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "surrogate.jsonl").write_text(
        '{"url": "https://a.example/s", "title": "Lone \\ud800 surrogate", "text": "' + story(0) + ' \\udfff"}\n'
        '{"url": "https://a.example/t", "title": "Its neighbour", "text": "' + story(1) + '"}\n')
    name = os.fsdecode(b"caf\xe9-nato.txt")  # Latin-1 file name on a UTF-8 system
    (inputs / name).write_text(f"Ein Titel\n{story(2)}\n")
    first, _ = run_twice("--input", inputs, "--output", tmp_path / "out")
    assert first["counts"]["articles"] == 3 and first["counts"]["errors"] == 0
    titles = {a["title"]: a for a in rows(tmp_path / "out", "articles")}
    assert "Lone \ufffd surrogate" in titles and "Its neighbour" in titles
    assert titles["Ein Titel"]["source"].endswith("caf\\xe9-nato.txt")  # the raw byte, shown


def test_a_hostile_feed_costs_its_own_entries_and_never_the_good_feed(tmp_path):
    with Site() as site:
        site.add("/page.html", article_page("A page", [story(0)]))
        bad = rss([
            {"title": "Lone &#55296; surrogate", "link": site.url("/page.html") + "?a=1", "description": story(1)},
            {"title": "Port out of range", "link": "http://host.invalid:99999/x", "description": story(2)},
            {"title": "Broken IPv6", "link": "http://[::1/", "description": story(3)},
            {"title": "Go zero time", "link": site.url("/page.html") + "?a=4",
             "pubDate": "Mon, 01 Jan 0001 00:00:00 +0000"},
        ])
        site.add("/bad.xml", bad, etag='"bad-1"')
        site.add("/good.xml", rss([{"title": f"Good {i}", "link": site.url(f"/good-{i}.html"),
                                    "pubDate": "Tue, 24 Jun 2025 08:00:00 GMT"} for i in range(3)]), etag='"good-1"')
        for i in range(3):
            site.add(f"/good-{i}.html", article_page(f"Good {i}", [story(4 + i)]))
        config = tmp_path / "feeds.yaml"
        config.write_text(yaml.safe_dump({"feeds": [site.url("/bad.xml"), site.url("/good.xml")],
                                          "fetch": FAST_FETCH}))
        first, second = run_twice("--config", config, "--output", tmp_path / "out")
    assert first["counts"]["input_items"] == 7
    good = [a for a in rows(tmp_path / "out", "articles") if a["title"].startswith("Good")]
    assert len(good) == 3  # the bad feed in the same run took nothing from the good one
    # the entries whose links are broken keep their feed text, as any entry whose page fails does
    texts = {a["title"]: a["text_source"] for a in rows(tmp_path / "out", "articles")}
    assert texts.get("Port out of range") == texts.get("Broken IPv6") == "feed_summary"
    assert second["counts"]["input_items"] == 0  # 304s: nothing new, nothing wedged


def test_an_exception_in_any_stage_becomes_that_items_error_row(tmp_path, monkeypatch):
    """A bug that raises for one item in extraction, dedup or tagging costs that item only."""
    from newsbeam.transforms.tag import mentions as tag
    from newsbeam.transforms.dedup import minhash

    original_tag, original_signature = tag.Tagger.tag, minhash.MinHasher.signature

    def tag_unless_poisoned(self, title, text):
        if "POISON-TAG" in text:
            raise RuntimeError("tagger bug")
        return original_tag(self, title, text)

    def sign_unless_poisoned(self, text):
        if "POISON-DEDUP" in text:
            raise MemoryError("signature bug")
        return original_signature(self, text)

    monkeypatch.setattr(tag.Tagger, "tag", tag_unless_poisoned)
    monkeypatch.setattr(minhash.MinHasher, "signature", sign_unless_poisoned)
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.jsonl").write_text(jsonl([
        {"url": f"https://a.example/{i}", "title": f"Story {i}", "text": f"{story(i)} {marker}"}
        for i, marker in enumerate(["", "POISON-TAG", "POISON-DEDUP", ""])]))
    output = tmp_path / "out"
    assert run_newsbeam("--input", inputs, "--output", output) == 0
    manifest = check_accounting(output)
    assert manifest["counts"]["articles"] == 2
    errors = {(e["locator"], e["stage"], e["error_type"]) for e in rows(output, "errors")}
    assert errors == {("line 2", "tag", "runtime_error"), ("line 3", "dedup", "memory_error")}
    assert manifest["counts"]["errors_by_stage"]["tag"] == manifest["counts"]["errors_by_stage"]["dedup"] == 1


@pytest.mark.parametrize("where", ["jsonl", "sidecar"])
def test_bad_published_values_never_end_the_run(tmp_path, where):
    inputs = tmp_path / "in"
    inputs.mkdir()
    values = ["0001-01-01T00:00:00Z", "9999-12-31", 1e30, -62135596800, "Mon, 01 Jan 0001 00:00:00 +0000",
              "2025-02-30", "0000-00-00"]
    if where == "jsonl":
        (inputs / "a.jsonl").write_text(jsonl([{"url": f"https://a.example/{i}", "text": story(i), "published": v}
                                               for i, v in enumerate(values)]))
    else:
        meta = {}
        for i, value in enumerate(values):
            (inputs / f"d{i}.txt").write_text(f"Titel {i}\n{story(i)}\n")
            meta[f"d{i}.txt"] = {"published": value}
        (inputs / "_meta.yaml").write_text(yaml.safe_dump(meta))
    output = tmp_path / "out"
    assert run_newsbeam("--input", inputs, "--output", output) == 0
    manifest = check_accounting(output)
    assert manifest["counts"]["articles"] == len(values)
    assert {a["date_source"] for a in rows(output, "articles")} <= {"out_of_range", "ingested"}
