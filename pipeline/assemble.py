"""The pipeline, stage by stage: read -> parse -> extract -> dedup -> tag -> write."""
from __future__ import annotations

import apache_beam as beam

from newsbeam.pipeline.plan import Plan
from newsbeam.transforms.dedup import Deduplicate
from newsbeam.transforms.dedup.history import ReadHistory
from newsbeam.transforms.extract.articles import ExtractArticles
from newsbeam.transforms.names import ARTICLES, DOCUMENTS, DUPLICATES, ERRORS, FILES, LOG, ROWS
from newsbeam.transforms.parse.documents import ParseDocuments
from newsbeam.transforms.read.feeds import ReadFeeds
from newsbeam.transforms.read.files import ReadInputFiles
from newsbeam.transforms.tag.mentions import TagMentions
from newsbeam.transforms.write.parquet import WritePartitionedParquet, WriteRunLog
from newsbeam.transforms.write.partition import KeyByPartition

FEEDS_LOG = "feeds"  # the run log of what happened to each feed, read back for the manifest


class IngestNews(beam.PTransform):
    """Input files and feeds in; the staged Parquet files' records out.

    Every input item leaves as exactly one row (an article, a duplicate or an
    error: the stages' error outputs are flattened into one errors table) or is
    counted as skipped, because an earlier run in this output already wrote it.
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
            fetched = pbegin | "ReadFeeds" >> ReadFeeds(plan.feeds, plan.fetch, plan.feed_state)
            documents.append(fetched[DOCUMENTS])
            errors.append(fetched[ERRORS])
            _ = fetched[LOG] | "FeedLog" >> WriteRunLog(plan.output, run.run_id, FEEDS_LOG)
        extracted = (documents | "AllDocuments" >> beam.Flatten()
                     | "Extract" >> ExtractArticles(run, plan.extract))
        history = extracted[ARTICLES] | "ReadHistory" >> ReadHistory(plan.output, run, plan.dedup_window_days)
        deduped = {ARTICLES: extracted[ARTICLES], "history": history} | "Dedup" >> Deduplicate()
        tagged = deduped[ARTICLES] | "Tag" >> TagMentions(plan.lexicon)
        articles = tagged[ARTICLES] | "PartitionArticles" >> KeyByPartition(ARTICLES, run)
        duplicates = deduped[DUPLICATES] | "PartitionDuplicates" >> KeyByPartition(DUPLICATES, run)
        errors = ((*errors, extracted[ERRORS], deduped[ERRORS], tagged[ERRORS], articles[ERRORS], duplicates[ERRORS])
                  | "AllErrors" >> beam.Flatten())
        keyed = (articles[ROWS], duplicates[ROWS], (errors | "PartitionErrors" >> KeyByPartition(ERRORS, run))[ROWS]
                 ) | "AllRows" >> beam.Flatten()
        return keyed | "Write" >> WritePartitionedParquet(plan.output, run)
