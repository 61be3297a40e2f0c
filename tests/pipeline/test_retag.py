"""`newsbeam retag`: new tag columns for a changed lexicon, and nothing else changed."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from newsbeam.configs import DEFAULT_LEXICON
from newsbeam.pipeline.cli import main
from newsbeam.pipeline.lock import OutputLock
from newsbeam.pipeline.retag import TAG_COLUMNS
from tests.conftest import rows, run_newsbeam

EU = "The European Union and NATO agreed on Tuesday to coordinate air defence deliveries for Ukraine. " * 3
NATO = "NATO defence ministers met in Brussels to discuss the alliance's budget for next year. " * 3
WEATHER = "Heavy rain is expected across the north of the country this weekend, forecasters said. " * 3


def _lexicon_with_eu(path: Path) -> Path:
    """The packaged lexicon plus an 'eu' entity: what a lexicon change looks like."""
    lexicon = yaml.safe_load(DEFAULT_LEXICON.read_text())
    lexicon["entities"]["eu"] = {"tag": "eu", "aliases": [{"lang": "en", "pattern": "European\\s+Union|EU"}]}
    path.write_text(yaml.safe_dump(lexicon, allow_unicode=True))
    return path


def _by_id(output: Path) -> dict[str, dict]:
    return {row["article_id"]: row for row in rows(output, "articles")}


def _other_files(output: Path) -> dict[str, str]:
    """Every file outside the articles table, by content."""
    return {p.relative_to(output).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in output.rglob("*") if p.is_file() and p.relative_to(output).parts[0] != "articles"}


@pytest.fixture
def written(tmp_path) -> tuple[Path, Path]:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name, text in (("eu.txt", EU), ("nato.txt", NATO), ("weather.txt", WEATHER), ("eu-copy.txt", EU)):
        (inputs / name).write_text(text)
    output = tmp_path / "out"
    assert run_newsbeam("--input", f"{inputs}/*.txt", "--output", output) == 0
    return inputs, output


def test_retag_recomputes_the_tag_columns_and_changes_nothing_else(tmp_path, written, capsys):
    inputs, output = written
    before, others = _by_id(output), _other_files(output)
    assert len(before) == 3 and len({row["lexicon_hash"] for row in before.values()}) == 1
    lexicon = _lexicon_with_eu(tmp_path / "lexicon.yaml")
    assert main(["retag", str(output), "--lexicon", str(lexicon)]) == 0
    assert "retagged" in capsys.readouterr().out
    after = _by_id(output)
    assert after.keys() == before.keys()
    for article_id, row in after.items():
        assert {k: v for k, v in row.items() if k not in TAG_COLUMNS} == \
            {k: v for k, v in before[article_id].items() if k not in TAG_COLUMNS}
        assert row["lexicon_hash"] != before[article_id]["lexicon_hash"]
    eu = [row for row in after.values() if "eu" in row["tags"]]
    assert len(eu) == 1 and {m["entity"] for m in eu[0]["mentions"]} >= {"eu", "nato", "ukraine"}
    assert _other_files(output) == others  # duplicates, errors, index, manifests: untouched
    # exactly what a new run with the new lexicon writes
    fresh = tmp_path / "fresh"
    assert run_newsbeam("--input", f"{inputs}/*.txt", "--output", fresh, "--lexicon", lexicon) == 0
    for article_id, row in _by_id(fresh).items():
        assert {k: row[k] for k in TAG_COLUMNS} == {k: after[article_id][k] for k in TAG_COLUMNS}
    # a second retag with the same lexicon has nothing to do; validate accepts the result
    files = sorted(p.name for p in (output / "articles").rglob("*.parquet"))
    assert main(["retag", str(output), "--lexicon", str(lexicon)]) == 0
    assert sorted(p.name for p in (output / "articles").rglob("*.parquet")) == files
    assert main(["validate", "--output", str(output)]) == 0


def test_retag_waits_for_the_output_lock(written):
    _, output = written
    with OutputLock(str(output), "someone", "run"):
        assert main(["retag", str(output)]) == 4
