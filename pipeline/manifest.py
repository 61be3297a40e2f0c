"""The run manifest, ``OUTPUT/_runs/<run_id>.json``: what ran, on what, and where every item went.

Its ``counts`` obey ``input_items = articles + duplicates + errors + skipped``;
``accounting_ok`` says whether they did for this run.
"""
from __future__ import annotations

import json
import platform
from importlib import metadata

from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms.write.parquet import ensure_dir
from newsbeam.transforms.records import ITEMS_COUNTER, STAGES

RUNS = "_runs"
PACKAGES = ("newsbeam", "apache-beam", "pyarrow", "trafilatura", "feedparser", "py3langid", "lxml")


def versions() -> dict:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def counts_from(counters: dict, files: list[dict], files_matched: int) -> dict:
    """The run's accounting from Beam counters (items in) and committed files (rows out)."""
    def rows(table):
        return sum(f["rows"] for f in files if f["table"] == table)

    errors_by_stage = {stage: counters.get(f"{stage}.errors", 0) for stage in STAGES}
    return {
        "files_matched": files_matched,
        "files_read": counters.get("read.files", 0),
        "bytes_read": counters.get("read.bytes", 0),
        "input_items": counters.get(ITEMS_COUNTER, 0),
        "articles": rows("articles"),
        "duplicates": rows("duplicates"),
        "errors": rows("errors"),
        "skipped": counters.get("dedup.skipped_seen", 0),
        "errors_by_stage": errors_by_stage,
        "duplicates_by_reason": {r: counters.get(f"dedup.{r}", 0)
                                 for r in ("same_url", "same_content", "near_duplicate")},
        "dedup": {"history_rows": counters.get("history.rows", 0), "history_files": counters.get("history.files", 0),
                  "oversized_buckets": counters.get("dedup.oversized_buckets", 0),
                  "oversized_bucket_members_dropped": counters.get("dedup.oversized_bucket_members", 0)},
        "articles_mentioning": {"nato": counters.get("tag.nato_articles", 0),
                                "ukraine": counters.get("tag.ukraine_articles", 0)},
        "files_written": len(files),
        "feeds": {k: counters.get(f"feeds.{k}", 0) for k in ("fetched", "not_modified", "failed", "malformed",
                                                             "entries")},
        "pages": {"fetched": counters.get("pages.fetched", 0), "fallbacks": counters.get("pages.fallbacks", 0),
                  "failed": {name.split(".", 2)[2]: n for name, n in sorted(counters.items())
                             if name.startswith("pages.failed.")}},
    }


def accounting_ok(counts: dict) -> bool:
    return counts["input_items"] == (counts["articles"] + counts["duplicates"]
                                     + counts["errors"] + counts["skipped"])


def manifest_path(output: str, run_id: str) -> str:
    return FileSystems.join(output, RUNS, f"{run_id}.json")


def write_manifest(output: str, run_id: str, manifest: dict) -> str:
    """Write atomically: a temporary name first, then a rename."""
    folder = FileSystems.join(output, RUNS)
    ensure_dir(folder)
    final = manifest_path(output, run_id)
    temporary = FileSystems.join(folder, f".{run_id}.json.tmp")
    with FileSystems.create(temporary) as handle:
        handle.write(json.dumps(manifest, indent=2, sort_keys=False, default=str).encode("utf-8"))
    FileSystems.rename([temporary], [final])
    return final
