"""The independent labelled set: sentences of real articles under ``../shared``, referenced, never copied.

``data/tagging_real.jsonl`` holds one labelled sentence per line. The text itself stays in
``../shared`` (third-party pages that must not enter the repository): a line names the file,
the character range of the sentence in it and the SHA-1 of the sentence, and gives the mentions
as offsets into the sentence. The loader reads the sentence back at test time; a changed file
is an error, a missing ``../shared`` a skip.

A line: ``{"lang", "ref", "start", "end", "sha1", "mentions": [[entity, start, end, surface]],
"topic": 0|1|null, "note"}``. ``ref`` is a path under ``../shared``:

- ``*.html.gz``: a page; the range is in the page decoded with ``encoding`` (errors replaced),
  and the sentence is that range with tags removed, entities decoded, white space collapsed;
- ``*.txt``: a plain text file, the range taken as it is;
- ``FILE.json#ID``: the ``articleBody`` of entry ``ID`` of a JSON mapping (the Zyte ground truth);
- ``FILE.conllu#SENT_ID``: the ``# text`` of one sentence of a Universal Dependencies treebank
  (``tagging_texts/ud/``: news and web text in the languages ../shared has little of; the folder
  is to be added to ../shared with the treebanks' licences, see ``data/tagging_real_sources.md``);
- ``FILE.txt#LN``: line N (1-based, without its line break) of a one-sentence-per-line text
  (``tagging_texts/ntrex/``: the NTREX-128 news test set, one English source and its
  professional translations, line N of each file the same sentence).

A line whose file is absent is left out (``unavailable`` counts them), so the set grows with
../shared. ``NEWSBEAM_SHARED`` points the loader at another copy of ../shared.

``topic`` says whether the sentence speaks of Ukraine joining NATO (``null``: not judged).
The labels were written by reading the text, from the labelling guide in
``data/tagging_real_guide.md``, before the tagger was run on it.
"""
from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import re
from functools import lru_cache
from pathlib import Path

SHARED = Path(os.environ.get("NEWSBEAM_SHARED") or Path(__file__).resolve().parents[3].parent / "shared")
LABELS = Path(__file__).with_name("data") / "tagging_real.jsonl"

_MARKUP = re.compile(r"<!--.*?-->|<(script|style|noscript|template)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)
_SPACE = re.compile(r"\s+")


class SourceChanged(Exception):
    """A referenced file under ../shared no longer holds the labelled sentence."""


def clean_html(fragment: str) -> str:
    """A fragment of a page as a reader sees it: no tags, entities decoded, one space between words."""
    return _SPACE.sub(" ", html.unescape(_MARKUP.sub("", fragment))).strip()


@lru_cache(maxsize=64)
def document(ref: str, encoding: str = "utf-8") -> str:
    """The whole referenced document as the labels' offsets see it."""
    path, _, key = ref.partition("#")
    full = SHARED / path
    if path.endswith(".conllu"):
        return _treebank(full)[key]
    if path.endswith(".txt") and key:
        return _lines(full)[int(key.removeprefix("L")) - 1]
    if key:
        return json.loads(full.read_text(encoding="utf-8"))[key]["articleBody"]
    if path.endswith(".gz"):
        return gzip.decompress(full.read_bytes()).decode(encoding, errors="replace")
    return full.read_text(encoding="utf-8")


@lru_cache(maxsize=16)
def _treebank(path: Path) -> dict[str, str]:
    """sent_id -> text of a CoNLL-U file."""
    texts, sent_id = {}, None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("# sent_id"):
                sent_id = line.split("=", 1)[1].strip()
            elif line.startswith("# text =") and sent_id is not None:
                texts[sent_id] = line.split("=", 1)[1].strip()
    return texts


@lru_cache(maxsize=16)
def _lines(path: Path) -> list[str]:
    """The lines of a text file, without their line breaks (CRLF or LF)."""
    return path.read_text(encoding="utf-8").split("\n")


def sentence(entry: dict) -> str:
    text = document(entry["ref"], entry.get("encoding", "utf-8"))
    if "start" in entry:
        text = text[entry["start"]:entry["end"]]
    return clean_html(text) if entry["ref"].endswith(".html.gz") else text


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def entries() -> list[dict]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("//")]


def present(entry: dict) -> bool:
    return (SHARED / entry["ref"].partition("#")[0]).is_file()


def unavailable() -> dict[str, int]:
    """Lines per language whose file is not under ../shared."""
    missing: dict[str, int] = {}
    for entry in entries():
        if not present(entry):
            missing[entry["lang"]] = missing.get(entry["lang"], 0) + 1
    return missing


def examples() -> list[tuple[str, bool | None, str, set]]:
    """(language, membership topic expected or None, sentence, gold mentions) for each line whose
    file is present; raises SourceChanged when a file does not hold the labelled sentence."""
    found = []
    for entry in entries():
        if not present(entry):
            continue
        text = sentence(entry)
        if sha1(text) != entry["sha1"]:
            where = f" [{entry['start']}:{entry['end']}]" if "start" in entry else ""
            raise SourceChanged(f"{entry['ref']}{where} is not the labelled sentence")
        gold = set()
        for entity, start, end, surface in entry["mentions"]:
            if text[start:end] != surface:
                raise SourceChanged(f"{entry['ref']}: {surface!r} is not at {start}:{end} of {text!r}")
            gold.add((entity, start, end))
        topic = entry.get("topic")
        found.append((entry["lang"], None if topic is None else bool(topic), text, gold))
    return found
