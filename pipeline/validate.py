"""`newsbeam validate --config FILE [--check-feeds]`: is this configuration ready to run?

Checks everything a run checks before it starts (keys and types, Beam options,
the lexicon, that every input matches files) without running the pipeline,
and with ``--check-feeds`` that each feed answers and parses.
"""
from __future__ import annotations

from pipeline.config import ConfigError, build_config, read_config_file
from pipeline.readers import InputError, match_inputs
from transforms.lexicon import LexiconError, load_lexicon


def validate(path: str, check_feeds: bool = False) -> tuple[bool, list[str]]:
    """(valid, report lines)."""
    from pipeline.run import UsageError, beam_options

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
    from pipeline.fetcher import FetchError, Fetcher
    from transforms.feeds import FeedError, parse_feed

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
