"""YAML from people and from input folders, with aliases bounded.

``yaml.safe_load`` shares an anchored node between its aliases, so a 1 KB
"billion laughs" document loads in milliseconds, but anything that walks the
result (checking a list, printing it in an error message) meets 10^9 values
and hangs while memory grows. A document whose values, counted as their
aliases expand them, exceed ``MAX_VALUES`` is refused at load time, as is one
whose aliases refer to themselves.
"""
from __future__ import annotations

from typing import Any

import yaml

MAX_VALUES = 100_000


class YamlError(ValueError):
    """Not valid YAML, or too large once its aliases are expanded; the message names the source."""


def expanded_size(data: Any, limit: int = MAX_VALUES) -> int:
    """How many values ``data`` holds with every shared (aliased) value counted each time it is
    used; stops counting past ``limit``. Linear in the distinct values."""
    sizes: dict[int, int] = {}

    def size(value, depth: int = 0) -> int:
        if not isinstance(value, (list, dict)):
            return 1
        key = id(value)
        if key in sizes:
            if sizes[key] < 0:
                raise YamlError("an alias refers to the value that contains it")
            return sizes[key]
        if depth > 100:
            raise YamlError("values nested more than 100 deep")
        sizes[key] = -1
        children = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        total = 1
        for k, v in children:
            total += size(k, depth + 1) + size(v, depth + 1) if k is not None else size(v, depth + 1)
            if total > limit:
                break
        sizes[key] = min(total, limit + 1)
        return sizes[key]

    return size(data)


def load_yaml(text: str | bytes, source: str, limit: int = MAX_VALUES) -> Any:
    """The document in ``text``, refused (YamlError) when invalid or larger than ``limit`` values."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise YamlError(f"{source}: not valid YAML: {exc}") from None
    except RecursionError:
        raise YamlError(f"{source}: values nested too deep") from None
    try:
        found = expanded_size(data, limit)
    except YamlError as exc:
        raise YamlError(f"{source}: {exc}") from None
    if found > limit:
        raise YamlError(f"{source}: more than {limit:,} values once its aliases are expanded "
                        "(an alias bomb?); write the values out instead")
    return data
