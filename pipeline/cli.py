"""The ``newsbeam`` command.

Exit status: 0 the run succeeded; 1 the run failed; 2 bad usage, configuration,
input or output, or a run id the output already has (nothing was started); 3 the
run succeeded but wrote error rows and ``--fail-on-errors`` was given; 4 another
run, watch cycle or compaction holds the output lock (nothing was started; the
message names the holder; ``--wait-for-lock SECONDS`` waits for it instead); 130 stopped by Ctrl-C
(nothing committed, or, when it came during the commit, the next run completes it). An input glob
that matches no files is a quiet day (exit 0, "nothing new") unless ``--fail-on-no-input``.

``watch`` takes the lock per cycle, not for its life, so that a compaction or a
manual run can use the output between cycles; a cycle that finds the lock held
is skipped (or waits, with ``--wait-for-lock``) and the next one tries again.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import re
import signal
import sys
import threading
from typing import Optional

from newsbeam.pipeline import __version__
from newsbeam.pipeline.logs import configure_logging, tell

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ERRORS, EXIT_LOCKED = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, as shells report a program stopped by Ctrl-C
INTERRUPTED = "interrupted: nothing committed; rerun to resume"
INTERRUPTED_COMMITTING = "interrupted while committing: the next run into this output completes the commit"

RUN_EPILOG = """\
Apache Beam pipeline options pass through unchanged, for example
  --runner DirectRunner (default) | DataflowRunner | FlinkRunner | SparkRunner
  --direct_num_workers N   --direct_running_mode in_memory|multi_threading|multi_processing
  --temp_location PATH     --project ID --region R (Dataflow)
The DirectRunner runs in-process and never downloads anything.

Inputs: .txt dumps, .html/.htm pages, .jsonl (one article per line: url, title,
text or html, published, outlet, language, author), saved .xml/.rss/.atom/.rdf
feeds, and .gz of each. A folder's optional _meta.yaml gives its files an
outlet, URL, publication time or language (see README).

Feeds (--feed URL or 'feeds:' in the config) are fetched politely and
conditionally (ETag/Last-Modified kept in OUTPUT/_state/), their entries
followed to their pages; timeouts, retries, size caps, per-host limits and
robots.txt are set under 'fetch:' in the config (see configs/default.yaml).
Sitemaps (--sitemap URL or 'sitemaps:'; a sitemap, an index or a site's home
URL) are fetched the same way; their pages dated within sitemap_lookback_days
are fetched and extracted, older and undated ones counted as skipped.

Output: OUTPUT/{articles,duplicates}/date=YYYY-MM-DD/outlet=SLUG/part-RUN-N.parquet,
OUTPUT/errors/date=YYYY-MM-DD/part-RUN-N.parquet and OUTPUT/_runs/RUN.json.
A run's files appear all or nothing: a commit cut short (kill, full disk) is
completed by the next run. A run id is never reused in one output.

One writer at a time: run, each watch cycle and compact hold OUTPUT/_lock.json
(run id, host, pid, start, heartbeat). A lock whose process is gone (same host)
or whose heartbeat is older than 2 minutes is taken over.

