"""Run configuration: defaults, then a YAML file, then command-line flags (flags win).

Every key is checked before any work starts; an unknown key or a value of the
wrong type fails with a message that names the key, the file and what was
expected. ``configs/default.yaml`` documents each key with its default.
"""
from __future__ import annotations

import dataclasses
import re
import reprlib
from typing import Any, Optional

from newsbeam.configs import DEFAULT_LEXICON
from newsbeam.transforms.read.fetcher import FetchSettings
from newsbeam.pipeline.runner import check_runner
from newsbeam.transforms.bounded_yaml import YamlError, load_yaml

EXTRACTION_MODES = ("default", "fast", "precision", "recall")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class ConfigError(ValueError):
    """The configuration cannot be used; the message is for a person."""


_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxlevel = 80, 80, 4, 4, 2


def shown(value) -> str:
    """A value as a message shows it: its repr, cut short (never a whole huge value)."""
    return _SHORT.repr(value)


def did_you_mean(word: str, known) -> str:
    """' (did you mean 'x'?)' for the known word closest to a misspelt one, else ''."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6) if isinstance(word, str) else []
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Stated(TypeError):
    """A check's complete message for one part of a value (``feeds[0]: unknown key ...``), shown as it is."""


class _NotHttpUrl(_Stated):
    """A feed URL without an http(s) scheme; ``guess`` is the URL it probably meant, or None."""

    def __init__(self, message: str, url, guess: Optional[str]):
        super().__init__(message)
        self.url, self.guess = url, guess


@dataclasses.dataclass(frozen=True)
class Config:
    input: tuple[str, ...] = ()
    feeds: tuple[dict, ...] = ()
    sitemaps: tuple[str, ...] = ()
    sitemap_lookback_days: float = 3.0
    output: Optional[str] = None
    outlet: Optional[str] = None
    lexicon: str = str(DEFAULT_LEXICON)
    extraction: str = "default"
    min_text_chars: int = 50
    extract_timeout_seconds: float = 10.0
    extract_processes: int = 0
    max_input_bytes: int = 50 * 1024 * 1024
    max_item_bytes: int = 10 * 1024 * 1024
    fail_on_errors: bool = False
    fail_on_no_input: bool = False
    reprocess: bool = False
    dedup_window_days: int = 30
    run_id: Optional[str] = None
    wait_for_lock_seconds: float = 0.0
    log_level: str = "INFO"
    log_format: str = "text"
    fetch: dict = dataclasses.field(default_factory=dict)
    cc_news: Optional[str] = None  # a date range of Common Crawl's CC-NEWS WARC files to read
    cc_news_base_url: str = "https://data.commoncrawl.org/"
    only_domains: Optional[str] = None  # a file of domains, one a line: keep only their items
    published_since: Optional[str] = None  # YYYY-MM-DD: keep only articles published on or after
    published_until: Optional[str] = None  # YYYY-MM-DD: ... on or before
    relevance: dict = dataclasses.field(default_factory=dict)  # {entities: [...], topics: [...]}
    only_relevant: bool = False  # with no relevance names: any lexicon entity or topic
    pipeline_options: dict = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["input"] = list(self.input)
        data["feeds"] = list(self.feeds)
        data["sitemaps"] = list(self.sitemaps)
        return data

    def fetch_settings(self) -> FetchSettings:
        return FetchSettings(**self.fetch)


# key -> (description of the expected value, check returning the normalized value or raising TypeError)
def _string(value):
    if not isinstance(value, str) or not value.strip():
        raise TypeError("a non-empty string")
    return value


def _optional_string(value):
    return None if value is None else _string(value)


def _string_list(value):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TypeError("a list of non-empty strings (paths or globs)")
    return tuple(value)


def _int(minimum):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise TypeError(f"a whole number >= {minimum}")
        return value
    return check


