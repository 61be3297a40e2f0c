"""One batch run, from checked configuration to manifest and summary.

``execute`` does the work and returns a report; :mod:`pipeline.cli` turns
that into an exit code. Everything that can be wrong with the configuration,
the inputs or the output is found before the pipeline starts.

A run holds the output lock from before its first look at the output until
its manifest is written. Under it, the run first completes any commit that an
earlier run started and could not finish (see :mod:`newsbeam.transforms.write.commit`), then
removes what runs that died before their commit left, and refuses a run id
the output already has: a committed file or manifest is never overwritten.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import secrets
import threading
import time
from typing import Optional

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from newsbeam.pipeline import manifest as manifests
from newsbeam.pipeline import progress
from newsbeam.pipeline.assemble import CCNEWS_LOG, FEEDS_LOG, SITEMAPS_LOG, IngestNews
from newsbeam.pipeline.config import Config, ConfigError, options_to_argv
from newsbeam.pipeline.lock import LockLost, OutputLock
from newsbeam.pipeline.plan import Plan
from newsbeam.pipeline.runner import is_direct, make_runner, runner_name
from newsbeam.transforms.runners import runs_locally
from newsbeam.pipeline.stage_times import stage_seconds
from newsbeam.transforms.dedup.index import index_files, read_index_footer, rebuild_index, replace_index
from newsbeam.transforms.names import DAMAGED, EXTRACT_MICROS, FILES, INDEX, METRICS_NAMESPACE, READ_SOURCES, RUNS, TABLES
from newsbeam.transforms.read.ledger import FILES as LEDGER
from newsbeam.transforms.read.ledger import ledger_file, ledger_table, split_unchanged, write_ledger
from newsbeam.transforms.read.ccnews import DateRange, ListingError, list_warcs
from newsbeam.transforms.read.domains import DomainsError, load_domains
from newsbeam.transforms.read.fetcher import Fetcher
from newsbeam.transforms.read.feed_state import read_state, save_state, state_path, updated_state
from newsbeam.transforms.read.sitemaps import sitemap_records
from newsbeam.transforms.read.files import InputError, match_inputs
from newsbeam.transforms.records import InputFile, RunContext
from newsbeam.transforms.redact import redact_argv, redact_tree
from newsbeam.transforms.tag.lexicon import LexiconError, load_lexicon
from newsbeam.transforms.tag.relevance import Relevance
from newsbeam.transforms.write.commit import (CommitError, apply_renames, check_commit, failure_reason, finish_commit,
                                              remove_interrupted_staging, remove_staging, unfinished_journals,
                                              write_journal)
from newsbeam.transforms.write.damage import damage_of, log_damaged
from newsbeam.transforms.write.parquet import read_run_log, stage_empty_tables
from newsbeam.transforms.write.storage import ensure_dir, staging_dir

_LOG = logging.getLogger("newsbeam.run")


class UsageError(ValueError):
    """Bad configuration, input or output, found before any work started."""


class Interrupted(Exception):
    """Ctrl-C stopped the run. ``committing``: it came after the commit journal was written, so the
    next run into the output completes the commit; otherwise nothing was committed and the run's
    staged files are gone."""

    def __init__(self, committing: bool):
        super().__init__("interrupted while committing" if committing else "interrupted")
        self.committing = committing


@dataclasses.dataclass
class RunReport:
    run_id: str
    status: str
    counts: dict
    files: list
    manifest_path: str
    seconds: float
    error: Optional[str] = None
    stages: dict = dataclasses.field(default_factory=dict)  # {stage: worker seconds}
    feed_failures: dict = dataclasses.field(default_factory=dict)  # {reason: feeds}
    nothing_new: bool = False  # no item was new: the inputs matched no files, or none changed


def new_run_id() -> str:
    """The id of a run starting now: UTC time and a random suffix. The one place run ids are made."""
    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def beam_options(config: Config, beam_argv: list[str]) -> PipelineOptions:
    """Pipeline options from the config's ``pipeline_options`` then the command line (which wins).
    Unknown options are refused rather than silently dropped."""
    argv = options_to_argv(config.pipeline_options) + list(beam_argv)
    options, _, unknown = parse_beam_options(argv)
    if unknown:
        raise UsageError(f"unknown option(s): {', '.join('--' + u for u in unknown)} "
                         "(neither a newsbeam flag nor an Apache Beam pipeline option)")
    try:
        is_direct(options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return options


def parse_beam_options(argv: list[str]) -> tuple[PipelineOptions, list[str], list[str]]:
    """Beam's options from ``argv``, the names of all the options Beam knows, and the names of
    those in ``argv`` it does not (which Beam itself would drop with a warning)."""
    options = PipelineOptions(argv)
    beam_logger = logging.getLogger("apache_beam.options.pipeline_options")
    level = beam_logger.level
    beam_logger.setLevel(logging.ERROR)  # we report unknown options ourselves, once
    try:
        known = options.get_all_options(retain_unknown_options=False)
        everything = options.get_all_options(retain_unknown_options=True)
    finally:
        beam_logger.setLevel(level)
    return options, sorted(known), sorted(set(everything) - set(known))


def check_output_writable(output: str, run_id: str) -> None:
    probe = FileSystems.join(output, RUNS, f".probe-{run_id}")
    try:
        ensure_dir(FileSystems.join(output, RUNS))
        with FileSystems.create(probe) as handle:
            handle.write(b"ok")
        FileSystems.delete([probe])
    except Exception as exc:  # noqa: BLE001 - permissions, read-only disks, missing buckets
        raise UsageError(f"output {output} is not writable: {exc}") from None


def _metrics(result) -> tuple[dict, dict]:
    """The run's counters, and the sums of its distributions, by metric name."""
    counters: dict[str, int] = {}
    sums: dict[str, int] = {}
    query = result.metrics().query(MetricsFilter().with_namespace(METRICS_NAMESPACE))
    for found, results, value_of in ((counters, query["counters"], lambda v: v or 0),
                                     (sums, query["distributions"], lambda v: v.sum if v else 0)):
        for metric in results:
            value = metric.committed if metric.committed is not None else metric.attempted
            found[metric.key.metric.name] = found.get(metric.key.metric.name, 0) + value_of(value)
    return counters, sums


