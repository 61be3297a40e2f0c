"""The names every stage and the driver share, defined once: the output's tables and layout,
the stages that make error rows, the outputs of stage composites, the values of coded
columns, and the Beam metrics the manifest is built from."""
from __future__ import annotations

from apache_beam.metrics import Metrics

# Tables of the output contract, and the tag of every stage's error output.
ARTICLES, DUPLICATES, ERRORS = "articles", "duplicates", "errors"
TABLES = (ARTICLES, DUPLICATES, ERRORS)

# Other outputs of stage composites, read as ``result[NAME]``.
FILES = "files"          # the read stage's SourceFiles
DOCUMENTS = "documents"  # parse and fetch: one Document per input item
LOG = "log"              # per-run records the driver reads back (one per feed, ...)
MOVED = "moved"          # dedup: (id of an article that lost its cluster, id kept)
DAMAGED = "damaged"      # history: damaged output files left out
ROWS = "rows"            # write: ((table, partition), row)

# Stages that can produce error rows, in data-flow order (the ``stage`` column).
STAGE_READ, STAGE_FETCH, STAGE_DECODE, STAGE_PARSE, STAGE_EXTRACT = "read", "fetch", "decode", "parse", "extract"
STAGE_DEDUP, STAGE_TAG, STAGE_WRITE = "dedup", "tag", "write"
STAGES = (STAGE_READ, STAGE_FETCH, STAGE_DECODE, STAGE_PARSE, STAGE_EXTRACT, STAGE_DEDUP, STAGE_TAG, STAGE_WRITE)

# ``reason`` of a duplicates row: how it relates to the article its ``duplicate_of`` names.
SAME_URL, SAME_CONTENT, NEAR_DUPLICATE = "same_url", "same_content", "near_duplicate"
SAME_STORY = "same_story"  # in that article's story only through other copies (its own text differs more)
REASONS = (SAME_URL, SAME_CONTENT, NEAR_DUPLICATE, SAME_STORY)

# ``date_source`` of an article: where its date came from.
DATE_PUBLISHED = "published"        # the source's own metadata: feed, JSONL, page or sidecar
DATE_HINT = "date_hint"             # a 'date YYYY-MM[-DD]' marker in a text dump
DATE_TEXT = "text"                  # a bare dateline in a text dump's page furniture
DATE_INGESTED = "ingested"          # none known: the run's ingestion time
DATE_OUT_OF_RANGE = "out_of_range"  # only dates before 1900 or after the run: counted as unknown
DATE_CRAWLED = "crawled"            # none on the page: a web archive record's capture time (WARC-Date)

# The output folder's layout. Folders starting with '_' are skipped by Hive-style readers.
STAGING = "_staging"    # _staging/<run_id>/<table>/<partition>/part-<run_id>-<n>.parquet
RUNS = "_runs"          # _runs/<run_id>.json, the manifests
STATE = "_state"        # _state/feeds.json, conditional-GET validators
LOCK = "_lock.json"     # the output lock
INDEX = "_index"        # _index/part-<run_id>.parquet, the dedup keys of every row written (see dedup/index.py)


def partition_folder(table: str, date: str, outlet: str | None = None) -> str:
    """A partition's folder below ``OUTPUT/<table>/``: ``date=D/outlet=O`` (errors: ``date=D``)."""
    return f"date={date}" if table == ERRORS else f"date={date}/outlet={outlet}"


def partition_glob(table: str) -> str:
    """Every data file of a table, relative to the output folder."""
    return f"{table}/date=*/*.parquet" if table == ERRORS else f"{table}/date=*/outlet=*/*.parquet"


def part_file(run_id: str, n: int = 0) -> str:
    """A run's n-th data file in a partition."""
    return f"part-{run_id}-{n}.parquet"


def path_date(path: str) -> str:
    """The partition date in a data file's path (``.../date=YYYY-MM-DD/...``), '' if none."""
    for part in reversed(path.replace("\\", "/").split("/")):
        if part.startswith("date="):
            return part[5:]
    return ""