Exit status: 0 ok, 1 run failed, 2 bad usage/config/input/output or a reused
run id, 3 error rows written under --fail-on-errors, 4 the output is locked by
another run (its holder is named; --wait-for-lock SECONDS waits instead), 130
stopped by Ctrl-C. An input glob matching no files is a quiet day: exit 0,
"nothing new" (--fail-on-no-input: exit 2).
"""


def parse_interval(text: str) -> float:
    """'90', '30s', '15m', '1h' in seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match or float(match.group(1)) <= 0:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 90, 30s, 15m, 1h)")
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def parse_date(text: str) -> str:
    """A day as YYYY-MM-DD; a day written another common way is refused with its ISO spelling."""
    import datetime as dt

    for layout in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d", "%Y%m%d"):
        try:
            day = dt.datetime.strptime(text, layout).date().isoformat()
        except ValueError:
            continue
        if layout == "%Y-%m-%d" and day == text:
            return day
        raise argparse.ArgumentTypeError(f"not a date: {text!r}; write days as YYYY-MM-DD (did you mean {day}?)")
    raise argparse.ArgumentTypeError(f"not a date: {text!r}; write days as YYYY-MM-DD")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbeam", description="News ingestion on Apache Beam: feeds and files in, "
        "clean NATO/Ukraine-tagged articles out as Hive-partitioned Parquet.")
    parser.add_argument("--version", action="version", version=f"newsbeam {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = argparse.ArgumentParser(add_help=False, allow_abbrev=False)  # options of run and watch
    run.add_argument("--input", action="append", metavar="GLOB",
                     help="input file, folder or glob ('**' recurses); repeatable")
    run.add_argument("--feed", action="append", metavar="URL",
                     help="RSS/Atom feed to fetch (its entries are followed to their pages); repeatable")
    run.add_argument("--sitemap", action="append", metavar="URL",
                     help="sitemap, sitemap index or site home URL (robots.txt's Sitemap: lines): its pages of "
                          "the last sitemap_lookback_days are fetched; repeatable")
    run.add_argument("--output", metavar="DIR", help="output folder (local, gs:// or s3://)")
    run.add_argument("--config", metavar="FILE", help="YAML config (see configs/default.yaml); flags win")
    run.add_argument("--outlet", metavar="NAME", help="outlet name for every article of this run")
    run.add_argument("--lexicon", metavar="FILE", help="tagging lexicon (default: packaged configs/lexicon.yaml)")
    run.add_argument("--extraction", choices=("default", "fast", "precision", "recall"),
                     help="trafilatura trade-off for HTML pages")
    run.add_argument("--min-text-chars", type=int, metavar="N", help="shorter texts become error rows")
    run.add_argument("--extract-timeout", type=float, metavar="SECONDS", dest="extract_timeout_seconds",
                     help="a page taking longer to extract becomes an error row (timeout); 0: no limit")
    run.add_argument("--extract-processes", type=int, metavar="N", dest="extract_processes",
                     help="extraction processes per worker (default 0: the cores, shared among local workers)")
    run.add_argument("--max-input-bytes", type=int, metavar="N", help="larger files become error rows")
    run.add_argument("--max-item-bytes", type=int, metavar="N",
                     help="a larger item (page, dump, JSONL record, feed entry) becomes an error row")
    run.add_argument("--fail-on-errors", action="store_true", default=None,
                     help="exit with status 3 when any error row was written")
    run.add_argument("--fail-on-no-input", action="store_true", default=None,
                     help="exit with status 2 when an input glob matches no files (default: a quiet day, exit 0)")
    run.add_argument("--run-id", metavar="ID",
                     help="run id for file names and the manifest; refused (exit 2) if the output already has it")
    run.add_argument("--reprocess", action="store_true", default=None,
                     help="read every input file, even those an earlier run ingested unchanged")
    run.add_argument("--wait-for-lock", type=float, metavar="SECONDS", dest="wait_for_lock_seconds",
                     help="wait up to SECONDS for another run's output lock instead of exiting with status 4")
    run.add_argument("--dedup-window-days", type=int, metavar="N",
                     help="near-duplicates are looked for among earlier articles dated within N days of each "
                     "article (default 30); exact copies in the whole output")
    run.add_argument("--cc-news", metavar="FIRST..LAST", dest="cc_news",
                     help="read Common Crawl's CC-NEWS WARC files of these days (YYYY-MM-DD..YYYY-MM-DD)")
    run.add_argument("--cc-news-base-url", metavar="URL", dest="cc_news_base_url",
                     help="where CC-NEWS is served from (default https://data.commoncrawl.org/)")
    run.add_argument("--only-domains", metavar="FILE", dest="only_domains",
                     help="keep only items whose URL is on these domains (one a line) or their subdomains")
    run.add_argument("--published-since", metavar="YYYY-MM-DD", dest="published_since",
                     help="keep only articles published on or after this day (UTC)")
    run.add_argument("--published-until", metavar="YYYY-MM-DD", dest="published_until",
                     help="keep only articles published on or before this day (UTC)")
    run.add_argument("--only-relevant", action="store_true", default=None,
                     help="write only articles about the config's relevance entities/topics (else any in the "
                          "lexicon); others are counted as off_topic skips")
    run.add_argument("--user-agent", metavar="UA", help="User-Agent for feed and page requests")
    run.add_argument("--allow-private-network", action="store_true", default=None,
                     help="let feeds and pages resolve to private, loopback or link-local addresses")
    run.add_argument("--no-fetch-pages", action="store_true", default=None,
                     help="take entry text from the feed only, without fetching the pages")
    run.add_argument("--log-level", choices=("DEBUG", "INFO", "WARNING", "ERROR"), help="log verbosity")
    run.add_argument("--log-format", choices=("text", "json"),
                     help="text for people, json (one object per line) for schedulers; both carry the run id")
    commands.add_parser(
        "run", parents=[run], help="run the batch pipeline once", allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=RUN_EPILOG,
        description="Read input files and feeds, extract, deduplicate and tag articles, write Parquet.")
    watch = commands.add_parser(
        "watch", parents=[run], help="run the batch pipeline in cycles until stopped", allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=RUN_EPILOG,
        description="Run the pipeline every --interval against the same output, each cycle a normal run "
        "with its own run id; SIGINT or SIGTERM lets the current cycle finish, then stops (Ctrl-C again stops "
        "it at once). Each cycle takes "
        "the output lock; a cycle that finds it held by another writer is skipped (or waits, --wait-for-lock).")
    watch.add_argument("--interval", default="15m", type=parse_interval, metavar="DURATION",
                       help="time from one cycle's start to the next: 90, 30s, 15m, 1h (default 15m)")
    watch.add_argument("--cycles", type=int, metavar="N", help="stop after N cycles (default: never)")
    stats = commands.add_parser("stats", help="summarize an output folder (DuckDB)",
                                description="Articles per day and outlet, NATO and Ukraine mentions, top outlets, "
                                "republished stories, duplicates, errors by stage and the last runs. Damaged files "
                                "are left out and listed last.")
    stats.add_argument("output", metavar="OUTPUT", help="a newsbeam output folder")
    stats.add_argument("--format", choices=("table", "json"), default="table")
    stats.add_argument("--since", type=parse_date, metavar="YYYY-MM-DD", help="only this day and later")
    stats.add_argument("--date", type=parse_date, metavar="YYYY-MM-DD", help="only this day")
    stats.add_argument("--outlet", metavar="SLUG", help="only this outlet (errors, which have none, are left out)")
    report = commands.add_parser("report", help="write an output folder's report as one HTML page",
                                 description="One static page, self-contained and offline: NATO and Ukraine "
                                 "mentions per day and per outlet, the membership topic per day, the most "
                                 "republished stories with their copies, errors by stage and reason, and the last "
                                 "runs. Undated articles are left out of the per-day charts and counted. Local "
                                 "outputs only.")
    report.add_argument("output", metavar="OUTPUT", help="a newsbeam output folder")
    report.add_argument("--html", required=True, metavar="FILE", help="the page to write (replaced whole)")
    compact = commands.add_parser("compact", help="merge each partition's per-run files into one, atomically",
                                  description="Rewrite every partition that holds several files as one file, "
                                  "swapped in atomically; readers never see a row twice or miss one. Local "
                                  "outputs only. Holds the output lock: exit 4 while a run holds it. A partition "
                                  "holding a damaged file is left as it is and named. Exit 0 done, 2 when a "
                                  "partition was left for a damaged file.")
    compact.add_argument("output", metavar="OUTPUT")
    compact.add_argument("--wait-for-lock", type=float, default=0.0, metavar="SECONDS",
                         help="wait up to SECONDS for a run's output lock instead of exiting with status 4")
    compact.add_argument("--date", action="append", type=parse_date, metavar="YYYY-MM-DD",
                         help="only these dates; repeatable")
    compact.add_argument("--rebuild-index", action="store_true",
                         help="rebuild the dedup index from the tables instead of merging its files")
    retag = commands.add_parser("retag", help="recompute the tag columns of written articles for a lexicon",
                                description="Recompute mentions, tags, topics, co-mentions and tag evidence of "
                                "the articles already in OUTPUT from their title and text (nothing is fetched or "
                                "extracted again), and record the lexicon in lexicon_hash. Each articles "
                                "partition not yet tagged by this lexicon is rewritten as one file and swapped in "
                                "atomically, as compact does. Local outputs only. Holds the output lock: exit 4 "
                                "while a run holds it. Exit 0 done, 2 when a partition was left for a damaged file.")
    retag.add_argument("output", metavar="OUTPUT")
    retag.add_argument("--lexicon", metavar="FILE", help="tagging lexicon (default: packaged configs/lexicon.yaml)")
    retag.add_argument("--wait-for-lock", type=float, default=0.0, metavar="SECONDS",
                       help="wait up to SECONDS for a run's output lock instead of exiting with status 4")
    retag.add_argument("--date", action="append", metavar="YYYY-MM-DD", help="only these dates; repeatable")
    validate = commands.add_parser("validate", help="check a config, or an output, without running the pipeline",
                                   description="With --config: check keys and types, Beam options, the lexicon "
                                   "and the inputs; with --check-feeds, that every feed answers and parses. With "
                                   "--output: check that every Parquet file, run manifest and state file of an "
                                   "output reads, and name the damaged ones. Exit 0 valid, 2 not.")
    validate.add_argument("--config", metavar="FILE", help="a run configuration to check")
    validate.add_argument("--check-feeds", action="store_true", help="fetch and parse every feed once")
    validate.add_argument("--output", metavar="DIR", help="an output folder to check (local, gs:// or s3://)")
    validate.add_argument("--deep", action="store_true",
                          help="with --output, decode every page of every Parquet file, not only footers")
    return parser


def _fail(message: str) -> int:
    tell(f"newsbeam: error: {message}")
    return EXIT_USAGE


def _config_from(args: argparse.Namespace):
    """The run configuration from --config and the flags; ConfigError when it is bad."""
    from newsbeam.pipeline.config import build_config, read_config_file

    fetch = {key: value for key, value in (("user_agent", args.user_agent),
                                           ("allow_private_network", args.allow_private_network),
                                           ("fetch_pages", False if args.no_fetch_pages else None))
             if value is not None}
    flags = {"input": args.input, "feeds": args.feed, "sitemaps": args.sitemap, "fetch": fetch or None,
             "output": args.output, "outlet": args.outlet, "lexicon": args.lexicon,
             "extraction": args.extraction, "min_text_chars": args.min_text_chars,
             "extract_timeout_seconds": args.extract_timeout_seconds, "extract_processes": args.extract_processes,
             "max_input_bytes": args.max_input_bytes, "max_item_bytes": args.max_item_bytes,
             "fail_on_errors": args.fail_on_errors, "reprocess": args.reprocess,
             "fail_on_no_input": args.fail_on_no_input,
             "run_id": args.run_id, "wait_for_lock_seconds": args.wait_for_lock_seconds,
             "log_level": args.log_level, "log_format": args.log_format,
             "dedup_window_days": args.dedup_window_days,
             "cc_news": args.cc_news, "cc_news_base_url": args.cc_news_base_url, "only_domains": args.only_domains,
             "published_since": args.published_since, "published_until": args.published_until,
             "only_relevant": args.only_relevant}
    file_values = read_config_file(args.config) if args.config else {}
    return build_config(file_values, flags)


def _locked(exc) -> int:
    tell(f"newsbeam: {exc}")
    return EXIT_LOCKED


def _noting(event: threading.Event):
    """A SIGINT or SIGTERM handler (Ctrl-C, or a scheduler stopping the job) that notes the signal
    in ``event``, silences Beam (which would log the interrupt as a failed stage, with a
    traceback), then raises KeyboardInterrupt: both unwind the same way, releasing the lock."""
    def interrupt(signum, frame):
        event.signum = signum
        event.set()
        logging.getLogger("apache_beam").setLevel(logging.CRITICAL + 1)
        raise KeyboardInterrupt(INTERRUPTED, 128 + signum)  # its status, wherever it is caught
    return interrupt


def run_command(args: argparse.Namespace, beam_argv: list[str]) -> int:
    from newsbeam.pipeline.config import ConfigError
    from newsbeam.pipeline.lock import LockHeld
    from newsbeam.pipeline.run import (Interrupted, UsageError, execute, new_run_id,  # imports Beam I/O while
                                       summary, summary_record)  # logging is quiet
    from newsbeam.transforms.write.commit import CommitError

    try:
        config = _config_from(args)
    except ConfigError as exc:
        return _fail(str(exc))
    if config.run_id is None:  # fixed here so that every log line can carry it
        config = dataclasses.replace(config, run_id=new_run_id())
    configure_logging(config.log_level, config.log_format, config.run_id)
    in_main_thread = threading.current_thread() is threading.main_thread()
    interrupted = threading.Event()
    previous = signal.signal(signal.SIGTERM, _noting(interrupted)) if in_main_thread else None
    previous_int = signal.signal(signal.SIGINT, _noting(interrupted)) if in_main_thread else None
    try:
        report = execute(config, beam_argv, interrupted=interrupted)
    except UsageError as exc:
        return _fail(str(exc))
    except LockHeld as exc:
        return _locked(exc)
    except CommitError as exc:  # an earlier run's commit could not be completed: nothing was started
        tell(f"newsbeam: error: {exc}")
        return EXIT_FAILED
    except Interrupted as exc:  # the lock is released; staged files are gone or the journal completes them
        raise KeyboardInterrupt(INTERRUPTED_COMMITTING if exc.committing else INTERRUPTED,
                                128 + getattr(interrupted, "signum", signal.SIGINT)) from None
    finally:
        if in_main_thread and previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if in_main_thread and previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)
    if config.log_format == "json":  # one format per stream: the summary is one object too
        print(json.dumps(summary_record(report), ensure_ascii=False))
    else:
        print(summary(report))
    if report.status != "succeeded":
        return EXIT_FAILED
    if config.fail_on_errors and report.counts["errors"]:
        return EXIT_ERRORS
    return EXIT_OK