def _read_so_far(running: dict) -> Optional[dict]:
    """Sources read so far, from the metrics of a running pipeline whose runner reports them while
    it runs (None before the runner hands the pipeline back)."""
    if "result" not in running:
        return None
    counters, _ = _metrics(running["result"])
    return {progress.SOURCES: counters.get(READ_SOURCES, 0)}


def _source_counts(plan: Plan) -> tuple:
    return ((len(plan.inputs), "files"), (len(plan.feeds), "feeds"), (len(plan.sitemaps), "sitemaps"),
            (len(plan.cc_news), "CC-NEWS files"))


def _sources(plan: Plan) -> int:
    return sum(count for count, _ in _source_counts(plan))


def _reading(plan: Plan) -> str:
    """'3 files, 2 feeds': what the progress line counts."""
    return ", ".join(f"{count} {what}" for count, what in _source_counts(plan) if count)


def _history_damage(output: str, run_id: str) -> list[dict]:
    """The damaged files the run's history read left out, each logged."""
    damaged = read_run_log(output, run_id, DAMAGED)
    log_damaged(_LOG, damaged, "left out of the history this run deduplicates against")
    return damaged


def refuse_reused_run_id(output: str, run_id: str) -> None:
    """A run id names one run's files and manifest; a second run under it would replace them."""
    path = manifests.manifest_path(output, run_id)
    if FileSystems.exists(path):
        raise UsageError(f"run id {run_id} is already used in {output} (see {path}); a run id names one run's "
                         "files and manifest and is never reused. Give a new --run-id (a retried scheduler task "
                         "needs its own, e.g. with the try number), or leave it out for a generated one")


def _bookkeeping(path: str, write) -> None:
    try:
        write()
    except Exception as exc:  # noqa: BLE001 - disk full, permissions, network: say which and where
        raise CommitError(f"{failure_reason(exc)} while writing {path}; the next run into this output "
                          "completes the commit") from exc


