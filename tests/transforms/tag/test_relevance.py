"""The relevance filter through the real CLI: off-topic items are counted skips, never rows or index entries."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsbeam.pipeline.cli import main
from tests.conftest import check_accounting, manifests, rows, run_newsbeam

NATO = "NATO defence ministers met in Brussels on Tuesday to agree on air defence spending for next year. " * 3
UKRAINE = "Ukraine's grain exports rose again in June, the agriculture ministry in Kyiv said on Monday. " * 3
WEATHER = "Heavy rain is expected across the north of the country this weekend, the weather service said. " * 3


def _write(folder: Path, texts: dict[str, str]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text)
    return folder


def _config(tmp_path: Path, relevance: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"relevance": relevance}))
    return path


def _index_rows(output: Path) -> int:
    return sum(pq.read_metadata(p).num_rows for p in (output / "_index").glob("*.parquet"))


def test_off_topic_items_are_counted_skips_not_rows_and_not_in_the_dedup_index(tmp_path):
    inputs = _write(tmp_path / "in", {"nato.txt": NATO, "weather.txt": WEATHER, "weather-copy.txt": WEATHER,
                                      "ukraine.txt": UKRAINE})
    output = tmp_path / "out"
    config = _config(tmp_path, {"entities": ["nato"]})
    assert run_newsbeam("--config", config, "--input", f"{inputs}/*.txt", "--output", output) == 0
    counts = check_accounting(output)["counts"]
    assert (counts["articles"], counts["duplicates"], counts["errors"], counts["skipped"]) == (1, 0, 0, 3)
    assert {k: v for k, v in counts["skipped_by_reason"].items() if v} == {"off_topic": 3}
    assert [row["source"].rsplit("/", 1)[1] for row in rows(output, "articles")] == ["nato.txt"]
    assert _index_rows(output) == 1
    # Without the filter, the items left out before are new: written, the copy as a duplicate of its original.
    assert run_newsbeam("--input", f"{inputs}/*.txt", "--output", output, "--reprocess") == 0
    second = check_accounting(output, manifests(output)[-1])["counts"]
    assert (second["articles"], second["duplicates"], second["skipped"]) == (2, 1, 1)
    assert second["skipped_by_reason"]["already_written"] == 1 and second["skipped_by_reason"]["off_topic"] == 0


def test_only_relevant_without_names_keeps_any_lexicon_entity_and_topics_select_by_tag(tmp_path):
    inputs = _write(tmp_path / "in", {"nato.txt": NATO, "weather.txt": WEATHER, "ukraine.txt": UKRAINE})
    output = tmp_path / "out"
    assert run_newsbeam("--input", f"{inputs}/*.txt", "--output", output, "--only-relevant") == 0
    counts = check_accounting(output)["counts"]
    assert (counts["articles"], counts["skipped_by_reason"]["off_topic"]) == (2, 1)
    topic_output = tmp_path / "topic"
    config = _config(tmp_path, {"topics": ["nato_ukraine_membership"]})
    assert run_newsbeam("--config", config, "--input", f"{inputs}/*.txt", "--output", topic_output) == 0
    assert check_accounting(topic_output)["counts"]["skipped_by_reason"]["off_topic"] == 3


def test_an_unknown_relevance_name_stops_the_run_before_it_starts(tmp_path, capsys):
    inputs = _write(tmp_path / "in", {"nato.txt": NATO})
    config = _config(tmp_path, {"entities": ["natto"]})
    assert run_newsbeam("--config", config, "--input", f"{inputs}/*.txt", "--output", tmp_path / "out") == 2
    assert "unknown entity 'natto'" in capsys.readouterr().err
    assert not (tmp_path / "out" / "_runs").exists() or not list((tmp_path / "out" / "_runs").glob("*.json"))


FUZZ = settings(max_examples=int(os.environ.get("NEWSBEAM_FUZZ_EXAMPLES", "4")), deadline=None,
                derandomize=not os.environ.get("NEWSBEAM_FUZZ_RANDOM"), suppress_health_check=list(HealthCheck),
                database=None)
pieces = st.sampled_from([NATO, UKRAINE, WEATHER, "short", "", "Die Nato berät über den Beitritt der Ukraine. " * 3,
                          "\udcff\x00 NATO?"])
records = st.fixed_dictionaries({"text": st.lists(pieces, min_size=1, max_size=3).map(" ".join)},
                                optional={"url": st.sampled_from(["https://a.example/1", "https://a.example/2", "x"]),
                                          "title": st.sampled_from(["NATO summit", "Rain", "", "Ukraine"])})


@FUZZ
@given(lines=st.lists(records, max_size=8), relevance=st.sampled_from(
    [{"entities": ["nato"]}, {"entities": ["ukraine"], "topics": ["nato_ukraine_membership"]}, {}]))
def test_accounting_holds_with_the_filter_on(lines, relevance):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "in").mkdir()
        (folder / "in" / "items.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
        (folder / "config.yaml").write_text(yaml.safe_dump({"relevance": relevance, "only_relevant": True}))
        output = folder / "out"
        assert main(["run", "--config", str(folder / "config.yaml"), "--input", f"{folder}/in/*.jsonl",
                     "--output", str(output)]) == 0
        counts = check_accounting(output)["counts"]
        assert counts["skipped"] == sum(counts["skipped_by_reason"].values())
        entities = set(relevance.get("entities", ())) if relevance else {"nato", "ukraine", "kyiv", "zelensky"}
        topics = set(relevance.get("topics", ())) if relevance else {"nato_ukraine_membership"}
        for article in rows(output, "articles"):
            assert {m["entity"] for m in article["mentions"]} & entities or set(article["tags"]) & topics, article