def watch_command(args: argparse.Namespace, beam_argv: list[str]) -> int:
    from newsbeam.pipeline.config import ConfigError
    from newsbeam.pipeline.run import Interrupted, UsageError
    from newsbeam.pipeline.watch import watch

    try:
        config = _config_from(args)
    except ConfigError as exc:
        return _fail(str(exc))
    try:
        watch(config, beam_argv, args.interval, args.cycles)
    except UsageError as exc:
        return _fail(str(exc))
    except Interrupted as exc:  # a second Ctrl-C: as in a run
        raise KeyboardInterrupt(INTERRUPTED_COMMITTING if exc.committing else INTERRUPTED) from None
    return EXIT_OK


def stats_command(args: argparse.Namespace, rest: list[str]) -> int:
    from newsbeam.pipeline.stats import NotAnOutput, check_output, render

    if rest:
        return _fail(f"unexpected argument(s): {' '.join(rest)}")
    if not os.path.isdir(args.output):
        return _fail(f"{args.output} is not a folder")
    try:
        check_output(args.output)
    except NotAnOutput as exc:
        return _fail(str(exc))
    print(render(args.output, args.format, {"since": args.since, "date": args.date, "outlet": args.outlet}))
    return EXIT_OK


def report_command(args: argparse.Namespace, rest: list[str]) -> int:
    from newsbeam.pipeline.report import write_report
    from newsbeam.pipeline.stats import NotAnOutput

    if rest:
        return _fail(f"unexpected argument(s): {' '.join(rest)}")
    if "://" in args.output or not os.path.isdir(args.output):
        return _fail(f"{args.output} is not a local folder (report reads local outputs only)")
    folder = os.path.dirname(os.path.abspath(args.html))
    if not os.path.isdir(folder):
        return _fail(f"cannot write {args.html}: folder {folder} does not exist")
    try:
        done = write_report(args.output, args.html)
    except NotAnOutput as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write {args.html}: {exc.strerror or exc}")
    print(f"wrote {done.path}: {done.articles} articles ({done.undated} undated, not in the per-day charts), "
          f"{done.charts} charts" + (f"; {done.damaged} damaged files left out" if done.damaged else ""))
    return EXIT_OK