def complete_commit(output: str, journal: dict, completed_by: Optional[str] = None) -> None:
    """Carry a journalled commit through: the renames still missing, the manifest, the feed state.

    Every step can be repeated, so a commit cut short here too is completed by the next run.
    """
    run_id = journal["run_id"]
    apply_renames(output, run_id, journal["renames"])
    manifest = dict(journal["manifest"], **({"commit_completed_by": completed_by} if completed_by else {}))
    _bookkeeping(manifests.manifest_path(output, run_id), lambda: manifests.write_manifest(output, run_id, manifest))
    if journal["feed_state"] is not None:
        _bookkeeping(state_path(output), lambda: save_state(output, journal["feed_state"]))
    try:
        finish_commit(output, run_id)
    except Exception as exc:  # noqa: BLE001 - committed all the same; the next run tidies up
        _LOG.warning("run %s is committed, but its staging folder could not be removed: %s", run_id, exc)


def recover_output(output: str, run_id: str) -> None:
    """Before anything else: complete earlier runs' unfinished commits, then delete what runs that
    died before their commit point left behind. CommitError when a commit cannot be completed."""
    for journal in unfinished_journals(output):
        _LOG.warning("completing the commit of run %s, which was cut short", journal["run_id"])
        try:
            complete_commit(output, journal, completed_by=run_id)
        except CommitError as exc:
            raise CommitError(f"cannot complete the commit of earlier run {journal['run_id']}: {exc}") from exc
    leftovers = remove_interrupted_staging(output)
    if leftovers:
        _LOG.warning("removed the uncommitted files of interrupted run(s) %s", ", ".join(leftovers))


def ensure_index(output: str) -> list[dict]:
    """Before the run reads it: an output whose tables have rows but whose dedup index is missing
    (written before there was one) or damaged gets its index rebuilt from the tables. Returns the
    damage records found."""
    damaged = [record for record in (damage_of(read_index_footer, path) for path in index_files(output)) if record]
    if not damaged and index_files(output):
        return []
    table, table_damage = rebuild_index(output)
    if not table.num_rows and not damaged:
        return table_damage
    log_damaged(_LOG, damaged, "the dedup index is rebuilt from the tables")
    _LOG.warning("rebuilding the dedup index of %s from its tables (%d rows)", output, table.num_rows)
    replace_index(output, table)
    return damaged + table_damage


def _cc_news_files(config: Config) -> list:
    """The CC-NEWS WARC files of the configured range, from Common Crawl's monthly listings."""
    if not config.cc_news:
        return []
    fetcher = Fetcher(config.fetch_settings())
    try:
        return list_warcs(fetcher, config.cc_news_base_url, DateRange.parse(config.cc_news))
    finally:
        fetcher.close()


def stage_ledger(output: str, run_id: str, inputs: list) -> dict:
    """The run's list of files read, staged to be committed with its data."""
    relative = ledger_file(FileSystems.join(INDEX, LEDGER), run_id)
    staged = FileSystems.join(staging_dir(output, run_id), relative)
    write_ledger(ledger_table(inputs, run_id), staged)
    return {"table": LEDGER, "partition": "", "path": FileSystems.join(output, relative), "staged": staged,
            "rows": len(inputs)}


def _discard_staging(output: str, run_id: str) -> None:
    try:
        remove_staging(output, run_id)
    except Exception as exc:  # noqa: BLE001 - the next run deletes it; the run's own error matters more
        _LOG.warning("could not remove the staging folder of run %s: %s", run_id, exc)


def _commit_order(record: dict) -> tuple:
    """Tables in their order, then the index and the file ledger (the journal makes the commit
    all or nothing whatever the order; a fixed one makes cut commits reproducible)."""
    rank = TABLES.index(record["table"]) if record["table"] in TABLES else len(TABLES)
    return rank, record["table"], record["partition"], record["path"]


def commit(output: str, lock: OutputLock, staged: list[dict], manifest: dict, feed_state: Optional[dict]) -> None:
    """Commit this run's staged files and bookkeeping, all or nothing (see :mod:`newsbeam.transforms.write.commit`).

    CommitError or LockLost before the journal is written: nothing was committed and the
    staging folder is gone. CommitError after it: the next run completes the commit.
    """
    run_id = manifest["run_id"]
    journal = {"run_id": run_id, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
               "renames": staged, "manifest": manifest, "feed_state": feed_state}
    try:
        lock.check()
        check_commit(output, run_id, staged)
        write_journal(output, run_id, journal)
    except KeyboardInterrupt:
        _discard_staging(output, run_id)
        raise Interrupted(committing=False) from None
    except BaseException:
        _discard_staging(output, run_id)
        raise
    try:
        complete_commit(output, journal)
    except KeyboardInterrupt:  # the journal is written: the next run completes the commit
        raise Interrupted(committing=True) from None


