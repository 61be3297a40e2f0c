"""Cross-run dedup by exact key reaches the whole history, not only the dedup window.

An undated item lands in its ingestion day's partition; run again more than
``dedup_window_days`` later, its copy lands in that later day's partition, and
a window-bound history read would not see the first one. Same for a URL or a
text seen again long after it was first published. Two runs 40 days apart are
made the way an old run leaves its output: run 1 writes, then its ingestion-day
partition is moved to the date 40 days earlier (the rows' ``ingested_at``
column, which dedup does not read, keeps the real time).
"""
from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import manifests, run_newsbeam
from tests.support.corpus import corpus, variant

# A and its copies: 60 days apart. E and its near copy: 19 days apart, far from A's dates, so that
# the window around one run's dates (their union) does not reach the other's.
OLD, NEW = "2020-01-01T08:00:00Z", "2020-03-01T08:00:00Z"
E_OLD, E_NEAR = "2020-06-01T08:00:00Z", "2020-06-20T08:00:00Z"


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def articles(output: Path) -> list[dict]:
    return [row for path in sorted((output / "articles").rglob("*.parquet"))
            for row in pq.read_table(path, columns=["article_id", "url", "run_id"]).to_pylist()]


def move_to_an_older_day(output: Path, days: int) -> str:
    """Move the articles partition of today's ingestion date ``days`` days back; returns the new date."""
    (today,) = [p for p in (output / "articles").glob("date=*") if not p.name.startswith("date=2020-")]
    older = (dt.date.fromisoformat(today.name.removeprefix("date=")) - dt.timedelta(days=days)).isoformat()
    today.rename(today.with_name(f"date={older}"))
    return older


def test_exact_keys_reach_the_whole_history_and_near_duplicates_only_the_window(tmp_path):
    undated, story_a, story_a2, story_b, story_c, story_e = corpus(6, seed=91)
    near_c = variant(story_c, random.Random(5), edit=0.02)
    near_e = variant(story_e, random.Random(6), edit=0.02)
    output = tmp_path / "out"
    first = write_jsonl(tmp_path / "in1" / "first.jsonl", [
        {"title": "Undated wire copy", "text": undated, "outlet": "Wire"},
        {"url": "https://a.example/story", "title": "A", "text": story_a, "published": OLD, "outlet": "A"},
        {"url": "https://b.example/story", "title": "B", "text": story_b, "published": OLD, "outlet": "B"},
        {"url": "https://c.example/story", "title": "C", "text": story_c, "published": OLD, "outlet": "C"},
        {"url": "https://e.example/story", "title": "E", "text": story_e, "published": E_OLD, "outlet": "E"},
    ])
    second = write_jsonl(tmp_path / "in2" / "second.jsonl", [
        # the same undated item, 40 days later
        {"title": "Undated wire copy", "text": undated, "outlet": "Wire"},
        # the same URL (tracking parameter aside) with new text, 60 days after it was published
        {"url": "https://a.example/story?utm_source=feed", "title": "A again", "text": story_a2, "published": NEW,
         "outlet": "A"},
        # the same text under another URL, 60 days later
        {"url": "https://b-copy.example/story", "title": "B copy", "text": story_b, "published": NEW, "outlet": "Bc"},
        # a near copy 60 days later: outside the window, not looked for (documented)
        {"url": "https://c-copy.example/story", "title": "C copy", "text": near_c, "published": NEW, "outlet": "Cc"},
        # a near copy 19 days later: inside the window, found
        {"url": "https://e-copy.example/story", "title": "E copy", "text": near_e, "published": E_NEAR, "outlet": "Ec"},
    ])
    assert run_newsbeam("--input", first, "--output", output, "--run-id", "first") == 0
    moved_to = move_to_an_older_day(output, 40)
    assert run_newsbeam("--input", second, "--output", output, "--run-id", "second") == 0

    (manifest,) = [m for m in manifests(output) if m["run_id"] == "second"]
    counts = manifest["counts"]
    assert manifest["accounting_ok"] is True
    # Skipped: only A again (its URL was written). The undated copy (from another file) and B's copy
    # (another URL) are same_content duplicate rows, pointing at the rows written 40 and 60 days before.
    assert (counts["input_items"], counts["skipped"], counts["articles"], counts["duplicates"]) == (5, 1, 1, 3)
    assert counts["duplicates_by_reason"] == {"same_url": 0, "same_content": 2, "near_duplicate": 1, "same_story": 0}
    written = articles(output)
    ids = [row["article_id"] for row in written]
    assert len(ids) == len(set(ids)) == 6, written
    assert [row["url"] for row in written if row["run_id"] == "second"] == ["https://c-copy.example/story"]
    # the undated item stays where run 1 left it, 40 days back, and only there
    assert len(list((output / "articles" / f"date={moved_to}").rglob("*.parquet"))) == 1