def compact_command(args: argparse.Namespace, rest: list[str]) -> int:
    """Compaction holds the output lock (no run commits meanwhile) and first completes any
    commit a run left unfinished, so that it merges whole runs."""
    from newsbeam.pipeline.compact import compact, compact_index
    from newsbeam.pipeline.stats import NotAnOutput, check_output

    if rest:
        return _fail(f"unexpected argument(s): {' '.join(rest)}")
    if "://" in args.output or not os.path.isdir(args.output):
        return _fail(f"{args.output} is not a local folder (compact works on local outputs only)")
    try:
        check_output(args.output)
    except NotAnOutput as exc:
        return _fail(str(exc))
    def work():
        return compact(args.output, args.date), compact_index(args.output, args.rebuild_index)

    status, result = _under_lock(args, "compact", work)
    if status is not None:
        return status
    done, index = result
    left = _print_partitions(done, lambda item: f"{item['table']}/{item['partition']}: {item['files']} files -> 1 "
                                                f"({item['rows']} rows)")
    if index:
        print(f"dedup index: {index['files']} file(s) -> 1 ({index['rows']} rows"
              + (", rebuilt from the tables" if index.get("rebuilt") else "") + ")")
    print(f"compacted {len(done) - len(left)} partition(s)"
          + (f"; left {len(left)} with damaged files (see `newsbeam validate --output`)" if left else ""))
    return EXIT_USAGE if left else EXIT_OK