def execute(config: Config, beam_argv: list[str], command: str = "run",
            interrupted: Optional[threading.Event] = None) -> RunReport:
    """Run the pipeline once. Raises UsageError before starting when something is wrong,
    LockHeld when another run holds the output, CommitError when an earlier run's commit
    cannot be completed, Interrupted on Ctrl-C (``interrupted`` is set by the caller's SIGINT
    handler: Beam reports a KeyboardInterrupt inside a stage as a RuntimeError of its own)."""
    with contextlib.ExitStack() as cleanup:
        return _execute(config, beam_argv, command, cleanup, interrupted or threading.Event())


def _execute(config: Config, beam_argv: list[str], command: str, cleanup: contextlib.ExitStack,
             interrupted: threading.Event) -> RunReport:
    started = dt.datetime.now(dt.timezone.utc)
    clock = time.monotonic()
    if not config.run_id:
        raise UsageError("no run id: the command gives every run one (see new_run_id)")
    run = RunContext(run_id=config.run_id, ingested_at=started)
    try:
        options = beam_options(config, beam_argv)
        FileSystems.set_options(options)  # the driver's own file access (s3://, gs://) uses them too
        lexicon = load_lexicon(config.lexicon)
        Relevance.of(config.relevance, config.only_relevant, lexicon)  # its names, checked before the run
        inputs = match_inputs(config.input, empty_ok=not config.fail_on_no_input) if config.input else []
        only_domains = load_domains(config.only_domains) if config.only_domains else frozenset()
        cc_news = _cc_news_files(config)
    except (ConfigError, LexiconError, InputError, DomainsError, ListingError) as exc:
        raise UsageError(str(exc)) from None
    output = config.output.rstrip("/") or "/"
    check_output_writable(output, run.run_id)
    lock = cleanup.enter_context(OutputLock(output, run.run_id, command, options, config.wait_for_lock_seconds))
    recover_output(output, run.run_id)
    refuse_reused_run_id(output, run.run_id)
    damaged = ensure_index(output)
    matched = inputs
    inputs, unchanged, ledger_damage = (inputs, [], []) if config.reprocess else split_unchanged(output, inputs)
    damaged += ledger_damage
    cc_news, cc_news_ingested, ledger_damage = (cc_news, [], []) if config.reprocess else \
        split_unchanged(output, cc_news)
    damaged += ledger_damage
    feed_state, state_damage = read_state(output) if config.feeds else ({}, [])
    log_damaged(_LOG, state_damage, "feed state counted as empty: every feed is fetched unconditionally")
    damaged += state_damage
    plan = Plan.of(config, output, run, inputs, lexicon, feed_state, cc_news, only_domains)
    feeds = plan.feeds
    preflight = time.monotonic() - clock
    _LOG.info("run %s: %d input files (%d unchanged since an earlier run, not read), %d feeds -> %s (%s)",
              run.run_id, len(matched), len(unchanged), len(feeds), output, runner_name(options))
    if config.cc_news:
        _LOG.info("run %s: %d CC-NEWS WARC files of %s (%d of them ingested by an earlier run, not downloaded)",
                  run.run_id, len(cc_news) + len(cc_news_ingested), config.cc_news, len(cc_news_ingested))

    status, error, files, counters, sums, feed_log, stages = "succeeded", None, [], {}, {}, [], {}
    sitemap_log: list[dict] = []
    staged: list[dict] = []
    try:
        if inputs or feeds or cc_news or plan.sitemaps:  # else nothing is new: no pipeline to build
            pipeline = beam.Pipeline(runner=make_runner(options), options=options)
            _ = pipeline | "IngestNews" >> IngestNews(plan)
            running: dict = {}
            shown = progress.wanted(config.log_format)
            with progress.marks(shown and runs_locally(pipeline)) as marked, \
                    progress.polled(shown, _reading(plan), _sources(plan), marked or (lambda: _read_so_far(running))):
                running["result"] = result = pipeline.run()
                result.wait_until_finish()
            counters, sums = _metrics(result)
            stages = stage_seconds(result)
            staged = read_run_log(output, run.run_id, FILES)
            feed_log = read_run_log(output, run.run_id, FEEDS_LOG)
            sitemap_log = sitemap_records(read_run_log(output, run.run_id, SITEMAPS_LOG))
            damaged += _history_damage(output, run.run_id)
        read_whole = [InputFile(path=record["path"], size=0, mtime=0.0)
                      for record in (read_run_log(output, run.run_id, CCNEWS_LOG) if cc_news else [])]
        if inputs or read_whole:
            staged.append(stage_ledger(output, run.run_id, inputs + read_whole))
        staged += stage_empty_tables(output, run, staged)  # every table readable from the first run on
        staged.sort(key=_commit_order)
        files = [{k: record[k] for k in ("table", "partition", "path", "rows")} for record in staged
                 if record["table"] in TABLES]  # the data files; the run's index files are committed with them
    except KeyboardInterrupt:  # Ctrl-C: nothing is committed; what was staged goes
        _discard_staging(output, run.run_id)
        raise Interrupted(committing=False) from None
    except Exception as exc:  # noqa: BLE001 - reported in the manifest and as exit status 1
        if interrupted.is_set():  # Ctrl-C, as Beam reraised it
            _discard_staging(output, run.run_id)
            raise Interrupted(committing=False) from None
        status, error = "failed", f"{type(exc).__name__}: {exc}"
        _LOG.error("run %s failed: %s", run.run_id, error)
        _discard_staging(output, run.run_id)
    seconds = time.monotonic() - clock
    counts = manifests.counts_from(counters, files, files_matched=len(matched) + len(cc_news) + len(cc_news_ingested),
                                   files_unchanged=len(unchanged) + len(cc_news_ingested))
    counts["damaged_files"] = len(damaged)
    nothing_new = status == "succeeded" and counts["input_items"] == counts["files_unchanged"]
    feed_failures: dict = {}
    for entry in feed_log:
        if entry.get("status") == "failed":
            feed_failures[entry.get("error")] = feed_failures.get(entry.get("error"), 0) + 1
    manifest = {
        "run_id": run.run_id,
        "status": status,
        "error": error,
        "started_at": started.isoformat(),
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "ingested_at": run.ingested_at.isoformat(),
        "output": output,
        "inputs": {"specs": list(config.input), "files": len(matched), "unchanged_files": len(unchanged),
                   "feeds": len(feeds), "sitemaps": len(plan.sitemaps), "cc_news_files": len(cc_news) + len(cc_news_ingested),
                   "cc_news_files_ingested_before": len(cc_news_ingested)},
        "runner": runner_name(options),
        "config": redact_tree(config.as_dict()),  # analysts read manifests: no keys, tokens or passwords
        "beam_args": redact_argv(list(beam_argv)),
        "versions": manifests.versions(),
        "timings_seconds": {"preflight": round(preflight, 3), "pipeline": round(seconds - preflight, 3),
                            "total": round(seconds, 3),
                            # summed over workers: the share of the run that text extraction took
                            "extract_cpu": round(sums.get(EXTRACT_MICROS, 0) / 1e6, 3),
                            # per stage, from the workers' execution-time metrics (summed over workers)
                            "stages": stages},
        "counts": counts,
        "accounting_ok": manifests.accounting_ok(counts) if status == "succeeded" else None,
        "nothing_new": nothing_new,  # a quiet day: no file matched or changed, no feed had news
        "feeds": feed_log,
        "sitemaps": sitemap_log,
        "files": files,
        "damaged_files": damaged,  # what this run found damaged and left out
    }
    if status == "succeeded":
        try:  # the feed state only with the files: a failed run fetches again next time
            commit(output, lock, staged, manifest, updated_state(feed_state, feed_log) if feeds else None)
        except (CommitError, LockLost) as exc:
            status, error = "failed", f"commit failed: {exc}"
            _LOG.error("run %s failed: %s", run.run_id, error)
            manifest.update(status=status, error=error, accounting_ok=None)
    path = manifests.manifest_path(output, run.run_id)
    if status != "succeeded":
        try:
            manifests.write_manifest(output, run.run_id, manifest)
        except Exception as exc:  # noqa: BLE001 - a full disk: the error is reported on stderr all the same
            _LOG.error("could not write the manifest %s: %s", path, failure_reason(exc))
    if status == "succeeded" and not manifest["accounting_ok"]:
        _LOG.error("run %s: counts do not add up: %s", run.run_id, counts)
    return RunReport(run.run_id, status, counts, files, path, seconds, error, stages,
                     dict(sorted(feed_failures.items())), nothing_new and status == "succeeded")


