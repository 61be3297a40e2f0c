"""The pipeline, stage by stage: read -> parse -> extract -> dedup -> tag -> partition -> write."""
from __future__ import annotations

import apache_beam as beam

from newsbeam.transforms.read.feeds import FeedSpec, ReadFeeds
from newsbeam.transforms.read.fetcher import FetchSettings
from newsbeam.transforms.read.files import ReadInputFiles
from newsbeam.transforms.write.parquet import WritePartitionedParquet, WriteRunLog
from newsbeam.transforms.dedup.history import ReadHistory
from newsbeam.transforms.dedup import DUPLICATES, Deduplicate
from newsbeam.transforms.extract.articles import ExtractArticles, ExtractSettings
from newsbeam.transforms.parse.documents import ParseDocuments
from newsbeam.transforms.write.partition import ARTICLES, ERRORS, KeyByPartition
from newsbeam.transforms.records import InputFile, RunContext
from newsbeam.transforms.tag.mentions import TagMentions


class IngestNews(beam.PTransform):
    """Input files and feeds in; the committed Parquet files' records out.

    Every input item leaves as exactly one row (an article, a duplicate or an
    error: the stages' error outputs are flattened into one errors table) or is
    counted as skipped, because an earlier run in this output already wrote it.
    """

    def __init__(self, inputs: list[InputFile], output: str, run: RunContext, lexicon: dict,
                 settings: ExtractSettings, max_input_bytes: int, feeds: list[FeedSpec] = (),
                 fetch: FetchSettings = FetchSettings(), feed_state: dict | None = None,
                 dedup_window_days: int = 30):
        super().__init__()
        self._window_days = dedup_window_days
        self._inputs = inputs
        self._feeds = list(feeds)
        self._fetch = fetch
        self._feed_state = feed_state or {}
        self._output = output
        self._run = run
        self._lexicon = lexicon
        self._settings = settings
        self._max_input_bytes = max_input_bytes

    def expand(self, pbegin):
        run = self._run
        documents, errors = [], []
        if self._inputs:
            read = pbegin | "Read" >> ReadInputFiles(self._inputs, self._max_input_bytes)
            parsed = read.files | "Parse" >> ParseDocuments(self._settings.max_item_bytes)
            documents.append(parsed.documents)
            errors += [read.errors, parsed.errors]
        if self._feeds:
            fetched = pbegin | "ReadFeeds" >> ReadFeeds(self._feeds, self._fetch, self._feed_state)
            documents.append(fetched["documents"])
            errors.append(fetched["errors"])
            _ = fetched["log"] | "FeedLog" >> WriteRunLog(self._output, run.run_id, "feeds")
        extracted = (documents | "AllDocuments" >> beam.Flatten()
                     | "Extract" >> ExtractArticles(run, self._settings))
        history = extracted.articles | "ReadHistory" >> ReadHistory(self._output, run, self._window_days)
        deduped = {"articles": extracted.articles, "history": history} | "Dedup" >> Deduplicate()
        tagged = deduped["articles"] | "Tag" >> TagMentions(self._lexicon)
        articles = tagged.articles | "PartitionArticles" >> KeyByPartition(ARTICLES, run)
        duplicates = deduped[DUPLICATES] | "PartitionDuplicates" >> KeyByPartition(DUPLICATES, run)
        errors = ((*errors, extracted.errors, deduped[ERRORS], tagged[ERRORS], articles[ERRORS], duplicates[ERRORS])
                  | "AllErrors" >> beam.Flatten())
        keyed = (
            articles.rows, duplicates.rows, errors | "PartitionErrors" >> KeyByPartition(ERRORS, run),
        ) | "AllRows" >> beam.Flatten()
        return keyed | "Write" >> WritePartitionedParquet(self._output, run)