def _under_lock(args: argparse.Namespace, command: str, work):
    """(exit status or None, what ``work`` returned): work on an output under its lock, after
    completing any unfinished commit, as compaction and retagging do."""
    from newsbeam.pipeline.compact import CompactError
    from newsbeam.pipeline.lock import LockHeld, OutputLock
    from newsbeam.pipeline.run import new_run_id, recover_output
    from newsbeam.transforms.write.commit import CommitError

    name = f"{command}-{new_run_id()}"
    try:
        with OutputLock(args.output, name, command, wait_seconds=args.wait_for_lock):
            recover_output(args.output, name)
            return None, work()
    except LockHeld as exc:
        return _locked(exc), None
    except (CompactError, CommitError) as exc:
        return _fail(str(exc)), None


def _print_partitions(done: list[dict], line_of) -> list[dict]:
    """One line per partition rewritten (``line_of``) or left as it was; returns the ones left."""
    for item in done:
        if item.get("damaged"):
            print(f"{item.get('table', 'articles')}/{item['partition']}: left as it was, damaged: "
                  + "; ".join(f"{d['path']}: {d['error']}" for d in item["damaged"]))
        else:
            print(line_of(item))
    return [item for item in done if item.get("damaged")]


def retag_command(args: argparse.Namespace, rest: list[str]) -> int:
    """Retagging holds the output lock and first completes any unfinished commit, as compaction does."""
    from newsbeam.pipeline.config import DEFAULT_LEXICON
    from newsbeam.pipeline.retag import retag
    from newsbeam.transforms.tag.lexicon import LexiconError, lexicon_hash, load_lexicon

    if rest:
        return _fail(f"unexpected argument(s): {' '.join(rest)}")
    if "://" in args.output or not os.path.isdir(args.output):
        return _fail(f"{args.output} is not a local folder (retag works on local outputs only)")
    try:
        lexicon = load_lexicon(args.lexicon or str(DEFAULT_LEXICON))
    except LexiconError as exc:
        return _fail(str(exc))
    status, done = _under_lock(args, "retag", lambda: retag(args.output, lexicon, args.date))
    if status is not None:
        return status
    left = _print_partitions(done, lambda item: (
        f"articles/{item['partition']}: {item['rows']} rows retagged; mentioning NATO {item['before']['nato']} -> "
        f"{item['after']['nato']}, Ukraine {item['before']['ukraine']} -> {item['after']['ukraine']}"))
    print(f"retagged {len(done) - len(left)} partition(s) with lexicon {lexicon_hash(lexicon)}"
          + (f"; left {len(left)} with damaged files (see `newsbeam validate --output`)" if left else ""))
    return EXIT_USAGE if left else EXIT_OK


