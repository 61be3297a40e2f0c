"""Load and check the tagging lexicon (``configs/lexicon.yaml``).

Loading happens on the driver before any work starts, so a broken lexicon
fails the run at once with a message naming the entity and alias at fault;
workers receive the checked plain dict and compile it in ``setup()``.
"""
from __future__ import annotations

import re
from typing import Any

from newsbeam.transforms.bounded_yaml import YamlError, load_yaml

REQUIRED_ENTITIES = ("nato", "ukraine")
_ENTITY_KEYS = {"tag", "aliases", "note"}
_ALIAS_KEYS = {"pattern", "ignore_case", "note", "lang"}
_TOPIC_KEYS = {"all_of", "words", "note"}


class LexiconError(ValueError):
    """The lexicon file cannot be used; the message says where and why."""


def alias_regex(alias: dict) -> str:
    """One alias as a regex fragment, with its own case rule."""
    pattern = alias["pattern"]
    return f"(?i:{pattern})" if alias.get("ignore_case") else f"(?:{pattern})"


def words_regex(words: list[str]) -> str:
    """A topic's words, case-insensitive (the tagger checks that a match starts a word)."""
    return "(?i:" + "|".join(f"(?:{w})" for w in words) + ")"


def validate_lexicon(data: Any, where: str = "lexicon") -> dict:
    """Return the lexicon as a plain dict, or raise LexiconError."""
    if not isinstance(data, dict) or not isinstance(data.get("entities"), dict):
        raise LexiconError(f"{where}: expected a mapping with an 'entities' mapping at the top")
    unknown = set(data) - {"version", "entities", "topics"}
    if unknown:
        raise LexiconError(f"{where}: unknown key(s) {sorted(unknown)}; known: version, entities, topics")
    entities = {}
    for name, spec in data["entities"].items():
        here = f"{where}: entity '{name}'"
        if not isinstance(spec, dict):
            raise LexiconError(f"{here}: expected a mapping with 'tag' and 'aliases'")
        unknown = set(spec) - _ENTITY_KEYS
        if unknown:
            raise LexiconError(f"{here}: unknown key(s) {sorted(unknown)}; known: {sorted(_ENTITY_KEYS)}")
        aliases = spec.get("aliases")
        if not isinstance(aliases, list) or not aliases:
            raise LexiconError(f"{here}: 'aliases' must be a non-empty list")
        checked = []
        for i, alias in enumerate(aliases, 1):
            if isinstance(alias, str):
                alias = {"pattern": alias}
            if not isinstance(alias, dict) or not isinstance(alias.get("pattern"), str) or not alias["pattern"]:
                raise LexiconError(f"{here}, alias {i}: needs a non-empty string 'pattern'")
            unknown = set(alias) - _ALIAS_KEYS
            if unknown:
                raise LexiconError(f"{here}, alias {i}: unknown key(s) {sorted(unknown)}")
            if not isinstance(alias.get("ignore_case", False), bool):
                raise LexiconError(f"{here}, alias {i}: 'ignore_case' must be true or false")
            try:
                re.compile(alias_regex(alias))
            except re.error as exc:
                raise LexiconError(f"{here}, alias {i}: bad regular expression {alias['pattern']!r}: {exc}")
            checked.append({"pattern": alias["pattern"], "ignore_case": bool(alias.get("ignore_case"))})
        tag = spec.get("tag", name)
        if not isinstance(tag, str) or not tag:
            raise LexiconError(f"{here}: 'tag' must be a non-empty string")
        entities[str(name)] = {"tag": tag, "aliases": checked}
    missing = [e for e in REQUIRED_ENTITIES if e not in entities]
    if missing:
        raise LexiconError(f"{where}: entities {missing} are required (they feed the "
                           f"{', '.join(m + '_mentions' for m in missing)} columns)")
    return {"entities": entities, "topics": _validate_topics(data.get("topics") or {}, entities, where)}


def _validate_topics(topics, entities: dict, where: str) -> dict:
    if not isinstance(topics, dict):
        raise LexiconError(f"{where}: 'topics' must be a mapping of topic tag -> {{all_of, words}}")
    checked = {}
    for name, spec in topics.items():
        here = f"{where}: topic '{name}'"
        if not isinstance(spec, dict) or set(spec) - _TOPIC_KEYS:
            raise LexiconError(f"{here}: expected a mapping with keys {sorted(_TOPIC_KEYS)}")
        all_of, words = spec.get("all_of"), spec.get("words")
        if not isinstance(all_of, list) or not all_of or any(e not in entities for e in all_of):
            raise LexiconError(f"{here}: 'all_of' must list entities of this lexicon ({', '.join(entities)})")
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w for w in words):
            raise LexiconError(f"{here}: 'words' must be a non-empty list of regular expressions")
        try:
            re.compile(words_regex(words))
        except re.error as exc:
            raise LexiconError(f"{here}: bad regular expression in 'words': {exc}") from None
        checked[str(name)] = {"all_of": list(all_of), "words": list(words)}
    return checked


def load_lexicon(path: str) -> dict:
    """Read a lexicon through Beam's FileSystems (so gs:// and s3:// paths work) and check it."""
    from apache_beam.io.filesystems import FileSystems

    try:
        with FileSystems.open(path) as handle:
            raw = handle.read()
    except Exception as exc:  # noqa: BLE001 - any I/O failure is the same message to a user
        raise LexiconError(f"cannot read lexicon {path}: {exc}") from exc
    try:
        data = load_yaml(raw, path)
    except YamlError as exc:
        raise LexiconError(str(exc)) from None
    return validate_lexicon(data, where=path)


def lexicon_hash(lexicon: dict) -> str:
    """A short fingerprint of a validated lexicon's content (entities, aliases, topics, words):
    every article row records the one that tagged it, so rows tagged under different lexicons
    can be told apart (and brought up to date with ``newsbeam retag``)."""
    import hashlib
    import json

    canonical = json.dumps(lexicon, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
