"""The pipeline, stage by stage: read -> parse -> extract -> tag -> sign -> spill -> dedup -> write."""
from __future__ import annotations

import apache_beam as beam

from newsbeam.pipeline.plan import Plan
from newsbeam.transforms.dedup import Deduplicate
from newsbeam.transforms.dedup.seen import SkipWrittenUrls
from newsbeam.transforms.dedup.sign import SignArticles
from newsbeam.transforms.extract.articles import ExtractArticles
from newsbeam.transforms.names import ARTICLES, DAMAGED, DOCUMENTS, ERRORS, FILES, INDEX, LOG
from newsbeam.transforms.parse.documents import ParseDocuments
from newsbeam.transforms.read.ccnews import ReadCcNews
from newsbeam.transforms.read.domains import KeepDomains, KeepPublishedWindow
from newsbeam.transforms.read.feeds import ReadFeeds
from newsbeam.transforms.read.files import ReadInputFiles
from newsbeam.transforms.read.sitemaps import ReadSitemaps
from newsbeam.transforms.tag.mentions import TagMentions
from newsbeam.transforms.tag.relevance import KeepRelevant
from newsbeam.transforms.write.parquet import WriteRunLog, WriteTables
from newsbeam.transforms.write.spill import KEYS, REFS, SpillArticles

FEEDS_LOG = "feeds"  # the run log of what happened to each feed, read back for the manifest
CCNEWS_LOG = "ccnews"  # the CC-NEWS files read to their end, read back for the file ledger
SITEMAPS_LOG = "sitemaps"  # and to each sitemap


class IngestNews(beam.PTransform):
    """Input files, feeds and sitemaps in; the staged Parquet files' records out.

    Every input item leaves as exactly one row (an article, a duplicate or an
    error: the stages' error outputs are flattened into one errors table) or is
    counted as skipped, because an earlier run in this output already wrote it.
    An article's full row is spilled once it is tagged and signed; dedup decides
    on keys, and the writer of each partition applies the decisions to the rows.
    Every stage's outputs are read the same way, ``result[NAME]``.
    """

    def __init__(self, plan: Plan):
        super().__init__()
        self._plan = plan

    def expand(self, pbegin):
        plan, run = self._plan, self._plan.run
        documents, errors = [], []
        if plan.inputs:
            read = pbegin | "Read" >> ReadInputFiles(plan.inputs, plan.max_input_bytes)
            parsed = read[FILES] | "Parse" >> ParseDocuments(plan.extract.max_item_bytes)
            documents.append(parsed[DOCUMENTS])
            errors += [read[ERRORS], parsed[ERRORS]]
        if plan.feeds:
            fetched = pbegin | "ReadFeeds" >> ReadFeeds(plan.feeds, plan.fetch, plan.feed_state,
                                                        unfetched=SkipWrittenUrls(plan.output))
            documents.append(fetched[DOCUMENTS])
            errors.append(fetched[ERRORS])
            _ = fetched[LOG] | "FeedLog" >> WriteRunLog(plan.output, run.run_id, FEEDS_LOG)
        if plan.cc_news:
            streamed = pbegin | "ReadCcNews" >> ReadCcNews(plan.cc_news, plan.extract.max_item_bytes, plan.fetch,
                                                           plan.only_domains)
            documents.append(streamed[DOCUMENTS])
            errors.append(streamed[ERRORS])
            _ = streamed[LOG] | "CcNewsLog" >> WriteRunLog(plan.output, run.run_id, CCNEWS_LOG)
        if plan.sitemaps:
            walked = pbegin | "ReadSitemaps" >> ReadSitemaps(plan.sitemaps, plan.fetch, plan.sitemap_settings,
                                                             run.ingested_at, unfetched=SkipWrittenUrls(plan.output),
                                                             only_domains=plan.only_domains)
            documents.append(walked[DOCUMENTS])
            errors.append(walked[ERRORS])
            _ = walked[LOG] | "SitemapLog" >> WriteRunLog(plan.output, run.run_id, SITEMAPS_LOG)
        documents = documents | "AllDocuments" >> beam.Flatten()
        if plan.only_domains:
            kept = documents | "OnlyDomains" >> KeepDomains(plan.only_domains)
            documents = kept[DOCUMENTS]
            errors.append(kept[ERRORS])
        extracted = documents | "Extract" >> ExtractArticles(run, plan.extract)
        articles = extracted[ARTICLES]
        if plan.published_since or plan.published_until:
            windowed = articles | "PublishedWindow" >> KeepPublishedWindow(plan.published_since, plan.published_until)
            articles = windowed[ARTICLES]
            errors.append(windowed[ERRORS])
        tagged = articles | "Tag" >> TagMentions(plan.lexicon)
        if plan.relevance is not None:  # before dedup: an off-topic item is neither written nor indexed
            relevant = tagged[ARTICLES] | "Relevance" >> KeepRelevant(plan.relevance)
            errors.append(relevant[ERRORS])
            tagged = {ARTICLES: relevant[ARTICLES], ERRORS: tagged[ERRORS]}
        signed = tagged[ARTICLES] | "Sign" >> SignArticles()
        spilled = signed[ARTICLES] | "Spill" >> SpillArticles(plan.output, run)
        deduped = spilled[KEYS] | "Dedup" >> Deduplicate(plan.output, plan.dedup_window_days, run.ingest_date)
        _ = deduped[DAMAGED] | "DamagedLog" >> WriteRunLog(plan.output, run.run_id, DAMAGED)
        errors = ((*errors, extracted[ERRORS], tagged[ERRORS], signed[ERRORS], spilled[ERRORS])
                  | "AllErrors" >> beam.Flatten())
        return ({"refs": spilled[REFS], "decisions": deduped["decisions"], INDEX: deduped[INDEX], ERRORS: errors}
                | "Write" >> WriteTables(plan.output, run))