def validate_command(args: argparse.Namespace, rest: list[str]) -> int:
    from newsbeam.pipeline.validate import validate, validate_output

    if rest:
        return _fail(f"unexpected argument(s): {' '.join(rest)}")
    if not (args.config or args.output):
        return _fail("validate needs --config FILE, --output DIR or both")
    results = []
    if args.config:
        results.append(validate(args.config, args.check_feeds))
    if args.output:
        results.append(validate_output(args.output, args.deep))
    print("\n".join(line for _, lines in results for line in lines))
    return EXIT_OK if all(valid for valid, _ in results) else EXIT_USAGE


def main(argv: Optional[list[str]] = None, process: Optional[bool] = None) -> int:
    """The command; Ctrl-C anywhere outside a run's pipeline and commit stops it with one line, status
    130 (143 after SIGTERM). ``process``: this call is the whole process (the default when ``argv`` is
    None, as for the ``newsbeam`` script), so a stop ends it at once with that status."""
    try:
        return _main(argv)
    except KeyboardInterrupt as exc:
        tell(exc.args[0] if exc.args else INTERRUPTED)
        status = exc.args[1] if len(exc.args) > 1 else EXIT_INTERRUPTED
        if argv is None if process is None else process:
            # Not a caller in Python: threads still waiting on the network (a feed fetch) would hold
            # the exit up to their timeouts, and the interpreter's shutdown could be interrupted again.
            sys.stdout.flush()
            sys.stderr.flush()
            logging.shutdown()
            os._exit(status)
        return status


