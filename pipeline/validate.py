"""`newsbeam validate --config FILE [--check-feeds]`: is this configuration ready to run?
`newsbeam validate --output DIR [--deep]`: does everything in this output read?

The first checks everything a run checks before it starts (keys and types,
Beam options, the lexicon, that every input matches files) without running the
pipeline, and with ``--check-feeds`` that each feed answers and parses.
The second checks every Parquet file of the three tables (footer, and schema
against ``transforms/write/schema.py``; with ``--deep`` every page too), every run
manifest and state file, and names each damaged file with the reason
(see :mod:`newsbeam.transforms.write.damage`): the files runs, ``stats`` and ``compact`` leave out.
"""
from __future__ import annotations

from apache_beam.io.filesystems import FileSystems

from newsbeam.pipeline.config import ConfigError, build_config, read_config_file
from newsbeam.transforms.write.damage import damage_of, parquet_damage, read_json, read_manifest
from newsbeam.transforms.read.feed_state import read_state, state_path
from newsbeam.transforms.names import RUNS, TABLES
from newsbeam.transforms.read.files import InputError, match_inputs
from newsbeam.transforms.tag.lexicon import LexiconError, load_lexicon


def validate(path: str, check_feeds: bool = False) -> tuple[bool, list[str]]:
    """(valid, report lines)."""
    from newsbeam.pipeline.run import UsageError, beam_options

    try:
        config = build_config(read_config_file(path), {})
        beam_options(config, [])
        lexicon = load_lexicon(config.lexicon)
    except (ConfigError, LexiconError, UsageError) as exc:
        return False, [f"invalid: {exc}"]
    lines = [f"config {path}: keys and types ok",
             f"lexicon {config.lexicon}: {len(lexicon['entities'])} entities, {len(lexicon['topics'])} topics",
             f"output {config.output}"]
    valid = True
    for spec in config.input:
        try:
            lines.append(f"input {spec!r}: {len(match_inputs([spec]))} files")
        except InputError as exc:
            valid = False
            lines.append(f"invalid: {exc}")
    lines.append(f"feeds: {len(config.feeds)}")
    if check_feeds and config.feeds:
        valid &= _check_feeds(config, lines)
    return valid, lines


def _check_feeds(config, lines: list[str]) -> bool:
    from newsbeam.transforms.read.fetcher import FetchError, Fetcher
    from newsbeam.transforms.parse.feeds import FeedError, parse_feed

    fetcher, ok = Fetcher(config.fetch_settings()), True
    try:
        for feed in config.feeds:
            try:
                response = fetcher.get(feed["url"])
                parsed = parse_feed(response.body, feed["url"], content_type=response.headers.get("content-type"))
                warning = f" (malformed: {parsed.warning})" if parsed.warning else ""
                lines.append(f"  ok   {feed['url']}: {len(parsed.documents)} entries{warning}")
            except (FetchError, FeedError) as exc:
                ok = False
                lines.append(f"  FAIL {feed['url']}: {exc.kind}: {exc}")
    finally:
        fetcher.close()
    return ok


def _files(folder: str, suffix: str) -> list[str]:
    """Every file below ``folder`` whose name ends with ``suffix``."""
    found = FileSystems.match([FileSystems.join(folder, "**")])[0].metadata_list
    return sorted(m.path for m in found if m.path.endswith(suffix))


def output_damage(output: str, deep: bool = False) -> tuple[dict[str, int], list[dict]]:
    """({kind of file: how many were checked}, damage records), over a whole output."""
    checked, damaged = {}, []
    for table in TABLES:
        paths = _files(FileSystems.join(output, table), ".parquet")
        checked[f"{table} Parquet files"] = len(paths)
        damaged += filter(None, (parquet_damage(path, table, deep) for path in paths))
    manifests = _files(FileSystems.join(output, RUNS), ".json")
    checked["run manifests"] = len(manifests)
    damaged += filter(None, (damage_of(read_manifest, path) for path in manifests))
    feeds = state_path(output)
    others = [path for path in _files(FileSystems.split(feeds)[0], ".json")
              if path != feeds and not FileSystems.split(path)[1].startswith(".")]  # .name.tmp: being written
    checked["state files"] = int(FileSystems.exists(feeds)) + len(others)
    damaged += read_state(output)[1]
    damaged += filter(None, (damage_of(read_json, path) for path in others))
    return checked, damaged


def validate_output(output: str, deep: bool = False) -> tuple[bool, list[str]]:
    """(nothing damaged, report lines)."""
    output = output.rstrip("/") or "/"
    checked, damaged = output_damage(output, deep)
    if not any(checked.values()) and not FileSystems.exists(output):
        return False, [f"invalid: output {output} does not exist"]
    lines = [f"output {output}: checked " + ", ".join(f"{n} {kind}" for kind, n in checked.items())
             + (" (every page)" if deep else " (footers and schemas)")]
    lines += [f"  DAMAGED {d['path']}: {d['error']}" for d in damaged]
    lines.append(f"output {output}: {len(damaged)} damaged file(s)" if damaged else f"output {output}: no damaged file")
    return not damaged, lines
