"""The literal prefixes a regular expression's matches start with, for a fast pre-scan.

Python's regex engine is fast on a plain alternation of literals and slow on a
large alternation of case-insensitive, partly anchored patterns. The tagger
therefore scans lower-cased text for the first letters every alias must start
with, and runs the full pattern only where one occurs. The prefixes are read
from the parsed pattern, so users extending the lexicon never maintain them.
"""
from __future__ import annotations

import re
from re import _constants as C  # noqa: N812 - the engine's opcode names
from re import _parser as parser
from typing import Optional

PREFIX_CHARS = 3
MAX_PREFIXES = 256


def literal_prefixes(pattern: str, length: int = PREFIX_CHARS) -> Optional[set[str]]:
    """Lower-case strings of at most ``length`` characters, one of which starts every match
    of ``pattern``; None when the pattern can start with anything (no pre-scan possible)."""
    found, _ = _sequence(list(parser.parse(pattern)), length)
    if found is None or "" in found:
        return None
    return {p.lower() for p in found}


def _sequence(ops, length) -> tuple[Optional[set[str]], bool]:
    """(prefixes, complete): complete when each prefix is a whole match of ``ops``."""
    results = {""}
    for op, argument in ops:
        if all(len(p) >= length for p in results):
            return {p[:length] for p in results}, False
        if op in (C.ASSERT, C.ASSERT_NOT):
            continue  # zero-width
        step, complete = _one(op, argument, length)
        if step is None:
            return results, False
        results = {(p + s)[:length] if len(p) < length else p for p in results for s in step}
        if len(results) > MAX_PREFIXES:
            return None, False
        if not complete:
            return results, False
    return results, True


def _one(op, argument, length) -> tuple[Optional[set[str]], bool]:
    if op is C.LITERAL:
        return {chr(argument)}, True
    if op is C.IN:
        chars = set()
        for item_op, item in argument:
            if item_op is C.LITERAL:
                chars.add(chr(item))
            elif item_op is C.RANGE and item[1] - item[0] < 32:
                chars.update(chr(c) for c in range(item[0], item[1] + 1))
            else:
                return None, False
        return chars, True
    if op is C.SUBPATTERN:
        return _sequence(list(argument[3]), length)
    if op is C.BRANCH:
        union, complete = set(), True
        for branch in argument[1]:
            found, whole = _sequence(list(branch), length)
            if found is None:
                return None, False
            union |= found
            complete = complete and whole
        return union, complete
    if op in (C.MAX_REPEAT, C.MIN_REPEAT):
        low, _, sub = argument
        if low == 0:
            return None, False
        found, _ = _sequence(list(sub), length)
        return found, False
    return None, False


def trie_regex(words: set[str]) -> str:
    """One regex matching any of ``words``, shaped as a trie (n(?:ato|avo)|o(?:tan)...): the
    engine then tests one set of first letters per position instead of every word."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a word may end here: what follows is optional
            body = body + "?" if len(branches) == 1 and len(branches[0]) == 1 else f"(?:{body})?"
        return body

    return build(trie)


class WordMatcher:
    """Whole-word matches of named groups of patterns, found fast.

    ``groups`` is a list of (name, [regex, ...]). A match may not start or end
    inside a word. The full pattern is only tried where the lower-cased text
    holds one of the patterns' literal prefixes.
    """

    def __init__(self, groups: list[tuple[str, list[str]]]):
        self._names = [name for name, _ in groups]
        parts, prefixes = [], set()
        for i, (_, patterns) in enumerate(groups):
            ordered = sorted(patterns, key=lambda p: -len(p))
            parts.append(f"(?P<g{i}>" + "|".join(ordered) + ")")
            for pattern in ordered:
                # the longest prefixes that stay few: 'nato' finds fewer false starts than 'nat'
                found = next((p for p in (literal_prefixes(pattern, n) for n in (5, 4, 3, 2, 1))
                              if p is not None), None)
                prefixes = None if found is None or prefixes is None else prefixes | found
        self._regex = re.compile("(?:" + "|".join(parts) + r")(?![^\W_])")
        self._prescan = re.compile(trie_regex(prefixes)) if prefixes else None

    def finditer(self, text: str, start: int = 0, end: Optional[int] = None,
                 lower: Optional[str] = None) -> list[tuple[str, str, int, int]]:
        """(name, surface, start, end) of each match, left to right, never overlapping;
        ``lower`` is ``text.lower()`` when the caller has it already."""
        end = len(text) if end is None else end
        lower = text.lower() if lower is None else lower
        if self._prescan is None or len(lower) != len(text):  # rare: lower() changed the length
            positions = [m.start() for m in self._regex.finditer(text, start, end)]
        else:
            positions = [m.start() for m in self._prescan.finditer(lower, start, end)]
        found, covered, names, match_at = [], 0, self._names, self._regex.match
        for position in positions:
            if position < covered:
                continue  # inside a match already found
            if position:
                before = text[position - 1]
                if before.isalnum() or before == "_":
                    continue  # inside another word: Senator, Donato
            match = match_at(text, position, end)
            if match:
                covered = match.end()
                found.append((names[int(match.lastgroup[1:])], match.group(), position, covered))
        return found
