"""The whole CLI on real files, read back the way analysts read it: DuckDB and pyarrow."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from newsbeam.transforms.write.schema import ARTICLES, DUPLICATES, ERRORS
from tests.conftest import SAMPLES, SEEDS, check_accounting, parquet_files, requires_seeds, rows, run_newsbeam

# --- the bundled samples -----------------------------------------------------------------------

def test_samples_every_item_ends_in_exactly_one_place(samples_output):
    manifest = check_accounting(samples_output)
    assert manifest["counts"]["input_items"] == 18
    assert (manifest["counts"]["articles"], manifest["counts"]["duplicates"], manifest["counts"]["errors"]) == (13, 4, 1)


def test_samples_are_read_by_pyarrow_with_the_contract_schema(samples_output):
    for table, schema in (("articles", ARTICLES), ("duplicates", DUPLICATES), ("errors", ERRORS)):
        dataset = ds.dataset(samples_output / table, format="parquet", partitioning="hive")
        for field in schema:
            assert dataset.schema.field(field.name).type == field.type, (table, field.name)
        assert "date" in dataset.schema.names
        assert ("outlet" in dataset.schema.names) == (table != "errors")
    articles = ds.dataset(samples_output / "articles", format="parquet", partitioning="hive").to_table()
    assert articles.num_rows == 13
    assert str(articles.schema.field("published_at").type) == "timestamp[us, tz=UTC]"


def test_samples_rows_make_sense(samples_output):
    articles = {r["title"]: r for r in rows(samples_output, "articles")}
    cp1252 = articles["Streit um Ukraine-Hilfe: Länder fordern mehr Geld vom Bund"]
    assert "„Die Kommunen sind an der Grenze ihrer Möglichkeiten“" in cp1252["text"]
    assert "Ukrainerinnen und Ukrainer" in cp1252["text"]
    assert (cp1252["outlet"], str(cp1252["date"]), cp1252["date_source"]) == ("rheinblatt", "2025-03-04", "published")
    assert cp1252["ukraine_mentions"] == 4 and cp1252["nato_mentions"] == 0 and cp1252["tags"] == ["ukraine"]
    nordkurier = articles["Nato-Gipfel in Den Haag: Ukraine hofft auf klares Signal zum Beitritt"]
    assert nordkurier["url"] == "https://www.nordkurier.example/politik/nato-gipfel-ukraine"
    assert (str(nordkurier["date"]), nordkurier["date_source"]) == ("2025-06-24", "date_hint")
    for furniture in ("Cookies", "Ad-Blocker", "Teilen", "Lesen Sie auch", "nach oben", "Lesezeit", "Politik\n"):
        assert furniture not in nordkurier["text"]
    assert nordkurier["text"].startswith("Vor dem Treffen der Staats- und Regierungschefs der NATO")
    assert {r["language"] for r in articles.values()} == {"de", "en", "fr"}
    assert {r["source_type"] for r in articles.values()} == {"txt", "html", "jsonl", "feed"}
    for article in articles.values():
        assert re.fullmatch(r"[0-9a-f]{32}", article["article_id"]) and article["run_id"] == "samples-run"
        assert article["word_count"] == len(article["text"].split())


def test_samples_duplicates_point_at_kept_articles(samples_output):
    kept = {r["article_id"] for r in rows(samples_output, "articles")}
    duplicates = rows(samples_output, "duplicates")
    assert sorted(d["reason"] for d in duplicates) == ["near_duplicate", "same_content", "same_url", "same_url"]
    assert all(d["duplicate_of"] in kept for d in duplicates)
    # the Ostsee-Bote reprint of the Nordkurier story, with its own furniture and a light edit
    (near,) = [d for d in duplicates if d["reason"] == "near_duplicate"]
    (original,) = rows(samples_output, "articles", f"article_id = '{near['duplicate_of']}'")
    assert (near["outlet"], original["outlet"]) == ("ostsee-bote", "nordkurier-beispiel")
    assert 0.65 <= near["similarity"] < 1.0
    assert (original["cluster_id"], original["duplicate_count"], original["duplicate_outlets"]) == (
        original["article_id"], 1, ["Ostsee-Bote"])
    (error,) = rows(samples_output, "errors")
    assert (error["stage"], error["error_type"], error["locator"]) == ("parse", "invalid_json", "line 4")
    assert error["excerpt"].startswith('{"url": "https://broken.example/a"')


@pytest.mark.parametrize("mode", ["multi_processing", "multi_threading"])
def test_same_rows_and_ids_with_two_workers(samples_output, tmp_path, mode):
    assert run_newsbeam("--input", f"{SAMPLES}/**", "--output", tmp_path, "--run-id", "samples-run",
                        "--direct_num_workers=2", f"--direct_running_mode={mode}") == 0
    check_accounting(tmp_path)
    drop = {"ingested_at"}
    for table in ("articles", "duplicates", "errors"):
        ours = sorted((tuple((k, str(v)) for k, v in sorted(r.items()) if k not in drop)
                       for r in rows(tmp_path, table)))
        theirs = sorted((tuple((k, str(v)) for k, v in sorted(r.items()) if k not in drop)
                         for r in rows(samples_output, table)))
        if table == "errors":  # errors are partitioned by ingestion date, which may differ
            ours = [tuple(kv for kv in r if kv[0] != "date") for r in ours]
            theirs = [tuple(kv for kv in r if kv[0] != "date") for r in theirs]
        assert ours == theirs, table
    # the same files too (errors aside: their folder is the ingestion date)
    assert {p for p in parquet_files(tmp_path) if not p.startswith("errors/")} == \
        {p for p in parquet_files(samples_output) if not p.startswith("errors/")}


# --- the seed articles -------------------------------------------------------------------------

# Mentions in title + body, counted by hand from the definitions (and matching an independent
# grep over the raw files, less the repeated title of 003 and the two photo captions of 002).
SEED_COUNTS = {"000": (15, 22), "001": (13, 25), "002": (3, 12), "003": (7, 8), "004": (8, 24)}


@requires_seeds
def test_seeds_give_five_clean_tagged_articles(seeds_output):
    check_accounting(seeds_output)
    articles = {Path(r["source"]).name[:3]: r for r in rows(seeds_output, "articles")}
    assert sorted(articles) == sorted(SEED_COUNTS)
    for prefix, (nato, ukraine) in SEED_COUNTS.items():
        article = articles[prefix]
        assert (article["nato_mentions"], article["ukraine_mentions"]) == (nato, ukraine), prefix
        assert {"nato", "ukraine", "nato_ukraine_membership"} <= set(article["tags"]), prefix
        assert article["language"] == "de" and article["comention_sentences"]
        tagged = f"{article['title']}\n\n{article['text']}" if article["title"] else article["text"]
        for mention in article["mentions"]:  # offsets point into title + "\n\n" + text
            assert tagged[mention["start"]:mention["end"]] == mention["surface"]
        assert sum(m["entity"] == "nato" for m in article["mentions"]) == nato
    text = "\n".join(a["text"] for a in articles.values())
    for furniture in ("Cookies", "Ad-Blocker", "0,99€", "Logo", "min de lecture", "nach oben", "AP Photo",
                      "date 2025-02", "Liste voller skandalöser Überraschungen", "\nNachrichten\n"):
        assert furniture not in text, furniture
    assert articles["002"]["date"] == dt.date(2025, 8, 20) and articles["002"]["date_source"] == "text"
    assert articles["004"]["date"] == dt.date(2025, 2, 1) and articles["004"]["date_source"] == "date_hint"
    assert articles["000"]["date_source"] == "ingested"


@requires_seeds
def test_seed_text_holds_every_body_paragraph(seeds_output):
    articles = {Path(r["source"]).name[:3]: r for r in rows(seeds_output, "articles")}
    for prefix, article in articles.items():
        (path,) = SEEDS.glob(f"{prefix}_*.txt")
        body = [" ".join(line.split()) for line in path.read_text(encoding="utf-8").splitlines()]
        # a body paragraph: a long line that ends a sentence; one furniture line in 001 does too
        paragraphs = [line for line in body if len(line) > 120 and line.endswith((".", "“", "\"", "»"))
                      and not line.startswith("Sie haben das Produkt bereits gekauft")]
        assert paragraphs
        for paragraph in paragraphs:
            assert paragraph.replace("date 2025-02 ", "") in article["text"], (prefix, paragraph[:60])


# --- bad input ---------------------------------------------------------------------------------

def make_bad_inputs(folder: Path) -> None:
    folder.mkdir()
    german = "Die Ukraine fordert mehr Unterstützung für die Luftverteidigung, sagte der Außenminister in Köln."
    (folder / "latin1.txt").write_bytes(f"Grüße aus Köln\n{german}\n".encode("latin-1"))
    (folder / "cp1252.txt").write_bytes(f"„Zitat“ – Titel\n{german} „Wir brauchen Hilfe“, sagte er.\n"
                                        .encode("cp1252"))
    (folder / "junk.txt").write_bytes(bytes(range(256)) * 16)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "broken.html").write_text(f"<html><body><div><p>{german} <b>NATO {german}</p><p>{german}"
                                        f"<div><span>unclosed", encoding="utf-8")
    (folder / "nothing.html").write_text("<html><head><title>x</title></head><body></body></html>")
    (folder / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (folder / "report.pdf").write_bytes(b"%PDF-1.4 ...")
    lines = [json.dumps({"url": "javascript:alert(1)", "title": "Hostile", "outlet": "../../../etc",
                         "text": "A record whose URL and outlet try to escape, about Ukraine and NATO."}),
             '{"title": "broken',
             json.dumps({"title": "Leer", "text": ""})]
    (folder / "records.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "bomb.txt.gz").write_bytes(gzip.compress(b"NATO " * 2_000_000))
    (folder / "feed.rss").write_text("<html><body>Not a feed</body></html>")


def test_bad_input_becomes_error_rows_and_the_run_goes_on(tmp_path):
    make_bad_inputs(tmp_path / "in")
    output = tmp_path / "out"
    assert run_newsbeam("--input", tmp_path / "in", "--output", output, "--max-input-bytes", "1000000") == 0
    manifest = check_accounting(output)
    errors = {(Path(e["source"]).name, e["locator"]): (e["stage"], e["error_type"]) for e in rows(output, "errors")}
    assert errors == {
        ("junk.txt", ""): ("decode", "undecodable"),
        ("empty.txt", ""): ("read", "empty"),
        ("nothing.html", ""): ("extract", "no_text"),
        ("binary.html", ""): ("decode", "undecodable"),
        ("report.pdf", ""): ("read", "unsupported_format"),
        ("records.jsonl", "line 2"): ("parse", "invalid_json"),
        ("records.jsonl", "line 3"): ("extract", "no_text"),
        ("bomb.txt.gz", ""): ("read", "too_large"),
        ("feed.rss", ""): ("parse", "not_a_feed"),
    }
    assert manifest["counts"]["errors_by_stage"] == {"read": 3, "fetch": 0, "decode": 2, "parse": 2, "extract": 2,
                                                   "dedup": 0, "tag": 0, "write": 0}
    articles = {Path(a["source"]).name: a for a in rows(output, "articles")}
    assert sorted(articles) == ["broken.html", "cp1252.txt", "latin1.txt", "records.jsonl"]
    assert articles["latin1.txt"]["title"] == "Grüße aus Köln" and "Außenminister" in articles["latin1.txt"]["text"]
    assert articles["cp1252.txt"]["title"] == "„Zitat“ – Titel"
    assert "„Wir brauchen Hilfe“" in articles["cp1252.txt"]["text"]
    hostile = articles["records.jsonl"]
    assert hostile["url"] is None and hostile["outlet"] == "etc" and hostile["outlet_name"] == "../../../etc"
    # nothing landed outside the output folder
    for path in output.rglob("*"):
        assert os.path.realpath(path).startswith(os.path.realpath(output) + os.sep)


def test_pathological_pages_cannot_stall_a_run(tmp_path):
    """A 5 MB page takes trafilatura 10+ s: over the limit it becomes a timeout row, the rest goes on."""
    from tests.support.pathological import binary_blob, deep_nesting, huge_markup

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "huge.html").write_text(huge_markup(5), encoding="utf-8")
    (folder / "nested.html").write_text(deep_nesting(10_000), encoding="utf-8")
    (folder / "blob.html").write_bytes(binary_blob())
    for page in (SAMPLES / "html").glob("*.html"):
        (folder / page.name).write_bytes(page.read_bytes())
    output = tmp_path / "out"
    assert run_newsbeam("--input", folder, "--output", output, "--extract-timeout", "2") == 0
    manifest = check_accounting(output)
    assert manifest["timings_seconds"]["pipeline"] < 60
    errors = {Path(e["source"]).name: e for e in rows(output, "errors")}
    assert (errors["huge.html"]["stage"], errors["huge.html"]["error_type"]) == ("extract", "timeout")
    assert "extract_timeout_seconds" in errors["huge.html"]["message"]
    assert errors["blob.html"]["stage"] in ("decode", "extract")
    assert "nested.html" in errors or "nested.html" in {Path(a["source"]).name for a in rows(output, "articles")}
    samples = {page.name for page in (SAMPLES / "html").glob("*.html")}
    assert samples <= {Path(a["source"]).name for a in rows(output, "articles")} | \
        {Path(d["source"]).name for d in rows(output, "duplicates")}
