"""The run manifest, ``OUTPUT/_runs/<run_id>.json``: what ran, on what, and where every item went.

Its ``counts`` obey ``input_items = articles + duplicates + errors + skipped``;
``accounting_ok`` says whether they did for this run.
"""
from __future__ import annotations

import platform
from importlib import metadata

from apache_beam.io.filesystems import FileSystems

from newsbeam.transforms import names
from newsbeam.transforms.names import RUNS
from newsbeam.transforms.write.storage import write_json_atomically

PACKAGES = ("newsbeam", "apache-beam", "pyarrow", "trafilatura", "feedparser", "py3langid", "lxml")


def versions() -> dict:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def counts_from(counters: dict, files: list[dict], files_matched: int, files_unchanged: int = 0) -> dict:
    """The run's accounting from Beam counters (items in) and committed files (rows out). A file
    an earlier run ingested unchanged is one input item, skipped without being read."""
    def rows(table):
        return sum(f["rows"] for f in files if f["table"] == table)

    def count(name):
        return counters.get(name, 0)

    # every skip by its reason: the run's filters, items an earlier run wrote, files ingested unchanged
    skipped_by = {**{reason: count(names.SKIPPED_BY + reason) for reason in names.SKIP_REASONS},
                  "already_written": count(names.SKIPPED), "unchanged_files": files_unchanged,
                  "off_topic": count(names.OFF_TOPIC),
                  "sitemap_outside_window": count(names.SITEMAPS_SKIPPED_OUTSIDE),
                  "sitemap_undated": count(names.SITEMAPS_SKIPPED_UNDATED)}
    return {
        "files_matched": files_matched,
        "files_unchanged": files_unchanged,
        "files_read": count(names.READ_FILES),
        "bytes_read": count(names.READ_BYTES),
        "input_items": count(names.ITEMS) + files_unchanged,
        # records of the inputs that are not input items (a WARC's requests, revisits, ...), by reason
        "not_items": {name.removeprefix(names.NOT_ITEMS): n for name, n in sorted(counters.items())
                      if name.startswith(names.NOT_ITEMS)},
        "articles": rows(names.ARTICLES),
        "duplicates": rows(names.DUPLICATES),
        "errors": rows(names.ERRORS),
        "skipped": sum(skipped_by.values()),
        "skipped_by_reason": skipped_by,
        "errors_by_stage": {stage: count(names.errors_metric(stage)) for stage in names.STAGES},
        "duplicates_by_reason": {reason: count(names.duplicates_metric(reason)) for reason in names.REASONS},
        "dedup": {"history_rows": count(names.HISTORY_ROWS), "history_files": count(names.HISTORY_FILES),
                  "history_signature_rows": count(names.HISTORY_SIGNATURE_ROWS),
                  "history_damaged_files": count(names.HISTORY_DAMAGED_FILES),
                  "oversized_buckets": count(names.OVERSIZED_BUCKETS),
                  "oversized_bucket_members_dropped": count(names.OVERSIZED_BUCKET_MEMBERS)},
        "articles_mentioning": {"nato": count(names.WRITE_NATO), "ukraine": count(names.WRITE_UKRAINE)},
        "files_written": len(files),
        "cc_news": {"files_done": count(names.CCNEWS_FILES_DONE), "files_failed": count(names.CCNEWS_FILES_FAILED),
                    "items": count(names.CCNEWS_RECORDS)},
        "feeds": {name.split(".", 1)[1]: count(name) for name in names.FEED_COUNTS},
        "sitemaps": {name.split(".", 1)[1]: count(name) for name in names.SITEMAP_COUNTS},
        "pages": {"fetched": count(names.PAGES_FETCHED), "fallbacks": count(names.PAGES_FALLBACKS),
                  "failed": {name.removeprefix(names.PAGES_FAILED): n for name, n in sorted(counters.items())
                             if name.startswith(names.PAGES_FAILED)}},
    }


def accounting_ok(counts: dict) -> bool:
    return counts["input_items"] == (counts["articles"] + counts["duplicates"]
                                     + counts["errors"] + counts["skipped"])


def manifest_path(output: str, run_id: str) -> str:
    return FileSystems.join(output, RUNS, f"{run_id}.json")


def write_manifest(output: str, run_id: str, manifest: dict) -> str:
    """Written whole or not at all."""
    path = manifest_path(output, run_id)
    write_json_atomically(path, manifest)
    return path
