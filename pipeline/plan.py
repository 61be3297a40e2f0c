"""What one run will do, fixed before its pipeline is built.

The driver checks the configuration, matches the inputs, loads the lexicon and
reads the feed state; the Plan holds the results, frozen, and is all that
:class:`newsbeam.pipeline.assemble.IngestNews` needs to build the pipeline.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional

from newsbeam.pipeline.config import Config
from newsbeam.transforms.extract.articles import ExtractSettings
from newsbeam.transforms.read.feeds import FeedSpec
from newsbeam.transforms.read.fetcher import FetchSettings
from newsbeam.transforms.read.sitemaps import SitemapSettings, SitemapSpec
from newsbeam.transforms.records import InputFile, RunContext
from newsbeam.transforms.tag.relevance import Relevance


@dataclasses.dataclass(frozen=True)
class Plan:
    output: str
    run: RunContext
    inputs: tuple[InputFile, ...] = ()
    feeds: tuple[FeedSpec, ...] = ()
    feed_state: dict = dataclasses.field(default_factory=dict)  # conditional-GET validators by feed
    sitemaps: tuple[SitemapSpec, ...] = ()
    sitemap_settings: SitemapSettings = SitemapSettings()
    lexicon: dict = dataclasses.field(default_factory=dict)
    extract: ExtractSettings = ExtractSettings()
    fetch: FetchSettings = FetchSettings()
    max_input_bytes: int = 50 * 1024 * 1024
    dedup_window_days: int = 30
    cc_news: tuple[InputFile, ...] = ()  # CC-NEWS WARC files to stream, named by URL
    only_domains: frozenset = frozenset()  # empty: every domain
    published_since: Optional[dt.date] = None
    published_until: Optional[dt.date] = None
    relevance: Optional[Relevance] = None  # None: every article is written

    @classmethod
    def of(cls, config: Config, output: str, run: RunContext, inputs: list[InputFile], lexicon: dict,
           feed_state: dict, cc_news: tuple = (), only_domains: frozenset = frozenset()) -> "Plan":
        """The plan for ``config``, with what the driver found before the run."""
        return cls(
            output=output, run=run, inputs=tuple(inputs), feeds=tuple(FeedSpec(**feed) for feed in config.feeds),
            feed_state=feed_state, lexicon=lexicon,
            sitemaps=tuple(SitemapSpec(url) for url in config.sitemaps),
            sitemap_settings=SitemapSettings(lookback_days=config.sitemap_lookback_days),
            extract=ExtractSettings(min_text_chars=config.min_text_chars, extraction=config.extraction,
                                    outlet=config.outlet, timeout_seconds=config.extract_timeout_seconds,
                                    max_item_bytes=config.max_item_bytes, processes=config.extract_processes),
            fetch=config.fetch_settings(), max_input_bytes=config.max_input_bytes,
            dedup_window_days=config.dedup_window_days, cc_news=tuple(cc_news), only_domains=only_domains,
            published_since=_day(config.published_since), published_until=_day(config.published_until),
            relevance=Relevance.of(config.relevance, config.only_relevant, lexicon))


def _day(iso: Optional[str]) -> Optional[dt.date]:
    return dt.date.fromisoformat(iso) if iso else None
