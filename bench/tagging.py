"""Tagging: quality per language on both labelled sets, and speed against a naive regex.

Quality is shown on the hand-written set (``tests/transforms/tag/data/tagging_gold.tsv``,
written together with the lexicon) and on the independent set of real sentences
(``tagging_real.jsonl``, labelled from a guide without the tagger; its text stays in
../shared, so only the sentences present here are scored, and the table says how many).

Speed is measured on two corpora, each repeated to about 10 MB: the five
German seed articles (a NATO or Ukraine mention every ~130 bytes, the worst
case) and the Zyte benchmark's article bodies (general news). The naive
baseline, measured in the same run, is one case-insensitive ``NATO|Ukraine``
regex counting matches: no word boundaries, no other forms, languages,
offsets, sentences or topics.

    .venv/bin/python -m bench.tagging
"""
from __future__ import annotations

import json
import re
import time

from bench.common import ROOT, SHARED
from newsbeam.configs import DEFAULT_LEXICON
from tests.transforms.tag import real
from tests.transforms.tag.gold import score
from newsbeam.transforms.extract.clean_text import clean_dump
from newsbeam.transforms.tag.lexicon import load_lexicon
from newsbeam.transforms.tag.mentions import Tagger

TARGET_BYTES = 10_000_000


def corpora() -> dict[str, list[tuple]]:
    found = {}
    seeds = sorted((SHARED / "seeds").glob("*.txt"))
    if seeds:
        cleaned = [clean_dump(p.read_text(encoding="utf-8")) for p in seeds]
        found["seed articles (dense)"] = [(c.title, c.text) for c in cleaned]
    truth = SHARED / "benchmarks" / "scrapinghub_aeb" / "ground-truth.json"
    if truth.exists():
        found["Zyte article bodies"] = [(None, v["articleBody"]) for v in json.loads(truth.read_text()).values()
                                        if v.get("articleBody")]
    samples = sorted((ROOT / "samples" / "txt").glob("*.txt"))
    found.setdefault("samples", [(None, p.read_bytes().decode("utf-8", "replace")) for p in samples])
    return found


def speed(articles: list[tuple], tagger: Tagger) -> tuple[float, float, float]:
    size = sum(len(f"{t}\n\n{x}".encode()) for t, x in articles)
    repeat = max(1, TARGET_BYTES // size)
    megabytes = size * repeat / 1e6
    naive = re.compile(r"NATO|Ukraine", re.IGNORECASE)
    started = time.perf_counter()
    for _ in range(repeat):
        for title, text in articles:
            naive.findall(f"{title}\n\n{text}" if title else text)
    baseline = megabytes / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(repeat):
        for title, text in articles:
            tagger.tag(title, text)
    ours = megabytes / (time.perf_counter() - started)
    return megabytes, baseline, ours


def quality_table(title: str, tallies: dict) -> None:
    if title:
        print(title)
    print(f"{'language':<10}{'texts':>6}{'traps':>6}{'mentions':>10}{'precision':>11}{'recall':>8}{'topic errors':>14}")
    for language in sorted(tallies):
        tally = tallies[language]
        mentions = tally["tp"] + tally["fn"]
        found = tally["tp"] + tally["fp"]
        precision = f"{tally['precision']:.3f}" if found else "n/a"
        recall = f"{tally['recall']:.3f}" if mentions else "n/a"
        print(f"{language:<10}{tally['texts']:>6}{tally['traps']:>6}{mentions:>10}{precision:>11}{recall:>8}"
              f"{tally['topic_errors']:>14}")


def main() -> None:
    tagger = Tagger(load_lexicon(str(DEFAULT_LEXICON)))
    print("mentions scored by entity and exact span; traps: texts without any mention\n")
    quality_table("hand-written set (tests/transforms/tag/data/tagging_gold.tsv, written with the lexicon)",
                  score(tagger))
    labelled = real.examples()
    missing = real.unavailable()
    print(f"\nindependent set of real sentences (tagging_real.jsonl, text read from {real.SHARED})")
    if labelled:
        quality_table("", score(tagger, labelled))
    if missing:
        print("not scored, file absent: " + ", ".join(f"{lang} {n}" for lang, n in sorted(missing.items())))
    print("\ntagging speed, one core")
    print(f"{'corpus':<26}{'MB':>6}{'naive regex MB/s':>18}{'newsbeam MB/s':>15}{'share of naive':>16}")
    for name, articles in corpora().items():
        megabytes, baseline, ours = speed(articles, tagger)
        print(f"{name:<26}{megabytes:>6.1f}{baseline:>18.1f}{ours:>15.1f}{ours / baseline:>16.2f}")


if __name__ == "__main__":
    main()