# What to do about a fetch failure, by reason, for the console summary (the manifest has each message).
FETCH_HINTS = {
    "blocked_address": "use --allow-private-network for loopback or private feeds",
    "robots_disallowed": "the site's robots.txt forbids fetching it",
    "timeout": "raise fetch: read_timeout or total_timeout in the config",
    "too_large": "raise fetch: max_bytes in the config",
    "dns": "check the host name",
}


def failures(by_reason: dict) -> str:
    """'N failed: reason n (hint), ...' or '0 failed'."""
    total = sum(by_reason.values())
    if not total:
        return "0 failed"
    return f"{total} failed: " + ", ".join(
        f"{reason} {n}" + (f" ({FETCH_HINTS[reason]})" if reason in FETCH_HINTS else "")
        for reason, n in by_reason.items())


def summary_record(report: RunReport) -> dict:
    """The end-of-run summary as one JSON object (``--log-format json``), for schedulers."""
    return {"event": "run_summary", "run_id": report.run_id, "status": report.status,
            "nothing_new": report.nothing_new, "error": report.error, "seconds": round(report.seconds, 3),
            "stages_seconds": report.stages, "counts": report.counts, "feed_failures": report.feed_failures,
            "manifest": report.manifest_path}


def summary(report: RunReport) -> str:
    """The human-readable end-of-run block."""
    c = report.counts
    rate = c["input_items"] / report.seconds if report.seconds else 0.0
    stages = ", ".join(f"{stage} {n}" for stage, n in c["errors_by_stage"].items())
    reasons = ", ".join(f"{reason} {n}" for reason, n in c["duplicates_by_reason"].items())
    return "\n".join([
        f"newsbeam run {report.run_id} {report.status} in {report.seconds:.1f} s "
        f"({c['input_items']} items, {rate:.1f} items/s)",
        f"  files read    {c['files_read']:>6} of {c['files_matched']} matched ({c['bytes_read']:,} bytes)",
        f"  feeds         {c['feeds']['fetched']:>6} fetched, {c['feeds']['not_modified']} not modified, "
        f"{failures(report.feed_failures) if report.feed_failures else str(c['feeds']['failed']) + ' failed'}; "
        f"pages {c['pages']['fetched']} fetched, {c['pages']['fallbacks']} fell back to feed text"
        + (f", {failures(c['pages']['failed'])}" if c["pages"]["failed"] else ""),
        *([f"  sitemaps      {m['fetched']:>6} fetched, {m['failed']} failed; {m['urls']} URLs, "
           f"{m['skipped_outside_window']} before the lookback window, {m['skipped_undated']} undated (skipped)"]
          if (m := c.get("sitemaps", {})).get("fetched") or m.get("failed") else []),
        f"  input items   {c['input_items']:>6}" + ("   nothing new" + (
            ": the inputs matched no files" if not c["files_matched"] else "") if report.nothing_new else ""),
        f"  articles      {c['articles']:>6}   mentioning NATO {c['articles_mentioning']['nato']}, "
        f"Ukraine {c['articles_mentioning']['ukraine']}",
        f"  duplicates    {c['duplicates']:>6}   ({reasons})",
        f"  errors        {c['errors']:>6}   ({stages})",
        f"  skipped       {c['skipped']:>6}"
        + (f"   (off topic {off_topic})" if (off_topic := c.get("skipped_by_reason", {}).get("off_topic")) else ""),
        f"  files written {c['files_written']:>6}   manifest {report.manifest_path}",
        *([f"  damaged files {c['damaged_files']:>6}   left out, named in the log and the manifest"]
          if c.get("damaged_files") else []),
    ] + ([f"  time by stage  {', '.join(f'{k} {v:.1f} s' for k, v in report.stages.items())}"]
         if report.stages else []) + ([f"  FAILED: {report.error}"] if report.error else []))
