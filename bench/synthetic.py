"""A synthetic news corpus of any size, as the files newsbeam reads.

N articles of realistic length (250-900 words) in German, English and French,
their words drawn with a Zipf-like skew from the bundled samples' own
vocabulary, some mentioning NATO and Ukraine. 70% are entries of RSS feeds
(100 per feed, full text in content:encoded), 20% JSONL records (500 per
file) and 10% HTML pages with navigation and footer around the article.
Every 20th article is an exact copy of an earlier one under another URL, and
every 20th (offset 10) a lightly edited near-duplicate. The same N and seed
always give the same files.

    .venv/bin/python -m bench.synthetic N FOLDER
"""
from __future__ import annotations

import datetime as dt
import html
import json
import random
import re
import sys
from pathlib import Path

from bench.common import ROOT
from tests.support.corpus import variant
from newsbeam.transforms.parse.encoding import decode_bytes

LANGUAGES = {"de": ["txt/nordkurier-nato-gipfel.txt", "txt/rheinblatt-ukraine-hilfe.txt",
                    "txt/ostsee-bote-nato-gipfel.txt", "html/tagesblick-beitritt.html"],
             "en": ["txt/coastal-herald-kyiv-talks.txt", "html/northern-ledger-summit.html", "feeds/eurowire.rss"],
             "fr": ["txt/la-gazette-otan.txt"]}
MENTIONS = {"de": ("Nato", "Ukraine"), "en": ("NATO", "Ukraine"), "fr": ("OTAN", "Ukraine")}
OUTLETS = 20
START = dt.datetime(2025, 3, 1, 6, tzinfo=dt.timezone.utc)


def vocabularies() -> dict[str, list[str]]:
    words = {}
    for language, files in LANGUAGES.items():
        text = " ".join(re.sub(r"<[^>]+>", " ", decode_bytes((ROOT / "samples" / f).read_bytes())[0])
                        for f in files)
        words[language] = sorted({w for w in re.findall(r"[^\W\d_]{3,}", text)})
    return words


def _text(rng: random.Random, words: list[str], language: str) -> str:
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(words))]
    rng.shuffle(words := list(words))
    paragraphs = []
    for _ in range(rng.randint(5, 12)):
        tokens = rng.choices(words, weights=weights, k=rng.randint(50, 75))
        if rng.random() < 0.3:
            tokens.insert(rng.randrange(len(tokens)), rng.choice(MENTIONS[language]))
        paragraphs.append(" ".join(tokens).capitalize() + ".")
    return "\n".join(paragraphs)


def articles(n: int, seed: int = 1):
    """(i, language, outlet, url, published, title, text) for article i of n."""
    words = vocabularies()
    made = {}
    for i in range(n):
        rng = random.Random(seed * 1_000_003 + i)
        outlet = i % OUTLETS
        if i % 20 == 19:  # an exact copy, republished elsewhere
            language, _, _, _, title, text = made[i - 19][1:]
        elif i % 20 == 9 and i >= 20:  # a near-duplicate: a few words changed, a paragraph dropped
            language, _, _, _, title, text = made[i - 20][1:]
            text = variant(text, rng, drop=1, edit=0.02)
        else:
            language = rng.choice(("de", "de", "en", "en", "fr"))
            text = _text(rng, words[language], language)
            title = " ".join(text.split()[:8]).rstrip(".")
        published = START + dt.timedelta(minutes=37 * i % (30 * 24 * 60))
        row = (i, language, f"outlet{outlet}", f"https://outlet{outlet}.example/news/{i}", published, title, text)
        made[i] = row
        made.pop(i - 40, None)
        yield row


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n"))


def _page(language, outlet, url, published, title, text) -> str:
    nav = "".join(f"<li><a href='/{s}'>{s.title()}</a></li>" for s in ("politik", "wirtschaft", "sport", "kultur"))
    return (f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<link rel='canonical' href='{url}'><meta property='og:site_name' content='{outlet}'>"
            f"<meta property='article:published_time' content='{published.isoformat()}'></head><body>"
            f"<header><nav><ul>{nav}</ul></nav></header><main><article><h1>{html.escape(title)}</h1>"
            f"{_paragraphs(text)}</article></main><aside>Newsletter abonnieren | Teilen</aside>"
            f"<footer>Impressum · Datenschutz · © {outlet}</footer></body></html>")


def write_corpus(n: int, folder: Path, seed: int = 1) -> Path:
    """Write N articles under ``folder``; returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    feeds: dict[int, list[str]] = {}
    records: list[str] = []
    for i, language, outlet, url, published, title, text in articles(n, seed):
        kind = i % 10
        if kind == 0:
            (folder / f"page-{i:06d}.html").write_text(_page(language, outlet, url, published, title, text),
                                                      encoding="utf-8")
        elif kind in (1, 2):
            records.append(json.dumps({"url": url, "title": title, "text": text, "outlet": outlet,
                                       "published": published.isoformat()}, ensure_ascii=False))
        else:
            feeds.setdefault(i // 100, []).append(
                f"<item><title>{html.escape(title)}</title><link>{url}</link><guid>{url}</guid>"
                f"<pubDate>{published.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
                f"<content:encoded><![CDATA[{_paragraphs(text)}]]></content:encoded></item>")
    for number, items in feeds.items():
        (folder / f"feed-{number:05d}.rss").write_text(
            "<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
            "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>Synthetic</title>"
            "<link>https://synthetic.example/</link>" + "".join(items) + "</channel></rss>", encoding="utf-8")
    for start in range(0, len(records), 500):
        (folder / f"records-{start // 500:05d}.jsonl").write_text("\n".join(records[start:start + 500]) + "\n",
                                                                   encoding="utf-8")
    return folder


if __name__ == "__main__":
    print(write_corpus(int(sys.argv[1]), Path(sys.argv[2])))
