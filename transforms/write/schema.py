"""The output contract's columns: one Arrow schema per table.

Partition columns (``date``, ``outlet``) live in the folder names, not in the
files. Columns are only ever added, never renamed or retyped, so DuckDB,
pandas, Polars and Spark read every run's files as one table.
"""
import pyarrow as pa

from newsbeam.transforms import names

TIMESTAMP = pa.timestamp("us", tz="UTC")
MENTION = pa.struct([pa.field("entity", pa.string()), pa.field("surface", pa.string()),
                     pa.field("start", pa.int32()), pa.field("end", pa.int32())])
SPAN = pa.struct([pa.field("start", pa.int32()), pa.field("end", pa.int32())])
EVIDENCE = pa.struct([pa.field("topic", pa.string()), pa.field("sentence_start", pa.int32()),
                      pa.field("sentence_end", pa.int32()), pa.field("word", pa.string()),
                      pa.field("word_start", pa.int32()), pa.field("word_end", pa.int32())])

ARTICLES = pa.schema([
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("source", pa.string(), nullable=False),
    pa.field("locator", pa.string()),
    pa.field("source_type", pa.string(), nullable=False),
    pa.field("text_source", pa.string(), nullable=False),
    pa.field("outlet_name", pa.string(), nullable=False),
    pa.field("title", pa.string()),
    pa.field("author", pa.string()),
    pa.field("published_at", TIMESTAMP),
    pa.field("date_source", pa.string(), nullable=False),
    pa.field("language", pa.string()),
    pa.field("text", pa.string(), nullable=False),
    pa.field("word_count", pa.int32(), nullable=False),
    pa.field("content_hash", pa.string(), nullable=False),
    pa.field("nato_mentions", pa.int32(), nullable=False),
    pa.field("ukraine_mentions", pa.int32(), nullable=False),
    pa.field("tags", pa.list_(pa.string()), nullable=False),
    pa.field("ingested_at", TIMESTAMP, nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
    # offsets into title + "\n\n" + text (text alone when there is no title)
    pa.field("mentions", pa.list_(MENTION), nullable=False),
    pa.field("comention_sentences", pa.list_(pa.string()), nullable=False),
    pa.field("cluster_id", pa.string(), nullable=False),
    pa.field("duplicate_count", pa.int32(), nullable=False),
    pa.field("duplicate_outlets", pa.list_(pa.string()), nullable=False),
    pa.field("minhash", pa.binary(), nullable=False),
    # where each comention sentence is, and which sentence and word set each topic tag
    # (offsets into title + "\n\n" + text, like mentions)
    pa.field("comention_spans", pa.list_(SPAN), nullable=False),
    pa.field("topic_evidence", pa.list_(EVIDENCE), nullable=False),
    # the page's metadata (trafilatura's) where the source gives it, else NULL or empty
    pa.field("description", pa.string()),
    pa.field("site_name", pa.string()),
    pa.field("hostname", pa.string()),
    pa.field("categories", pa.list_(pa.string())),
    pa.field("keywords", pa.list_(pa.string())),
    pa.field("image_url", pa.string()),
    pa.field("modified_at", TIMESTAMP),
    # the hash of the lexicon that set the tag columns (a run's, or the last retag's)
    pa.field("lexicon_hash", pa.string()),
])

DUPLICATES = pa.schema([
    pa.field("article_id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("locator", pa.string()),
    pa.field("url", pa.string()),
    pa.field("outlet_name", pa.string(), nullable=False),
    pa.field("title", pa.string()),
    pa.field("published_at", TIMESTAMP),
    pa.field("date_source", pa.string()),
    pa.field("duplicate_of", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("similarity", pa.float64(), nullable=False),
    pa.field("content_hash", pa.string()),
    pa.field("ingested_at", TIMESTAMP, nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
])

ERRORS = pa.schema([
    pa.field("source", pa.string(), nullable=False),
    pa.field("locator", pa.string()),
    pa.field("stage", pa.string(), nullable=False),
    pa.field("error_type", pa.string(), nullable=False),
    pa.field("message", pa.string(), nullable=False),
    pa.field("excerpt", pa.string()),
    pa.field("ingested_at", TIMESTAMP, nullable=False),
    pa.field("run_id", pa.string(), nullable=False),
])

SCHEMAS = {names.ARTICLES: ARTICLES, names.DUPLICATES: DUPLICATES, names.ERRORS: ERRORS}

# Rows within a file are sorted by these columns, so a file's content does not
# depend on the order in which workers happened to deliver its rows.
SORT_KEYS = {
    names.ARTICLES: ("article_id", "source", "locator"),
    names.DUPLICATES: ("article_id", "source", "locator"),
    names.ERRORS: ("source", "locator", "stage", "error_type", "message"),
}