def _seconds(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise TypeError("a number of seconds >= 0")
    return float(value)


def _bool(value):
    if not isinstance(value, bool):
        raise TypeError("true or false")
    return value


def _choice(options):
    def check(value):
        if value not in options:
            raise TypeError(f"one of {', '.join(options)}")
        return value
    return check


def _run_id(value):
    if value is None:
        return None
    if not isinstance(value, str) or not RUN_ID.match(value):
        raise TypeError("letters, digits, '.', '_' or '-' (at most 100, not starting with a symbol)")
    return value


def _feed_url(url) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        port = parts.port if parts else None
    except ValueError as exc:  # a port out of range, a broken IPv6 literal
        raise TypeError(f"an http(s) URL with a host, not {shown(url)} ({exc})") from None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        guess = None
        if parts is not None and not parts.scheme and not parts.netloc and "." in parts.path.split("/")[0]:
            guess = "https://" + url  # 'www.example.org/feed': the scheme left out
        raise _NotHttpUrl(f"{shown(url)} is not an http(s) URL with a host"
                          + (f"; did you mean {guess}?" if guess else ""), url, guess)
    return url


FEED_KEYS = ("url", "outlet", "language")


def _feeds(value):
    if not isinstance(value, list):
        raise TypeError("a list of feed URLs or of mappings with url, outlet, language")
    feeds = []
    for number, item in enumerate(value):
        if isinstance(item, str):
            item = {"url": item}
        for key in item if isinstance(item, dict) else ():
            if key not in FEED_KEYS:
                raise _Stated(f"feeds[{number}]: unknown key {shown(key)}{did_you_mean(key, FEED_KEYS)} "
                              f"(known: {', '.join(FEED_KEYS)})")
        if not isinstance(item, dict) or "url" not in item:
            raise TypeError(f"a list of feed URLs or of mappings with url, outlet, language; got {shown(item)}")
        if not all(v is None or isinstance(v, str) for v in item.values()):
            raise TypeError(f"strings for url, outlet and language; got {shown(item)}")
        feeds.append({"url": _feed_url(item["url"]), "outlet": item.get("outlet"), "language": item.get("language")})
    return tuple(feeds)


def _sitemaps(value):
    if isinstance(value, str):
        value = [value]
    what = "a list of sitemap, sitemap index or site home URLs"
    if not isinstance(value, list):
        raise TypeError(what)
    try:
        return tuple(_feed_url(url) for url in value)
    except TypeError as exc:
        raise TypeError(f"{what}, each {exc}") from None


def _days(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise TypeError("a number of days > 0")
    return float(value)


# Settings for which 0 would stall or refuse every request.
FETCH_POSITIVE = ("connect_timeout", "read_timeout", "total_timeout", "max_bytes", "concurrency",
                  "per_host_concurrency")


def _positive_seconds(value):
    if _seconds(value) <= 0:
        raise TypeError("a number of seconds > 0")
    return float(value)


def _fetch_check(name: str, default):
    """The check of one fetch setting, from its default's type."""
    if isinstance(default, bool):
        return _bool
    if isinstance(default, int):
        return _int(1 if name in FETCH_POSITIVE else 0)
    if isinstance(default, float):
        return _positive_seconds if name in FETCH_POSITIVE else _seconds
    if isinstance(default, tuple):
        return _string_list
    return _string


FETCH_CHECKS = {f.name: _fetch_check(f.name, f.default) for f in dataclasses.fields(FetchSettings)}


def _fetch(value):
    if not isinstance(value, dict):
        raise TypeError(f"a mapping of fetch setting -> value (known: {', '.join(FETCH_CHECKS)})")
    return _checked(value, FETCH_CHECKS, TypeError,
                    lambda key: f"a mapping of fetch settings; '{key}' is not one{did_you_mean(key, FETCH_CHECKS)} "
                    f"(known: {', '.join(FETCH_CHECKS)})",
                    lambda key, _, exc: f"a mapping of fetch settings; '{key}' must be {exc}")


def _relevance(value):
    if not isinstance(value, dict) or set(value) - {"entities", "topics"}:
        raise TypeError("a mapping with entities and/or topics, each a list of lexicon names")
    return {key: list(_string_list(names)) for key, names in value.items()}


def _checked(values: dict, checks: dict, error: type, unknown, bad) -> dict:
    """``values`` each passed through its check; ``error(unknown(key))`` for a key without one,
    ``error(bad(key, value, exc))`` for a value its check refuses."""
    checked = {}
    for key, value in values.items():
        if key not in checks:
            raise error(unknown(key))
        try:
            checked[key] = checks[key](value)
        except TypeError as exc:
            raise error(bad(key, value, exc)) from None
    return checked


def _cc_news(value):
    from newsbeam.transforms.read.ccnews import DateRange

    if value is None:
        return None
    try:
        DateRange.parse(value)
    except ValueError as exc:
        raise TypeError(str(exc)) from None
    return value.strip()


def _optional_day(value):
    import datetime as dt

    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return None if value is None else value.isoformat()
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except (AttributeError, ValueError):
        raise TypeError("a date YYYY-MM-DD") from None


def _options(value):
    if not isinstance(value, dict):
        raise TypeError("a mapping of Beam pipeline option -> value")
    for key, item in value.items():
        scalar = (str, int, float, bool)
        if not isinstance(key, str) or not (isinstance(item, scalar) or (
                isinstance(item, list) and all(isinstance(i, scalar) for i in item))):
            raise TypeError("a mapping of Beam pipeline option -> string, number, boolean or list of them")
    if "runner" in value:
        try:
            check_runner(value["runner"])
        except ValueError as exc:
            raise TypeError(f"a mapping of Beam pipeline options; {exc}") from None
    return dict(value)


CHECKS = {
    "input": _string_list,
    "feeds": _feeds,
    "sitemaps": _sitemaps,
    "sitemap_lookback_days": _days,
    "output": _optional_string,
    "outlet": _optional_string,
    "lexicon": _string,
    "extraction": _choice(EXTRACTION_MODES),
    "min_text_chars": _int(0),
    "extract_timeout_seconds": _seconds,
    "extract_processes": _int(0),
    "max_input_bytes": _int(1),
    "max_item_bytes": _int(1),
    "fail_on_errors": _bool,
    "fail_on_no_input": _bool,
    "reprocess": _bool,
    "dedup_window_days": _int(0),
    "run_id": _run_id,
    "wait_for_lock_seconds": _seconds,
    "log_level": _choice(LOG_LEVELS),
    "log_format": _choice(LOG_FORMATS),
    "fetch": _fetch,
    "cc_news": _cc_news,
    "cc_news_base_url": _feed_url,
    "only_domains": _optional_string,
    "published_since": _optional_day,
    "published_until": _optional_day,
    "pipeline_options": _options,
    "relevance": _relevance,
    "only_relevant": _bool,
}
assert set(CHECKS) == {f.name for f in dataclasses.fields(Config)}


def check_values(values: dict, where: str) -> dict:
    """Normalized copies of ``values``; ConfigError names the first bad key."""
    return _checked(values, CHECKS, ConfigError,
                    lambda key: f"{where}: unknown key '{key}'{did_you_mean(key, CHECKS)} "
                    f"(known keys: {', '.join(sorted(CHECKS))})",
                    lambda key, value, exc: _bad_value(where, key, value, exc))


def _bad_value(where: str, key: str, value, exc: TypeError) -> str:
    """The message for a value its check refused, naming the key (or, on the command line, the flag)."""
    if isinstance(exc, _NotHttpUrl) and where == "command line":
        return f"--feed {exc.url} is not an http(s) URL" + (f"; did you mean {exc.guess}?" if exc.guess else "")
    if isinstance(exc, _NotHttpUrl):
        return f"{where}: key '{key}': {exc}"
    if isinstance(exc, _Stated):  # names the part of the value itself ('feeds[0]: ...')
        return f"{where}: {exc}"
    return f"{where}: key '{key}' must be {exc}, got {shown(value)}"


def read_config_file(path: str) -> dict:
    """The checked keys of a YAML config file (local or any FileSystems path)."""
    from apache_beam.io.filesystems import FileSystems

    try:
        with FileSystems.open(path) as handle:
            data = load_yaml(handle.read(), path)
    except YamlError as exc:
        raise ConfigError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - missing file, permissions, bad scheme
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of key: value at the top level")
    return check_values(data, path)


def build_config(file_values: dict, flag_values: dict) -> Config:
    """Defaults < config file < flags. Flags left unset (None) do not override."""
    flags = check_values({k: v for k, v in flag_values.items() if v is not None}, "command line")
    merged = {**file_values, **flags}
    for mapping in ("pipeline_options", "fetch"):  # flags set single keys of these mappings
        if flags.get(mapping) is not None:
            merged[mapping] = {**file_values.get(mapping, {}), **flags[mapping]}
    config = Config(**merged)
    if not config.input and not config.feeds and not config.cc_news and not config.sitemaps:
        raise ConfigError("no input: give --input GLOB, --feed URL, --sitemap URL or --cc-news RANGE "
                          "(or 'input:' / 'feeds:' / 'sitemaps:' / 'cc_news:' in the config file)")
    if config.published_since and config.published_until and config.published_since > config.published_until:
        raise ConfigError(f"key 'published_since' ({config.published_since}) is after key 'published_until' "
                          f"({config.published_until})")
    if not config.output:
        raise ConfigError("no output: give --output DIR (or 'output:' in the config file)")
    return config


def options_to_argv(options: dict[str, Any]) -> list[str]:
    """A ``pipeline_options`` mapping as Beam command-line flags."""
    argv = []
    for key, value in options.items():
        flag = "--" + key.lstrip("-")
        for item in value if isinstance(value, list) else [value]:
            if item is True:
                argv.append(flag)
            elif item is not False:
                argv.append(f"{flag}={item}")
    return argv
