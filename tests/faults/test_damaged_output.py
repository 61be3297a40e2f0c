"""A damaged file in the output never wedges a later run or command; each one is named by path.

One output, written by a real run over the samples and a live feed, then
damaged the ways disks, copies and people damage files: a zero-byte Parquet
file, a truncated one, one with another schema, one whose footer reads but
whose pages do not, a garbage run manifest and a garbage feed state. A second
run, ``validate --output``, ``stats`` and ``compact`` then meet all of them.
"""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsbeam.pipeline.cli import main
from newsbeam.transforms.read.feed_state import load_state
from tests.conftest import SAMPLES, run_newsbeam
from tests.support.corpus import corpus
from tests.support.site import Site, rss

SAMPLE_ARTICLES, SAMPLE_DUPLICATES = 13, 4


def first_file(folder: Path) -> Path:
    return sorted(folder.rglob("*.parquet"))[0]


def corrupt_pages(source: Path, target: Path) -> None:
    """A copy whose footer still reads but whose column pages do not decode."""
    row_group = pq.read_metadata(source).row_group(0)
    data = bytearray(source.read_bytes())
    for i in range(4, row_group.column(row_group.num_columns - 1).data_page_offset):
        data[i] ^= 0x55
    target.write_bytes(bytes(data))


def plant_damage(output: Path) -> dict[str, Path]:
    """Damaged files next to the real ones; {what: path}."""
    articles = sorted(p for p in (output / "articles").glob("date=*/outlet=*") if p.is_dir())
    duplicates = first_file(output / "duplicates")
    errors = first_file(output / "errors")
    planted = {"zero_bytes": articles[0] / "part-zero-0.parquet",
               "truncated": duplicates.with_name("part-truncated-0.parquet"),
               "other_schema": articles[1] / "part-schema-0.parquet",
               "bad_pages": errors.with_name("part-pages-0.parquet"),
               "manifest": output / "_runs" / "garbage.json",
               "state": output / "_state" / "feeds.json"}
    planted["zero_bytes"].write_bytes(b"")
    planted["truncated"].write_bytes(duplicates.read_bytes()[:-40])
    pq.write_table(pa.table({"article_id": [1, 2], "url": [3, 4]}), planted["other_schema"])
    corrupt_pages(errors, planted["bad_pages"])
    planted["manifest"].write_bytes(b'{"run_id": "half-written", "stat')
    planted["state"].write_bytes(b"\xff\xfe not the state \x00")
    return planted


class Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    """(output, clean copy after run 1, planted files, run 2's manifest, its warnings, its feed requests,
    its exit status)."""
    root = tmp_path_factory.mktemp("damaged")
    output, clean = root / "out", root / "clean"
    old, new = corpus(2, seed=61, paragraphs=2)
    entry = {"title": "Feed story one", "link": "https://feed.example/one", "description": old,
             "pubDate": "Tue, 02 Sep 2025 08:00:00 GMT"}
    later = {"title": "Feed story two", "link": "https://feed.example/two", "description": new,
             "pubDate": "Tue, 02 Sep 2025 09:00:00 GMT"}
    args = ["--input", f"{SAMPLES}/**", "--output", output, "--allow-private-network", "--no-fetch-pages"]
    warnings = Lines()
    with Site() as site:
        feed = site.add("/feed.xml", rss([entry]), etag='"v1"')
        assert run_newsbeam(*args, "--feed", feed, "--run-id", "first") == 0
        shutil.copytree(output, clean)
        planted = plant_damage(output)
        site.add("/feed.xml", rss([entry, later]), etag='"v2"')
        hits = len(site.hits)
        logging.getLogger("newsbeam").addHandler(warnings)
        try:
            status = run_newsbeam(*args, "--feed", feed, "--run-id", "second")
        except Exception as exc:  # noqa: BLE001 - a traceback is the failure the first test reports
            status = exc
        finally:
            logging.getLogger("newsbeam").removeHandler(warnings)
        second_hits = site.hits[hits:]
    manifest = json.loads((output / "_runs" / "second.json").read_text()) if status == 0 else {}
    return output, clean, planted, manifest, warnings.lines, second_hits, status


def rows_of_run(manifest: dict, table: str) -> int:
    return sum(pq.read_metadata(f["path"]).num_rows for f in manifest["files"] if f["table"] == table)