def _main(argv: Optional[list[str]] = None) -> int:
    # Quiet until configured: importing Beam's I/O logs warnings about optional cloud clients.
    logging.basicConfig(level=logging.ERROR)
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    rest = [a for a in rest if a != "--"]  # 'newsbeam run ... -- --runner X' separates Beam's options
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    misspelt = unknown_option(parser, args.command, rest)
    if misspelt:
        return _fail(misspelt)
    if args.command == "stats":
        return stats_command(args, rest)
    if args.command == "watch":
        return watch_command(args, rest)
    if args.command == "validate":
        return validate_command(args, rest)
    if args.command == "compact":
        return compact_command(args, rest)
    if args.command == "report":
        return report_command(args, rest)
    if args.command == "retag":
        return retag_command(args, rest)
    stray = [a for a in rest if not a.startswith("--") and not _is_option_value(rest, a)]
    if stray:
        return _fail(f"unexpected argument(s): {' '.join(stray)}")
    return run_command(args, rest)


def unknown_option(parser: argparse.ArgumentParser, command: str, rest: list[str]) -> Optional[str]:
    """'unknown option --inptu; did you mean --input?' for the first option in ``rest`` that is neither
    the command's own nor (for run and watch, which pass the rest to Beam) an Apache Beam option."""
    import difflib

    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    known = sorted({s for a in subparsers.choices[command]._actions for s in a.option_strings if s.startswith("--")})
    unknown = [f for f in dict.fromkeys(a.split("=", 1)[0] for a in rest if a.startswith("--")) if f not in known]
    if unknown and command in ("run", "watch"):
        from newsbeam.pipeline.run import parse_beam_options

        _, beam_known, beam_unknown = parse_beam_options(rest)
        unknown = [f for f in unknown if f.lstrip("-").replace("-", "_") in beam_unknown]
        known += [f"--{name}" for name in beam_known]
    if not unknown:
        return None
    close = difflib.get_close_matches(unknown[0], known, n=1, cutoff=0.75)
    return f"unknown option {unknown[0]}" + (f"; did you mean {close[0]}?" if close else
                                             f" (see newsbeam {command} --help)")


def _is_option_value(rest: list[str], item: str) -> bool:
    """Whether ``item`` is the value of the Beam option just before it (``--runner X``)."""
    i = rest.index(item)
    return i > 0 and rest[i - 1].startswith("--") and "=" not in rest[i - 1]


if __name__ == "__main__":
    sys.exit(main())
