"""The labelled tagging set (``data/tagging_gold.tsv``) and its scoring."""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

GOLD = Path(__file__).with_name("data") / "tagging_gold.tsv"
_MARK = re.compile(r"\{\{(\w+):(.+?)\}\}")


def parse(marked: str) -> tuple[str, set]:
    """Plain text and its gold mentions {(entity, start, end)}."""
    text, spans, position = [], set(), 0
    for match in _MARK.finditer(marked):
        text.append(marked[position:match.start()])
        start = sum(map(len, text))
        text.append(match.group(2))
        spans.add((match.group(1), start, start + len(match.group(2))))
        position = match.end()
    text.append(marked[position:])
    return "".join(text), spans


def examples() -> list[tuple[str, bool, str, set]]:
    """(language, membership topic expected, text, gold mentions) for each line."""
    found = []
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            language, topic, marked = line.split("\t")
            text, spans = parse(marked)
            found.append((language, topic == "1", text, spans))
    return found


def score(tagger, labelled=None) -> dict[str, dict]:
    """Precision and recall of mentions (entity and exact span) per language, on ``labelled``
    (language, topic expected or None, text, gold mentions) rows, by default this set's.
    ``traps`` counts texts without any mention, ``trap_fp`` the mentions found in them, and
    ``errors`` lists (text, missed, wrongly found) for a reader."""
    tallies = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "texts": 0, "topic_errors": 0, "traps": 0,
                                   "trap_fp": 0, "errors": []})
    for language, topic, text, gold in (examples() if labelled is None else labelled):
        tagged = tagger.tag(None, text)
        predicted = {(m["entity"], m["start"], m["end"]) for m in tagged["mentions"]}
        tally = tallies[language]
        tally["texts"] += 1
        tally["tp"] += len(predicted & gold)
        tally["fp"] += len(predicted - gold)
        tally["fn"] += len(gold - predicted)
        if not gold:
            tally["traps"] += 1
            tally["trap_fp"] += len(predicted)
        if predicted != gold:
            tally["errors"].append((text, sorted(gold - predicted), sorted(predicted - gold)))
        if topic is not None:
            tally["topic_errors"] += topic != ("nato_ukraine_membership" in tagged["tags"])
    for tally in tallies.values():
        tally["precision"] = tally["tp"] / max(1, tally["tp"] + tally["fp"])
        tally["recall"] = tally["tp"] / max(1, tally["tp"] + tally["fn"])
    return dict(tallies)