def test_a_run_names_each_damaged_file_leaves_it_out_and_succeeds(damaged):
    output, _, planted, manifest, warnings, hits, status = damaged
    assert manifest.get("status") == "succeeded", f"the second run failed: {manifest or status}"
    # The run reads the dedup index, not the tables, so only the damaged feed state is in its way.
    read_by_the_run = {str(planted["state"])}
    assert {d["path"] for d in manifest["damaged_files"]} == read_by_the_run
    assert all(d["error"] for d in manifest["damaged_files"])
    counts = manifest["counts"]
    assert counts["damaged_files"] == 1
    for path in read_by_the_run:  # one warning line per file, naming it
        assert len([line for line in warnings if path in line]) == 1, (path, warnings)
    # the rest of the history still works: every sample file is unchanged and not read, the feed's
    # known story skipped, the new one written
    assert manifest["accounting_ok"] is True
    assert counts["input_items"] == counts["articles"] + counts["duplicates"] + counts["errors"] + counts["skipped"]
    assert (counts["skipped"], counts["files_unchanged"], counts["articles"], counts["errors"]) == (11, 10, 1, 0)
    assert [rows_of_run(manifest, t) for t in ("articles", "duplicates", "errors")] == [1, 0, 0]
    # the broken state counted as empty: the feed was asked unconditionally, and the state is sound again
    assert [h.headers.get("if-none-match") for h in hits if h.path == "/feed.xml"] == [None]
    assert {v["etag"] for v in load_state(str(output)).values()} == {'"v2"'}
    # damaged files are left where they were, for a person to look at
    assert all(path.exists() for path in planted.values())


@pytest.mark.parametrize("garbage", [b"", b"{not json", b"\xff\xfe\x00", b"[]", b'{"https://x.example/feed": 3}',
                                     b'{"https://x.example/feed": {"etag": 7}}'])
def test_a_broken_state_file_counts_as_empty_state(tmp_path, garbage):
    (tmp_path / "_state").mkdir()
    (tmp_path / "_state" / "feeds.json").write_bytes(garbage)
    assert load_state(str(tmp_path)) == {}


def test_validate_output_names_each_damaged_file(damaged, capsys):
    output, clean, planted, *_ = damaged
    capsys.readouterr()
    assert main(["validate", "--output", str(clean)]) == 0
    assert "no damaged file" in capsys.readouterr().out
    assert main(["validate", "--output", str(output)]) == 2
    out = capsys.readouterr().out
    named = {line.split("DAMAGED ", 1)[1].split(": ", 1)[0] for line in out.splitlines() if "DAMAGED " in line}
    # the state file was replaced by run 2; a page-level fault needs --deep
    assert named == {str(planted[k]) for k in ("zero_bytes", "truncated", "other_schema", "manifest")}, out
    assert "Parquet file size is 0 bytes" in out and "schema differs from articles: article_id is int64" in out
    assert main(["validate", "--output", str(output), "--deep"]) == 2
    assert f"DAMAGED {planted['bad_pages']}: " in capsys.readouterr().out
    assert main(["validate", "--output", str(output.parent / "missing")]) == 2


def test_stats_leaves_damaged_files_out_and_names_them(damaged, capsys):
    output, _, planted, *_ = damaged
    capsys.readouterr()
    assert main(["stats", str(output), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["path"] for d in data["damaged_files"]} == {
        str(planted[k]) for k in ("zero_bytes", "truncated", "other_schema", "bad_pages", "manifest")}
    assert sum(r["articles"] for r in data["articles_per_day_and_outlet"] + data["undated_articles"]) == SAMPLE_ARTICLES + 2
    assert sum(r["errors"] for r in data["errors_by_stage"]) == 1  # the first run's; the second did not read it
    assert [r["run_id"] for r in data["last_runs"]] == ["first", "second"]
    assert main(["stats", str(output)]) == 0
    assert f"Damaged files\n  {planted['zero_bytes']}: " in capsys.readouterr().out


def test_compact_leaves_a_partition_with_a_damaged_file_as_it_was(damaged, tmp_path, capsys):
    output = tmp_path / "out"
    shutil.copytree(damaged[0], output)
    planted = {k: output / p.relative_to(damaged[0]) for k, p in damaged[2].items()}
    before = {p.parent: sorted(f.name for f in p.parent.iterdir()) for p in planted.values()}
    feed_partition = output / "articles" / "date=2025-09-02"
    (feed_folder,) = feed_partition.iterdir()
    assert len(list(feed_folder.glob("*.parquet"))) == 2  # run 1's and run 2's feed story
    capsys.readouterr()
    assert main(["compact", str(output)]) == 2
    out = capsys.readouterr().out
    for folder, names in before.items():
        assert sorted(f.name for f in folder.iterdir()) == names, folder
    for key in ("zero_bytes", "truncated", "other_schema", "bad_pages"):
        assert f"left as it was, damaged: {planted[key]}: " in out or f"; {planted[key]}: " in out, key
    (merged,) = feed_folder.glob("*.parquet")
    assert merged.name.startswith("part-compacted-") and pq.read_metadata(merged).num_rows == 2


def test_stats_binds_an_output_path_with_a_quote_and_a_space(damaged, tmp_path, capsys):
    output = tmp_path / "it's a folder" / "out 1"
    shutil.copytree(damaged[1], output)
    capsys.readouterr()
    assert main(["stats", str(output), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sum(r["articles"] for r in data["articles_per_day_and_outlet"] + data["undated_articles"]) == SAMPLE_ARTICLES + 1
    assert len(data["duplicates"]) == SAMPLE_DUPLICATES and "damaged_files" not in data
