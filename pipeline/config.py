"""Run configuration: defaults, then a YAML file, then command-line flags (flags win).

Every key is checked before any work starts; an unknown key or a value of the
wrong type fails with a message that names the key, the file and what was
expected. ``configs/default.yaml`` documents each key with its default.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Optional

import yaml

from configs import DEFAULT_LEXICON

EXTRACTION_MODES = ("default", "fast", "precision", "recall")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class ConfigError(ValueError):
    """The configuration cannot be used; the message is for a person."""


@dataclasses.dataclass(frozen=True)
class Config:
    input: tuple[str, ...] = ()
    output: Optional[str] = None
    outlet: Optional[str] = None
    lexicon: str = str(DEFAULT_LEXICON)
    extraction: str = "default"
    min_text_chars: int = 50
    max_input_bytes: int = 50 * 1024 * 1024
    fail_on_errors: bool = False
    run_id: Optional[str] = None
    log_level: str = "INFO"
    pipeline_options: dict = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["input"] = list(self.input)
        return data


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


def _options(value):
    if not isinstance(value, dict):
        raise TypeError("a mapping of Beam pipeline option -> value")
    for key, item in value.items():
        scalar = (str, int, float, bool)
        if not isinstance(key, str) or not (isinstance(item, scalar) or (
                isinstance(item, list) and all(isinstance(i, scalar) for i in item))):
            raise TypeError("a mapping of Beam pipeline option -> string, number, boolean or list of them")
    return dict(value)


CHECKS = {
    "input": _string_list,
    "output": _optional_string,
    "outlet": _optional_string,
    "lexicon": _string,
    "extraction": _choice(EXTRACTION_MODES),
    "min_text_chars": _int(0),
    "max_input_bytes": _int(1),
    "fail_on_errors": _bool,
    "run_id": _run_id,
    "log_level": _choice(LOG_LEVELS),
    "pipeline_options": _options,
}
assert set(CHECKS) == {f.name for f in dataclasses.fields(Config)}


def check_values(values: dict, where: str) -> dict:
    """Normalized copies of ``values``; ConfigError names the first bad key."""
    checked = {}
    for key, value in values.items():
        if key not in CHECKS:
            raise ConfigError(f"{where}: unknown key '{key}' (known keys: {', '.join(sorted(CHECKS))})")
        try:
            checked[key] = CHECKS[key](value)
        except TypeError as exc:
            raise ConfigError(f"{where}: key '{key}' must be {exc}, got {value!r}") from None
    return checked


def read_config_file(path: str) -> dict:
    """The checked keys of a YAML config file (local or any FileSystems path)."""
    from apache_beam.io.filesystems import FileSystems

    try:
        with FileSystems.open(path) as handle:
            data = yaml.safe_load(handle.read())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
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
    if flags.get("pipeline_options") is not None:
        merged["pipeline_options"] = {**file_values.get("pipeline_options", {}), **flags["pipeline_options"]}
    config = Config(**merged)
    if not config.input:
        raise ConfigError("no input: give --input GLOB (or 'input:' in the config file)")
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