# Beam metrics, all in one namespace; the manifest's counts are read from them.
METRICS_NAMESPACE = "newsbeam"
ITEMS = "input.items"  # counted once where each input item is born; the manifest's input_items
READ_FILES, READ_BYTES = "read.files", "read.bytes"
READ_SOURCES = "read.sources"  # input files, feeds, sitemaps and CC-NEWS files done: the progress line's count
PARSE_DOCUMENTS = "parse.documents"
# Records of an input that are not input items (a WARC's requests, revisits, non-HTML or
# non-200 responses, ...), one counter per reason: '<prefix><reason>'. Not in the accounting.
NOT_ITEMS = "parse.not_items."
FEEDS_FETCHED, FEEDS_NOT_MODIFIED, FEEDS_FAILED = "feeds.fetched", "feeds.not_modified", "feeds.failed"
FEEDS_MALFORMED, FEEDS_ENTRIES = "feeds.malformed", "feeds.entries"
FEEDS_DISCOVERED = "feeds.discovered"  # feeds read because a --feed page announced them
FEED_COUNTS = (FEEDS_FETCHED, FEEDS_NOT_MODIFIED, FEEDS_FAILED, FEEDS_MALFORMED, FEEDS_ENTRIES, FEEDS_DISCOVERED)
PAGES_FETCHED, PAGES_FALLBACKS, PAGES_FAILED = "pages.fetched", "pages.fallbacks", "pages.failed."
SITEMAPS_FETCHED, SITEMAPS_FAILED, SITEMAPS_URLS = "sitemaps.fetched", "sitemaps.failed", "sitemaps.urls"
# page URLs of sitemaps counted as skipped, never fetched: dated before the lookback window, or undated
SITEMAPS_SKIPPED_OUTSIDE, SITEMAPS_SKIPPED_UNDATED = "sitemaps.skipped_outside_window", "sitemaps.skipped_undated"
SITEMAP_COUNTS = (SITEMAPS_FETCHED, SITEMAPS_FAILED, SITEMAPS_URLS, SITEMAPS_SKIPPED_OUTSIDE, SITEMAPS_SKIPPED_UNDATED)
EXTRACT_ARTICLES, EXTRACT_TIMEOUTS, EXTRACT_MICROS = "extract.articles", "extract.timeouts", "extract.micros"
HISTORY_FILES, HISTORY_ROWS = "history.files", "history.rows"
HISTORY_SIGNATURE_ROWS, HISTORY_DAMAGED_FILES = "history.signature_rows", "history.damaged_files"
SKIPPED = "dedup.skipped_seen"
OFF_TOPIC = "relevance.off_topic"  # items the relevance filter left out: skipped, never written
OVERSIZED_BUCKETS, OVERSIZED_BUCKET_MEMBERS = "dedup.oversized_buckets", "dedup.oversized_bucket_members"
TAG_ARTICLES, TAG_NATO, TAG_UKRAINE, TAG_MEMBERSHIP = (  # items tagged (their copies included)
    "tag.articles", "tag.nato_articles", "tag.ukraine_articles", "tag.membership_articles")
# Input items left out by the run's filters (--only-domains, the publication-date window), one
# counter per reason: '<prefix><reason>'. Counted in the manifest's ``skipped``.
SKIPPED_BY = "skip."
SKIP_OTHER_DOMAIN, SKIP_OUTSIDE_WINDOW, SKIP_NO_DATE = "other_domain", "published_outside_window", "published_unknown"
SKIP_REASONS = (SKIP_OTHER_DOMAIN, SKIP_OUTSIDE_WINDOW, SKIP_NO_DATE)
# CC-NEWS WARC files: streamed to their end, or failed (not fetched, or cut off part-way).
CCNEWS_FILES_DONE, CCNEWS_FILES_FAILED, CCNEWS_RECORDS = "ccnews.files_done", "ccnews.files_failed", "ccnews.records"
WRITE_FILES = "write.files"
WRITE_NATO, WRITE_UKRAINE = "write.nato_articles", "write.ukraine_articles"  # articles written that mention them


def errors_metric(stage: str) -> str:
    return f"{stage}.errors"


def duplicates_metric(reason: str) -> str:
    return f"dedup.{reason}"


def rows_metric(table: str) -> str:
    return f"write.{table}_rows"


def counter(name: str):
    """The newsbeam counter of this name."""
    return Metrics.counter(METRICS_NAMESPACE, name)


def distribution(name: str):
    return Metrics.distribution(METRICS_NAMESPACE, name)
